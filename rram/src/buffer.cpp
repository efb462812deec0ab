// Spike buffer implementation "sram": input_bits per first-layer count, one bit per spike.
#include "snngx/rram/components/buffer.hpp"

namespace snngx::rram {

namespace {

class SramBuffer final : public ISpikeBuffer {
 public:
  explicit SramBuffer(const ChipConfig& config) : input_bits_(config.get_int("buffer", "input_bits")) {}

  [[nodiscard]] std::string name() const override { return "sram"; }
  [[nodiscard]] std::uint64_t bits(std::size_t values, bool counts) const override {
    return values * static_cast<std::uint64_t>(counts ? input_bits_ : 1);
  }
  void write(std::span<const float> values) override { data_.assign(values.begin(), values.end()); }
  void read(std::vector<float>& out) const override { out = data_; }

 private:
  int input_bits_;
  std::vector<float> data_;
};

}  // namespace

template <>
ImplRegistry<ISpikeBuffer>& registry<ISpikeBuffer>() {
  static ImplRegistry<ISpikeBuffer> r{{"sram", factory_of<ISpikeBuffer, SramBuffer>()}};
  return r;
}

}  // namespace snngx::rram
