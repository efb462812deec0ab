// The RTL unit clocked from inside another running SystemC simulation, as the accelerator's
// cycle mode does: a host model in its own simulation context ticks the RTL unit and the
// behavioural unit once per host clock cycle from a clocked SC_METHOD. Own executable, so that the
// RTL's simulation is elaborated for the first time from inside the host's running simulation.
#include <gtest/gtest.h>
#include <systemc.h>

#include <array>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "snngx/rram/decryption_unit.hpp"
#include "snngx/rtl/cosim.hpp"

namespace snngx::rtl {
namespace {

using rram::CorrectionRequest;
using rram::KeyEntry;

// Issues a request whenever the engines are idle (right after an answer, or after a short gap)
// and compares both engines' outputs on every tick.
struct Lockstep {
  std::unique_ptr<rram::IDecryptionUnit> rtl, beh;
  std::mt19937_64 rng{424242};
  std::uint64_t cycles = 0, responses = 0, nonzero = 0, mismatches = 0;
  std::uint64_t limit = 0;
  int idle_in = 0;     // ticks until the next request may be given
  bool busy = false;   // a request is in flight

  void step() {
    const int rows = rtl->params().rows;
    CorrectionRequest req;
    const bool issue = !busy && idle_in == 0;
    if (issue) {
      req.active.assign(static_cast<std::size_t>((rows + 63) / 64), 0);
      const double density = std::array{0.05, 0.3, 1.0}[std::uniform_int_distribution<std::size_t>(0, 2)(rng)];
      for (int r = 0; r < rows; ++r)
        if (std::bernoulli_distribution(density)(rng)) req.active[static_cast<std::size_t>(r / 64)] |= std::uint64_t{1} << (r % 64);
    }
    const auto cols = static_cast<std::size_t>(rtl->params().cols);
    std::vector<std::int32_t> a(cols, -1), b(cols, -1);
    const bool va = rtl->tick(issue ? &req : nullptr, a);
    const bool vb = beh->tick(issue ? &req : nullptr, b);
    mismatches += va != vb || (va && a != b);
    if (va) {
      ++responses;
      for (const auto x : a) nonzero += x != 0;
    }
    if (issue) {
      busy = true;
    } else if (va) {
      busy = false;
      idle_in = std::uniform_int_distribution<int>(0, 2)(rng);
    } else if (!busy && idle_in > 0) {
      --idle_in;
    }
    if (++cycles == limit) sc_core::sc_stop();
  }
};

SC_MODULE(Host) {
  sc_core::sc_in<bool> clk;
  Lockstep* lockstep = nullptr;

  SC_CTOR(Host) {
    SC_METHOD(on_clock);
    sensitive << clk.pos();
    dont_initialize();
  }
  void on_clock() { lockstep->step(); }
};

// Makes a fresh simulation context current for the scope (the way rram's cycle mode runs).
class FreshContext {
 public:
  FreshContext()
      : saved_curr_(sc_core::sc_curr_simcontext),
        saved_default_(sc_core::sc_default_global_context),
        ctx_(std::make_unique<sc_core::sc_simcontext>()) {
    sc_core::sc_curr_simcontext = ctx_.get();
    sc_core::sc_default_global_context = ctx_.get();
  }
  ~FreshContext() {
    sc_core::sc_curr_simcontext = saved_curr_;
    sc_core::sc_default_global_context = saved_default_;
  }
  FreshContext(const FreshContext&) = delete;
  FreshContext& operator=(const FreshContext&) = delete;

 private:
  sc_core::sc_simcontext* saved_curr_;
  sc_core::sc_simcontext* saved_default_;
  std::unique_ptr<sc_core::sc_simcontext> ctx_;
};

void run_host(Lockstep& lockstep) {
  const FreshContext context;
  sc_core::sc_clock clk("host_clk", sc_core::sc_time(1, sc_core::SC_NS));
  Host host("host");
  host.clk(clk);
  host.lockstep = &lockstep;
  sc_core::sc_start();
}

TEST(RtlNested, UnitClockedFromAnotherRunningSimulationMatchesBehaviouralEveryCycle) {
  ASSERT_FALSE(simulation_elaborated()) << "this test must be the first RTL use of its process";
  rram::DecryptionParams p;
  Lockstep lockstep;
  lockstep.rtl = make_rtl_decryption_unit(p);
  lockstep.beh = rram::make_behavioural_decryption_unit(p);
  std::vector<KeyEntry> key;
  for (int r = 0; r < p.rows; ++r)
    for (int c = 0; c < p.cols; ++c)
      if (std::bernoulli_distribution(0.1)(lockstep.rng))
        key.push_back({static_cast<std::uint16_t>(r), static_cast<std::uint16_t>(c),
                       2 * std::uniform_int_distribution<int>(1, 127)(lockstep.rng)});
  lockstep.rtl->load_key(key);
  lockstep.beh->load_key(key);

  lockstep.limit = 3000;
  run_host(lockstep);
  EXPECT_TRUE(simulation_elaborated());
  EXPECT_EQ(lockstep.cycles, 3000U);
  EXPECT_EQ(lockstep.mismatches, 0U);
  EXPECT_GT(lockstep.responses, 100U);
  EXPECT_GT(lockstep.nonzero, 1000U);

  // A second host simulation (a new context, as every accelerator run has) keeps working.
  lockstep.cycles = 0;
  lockstep.limit = 500;
  run_host(lockstep);
  EXPECT_EQ(lockstep.cycles, 500U);
  EXPECT_EQ(lockstep.mismatches, 0U);
}

}  // namespace
}  // namespace snngx::rtl
