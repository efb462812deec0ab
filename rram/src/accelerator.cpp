// Fast (transaction-level) mode: the same reads, pulses, conversions and corrections as the
// clocked model, computed per read with event counters and cycles from the timing formula.
#include "snngx/io/threads.hpp"
#include "snngx/rram/accelerator.hpp"
#include "snngx/snn/geometry.hpp"
#include "snngx/io/errors.hpp"

#include <tbb/global_control.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "model.hpp"
#include "snngx/snn/inference.hpp"

namespace snngx::rram {

Counters& Counters::operator+=(const Counters& o) {
  tile_reads += o.tile_reads, wordlines += o.wordlines, cell_reads += o.cell_reads, adc_conversions += o.adc_conversions;
  shift_adds += o.shift_adds, adder_adds += o.adder_adds, lif_updates += o.lif_updates;
  neuron_adds += o.neuron_adds;
  buffer_read_bits += o.buffer_read_bits, buffer_write_bits += o.buffer_write_bits;
  decrypt_requests += o.decrypt_requests, key_row_reads += o.key_row_reads, corrections += o.corrections;
  decrypt_cycles += o.decrypt_cycles, added_cycles += o.added_cycles, cycles += o.cycles;
  return *this;
}

nlohmann::json Counters::to_json() const {
  return {{"tile_reads", tile_reads}, {"wordlines", wordlines}, {"cell_reads", cell_reads}, {"adc_conversions", adc_conversions},
          {"shift_adds", shift_adds}, {"adder_adds", adder_adds}, {"lif_updates", lif_updates},
          {"neuron_adds", neuron_adds},
          {"buffer_read_bits", buffer_read_bits}, {"buffer_write_bits", buffer_write_bits},
          {"decrypt_requests", decrypt_requests}, {"key_row_reads", key_row_reads}, {"corrections", corrections},
          {"decrypt_cycles", decrypt_cycles}, {"added_cycles", added_cycles}, {"cycles", cycles}};
}

Counters SampleResult::total() const {
  Counters c;
  for (const auto& l : per_layer) c += l;
  return c;
}
Counters RunResult::total() const {
  Counters c;
  for (const auto& l : per_layer) c += l;
  return c;
}
double RunResult::accuracy() const {
  if (predictions.empty()) return 0.0;
  std::size_t ok = 0;
  for (std::size_t i = 0; i < predictions.size(); ++i) ok += predictions[i] == labels[i];
  return static_cast<double>(ok) / static_cast<double>(predictions.size());
}

Mode parse_mode(const std::string& name) {
  if (name == "fast") return Mode::Fast;
  if (name == "cycle") return Mode::Cycle;
  throw io::ParameterError("{mode}: unknown mode '" + name + "' (fast | cycle)");
}
std::string to_string(Mode mode) { return mode == Mode::Fast ? "fast" : "cycle"; }

namespace {

using detail::ActiveRow;
using detail::Chip;
using detail::ChipLayer;
using detail::SampleInput;
using detail::check_sparse_sample;
using detail::StepLoader;

// Per-call workspace: the engines bound to keyed tiles (an engine has pipeline state) and scratch.
struct Workspace {
  std::map<std::pair<std::size_t, int>, std::unique_ptr<IDecryptionUnit>> units;
  Chip::Reads reads;
  std::vector<std::int64_t> acc, codes;
  std::vector<double> cur;
  std::vector<int> tile_sum, tile_max, pulses;
  std::vector<std::int32_t> corr;
  CorrectionRequest request;
  std::uint64_t added = 0;  // cycles the engines added in this layer and step
  std::vector<ActiveRow> active;  // sparse input: the first layer's active inputs of this step

