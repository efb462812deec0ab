#pragma once
// User-defined networks: a short YAML description (docs/formats.md, "Network specs"; examples in
// configs/*.net.yaml) turned into a Network with zero weights (init_weights draws them).
#include <filesystem>
#include <string>

#include "snngx/snn/network.hpp"

namespace snngx::snn {

/// Parses a spec from text. `where` names the source in errors ("NET.yaml"). Throws
/// std::invalid_argument with one line naming the entry: "NET.yaml: layers[2] (lif): unknown key 'tua'".
Network parse_network_spec(const std::string& text, const std::string& where);
/// Reads and parses a spec file.
Network load_network_spec(const std::filesystem::path& path);

}  // namespace snngx::snn
