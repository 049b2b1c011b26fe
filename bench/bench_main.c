/* SPDX-License-Identifier: MIT */
/*
 * vkm_bench - contention benchmark driver (design.md §10): the workloads of wl.h at
 * several thread counts, for this build and, side by side, for the single-mutex build of
 * the same sources (vkm_bench_single_mutex, next to this executable), in the same run.
 *
 *   vkm_bench [--compare | --self] [--threads LIST] [--seconds S | --iterations N]
 *             [--repeat R] [--workloads LIST] [--seed N] [--json FILE] [--sibling PATH]
 *             [--memory-ops N]
 *   vkm_bench --smoke           tiny compare run; checks the output is well formed
 *   vkm_bench --machine ...     this build only, one line per run (what --compare reads)
 *
 * LIST: comma-separated, ranges allowed ("1,2,4", "1-16"); workloads: churn, frame,
 * handoff, transient, virtual, latency, stream, pair, or all. Default: --compare, threads
 * 1,2,4, all workloads (pair runs on
 * one thread only: the single-thread alloc+free latency), each point run R = 3 times for
 * S = 0.3 s per build and reported by its median run (the machine may be shared).
 * resv/alloc comes from a separate run of N = 65536 ops per thread (measure_memory; 0 =
 * the timed run's own figure).
 *
 * --compare runs one workload's points here, then the sibling's (posix_spawn, with
 * --machine --repeat 1, its stdout parsed), R times, alternating which build goes first,
 * then the next workload: a drift of the machine's speed biases neither build. Progress
 * goes to stderr, results to stdout (bench_report.c: the table, the JSON).
 * Exit status: 0; 1 on failure (a run failed, malformed sibling output, or --smoke found
 * the output malformed); 2 on bad arguments; 77 when there is no Vulkan driver.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "vkmalloc.h"

const char *const bench_build_names[BUILD_COUNT] = {"default", "single-mutex"};

const char *
bench_build_label(const bench *b, int build)
{
    return b->opt.reference && build == b->self ? "jemalloc" : bench_build_names[build];
}


static void
usage(FILE *f, const char *argv0)
{
    fprintf(f,
            "usage: %s [--compare | --self] [--threads LIST] [--seconds S | --iterations N]\n"
            "          [--repeat R] [--workloads LIST] [--seed N] [--json FILE] [--sibling PATH]\n"
            "          [--memory-ops N]: resv/alloc after N ops per thread (65536; 0: at the\n"
            "          end of the timed run)\n"
            "       %s --reference jemalloc [--threads ...]: the workloads on jemalloc's host\n"
            "          memory instead of vkmalloc (calibration: what each pattern costs a\n"
            "          thread-caching malloc here; not virtual or stream)\n"
            "       %s --smoke | --machine [...] | --help\n"
            "workloads:\n",
            argv0, argv0, argv0);
    for (size_t i = 0; vkm_wl_all[i] != NULL; i++)
        fprintf(f, "  %-8s %s\n", vkm_wl_all[i]->name, vkm_wl_all[i]->summary);
}

/* ---- arguments ---------------------------------------------------------------------- */

static bool
parse_u64(const char *s, uint64_t *out)
{
    if (s == NULL || *s < '0' || *s > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    *out = v;
    return true;
}

static bool
parse_double(const char *s, double *out)
{
    if (s == NULL || *s == '\0')
        return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || *end != '\0' || !isfinite(v))
        return false;
    *out = v;
    return true;
}

/* "1,2,4" or "1-16" or a mix. */
static bool
parse_threads(const char *s, options *o)
{
    o->thread_count = 0;
    char buf[256];
    if (strlen(s) >= sizeof(buf))
        return false;
    strcpy(buf, s);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        uint64_t lo, hi;
        char *dash = strchr(tok, '-');
        if (dash != NULL) {
            *dash = '\0';
            if (!parse_u64(tok, &lo) || !parse_u64(dash + 1, &hi))
                return false;
        } else if (!parse_u64(tok, &lo)) {
            return false;
        } else {
            hi = lo;
        }
        if (lo == 0 || hi < lo || hi > VKM_WL_MAX_THREADS)
            return false;
        for (uint64_t n = lo; n <= hi; n++) {
            if (o->thread_count == MAX_THREAD_COUNTS)
                return false;
            o->threads[o->thread_count++] = (uint32_t)n;
        }
    }
    return o->thread_count > 0;
}

