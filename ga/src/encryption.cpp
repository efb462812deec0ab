#include "snngx/ga/encryption.hpp"

#include <span>
#include <stdexcept>
#include <string>

#include "snngx/keyed/model_key.hpp"

namespace snngx::ga {

namespace {
datasets::FrameSource open_samples(const std::filesystem::path& path) {
  datasets::FrameSource source(path);
  if (source.size() == 0) throw std::runtime_error(path.string() + ": holds no samples");  // as read_frames
  return source;
}
}  // namespace

SearchData read_search_data(const SearchDataRequest& request, bool with_validation) {
  SearchData d;
  datasets::FrameSource source = open_samples(request.subset);
  FileSubset subset = read_subset(source, request.subset_size, request.per_class, request.seed);
  d.subset = std::move(subset.frames);
  if (!with_validation || request.validation.empty()) return d;
  const bool same_file = std::filesystem::equivalent(request.subset, request.validation);
  if (!same_file) source = open_samples(request.validation);
  const std::vector<std::size_t> exclude = same_file ? subset.indices : std::vector<std::size_t>{};
  d.validation = source.read_selected(holdout_indices(source.size(), exclude, request.validation_size, request.seed));
  d.excluded_from_validation = exclude.size();
  if (d.validation->size() == 0)
    throw std::invalid_argument(request.validation.string() + ": no held-out samples left for validation");
  return d;
}

RestartsResult single_restart(std::uint64_t seed, SearchResult result, FitnessEvaluator* validator) {
  RestartRun run;
  run.seed = seed;
  run.result = std::move(result);
  if (validator != nullptr) {
    const BitVector* key_bits = &run.result.best;
    run.validation_accuracy = validator->accuracies(std::span<const BitVector* const>(&key_bits, 1)).front();
  }
  RestartsResult out;
  out.runs.push_back(std::move(run));
  return out;
}

std::vector<double> restart_test_accuracies(const snn::Network& plain, const SearchSpace& space, const RestartsResult& restarts,
                                            const TestFrames& test, double chosen_accuracy, int threads) {
  std::vector<double> accuracy;
  for (std::size_t i = 0; i < restarts.runs.size(); ++i)
    accuracy.push_back(i == restarts.chosen ? chosen_accuracy
                                            : test.accuracy(apply_flips(plain, space, restarts.runs[i].result.best), threads));
  return accuracy;
}

EncryptionAccuracies measure_encryption(const snn::Network& plain, const snn::Network& encrypted, const crypto::XorKey& key,
                                        const TestFrames& test, int threads) {
  snn::Network decrypted = encrypted;
  keyed::decrypt(decrypted, key);
  const EncryptionAccuracies a{test.accuracy(plain, threads), test.accuracy(encrypted, threads), test.accuracy(decrypted, threads)};
  if (a.with_key != a.plain) throw std::logic_error("decrypting with the key did not restore the plain accuracy");
  return a;
}

}  // namespace snngx::ga
