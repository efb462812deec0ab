#pragma once
// The RRAM crossbar accelerator with the SNNGX decryption unit (spec: accelerator.md).
//
// Lifecycle (Ramulator-2 style): construct from a stored (encrypted or plain quantized) model and
// a ChipConfig -> load_key -> run samples in Mode::Fast (transaction level, event counts and
// cycles by formula, parallel over samples) or Mode::Cycle (clocked SystemC with TLM-2.0
// sockets, one sample after another) -> report (costs.hpp). Both modes give the same spike
// counts, event counters and cycle counts (tested). The components (crossbar, wordline drivers,
// ADC, shift-add, adder tree, key store, LIF units, spike buffers, controller, frame interface,
// technology) are the implementations the config names, built once per chip through the
// registries of components/*.hpp and shared by both modes. The decryption engines are the
// exception: they hold pipeline state, so each fast-mode worker and each cycle-mode run builds
// its own engines (make_decryption_unit with the chip's DecryptionParams) and loads the key.
//
// Dataflow and timing model (per time step, layers in order; all numbers from the config):
//  - A weighted layer (Linear, or Conv2d unrolled im2col-style: rows = in_ch*kh*kw, logical
//    columns = out_ch) is cut into tiles of `crossbar.rows` rows x floor(columns / slices)
//    logical columns, slices = ceil(7 / bits_per_cell); each tile is a G+ and a G- array (the
//    sign picks the array; the magnitude is bit-sliced over `slices` columns).
//  - A "read" is one output position (Linear: 1, Conv2d: every output pixel whose patch carries a
//    spike). All tiles of the layer read in parallel; first-layer counts are applied as pulses
//    (wordline "pulse": pulse k drives the rows whose count >= k). One pulse takes W =
//    settle_cycles + columns_per_adc * conversion_cycles cycles; a read takes
//    wordline.issue_cycles + pulses * W cycles.
//  - Per layer and step: layer_overhead_cycles + sum over reads + (any read ? adder tree levels
//    (binary: ceil(log2(row tiles)) + merge_stages) * adder_cycles_per_level : 0) + 1 +
//    ceil(neurons / lif.units).
//    Max-pooling (OR) and flatten are done while writing the spike buffer: 0 cycles.
//  - Every tile holding key entries is bound to one engine of the decryption unit's pool. The
//    engine receives the pulse's active rows on cycle 0 of the pulse and answers after
//    response_latency(work) cycles (decryption_unit.hpp). If that is later than the pulse's last
//    cycle W - 1, the pulse lasts response_latency + 1 cycles; the difference is counted as
//    added cycles (per layer and time step), never hidden.
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "snngx/crypto/xor_key.hpp"
#include "snngx/datasets/frames.hpp"
#include "snngx/rram/config.hpp"
#include "snngx/rram/decryption_unit.hpp"
#include "snngx/snn/network.hpp"

