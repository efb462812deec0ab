#pragma once
// Network description: a list of layers executed in order at every time step (spec:
// snngx-algorithm.md sections 1-2, model-format.md). Layouts are PyTorch's.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace snngx::snn {

enum class QuantRule { MaxAbs, Reference };
enum class ModelState { Float, Quantized, Encrypted };

std::string to_string(QuantRule rule);
QuantRule parse_quant_rule(const std::string& name);  // "max_abs" | "reference"
std::string to_string(ModelState state);
ModelState parse_model_state(const std::string& name);  // "float" | "quantized" | "encrypted"

/// Sign-magnitude fixed-point weights of one layer: byte k holds weight k (row-major), bit 7 is
/// the sign, bits (q-2)..0 the magnitude; value = (-1)^sign * magnitude * 2^exponent.
struct Quantization {
  int bits = 8;
  int exponent = 0;
  QuantRule rule = QuantRule::MaxAbs;
  std::vector<std::uint8_t> weight_bits;
};

/// The weights of a Linear or Conv2d layer. `values` is float32 in PyTorch layout; for a
/// quantized layer it always equals the dequantized `quant->weight_bits`.
struct Weights {
  std::vector<int> shape;  // [out, in] or [out, in, kh, kw]
  std::vector<float> values;
  std::optional<Quantization> quant;
  [[nodiscard]] std::size_t count() const { return values.size(); }
};

struct Linear {
  int in_features = 0, out_features = 0;
  Weights weight;
};
struct Conv2d {
  int in_channels = 0, out_channels = 0;
  std::array<int, 2> kernel{3, 3}, stride{1, 1}, padding{0, 0};
  Weights weight;
};
struct Lif {
  float decay = 0.3f, threshold = 0.3f;
};
struct MaxPool2d {
  std::array<int, 2> kernel{2, 2}, stride{2, 2};
};
struct Flatten {};

using Layer = std::variant<Linear, Conv2d, Lif, MaxPool2d, Flatten>;
std::string kind_name(const Layer& layer);  // "linear", "conv2d", "lif", "maxpool2d", "flatten"

/// Activation shape: [C, H, W] or [F].
using Shape = std::vector<int>;
std::size_t numel(const Shape& shape);
std::string to_string(const Shape& shape);

struct Network {
  std::string arch;
  int time_steps = 15;
  Shape input_shape;
  int num_classes = 0;
  ModelState state = ModelState::Float;
  std::string key_fingerprint;  // encrypted models only
  std::vector<Layer> layers;

  /// Indices into `layers` of the Linear/Conv2d layers, in order ("layer index" of the spec).
  [[nodiscard]] std::vector<std::size_t> weighted_layers() const;
  [[nodiscard]] Weights& weights(std::size_t weighted_index);
  [[nodiscard]] const Weights& weights(std::size_t weighted_index) const;
  [[nodiscard]] std::size_t num_weighted() const { return weighted_layers().size(); }
  /// Output shape of every layer (validates the whole chain; throws std::invalid_argument).
  [[nodiscard]] std::vector<Shape> layer_output_shapes() const;
  [[nodiscard]] bool quantized() const;
  [[nodiscard]] std::size_t parameter_count() const;
};

/// Checks the network is runnable: shapes chain, weight sizes match, the network ends in a LIF
/// layer with num_classes neurons, values are finite. Throws std::invalid_argument.
void validate(const Network& net);

/// The reference networks. Weights are zero until `init_weights`.
Network make_nmnist_mlp();
Network make_dvsgesture_csnn();
Network make_arch(const std::string& arch);  // "nmnist-mlp" | "dvsgesture-csnn"

/// PyTorch's default initialisation: kaiming-uniform with a = sqrt(5), i.e. U(-1/sqrt(fan_in),
/// 1/sqrt(fan_in)). Deterministic for a seed (own generator, independent of the C++ library).
void init_weights(Network& net, std::uint64_t seed);

}  // namespace snngx::snn
