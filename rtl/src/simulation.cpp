// The process-wide SystemC simulation: a fixed set of Verilated engines (snngx_decrypt_top), each
// with its own clock signal, elaborated once on first use (SystemC cannot add modules after
// elaboration).
#include "simulation.hpp"

#include <systemc.h>
#include <verilated.h>
#include <verilated_fst_sc.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "Vsnngx_decrypt_top.h"

// Debian's libsystemc.so provides main() and needs sc_main(); snngx has its own main() and drives
// the kernel from library code, so this is never called. Defined here, in the object every RTL
// user links, so that the linker always finds it; weak because rram/'s cycle model has one too.
extern "C" __attribute__((weak, visibility("default"))) int sc_main(int, char**) { return 1; }

namespace snngx::rtl {
namespace detail {
namespace {

// Half a clock period: 10 ns cycles (100 MHz) in the waveform; the time base is arbitrary.
const sc_core::sc_time kHalfPeriod(5, sc_core::SC_NS);

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


// Port value types of the Verilated top (--pins-bv 2: bool for 1 bit, sc_bv<W> otherwise).
template <class Port>
struct port_value;
template <class T>
struct port_value<sc_core::sc_in<T>> {
  using type = T;
};
template <class T>
struct port_value<sc_core::sc_out<T>> {
  using type = T;
};
template <class Port>
using port_t = typename port_value<std::remove_reference_t<Port>>::type;

template <class T>
struct bits_of;
template <>
struct bits_of<bool> {
  static constexpr int value = 1;
};
template <int W>
struct bits_of<sc_dt::sc_bv<W>> {
  static constexpr int value = W;
};

using Model = Vsnngx_decrypt_top;
using RowT = port_t<decltype(Model::key_row)>;
using WordT = port_t<decltype(Model::key_word)>;
using ActiveT = port_t<decltype(Model::in_active)>;
using CorrT = port_t<decltype(Model::corr)>;
using RdEnT = port_t<decltype(Model::rd_en)>;
using RdAddrT = port_t<decltype(Model::rd_addr)>;
constexpr int kRows = bits_of<ActiveT>::value;
constexpr int kCorrBits = VerilatedConfig::corr_bits;
constexpr int kPsumBits = VerilatedConfig::psum_bits;
constexpr int kCols = bits_of<CorrT>::value / kPsumBits;
constexpr int kLanes = bits_of<RdEnT>::value;
constexpr int kAddrBits = bits_of<RdAddrT>::value / kLanes;
static_assert(kRows == SNNGX_RTL_ROWS, "in_active is ROWS bits wide");
static_assert(kCols == SNNGX_RTL_COLS && bits_of<CorrT>::value == kCols * kPsumBits, "corr is COLS x PSUM_W bits");
static_assert(bits_of<WordT>::value == kCols * kCorrBits, "key_word is COLS x CORR_W bits");
static_assert(kLanes == SNNGX_RTL_LANES && bits_of<RdAddrT>::value == kLanes * kAddrBits, "LANES banks");

// Writes the low `bits` (<= 32) bits of x at bit `lo` of a port value.
template <class T>
void put(T& v, int lo, int bits, std::uint32_t x) {
  if constexpr (std::is_same_v<T, bool>) {
    v = (x & 1U) != 0;
  } else {
    v.range(lo + bits - 1, lo) = bits == 32 ? x : x & ((1U << bits) - 1U);
  }
}

template <class T>
std::uint32_t get(const T& v, int lo, int bits) {
  if constexpr (std::is_same_v<T, bool>) {
    return v ? 1U : 0U;
  } else {
    return static_cast<std::uint32_t>(v.range(lo + bits - 1, lo).to_uint());
  }
}

ActiveT to_rows(const std::vector<std::uint64_t>& words) {
  ActiveT v{};
  for (int lo = 0; lo < kRows; lo += 32) {
    const auto w = static_cast<std::size_t>(lo / 64);
    const std::uint64_t word = w < words.size() ? words[w] : 0;
    put(v, lo, std::min(32, kRows - lo), static_cast<std::uint32_t>(word >> (lo % 64)));
  }
  return v;
}

WordT to_word(const std::vector<std::int32_t>& corr) {
  WordT v{};
  for (int c = 0; c < kCols; ++c) {
    const auto i = static_cast<std::size_t>(c);
    put(v, c * kCorrBits, kCorrBits, i < corr.size() ? static_cast<std::uint32_t>(corr[i]) : 0U);
  }
  return v;
}

// The signals of one engine.
class EngineInstance final : public Instance {
 public:
  // Constructed with `ctx` current (elaboration).
  EngineInstance(sc_core::sc_simcontext* ctx, const char* name) : ctx_(ctx), model_(std::make_unique<Model>(name)) {
    Model& m = *model_;
    m.clk(clk_);
    m.rst(rst_);
    m.key_clear(key_clear_);
    m.key_we(key_we_);
    m.key_row(key_row_);
    m.key_word(key_word_);
    m.in_valid(in_valid_);
    m.in_active(in_active_);
    m.ready(ready_);
    m.corr_valid(corr_valid_);
    m.corr(corr_);
    m.rd_en(rd_en_);
    m.rd_addr(rd_addr_);
  }

  [[nodiscard]] bool ready() const override {
    const ContextScope scope(ctx_);
    return ready_.read();
  }
  [[nodiscard]] bool corr_valid() const override {
    const ContextScope scope(ctx_);
    return corr_valid_.read();
  }
  void corr(std::span<std::int32_t> out) const override {
    const ContextScope scope(ctx_);
    const CorrT v = corr_.read();
    for (int c = 0; c < kCols && static_cast<std::size_t>(c) < out.size(); ++c)
      out[static_cast<std::size_t>(c)] = static_cast<std::int32_t>(get(v, c * kPsumBits, kPsumBits));
  }

