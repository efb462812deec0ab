#pragma once
// The message of the exception `f` throws, or "no error" when it throws nothing.
#include <exception>
#include <functional>
#include <string>

namespace snngx::testing {

inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace snngx::testing