static bool
parse_workloads(const char *s, options *o)
{
    o->workload_count = 0;
    if (strcmp(s, "all") == 0) {
        for (size_t i = 0; vkm_wl_all[i] != NULL; i++)
            o->workloads[o->workload_count++] = vkm_wl_all[i];
        return true;
    }
    char buf[256];
    if (strlen(s) >= sizeof(buf))
        return false;
    strcpy(buf, s);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        const vkm_workload *w = vkm_wl_find(tok);
        if (w == NULL || o->workload_count == sizeof(o->workloads) / sizeof(o->workloads[0])) {
            fprintf(stderr, "vkm_bench: unknown workload '%s'\n", tok);
            return false;
        }
        o->workloads[o->workload_count++] = w;
    }
    return o->workload_count > 0;
}

/* Returns 0 to go on, 1 after --help, 2 on bad arguments. */
static int
parse_args(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof(*o));
    o->compare = true;
    o->seconds = 0.3;
    o->repeat = 3;
    o->seed = 1;
    o->memory_ops = 65536;
    (void)parse_threads("1,2,4", o);
    (void)parse_workloads("all", o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool ok = true, takes_value = true;
        uint64_t r;
        if (strcmp(a, "--threads") == 0)
            ok = v != NULL && parse_threads(v, o);
        else if (strcmp(a, "--seconds") == 0)
            ok = parse_double(v, &o->seconds) && o->seconds > 0.0 && o->seconds < 3600.0;
        else if (strcmp(a, "--iterations") == 0)
            ok = parse_u64(v, &o->iterations) && o->iterations > 0;
        else if (strcmp(a, "--memory-ops") == 0)
            ok = parse_u64(v, &o->memory_ops);
        else if (strcmp(a, "--workloads") == 0)
            ok = (o->workloads_given = v != NULL) && parse_workloads(v, o);
        else if (strcmp(a, "--reference") == 0)
            ok = (o->reference = v != NULL && strcmp(v, "jemalloc") == 0);
        else if (strcmp(a, "--seed") == 0)
            ok = parse_u64(v, &o->seed);
        else if (strcmp(a, "--repeat") == 0) {
            ok = parse_u64(v, &r) && r >= 1 && r <= MAX_REPEAT;
            o->repeat = ok ? (uint32_t)r : o->repeat;
        } else if (strcmp(a, "--json") == 0)
            ok = (o->json_path = v) != NULL;
        else if (strcmp(a, "--sibling") == 0)
            ok = (o->sibling = v) != NULL;
        else {
            takes_value = false;
            if (strcmp(a, "--compare") == 0) {
                o->compare = true;
            } else if (strcmp(a, "--self") == 0) {
                o->compare = false;
            } else if (strcmp(a, "--machine") == 0) {
                o->machine = true;
                o->compare = false;
            } else if (strcmp(a, "--smoke") == 0) {
                o->smoke = true;
                o->compare = true;
                o->seconds = 0.05;
                o->iterations = 0;
                o->memory_ops = 1024;
                o->repeat = 1;
                (void)parse_threads("1,2", o);
            } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
                usage(stdout, argv[0]);
                return 1;
            } else {
                ok = false;
            }
        }
        if (!ok) {
            fprintf(stderr, "vkm_bench: bad argument '%s%s%s'\n", a, takes_value ? " " : "",
                    takes_value && v != NULL ? v : "");
            usage(stderr, argv[0]);
            return 2;
        }
        i += takes_value ? 1 : 0;
    }
    if (o->machine && (o->smoke || o->json_path != NULL)) {
        fprintf(stderr, "vkm_bench: --machine goes alone (it is what --compare reads)\n");
        return 2;
    }
    if (o->reference) {
        if (o->machine) {
            fprintf(stderr, "vkm_bench: --reference runs this process only\n");
            return 2;
        }
        o->compare = false;
        uint32_t kept = 0;
        for (uint32_t i = 0; i < o->workload_count; i++) {
            if (o->workloads[i]->host_reference_ok) {
                o->workloads[kept++] = o->workloads[i];
            } else if (o->workloads_given) {
                fprintf(stderr, "vkm_bench: %s calls vkmalloc itself: no --reference run\n",
                        o->workloads[i]->name);
                return 2;
            }
        }
        o->workload_count = kept;
    }
    return 0;
}

