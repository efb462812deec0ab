#pragma once
// Internal: the programmed chip shared by the fast (accelerator.cpp) and cycle (cycle_model.cpp)
// modes, so that both use the same devices, key partitions and timing constants.
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include "draws.hpp"
#include "snngx/datasets/frames.hpp"
#include "snngx/rram/accelerator.hpp"
#include "snngx/rram/components/all.hpp"
#include "snngx/snn/geometry.hpp"

namespace snngx::rram::detail {

using rram::ActiveRow;

/// Timing constants gathered from the components once per chip.
struct Timing {
  int settle = 0, columns_per_adc = 1, conversion_cycles = 1, window = 1, lif_units = 1, issue = 1;
};

struct ChipLayer {
  LayerMapping m;
  int cin = 0;                   // a conv layer: its input channels and its window (snn geometry)
  snn::geometry::Window window;
  NeuronLayer neurons;           // what the LIF units need (the fed neurons' layer for recurrent rows)
  std::size_t in_numel = 0, out_numel = 0;
  bool first = false;            // fed by the frames (counts)
  bool count_input = false;      // its inputs are counts (frames, a sum pool's outputs): input_bits each in the buffers
  bool cuba = false;             // CubaLIF neurons: a synaptic current per neuron, two updates per step
  // Keyed tiles (rt * col_tiles + ct), each bound to one engine: its entries (tile-local) and
  // the key-SRAM image the engine holds.
  struct TileKey {
    std::vector<KeyEntry> entries;
    KeyImage image;
  };
  std::map<int, TileKey> tile_keys;
  [[nodiscard]] int tile_col_begin(int ct) const { return ct * m.cols_per_tile; }
  /// Updates per neuron and step: the membrane, and for CubaLIF first the synaptic current.
  [[nodiscard]] std::uint64_t updates_per_neuron() const { return cuba ? 2 : 1; }
  /// float32 adds per neuron and step in the neuron unit: the bias, and with recurrent rows the
  /// recurrent bias and the merge of the two sums.
  [[nodiscard]] std::uint64_t adds_per_neuron() const {
    const auto* e = neurons.euler ? &*neurons.euler : nullptr;
    return (neurons.bias.empty() ? 0 : 1) + (e && e->recurrent ? 1 + (e->recurrent_bias.empty() ? 0 : 1) : 0);
  }
  [[nodiscard]] int tile_col_count(int ct) const;
  /// The neuron unit's events for updating `neurons` of this layer (both run modes count them here).
  void count_updates(std::size_t neurons, Counters& C) const {
    C.lif_updates += neurons * updates_per_neuron();
    C.neuron_adds += neurons * adds_per_neuron();
  }
};

/// Cycles of one read pulse: the wordline settle plus the ADCs' multiplexed conversions.
inline int read_window(const ICrossbar& crossbar, const IAdc& adc) {
  return crossbar.settle_cycles() + adc.columns_per_adc() * adc.conversion_cycles();
}

/// The request an engine gets for pulse `pulse` of row tile `rt`: the tile's rows whose count is
/// at least `pulse`, in tile-local bits. Both run modes build it here.
void engine_request(std::span<const ActiveRow> rows, int tile_rows, int rt, int pulse, CorrectionRequest& request);
/// One request's events: a request, the key-SRAM words it reads (active keyed rows), the nonzero
/// corrections in them, and the engine's work cycles.
void count_request(const KeyImage& image, const CorrectionRequest& request, Counters& C);

struct Chip {
  snn::Network net;
  ChipConfig cfg;
  Mapping map;
  std::vector<snn::Shape> shapes;
  std::vector<ChipLayer> layers;       // per weighted layer
  std::vector<std::vector<KeyEntry>> key;
  // The components, resolved once per chip from the config (one virtual call per read or step).
  std::unique_ptr<ICrossbar> crossbar;
  std::unique_ptr<IWordlineDriver> wordline;
  std::unique_ptr<IAdc> adc;
  std::unique_ptr<IShiftAdd> shift_add;
  std::unique_ptr<IKeyStore> key_store;
  std::unique_ptr<IFrameInterface> io;
  std::unique_ptr<ILifUnit> lif;
  std::unique_ptr<ISpikeBuffer> buffer;  // bit accounting (the clocked model builds one per buffer)
  std::unique_ptr<Controller> controller;
  Timing timing;
  bool physical = false;               // per-column path (inexact cells, a lossy ADC or shift-add)
  int slices = 7;
  std::string du_name = "behavioural";
  DecryptionParams du_params;
  int engines = 0;                     // decryption_unit.engines (the pool)

