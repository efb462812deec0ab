#!/usr/bin/env python3
"""Helpers of rtl/synth/flow.sh (python3 standard library only).

  flow_report.py libinfo LIB COPY        writes the working copy COPY of the Liberty file LIB (.lib or
                                         .lib.gz; yosys 0.23 reads no .gz) with the cells the flow must
                                         not use marked dont_use, and prints shell assignments describing
                                         it (name, tie/buffer cells of the clean-up, reference load)
  flow_report.py sta-script CONFIG.json  the OpenSTA script (constraints from the netlist's ports)
  flow_report.py collect CONFIG.json     report.json and report.md from the yosys and sta outputs;
                                         exits 1 naming the figure that is missing or implausible

CONFIG.json is written by flow.sh (paths, parameters, I/O delay fractions, versions, times).
"""
import gzip
import json
import math
import pathlib
import re
import shlex
import sys
import time

# Cells of the OpenSTA-compatibility clean-up (docs: /work/shared/tech/README.md), by library.
KNOWN_CELLS = [
    # (tie-high cell, pin, tie-low cell, pin, buffer cell, input pin, output pin)
    ("LOGIC1_X1", "Z", "LOGIC0_X1", "Z", "BUF_X1", "A", "Z"),  # Nangate 45 nm Open Cell Library
    ("sky130_fd_sc_hd__conb_1", "HI", "sky130_fd_sc_hd__conb_1", "LO", "sky130_fd_sc_hd__buf_1", "A", "X"),
]
REFERENCE_LOAD_FANOUT = 4  # output load = 4 buffer inputs (library units)
# Cells that ABC must not pick although the library offers them: sky130_fd_sc_hd's lpflow_* cells
# are for multiple power domains (keep-alive rail, isolation, level shifters) and its probe* cells
# insert probe points with metal on every layer; the usual sky130hd flows mark both dont_use.
DONT_USE = re.compile(r"^sky130_fd_sc_hd__(lpflow_|probe)")


def fail(msg: str) -> None:
    print(f"flow: {msg}", file=sys.stderr)
    sys.exit(1)


def read_text(path: pathlib.Path) -> str:
    if path.suffix == ".gz":
        with gzip.open(path, "rt", errors="replace") as f:
            return f.read()
    return path.read_text(errors="replace")


def _unquote(s: str) -> str:
    return s.strip().strip('"').strip()


def parse_liberty(path: pathlib.Path) -> dict:
    """Library name, units, default wire load and per cell: area, sequential, pin capacitances."""
    text = read_text(path)
    lib = re.search(r"^\s*library\s*\(\s*\"?([^\")]+?)\"?\s*\)\s*\{", text, re.M)
    if not lib:
        raise ValueError(f"{path}: no 'library (...) {{' header: not a Liberty file")
    info = {"name": lib.group(1), "cells": {}}
    m = re.search(r"\btime_unit\s*:\s*\"?([^\";]+)\"?\s*;", text)
    info["time_unit"] = m.group(1).strip() if m else None
    m = re.search(r"\bcapacitive_load_unit\s*\(\s*([0-9.eE+-]+)\s*,\s*\"?(\w+)\"?\s*\)", text)
    info["cap_unit"] = f"{float(m.group(1)):g}{m.group(2).lower()}" if m else None
    m = re.search(r"\bdefault_wire_load\s*:\s*\"?([^\";]+)\"?\s*;", text)
    info["default_wire_load"] = m.group(1).strip() if m else None
    starts = [(mm.start(), _unquote(mm.group(1)))
              for mm in re.finditer(r"^\s*cell\s*\(\s*([^)]+?)\s*\)\s*\{", text, re.M)]
    for i, (pos, name) in enumerate(starts):
        body = text[pos:starts[i + 1][0] if i + 1 < len(starts) else len(text)]
        area = re.search(r"\barea\s*:\s*([0-9.eE+-]+)\s*;", body)
        pins = {}
        for pm in re.finditer(r"\bpin\s*\(\s*\"?(\w+)\"?\s*\)\s*\{(.*?)(?=\bpin\s*\(|\Z)", body, re.S):
            cap = re.search(r"^\s*capacitance\s*:\s*([0-9.eE+-]+)\s*;", pm.group(2), re.M)
            if cap:
                pins[pm.group(1)] = float(cap.group(1))
        info["cells"][name] = {
            "area": float(area.group(1)) if area else None,
            "sequential": bool(re.search(r"^\s*(ff|latch|ff_bank|latch_bank|statetable)\s*\(", body, re.M)),
            "dont_use": bool(re.search(r"\bdont_use\s*:\s*true", body)),
            "pin_cap": pins,
        }
    if not info["cells"]:
        raise ValueError(f"{path}: no cells")
    return info


