#!/usr/bin/env bash
# shellcheck disable=SC2317 # format_check and workflow are called through run_stage "$@"
# SPDX-License-Identifier: MIT
#
# test.sh - THE test command: installs the Debian packages, then builds and runs every test
# suite, stopping at the first stage that fails.
#
#   scripts/test.sh [--clean] [STAGE...]
#
# Stages, in order (default: all):
#   deps          scripts/install-deps.sh (fast when everything is installed)
#   debug         cmake --workflow --preset debug         (all labels)
#   single-mutex  cmake --workflow --preset single-mutex  (all labels)
#   asan          cmake --workflow --preset asan          (clang, ASan+UBSan, all labels)
#   tsan          cmake --workflow --preset tsan          (clang, TSan, all labels)
#   package       cmake --workflow --preset package       (release build installed into a
#                 scratch prefix; a VMA sample built with find_package and pkg-config)
#   format        clang-format-14 --dry-run over src include tests stress bench and top-level
#                 sources; reports only, unless VKM_FORMAT_STRICT=1 makes differences fail
# --clean removes build/<preset> before a workflow stage.
#
# Tests run on the driver the loader finds through VK_ICD_FILENAMES / VK_DRIVER_FILES, and
# on Lavapipe when neither is set. Logs go to build/logs/<stage>.log.
# The last line of output is always "N passed, N failed": the sum of every stage's ctest
# results (a stage that fails outside ctest, e.g. a build error, counts as one failure).
# Exit status: 0 when nothing failed.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
ALL_STAGES=(deps debug single-mutex asan tsan package format)

clean=0
stages=()
for arg in "$@"; do
    case $arg in
        --clean) clean=1 ;;
        -h|--help) awk 'NR > 4 && !/^#/ { exit } NR > 4 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
        deps|debug|single-mutex|asan|tsan|package|format|release) stages+=("$arg") ;;
        *) echo "test.sh: unknown stage '$arg' (stages: ${ALL_STAGES[*]})" >&2; exit 2 ;;
    esac
done
[ ${#stages[@]} -gt 0 ] || stages=("${ALL_STAGES[@]}")

export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc 2>/dev/null || echo 2)}
mkdir -p build/logs

total_passed=0
total_failed=0
total_skipped=0
summary=()
t_start=$SECONDS

finish() {
    local elapsed=$((SECONDS - t_start))
    echo
    echo "================ summary ================"
    printf '%s\n' "${summary[@]}"
    printf 'total time %dm%02ds\n' $((elapsed / 60)) $((elapsed % 60))
    [ "$total_skipped" -eq 0 ] || echo "$total_skipped skipped (exit 77: no Vulkan device)"
    echo "$total_passed passed, $total_failed failed"
    [ "$total_failed" -eq 0 ] && exit 0
    exit 1
}

# Adds up the ctest summaries found in a log: "NN% tests passed, F tests failed out of M"
# and the "(Skipped)" / "(Disabled)" entries of "The following tests did not run:".
# Prints "passed failed skipped found" where found is the number of ctest summaries.
ctest_counts() {
    awk '
        /^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+/ {
            f += $4; t += $NF; found++
        }
        /^[[:space:]]+[0-9]+ - .* \((Skipped|Disabled)\)$/ { s++ }
        END { printf "%d %d %d %d\n", t - f - s, f, s, found }' "$1"
}

# run_stage NAME COMMAND...: runs one stage, records its counts, stops the run on failure.
run_stage() {
    local name=$1; shift
    local log=build/logs/$name.log t0=$SECONDS rc
    echo
    echo "================ $name: $* ================"
    "$@" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    local p f s found dt=$((SECONDS - t0))
    read -r p f s found < <(ctest_counts "$log")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1 # failed outside ctest (configure, build, no tests found, ...)
    fi
    total_passed=$((total_passed + p))
    total_failed=$((total_failed + f))
    total_skipped=$((total_skipped + s))
    local what="$p passed, $f failed, $s skipped"
    [ "$found" -gt 0 ] || what="no ctest run"
    local status=ok
    [ "$rc" -eq 0 ] || status=FAILED
    summary+=("$(printf '%-13s %-6s %-34s %4ds   (log: %s)' "$name" "$status" "$what" "$dt" "$log")")
    [ "$rc" -eq 0 ] || finish
}

format_check() {
    local files
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        files=$(git ls-files -co --exclude-standard -- src include tests stress bench '*.c' '*.h')
    else
        files=$(find src include tests stress bench -type f; ls ./*.c ./*.h 2>/dev/null)
    fi
    files=$(printf '%s\n' "$files" | sed 's|^\./||' | grep -E '\.(c|h|cpp|hpp)$' |
            grep -v '^tests/gpus/' | sort -u)
    local n=0 differ=()
    for f in $files; do
        [ -f "$f" ] || continue
        n=$((n + 1))
        clang-format-14 --dry-run -Werror "$f" >/dev/null 2>&1 || differ+=("$f")
    done
    if [ ${#differ[@]} -eq 0 ]; then
        echo "format: all $n files match .clang-format"
        return 0
    fi
    echo "format: ${#differ[@]} of $n files differ from .clang-format (clang-format-14 -i FILE fixes one):"
    printf '  %s\n' "${differ[@]}"
    if [ "${VKM_FORMAT_STRICT:-0}" = 1 ]; then
        return 1
    fi
    echo "format: report only (set VKM_FORMAT_STRICT=1 to make this fail)"
}

workflow() {
    local preset=$1
    if [ "$clean" = 1 ]; then
        case $preset in package) rm -rf build/release ;; *) rm -rf "build/$preset" ;; esac
    fi
    cmake --workflow --preset "$preset"
}

for stage in "${stages[@]}"; do
    case $stage in
        deps) run_stage deps scripts/install-deps.sh ;;
        format) run_stage format format_check ;;
        *) run_stage "$stage" workflow "$stage" ;;
    esac
done
finish
