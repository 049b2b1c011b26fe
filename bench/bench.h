/* SPDX-License-Identifier: MIT */
/*
 * bench.h - what the vkm_bench driver's two files share: the options, the points (one
 * workload at one thread count, with every run of both builds) and the whole run's state.
 * bench_main.c parses arguments, runs the points here and in the single-mutex sibling and
 * collects the results; bench_report.c turns them into the table, the JSON and the
 * --smoke verdict. Single-threaded: only the workload runner (wl.c) starts threads.
 */
#ifndef VKM_BENCH_BENCH_H
#define VKM_BENCH_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "wl.h"

#define MAX_THREAD_COUNTS 64
#define MAX_POINTS 256
#define MAX_REPEAT 15
#define SIBLING_NAME "vkm_bench_single_mutex"
#define MACHINE_FORMAT 2

enum {
    BUILD_DEFAULT,
    BUILD_SINGLE,
    BUILD_COUNT
};
/* "default", "single-mutex": bench_main.c */
extern const char *const bench_build_names[BUILD_COUNT];
/* What the report calls a build's columns: its name, or "jemalloc" for this process's
 * column in a --reference run. */
typedef struct bench bench;
const char *bench_build_label(const bench *b, int build);

typedef struct options {
    uint32_t threads[MAX_THREAD_COUNTS];
    uint32_t thread_count;
    double seconds;
    uint64_t iterations;
    uint64_t memory_ops; /* ops per thread of the equal-ops memory run (bench_main.c) */
    uint64_t seed;
    uint32_t repeat;
    const vkm_workload *workloads[16];
    uint32_t workload_count;
    bool compare, machine, smoke;
    bool workloads_given; /* --workloads named them (else: all that apply) */
    /* --reference jemalloc: the workloads on jemalloc's host memory instead of vkmalloc
     * (vkm_wl_params.host_reference), this process only: calibrates what each pattern
     * costs a mature thread-caching malloc on the same machine. */
    bool reference;
    const char *json_path;
    const char *sibling;
} options;

/* One workload at one thread count: every run of each build, and the run reported (the
 * median by ops/s), chosen once all runs are in. */
typedef struct point {
    const vkm_workload *w;
    uint32_t threads;
    uint32_t runs[BUILD_COUNT];
    vkm_wl_result run[BUILD_COUNT][MAX_REPEAT];
    bool have[BUILD_COUNT];
    vkm_wl_result r[BUILD_COUNT];
} point;

struct bench {
    options opt;
    vkm_wl_device dev;
    char device[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE]; /* its name, kept past its destruction */
    int self; /* BUILD_DEFAULT or BUILD_SINGLE: which build this executable is */
    point points[MAX_POINTS];
    uint32_t point_count;
    uint32_t sibling_problems; /* malformed or failed sibling output */
    double load;               /* 1-minute load average before the run; < 0 unknown */
};

/* The point of workload w at `threads` threads, or NULL (bench_main.c). */
point *bench_find_point(bench *b, const vkm_workload *w, uint32_t threads);

/* bench_report.c */
/* Other processes were using a quarter of the machine or more before the run. */
bool bench_report_busy(const bench *b);
/* The table of the chosen (median) runs, on stdout. */
void bench_report_table(bench *b);
/* The same as JSON (no host name: results may be shared). */
void bench_report_json(FILE *f, bench *b);
/* --smoke: every point present and well formed in each build expected, and `json` (what
 * bench_report_json wrote) parses with one entry per point. Never looks at a time. */
bool bench_report_smoke_check(bench *b, const char *json, size_t json_len);

#endif /* VKM_BENCH_BENCH_H */