def mark_dont_use(text: str):
    """The Liberty text with `dont_use : true;` added to the cells matching DONT_USE."""
    marked = []

    def add(m):
        name = _unquote(m.group(1))
        if not DONT_USE.search(name):
            return m.group(0)
        marked.append(name)
        return m.group(0) + "\n    dont_use : true ;  /* rtl/synth/flow.sh */"
    return re.sub(r"^\s*cell\s*\(\s*([^)]+?)\s*\)\s*\{", add, text, flags=re.M), marked


def cmd_libinfo(lib_path: str, copy_path: str) -> None:
    try:
        text, marked = mark_dont_use(read_text(pathlib.Path(lib_path)))
        if not re.search(r"^\s*library\s*\(", text, re.M):
            raise ValueError("no 'library (...)' header: not a Liberty file")
        pathlib.Path(copy_path).write_text(text)
        info = parse_liberty(pathlib.Path(copy_path))
    except (OSError, ValueError, EOFError, UnicodeDecodeError, gzip.BadGzipFile) as e:
        fail(f"cannot read the Liberty file {lib_path}: {e}")
    cells = info["cells"]
    for hi, hip, lo, lop, buf, bi, bo in KNOWN_CELLS:
        if hi in cells and lo in cells and buf in cells:
            break
    else:
        fail(f"{lib_path}: library {info['name']} has neither the Nangate 45 nor the sky130_fd_sc_hd tie/buffer "
             f"cells ({', '.join(c[4] for c in KNOWN_CELLS)}): no clean-up cells for it")
    if info["time_unit"] != "1ns":
        fail(f"{lib_path}: time_unit {info['time_unit']!r}: the flow expects 1ns")
    buf_cap = cells[buf]["pin_cap"].get(bi)
    if not buf_cap or buf_cap <= 0:
        fail(f"{lib_path}: no input capacitance of {buf}/{bi}")
    out = {
        "LIB_NAME": info["name"], "LIB_CAP_UNIT": info["cap_unit"] or "", "LIB_WIRE_LOAD": info["default_wire_load"] or "",
        "TIE_HI": hi, "TIE_HI_PIN": hip, "TIE_LO": lo, "TIE_LO_PIN": lop, "BUF": buf, "BUF_IN": bi, "BUF_OUT": bo,
        "OUT_LOAD": f"{REFERENCE_LOAD_FANOUT * buf_cap:.6g}", "DONT_USE_MARKED": str(len(marked)),
        "DONT_USE_PATTERN": DONT_USE.pattern if marked else "",
    }
    for k, v in out.items():
        print(f"{k}={shlex.quote(v)}")


def netlist_ports(netlist: pathlib.Path, top: str):
    """(name, direction) of the top module's ports (scalar after splitnets -ports)."""
    text = netlist.read_text()
    m = re.search(r"^module\s+(\S+)\s*\(", text, re.M)
    if not m:
        fail(f"{netlist}: no module")
    if m.group(1) != top:
        fail(f"{netlist}: module {m.group(1)}, expected {top}")
    end = text.find("endmodule", m.end())
    ports = []
    for pm in re.finditer(r"^\s*(input|output|inout)\s+(\[[^\]]*\]\s*)?(\S+?)\s*;", text[m.end():end], re.M):
        if pm.group(2):
            fail(f"{netlist}: port {pm.group(3)} is a bus {pm.group(2).strip()} (splitnets -ports did not run)")
        ports.append((pm.group(3), pm.group(1)))
    return ports


