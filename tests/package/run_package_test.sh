#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# run_package_test.sh BUILD_DIR SOURCE_DIR C_COMPILER [CMAKE] [CFLAGS]
#
# The "package" ctest: installs BUILD_DIR into a scratch prefix, then, as a VMA user would,
#   1. checks the installed layout and that libvkmalloc.so exports exactly the 72 VMA 3.3
#      functions (tests/unit/vma33_functions.txt) and the 3.4 additions (vma34_functions.txt)
#      among its vma* symbols and nothing that
#      does not start with vma or vkm;
#   2. builds the VMA sample programs tests/package/sample.c (buffers, an image, mapping)
#      and sample_defrag.c (a custom pool, defragmentation, the JSON dump) with a CMake
#      project using find_package(vkmalloc) (shared and static targets) and runs them;
#   3. builds them with `cc sample.c $(pkg-config --cflags --libs vkmalloc) -lvulkan`, as C
#      and (when a C++ compiler is found) as C++, with -Werror, and runs them.
# CFLAGS are the library's sanitizer flags: the consumer needs the same runtime.
# Exit 0 passed, 1 failed, 77 skipped (the sample found no Vulkan device; every build and
# symbol check still ran and passed).
set -euo pipefail

if [ $# -lt 3 ]; then
    echo "usage: $0 BUILD_DIR SOURCE_DIR C_COMPILER [CMAKE] [CFLAGS]" >&2
    exit 2
fi
build=$1
src=$2
cc=$3
cmake=${4:-cmake}
cflags=${5:-}
here=$src/tests/package

work=$(mktemp -d "${TMPDIR:-/tmp}/vkm-package.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
failures=0
skipped=0

step() { printf '\n=== %s\n' "$*"; }
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# Under ASan, keep the Vulkan driver resident: the loader dlcloses it in vkDestroyInstance,
# and LeakSanitizer then reports the driver's still-referenced globals (pointers held in
# the unmapped library) as leaks from "<unknown module>". tests/support pins the driver
# with RTLD_NODELETE; the sample is a plain VMA program, so this script preloads it.
preload=
case $cflags in
    *-fsanitize=address*)
        for json in $(echo "${VK_DRIVER_FILES:-${VK_ICD_FILENAMES:-/usr/share/vulkan/icd.d/lvp_icd.x86_64.json}}" | tr ':' ' '); do
            lib=$(sed -n 's/.*"library_path"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$json" 2>/dev/null || true)
            [ -n "$lib" ] && preload=${preload:+$preload:}$lib
        done ;;
esac

# Runs a built sample; 77 (no Vulkan device) is remembered, anything else non-zero fails.
run_sample() {
    local name=$1; shift
    local rc=0
    if [ -n "$preload" ]; then
        LD_PRELOAD=$preload${LD_PRELOAD:+:$LD_PRELOAD} "$@" || rc=$?
    else
        "$@" || rc=$?
    fi
    case $rc in
        0) echo "$name: passed" ;;
        77) echo "$name: skipped (no Vulkan device)"; skipped=$((skipped + 1)) ;;
        *) fail "$name exited with $rc" ;;
    esac
}

step "install $build into $prefix"
"$cmake" --install "$build" --prefix "$prefix"

libdir=$(dirname "$(find "$prefix" -name 'libvkmalloc.so' -print -quit)")
if [ -z "$libdir" ] || [ "$libdir" = . ]; then
    echo "FAIL: no libvkmalloc.so installed" >&2
    exit 1
fi
for f in "$prefix/include/vkmalloc/vk_mem_alloc.h" "$prefix/include/vkmalloc/vkmalloc.h" \
         "$libdir/libvkmalloc.so" "$libdir/libvkmalloc.a" "$libdir/pkgconfig/vkmalloc.pc" \
         "$libdir/cmake/vkmalloc/vkmalloc-config.cmake" \
         "$libdir/cmake/vkmalloc/vkmalloc-config-version.cmake"; do
    [ -e "$f" ] || fail "not installed: ${f#"$prefix"/}"
done

step "exported symbols of ${libdir#"$prefix"/}/libvkmalloc.so"
expected=$src/tests/unit/vma33_functions.txt
if [ ! -f "$expected" ]; then
    fail "missing $expected (the 72 VMA 3.3 function names, one per line)"
else
    # The linker's own markers are not ours to control; everything else is.
    nm -D --defined-only "$libdir/libvkmalloc.so" | awk '{print $NF}' |
        grep -Ev '^(_init|_fini|_edata|_end|__bss_start)$' | sort -u > "$work/exported"
    grep -E '^vma' "$work/exported" > "$work/exported_vma" || true
    # VMA 3.4's additions (tests/unit/vma34_functions.txt) are exported too.
    grep -hEv '^[[:space:]]*(#|$)' "$expected" "$src/tests/unit/vma34_functions.txt" |
        sort -u > "$work/expected"
    n_expected=$(wc -l < "$work/expected")
    if ! diff -u "$work/expected" "$work/exported_vma" > "$work/vma.diff"; then
        sed 's/^-vma/missing:    vma/; s/^+vma/unexpected: vma/' "$work/vma.diff" | grep -E '^(missing|unexpected)' >&2
        fail "vma* exports differ from the $n_expected names of ${expected#"$src"/} + vma34"
    else
        echo "all $n_expected VMA 3.3 + 3.4 functions exported, no other vma* symbol"
    fi
    if grep -Ev '^(vma|vkm)' "$work/exported" > "$work/foreign"; then
        sed 's/^/foreign export: /' "$work/foreign" >&2
        fail "$(wc -l < "$work/foreign") exported symbols do not start with vma or vkm"
    else
        echo "every exported symbol starts with vma or vkm ($(wc -l < "$work/exported") in all)"
    fi
