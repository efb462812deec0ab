// Cycle mode in the snngx executable: detail::run_cycle_samples from libsnngx_systemc.so
// (systemc_module.hpp), which holds cycle_model.cpp and entry.cpp.
#include "../model.hpp"
#include "snngx/rram/systemc_module.hpp"

namespace snngx::rram::detail {

std::vector<SampleResult> run_cycle_samples(const Chip& chip, std::vector<SampleInput> samples, std::uint64_t first_sample_index) {
  using Entry = void (*)(const Chip&, std::vector<SampleInput>&, std::uint64_t, std::vector<SampleResult>&);
  static const auto entry = systemc_module_function<Entry>("snngx_run_cycle_samples");
  std::vector<SampleResult> results;
  entry(chip, samples, first_sample_index, results);
  return results;
}

}  // namespace snngx::rram::detail
