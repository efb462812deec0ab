#pragma once
// The one rule for "how many threads": an option's value when positive, else every hardware
// thread (at least 1). Every library and command resolves its --threads through this.
namespace snngx::io {

[[nodiscard]] int thread_count(int requested);

}  // namespace snngx::io
