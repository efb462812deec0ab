#!/usr/bin/env python3
"""Checks a report.json of rtl/synth/flow.sh (python3 standard library only).

  check_report.py DIR/report.json --period-ns 1.0 [--rows N --cols N --lanes N] [--top MODULE]

Fails (exit 1, one line per problem) unless: every field is present; timing is met (wns_ns >= 0,
tns_ns = 0, the critical path's slack >= 0); area_um2 > 0, flip_flops > 0; the period is the
requested one; the parameters (if given) and the SRAM figures match; and the netlist exists and
instantiates only cells of the report's Liberty library, as many cells and flip-flops as reported.
"""
import argparse
import json
import math
import pathlib
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from flow_report import parse_liberty  # noqa: E402

REQUIRED = {
    "top": str, "parameters": dict, "liberty": dict, "period_ns": float, "clock_mhz": float, "wns_ns": float,
    "tns_ns": float, "critical_path": dict, "area_um2": float, "cells": int, "flip_flops": int, "netlist": str,
    "sram": dict, "tools": dict, "seconds": dict, "io_delays": dict,
}
REQUIRED_SUB = {
    "parameters": ("rows", "cols", "lanes"), "liberty": ("path", "library"),
    "critical_path": ("startpoint", "endpoint", "delay_ns", "slack_ns"),
    "sram": ("bits", "banks", "words_per_bank", "width_bits"), "tools": ("yosys", "sta"), "seconds": ("total",),
    "io_delays": ("sram_read_data_input_delay_ns", "sram_address_write_output_delay_ns", "other_input_delay_ns",
                  "other_output_delay_ns", "assumption"),
}
CORR_W = 9  # bits per correction word entry (rram::DecryptionParams::corr_bits)


def netlist_cells(path: pathlib.Path, top: str):
    """Instance counts per cell type in the module `top` of a yosys write_verilog netlist."""
    text = path.read_text()
    m = re.search(rf"^module\s+{re.escape(top)}\s*\(", text, re.M)
    if not m:
        return None
    body = text[m.end():text.find("endmodule", m.end())]
    kinds = {}
    for im in re.finditer(r"^\s+([A-Za-z_][\w$]*)\s+(\\\S+|[A-Za-z_][\w$]*)\s*\(", body, re.M):
        if im.group(1) in ("input", "output", "inout", "wire", "reg", "assign", "module"):
            continue
        kinds[im.group(1)] = kinds.get(im.group(1), 0) + 1
    return kinds


