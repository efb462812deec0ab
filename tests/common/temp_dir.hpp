#pragma once
// A fresh directory per test, removed afterwards; under $SNNGX_TEST_TMP (set by ctest) or /tmp.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace snngx::testing {

inline std::filesystem::path make_temp_dir() {
  const char* base = std::getenv("SNNGX_TEST_TMP");
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "snngx";
  for (char& c : name)
    if (c == '/') c = '_';
  auto dir = std::filesystem::path(base ? base : "/tmp/snngx-test") / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

/// RAII temp dir for one test.
struct TempDir {
  std::filesystem::path path = make_temp_dir();
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  [[nodiscard]] std::filesystem::path operator/(const std::string& name) const { return path / name; }
};

}  // namespace snngx::testing
