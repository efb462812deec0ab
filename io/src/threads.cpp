#include "snngx/io/threads.hpp"

#include <algorithm>
#include <thread>

namespace snngx::io {

int thread_count(int requested) {
  return requested > 0 ? requested : static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
}

}  // namespace snngx::io
