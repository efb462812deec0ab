// Mapping of a network onto tiles, programming of the crossbars, key partitions, timing.
#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "model.hpp"
#include "snngx/snn/neuron_coefficients.hpp"
#include "snngx/snn/quantize.hpp"

namespace snngx::rram {

namespace {
int ceil_div(std::int64_t a, std::int64_t b) { return static_cast<int>((a + b - 1) / b); }
}  // namespace

double LayerMapping::utilisation(int tile_rows, int tile_cols) const {
  const double used = static_cast<double>(rows) * cols * slices;
  const double avail = static_cast<double>(tiles()) * tile_rows * tile_cols;
  return avail > 0 ? used / avail : 0.0;
}

int Mapping::tiles() const {
  int n = 0;
  for (const auto& l : layers) n += l.tiles();
  return n;
}

std::string Mapping::report() const {
  std::ostringstream os;
  os << "Mapping onto " << tile_rows << " x " << tile_cols << " tiles (G+/G- array pairs, " << bits_per_cell
     << " bit/cell)\n";
  os << "layer          rows  cols  reads/step  row_tiles  col_tiles  tiles  cols/tile  utilisation\n";
  for (const auto& l : layers) {
    char line[200];
    std::snprintf(line, sizeof line, "%-12s %6d %5d %11d %10d %10d %6d %10d %11.1f%%\n", l.name.c_str(), l.rows, l.cols,
                  l.positions, l.row_tiles, l.col_tiles, l.tiles(), l.cols_per_tile, 100.0 * l.utilisation(tile_rows, tile_cols));
    os << line;
  }
  os << "total tiles: " << tiles() << "\n";
  return os.str();
}

nlohmann::json Mapping::to_json() const {
  nlohmann::json j{{"tile_rows", tile_rows}, {"tile_columns", tile_cols}, {"bits_per_cell", bits_per_cell}, {"tiles", tiles()}};
  j["layers"] = nlohmann::json::array();
  for (const auto& l : layers)
    j["layers"].push_back({{"name", l.name}, {"rows", l.rows}, {"columns", l.cols}, {"reads_per_step", l.positions},
                           {"row_tiles", l.row_tiles}, {"col_tiles", l.col_tiles}, {"tiles", l.tiles()},
                           {"columns_per_tile", l.cols_per_tile}, {"slices", l.slices},
                           {"utilisation", l.utilisation(tile_rows, tile_cols)}});
  return j;
}

namespace {

// Whether layer i's output is whole numbers (spikes or counts), which the wordline drivers need:
// the software engine's rule (a quantized layer refuses real-valued inputs).
bool whole_number_output(const snn::Layer& layer, bool input_whole) {
  if (std::holds_alternative<snn::Linear>(layer) || std::holds_alternative<snn::Conv2d>(layer) ||
      std::holds_alternative<snn::Scale>(layer))
    return false;
  if (std::holds_alternative<snn::Lif>(layer)) return true;
  if (const auto* N = std::get_if<snn::Neuron>(&layer)) return snn::spiking(N->model);
  if (const auto* P = std::get_if<snn::Pool2d>(&layer)) return input_whole && P->mode == snn::Pool2d::Mode::Sum;
  return input_whole;  // MaxPool2d, Flatten
}

std::string layer_name(const snn::Network& net, std::size_t i) {
  return "model layer " + std::to_string(i) + " (" + snn::kind_name(net.layers[i]) + ")";
}

bool neuron_kind(const snn::Layer& layer) {
  return std::holds_alternative<snn::Lif>(layer) || std::holds_alternative<snn::Neuron>(layer);
}

}  // namespace

Mapping map_network(const snn::Network& net, const ChipConfig& config) {
  snn::validate(net);
  Mapping map;
  map.tile_rows = config.get_int("crossbar", "rows");
  map.tile_cols = config.get_int("crossbar", "columns");
  map.bits_per_cell = config.get_int("crossbar", "bits_per_cell");
  const int slices = ceil_div(7, map.bits_per_cell);
  const int cols_per_tile = map.tile_cols / slices;
  if (cols_per_tile < 1)
    throw std::invalid_argument("crossbar.columns: " + std::to_string(map.tile_cols) + " columns cannot hold one weight (" +
                                std::to_string(slices) + " slices of " + std::to_string(map.bits_per_cell) + " bits)");
  const auto tree = make_component<IAdderTree>(config);
  const auto shapes = net.layer_output_shapes();
  const auto place = [&](LayerMapping& m, const snn::Weights& weights, std::size_t i) {
    if (!weights.quant || weights.quant->bits != 8)
      throw std::invalid_argument(layer_name(net, i) + " (" + m.name +
                                  "): the accelerator needs 8-bit quantized weights (quantize the model first)");
    if (m.rows > 65535 || m.cols > 65535)
      throw std::invalid_argument(m.name + ": more than 65535 rows or columns do not fit the key store's 16-bit fields");
    m.slices = slices;
    m.cols_per_tile = cols_per_tile;
    m.row_tiles = ceil_div(m.rows, map.tile_rows);
    m.col_tiles = ceil_div(m.cols, cols_per_tile);
    m.tree_levels = tree->levels(m.row_tiles);
    map.layers.push_back(m);
  };
  std::size_t w = 0;
  bool whole = true;  // the frames are event counts
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const auto& layer = net.layers[i];
    const bool lin = std::holds_alternative<snn::Linear>(layer), conv = std::holds_alternative<snn::Conv2d>(layer);
    if (neuron_kind(layer) && (i == 0 || !(std::holds_alternative<snn::Linear>(net.layers[i - 1]) ||
                                           std::holds_alternative<snn::Conv2d>(net.layers[i - 1]))))
      throw std::invalid_argument(layer_name(net, i) +
                                  ": the chip's neuron units sit behind the crossbars; a neuron layer must follow a Linear or Conv2d layer");
    if (!lin && !conv) {
      whole = whole_number_output(layer, whole);
      continue;
    }
    if (!whole)
      throw std::invalid_argument(layer_name(net, i) + ": the wordline drivers take whole-number inputs (spikes or counts), but " +
                                  layer_name(net, i - 1) + " outputs real values");
    if (i + 1 >= net.layers.size() || !neuron_kind(net.layers[i + 1]))
      throw std::invalid_argument(layer_name(net, i) + ": a weighted layer must be followed by a LIF or Neuron layer to be mapped");
    LayerMapping m;
    m.name = "L" + std::to_string(w) + (lin ? " linear" : " conv2d");
    m.layer_index = i;
    m.weighted_index = w;
    m.conv = conv;
    m.lif_index = i + 1;
    if (lin) {
      const auto& L = std::get<snn::Linear>(layer);
      m.rows = L.in_features;
      m.cols = L.out_features;
      m.positions = 1;
    } else {
      const auto& C = std::get<snn::Conv2d>(layer);
      m.rows = C.in_channels * C.kernel[0] * C.kernel[1];
      m.cols = C.out_channels;
      m.positions = shapes[i][1] * shapes[i][2];
    }
    const auto neurons = static_cast<std::uint64_t>(m.cols) * static_cast<std::uint64_t>(m.positions);
    const auto* N = std::get_if<snn::Neuron>(&net.layers[i + 1]);
    m.fires = !(N && N->recurrent);
    if (!m.fires && !snn::spiking(N->model))
      throw std::invalid_argument(layer_name(net, i + 1) + ": recurrent weights of a non-spiking neuron layer cannot be driven by spikes");
    m.neurons = m.fires ? neurons : 0;
    place(m, net.weights(w), i);
    ++w;
    if (!m.fires) {
      // The recurrent weights [n, n] on tiles of their own, read by the layer's previous spikes.
      LayerMapping r;
      r.name = "L" + std::to_string(w) + " recurrent";
      r.layer_index = r.lif_index = i + 1;
      r.weighted_index = w;
      r.recurrent = true;
      r.rows = r.cols = static_cast<int>(neurons);
      r.neurons = neurons;
      place(r, net.weights(w), i + 1);
      ++w;
    }
    whole = whole_number_output(net.layers[i + 1], true);
    ++i;  // the neuron layer belongs to this mapping
  }
  if (map.layers.empty()) throw std::invalid_argument("model has no Linear or Conv2d layer to map");
  return map;
}

