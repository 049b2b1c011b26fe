#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# install-deps.sh - installs the Debian 12 (bookworm) packages vkmalloc needs to build,
# test and benchmark. As root it runs apt-get; otherwise it prints the exact apt-get
# command and exits 1. When every package is already installed it touches nothing and
# returns at once, so scripts/test.sh and scripts/demo.sh can call it on every run.
set -euo pipefail

# One package per line, with the reason it is here.
PACKAGES=(
    build-essential          # gcc, g++ (the Google Benchmark shim is C++), make, binutils (nm)
    cmake                    # 3.25 on bookworm: configure, workflow presets, ctest
    pkg-config               # finds ck and jemalloc; the package test uses it as a consumer would
    clang                    # the asan and tsan presets build with clang
    libclang-rt-14-dev       # clang's sanitizer runtimes (ASan, UBSan, TSan) and libFuzzer
    clang-format-14          # the format check in scripts/test.sh (.clang-format is pinned to 14)
    libvulkan-dev            # Vulkan headers and loader (libvulkan.so)
    mesa-vulkan-drivers      # Lavapipe: the CPU Vulkan driver every test runs on
    vulkan-validationlayers  # VK_LAYER_KHRONOS_validation for the API tests
    libck-dev                # ConcurrencyKit (ck_epoch)
    libjemalloc-dev          # host metadata allocator (VKMALLOC_HOST_ALLOC=jemalloc)
    libbenchmark-dev         # Google Benchmark for bench/
    libvulkan-volk-dev       # volk (header + volk.c): tests/volk checks vmaImportVulkanFunctionsFromVolk
    python3-matplotlib       # bench/plot_bench.py draws scripts/bench.sh's plot (no test needs it)
)

export DEBIAN_FRONTEND=noninteractive

missing=()
for p in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$status" = "installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#PACKAGES[@]} packages already installed"
    exit 0
fi

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages: ${missing[*]}" >&2
    echo "install-deps: run as root:" >&2
    echo "  apt-get update && DEBIAN_FRONTEND=noninteractive $cmd" >&2
    exit 1
fi

echo "install-deps: installing ${missing[*]}"
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
