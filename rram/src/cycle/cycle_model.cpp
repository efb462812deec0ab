// Cycle mode: a clocked SystemC 2.3 model. Components are modules whose SC_METHODs run on every
// rising clock edge (no SC_THREAD coroutines, so the model also runs under ASan); they talk
// through TLM-2.0 sockets (blocking transport, zero delay: all timing comes from the clocked
// state machines):
//
//   FrameInterface <- Controller -> SpikeBuffer[l] (read: wordline drivers)
//                       |  ReadCmd (one output position)          | LifCmd
//                       v                                          v
//                 TileArray[l] --(partial sums, adder tree)--> NeuronUnit[l] -> SpikeBuffer[l+1] / FrameInterface
//
// A TileArray holds all crossbar tiles of a weighted layer (they read in parallel), their ADCs,
// shift-add units and the decryption units of the tiles that have key entries. Every column is
// converted on its own cycle of the ADC multiplexing window, so this mode recomputes the layer
// column by column: an independent check of the fast mode (tests require equal outputs, event
// counters and cycles).
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "../model.hpp"

// libsystemc's main() refers to sc_main; snngx never uses that entry point (it elaborates from
// library code), so provide a weak one that programs with their own sc_main override.
extern "C" __attribute__((weak, visibility("default"))) int sc_main(int, char**) { return 1; }

namespace snngx::rram {

namespace detail {
void pool_or_flatten(const snn::Network& net, const std::vector<snn::Shape>& shapes, std::size_t i, std::vector<float>& act,
                     std::vector<float>& scratch);
}

namespace {

using detail::ActiveRow;
using detail::Chip;
using detail::ChipLayer;

struct ReadCmd {
  int position = 0;
  std::span<const ActiveRow> rows;
  std::uint64_t start_cycle = 0;
  int t = 0;
  std::uint64_t sample = 0;
};
struct PsumMsg {
  int position = 0;
  std::span<const std::int64_t> psum;
};
struct LifCmd {
  std::uint64_t start_cycle = 0;
};
struct Activation {
  std::vector<float>* data = nullptr;
  std::vector<ActiveRow>* active = nullptr;  // frame reads of a sparse sample before a direct first layer
};
enum Address : std::uint64_t { kRead = 0, kPsum = 1, kLif = 2, kReset = 3, kWrite = 4 };

template <class Socket, class T>
void transport(Socket& socket, tlm::tlm_command cmd, std::uint64_t address, T& message) {
  tlm::tlm_generic_payload gp;
  gp.set_command(cmd);
  gp.set_address(address);
  gp.set_data_ptr(reinterpret_cast<unsigned char*>(&message));
  gp.set_data_length(sizeof(T));
  gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  socket->b_transport(gp, delay);
  if (gp.is_response_error()) throw std::logic_error("cycle model: transaction refused: " + gp.get_response_string());
}
template <class T>
T& message(tlm::tlm_generic_payload& gp) {
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
  return *reinterpret_cast<T*>(gp.get_data_ptr());
}

struct SimState {
  std::vector<Counters>* counters = nullptr;  // per weighted layer, of the current sample
};

// Spike buffer feeding weighted layer l (or the output interface when l == layers): stores the
// activation after the max-pool / flatten layers that sit between the producer and layer l.
SC_MODULE(SpikeBuffer) {
  tlm_utils::simple_target_socket<SpikeBuffer> socket;    // from the controller (reads; frames into buffer 0)
  tlm_utils::simple_target_socket<SpikeBuffer> write_in;  // from the previous layer's neuron unit
  const Chip& chip;
  std::size_t first_op, end_op;  // network layers applied on write: [first_op, end_op)
  std::unique_ptr<ISpikeBuffer> memory;
  std::vector<float> data, scratch;
  std::size_t reset_size = 0;  // values a reset writes as zeros

  SpikeBuffer(sc_core::sc_module_name name, const Chip& c, std::size_t first, std::size_t end)
      : sc_module(name), socket("socket"), write_in("write_in"), chip(c), first_op(first), end_op(end),
        memory(make_component<ISpikeBuffer>(c.cfg)) {
    socket.register_b_transport(this, &SpikeBuffer::b_transport);
    write_in.register_b_transport(this, &SpikeBuffer::b_transport);
  }
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time&) {
    auto& a = message<Activation>(gp);
    if (gp.get_address() == kReset) {  // a recurrent layer's spike register: s[-1] = 0
      data.assign(reset_size, 0.0f);
      memory->write(data);
    } else if (gp.is_write()) {
      data = *a.data;
      for (std::size_t i = first_op; i < end_op; ++i) detail::pool_or_flatten(chip.net, chip.shapes, i, data, scratch);
      memory->write(data);
    } else {
      memory->read(*a.data);
    }
  }
};

// Frames in, spike counts out (the chip's IFrameInterface).
SC_MODULE(FrameInterface) {
  tlm_utils::simple_target_socket<FrameInterface> socket;    // from the controller: frame t
  tlm_utils::simple_target_socket<FrameInterface> write_in;  // from the last neuron unit: output spikes
  const IFrameInterface& io;
  detail::SampleInput sample;
  std::size_t frame_size = 0;
  std::vector<std::int32_t> counts;
  detail::StepLoader loader;

  FrameInterface(sc_core::sc_module_name name, const IFrameInterface& impl, std::size_t size)
      : sc_module(name), socket("socket"), write_in("write_in"), io(impl), frame_size(size) {
    socket.register_b_transport(this, &FrameInterface::b_transport);
    write_in.register_b_transport(this, &FrameInterface::b_transport);
  }
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time&) {
    auto& a = message<Activation>(gp);
    if (gp.is_read()) {  // address = time step (read in order, from 0)
      loader.load(io, sample, gp.get_address(), frame_size, *a.data, a.active);
    } else {
      io.count(*a.data, counts);
    }
  }
};

