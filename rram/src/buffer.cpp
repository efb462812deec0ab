// Spike buffer implementation "sram": input_bits per first-layer count, one bit per spike.
#include "snngx/rram/components/buffer.hpp"

namespace snngx::rram {

namespace {

class SramBuffer final : public ISpikeBuffer {
 public:
  explicit SramBuffer(const ComponentInputs& in) : input_bits_(in.own.get_int("input_bits")) {}

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
  static ImplRegistry<ISpikeBuffer> r{
      {"sram", "spike buffers between layers (1 bit per spike; inputs input_bits per count)",
       {int_param("input_bits", "bits", 8, "bits per first-layer event count in the input buffer", 1, 16)},
       factory_of<ISpikeBuffer, SramBuffer>()}};
  return r;
}

}  // namespace snngx::rram
