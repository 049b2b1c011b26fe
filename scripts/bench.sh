#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench.sh - the contention comparison: installs the Debian packages, builds the two
# benchmark drivers in Release (cmake --workflow --preset bench, in build/demo) and runs
#
#   build/demo/bench/vkm_bench --compare "$@"
#
# which measures churn, frame, handoff and the alloc+free pair at 1, 2 and 4 threads for
# the default build and, in the same run, the single-mutex build, and prints one table.
#
#   scripts/bench.sh                               about 20 s on 2 cores with Lavapipe
#   scripts/bench.sh --threads 1-16                a 16-core machine (about 1.5 min)
#   scripts/bench.sh --json out.json               the table as JSON too (no host name)
#
# Runs on Lavapipe unless VK_ICD_FILENAMES / VK_DRIVER_FILES names another driver.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc 2>/dev/null || echo 2)}

scripts/install-deps.sh
cmake --workflow --preset bench

bench=build/demo/bench/vkm_bench
echo
echo "=== $bench --compare $*"
exec "$bench" --compare "$@"
