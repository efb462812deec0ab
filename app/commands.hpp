#pragma once
// Each file app/cmd_<area>.cpp adds its subcommands to the one `snngx` executable.
#include <CLI/CLI.hpp>

namespace snngx::app {
void add_model_commands(CLI::App& app);    // model init|quantize|info
void add_frames_commands(CLI::App& app);   // frames synth
void add_infer_command(CLI::App& app);     // infer
void add_dataset_commands(CLI::App& app);  // dataset convert|info|view|make-default
void add_train_command(CLI::App& app);     // train
void add_key_commands(CLI::App& app);      // key ..., baseline-aes
void add_encrypt_commands(CLI::App& app);  // encrypt, attack
void add_simulate_command(CLI::App& app);  // simulate
void add_cosim_command(CLI::App& app);     // cosim
void add_outputs_commands(CLI::App& app);  // outputs export
}  // namespace snngx::app
