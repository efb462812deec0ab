// Issue 16 point 9: every command with every kind of bad input (missing folder, a folder for a
// file, the wrong kind of file, an empty file, a frame file with 0 samples, labels out of range,
// negative / NaN / meaningless numbers, an output equal to an input) ends with exit code 1,
// exactly one stderr line starting "snngx: error:", and no file left behind.
#include <gtest/gtest.h>

#include <H5Cpp.h>

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

// A frame file written by hand: `labels` per sample, optional class names.
void write_frame_file(const fs::path& path, const std::vector<std::int32_t>& labels, bool with_classes) {
  H5::H5File f(path.string(), H5F_ACC_TRUNC);
  const hsize_t n = labels.size();
  const hsize_t dims[5] = {n, 15, 2, 34, 34};
  std::vector<std::uint16_t> counts(n * 15 * 2 * 34 * 34, 1);
  f.createDataSet("frames", H5::PredType::STD_U16LE, H5::DataSpace(5, dims)).write(counts.data(), H5::PredType::NATIVE_UINT16);
  f.createDataSet("labels", H5::PredType::STD_I32LE, H5::DataSpace(1, &n)).write(labels.data(), H5::PredType::NATIVE_INT32);
  if (with_classes) {
    const H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
    std::vector<std::string> names;
    for (int c = 0; c < 10; ++c) names.push_back("c" + std::to_string(c));
    std::vector<const char*> ptrs;
    for (const auto& s : names) ptrs.push_back(s.c_str());
    const hsize_t k = ptrs.size();
    f.createAttribute("classes", type, H5::DataSpace(1, &k)).write(type, ptrs.data());
  }
}

struct Files {
  fs::path model, quantized, frames, encrypted, key, pass, outputs, folder, empty, zero_samples, bad_labels, bad_labels_no_classes, out;
};

Files make_files(const fs::path& dir) {
  const Files f{dir / "m.snn.h5", dir / "q.snn.h5", dir / "f.frames.h5", dir / "e.snn.h5", dir / "e.key", dir / "pass.txt",
                dir / "o.h5", dir / "folder", dir / "empty.h5", dir / "zero.frames.h5", dir / "labels.frames.h5",
                dir / "labels-nc.frames.h5", dir / "out"};
  fs::create_directories(f.folder);
  fs::create_directories(f.out);
  std::ofstream(f.pass) << "table-test\n";
  std::ofstream(f.empty).flush();
  write_frame_file(f.zero_samples, {}, true);
  write_frame_file(f.bad_labels, {0, 99}, true);
  write_frame_file(f.bad_labels_no_classes, {0, 99}, false);
  const auto ok = [](const std::string& args) { EXPECT_EQ(run_snngx(args).exit_code, 0) << args; };
  ok("model init --arch nmnist-mlp -o " + q(f.model));
  ok("model quantize " + q(f.model) + " -o " + q(f.quantized));
  ok("frames synth --shape 15,2,34,34 --count 20 -o " + q(f.frames));
  ok("encrypt -q --model " + q(f.quantized) + " --subset " + q(f.frames) + " --subset-size 2 --population 4 --generations 1 " +
     "--kdf pbkdf2 --pbkdf2-iterations 1000 --passphrase-file " + q(f.pass) + " -o " + q(f.encrypted) + " --key " + q(f.key) +
     " --report " + q(dir / "enc"));
  ok("infer --model " + q(f.quantized) + " --frames " + q(f.frames) + " --outputs " + q(f.outputs));
  return f;
}

// A case that starts with this runs with SNNGX_PASSPHRASE set to the empty string.
const std::string kEmptyPassphrase = "[SNNGX_PASSPHRASE=] ";

// Every template with its one "{}" replaced by every value.
std::vector<std::string> expand(const std::vector<std::string>& templates, const std::vector<fs::path>& values) {
  std::vector<std::string> out;
  for (const auto& t : templates)
    for (const auto& v : values) {
      std::string c = t;
      c.replace(c.find("{}"), 2, q(v));
      out.push_back(c);
    }
  return out;
}

