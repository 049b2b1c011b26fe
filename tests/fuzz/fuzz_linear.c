/* SPDX-License-Identifier: MIT */
/*
 * fuzz_linear.c - libFuzzer target for the linear range allocator (src/linear.c).
 *
 * Build and run (from the repository root; not part of the CMake build):
 *   clang -std=c11 -D_DEFAULT_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Isrc -Iinclude src/linear.c src/host_alloc.c src/debug.c tests/fuzz/fuzz_linear.c -o /tmp/fuzz_linear && /tmp/fuzz_linear -max_total_time=60
 *
 * Input: 3 header bytes choose the capacity and bufferImageGranularity, then each op is
 * an opcode byte plus parameters: allocate (size, alignment, kind, lower or upper), free
 * a live range (oldest, newest or any: the FIFO and LIFO orders the linear algorithm is
 * made for), clear, set a user pointer, or make the host allocator fail after a few more
 * allocations. After every step the allocator must agree with a sorted model of the live
 * ranges: no overlap, offsets aligned, ranges within capacity, no granularity conflict
 * between neighbours on a shared page, counters and statistics equal, a visit equal to
 * the model, the placement rules that hold in every mode (a request into an empty range
 * always fits, a lower one at 0 and an upper one at the aligned top; an upper range has
 * only upper ranges above it; a lower range placed while nothing wraps lies after every
 * live lower range or wraps below all of them), NO_HOST_MEMORY leaving everything
 * unchanged, and vkm_linear_validate() true.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linear.h"

#define MAX_OPS 2048
#define MAX_LIVE 4096

#include "fuzz_common.h"

/* ---- model ------------------------------------------------------------------------------ */

typedef struct live_range {
    uint64_t offset, size;
    vkm_range_kind kind;
    uintptr_t token;
    uint64_t seq; /* allocation order */
    int upper;
} live_range;

static live_range live[MAX_LIVE];
static size_t live_n;
static uint64_t live_bytes, capacity, granularity, next_seq;

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "fuzz_linear: check failed: %s (line %d)\n", #cond, __LINE__); \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

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
check_all(const vkm_linear *l)
{
    CHECK(vkm_linear_validate(l));
    CHECK(vkm_linear_alloc_count(l) == live_n);
    CHECK(vkm_linear_free_bytes(l) == capacity - live_bytes);
    CHECK(vkm_linear_is_empty(l) == (live_n == 0));
    visit_state v = {0, 0, 0};
    vkm_linear_visit(l, visit_cb, &v);
    CHECK(v.next == live_n && v.end == capacity);
    vkm_range_stats st;
    vkm_linear_stats(l, &st);
    CHECK(st.alloc_count == live_n && st.alloc_bytes == live_bytes);
    CHECK(st.alloc_bytes + st.free_bytes == capacity);
    uint64_t gaps = 0, gap_max = 0;
    for (size_t i = 0; i <= live_n; i++) {
        uint64_t gs = i == 0 ? 0 : live[i - 1].offset + live[i - 1].size;
        uint64_t ge = i == live_n ? capacity : live[i].offset;
        if (ge > gs)
            gaps++;
        gap_max = ge - gs > gap_max ? ge - gs : gap_max;
        if (i > 0 && i < live_n && granularity > 1 && ((gs - 1) ^ live[i].offset) < granularity)
            CHECK(!vkm_range_kinds_conflict(live[i - 1].kind, live[i].kind));
    }
    CHECK(st.free_count == gaps && st.free_max == gap_max);
    CHECK(vkm_linear_largest_free_bound(l) <= gap_max);
}

/* ---- driver ------------------------------------------------------------------------------ */

