#pragma once
// The work around one SNNGX search that is neither the search itself nor its presentation:
// which samples the fitness and the held-out validation use, the test accuracy of every
// restart's key (reported only), and the check that the key restores the plain model.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

#include "snngx/crypto/xor_key.hpp"
#include "snngx/datasets/frames.hpp"
#include "snngx/ga/attack.hpp"
#include "snngx/ga/fitness.hpp"
#include "snngx/ga/restarts.hpp"
#include "snngx/snn/network.hpp"

namespace snngx::ga {

/// Where a search draws its samples: the fitness subset (read_subset's rule) and, optionally, a
/// held-out validation draw that the restarts' keys are compared on.
struct SearchDataRequest {
  std::filesystem::path subset;
  std::size_t subset_size = 16;
  int per_class = 0;
  std::uint64_t seed = 0;              // of the subset and the validation draw
  std::filesystem::path validation;    // empty: none
  std::size_t validation_size = 2000;  // 0: every sample left
};

struct SearchData {
  datasets::FrameSet subset;
  std::optional<datasets::FrameSet> validation;
  std::size_t excluded_from_validation = 0;  // subset samples left out (same file)
};

/// Reads only the chosen samples (after one pass over the labels). When the subset and the
/// validation come from the same file, the subset's samples are left out of the validation draw
/// (holdout_indices). `with_validation` false skips the validation set (MPI ranks that only
/// score the subset). Throws when a file holds no samples or no held-out sample is left.
SearchData read_search_data(const SearchDataRequest& request, bool with_validation = true);

/// A deterministic search's one result as a RestartsResult of one run (seed `seed`), scored on
/// `validator` when given, so that it is reported and keyed the GA's way.
RestartsResult single_restart(std::uint64_t seed, SearchResult result, FitnessEvaluator* validator);

/// Test accuracy without the key of every restart's model, in run order (to show how validation
/// tracks test; never used to choose). The chosen run's model is the encrypted model whose
/// accuracy the caller has already measured: `chosen_accuracy` is used for it.
std::vector<double> restart_test_accuracies(const snn::Network& plain, const SearchSpace& space, const RestartsResult& restarts,
                                            const TestFrames& test, double chosen_accuracy, int threads = 0);

/// Test accuracy of the plain model, of the encrypted one without the key and decrypted with it.
struct EncryptionAccuracies {
  double plain = 0.0, without_key = 0.0, with_key = 0.0;
};
/// Measures EncryptionAccuracies and throws std::logic_error unless decrypting `encrypted` with
/// `key` restores the plain accuracy exactly (the key must undo exactly what it did).
EncryptionAccuracies measure_encryption(const snn::Network& plain, const snn::Network& encrypted, const crypto::XorKey& key,
                                        const TestFrames& test, int threads = 0);

}  // namespace snngx::ga
