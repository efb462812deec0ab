// The GA's memory estimate, by hand: two populations of packed individuals.
#include <gtest/gtest.h>

#include <limits>

#include "snngx/ga/memory.hpp"

namespace snngx {
namespace {

TEST(GaMemory, TwoPopulationsOfPackedBitsPlusBookkeeping) {
  ga::GaParams p;
  p.population = 100;
  // 1,280 bits = 20 words = 160 bytes, + 64 bytes of bookkeeping = 224 per individual.
  EXPECT_EQ(ga::individual_bytes(1280), 224u);
  EXPECT_EQ(ga::individual_bytes(1281), 232u);  // a partial word is a whole word
  EXPECT_EQ(ga::search_memory_bytes(p, 1280), 2u * 100u * 224u);
}

TEST(GaMemory, AHundredMillionIndividualsNeedTensOfGigabytes) {
  ga::GaParams p;
  p.population = 100'000'000;
  EXPECT_EQ(ga::search_memory_bytes(p, 1280), 44'800'000'000ull);
}

TEST(GaMemory, AbsurdRequestsSaturate) {
  ga::GaParams p;
  p.population = std::numeric_limits<int>::max();
  EXPECT_EQ(ga::search_memory_bytes(p, std::numeric_limits<std::size_t>::max() - 64), std::numeric_limits<std::uint64_t>::max());
}

}  // namespace
}  // namespace snngx
