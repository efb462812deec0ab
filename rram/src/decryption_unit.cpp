// The behavioural SNNGX decryption engine (contract: snngx/rram/decryption_unit.hpp) and the
// decryption-unit registry.
#include "snngx/rram/decryption_unit.hpp"

#include <algorithm>
#include <bit>
#include <stdexcept>

#include "snngx/rram/components/decryption_unit.hpp"

namespace snngx::rram {

namespace {

std::size_t mask_words(int rows) { return static_cast<std::size_t>((rows + 63) / 64); }

class BehaviouralEngine final : public IDecryptionUnit {
 public:
  explicit BehaviouralEngine(const DecryptionParams& params) : params_(params), image_(params_, {}) {
    params_.validate();
    const auto banks = static_cast<std::size_t>(params_.lanes), cols = static_cast<std::size_t>(params_.cols);
    words_read_.assign(banks, -1);
    s2_.assign(cols, 0);
    acc_.assign(cols, 0);
    pending_.assign(mask_words(params_.rows), 0);
  }
  [[nodiscard]] std::string name() const override { return "behavioural"; }
  [[nodiscard]] const DecryptionParams& params() const override { return params_; }

  void load_key(std::span<const KeyEntry> entries) override {
    if (busy_) throw std::logic_error("decryption engine: load_key while a request is in flight");
    image_ = KeyImage(params_, entries);
  }
  void reset() override {
    busy_ = false;
    valid_ = false;
    s2_valid_ = false;
    std::fill(words_read_.begin(), words_read_.end(), -1);
    std::fill(pending_.begin(), pending_.end(), 0);
  }

  bool tick(const CorrectionRequest* request, std::span<std::int32_t> corr) override {
    const bool was_valid = valid_;
    if (was_valid) std::copy(acc_.begin(), acc_.end(), corr.begin());
    if (request && busy_) throw std::logic_error("decryption engine: request while busy (the engine is not ready)");
    valid_ = false;
    if (request) {
      accept(*request);
      return was_valid;
    }
    if (!busy_) return was_valid;
    const bool in_flight = s2_valid_ || std::any_of(words_read_.begin(), words_read_.end(), [](int r) { return r >= 0; });
    if (!any_pending() && !in_flight) {  // done: answer on this edge
      valid_ = true;
      busy_ = false;
      return was_valid;
    }
    // The three stages read the registers as they were before the edge: accumulate, sum, pop.
    if (s2_valid_)
      for (std::size_t c = 0; c < acc_.size(); ++c) acc_[c] = static_cast<std::int16_t>(acc_[c] + s2_[c]);
    s2_valid_ = std::any_of(words_read_.begin(), words_read_.end(), [](int r) { return r >= 0; });
    std::fill(s2_.begin(), s2_.end(), 0);
    for (const int r : words_read_)
      if (r >= 0)
        for (std::size_t c = 0; c < s2_.size(); ++c) s2_[c] += image_.words[static_cast<std::size_t>(r) * s2_.size() + c];
    pop();
    return was_valid;
  }

  int correct(const CorrectionRequest& request, std::span<std::int32_t> corr) override {
    if (busy_) throw std::logic_error("decryption engine: correct() while a request is in flight");
    valid_ = false;  // an answer not yet read is dropped, as the default correct() does by resetting
    std::fill(corr.begin(), corr.end(), 0);
    const auto cols = static_cast<std::size_t>(params_.cols);
    for (std::size_t w = 0; w < image_.keyed.size(); ++w)
      for (std::uint64_t m = image_.keyed[w] & request.active[w]; m; m &= m - 1) {
        const std::size_t r = w * 64 + static_cast<std::size_t>(std::countr_zero(m));
        for (std::size_t c = 0; c < cols; ++c) corr[c] += image_.words[r * cols + c];
      }
    return response_latency(image_.work(request));
  }