/* ---- points ------------------------------------------------------------------------- */

/* pair measures single-thread latency: one point, at one thread. */

static void
make_points(bench *b)
{
    for (uint32_t i = 0; i < b->opt.workload_count; i++) {
        const vkm_workload *w = b->opt.workloads[i];
        for (uint32_t j = 0; j < b->opt.thread_count; j++) {
            const uint32_t n = w->single_thread ? 1 : b->opt.threads[j];
            bool dup = false;
            for (uint32_t k = 0; k < b->point_count; k++)
                dup |= b->points[k].w == w && b->points[k].threads == n;
            if (!dup && b->point_count < MAX_POINTS)
                b->points[b->point_count++] = (point){.w = w, .threads = n};
        }
    }
}

point *
bench_find_point(bench *b, const vkm_workload *w, uint32_t threads)
{
    for (uint32_t k = 0; k < b->point_count; k++)
        if (b->points[k].w == w && b->points[k].threads == threads)
            return &b->points[k];
    return NULL;
}

/*
 * resv/alloc at equal op counts. A timed run ends wherever the clock stops it: the
 * default build does 10 - 300 times the single-mutex build's ops in the same time, so the
 * two builds' last live sets differ, and with them allocationBytes (churn at one thread:
 * about 70 MB of 256 KiB - 4 MiB ranges live, give or take 15 % from run to run). So a
 * timed run also makes, once per point and build, a run of opt.memory_ops ops per thread
 * (65536; 1024 with --smoke) from
 * the same seed, and reports that run's ratio: every thread's sequence of requests is its
 * own generator's, so in churn both builds then end with the same live allocations and
 * only what they reserve for them differs. Later repetitions repeat the first one's
 * figure (the run is deterministic in what it allocates). With --iterations the timed
 * runs already end at equal op counts and nothing is added.
 */
static bool
measure_memory(bench *b, const point *pt, const vkm_wl_params *timed, vkm_wl_result *r)
{
    if (timed->iterations != 0 || timed->host_reference || b->opt.memory_ops == 0)
        return true;
    if (pt->runs[b->self] > 1) {
        r->reserved_ratio = pt->run[b->self][0].reserved_ratio;
        return true;
    }
    vkm_wl_params p = *timed;
    p.iterations = b->opt.memory_ops;
    vkm_wl_result m = {0};
    if (vkm_wl_run(&b->dev, pt->w, &p, &m) != VK_SUCCESS) {
        fprintf(stderr, "vkm_bench: %s at %u threads: the equal-ops memory run failed\n",
                pt->w->name, pt->threads);
        return false;
    }
    r->reserved_ratio = m.reserved_ratio;
    r->failures += m.failures;
    return true;
}

static VkResult
run_point(bench *b, point *pt)
{
    const vkm_wl_params p = {
        .threads = pt->threads,
        .seconds = b->opt.seconds,
        .iterations = b->opt.iterations,
        .seed = b->opt.seed,
        .host_reference = b->opt.reference,
    };
    if (pt->runs[b->self] == MAX_REPEAT)
        return VK_ERROR_VALIDATION_FAILED_EXT;
    vkm_wl_result *r = &pt->run[b->self][pt->runs[b->self]];
    VkResult res = vkm_wl_run(&b->dev, pt->w, &p, r);
    if (res != VK_SUCCESS) {
        fprintf(stderr, "vkm_bench: %s at %u threads failed (%d)\n", pt->w->name, pt->threads, res);
        return res;
    }
    pt->runs[b->self]++;
    if (!measure_memory(b, pt, &p, r))
        return VK_ERROR_VALIDATION_FAILED_EXT;
    fprintf(stderr, "  %-8s %3u threads  %-12s %12.0f ops/s  %8.1f ns/op/thread%s\n", pt->w->name,
            pt->threads, bench_build_label(b, b->self), r->ops_per_s, r->ns_per_op,
            r->failures != 0 ? "  FAILURES" : "");
    return VK_SUCCESS;
}

