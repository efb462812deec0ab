// snngx: one executable, one subcommand per capability. Parsing lives here and in cmd_*.cpp;
// the work is done by the libraries. Every error ends as one line on stderr and exit code 1.
#include <cstdio>
#include <exception>

#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"snngx: spiking networks on an RRAM crossbar accelerator, protected by SNNGX encryption"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "snngx 0.1.0");
  using namespace snngx::app;
  add_model_commands(app);
  add_frames_commands(app);
  add_infer_command(app);
  add_dataset_commands(app);
  add_train_command(app);
  add_key_commands(app);
  add_encrypt_commands(app);
  add_simulate_command(app);
  add_cosim_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "snngx: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
