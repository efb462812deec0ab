// The AES baseline engines: two published design points.
#include "snngx/rram/components/aes_engine.hpp"

#include <memory>

namespace snngx::rram {

namespace {

constexpr const char* kAes45 =
    "Mathew et al., 53 Gbps native GF((2^4)^2) composite-field AES-encrypt/decrypt accelerator, IEEE JSSC 46(4), 2011 "
    "(45 nm, 1.1 V: 53 Gbps at 2.1 GHz, 125 mW -> 2.36 pJ/bit; latency assumed 11 cycles at 2.1 GHz)";
constexpr const char* kAes28 =
    "A Compact, Lightweight and Low-Cost 8-Bit Datapath AES Circuit for IoT Applications in 28nm CMOS "
    "(TSMC 28 nm, 0.5 V: 213 cycles/block, 1.50 pJ/bit, 30.05 Mbps, 0.0028 mm2)";

std::vector<ParamSpec> aes_params(const char* source, double energy, double mbps, double latency_ns, double area,
                                  const char* area_source) {
  return {cited_param("energy_per_block_pj", "pJ", energy, "energy per 128-bit block", source),
          cited_param("throughput_mbps", "Mbit/s", mbps, "sustained decryption throughput", source),
          cited_param("latency_ns", "ns", latency_ns,
                      "latency of one block through the engine (first block in, first block out)", source),
          cited_param("area_mm2", "mm2", area, "area of the engine", area_source)};
}

}  // namespace

AesEngine::AesEngine(const ComponentInputs& in)
    : name_(in.own.impl),
      energy_per_block_pj_(in.own.get("energy_per_block_pj")),
      throughput_mbps_(in.own.get("throughput_mbps")),
      latency_ns_(in.own.get("latency_ns")),
      area_mm2_(in.own.get("area_mm2")) {}

template <>
ImplRegistry<AesEngine>& registry<AesEngine>() {
  static ImplRegistry<AesEngine> r{
      {"lowpower", "compact 8-bit-datapath AES core (iterative, one block at a time)",
       aes_params(kAes28, 192, 30.05, 4260, 0.0028, kAes28), factory_of<AesEngine, AesEngine>()},
      {"pipelined", "high-throughput AES core (composite-field S-boxes, one round per cycle)",
       aes_params(kAes45, 302, 53000, 5.2, 0.0, "not used in the comparison (area not taken from the paper)"),
       factory_of<AesEngine, AesEngine>()}};
  return r;
}

std::unique_ptr<AesEngine> make_default_aes_engine(const std::string& impl) {
  // Not ChipConfig::set(".impl"): switching keeps the values of shared parameters, and every
  // engine shares all four names.
  for (const ImplSpec* spec : registry<AesEngine>().specs()) {
    if (spec->impl != impl) continue;
    ComponentConfig own{"aes_engine", impl, {}, {}};
    for (const auto& p : spec->params) own.values[p.name] = p.default_value;
    return registry<AesEngine>().make(impl, ComponentInputs{own, CrossbarGeometry{}});
  }
  return registry<AesEngine>().make(impl, ComponentInputs{ComponentConfig{}, CrossbarGeometry{}});  // throws: unknown name
}

}  // namespace snngx::rram
