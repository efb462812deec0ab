#!/usr/bin/python3
"""Collects the yosys outputs of run_synth.sh into report.json and report.md.

Area model (Nangate 45 nm Open Cell Library, FreePDK45, X1 cells): combinational logic from
yosys' CMOS transistor estimate (stat -tech cmos, which leaves flip-flops out) as NAND2 gate
equivalents GE = transistors / 4, each NAND2_X1 = 0.798 um^2; flip-flops as DFF_X1 = 4.522 um^2
plus MUX2_X1 = 1.862 um^2 for an enable and AND2_X1 = 1.064 um^2 for a synchronous reset.
The unit's cost is the slice with the unit minus the same adder-tree stage without it.
"""
import json
import math
import pathlib
import re
import sys

NAND2_UM2 = 0.798  # Nangate 45 nm Open Cell Library, NAND2_X1
DFF_UM2, MUX2_UM2, AND2_UM2 = 4.522, 1.862, 1.064  # DFF_X1, MUX2_X1, AND2_X1 of the same library
NAND2_SOURCE = "Nangate 45nm Open Cell Library (FreePDK45): NAND2_X1 0.798, DFF_X1 4.522, MUX2_X1 1.862, AND2_X1 1.064 um^2"


def flop_area(kind: str) -> float:
    """Area of one yosys generic flip-flop cell ($_DFF_P_, $_DFFE_PP_, $_SDFF_PP0_, $_SDFFE_PP0P_, ...)."""
    area = DFF_UM2
    if "DFFE" in kind:
        area += MUX2_UM2
    if kind.startswith("$_SDFF") or kind.startswith("$_DFFSR") or kind.startswith("$_DFF_PP") or kind.startswith("$_DFF_PN"):
        area += AND2_UM2
    return area


def parse(out: pathlib.Path, name: str):
    stat = (out / f"{name}.stat").read_text()
    cmos = (out / f"{name}.cmos").read_text()
    ltp = (out / f"{name}.ltp").read_text()
    cells = int(re.search(r"Number of cells:\s+(\d+)", stat).group(1))
    kinds = {k: int(v) for k, v in re.findall(r"^\s+(\$_\w+_)\s+(\d+)$", stat, re.M)}
    flops = sum(v for k, v in kinds.items() if "DFF" in k)
    transistors = int(re.search(r"Estimated number of transistors:\s+(\d+)", cmos).group(1))
    depth = int(re.search(r"Longest topological path in \S+ \(length=(\d+)\)", ltp).group(1))
    ff_area = sum(flop_area(k) * v for k, v in kinds.items() if "DFF" in k)
    area = transistors / 4.0 * NAND2_UM2 + ff_area
    return {"cells": cells, "flip_flops": flops, "cell_kinds": kinds, "transistors_combinational": transistors,
            "gate_equivalents": area / NAND2_UM2, "area_um2": area, "logic_depth_cells": depth}


TARGET_DEPTH = 256  # KEY_DEPTH of the verilated unit and of configs/chip.yaml


def check(cond: bool, what: str):
    if not cond:
        sys.exit(f"synth_report: implausible result: {what}")


