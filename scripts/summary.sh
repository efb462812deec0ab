#!/usr/bin/env bash
# Prints the demo's summary (Markdown) from the JSON reports the pipeline wrote into DIR.
set -euo pipefail
D=${1:?usage: summary.sh DIR}
pct() { jq -r "$1 * 100 | . * 100 | round / 100" "$2"; }
echo "# snngx demo summary"
echo
echo "| step | result |"
echo "|---|---|"
echo "| data | $(jq -r .samples "$D/infer.json") test samples of N-Fashion-MNIST (embedded, NMNIST format) |"
echo "| training (nmnist-mlp, $(jq -r .epochs_run "$D/mlp.train.json") epochs, $(jq -r '.seconds|round' "$D/mlp.train.json") s) | test accuracy float $(pct .float_test_accuracy "$D/mlp.train.json") %, 8-bit $(pct .quantized_test_accuracy "$D/mlp.train.json") % |"
echo "| inference (event engine) | $(pct .accuracy "$D/infer.json") %, $(jq -r '.samples_per_second|round' "$D/infer.json") samples/s on $(jq -r .threads "$D/infer.json") threads |"
echo "| SNNGX search (layer $(jq -r .layer "$D/encrypt.json")) | $(jq -r .flipped_bits "$D/encrypt.json") sign bits flipped = $(jq -r '.flipped_share_of_model_bits * 100 | . * 100000 | round / 100000' "$D/encrypt.json") % of all weight bits, in $(jq -r '.search_seconds_all_restarts * 100 | round / 100' "$D/encrypt.json") s ($(jq -r '.parameters.restarts' "$D/encrypt.json") restart(s)) |"
echo "| encrypted model | without key $(pct .test.accuracy_encrypted_without_key "$D/encrypt.json") % (chance $(pct .test.chance "$D/encrypt.json") %), with key $(pct .test.accuracy_with_key "$D/encrypt.json") % (plain $(pct .test.accuracy_plain "$D/encrypt.json") %) |"
echo "| security | brute force log2 C(N, L) = $(jq -r '.brute_force.log2_keyspace_sign_bits_of_key_layers | . * 10 | round / 10' "$D/attack.json") bits; fine-tuning on $(jq -r '.fine_tuning.samples // "?"' "$D/attack.json") samples reaches $(pct .fine_tuning.accuracy_quantized "$D/attack.json") % |"
echo "| accelerator (SystemC, fast mode) | $(pct .accuracy "$D/simulate.json") % on $(jq -r .samples "$D/simulate.json") samples, $(jq -r '.cycles_per_inference|round' "$D/simulate.json") cycles, $(jq -r '.energy_per_inference_nj|round' "$D/simulate.json") nJ per inference; added cycles $(jq -r '.added_cycles' "$D/simulate.json"); decryption unit + key store $(jq -r '.decryption_unit_area_share*10000|round/100' "$D/simulate.json") % of the area, $(jq -r '.decryption_unit_energy_share*100000|round/1000' "$D/simulate.json") % of the energy; vs full-weight AES (low-power / pipelined core): energy x$(jq -r '.costs.aes_comparison[0].energy_reduction // 0 | round' "$D/simulate.json") / x$(jq -r '.costs.aes_comparison[1].energy_reduction // 0 | round' "$D/simulate.json"), latency x$(jq -r '.costs.aes_comparison[0].latency_reduction // 0 | round' "$D/simulate.json") / x$(jq -r '.costs.aes_comparison[1].latency_reduction // 0 | round' "$D/simulate.json") |"
echo "| RTL co-simulation (same key, $(jq -r .key_entries "$D/cosim.json") entries) | spike mismatches vs software $(jq -r .spike_mismatches "$D/cosim.json"), cycles with unit $(jq -r .cycles_rtl "$D/cosim.json") = without $(jq -r .cycles_without_unit "$D/cosim.json") + added $(jq -r .added_cycles "$D/cosim.json"): $(jq -r 'if .passed then "PASS" else "FAIL" end' "$D/cosim.json") |"
echo
echo "Plots: $(cd "$D" && ls ./*.svg ./*/*.svg 2>/dev/null | tr '\n' ' ')"
