// Careless users (issue "hardened"): every bad path or value ends as exactly one line
// "snngx: error: ..." with exit code 1, before any work, and leaves no file behind.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
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

using testing::files_under;

// A float and a quantized model, frames, an encrypted model with its sealed key, a folder.
struct Inputs {
  fs::path model, quantized, frames, encrypted, key, passphrase, folder;
};

Inputs make_inputs(const fs::path& dir) {
  const Inputs in{dir / "m.snn.h5", dir / "q.snn.h5", dir / "f.frames.h5", dir / "e.snn.h5",
                  dir / "e.key",    dir / "pass.txt", dir / "folder"};
  fs::create_directories(in.folder);
  std::ofstream(in.passphrase) << "hardening-test\n";
  const auto ok = [](const std::string& args) {
    const auto r = run_snngx(args);
    ASSERT_EQ(r.exit_code, 0) << args << "\n" << r.err;
  };
  ok("model init --arch nmnist-mlp -o " + q(in.model));
  ok("model quantize " + q(in.model) + " -o " + q(in.quantized));
  ok("frames synth --shape 15,2,34,34 --count 4 -o " + q(in.frames));
  ok("encrypt -q --model " + q(in.quantized) + " --subset " + q(in.frames) +
     " --subset-size 2 --population 4 --generations 1 --epsilon 5 --kdf pbkdf2 --pbkdf2-iterations 1000 --passphrase-file " +
     q(in.passphrase) + " -o " + q(in.encrypted) + " --key " + q(in.key) + " --report " + q(dir / "enc"));
  return in;
}

struct BadCase {
  std::string args;      // snngx arguments
  std::string expected;  // a part of the error line
};

std::vector<BadCase> bad_cases(const fs::path& dir, const Inputs& in) {
  const fs::path nodir = dir / "nodir";
  const std::string model = " --model " + q(in.quantized) + " --frames " + q(in.frames);
  const std::string encrypt = "encrypt --model " + q(in.quantized) + " --subset " + q(in.frames) + " --key " + q(dir / "k.key");
  return {
      // output folders that do not exist (these aborted with H5::FileIException)
      {"model quantize " + q(in.model) + " -o " + q(nodir / "q.snn.h5"), "the folder " + nodir.string() + " does not exist"},
      {"infer" + model + " --outputs " + q(nodir / "x.h5"), "--outputs " + (nodir / "x.h5").string() + ": the folder"},
      {"simulate" + model + " --outputs " + q(nodir / "o.h5"), "--outputs " + (nodir / "o.h5").string() + ": the folder"},
      {"infer" + model + " --json-out " + q(nodir / "r.json"), "--json-out"},
      {"frames synth --shape 1,1,1,1 --count 1 -o " + q(nodir / "f.frames.h5"), "does not exist"},
      {encrypt + " -o " + q(nodir / "e.snn.h5"), "-o " + (nodir / "e.snn.h5").string()},
      {"key unseal " + q(in.key) + " -o " + q(nodir / "plain.json"), "does not exist"},
      {"baseline-aes --model " + q(in.quantized) + " --json-out " + q(nodir / "b.json"), "does not exist"},
      // a folder where a file is expected, as output or input
      {"model quantize " + q(in.model) + " -o " + q(in.folder), "is a folder, not a file"},
      {"dataset view " + q(in.folder) + " -o " + q(dir / "v.png"), "directory"},
      {"simulate" + model + " --report-dir " + q(in.frames / "sub"), "is not a folder"},
      // an output equal to an input, or to another output
      {"model quantize " + q(in.model) + " -o " + q(in.model), "the output would overwrite the input model"},
      {encrypt + " -o " + q(in.quantized), "-o " + in.quantized.string() + ": the output would overwrite the input --model"},
      {"infer" + model + " --outputs " + q(in.frames), "the output would overwrite the input --frames"},
      {"infer" + model + " --outputs " + q(dir / "o.h5") + " --json-out " + q(dir / "o.h5"), "also the output --outputs"},
      // negative, NaN and out-of-range numbers
      {"infer" + model + " --limit -1", "--limit: '-1' must be >= 0"},
      {"infer" + model + " --threads -1", "--threads"},
      {"simulate" + model + " --limit -5", "--limit"},
      {"frames synth --shape 1,1,1,1 --count 1 --density nan -o " + q(dir / "d.frames.h5"), "--density: 'nan' must be in [0, 1]"},
      {"train --arch nmnist-mlp --train " + q(in.frames) + " -o " + q(dir / "t.snn.h5") + " --lr 0", "--lr: '0' must be > 0"},
      {"train --arch nmnist-mlp --train " + q(in.frames) + " -o " + q(dir / "t.snn.h5") + " --lr nan", "--lr: 'nan' must be > 0"},
      {encrypt + " -o " + q(dir / "e2.snn.h5") + " --retain 1.5", "--retain: '1.5' must be in (0, 1]"},
      {encrypt + " -o " + q(dir / "e2.snn.h5") + " --mutation nan", "--mutation"},
      {encrypt + " -o " + q(dir / "e2.snn.h5") + " --generations -1", "--generations"},
      {"attack --model " + q(in.encrypted) + " --test " + q(in.frames) + " --known-fractions 0.5,nan", "--known-fractions"},
      {"attack --model " + q(in.encrypted) + " --test " + q(in.frames) + " --trials 0", "--trials"},
      {"dataset view " + q(in.frames) + " --index -1 -o " + q(dir / "v.png"), "--index"},
      // parser errors
      {"infer" + model + " --bogus", "--bogus"},
      {"infer --frames " + q(in.frames), "--model is required"},
      {"no-such-command", "A subcommand is required"},
  };
}

void expect_one_error_line(const testing::CommandResult& r, const BadCase& c) {
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.err.starts_with("snngx: error: ")) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_TRUE(r.err.ends_with("\n")) << r.err;
  EXPECT_NE(r.err.find(c.expected), std::string::npos) << "expected '" << c.expected << "' in: " << r.err;
  EXPECT_LT(r.err.size(), 400u) << r.err;  // readable bounds, no 309-digit numbers
}

TEST(CliHardening, BadPathsAndValuesGiveOneErrorLineExitOneAndNoFile) {
  const TempDir dir;
  const Inputs in = make_inputs(dir.path);
  if (::testing::Test::HasFatalFailure()) return;
  std::vector<BadCase> cases = bad_cases(dir.path, in);
  // The RTL co-simulation is optional (SNNGX_BUILD_RTL); its waveform path aborted the process.
  if (run_snngx("cosim --help").out.find("not built") == std::string::npos)
    cases.push_back({"cosim --model " + q(in.encrypted) + " --key " + q(in.key) + " --passphrase-file " + q(in.passphrase) +
                         " --frames " + q(in.frames) + " --limit 1 --trace " + q(dir / "nodir" / "t.fst"),
                     "--trace " + (dir / "nodir" / "t.fst").string() + ": the folder"});
  const std::set<fs::path> before = files_under(dir.path);
  for (const BadCase& c : cases) {
    SCOPED_TRACE("snngx " + c.args);
    expect_one_error_line(run_snngx(c.args), c);
    EXPECT_EQ(files_under(dir.path), before);
  }
}

TEST(CliHardening, HelpAndVersionStillExitZero) {
  const auto help = run_snngx("infer --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--limit"), std::string::npos);
  const auto version = run_snngx("--version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find("snngx"), std::string::npos);
}

}  // namespace
}  // namespace snngx