  void reading(std::span<int> out) const override {
    const ContextScope scope(ctx_);
    const RdEnT en = rd_en_.read();
    const RdAddrT addr = rd_addr_.read();
    for (int b = 0; b < kLanes && static_cast<std::size_t>(b) < out.size(); ++b)
      out[static_cast<std::size_t>(b)] =
          get(en, b, 1) ? static_cast<int>(get(addr, b * kAddrBits, kAddrBits)) * kLanes + b : -1;
  }

  void tick(const EngineInputs& in) override {
    const ContextScope scope(ctx_);
    RowT row{};
    put(row, 0, bits_of<RowT>::value, in.key_row);
    rst_.write(in.rst);
    key_clear_.write(in.key_clear);
    key_we_.write(in.key_we);
    key_row_.write(row);
    key_word_.write(to_word(in.key_word));
    in_valid_.write(in.in_valid);
    in_active_.write(to_rows(in.in_active));
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
  sc_core::sc_signal<bool> clk_, rst_, key_clear_, key_we_, in_valid_, ready_, corr_valid_;
  sc_core::sc_signal<RowT> key_row_;
  sc_core::sc_signal<WordT> key_word_;
  sc_core::sc_signal<ActiveT> in_active_;
  sc_core::sc_signal<CorrT> corr_;
  sc_core::sc_signal<RdEnT> rd_en_;
  sc_core::sc_signal<RdAddrT> rd_addr_;
};

class Simulation {
 public:
  explicit Simulation(const SimulationOptions& options) {
    ::setenv("SYSC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
    const ContextScope scope(context());
    Verilated::traceEverOn(true);  // must precede model construction; costs nothing untraced
    for (int i = 0; i < options.instances; ++i)
      pool_.push_back(std::make_unique<EngineInstance>(context(), ("rtl_engine" + std::to_string(i)).c_str()));
    sc_core::sc_start(sc_core::SC_ZERO_TIME);  // ends elaboration (binds ports)
  }

  // Called once the simulation is kept (simulation()): a failure here must not destroy its
  // SystemC objects. The trace file stays alive even when closed or never opened: the kernel
  // keeps a pointer to it (VerilatedFstSc does not unregister), and dumping a closed file does nothing.
  void open_trace(const std::filesystem::path& path) {
    if (path.empty()) return;
    const ContextScope scope(context());
    trace_ = std::make_unique<VerilatedFstSc>();
    for (const auto& inst : pool_) inst->trace(*trace_);
    trace_->open(path.c_str());
    if (!trace_->isOpen()) throw std::runtime_error(path.string() + ": cannot open the waveform file for writing");
  }

  Instance& acquire() {
    for (auto& inst : pool_)
      if (!inst->leased) {
        inst->leased = true;
        return *inst;
      }
    throw std::runtime_error("rtl: all " + std::to_string(pool_.size()) +
                             " RTL engine instances are in use: more decryption engines have work in flight at once than "
                             "the RTL simulation was set up for (rtl::configure_simulation, SimulationOptions::instances)");
  }

  void close_trace() {
    const ContextScope scope(context());
    if (trace_) trace_->close();
  }

  // Created before (and, the simulation being never deleted, outliving) every RTL object.
  sc_core::sc_simcontext* context() {
    if (!ctx_) ctx_ = std::make_unique<sc_core::sc_simcontext>();
    return ctx_.get();
  }

 private:
  std::unique_ptr<sc_core::sc_simcontext> ctx_;
  std::vector<std::unique_ptr<EngineInstance>> pool_;
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
  if (!sim) {
    sim = std::make_unique<Simulation>(pending_options()).release();  // NOLINT: intentionally leaked
    sim->open_trace(pending_options().trace);
  }
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

Instance& acquire() { return simulation().acquire(); }

void release(Instance& instance) { instance.leased = false; }

}  // namespace detail

VerilatedConfig verilated_config() {
  return {SNNGX_RTL_ROWS, SNNGX_RTL_COLS, SNNGX_RTL_LANES};
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

// ---- RtlEngine -----------------------------------------------------------------------------------

struct RtlEngine::Impl {
  detail::Instance* inst = nullptr;
};

RtlEngine::RtlEngine() : impl_(std::make_unique<Impl>()) {
  const std::scoped_lock lock(detail::simulation_mutex());
  impl_->inst = &detail::acquire();
  impl_->inst->key_owner = 0;  // the caller drives the key port itself
}

RtlEngine::~RtlEngine() {
  const std::scoped_lock lock(detail::simulation_mutex());
  impl_->inst->key_owner = 0;
  detail::release(*impl_->inst);
}

EngineOutputs RtlEngine::outputs() const {
  const std::scoped_lock lock(detail::simulation_mutex());
  EngineOutputs o;
  o.ready = impl_->inst->ready();
  o.corr_valid = impl_->inst->corr_valid();
  o.corr.assign(static_cast<std::size_t>(SNNGX_RTL_COLS), 0);
  impl_->inst->corr(o.corr);
  o.reading.assign(static_cast<std::size_t>(SNNGX_RTL_LANES), -1);
  impl_->inst->reading(o.reading);
  return o;
}

void RtlEngine::tick(const EngineInputs& in) {
  const std::scoped_lock lock(detail::simulation_mutex());
  impl_->inst->tick(in);
}

}  // namespace snngx::rtl
