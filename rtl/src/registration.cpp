// Decryption unit "rtl" in rram's registry (no SystemC here: the snngx executable registers it at
// start-up and reaches make_rtl_decryption_unit through libsnngx_systemc.so, lazy/loader.cpp).
#include "snngx/rram/components/decryption_unit.hpp"
#include "snngx/rram/components/registry.hpp"
#include "snngx/rram/config.hpp"
#include "snngx/rtl/cosim.hpp"

namespace snngx::rtl {

void register_rtl_decryption_unit() {
  // The factory under "rtl" and, for chip configs and --list-params, the behavioural engine's
  // parameters under that name.
  rram::register_component<rram::IDecryptionUnit>(
      rram::derived_spec<rram::IDecryptionUnit>("behavioural", "rtl",
                         "the Verilated SystemVerilog engine of rtl/sv (snngx_cosim; ROWS, COLS, LANES fixed at build time "
                         "by SNNGX_RTL_ROWS/_COLS/_LANES)"),
      make_rtl_decryption_unit);
}

}  // namespace snngx::rtl