namespace snngx::rram {

/// How one weighted layer sits on the tiles.
struct LayerMapping {
  std::string name;               // "L0".. in weighted-layer order, plus the kind ("L0 conv2d")
  std::size_t layer_index = 0;    // index into Network::layers
  std::size_t weighted_index = 0;
  std::size_t lif_index = 0;      // the neuron layer (LIF or Neuron) fed by this layer
  bool conv = false;
  // The recurrent weights of Neuron layer `layer_index` (== lif_index): rows are the layer's own
  // spikes of the previous step; their sums go to the neurons of the mapping before this one.
  bool recurrent = false;
  // Whether the neuron update ends this layer's step; false for a feed-forward layer whose
  // Neuron layer has recurrent weights (the update waits for those rows, the next mapping).
  bool fires = true;
  int rows = 0;                   // unrolled rows
  int cols = 0;                   // logical columns (output neurons / channels)
  int positions = 1;              // reads per step at most (output pixels; 1 for Linear)
  int row_tiles = 0, col_tiles = 0;
  int cols_per_tile = 0;          // logical columns per tile
  int slices = 0;                 // physical columns per weight per array
  int tree_levels = 0;            // adder-tree levels (IAdderTree::levels of row_tiles)
  std::uint64_t neurons = 0;      // neurons updated at the end of the step (cols * positions; 0 unless `fires`)
  [[nodiscard]] int tiles() const { return row_tiles * col_tiles; }
  /// Used cells / available cells (both arrays of every tile).
  [[nodiscard]] double utilisation(int tile_rows, int tile_cols) const;
};

struct Mapping {
  std::vector<LayerMapping> layers;
  int tile_rows = 0, tile_cols = 0, bits_per_cell = 1;
  [[nodiscard]] int tiles() const;
  [[nodiscard]] std::string report() const;  // a text table
  [[nodiscard]] nlohmann::json to_json() const;
};

/// Maps a network onto the configured tiles; throws std::invalid_argument if a layer cannot be
/// mapped (not quantized at 8 bits, a weighted layer not followed by a LIF or Neuron layer, too
/// large). A Neuron layer with recurrent weights adds a mapping of its own ("L1 recurrent").
Mapping map_network(const snn::Network& net, const ChipConfig& config);

/// Per-component event counters (what the energy model multiplies).
struct Counters {
  std::uint64_t tile_reads = 0;        // tile x pulse reads
  std::uint64_t wordlines = 0;         // active rows driven (per tile read)
  std::uint64_t cell_reads = 0;        // active row x used physical column cells
  std::uint64_t adc_conversions = 0;
  std::uint64_t shift_adds = 0;
  std::uint64_t adder_adds = 0;        // adder tree (tile partial sums into neuron sums)
  std::uint64_t lif_updates = 0;       // neuron updates (a CubaLIF neuron counts 2: synaptic current, membrane)
  std::uint64_t neuron_adds = 0;       // float32 adds in the neuron unit: biases, recurrent sums merged
  std::uint64_t buffer_read_bits = 0;
  std::uint64_t buffer_write_bits = 0;
  std::uint64_t decrypt_requests = 0;  // requests to engines (keyed tiles) per pulse
  std::uint64_t key_row_reads = 0;     // key-SRAM words read (active keyed rows)
  std::uint64_t corrections = 0;       // nonzero key corrections among the words read
  std::uint64_t decrypt_cycles = 0;    // accumulate cycles of the engines (their work per request)
  std::uint64_t added_cycles = 0;      // cycles the decryption unit added to the reads
  std::uint64_t cycles = 0;
  Counters& operator+=(const Counters& o);
  friend bool operator==(const Counters&, const Counters&) = default;
  [[nodiscard]] nlohmann::json to_json() const;
  /// Synaptic operations of the benchmark: active row x used physical column cell reads.
  [[nodiscard]] std::uint64_t synaptic_ops() const { return cell_reads; }
};

struct SampleResult {
  std::vector<std::int32_t> counts;                  // output spike counts
  std::vector<Counters> per_layer;                   // per weighted layer
  std::vector<std::vector<std::uint64_t>> cycles;    // [time step][weighted layer]
  std::vector<std::vector<std::uint64_t>> added;     // [time step][weighted layer]: added by the decryption unit
  [[nodiscard]] Counters total() const;
};

enum class Mode { Fast, Cycle };
Mode parse_mode(const std::string& name);  // "fast" | "cycle"
std::string to_string(Mode mode);

/// Key entries of every weighted layer in layer coordinates (row of the unrolled weight matrix,
/// logical column): one per weight whose stored byte differs from the plain byte (stored XOR
/// key), corr = plain - stored signed magnitude. Throws std::invalid_argument if the key does
/// not fit the model.
std::vector<std::vector<KeyEntry>> key_entries(const snn::Network& stored, const crypto::XorKey& key);

struct RunOptions {
  Mode mode = Mode::Fast;
  int threads = 0;         // fast mode only (0 = all hardware threads); results do not depend on it
  std::size_t limit = 0;   // 0 = all samples
  std::function<void(std::size_t done, std::size_t total)> progress;
};

struct RunResult {
  std::vector<std::int32_t> spike_counts;  // [N, classes]
  std::vector<std::int32_t> predictions, labels;
  std::vector<Counters> per_layer;         // summed over samples
  std::vector<std::uint64_t> cycles_per_sample;
  std::vector<std::uint64_t> added_cycles_per_sample;     // cycles the decryption unit added
  std::vector<std::vector<std::uint64_t>> added_cycles;  // [time step][weighted layer], summed over samples
  double seconds = 0.0;
  [[nodiscard]] Counters total() const;
  [[nodiscard]] double accuracy() const;
};

class Accelerator {
 public:
  /// `stored` is what the crossbars are programmed with (an encrypted or quantized model).
  /// Throws std::invalid_argument naming the component/parameter for an unusable config.
  Accelerator(const snn::Network& stored, const ChipConfig& config);
  ~Accelerator();
  Accelerator(Accelerator&&) noexcept;
  Accelerator& operator=(Accelerator&&) noexcept;

