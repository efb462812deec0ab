// Frame interface implementation "counts": frames in as event counts, one saturating
// count_bits-bit spike counter per output class.
#include "snngx/rram/components/io.hpp"

#include <algorithm>

namespace snngx::rram {

namespace {

class CountsInterface final : public IFrameInterface {
 public:
  explicit CountsInterface(const ComponentInputs& in)
      : max_count_((std::int32_t{1} << in.own.get_int("count_bits")) - 1) {}

  [[nodiscard]] std::string name() const override { return "counts"; }
  void load(std::span<const std::uint16_t> frame, std::vector<float>& act) const override {
    act.assign(frame.begin(), frame.end());
  }
  void load_active(std::span<const std::uint32_t> index, std::span<const std::uint16_t> count,
                   std::vector<ActiveRow>& active) const override {
    active.resize(index.size());
    for (std::size_t k = 0; k < index.size(); ++k) active[k] = {static_cast<std::int32_t>(index[k]), count[k]};
  }
  void count(std::span<const float> spikes, std::span<std::int32_t> counts) const override {
    for (std::size_t c = 0; c < counts.size(); ++c)
      if (spikes[c] != 0.0f) counts[c] = std::min(counts[c] + 1, max_count_);
  }

 private:
  std::int32_t max_count_;
};

}  // namespace

template <>
ImplRegistry<IFrameInterface>& registry<IFrameInterface>() {
  static ImplRegistry<IFrameInterface> r{
      {"counts", "frame interface: frames in as event counts, output spike counts per class out",
       {int_param("count_bits", "bits", 16, "width of each class's output spike counter (saturates at 2^bits - 1)", 1, 30)},
       factory_of<IFrameInterface, CountsInterface>()}};
  return r;
}

}  // namespace snngx::rram
