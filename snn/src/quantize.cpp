#include "snngx/snn/quantize.hpp"
#include "snngx/io/errors.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace snngx::snn {

Quantization quantize_weights(std::span<const float> weights, int bits, QuantRule rule) {
  if (bits < 2 || bits > 8) throw io::ParameterError("{bits} must be in 2..8, got " + std::to_string(bits));
  Quantization q;
  q.bits = bits;
  q.rule = rule;
  const int max_mag = (1 << (bits - 1)) - 1;
  double m = 0.0;
  if (rule == QuantRule::MaxAbs) {
    for (const float w : weights) m = std::max(m, std::fabs(static_cast<double>(w)));
  } else {
    m = weights.empty() ? 0.0 : static_cast<double>(*std::max_element(weights.begin(), weights.end()));
    if (!(m > 0.0)) throw std::invalid_argument("reference quantization needs a positive maximum weight");
  }
  q.exponent = m > 0.0 ? static_cast<int>(std::ceil(std::log2(m / max_mag))) : 0;
  const double step = std::ldexp(1.0, q.exponent);
  q.weight_bits.resize(weights.size());
  for (std::size_t k = 0; k < weights.size(); ++k) {
    const double a = std::fabs(static_cast<double>(weights[k]));
    auto mag = static_cast<long long>(std::floor(a / step));
    mag = rule == QuantRule::MaxAbs ? std::min<long long>(mag, max_mag) : mag % (max_mag + 1);
    const std::uint8_t sign = weights[k] < 0.0f ? 0x80 : 0x00;
    q.weight_bits[k] = static_cast<std::uint8_t>(sign | static_cast<std::uint8_t>(mag));
  }
  return q;
}

float dequantize(std::uint8_t b, int exponent) {
  const float magnitude = std::ldexp(static_cast<float>(b & 0x7F), exponent);
  return (b & 0x80) ? -magnitude : magnitude;
}

void dequantize_into(Weights& w) {
  if (!w.quant) return;
  w.values.resize(w.quant->weight_bits.size());
  for (std::size_t k = 0; k < w.values.size(); ++k) w.values[k] = dequantize(w.quant->weight_bits[k], w.quant->exponent);
}

Network quantize(const Network& net, int bits, QuantRule rule) {
  if (net.state == ModelState::Encrypted) throw std::invalid_argument("cannot quantize an encrypted model");
  Network out = net;
  for (std::size_t l = 0; l < out.num_weighted(); ++l) {
    Weights& w = out.weights(l);
    w.quant = quantize_weights(w.values, bits, rule);
    dequantize_into(w);
  }
  out.state = ModelState::Quantized;
  return out;
}

int byte_bit(int b, int bits) {
  if (b < 0 || b >= bits) throw std::out_of_range("bit " + std::to_string(b) + " outside a " + std::to_string(bits) + "-bit weight");
  return b == 0 ? 7 : bits - 1 - b;
}

namespace {
const Quantization& quant_of(const Network& net, std::size_t layer) {
  const Weights& w = net.weights(layer);
  if (!w.quant) throw std::invalid_argument("layer " + std::to_string(layer) + " is not quantized");
  return *w.quant;
}
}  // namespace

bool get_bit(const Network& net, std::size_t layer, std::size_t k, int b) {
  const Quantization& q = quant_of(net, layer);
  return (q.weight_bits.at(k) >> byte_bit(b, q.bits)) & 1U;
}

void flip_bit(Network& net, std::size_t layer, std::size_t k, int b) {
  Weights& w = net.weights(layer);
  const Quantization& q = quant_of(net, layer);
  w.quant->weight_bits.at(k) ^= static_cast<std::uint8_t>(1U << byte_bit(b, q.bits));
  w.values[k] = dequantize(w.quant->weight_bits[k], q.exponent);
}

std::size_t weight_bit_count(const Network& net, std::size_t layer) {
  return net.weights(layer).count() * static_cast<std::size_t>(quant_of(net, layer).bits);
}
std::size_t weight_bit_count(const Network& net) {
  std::size_t n = 0;
  for (std::size_t l = 0; l < net.num_weighted(); ++l) n += weight_bit_count(net, l);
  return n;
}

}  // namespace snngx::snn
