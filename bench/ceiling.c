/* SPDX-License-Identifier: MIT */
/*
 * ceiling.c - vkm_ceiling: what this machine gives for work that shares nothing, so
 * vkm_bench's scaling figures can be read against the machine and not against N.
 *
 *   vkm_ceiling [--threads LIST] [--seconds S]      (defaults 1,2,4,8,16 and 0.5)
 *
 * Each thread runs dependent random read-modify-writes over a private table, for three
 * table sizes: 32 KiB (L1: the core's clock alone, which turbo lowers as more cores
 * run), 1 MiB (L2) and 8 MiB (past a per-core share of L3 at 16 threads: the shared
 * cache and memory). No line is shared between threads: a scaling below N here is the
 * machine's (clock, shared caches, memory), and caps what any allocator can reach.
 * Prints, per size and thread count, operations per second and N-thread / 1-thread.
 *
 * A second table (ceiling_pass.c) does the same for vkm_bench's handoff and frame
 * shapes with nothing in them but what crossing threads must move: a record's line and
 * one atomic OR per free. Their scaling caps what any allocator reaches in those two.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ceiling.h"
#include "clock.h"

#define MAX_THREADS 256

typedef struct worker {
    _Alignas(64) uint64_t ops;
    size_t words; /* power of two */
    uint64_t seed;
    atomic_int *stop;
    atomic_uint *ready;
    double sink;
} worker;

static void *
work(void *arg)
{
    worker *w = arg;
    uint64_t *table = aligned_alloc(64, w->words * sizeof(uint64_t));
    if (table == NULL)
        return NULL;
    for (size_t i = 0; i < w->words; i++)
        table[i] = i * 0x9E3779B97F4A7C15ull;
    const size_t mask = w->words - 1;
    uint64_t x = w->seed | 1u, ops = 0;
    atomic_fetch_add(w->ready, 1);
    while (atomic_load_explicit(w->stop, memory_order_relaxed) == 0) {
        for (int i = 0; i < 1024; i++) {
            /* the next index depends on the loaded value: one access at a time */
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            uint64_t *p = &table[(x ^ table[x & mask]) & mask];
            *p += x;
        }
        ops += 1024;
    }
    w->ops = ops;
    w->sink = (double)table[x & mask];
    free(table);
    return NULL;
}

/* ops/s of n threads over `words`-word tables, for `seconds` */
static double
run(uint32_t n, size_t words, double seconds)
{
    worker *ws = aligned_alloc(64, n * sizeof(worker));
    pthread_t *tids = calloc(n, sizeof(*tids));
    atomic_int stop = 0;
    atomic_uint ready = 0;
    if (ws == NULL || tids == NULL) {
        free(ws);
        free(tids);
        return 0.0;
    }
    uint32_t created = 0;
    for (; created < n; created++) {
        ws[created] = (worker){.words = words,
                               .seed = 0x2545F4914F6CDD1Dull * (created + 1),
                               .stop = &stop,
                               .ready = &ready};
        if (pthread_create(&tids[created], NULL, work, &ws[created]) != 0)
            break;
    }
    while (atomic_load(&ready) < created)
        ;
    const double t0 = vkm_bench_now_s();
    struct timespec ts = {.tv_sec = (time_t)seconds,
                          .tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9)};
    nanosleep(&ts, NULL);
    atomic_store(&stop, 1);
    double total = 0.0;
    for (uint32_t i = 0; i < created; i++) {
        pthread_join(tids[i], NULL);
        total += (double)ws[i].ops;
    }
    const double t1 = vkm_bench_now_s();
    free(ws);
    free(tids);
    return created == n ? total / (t1 - t0) : 0.0;
}

int
main(int argc, char **argv)
{
    uint32_t threads[64] = {1, 2, 4, 8, 16};
    uint32_t count = 5;
    double seconds = 0.5;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
            seconds = strtod(argv[++i], NULL);
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            count = 0;
            for (char *s = argv[++i], *end; *s != '\0' && count < 64; s = *end ? end + 1 : end) {
                long v = strtol(s, &end, 10);
                if (end == s || v < 1 || v > MAX_THREADS)
                    break;
                threads[count++] = (uint32_t)v;
            }
        } else {
            fprintf(stderr, "usage: %s [--threads 1,2,4,...] [--seconds S]\n", argv[0]);
            return 2;
        }
    }
    if (count == 0 || !(seconds > 0.0) || seconds > 60.0) {
        fprintf(stderr, "%s: bad --threads or --seconds\n", argv[0]);
        return 2;
    }
    static const struct {
        const char *name;
        size_t bytes;
    } sizes[] = {{"32KiB", 32u << 10}, {"1MiB", 1u << 20}, {"8MiB", 8u << 20}};
    int rc = 0;
    printf("table  threads        ops/s  scaling  per-thread\n");
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        double one = 0.0;
        for (uint32_t i = 0; i < count; i++) {
            const double r = run(threads[i], sizes[s].bytes / sizeof(uint64_t), seconds);
            if (threads[i] == 1)
                one = r;
            if (!(r > 0.0))
                rc = 1; /* a thread could not start or its table not be allocated */
            printf("%-6s %7u %12.4g %8.2f %11.2f\n", sizes[s].name, threads[i], r,
                   one > 0.0 ? r / one : 0.0, one > 0.0 ? r / one / threads[i] : 0.0);
        }
    }

    static const struct {
        const char *name;
        vkm_ceiling_shape shape;
    } shapes[] = {{"handoff", VKM_CEILING_HANDOFF}, {"frame", VKM_CEILING_FRAME}};
    printf("\nthe least a free on another thread moves: a 64-byte record and one atomic OR\n");
    printf("shape   threads   records/s  scaling  per-thread\n");
    for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
        double one = 0.0;
        for (uint32_t i = 0; i < count; i++) {
            if (shapes[s].shape == VKM_CEILING_HANDOFF && threads[i] > 1 && threads[i] % 2u) {
                printf("%-7s %7u %11s %8s %11s\n", shapes[s].name, threads[i], "-", "-", "-");
                continue; /* pairs */
            }
            bool ok;
            const double r = vkm_ceiling_pass(shapes[s].shape, threads[i], seconds, &ok);
            if (threads[i] == 1)
                one = r;
            if (!ok || !(r > 0.0))
                rc = 1;
            printf("%-7s %7u %11.4g %8.2f %11.2f\n", shapes[s].name, threads[i], r,
                   one > 0.0 ? r / one : 0.0, one > 0.0 ? r / one / threads[i] : 0.0);
        }
    }
    return rc;
}
