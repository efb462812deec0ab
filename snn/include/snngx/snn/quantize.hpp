#pragma once
// Per-layer sign-magnitude weight quantization and bit access (spec: snngx-algorithm.md §3).
#include <cstdint>
#include <span>

#include "snngx/snn/network.hpp"

namespace snngx::snn {

/// Quantizes one layer's weights. max_abs: m = max|w|, magnitudes saturate at 2^(q-1)-1.
/// reference: m = max(w) (signed), magnitudes wrap modulo 2^(q-1) as in the reference code.
Quantization quantize_weights(std::span<const float> weights, int bits, QuantRule rule);

/// Value of one stored weight byte: (-1)^sign * magnitude * 2^exponent.
float dequantize(std::uint8_t weight_bits, int exponent);
/// Signed integer magnitude of a stored weight byte: (-1)^sign * magnitude.
inline int signed_magnitude(std::uint8_t b) { return (b & 0x80) ? -static_cast<int>(b & 0x7F) : static_cast<int>(b & 0x7F); }

/// Recomputes `values` from `quant->weight_bits`.
void dequantize_into(Weights& weights);

/// Returns a quantized copy of `net` (state "quantized").
Network quantize(const Network& net, int bits, QuantRule rule);

/// Bit b (0 = sign, 1.. = magnitude bits from most significant) of weight k in layer l, for a
/// layer with q bits per weight. The spec's flat bit index is k*q + b.
bool get_bit(const Network& net, std::size_t layer, std::size_t k, int b);
/// Flips that bit in weight_bits and updates the dequantized value.
void flip_bit(Network& net, std::size_t layer, std::size_t k, int b);
/// Position of bit b inside the stored byte (bit 7 = sign).
int byte_bit(int b, int bits);
/// Number of weight bits (count * q) of a layer / of the whole model.
std::size_t weight_bit_count(const Network& net, std::size_t layer);
std::size_t weight_bit_count(const Network& net);

}  // namespace snngx::snn
