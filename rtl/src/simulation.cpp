// The process-wide SystemC simulation: a fixed set of Verilated slices, each with its own clock
// signal, elaborated once on first use (SystemC cannot add modules after elaboration).
#include "simulation.hpp"

#include <systemc.h>
#include <verilated.h>
#include <verilated_fst_sc.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <vector>

#include "Vsnngx_slice_dec.h"
#include "Vsnngx_slice_nodec.h"

// Debian's libsystemc.so provides main() and needs sc_main(); snngx has its own main() and drives
// the kernel from library code, so this is never called. Defined here, in the object every RTL
// user links, so that the linker always finds it; weak because rram/'s cycle model has one too.
extern "C" __attribute__((weak)) int sc_main(int, char**) { return 1; }

namespace snngx::rtl {
namespace detail {
namespace {

constexpr int kRows = SNNGX_RTL_ROWS;
constexpr int kLanes = SNNGX_RTL_LANES;
constexpr int kPsumBits = VerilatedConfig::psum_bits;
constexpr int kPsumVectorBits = kLanes * kPsumBits;
// Half a clock period: 10 ns cycles (100 MHz) in the waveform; the time base is arbitrary.
const sc_core::sc_time kHalfPeriod(5, sc_core::SC_NS);
constexpr int kNodecInstances = 2;  // the stage without the unit is only used by comparisons

std::atomic<std::uint64_t> edges{0};

// Makes `ctx` SystemC's current context for the scope and restores the previous one. The RTL has
// its own context so that it neither depends on nor disturbs another SystemC model of the
// process (the accelerator's cycle mode elaborates a fresh context per run and may call the RTL
// unit from inside its own running simulation: only SC_METHODs run, so nesting is safe).
class ContextScope {
 public:
  explicit ContextScope(sc_core::sc_simcontext* ctx)
      : saved_curr_(sc_core::sc_curr_simcontext), saved_default_(sc_core::sc_default_global_context) {
    sc_core::sc_curr_simcontext = ctx;
    sc_core::sc_default_global_context = ctx;
  }
  ~ContextScope() {
    sc_core::sc_curr_simcontext = saved_curr_;
    sc_core::sc_default_global_context = saved_default_;
  }
  ContextScope(const ContextScope&) = delete;
  ContextScope& operator=(const ContextScope&) = delete;

 private:
  sc_core::sc_simcontext* saved_curr_;
  sc_core::sc_simcontext* saved_default_;
};


using RowVector = sc_dt::sc_bv<kRows>;
using LaneVector = sc_dt::sc_bv<kPsumVectorBits>;

RowVector to_rows(const std::vector<std::uint64_t>& words) {
  RowVector v;  // zero
  for (int r = 0; r < kRows; ++r) {
    const auto w = static_cast<std::size_t>(r / 64);
    if (w < words.size() && ((words[w] >> (r % 64)) & 1U)) v[r] = sc_dt::SC_LOGIC_1;
  }
  return v;
}

LaneVector to_lanes(const std::vector<std::int32_t>& values) {
  LaneVector v;
  for (int j = 0; j < kLanes && static_cast<std::size_t>(j) < values.size(); ++j)
    v.range(j * kPsumBits + kPsumBits - 1, j * kPsumBits) = static_cast<std::uint32_t>(values[static_cast<std::size_t>(j)]);
  return v;
}

std::vector<std::int32_t> from_lanes(const LaneVector& v) {
  std::vector<std::int32_t> out(static_cast<std::size_t>(kLanes));
  for (int j = 0; j < kLanes; ++j)
    out[static_cast<std::size_t>(j)] = static_cast<std::int32_t>(v.range(j * kPsumBits + kPsumBits - 1, j * kPsumBits).to_uint());
  return out;
}

// The signals of one slice; Model is one of the two Verilated variants (same ports).
template <class Model>
class SliceInstance final : public Instance {
 public:
  // Constructed with `ctx` current (elaboration).
  SliceInstance(sc_core::sc_simcontext* ctx, const char* name, bool with_decryption)
      : ctx_(ctx), model_(std::make_unique<Model>(name)), dec_(with_decryption) {
    Model& m = *model_;
    m.clk(clk_);
    m.rst(rst_);
    m.key_we(key_we_);
    m.key_addr(key_addr_);
    m.key_row(key_row_);
    m.key_col(key_col_);
    m.key_corr(key_corr_);
    m.key_count(key_count_);
    m.in_valid(in_valid_);
    m.in_row_base(in_row_base_);
    m.in_col_base(in_col_base_);
    m.in_active(in_active_);
    m.corr_valid(corr_valid_);
    m.corr(corr_);
    m.psum_valid(psum_valid_);
    m.psum(psum_);
    m.out_valid(out_valid_);
    m.out_psum(out_psum_);
    m.err_late(err_late_);
    m.err_overflow(err_overflow_);
  }

