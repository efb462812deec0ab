#include "model_loading.hpp"

#include <stdexcept>

#include "snngx/snn/model_file.hpp"

namespace snngx::app {

void add_model_source_options(CLI::App& cmd, ModelSource& s) {
  cmd.add_option("--model", s.path, "model file (*.snn.h5)")->required()->check(CLI::ExistingFile);
  cmd.add_option("--key", s.key, "key file: decrypts an encrypted model on load")->check(CLI::ExistingFile);
  cmd.add_option("--passphrase-file", s.passphrase_file, "file holding the key file's passphrase")->check(CLI::ExistingFile);
  cmd.add_option("--device-key", s.device_key, "raw 32-byte device key file (instead of a passphrase)")->check(CLI::ExistingFile);
}

snn::Network load_model_for_use(const ModelSource& s) {
  snn::Network net = snn::load_model(s.path);
  if (!s.key.empty()) throw std::runtime_error(s.key + ": key files are not supported yet");
  return net;
}

}  // namespace snngx::app
