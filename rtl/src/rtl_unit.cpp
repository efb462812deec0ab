// The Verilated decryption engine behind rram::IDecryptionUnit ("rtl").
#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "simulation.hpp"
#include "snngx/rram/components/decryption_unit.hpp"
#include "snngx/rram/config.hpp"
#include "snngx/rtl/cosim.hpp"

namespace snngx::rtl {
namespace {

void check_param(const char* name, int wanted, int verilated, const char* cmake) {
  if (wanted != verilated)
    throw std::invalid_argument(std::string("decryption_unit.") + name + ": the RTL engine was verilated with " +
                                std::to_string(verilated) + " (CMake " + cmake + "), the chip asks for " +
                                std::to_string(wanted));
}

// The instance is leased while the engine has a request in flight or an answer not yet seen
// (ready low or corr_valid high); otherwise the RTL is idle with corr_valid = 0, and a tick
// without a request changes nothing, so an unleased unit answers it without simulating.
class RtlUnit final : public rram::IDecryptionUnit {
 public:
  explicit RtlUnit(const rram::DecryptionParams& params) : params_(params), image_(params_, {}) {
    params_.validate();
    const VerilatedConfig v = verilated_config();
    check_param("rows", params_.rows, v.rows, "SNNGX_RTL_ROWS");
    check_param("cols", params_.cols, v.cols, "SNNGX_RTL_COLS");
    check_param("lanes", params_.lanes, v.lanes, "SNNGX_RTL_LANES");
    idle_.key_word.assign(static_cast<std::size_t>(params_.cols), 0);
    request_ = idle_;
    request_.in_valid = true;
  }
  ~RtlUnit() override {
    const std::scoped_lock lock(detail::simulation_mutex());
    if (inst_) detail::release(*inst_);
  }
  RtlUnit(const RtlUnit&) = delete;
  RtlUnit& operator=(const RtlUnit&) = delete;

  [[nodiscard]] std::string name() const override { return "rtl"; }
  [[nodiscard]] const rram::DecryptionParams& params() const override { return params_; }

  // The key reaches the RTL before the next request (or at the next lease): key writes are
  // edges between two ticks, while the engine is idle.
  void load_key(std::span<const rram::KeyEntry> entries) override {
    rram::KeyImage image(params_, entries);  // validates
    const std::scoped_lock lock(detail::simulation_mutex());
    if (inst_ && !inst_->ready())
      throw std::logic_error("rtl: load_key while a request is in flight (the key is written while the engine is idle)");
    image_ = std::move(image);
    key_id_ = detail::next_key_id();
  }

  void reset() override {
    const std::scoped_lock lock(detail::simulation_mutex());
    if (!inst_) return;  // an unleased engine is idle with corr_valid = 0
    clock_reset();
    release();
  }

  bool tick(const rram::CorrectionRequest* request, std::span<std::int32_t> corr) override {
    const std::scoped_lock lock(detail::simulation_mutex());
    if (!inst_) {
      if (!request) return false;  // idle, nothing to answer, nothing issued
      lease();
    }
    const bool valid = inst_->corr_valid();
    if (valid) inst_->corr(corr);
    if (request) {
      if (!inst_->ready()) throw std::logic_error("rtl: request while the engine is busy (ready is low)");
      if (inst_->key_owner != key_id_) write_key();
      request_.in_active = request->active;
      inst_->tick(request_);
    } else {
      inst_->tick(idle_);
    }
    if (inst_->ready() && !inst_->corr_valid()) release();
    return valid;
  }

  // The default (reset, the request, ticks until the answer), refused like the behavioural
  // engine's while a request is in flight.
  int correct(const rram::CorrectionRequest& request, std::span<std::int32_t> corr) override {
    {
      const std::scoped_lock lock(detail::simulation_mutex());
      if (inst_ && !inst_->ready()) throw std::logic_error("rtl: correct() while a request is in flight");
    }
    return IDecryptionUnit::correct(request, corr);
  }

 private:
  void clock_reset() {
    EngineInputs in = idle_;
    in.rst = true;
    inst_->tick(in);
  }
  void lease() {
    inst_ = &detail::acquire();
    clock_reset();  // whatever a previous user left in the pipeline
  }
  void release() {
    detail::release(*inst_);
    inst_ = nullptr;
  }

  // key_clear, then one key_we per keyed row (the engine is idle).
  void write_key() {
    EngineInputs in = idle_;
    in.key_clear = true;
    inst_->tick(in);
    in.key_clear = false;
    in.key_we = true;
    const auto cols = static_cast<std::size_t>(params_.cols);
    for (std::size_t r = 0; r < static_cast<std::size_t>(params_.rows); ++r) {
      if (!((image_.keyed[r / 64] >> (r % 64)) & 1U)) continue;
      in.key_row = static_cast<std::uint32_t>(r);
      for (std::size_t c = 0; c < cols; ++c) in.key_word[c] = image_.words[r * cols + c];
      inst_->tick(in);
    }
    inst_->key_owner = key_id_;
  }

  rram::DecryptionParams params_;
  rram::KeyImage image_;
  std::uint64_t key_id_ = detail::next_key_id();  // the empty key is a key generation too
  detail::Instance* inst_ = nullptr;
  EngineInputs idle_;
  EngineInputs request_;
};

}  // namespace

std::unique_ptr<rram::IDecryptionUnit> make_rtl_decryption_unit(const rram::DecryptionParams& params) {
  return std::make_unique<RtlUnit>(params);
}

}  // namespace snngx::rtl
