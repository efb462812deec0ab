// scripts/import_reference.py: a PyTorch state_dict of each reference network, made here with
// Debian's python3-torch, converts into a model file whose weights are the state_dict's and whose
// inference equals the reference forward pass computed in PyTorch (STBP-style LIF loop).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "snngx/datasets/frames.hpp"
#include "snngx/snn/inference.hpp"
#include "snngx/snn/model_file.hpp"
#include "temp_dir.hpp"

namespace snngx::snn {
namespace {
namespace fs = std::filesystem;

const fs::path kScript = fs::path(__FILE__).parent_path().parent_path().parent_path() / "scripts" / "import_reference.py";
constexpr const char* kPython = "/usr/bin/python3";

// The reference networks in PyTorch with dyadic weights (k/64: every sum is exact, so PyTorch and
// snngx agree bit for bit), a state_dict saved the way training scripts do (wrapped, DataParallel
// "module." prefix, a zero bias that must be ignored), and the reference forward pass on frames
// read from frames.bin: spike counts to counts.txt, weights to weights.bin.
constexpr const char* kMakeReference = R"PY(
import os, sys, numpy as np, torch, torch.nn as nn, torch.nn.functional as F
arch, out, n, script = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
torch.manual_seed(5)
decay, vth, T = 0.3, 0.3, 15
class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2312, 512, bias=False); self.fc2 = nn.Linear(512, 10, bias=False)
    def layers(self): return [self.fc1, self.fc2]
class CSNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv0 = nn.Conv2d(2, 64, 3, 1, 1, bias=False); self.conv1 = nn.Conv2d(64, 128, 3, 1, 1, bias=False)
        self.conv2 = nn.Conv2d(128, 128, 3, 1, 1, bias=False); self.conv3 = nn.Conv2d(128, 256, 3, 1, 1, bias=False)
        self.fc1 = nn.Linear(4096, 1024, bias=False); self.fc2 = nn.Linear(1024, 11, bias=False)
    def layers(self): return [self.conv0, self.conv1, self.conv2, self.conv3, self.fc1, self.fc2]
net = MLP() if arch == "nmnist-mlp" else CSNN()
with torch.no_grad():
    for i, l in enumerate(net.layers()):
        hi = 10 if i == 0 else 6
        l.weight.copy_(torch.randint(-hi, hi + 2, l.weight.shape).float() / 64)
sd = {"module." + k: v for k, v in net.state_dict().items()}
sd["module.fc2.bias"] = torch.zeros(net.fc2.weight.shape[0])
torch.save({"epoch": 3, "state_dict": sd}, out + "/ref.pt")
np.concatenate([l.weight.detach().numpy().ravel() for l in net.layers()]).astype("<f4").tofile(out + "/weights.bin")
shape = (n, T, 2, 34, 34) if arch == "nmnist-mlp" else (n, T, 2, 32, 32)
frames = torch.from_numpy(np.fromfile(out + "/frames.bin", dtype="<u2").astype(np.float32).reshape(shape))
def lif(mem, spike, x):
    mem = mem * decay * (1. - spike) + x
    return mem, (mem > vth).float()
with torch.no_grad():
    if arch == "nmnist-mlp":
        m1 = s1 = torch.zeros(n, 512); m2 = s2 = torch.zeros(n, 10); count = torch.zeros(n, 10)
        for t in range(T):
            x = frames[:, t].reshape(n, -1)
            m1, s1 = lif(m1, s1, net.fc1(x)); m2, s2 = lif(m2, s2, net.fc2(s1)); count += s2
    else:
        sizes = [(64, 32), (128, 16), (128, 8), (256, 4)]
        mem = [torch.zeros(n, c, s, s) for c, s in sizes]; spk = [torch.zeros_like(m) for m in mem]
        m5 = s5 = torch.zeros(n, 1024); m6 = s6 = torch.zeros(n, 11); count = torch.zeros(n, 11)
        for t in range(T):
            x = frames[:, t]
            for i, conv in enumerate([net.conv0, net.conv1, net.conv2, net.conv3]):
                mem[i], spk[i] = lif(mem[i], spk[i], conv(x))
                x = F.max_pool2d(spk[i], 2) if i < 3 else spk[i]
            m5, s5 = lif(m5, s5, net.fc1(x.reshape(n, -1))); m6, s6 = lif(m6, s6, net.fc2(s5)); count += s6
np.savetxt(out + "/counts.txt", count.numpy(), fmt="%d")
# The importer's command-line entry point, in this process (one slow torch import, not several).
sys.path.insert(0, os.path.dirname(script))
import import_reference
def exit_code(argv):
    try:
        return import_reference.main(argv)
    except SystemExit as e:
        return 1 if e.code not in (0, None) else 0
codes = [exit_code(["--arch", arch, out + "/ref.pt", "-o", out + "/imported.snn.h5"])]
# Refused: a nonzero bias; a missing key; neither leaves an output file behind.
bad = {k[len("module."):]: v for k, v in sd.items()}
bad[[k for k in bad if k.endswith(".weight")][-1].replace(".weight", ".bias")] = torch.ones(net.layers()[-1].weight.shape[0])
torch.save(bad, out + "/bias.pt")
torch.save({k: v for k, v in bad.items() if not k.startswith("fc2.")}, out + "/missing.pt")
codes.append(exit_code(["--arch", arch, out + "/bias.pt", "-o", out + "/bias.snn.h5"]))
codes.append(exit_code(["--arch", arch, out + "/missing.pt", "-o", out + "/missing.snn.h5"]))
open(out + "/codes.txt", "w").write(" ".join(str(c) for c in codes))
)PY";

