// train's memory estimate (issue 16 point 4): BPTT keeps every activation, membrane and gradient
// of a chunk of samples for all T steps; the estimate is checked against a hand count.
#include <gtest/gtest.h>

#include "snngx/snn/network.hpp"
#include "snngx/snn/train.hpp"

namespace snngx::snn {
namespace {

// nmnist-mlp: input [2,34,34] -> Flatten 2312 -> Linear 512 -> LIF 512 -> Linear 10 -> LIF 10.
// Bytes per sample and step:
//   input                                   4 x 2312
//   Flatten (before any weight: no gradient) 4 x 2312
//   Linear 2312->512: out + grad + nonzeros  4 x 512 + 4 x 512 + 8 x 2312
//   LIF 512: out + grad + membrane + mask    13 x 512
//   Linear 512->10                           4 x 10 + 4 x 10 + 8 x 512
//   LIF 10                                   13 x 10
constexpr std::uint64_t kPerStep = 4 * 2312 + 4 * 2312 + (8 * 512 + 8 * 2312) + 13 * 512 + (80 + 8 * 512) + 130;
constexpr std::uint64_t kWeights = 2312 * 512 + 512 * 10;

TEST(TrainMemory, MlpGradientBuffersMatchAHandCount) {
  static_assert(kPerStep == 52'050);
  const Network net = make_arch("nmnist-mlp");
  GradientOptions o;
  o.chunk = 2;
  o.threads = 2;
  // Batch 4 = 2 chunks of 2 samples, both busy; per chunk a gradient copy, plus the result's
  // gradients and the kernels' weights.
  const std::uint64_t chunk_state = 2 * 15 * kPerStep;
  EXPECT_EQ(gradient_memory_bytes(net, 15, 4, o), 2 * chunk_state + (2 + 2) * kWeights * 4);
  o.threads = 1;  // one worker reuses its buffers for both chunks
  EXPECT_EQ(gradient_memory_bytes(net, 15, 4, o), 1 * chunk_state + (2 + 2) * kWeights * 4);
  o.threads = 8;  // more threads than chunks: only 2 are busy
  EXPECT_EQ(gradient_memory_bytes(net, 15, 4, o), 2 * chunk_state + (2 + 2) * kWeights * 4);
  // T enters linearly: 100 steps of activations per sample.
  o.threads = 2;
  EXPECT_EQ(gradient_memory_bytes(net, 100, 4, o), 2 * 2 * 100 * kPerStep + (2 + 2) * kWeights * 4);
}

TEST(TrainMemory, TrainingAddsEightCopiesOfTheWeights) {
  const Network net = make_arch("nmnist-mlp");
  TrainOptions o;
  o.batch_size = 4;
  o.gradient.chunk = 4;
  o.gradient.threads = 1;
  EXPECT_EQ(train_memory_bytes(net, 15, o), gradient_memory_bytes(net, 15, 4, o.gradient) + 8 * net.parameter_count() * 4);
}

TEST(TrainMemory, CsnnActivationsDominateItsEstimate) {
  // The CSNN's first LIF layer alone is 64 x 32 x 32 neurons: 13 bytes x 65536 per step per sample,
  // so a chunk of 1 sample over 100 steps holds at least 85 MB.
  const Network net = make_arch("dvsgesture-csnn");
  GradientOptions o;
  o.chunk = 1;
  o.threads = 1;
  EXPECT_GE(gradient_memory_bytes(net, 100, 1, o), 13ull * 64 * 32 * 32 * 100);
  EXPECT_EQ(gradient_memory_bytes(net, 0, 1, o), 0u);
}

}  // namespace
}  // namespace snngx::snn
