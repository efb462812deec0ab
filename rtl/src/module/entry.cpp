// libsnngx_systemc.so's RTL entry points (rram/systemc_module.hpp): the functions of cosim.hpp
// that touch SystemC, for the snngx executable's lazy/loader.cpp. The module is compiled with
// hidden visibility: only these (and sc_main) are seen from outside.
#include "snngx/rtl/cosim.hpp"

#define SNNGX_ENTRY extern "C" __attribute__((visibility("default")))

namespace rtl = snngx::rtl;

SNNGX_ENTRY void snngx_make_rtl_decryption_unit(const snngx::rram::DecryptionParams& params,
                                                std::unique_ptr<snngx::rram::IDecryptionUnit>& unit) {
  unit = rtl::make_rtl_decryption_unit(params);
}
SNNGX_ENTRY void snngx_rtl_verilated_config(rtl::VerilatedConfig& config) { config = rtl::verilated_config(); }
SNNGX_ENTRY void snngx_rtl_configure_simulation(const rtl::SimulationOptions& options) { rtl::configure_simulation(options); }
SNNGX_ENTRY bool snngx_rtl_simulation_elaborated() { return rtl::simulation_elaborated(); }
SNNGX_ENTRY void snngx_rtl_close_trace() { rtl::close_trace(); }
SNNGX_ENTRY std::uint64_t snngx_rtl_simulated_edges() { return rtl::simulated_edges(); }
