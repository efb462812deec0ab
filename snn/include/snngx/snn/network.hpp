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
  bool operator==(const Quantization&) const = default;
};

/// The weights of a Linear or Conv2d layer. `values` is float32 in PyTorch layout; for a
/// quantized layer it always equals the dequantized `quant->weight_bits`.
struct Weights {
  std::vector<int> shape;  // [out, in] or [out, in, kh, kw]
  std::vector<float> values;
  std::optional<Quantization> quant;
  [[nodiscard]] std::size_t count() const { return values.size(); }
  bool operator==(const Weights&) const = default;
};

// `bias` is empty (no bias, the reference networks) or holds one float32 per output (channel),
// added after the weighted sum; it is never quantized or encrypted.
struct Linear {
  int in_features = 0, out_features = 0;
  Weights weight;
  std::vector<float> bias = {};
  bool operator==(const Linear&) const = default;
};
struct Conv2d {
  int in_channels = 0, out_channels = 0;
  std::array<int, 2> kernel{3, 3}, stride{1, 1}, padding{0, 0};
  Weights weight;
  std::vector<float> bias = {};
  bool one_d = false;  // imported from a NIR Conv1d: input [C,1,N], kernel [1,k] (kept for export)
  bool operator==(const Conv2d&) const = default;
};
struct Lif {
  float decay = 0.3f, threshold = 0.3f;
  bool operator==(const Lif&) const = default;
};
struct MaxPool2d {
  std::array<int, 2> kernel{2, 2}, stride{2, 2};
  bool operator==(const MaxPool2d&) const = default;
};
struct Flatten {
  bool operator==(const Flatten&) const = default;
};

/// Sum or average pooling with zero padding (NIR SumPool2d / AvgPool2d; the average divides by
/// kernel_h * kernel_w, padding included).
struct Pool2d {
  enum class Mode { Sum, Average };
  Mode mode = Mode::Sum;
  std::array<int, 2> kernel{2, 2}, stride{2, 2}, padding{0, 0};
  bool operator==(const Pool2d&) const = default;
};
/// Elementwise product with one factor per value (NIR Scale).
struct Scale {
  std::vector<float> factors;
  bool operator==(const Scale&) const = default;
};

/// The neuron models a Neuron layer runs (NIR's IF, LIF, CubaLIF, LI, I, Threshold).
enum class NeuronModel { If, Lif, CubaLif, Li, Integrator, Threshold };
std::string to_string(NeuronModel model);
NeuronModel parse_neuron_model(const std::string& name);  // "if" | "lif" | "cubalif" | "li" | "integrator" | "threshold"
[[nodiscard]] bool spiking(NeuronModel model);  // LI and Integrator output their membrane instead
enum class ResetMode { Zero, Subtract };  // v := v_reset, or v := v - v_threshold
std::string to_string(ResetMode mode);
ResetMode parse_reset_mode(const std::string& name);  // "zero" | "subtract"

/// A layer of neurons with NIR's continuous-time parameters, one value per neuron, run by forward
/// Euler at `dt` seconds (docs/formats.md gives the one equation per model). Vectors a model does
/// not use stay empty. `recurrent` ([n, n], row = target) feeds the layer's own output of the
/// previous step back into its input current, plus `recurrent_bias` (empty or n values).
struct Neuron {
  NeuronModel model = NeuronModel::Lif;
  ResetMode reset = ResetMode::Zero;
  double dt = 1e-4;
  std::vector<float> tau, tau_syn, r, v_leak, v_threshold, v_reset, w_in;
  std::optional<Weights> recurrent;
  std::vector<float> recurrent_bias;
  bool operator==(const Neuron&) const = default;
};

/// The per-neuron parameters a model reads, in a fixed order (tau, tau_syn, r, v_leak,
/// v_threshold, v_reset, w_in), and access to one by that name (file readers and writers).
std::vector<std::string> neuron_parameter_names(NeuronModel model);
std::vector<float>& neuron_parameter(Neuron& n, const std::string& name);
const std::vector<float>& neuron_parameter(const Neuron& n, const std::string& name);

/// One value of each parameter for every neuron of a layer (builders, `--spec` files).
struct NeuronParams {
  ResetMode reset = ResetMode::Zero;
  double dt = 1e-3;
  float tau = 1e-2f, tau_syn = 5e-3f, r = 1.0f, v_leak = 0.0f, v_threshold = 1.0f, v_reset = 0.0f, w_in = 1.0f;
};
/// A Neuron layer of `n` neurons with the parameters its model uses set to `p`'s (the others empty).
Neuron make_neuron(NeuronModel model, std::size_t n, const NeuronParams& p);

using Layer = std::variant<Linear, Conv2d, Lif, MaxPool2d, Flatten, Pool2d, Scale, Neuron>;
/// "linear", "conv2d", "lif", "maxpool2d", "flatten", "sumpool2d", "avgpool2d", "scale", "neuron"
std::string kind_name(const Layer& layer);

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

  /// Indices into `layers` of the Linear/Conv2d layers and the Neuron layers with recurrent
  /// weights, in order ("layer index" of the spec, what --layer counts).
  [[nodiscard]] std::vector<std::size_t> weighted_layers() const;
  [[nodiscard]] Weights& weights(std::size_t weighted_index);
  [[nodiscard]] const Weights& weights(std::size_t weighted_index) const;
  /// The bias of a weighted layer: a Linear/Conv2d bias or a Neuron's recurrent bias (may be empty).
  [[nodiscard]] std::vector<float>& bias(std::size_t weighted_index);
  [[nodiscard]] const std::vector<float>& bias(std::size_t weighted_index) const;
  [[nodiscard]] std::size_t num_weighted() const { return weighted_layers().size(); }
  /// Output shape of every layer (validates the whole chain; throws std::invalid_argument).
  [[nodiscard]] std::vector<Shape> layer_output_shapes() const;
  [[nodiscard]] bool quantized() const;
  [[nodiscard]] std::size_t parameter_count() const;
  bool operator==(const Network&) const = default;
};

/// Checks the network is runnable: shapes chain, weight, bias and per-neuron parameter sizes
/// match, the network ends in a LIF or Neuron layer with num_classes outputs, values are finite.
/// Throws std::invalid_argument naming the layer.
void validate(const Network& net);

/// True when the network uses only what the two reference architectures use (no bias, no Neuron,
/// Pool2d or Scale layer). Tools that implement only those kinds check this first.
[[nodiscard]] bool reference_kinds_only(const Network& net);
/// Throws std::invalid_argument("<who> supports ... ; layer i (kind) is not supported yet") unless
/// reference_kinds_only(net).
void require_reference_kinds(const Network& net, const std::string& who);

/// The reference networks. Weights are zero until `init_weights`.
Network make_nmnist_mlp();
Network make_dvsgesture_csnn();
/// SHD's recurrent network (Cramer et al. 2020): [1,1,700] -> 128 recurrent LIF -> 20 LIF.
Network make_shd_rsnn();
Network make_arch(const std::string& arch);  // "nmnist-mlp" | "dvsgesture-csnn" | "shd-rsnn"

/// PyTorch's default initialisation: kaiming-uniform with a = sqrt(5), i.e. U(-1/sqrt(fan_in),
/// 1/sqrt(fan_in)). Deterministic for a seed (own generator, independent of the C++ library).
void init_weights(Network& net, std::uint64_t seed);

}  // namespace snngx::snn
