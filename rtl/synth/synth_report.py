#!/usr/bin/python3
"""Collects the yosys outputs of run_synth.sh into report.json and report.md.

Area model (Nangate 45 nm Open Cell Library, FreePDK45, X1 cells): combinational logic from
yosys' CMOS transistor estimate (stat -tech cmos, which leaves flip-flops out) as NAND2 gate
equivalents GE = transistors / 4, each NAND2_X1 = 0.798 um^2; flip-flops as DFF_X1 = 4.522 um^2
plus MUX2_X1 = 1.862 um^2 for an enable and AND2_X1 = 1.064 um^2 for a synchronous reset.
The unit's cost is the slice with the unit minus the same adder-tree stage without it.
"""
import json
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


def main():
    out = pathlib.Path(sys.argv[1])
    times = dict(line.split() for line in (out / "times.txt").read_text().splitlines() if line.strip())
    runs = {name: parse(out, name) for name in times}
    for name, r in runs.items():
        r["yosys_seconds"] = int(times[name])
    base = runs["baseline"]

    def unit(r):  # cost of the unit alone: slice minus the stage without the unit
        return {k: r[k] - base[k] for k in ("cells", "flip_flops", "transistors_combinational", "gate_equivalents", "area_um2")}

    def series(w):  # the unit with CORR_W = w at KEY_DEPTH 256, per entry and fixed part
        u16, u32 = unit(runs[f"kd16_c{w}"]), unit(runs[f"kd32_c{w}"])
        per_entry = {k: (u32[k] - u16[k]) / 16.0 for k in u16}
        fixed = {k: u16[k] - 16 * per_entry[k] for k in u16}
        d16, d32 = runs[f"kd16_c{w}"]["logic_depth_cells"], runs[f"kd32_c{w}"]["logic_depth_cells"]
        if f"kd256_c{w}" in runs:
            u256, how = unit(runs[f"kd256_c{w}"]), "synthesized"
            u256["logic_depth_cells"] = runs[f"kd256_c{w}"]["logic_depth_cells"]
        else:
            u256 = {k: u32[k] + per_entry[k] * (256 - 32) for k in u16}
            # The adder trees gain one level per doubling of KEY_DEPTH: depth grows with log2.
            u256["logic_depth_cells"] = d32 + 3 * (d32 - d16)
            how = "extrapolated from KEY_DEPTH 16 and 32 (size linear, depth logarithmic in KEY_DEPTH)"
        return {"per_key_entry": per_entry, "fixed": fixed, "key_depth_256": dict(u256, method=how),
                "area_mm2_per_key_entry": per_entry["area_um2"] * 1e-6, "area_mm2_fixed": fixed["area_um2"] * 1e-6}

    s32, s9 = series(32), series(9)
    report = {
        "tool": "yosys 0.23 generic synthesis (synth -flatten), stat -tech cmos, ltp -noff",
        "config": {"ROWS": 128, "LANES": 16, "PSUM_W": 32, "LAT": 2, "FIFO_DEPTH": 2},
        "area_model": NAND2_SOURCE,
        "runs": runs,
        "unit_corr_w_32": s32,
        "unit_corr_w_9": s9,
        # The verilated configuration (KEY_DEPTH 256, CORR_W 32) for the accelerator config.
        "decryption_unit_area_mm2": s32["key_depth_256"]["area_um2"] * 1e-6,
    }
    lines = ["# Decryption slice synthesis (yosys generic cells)", "",
             "| configuration | cells | flip-flops | comb. transistors | NAND2 GE | area um^2 | logic depth (cells) | yosys s |",
             "|---|---|---|---|---|---|---|---|"]
    for name, r in runs.items():
        lines.append(f"| {name} | {r['cells']} | {r['flip_flops']} | {r['transistors_combinational']} | {r['gate_equivalents']:.0f} | "
                     f"{r['area_um2']:.0f} | {r['logic_depth_cells']} | {r['yosys_seconds']} |")
    lines.append("")
    for w, s in ((32, s32), (9, s9)):
        u = s["key_depth_256"]
        lines.append(f"Unit with CORR_W={w}: {s['per_key_entry']['cells']:.0f} cells / {s['area_mm2_per_key_entry'] * 1e3:.3f} "
                     f"x 10^-3 mm^2 per key entry; at KEY_DEPTH=256 ({u['method']}): {u['cells']:.0f} cells, "
                     f"{u['gate_equivalents']:.0f} GE, {u['area_um2'] * 1e-6:.3f} mm^2, logic depth {u['logic_depth_cells']} cells.")
    lines += ["", f"Area model: {NAND2_SOURCE}.", ""]
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "report.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