def cmd_sta_script(cfg_path: str) -> None:
    cfg = json.loads(pathlib.Path(cfg_path).read_text())
    ports = netlist_ports(pathlib.Path(cfg["netlist"]), cfg["top"])
    clk = cfg["clock_port"]
    names = [p for p, _ in ports]
    if clk not in names:
        fail(f"{cfg['netlist']}: no clock port '{clk}'")
    sram = re.compile(cfg["sram_port_regex"])
    groups = {"sram_in": [], "sram_out": [], "in": [], "out": []}
    for p, d in ports:
        if p == clk:
            continue
        if d == "inout":
            fail(f"{cfg['netlist']}: inout port {p}: not supported")
        key = ("sram_" if sram.search(p) else "") + ("in" if d == "input" else "out")
        groups[key].append(p)
    if not groups["sram_in"] or not groups["sram_out"]:
        fail(f"no SRAM {'inputs' if not groups['sram_in'] else 'outputs'} among the ports of {cfg['top']} "
             f"(regex {cfg['sram_port_regex']!r}): the I/O delays would be wrong")
    period = cfg["period_ns"]
    d = cfg["io_delay_fraction"]

    def ports_list(ps):
        return "[get_ports {" + " ".join(ps) + "}]"

    lines = [
        "# Generated by rtl/synth/flow.sh: static timing of the mapped engine (OpenSTA).",
        f"read_liberty {cfg['liberty_read']}",
        f"read_verilog {cfg['netlist']}",
        f"link_design {cfg['top']}",
        "# Ideal clock (no clock tree), wire loads: the library default.",
        f"create_clock -name clk -period {period:.6g} [get_ports {clk}]",
        f"# Key-SRAM read data arrive a macro clock-to-output delay after the edge: "
        f"{d['sram_in']:.0%} of the period.",
        f"set_input_delay {d['sram_in'] * period:.6g} -clock clk {ports_list(groups['sram_in'])}",
        f"# SRAM address / enable / write outputs must arrive a macro setup time before the edge: "
        f"{d['sram_out']:.0%} of the period.",
        f"set_output_delay {d['sram_out'] * period:.6g} -clock clk {ports_list(groups['sram_out'])}",
    ]
    if groups["in"]:
        lines += [f"# Other inputs come from flip-flops of the chip (clock-to-Q and wiring): {d['in']:.0%} of the period.",
                  f"set_input_delay {d['in'] * period:.6g} -clock clk {ports_list(groups['in'])}"]
    if groups["out"]:
        lines += [f"# Other outputs go to flip-flops of the chip (setup and wiring): {d['out']:.0%} of the period.",
                  f"set_output_delay {d['out'] * period:.6g} -clock clk {ports_list(groups['out'])}"]
    inputs = groups["sram_in"] + groups["in"]
    lines += [
        f"# Inputs driven by a {cfg['buffer_cell']}, outputs loaded with {REFERENCE_LOAD_FANOUT} of its inputs.",
        f"set_driving_cell -lib_cell {cfg['buffer_cell']} -pin {cfg['buffer_out']} {ports_list(inputs)}",
        f"set_load {cfg['out_load']} [all_outputs]",
        "puts \"== report_checks (setup)\"",
        "report_checks -path_delay max -digits 4 -fields {fanout cap slew}",
        "puts \"== report_checks (hold)\"",
        "report_checks -path_delay min -digits 4",
        "report_wns -digits 4",
        "report_tns -digits 4",
        "puts \"FLOW worst_slack_max [sta::worst_slack -max]\"",
        "puts \"FLOW worst_slack_min [sta::worst_slack -min]\"",
        "puts \"FLOW tns_max [sta::total_negative_slack -max]\"",
        "puts \"FLOW clock_period [get_property [get_clocks clk] period]\"",
        f"puts \"FLOW port_counts sram_in {len(groups['sram_in'])} sram_out {len(groups['sram_out'])} "
        f"in {len(groups['in'])} out {len(groups['out'])}\"",
    ]
    pathlib.Path(cfg["sta_script"]).write_text("\n".join(lines) + "\n")
    print(f"sram_in {len(groups['sram_in'])} sram_out {len(groups['sram_out'])} in {len(groups['in'])} "
          f"out {len(groups['out'])}")


