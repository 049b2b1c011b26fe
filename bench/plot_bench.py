#!/usr/bin/python3
# SPDX-License-Identifier: MIT
#
# plot_bench.py - the picture of a vkm_bench JSON file (vkm_bench --json FILE): one panel
# per workload with ops/s against threads for the default and the single-mutex build, one
# panel with the ratio default / single-mutex of every workload, and one with latency's
# p99.9 of single calls. Needs python3-matplotlib (Debian); nothing in the tests runs it.
#
#   bench/plot_bench.py RESULTS.json OUT.png [OUT.svg ...]   any extension matplotlib knows
#
# Exit status: 0; 1 when the file is not vkm_bench's JSON; 3 when matplotlib is missing.
import json
import math
import sys


def load(path):
    with open(path) as f:
        doc = json.load(f)
    if doc.get("tool") != "vkm_bench" or not isinstance(doc.get("points"), list):
        raise ValueError(f"{path}: not a vkm_bench JSON file")
    return doc


def series(points, workload, build, key):
    """(threads, values) of one build's median runs, sorted by threads."""
    xs, ys = [], []
    for p in sorted((p for p in points if p["workload"] == workload), key=lambda p: p["threads"]):
        r = p.get(build)
        v = r.get(key) if r else None
        if isinstance(v, (int, float)) and math.isfinite(v):
            xs.append(p["threads"])
            ys.append(v)
    return xs, ys


def thread_axis(ax, points):
    """Log2 thread axis labelled with the measured thread counts."""
    counts = sorted({p["threads"] for p in points})
    ax.set_xscale("log", base=2)
    ax.set_xticks(counts)
    ax.set_xticklabels([str(c) for c in counts])
    ax.minorticks_off()
    ax.set_xlabel("threads")


def main(argv):
    if len(argv) < 3:
        print("usage: plot_bench.py RESULTS.json OUT.png [OUT.svg ...]", file=sys.stderr)
        return 2
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot_bench.py: matplotlib not found (apt-get install python3-matplotlib)",
              file=sys.stderr)
        return 3
    try:
        doc = load(argv[1])
    except (OSError, ValueError) as e:
        print(f"plot_bench.py: {e}", file=sys.stderr)
        return 1
    points = doc["points"]
    # Workloads in the file's order; pair (one thread only) has no curve.
    names = []
    for p in points:
        if p["workload"] not in names and p["workload"] != "pair":
            names.append(p["workload"])
    throughput = [n for n in names if n != "latency"]
    panels = len(throughput) + 1 + (1 if "latency" in names else 0)
    cols = 3
    rows = (panels + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.8 * rows), squeeze=False)
    flat = [a for row in axes for a in row]
    style = {"default": ("tab:blue", "o", "default"),
             "single_mutex": ("tab:red", "s", "single-mutex")}

    for ax, name in zip(flat, throughput):
        for build, (color, marker, label) in style.items():
            xs, ys = series(points, name, build, "ops_per_s")
            if xs:
                ax.plot(xs, [y / 1e6 for y in ys], marker=marker, color=color, label=label)
        driver = any(p.get("driver_calls") for p in points if p["workload"] == name)
        ax.set_title(name + (" (includes driver calls)" if driver else ""))
        thread_axis(ax, points)
        ax.set_ylabel("M ops/s (alloc + free)")
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")

    ax = flat[len(throughput)]
    for name in throughput:
        xs, ys = [], []
        for p in sorted((p for p in points if p["workload"] == name), key=lambda p: p["threads"]):
            v = p.get("ratio_default_over_single")
            if isinstance(v, (int, float)) and math.isfinite(v):
                xs.append(p["threads"])
                ys.append(v)
        if xs:
            ax.plot(xs, ys, marker="o", label=name)
    ax.axhline(1.0, color="gray", linewidth=0.8)
    ax.set_title("default / single-mutex ops/s")
    thread_axis(ax, points)
    ax.set_ylabel("ratio")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")

    if "latency" in names:
        ax = flat[len(throughput) + 1]
        for build, (color, marker, label) in style.items():
            for call, dash in (("alloc", "-"), ("free", "--")):
                xs, ys = [], []
                for p in sorted((p for p in points if p["workload"] == "latency"),
                                key=lambda p: p["threads"]):
                    r = p.get(build) or {}
                    v = (r.get(call + "_latency_ns") or {}).get("p99_9")
                    if isinstance(v, (int, float)) and math.isfinite(v):
                        xs.append(p["threads"])
                        ys.append(v)
                if xs:
                    ax.plot(xs, ys, dash, marker=marker, color=color, label=f"{label} {call}")
        ax.set_title("latency p99.9 of single calls")
        ax.set_yscale("log")
        thread_axis(ax, points)
        ax.set_ylabel("ns")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")

    for ax in flat[panels:]:
        ax.set_visible(False)
    pair = doc.get("pair") or {}
    note = ""
    if isinstance(pair.get("default_ns"), (int, float)) and isinstance(
            pair.get("single_mutex_ns"), (int, float)):
        note = (f"; alloc+free pair, 1 thread: {pair['default_ns']:.0f} ns default, "
                f"{pair['single_mutex_ns']:.0f} ns single-mutex")
    fig.suptitle(f"vkmalloc {doc.get('vkmalloc_version', '?')} on {doc.get('device', '?')}, "
                 f"{doc.get('cpus', '?')} CPUs (median of {doc.get('runs_per_point', '?')} "
                 f"runs){note}")
    fig.tight_layout()
    for out in argv[2:]:
        fig.savefig(out, dpi=110)
        print(f"plot_bench.py: wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