/* The reported run of each build: the median by ops/s (the lower one of an even count),
 * so one run disturbed by another process on the machine does not set the figure. */
static void
choose_medians(bench *b)
{
    for (uint32_t k = 0; k < b->point_count; k++) {
        point *pt = &b->points[k];
        for (int build = 0; build < BUILD_COUNT; build++) {
            const uint32_t n = pt->runs[build];
            uint32_t order[MAX_REPEAT];
            for (uint32_t i = 0; i < n; i++) {
                uint32_t j = i;
                for (;
                     j > 0 && pt->run[build][order[j - 1]].ops_per_s > pt->run[build][i].ops_per_s;
                     j--)
                    order[j] = order[j - 1];
                order[j] = i;
            }
            pt->have[build] = n > 0;
            if (n > 0)
                pt->r[build] = pt->run[build][order[(n - 1) / 2]];
        }
    }
}

/* ---- the machine-readable lines (--machine) and their reader ------------------------ */

static void
print_machine_header(FILE *f, const bench *b)
{
    fprintf(f, "vkm_bench %d build=%s\n", MACHINE_FORMAT, bench_build_names[b->self]);
}

static void
print_machine_point(FILE *f, const point *pt, const vkm_wl_result *r)
{
    fprintf(f,
            "point workload=%s threads=%u ops=%" PRIu64 " seconds=%.9g ops_per_s=%.9g "
            "ns_per_op=%.9g device_allocs=%" PRIu64 " device_frees=%" PRIu64
            " reserved_ratio=%.9g cached_bytes_per_thread=%.9g failures=%" PRIu64
            " alloc_p50=%.9g alloc_p99=%.9g alloc_p999=%.9g free_p50=%.9g free_p99=%.9g"
            " free_p999=%.9g\n",
            pt->w->name, pt->threads, r->ops, r->seconds, r->ops_per_s, r->ns_per_op,
            r->device_allocs, r->device_frees, r->reserved_ratio, r->cached_bytes_per_thread,
            r->failures, r->alloc_ns[0], r->alloc_ns[1], r->alloc_ns[2], r->free_ns[0],
            r->free_ns[1], r->free_ns[2]);
}

/* Value of `key` among the line's space-separated key=value tokens, copied into out. */
static bool
line_value(const char *line, const char *key, char *out, size_t outlen)
{
    const size_t klen = strlen(key);
    for (const char *p = line; *p != '\0';) {
        while (*p == ' ')
            p++;
        const char *end = p;
        while (*end != '\0' && *end != ' ')
            end++;
        if ((size_t)(end - p) > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
            const size_t n = (size_t)(end - p) - klen - 1;
            if (n == 0 || n >= outlen)
                return false;
            memcpy(out, p + klen + 1, n);
            out[n] = '\0';
            return true;
        }
        p = end;
    }
    return false;
}

static bool
line_u64(const char *line, const char *key, uint64_t *out)
{
    char v[64];
    return line_value(line, key, v, sizeof(v)) && parse_u64(v, out);
}

static bool
line_double(const char *line, const char *key, double *out)
{
    char v[64];
    return line_value(line, key, v, sizeof(v)) && parse_double(v, out) && *out >= 0.0;
}