def parse_stat(text: str):
    cells = re.search(r"Number of cells:\s+(\d+)", text)
    area = re.search(r"Chip area for (?:module|top module) '\\?[^']*':\s+([0-9.]+)", text)
    kinds = {k: int(v) for k, v in re.findall(r"^\s+(\S+)\s+(\d+)\s*$", text, re.M)}
    return (int(cells.group(1)) if cells else None, float(area.group(1)) if area else None, kinds)


def parse_path(text: str):
    """The first full path of the setup report_checks."""
    sec = text.split("== report_checks (setup)", 1)[-1].split("== report_checks (hold)", 1)[0]
    sp = re.search(r"^Startpoint:\s+(\S+)\s*\((.*)\)", sec, re.M)
    ep = re.search(r"^Endpoint:\s+(\S+)\s*\((.*)\)", sec, re.M)
    arr = re.search(r"^\s*(-?[0-9.]+)\s+data arrival time", sec, re.M)
    req = re.search(r"^\s*(-?[0-9.]+)\s+data required time", sec, re.M)
    slack = re.search(r"^\s*(-?[0-9.]+)\s+slack \((MET|VIOLATED)\)", sec, re.M)
    if not (sp and ep and arr and req and slack):
        return None
    ext = re.search(r"^\s.*?(-?[0-9.]+)\s+(-?[0-9.]+)\s+[v^]\s+input external delay", sec, re.M)
    cells = re.findall(r"^\s.*\s[v^]\s+\S+\s+\((\S+)\)\s*$", sec, re.M)
    cells = [c for c in cells if c not in ("in", "out")]
    start_time = float(ext.group(2)) if ext else 0.0
    return {
        "startpoint": sp.group(1), "startpoint_kind": sp.group(2).strip(),
        "endpoint": ep.group(1), "endpoint_kind": ep.group(2).strip(),
        "arrival_ns": float(arr.group(1)), "required_ns": float(req.group(1)), "slack_ns": float(slack.group(1)),
        "input_external_delay_ns": float(ext.group(1)) if ext else 0.0,
        "delay_ns": round(float(arr.group(1)) - start_time, 4),
        "cells_on_path": len(cells),
        "status": slack.group(2),
    }