std::vector<std::vector<KeyEntry>> key_entries(const snn::Network& stored, const crypto::XorKey& key) {
  std::vector<std::vector<KeyEntry>> out(stored.num_weighted());
  for (const auto& lk : key.layers) {
    if (lk.layer >= stored.num_weighted())
      throw std::invalid_argument("key: layer " + std::to_string(lk.layer) + " does not exist (the model has " +
                                  std::to_string(stored.num_weighted()) + " weighted layers)");
    const auto& wts = stored.weights(lk.layer);
    if (!wts.quant) throw std::invalid_argument("key: layer " + std::to_string(lk.layer) + " of the model is not quantized");
    const int q = wts.quant->bits;
    if (lk.bits_per_weight != q || lk.total_bits != wts.quant->weight_bits.size() * static_cast<std::uint64_t>(q))
      throw std::invalid_argument("key: layer " + std::to_string(lk.layer) + " has q=" + std::to_string(lk.bits_per_weight) +
                                  " and " + std::to_string(lk.total_bits) + " bits; the model layer has q=" + std::to_string(q) +
                                  " and " + std::to_string(wts.quant->weight_bits.size() * static_cast<std::uint64_t>(q)));
    // Flipped bits grouped by weight (positions are sorted, so weights come in order).
    const std::size_t per_row = wts.shape.size() == 4 ? static_cast<std::size_t>(wts.shape[1]) * wts.shape[2] * wts.shape[3]
                                                       : static_cast<std::size_t>(wts.shape[1]);
    std::size_t i = 0;
    while (i < lk.positions.size()) {
      const std::uint64_t k = lk.positions[i] / static_cast<std::uint64_t>(q);
      std::uint8_t mask = 0;
      for (; i < lk.positions.size() && lk.positions[i] / static_cast<std::uint64_t>(q) == k; ++i)
        mask = static_cast<std::uint8_t>(mask | (1U << snn::byte_bit(static_cast<int>(lk.positions[i] % q), q)));
      if (k >= wts.quant->weight_bits.size()) throw std::invalid_argument("key: position out of range in layer " + std::to_string(lk.layer));
      const std::uint8_t s = wts.quant->weight_bits[k];
      const std::uint8_t p = static_cast<std::uint8_t>(s ^ mask);
      KeyEntry e;
      e.col = static_cast<std::uint16_t>(k / per_row);
      e.row = static_cast<std::uint16_t>(k % per_row);
      e.corr = snn::signed_magnitude(p) - snn::signed_magnitude(s);
      out[lk.layer].push_back(e);
    }
  }
  return out;
}

