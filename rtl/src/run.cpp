// `snngx cosim`: accelerator with the RTL engines vs software engine vs a chip without the unit.
#include "snngx/rtl/run.hpp"

#include <algorithm>
#include <stdexcept>

#include "snngx/rtl/cosim.hpp"

namespace snngx::rtl {
namespace {

// `Frames`: a datasets::FrameSet in memory, or a datasets::FrameSource streamed in batches (each
// run re-reads the file, so memory stays O(batch + model)).
template <class Frames>
rram::RunResult run_chip(const snn::Network& model, rram::ChipConfig config, const std::string& unit,
                         const crypto::XorKey* key, const std::string& fingerprint, Frames& frames,
                         const CosimOptions& o, const std::string& stage) {
  config.set("decryption_unit.impl", unit);
  rram::Accelerator chip(model, config);
  if (key && !chip.load_key(*key, fingerprint))
    throw std::invalid_argument("cosim: the accelerator's key store refused the key (fingerprint mismatch)");
  rram::RunOptions ro;
  ro.mode = o.mode;
  ro.threads = 1;  // the RTL units share one SystemC simulation
  ro.limit = o.limit;
  if (o.progress) ro.progress = [&](std::size_t done, std::size_t total) { o.progress(stage, done, total); };
  return chip.run(frames, ro);
}

snn::InferenceResult infer_software(const snn::Network& plain, const datasets::FrameSet& frames, const snn::InferenceOptions& io) {
  return snn::infer(plain, frames, io);
}
snn::InferenceResult infer_software(const snn::Network& plain, datasets::FrameSource& frames, const snn::InferenceOptions& io) {
  return snn::infer(snn::Engine(plain, io.engine), frames, io);
}

template <class Frames>
CosimReport run_cosim_on(const snn::Network& stored, const crypto::XorKey& key, const std::string& key_fingerprint,
                         const snn::Network& plain, Frames& frames, const CosimOptions& o) {
  register_rtl_decryption_unit();
  CosimReport r;
  for (const auto& entries : rram::key_entries(stored, key)) r.key_entries += entries.size();
  // Every engine of the pool may have a request in flight at once: one instance each.
  if (!simulation_elaborated()) {
    configure_simulation({o.trace, std::clamp(o.config.get_int("decryption_unit", "engines"), 1, 4096)});
  } else if (!o.trace.empty()) {
    throw std::logic_error("cosim: a waveform must be requested before the first RTL simulation of the process");
  }

  const std::uint64_t edges_before = simulated_edges();
  r.rtl = run_chip(stored, o.config, "rtl", &key, key_fingerprint, frames, o, "rtl");
  r.rtl_edges = simulated_edges() - edges_before;
  close_trace();
  r.baseline = run_chip(plain, o.config, "none", nullptr, "", frames, o, "baseline");
  CosimOptions fast = o;
  fast.mode = rram::Mode::Fast;
  r.without_key = run_chip(stored, o.config, "none", nullptr, "", frames, fast, "without key");

  snn::InferenceOptions io;
  io.limit = o.limit;
  io.threads = 1;
  if (o.progress) io.progress = [&](std::size_t done, std::size_t total) { o.progress("software", done, total); };
  r.software = infer_software(plain, frames, io);

  const std::size_t n = r.rtl.predictions.size();
  if (r.software.size() != n || r.baseline.predictions.size() != n || r.without_key.predictions.size() != n)
    throw std::logic_error("cosim: the runs covered different numbers of samples");
  const std::size_t classes = n ? r.rtl.spike_counts.size() / n : 0;
  const auto sample_differs = [&](const std::vector<std::int32_t>& counts, std::size_t i) {
    for (std::size_t c = 0; c < classes; ++c)
      if (counts[i * classes + c] != r.software.spike_counts[i * classes + c]) return true;
    return false;
  };
  std::int64_t rtl_cycles = 0, baseline_cycles = 0;
  for (std::size_t i = 0; i < n; ++i) {
    r.spike_mismatches += sample_differs(r.rtl.spike_counts, i);
    r.encrypted_differs += sample_differs(r.without_key.spike_counts, i);
    r.cycle_mismatches += r.rtl.cycles_per_sample.at(i) != r.baseline.cycles_per_sample.at(i);
    rtl_cycles += static_cast<std::int64_t>(r.rtl.cycles_per_sample[i]);
    baseline_cycles += static_cast<std::int64_t>(r.baseline.cycles_per_sample[i]);
  }
  r.added_cycles = r.rtl.total().added_cycles;
  r.unaccounted_cycles = rtl_cycles - baseline_cycles - static_cast<std::int64_t>(r.added_cycles);
  return r;
}

}  // namespace

CosimReport run_cosim(const snn::Network& stored, const crypto::XorKey& key, const std::string& key_fingerprint,
                      const snn::Network& plain, const datasets::FrameSet& frames, const CosimOptions& o) {
  return run_cosim_on(stored, key, key_fingerprint, plain, frames, o);
}

CosimReport run_cosim(const snn::Network& stored, const crypto::XorKey& key, const std::string& key_fingerprint,
                      const snn::Network& plain, datasets::FrameSource& frames, const CosimOptions& o) {
  return run_cosim_on(stored, key, key_fingerprint, plain, frames, o);
}

}  // namespace snngx::rtl