bool python_has_torch() {
  return std::system((std::string(kPython) + " -c 'import torch, h5py, numpy' >/dev/null 2>&1").c_str()) == 0;
}

int run(const std::string& cmd) { return std::system((cmd + " > /dev/null 2>&1").c_str()); }

void check_arch(const std::string& arch, const datasets::FrameShape& shape) {
  const testing::TempDir dir;
  const std::size_t n = 3;
  auto frames = datasets::synth_frames(shape, n, 0.08, arch == "nmnist-mlp" ? 10 : 11, 17);
  {
    std::ofstream out(dir / "frames.bin", std::ios::binary);
    out.write(reinterpret_cast<const char*>(frames.counts.data()), static_cast<std::streamsize>(frames.counts.size() * 2));
  }
  {
    std::ofstream out(dir / "make_reference.py");
    out << kMakeReference;
  }
  ASSERT_EQ(run(std::string(kPython) + " " + (dir / "make_reference.py").string() + " " + arch + " " + dir.path.string() + " " +
                std::to_string(n) + " " + kScript.string()),
            0);
  std::ifstream codes_file(dir / "codes.txt");
  int ok = -1, bias = -1, missing = -1;
  codes_file >> ok >> bias >> missing;
  EXPECT_EQ(ok, 0);
  EXPECT_NE(bias, 0) << "a nonzero bias must be refused";
  EXPECT_NE(missing, 0) << "a missing layer must be refused";
  EXPECT_FALSE(fs::exists(dir / "bias.snn.h5"));
  EXPECT_FALSE(fs::exists(dir / "missing.snn.h5"));

  const Network net = load_model(dir / "imported.snn.h5");
  EXPECT_EQ(net.arch, arch);
  // Weights: exactly the state_dict's, in PyTorch layout.
  std::ifstream wf(dir / "weights.bin", std::ios::binary);
  std::size_t checked = 0;
  for (std::size_t k = 0; k < net.num_weighted(); ++k) {
    std::vector<float> expect(net.weights(k).count());
    wf.read(reinterpret_cast<char*>(expect.data()), static_cast<std::streamsize>(expect.size() * sizeof(float)));
    ASSERT_TRUE(wf.good());
    EXPECT_EQ(net.weights(k).values, expect) << "layer " << k;
    checked += expect.size();
  }
  EXPECT_EQ(checked, net.parameter_count());
  // Inference: the same spike counts as the PyTorch reference forward pass.
  std::ifstream cf(dir / "counts.txt");
  const Engine engine(net, EngineKind::Event);
  std::int64_t total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto counts = engine.run(frames.sample(i));
    for (const auto c : counts) {
      int ref = -1;
      cf >> ref;
      EXPECT_EQ(c, ref) << arch << " sample " << i;
      total += c;
    }
  }
  EXPECT_GT(total, 0) << "the reference forward pass produced no output spikes; the check would be vacuous";
}

TEST(ImportReference, MlpStateDictConvertsToIdenticalWeightsAndInferenceAndBadOnesAreRefused) {
  if (!python_has_torch()) GTEST_SKIP() << kPython << " lacks torch/h5py (run scripts/setup.sh with SNNGX_WITH_TORCH=1)";
  check_arch("nmnist-mlp", {15, 2, 34, 34});
}

TEST(ImportReference, CsnnStateDictConvertsToIdenticalWeightsAndInferenceAndBadOnesAreRefused) {
  if (!python_has_torch()) GTEST_SKIP() << kPython << " lacks torch/h5py (run scripts/setup.sh with SNNGX_WITH_TORCH=1)";
  check_arch("dvsgesture-csnn", {15, 2, 32, 32});
}

}  // namespace
}  // namespace snngx::snn
