// The behavioural SNNGX decryption unit and the implementation registry.
#include "snngx/rram/decryption_unit.hpp"

#include "snngx/rram/components/decryption_unit.hpp"

#include <algorithm>
#include <deque>
#include <optional>
#include <stdexcept>

namespace snngx::rram {

namespace {

// Two's-complement PSUM_W (32-bit) accumulation without signed-overflow UB.
std::int32_t wrap_add(std::int32_t a, std::int32_t b) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(a) + static_cast<std::uint32_t>(b));
}

class BehaviouralUnit final : public IDecryptionUnit {
 public:
  explicit BehaviouralUnit(const DecryptionParams& params) : params_(params) {
    params_.validate();
    store_.resize(static_cast<std::size_t>(params_.key_depth));
  }
  [[nodiscard]] std::string name() const override { return "behavioural"; }
  [[nodiscard]] const DecryptionParams& params() const override { return params_; }

  void load_key(std::span<const KeyEntry> entries) override {
    if (entries.size() > store_.size())
      throw std::invalid_argument("decryption_unit.key_depth: key has " + std::to_string(entries.size()) +
                                  " entries for one layer, the key store holds " + std::to_string(store_.size()));
    std::copy(entries.begin(), entries.end(), store_.begin());
    count_ = entries.size();
  }
  void reset() override {
    pipeline_.clear();
  }
  bool tick(const CorrectionRequest* request, std::span<std::int32_t> corr) override {
    // Pipeline of LAT stages: slot i holds what was sampled i+1 edges ago.
    if (pipeline_.empty()) pipeline_.assign(static_cast<std::size_t>(params_.latency), std::nullopt);
    std::optional<std::vector<std::int32_t>>& out = pipeline_.back();
    const bool valid = out.has_value();
    if (valid) std::copy(out->begin(), out->end(), corr.begin());
    pipeline_.pop_back();
    if (request) {
      std::vector<std::int32_t> lanes(static_cast<std::size_t>(params_.lanes));
      correct(*request, lanes);
      pipeline_.emplace_front(std::move(lanes));
    } else {
      pipeline_.emplace_front(std::nullopt);
    }
    return valid;
  }
  void correct(const CorrectionRequest& request, std::span<std::int32_t> corr) override {
    std::fill(corr.begin(), corr.end(), 0);
    const auto rows = static_cast<std::uint32_t>(params_.rows);
    const auto lanes = static_cast<std::uint32_t>(params_.lanes);
    for (std::size_t i = 0; i < count_; ++i) {
      const KeyEntry& e = store_[i];
      if (e.row < request.row_base || e.row - request.row_base >= rows) continue;
      if (e.col < request.col_base || e.col - request.col_base >= lanes) continue;
      if (!request.row_active(e.row - request.row_base)) continue;
      auto& lane = corr[e.col - request.col_base];
      lane = wrap_add(lane, e.corr);
    }
  }

 private:
  DecryptionParams params_;
  std::vector<KeyEntry> store_;
  std::size_t count_ = 0;
  std::deque<std::optional<std::vector<std::int32_t>>> pipeline_;
};

}  // namespace

void DecryptionParams::validate() const {
  auto check = [](bool ok, const char* param, const std::string& what) {
    if (!ok) throw std::invalid_argument(std::string("decryption_unit.") + param + ": " + what);
  };
  check(rows >= 1 && rows <= (1 << row_bits), "rows", "must be in 1..65536, got " + std::to_string(rows));
  check(lanes >= 1 && lanes <= 4096, "lanes", "must be in 1..4096, got " + std::to_string(lanes));
  check(key_depth >= 0 && key_depth <= (1 << 20), "key_depth", "must be in 0..2^20, got " + std::to_string(key_depth));
  check(latency >= 1 && latency <= 64, "latency", "must be in 1..64 cycles, got " + std::to_string(latency));
}

void IDecryptionUnit::correct(const CorrectionRequest& request, std::span<std::int32_t> corr) {
  reset();
  std::fill(corr.begin(), corr.end(), 0);
  tick(&request, corr);
  for (int i = 0; i < params().latency; ++i) {
    if (tick(nullptr, corr)) return;
  }
  throw std::logic_error("decryption unit '" + name() + "' did not answer within LAT cycles");
}

template <>
ImplRegistry<IDecryptionUnit>& registry<IDecryptionUnit>() {
  // "none" builds no unit: a chip without it.
  static ImplRegistry<IDecryptionUnit> r{
      {"behavioural", [](const DecryptionParams& p) { return make_behavioural_decryption_unit(p); }},
      {"none", [](const DecryptionParams&) { return std::unique_ptr<IDecryptionUnit>{}; }}};
  return r;
}

void register_decryption_unit(const std::string& name, DecryptionUnitFactory factory) {
  if (name == "none") throw std::invalid_argument("decryption unit name 'none' is reserved for a chip without the unit");
  registry<IDecryptionUnit>().add(name, std::move(factory));
}

std::vector<std::string> decryption_unit_names() { return registry<IDecryptionUnit>().names(); }

std::unique_ptr<IDecryptionUnit> make_decryption_unit(const std::string& name, const DecryptionParams& params) {
  params.validate();
  return registry<IDecryptionUnit>().make(name, params);
}

std::unique_ptr<IDecryptionUnit> make_behavioural_decryption_unit(const DecryptionParams& params) {
  return std::make_unique<BehaviouralUnit>(params);
}

std::vector<std::int32_t> reference_correction(std::span<const KeyEntry> key, const DecryptionParams& params,
                                               const CorrectionRequest& request) {
  std::vector<std::int64_t> wide(static_cast<std::size_t>(params.lanes), 0);
  for (const KeyEntry& e : key) {
    const std::int64_t dr = static_cast<std::int64_t>(e.row) - request.row_base;
    const std::int64_t dc = static_cast<std::int64_t>(e.col) - request.col_base;
    if (dr < 0 || dr >= params.rows || dc < 0 || dc >= params.lanes) continue;
    if (request.row_active(static_cast<std::uint32_t>(dr))) wide[static_cast<std::size_t>(dc)] += e.corr;
  }
  std::vector<std::int32_t> out;
  out.reserve(wide.size());
  for (const std::int64_t v : wide) out.push_back(static_cast<std::int32_t>(static_cast<std::uint32_t>(v)));
  return out;
}

}  // namespace snngx::rram
