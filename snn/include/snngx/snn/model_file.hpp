#pragma once
// Model files (`*.snn.h5`, spec: model-format.md): strict reader, atomic writer.
#include <filesystem>

#include "snngx/snn/network.hpp"

namespace snngx::snn {

/// Version 2 adds biases, Neuron layers (IF/LIF/CubaLIF/LI/I/Threshold with per-neuron
/// parameters and recurrent weights), sum/average pooling and scale layers; version 1 still loads.
inline constexpr int kModelFormatVersion = 2;

/// Reads and validates a model file. Throws std::runtime_error("<file>[:<object>]: <problem>")
/// naming the first problem (missing/wrong attribute, wrong shape, unknown kind, NaN/Inf,
/// weight vs weight_bits disagreement, unsupported version, a version-2 feature in a version-1 file, ...).
Network load_model(const std::filesystem::path& path);

/// Validates and writes a model file atomically (temporary file + rename).
void save_model(const std::filesystem::path& path, const Network& net);

}  // namespace snngx::snn
