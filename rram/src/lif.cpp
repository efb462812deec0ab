// LIF implementation "float32": the software engine's formulas in float32 in the same order, so
// the chip's spikes and membranes equal the software's bit for bit:
//  - the reference LIF: v = v*decay*(1-s) + I, spike when v > threshold;
//  - a Neuron layer (snn::neuron_coefficients): i = syn_decay*i + syn_gain*x (CubaLIF),
//    v = decay*reset(v) + gain*x + leak with reset(v) = v_reset or v - threshold after a spike.
// The current is I = psum * 2^e (+ bias) (+ recurrent psum * 2^e_rec (+ recurrent bias)), each
// added after its own scaling as the software does (the two matrices have different exponents).
#include "snngx/rram/components/lif.hpp"

namespace snngx::rram {

namespace {

class Float32Lif final : public ILifUnit {
 public:
  explicit Float32Lif(const ComponentInputs& in) : units_(in.own.get_int("units")) {}

  [[nodiscard]] std::string name() const override { return "float32"; }
  [[nodiscard]] int units() const override { return units_; }
  void step(const NeuronLayer& layer, std::span<const std::int64_t> psum, std::span<const std::int64_t> recurrent,
            std::size_t begin, std::size_t end, NeuronState st) const override {
    std::size_t column = begin / layer.positions, position = begin % layer.positions;
    for (std::size_t n = begin; n < end; ++n) {
      float current = static_cast<float>(psum[position * layer.columns + column]) * layer.scale;
      if (!layer.bias.empty()) current += layer.bias[column];
      if (layer.euler) {
        euler_step(*layer.euler, n, current, recurrent, st);
      } else {
        st.v[n] = st.v[n] * layer.decay * (1.0f - st.s[n]) + current;
        st.s[n] = st.v[n] > layer.threshold ? 1.0f : 0.0f;
      }
      if (++position == layer.positions) {
        position = 0;
        ++column;
      }
    }
  }

 private:
  static void euler_step(const EulerNeuron& e, std::size_t n, float current, std::span<const std::int64_t> recurrent,
                         NeuronState st) {
    const auto& k = e.k;
    if (e.recurrent) {
      float fed_back = static_cast<float>(recurrent[n]) * e.recurrent_scale;
      if (!e.recurrent_bias.empty()) fed_back += e.recurrent_bias[n];
      current = current + fed_back;
    }
    if (k.cuba) current = st.syn[n] = k.syn_decay[n] * st.syn[n] + k.syn_gain[n] * current;
    float previous = st.v[n];
    if (k.spiking && st.s[n] != 0.0f) previous = k.reset == snn::ResetMode::Zero ? k.v_reset[n] : previous - k.threshold[n];
    st.v[n] = k.decay[n] * previous + k.gain[n] * current + k.leak[n];
    st.s[n] = k.spiking ? (st.v[n] > k.threshold[n] ? 1.0f : 0.0f) : st.v[n];
  }

  int units_;
};

}  // namespace

template <>
ImplRegistry<ILifUnit>& registry<ILifUnit>() {
  static ImplRegistry<ILifUnit> r{
      {"float32", "LIF units with the software's float32 formulas (reference LIF; IF/LIF/CubaLIF/LI neuron layers)",
       {int_param("units", "neurons", 128, "LIF units per layer (neurons updated per cycle)", 1, 1 << 24)},
       factory_of<ILifUnit, Float32Lif>()}};
  return r;
}

}  // namespace snngx::rram
