#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench_full.sh - the full benchmark suite on a machine that has only the built binaries
# (no sources, no compiler): the run whose results go under bench/results/.
#
#   scripts/bench_full.sh --pack BUILD_BENCH_DIR DEST    on the build machine: copies
#       vkm_bench, vkm_bench_single_mutex, vkm_gbench, vkm_gbench_single_mutex,
#       vkm_ceiling, the shared libraries they load (except the C library's own, and the Vulkan driver, which must
#       be the target machine's), and this script into DEST
#   bench_full.sh BINDIR [--threads LIST] [--seconds S] [--repeat R] [--icd FILE]
#       on the target machine: runs the suite from BINDIR, results into $OUT (default
#       ./bench-out): machine.txt (the machine, no host name), bench.txt and bench.json
#       (vkm_bench --compare: both builds in one run, the table, ratios, scaling,
#       latency), gbench_default.json and gbench_single_mutex.json (the Google Benchmark
#       shims, host_name scrubbed), and two calibrations of the machine: ceiling.txt
#       (vkm_ceiling: scaling of work that shares nothing, and the floor of cross-thread
#       frees) and reference.txt /
#       reference.json (vkm_bench --reference jemalloc: the same workloads on jemalloc's
#       host memory). Defaults: threads 1,2,4,8,16, 0.5 s, 3 repetitions.
#
# The Vulkan driver: --icd FILE, else VK_ICD_FILENAMES / VK_DRIVER_FILES when set, else
# NVIDIA's manifest when one is installed (the benchmark otherwise prefers Lavapipe when
# both are present). Plotting is a separate local step: bench/plot_bench.py bench.json
# bench.png. Takes about 7 minutes at the defaults.
set -euo pipefail

BINARIES=(vkm_bench vkm_bench_single_mutex vkm_gbench vkm_gbench_single_mutex vkm_ceiling)

usage() {
    sed -n '4,24p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# Copies the binaries and the libraries ldd resolves for them, but not glibc's (the target
# has its own, and mixing the loader and libc of two systems breaks) nor the ICD.
pack() {
    local src=$1 dest=$2 lib
    mkdir -p "$dest"
    for b in "${BINARIES[@]}"; do
        [ -x "$src/$b" ] || { echo "bench_full.sh: $src/$b missing (cmake --workflow --preset bench)" >&2; exit 1; }
        cp "$src/$b" "$dest/"
        ldd "$src/$b" | awk '/=> \// { print $3 }' | while read -r lib; do
            case $(basename "$lib") in
                libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*|ld-linux*) ;;
                *) cp -L "$lib" "$dest/" ;;
            esac
        done
    done
    cp "$0" "$dest/bench_full.sh"
    echo "bench_full.sh: packed into $dest:"
    ls "$dest"
}

[ $# -ge 1 ] || usage
if [ "$1" = "--pack" ]; then
    [ $# -eq 3 ] || usage
    pack "$2" "$3"
    exit 0
fi

bindir=$(cd "$1" && pwd)
shift
threads=1,2,4,8,16
seconds=0.5
repeat=3
icd=
while [ $# -gt 0 ]; do
    case $1 in
        --threads) threads=${2:?}; shift 2 ;;
        --seconds) seconds=${2:?}; shift 2 ;;
        --repeat) repeat=${2:?}; shift 2 ;;
        --icd) icd=${2:?}; shift 2 ;;
        *) usage ;;
    esac
done
for b in "${BINARIES[@]}"; do
    [ -x "$bindir/$b" ] || { echo "bench_full.sh: $bindir/$b missing" >&2; exit 1; }
done

if [ -z "$icd" ] && [ -z "${VK_ICD_FILENAMES:-}" ] && [ -z "${VK_DRIVER_FILES:-}" ]; then
    for f in /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json; do
        [ -e "$f" ] && { icd=$f; break; }
    done
fi
[ -z "$icd" ] || export VK_ICD_FILENAMES=$icd
export LD_LIBRARY_PATH=$bindir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

out=${OUT:-./bench-out}
mkdir -p "$out"

# The machine, described without its name.
{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "kernel: $(uname -sr)"
    if [ -r /etc/os-release ]; then
        # shellcheck disable=SC1091
        echo "os: $(. /etc/os-release && echo "${PRETTY_NAME:-?}")"
    fi
    echo "cpus online: $(nproc 2>/dev/null || echo ?)"
    command -v lscpu >/dev/null && lscpu | grep -E '^(Model name|Socket|Core|Thread|NUMA node\(s\)|CPU max MHz)' || true
    grep -E '^MemTotal' /proc/meminfo || true
    command -v nvidia-smi >/dev/null &&
        nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader |
        sed 's/^/gpu: /' || true
    echo "vulkan icd: ${VK_ICD_FILENAMES:-${VK_DRIVER_FILES:-none named (Lavapipe when installed, else the loader default)}}"
    echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo ?)"
    echo "settings: threads $threads, $seconds s per run, $repeat repetitions"
} | tee "$out/machine.txt"

echo
echo "=== vkm_bench --compare (both builds, one run)"
"$bindir/vkm_bench" --compare --threads "$threads" --seconds "$seconds" --repeat "$repeat" \
    --json "$out/bench.json" | tee "$out/bench.txt"

for b in default single_mutex; do
    exe=$bindir/vkm_gbench
    [ "$b" = default ] || exe=${exe}_single_mutex
    echo
    echo "=== $(basename "$exe")"
    "$exe" --vkm_threads="$threads" --vkm_seconds="$seconds" \
        --benchmark_repetitions="$repeat" --benchmark_out="$out/gbench_$b.json" \
        --benchmark_out_format=json
done

echo
echo "=== vkm_ceiling (this machine: work that shares nothing, and the least a cross-thread free moves)"
"$bindir/vkm_ceiling" --threads "$threads" --seconds "$seconds" | tee "$out/ceiling.txt"

echo
echo "=== vkm_bench --reference jemalloc (the workloads on jemalloc, not vkmalloc)"
"$bindir/vkm_bench" --reference jemalloc --threads "$threads" --seconds "$seconds" \
    --repeat "$repeat" --json "$out/reference.json" | tee "$out/reference.txt"

echo
echo "bench_full.sh: results in $out:"
ls -l "$out"
echo "plot locally: bench/plot_bench.py $out/bench.json bench/results/<name>.png"
