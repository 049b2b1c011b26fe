/* SPDX-License-Identifier: MIT */
/*
 * bench_report.c - vkm_bench's output: the table people read, the JSON tools and the plot
 * script read (bench/plot_bench.py), and the --smoke check of both (shape, never time).
 * Allocator-only workloads share one table; latency has its own (percentiles), and stream,
 * whose figures include driver calls, is kept apart so it never mixes with the others.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "json_mini.h"
#include "vkmalloc.h"

static double
scaling(bench *b, const point *pt, int build)
{
    const point *one = bench_find_point(b, pt->w, 1);
    if (!pt->have[build] || one == NULL || !one->have[build] || one->r[build].ops_per_s <= 0.0)
        return NAN;
    return pt->r[build].ops_per_s / one->r[build].ops_per_s;
}

static double
ratio(const point *pt)
{
    if (!pt->have[BUILD_DEFAULT] || !pt->have[BUILD_SINGLE] || pt->r[BUILD_SINGLE].ops_per_s <= 0.0)
        return NAN;
    return pt->r[BUILD_DEFAULT].ops_per_s / pt->r[BUILD_SINGLE].ops_per_s;
}

/* Other processes were using a quarter of the machine or more before we started. */
bool
bench_report_busy(const bench *b)
{
    return b->load >= 0.25 * (double)sysconf(_SC_NPROCESSORS_ONLN);
}

/* printf of one number into a column, or "-" when it does not exist. */
static void
cell(bool have, double v, int width, int precision)
{
    if (have && isfinite(v))
        printf(" %*.*f", width, precision, v);
    else
        printf(" %*s", width, "-");
}

/* The sections of the table, each a kind of workload. */
enum section {
    SECTION_ALLOCATOR, /* allocator-only throughput: churn, frame, handoff, transient, virtual */
    SECTION_LATENCY,   /* percentiles of single calls */
    SECTION_DRIVER,    /* throughput including driver calls: stream */
};

static enum section
section_of(const vkm_workload *w)
{
    if (w->driver_calls)
        return SECTION_DRIVER;
    return w == &vkm_wl_latency ? SECTION_LATENCY : SECTION_ALLOCATOR;
}

/* The throughput rows of one section (pair has its own line). */
static void
print_throughput(bench *b, enum section section)
{
    /* Group titles right-aligned over the columns of the rows below. */
    printf("%13s%27s%8s%13s%19s%17s%13s%10s\n", "", "ops/s, all threads", "ratio", "scaling",
           "ns/op/thread", "vkAllocateMemory", "resv/alloc", "cached");
    printf("%-8s %3s  %12s %13s %7s  %5s %5s  %8s %8s  %7s %7s  %5s %5s  %8s\n", "workload", "thr",
           bench_build_label(b, BUILD_DEFAULT), "single-mutex", "def/s-m", "def", "s-m", "def",
           "s-m", "def", "s-m", "def", "s-m", "B/thread");
    for (uint32_t k = 0; k < b->point_count; k++) {
        const point *pt = &b->points[k];
        if (pt->w->single_thread || section_of(pt->w) != section)
            continue;
        const bool d = pt->have[BUILD_DEFAULT], s = pt->have[BUILD_SINGLE];
        const vkm_wl_result *rd = &pt->r[BUILD_DEFAULT], *rs = &pt->r[BUILD_SINGLE];
        printf("%-8s %3u ", pt->w->name, pt->threads);
        cell(d, rd->ops_per_s, 12, 0);
        cell(s, rs->ops_per_s, 13, 0);
        cell(true, ratio(pt), 7, 2);
        printf(" ");
        cell(true, scaling(b, pt, BUILD_DEFAULT), 5, 2);
        cell(true, scaling(b, pt, BUILD_SINGLE), 5, 2);
        printf(" ");
        cell(d, rd->ns_per_op, 8, 1);
        cell(s, rs->ns_per_op, 8, 1);
        printf(" ");
        cell(d, (double)rd->device_allocs, 7, 0);
        cell(s, (double)rs->device_allocs, 7, 0);
        printf(" ");
        /* Nearly nothing live at the end (a drained queue) makes it large: keep the width. */
        cell(d && rd->reserved_ratio > 0.0, rd->reserved_ratio, 5,
             rd->reserved_ratio < 100 ? 2 : 0);
        cell(s && rs->reserved_ratio > 0.0, rs->reserved_ratio, 5,
             rs->reserved_ratio < 100 ? 2 : 0);
        printf(" ");
        cell(d, rd->cached_bytes_per_thread, 8, 0);
        if ((d && rd->failures != 0) || (s && rs->failures != 0))
            printf("  FAILURES %" PRIu64 "/%" PRIu64, d ? rd->failures : 0, s ? rs->failures : 0);
        printf("\n");
    }
}