fi

step "host memory and jemalloc"
# Inside libvkmalloc.so malloc/free resolve to its private, hidden jemalloc (CMakeLists.txt,
# VKM_JEMALLOC_PIC): a free() there of memory that libc handed out would crash. The house
# rule (host memory only through host_alloc) makes that impossible; this checks the rule.
if nm -A -u "$libdir/libvkmalloc.a" 2>/dev/null |
        grep -E '[[:space:]]U (malloc|calloc|realloc|free|posix_memalign|aligned_alloc|memalign|valloc|reallocarray|strdup|strndup|_Zn[wa]m.*|_Zd[la]Pv.*)$' |
        grep -v ':host_alloc\.c\.o:' > "$work/direct_malloc"; then
    sed 's/^/direct host allocation: /' "$work/direct_malloc" >&2
    fail "library objects other than host_alloc call the C allocator directly"
else
    echo "only host_alloc calls the C allocator"
fi
needed=$(objdump -p "$libdir/libvkmalloc.so")
if printf '%s\n' "$needed" | grep -q 'NEEDED.*libjemalloc'; then
    fail "libvkmalloc.so depends on libjemalloc.so: its operator new/delete would interpose process-wide (see CMakeLists.txt)"
fi

step "find_package(vkmalloc): CMake consumer"
# shellcheck disable=SC2086
if "$cmake" -S "$here/consumer" -B "$work/consumer" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="$cflags" \
        -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON &&
   "$cmake" --build "$work/consumer"; then
    # Capture first: with pipefail, grep -q closing the pipe early fails ldd (SIGPIPE).
    deps=$(ldd "$work/consumer/sample_shared")
    if printf '%s\n' "$deps" | grep -q "$prefix/.*libvkmalloc.so"; then
        run_sample "find_package shared" "$work/consumer/sample_shared"
    else
        ldd "$work/consumer/sample_shared" >&2
        fail "sample_shared does not load libvkmalloc.so from the install prefix"
    fi
    run_sample "find_package static" "$work/consumer/sample_static"
    run_sample "find_package shared: sample_defrag" "$work/consumer/sample_defrag_shared"
    run_sample "find_package static: sample_defrag" "$work/consumer/sample_defrag_static"
else
    fail "CMake consumer did not configure or build"
fi

step "pkg-config: cc sample.c \$(pkg-config --cflags --libs vkmalloc) -lvulkan"
export PKG_CONFIG_PATH=$libdir/pkgconfig
pc_flags=$(pkg-config --cflags --libs vkmalloc) || { fail "pkg-config --cflags --libs vkmalloc"; pc_flags=; }
echo "pkg-config: $pc_flags (version $(pkg-config --modversion vkmalloc || true))"
warn="-Wall -Wextra -Werror -Wno-missing-field-initializers"
for sample in sample sample_defrag; do
    # shellcheck disable=SC2086
    if "$cc" -std=c11 $warn $cflags "$here/$sample.c" $pc_flags -lvulkan -o "$work/${sample}_pc"; then
        LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} run_sample "pkg-config C: $sample" "$work/${sample}_pc"
    else
        fail "pkg-config C build of $sample"
    fi
done

# VMA programs are mostly C++: the header must compile and link (extern "C") from C++ too.
ccname=$(basename "$cc")
case $ccname in
    *clang*) cxxname=${ccname/clang/clang++} ;;
    *gcc*) cxxname=${ccname/gcc/g++} ;;
    cc) cxxname=c++ ;;
    *) cxxname= ;;
esac
cxx=
if [ -n "$cxxname" ]; then
    if [ -x "$(dirname "$cc")/$cxxname" ]; then cxx=$(dirname "$cc")/$cxxname
    else cxx=$(command -v "$cxxname" || true); fi
fi
if [ -n "$cxx" ]; then
    # shellcheck disable=SC2086
    for sample in sample sample_defrag; do
        # shellcheck disable=SC2086
        if "$cxx" -x c++ -std=c++14 $warn $cflags "$here/$sample.c" -x none $pc_flags -lvulkan \
                -o "$work/${sample}_pc_cxx"; then
            LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} run_sample "pkg-config C++: $sample" "$work/${sample}_pc_cxx"
        else
            fail "pkg-config C++ build of $sample ($cxx)"
        fi
    done
else
    echo "no C++ compiler matching $cc: C++ consumer check not run"
fi

echo
if [ "$failures" -ne 0 ]; then
    echo "package test: $failures failure(s)"
    exit 1
fi
if [ "$skipped" -ne 0 ]; then
    echo "package test: builds and symbols OK; samples skipped (no Vulkan device)"
    exit 77
fi
echo "package test: passed"
