// Crossbar implementations: "ideal" (cells conduct their programmed level) and "rram" (lognormal
// variation, stuck-at faults, read noise).
#include "snngx/rram/components/crossbar.hpp"

#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <vector>

#include "draws.hpp"

namespace snngx::rram {

namespace {

class IdealCrossbar : public ICrossbar {
 public:
  explicit IdealCrossbar(const ComponentInputs& in)
      : settle_(in.own.get_int("settle_cycles")), bits_(in.own.get_int("bits_per_cell")) {}

  [[nodiscard]] std::string name() const override { return "ideal"; }
  [[nodiscard]] int settle_cycles() const override { return settle_; }
  [[nodiscard]] int bits_per_cell() const override { return bits_; }
  [[nodiscard]] bool exact() const override { return true; }

  void program(std::size_t layer, int rows, int cols, std::span<const std::int16_t> weights) override {
    if (weights.size() != static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols))
      throw std::invalid_argument("crossbar: layer " + std::to_string(layer) + " programmed with " +
                                  std::to_string(weights.size()) + " weights for " + std::to_string(rows) + " x " +
                                  std::to_string(cols) + " cells");
    if (layer >= layers_.size()) layers_.resize(layer + 1);
    layers_[layer] = Layer{rows, cols, {weights.begin(), weights.end()}};
  }

  // The fast mode's hot loop: one row of weights added per active row.
  void accumulate(std::size_t layer, std::span<const ActiveRow> rows, std::span<std::int64_t> acc) const override {
    const Layer& L = layers_.at(layer);
    const auto cols = static_cast<std::size_t>(L.cols);
    for (const auto& a : rows) {
      const std::int16_t* w = L.w.data() + static_cast<std::size_t>(a.row) * cols;
      if (a.count == 1)
        for (std::size_t o = 0; o < cols; ++o) acc[o] += w[o];
      else
        for (std::size_t o = 0; o < cols; ++o) acc[o] += static_cast<std::int64_t>(w[o]) * a.count;
    }
  }

  // Levels of the bit slices: the sign picks the array, slice s holds magnitude bits s*b...
  void read(const TileRead& read, std::span<const ActiveRow> rows, std::span<double> currents) const override {
    const Layer& L = layers_.at(read.layer);
    const auto cols = static_cast<std::size_t>(L.cols), S = static_cast<std::size_t>(slices());
    const int max_level = (1 << bits_) - 1;
    std::fill(currents.begin(), currents.end(), 0.0);
    for (const auto& a : rows) {
      if (a.count < read.pulse) continue;
      const std::int16_t* w = L.w.data() + static_cast<std::size_t>(a.row) * cols;
      for (std::size_t o = 0; o < cols; ++o) {
        const int mag = std::abs(w[o]);
        double* col = currents.data() + (o * 2 + (w[o] < 0 ? 1 : 0)) * S;
        for (std::size_t s = 0; s < S; ++s) col[s] += (mag >> (static_cast<int>(s) * bits_)) & max_level;
      }
    }
  }

 protected:
  struct Layer {
    int rows = 0, cols = 0;
    std::vector<std::int16_t> w;  // [rows][cols] signed magnitudes
  };
  [[nodiscard]] const Layer& layer(std::size_t l) const { return layers_.at(l); }

 private:
  int settle_, bits_;
  std::vector<Layer> layers_;
};

class RramCrossbar final : public IdealCrossbar {
 public:
  explicit RramCrossbar(const ComponentInputs& in)
      : IdealCrossbar(in),
        sigma_(in.own.get("conductance_sigma")),
        p_on_(in.own.get("stuck_on_rate")),
        p_off_(in.own.get("stuck_off_rate")),
        read_noise_(in.own.get("read_noise_sigma")),
        seed_(static_cast<std::uint64_t>(in.own.get("seed"))) {}

  [[nodiscard]] std::string name() const override { return "rram"; }
  [[nodiscard]] bool exact() const override { return sigma_ == 0 && p_on_ == 0 && p_off_ == 0 && read_noise_ == 0; }

  void program(std::size_t layer, int rows, int cols, std::span<const std::int16_t> weights) override {
    IdealCrossbar::program(layer, rows, cols, weights);
    if (exact()) return;  // every read is the ideal one: no conductances to store
    if (layer >= g_.size()) g_.resize(layer + 1);
    g_[layer] = conductances(layer, rows, cols, weights);
  }

  void read(const TileRead& read, std::span<const ActiveRow> rows, std::span<double> currents) const override {
    if (exact()) return IdealCrossbar::read(read, rows, currents);
    const std::vector<float>& g = g_.at(read.layer);
    const std::size_t per_row = static_cast<std::size_t>(layer(read.layer).cols) * 2 * static_cast<std::size_t>(slices());
    std::fill(currents.begin(), currents.end(), 0.0);
    for (const auto& a : rows) {
      if (a.count < read.pulse) continue;
      const float* cells = g.data() + static_cast<std::size_t>(a.row) * per_row;
      for (std::size_t c = 0; c < per_row; ++c) currents[c] += cells[c];
    }
    if (read_noise_ > 0)
      for (std::size_t c = 0; c < per_row; ++c) currents[c] *= noise(read, c);
  }

