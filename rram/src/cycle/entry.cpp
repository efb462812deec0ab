// libsnngx_systemc.so's cycle-mode entry point (systemc_module.hpp; the module is compiled with
// hidden visibility, so only extern "C" entry points and sc_main are seen from outside).
#include "../model.hpp"

extern "C" __attribute__((visibility("default"))) void snngx_run_cycle_samples(
    const snngx::rram::detail::Chip& chip, std::vector<snngx::rram::detail::SampleInput>& samples, std::uint64_t first_sample_index,
    std::vector<snngx::rram::SampleResult>& results) {
  results = snngx::rram::detail::run_cycle_samples(chip, std::move(samples), first_sample_index);
}