namespace detail {

std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  std::uint64_t z = a ^ (b + 0x9E3779B97F4A7C15ULL + (a << 6) + (a >> 2));
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
double uniform01(std::uint64_t h) { return (static_cast<double>(h >> 11) + 0.5) * 0x1.0p-53; }
double normal(std::uint64_t h) {
  const double u1 = uniform01(h), u2 = uniform01(mix(h, 0x5DEECE66DULL));
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

void engine_request(std::span<const ActiveRow> rows, int tile_rows, int rt, int pulse, CorrectionRequest& request) {
  request.active.assign(static_cast<std::size_t>((tile_rows + 63) / 64), 0);
  for (const auto& a : rows)
    if (a.row / tile_rows == rt && a.count >= pulse) {
      const int r = a.row - rt * tile_rows;
      request.active[static_cast<std::size_t>(r / 64)] |= std::uint64_t{1} << (r % 64);
    }
}

void count_request(const KeyImage& image, const CorrectionRequest& request, Counters& C) {
  const auto cols = static_cast<std::size_t>(image.params.cols);
  ++C.decrypt_requests;
  C.decrypt_cycles += static_cast<std::uint64_t>(image.work(request));
  for (std::size_t w = 0; w < request.active.size(); ++w)
    for (std::uint64_t m = request.active[w] & image.keyed[w]; m; m &= m - 1) {
      const std::size_t r = w * 64 + static_cast<std::size_t>(std::countr_zero(m));
      ++C.key_row_reads;
      for (std::size_t c = 0; c < cols; ++c) C.corrections += image.words[r * cols + c] != 0;
    }
}

int ChipLayer::tile_col_count(int ct) const { return std::min(m.cols_per_tile, m.cols - ct * m.cols_per_tile); }

Chip::Chip(const snn::Network& stored, const ChipConfig& config)
    : net(stored),
      cfg(config),
      crossbar(make_component<ICrossbar>(cfg)),
      wordline(make_component<IWordlineDriver>(cfg)),
      adc(make_component<IAdc>(cfg)),
      shift_add(make_component<IShiftAdd>(cfg)),
      key_store(make_component<IKeyStore>(cfg)),
      io(make_component<IFrameInterface>(cfg)),
      lif(make_component<ILifUnit>(cfg)),
      buffer(make_component<ISpikeBuffer>(cfg)),
      controller(make_component<Controller>(cfg)) {
  map = map_network(net, cfg);
  shapes = net.layer_output_shapes();
  slices = crossbar->slices();
  timing.settle = crossbar->settle_cycles();
  timing.columns_per_adc = adc->columns_per_adc();
  timing.conversion_cycles = adc->conversion_cycles();
  timing.window = read_window(*crossbar, *adc);
  timing.lif_units = lif->units();
  timing.issue = wordline->issue_cycles();
  if (timing.columns_per_adc > map.tile_cols)
    throw std::invalid_argument("adc.columns_per_adc: " + std::to_string(timing.columns_per_adc) +
                                " is more than the tile's columns (" + std::to_string(map.tile_cols) + ")");
  physical = !crossbar->exact() || !adc->lossless() || !shift_add->exact();

  du_name = cfg.impl("decryption_unit");
  du_params.rows = map.tile_rows;
  du_params.cols = map.layers.front().cols_per_tile;
  du_params.lanes = cfg.get_int("decryption_unit", "lanes");
  engines = cfg.get_int("decryption_unit", "engines");
  if (has_unit()) {
    if (map.tile_rows > 128)
      throw std::invalid_argument("crossbar.rows: the decryption engines serve tiles of at most 128 rows, the chip has " +
                                  std::to_string(map.tile_rows) + " (or choose decryption_unit: none)");
    if (du_params.cols > 128)
      throw std::invalid_argument("crossbar.columns: tiles of " + std::to_string(du_params.cols) +
                                  " logical columns; the decryption engines serve at most 128 (or choose decryption_unit: none)");
    if (du_params.lanes > map.tile_rows)
      throw std::invalid_argument("decryption_unit.lanes: " + std::to_string(du_params.lanes) + " banks for tiles of " +
                                  std::to_string(map.tile_rows) + " rows (at most one bank per row)");
    du_params.validate();
  }

  for (std::size_t l = 0; l < map.layers.size(); ++l) layers.push_back(make_layer(l));
  key.assign(layers.size(), {});
}

ChipLayer Chip::make_layer(std::size_t l) {
  const LayerMapping& m = map.layers[l];
  const bool first = l == 0;
  ChipLayer L;
  L.m = m;
  const auto& wts = net.weights(m.weighted_index);
  // The neurons' feed-forward layer: this one, or for recurrent rows the mapping before them.
  const LayerMapping& ff = m.recurrent ? map.layers[l - 1] : m;
  const auto& ff_wts = net.weights(ff.weighted_index);
  L.neurons.scale = std::ldexp(1.0f, ff_wts.quant->exponent);
  L.neurons.columns = static_cast<std::size_t>(ff.cols);
  L.neurons.positions = static_cast<std::size_t>(ff.positions);
  L.neurons.bias = net.bias(ff.weighted_index);
  const snn::Layer& unit = net.layers[m.lif_index];
  if (const auto* lif = std::get_if<snn::Lif>(&unit)) {
    L.neurons.decay = lif->decay;
    L.neurons.threshold = lif->threshold;
  } else {
    const auto& N = std::get<snn::Neuron>(unit);
    EulerNeuron e;
    e.k = snn::neuron_coefficients(N, snn::numel(shapes[m.lif_index]));
    if (N.recurrent) {
      e.recurrent = true;
      e.recurrent_scale = std::ldexp(1.0f, N.recurrent->quant->exponent);
      e.recurrent_bias = N.recurrent_bias;
    }
    L.cuba = e.k.cuba;
    L.neurons.euler = std::move(e);
  }
  const snn::Shape in_shape = m.recurrent ? shapes[m.layer_index] : m.layer_index == 0 ? net.input_shape : shapes[m.layer_index - 1];
  L.in_numel = snn::numel(in_shape);
  L.out_numel = snn::numel(shapes[m.lif_index]);
  L.first = first;
  // Counts (frames, or a sum pool's outputs) take input_bits per value in the buffers, spikes one.
  L.count_input = first;
  if (!m.recurrent)
    for (std::size_t i = m.layer_index; i-- > 0 && !neuron_kind(net.layers[i]);)
      L.count_input = L.count_input || std::holds_alternative<snn::Pool2d>(net.layers[i]);
  if (m.conv) {
    const auto& C = std::get<snn::Conv2d>(net.layers[m.layer_index]);
    L.cin = C.in_channels;
    L.window = snn::geometry::window(C, in_shape);
  }
  // PyTorch layout [out][rows] -> crossbar layout [rows][out].
  const auto rows = static_cast<std::size_t>(m.rows), cols = static_cast<std::size_t>(m.cols);
  std::vector<std::int16_t> w(rows * cols);
  for (std::size_t o = 0; o < cols; ++o)
    for (std::size_t r = 0; r < rows; ++r)
      w[r * cols + o] = static_cast<std::int16_t>(snn::signed_magnitude(wts.quant->weight_bits[o * rows + r]));
  crossbar->program(m.weighted_index, m.rows, m.cols, w);
  return L;
}

void Chip::set_key(std::vector<std::vector<KeyEntry>> entries) {
  if (entries.size() != layers.size())
    throw std::invalid_argument("key store: " + std::to_string(entries.size()) + " layers of key entries for a model with " +
                                std::to_string(layers.size()) + " weighted layers");
  // Partition first (entries are checked even on a chip without the unit, which keeps none),
  // then bind: all or nothing.
  std::vector<std::map<int, ChipLayer::TileKey>> bound(layers.size());
  std::size_t tiles = 0;
  std::string per_layer;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const auto& L = layers[l];
    const TileGrid grid{L.m.name, L.m.rows, L.m.cols, map.tile_rows, L.m.cols_per_tile, L.m.col_tiles};
    for (auto& [tile, es] : key_store->partition(grid, entries[l])) {
      KeyImage image(du_params, es);
      bound[l].emplace(tile, ChipLayer::TileKey{std::move(es), std::move(image)});
    }
    tiles += bound[l].size();
    if (!bound[l].empty()) per_layer += (per_layer.empty() ? "" : ", ") + L.m.name + ": " + std::to_string(bound[l].size());
  }
  if (has_unit() && tiles > static_cast<std::size_t>(engines))
    throw std::invalid_argument("decryption_unit.engines: the key touches " + std::to_string(tiles) + " crossbar tiles (" +
                                per_layer + "), one engine each, and the unit has " + std::to_string(engines) +
                                " engines (raise decryption_unit.engines)");
  for (std::size_t l = 0; l < layers.size(); ++l) {
    layers[l].tile_keys = has_unit() ? std::move(bound[l]) : std::map<int, ChipLayer::TileKey>{};
  }
  key = std::move(entries);
}

std::size_t Chip::engines_bound() const {
  std::size_t n = 0;
  for (const auto& L : layers) n += L.tile_keys.size();
  return n;
}

void Chip::gather(const ChipLayer& L, std::span<const float> x, Reads& reads) const {
  reads.rows.clear();
  reads.offsets.assign(static_cast<std::size_t>(L.m.positions) + 1, 0);
  if (!L.m.conv) {
    for (int i = 0; i < L.m.rows; ++i)
      if (x[static_cast<std::size_t>(i)] > 0.0f) reads.rows.push_back({i, static_cast<std::int32_t>(x[static_cast<std::size_t>(i)])});
    reads.offsets[1] = static_cast<std::int32_t>(reads.rows.size());
    wordline->drive(reads.rows);
    return;
  }
  // Conv: im2col row r = (c*kh + ky)*kw + kx of output pixel (oy, ox) reads input (c, iy, ix) of
  // its receptive field (snn::geometry; taps in the padding read zeros and are never listed).
  const auto& win = L.window;
  const int H = win.y.in, W = win.x.in, OW = win.out_width(), kh = win.y.kernel, kw = win.x.kernel;
  auto visit = [&](auto&& emit) {
    for (int oy = 0; oy < win.out_height(); ++oy)
      for (int ox = 0; ox < OW; ++ox) {
        const int p = oy * OW + ox;
        for (int c = 0; c < L.cin; ++c)
          win.receptive_field(oy, ox, [&](int ky, int kx, int iy, int ix) {
            const float v = x[(static_cast<std::size_t>(c) * H + iy) * W + ix];
            if (v > 0.0f) emit(p, (c * kh + ky) * kw + kx, static_cast<std::int32_t>(v));
          });
      }
  };
  visit([&](int p, int r, std::int32_t n) {
    reads.rows.push_back({r, n});
    reads.offsets[static_cast<std::size_t>(p) + 1]++;
  });
  for (std::size_t p = 1; p < reads.offsets.size(); ++p) reads.offsets[p] += reads.offsets[p - 1];
  wordline->drive(reads.rows);
}

void Chip::gather_active(const ChipLayer& L, std::span<const ActiveRow> inputs, Reads& reads) const {
  reads.rows.clear();
  reads.offsets.assign(static_cast<std::size_t>(L.m.positions) + 1, 0);
  if (!L.m.conv) {
    reads.rows.assign(inputs.begin(), inputs.end());  // row = input feature
    reads.offsets[1] = static_cast<std::int32_t>(reads.rows.size());
    wordline->drive(reads.rows);
    return;
  }
  // Input (c, iy, ix) is im2col row (c*kh + ky)*kw + kx of every output pixel it reaches
  // (snn::geometry). Inputs come in ascending (c, iy, ix) order and one input reaches each position
  // at most once, so each position's rows come out ascending, as gather emits them.
  const auto& win = L.window;
  const int W = win.x.in, plane = win.y.in * W, OW = win.out_width(), kh = win.y.kernel, kw = win.x.kernel;
  const auto each_target = [&](const ActiveRow& in, auto&& emit) {
    const int c = in.row / plane, iy = (in.row % plane) / W, ix = in.row % W;
    win.outputs_reached(iy, ix, [&](int ky, int kx, int oy, int ox) { emit(oy * OW + ox, (c * kh + ky) * kw + kx); });
  };
  for (const auto& in : inputs) each_target(in, [&](int p, int) { reads.offsets[static_cast<std::size_t>(p) + 1]++; });
  for (std::size_t p = 1; p < reads.offsets.size(); ++p) reads.offsets[p] += reads.offsets[p - 1];
  reads.rows.resize(static_cast<std::size_t>(reads.offsets.back()));
  std::vector<std::int32_t> next(reads.offsets.begin(), reads.offsets.end() - 1);  // fill cursor per position
  for (const auto& in : inputs)
    each_target(in, [&](int p, int r) { reads.rows[static_cast<std::size_t>(next[static_cast<std::size_t>(p)]++)] = {r, in.count}; });
  wordline->drive(reads.rows);
}

std::uint64_t Chip::layer_cycles(const ChipLayer& L, std::span<const int> pulses_per_read, std::uint64_t added) const {
  return controller->layer_cycles(LayerTiming{timing.window, L.m.tree_levels, L.m.neurons, timing.lif_units, timing.issue},
                                  pulses_per_read) +
         added;
}

}  // namespace detail
}  // namespace snngx::rram