  [[nodiscard]] bool has_decryption() const override { return dec_; }

  [[nodiscard]] SliceOutputs outputs() const override {
    const ContextScope scope(ctx_);
    SliceOutputs o;
    o.corr_valid = corr_valid_.read();
    o.corr = from_lanes(corr_.read());
    o.out_valid = out_valid_.read();
    o.out_psum = from_lanes(out_psum_.read());
    o.err_late = err_late_.read();
    o.err_overflow = err_overflow_.read();
    return o;
  }

  void tick(const SliceInputs& in) override {
    const ContextScope scope(ctx_);
    rst_.write(in.rst);
    key_we_.write(in.key_we);
    key_addr_.write(in.key_addr);
    key_row_.write(in.key_row);
    key_col_.write(in.key_col);
    key_corr_.write(static_cast<std::uint32_t>(in.key_corr));
    key_count_.write(in.key_count);
    in_valid_.write(in.in_valid);
    in_row_base_.write(in.in_row_base);
    in_col_base_.write(in.in_col_base);
    in_active_.write(to_rows(in.in_active));
    psum_valid_.write(in.psum_valid);
    psum_.write(to_lanes(in.psum));
    clk_.write(false);
    sc_core::sc_start(kHalfPeriod);  // inputs settle with the clock low
    clk_.write(true);
    sc_core::sc_start(kHalfPeriod);  // rising edge: registers take the inputs
    edges.fetch_add(1, std::memory_order_relaxed);
  }

  void trace(VerilatedFstSc& file) { model_->trace(&file, 99); }

