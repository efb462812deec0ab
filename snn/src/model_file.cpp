#include "snngx/snn/model_file.hpp"

#include <array>
#include <bit>
#include <cmath>
#include <cstdio>
#include <span>
#include <stdexcept>

#include "snngx/datasets/h5.hpp"
#include "snngx/snn/quantize.hpp"

namespace snngx::snn {
namespace {
namespace fs = std::filesystem;
using h5::fail;

std::vector<std::int64_t> to64(const std::vector<int>& v) { return {v.begin(), v.end()}; }
std::array<int, 2> pair_attr(const H5::Group& g, const std::string& name, const std::string& where) {
  const auto v = h5::get_ints(g, name, where);
  if (v.size() == 1) return {static_cast<int>(v[0]), static_cast<int>(v[0])};
  if (v.size() != 2) fail(where, "attribute '" + name + "' must have 2 values, has " + std::to_string(v.size()));
  return {static_cast<int>(v[0]), static_cast<int>(v[1])};
}
int int_attr(const H5::Group& g, const std::string& name, const std::string& where) {
  const auto v = h5::get_int(g, name, where);
  if (v <= 0 || v > (1 << 30)) fail(where, "attribute '" + name + "' = " + std::to_string(v) + " is out of range");
  return static_cast<int>(v);
}

// Whether every value is finite, in one branch-free pass that the compiler vectorizes (an exponent
// of all ones is Inf or NaN). Callers look for the first bad index only when it fails.
bool all_finite(std::span<const float> values) {
  std::uint32_t bad = 0;
  for (const float x : values) bad |= static_cast<std::uint32_t>((std::bit_cast<std::uint32_t>(x) & 0x7f800000U) == 0x7f800000U);
  return bad == 0;
}

void require_finite(std::span<const float> values, const std::string& name, const std::string& where) {
  if (all_finite(values)) return;
  for (std::size_t k = 0; k < values.size(); ++k)
    if (!std::isfinite(values[k])) fail(where, "dataset '" + name + "' has NaN/Inf at index " + std::to_string(k));
}

// Whether weight_bits use no magnitude bit in `unused` and decode exactly to `values`, in one
// vectorizable pass: m * 2^e is dequantize()'s ldexp exactly for m <= 127 and e in -126..127.
bool bits_agree(std::span<const std::uint8_t> bits, std::span<const float> values, unsigned unused, int exponent) {
  const float scale = std::ldexp(1.0f, exponent);
  std::uint32_t bad = 0;
  for (std::size_t k = 0; k < bits.size(); ++k) {
    const std::uint8_t b = bits[k];
    const float magnitude = static_cast<float>(b & 0x7F) * scale;
    const float v = (b & 0x80) ? -magnitude : magnitude;
    bad |= (b & unused) | static_cast<std::uint32_t>(v != values[k]);
  }
  return bad == 0;
}

// Weight datasets carry an HDF5 Fletcher-32 checksum (one chunk per dataset), so a flipped bit in a
// float weight is a read error, not a silently different model. Files without it still load.
H5::DSetCreatPropList checksummed(const std::vector<hsize_t>& dims) {
  H5::DSetCreatPropList plist;
  plist.setChunk(static_cast<int>(dims.size()), dims.data());
  plist.setFletcher32();
  return plist;
}

// One float32 value per output / neuron (biases, neuron parameters, scale factors), checksummed.
void write_floats(H5::Group& g, const std::string& name, const std::vector<float>& values) {
  if (values.empty()) return;
  const std::vector<hsize_t> d{values.size()};
  H5::DataSet ds = g.createDataSet(name, H5::PredType::IEEE_F32LE, H5::DataSpace(1, d.data()), checksummed(d));
  ds.write(values.data(), H5::PredType::NATIVE_FLOAT);
}

std::vector<float> read_floats(const H5::Group& g, const std::string& name, std::size_t count, const std::string& where) {
  if (!g.nameExists(name)) fail(where, "dataset '" + name + "' missing");
  const H5::DataSet ds = g.openDataSet(name);
  const auto d = h5::dims(ds);
  if (d.size() != 1 || d[0] != count)
    fail(where, "dataset '" + name + "' has shape " + to_string(std::vector<int>(d.begin(), d.end())) + ", expected [" +
                    std::to_string(count) + "]");
  if (ds.getTypeClass() != H5T_FLOAT) fail(where, "dataset '" + name + "' must be float32");
  h5::check_storage(where, ds, name);
  std::vector<float> v(count);
  h5::read_whole(ds, H5::PredType::IEEE_F32LE, H5::PredType::NATIVE_FLOAT, v.data());
  require_finite(v, name, where);
  return v;
}

// Version 1 files have no biases; from version 2 a weighted layer may carry one (its output count).
std::vector<float> read_bias(const H5::Group& g, std::size_t count, int version, const std::string& where) {
  if (!g.nameExists("bias")) return {};
  if (version < 2) fail(where, "dataset 'bias' is not supported in a version 1 model file");
  return read_floats(g, "bias", count, where);
}

void write_weights(H5::Group& g, const Weights& w) {
  std::vector<hsize_t> d(w.shape.begin(), w.shape.end());
  H5::DataSet ds = g.createDataSet("weight", H5::PredType::IEEE_F32LE, H5::DataSpace(static_cast<int>(d.size()), d.data()),
                                   checksummed(d));
  ds.write(w.values.data(), H5::PredType::NATIVE_FLOAT);
  if (!w.quant) return;
  H5::DataSet bs = g.createDataSet("weight_bits", H5::PredType::STD_U8LE, H5::DataSpace(static_cast<int>(d.size()), d.data()),
                                   checksummed(d));
  bs.write(w.quant->weight_bits.data(), H5::PredType::NATIVE_UINT8);
  h5::set_attr(g, "bits", std::int64_t{w.quant->bits});
  h5::set_attr(g, "exponent", std::int64_t{w.quant->exponent});
  h5::set_attr(g, "quant_rule", to_string(w.quant->rule));
}

void read_weights(const H5::Group& g, Weights& w, const std::vector<int>& expect, bool quantized,
                  const std::string& where) {
  if (!g.nameExists("weight")) fail(where, "dataset 'weight' missing");
  const H5::DataSet ds = g.openDataSet("weight");
  const auto d = h5::dims(ds);
  const std::vector<int> got(d.begin(), d.end());
  if (got != expect) fail(where, "dataset 'weight' has shape " + to_string(got) + ", expected " + to_string(expect));
  if (ds.getTypeClass() != H5T_FLOAT) fail(where, "dataset 'weight' must be float32");
  h5::check_storage(where, ds, "weight");
  w.shape = expect;
  w.values.resize(numel(expect));
  h5::read_whole(ds, H5::PredType::IEEE_F32LE, H5::PredType::NATIVE_FLOAT, w.values.data());
  require_finite(w.values, "weight", where);
  if (!quantized) {
    if (g.nameExists("weight_bits")) fail(where, "dataset 'weight_bits' present in a float model");
    return;
  }
  if (!g.nameExists("weight_bits")) fail(where, "dataset 'weight_bits' missing (model state is quantized/encrypted)");
  const H5::DataSet bs = g.openDataSet("weight_bits");
  const auto bd = h5::dims(bs);
  if (std::vector<int>(bd.begin(), bd.end()) != expect)
    fail(where, "dataset 'weight_bits' shape differs from 'weight'");
  if (bs.getTypeClass() != H5T_INTEGER || bs.getDataType().getSize() != 1)
    fail(where, "dataset 'weight_bits' must be uint8");
  h5::check_storage(where, bs, "weight_bits");
  Quantization q;
  q.bits = static_cast<int>(h5::get_int(g, "bits", where));
  if (q.bits < 2 || q.bits > 8) fail(where, "attribute 'bits' = " + std::to_string(q.bits) + " is not in 2..8");
  const auto e = h5::get_int(g, "exponent", where);
  if (e < -126 || e > 127) fail(where, "attribute 'exponent' = " + std::to_string(e) + " is out of range");
  q.exponent = static_cast<int>(e);
  try {
    q.rule = parse_quant_rule(h5::get_string(g, "quant_rule", where));
  } catch (const std::invalid_argument& ex) {
    fail(where, ex.what());
  }
  q.weight_bits.resize(w.values.size());
  h5::read_whole(bs, H5::PredType::STD_U8LE, H5::PredType::NATIVE_UINT8, q.weight_bits.data());
  const unsigned unused = 0x7Fu & ~((1u << (q.bits - 1)) - 1u);
  if (bits_agree(q.weight_bits, w.values, unused, q.exponent)) {
    w.quant = std::move(q);
    return;
  }
  std::array<float, 256> decoded{};  // dequantize() of every byte, once (not an ldexp per weight)
  for (unsigned b = 0; b < decoded.size(); ++b) decoded[b] = dequantize(static_cast<std::uint8_t>(b), q.exponent);
  for (std::size_t k = 0; k < q.weight_bits.size(); ++k) {
    if (q.weight_bits[k] & unused)
      fail(where, "weight_bits[" + std::to_string(k) + "] uses magnitude bits above the declared " + std::to_string(q.bits) + " bits");
    const float v = decoded[q.weight_bits[k]];
    if (v != w.values[k])
      fail(where, "weight and weight_bits disagree at index " + std::to_string(k) + " (weight " +
                      std::to_string(w.values[k]) + ", weight_bits decode to " + std::to_string(v) + ")");
  }
  w.quant = std::move(q);
}

std::array<int, 2> padding_attr(const H5::Group& g, const std::string& where) {
  const auto p = pair_attr(g, "padding", where);
  if (p[0] < 0 || p[1] < 0 || p[0] > (1 << 20) || p[1] > (1 << 20)) fail(where, "attribute 'padding' is out of range");
  return p;
}

// A Neuron layer (version 2): attributes model, reset, dt; one dataset per parameter the model
// uses, each with one value per neuron; an optional group 'recurrent' holding weights like a
// linear layer's. The neuron count comes from the shape entering the layer.
Neuron read_neuron(const H5::Group& g, std::size_t count, bool quantized, const std::string& where) {
  Neuron n;
  try {
    n.model = parse_neuron_model(h5::get_string(g, "model", where));
    n.reset = parse_reset_mode(h5::get_string(g, "reset", where));
  } catch (const std::invalid_argument& e) {
    fail(where, e.what());
  }
  n.dt = h5::get_double(g, "dt", where);
  if (!(n.dt > 0.0) || !std::isfinite(n.dt)) fail(where, "attribute 'dt' must be a positive number of seconds");
  for (const auto& name : neuron_parameter_names(n.model)) neuron_parameter(n, name) = read_floats(g, name, count, where);
  if (g.nameExists("recurrent")) {
    const H5::Group r = g.openGroup("recurrent");
    const std::string rwhere = where + "/recurrent";
    Weights w;
    read_weights(r, w, {static_cast<int>(count), static_cast<int>(count)}, quantized, rwhere);
    n.recurrent = std::move(w);
    n.recurrent_bias = read_bias(r, count, 2, rwhere);
  }
  return n;
}

Layer read_layer(const H5::Group& g, bool quantized, int version, const Shape& in, const std::string& where) {
  const std::string kind = h5::get_string(g, "kind", where);
  const bool v1_kind = kind == "linear" || kind == "conv2d" || kind == "lif" || kind == "maxpool2d" || kind == "flatten";
  if (version < 2 && !v1_kind) fail(where, "layer kind '" + kind + "' needs model format version 2");
  if (kind == "linear") {
    Linear L;
    L.in_features = int_attr(g, "in_features", where);
    L.out_features = int_attr(g, "out_features", where);
    read_weights(g, L.weight, {L.out_features, L.in_features}, quantized, where);
    L.bias = read_bias(g, static_cast<std::size_t>(L.out_features), version, where);
    return L;
  }
  if (kind == "sumpool2d" || kind == "avgpool2d")
    return Pool2d{kind == "sumpool2d" ? Pool2d::Mode::Sum : Pool2d::Mode::Average, pair_attr(g, "kernel", where),
                  pair_attr(g, "stride", where), padding_attr(g, where)};
  if (kind == "scale") return Scale{read_floats(g, "factors", numel(in), where)};
  if (kind == "neuron") return read_neuron(g, numel(in), quantized, where);
  if (kind == "conv2d") {
    Conv2d C;
    C.in_channels = int_attr(g, "in_channels", where);
    C.out_channels = int_attr(g, "out_channels", where);
    C.kernel = pair_attr(g, "kernel", where);
    C.stride = pair_attr(g, "stride", where);
    C.padding = padding_attr(g, where);
    read_weights(g, C.weight, {C.out_channels, C.in_channels, C.kernel[0], C.kernel[1]}, quantized, where);
    C.bias = read_bias(g, static_cast<std::size_t>(C.out_channels), version, where);
    C.one_d = version >= 2 && h5::has_attr(g, "one_d") && h5::get_int(g, "one_d", where) != 0;
    return C;
  }
  if (kind == "lif") {
    Lif N;
    N.decay = static_cast<float>(h5::get_double(g, "decay", where));
    N.threshold = static_cast<float>(h5::get_double(g, "threshold", where));
    if (!std::isfinite(N.decay) || !std::isfinite(N.threshold)) fail(where, "decay/threshold must be finite");
    return N;
  }
  if (kind == "maxpool2d") return MaxPool2d{pair_attr(g, "kernel", where), pair_attr(g, "stride", where)};
  if (kind == "flatten") return Flatten{};
  fail(where, "unknown layer kind '" + kind + "'");
}

void write_layer(H5::Group& g, const Layer& layer) {
  h5::set_attr(g, "kind", kind_name(layer));
  if (const auto* L = std::get_if<Linear>(&layer)) {
    h5::set_attr(g, "in_features", std::int64_t{L->in_features});
    h5::set_attr(g, "out_features", std::int64_t{L->out_features});
    write_weights(g, L->weight);
    write_floats(g, "bias", L->bias);
  } else if (const auto* C = std::get_if<Conv2d>(&layer)) {
    h5::set_attr(g, "in_channels", std::int64_t{C->in_channels});
    h5::set_attr(g, "out_channels", std::int64_t{C->out_channels});
    h5::set_attr(g, "kernel", std::vector<std::int64_t>{C->kernel[0], C->kernel[1]});
    h5::set_attr(g, "stride", std::vector<std::int64_t>{C->stride[0], C->stride[1]});
    h5::set_attr(g, "padding", std::vector<std::int64_t>{C->padding[0], C->padding[1]});
    write_weights(g, C->weight);
    write_floats(g, "bias", C->bias);
    if (C->one_d) h5::set_attr(g, "one_d", std::int64_t{1});
  } else if (const auto* N = std::get_if<Lif>(&layer)) {
    h5::set_attr_f32(g, "decay", N->decay);
    h5::set_attr_f32(g, "threshold", N->threshold);
  } else if (const auto* P = std::get_if<MaxPool2d>(&layer)) {
    h5::set_attr(g, "kernel", std::vector<std::int64_t>{P->kernel[0], P->kernel[1]});
    h5::set_attr(g, "stride", std::vector<std::int64_t>{P->stride[0], P->stride[1]});
  } else if (const auto* Q = std::get_if<Pool2d>(&layer)) {
    h5::set_attr(g, "kernel", std::vector<std::int64_t>{Q->kernel[0], Q->kernel[1]});
    h5::set_attr(g, "stride", std::vector<std::int64_t>{Q->stride[0], Q->stride[1]});
    h5::set_attr(g, "padding", std::vector<std::int64_t>{Q->padding[0], Q->padding[1]});
  } else if (const auto* S = std::get_if<Scale>(&layer)) {
    write_floats(g, "factors", S->factors);
  } else if (const auto* n = std::get_if<Neuron>(&layer)) {
    h5::set_attr(g, "model", to_string(n->model));
    h5::set_attr(g, "reset", to_string(n->reset));
    h5::set_attr(g, "dt", n->dt);
    for (const auto& name : neuron_parameter_names(n->model)) write_floats(g, name, neuron_parameter(*n, name));
    if (n->recurrent) {
      H5::Group r = h5::create_group(g, "recurrent");
      write_weights(r, *n->recurrent);
      write_floats(r, "bias", n->recurrent_bias);
    }
  }
}

std::string group_name(std::size_t i) {
  const std::string digits = std::to_string(i);
  return std::string(digits.size() < 3 ? 3 - digits.size() : 0, '0') + digits;
}
}  // namespace

Network load_model(const fs::path& path) {
  const std::string file = path.string();
  H5::H5File f = h5::open_read(path);
  h5::expect_kind(f, file, "a model file");
  try {
    Network net;
    const std::string format = h5::get_string(f, "format", file);
    if (format != "snngx-model") fail(file, "attribute 'format' is '" + format + "', expected 'snngx-model'");
    const auto version = h5::get_int(f, "version", file);
    if (version < 1 || version > kModelFormatVersion)
      fail(file, "unsupported model format version " + std::to_string(version) + " (this build reads versions 1 to " +
                     std::to_string(kModelFormatVersion) + ")");
    net.arch = h5::get_string(f, "arch", file);
    net.time_steps = int_attr(f, "time_steps", file);
    for (const auto d : h5::get_ints(f, "input_shape", file)) {
      if (d <= 0 || d > (1 << 20)) fail(file, "attribute 'input_shape' has a bad dimension " + std::to_string(d));
      net.input_shape.push_back(static_cast<int>(d));
    }
    net.num_classes = int_attr(f, "num_classes", file);
    try {
      net.state = parse_model_state(h5::get_string(f, "state", file));
    } catch (const std::invalid_argument& e) {
      fail(file, e.what());
    }
    if (net.state == ModelState::Encrypted) net.key_fingerprint = h5::get_string(f, "key_fingerprint", file);
    if (!f.nameExists("layers")) fail(file, "group '/layers' missing");
    const H5::Group layers = f.openGroup("layers");
    const hsize_t n = layers.getNumObjs();
    Shape in = net.input_shape;  // the shape entering each layer sizes its per-neuron datasets
    for (hsize_t i = 0; i < n; ++i) {
      const std::string name = group_name(i);
      if (!layers.nameExists(name))
        fail(file, "group '/layers/" + name + "' missing (layers must be numbered 000, 001, ... without gaps)");
      const std::string where = file + ":/layers/" + name;
      net.layers.push_back(read_layer(layers.openGroup(name), net.state != ModelState::Float, static_cast<int>(version), in, where));
      try {
        in = net.layer_output_shapes().back();
      } catch (const std::invalid_argument& e) {
        fail(where, e.what());
      }
    }
    try {
      validate(net);
    } catch (const std::invalid_argument& e) {
      fail(file, e.what());
    }
    return net;
  } catch (const H5::Exception& e) {
    fail(file, "HDF5 error: " + e.getDetailMsg());
  }
}

void save_model(const fs::path& path, const Network& net) {
  validate(net);
  if (net.state != ModelState::Float && !net.quantized())
    throw std::invalid_argument("model state is " + to_string(net.state) + " but some layer has no weight_bits");
  h5::write_atomically(path, [&](const fs::path& tmp) {
    // The HDF5 1.8 file format (readable by HDF5 >= 1.8, h5py included) checksums the superblock
    // and every object header, where the attributes live: a flipped bit in a layer's kind, shape
    // or LIF constants is a read error too, not a silently different model (ModelFileFuzz).
    H5::H5File f = h5::create_checksummed_file(tmp);
    h5::set_attr(f, "format", std::string("snngx-model"));
    h5::set_attr(f, "version", std::int64_t{kModelFormatVersion});
    h5::set_attr(f, "arch", net.arch);
    h5::set_attr(f, "time_steps", std::int64_t{net.time_steps});
    h5::set_attr(f, "input_shape", to64(net.input_shape));
    h5::set_attr(f, "num_classes", std::int64_t{net.num_classes});
    h5::set_attr(f, "state", to_string(net.state));
    if (net.state == ModelState::Encrypted) h5::set_attr(f, "key_fingerprint", net.key_fingerprint);
    H5::Group layers = h5::create_group(f, "layers");
    for (std::size_t i = 0; i < net.layers.size(); ++i) {
      H5::Group g = h5::create_group(layers, group_name(i));
      write_layer(g, net.layers[i]);
    }
  });
}

}  // namespace snngx::snn