/* p99.9 of one build's allocations at pt over its 1-thread p99.9. */
static double
tail_growth(bench *b, const point *pt, int build)
{
    const point *one = bench_find_point(b, pt->w, 1);
    if (!pt->have[build] || one == NULL || !one->have[build] || !(one->r[build].alloc_ns[2] > 0.0))
        return NAN;
    return pt->r[build].alloc_ns[2] / one->r[build].alloc_ns[2];
}

static void
print_latency(bench *b)
{
    printf("%13s%40s%40s%16s\n", "", "vmaAllocateMemory ns: p50, p99, p99.9",
           "vmaFreeMemory ns: p50, p99, p99.9", "alloc p99.9");
    printf("%-8s %3s  %6s %6s %6s | %6s %6s %6s   %6s %6s %6s | %6s %6s %6s  %6s %6s\n", "workload",
           "thr", "def", "def", "def", "s-m", "s-m", "s-m", "def", "def", "def", "s-m", "s-m",
           "s-m", "def/1t", "s-m/1t");
    for (uint32_t k = 0; k < b->point_count; k++) {
        const point *pt = &b->points[k];
        if (section_of(pt->w) != SECTION_LATENCY)
            continue;
        const bool d = pt->have[BUILD_DEFAULT], s = pt->have[BUILD_SINGLE];
        const vkm_wl_result *rd = &pt->r[BUILD_DEFAULT], *rs = &pt->r[BUILD_SINGLE];
        printf("%-8s %3u ", pt->w->name, pt->threads);
        for (int i = 0; i < 3; i++)
            cell(d, rd->alloc_ns[i], 6, 0);
        printf(" |");
        for (int i = 0; i < 3; i++)
            cell(s, rs->alloc_ns[i], 6, 0);
        printf("  ");
        for (int i = 0; i < 3; i++)
            cell(d, rd->free_ns[i], 6, 0);
        printf(" |");
        for (int i = 0; i < 3; i++)
            cell(s, rs->free_ns[i], 6, 0);
        printf(" ");
        cell(true, tail_growth(b, pt, BUILD_DEFAULT), 6, 2);
        cell(true, tail_growth(b, pt, BUILD_SINGLE), 6, 2);
        if ((d && rd->failures != 0) || (s && rs->failures != 0))
            printf("  FAILURES %" PRIu64 "/%" PRIu64, d ? rd->failures : 0, s ? rs->failures : 0);
        printf("\n");
    }
}

static bool
have_section(const bench *b, enum section section)
{
    for (uint32_t k = 0; k < b->point_count; k++)
        if (!b->points[k].w->single_thread && section_of(b->points[k].w) == section)
            return true;
    return false;
}

void
bench_report_table(bench *b)
{
    const point *pair = bench_find_point(b, &vkm_wl_pair, 1);
    printf("vkm_bench: vkmalloc %d.%d.%d on %s, %ld CPUs, ", VKMALLOC_VERSION_MAJOR,
           VKMALLOC_VERSION_MINOR, VKMALLOC_VERSION_PATCH, b->device,
           sysconf(_SC_NPROCESSORS_ONLN));
    printf("median of %u run%s of ", b->opt.repeat, b->opt.repeat > 1 ? "s" : "");
    if (b->opt.iterations != 0)
        printf("%" PRIu64 " ops per thread", b->opt.iterations);
    else
        printf("%.2f s", b->opt.seconds);
    printf(", seed %" PRIu64 "\n", b->opt.seed);
    if (b->load >= 0.0)
        printf("load average before the run: %.2f%s\n", b->load,
               bench_report_busy(b) ? " - the machine was busy: expect noisy numbers" : "");
    if (b->opt.reference)
        printf("REFERENCE RUN: the column 'jemalloc' is jemalloc's mallocx/dallocx (host memory, "
               "its own\narenas and thread cache) in place of vmaAllocateMemory/vmaFreeMemory; "
               "vkmalloc is not measured\n");
    printf("op = one allocation + its free; ratio = default / single-mutex ops/s; scaling = "
           "N-thread / 1-thread\nops/s of the same build; resv/alloc = device bytes reserved / "
           "allocated after %" PRIu64 " ops per thread\n(both builds the same ops from the same seed); cached = "
           "thread-cache free bytes per thread at the end\n\n",
           b->opt.iterations != 0 ? b->opt.iterations : b->opt.memory_ops);
    if (have_section(b, SECTION_ALLOCATOR))
        print_throughput(b, SECTION_ALLOCATOR);
    if (have_section(b, SECTION_LATENCY)) {
        printf("\nlatency of single calls under contention (all threads; alloc p99.9 / the "
               "1-thread alloc p99.9)\n");
        print_latency(b);
    }
    if (have_section(b, SECTION_DRIVER)) {
        printf("\nwith driver calls (vmaCreateBuffer/Image, mapping writes): not comparable "
               "with the rows above\n");
        print_throughput(b, SECTION_DRIVER);
    }
    if (pair != NULL) {
        const char *sep = ":";
        printf("\nalloc+free pair, 1 thread");
        for (int build = 0; build < BUILD_COUNT; build++) {
            if (pair->have[build]) {
                printf("%s %s %.1f ns", sep, bench_build_label(b, build), pair->r[build].ns_per_op);
                sep = ",";
            }
        }
        if (isfinite(ratio(pair)))
            printf("; single-mutex / default %.2f", 1.0 / ratio(pair));
        printf("\n");
    }
    printf(
        "\ntargets: 2 threads on 2 cores >= 1.7x the 1-thread ops/s (churn, frame, handoff; "
        "single-mutex ~0.5x);\n16 threads on 16 cores >= 12x and >= 20x single-mutex; alloc+free "
        "pair >= 2x faster than\nsingle-mutex; latency p99.9 at 16 threads <= 10x the 1-thread "
        "p99.9; resv/alloc within 10%% of single-mutex.\n");
}