def check(report: dict, args) -> list:
    problems = []

    def need(cond, what):
        if not cond:
            problems.append(what)
        return bool(cond)

    for key, typ in REQUIRED.items():
        v = report.get(key)
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) if typ is float \
            else isinstance(v, typ) and not isinstance(v, bool)
        need(ok, f"field {key} missing or not a {typ.__name__} (got {v!r})")
    for key, subs in REQUIRED_SUB.items():
        if isinstance(report.get(key), dict):
            for s in subs:
                need(report[key].get(s) is not None, f"field {key}.{s} missing")
    if problems:
        return problems

    wns, tns, path = report["wns_ns"], report["tns_ns"], report["critical_path"]
    need(wns >= 0, f"timing not met: wns_ns {wns} < 0")
    need(tns == 0, f"timing not met: tns_ns {tns} != 0")
    need(isinstance(path["slack_ns"], (int, float)) and path["slack_ns"] >= 0,
         f"critical path slack {path['slack_ns']} < 0")
    need(isinstance(path["delay_ns"], (int, float)) and 0 < path["delay_ns"] <= report["period_ns"],
         f"critical path delay {path['delay_ns']} not in (0, period]")
    need(report["area_um2"] > 0, f"area_um2 {report['area_um2']} <= 0")
    need(report["flip_flops"] > 0, f"flip_flops {report['flip_flops']} <= 0")
    need(report["cells"] > report["flip_flops"], f"cells {report['cells']} <= flip_flops {report['flip_flops']}")
    need(abs(report["period_ns"] - args.period_ns) <= 1e-9 * max(1.0, args.period_ns),
         f"period_ns {report['period_ns']} != requested {args.period_ns}")
    need(abs(report["clock_mhz"] - 1000.0 / args.period_ns) <= 1e-3 * report["clock_mhz"],
         f"clock_mhz {report['clock_mhz']} != 1000 / {args.period_ns}")
    if args.top:
        need(report["top"] == args.top, f"top {report['top']} != {args.top}")
    params = report["parameters"]
    for name in ("rows", "cols", "lanes"):
        want = getattr(args, name)
        if want is not None:
            need(params.get(name) == want, f"parameters.{name} {params.get(name)} != {want}")
    rows, cols, lanes = params["rows"], params["cols"], params["lanes"]
    sram = report["sram"]
    if all(isinstance(x, int) and x > 0 for x in (rows, cols, lanes)):
        expect = {"bits": rows * cols * CORR_W, "banks": lanes, "words_per_bank": -(-rows // lanes),
                  "width_bits": cols * CORR_W}
        for k, v in expect.items():
            need(sram.get(k) == v, f"sram.{k} {sram.get(k)} != {v}")
    else:
        need(False, f"parameters not positive integers: {params}")

    netlist = pathlib.Path(report["netlist"])
    if not need(netlist.is_absolute() and netlist.is_file(), f"netlist {netlist} missing (or not an absolute path)"):
        return problems
    kinds = netlist_cells(netlist, report["top"])
    if not need(kinds, f"netlist {netlist}: no module {report['top']} with cell instances"):
        return problems
    lib_path = pathlib.Path(report["liberty"]["path"])
    if not need(lib_path.is_file(), f"liberty {lib_path} missing"):
        return problems
    lib = parse_liberty(lib_path)
    need(lib["name"] == report["liberty"]["library"],
         f"liberty {lib_path} is library {lib['name']}, report says {report['liberty']['library']}")
    unknown = sorted(k for k in kinds if k not in lib["cells"])
    need(not unknown, f"netlist cells not in {lib['name']}: {', '.join(unknown[:10])}")
    n = sum(kinds.values())
    need(n == report["cells"], f"netlist has {n} cell instances, report says {report['cells']}")
    seq = sum(v for k, v in kinds.items() if lib["cells"].get(k, {}).get("sequential"))
    need(seq == report["flip_flops"], f"netlist has {seq} sequential cells, report says {report['flip_flops']}")
    area = sum(v * (lib["cells"].get(k, {}).get("area") or 0.0) for k, v in kinds.items())
    need(abs(area - report["area_um2"]) <= 1e-3 * report["area_um2"] + 0.01,
         f"netlist area from the Liberty {area:.3f} != area_um2 {report['area_um2']}")
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("report", type=pathlib.Path)
    ap.add_argument("--period-ns", type=float, required=True)
    ap.add_argument("--rows", type=int)
    ap.add_argument("--cols", type=int)
    ap.add_argument("--lanes", type=int)
    ap.add_argument("--top")
    args = ap.parse_args()
    try:
        report = json.loads(args.report.read_text())
    except (OSError, ValueError) as e:
        print(f"check_report: cannot read {args.report}: {e}", file=sys.stderr)
        return 1
    if not isinstance(report, dict):
        print(f"check_report: {args.report}: not a JSON object", file=sys.stderr)
        return 1
    problems = check(report, args)
    for p in problems:
        print(f"check_report: {args.report}: {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"check_report: {args.report}: ok ({report['top']} ROWS {report['parameters']['rows']} COLS "
          f"{report['parameters']['cols']} LANES {report['parameters']['lanes']}, {report['liberty']['library']}, "
          f"{report['period_ns']:g} ns, slack {report['critical_path']['slack_ns']:+.4f} ns, "
          f"{report['area_um2']:.1f} um^2, {report['cells']} cells, {report['flip_flops']} flip-flops)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
