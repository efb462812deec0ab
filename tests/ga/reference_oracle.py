#!/usr/bin/python3
"""Oracle for `--reference-compat`: the authors' own code evaluates a fixed sequence of individuals.

Run by ctest (GaReference.AuthorsCodeEvaluatesTheSequence) with Debian's /usr/bin/python3 and
python3-torch. It imports the reference implementation from ../shared/reference (sys.path; nothing
is copied), builds a fixed NMNIST MLP (the reference's NMNIST_model class, 2312 -> 512 -> 10, T = 15)
with weights generated here deterministically, a fixed 20-sample subset (2 per class) and a fixed
sequence of sign-bit masks of layer 1 (fc2, the paper's NMNIST layer), and scores the sequence with
SNNGX_BIT_Encryption.fitness_fn in two calls (a generation boundary in between), as the reference's
GA does. It writes everything to OUT_DIR:

  fc1.i8, fc2.i8      signed integer magnitudes (row-major [out, in]), int8
  frames.u16          subset event counts [N, T, 2, 34, 34], uint16 little endian
  labels.i32          subset labels, int32 little endian
  masks.u8            the individuals, [K, 5120] bytes, 1 = sign bit flipped
  oracle.json         exponents, shapes, epsilon, the two call sizes and per individual the
                      reference's subset accuracy, fitness F and the exponent it decoded fc2 with

The C++ side (reference_compat_oracle.cpp) evaluates the same sequence with our evaluator. Exit 77
(ctest: skipped) with a clear message when the reference or torch is absent.
"""
import json
import math
import os
import sys

SKIP = 77


def skip(message):
    print(f"SKIPPED: {message}")
    sys.exit(SKIP)