static void
json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static void
json_number(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.9g", v);
    else
        fputs("null", f);
}

/* The median run of one build at one point, and the ops/s of all its runs. */
static void
json_result(FILE *f, const point *pt, int build)
{
    if (!pt->have[build]) {
        fputs("null", f);
        return;
    }
    const vkm_wl_result *r = &pt->r[build];
    fprintf(f, "{\"ops\": %" PRIu64 ", \"seconds\": ", r->ops);
    json_number(f, r->seconds);
    fputs(", \"ops_per_s\": ", f);
    json_number(f, r->ops_per_s);
    fputs(", \"ns_per_op_per_thread\": ", f);
    json_number(f, r->ns_per_op);
    fprintf(f, ", \"vk_allocate_memory_calls\": %" PRIu64 ", \"vk_free_memory_calls\": %" PRIu64,
            r->device_allocs, r->device_frees);
    fputs(", \"reserved_over_allocated\": ", f);
    json_number(f, r->reserved_ratio > 0.0 ? r->reserved_ratio : NAN);
    fputs(", \"cached_bytes_per_thread\": ", f);
    json_number(f, r->cached_bytes_per_thread);
    if (r->alloc_ns[0] > 0.0) {
        static const char *const keys[3] = {"p50", "p99", "p99_9"};
        for (int what = 0; what < 2; what++) {
            const double *v = what == 0 ? r->alloc_ns : r->free_ns;
            fprintf(f, ", \"%s_latency_ns\": {", what == 0 ? "alloc" : "free");
            for (int i = 0; i < 3; i++) {
                fprintf(f, "%s\"%s\": ", i ? ", " : "", keys[i]);
                json_number(f, v[i]);
            }
            fputs("}", f);
        }
    }
    fprintf(f, ", \"failures\": %" PRIu64 ", \"ops_per_s_of_runs\": [", r->failures);
    for (uint32_t i = 0; i < pt->runs[build]; i++) {
        fputs(i ? ", " : "", f);
        json_number(f, pt->run[build][i].ops_per_s);
    }
    fputs("]}", f);
}

