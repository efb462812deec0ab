// `snngx encrypt` and `snngx attack` end to end on tiny models and frames: the CLI's key equals
// the library's search with the same options, the written model/key/report are consistent with
// each other and with independent inference, and refusals are one "snngx: error:" line.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli.hpp"
#include "snngx/crypto/key_file.hpp"
#include "snngx/datasets/frames.hpp"
#include "snngx/ga/attack.hpp"
#include "snngx/ga/fitness.hpp"
#include "snngx/ga/restarts.hpp"
#include "snngx/ga/sensitivity.hpp"
#include "snngx/snn/inference.hpp"
#include "snngx/snn/model_file.hpp"
#include "temp_dir.hpp"
#include "test_nets.hpp"

namespace snngx::ga {
namespace {

using testing::run_snngx;

using testing::q;

nlohmann::json read_json(const std::filesystem::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

std::vector<std::string> read_lines(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

// A tiny quantized MLP (layer 1 = 64 sign bits), frames with 4 classes, a passphrase file.
struct Files {
  testing::TempDir dir;
  snn::Network plain = testing::tiny_mlp(21);
  datasets::FrameSet frames = testing::frames_for(plain, 24, 21);
  std::filesystem::path model = dir / "p.snn.h5", data = dir / "f.frames.h5", pass = dir / "pass.txt", enc = dir / "e.snn.h5",
                        key = dir / "e.key", report = dir / "r";
  Files() {
    snn::save_model(model, plain);
    datasets::write_frames(data, frames);
    std::ofstream(pass) << "correct horse\n";
  }
  // Small GA so the test is fast; scrypt N = 2 (tests only).
  [[nodiscard]] std::string encrypt_args(const std::string& extra = "", const std::string& space = "--layer 1",
                                         const std::string& budget = "--epsilon 6 --generations 6") const {
    return "encrypt --model " + q(model) + " --subset " + q(data) + " --test " + q(data) + " -o " + q(enc) + " --key " + q(key) +
           " --passphrase-file " + q(pass) + " --scrypt-log2-n 1 --scrypt-r 1 --report " + q(report) +
           " " + space + " --per-class 2 " + budget + " --population 12 --mutation 0.2 --seed 5 " + extra;
  }
};

GaParams small_params() {
  GaParams p;
  p.epsilon = 6;
  p.population = 12;
  p.generations = 6;
  p.mutation = 0.2;
  p.seed = 5;
  return p;
}

double accuracy_of(const snn::Network& net, const datasets::FrameSet& f) {
  snn::InferenceOptions o;
  o.threads = 1;
  o.engine = snn::EngineKind::Dense;
  return snn::infer(net, f, o).accuracy();
}

TEST(EncryptCli, KeyEqualsTheLibrarySearchAndOutputsAreConsistent) {
  Files f;
  const auto r = run_snngx(f.encrypt_args("--threads 2"));
  ASSERT_EQ(r.exit_code, 0) << r.err;

  // The library's search with the same options (independent of the CLI's plumbing).
  const auto subset = select_subset(f.frames, 16, 2, 5);
  SubsetEvaluator ev(f.plain, SearchSpace::layer(f.plain, 1), subset, 1);
  const auto lib = run_search(small_params(), ev.space().size(), ev);
  const auto lib_key = make_key(f.plain, ev.space(), lib.best);

  // The sealed key unseals with the passphrase to exactly that key.
  const auto key = crypto::unseal_key(f.key, crypto::KeySecret::passphrase("correct horse"));
  ASSERT_EQ(key.layers.size(), 2u);
  EXPECT_TRUE(key.layers[0].positions.empty());
  EXPECT_EQ(key.layers[1].positions, lib_key.layers[1].positions);

  // The stored model is plain XOR key, state "encrypted", bound to the key file.
  const auto enc = snn::load_model(f.enc);
  EXPECT_EQ(enc.state, snn::ModelState::Encrypted);
  EXPECT_EQ(enc.key_fingerprint, crypto::read_key_header(f.key).fingerprint);
  EXPECT_EQ(enc.weights(0).quant->weight_bits, f.plain.weights(0).quant->weight_bits);
  std::vector<std::uint64_t> differing;
  const auto& pb = f.plain.weights(1).quant->weight_bits;
  const auto& eb = enc.weights(1).quant->weight_bits;
  for (std::size_t k = 0; k < pb.size(); ++k) {
    ASSERT_EQ(pb[k] ^ eb[k], (pb[k] ^ eb[k]) & 0x80) << "only sign bits differ, weight " << k;
    if (pb[k] != eb[k]) differing.push_back(k * 8);
  }
  EXPECT_EQ(differing, key.layers[1].positions);

  // The JSON report against independent inference.
  const auto j = read_json(f.dir / "r.json");
  EXPECT_EQ(j["flipped_bits"].get<std::size_t>(), lib.best.count());
  EXPECT_EQ(j["search_space_bits"].get<std::size_t>(), 64u);
  EXPECT_EQ(j["model_weight_bits"].get<std::size_t>(), (24u * 16u + 16u * 4u) * 8u);
  EXPECT_DOUBLE_EQ(j["flipped_share_of_model_bits"].get<double>(), static_cast<double>(lib.best.count()) / ((24.0 * 16 + 16 * 4) * 8));
  EXPECT_DOUBLE_EQ(j["best_fitness"].get<double>(), lib.fitness);
  EXPECT_DOUBLE_EQ(j["test"]["accuracy_plain"].get<double>(), accuracy_of(f.plain, f.frames));
  EXPECT_DOUBLE_EQ(j["test"]["accuracy_encrypted_without_key"].get<double>(), accuracy_of(enc, f.frames));
  EXPECT_DOUBLE_EQ(j["test"]["accuracy_with_key"].get<double>(), j["test"]["accuracy_plain"].get<double>());

  // The CSV has one row per generation plus the final re-score, with the library's best fitness.
  const auto csv = read_lines(f.dir / "r.csv");
  ASSERT_EQ(csv.size(), 1u + 7u);
  EXPECT_EQ(csv[0].rfind("generation,best_fitness,", 0), 0u);
  for (std::size_t g = 0; g < lib.history.size(); ++g) {
    std::istringstream row(csv[g + 1]);
    std::string gen, best;
    std::getline(row, gen, ',');
    std::getline(row, best, ',');
    EXPECT_EQ(std::stoi(gen), static_cast<int>(g));
    EXPECT_NEAR(std::stod(best), lib.history[g].best_fitness, 1e-5 * std::max(1.0, lib.history[g].best_fitness));
  }
  EXPECT_TRUE(std::filesystem::exists(f.dir / "r.svg.gp") || std::filesystem::exists(f.dir / "r.svg"));
  EXPECT_NE(r.out.find("test accuracy: plain"), std::string::npos);
}

TEST(EncryptCli, EpsilonNotReachedIsAWarningAndInTheReport) {
  Files f;
  // One generation (0 is refused): the key is still far above epsilon 1.
  auto r = run_snngx(f.encrypt_args("", "--layer 1", "--generations 1 --epsilon 1"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("snngx: warning: epsilon not reached: the key flips"), std::string::npos) << r.err;
  auto j = nlohmann::json::parse(std::ifstream(f.dir / "r.json"));
  EXPECT_FALSE(j["reached_epsilon"].get<bool>());
  EXPECT_GT(j["flipped_bits"].get<std::size_t>(), 1U);
  // A budget as large as the space is always met.
  r = run_snngx(f.encrypt_args("", "--layer 1", "--generations 6 --epsilon 64"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("epsilon not reached"), std::string::npos) << r.err;
  j = nlohmann::json::parse(std::ifstream(f.dir / "r.json"));
  EXPECT_TRUE(j["reached_epsilon"].get<bool>());
  EXPECT_LE(j["flipped_bits"].get<std::size_t>(), 64U);
}

TEST(EncryptCli, WarnsWhenThePlainModelIsAtChance) {
  Files f;
  auto r = run_snngx(f.encrypt_args());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const bool trained = nlohmann::json::parse(std::ifstream(f.dir / "r.json"))["test"]["accuracy_plain"].get<double>() > 1.5 / 4;
  EXPECT_EQ(r.err.find("at chance"), trained ? std::string::npos : 0U) << r.err;
  // Every weight 0: no output spike, every prediction class 0 (chance level on balanced frames).
  snn::Network silent = f.plain;
  for (std::size_t l = 0; l < silent.num_weighted(); ++l) {
    std::fill(silent.weights(l).quant->weight_bits.begin(), silent.weights(l).quant->weight_bits.end(), std::uint8_t{0});
    std::fill(silent.weights(l).values.begin(), silent.weights(l).values.end(), 0.0f);
  }
  snn::save_model(f.model, silent);
  r = run_snngx(f.encrypt_args());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("snngx: warning: " + f.data.string() + ": the plain model is at chance"), std::string::npos) << r.err;
}

TEST(EncryptCli, SameSeedSameEncryptionOnOneAndTwoThreads) {
  Files f;
  ASSERT_EQ(run_snngx(f.encrypt_args("--threads 1", "--whole")).exit_code, 0);
  const auto one = snn::load_model(f.enc);
  ASSERT_EQ(run_snngx(f.encrypt_args("--threads 2", "--whole")).exit_code, 0);
  const auto two = snn::load_model(f.enc);
  for (std::size_t l = 0; l < one.num_weighted(); ++l) EXPECT_EQ(one.weights(l).quant->weight_bits, two.weights(l).quant->weight_bits);
}

TEST(EncryptCli, RefusesBadInputsWithOneErrorLine) {
  Files f;
  auto r = run_snngx(f.encrypt_args("", "--layer 7"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("snngx: error: --layer 7 does not exist"), std::string::npos) << r.err;
  r = run_snngx(f.encrypt_args("--retain 0.1"));  // 1 parent of 12
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("snngx: error: --retain * --population must keep at least 2 parents"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(f.enc));
  // An encrypted model cannot be encrypted again.
  ASSERT_EQ(run_snngx(f.encrypt_args()).exit_code, 0);
  std::string args = f.encrypt_args();
  args.replace(args.find(q(f.model)), q(f.model).size(), q(f.enc));
  args.replace(args.find("-o " + q(f.enc)), 3 + q(f.enc).size(), "-o " + q(f.dir / "e2.snn.h5"));
  r = run_snngx(args);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("encrypt needs a quantized model"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(f.dir / "e2.snn.h5"));
}

TEST(EncryptCli, RestartsKeepTheKeyWorstOnValidationAndItEqualsThatSingleRun) {
  Files f;
  // Validation from the subset's own file: its 8 subset samples (2 per class) are left out.
  const auto r = run_snngx(f.encrypt_args("--restarts 3 --validation " + q(f.data) + " --validation-size 0"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = read_json(f.dir / "r.json");
  ASSERT_EQ(j["restarts"].size(), 3u);
  EXPECT_EQ(j["validation"]["samples"].get<std::size_t>(), 24u - 8u);
  EXPECT_EQ(j["validation"]["subset_samples_excluded"].get<std::size_t>(), 8u);

  // Independent: each restart is the library search with seed 5 + r; validation is the accuracy
  // of that key's model on the held-out samples, by dense inference.
  const auto subset_idx = subset_indices(f.frames, 16, 2, 5);
  const auto validation = f.frames.select(holdout_indices(f.frames.size(), subset_idx, 0, 5));
  SubsetEvaluator ev(f.plain, SearchSpace::layer(f.plain, 1), f.frames.select(subset_idx), 1);
  std::vector<RestartRun> runs;
  for (std::uint64_t r = 0; r < 3; ++r) {
    GaParams p = small_params();
    p.seed = 5 + r;
    RestartRun run{p.seed, run_search(p, ev.space().size(), ev), 0.0};
    run.validation_accuracy = accuracy_of(apply_flips(f.plain, ev.space(), run.result.best), validation);
    const auto& jr = j["restarts"][r];
    EXPECT_EQ(jr["seed"].get<std::uint64_t>(), p.seed);
    EXPECT_EQ(jr["flipped_bits"].get<std::size_t>(), run.result.best.count());
    EXPECT_DOUBLE_EQ(jr["validation_accuracy"].get<double>(), run.validation_accuracy);
    EXPECT_DOUBLE_EQ(jr["test_accuracy_without_key"].get<double>(), accuracy_of(apply_flips(f.plain, ev.space(), run.result.best), f.frames));
    runs.push_back(std::move(run));
  }
  const std::size_t chosen = choose_restart(runs);
  EXPECT_EQ(j["chosen_restart"].get<std::size_t>(), chosen);
  EXPECT_EQ(j["chosen_seed"].get<std::uint64_t>(), 5 + chosen);
  EXPECT_DOUBLE_EQ(j["test"]["accuracy_encrypted_without_key"].get<double>(), j["restarts"][chosen]["test_accuracy_without_key"].get<double>());
  const auto enc = snn::load_model(f.enc);
  EXPECT_EQ(enc.weights(1).quant->weight_bits, apply_flips(f.plain, ev.space(), runs[chosen].result.best).weights(1).quant->weight_bits);
  EXPECT_EQ(read_lines(f.dir / "r.restarts.csv").size(), 1u + 3u);
  EXPECT_TRUE(std::filesystem::exists(f.dir / "r.restarts.svg.gp") || std::filesystem::exists(f.dir / "r.restarts.svg"));
  EXPECT_NE(r.out.find("<- kept"), std::string::npos);

  // The kept key is reproduced by a single run with its seed (the subset drawn with the base seed).
  std::string args = f.encrypt_args("--subset-seed 5");
  args.replace(args.find("--seed 5 "), 9, "--seed " + std::to_string(5 + chosen) + " ");
  const auto single = run_snngx(args);
  ASSERT_EQ(single.exit_code, 0) << single.err;
  EXPECT_EQ(snn::load_model(f.enc).weights(1).quant->weight_bits, enc.weights(1).quant->weight_bits);
}

TEST(EncryptCli, MethodSensitivityAndHybridKeysEqualTheLibrarySearches) {
  Files f;
  const auto subset = select_subset(f.frames, 16, 2, 5);
  const auto space = SearchSpace::layer(f.plain, 1);
  const SubsetEvaluator ev(f.plain, space, subset, 1);
  for (const std::string method : {"sensitivity", "hybrid"}) {
    const auto r = run_snngx(f.encrypt_args("--threads 2 --method " + method + " --rounds 3 --candidates 12"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    SearchResult lib;
    if (method == "sensitivity") {
      lib = sensitivity_search(f.plain, space, subset, ev, {6, 3}, 1);
    } else {
      CandidateEvaluator c(ev, hybrid_candidates(f.plain, space, subset, ev, 12, 1), subset, f.plain.time_steps, f.plain.num_classes, 1);
      lib = hybrid_search(small_params(), c, c, ev);
    }
    const auto key = crypto::unseal_key(f.key, crypto::KeySecret::passphrase("correct horse"));
    EXPECT_EQ(key.layers[1].positions, make_key(f.plain, space, lib.best).layers[1].positions) << method;
    EXPECT_LE(key.flipped_bits(), 6u);
    const auto j = read_json(f.dir / "r.json");
    EXPECT_EQ(j["method"], method);
    EXPECT_EQ(j["ranking"], "output-current");
    EXPECT_DOUBLE_EQ(j["best_subset_accuracy"].get<double>(), lib.accuracy);
    // The encrypted model's accuracy is measured by independent inference.
    EXPECT_DOUBLE_EQ(j["test"]["accuracy_encrypted_without_key"].get<double>(), accuracy_of(snn::load_model(f.enc), f.frames));
    EXPECT_EQ(read_lines(f.dir / "r.csv").size(), lib.history.size() + 1) << method;
    std::filesystem::remove(f.enc);
    std::filesystem::remove(f.key);
  }
  // The default stays the GA.
  ASSERT_EQ(run_snngx(f.encrypt_args()).exit_code, 0);
  EXPECT_EQ(read_json(f.dir / "r.json")["method"], "ga");
}

TEST(EncryptCli, BadMethodAndRestartsOfADeterministicSearchAreRefused) {
  Files f;
  auto r = run_snngx(f.encrypt_args("--method annealing"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("snngx: error: --method"), std::string::npos) << r.err;
  r = run_snngx(f.encrypt_args("--method sensitivity --restarts 2 --validation " + q(f.data)));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("snngx: error: --restarts works with --method ga only"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(std::filesystem::exists(f.enc));
  EXPECT_FALSE(std::filesystem::exists(f.key));
}

TEST(EncryptCli, RestartsWithoutValidationAndFramesOfTheWrongShapeAreRefused) {
  Files f;
  auto r = run_snngx(f.encrypt_args("--restarts 2"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("snngx: error: --restarts 2 needs --validation"), std::string::npos) << r.err;
  // Validation or test frames that do not fit the model: one line naming the file, before the search.
  const auto wrong = f.dir / "wrong.frames.h5";
  datasets::write_frames(wrong, testing::frames_for(testing::tiny_csnn(1), 4, 1));
  r = run_snngx(f.encrypt_args("--restarts 2 --validation " + q(wrong)));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("snngx: error: " + wrong.string() + ": frames"), std::string::npos) << r.err;
  std::string args = f.encrypt_args();
  args.replace(args.find("--test " + q(f.data)), 7 + q(f.data).size(), "--test " + q(wrong));
  r = run_snngx(args);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("snngx: error: " + wrong.string() + ": frames"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(std::filesystem::exists(f.enc));
  EXPECT_FALSE(std::filesystem::exists(f.key));
}

TEST(AttackCli, AllExperimentsAgainstIndependentComputation) {
  Files f;
  ASSERT_EQ(run_snngx(f.encrypt_args()).exit_code, 0);
  const auto r = run_snngx("attack --model " + q(f.enc) + " --test " + q(f.data) + " --key " + q(f.key) + " --passphrase-file " +
                           q(f.pass) + " --trials 4 --known-trials 3 --known-fractions 0,0.5,1 --baseline-fractions 0,0.01 --threads 2" +
                           " --finetune-data " + q(f.data) + " --finetune-per-class 2 --finetune-epochs 1 --report " + q(f.dir / "a"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = read_json(f.dir / "a.json");
  const auto enc = snn::load_model(f.enc);
  const double without = accuracy_of(enc, f.frames), plain = accuracy_of(f.plain, f.frames);
  EXPECT_DOUBLE_EQ(j["accuracy_without_key"].get<double>(), without);
  EXPECT_DOUBLE_EQ(j["accuracy_with_key"].get<double>(), plain);
  const auto key = crypto::unseal_key(f.key, crypto::KeySecret::passphrase("correct horse"));
  const auto L = key.flipped_bits();
  EXPECT_EQ(j["brute_force"]["flipped_bits"].get<std::uint64_t>(), L);
  EXPECT_EQ(j["brute_force"]["candidate_sign_bits"].get<std::uint64_t>(), 64u);
  EXPECT_NEAR(j["brute_force"]["log2_keyspace_sign_bits_of_key_layers"].get<double>(), log2_binomial(64, L), 1e-9);
  // Partial key: nothing known = the encrypted model, everything known = the plain model.
  const auto& pk = j["partial_key"];
  ASSERT_EQ(pk.size(), 3u);
  EXPECT_EQ(pk[0]["accuracies"].get<std::vector<double>>(), std::vector<double>(3, without));
  EXPECT_EQ(pk[2]["accuracies"].get<std::vector<double>>(), std::vector<double>(3, plain));
  EXPECT_EQ(pk[1]["bits"].get<std::size_t>(), static_cast<std::size_t>(std::llround(0.5 * static_cast<double>(L))));
  EXPECT_EQ(j["random_sign_flips_same_count"]["bits"].get<std::uint64_t>(), L);
  EXPECT_EQ(j["random_sign_flips_same_count"]["accuracies"].size(), 4u);
  // Baseline share 0 flips nothing: the plain accuracy in every trial.
  EXPECT_EQ(j["random_bit_baseline"][0]["accuracies"].get<std::vector<double>>(), std::vector<double>(4, plain));
  EXPECT_EQ(j["random_bit_baseline"][1]["bits"].get<std::size_t>(), static_cast<std::size_t>(std::llround(0.01 * 448 * 8)));
  EXPECT_EQ(j["fine_tuning"]["samples"].get<std::size_t>(), 8u);
  for (const std::string s : {".partial_key.csv", ".baseline.csv", ".random_flips.csv"}) EXPECT_TRUE(std::filesystem::exists(f.dir / ("a" + s))) << s;
}

TEST(AttackCli, WrongPassphraseAndForeignKeyFailCleanly) {
  Files f;
  ASSERT_EQ(run_snngx(f.encrypt_args()).exit_code, 0);
  std::ofstream(f.dir / "wrong.txt") << "wrong\n";
  auto r = run_snngx("attack --model " + q(f.enc) + " --test " + q(f.data) + " --key " + q(f.key) + " --passphrase-file " +
                     q(f.dir / "wrong.txt"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("snngx: error: ", 0), 0u) << r.err;
  // A key sealed for another encryption of the same model is refused before any secret is used.
  std::filesystem::copy_file(f.key, f.dir / "first.key");
  ASSERT_EQ(run_snngx(f.encrypt_args()).exit_code, 0);
  r = run_snngx("attack --model " + q(f.enc) + " --test " + q(f.data) + " --key " + q(f.dir / "first.key") + " --passphrase-file " +
                q(f.pass));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("first.key"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace snngx::ga

namespace snngx::ga {
namespace {

std::string with_population_10(std::string args) {
  return args.replace(args.find("--population 12"), 15, "--population 10");
}

TEST(EncryptCli, ReferenceCompatKeyEqualsTheLibraryCompatSearchAndReportsTheChain) {
  Files f;
  // Population 10: 6 parents + 4 children (the reference appends children in pairs).
  const auto r = run_snngx(with_population_10(f.encrypt_args("--reference-compat --threads 2")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The library's reference-compatible search with the same options.
  const auto subset = select_subset(f.frames, 16, 2, 5);
  SubsetEvaluator ev(f.plain, SearchSpace::layer(f.plain, 1), subset, 1, true);
  GaParams p = small_params();
  p.reference_compat = true;
  p.population = 10;
  const auto lib = run_search(p, ev.space().size(), ev);
  const auto key = crypto::unseal_key(f.key, crypto::KeySecret::passphrase("correct horse"));
  EXPECT_EQ(key.layers[1].positions, make_key(f.plain, ev.space(), lib.best).layers[1].positions);
  const auto j = read_json(f.dir / "r.json");
  const auto& rc = j["reference_compat"];
  EXPECT_EQ(rc["evaluations"].get<std::size_t>(), 10u * 7u);  // every individual, every generation + final
  EXPECT_EQ(rc["exponent_drops"].get<std::size_t>(), ev.exponent_drops().size());
  EXPECT_EQ(rc["plain_exponent"].get<int>(), f.plain.weights(1).quant->exponent);
  if (const auto e = ev.reference_next_exponent()) {
    EXPECT_EQ(rc["final_exponent"].get<int>(), *e);
  }
  EXPECT_DOUBLE_EQ(rc["test_accuracy_reported_by_reference"].get<double>(), accuracy_of(ev.reference_loaded_model(lib.best), f.frames));
  // How close it came to a drop: the fewest blocking weights per generation of 10 evaluations.
  const auto& per = ev.exponent_blockers().per_evaluation;
  ASSERT_EQ(per.size(), 70u);
  const auto& b = rc["blocking_weights"];
  ASSERT_EQ(b["fewest_per_generation"].size(), 7u);
  for (std::size_t g = 0; g < 7; ++g)
    EXPECT_EQ(b["fewest_per_generation"][g].get<std::uint32_t>(), *std::min_element(per.begin() + 10 * g, per.begin() + 10 * (g + 1))) << g;
  EXPECT_EQ(b["fewest"].get<std::uint32_t>(), *std::min_element(per.begin(), per.end()));
  EXPECT_EQ(b["large_positive"].get<std::size_t>(), ev.exponent_blockers().large_positive);
  EXPECT_EQ(b["evaluations_with_none"].get<std::size_t>(), static_cast<std::size_t>(std::count(per.begin(), per.end(), 0U)));
  // The default report says false.
  const Files d;
  ASSERT_EQ(run_snngx(d.encrypt_args()).exit_code, 0);
  EXPECT_EQ(read_json(d.dir / "r.json")["reference_compat"], false);
}

TEST(EncryptCli, ReferenceCompatRefusesWholeAndRestartsWithOneErrorLine) {
  Files f;
  auto r = run_snngx(with_population_10(f.encrypt_args("--reference-compat", "--whole")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("snngx: error: --reference-compat reproduces the reference's single layer-wise search"), std::string::npos) << r.err;
  r = run_snngx(with_population_10(f.encrypt_args("--reference-compat --restarts 2 --validation " + q(f.data))));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("snngx: error: --reference-compat reproduces"), std::string::npos) << r.err;
  r = run_snngx(f.encrypt_args("--reference-compat"));  // population 12: 7 parents, 5 children
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("snngx: error: --reference-compat needs an even number of children"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(f.enc));
}

TEST(AttackCli, ReferenceCompatReportsTheReferenceDecoding) {
  Files f;
  ASSERT_EQ(run_snngx(f.encrypt_args()).exit_code, 0);
  const auto r = run_snngx("attack --model " + q(f.enc) + " --test " + q(f.data) + " --trials 1 --threads 1 --reference-compat --report " +
                           q(f.dir / "a"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = read_json(f.dir / "a.json");
  const auto enc = snn::load_model(f.enc);
  const auto as_reference = reference_decoding(enc);
  EXPECT_DOUBLE_EQ(j["reference_decoding"]["accuracy_without_key"].get<double>(), accuracy_of(as_reference, f.frames));
  // By hand: each layer's exponent from its stored signed maximum.
  for (std::size_t l = 0; l < enc.num_weighted(); ++l) {
    int m = -128;
    for (const auto b : enc.weights(l).quant->weight_bits) m = std::max(m, snn::signed_magnitude(b));
    EXPECT_EQ(j["reference_decoding"]["exponents"][l].get<int>(), reference_exponent(m, enc.weights(l).quant->exponent).value_or(-1000));
  }
}

}  // namespace
}  // namespace snngx::ga

namespace snngx::ga {
namespace {

TEST(AttackCli, FinetuneSweepAndWeightStatisticsEqualTheLibrary) {
  Files f;
  ASSERT_EQ(run_snngx(f.encrypt_args()).exit_code, 0);
  const auto r = run_snngx("attack --model " + q(f.enc) + " --test " + q(f.data) + " --key " + q(f.key) + " --passphrase-file " +
                           q(f.pass) + " --trials 1 --known-trials 1 --known-fractions 0 --baseline-fractions 0 --threads 1" +
                           " --finetune-data " + q(f.data) + " --finetune-per-class 2 --finetune-epochs 1 --finetune-lrs 1e-3,1e-2" +
                           " --finetune-holdout 0.5 --finetune-layers encrypted --weight-stats --weight-stats-factors 0.5,1" +
                           " --seed 3 --report " + q(f.dir / "a"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = read_json(f.dir / "a.json");
  const auto enc = snn::load_model(f.enc);
  const auto key = crypto::unseal_key(f.key, crypto::KeySecret::passphrase("correct horse"));
  // The same sweep by the library: first 2 samples per class, one of each held out, layer 1 only.
  const auto data = select_subset(f.frames, 0, 2, 3);
  const auto sweep = fine_tuning_lr_sweep(enc, data, f.frames, {{1e-3f, 1e-2f}, 1, std::size_t{1}, 0.5, 3, 1});
  const auto& js = j["fine_tuning_sweep"];
  EXPECT_EQ(js["train_samples"].get<std::size_t>(), 4u);
  EXPECT_EQ(js["validation_samples"].get<std::size_t>(), 4u);
  EXPECT_EQ(js["trained_layer"].get<std::size_t>(), 1u);
  ASSERT_EQ(js["runs"].size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_DOUBLE_EQ(js["runs"][i]["validation_accuracy"].get<double>(), sweep.runs[i].validation_accuracy);
    EXPECT_DOUBLE_EQ(js["runs"][i]["accuracy_quantized"].get<double>(), sweep.runs[i].quantized_accuracy);
    EXPECT_EQ(js["runs"][i]["chosen"].get<bool>(), i == sweep.chosen);
  }
  EXPECT_DOUBLE_EQ(js["accuracy_quantized"].get<double>(), sweep.best().quantized_accuracy);
  const auto stats = weight_statistics_attack(enc, key, 1, f.frames, {0.5, 1.0}, 1);
  const auto& jw = j["weight_statistics"];
  EXPECT_EQ(jw["key_bits"].get<std::uint64_t>(), key.flipped_bits());
  ASSERT_EQ(jw["detectors"].size(), stats.size());
  for (std::size_t d = 0; d < stats.size(); ++d) {
    EXPECT_EQ(jw["detectors"][d]["detector"].get<std::string>(), to_string(stats[d].detector));
    EXPECT_DOUBLE_EQ(jw["detectors"][d]["auc"].get<double>(), stats[d].auc);
    EXPECT_DOUBLE_EQ(jw["detectors"][d]["top_l"][1]["accuracy"].get<double>(), stats[d].guesses[1].accuracy);
  }
  for (const std::string s : {".finetune.csv", ".weight_stats.roc.csv", ".weight_stats.top.csv"})
    EXPECT_TRUE(std::filesystem::exists(f.dir / ("a" + s))) << s;
  EXPECT_EQ(read_lines(f.dir / "a.finetune.csv").size(), 3u);      // header + one row per lr
  EXPECT_EQ(read_lines(f.dir / "a.weight_stats.roc.csv").size(), 202u);  // header + the 201-point FPR grid
}

TEST(AttackCli, HarderAttacksWithoutTheirInputsAreRefusedWithOneErrorLine) {
  Files f;
  ASSERT_EQ(run_snngx(f.encrypt_args()).exit_code, 0);
  const std::string base = "attack --model " + q(f.enc) + " --test " + q(f.data) + " --finetune-data " + q(f.data);
  for (const std::string extra : {" --finetune-per-class 2 --finetune-layers encrypted", " --weight-stats", " --finetune-lrs 1e-3"}) {
    const auto r = run_snngx(base + extra);
    EXPECT_EQ(r.exit_code, 1) << extra;
    EXPECT_EQ(r.err.rfind("snngx: error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

}  // namespace
}  // namespace snngx::ga