def main():
    out = pathlib.Path(sys.argv[1])
    times = dict(line.split() for line in (out / "times.txt").read_text().splitlines() if line.strip())
    runs = {name: parse(out, name) for name in times}
    for name, r in runs.items():
        r["yosys_seconds"] = int(times[name])
    base = runs["baseline"]
    keys = ("cells", "flip_flops", "transistors_combinational", "gate_equivalents", "area_um2")

    def unit(r):  # cost of the unit alone: slice minus the stage without the unit
        return {k: r[k] - base[k] for k in keys}

    synthesized = {}  # CORR_W -> sorted synthesized KEY_DEPTHs below the target
    for name in runs:
        m = re.fullmatch(r"kd(\d+)_c(\d+)", name)
        if m and int(m.group(1)) != TARGET_DEPTH:
            synthesized.setdefault(int(m.group(2)), []).append(int(m.group(1)))

    def series(w):  # the unit with CORR_W = w: per entry, fixed part, and at the target KEY_DEPTH
        lo, hi = sorted(synthesized[w])[-2:]
        rl, rh = runs[f"kd{lo}_c{w}"], runs[f"kd{hi}_c{w}"]
        ul, uh = unit(rl), unit(rh)
        per_entry = {k: (uh[k] - ul[k]) / (hi - lo) for k in keys}
        fixed = {k: ul[k] - lo * per_entry[k] for k in keys}
        check(per_entry["cells"] > 0 and per_entry["area_um2"] > 0, f"CORR_W={w}: the unit does not grow with KEY_DEPTH")
        check(rh["logic_depth_cells"] >= rl["logic_depth_cells"] > base["logic_depth_cells"],
              f"CORR_W={w}: logic depth {rl['logic_depth_cells']}, {rh['logic_depth_cells']} (baseline {base['logic_depth_cells']})")
        full = f"kd{TARGET_DEPTH}_c{w}"
        if full in runs:
            at, how = unit(runs[full]), "synthesized"
            at["logic_depth_cells"] = runs[full]["logic_depth_cells"]
        else:
            at = {k: uh[k] + per_entry[k] * (TARGET_DEPTH - hi) for k in keys}
            # The adder trees gain one level per doubling of KEY_DEPTH: depth grows with log2.
            per_doubling = (rh["logic_depth_cells"] - rl["logic_depth_cells"]) / math.log2(hi / lo)
            at["logic_depth_cells"] = round(rh["logic_depth_cells"] + per_doubling * math.log2(TARGET_DEPTH / hi))
            how = f"extrapolated from KEY_DEPTH {lo} and {hi} (size linear, depth logarithmic in KEY_DEPTH)"
        return {"from_key_depths": [lo, hi], "per_key_entry": per_entry, "fixed": fixed,
                f"key_depth_{TARGET_DEPTH}": dict(at, method=how),
                "area_mm2_per_key_entry": per_entry["area_um2"] * 1e-6, "area_mm2_fixed": fixed["area_um2"] * 1e-6}

    report = {
        "tool": "yosys 0.23 generic synthesis (synth -flatten), stat -tech cmos, ltp -noff",
        "config": json.loads((out / "config.json").read_text()),
        "area_model": NAND2_SOURCE,
        "runs": runs,
    }
    for w in sorted(synthesized, reverse=True):
        report[f"unit_corr_w_{w}"] = series(w)
    main_w = 32 if 32 in synthesized else max(synthesized)
    # The verilated configuration (CORR_W 32) for the accelerator config.
    report["decryption_unit_area_mm2"] = report[f"unit_corr_w_{main_w}"][f"key_depth_{TARGET_DEPTH}"]["area_um2"] * 1e-6
    report["decryption_unit_area_mm2_per_key_entry"] = report[f"unit_corr_w_{main_w}"]["area_mm2_per_key_entry"]
    report["decryption_unit_area_mm2_fixed"] = report[f"unit_corr_w_{main_w}"]["area_mm2_fixed"]
    cfg = report["config"]
    lines = ["# Decryption slice synthesis (yosys generic cells)", "",
             "Slice parameters: " + ", ".join(f"{k} {v}" for k, v in cfg.items()) + "; KEY_DEPTH and CORR_W per row.", "",
             "| configuration | cells | flip-flops | comb. transistors | NAND2 GE | area um^2 | logic depth (cells) | yosys s |",
             "|---|---|---|---|---|---|---|---|"]
    for name, r in runs.items():
        lines.append(f"| {name} | {r['cells']} | {r['flip_flops']} | {r['transistors_combinational']} | {r['gate_equivalents']:.0f} | "
                     f"{r['area_um2']:.0f} | {r['logic_depth_cells']} | {r['yosys_seconds']} |")
    lines.append("")
    for w in sorted(synthesized, reverse=True):
        s = report[f"unit_corr_w_{w}"]
        u = s[f"key_depth_{TARGET_DEPTH}"]
        lines.append(f"Unit with CORR_W={w}: {s['per_key_entry']['cells']:.0f} cells / {s['area_mm2_per_key_entry'] * 1e3:.3f} "
                     f"x 10^-3 mm^2 per key entry, fixed part {s['area_mm2_fixed'] * 1e3:.3f} x 10^-3 mm^2; at "
                     f"KEY_DEPTH={TARGET_DEPTH} ({u['method']}): {u['cells']:.0f} cells, {u['gate_equivalents']:.0f} GE, "
                     f"{u['area_um2'] * 1e-6:.3f} mm^2, logic depth {u['logic_depth_cells']} cells.")
        lines.append("")
    lines += [f"Area model: {NAND2_SOURCE}.", ""]
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "report.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
