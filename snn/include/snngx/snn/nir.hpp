#pragma once
// NIR (Neuromorphic Intermediate Representation, the SNN ecosystem's interchange format) import
// and export. A `.nir` file is HDF5: `/version` (string), `/node` a graph node holding `type` =
// "NIRGraph", `nodes/<name>/...` (each node's `type` and parameter datasets; NIRGraph nodes nest)
// and `edges` ([E,2] strings, source -> target). Reads NIR 0.1 to 1.x. docs/formats.md gives the
// node table and the forward-Euler equation every neuron node runs at `dt`.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "snngx/snn/network.hpp"

namespace snngx::snn::nir {

/// One parameter dataset: numbers (float or integer in the file) in C order, or a string.
struct Array {
  std::vector<std::int64_t> shape;  // empty for a scalar
  std::vector<double> values;
  bool integer = false;  // stored as an integer type
  std::string text;      // string datasets (e.g. Conv padding "same")
  bool is_text = false;
  bool float64 = false;  // written as float64 (else float32); reading keeps values in double either way
  bool operator==(const Array&) const = default;
};

/// NIR's extension point: every node may hold a `metadata` group of datasets that NIR tools keep
/// but do not interpret. snngx writes its `snngx_*` keys there (docs/formats.md) so that what NIR
/// cannot say (reset by subtraction, the exact reference LIF, max pooling, dt) comes back exactly.
using Metadata = std::map<std::string, Array>;

struct Graph;
struct Node {
  std::string type;                     // "Affine", "LIF", ..., "NIRGraph"
  std::map<std::string, Array> params;  // every dataset of the node except `type` (and metadata)
  std::shared_ptr<Graph> graph;         // NIRGraph nodes only
  Metadata metadata = {};               // numbers and single strings of the node's `metadata` group
};

struct Graph {
  std::map<std::string, Node> nodes;
  std::vector<std::pair<std::string, std::string>> edges;
  Metadata metadata = {};  // the graph node's `metadata` group
};

struct Document {
  std::string version;
  Graph graph;
};

/// Reads a .nir file as it is (no interpretation). Throws std::runtime_error("<file>: ...").
Document read(const std::filesystem::path& path);
/// Writes a document atomically (temporary file + rename).
void write(const std::filesystem::path& path, const Document& doc);

/// Unset values come from the file's snngx metadata (a graph snngx exported), else the defaults.
struct ImportOptions {
  std::optional<double> dt = std::nullopt;       // forward-Euler step in seconds; default: snngx_dt of the node, else 1e-4
  std::optional<int> time_steps = std::nullopt;  // the model's T until a frame file says otherwise; default: snngx_time_steps, else 15
  // Reset of every neuron layer. Default: the node's snngx_reset, else NIR's v := v_reset. NIR 1.x
  // cannot say "subtract", so files from tools that reset by subtraction (Sinabs' IAF, snnTorch's
  // reset_mechanism="subtract") need it given here.
  std::optional<ResetMode> reset = std::nullopt;
};
inline constexpr double kDefaultDt = 1e-4;
inline constexpr int kDefaultTimeSteps = 15;

/// Interprets a graph as a runnable network: nested graphs are inlined, Input -> ... -> Output
/// must be one chain whose only cycles are recurrent weights (neuron -> Affine|Linear -> the same
/// neuron). Throws std::runtime_error("<source>: node '<name>' (<type>): <problem>") for a missing
/// parameter, a shape mismatch, an unknown or unsupported node type, a dangling edge, a branch, or
/// a cycle with no neuron on it.
Network to_network(const Document& doc, const ImportOptions& options, const std::string& source);
/// The NIR graph of a network (nodes "input", "0", "1", ..., "<i>_rec", "<i>_max", "output"), with
/// snngx metadata so that importing it gives the identical network. Reference LIF layers become NIR
/// LIF with tau = 1e-4/(1-decay), r = 1/(1-decay); reset by subtraction is a NIR neuron with
/// metadata snngx_reset = "subtract"; max pooling of spikes is SumPool2d -> Threshold(0.5), exact on
/// 0/1 inputs. Throws std::invalid_argument naming the layer for what it cannot map (max pooling of
/// non-spikes, a reference LIF with decay >= 1).
Document from_network(const Network& net);

Network import_file(const std::filesystem::path& path, const ImportOptions& options);
void export_file(const std::filesystem::path& path, const Network& net);

/// The NIR version this writer declares.
inline constexpr const char* kWrittenVersion = "1.0.0";

}  // namespace snngx::snn::nir
