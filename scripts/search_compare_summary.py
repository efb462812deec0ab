#!/usr/bin/env python3
"""Summarises scripts/search_compare.sh's CSVs: markdown tables (mean, min-max over seeds of the
test accuracy without the key, flipped bits, search seconds) and gnuplot SVGs."""
import csv
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

out = Path(sys.argv[1])
METHODS = ["ga", "sensitivity", "hybrid"]


def load(name):
    p = out / name
    return list(csv.DictReader(p.open())) if p.exists() else []


def group(rows, key):
    g = defaultdict(list)
    for r in rows:
        g[(r["method"], int(r[key]))].append(r)
    return g


def cell(rs):
    acc = [100 * float(r["test_accuracy"]) for r in rs]
    return f"{sum(acc) / len(acc):.2f} ({min(acc):.2f}-{max(acc):.2f}, n={len(acc)})"


def table(rows, key, label):
    g = group(rows, key)
    xs = sorted({int(r[key]) for r in rows})
    lines = [f"| method | " + " | ".join(f"{label} {x}" for x in xs) + " | search s (mean) |",
             "|---|" + "---|" * (len(xs) + 1)]
    for m in METHODS:
        if not any((m, x) in g for x in xs):
            continue
        secs = [float(r["search_seconds"]) for x in xs for r in g.get((m, x), [])]
        lines.append(f"| {m} | " + " | ".join(cell(g[(m, x)]) if (m, x) in g else "" for x in xs) +
                     f" | {sum(secs) / len(secs):.2f} |")
    return "\n".join(lines)


def plot(rows, key, xlabel, name, title, logx=False):
    g = group(rows, key)
    xs = sorted({int(r[key]) for r in rows})
    dat = out / f"{name}.dat"
    with dat.open("w") as f:
        f.write("# x " + " ".join(f"{m}_mean {m}_min {m}_max" for m in METHODS) + "\n")
        for x in xs:
            vals = []
            for m in METHODS:
                acc = [100 * float(r["test_accuracy"]) for r in g.get((m, x), [])]
                vals += [sum(acc) / len(acc), min(acc), max(acc)] if acc else ["NaN"] * 3
            f.write(f"{x} " + " ".join(str(v) for v in vals) + "\n")
    chance = 100.0 / (10 if "mlp" in name else 11)
    plots = [f"'{dat}' using 1:{2 + 3 * i}:{3 + 3 * i}:{4 + 3 * i} with yerrorlines title '{m} (mean, min-max)'"
             for i, m in enumerate(METHODS)]
    plots.append(f"{1.5 * chance} with lines dashtype 2 title '1.5 x chance'")
    script = (f"set terminal svg size 720,440; set output '{out / (name + '.svg')}'; set title '{title}';"
              f"set xlabel '{xlabel}'; set ylabel 'test accuracy without the key (%)'; set key top right; set grid;"
              f"{'set logscale x;' if logx else ''} set yrange [0:100]; plot " + ", ".join(plots))
    subprocess.run(["gnuplot", "-e", script], check=True)


parts = []
for model in ["mlp", "csnn"]:
    b, s = load(f"{model}-budget.csv"), load(f"{model}-subset.csv")
    if b:
        parts.append(f"### {model}: accuracy without the key vs flipped-bit budget (1 random sample per class, seeds 1-5; n = runs finished)\n\n"
                     + table(b, "budget", "budget"))
        plot(b, "budget", "flipped sign bits (budget)", f"{model}-budget", f"{model}: accuracy without the key vs budget", True)
    if s:
        parts.append(f"### {model}: accuracy without the key vs subset size (budget {s[0]['budget']}, seeds 1-3; n = runs finished)\n\n"
                     + table(s, "per_class", "K ="))
        plot(s, "per_class", "fitness subset: samples per class", f"{model}-subset", f"{model}: subset size", True)
(out / "summary.md").write_text("\n\n".join(parts) + "\n")
print((out / "summary.md").read_text())
