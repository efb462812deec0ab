#pragma once
// Where zero added latency stops holding (accelerator.hpp, "Dataflow and timing model"): for a
// tile's engine with `lanes` banks and a read window of W cycles, random keys covering a share
// of the tile's weights and random pulses activating a share of its rows; the work of each
// request (decryption_unit.hpp) and the cycles it would add, max(0, response_latency + 1 - W).
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "snngx/rram/config.hpp"
#include "snngx/rram/decryption_unit.hpp"

namespace snngx::rram {

struct LatencyPoint {
  int lanes = 0;
  double key_density = 0.0;    // share of the tile's weights with a key entry
  double input_density = 0.0;  // share of the tile's rows active in a pulse
  double mean_work = 0.0;
  int max_work = 0;
  double added_share = 0.0;    // share of pulses that add cycles
  double mean_added = 0.0;     // added cycles per pulse
  int max_added = 0;
};

/// What a chip config gives an engine: its tile (crossbar rows, logical columns = columns /
/// slices, decryption_unit.lanes) and the read window W it hides in (settle + columns per ADC x
/// conversion cycles), without mapping any network.
struct EngineGeometry {
  DecryptionParams tile;
  int window = 0;
};
EngineGeometry engine_geometry(const ChipConfig& config);

/// Every (lanes, key density, input density) point, `trials` random (key, pulse) pairs each,
/// drawn from `seed` in a fixed order. `tile` gives rows and columns (its lanes is replaced).
/// Throws std::invalid_argument for densities outside [0, 1], trials < 1 or window < 1.
std::vector<LatencyPoint> latency_map(const DecryptionParams& tile, int window, std::span<const int> lanes,
                                      std::span<const double> key_densities, std::span<const double> input_densities, int trials,
                                      std::uint64_t seed);

/// The points as CSV (header + one line each).
std::string latency_map_csv(std::span<const LatencyPoint> points);

}  // namespace snngx::rram
