// Accelerator-model speed (issue 8): wall time per simulated inference for both reference
// architectures in fast (transaction-level, 1 and 2 threads) and cycle (clocked SystemC) mode,
// and simulated synaptic operations (active row x used column cell reads) per second of wall
// time. Target: fast mode >= 1e9 synaptic ops/s on 2 cores. Random weights (PyTorch default
// init x gain, so that deeper layers spike), 8-bit, synthetic frames at 5 % density.
// Usage: rram_bench [--quick] [--json FILE]
#include "bench_common.hpp"
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <thread>

#include "snngx/datasets/frames.hpp"
#include "snngx/crypto/xor_key.hpp"
#include "snngx/keyed/model_key.hpp"
#include "snngx/rram/accelerator.hpp"
#include "snngx/rram/costs.hpp"
#include "snngx/snn/quantize.hpp"

using namespace snngx;

namespace {

snn::Network bench_net(const std::string& arch) {
  snn::Network net = snn::make_arch(arch);
  snn::init_weights(net, 1);
  for (std::size_t l = 0; l < net.num_weighted(); ++l)
    for (float& v : net.weights(l).values) v *= 4.0f;
  return snn::quantize(net, 8, snn::QuantRule::MaxAbs);
}

// A key flipping `n` random sign bits spread over the layers in proportion to their size (the
// SNNGX paper encrypts 0.00005 % - 0.016 % of the weight bits, nearly all sign bits).
crypto::XorKey sign_key(const snn::Network& net, std::uint64_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  crypto::XorKey key;
  std::uint64_t total = 0;
  for (std::size_t l = 0; l < net.num_weighted(); ++l) total += net.weights(l).quant->weight_bits.size();
  for (std::size_t l = 0; l < net.num_weighted(); ++l) {
    const auto& w = net.weights(l).quant->weight_bits;
    crypto::LayerKey lk;
    lk.layer = static_cast<std::uint32_t>(l);
    lk.total_bits = w.size() * 8;
    const std::uint64_t k = std::max<std::uint64_t>(1, n * w.size() / total);
    std::uniform_int_distribution<std::uint64_t> pick(0, w.size() - 1);
    for (std::uint64_t i = 0; i < k; ++i) lk.positions.push_back(pick(rng) * 8);
    std::sort(lk.positions.begin(), lk.positions.end());
    lk.positions.erase(std::unique(lk.positions.begin(), lk.positions.end()), lk.positions.end());
    key.layers.push_back(lk);
  }
  return key;
}

snn::Network encrypted(const snn::Network& net, const crypto::XorKey& key) {
  snn::Network enc = net;
  for (const auto& lk : key.layers) keyed::apply_layer(lk, enc.weights(lk.layer).quant->weight_bits);
  for (std::size_t l = 0; l < enc.num_weighted(); ++l) snn::dequantize_into(enc.weights(l));
  return enc;
}

struct Row {
  std::string arch, mode;
  int threads = 1;
  std::size_t samples = 0;
  double seconds_per_inference = 0, synops_per_inference = 0, synops_per_second = 0, cycles_per_inference = 0;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Accelerator model: fast and cycle mode rates, synaptic ops/s, AES comparison", "rram_bench"};
  bool quick = false;
  std::string json_path;
  snngx::bench::add_quick_flag(app, quick);
  app.add_option("--json", json_path, "also write the rows as JSON to this file");
  return snngx::bench::run(app, argc, argv, [&] {
  fmt::print("# snngx accelerator-model benchmark\nmachine: {}, {} hardware threads; default chip (configs/chip.yaml), "
             "random weights x4, 8-bit, 5 % input density\n\n",
             snngx::bench::cpu_name(), std::thread::hardware_concurrency());
  fmt::print("| arch | mode | threads | samples | wall ms / inference | synaptic ops / inference | synaptic ops / s | cycles / "
             "inference |\n|---|---|---|---|---|---|---|---|\n");
  std::vector<Row> rows;
  for (const std::string arch : {"nmnist-mlp", "dvsgesture-csnn"}) {
    const snn::Network net = bench_net(arch);
    const rram::Accelerator chip(net, rram::ChipConfig{});
    const bool csnn = arch == "dvsgesture-csnn";
    const std::size_t fast_n = quick ? (csnn ? 8 : 32) : (csnn ? 32 : 256);
    const auto frames = datasets::synth_frames({net.time_steps, net.input_shape[0], net.input_shape[1], net.input_shape[2]}, fast_n,
                                               0.05, net.num_classes, 7);
    for (const auto& [mode, threads] : std::vector<std::pair<rram::Mode, int>>{{rram::Mode::Fast, 1}, {rram::Mode::Fast, 2}, {rram::Mode::Cycle, 1}}) {
      rram::RunOptions o;
      o.mode = mode;
      o.threads = threads;
      o.limit = mode == rram::Mode::Cycle ? (quick || csnn ? 1 : 4) : 0;
      const auto r = chip.run(frames, o);
      const double n = static_cast<double>(r.predictions.size());
      const auto total = r.total();
      const Row row{arch, rram::to_string(mode), threads, r.predictions.size(), r.seconds / n,
                    static_cast<double>(total.synaptic_ops()) / n, static_cast<double>(total.synaptic_ops()) / r.seconds,
                    static_cast<double>(total.cycles) / n};
      rows.push_back(row);
      fmt::print("| {} | {} | {} | {} | {:.3f} | {:.4g} | {:.3g} | {:.4g} |\n", row.arch, row.mode, row.threads, row.samples,
                 1e3 * row.seconds_per_inference, row.synops_per_inference, row.synops_per_second, row.cycles_per_inference);
      std::fflush(stdout);
    }
  }

  // SNNGX decryption vs full-weight AES (costs.hpp), keys at the paper's smallest and largest
  // encrypted share of weight bits and in between, against both AES design points. These random
  // keys spread over every layer's tiles, so the chip gets one engine per keyed tile.
  fmt::print("\n| arch | flipped sign bits (share of weight bits) | AES engine | key entries | SNNGX energy (nJ) | SNNGX latency (us) | "
             "AES blocks | AES energy (nJ) | AES latency (us) | energy reduction | latency reduction | added cycles / inference |\n"
             "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  nlohmann::json comparison = nlohmann::json::array();
  for (const std::string arch : {"nmnist-mlp", "dvsgesture-csnn"}) {
    const snn::Network net = bench_net(arch);
    const double bits = static_cast<double>(snn::weight_bit_count(net));
    const auto frames = datasets::synth_frames({net.time_steps, net.input_shape[0], net.input_shape[1], net.input_shape[2]},
                                               quick ? 2 : 8, 0.05, net.num_classes, 9);
    for (const double share : {5e-7, 1e-5, 1.6e-4}) {
      const auto n = static_cast<std::uint64_t>(std::max(1.0, std::round(share * bits)));
      const auto key = sign_key(net, n, 3);
      rram::Accelerator chip(encrypted(net, key), rram::ChipConfig::from_yaml_text("decryption_unit: {engines: 100000}"));
      chip.load_key(key);
      const auto run = chip.run(frames);
      for (const auto& a : rram::estimate_costs(chip, run).aes) {
        fmt::print("| {} | {} ({:.5f} %) | {} | {} | {:.4g} | {:.4g} | {} | {:.4g} | {:.4g} | x{:.3g} | x{:.3g} | {:.3g} |\n", arch,
                   key.flipped_bits(), 100.0 * static_cast<double>(key.flipped_bits()) / bits, a.engine, a.key_entries,
                   a.snngx_energy_pj() * 1e-3, a.snngx_latency_us(), a.aes_blocks, a.aes_energy_pj * 1e-3, a.aes_latency_us,
                   a.energy_reduction(), a.latency_reduction(), a.added_cycles_per_inference);
        auto j = a.to_json();
        j["arch"] = arch;
        j["flipped_bits"] = key.flipped_bits();
        comparison.push_back(j);
      }
      std::fflush(stdout);
    }
  }
  fmt::print("(paper: x59 - x6780 energy, x175 - x4250 latency)\n");

  if (!json_path.empty()) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& r : rows)
      j.push_back({{"arch", r.arch}, {"mode", r.mode}, {"threads", r.threads}, {"samples", r.samples},
                   {"seconds_per_inference", r.seconds_per_inference}, {"synaptic_ops_per_inference", r.synops_per_inference},
                   {"synaptic_ops_per_second", r.synops_per_second}, {"cycles_per_inference", r.cycles_per_inference}});
    std::ofstream(json_path) << nlohmann::json{{"speed", j}, {"aes_comparison", comparison}}.dump(2) << "\n";
  }
  });
}