def main():
    if len(sys.argv) != 3:
        print("usage: reference_oracle.py REFERENCE_DIR OUT_DIR", file=sys.stderr)
        return 2
    reference, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(out):  # nothing stale survives a skip or a failure
        os.remove(os.path.join(out, name))
    ga_file = os.path.join(reference, "Encryption_SNNGX", "GA_BITver_minBIT_layer.py")
    if not os.path.isfile(ga_file):
        skip(f"the authors' reference code is absent ({ga_file})")
    try:
        import numpy as np
        import torch
    except ImportError as e:
        skip(f"{sys.executable} cannot import torch/numpy ({e}); install Debian's python3-torch")

    sys.path.insert(0, os.path.join(reference, "quantization_utils"))
    sys.path.insert(0, os.path.join(reference, "Encryption_SNNGX"))
    from _Loading_All_Model import NMNIST_model
    from GA_BITver_minBIT_layer import SNNGX_BIT_Encryption
    from quantization import quantize_weights_nbits

    torch.set_num_threads(1)
    cpu = torch.device("cpu")
    rng = np.random.RandomState(19)
    T, C, H, W, classes, per_class, hidden = 15, 2, 34, 34, 10, 2, 512
    inputs = C * H * W
    e1, e2, epsilon = -11, -10, 50

    # Class-structured data and weights so that the plain model is accurate and flips matter.
    prototypes = [rng.choice(inputs, size=60, replace=False) for _ in range(classes)]
    fc1 = rng.randint(-8, 9, size=(hidden, inputs))
    for j in range(hidden):
        fc1[j, prototypes[j % classes]] = rng.randint(20, 61, size=60)
    fc1[0, prototypes[0][0]] = 127  # signed maximum 127: both quantization rules agree
    fc2 = rng.randint(-40, -4, size=(classes, hidden))  # |negative| < 64: flipping them all lowers the exponent
    for c in range(classes):
        own = np.arange(c, hidden, classes)
        fc2[c, own] = rng.randint(40, 101, size=own.size)
    fc2[0, 0] = 127
    labels = np.repeat(np.arange(classes), per_class).astype(np.int32)
    frames = np.zeros((labels.size, T, C, H, W), dtype=np.uint16)
    for n, c in enumerate(labels):
        for t in range(T):
            flat = frames[n, t].reshape(-1)
            flat[prototypes[c]] = rng.poisson(0.5, size=60)
            flat[rng.choice(inputs, size=20, replace=False)] += 1

    # The sequence: plain, all flipped (drops the exponent), plain again at the lower exponent,
    # random masks of several densities, the largest weights flipped, a run of all-flipped
    # individuals that silences the layer, then plain (the scale never comes back).
    n_weights = classes * hidden
    order = np.argsort(-fc2.reshape(-1), kind="stable")
    masks = [np.zeros(n_weights, bool), np.ones(n_weights, bool), np.zeros(n_weights, bool)]
    for density in (0.02, 0.5, 0.9, 0.97, 0.99, 0.5, 0.005):
        masks.append(rng.random_sample(n_weights) < density)
    for top in (10, 40, 60):
        m = np.zeros(n_weights, bool)
        m[order[:top]] = True
        masks.append(m)
    masks += [np.ones(n_weights, bool)] * 12 + [np.zeros(n_weights, bool)]
    masks = np.array(masks)
    first_call = 9  # individuals in the first fitness_fn call ("generation"); the rest in the second

    # The reference: model, quantization and search object exactly as its __main__ builds them.
    model = NMNIST_model(T_BIN=T, device=cpu)
    with torch.no_grad():
        model.fc1.weight.data = torch.tensor(fc1 * 2.0**e1, dtype=torch.float32)
        model.fc2.weight.data = torch.tensor(fc2 * 2.0**e2, dtype=torch.float32)
    quantize_weights_nbits(model, 8)
    frames_t = torch.tensor(frames.astype(np.float32)).permute(1, 0, 2, 3, 4)  # [T, N, C, H, W]
    labels_t = torch.tensor(labels, dtype=torch.int64)
    loader = [(frames_t[:, i:i + 16], labels_t[i:i + 16]) for i in range(0, labels.size, 16)]  # -b 16
    with torch.no_grad():
        enc = SNNGX_BIT_Encryption(model, loader, epsil=epsilon, n_generations=1, population_size=len(masks),
                                   mutate_chance=0.05, device=cpu, BITS_by_layer=True, layer_idx=1, qbits=8)
        accuracies, exponents = [], []
        check_accuracy, update_weight = enc.check_accuracy, enc.updateWeight

        def recording_check_accuracy():
            accuracies.append(check_accuracy())
            return accuracies[-1]

        def recording_update_weight(bits):
            # The exponent updateWeight is about to decode with (an observation, not used).
            e = torch.ceil(torch.log2(torch.max(enc.target_layer.weight.data) / 127)).item()
            exponents.append(int(e) if math.isfinite(e) else None)
            return update_weight(bits)

        enc.check_accuracy, enc.updateWeight = recording_check_accuracy, recording_update_weight
        plain_bits = enc.reduced_BIT_array
        population = np.array([np.where(m, -plain_bits, plain_bits) for m in masks])
        scores = list(enc.fitness_fn(population[:first_call])) + list(enc.fitness_fn(population[first_call:]))

    fc1.astype(np.int8).tofile(os.path.join(out, "fc1.i8"))
    fc2.astype(np.int8).tofile(os.path.join(out, "fc2.i8"))
    frames.astype("<u2").tofile(os.path.join(out, "frames.u16"))
    labels.astype("<i4").tofile(os.path.join(out, "labels.i32"))
    masks.astype(np.uint8).tofile(os.path.join(out, "masks.u8"))
    oracle = {"fc1_exponent": e1, "fc2_exponent": e2, "epsilon": epsilon, "samples": int(labels.size),
              "individuals": int(len(masks)), "weights": n_weights, "first_call": first_call,
              "flipped": [int(m.sum()) for m in masks], "accuracy": [float(a) for a in accuracies],
              "fitness": [float(f) for f in scores], "exponent": exponents}
    with open(os.path.join(out, "oracle.json"), "w") as f:
        json.dump(oracle, f)
    print("accuracy:", " ".join(f"{a:.3f}" for a in accuracies))
    print("exponent:", exponents)
    return 0


if __name__ == "__main__":
    sys.exit(main())
