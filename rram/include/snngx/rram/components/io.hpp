#pragma once
// The frame interface (config key `io`; built-in "counts"): streams each time step's frame (event
// counts) into the first spike buffer and counts the output layer's spikes per class.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "snngx/rram/components/crossbar.hpp"
#include "snngx/rram/components/registry.hpp"

namespace snngx::rram {

class IFrameInterface {
 public:
  virtual ~IFrameInterface() = default;
  [[nodiscard]] virtual std::string name() const = 0;
  /// One time step's frame as the first layer's input activation (replaces `act`).
  virtual void load(std::span<const std::uint16_t> frame, std::vector<float>& act) const = 0;
  /// The sparse twin of load: one time step's nonzero cells (step-local indices, ascending, each
  /// count > 0) as the first layer's active inputs (row = input index, count = its value, the
  /// same values load would give), handed to the wordline drivers without a scan of the input
  /// map. Replaces `active`.
  virtual void load_active(std::span<const std::uint32_t> index, std::span<const std::uint16_t> count,
                           std::vector<ActiveRow>& active) const = 0;
  /// Adds one time step's outputs to the per-class counters: a nonzero output counts (a spike; a
  /// non-spiking output layer's nonzero membrane, as the software engine counts it).
  virtual void count(std::span<const float> spikes, std::span<std::int32_t> counts) const = 0;
};

template <>
struct ComponentTraits<IFrameInterface> : ComponentKind<"io"> {};
template <>
ImplRegistry<IFrameInterface>& registry<IFrameInterface>();

}  // namespace snngx::rram