static void
remove_at(size_t i)
{
    live_bytes -= live[i].size;
    memmove(&live[i], &live[i + 1], (live_n - i - 1) * sizeof(live[0]));
    live_n--;
}

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

    vkm_linear *l = NULL;
    if (vkm_linear_create(&ha, capacity, granularity, &l) != VKM_RANGE_OK)
        return 0;
    live_n = 0;
    live_bytes = 0;
    next_seq = 0;
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
            r.upper = (code & 0x20) != 0 && (code & 0x10) != 0;
            r.user = (void *)next_token;

            vkm_range_stats before;
            vkm_linear_stats(l, &before);
            int wrapped = 0; /* a live lower range below an older live lower range */
            for (size_t i = 0; i + 1 < live_n && !wrapped; i++)
                if (!live[i].upper)
                    for (size_t j = i + 1; j < live_n; j++)
                        if (!live[j].upper && live[j].seq < live[i].seq)
                            wrapped = 1;
            uint64_t off = 12345;
            vkm_range_status st = vkm_linear_alloc(l, &r, &off);
            if (st == VKM_RANGE_OK) {
                CHECK(off % r.alignment == 0);
                CHECK(off < capacity && r.size <= capacity - off);
                if (live_n == 0 && !r.upper)
                    CHECK(off == 0);
                if (live_n == 0 && r.upper)
                    CHECK(off == ((capacity - r.size) & ~(r.alignment - 1)));
                size_t i = lower_bound(off);
                CHECK(i == 0 || live[i - 1].offset + live[i - 1].size <= off);
                CHECK(i == live_n || off + r.size <= live[i].offset);
                if (!r.upper && !wrapped) { /* after every lower range, or wrapped to 0.. */
                    uint64_t max_end = 0, min_off = UINT64_MAX;
                    for (size_t j = 0; j < live_n; j++) {
                        if (live[j].upper)
                            continue;
                        if (live[j].offset + live[j].size > max_end)
                            max_end = live[j].offset + live[j].size;
                        if (live[j].offset < min_off)
                            min_off = live[j].offset;
                    }
                    CHECK(off >= max_end || (min_off != UINT64_MAX && off + r.size <= min_off));
                }
                if (r.upper)
                    for (size_t j = i; j < live_n; j++)
                        CHECK(live[j].upper); /* nothing but the upper stack above it */
                if (live_n == MAX_LIVE) {
                    vkm_linear_free(l, off); /* keep the model bounded */
                    break;
                }
                memmove(&live[i + 1], &live[i], (live_n - i) * sizeof(live[0]));
                live[i] = (live_range){off, r.size, r.kind, next_token++, next_seq++, r.upper};
                live_n++;
                live_bytes += r.size;
            } else {
                CHECK(off == VKM_NO_OFFSET);
                vkm_range_stats after;
                vkm_linear_stats(l, &after);
                CHECK(memcmp(&before, &after, sizeof(before)) == 0);
                if (st == VKM_RANGE_NO_HOST_MEMORY)
                    CHECK(hc.budget == 0);
                else
                    CHECK(st == VKM_RANGE_NO_SPACE);
                if (live_n == 0 && r.size <= capacity) /* an empty range always fits */
                    CHECK(st != VKM_RANGE_NO_SPACE);
            }
            break;
        }
        case 4:
        case 5: { /* free: oldest, newest or any */
            uint8_t i0 = byte(&in), i1 = byte(&in);
            if (live_n == 0)
                break;
            size_t i = ((size_t)i0 | (size_t)i1 << 8) % live_n;
            if ((code & 0x30) != 0x30) { /* by age */
                size_t pick = 0;
                for (size_t j = 1; j < live_n; j++) {
                    int older = live[j].seq < live[pick].seq;
                    if ((code & 0x10) ? !older : older)
                        pick = j;
                }
                i = pick;
            }
            CHECK(vkm_linear_contains(l, live[i].offset));
            CHECK(vkm_linear_size_of(l, live[i].offset) == live[i].size);
            CHECK(vkm_linear_kind_of(l, live[i].offset) == live[i].kind);
            CHECK((uintptr_t)vkm_linear_user(l, live[i].offset) == live[i].token);
            int budget = hc.budget;
            hc.budget = 0; /* free never allocates */
            vkm_linear_free(l, live[i].offset);
            hc.budget = budget;
            CHECK(!vkm_linear_contains(l, live[i].offset));
            remove_at(i);
            break;
        }
        case 6: { /* set user, or (rarely) clear */
            if ((code & 0xf0) == 0xf0) {
                vkm_linear_clear(l);
                live_n = 0;
                live_bytes = 0;
            } else if (live_n > 0) {
                size_t i = byte(&in) % live_n;
                live[i].token = next_token++;
                vkm_linear_set_user(l, live[i].offset, (void *)live[i].token);
            }
            break;
        }
        default: /* host allocator: fail after a few more allocations, or recover */
            hc.budget = (code & 0x80) ? -1 : (int)((code >> 3) & 3u);
            break;
        }
        check_all(l);
    }
    vkm_linear_destroy(l);
    CHECK(hc.live == 0);
    return 0;
}
