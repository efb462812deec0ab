// Adder tree implementation "binary": ceil(log2(row tiles)) levels of two-input adders plus
// merge_stages final stages (the one that adds the decryption unit's corrections).
#include "snngx/rram/components/adder_tree.hpp"

namespace snngx::rram {

namespace {

class BinaryAdderTree final : public IAdderTree {
 public:
  explicit BinaryAdderTree(const ComponentInputs& in) : merge_stages_(in.own.get_int("merge_stages")) {}

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
  static ImplRegistry<IAdderTree> r{
      {"binary", "two-input adder tree across row tiles: ceil(log2(row tiles)) + merge_stages levels",
       {int_param("merge_stages", "levels", 1,
                  "levels after the two-input ones (the stage that adds the decryption unit's corrections)", 0, 64)},
       factory_of<IAdderTree, BinaryAdderTree>()}};
  return r;
}

}  // namespace snngx::rram
