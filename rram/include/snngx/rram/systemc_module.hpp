#pragma once
// The SystemC side of snngx (cycle mode, the RTL co-simulation) as the snngx executable gets it:
// libsnngx_systemc.so, next to the executable, loaded on the first cycle-mode or RTL run. Loading
// libsystemc at start-up cost every command ~7 ms on the 2-core VM (its ~5,700 symbol
// relocations and a 3 MiB pool its static initialiser zero-fills; README, "Whole command vs
// engine alone"). Programs that link snngx_rram / snngx_cosim (tests, benchmarks) call the same
// SystemC code directly and never load the module.
namespace snngx::rram {

/// The extern "C" entry point `name` of libsnngx_systemc.so, loading the module on first use
/// (thread-safe). Throws std::runtime_error naming the module's path and what failed.
void* systemc_module_entry(const char* name);

/// The same as a function pointer of type `F` (the entry point's exact signature).
template <class F>
F systemc_module_function(const char* name) {
  return reinterpret_cast<F>(systemc_module_entry(name));
}

}  // namespace snngx::rram