 private:
  void accept(const CorrectionRequest& request) {
    for (std::size_t w = 0; w < pending_.size(); ++w) pending_[w] = request.active[w] & image_.keyed[w];
    std::fill(acc_.begin(), acc_.end(), 0);
    std::fill(words_read_.begin(), words_read_.end(), -1);
    s2_valid_ = false;
    busy_ = true;
  }
  [[nodiscard]] bool any_pending() const {
    return std::any_of(pending_.begin(), pending_.end(), [](std::uint64_t w) { return w != 0; });
  }
  // Every bank clears its lowest pending row and reads that row's word.
  void pop() {
    const int banks = params_.lanes;
    std::fill(words_read_.begin(), words_read_.end(), -1);
    for (int r = 0, found = 0; r < params_.rows && found < banks; ++r) {
      auto& word = pending_[static_cast<std::size_t>(r / 64)];
      const std::uint64_t bit = std::uint64_t{1} << (r % 64);
      int& slot = words_read_[static_cast<std::size_t>(r % banks)];
      if (!(word & bit) || slot >= 0) continue;
      slot = r;
      word &= ~bit;
      ++found;
    }
  }

  DecryptionParams params_;
  KeyImage image_;
  bool busy_ = false, valid_ = false, s2_valid_ = false;
  std::vector<std::uint64_t> pending_;
  std::vector<int> words_read_;  // per bank: row read on the last edge, -1 = none
  std::vector<std::int32_t> s2_;
  std::vector<std::int16_t> acc_;  // ACC_W = 16 bits wraps like the RTL's accumulator
};

}  // namespace

void DecryptionParams::validate() const {
  auto check = [](bool ok, const char* param, const std::string& what) {
    if (!ok) throw std::invalid_argument(std::string("decryption_unit.") + param + ": " + what);
  };
  check(rows >= 1 && rows <= 128, "rows", "an engine serves 1..128 rows (crossbar.rows), got " + std::to_string(rows));
  check(cols >= 1 && cols <= 128, "cols", "an engine serves 1..128 logical columns, got " + std::to_string(cols));
  check(lanes >= 1 && lanes <= rows, "lanes", "must be in 1..rows (" + std::to_string(rows) + "), got " + std::to_string(lanes));
}

KeyImage::KeyImage(const DecryptionParams& p, std::span<const KeyEntry> entries)
    : params(p),
      words(static_cast<std::size_t>(p.rows) * static_cast<std::size_t>(p.cols), 0),
      keyed(mask_words(p.rows), 0) {
  constexpr int lo = -(1 << (DecryptionParams::corr_bits - 1)), hi = (1 << (DecryptionParams::corr_bits - 1)) - 1;
  std::vector<bool> seen(words.size(), false);
  for (const KeyEntry& e : entries) {
    const std::string where = "key entry (" + std::to_string(e.row) + ", " + std::to_string(e.col) + ")";
    if (e.row >= p.rows || e.col >= p.cols)
      throw std::invalid_argument(where + " outside the engine's " + std::to_string(p.rows) + " x " + std::to_string(p.cols) +
                                  " tile");
    if (e.corr < lo || e.corr > hi)
      throw std::invalid_argument(where + ": correction " + std::to_string(e.corr) + " does not fit " +
                                  std::to_string(DecryptionParams::corr_bits) + " signed bits");
    const std::size_t k = static_cast<std::size_t>(e.row) * static_cast<std::size_t>(p.cols) + e.col;
    if (seen[k]) throw std::invalid_argument(where + " given twice");
    seen[k] = true;
    // A zero correction (the sign of a zero magnitude flipped) changes nothing: the word keeps 0.
    words[k] = static_cast<std::int16_t>(e.corr);
    if (e.corr != 0) keyed[e.row / 64] |= std::uint64_t{1} << (e.row % 64);
  }
}

std::size_t KeyImage::keyed_rows() const {
  std::size_t n = 0;
  for (const std::uint64_t w : keyed) n += static_cast<std::size_t>(std::popcount(w));
  return n;
}

int KeyImage::work(const CorrectionRequest& request) const {
  const int banks = params.lanes;
  if (banks == 1 || 64 % banks != 0) {
    std::vector<int> per_bank(static_cast<std::size_t>(banks), 0);
    for (std::size_t w = 0; w < keyed.size(); ++w)
      for (std::uint64_t m = keyed[w] & request.active[w]; m; m &= m - 1)
        ++per_bank[(w * 64 + static_cast<std::size_t>(std::countr_zero(m))) % static_cast<std::size_t>(banks)];
    return *std::max_element(per_bank.begin(), per_bank.end());
  }
  // Banks dividing 64: bank b's rows are the bits b, b + banks, ... of every mask word.
  int most = 0;
  for (int b = 0; b < banks; ++b) {
    std::uint64_t lane_mask = 0;
    for (int i = b; i < 64; i += banks) lane_mask |= std::uint64_t{1} << i;
    int n = 0;
    for (std::size_t w = 0; w < keyed.size(); ++w) n += std::popcount(keyed[w] & request.active[w] & lane_mask);
    most = std::max(most, n);
  }
  return most;
}

int IDecryptionUnit::correct(const CorrectionRequest& request, std::span<std::int32_t> corr) {
  reset();
  std::fill(corr.begin(), corr.end(), 0);
  tick(&request, corr);
  const int limit = response_latency(params().rows) + 1;
  for (int ticks = 1; ticks <= limit; ++ticks)
    if (tick(nullptr, corr)) return ticks;
  throw std::logic_error("decryption unit '" + name() + "' did not answer within " + std::to_string(limit) + " cycles");
}

namespace {

// The pool's parameters; the chip turns them and the crossbar's geometry into DecryptionParams.
std::vector<ParamSpec> pool_params() {
  return {int_param("lanes", "rows/cycle", 10,
                    "LANES: key-SRAM banks per engine = keyed rows streamed per cycle (10: any key, any input fits the "
                    "18-cycle read window of 128-row tiles)",
                    1, 128),
          int_param("engines", "engines", 16, "engines in the pool; each crossbar tile holding key entries is bound to one", 1,
                    1 << 20)};
}

}  // namespace

template <>
ImplRegistry<IDecryptionUnit>& registry<IDecryptionUnit>() {
  // "none" builds no engine: a chip without the unit.
  static ImplRegistry<IDecryptionUnit> r{
      {"behavioural", "pool of row-indexed streaming engines, one per keyed tile (rram/decryption_unit.hpp)", pool_params(),
       [](const DecryptionParams& p) { return make_behavioural_decryption_unit(p); }},
      {"none", "a chip without the SNNGX decryption unit", pool_params(),
       [](const DecryptionParams&) { return std::unique_ptr<IDecryptionUnit>{}; }}};
  return r;
}

std::unique_ptr<IDecryptionUnit> make_decryption_unit(const std::string& impl, const DecryptionParams& params) {
  params.validate();
  return registry<IDecryptionUnit>().make(impl, params);
}

std::unique_ptr<IDecryptionUnit> make_behavioural_decryption_unit(const DecryptionParams& params) {
  return std::make_unique<BehaviouralEngine>(params);
}

std::vector<std::int32_t> reference_correction(std::span<const KeyEntry> key, const DecryptionParams& params,
                                               const CorrectionRequest& request) {
  std::vector<std::int32_t> out(static_cast<std::size_t>(params.cols), 0);
  for (const KeyEntry& e : key)
    if (e.row < params.rows && e.col < params.cols && request.row_active(e.row)) out[e.col] += e.corr;
  // The engine's accumulator is 16 bits wide (ACC_W): |sum| <= 128 x 256 fits, so no wrap here.
  return out;
}

}  // namespace snngx::rram
