// Placeholder: this subcommand registers nothing until its issue lands.
#include "commands.hpp"

namespace snngx::app {
void add_cosim_command(CLI::App&) {}
}  // namespace snngx::app