def flow_value(text: str, key: str):
    m = re.search(rf"^FLOW {key} (\S+)", text, re.M)
    if not m:
        return None
    try:
        v = float(m.group(1))
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def cmd_collect(cfg_path: str) -> None:
    cfg = json.loads(pathlib.Path(cfg_path).read_text())
    out = pathlib.Path(cfg["out"])
    problems = []

    def need(cond, what):
        if not cond:
            problems.append(what)
        return cond

    lib = parse_liberty(pathlib.Path(cfg["liberty_read"]))
    cells, area, kinds = parse_stat((out / "stat.txt").read_text())
    need(cells is not None and cells > 0, "cell count (stat)")
    need(area is not None and area > 0, "area > 0 (stat -liberty)")
    unmapped = sorted(k for k in kinds if k.startswith("$"))
    need(not unmapped, f"only library cells (unmapped: {', '.join(unmapped)})")
    unknown = sorted(k for k in kinds if not k.startswith("$") and k not in lib["cells"])
    need(not unknown, f"cells of {lib['name']} only (unknown: {', '.join(unknown)})")
    # Tie cells (LOGIC0_X1, LOGIC1_X1 are dont_use in Nangate 45) and the buffer are placed on
    # purpose by hilomap / insbuf; every other cell comes from ABC / dfflibmap and must be usable.
    placed = {cfg["tie_hi"], cfg["tie_lo"], cfg["buffer_cell"]}
    banned = sorted(k for k in kinds if lib["cells"].get(k, {}).get("dont_use") and k not in placed)
    need(not banned, f"no dont_use cells (used: {', '.join(banned)})")
    flops = sum(n for k, n in kinds.items() if lib["cells"].get(k, {}).get("sequential"))
    need(flops > 0, "flip-flops > 0")
    lib_area = sum(n * (lib["cells"].get(k, {}).get("area") or 0.0) for k, n in kinds.items())
    if area:
        need(abs(lib_area - area) <= 1e-3 * area + 0.01,
             f"area from the Liberty cell areas ({lib_area:.3f}) = yosys stat ({area:.3f})")
    seq_area = sum(n * (lib["cells"][k]["area"] or 0.0) for k, n in kinds.items()
                   if lib["cells"].get(k, {}).get("sequential"))

    sta = (out / "sta.log").read_text()
    ws = flow_value(sta, "worst_slack_max")
    ws_min = flow_value(sta, "worst_slack_min")
    tns = flow_value(sta, "tns_max")
    period = flow_value(sta, "clock_period")
    path = parse_path(sta)
    pc = re.search(r"^FLOW port_counts sram_in (\d+) sram_out (\d+) in (\d+) out (\d+)", sta, re.M)
    port_counts = dict(zip(("sram_in", "sram_out", "in", "out"), map(int, pc.groups()))) if pc else None
    need(port_counts is not None, "I/O port counts (sta)")
    need(ws is not None, "worst setup slack (sta)")
    need(tns is not None, "TNS (sta)")
    need(path is not None, "critical path (sta report_checks)")
    need(period is not None and abs(period - cfg["period_ns"]) <= 1e-6 * max(1.0, cfg["period_ns"]),
         f"clock period in sta ({period}) = requested ({cfg['period_ns']})")
    if ws is not None and path is not None:
        need(abs(ws - path["slack_ns"]) <= 2e-4, f"worst slack ({ws}) = slack of the reported path ({path['slack_ns']})")

    sha = {}
    for line in (out / "sources.sha256").read_text().splitlines():
        digest, _, name = line.partition("  ")
        sha[name] = digest
    seconds = dict(cfg["seconds"])
    seconds["total"] = round(time.time() - cfg["start_epoch"], 1)
    rows, cols, lanes, corr_w = cfg["rows"], cfg["cols"], cfg["lanes"], cfg["corr_w"]
    d = cfg["io_delay_fraction"]
    report = {
        "top": cfg["top"],
        "parameters": {"rows": rows, "cols": cols, "lanes": lanes, "corr_w": corr_w},
        "liberty": {"path": cfg["liberty"], "library": lib["name"], "time_unit": lib["time_unit"],
                    "cap_unit": lib["cap_unit"], "wire_load": lib["default_wire_load"],
                    "working_copy": cfg["liberty_read"],
                    "marked_dont_use": {"cells": cfg["dont_use_marked"], "pattern": cfg["dont_use_pattern"]}},
        "period_ns": cfg["period_ns"],
        "clock_mhz": round(1000.0 / cfg["period_ns"], 3),
        "timing_met": ws is not None and ws >= 0,
        "worst_slack_ns": None if ws is None else round(ws, 4),
        "wns_ns": None if ws is None else round(min(ws, 0.0), 4),
        "tns_ns": None if tns is None else round(min(tns, 0.0), 4),
        "worst_hold_slack_ns": None if ws_min is None else round(ws_min, 4),
        "critical_path": path,
        "area_um2": None if area is None else round(area, 4),
        "sequential_area_um2": round(seq_area, 4),
        "cells": cells,
        "flip_flops": flops,
        "cell_types": dict(sorted(kinds.items())),
        "netlist": str(pathlib.Path(cfg["netlist"]).resolve()),
        "sram": {"bits": rows * cols * corr_w, "banks": lanes, "words_per_bank": -(-rows // lanes),
                 "width_bits": cols * corr_w,
                 "note": "outside the engine (module ports); not in area_um2"},
        "io_delays": {
            "sram_read_data_input_delay_ns": round(d["sram_in"] * cfg["period_ns"], 6),
            "sram_address_write_output_delay_ns": round(d["sram_out"] * cfg["period_ns"], 6),
            "other_input_delay_ns": round(d["in"] * cfg["period_ns"], 6),
            "other_output_delay_ns": round(d["out"] * cfg["period_ns"], 6),
            "fractions_of_period": d,
            "sram_port_regex": cfg["sram_port_regex"],
            "port_counts": port_counts,
            "input_driver": cfg["buffer_cell"],
            "output_load": f"{cfg['out_load']} {lib['cap_unit'] or ''} (4 inputs of {cfg['buffer_cell']})".strip(),
            "assumption": ("SRAM read data arrive a macro clock-to-output delay after the edge "
                           f"({d['sram_in']:.0%} of the period); SRAM address/enable/write outputs must arrive a macro "
                           f"setup time before the edge ({d['sram_out']:.0%}); other inputs come from flip-flops of "
                           f"the chip ({d['in']:.0%}), other outputs go to flip-flops ({d['out']:.0%}); ideal clock, "
                           "library-default wire loads"),
        },
        "abc_delay_target_ps": cfg["abc_delay_ps"],
        "abc_script": cfg.get("abc_script", ""),
        "tools": {"yosys": cfg["yosys_version"], "sta": cfg["sta_version"]},
        "seconds": seconds,
        "sources": [{"path": f, "sha256": sha.get(f)} for f in cfg["sources"]],
    }
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")

    def f(v, fmt):
        return "n/a" if v is None else format(v, fmt)

    p = path or {}
    md = [
        f"# Synthesis and timing: {cfg['top']} (ROWS {rows}, COLS {cols}, LANES {lanes})",
        "",
        "| figure | value |",
        "|---|---|",
        f"| library | {lib['name']} (`{cfg['liberty']}`) |",
        f"| clock | {cfg['period_ns']:g} ns ({report['clock_mhz']:g} MHz) |",
        f"| worst setup slack | {f(ws, '.4f')} ns ({'met' if report['timing_met'] else 'VIOLATED'}) |",
        f"| WNS / TNS | {f(report['wns_ns'], '.4f')} / {f(report['tns_ns'], '.4f')} ns |",
        f"| critical path | {p.get('startpoint', 'n/a')} -> {p.get('endpoint', 'n/a')}: "
        f"{f(p.get('delay_ns'), '.4f')} ns, {p.get('cells_on_path', 'n/a')} cells |",
        f"| area (standard cells) | {f(area, '.1f')} um^2 (flip-flops {seq_area:.1f} um^2) |",
        f"| cells / flip-flops | {cells} / {flops} |",
        f"| key SRAM (outside) | {report['sram']['bits']} bits: {lanes} banks x {report['sram']['words_per_bank']} words x "
        f"{report['sram']['width_bits']} bits |",
        f"| I/O delays | {report['io_delays']['assumption']} |",
        f"| tools | {cfg['yosys_version']}; OpenSTA {cfg['sta_version']} |",
        f"| run time | {seconds['total']} s (yosys {seconds.get('yosys', 'n/a')} s, sta {seconds.get('sta', 'n/a')} s) |",
        "",
        f"Netlist: `{report['netlist']}`.",
        "",
    ]
    (out / "report.md").write_text("\n".join(md))
    if problems:
        for pr in problems:
            print(f"flow: missing or implausible: {pr}", file=sys.stderr)
        sys.exit(1)


def main(argv):
    cmds = {"libinfo": (cmd_libinfo, 2), "sta-script": (cmd_sta_script, 1), "collect": (cmd_collect, 1)}
    if len(argv) < 2 or argv[1] not in cmds or len(argv) != 2 + cmds[argv[1]][1]:
        print(__doc__, file=sys.stderr)
        return 2
    cmds[argv[1]][0](*argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
