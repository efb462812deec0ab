// Placeholder: this subcommand registers nothing until its issue lands.
#include "commands.hpp"

namespace snngx::app {
void add_dataset_commands(CLI::App&) {}
}  // namespace snngx::app
