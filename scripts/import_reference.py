#!/usr/bin/python3
"""Convert a PyTorch checkpoint of the SNNGX reference networks into an snngx model file.

    /usr/bin/python3 scripts/import_reference.py --arch nmnist-mlp ref.pt -o model.snn.h5

The checkpoint is what the reference code saves: a state_dict (keys fc1.weight, fc2.weight for the
NMNIST MLP; conv0.weight .. conv3.weight, fc1.weight, fc2.weight for the DVS128 Gesture CSNN),
possibly wrapped in {"state_dict": ...} / {"model": ...} / {"net": ...}, prefixed by "module."
(DataParallel), or a whole pickled module. Layouts are PyTorch's and are stored unchanged
(docs/model-format: Linear [out, in], Conv2d [out, in, kh, kw]); the LIF constants are the
reference's (decay 0.3, threshold 0.3) unless given. Biases are refused unless all zero.
The output is written to a temporary file and renamed, so it is never half-written.

Needs Debian's python3-torch, python3-h5py, python3-numpy (scripts/setup.sh with SNNGX_WITH_TORCH=1).
"""
import argparse
import os
import sys

import h5py
import numpy as np
import torch

# Layers of the reference networks, in execution order (spec: snngx-algorithm.md section 2).
ARCHS = {
    "nmnist-mlp": {
        "time_steps": 15, "input_shape": [2, 34, 34], "num_classes": 10,
        "layers": [("flatten",), ("linear", "fc1", 2312, 512), ("lif",), ("linear", "fc2", 512, 10), ("lif",)],
    },
    "dvsgesture-csnn": {
        "time_steps": 15, "input_shape": [2, 32, 32], "num_classes": 11,
        "layers": [("conv2d", "conv0", 2, 64), ("lif",), ("maxpool2d",),
                   ("conv2d", "conv1", 64, 128), ("lif",), ("maxpool2d",),
                   ("conv2d", "conv2", 128, 128), ("lif",), ("maxpool2d",),
                   ("conv2d", "conv3", 128, 256), ("lif",), ("flatten",),
                   ("linear", "fc1", 4096, 1024), ("lif",), ("linear", "fc2", 1024, 11), ("lif",)],
    },
}


def fail(msg):
    raise SystemExit(f"import_reference: error: {msg}")


def load_state_dict(path):
    try:
        obj = torch.load(path, map_location="cpu")
    except Exception as e:  # torch raises many kinds; report them as one line
        fail(f"{path}: cannot read as a PyTorch checkpoint ({e})")
    if hasattr(obj, "state_dict") and callable(obj.state_dict):
        obj = obj.state_dict()
    if isinstance(obj, dict):
        for wrapper in ("state_dict", "model_state_dict", "model", "net"):
            if wrapper in obj and isinstance(obj[wrapper], dict):
                obj = obj[wrapper]
                break
    if not isinstance(obj, dict):
        fail(f"{path}: no state_dict found (got {type(obj).__name__})")
    tensors = {}
    for key, value in obj.items():
        if not torch.is_tensor(value):
            continue
        name = key[len("module."):] if key.startswith("module.") else key
        tensors[name] = value.detach().to(torch.float32).cpu().numpy()
    return tensors


def convert(tensors, arch, decay, threshold, source):
    spec = ARCHS[arch]
    for key, value in tensors.items():
        if key.endswith(".bias") and np.any(value != 0):
            fail(f"{source}: '{key}' is a nonzero bias; the reference networks have none and snngx does not support them")
    layers = []
    for layer in spec["layers"]:
        kind = layer[0]
        if kind in ("linear", "conv2d"):
            name, fan_in, fan_out = layer[1], layer[2], layer[3]
            key = name + ".weight"
            if key not in tensors:
                fail(f"{source}: key '{key}' missing (keys present: {', '.join(sorted(tensors)) or 'none'})")
            w = np.ascontiguousarray(tensors[key], dtype=np.float32)
            expect = (fan_out, fan_in) if kind == "linear" else (fan_out, fan_in, 3, 3)
            if w.shape != expect:
                fail(f"{source}: '{key}' has shape {list(w.shape)}, expected {list(expect)}")
            if not np.all(np.isfinite(w)):
                fail(f"{source}: '{key}' contains NaN or Inf")
            layers.append((kind, w))
        else:
            layers.append((kind, None))
    return layers


def text(value):
    """Fixed-length ASCII string attribute (what the snngx HDF5 reader expects)."""
    return np.bytes_(value.encode("ascii"))


def write_model(path, arch, layers, decay, threshold):
    spec = ARCHS[arch]
    tmp = f"{path}.tmp.{os.getpid()}"
    try:
        with h5py.File(tmp, "w") as f:
            f.attrs["format"] = text("snngx-model")
            f.attrs["version"] = np.int64(1)
            f.attrs["arch"] = text(arch)
            f.attrs["time_steps"] = np.int64(spec["time_steps"])
            f.attrs["input_shape"] = np.array(spec["input_shape"], dtype=np.int64)
            f.attrs["num_classes"] = np.int64(spec["num_classes"])
            f.attrs["state"] = text("float")
            group = f.create_group("layers")
            for i, (kind, w) in enumerate(layers):
                g = group.create_group(f"{i:03d}")
                g.attrs["kind"] = text(kind)
                if kind == "linear":
                    g.attrs["in_features"] = np.int64(w.shape[1])
                    g.attrs["out_features"] = np.int64(w.shape[0])
                elif kind == "conv2d":
                    g.attrs["in_channels"] = np.int64(w.shape[1])
                    g.attrs["out_channels"] = np.int64(w.shape[0])
                    g.attrs["kernel"] = np.array([3, 3], dtype=np.int64)
                    g.attrs["stride"] = np.array([1, 1], dtype=np.int64)
                    g.attrs["padding"] = np.array([1, 1], dtype=np.int64)
                elif kind == "lif":
                    g.attrs["decay"] = np.float32(decay)
                    g.attrs["threshold"] = np.float32(threshold)
                elif kind == "maxpool2d":
                    g.attrs["kernel"] = np.array([2, 2], dtype=np.int64)
                    g.attrs["stride"] = np.array([2, 2], dtype=np.int64)
                if w is not None:
                    g.create_dataset("weight", data=w, dtype="<f4")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def main(argv=None):
    p = argparse.ArgumentParser(description="Convert a reference PyTorch checkpoint into an snngx model file (*.snn.h5)")
    p.add_argument("checkpoint", help="PyTorch checkpoint (.pt/.pth) holding the reference network's state_dict")
    p.add_argument("--arch", required=True, choices=sorted(ARCHS))
    p.add_argument("-o", "--output", required=True, help="model file to write (*.snn.h5)")
    p.add_argument("--decay", type=float, default=0.3, help="LIF decay (reference 0.3)")
    p.add_argument("--threshold", type=float, default=0.3, help="LIF threshold (reference 0.3)")
    a = p.parse_args(argv)
    tensors = load_state_dict(a.checkpoint)
    layers = convert(tensors, a.arch, a.decay, a.threshold, a.checkpoint)
    write_model(a.output, a.arch, layers, a.decay, a.threshold)
    n = sum(w.size for _, w in layers if w is not None)
    print(f"wrote {a.output} ({a.arch}, {n} weights from {a.checkpoint})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
