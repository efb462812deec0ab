#pragma once
// The baseline of the cost comparison (config key `aes_engine`; built-ins "lowpower",
// "pipelined"): an on-chip AES engine that would decrypt every weight block before use
// (costs.hpp). Its numbers are published design points; a config may declare its own.
#include <string>

#include "snngx/rram/components/registry.hpp"

namespace snngx::rram {

class AesEngine final {
 public:
  explicit AesEngine(const ComponentInputs& in);  // named after the selected implementation

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] double energy_per_block_pj() const { return energy_per_block_pj_; }
  [[nodiscard]] double throughput_mbps() const { return throughput_mbps_; }
  /// Latency of one block through the engine (first block in, first block out).
  [[nodiscard]] double latency_ns() const { return latency_ns_; }
  [[nodiscard]] double area_mm2() const { return area_mm2_; }

 private:
  std::string name_;
  double energy_per_block_pj_, throughput_mbps_, latency_ns_, area_mm2_;
};

template <>
struct ComponentTraits<AesEngine> : ComponentKind<"aes_engine"> {};
template <>
ImplRegistry<AesEngine>& registry<AesEngine>();

/// Implementation `impl` with its registered default values (the design points the cost report
/// compares besides the configured one).
std::unique_ptr<AesEngine> make_default_aes_engine(const std::string& impl);

}  // namespace snngx::rram