  IDecryptionUnit& unit(const Chip& chip, std::size_t layer, int tile) {
    auto& u = units[{layer, tile}];
    if (!u) {
      u = make_decryption_unit(chip.du_name, chip.du_params);
      u->load_key(chip.layers[layer].tile_keys.at(tile).entries);
    }
    return *u;
  }
};

// The decryption engines of one read: per pulse, every keyed tile whose row tile is driven sends
// its active rows; the answers are added to the partial sums; a pulse whose slowest engine
// answers after the read window is stretched and the extra cycles are counted.
void decrypt_read(const Chip& chip, std::size_t l, std::span<const ActiveRow> rows, Workspace& ws, std::span<std::int64_t> acc,
                  Counters& C) {
  const ChipLayer& L = chip.layers[l];
  if (L.tile_keys.empty()) return;
  const int R = chip.map.tile_rows;
  const int pulses = *std::max_element(ws.tile_max.begin(), ws.tile_max.end());
  ws.corr.resize(static_cast<std::size_t>(chip.du_params.cols));
  for (int k = 1; k <= pulses; ++k) {
    int slowest = 0;
    for (const auto& [tile, key] : L.tile_keys) {
      const int rt = tile / L.m.col_tiles, ct = tile % L.m.col_tiles;
      if (ws.tile_max[static_cast<std::size_t>(rt)] < k) continue;  // this row tile is not driven by pulse k
      detail::engine_request(rows, R, rt, k, ws.request);
      const int latency = ws.unit(chip, l, tile).correct(ws.request, ws.corr);
      slowest = std::max(slowest, latency);
      detail::count_request(key.image, ws.request, C);
      const int c0 = L.tile_col_begin(ct), nc = L.tile_col_count(ct);
      for (int j = 0; j < nc; ++j) acc[static_cast<std::size_t>(c0 + j)] += ws.corr[static_cast<std::size_t>(j)];
    }
    const std::uint64_t extra = chip.pulse_extra(slowest);
    C.added_cycles += extra;
    ws.added += extra;
  }
}

// The per-column path of one read: per row tile and pulse, bitline currents, ADC codes, shift-add
// across slices, G+ minus G-.
void read_physical(const Chip& chip, const ChipLayer& L, std::span<const ActiveRow> rows, TileRead read, Workspace& ws,
                   std::span<std::int64_t> acc) {
  const int R = chip.map.tile_rows;
  const auto S = static_cast<std::size_t>(chip.slices);
  ws.cur.resize(acc.size() * 2 * S);
  ws.codes.resize(ws.cur.size());
  std::size_t begin = 0;
  for (int rt = 0; rt < L.m.row_tiles; ++rt) {
    std::size_t end = begin;
    while (end < rows.size() && rows[end].row / R == rt) ++end;
    read.row_tile = rt;
    for (read.pulse = 1; read.pulse <= ws.tile_max[static_cast<std::size_t>(rt)]; ++read.pulse) {
      chip.crossbar->read(read, rows.subspan(begin, end - begin), ws.cur);
      chip.adc->convert(ws.cur, ws.codes);
      chip.shift_add->combine(ws.codes, acc);
    }
    begin = end;
  }
}

// Reads of one weighted layer at one time step: integer partial sums per (position, column).
// `active` (sparse input) gives the layer's active inputs directly instead of the activation x.
void read_layer(const Chip& chip, std::size_t l, std::span<const float> x, const std::vector<ActiveRow>* active, int t,
                std::uint64_t sample, Workspace& ws, Counters& C) {
  const ChipLayer& L = chip.layers[l];
  const auto& m = L.m;
  const int R = chip.map.tile_rows, S = chip.slices;
  const auto cols = static_cast<std::size_t>(m.cols);
  if (active) chip.gather_active(L, *active, ws.reads);
  else chip.gather(L, x, ws.reads);
  ws.acc.assign(static_cast<std::size_t>(m.positions) * cols, 0);
  ws.pulses.clear();
  ws.tile_sum.resize(static_cast<std::size_t>(m.row_tiles));
  ws.tile_max.resize(static_cast<std::size_t>(m.row_tiles));
  for (int p = 0; p < m.positions; ++p) {
    const std::span<const ActiveRow> rows(ws.reads.rows.data() + ws.reads.offsets[static_cast<std::size_t>(p)],
                                          ws.reads.rows.data() + ws.reads.offsets[static_cast<std::size_t>(p) + 1]);
    if (rows.empty()) continue;
    std::fill(ws.tile_sum.begin(), ws.tile_sum.end(), 0);
    std::fill(ws.tile_max.begin(), ws.tile_max.end(), 0);
    for (const auto& a : rows) {
      const auto rt = static_cast<std::size_t>(a.row / R);
      ws.tile_sum[rt] += a.count;
      ws.tile_max[rt] = std::max(ws.tile_max[rt], a.count);
    }
    ws.pulses.push_back(*std::max_element(ws.tile_max.begin(), ws.tile_max.end()));
    std::int64_t* acc = ws.acc.data() + static_cast<std::size_t>(p) * cols;
    const auto phys = static_cast<std::uint64_t>(2 * S) * cols;
    for (int rt = 0; rt < m.row_tiles; ++rt) {
      const auto pm = static_cast<std::uint64_t>(ws.tile_max[static_cast<std::size_t>(rt)]);
      const auto ps = static_cast<std::uint64_t>(ws.tile_sum[static_cast<std::size_t>(rt)]);
      if (pm == 0) continue;
      C.tile_reads += pm * static_cast<std::uint64_t>(m.col_tiles);
      C.wordlines += ps * static_cast<std::uint64_t>(m.col_tiles);
      C.cell_reads += ps * phys;
      C.adc_conversions += pm * phys;
      C.shift_adds += pm * cols * static_cast<std::uint64_t>(2 * S - 1);
      C.adder_adds += pm * cols;
    }
    if (!chip.physical) {
      chip.crossbar->accumulate(l, rows, {acc, cols});
    } else {
      read_physical(chip, L, rows, TileRead{l, 0, 1, sample, t, p}, ws, {acc, cols});
    }
    decrypt_read(chip, l, rows, ws, {acc, cols}, C);
  }
}

// Everything after the reads: the neuron units, spike buffer counters. A feed-forward layer whose
// neurons wait for their recurrent rows only reads its input; the recurrent mapping after it
// updates the neurons from both sums (`psum` the feed-forward one, `recurrent` its own).
void neuron_layer(const Chip& chip, std::size_t l, std::span<const std::int64_t> psum, std::span<const std::int64_t> recurrent,
                  NeuronState state, Counters& C) {
  const ChipLayer& L = chip.layers[l];
  C.buffer_read_bits += chip.buffer->bits(L.in_numel, L.count_input);
  if (L.first) C.buffer_write_bits += chip.buffer->bits(L.in_numel, true);
  if (!L.m.fires) return;
  chip.lif->step(L.neurons, psum, recurrent, 0, L.m.neurons, state);
  L.count_updates(L.m.neurons, C);
  C.buffer_write_bits += chip.buffer->bits(L.out_numel, false) * (L.m.recurrent ? 2 : 1);  // + its own spike register
}

}  // namespace

namespace detail {
// The layers between two weighted layers, as the software engine computes them: max-pool, sum /
// average pool (zero padding, summed in (ky, kx) order, the average divides by the kernel area),
// scale; flatten is free ([C,H,W] row-major is already the flat order).
void pool_or_flatten(const snn::Network& net, const std::vector<snn::Shape>& shapes, std::size_t i, std::vector<float>& act,
                     std::vector<float>& scratch) {
  const snn::Shape& in = i == 0 ? net.input_shape : shapes[i - 1];
  if (const auto* S = std::get_if<snn::Scale>(&net.layers[i])) {
    for (std::size_t k = 0; k < act.size(); ++k) act[k] = act[k] * S->factors[k];
    return;
  }
  if (const auto* Q = std::get_if<snn::Pool2d>(&net.layers[i])) {
    const auto window = snn::geometry::window(*Q, in);
    const int C = in[0], H = in[1], W = in[2], OH = window.out_height(), OW = window.out_width();
    const auto area = static_cast<float>(window.taps());
    scratch.assign(static_cast<std::size_t>(C) * window.out_positions(), 0.0f);
    for (int ch = 0; ch < C; ++ch)
      for (int oy = 0; oy < OH; ++oy)
        for (int ox = 0; ox < OW; ++ox) {
          float sum = 0.0f;  // zero padding: taps outside the map add nothing, in (ky, kx) order
          window.receptive_field(oy, ox, [&](int, int, int iy, int ix) { sum += act[(static_cast<std::size_t>(ch) * H + iy) * W + ix]; });
          scratch[(static_cast<std::size_t>(ch) * OH + oy) * OW + ox] = Q->mode == snn::Pool2d::Mode::Average ? sum / area : sum;
        }
    act.swap(scratch);
    return;
  }
  if (const auto* P = std::get_if<snn::MaxPool2d>(&net.layers[i])) {
    const auto window = snn::geometry::window(*P, in);
    scratch.assign(static_cast<std::size_t>(in[0]) * window.out_positions(), 0.0f);
    snn::geometry::max_pool_channels_first(window, static_cast<std::size_t>(in[0]), act.data(), scratch.data());
    act.swap(scratch);
  }
  // Flatten: [C,H,W] row-major is already the flat order.
}
}  // namespace detail

Accelerator::Accelerator(const snn::Network& stored, const ChipConfig& config)
    : impl_(std::make_unique<Impl>(stored, config)) {}
Accelerator::~Accelerator() = default;
Accelerator::Accelerator(Accelerator&&) noexcept = default;
Accelerator& Accelerator::operator=(Accelerator&&) noexcept = default;

bool Accelerator::load_key(const crypto::XorKey& key, const std::string& key_fingerprint) {
  const auto& fp = impl_->chip.net.key_fingerprint;
  if (!key_fingerprint.empty() && key_fingerprint != fp) {
    clear_key();
    return false;
  }
  impl_->chip.set_key(key_entries(impl_->chip.net, key));
  return true;
}
void Accelerator::load_key_entries(std::vector<std::vector<KeyEntry>> entries) { impl_->chip.set_key(std::move(entries)); }
void Accelerator::clear_key() { impl_->chip.set_key(std::vector<std::vector<KeyEntry>>(impl_->chip.layers.size())); }
std::size_t Accelerator::key_entry_count() const {
  std::size_t n = 0;
  for (const auto& L : impl_->chip.layers)
    for (const auto& [t, key] : L.tile_keys) n += key.entries.size();
  return n;
}
std::size_t Accelerator::engines_bound() const { return impl_->chip.engines_bound(); }
std::size_t Accelerator::key_rows_loaded() const {
  std::size_t n = 0;
  for (const auto& L : impl_->chip.layers)
    for (const auto& [t, key] : L.tile_keys) n += key.image.keyed_rows();
  return n;
}
const DecryptionParams& Accelerator::engine_params() const { return impl_->chip.du_params; }
int Accelerator::read_window() const { return impl_->chip.timing.window; }
std::uint64_t Accelerator::key_load_cycles() const { return impl_->chip.key_store->load_cycles(key_rows_loaded()); }
const Mapping& Accelerator::mapping() const { return impl_->chip.map; }
const ChipConfig& Accelerator::config() const { return impl_->chip.cfg; }
const snn::Network& Accelerator::stored_model() const { return impl_->chip.net; }
const std::string& Accelerator::decryption_unit() const { return impl_->chip.du_name; }
int Accelerator::adc_bits() const { return impl_->chip.adc->bits(); }

namespace {

SampleResult run_fast_sample(const Chip& chip, const SampleInput& in, std::uint64_t sample_index) {
  const auto& net = chip.net;
  const std::size_t in_size = snn::numel(net.input_shape);
  const std::size_t steps = in.steps;
  SampleResult res;
  const std::size_t NL = chip.layers.size();
  res.per_layer.assign(NL, {});
  res.cycles.assign(steps, std::vector<std::uint64_t>(NL, 0));
  res.added = res.cycles;
  // Neuron state of the mappings that update neurons (a feed-forward layer waiting for its
  // recurrent rows has none: the recurrent mapping after it holds the layer's neurons).
  std::vector<std::vector<float>> v(NL), s(NL), syn(NL);
  for (std::size_t l = 0; l < NL; ++l) {
    v[l].assign(chip.layers[l].m.neurons, 0.0f);
    s[l].assign(chip.layers[l].m.neurons, 0.0f);
    if (chip.layers[l].cuba) syn[l].assign(chip.layers[l].m.neurons, 0.0f);
  }
  std::vector<std::int64_t> feed_forward;  // a recurrent layer's feed-forward sums, waiting for its own rows
  Workspace ws;
  std::vector<float> act, scratch;
  StepLoader loader;
  const bool direct = in.sparse && chip.takes_active_inputs();
  res.counts.assign(static_cast<std::size_t>(net.num_classes), 0);
  for (int t = 0; t < static_cast<int>(steps); ++t) {
    loader.load(*chip.io, in, static_cast<std::size_t>(t), in_size, act, direct ? &ws.active : nullptr);
    const std::vector<ActiveRow>* active = direct ? &ws.active : nullptr;
    std::size_t l = 0;
    for (std::size_t i = 0; i < net.layers.size(); ++i) {
      if (l < NL && chip.layers[l].m.layer_index == i) {
        // One mapping's step: its reads, then (if it fires) the neuron update.
        const auto step = [&](std::size_t m, std::span<const float> x, const std::vector<ActiveRow>* rows) {
          Counters& C = res.per_layer[m];
          ws.added = 0;
          read_layer(chip, m, x, rows, t, sample_index, ws, C);
          const bool rec = chip.layers[m].m.recurrent;
          neuron_layer(chip, m, rec ? std::span<const std::int64_t>(feed_forward) : ws.acc,
                       rec ? std::span<const std::int64_t>(ws.acc) : std::span<const std::int64_t>{}, {v[m], s[m], syn[m]}, C);
          const std::uint64_t cyc = chip.layer_cycles(chip.layers[m], ws.pulses, ws.added);
          res.cycles[static_cast<std::size_t>(t)][m] = cyc;
          res.added[static_cast<std::size_t>(t)][m] = ws.added;
          C.cycles += cyc;
        };
        step(l, act, l == 0 ? active : nullptr);
        if (!chip.layers[l].m.fires) {  // the recurrent rows read the layer's own spikes of step t-1
          feed_forward.swap(ws.acc);
          ++l;
          step(l, s[l], nullptr);
        }
        act = s[l];
        i = chip.layers[l].m.lif_index;  // the neuron layer ran in the neuron unit
        ++l;
      } else if (!(l == 0 && active)) {  // before a sparse first layer only flattens stand: nothing to do
        detail::pool_or_flatten(net, chip.shapes, i, act, scratch);
      }
    }
    chip.io->count(act, res.counts);
  }
  return res;
}

}  // namespace

namespace {
// A dense sample as both modes take it: T comes from the sample (the frame file), not the model.
SampleInput dense_input(const Chip& chip, std::span<const std::uint16_t> sample) {
  const std::size_t in_size = snn::numel(chip.net.input_shape);
  if (sample.empty() || sample.size() % in_size != 0)
    throw std::invalid_argument("sample has " + std::to_string(sample.size()) + " values, the model needs T x " +
                                std::to_string(in_size));
  return {sample, nullptr, sample.size() / in_size};
}

// A sparse sample of `steps` steps as both modes take it (a view of `sample`, which must outlive it).
SampleInput sparse_input(const Chip& chip, const datasets::SparseSample& sample, int steps) {
  check_sparse_sample(sample, steps, snn::numel(chip.net.input_shape));
  return {{}, &sample, static_cast<std::size_t>(steps)};
}
}  // namespace

SampleResult Accelerator::run_fast(std::span<const std::uint16_t> sample, std::uint64_t sample_index) const {
  return run_fast_sample(impl_->chip, dense_input(impl_->chip, sample), sample_index);
}

SampleResult Accelerator::run_fast(datasets::SparseSample sample, int steps, std::uint64_t sample_index) const {
  return run_fast_sample(impl_->chip, sparse_input(impl_->chip, sample, steps), sample_index);
}

std::vector<SampleResult> Accelerator::run_cycle(const std::vector<std::span<const std::uint16_t>>& samples,
                                                 std::uint64_t first_sample_index) const {
  std::vector<SampleInput> inputs;
  for (const auto& s : samples) inputs.push_back(dense_input(impl_->chip, s));
  return detail::run_cycle_samples(impl_->chip, std::move(inputs), first_sample_index);
}

std::vector<SampleResult> Accelerator::run_cycle(std::span<const datasets::SparseSample> samples, int steps,
                                                 std::uint64_t first_sample_index) const {
  std::vector<SampleInput> inputs;
  for (const auto& s : samples) inputs.push_back(sparse_input(impl_->chip, s, steps));
  return detail::run_cycle_samples(impl_->chip, std::move(inputs), first_sample_index);
}

namespace {

// Collects per-sample results into a RunResult, batch by batch, in sample order.
class RunCollector {
 public:
  RunCollector(const Accelerator& acc, std::size_t n, int steps, const RunOptions& options)
      : acc_(acc), options_(options), n_(n), classes_(static_cast<std::size_t>(acc.stored_model().num_classes)) {
    r_.spike_counts.assign(n * classes_, 0);
    r_.predictions.assign(n, 0);
    r_.labels.assign(n, 0);
    r_.cycles_per_sample.assign(n, 0);
    r_.added_cycles_per_sample.assign(n, 0);
    r_.per_layer.assign(acc.mapping().layers.size(), {});
    r_.added_cycles.assign(static_cast<std::size_t>(steps), std::vector<std::uint64_t>(r_.per_layer.size(), 0));
  }

