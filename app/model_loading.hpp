#pragma once
// How every command that runs a model gets it: a model file, optionally decrypted on load with
// a key file (crypto issue). Commands add the options with add_model_source_options.
#include <CLI/CLI.hpp>
#include <string>

#include "snngx/snn/network.hpp"

namespace snngx::app {

struct ModelSource {
  std::string path;
  std::string key;               // optional key file; decrypts an encrypted model on load
  std::string passphrase_file;   // optional, for sealed keys
  std::string device_key;        // optional raw 32-byte device-key file
};

/// Adds --model (required) and --key / --passphrase-file / --device-key.
void add_model_source_options(CLI::App& cmd, ModelSource& source);

/// Loads the model; with a key, checks it belongs to the model and removes the encryption.
snn::Network load_model_for_use(const ModelSource& source);

}  // namespace snngx::app
