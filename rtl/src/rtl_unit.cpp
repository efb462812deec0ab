// The Verilated decryption unit behind rram::IDecryptionUnit ("rtl").
#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "simulation.hpp"
#include "snngx/rram/config.hpp"
#include "snngx/rtl/cosim.hpp"

namespace snngx::rtl {
namespace {

void check_param(const char* name, int wanted, int verilated, const char* cmake) {
  if (wanted != verilated)
    throw std::invalid_argument(std::string("decryption_unit.") + name + ": the RTL unit was verilated with " +
                                std::to_string(verilated) + " (CMake " + cmake + "), the chip asks for " +
                                std::to_string(wanted));
}

class RtlUnit final : public rram::IDecryptionUnit {
 public:
  explicit RtlUnit(const rram::DecryptionParams& params) : params_(params) {
    params_.validate();
    const VerilatedConfig v = verilated_config();
    check_param("rows", params_.rows, v.rows, "SNNGX_RTL_ROWS");
    check_param("lanes", params_.lanes, v.lanes, "SNNGX_RTL_LANES");
    check_param("key_depth", params_.key_depth, v.key_depth, "SNNGX_RTL_KEY_DEPTH");
    check_param("latency", params_.latency, v.latency, "SNNGX_RTL_LAT");
  }
  ~RtlUnit() override {
    const std::scoped_lock lock(detail::simulation_mutex());
    if (inst_) detail::release(*inst_);
  }
  RtlUnit(const RtlUnit&) = delete;
  RtlUnit& operator=(const RtlUnit&) = delete;

  [[nodiscard]] std::string name() const override { return "rtl"; }
  [[nodiscard]] const rram::DecryptionParams& params() const override { return params_; }

  void load_key(std::span<const rram::KeyEntry> entries) override {
    if (entries.size() > static_cast<std::size_t>(params_.key_depth))
      throw std::invalid_argument("decryption_unit.key_depth: key has " + std::to_string(entries.size()) +
                                  " entries for one unit, the RTL key store holds " + std::to_string(params_.key_depth));
    const std::scoped_lock lock(detail::simulation_mutex());
    if (inst_ && in_flight())
      throw std::logic_error("rtl: load_key while reads are in flight (the key store is written before inference)");
    key_.assign(entries.begin(), entries.end());
    key_id_ = detail::next_key_id();
    if (inst_) write_key();
  }

  void reset() override {
    const std::scoped_lock lock(detail::simulation_mutex());
    if (!inst_) return;  // an unleased unit has an empty pipeline
    SliceInputs in = idle_inputs();
    in.rst = true;
    inst_->tick(in);
    release();
  }

  bool tick(const rram::CorrectionRequest* request, std::span<std::int32_t> corr) override {
    const std::scoped_lock lock(detail::simulation_mutex());
    if (!inst_) {
      if (!request) return false;  // nothing in flight and nothing issued: corr_valid = 0
      lease();
    }
    const bool valid = read_outputs(corr);
    inst_->tick(request ? request_inputs(*request) : idle_inputs());
    idle_ticks_ = request ? 0 : idle_ticks_ + 1;
    if (!in_flight()) release();
    return valid;
  }

  void correct(const rram::CorrectionRequest& request, std::span<std::int32_t> corr) override {
    const std::scoped_lock lock(detail::simulation_mutex());
    if (!inst_) lease();
    SliceInputs rst = idle_inputs();
    rst.rst = true;
    inst_->tick(rst);
    inst_->tick(request_inputs(request));
    for (int i = 1; i < params_.latency; ++i) inst_->tick(idle_inputs());
    if (!read_outputs(corr))
      throw std::logic_error("rtl: the RTL unit did not answer after LAT = " + std::to_string(params_.latency) + " cycles");
    idle_ticks_ = params_.latency;
    release();
  }

 private:
  [[nodiscard]] bool in_flight() const { return idle_ticks_ < params_.latency; }

  void lease() {
    inst_ = &detail::acquire(true);
    SliceInputs in = idle_inputs();
    in.rst = true;  // whatever a previous user left in the pipeline
    inst_->tick(in);
    idle_ticks_ = params_.latency;
    if (inst_->key_owner != key_id_) write_key();
  }
  void release() {
    detail::release(*inst_);
    inst_ = nullptr;
  }

  // Writes the key through the key port, one entry per cycle (the pipeline is idle).
  void write_key() {
    for (std::size_t i = 0; i < key_.size(); ++i) {
      SliceInputs in = idle_inputs();
      in.key_we = true;
      in.key_addr = static_cast<std::uint32_t>(i);
      in.key_row = key_[i].row;
      in.key_col = key_[i].col;
      in.key_corr = key_[i].corr;
      inst_->tick(in);
    }
    inst_->key_owner = key_id_;
  }

  [[nodiscard]] SliceInputs idle_inputs() const {
    SliceInputs in;
    in.key_count = static_cast<std::uint32_t>(key_.size());
    return in;
  }

  [[nodiscard]] SliceInputs request_inputs(const rram::CorrectionRequest& r) const {
    constexpr std::uint32_t kMaxBase = (1U << VerilatedConfig::row_bits) - 1;
    if (r.row_base > kMaxBase || r.col_base > kMaxBase)
      throw std::invalid_argument("rtl: request base (row " + std::to_string(r.row_base) + ", column " +
                                  std::to_string(r.col_base) + ") exceeds the 16-bit ROW_W/COL_W ports");
    SliceInputs in = idle_inputs();
    in.in_valid = true;
    in.in_row_base = static_cast<std::uint16_t>(r.row_base);
    in.in_col_base = static_cast<std::uint16_t>(r.col_base);
    in.in_active = r.active;
    return in;
  }

  bool read_outputs(std::span<std::int32_t> corr) const {
    const SliceOutputs o = inst_->outputs();
    if (o.corr_valid) std::copy_n(o.corr.begin(), std::min(corr.size(), o.corr.size()), corr.begin());
    return o.corr_valid;
  }

  rram::DecryptionParams params_;
  std::vector<rram::KeyEntry> key_;
  std::uint64_t key_id_ = detail::next_key_id();  // the empty key is a key generation too
  detail::Instance* inst_ = nullptr;
  int idle_ticks_ = 0;
};

}  // namespace

std::unique_ptr<rram::IDecryptionUnit> make_rtl_decryption_unit(const rram::DecryptionParams& params) {
  return std::make_unique<RtlUnit>(params);
}

void register_rtl_decryption_unit() {
  rram::register_decryption_unit("rtl", make_rtl_decryption_unit);
  // The chip config knows "rtl" with the behavioural unit's parameters.
  for (const rram::ImplSpec* spec : rram::implementations("decryption_unit")) {
    if (spec->impl != "behavioural") continue;
    rram::ImplSpec rtl = *spec;
    rtl.impl = "rtl";
    rtl.description = "the Verilated SystemVerilog unit of rtl/sv (snngx_cosim; parameters fixed at build time)";
    rram::register_impl(std::move(rtl));
    break;
  }
}

}  // namespace snngx::rtl