  Chip(const snn::Network& stored, const ChipConfig& config);
  /// Binds every keyed tile to an engine; throws std::invalid_argument naming
  /// decryption_unit.engines when the key touches more tiles than there are engines.
  void set_key(std::vector<std::vector<KeyEntry>> entries);
  [[nodiscard]] std::size_t engines_bound() const;

  /// Active rows of read `position` of weighted layer `l` for input activation x, grouped by
  /// position (CSR), with the pulses the wordline drivers give them.
  struct Reads {
    std::vector<std::int32_t> offsets;  // positions + 1
    std::vector<ActiveRow> rows;        // sorted by row within a position
  };
  void gather(const ChipLayer& L, std::span<const float> x, Reads& reads) const;
  /// The same reads from the active inputs alone (input index, value; ascending by index), as
  /// the first layer gets them from a sparse frame: scatter each input to the output positions
  /// whose window holds it. Equal to gather of the dense activation.
  void gather_active(const ChipLayer& L, std::span<const ActiveRow> inputs, Reads& reads) const;
  /// Whether the first weighted layer can take a sparse step's active inputs directly: only a
  /// flatten (a no-op on [C,H,W] row-major) may stand before it; a pool or scale needs the dense map.
  [[nodiscard]] bool takes_active_inputs() const;
  /// Builds mapping l's state and programs its cells into the crossbar.
  ChipLayer make_layer(std::size_t l);
  /// Whether the decryption unit is on the chip ("none" has nowhere to hold a key).
  [[nodiscard]] bool has_unit() const { return du_name != "none"; }
  /// Cycles of one layer at one step: the controller's schedule plus the cycles the
  /// decryption engines added to its pulses.
  [[nodiscard]] std::uint64_t layer_cycles(const ChipLayer& L, std::span<const int> pulses_per_read, std::uint64_t added) const;
  /// Cycles a pulse of a layer takes beyond the read window when its slowest engine answers
  /// after `latency` ticks (decryption_unit.hpp): max(0, latency + 1 - W).
  [[nodiscard]] std::uint64_t pulse_extra(int latency) const {
    return latency + 1 > timing.window ? static_cast<std::uint64_t>(latency + 1 - timing.window) : 0;
  }
};

/// One sample as both modes take it: dense counts, or the nonzero cells of a sparse sample.
struct SampleInput {
  std::span<const std::uint16_t> dense;
  const datasets::SparseSample* sparse = nullptr;
  std::size_t steps = 0;
};

/// A sample's steps through the frame interface, read in order from step 0, as the chip's input
/// stage takes them: a dense step is loaded as it is; a sparse step's cells go straight to the
/// first layer's wordline drivers (into `active`, when given) or are scattered into the dense
/// map first (before a pool). Shared by the fast and the cycle mode.
class StepLoader {
 public:
  void load(const IFrameInterface& io, const SampleInput& in, std::size_t t, std::size_t in_size, std::vector<float>& act,
            std::vector<ActiveRow>* active);

 private:
  std::size_t next_ = 0;               // a sparse sample: the next step's first cell
  std::vector<std::uint32_t> local_;   // the step's cell indices, step-local
  std::vector<std::uint16_t> dense_;   // the step scattered (before a pool only)
};

/// A sparse sample of `steps` steps checked as both modes need it (cells in range, strictly
/// ascending, nonzero); throws std::invalid_argument.
void check_sparse_sample(const datasets::SparseSample& sample, int steps, std::size_t in_size);

/// Cycle mode: the samples through the clocked SystemC model of `chip` (cycle_model.cpp). Programs
/// that link snngx_rram get it directly; the snngx executable gets cycle_loader.cpp's, which runs
/// the same function from libsnngx_systemc.so, loaded on first use (systemc_module.hpp).
std::vector<SampleResult> run_cycle_samples(const Chip& chip, std::vector<SampleInput> samples, std::uint64_t first_sample_index);

}  // namespace snngx::rram::detail

namespace snngx::rram {
struct Accelerator::Impl {
  detail::Chip chip;
  Impl(const snn::Network& stored, const ChipConfig& cfg) : chip(stored, cfg) {}
};
}  // namespace snngx::rram
