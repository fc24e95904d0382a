#!/usr/bin/env python3
"""Builds the Markdown tables of bench/conv/README.md from `go test -bench`
outputs of BenchmarkBookConv / BenchmarkBookPool: for each benchmark, the
best (largest) wall-clock GFLOP/s over the -count runs, its share of the
given one-core FMA peak times GOMAXPROCS, and the best cpuGFLOP/s (with
its share of one core's peak: per CPU-second).

    table.py PEAK CORES before.txt after.txt
"""
import re
import sys


def parse(path):
    rows = {}
    for line in open(path):
        if not line.startswith("Benchmark"):
            continue
        f = line.split()
        name = re.sub(r"-\d+$", "", f[0]).split("/", 1)[1]
        vals = {f[i + 1]: float(f[i]) for i in range(2, len(f) - 1, 2)}
        r = rows.setdefault(name, {})
        for k, v in vals.items():
            if k == "ns/op":
                r[k] = min(r.get(k, v), v)
            else:
                r[k] = max(r.get(k, v), v)
    return rows


def main():
    peak, cores = float(sys.argv[1]), int(sys.argv[2])
    before, after = parse(sys.argv[3]), parse(sys.argv[4])
    conv = [n for n in after if "GFLOP/s" in after[n]]
    pool = [n for n in after if "GB/s" in after[n]]
    if conv:
        print("| shape | pass | before GFLOP/s (%peak) | after GFLOP/s (%peak) | before cpuGFLOP/s (%peak) | after cpuGFLOP/s (%peak) | speed-up (cpu) |")
        print("|---|---|---:|---:|---:|---:|---:|")
        for n in conv:
            shape, p = n.rsplit("/", 1)
            b, a = before.get(n, {}), after[n]
            bg, ag = b.get("GFLOP/s", float("nan")), a["GFLOP/s"]
            bc, ac = b.get("cpuGFLOP/s", float("nan")), a.get("cpuGFLOP/s", float("nan"))
            print(f"| {shape} | {p} | {bg:.1f} ({100*bg/peak/cores:.0f}%) | {ag:.1f} ({100*ag/peak/cores:.0f}%) | "
                  f"{bc:.1f} ({100*bc/peak:.0f}%) | {ac:.1f} ({100*ac/peak:.0f}%) | {ac/bc:.2f}× |")
    if pool:
        print()
        print("| shape | pass | before ms | after ms | before GB/s | after GB/s | before cpuGB/s | after cpuGB/s | speed-up (cpu) |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
        for n in pool:
            shape, p = n.rsplit("/", 1)
            b, a = before.get(n, {}), after[n]
            nan = float("nan")
            print(f"| {shape} | {p} | {b.get('ns/op', nan)/1e6:.1f} | {a['ns/op']/1e6:.1f} | {b.get('GB/s', nan):.2f} | {a['GB/s']:.2f} | "
                  f"{b.get('cpuGB/s', nan):.2f} | {a.get('cpuGB/s', nan):.2f} | {a.get('cpuGB/s', nan)/b.get('cpuGB/s', nan):.2f}× |")


main()
