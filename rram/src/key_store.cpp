// Key store implementation "sram": one partition per tile of key_depth 64-bit entries, written
// load_cycles_per_entry cycles per entry.
#include "snngx/rram/components/key_store.hpp"

#include <stdexcept>

namespace snngx::rram {

namespace {

class SramKeyStore final : public IKeyStore {
 public:
  explicit SramKeyStore(const ChipConfig& config)
      : cycles_per_entry_(static_cast<std::uint64_t>(config.get_int("key_store", "load_cycles_per_entry"))) {}

  [[nodiscard]] std::string name() const override { return "sram"; }
  [[nodiscard]] std::map<int, std::vector<KeyEntry>> partition(const TileGrid& grid, std::span<const KeyEntry> entries,
                                                               int depth) const override {
    std::map<int, std::vector<KeyEntry>> tiles;
    for (const auto& e : entries) {
      if (e.row >= grid.rows || e.col >= grid.cols)
        throw std::invalid_argument("key store: entry (" + std::to_string(e.row) + ", " + std::to_string(e.col) +
                                    ") outside layer " + grid.layer);
      tiles[(e.row / grid.tile_rows) * grid.col_tiles + e.col / grid.cols_per_tile].push_back(e);
    }
    for (const auto& [tile, es] : tiles)
      if (static_cast<std::int64_t>(es.size()) > depth)
        throw std::invalid_argument("decryption_unit.key_depth: tile " + std::to_string(tile) + " of " + grid.layer + " needs " +
                                    std::to_string(es.size()) + " key entries, the key store holds " + std::to_string(depth) +
                                    " per tile (raise it with --set decryption_unit.key_depth=N)");
    return tiles;
  }
  [[nodiscard]] std::uint64_t load_cycles(std::size_t entries) const override { return entries * cycles_per_entry_; }

 private:
  std::uint64_t cycles_per_entry_;
};

}  // namespace

template <>
ImplRegistry<IKeyStore>& registry<IKeyStore>() {
  static ImplRegistry<IKeyStore> r{{"sram", factory_of<IKeyStore, SramKeyStore>()}};
  return r;
}

}  // namespace snngx::rram