std::vector<std::string> bad_commands(const Files& f, const fs::path& dir) {
  const fs::path missing = dir / "nodir" / "x.h5";
  const std::string secret = " --passphrase-file " + q(f.pass);
  const std::string enc_out = " -o " + q(f.out / "e.snn.h5") + " --key " + q(f.out / "e.key") + secret;
  std::vector<std::string> all;
  const auto add = [&](const std::vector<std::string>& v) { all.insert(all.end(), v.begin(), v.end()); };

  // A frame file expected.
  add(expand({"infer --model " + q(f.quantized) + " --frames {}",
              "simulate --model " + q(f.quantized) + " --frames {}",
              "train --arch nmnist-mlp --epochs 1 --train {} -o " + q(f.out / "t.snn.h5"),
              "train --arch nmnist-mlp --epochs 1 --train " + q(f.frames) + " --test {} -o " + q(f.out / "t.snn.h5"),
              "encrypt --model " + q(f.quantized) + " --subset {}" + enc_out,
              "attack --model " + q(f.encrypted) + " --test {} --report " + q(f.out / "a")},
             {missing, f.folder, f.model, f.key, f.empty, f.zero_samples, f.bad_labels, f.bad_labels_no_classes, f.outputs}));
  // dataset view reads one sample: a bad label elsewhere in the file is not its concern.
  add(expand({"dataset view {} -o " + q(f.out / "v.png")}, {missing, f.folder, f.model, f.key, f.empty, f.zero_samples, f.outputs}));
  // A model file expected.
  add(expand({"infer --frames " + q(f.frames) + " --model {}",
              "simulate --frames " + q(f.frames) + " --model {}",
              "encrypt --subset " + q(f.frames) + " --model {}" + enc_out,
              "attack --test " + q(f.frames) + " --model {} --report " + q(f.out / "a"),
              "model quantize {} -o " + q(f.out / "q.snn.h5"),
              "model info {}",
              "train --init-model {} --epochs 1 --train " + q(f.frames) + " -o " + q(f.out / "t.snn.h5")},
             {missing, f.folder, f.frames, f.key, f.empty, f.outputs}));
  // A key file expected.
  add(expand({"infer --model " + q(f.encrypted) + " --frames " + q(f.frames) + secret + " --key {}",
              "key info {}"},
             {missing, f.folder, f.model, f.frames, f.empty}));
  // An outputs file expected.
  add(expand({"outputs export {} --csv " + q(f.out / "x")}, {missing, f.folder, f.model, f.frames, f.empty}));
  // Outputs: a missing folder, a folder, an input.
  add(expand({"infer --model " + q(f.quantized) + " --frames " + q(f.frames) + " --outputs {}",
              "simulate --model " + q(f.quantized) + " --frames " + q(f.frames) + " --outputs {}",
              "model quantize " + q(f.model) + " -o {}",
              "train --arch nmnist-mlp --epochs 1 --train " + q(f.frames) + " -o {}",
              "encrypt --model " + q(f.quantized) + " --subset " + q(f.frames) + secret + " --key " + q(f.out / "e.key") + " -o {}",
              "encrypt --model " + q(f.quantized) + " --subset " + q(f.frames) + secret + " -o " + q(f.out / "e.snn.h5") + " --key {}",
              "dataset view " + q(f.frames) + " -o {}",
              "frames synth --shape 1,1,1,1 --count 1 -o {}"},
             {missing, f.folder}));
  // Every other output of train, of simulate --sweep / --latency-map and of cosim (refused before
  // any work, so nothing is staged; cosim without the RTL build is refused as such).
  const std::string train_ok = "train --arch nmnist-mlp --epochs 1 --train " + q(f.frames) + " -o " + q(f.out / "t.snn.h5");
  const std::string cosim = "cosim --model " + q(f.encrypted) + " --key " + q(f.key) + secret + " --frames " + q(f.frames);
  add(expand({train_ok + " --quantized-output {}", train_ok + " --checkpoint {}", train_ok + " --csv {}", train_ok + " --plot {}",
              train_ok + " --json-out {}",
              "simulate --model " + q(f.quantized) + " --frames " + q(f.frames) + " --set adc.impl=sar --sweep adc.bits=4,5 --report-dir " +
                  q(f.out / "sw") + " --json-out {}",
              cosim + " --trace {}", cosim + " --outputs {}", cosim + " --json-out {}"},
             {missing, f.folder}));
  const std::string sweep = "simulate --model " + q(f.quantized) + " --frames " + q(f.frames) + " --limit 2 --set adc.impl=sar";
  add({sweep + " --sweep adc.bits=4,5",                                          // no --report-dir
       sweep + " --sweep adc.bits=4,5 --report-dir " + q(f.empty),              // a file as the folder
       sweep + " --sweep adc.bits --report-dir " + q(f.out / "sw"),             // no values
       sweep + " --sweep adc.nosuch=1,2 --report-dir " + q(f.out / "sw"),       // unknown parameter
       sweep + " --sweep adc.bits=4,nan --report-dir " + q(f.out / "sw"),       // a bad later value
       "simulate --latency-map",                                                 // no --report-dir
       "simulate --latency-map --report-dir " + q(f.empty),
       "simulate --latency-map --trials 0 --report-dir " + q(f.out / "lm")});
  // An output that is an input of the same command.
  add({"infer --model " + q(f.quantized) + " --frames " + q(f.frames) + " --outputs " + q(f.frames),
       "simulate --model " + q(f.quantized) + " --frames " + q(f.frames) + " --json-out " + q(f.quantized),
       "model quantize " + q(f.model) + " -o " + q(f.model),
       "train --arch nmnist-mlp --epochs 1 --train " + q(f.frames) + " -o " + q(f.frames),
       "encrypt --model " + q(f.quantized) + " --subset " + q(f.frames) + secret + " --key " + q(f.out / "e.key") + " -o " + q(f.quantized),
       "encrypt --model " + q(f.quantized) + " --subset " + q(f.frames) + secret + " -o " + q(f.out / "e.snn.h5") + " --key " + q(f.pass),
       "dataset view " + q(f.frames) + " -o " + q(f.frames),
       "outputs export " + q(f.outputs) + " --npy " + q(f.outputs),
       "outputs export " + q(f.outputs) + " --csv " + q(f.frames / "sub")});
  // Numbers: negative, NaN, meaningless.
  const std::string infer = "infer --model " + q(f.quantized) + " --frames " + q(f.frames);
  const std::string train = "train --arch nmnist-mlp --train " + q(f.frames) + " -o " + q(f.out / "t.snn.h5");
  const std::string encrypt = "encrypt --model " + q(f.quantized) + " --subset " + q(f.frames) + enc_out;
  const std::string attack = "attack --model " + q(f.encrypted) + " --test " + q(f.frames) + " --key " + q(f.key) + secret +
                             " --report " + q(f.out / "a");
  const std::string simulate = "simulate --model " + q(f.quantized) + " --frames " + q(f.frames) + " --limit 2";
  add({infer + " --limit -1", infer + " --limit nan", infer + " --threads -1", simulate + " --limit -5",
       simulate + " --set adc.bits=3", simulate + " --set adc.bits=nan", train + " --lr -1", train + " --lr nan", train + " --epochs 0",
       train + " --weight-decay -1", train + " --patience -3", train + " --threads -1", train + " --batch 0",
       encrypt + " --generations 0", encrypt + " --population -5", encrypt + " --epsilon nan", encrypt + " --layer -1",
       encrypt + " --layer 7", encrypt + " --per-class 1000", encrypt + " --subset-size 0", encrypt + " --retain 2",
       attack + " --baseline-fractions 2", attack + " --known-fractions nan", attack + " --trials -1",
       "frames synth --shape 1,1,1,1 --count 0 -o " + q(f.out / "s.frames.h5"),
       "frames synth --shape 1,1,1,1 --count 1 --density nan -o " + q(f.out / "s.frames.h5"),
       "dataset view " + q(f.frames) + " --index 9999 -o " + q(f.out / "v.png"),
       "dataset convert --format nmnist --root " + q(dir / "nodir") + " -o " + q(f.out / "c.frames.h5"),
       "dataset convert --format nmnist --root " + q(f.empty) + " -o " + q(f.out / "c.frames.h5"),
       "dataset convert --format nmnist --root " + q(f.folder) + " --limit -1 -o " + q(f.out / "c.frames.h5"),
       "--max-memory -1 " + infer});
  // An empty passphrase in the environment (said to be unset before).
  add({kEmptyPassphrase + "infer --model " + q(f.encrypted) + " --key " + q(f.key) + " --frames " + q(f.frames)});
  return all;
}

TEST(CliBadInputTable, EveryCommandRefusesEveryBadInputWithOneLineExitOneAndNoFile) {
  const TempDir dir;
  const Files f = make_files(dir.path);
  if (::testing::Test::HasFailure()) return;
  const std::set<fs::path> before = files_under(dir.path);
  int failures = 0;
  for (const std::string& args : bad_commands(f, dir.path)) {
    SCOPED_TRACE("snngx " + args);
    const bool empty_passphrase = args.starts_with(kEmptyPassphrase);
    const auto r = empty_passphrase ? run_snngx(args.substr(kEmptyPassphrase.size()), "SNNGX_PASSPHRASE=") : run_snngx(args);
    const bool one_line = r.err.starts_with("snngx: error: ") && std::count(r.err.begin(), r.err.end(), '\n') == 1;
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_TRUE(one_line) << r.err;
    const auto after = files_under(dir.path);
    for (const auto& p : after)  // name what was left behind, and keep the next case's folder as it was
      if (!before.count(p)) {
        ADD_FAILURE() << "left behind: " << p;
        fs::remove_all(p);
      }
    if (r.exit_code != 1 || !one_line || after != before) ++failures;
  }
  EXPECT_EQ(failures, 0);
}

}  // namespace
}  // namespace snngx