// The LIF units of a layer plus the last adder-tree stage (the neuron accumulators).
SC_MODULE(NeuronUnit) {
  sc_core::sc_in<bool> clk;
  tlm_utils::simple_target_socket<NeuronUnit> socket;   // from the controller: LIF command, reset
  tlm_utils::simple_target_socket<NeuronUnit> psum_in;  // from the tiles: adder-tree partial sums
  tlm_utils::simple_initiator_socket<NeuronUnit> out;
  // A recurrent layer's unit: the feed-forward tiles' sums come in on ff_in (psum_in brings the
  // recurrent rows'), and its spikes also go back to its own spike register (loop_out).
  std::unique_ptr<tlm_utils::simple_target_socket<NeuronUnit>> ff_in;
  std::unique_ptr<tlm_utils::simple_initiator_socket<NeuronUnit>> loop_out;
  sc_core::sc_signal<std::uint64_t> done;
  const Chip& chip;
  const ChipLayer& L;
  std::size_t l;
  SimState& sim;
  std::vector<std::int64_t> acc, ff_acc;
  std::vector<float> v, s, syn;
  std::uint64_t cycle = 0, start = 0, next = 0, finished = 0;
  bool busy = false;

  SC_HAS_PROCESS(NeuronUnit);
  NeuronUnit(sc_core::sc_module_name name, const Chip& c, std::size_t layer, SimState& st)
      : sc_module(name), socket("socket"), psum_in("psum_in"), out("out"), chip(c), L(c.layers[layer]), l(layer), sim(st) {
    socket.register_b_transport(this, &NeuronUnit::b_transport);
    psum_in.register_b_transport(this, &NeuronUnit::b_transport);
    acc.assign(static_cast<std::size_t>(L.m.positions) * static_cast<std::size_t>(L.m.cols), 0);
    v.assign(L.m.neurons, 0.0f);
    s.assign(L.m.neurons, 0.0f);
    if (L.cuba) syn.assign(L.m.neurons, 0.0f);
    if (L.m.recurrent) {
      ff_in = std::make_unique<tlm_utils::simple_target_socket<NeuronUnit>>("ff_in");
      ff_in->register_b_transport(this, &NeuronUnit::ff_transport);
      loop_out = std::make_unique<tlm_utils::simple_initiator_socket<NeuronUnit>>("loop_out");
      ff_acc.assign(L.m.neurons, 0);
    }
    SC_METHOD(on_clock);
    sensitive << clk.pos();
    dont_initialize();
  }
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time&) {
    switch (gp.get_address()) {
      case kPsum: {
        const auto& m = message<PsumMsg>(gp);
        std::copy(m.psum.begin(), m.psum.end(), acc.begin() + static_cast<std::ptrdiff_t>(m.position) * L.m.cols);
        break;
      }
      case kLif:
        start = message<LifCmd>(gp).start_cycle;
        next = 0;
        busy = true;
        break;
      case kReset:
        message<int>(gp);
        std::fill(v.begin(), v.end(), 0.0f);
        std::fill(s.begin(), s.end(), 0.0f);
        std::fill(syn.begin(), syn.end(), 0.0f);
        break;
      default: gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    }
  }
  void ff_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time&) {
    const auto& m = message<PsumMsg>(gp);
    std::copy(m.psum.begin(), m.psum.end(), ff_acc.begin() + static_cast<std::ptrdiff_t>(m.position * L.neurons.columns));
  }
  void on_clock() {
    ++cycle;
    if (!busy || cycle < start) return;
    // `units` neurons per cycle, in neuron order (channel-major for conv layers).
    const std::size_t end = std::min<std::size_t>(next + static_cast<std::size_t>(chip.timing.lif_units), L.m.neurons);
    Counters& C = (*sim.counters)[l];
    if (L.m.recurrent) chip.lif->step(L.neurons, ff_acc, acc, next, end, NeuronState{v, s, syn});
    else chip.lif->step(L.neurons, acc, {}, next, end, NeuronState{v, s, syn});
    L.count_updates(end - next, C);
    next = end;
    if (next < L.m.neurons) return;
    busy = false;
    std::fill(acc.begin(), acc.end(), 0);
    std::fill(ff_acc.begin(), ff_acc.end(), 0);
    C.buffer_write_bits += chip.buffer->bits(L.out_numel, false) * (L.m.recurrent ? 2 : 1);
    Activation a{&s};
    transport(out, tlm::TLM_WRITE_COMMAND, kWrite, a);
    if (loop_out) transport(*loop_out, tlm::TLM_WRITE_COMMAND, kWrite, a);
    done.write(++finished);
  }
};

