#!/usr/bin/env python3
"""Turns a JMH JSON result (-rf json) into the Markdown tables of docs/PERFORMANCE.md.

Each figure is the median of the measurement iterations of one fork; ratios are against baselines measured
in the same JMH run: the JDK's SplittableRandom.nextGaussian for normal samplers and the raw Philox word
rate for everything else.
"""
import json
import statistics
import sys


def median(r):
    raw = [x for fork in r["primaryMetric"]["rawData"] for x in fork]
    return statistics.median(raw)


def main(path):
    results = json.load(open(path))
    base = {}
    fill = []
    algos = []
    ortho = []
    for r in results:
        name = r["benchmark"].rsplit(".", 2)
        cls, method = name[-2], name[-1]
        p = r.get("params", {})
        if cls == "NormalAlgorithmsBenchmark":
            algos.append((method, median(r)))
            base[method] = median(r)
        elif cls == "FillBenchmark":
            fill.append((p["sampler"], p["dtype"], median(r)))
        elif cls == "OrthogonalBenchmark":
            ortho.append((p.get("n"), median(r), r["primaryMetric"]["scoreUnit"]))
    jdk = base.get("splittableRandom")
    philox = base.get("philoxOnly")
    print("| normal algorithm | M values/s | vs JDK nextGaussian |")
    print("|---|---:|---:|")
    for m, v in algos:
        print(f"| {m} | {v / 1e6:.1f} | {v / jdk:.2f} |" if jdk else f"| {m} | {v / 1e6:.1f} | |")
    print()
    print("| sampler | dtype | M values/s | vs Philox words/s | vs JDK nextGaussian |")
    print("|---|---|---:|---:|---:|")
    for s, d, v in fill:
        rp = f"{v / philox:.2f}" if philox else ""
        rj = f"{v / jdk:.2f}" if jdk else ""
        print(f"| {s} | {d} | {v / 1e6:.1f} | {rp} | {rj} |")
    if ortho:
        print()
        print("| orthogonal_ n x n | time |")
        print("|---|---:|")
        for n, v, unit in ortho:
            print(f"| {n} | {v:.1f} {unit} |")


if __name__ == "__main__":
    main(sys.argv[1])
