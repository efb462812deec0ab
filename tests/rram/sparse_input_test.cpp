// Issue 17 points 2 and 3: the accelerator's first layer takes a sparse frame's active inputs
// directly (no scan of the dense input map), and whole frame files stream through it in batches.
// Sparse and dense input must give identical reports: spikes, counters, cycles, added cycles.
#include <gtest/gtest.h>

#include <filesystem>

#include "snngx/datasets/frames.hpp"
#include "snngx/rram/accelerator.hpp"
#include "test_nets.hpp"

namespace snngx::rram {
namespace {

using testing::frames_for;

datasets::SparseBatch sparse_of(const datasets::FrameSet& frames) {
  datasets::SparseBatch b;
  b.shape = frames.shape;
  for (std::size_t i = 0; i < frames.size(); ++i) b.push_dense(frames.sample(i), frames.labels[i]);
  return b;
}

void expect_same_sample(const SampleResult& dense, const SampleResult& sparse, const std::string& what) {
  EXPECT_EQ(dense.counts, sparse.counts) << what;
  EXPECT_EQ(dense.cycles, sparse.cycles) << what << ": cycles per [step][layer]";
  EXPECT_EQ(dense.added, sparse.added) << what << ": added cycles per [step][layer]";
  ASSERT_EQ(dense.per_layer.size(), sparse.per_layer.size()) << what;
  for (std::size_t l = 0; l < dense.per_layer.size(); ++l)
    EXPECT_EQ(dense.per_layer[l].to_json(), sparse.per_layer[l].to_json()) << what << " layer " << l;
}

// Every sample run dense and sparse on one chip; returns the output spikes seen (the
// comparison means little on a silent net).
int expect_sparse_equals_dense(const Accelerator& chip, const datasets::FrameSet& frames, const std::string& what) {
  const datasets::SparseBatch sparse = sparse_of(frames);
  int spikes = 0;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const SampleResult dense = chip.run_fast(frames.sample(i), i);
    expect_same_sample(dense, chip.run_fast(sparse.sample(i), frames.shape.t, i), what + " sample " + std::to_string(i));
    for (const auto c : dense.counts) spikes += c;
  }
  return spikes;
}

/// MaxPool2d -> Flatten -> Linear -> LIF: a first weighted layer behind a pool, which needs
/// the dense map (the sparse sample is densified per step there).
snn::Network pooled_mlp(std::uint64_t seed) {
  snn::Network n;
  n.arch = "pooled-mlp";
  n.time_steps = 4;
  n.input_shape = {2, 6, 6};
  n.num_classes = 4;
  snn::Linear a{18, 4, {}};
  a.weight.shape = {4, 18};
  n.layers = {snn::MaxPool2d{{2, 2}, {2, 2}}, snn::Flatten{}, a, snn::Lif{}};
  n.weights(0).values.assign(snn::numel(n.weights(0).shape), 0.0f);
  snn::init_weights(n, seed);
  testing::scale_weights(n, 3.0f);
  return snn::quantize(n, 8, snn::QuantRule::MaxAbs);
}

TEST(SparseInput, LinearAndConvFirstLayersEqualDenseOnEveryChip) {
  const ChipConfig physical = ChipConfig::from_yaml_text(
      "crossbar: {impl: rram, rows: 16, columns: 35, conductance_sigma: 0.2, stuck_on_rate: 0.01, "
      "stuck_off_rate: 0.01, read_noise_sigma: 0.05, seed: 9}\n"
      "adc: {impl: sar, bits: 5, offset_lsb: 0.2, columns_per_adc: 4}\ndecryption_unit: {lanes: 2, engines: 64}");
  int spikes = 0;
  for (const auto& net : {testing::small_mlp(3), testing::small_csnn(5), pooled_mlp(7)}) {
    const auto frames = frames_for(net, 5, 0.2, 40);
    for (const auto& [name, cfg] : {std::pair{"default", ChipConfig{}}, std::pair{"small tiles", testing::small_tiles_config()},
                                    std::pair{"physical", physical}}) {
      const std::string what = net.arch + " on " + name;
      spikes += expect_sparse_equals_dense(Accelerator(net, cfg), frames, what);
      // Keyed: the decryption engines see the same active rows, so the same requests and cycles.
      const auto key = testing::random_key(net, 6, 41, true);
      Accelerator keyed(testing::encrypt(net, key), cfg);
      ASSERT_TRUE(keyed.load_key(key));
      expect_sparse_equals_dense(keyed, frames, what + " with a key");
    }
  }
  EXPECT_GT(spikes, 20);
}

// Cycle mode too: the frame interface hands a sparse step's cells to the first layer's wordline
// drivers (scattered into the dense map before a pool). Every report equals cycle mode on the
// dense samples, on a linear, a conv and a pooled first layer, keyed and not, with an empty step
// and an empty sample among them.
TEST(SparseInput, CycleModeTakesTheSparseSampleAndEqualsDense) {
  int spikes = 0;
  for (const auto& net : {testing::small_mlp(3), testing::small_csnn(5), pooled_mlp(7)}) {
    auto frames = frames_for(net, 3, 0.2, 44);
    const std::size_t step = frames.shape.step_size();
    std::fill(frames.sample(1).begin(), frames.sample(1).end() - static_cast<std::ptrdiff_t>(step), std::uint16_t{0});
    std::fill(frames.sample(2).begin(), frames.sample(2).end(), std::uint16_t{0});
    const datasets::SparseBatch sparse = sparse_of(frames);
    std::vector<std::span<const std::uint16_t>> dense_samples;
    std::vector<datasets::SparseSample> sparse_samples;
    for (std::size_t i = 0; i < frames.size(); ++i) {
      dense_samples.emplace_back(frames.sample(i));
      sparse_samples.push_back(sparse.sample(i));
    }
    const auto key = testing::random_key(net, 6, 45, true);
    Accelerator keyed(testing::encrypt(net, key), testing::small_tiles_config());
    ASSERT_TRUE(keyed.load_key(key));
    const Accelerator plain(net, testing::small_tiles_config());
    for (const Accelerator* chip : {&plain, static_cast<const Accelerator*>(&keyed)}) {
      const auto dense = chip->run_cycle(dense_samples, 10);
      const auto from_sparse = chip->run_cycle(sparse_samples, frames.shape.t, 10);
      ASSERT_EQ(dense.size(), from_sparse.size());
      for (std::size_t i = 0; i < dense.size(); ++i) {
        expect_same_sample(dense[i], from_sparse[i], net.arch + " sample " + std::to_string(i) + (chip == &keyed ? " keyed" : ""));
        expect_same_sample(chip->run_fast(frames.sample(i), 10 + i), from_sparse[i], net.arch + " cycle vs fast, sample " + std::to_string(i));
        for (const auto c : dense[i].counts) spikes += c;
      }
    }
  }
  EXPECT_GT(spikes, 10);
  const auto net = testing::small_mlp(3);
  const std::vector<std::uint32_t> index{5, 3};  // descending: refused as run_fast refuses it
  const std::vector<std::uint16_t> count{1, 1};
  const datasets::SparseSample bad[] = {{index, count}};
  EXPECT_THROW((void)Accelerator(net, ChipConfig{}).run_cycle(bad, net.time_steps), std::invalid_argument);
}

TEST(SparseInput, EmptyStepsAndAnEmptySampleEqualDense) {
  const auto net = testing::small_csnn(5);
  auto frames = frames_for(net, 3, 0.3, 42);
  // Sample 0: only the last step has events; sample 1: no events at all.
  const std::size_t step = frames.shape.step_size();
  std::fill(frames.sample(0).begin(), frames.sample(0).end() - static_cast<std::ptrdiff_t>(step), std::uint16_t{0});
  std::fill(frames.sample(1).begin(), frames.sample(1).end(), std::uint16_t{0});
  expect_sparse_equals_dense(Accelerator(net, testing::small_tiles_config()), frames, "sparse edge cases");
}

TEST(SparseInput, RejectsAMalformedSparseSample) {
  const auto net = testing::small_mlp(3);
  const Accelerator chip(net, ChipConfig{});
  const std::vector<std::uint32_t> index{5, 3};  // descending
  const std::vector<std::uint16_t> count{1, 1};
  EXPECT_THROW((void)chip.run_fast(datasets::SparseSample{index, count}, net.time_steps), std::invalid_argument);
  const std::vector<std::uint32_t> outside{static_cast<std::uint32_t>(72 * net.time_steps)};
  const std::vector<std::uint16_t> one{1};
  EXPECT_THROW((void)chip.run_fast(datasets::SparseSample{outside, one}, net.time_steps), std::invalid_argument);
}

void expect_same_run(const RunResult& a, const RunResult& b) {
  EXPECT_EQ(a.spike_counts, b.spike_counts);
  EXPECT_EQ(a.predictions, b.predictions);
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_EQ(a.cycles_per_sample, b.cycles_per_sample);
  EXPECT_EQ(a.added_cycles_per_sample, b.added_cycles_per_sample);
  EXPECT_EQ(a.added_cycles, b.added_cycles);
  EXPECT_EQ(a.total().to_json(), b.total().to_json());
  ASSERT_EQ(a.per_layer.size(), b.per_layer.size());
  for (std::size_t l = 0; l < a.per_layer.size(); ++l) EXPECT_EQ(a.per_layer[l].to_json(), b.per_layer[l].to_json());
}

TEST(StreamedRun, FrameFileInSmallBatchesEqualsTheWholeSetAndPerSampleDense) {
  const auto net = testing::small_csnn(6);
  const auto frames = frames_for(net, 11, 0.2, 43);
  const auto dir = std::filesystem::temp_directory_path() / ("snngx-rram-stream-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  for (const auto layout : {datasets::FrameLayout::Sparse, datasets::FrameLayout::Dense}) {
    const auto path = dir / ("f" + datasets::to_string(layout) + ".frames.h5");
    datasets::write_frames(path, frames, layout);
    const Accelerator chip(net, testing::small_tiles_config());
    RunOptions o;
    o.threads = 2;
    const RunResult whole = chip.run(frames, o);
    // The independent slow path: every sample dense, one by one, summed here.
    Counters total;
    for (std::size_t i = 0; i < frames.size(); ++i) {
      const SampleResult s = chip.run_fast(frames.sample(i), i);
      EXPECT_EQ(whole.cycles_per_sample[i], s.total().cycles);
      total += s.total();
    }
    EXPECT_EQ(whole.total().to_json(), total.to_json());
    for (const std::size_t batch : {std::size_t{1}, std::size_t{4}, std::size_t{64}}) {
      datasets::FrameSource source(path);
      expect_same_run(whole, chip.run(source, o, batch));
    }
    datasets::FrameSource source(path);
    RunOptions limited = o;
    limited.limit = 5;
    const RunResult first5 = chip.run(source, limited, 2);
    ASSERT_EQ(first5.predictions.size(), 5U);
    EXPECT_EQ(first5.labels, std::vector<std::int32_t>(frames.labels.begin(), frames.labels.begin() + 5));
    // Cycle mode streams too (one sparse sample at a time) and agrees with the fast mode.
    RunOptions cycle;
    cycle.mode = Mode::Cycle;
    cycle.limit = 2;
    datasets::FrameSource again(path);
    const RunResult c = chip.run(again, cycle, 1);
    EXPECT_EQ(c.cycles_per_sample, std::vector<std::uint64_t>(whole.cycles_per_sample.begin(), whole.cycles_per_sample.begin() + 2));
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace snngx::rram
