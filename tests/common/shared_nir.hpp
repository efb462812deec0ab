#pragma once
// Where the tests find the NIR material of ../shared/nir: $SNNGX_SHARED_DIR/nir, else
// /work/shared/nir. Tests that need it skip with a message when it is absent.
#include <cstdlib>
#include <filesystem>

namespace snngx::testing {

inline std::filesystem::path shared_nir() {
  const char* env = std::getenv("SNNGX_SHARED_DIR");
  return std::filesystem::path(env ? env : "/work/shared") / "nir";
}

}  // namespace snngx::testing
