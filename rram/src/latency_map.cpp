// The zero-added-latency map of a decryption engine (latency_map.hpp).
#include "snngx/rram/latency_map.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <random>
#include <stdexcept>

#include "model.hpp"

namespace snngx::rram {

EngineGeometry engine_geometry(const ChipConfig& config) {
  const auto crossbar = make_component<ICrossbar>(config);
  const auto adc = make_component<IAdc>(config);
  EngineGeometry g;
  g.tile.rows = config.get_int("crossbar", "rows");
  g.tile.cols = config.get_int("crossbar", "columns") / crossbar->slices();
  g.tile.lanes = config.get_int("decryption_unit", "lanes");
  g.window = detail::read_window(*crossbar, *adc);
  return g;
}

std::vector<LatencyPoint> latency_map(const DecryptionParams& tile, int window, std::span<const int> lanes,
                                      std::span<const double> key_densities, std::span<const double> input_densities, int trials,
                                      std::uint64_t seed) {
  if (window < 1) throw std::invalid_argument("latency map: the read window must be >= 1 cycle, got " + std::to_string(window));
  if (trials < 1) throw std::invalid_argument("latency map: trials must be >= 1, got " + std::to_string(trials));
  for (const auto* set : {&key_densities, &input_densities})
    for (const double d : *set)
      if (!(d >= 0.0 && d <= 1.0)) throw std::invalid_argument("latency map: densities must be in [0, 1], got " + std::to_string(d));
  std::vector<LatencyPoint> points;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (const int l : lanes) {
    DecryptionParams p = tile;
    p.lanes = l;
    p.validate();
    for (const double kd : key_densities)
      for (const double id : input_densities) {
        LatencyPoint pt{l, kd, id};
        std::uint64_t added_pulses = 0, added = 0, work = 0;
        for (int trial = 0; trial < trials; ++trial) {
          std::vector<KeyEntry> key;
          for (int r = 0; r < p.rows; ++r)
            for (int c = 0; c < p.cols; ++c)
              if (u(rng) < kd) key.push_back({static_cast<std::uint16_t>(r), static_cast<std::uint16_t>(c), 2});
          CorrectionRequest req;
          req.active.assign(static_cast<std::size_t>((p.rows + 63) / 64), 0);
          for (int r = 0; r < p.rows; ++r)
            if (u(rng) < id) req.active[static_cast<std::size_t>(r / 64)] |= std::uint64_t{1} << (r % 64);
          const int w = KeyImage(p, key).work(req);
          const int extra = std::max(0, response_latency(w) + 1 - window);
          work += static_cast<std::uint64_t>(w);
          pt.max_work = std::max(pt.max_work, w);
          added += static_cast<std::uint64_t>(extra);
          added_pulses += extra > 0;
          pt.max_added = std::max(pt.max_added, extra);
        }
        pt.mean_work = static_cast<double>(work) / trials;
        pt.added_share = static_cast<double>(added_pulses) / trials;
        pt.mean_added = static_cast<double>(added) / trials;
        points.push_back(pt);
      }
  }
  return points;
}

std::string latency_map_csv(std::span<const LatencyPoint> points) {
  std::string csv = "lanes,key_density,input_density,mean_work,max_work,added_share,mean_added_cycles,max_added_cycles\n";
  for (const auto& p : points)
    csv += fmt::format("{},{:g},{:g},{:.4g},{},{:.4g},{:.4g},{}\n", p.lanes, p.key_density, p.input_density, p.mean_work, p.max_work,
                       p.added_share, p.mean_added, p.max_added);
  return csv;
}

}  // namespace snngx::rram
