#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench.sh - the contention comparison: installs the Debian packages, builds the benchmark
# drivers in Release (cmake --workflow --preset bench, in build/demo) and runs
#
#   build/demo/bench/vkm_bench --compare --json OUT/bench.json "$@"
#
# which measures churn, frame, handoff, transient, virtual, latency, stream and the alloc+free pair
# at 1, 2 and 4 threads for the default build and, in the same run, the single-mutex
# build, prints one table, writes the JSON and draws OUT/bench.png (and .svg) with
# bench/plot_bench.py when python3-matplotlib is installed.
#
#   scripts/bench.sh                                   about 1 min on 2 cores with Lavapipe
#   scripts/bench.sh --threads 1,2,4,8,16 --seconds 0.5  full mode (a 16-core machine)
#   scripts/bench.sh --out DIR ...                     results into DIR (default build/bench)
#   scripts/bench.sh --workloads churn,frame ...       any other vkm_bench argument
#
# Runs on Lavapipe unless VK_ICD_FILENAMES / VK_DRIVER_FILES names another driver.
# scripts/bench_full.sh runs the full suite from a directory of copied binaries instead
# (a machine without the sources); see bench/results/README.md.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc 2>/dev/null || echo 2)}

out=build/bench
args=()
while [ $# -gt 0 ]; do
    case $1 in
        --out) out=${2:?--out needs a directory}; shift 2 ;;
        --json) echo "bench.sh: the JSON goes to --out DIR/bench.json" >&2; exit 2 ;;
        *) args+=("$1"); shift ;;
    esac
done

scripts/install-deps.sh
cmake --workflow --preset bench
mkdir -p "$out"

bench=build/demo/bench/vkm_bench
echo
echo "=== $bench --compare --json $out/bench.json ${args[*]}"
"$bench" --compare --json "$out/bench.json" "${args[@]}" | tee "$out/bench.txt"
echo
echo "bench.sh: table in $out/bench.txt, JSON in $out/bench.json"

# The plot is a convenience: its absence never fails the run. Debian's matplotlib is
# installed for /usr/bin/python3, which another python3 first on PATH may not see.
for py in /usr/bin/python3 python3; do
    if command -v "$py" >/dev/null && "$py" -c 'import matplotlib' 2>/dev/null; then
        "$py" bench/plot_bench.py "$out/bench.json" "$out/bench.png" "$out/bench.svg" || true
        exit 0
    fi
done
echo "bench.sh: no plot (python3-matplotlib not installed: scripts/install-deps.sh)" >&2
