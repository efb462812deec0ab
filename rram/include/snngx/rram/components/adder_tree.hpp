#pragma once
// The adder tree across row tiles (config key `adder_tree`; built-in "binary"): merges the
// partial sums of a layer's row tiles (and, in its last stage, the decryption unit's
// corrections) into one sum per neuron. The controller waits tree_cycles(levels(row tiles))
// after a layer's reads (Controller).
#include <string>

#include "snngx/rram/components/registry.hpp"

namespace snngx::rram {

class IAdderTree {
 public:
  virtual ~IAdderTree() = default;
  [[nodiscard]] virtual std::string name() const = 0;
  /// Levels the partial sums of `row_tiles` row tiles pass through.
  [[nodiscard]] virtual int levels(int row_tiles) const = 0;
};

template <>
struct ComponentTraits<IAdderTree> : ComponentKind<"adder_tree"> {};
template <>
ImplRegistry<IAdderTree>& registry<IAdderTree>();

}  // namespace snngx::rram
