/* SPDX-License-Identifier: MIT */
/*
 * fuzz_tlsf.c - libFuzzer target for the TLSF range allocator (src/tlsf.c).
 *
 * Build and run (from the repository root; not part of the CMake build):
 *   clang -std=c11 -D_DEFAULT_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Isrc -Iinclude src/tlsf.c src/host_alloc.c src/debug.c tests/fuzz/fuzz_tlsf.c -o /tmp/fuzz_tlsf && /tmp/fuzz_tlsf -max_total_time=60
 *
 * Input: 3 header bytes choose the capacity and bufferImageGranularity, then each op is
 * an opcode byte plus parameters: allocate (size, alignment, kind, strategy), free a live
 * range, clear, or make the host allocator fail after a few more allocations. After
 * every step the allocator must agree with a sorted model of the live ranges: no
 * overlap, offsets aligned, ranges within capacity, no granularity conflict on a shared
 * page, counters equal, a visit equal to the model, NO_SPACE only when no free gap fits
 * (except MIN_TIME, which may give up early), MIN_OFFSET at the lowest fit, MIN_MEMORY in
 * the smallest fitting gap, NO_HOST_MEMORY leaving everything unchanged, and
 * vkm_tlsf_validate() true.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsf.h"

#define MAX_OPS 2048
#define MAX_LIVE 4096

#include "fuzz_common.h"

/* ---- model ------------------------------------------------------------------------------ */

typedef struct live_range {
    uint64_t offset, size;
    vkm_range_kind kind;
    uintptr_t token;
} live_range;

static live_range live[MAX_LIVE];
static size_t live_n;
static uint64_t live_bytes, capacity, granularity;

static size_t
lower_bound(uint64_t offset)
{
    size_t lo = 0, hi = live_n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (live[mid].offset < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Any live range sharing a page with [off, off + sz) whose kind conflicts? */
static int
conflicts(uint64_t off, uint64_t sz, vkm_range_kind kind)
{
    if (granularity <= 1)
        return 0;
    uint64_t g = granularity, first = off / g, last = (off + sz - 1) / g;
    size_t i = lower_bound(off);
    for (size_t j = i; j-- > 0;) {
        if ((live[j].offset + live[j].size - 1) / g < first)
            break;
        if (vkm_range_kinds_conflict(live[j].kind, kind))
            return 1;
    }
    for (size_t j = i; j < live_n && live[j].offset / g <= last; j++)
        if (vkm_range_kinds_conflict(live[j].kind, kind))
            return 1;
    return 0;
}

static uint64_t
lowest_fit(const vkm_range_request *r, uint64_t *best_gap)
{
    uint64_t lowest = VKM_NO_OFFSET;
    *best_gap = UINT64_MAX;
    uint64_t a = r->alignment > granularity ? r->alignment : granularity;
    for (size_t i = 0; i <= live_n; i++) {
        uint64_t gs = i == 0 ? 0 : live[i - 1].offset + live[i - 1].size;
        uint64_t ge = i == live_n ? capacity : live[i].offset;
        if (ge - gs < r->size)
            continue;
        uint64_t cand[2] = {gs + ((0u - gs) & (r->alignment - 1)), gs + ((0u - gs) & (a - 1))};
        for (int k = 0; k < 2; k++) {
            uint64_t s = cand[k];
            if (s < gs || s > ge || ge - s < r->size || conflicts(s, r->size, r->kind))
                continue;
            if (lowest == VKM_NO_OFFSET)
                lowest = s;
            if (ge - gs < *best_gap)
                *best_gap = ge - gs;
            break;
        }
    }
    return lowest;
}

static uint64_t
gap_around(uint64_t off)
{
    size_t i = lower_bound(off);
    uint64_t gs = i == 0 ? 0 : live[i - 1].offset + live[i - 1].size;
    uint64_t ge = i == live_n ? capacity : live[i].offset;
    return ge - gs;
}

#define CHECK(cond)                                                                      \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "fuzz_tlsf: check failed: %s (line %d)\n", #cond, __LINE__); \
            abort();                                                                     \
        }                                                                                \
    } while (0)

typedef struct visit_state {
    size_t next;
    uint64_t end;
    int prev_free;
} visit_state;

static void
visit_cb(void *ctx, uint64_t offset, uint64_t sz, vkm_range_kind kind, void *user)
{
    visit_state *v = ctx;
    CHECK(offset == v->end && sz > 0);
    v->end = offset + sz;
    if (kind == VKM_RANGE_FREE) {
        CHECK(!v->prev_free && user == NULL);
        v->prev_free = 1;
        return;
    }
    v->prev_free = 0;
    CHECK(v->next < live_n);
    const live_range *lr = &live[v->next++];
    CHECK(lr->offset == offset && lr->size == sz && lr->kind == kind &&
          (uintptr_t)user == lr->token);
}

static void
check_all(const vkm_tlsf *t)
{
    CHECK(vkm_tlsf_validate(t));
    CHECK(vkm_tlsf_alloc_count(t) == live_n);
    CHECK(vkm_tlsf_free_bytes(t) == capacity - live_bytes);
    CHECK(vkm_tlsf_is_empty(t) == (live_n == 0));
    visit_state v = {0, 0, 0};
    vkm_tlsf_visit(t, visit_cb, &v);
    CHECK(v.next == live_n && v.end == capacity);
    vkm_range_stats st;
    vkm_tlsf_stats(t, &st);
    CHECK(st.alloc_count == live_n && st.alloc_bytes == live_bytes);
    CHECK(st.alloc_bytes + st.free_bytes == capacity);
    uint64_t bound = vkm_tlsf_largest_free_bound(t);
    CHECK(bound >= st.free_max && bound - st.free_max <= st.free_max / 32);
}

