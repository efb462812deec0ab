// Plots fit for a paper (issue 16 point 7): the gnuplot scripts every command writes beside its
// SVGs carry plain text (no enhanced-text subscripts), one distinct colour per series, percent
// where the CLI prints percent, log axes where values span decades, and the quantities asked for
// (loss with accuracy; accuracy, energy and cycles in a sweep).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "temp_dir.hpp"

namespace snngx {
namespace {

namespace fs = std::filesystem;
using testing::run_snngx;
using testing::TempDir;

using testing::q;

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The script of a figure, split into panels (one "plot" command each, with the settings before it).
std::vector<std::string> panels(const std::string& script) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t at = script.find("\nplot "); at != std::string::npos; at = script.find("\nplot ", at + 1)) {
    const std::size_t end = script.find("\nset ", at + 1);
    out.push_back(script.substr(start, (end == std::string::npos ? script.size() : end) - start));
    start = end == std::string::npos ? script.size() : end;
  }
  return out;
}

std::vector<std::string> colours(const std::string& panel) {
  std::vector<std::string> c;
  const std::regex lc("lc rgb '(#[0-9a-f]{6})'");
  for (auto it = std::sregex_iterator(panel.begin(), panel.end(), lc); it != std::sregex_iterator(); ++it) c.push_back((*it)[1]);
  return c;
}

// The rules every plot obeys.
void expect_paper_ready(const fs::path& svg, std::size_t expected_panels) {
  const fs::path gp = svg.string() + ".gp";
  ASSERT_TRUE(fs::exists(gp)) << gp;
  const std::string script = read(gp);
  EXPECT_NE(script.find("set termoption noenhanced"), std::string::npos) << gp;
  const auto ps = panels(script);
  ASSERT_EQ(ps.size(), expected_panels) << gp << "\n" << script;
  for (const auto& p : ps) {
    const auto c = colours(p);
    EXPECT_FALSE(c.empty()) << p;
    EXPECT_EQ(std::set<std::string>(c.begin(), c.end()).size(), c.size()) << "two series share a colour:\n" << p;
    EXPECT_NE(p.find("set xlabel '"), std::string::npos) << p;
    EXPECT_EQ(p.find("set xlabel ''"), std::string::npos) << p;
    EXPECT_NE(p.find("set ylabel '"), std::string::npos) << p;
  }
  // gnuplot ran and drew it (it is installed wherever the project builds: scripts/setup.sh).
  if (std::system("command -v gnuplot > /dev/null 2>&1") == 0) {
    ASSERT_TRUE(fs::exists(svg)) << svg;
    EXPECT_NE(read(svg).find("<svg"), std::string::npos);
  }
}

bool has(const std::string& panel, const std::string& text) { return panel.find(text) != std::string::npos; }

// A quantized MLP, frames, its encryption with a sealed key (the fixture of the hardening tests).
struct Inputs {
  TempDir dir;
  fs::path quantized = dir / "q.snn.h5", frames = dir / "f.frames.h5", encrypted = dir / "e.snn.h5", key = dir / "e.key",
           pass = dir / "pass.txt";
  Inputs() {
    std::ofstream(pass) << "plot-test\n";
    for (const std::string& args :
         {"model init --arch nmnist-mlp -o " + q(dir / "m.snn.h5"), "model quantize " + q(dir / "m.snn.h5") + " -o " + q(quantized),
          "frames synth --shape 15,2,34,34 --count 4 -o " + q(frames),
          "encrypt -q --model " + q(quantized) + " --subset " + q(frames) +
              " --subset-size 2 --population 4 --generations 3 --epsilon 5 --kdf pbkdf2 --pbkdf2-iterations 1000 --passphrase-file " +
              q(pass) + " -o " + q(encrypted) + " --key " + q(key) + " --report " + q(dir / "enc")}) {
      const auto r = run_snngx(args);
      EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.err;
    }
  }
};

