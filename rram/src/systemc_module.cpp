#include "snngx/rram/systemc_module.hpp"

#include <dlfcn.h>

#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>

namespace snngx::rram {
namespace {
namespace fs = std::filesystem;

struct Module {
  fs::path path;
  void* handle = nullptr;
  std::string error;
};

Module load() {
  Module m;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  m.path = (ec ? fs::path(".") : exe.parent_path()) / "libsnngx_systemc.so";
  // RTLD_LOCAL: its own definitions stay its own; what it uses of the rest of snngx it finds in
  // the executable, which exports the snngx symbols for it (app/CMakeLists.txt).
  m.handle = ::dlopen(m.path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!m.handle) {
    const char* why = ::dlerror();
    m.error = why ? why : "dlopen failed";
  }
  return m;
}

[[noreturn]] void refuse(const std::string& why) {
  throw std::runtime_error("cycle mode and RTL co-simulation need libsnngx_systemc.so, built with snngx, next to the executable: " +
                           why);
}
}  // namespace

void* systemc_module_entry(const char* name) {
  static const Module module = load();  // once per process; a module never unloads
  if (!module.handle) refuse(module.error);
  static std::mutex dlerror_mutex;  // dlerror is per thread, but keep lookups and their errors paired
  const std::scoped_lock lock(dlerror_mutex);
  ::dlerror();
  void* entry = ::dlsym(module.handle, name);
  if (!entry) {
    const char* why = ::dlerror();
    refuse(module.path.string() + " has no entry point " + name + (why ? std::string(" (") + why + ")" : std::string()));
  }
  return entry;
}

}  // namespace snngx::rram
