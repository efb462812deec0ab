// Adder tree implementation "binary": ceil(log2(row tiles)) levels of two-input adders plus
// merge_stages final stages (the one that adds the decryption unit's corrections).
#include "snngx/rram/components/adder_tree.hpp"

namespace snngx::rram {

namespace {

class BinaryAdderTree final : public IAdderTree {
 public:
  explicit BinaryAdderTree(const ChipConfig& config) : merge_stages_(config.get_int("adder_tree", "merge_stages")) {}

  [[nodiscard]] std::string name() const override { return "binary"; }
  [[nodiscard]] int levels(int row_tiles) const override {
    int l = 0;
    while ((1 << l) < row_tiles) ++l;
    return l + merge_stages_;
  }

 private:
  int merge_stages_;
};

}  // namespace

template <>
ImplRegistry<IAdderTree>& registry<IAdderTree>() {
  static ImplRegistry<IAdderTree> r{{"binary", factory_of<IAdderTree, BinaryAdderTree>()}};
  return r;
}

}  // namespace snngx::rram
