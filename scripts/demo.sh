#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# demo.sh - THE main-job command: installs the Debian packages, builds the release demo
# (cmake --workflow --preset demo) and runs it.
#
#   scripts/demo.sh [--threads N] [--seconds S]       N defaults to 4
#
# The demo creates an allocator on Lavapipe (or the driver named by VK_ICD_FILENAMES /
# VK_DRIVER_FILES), streams buffers and images from N threads, and prints the statistics.
# Arguments are passed to build/demo/bench/vkm_demo unchanged.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc 2>/dev/null || echo 2)}

args=("$@")
case " $* " in
    *" --threads "*) ;;
    *) args=(--threads 4 "${args[@]}") ;;
esac

scripts/install-deps.sh
cmake --workflow --preset demo

demo=build/demo/bench/vkm_demo
if [ ! -x "$demo" ]; then
    echo "demo.sh: $demo was not built (bench/demo.c missing?): nothing to run." >&2
    exit 1
fi
echo
echo "=== $demo ${args[*]}"
exec "$demo" "${args[@]}"