  // Runs the batch's samples (file indices b.first ...) and stores their results.
  void run_batch(const datasets::SparseBatch& b) {
    results_.resize(b.size());
    if (options_.mode == Mode::Fast) {
      tbb::parallel_for(std::size_t{0}, b.size(), [&](std::size_t j) {
        const datasets::SparseSample s = b.sample(j);
        results_[j] = acc_.run_fast(s, b.shape.t, b.first + j);
        const std::size_t d = ++done_;
        if (options_.progress) {
          const std::unique_lock lock(progress_mutex_, std::try_to_lock);
          if (lock.owns_lock()) options_.progress(d, n_);
        }
      });
    } else {
      for (std::size_t j = 0; j < b.size(); ++j) {  // one elaboration per sample: progress per sample
        const datasets::SparseSample one[] = {b.sample(j)};
        results_[j] = acc_.run_cycle(one, b.shape.t, b.first + j).front();
        if (options_.progress) options_.progress(++done_, n_);
      }
    }
    for (std::size_t j = 0; j < b.size(); ++j) store(b.first + j, b.labels[j], results_[j]);
  }

  RunResult finish(double seconds) {
    if (options_.progress) options_.progress(n_, n_);
    r_.seconds = seconds;
    return std::move(r_);
  }

 private:
  void store(std::size_t i, std::int32_t label, const SampleResult& s) {
    std::copy(s.counts.begin(), s.counts.end(), r_.spike_counts.begin() + static_cast<std::ptrdiff_t>(i * classes_));
    r_.predictions[i] = snn::argmax(s.counts);
    r_.labels[i] = label;
    const Counters total = s.total();
    r_.cycles_per_sample[i] = total.cycles;
    r_.added_cycles_per_sample[i] = total.added_cycles;
    for (std::size_t l = 0; l < s.per_layer.size(); ++l) r_.per_layer[l] += s.per_layer[l];
    for (std::size_t t = 0; t < s.added.size() && t < r_.added_cycles.size(); ++t)
      for (std::size_t l = 0; l < s.added[t].size(); ++l) r_.added_cycles[t][l] += s.added[t][l];
  }

