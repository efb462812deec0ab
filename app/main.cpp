// snngx: one executable, one subcommand per capability. Parsing lives here and in cmd_*.cpp;
// the work is done by the libraries. Every error ends as one line on stderr and exit code 1.
#include <H5Cpp.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

#include "commands.hpp"
#include "snngx/io/errors.hpp"
#include "snngx/io/memory.hpp"
#include "snngx/io/output_files.hpp"

namespace {

// "snngx: error: <message>" as exactly one line, whatever the message holds.
int fail(std::string message) {
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  std::replace(message.begin(), message.end(), '\n', ' ');
  std::fprintf(stderr, "snngx: error: %s\n", message.empty() ? "unknown error" : message.c_str());
  return 1;
}

// The option that sets a library parameter named in an io::ParameterError: the libraries name
// their parameters as the options that set them are spelled, with '_' for '-'
// ("subset_size" -> "--subset-size", "max_memory" -> "--max-memory").
std::string option_for(std::string_view parameter) {
  std::string option = "--" + std::string(parameter);
  std::replace(option.begin(), option.end(), '_', '-');
  return option;
}

}  // namespace

int main(int argc, char** argv) {
  // The heap is already in 2 MiB pages: libsnngx_early_heap.so (early_heap.cpp) set it up
  // before any library initialised.
  CLI::App app{"snngx: spiking networks on an RRAM crossbar accelerator, protected by SNNGX encryption"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "snngx 0.1.0");
  using namespace snngx::app;
  try {
    snngx::io::install_interrupt_cleanup();  // Ctrl-C / SIGTERM: temporaries removed, exit 130 / 143
    app.fallthrough();  // the global options below are accepted after the subcommand too
    app.add_option_function<std::string>(
        "--max-memory", [](const std::string& size) { snngx::io::set_memory_limit_override(snngx::io::parse_size(size)); },
        "memory a command may plan to use (e.g. 8G); default: the available memory (MemAvailable, cgroup limit)");
    add_model_commands(app);
    add_frames_commands(app);
    add_infer_command(app);
    add_dataset_commands(app);
    add_train_command(app);
    add_key_commands(app);
    add_encrypt_commands(app);
    add_simulate_command(app);
    add_cosim_command(app);
    add_outputs_commands(app);
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    return fail(e.what());
  } catch (const snngx::io::ParameterError& e) {
    return fail(e.render(option_for));
  } catch (const std::exception& e) {
    return fail(e.what());
  } catch (const H5::Exception& e) {
    return fail(e.getDetailMsg());
  } catch (...) {
    return fail("unexpected error of an unknown type");
  }
  return 0;
}