// All tiles of one weighted layer, with ADCs, shift-add, adder tree and decryption units.
SC_MODULE(TileArray) {
  sc_core::sc_in<bool> clk;
  tlm_utils::simple_target_socket<TileArray> socket;
  tlm_utils::simple_initiator_socket<TileArray> out;
  sc_core::sc_signal<std::uint64_t> done;
  const Chip& chip;
  const ChipLayer& L;
  std::size_t l;
  SimState& sim;
  struct KeyedTile {
    int rt = 0, ct = 0;
    bool waiting = false;  // request sent this pulse, answer not yet received
    const KeyImage* image = nullptr;
    std::unique_ptr<IDecryptionUnit> unit;
    CorrectionRequest request;
  };
  std::vector<KeyedTile> keyed;
  std::vector<std::int32_t> corr;
  // Current read.
  ReadCmd cmd;
  bool busy = false;
  int pulse = 0, pulses = 0, j = 0;
  std::vector<int> tile_max, tile_driven;  // per row tile: pulses, rows driven in this pulse
  std::vector<std::size_t> tile_begin;
  std::vector<std::vector<double>> tile_currents;  // per row tile: bitline currents of this pulse
  std::vector<std::vector<std::int64_t>> tile_codes;  // per row tile: ADC codes of this pulse
  std::vector<std::int64_t> psum;
  std::uint64_t cycle = 0, finished = 0;

  SC_HAS_PROCESS(TileArray);
  TileArray(sc_core::sc_module_name name, const Chip& c, std::size_t layer, SimState& st)
      : sc_module(name), socket("socket"), out("out"), chip(c), L(c.layers[layer]), l(layer), sim(st) {
    socket.register_b_transport(this, &TileArray::b_transport);
    for (const auto& [tile, key] : L.tile_keys) {
      KeyedTile k;
      k.rt = tile / L.m.col_tiles;
      k.ct = tile % L.m.col_tiles;
      k.image = &key.image;
      k.unit = make_decryption_unit(chip.du_name, chip.du_params);
      k.unit->reset();
      k.unit->load_key(key.entries);
      keyed.push_back(std::move(k));
    }
    corr.resize(static_cast<std::size_t>(chip.du_params.cols));
    tile_max.resize(static_cast<std::size_t>(L.m.row_tiles));
    tile_driven.resize(static_cast<std::size_t>(L.m.row_tiles));
    tile_begin.resize(static_cast<std::size_t>(L.m.row_tiles) + 1);
    const std::size_t cols = static_cast<std::size_t>(L.m.cols);
    tile_currents.assign(static_cast<std::size_t>(L.m.row_tiles), std::vector<double>(cols * 2 * static_cast<std::size_t>(chip.slices)));
    tile_codes.assign(static_cast<std::size_t>(L.m.row_tiles), std::vector<std::int64_t>(cols * 2 * static_cast<std::size_t>(chip.slices)));
    psum.resize(cols);
    SC_METHOD(on_clock);
    sensitive << clk.pos();
    dont_initialize();
  }
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time&) {
    cmd = message<ReadCmd>(gp);
    std::fill(tile_max.begin(), tile_max.end(), 0);
    // The wordline drivers of row tile rt see rows [tile_begin[rt], tile_begin[rt + 1]) of the
    // read (active rows come sorted by row).
    std::fill(tile_begin.begin(), tile_begin.end(), 0);
    for (const auto& a : cmd.rows) {
      const auto rt = static_cast<std::size_t>(a.row / chip.map.tile_rows);
      tile_max[rt] = std::max(tile_max[rt], a.count);
      ++tile_begin[rt + 1];
    }
    for (std::size_t rt = 1; rt < tile_begin.size(); ++rt) tile_begin[rt] += tile_begin[rt - 1];
    pulses = *std::max_element(tile_max.begin(), tile_max.end());
    pulse = 1;
    j = 0;
    busy = true;
    std::fill(psum.begin(), psum.end(), 0);
  }
  [[nodiscard]] bool tile_active(int rt) const { return tile_max[static_cast<std::size_t>(rt)] >= pulse; }

  void start_pulse(Counters& C) {
    const int R = chip.map.tile_rows;
    for (const auto& a : cmd.rows)
      if (a.count >= pulse) C.wordlines += static_cast<std::uint64_t>(L.m.col_tiles);  // one driver per tile of the row
    for (int rt = 0; rt < L.m.row_tiles; ++rt)
      if (tile_active(rt)) {
        C.tile_reads += static_cast<std::uint64_t>(L.m.col_tiles);
        drive(rt);
      }
    for (auto& k : keyed) {
      k.waiting = false;
      if (!tile_active(k.rt)) continue;
      detail::engine_request(cmd.rows, R, k.rt, pulse, k.request);
      detail::count_request(*k.image, k.request, C);  // the request itself is sent on cycle 0 (tick_units)
    }
  }

  // The wordline drivers of row tile rt apply this pulse; the bitlines settle to their currents,
  // which the ADCs sample column by column during the window.
  void drive(int rt) {
    const auto t = static_cast<std::size_t>(rt);
    const std::span<const ActiveRow> rows = cmd.rows.subspan(tile_begin[t], tile_begin[t + 1] - tile_begin[t]);
    tile_driven[t] = static_cast<int>(std::count_if(rows.begin(), rows.end(), [&](const ActiveRow& a) { return a.count >= pulse; }));
    chip.crossbar->read(TileRead{l, rt, pulse, cmd.sample, cmd.t, cmd.position}, rows, tile_currents[t]);
  }

  // The decryption engines: the request on cycle 0 of the pulse, the answer response_latency
  // cycles later (decryption_unit.hpp), added to the tile's partial sums.
  void tick_units() {
    for (auto& k : keyed) {
      if (!tile_active(k.rt)) continue;
      const CorrectionRequest* req = nullptr;
      if (j == 0) {
        req = &k.request;
        k.waiting = true;
      }
      if (!k.unit->tick(req, corr)) continue;
      if (!k.waiting || j == 0) throw std::logic_error("decryption unit '" + k.unit->name() + "' answered out of turn");
      k.waiting = false;
      const int base = L.tile_col_begin(k.ct), n = L.tile_col_count(k.ct);
      for (int x = 0; x < n; ++x) psum[static_cast<std::size_t>(base + x)] += corr[static_cast<std::size_t>(x)];
    }
  }
  [[nodiscard]] bool engines_waiting() const {
    return std::any_of(keyed.begin(), keyed.end(), [](const KeyedTile& k) { return k.waiting; });
  }

  // ADC step m: every ADC converts its m-th multiplexed column in every active tile.
  void convert(int m, Counters& C) {
    const int S = chip.slices, cpa = chip.timing.columns_per_adc;
    const int adcs = (chip.map.tile_cols + cpa - 1) / cpa;
    for (int rt = 0; rt < L.m.row_tiles; ++rt) {
      if (!tile_active(rt)) continue;
      for (int ct = 0; ct < L.m.col_tiles; ++ct) {
        const int used = L.tile_col_count(ct) * S;
        for (int pol = 0; pol < 2; ++pol)
          for (int a = 0; a < adcs; ++a) {
            const int c = a * cpa + m;
            if (c >= used) continue;
            const int o = L.tile_col_begin(ct) + c / S, s = c % S;
            const std::size_t col = (static_cast<std::size_t>(o) * 2 + static_cast<std::size_t>(pol)) * static_cast<std::size_t>(S) +
                                    static_cast<std::size_t>(s);
            C.cell_reads += static_cast<std::uint64_t>(tile_driven[static_cast<std::size_t>(rt)]);
            tile_codes[static_cast<std::size_t>(rt)][col] = chip.adc->convert_one(tile_currents[static_cast<std::size_t>(rt)][col]);
            ++C.adc_conversions;
            if (s > 0) ++C.shift_adds;
          }
      }
    }
  }

  void end_pulse(Counters& C) {
    // Each active row tile's shift-add units combine its codes (G+ minus G-, one subtraction per
    // column) and its partial sums enter the adder tree.
    for (int rt = 0; rt < L.m.row_tiles; ++rt)
      if (tile_active(rt)) {
        chip.shift_add->combine(tile_codes[static_cast<std::size_t>(rt)], psum);
        C.shift_adds += static_cast<std::uint64_t>(L.m.cols);
        C.adder_adds += static_cast<std::uint64_t>(L.m.cols);
      }
  }

  void on_clock() {
    ++cycle;
    if (!busy || cycle < cmd.start_cycle) return;
    Counters& C = (*sim.counters)[l];
    if (j == 0) start_pulse(C);
    tick_units();
    const int k = j - chip.timing.settle;
    if (j < chip.timing.window && k >= 0 && k % chip.timing.conversion_cycles == 0) convert(k / chip.timing.conversion_cycles, C);
    ++j;
    if (j < chip.timing.window) return;
    if (engines_waiting()) {  // the pulse waits for the slowest engine: an added cycle
      ++C.added_cycles;
      return;
    }
    end_pulse(C);
    j = 0;
    if (++pulse <= pulses) return;
    busy = false;
    PsumMsg msg{cmd.position, psum};
    transport(out, tlm::TLM_WRITE_COMMAND, kPsum, msg);
    done.write(++finished);
  }
};