/* One "point ..." line of the sibling into b's point of that workload and thread count. */
static bool
parse_point_line(bench *b, const char *line, int build)
{
    char name[32];
    uint64_t threads;
    vkm_wl_result r = {0};
    if (!line_value(line, "workload", name, sizeof(name)) || !line_u64(line, "threads", &threads) ||
        !line_u64(line, "ops", &r.ops) || !line_double(line, "seconds", &r.seconds) ||
        !line_double(line, "ops_per_s", &r.ops_per_s) ||
        !line_double(line, "ns_per_op", &r.ns_per_op) ||
        !line_u64(line, "device_allocs", &r.device_allocs) ||
        !line_u64(line, "device_frees", &r.device_frees) ||
        !line_double(line, "reserved_ratio", &r.reserved_ratio) ||
        !line_double(line, "cached_bytes_per_thread", &r.cached_bytes_per_thread) ||
        !line_u64(line, "failures", &r.failures) ||
        !line_double(line, "alloc_p50", &r.alloc_ns[0]) ||
        !line_double(line, "alloc_p99", &r.alloc_ns[1]) ||
        !line_double(line, "alloc_p999", &r.alloc_ns[2]) ||
        !line_double(line, "free_p50", &r.free_ns[0]) ||
        !line_double(line, "free_p99", &r.free_ns[1]) ||
        !line_double(line, "free_p999", &r.free_ns[2]))
        return false;
    const vkm_workload *w = vkm_wl_find(name);
    point *pt = w != NULL && threads <= VKM_WL_MAX_THREADS
                    ? bench_find_point(b, w, (uint32_t)threads)
                    : NULL;
    if (pt == NULL || pt->runs[build] == MAX_REPEAT)
        return false;
    pt->run[build][pt->runs[build]++] = r;
    return true;
}

/* Checks the sibling's whole output: header, point lines, end line with their count. */
static bool
parse_machine_output(bench *b, char *text, int build)
{
    bool header = false, end = false;
    uint64_t points = 0, declared = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char want[64];
        snprintf(want, sizeof(want), "vkm_bench %d build=%s", MACHINE_FORMAT,
                 bench_build_names[build]);
        if (!header) {
            if (strcmp(line, want) != 0) {
                fprintf(stderr, "vkm_bench: sibling header '%s', expected '%s'\n", line, want);
                return false;
            }
            header = true;
        } else if (end) {
            fprintf(stderr, "vkm_bench: sibling wrote past its end line: '%s'\n", line);
            return false;
        } else if (strncmp(line, "point ", 6) == 0) {
            if (!parse_point_line(b, line, build)) {
                fprintf(stderr, "vkm_bench: malformed sibling line '%s'\n", line);
                return false;
            }
            points++;
        } else if (strncmp(line, "end ", 4) == 0 && line_u64(line, "points", &declared)) {
            end = true;
        } else {
            fprintf(stderr, "vkm_bench: unexpected sibling line '%s'\n", line);
            return false;
        }
    }
    if (!end || declared != points) {
        fprintf(stderr, "vkm_bench: sibling output ended early (%" PRIu64 " points)\n", points);
        return false;
    }
    return true;
}

/* ---- the sibling -------------------------------------------------------------------- */

static bool
sibling_path(const bench *b, char *out, size_t outlen)
{
    int len;
    if (b->opt.sibling != NULL) {
        len = snprintf(out, outlen, "%s", b->opt.sibling);
        return len > 0 && (size_t)len < outlen && access(out, X_OK) == 0;
    }
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        return false;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash == NULL)
        return false;
    *slash = '\0';
    len = snprintf(out, outlen, "%s/%s", self, SIBLING_NAME);
    return len > 0 && (size_t)len < outlen && access(out, X_OK) == 0;
}

/* Runs the sibling on one workload's points (posix_spawn, stdout through a pipe) and
 * reads its results into b. */
