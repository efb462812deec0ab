// The work around one search that moved out of `snngx encrypt` / `attack` into ga/
// (encryption.hpp, attack.hpp's brute_force_key_space): sample selection, single-run results,
// re-scoring the restarts on the test set, the check that the key restores the model.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "snngx/ga/encryption.hpp"
#include "snngx/keyed/model_key.hpp"
#include "temp_dir.hpp"
#include "test_nets.hpp"

namespace snngx::ga {
namespace {

using snngx::testing::TempDir;

// A validator with a fixed answer per call: what the restarts machinery records is checked,
// not the scoring itself.
class FixedEvaluator final : public FitnessEvaluator {
 public:
  explicit FixedEvaluator(double accuracy) : accuracy_(accuracy) {}
  std::vector<double> accuracies(std::span<const BitVector* const> individuals) override {
    ++calls;
    return std::vector<double>(individuals.size(), accuracy_);
  }
  int calls = 0;

 private:
  double accuracy_;
};

TEST(SearchData, ValidationFromTheSubsetFileLeavesTheSubsetOut) {
  const TempDir dir;
  const auto net = testing::tiny_mlp(1);
  const auto all = testing::frames_for(net, 30, 3);
  datasets::write_frames(dir / "f.frames.h5", all);
  const SearchData d = read_search_data({dir / "f.frames.h5", 8, 0, 5, dir / "f.frames.h5", 0});
  const auto subset = subset_indices(all, 8, 0, 5);
  std::vector<std::size_t> rest;  // by hand: every index not drawn, in file order (size 0 = all)
  for (std::size_t i = 0; i < all.size(); ++i)
    if (std::find(subset.begin(), subset.end(), i) == subset.end()) rest.push_back(i);
  ASSERT_EQ(rest.size(), 22U);
  EXPECT_EQ(d.subset.counts, all.select(subset).counts);
  ASSERT_TRUE(d.validation.has_value());
  EXPECT_EQ(d.validation->counts, all.select(rest).counts);
  EXPECT_EQ(d.validation->labels, all.select(rest).labels);
  EXPECT_EQ(d.excluded_from_validation, 8U);
}

TEST(SearchData, ValidationFromAnotherFileExcludesNothingAndIsSkippedOnRequest) {
  const TempDir dir;
  const auto net = testing::tiny_mlp(1);
  const auto train = testing::frames_for(net, 20, 3), other = testing::frames_for(net, 12, 4);
  datasets::write_frames(dir / "t.frames.h5", train);
  datasets::write_frames(dir / "v.frames.h5", other);
  const SearchDataRequest request{dir / "t.frames.h5", 6, 0, 5, dir / "v.frames.h5", 0};
  const SearchData d = read_search_data(request);
  ASSERT_TRUE(d.validation.has_value());
  EXPECT_EQ(d.validation->counts, other.counts);  // all 12, in file order
  EXPECT_EQ(d.excluded_from_validation, 0U);
  EXPECT_FALSE(read_search_data(request, false).validation.has_value());
  EXPECT_EQ(read_search_data(request, false).subset.counts, d.subset.counts);
}

TEST(SearchData, RefusesAValidationWithNothingLeft) {
  const TempDir dir;
  const auto net = testing::tiny_mlp(1);
  datasets::write_frames(dir / "f.frames.h5", testing::frames_for(net, 10, 3));
  try {
    (void)read_search_data({dir / "f.frames.h5", 10, 0, 5, dir / "f.frames.h5", 0});
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("f.frames.h5: no held-out samples left for validation"), std::string::npos) << e.what();
  }
}

TEST(SingleRestart, ReportsOneRunScoredOnTheValidator) {
  SearchResult r;
  r.best = testing::random_flips(40, 0.2, 3);
  r.fitness = 0.5;
  FixedEvaluator validator(0.25);
  const RestartsResult with = single_restart(71, r, &validator);
  ASSERT_EQ(with.runs.size(), 1U);
  EXPECT_EQ(with.chosen, 0U);
  EXPECT_EQ(with.best().seed, 71U);
  EXPECT_EQ(with.best().result.best, r.best);
  EXPECT_EQ(with.best().validation_accuracy, 0.25);
  EXPECT_EQ(validator.calls, 1);
  EXPECT_EQ(single_restart(71, r, nullptr).best().validation_accuracy, -1.0);  // no validation set
}

TEST(RestartTestAccuracies, EveryRunButTheChosenIsMeasuredOnItsFlippedModel) {
  const TempDir dir;
  const auto plain = testing::tiny_mlp(2);
  const auto test = testing::frames_for(plain, 24, 6);
  datasets::write_frames(dir / "t.frames.h5", test);
  const SearchSpace space = SearchSpace::layer(plain, 1);
  RestartsResult restarts;
  for (std::uint64_t s = 0; s < 3; ++s) restarts.runs.push_back({s, SearchResult{testing::random_flips(space.size(), 0.5, s), 0, 0, {}, 0, 0}, 0});
  restarts.chosen = 1;
  const std::vector<double> got = restart_test_accuracies(plain, space, restarts, TestFrames(dir / "t.frames.h5", 0, 1), 0.125, 2);
  ASSERT_EQ(got.size(), 3U);
  for (const std::size_t i : {0U, 2U})  // the slow path: the flipped network on the whole set
    EXPECT_EQ(got[i], test_accuracy(apply_flips(plain, space, restarts.runs[i].result.best), test, 1)) << i;
  EXPECT_EQ(got[1], 0.125);  // the caller's measurement of the kept key, not re-run
}

TEST(MeasureEncryption, GivesThreeAccuraciesAndRefusesAKeyThatDoesNotRestore) {
  const TempDir dir;
  const auto plain = testing::tiny_mlp(2);
  const auto test = testing::frames_for(plain, 24, 6);
  datasets::write_frames(dir / "t.frames.h5", test);
  const TestFrames frames(dir / "t.frames.h5", 0, 1);
  const SearchSpace space = SearchSpace::layer(plain, 1);
  const crypto::XorKey key = make_key(plain, space, testing::random_flips(space.size(), 0.5, 3));
  const snn::Network encrypted = keyed::encrypt(plain, key);
  const EncryptionAccuracies a = measure_encryption(plain, encrypted, key, frames, 2);
  EXPECT_EQ(a.plain, test_accuracy(plain, test, 1));
  EXPECT_EQ(a.without_key, test_accuracy(encrypted, test, 1));
  EXPECT_EQ(a.with_key, a.plain);
  // A key that undoes nothing leaves the encrypted model's accuracy, which differs here.
  const crypto::XorKey empty = make_key(plain, space, BitVector(space.size()));
  ASSERT_NE(a.without_key, a.plain) << "the test needs flips that change the accuracy";
  EXPECT_THROW((void)measure_encryption(plain, encrypted, empty, frames, 2), std::logic_error);
}

TEST(BruteForceKeySpace, CountsTheSignBitsOfTheLayersTheKeyTouches) {
  crypto::XorKey key;
  key.layers.push_back({0, 8, 80, {0, 8, 16}});  // 10 weights, 3 sign bits flipped
  key.layers.push_back({1, 4, 40, {}});          // untouched: not a candidate
  const KeySpace s = brute_force_key_space(key, 120);
  EXPECT_EQ(s.flipped_bits, 3U);
  EXPECT_EQ(s.candidate_sign_bits, 10U);
  EXPECT_EQ(s.model_weight_bits, 120U);
  EXPECT_NEAR(s.log2_sign_bits, std::log2(120.0), 1e-9);       // C(10, 3) = 120
  EXPECT_NEAR(s.log2_all_bits, std::log2(280840.0), 1e-9);     // C(120, 3) = 280,840
}

}  // namespace
}  // namespace snngx::ga
