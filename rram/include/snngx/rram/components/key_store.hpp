#pragma once
// The trusted key store (config key `key_store`; built-in "sram"): the key entries of each
// crossbar tile, in the tile's coordinates, written into the key SRAM of the decryption engine
// bound to that tile (decryption_unit.hpp: one word per keyed row).
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "snngx/rram/components/registry.hpp"
#include "snngx/rram/decryption_unit.hpp"

namespace snngx::rram {

/// The tiles of one weighted layer: tile = row tile * col_tiles + column tile.
struct TileGrid {
  std::string layer;  // name, for errors
  int rows = 0, cols = 0;
  int tile_rows = 1, cols_per_tile = 1, col_tiles = 1;
};

class IKeyStore {
 public:
  virtual ~IKeyStore() = default;
  [[nodiscard]] virtual std::string name() const = 0;
  /// One layer's entries (layer coordinates) by tile, in tile-local coordinates (only non-empty
  /// tiles). Throws std::invalid_argument on an entry outside the layer.
  [[nodiscard]] virtual std::map<int, std::vector<KeyEntry>> partition(const TileGrid& grid,
                                                                       std::span<const KeyEntry> entries) const = 0;
  /// Cycles to write `words` key-SRAM words (the key load, once per model).
  [[nodiscard]] virtual std::uint64_t load_cycles(std::size_t words) const = 0;
};

template <>
struct ComponentTraits<IKeyStore> : ComponentKind<"key_store"> {};
template <>
ImplRegistry<IKeyStore>& registry<IKeyStore>();

}  // namespace snngx::rram