 private:
  // Per cell [row][col][G+, G-][slice]: the programmed level, stuck-at faults, lognormal factor;
  // each draw hashes (seed, layer, cell) so it is the same in every mode and thread.
  [[nodiscard]] std::vector<float> conductances(std::size_t layer, int rows, int cols, std::span<const std::int16_t> w) const {
    const int b = bits_per_cell(), max_level = (1 << b) - 1;
    const auto S = static_cast<std::size_t>(slices()), n_cols = static_cast<std::size_t>(cols);
    const std::size_t per_row = n_cols * 2 * S;
    std::vector<float> g(static_cast<std::size_t>(rows) * per_row, 0.0f);
    for (std::size_t r = 0; r < static_cast<std::size_t>(rows); ++r)
      for (std::size_t o = 0; o < n_cols; ++o) {
        const int v = w[r * n_cols + o];
        const int mag = std::abs(v);
        const std::size_t pol = v < 0 ? 1 : 0;
        for (std::size_t p = 0; p < 2; ++p)
          for (std::size_t s = 0; s < S; ++s) {
            const std::size_t idx = r * per_row + (o * 2 + p) * S + s;
            int level = p == pol ? (mag >> (static_cast<int>(s) * b)) & max_level : 0;
            const std::uint64_t h = detail::mix(detail::mix(seed_, layer + 1), idx);
            const double u = detail::uniform01(detail::mix(h, 1));
            if (u < p_on_) level = max_level;
            else if (u < p_on_ + p_off_) level = 0;
            const double factor = sigma_ > 0 ? std::exp(sigma_ * detail::normal(detail::mix(h, 2))) : 1.0;
            g[idx] = static_cast<float>(level * factor);
          }
      }
    return g;
  }

  // Relative Gaussian read noise of one column current, a hash of the read and the column.
  [[nodiscard]] double noise(const TileRead& read, std::size_t column) const {
    std::uint64_t h = detail::mix(detail::mix(seed_, 0xA0A0), read.sample);
    h = detail::mix(h, static_cast<std::uint64_t>(read.time_step));
    h = detail::mix(h, read.layer);
    h = detail::mix(h, static_cast<std::uint64_t>(read.position));
    h = detail::mix(h, static_cast<std::uint64_t>(read.pulse));
    h = detail::mix(h, static_cast<std::uint64_t>(read.row_tile));
    h = detail::mix(h, column);
    return 1.0 + read_noise_ * detail::normal(h);
  }

  double sigma_, p_on_, p_off_, read_noise_;
  std::uint64_t seed_;
  std::vector<std::vector<float>> g_;  // per layer, only when not exact
};

}  // namespace

namespace {

std::vector<ParamSpec> crossbar_params() {
  return {int_param("rows", "rows", 128, "wordlines per crossbar tile", 1, 65536),
          int_param("columns", "columns", 128,
                    "bitlines per array (each tile is a G+ and a G- array of rows x columns)", 1, 65536),
          int_param("bits_per_cell", "bits", 1,
                    "magnitude bits stored per cell (7 magnitude bits are sliced over ceil(7/b) columns)", 1, 7),
          int_param("settle_cycles", "cycles", 10,
                    "cycles to drive the wordlines and let the bitline currents settle per read pulse "
                    "(assumption: 10 ns pulse at 1 GHz)",
                    0, 1 << 20)};
}

std::vector<ParamSpec> rram_params() {
  auto p = crossbar_params();
  p.push_back(real_param("conductance_sigma", "1", 0.0, "sigma of the per-cell lognormal conductance variation (0 = off)", 0, 5));
  p.push_back(real_param("stuck_on_rate", "1", 0.0, "fraction of cells stuck at the ON (highest) level", 0, 1));
  p.push_back(real_param("stuck_off_rate", "1", 0.0, "fraction of cells stuck at the OFF (zero) level", 0, 1));
  p.push_back(real_param("read_noise_sigma", "1", 0.0, "relative Gaussian noise of each column current per read (0 = off)", 0, 5));
  p.push_back(int_param("seed", "1", 1, "seed of the variation, fault and noise draws", 0, 9.0e15));
  return p;
}

}  // namespace

template <>
ImplRegistry<ICrossbar>& registry<ICrossbar>() {
  static ImplRegistry<ICrossbar> r{
      {"ideal", "ideal RRAM cells: conductance = programmed level exactly", crossbar_params(),
       factory_of<ICrossbar, IdealCrossbar>()},
      {"rram", "RRAM cells with lognormal variation, stuck-at faults and read noise", rram_params(),
       factory_of<ICrossbar, RramCrossbar>()}};
  return r;
}

}  // namespace snngx::rram