SC_MODULE(Controller) {
  sc_core::sc_in<bool> clk;
  tlm_utils::simple_initiator_socket<Controller> to_interface;
  tlm_utils::simple_initiator_socket<Controller> to_input_buffer;  // frame t into the first spike buffer
  std::vector<std::unique_ptr<tlm_utils::simple_initiator_socket<Controller>>> to_buffer, to_tiles, to_neurons;
  std::vector<sc_core::sc_signal<std::uint64_t>*> tile_done, neuron_done;
  const Chip& chip;
  SimState& sim;
  std::vector<SampleResult>* results = nullptr;
  std::vector<detail::SampleInput> samples;
  FrameInterface* iface = nullptr;
  std::uint64_t first_index = 0;

  enum class State { SampleStart, LayerStart, Overhead, Reads, Tree, Lif, Done };
  State state = State::SampleStart;
  std::size_t sample = 0, l = 0;
  int t = 0, steps = 0;  // steps: T of the current sample (from the frame file)
  std::uint64_t cycle = 0, remaining = 0, layer_cycles = 0, added_before = 0;
  std::vector<std::uint64_t> issued, lif_issued;  // per layer: compared with that layer's done counters
  bool tile_busy = false, lif_pending = false, any_read = false;
  int position = 0;
  std::vector<float> act;
  std::vector<ActiveRow> active;  // a sparse sample's step before a direct first layer
  Chip::Reads reads;

  SC_HAS_PROCESS(Controller);
  Controller(sc_core::sc_module_name name, const Chip& c, SimState& st) : sc_module(name), to_interface("to_interface"), to_input_buffer("to_input_buffer"), chip(c), sim(st) {
    for (std::size_t i = 0; i < chip.layers.size(); ++i) {
      const std::string n = std::to_string(i);
      to_buffer.push_back(std::make_unique<tlm_utils::simple_initiator_socket<Controller>>(("to_buffer_" + n).c_str()));
      to_tiles.push_back(std::make_unique<tlm_utils::simple_initiator_socket<Controller>>(("to_tiles_" + n).c_str()));
      // A feed-forward layer waiting for its recurrent rows has no neuron unit of its own.
      to_neurons.push_back(chip.layers[i].m.fires
                               ? std::make_unique<tlm_utils::simple_initiator_socket<Controller>>(("to_neurons_" + n).c_str())
                               : nullptr);
    }
    issued.assign(chip.layers.size(), 0);
    lif_issued.assign(chip.layers.size(), 0);
    SC_METHOD(on_clock);
    sensitive << clk.pos();
    dont_initialize();
  }

  void begin_layer() {
    const ChipLayer& L = chip.layers[l];
    Counters& C = (*sim.counters)[l];
    // A sparse sample's step goes from the interface straight to the first layer's wordline
    // drivers (the buffer traffic is counted as for the dense frame: fast mode counts it so).
    const bool direct = l == 0 && samples[sample].sparse && chip.takes_active_inputs();
    if (l == 0) {  // frame t enters the first buffer through the interface
      Activation a{&act, direct ? &active : nullptr};
      transport(to_interface, tlm::TLM_READ_COMMAND, static_cast<std::uint64_t>(t), a);
      if (!direct) transport(to_input_buffer, tlm::TLM_WRITE_COMMAND, kWrite, a);
      C.buffer_write_bits += chip.buffer->bits(L.in_numel, true);
    }
    C.buffer_read_bits += chip.buffer->bits(L.in_numel, L.count_input);
    if (direct) {
      chip.gather_active(L, active, reads);
    } else {
      Activation a{&act};
      transport(*to_buffer[l], tlm::TLM_READ_COMMAND, kRead, a);
      chip.gather(L, act, reads);  // the wordline drivers' view: active rows per output position
    }
    position = 0;
    any_read = false;
    layer_cycles = 0;
    added_before = C.added_cycles;
  }

  void on_clock() {
    ++cycle;
    for (;;) {
      switch (state) {
        case State::SampleStart: {
          if (sample >= samples.size()) {
            state = State::Done;
            sc_core::sc_stop();
            return;
          }
          auto& r = (*results)[sample];
          const std::size_t NL = chip.layers.size();
          r.per_layer.assign(NL, {});
          steps = static_cast<int>(samples[sample].steps);
          r.cycles.assign(static_cast<std::size_t>(steps), std::vector<std::uint64_t>(NL, 0));
          r.added = r.cycles;
          sim.counters = &r.per_layer;
          iface->sample = samples[sample];
          iface->counts.assign(static_cast<std::size_t>(chip.net.num_classes), 0);
          for (auto& s : to_neurons) {
            int dummy = 0;
            if (s) transport(*s, tlm::TLM_WRITE_COMMAND, kReset, dummy);
          }
          for (std::size_t m = 0; m < NL; ++m)
            if (chip.layers[m].m.recurrent) {
              Activation none;
              transport(*to_buffer[m], tlm::TLM_WRITE_COMMAND, kReset, none);
            }
          t = 0;
          l = 0;
          state = State::LayerStart;
          continue;
        }
        case State::LayerStart:
          begin_layer();
          remaining = chip.controller->layer_start_cycles();
          state = State::Overhead;
          continue;
        case State::Overhead:
          if (remaining > 0) {
            --remaining;
            ++layer_cycles;
            return;
          }
          state = State::Reads;
          continue;
        case State::Reads: {
          if (tile_busy) {
            if (tile_done[l]->read() != issued[l]) {
              ++layer_cycles;
              return;
            }
            tile_busy = false;
          }
          const ChipLayer& L = chip.layers[l];
          while (position < L.m.positions && reads.offsets[static_cast<std::size_t>(position)] == reads.offsets[static_cast<std::size_t>(position) + 1]) ++position;
          if (position < L.m.positions) {
            const auto p = static_cast<std::size_t>(position);
            // The wordline drivers latch the rows for issue cycles (this one included).
            const auto start = cycle + static_cast<std::uint64_t>(chip.timing.issue);
            ReadCmd cmd{position, {reads.rows.data() + reads.offsets[p], reads.rows.data() + reads.offsets[p + 1]}, start, t, first_index + sample};
            transport(*to_tiles[l], tlm::TLM_WRITE_COMMAND, kRead, cmd);
            ++issued[l];
            ++position;
            tile_busy = any_read = true;
            ++layer_cycles;
            return;
          }
          remaining = any_read ? chip.controller->tree_cycles(L.m.tree_levels) : 0;
          state = State::Tree;
          continue;
        }
        case State::Tree:
          if (remaining > 0) {
            --remaining;
            ++layer_cycles;
            return;
          }
          state = State::Lif;
          continue;
        case State::Lif: {
          if (!chip.layers[l].m.fires) {  // one cycle: the sums stay in the neuron unit for the recurrent rows
            if (!lif_pending) {
              lif_pending = true;
              ++layer_cycles;
              return;
            }
          } else if (!lif_pending) {
            LifCmd cmd{cycle + 1};
            transport(*to_neurons[l], tlm::TLM_WRITE_COMMAND, kLif, cmd);
            ++lif_issued[l];
            lif_pending = true;
            ++layer_cycles;
            return;
          }
          if (chip.layers[l].m.fires && neuron_done[l]->read() != lif_issued[l]) {
            ++layer_cycles;
            return;
          }
          lif_pending = false;
          auto& r = (*results)[sample];
          r.cycles[static_cast<std::size_t>(t)][l] = layer_cycles;
          r.added[static_cast<std::size_t>(t)][l] = r.per_layer[l].added_cycles - added_before;
          r.per_layer[l].cycles += layer_cycles;
          if (++l < chip.layers.size()) {
            state = State::LayerStart;
            continue;
          }
          l = 0;
          if (++t < steps) {
            state = State::LayerStart;
            continue;
          }
          r.counts = iface->counts;
          ++sample;
          state = State::SampleStart;
          continue;
        }
        case State::Done: return;
      }
    }
  }
};