TEST(CliPlots, EncryptSearchHistoryHasALogFitnessAxisAndPercentAccuracy) {
  const Inputs in;
  expect_paper_ready(in.dir / "enc.svg", 2);
  const auto ps = panels(read(in.dir / "enc.svg.gp"));
  EXPECT_TRUE(has(ps[0], "set logscale y 10")) << ps[0];
  EXPECT_TRUE(has(ps[1], "set ylabel 'subset accuracy (%)'")) << ps[1];
  EXPECT_TRUE(has(ps[1], "($5*100)")) << ps[1];
}

TEST(CliPlots, AttackPlotsShowPercentAndTheBaselineOnALogAxis) {
  const Inputs in;
  const fs::path prefix = in.dir / "att";
  const auto r = run_snngx("attack --model " + q(in.encrypted) + " --test " + q(in.frames) + " --key " + q(in.key) +
                           " --passphrase-file " + q(in.pass) + " --trials 2 --known-trials 1 --threads 2 --report " + q(prefix));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string s : {".partial_key.svg", ".baseline.svg", ".random_flips.svg"}) expect_paper_ready(prefix.string() + s, 1);
  const std::string partial = read(prefix.string() + ".partial_key.svg.gp"), baseline = read(prefix.string() + ".baseline.svg.gp");
  for (const auto* p : {&partial, &baseline}) {
    EXPECT_TRUE(has(*p, "set ylabel 'test accuracy (%)'")) << *p;
    EXPECT_TRUE(has(*p, "($1*100):($2*100)")) << *p;  // shares and accuracies in percent, as printed
  }
  EXPECT_TRUE(has(baseline, "set logscale x 10")) << baseline;  // 1e-6 .. 1e-2 of the bits
  EXPECT_FALSE(has(partial, "set logscale x")) << partial;
  EXPECT_TRUE(has(read(prefix.string() + ".random_flips.svg.gp"), "set xlabel 'test accuracy (%)"));
}

TEST(CliPlots, SimulateReportAndSweepPlots) {
  const Inputs in;
  const fs::path dir = in.dir / "sim";
  auto r = run_snngx("simulate --model " + q(in.quantized) + " --frames " + q(in.frames) + " --report-dir " + q(dir));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_paper_ready(dir / "energy_breakdown.svg", 1);
  expect_paper_ready(dir / "latency_per_layer.svg", 1);
  const std::string energy = read(dir / "energy_breakdown.svg.gp"), latency = read(dir / "latency_per_layer.svg.gp");
  EXPECT_TRUE(has(energy, "title 'key_store'")) << energy;  // a name with '_' (plain text, no subscript)
  EXPECT_TRUE(has(energy, "energy per inference (nJ)")) << energy;
  EXPECT_GE(colours(energy).size(), 9U);
  EXPECT_TRUE(has(latency, "set logscale y 10")) << latency;
  EXPECT_TRUE(has(latency, "(us, log scale)")) << latency;
  // costs.txt: no column name cut short.
  const std::string costs = read(dir / "costs.txt");
  for (const std::string name : {"wordline_drivers", "decryption_unit", "key_store", "adder_tree"})
    EXPECT_NE(costs.find(name), std::string::npos) << costs;

  r = run_snngx("simulate --model " + q(in.quantized) + " --frames " + q(in.frames) + " --report-dir " + q(dir) +
                " --set adc.impl=sar --sweep adc.bits=4,8");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path sweep = dir / "sweep_adc_bits.svg";
  expect_paper_ready(sweep, 3);
  const auto ps = panels(read(sweep.string() + ".gp"));
  EXPECT_TRUE(has(ps[0], "set ylabel 'accuracy (%)'")) << ps[0];
  EXPECT_TRUE(has(ps[0], "set yrange [0:100]")) << ps[0];
  EXPECT_TRUE(has(ps[1], "energy per inference (nJ)")) << ps[1];
  EXPECT_TRUE(has(ps[2], "cycles per inference")) << ps[2];
}

}  // namespace
}  // namespace snngx