/* ---- driver ------------------------------------------------------------------------------ */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    input in = {data, size};
    uint8_t h0 = byte(&in), h1 = byte(&in), h2 = byte(&in);
    capacity = (1ull << (h0 % 24)) + (uint64_t)h1 * 97u;
    if (h0 >= 240)
        capacity = UINT64_MAX - h1; /* huge ranges: overflow paths */
    granularity = (h2 & 0x80) ? 1 : 1ull << (h2 % 14);

    host_ctx hc = {-1, 0};
    VkAllocationCallbacks cb;
    memset(&cb, 0, sizeof(cb));
    cb.pUserData = &hc;
    cb.pfnAllocation = host_alloc_cb;
    cb.pfnFree = host_free_cb;
    vkm_host_alloc ha;
    vkm_host_alloc_init(&ha, &cb);

    vkm_tlsf *t = NULL;
    if (vkm_tlsf_create(&ha, capacity, granularity, &t) != VKM_RANGE_OK)
        return 0;
    live_n = 0;
    live_bytes = 0;
    uintptr_t next_token = 1;

    for (int op = 0; op < MAX_OPS && in.n > 0; op++) {
        uint8_t code = byte(&in);
        switch (code % 8) {
        case 0:
        case 1:
        case 2:
        case 3: { /* allocate */
            uint8_t s0 = byte(&in), s1 = byte(&in), sa = byte(&in);
            vkm_range_request r = {0};
            r.size = ((uint64_t)s0 | (uint64_t)s1 << 8) + 1u;
            r.size <<= (sa >> 5) * 3u; /* up to << 21 */
            if (capacity > (1ull << 40) && (code & 0x40))
                r.size = capacity - ((uint64_t)s0 << 8); /* near-capacity sizes */
            r.alignment = 1ull << (sa & 0x1f) % 24u;
            if ((code & 0xc0) == 0xc0)
                r.alignment = 1ull << (40u + (sa & 0x17));
            r.kind = (vkm_range_kind)(1u + (code >> 3) % 5u);
            r.strategy = (vkm_range_strategy)(code % 4u);
            r.user = (void *)next_token;
            if (r.size == 0)
                r.size = 1;

            vkm_range_stats before;
            vkm_tlsf_stats(t, &before);
            uint64_t off = 12345;
            vkm_range_status st = vkm_tlsf_alloc(t, &r, &off);
            uint64_t best_gap;
            uint64_t lowest = lowest_fit(&r, &best_gap);
            if (st == VKM_RANGE_OK) {
                CHECK(off % r.alignment == 0);
                CHECK(off < capacity && r.size <= capacity - off);
                CHECK(!conflicts(off, r.size, r.kind));
                if (r.strategy == VKM_RANGE_STRATEGY_MIN_OFFSET)
                    CHECK(off == lowest);
                if (r.strategy == VKM_RANGE_STRATEGY_MIN_MEMORY)
                    CHECK(gap_around(off) == best_gap);
                size_t i = lower_bound(off);
                CHECK(i == 0 || live[i - 1].offset + live[i - 1].size <= off);
                CHECK(i == live_n || off + r.size <= live[i].offset);
                if (live_n == MAX_LIVE) {
                    vkm_tlsf_free(t, off); /* keep the model bounded */
                    break;
                }
                memmove(&live[i + 1], &live[i], (live_n - i) * sizeof(live[0]));
                live[i] = (live_range){off, r.size, r.kind, next_token++};
                live_n++;
                live_bytes += r.size;
            } else {
                CHECK(off == VKM_NO_OFFSET);
                vkm_range_stats after;
                vkm_tlsf_stats(t, &after);
                CHECK(memcmp(&before, &after, sizeof(before)) == 0);
                if (st == VKM_RANGE_NO_SPACE)
                    CHECK(r.strategy == VKM_RANGE_STRATEGY_MIN_TIME || lowest == VKM_NO_OFFSET);
                else
                    CHECK(st == VKM_RANGE_NO_HOST_MEMORY && hc.budget == 0);
            }
            break;
        }
        case 4:
        case 5: { /* free */
            uint8_t i0 = byte(&in), i1 = byte(&in);
            if (live_n == 0)
                break;
            size_t i = ((size_t)i0 | (size_t)i1 << 8) % live_n;
            CHECK(vkm_tlsf_size_of(t, live[i].offset) == live[i].size);
            CHECK(vkm_tlsf_kind_of(t, live[i].offset) == live[i].kind);
            CHECK((uintptr_t)vkm_tlsf_user(t, live[i].offset) == live[i].token);
            int budget = hc.budget;
            hc.budget = 0; /* free never allocates */
            vkm_tlsf_free(t, live[i].offset);
            hc.budget = budget;
            live_bytes -= live[i].size;
            memmove(&live[i], &live[i + 1], (live_n - i - 1) * sizeof(live[0]));
            live_n--;
            break;
        }
        case 6: { /* set user, or (rarely) clear */
            if ((code & 0xf0) == 0xf0) {
                vkm_tlsf_clear(t);
                live_n = 0;
                live_bytes = 0;
            } else if (live_n > 0) {
                size_t i = byte(&in) % live_n;
                live[i].token = next_token++;
                vkm_tlsf_set_user(t, live[i].offset, (void *)live[i].token);
            }
            break;
        }
        default: /* host allocator: fail after a few more allocations, or recover */
            hc.budget = (code & 0x80) ? -1 : (int)((code >> 3) & 3u);
            break;
        }
        check_all(t);
    }
    vkm_tlsf_destroy(t);
    CHECK(hc.live == 0);
    return 0;
}