 private:
  sc_core::sc_simcontext* ctx_;
  std::unique_ptr<Model> model_;
  bool dec_;
  sc_core::sc_signal<bool> clk_, rst_, key_we_, in_valid_, psum_valid_;
  sc_core::sc_signal<bool> corr_valid_, out_valid_, err_late_, err_overflow_;
  sc_core::sc_signal<std::uint32_t> key_addr_, key_row_, key_col_, key_corr_, key_count_, in_row_base_, in_col_base_;
  sc_core::sc_signal<RowVector> in_active_;
  sc_core::sc_signal<LaneVector> corr_, psum_, out_psum_;
};

class Simulation {
 public:
  explicit Simulation(const SimulationOptions& options) {
    ::setenv("SYSC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
    const ContextScope scope(context());
    Verilated::traceEverOn(true);  // must precede model construction; costs nothing untraced
    for (int i = 0; i < options.instances; ++i)
      add(std::make_unique<SliceInstance<Vsnngx_slice_dec>>(context(), ("rtl_dec" + std::to_string(i)).c_str(), true));
    for (int i = 0; i < kNodecInstances; ++i)
      add(std::make_unique<SliceInstance<Vsnngx_slice_nodec>>(context(), ("rtl_nodec" + std::to_string(i)).c_str(), false));
    sc_core::sc_start(sc_core::SC_ZERO_TIME);  // ends elaboration (binds ports)
    if (!options.trace.empty()) {
      trace_ = std::make_unique<VerilatedFstSc>();
      for (const auto& inst : dec_) static_cast<SliceInstance<Vsnngx_slice_dec>&>(*inst).trace(*trace_);
      for (const auto& inst : nodec_) static_cast<SliceInstance<Vsnngx_slice_nodec>&>(*inst).trace(*trace_);
      trace_->open(options.trace.c_str());
      if (!trace_->isOpen()) throw std::runtime_error(options.trace.string() + ": cannot open the waveform file for writing");
    }
  }

  Instance& acquire(bool with_decryption) {
    auto& pool = with_decryption ? dec_ : nodec_;
    for (auto& inst : pool)
      if (!inst->leased) {
        inst->leased = true;
        return *inst;
      }
    throw std::runtime_error("rtl: all " + std::to_string(pool.size()) + " RTL instances " +
                             (with_decryption ? "with" : "without") +
                             " the decryption unit are in use: more tiles with key entries have reads in flight at "
                             "once than the RTL simulation was set up for (rtl::configure_simulation, "
                             "SimulationOptions::instances)");
  }

  void close_trace() {
    const ContextScope scope(context());
    if (trace_) trace_->close();
    trace_.reset();
  }

  // Created before (and, the simulation being never deleted, outliving) every RTL object.
  sc_core::sc_simcontext* context() {
    if (!ctx_) ctx_ = std::make_unique<sc_core::sc_simcontext>();
    return ctx_.get();
  }

 private:
  void add(std::unique_ptr<Instance> inst) { (inst->has_decryption() ? dec_ : nodec_).push_back(std::move(inst)); }

  std::unique_ptr<sc_core::sc_simcontext> ctx_;
  std::vector<std::unique_ptr<Instance>> dec_, nodec_;
  std::unique_ptr<VerilatedFstSc> trace_;
};

SimulationOptions& pending_options() {
  static SimulationOptions options;
  return options;
}

// The simulation lives until the process exits: SystemC objects must not be destroyed after
// (or during) the kernel's own static teardown, so it is deliberately never deleted.
Simulation*& simulation_ptr() {
  static Simulation* sim = nullptr;
  return sim;
}

Simulation& simulation() {
  Simulation*& sim = simulation_ptr();
  if (!sim) sim = std::make_unique<Simulation>(pending_options()).release();  // NOLINT: intentionally leaked
  return *sim;
}

}  // namespace

std::mutex& simulation_mutex() {
  static std::mutex m;
  return m;
}

std::uint64_t next_key_id() {
  static std::atomic<std::uint64_t> id{0};
  return ++id;
}

Instance& acquire(bool with_decryption) { return simulation().acquire(with_decryption); }

void release(Instance& instance) { instance.leased = false; }

}  // namespace detail

VerilatedConfig verilated_config() {
  return {SNNGX_RTL_ROWS, SNNGX_RTL_LANES, SNNGX_RTL_KEY_DEPTH, SNNGX_RTL_LAT, SNNGX_RTL_FIFO_DEPTH};
}

void configure_simulation(const SimulationOptions& options) {
  const std::scoped_lock lock(detail::simulation_mutex());
  if (detail::simulation_ptr())
    throw std::logic_error("rtl: configure_simulation must be called before the first RTL unit is created");
  if (options.instances < 1 || options.instances > 4096)
    throw std::invalid_argument("rtl: instances must be in 1..4096, got " + std::to_string(options.instances));
  detail::pending_options() = options;
}

bool simulation_elaborated() {
  const std::scoped_lock lock(detail::simulation_mutex());
  return detail::simulation_ptr() != nullptr;
}

void close_trace() {
  const std::scoped_lock lock(detail::simulation_mutex());
  if (detail::simulation_ptr()) detail::simulation_ptr()->close_trace();
}

std::uint64_t simulated_edges() { return detail::edges.load(); }

// ---- RtlSlice ------------------------------------------------------------------------------------

struct RtlSlice::Impl {
  detail::Instance* inst = nullptr;
};

RtlSlice::RtlSlice(bool with_decryption) : impl_(std::make_unique<Impl>()) {
  const std::scoped_lock lock(detail::simulation_mutex());
  impl_->inst = &detail::acquire(with_decryption);
  impl_->inst->key_owner = 0;  // the test drives the key port itself
}

RtlSlice::~RtlSlice() {
  const std::scoped_lock lock(detail::simulation_mutex());
  detail::release(*impl_->inst);
}

SliceOutputs RtlSlice::outputs() const {
  const std::scoped_lock lock(detail::simulation_mutex());
  return impl_->inst->outputs();
}

void RtlSlice::tick(const SliceInputs& in) {
  const std::scoped_lock lock(detail::simulation_mutex());
  impl_->inst->tick(in);
}

}  // namespace snngx::rtl