static bool
run_sibling(bench *b, const char *path, const vkm_workload *w)
{
    char threads[512] = "", seconds[64], iterations[64], seed[64], memory_ops[64];
    for (uint32_t i = 0; i < b->opt.thread_count; i++) {
        size_t len = strlen(threads);
        snprintf(threads + len, sizeof(threads) - len, "%s%u", i ? "," : "", b->opt.threads[i]);
    }
    snprintf(seconds, sizeof(seconds), "%.9g", b->opt.seconds);
    snprintf(iterations, sizeof(iterations), "%" PRIu64, b->opt.iterations);
    snprintf(seed, sizeof(seed), "%" PRIu64, b->opt.seed);
    /* The sibling is a new process per repetition: only the first makes the memory run,
     * the later ones get its figure below (as measure_memory does for this build). */
    bool first = true;
    for (uint32_t k = 0; k < b->point_count; k++)
        first &= b->points[k].w != w || b->points[k].runs[BUILD_SINGLE] == 0;
    snprintf(memory_ops, sizeof(memory_ops), "%" PRIu64, first ? b->opt.memory_ops : 0);
    char *argv[18];
    int argc = 0;
    argv[argc++] = (char *)path;
    argv[argc++] = "--machine";
    argv[argc++] = "--workloads";
    argv[argc++] = (char *)w->name;
    argv[argc++] = "--threads";
    argv[argc++] = threads;
    argv[argc++] = b->opt.iterations ? "--iterations" : "--seconds";
    argv[argc++] = b->opt.iterations ? iterations : seconds;
    argv[argc++] = "--seed";
    argv[argc++] = seed;
    argv[argc++] = "--repeat";
    argv[argc++] = "1";
    argv[argc++] = "--memory-ops";
    argv[argc++] = memory_ops;
    argv[argc] = NULL;
    uint32_t before[MAX_POINTS];
    for (uint32_t k = 0; k < b->point_count; k++)
        before[k] = b->points[k].runs[BUILD_SINGLE];

    int fds[2];
    if (pipe(fds) != 0) {
        perror("vkm_bench: pipe");
        return false;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    fflush(NULL);
    pid_t pid;
    /* The environment goes along: the driver choice and VKM_TEST_VALIDATION=0. */
    int err = posix_spawn(&pid, path, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (err != 0) {
        fprintf(stderr, "vkm_bench: cannot start %s: %s\n", path, strerror(err));
        close(fds[0]);
        return false;
    }

    size_t len = 0, cap = 4096;
    char *text = malloc(cap);
    for (;;) {
        if (text != NULL && len + 1 == cap) {
            char *grown = realloc(text, cap * 2);
            if (grown == NULL) {
                free(text);
                text = NULL;
            } else {
                text = grown;
                cap *= 2;
            }
        }
        char sink[4096];
        ssize_t n = text != NULL ? read(fds[0], text + len, cap - 1 - len)
                                 : read(fds[0], sink, sizeof(sink));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += text != NULL ? (size_t)n : 0;
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (text == NULL) {
        fprintf(stderr, "vkm_bench: out of memory reading the sibling\n");
        return false;
    }
    text[len] = '\0';
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!ok)
        fprintf(stderr, "vkm_bench: %s exited with status %d\n", path,
                WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    else
        ok = parse_machine_output(b, text, BUILD_SINGLE);
    free(text);
    /* Exactly one new run for each of the workload's points, none for the others. */
    for (uint32_t k = 0; ok && k < b->point_count; k++) {
        if (b->points[k].runs[BUILD_SINGLE] != before[k] + (b->points[k].w == w ? 1u : 0u)) {
            fprintf(stderr, "vkm_bench: the sibling's points do not match ours (%s, %u threads)\n",
                    b->points[k].w->name, b->points[k].threads);
            ok = false;
        }
    }
    for (uint32_t k = 0; ok && !first && k < b->point_count; k++) {
        point *pt = &b->points[k];
        if (pt->w == w)
            pt->run[BUILD_SINGLE][pt->runs[BUILD_SINGLE] - 1].reserved_ratio =
                pt->run[BUILD_SINGLE][0].reserved_ratio;
    }
    return ok;
}

/* ---- main --------------------------------------------------------------------------- */

static int
run_all(bench *b)
{
    char path[4096];
    bool sibling = false;
    if (b->opt.compare && b->self == BUILD_DEFAULT) {
        sibling = sibling_path(b, path, sizeof(path));
        if (!sibling) {
            fprintf(stderr,
                    "vkm_bench: %s not found next to this executable: the "
                    "single-mutex columns stay empty\n",
                    SIBLING_NAME);
            b->sibling_problems += b->opt.smoke ? 1 : 0;
        }
    } else if (b->opt.compare) {
        fprintf(stderr, "vkm_bench: this is the single-mutex build (VKMALLOC_SINGLE_MUTEX=ON): "
                        "nothing to compare with\n");
    }
    /* Repetitions alternate which build goes first, so neither always runs after the
     * other (a machine that slows down or speeds up over time biases neither). */
    for (uint32_t i = 0; i < b->opt.workload_count; i++) {
        const vkm_workload *w = b->opt.workloads[i];
        for (uint32_t rep = 0; rep < b->opt.repeat; rep++) {
            for (int half = 0; half < 2; half++) {
                if ((half == 0) == (rep % 2 == 0)) {
                    for (uint32_t k = 0; k < b->point_count; k++)
                        if (b->points[k].w == w && run_point(b, &b->points[k]) != VK_SUCCESS)
                            return 1;
                } else if (sibling) {
                    b->sibling_problems += run_sibling(b, path, w) ? 0 : 1;
                }
            }
        }
    }
    return 0;
}

int
main(int argc, char **argv)
{
    static bench b; /* large: not on the stack */
    int rc = parse_args(argc, argv, &b.opt);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    b.self = vkmIsSingleMutexBuild() ? BUILD_SINGLE : BUILD_DEFAULT;
    if (b.opt.reference && !vkm_wl_host_reference_available()) {
        fprintf(stderr, "vkm_bench: jemalloc is not in this process (a sanitizer or libc build): "
                        "no --reference run\n");
        return 77;
    }
    make_points(&b);

    /* Before anything of ours runs: what else is loading the machine. */
    double load[1];
    b.load = getloadavg(load, 1) == 1 ? load[0] : -1.0;
    if (!b.opt.machine && bench_report_busy(&b))
        fprintf(stderr,
                "vkm_bench: load average %.2f on %ld CPUs: other processes are running, "
                "the numbers will be noisy\n",
                b.load, sysconf(_SC_NPROCESSORS_ONLN));

    VkResult res = vkm_wl_device_create(&b.dev);
    if (res == VK_ERROR_INCOMPATIBLE_DRIVER) {
        fprintf(stderr, "vkm_bench: no Vulkan driver found\n");
        return 77;
    }
    if (res != VK_SUCCESS) {
        fprintf(stderr, "vkm_bench: device creation failed (%d)\n", res);
        return 1;
    }
    snprintf(b.device, sizeof(b.device), "%s", b.dev.vk.props.deviceName);

    if (b.opt.machine) {
        print_machine_header(stdout, &b);
        uint32_t lines = 0;
        for (uint32_t rep = 0; rep < b.opt.repeat; rep++) {
            for (uint32_t k = 0; k < b.point_count && rc == 0; k++, lines++) {
                point *pt = &b.points[k];
                if (run_point(&b, pt) != VK_SUCCESS)
                    rc = 1;
                else
                    print_machine_point(stdout, pt, &pt->run[b.self][pt->runs[b.self] - 1]);
            }
        }
        if (rc == 0)
            printf("end points=%u\n", lines);
        vkm_wl_device_destroy(&b.dev);
        return rc;
    }

    rc = run_all(&b);
    vkm_wl_device_destroy(&b.dev);
    if (rc != 0)
        return rc;
    choose_medians(&b);
    fflush(stderr);
    printf("\n");
    bench_report_table(&b);

    char *json = NULL;
    size_t json_len = 0;
    FILE *mem = open_memstream(&json, &json_len);
    if (mem == NULL) {
        perror("vkm_bench: open_memstream");
        return 1;
    }
    bench_report_json(mem, &b);
    fclose(mem);
    if (b.opt.json_path != NULL) {
        FILE *f = fopen(b.opt.json_path, "w");
        if (f == NULL || fwrite(json, 1, json_len, f) != json_len || fclose(f) != 0) {
            fprintf(stderr, "vkm_bench: cannot write %s: %s\n", b.opt.json_path, strerror(errno));
            rc = 1;
        }
    }
    if (b.opt.smoke) {
        if (bench_report_smoke_check(&b, json, json_len)) {
            printf("\nvkm_bench --smoke: output well formed\n");
        } else {
            rc = 1;
        }
    } else if (b.sibling_problems != 0) {
        rc = 1;
    }
    free(json);
    return rc;
}
