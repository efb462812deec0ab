// The functions of cosim.hpp that touch SystemC, as the snngx executable gets them: forwarded to
// libsnngx_systemc.so (rram/systemc_module.hpp; module/entry.cpp), which is loaded the first time
// one of them runs. run.cpp and registration.cpp are linked into the executable as they are.
#include "snngx/rram/systemc_module.hpp"
#include "snngx/rtl/cosim.hpp"

namespace snngx::rtl {
using rram::systemc_module_function;

std::unique_ptr<rram::IDecryptionUnit> make_rtl_decryption_unit(const rram::DecryptionParams& params) {
  static const auto make = systemc_module_function<void (*)(const rram::DecryptionParams&, std::unique_ptr<rram::IDecryptionUnit>&)>(
      "snngx_make_rtl_decryption_unit");
  std::unique_ptr<rram::IDecryptionUnit> unit;
  make(params, unit);
  return unit;
}

VerilatedConfig verilated_config() {
  static const auto get = systemc_module_function<void (*)(VerilatedConfig&)>("snngx_rtl_verilated_config");
  VerilatedConfig config;
  get(config);
  return config;
}

void configure_simulation(const SimulationOptions& options) {
  static const auto configure = systemc_module_function<void (*)(const SimulationOptions&)>("snngx_rtl_configure_simulation");
  configure(options);
}

bool simulation_elaborated() {
  static const auto elaborated = systemc_module_function<bool (*)()>("snngx_rtl_simulation_elaborated");
  return elaborated();
}

void close_trace() {
  static const auto close = systemc_module_function<void (*)()>("snngx_rtl_close_trace");
  close();
}

std::uint64_t simulated_edges() {
  static const auto edges = systemc_module_function<std::uint64_t (*)()>("snngx_rtl_simulated_edges");
  return edges();
}

}  // namespace snngx::rtl
