#!/usr/bin/env bash
# Installs every Debian package snngx needs. Idempotent: runs `apt-get update` only when
# something is missing, and installs only what is missing.
set -euo pipefail
packages=(
  cmake g++ make pkg-config git
  libeigen3-dev libhdf5-dev libcli11-dev nlohmann-json3-dev libyaml-cpp-dev libfmt-dev libtbb-dev
  libssl-dev zlib1g-dev libgtest-dev libbenchmark-dev
  libboost-mpi-dev libopenmpi-dev openmpi-bin
  libsystemc-dev verilator yosys opensta python3 gnuplot-nox jq
  dataset-fashion-mnist
)
# Only for the reference-checkpoint importer and its test (issue: training, point 6).
if [[ "${SNNGX_WITH_TORCH:-0}" == 1 ]]; then
  packages+=(python3-torch python3-h5py python3-numpy)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all ${#packages[@]} packages present"
fi
