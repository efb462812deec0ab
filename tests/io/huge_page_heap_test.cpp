// io::use_huge_page_heap: buffers allocated after it lie in a range advised for huge pages.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "snngx/io/memory.hpp"

namespace {

bool thp_offered() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string modes;
  std::getline(in, modes);
  return modes.find("[always]") != std::string::npos || modes.find("[madvise]") != std::string::npos;
}

TEST(HugePageHeap, LaterLargeBuffersComeFromTheAdvisedHeap) {
  if (!thp_offered()) GTEST_SKIP() << "transparent huge pages are off on this machine";
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer's allocator replaces malloc's heap (snngx links no early heap then)";
#endif
  // Before: an 8 MB buffer is a fresh mmap of its own, not advised.
  {
    const std::vector<char> before(std::size_t{8} << 20);
    EXPECT_FALSE(snngx::io::huge_page_advised(before.data()));
  }
  ASSERT_TRUE(snngx::io::use_huge_page_heap(std::size_t{32} << 20));
  const std::vector<char> weights(std::size_t{6} << 20, 1);  // a model's float weights, say
  EXPECT_TRUE(snngx::io::huge_page_advised(weights.data() + weights.size() / 2));
  EXPECT_EQ(weights[12345], 1);  // ordinary memory
}

TEST(HugePageHeap, AdvisedIsFalseForStackAndUnmappedAddresses) {
  const int local = 0;
  EXPECT_FALSE(snngx::io::huge_page_advised(&local));
  EXPECT_FALSE(snngx::io::huge_page_advised(nullptr));
}

}  // namespace