// SystemC keeps one global simulation context; each run elaborates a fresh one and removes it.
class FreshSimContext {
 public:
  FreshSimContext() : ctx_(std::make_unique<sc_core::sc_simcontext>()) {
    sc_core::sc_curr_simcontext = ctx_.get();
    sc_core::sc_default_global_context = ctx_.get();
  }
  ~FreshSimContext() {
    sc_core::sc_curr_simcontext = nullptr;
    sc_core::sc_default_global_context = nullptr;
  }
  FreshSimContext(const FreshSimContext&) = delete;
  FreshSimContext& operator=(const FreshSimContext&) = delete;

 private:
  std::unique_ptr<sc_core::sc_simcontext> ctx_;
};

struct Top {
  sc_core::sc_clock clk;
  SimState sim;
  FrameInterface iface;
  Controller ctrl;
  std::vector<std::unique_ptr<SpikeBuffer>> buffers;
  std::vector<std::unique_ptr<TileArray>> tiles;
  std::vector<std::unique_ptr<NeuronUnit>> neurons;

  explicit Top(const Chip& chip)
      : clk("clk", sc_core::sc_time(1.0e3 / chip.controller->clock_mhz(), sc_core::SC_NS)),
        iface("interface", *chip.io, snn::numel(chip.net.input_shape)),
        ctrl("controller", chip, sim) {
    const std::size_t NL = chip.layers.size();
    ctrl.clk(clk);
    ctrl.iface = &iface;
    ctrl.to_interface.bind(iface.socket);
    for (std::size_t l = 0; l < NL; ++l) {
      const std::string n = std::to_string(l);
      const auto& m = chip.layers[l].m;
      // Buffer l applies the layers between the previous neuron layer and layer l on write; a
      // recurrent layer's buffer is its own spike register (nothing in between).
      const std::size_t first = m.recurrent ? m.layer_index : l == 0 ? 0 : chip.layers[l - 1].m.lif_index + 1;
      buffers.push_back(std::make_unique<SpikeBuffer>(("buffer_" + n).c_str(), chip, first, m.layer_index));
      buffers[l]->reset_size = m.recurrent ? static_cast<std::size_t>(m.rows) : 0;
      tiles.push_back(std::make_unique<TileArray>(("tiles_" + n).c_str(), chip, l, sim));
      neurons.push_back(m.fires ? std::make_unique<NeuronUnit>(("neurons_" + n).c_str(), chip, l, sim) : nullptr);
      tiles[l]->clk(clk);
      ctrl.to_buffer[l]->bind(buffers[l]->socket);
      ctrl.to_tiles[l]->bind(tiles[l]->socket);
      ctrl.tile_done.push_back(&tiles[l]->done);
      if (neurons[l]) {
        neurons[l]->clk(clk);
        ctrl.to_neurons[l]->bind(neurons[l]->socket);
        ctrl.neuron_done.push_back(&neurons[l]->done);
      } else {
        ctrl.neuron_done.push_back(nullptr);
      }
    }
    ctrl.to_input_buffer.bind(buffers[0]->write_in);
    for (std::size_t l = 0; l < NL; ++l) {
      if (!neurons[l]) {  // its sums wait in the recurrent layer's neuron unit (mapping l + 1)
        tiles[l]->out.bind(*neurons[l + 1]->ff_in);
        continue;
      }
      tiles[l]->out.bind(neurons[l]->psum_in);
      if (l + 1 < NL) neurons[l]->out.bind(buffers[l + 1]->write_in);
      else neurons[l]->out.bind(iface.write_in);
      if (neurons[l]->loop_out) neurons[l]->loop_out->bind(buffers[l]->write_in);
    }
  }
};

}  // namespace

namespace detail {
std::vector<SampleResult> run_cycle_samples(const Chip& chip, std::vector<detail::SampleInput> samples, std::uint64_t first_sample_index) {
  std::vector<SampleResult> results(samples.size());
  if (samples.empty()) return results;
  // SystemC has one global simulation context: one cycle-mode run at a time per process.
  static std::mutex systemc_mutex;
  const std::scoped_lock lock(systemc_mutex);
  ::setenv("SYSC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  const FreshSimContext context;
  // sc_stop() at the end of the samples is the normal ending: silence the kernel's info message.
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  {
    Top top(chip);
    top.ctrl.results = &results;
    top.ctrl.samples = std::move(samples);
    top.ctrl.first_index = first_sample_index;
    sc_core::sc_start();
  }
  return results;
}
}  // namespace detail

}  // namespace snngx::rram