  const Accelerator& acc_;
  const RunOptions& options_;
  std::size_t n_, classes_;
  RunResult r_;
  std::vector<SampleResult> results_;
  std::atomic<std::size_t> done_{0};
  std::mutex progress_mutex_;
};

int thread_count(const RunOptions& options) {
  return io::thread_count(options.threads);
}

}  // namespace

RunResult Accelerator::run(datasets::FrameSource& source, const RunOptions& options, std::size_t batch) const {
  snn::check_compatible(impl_->chip.net, source.meta().shape, source.path().string());
  const std::size_t n = options.limit ? std::min(options.limit, source.size()) : source.size();
  tbb::global_control gc(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(thread_count(options)));
  const auto start = std::chrono::steady_clock::now();
  RunCollector collector(*this, n, source.meta().shape.t, options);
  datasets::for_each_batch(source, batch, n, [&](const datasets::SparseBatch& b) { collector.run_batch(b); });
  return collector.finish(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

RunResult Accelerator::run(const datasets::FrameSet& frames, const RunOptions& options) const {
  snn::check_compatible(impl_->chip.net, frames.shape);
  const std::size_t n = options.limit ? std::min(options.limit, frames.size()) : frames.size();
  tbb::global_control gc(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(thread_count(options)));
  const auto start = std::chrono::steady_clock::now();
  RunCollector collector(*this, n, frames.shape.t, options);
  constexpr std::size_t batch = 256;
  datasets::SparseBatch b;
  b.shape = frames.shape;
  for (std::size_t first = 0; first < n; first += batch) {
    b.first = first;
    b.offsets.assign(1, 0);
    b.index.clear();
    b.count.clear();
    b.labels.clear();
    for (std::size_t i = first; i < std::min(n, first + batch); ++i) b.push_dense(frames.sample(i), frames.labels[i]);
    collector.run_batch(b);
  }
  return collector.finish(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

}  // namespace snngx::rram
