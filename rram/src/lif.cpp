// LIF implementation "float32": the software engine's formula v = v*decay*(1-s) + I, spike when
// v > threshold, in float32 in the same order, so the chip's spikes equal the software's.
#include "snngx/rram/components/lif.hpp"

namespace snngx::rram {

namespace {

class Float32Lif final : public ILifUnit {
 public:
  explicit Float32Lif(const ComponentInputs& in) : units_(in.own.get_int("units")) {}

  [[nodiscard]] std::string name() const override { return "float32"; }
  [[nodiscard]] int units() const override { return units_; }
  void step(const NeuronLayer& layer, std::span<const std::int64_t> psum, std::size_t begin, std::size_t end,
            std::span<float> v, std::span<float> s) const override {
    std::size_t column = begin / layer.positions, position = begin % layer.positions;
    for (std::size_t n = begin; n < end; ++n) {
      const float current = static_cast<float>(psum[position * layer.columns + column]) * layer.scale;
      v[n] = v[n] * layer.decay * (1.0f - s[n]) + current;
      s[n] = v[n] > layer.threshold ? 1.0f : 0.0f;
      if (++position == layer.positions) {
        position = 0;
        ++column;
      }
    }
  }

 private:
  int units_;
};

}  // namespace

template <>
ImplRegistry<ILifUnit>& registry<ILifUnit>() {
  static ImplRegistry<ILifUnit> r{
      {"float32", "LIF units with the software's float32 formula v = v*decay*(1-s) + I",
       {int_param("units", "neurons", 128, "LIF units per layer (neurons updated per cycle)", 1, 1 << 24)},
       factory_of<ILifUnit, Float32Lif>()}};
  return r;
}

}  // namespace snngx::rram
