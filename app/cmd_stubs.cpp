// Subcommands whose issues have not landed yet register nothing. Each moves to its own
// cmd_<area>.cpp when implemented.
#include "commands.hpp"

namespace snngx::app {
void add_dataset_commands(CLI::App&) {}
void add_train_command(CLI::App&) {}
void add_key_commands(CLI::App&) {}
void add_encrypt_commands(CLI::App&) {}
void add_simulate_command(CLI::App&) {}
void add_cosim_command(CLI::App&) {}
void add_demo_command(CLI::App&) {}
}  // namespace snngx::app
