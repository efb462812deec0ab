// Key store implementation "sram": the entries of each keyed tile, tile-local, written one
// key-SRAM word (one row of the tile) per load_cycles_per_row cycles.
#include "snngx/rram/components/key_store.hpp"

#include <stdexcept>

namespace snngx::rram {

namespace {

class SramKeyStore final : public IKeyStore {
 public:
  explicit SramKeyStore(const ComponentInputs& in)
      : cycles_per_row_(static_cast<std::uint64_t>(in.own.get_int("load_cycles_per_row"))) {}

  [[nodiscard]] std::string name() const override { return "sram"; }
  [[nodiscard]] std::map<int, std::vector<KeyEntry>> partition(const TileGrid& grid,
                                                               std::span<const KeyEntry> entries) const override {
    std::map<int, std::vector<KeyEntry>> tiles;
    for (const auto& e : entries) {
      if (e.row >= grid.rows || e.col >= grid.cols)
        throw std::invalid_argument("key store: entry (" + std::to_string(e.row) + ", " + std::to_string(e.col) +
                                    ") outside layer " + grid.layer);
      const int rt = e.row / grid.tile_rows, ct = e.col / grid.cols_per_tile;
      tiles[rt * grid.col_tiles + ct].push_back(KeyEntry{static_cast<std::uint16_t>(e.row - rt * grid.tile_rows),
                                                         static_cast<std::uint16_t>(e.col - ct * grid.cols_per_tile), e.corr});
    }
    return tiles;
  }
  [[nodiscard]] std::uint64_t load_cycles(std::size_t words) const override { return words * cycles_per_row_; }

 private:
  std::uint64_t cycles_per_row_;
};

}  // namespace

template <>
ImplRegistry<IKeyStore>& registry<IKeyStore>() {
  static ImplRegistry<IKeyStore> r{
      {"sram", "trusted key store: one row-indexed key SRAM per engine (ROWS words of COLS corrections)",
       {int_param("load_cycles_per_row", "cycles", 1, "cycles to write one key-SRAM word (one row of a tile) at key load", 1,
                  1 << 16)},
       factory_of<IKeyStore, SramKeyStore>()}};
  return r;
}

}  // namespace snngx::rram
