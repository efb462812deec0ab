#!/bin/sh
# `mpirun -np 2 snngx encrypt` gives the same encryption and the same search history as one
# process. Usage: mpi_cli_test.sh SNNGX_EXE MPIRUN WORK_DIR
set -eu
exe=$1 mpirun=$2 dir=$3
rm -rf "$dir" && mkdir -p "$dir" && cd "$dir"
"$exe" model init --arch nmnist-mlp --seed 3 -o f.snn.h5 >/dev/null
"$exe" model quantize f.snn.h5 -o q.snn.h5 >/dev/null
"$exe" frames synth --shape 15,2,34,34 --count 20 --density 0.05 --seed 4 -o d.frames.h5 >/dev/null
printf 'pw\n' >pass.txt
common="--model q.snn.h5 --subset d.frames.h5 --layer 1 --population 16 --generations 8 --epsilon 20 --seed 9 --threads 1 -q
        --passphrase-file pass.txt --scrypt-log2-n 1 --scrypt-r 1"
"$mpirun" --oversubscribe --allow-run-as-root -np 2 "$exe" encrypt $common -o m2.snn.h5 --key m2.key --report m2 >/dev/null 2>&1
"$exe" encrypt $common -o m1.snn.h5 --key m1.key --report m1 >/dev/null 2>&1
grep -q '"ranks": 2' m2.json || { echo "the MPI run did not use 2 ranks"; exit 1; }
# generation, best/mean fitness, flipped bits, subset accuracy, evaluations (not the wall time)
cut -d, -f1-6 m1.csv >m1.cols && cut -d, -f1-6 m2.csv >m2.cols && cmp m1.cols m2.cols
grep '"encrypted_weights_fingerprint"' m1.json >m1.fp && grep '"encrypted_weights_fingerprint"' m2.json >m2.fp && cmp m1.fp m2.fp
# Restarts with held-out selection: the same per-restart results and the same kept key.
"$mpirun" --oversubscribe --allow-run-as-root -np 2 "$exe" encrypt $common --restarts 2 --validation d.frames.h5 \
  -o r2.snn.h5 --key r2.key --report r2 >/dev/null 2>&1
"$exe" encrypt $common --restarts 2 --validation d.frames.h5 -o r1.snn.h5 --key r1.key --report r1 >/dev/null 2>&1
cmp r1.restarts.csv r2.restarts.csv
grep '"encrypted_weights_fingerprint"' r1.json >r1.fp && grep '"encrypted_weights_fingerprint"' r2.json >r2.fp && cmp r1.fp r2.fp
echo "2 ranks == 1 process"