namespace snngx::rram::detail {

bool Chip::takes_active_inputs() const {
  for (std::size_t i = 0; i < layers.front().m.layer_index; ++i)
    if (!std::holds_alternative<snn::Flatten>(net.layers[i])) return false;
  return true;
}

void StepLoader::load(const IFrameInterface& io, const SampleInput& in, std::size_t t, std::size_t in_size, std::vector<float>& act,
                      std::vector<ActiveRow>* active) {
  if (!in.sparse) {
    io.load(in.dense.subspan(t * in_size, in_size), act);
    return;
  }
  // Cells of step t: indices in [t * in_size, (t + 1) * in_size), ascending, after the previous step's.
  if (t == 0) next_ = 0;
  const datasets::SparseSample& sample = *in.sparse;
  const std::uint64_t base = static_cast<std::uint64_t>(t) * in_size;
  std::size_t end = next_;
  while (end < sample.size() && sample.index[end] < base + in_size) ++end;
  local_.resize(end - next_);
  for (std::size_t j = next_; j < end; ++j) local_[j - next_] = static_cast<std::uint32_t>(sample.index[j] - base);
  const auto counts = sample.count.subspan(next_, end - next_);
  next_ = end;
  if (active) {
    io.load_active(local_, counts, *active);
    return;
  }
  dense_.assign(in_size, 0);
  for (std::size_t j = 0; j < local_.size(); ++j) dense_[local_[j]] = counts[j];
  io.load(dense_, act);
}

void check_sparse_sample(const datasets::SparseSample& sample, int steps, std::size_t in_size) {
  if (steps <= 0) throw std::invalid_argument("sample has no time steps");
  const std::uint64_t cells = static_cast<std::uint64_t>(steps) * in_size;
  for (std::size_t k = 0; k < sample.size(); ++k)
    if (sample.index[k] >= cells || (k > 0 && sample.index[k] <= sample.index[k - 1]) || sample.count[k] == 0)
      throw std::invalid_argument("sparse sample: cell " + std::to_string(k) + " is out of range, out of order or zero");
}

}  // namespace snngx::rram::detail