  /// Loads the trusted key store. A key whose fingerprint does not match the stored model's
  /// `key_fingerprint` is refused by the store (returns false, store left empty): the chip then
  /// computes the encrypted model. An empty fingerprint skips the check. A key touching more
  /// tiles than the unit has engines throws std::invalid_argument naming
  /// decryption_unit.engines.
  bool load_key(const crypto::XorKey& key, const std::string& key_fingerprint = "");
  /// Loads entries directly (per weighted layer), e.g. from a test.
  void load_key_entries(std::vector<std::vector<KeyEntry>> entries);
  void clear_key();
  [[nodiscard]] std::size_t key_entry_count() const;
  /// Engines bound to keyed tiles by the current key, and key-SRAM words (keyed rows) loaded.
  [[nodiscard]] std::size_t engines_bound() const;
  [[nodiscard]] std::size_t key_rows_loaded() const;
  /// Parameters of the engines (rows and columns of a tile, lanes).
  [[nodiscard]] const DecryptionParams& engine_params() const;
  /// Cycles of one read pulse: wordline settle + ADC multiplexing (the window the engines hide in).
  [[nodiscard]] int read_window() const;
  /// Cycles the key store takes to load the current key (IKeyStore::load_cycles).
  [[nodiscard]] std::uint64_t key_load_cycles() const;

  [[nodiscard]] const Mapping& mapping() const;
  [[nodiscard]] const ChipConfig& config() const;
  [[nodiscard]] const snn::Network& stored_model() const;
  /// Name of the decryption unit implementation ("none", "behavioural", "rtl", ...).
  [[nodiscard]] const std::string& decryption_unit() const;
  /// ADC resolution in use (adc.bits, or the exact resolution when adc.bits = 0).
  [[nodiscard]] int adc_bits() const;

  /// One sample (T x input counts) in fast mode. `sample_index` seeds the read noise.
  [[nodiscard]] SampleResult run_fast(std::span<const std::uint16_t> sample, std::uint64_t sample_index = 0) const;
  /// Samples in cycle mode: one SystemC elaboration, samples one after another.
  [[nodiscard]] std::vector<SampleResult> run_cycle(const std::vector<std::span<const std::uint16_t>>& samples,
                                                    std::uint64_t first_sample_index = 0) const;
  /// Sparse samples of `steps` steps in cycle mode: per step the frame interface hands the active
  /// cells to the first layer's wordline drivers, as run_fast of a sparse sample does (before a
  /// pool the step is scattered into the dense map). Results equal run_cycle of the dense samples.
  [[nodiscard]] std::vector<SampleResult> run_cycle(std::span<const datasets::SparseSample> samples, int steps,
                                                    std::uint64_t first_sample_index = 0) const;
  /// One sample in sparse form (its nonzero cells, `steps` x input cells, as layout 2 stores
  /// them) in fast mode: per step the first layer's wordline drivers take the active inputs
  /// directly, with no scan of the dense input map. Results equal run_fast of the dense sample.
  [[nodiscard]] SampleResult run_fast(datasets::SparseSample sample, int steps, std::uint64_t sample_index = 0) const;
  /// Every sample of a frame file, streamed in batches of `batch` samples (the next batch is read
  /// while this one runs): memory O(batch + model) plus a few numbers per sample. Both modes
  /// run the sparse samples (cycle mode one elaboration per sample). Results equal run() of
  /// the whole set read at once, for any batch size and thread count.
  [[nodiscard]] RunResult run(datasets::FrameSource& source, const RunOptions& options = {}, std::size_t batch = 256) const;
  /// Every sample of a frame set (run in sparse batches, as the frame-file overload).
  [[nodiscard]] RunResult run(const datasets::FrameSet& frames, const RunOptions& options = {}) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace snngx::rram