/* The table as JSON (no host name: results may be shared). */
void
bench_report_json(FILE *f, bench *b)
{
    fprintf(f, "{\n  \"tool\": \"vkm_bench\",\n  \"format\": %d,\n", MACHINE_FORMAT);
    fprintf(f, "  \"vkmalloc_version\": \"%d.%d.%d\",\n  \"device\": ", VKMALLOC_VERSION_MAJOR,
            VKMALLOC_VERSION_MINOR, VKMALLOC_VERSION_PATCH);
    json_string(f, b->device);
    fprintf(f, ",\n  \"cpus\": %ld,\n  \"reference\": %s,\n  \"load_average_before\": ",
            sysconf(_SC_NPROCESSORS_ONLN), b->opt.reference ? "\"jemalloc\"" : "null");
    json_number(f, b->load >= 0.0 ? b->load : NAN);
    fputs(",\n  \"seconds_per_point\": ", f);
    json_number(f, b->opt.iterations ? NAN : b->opt.seconds);
    fprintf(f,
            ",\n  \"iterations_per_thread\": %" PRIu64 ",\n  \"runs_per_point\": %u,\n"
            "  \"seed\": %" PRIu64 ",\n",
            b->opt.iterations, b->opt.repeat, b->opt.seed);
    fputs("  \"points\": [", f);
    for (uint32_t k = 0; k < b->point_count; k++) {
        const point *pt = &b->points[k];
        fprintf(f,
                "%s\n    {\"workload\": \"%s\", \"threads\": %u, \"driver_calls\": %s,\n"
                "     \"default\": ",
                k ? "," : "", pt->w->name, pt->threads, pt->w->driver_calls ? "true" : "false");
        json_result(f, pt, BUILD_DEFAULT);
        fputs(",\n     \"single_mutex\": ", f);
        json_result(f, pt, BUILD_SINGLE);
        fputs(",\n     \"ratio_default_over_single\": ", f);
        json_number(f, ratio(pt));
        fputs(", \"scaling_default\": ", f);
        json_number(f, scaling(b, pt, BUILD_DEFAULT));
        fputs(", \"scaling_single_mutex\": ", f);
        json_number(f, scaling(b, pt, BUILD_SINGLE));
        fputs("}", f);
    }
    fputs("\n  ],\n  \"pair\": ", f);
    const point *pair = bench_find_point(b, &vkm_wl_pair, 1);
    if (pair == NULL) {
        fputs("null", f);
    } else {
        fputs("{\"default_ns\": ", f);
        json_number(f, pair->have[BUILD_DEFAULT] ? pair->r[BUILD_DEFAULT].ns_per_op : NAN);
        fputs(", \"single_mutex_ns\": ", f);
        json_number(f, pair->have[BUILD_SINGLE] ? pair->r[BUILD_SINGLE].ns_per_op : NAN);
        fputs(", \"single_mutex_over_default\": ", f);
        json_number(f, 1.0 / ratio(pair));
        fputs("}", f);
    }
    fputs("\n}\n", f);
}

/* ---- --smoke checks: shape, never time ---------------------------------------------- */

/* Percentiles present (the workload times single calls), finite and non-decreasing. */
static bool
percentiles_well_formed(const double *v)
{
    return isfinite(v[0]) && isfinite(v[1]) && isfinite(v[2]) && v[0] > 0.0 && v[0] <= v[1] &&
           v[1] <= v[2];
}

static bool
result_well_formed(const vkm_workload *w, const vkm_wl_result *r)
{
    const bool latency = w == &vkm_wl_latency;
    return r->ops > 0 && r->failures == 0 && isfinite(r->seconds) && r->seconds > 0.0 &&
           isfinite(r->ops_per_s) && r->ops_per_s > 0.0 && isfinite(r->ns_per_op) &&
           r->ns_per_op > 0.0 && isfinite(r->reserved_ratio) &&
           (r->reserved_ratio == 0.0 || r->reserved_ratio >= 1.0) &&
           isfinite(r->cached_bytes_per_thread) &&
           (!latency ||
            (percentiles_well_formed(r->alloc_ns) && percentiles_well_formed(r->free_ns))) &&
           (latency || (r->alloc_ns[0] == 0.0 && r->free_ns[0] == 0.0));
}

bool
bench_report_smoke_check(bench *b, const char *json, size_t json_len)
{
    bool ok = b->sibling_problems == 0;
    const bool want_sibling = b->opt.compare && b->self == BUILD_DEFAULT;
    for (uint32_t k = 0; k < b->point_count; k++) {
        const point *pt = &b->points[k];
        for (int build = 0; build < BUILD_COUNT; build++) {
            if (build != b->self && !want_sibling)
                continue;
            if (!pt->have[build] || !result_well_formed(pt->w, &pt->r[build])) {
                fprintf(stderr, "vkm_bench --smoke: %s at %u threads, %s build: %s\n", pt->w->name,
                        pt->threads, bench_build_label(b, build),
                        pt->have[build] ? "malformed result" : "missing");
                ok = false;
            }
        }
    }
    char err[256];
    vkm_json *root = vkm_json_parse(json, json_len, err, sizeof(err));
    const vkm_json *points = root != NULL ? vkm_json_get(root, "points") : NULL;
    if (points == NULL || points->type != VKM_JSON_ARRAY || points->count != b->point_count) {
        fprintf(stderr, "vkm_bench --smoke: JSON output malformed: %s\n",
                root == NULL ? err : "points");
        ok = false;
    }
    vkm_json_free(root);
    return ok;
}
