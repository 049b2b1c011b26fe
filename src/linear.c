/* SPDX-License-Identifier: MIT */
/*
 * linear.c - linear range allocator over an abstract range (layer L1).
 *
 * Behaviour: VMA's documentation of its linear algorithm ("Linear allocation algorithm":
 * free-at-once, stack, double stack, ring buffer); the structure below is ours.
 *
 * Two sequences of ranges, each an array kept in placement order:
 *   low    the ranges placed upwards from offset 0 (the first lap of a ring), ascending;
 *   other  depending on `mode`:
 *            MODE_NONE   empty;
 *            MODE_RING   the second lap of a ring: ranges placed upwards from offset 0,
 *                        ascending, all below low's first live range;
 *            MODE_STACK  the upper stack: ranges placed downwards from capacity,
 *                        descending, all above low's last range.
 * A freed range that is not at an end of its sequence stays in the array as a *hole*
 * (kind VKM_RANGE_FREE): its space is not reused until everything between it and the
 * end of the sequence is freed too. Each sequence's live window [head, tail) starts and
 * ends with a live range (trim() restores that after every free), so:
 *   - the next lower range goes right after low's last live range (stack behaviour: LIFO
 *     frees pull the cursor back, over any holes below it);
 *   - when it does not fit there and nothing is in the upper stack, it wraps: it goes
 *     after other's last range (or at 0) and must end before low's first live range
 *     (ring behaviour: FIFO frees advance low's head);
 *   - an upper range goes right below the upper stack's lowest live range and must start
 *     at or above the end of low;
 *   - when low runs out of live ranges while a ring is wrapped, the second lap becomes the
 *     first (the sequences swap); when everything is freed, both restart at 0.
 * Searches by offset are binary searches: offsets in a sequence are strictly monotonic,
 * holes included, since a new range always lies beyond the sequence's last range.
 *
 * Granularity follows range.h's rule as tlsf.c applies it: a range sharing a page with
 * the conflicting live range below it moves up (or, growing down, below it moves down) to
 * the next page boundary; a conflict on the other side makes the request fail.
 *
 * Host memory: the two arrays grow through host_alloc; vkm_linear_alloc() reserves room
 * for the new entry before changing anything, and a full array with many holes is
 * compacted in place instead of grown, so storage stays within twice the live ranges
 * plus holes. vkm_linear_free() never allocates.
 *
 * Threads: none; the owner's lock covers every call (linear.h).
 */
#include "linear.h"

#include <stdio.h>
#include <string.h>

#include "debug.h"

#define FIRST_ITEMS 16u

typedef struct lin_item {
    uint64_t offset;
    uint64_t size; /* the requested size */
    void *user;
    uint32_t kind; /* vkm_range_kind; VKM_RANGE_FREE for a hole */
} lin_item;

/* items[head] and items[tail - 1] are live when head < tail; holes counts the freed
 * items inside [head, tail). Empty: head == tail == 0. */
typedef struct lin_seq {
    lin_item *items; /* [cap] */
    size_t cap;
    size_t head, tail;
    size_t holes;
} lin_seq;

enum {
    MODE_NONE = 0,
    MODE_RING = 1,
    MODE_STACK = 2
};

/*
 * Identities (checked by vkm_linear_validate):
 *   alloc_count == live items of low + live items of other
 *   alloc_bytes == sum of their sizes;  capacity == alloc_bytes + free bytes
 *   mode == MODE_NONE <=> other is empty
 */
struct vkm_linear {
    const vkm_host_alloc *ha;
    uint64_t capacity;
    uint64_t granularity; /* power of two; 1 = no rule */
    uint64_t alloc_bytes;
    uint32_t alloc_count;
    int mode;
    lin_seq low, other;
};

/* ---- sequences --------------------------------------------------------------------------- */

static inline size_t
seq_len(const lin_seq *s)
{
    return s->tail - s->head;
}

static inline lin_item *
seq_front(const lin_seq *s)
{
    return s->head < s->tail ? &s->items[s->head] : NULL;
}

static inline lin_item *
seq_back(const lin_seq *s)
{
    return s->head < s->tail ? &s->items[s->tail - 1u] : NULL;
}

static inline uint64_t
end_of(const lin_item *it)
{
    return it->offset + it->size;
}

/* Moves the live window to the start of the array and drops its holes. */
static void
seq_compact(lin_seq *s)
{
    size_t n = 0;
    for (size_t i = s->head; i < s->tail; i++)
        if (s->items[i].kind != VKM_RANGE_FREE)
            s->items[n++] = s->items[i];
    s->head = 0;
    s->tail = n;
    s->holes = 0;
}

/* Makes room for one more item at the tail. */
static vkm_range_status
seq_reserve(const vkm_linear *l, lin_seq *s)
{
    if (s->tail < s->cap)
        return VKM_RANGE_OK;
    if (s->cap > 0 && s->head + s->holes >= s->cap / 2u) {
        seq_compact(s);
        return VKM_RANGE_OK;
    }
    size_t ncap = s->cap ? s->cap * 2u : FIRST_ITEMS;
    if (ncap > SIZE_MAX / sizeof(lin_item))
        return VKM_RANGE_NO_HOST_MEMORY;
    lin_item *ni = vkm_host_alloc_realloc(l->ha, s->items, s->cap * sizeof(lin_item),
                                          ncap * sizeof(lin_item), _Alignof(lin_item));
    if (ni == NULL)
        return VKM_RANGE_NO_HOST_MEMORY;
    s->items = ni;
    s->cap = ncap;
    return VKM_RANGE_OK;
}

/* After a free: restores "the window starts and ends live". */
static void
seq_trim(lin_seq *s)
{
    while (s->head < s->tail && s->items[s->head].kind == VKM_RANGE_FREE) {
        s->head++;
        s->holes--;
    }
    while (s->tail > s->head && s->items[s->tail - 1u].kind == VKM_RANGE_FREE) {
        s->tail--;
        s->holes--;
    }
    if (s->head == s->tail) {
        vkm_assert(s->holes == 0);
        s->head = s->tail = s->holes = 0;
    }
}

static void
seq_reset(lin_seq *s)
{
    s->head = s->tail = s->holes = 0;
}

/* Index of the item (live or hole) at `offset` in [head, tail), or SIZE_MAX. */
static size_t
seq_find(const lin_seq *s, uint64_t offset, bool descending)
{
    size_t lo = s->head, hi = s->tail;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2u;
        uint64_t o = s->items[mid].offset;
        if (o == offset)
            return mid;
        if ((o < offset) != descending)
            lo = mid + 1u;
        else
            hi = mid;
    }
    return SIZE_MAX;
}

/* The live item at `offset`, or NULL; *in_low says which sequence holds it. Offsets are
 * unique across both sequences' windows, holes included. */
static lin_item *
find_live(const vkm_linear *l, uint64_t offset, bool *in_low)
{
    *in_low = true;
    size_t i = seq_find(&l->low, offset, false);
    if (i != SIZE_MAX)
        return l->low.items[i].kind != VKM_RANGE_FREE ? &l->low.items[i] : NULL;
    if (l->mode == MODE_NONE)
        return NULL;
    *in_low = false;
    i = seq_find(&l->other, offset, l->mode == MODE_STACK);
    if (i != SIZE_MAX && l->other.items[i].kind != VKM_RANGE_FREE)
        return &l->other.items[i];
    return NULL;
}

/* Calls fn for each live item in ascending offset order. */
typedef void (*item_fn)(void *ctx, const lin_item *it);

static void
walk(const vkm_linear *l, item_fn fn, void *ctx)
{
    const lin_seq *o = &l->other;
    if (l->mode == MODE_RING)
        for (size_t i = o->head; i < o->tail; i++)
            if (o->items[i].kind != VKM_RANGE_FREE)
                fn(ctx, &o->items[i]);
    for (size_t i = l->low.head; i < l->low.tail; i++)
        if (l->low.items[i].kind != VKM_RANGE_FREE)
            fn(ctx, &l->low.items[i]);
    if (l->mode == MODE_STACK)
        for (size_t i = o->tail; i-- > o->head;)
            if (o->items[i].kind != VKM_RANGE_FREE)
                fn(ctx, &o->items[i]);
}

/* ---- placement ------------------------------------------------------------------------- */

static inline bool
same_page(uint64_t a, uint64_t b, uint64_t granularity)
{
    return (a ^ b) < granularity; /* granularity is a power of two */
}

static inline bool
kinds_clash(const vkm_linear *l, uint64_t a_last_byte, uint32_t a_kind, uint64_t b_first_byte,
            uint32_t b_kind)
{
    return l->granularity > 1u && same_page(a_last_byte, b_first_byte, l->granularity) &&
           vkm_range_kinds_conflict((vkm_range_kind)a_kind, (vkm_range_kind)b_kind);
}

/* The lowest offset >= base where req fits below `limit`, after the live range `prev`
 * (NULL: none below), or VKM_NO_OFFSET. */
static uint64_t
place_up(const vkm_linear *l, uint64_t base, uint64_t limit, const vkm_range_request *req,
         const lin_item *prev)
{
    if (base > limit)
        return VKM_NO_OFFSET;
    uint64_t pad = (0u - base) & (req->alignment - 1u);
    if (pad > limit - base)
        return VKM_NO_OFFSET;
    uint64_t off = base + pad;
    if (prev != NULL && kinds_clash(l, end_of(prev) - 1u, prev->kind, off, req->kind)) {
        uint64_t gpad = (0u - off) & (l->granularity - 1u);
        if (gpad > limit - off)
            return VKM_NO_OFFSET;
        off += gpad;
    }
    return limit - off >= req->size ? off : VKM_NO_OFFSET;
}

static void
push(vkm_linear *l, lin_seq *s, uint64_t offset, const vkm_range_request *req)
{
    vkm_assert(s->tail < s->cap);
    s->items[s->tail++] = (lin_item){offset, req->size, req->user, (uint32_t)req->kind};
    l->alloc_count++;
    l->alloc_bytes += req->size;
}

static vkm_range_status
alloc_lower(vkm_linear *l, const vkm_range_request *req, uint64_t *out_offset)
{
    if (l->mode != MODE_RING) {
        /* after the last range of the first lap, below the upper stack */
        const lin_item *last = seq_back(&l->low);
        const lin_item *top = l->mode == MODE_STACK ? seq_back(&l->other) : NULL;
        uint64_t limit = top != NULL ? top->offset : l->capacity;
        uint64_t off = place_up(l, last ? end_of(last) : 0, limit, req, last);
        if (off != VKM_NO_OFFSET) {
            if (top != NULL &&
                kinds_clash(l, off + req->size - 1u, req->kind, top->offset, top->kind))
                return VKM_RANGE_NO_SPACE;
            vkm_range_status st = seq_reserve(l, &l->low);
            if (st != VKM_RANGE_OK)
                return st;
            push(l, &l->low, off, req);
            *out_offset = off;
            return VKM_RANGE_OK;
        }
    }
    const lin_item *first = seq_front(&l->low);
    if (l->mode != MODE_STACK && first != NULL) {
        /* wrap around: after the second lap's last range, before the first lap */
        const lin_item *last = seq_back(&l->other);
        uint64_t off = place_up(l, last ? end_of(last) : 0, first->offset, req, last);
        if (off != VKM_NO_OFFSET) {
            if (kinds_clash(l, off + req->size - 1u, req->kind, first->offset, first->kind))
                return VKM_RANGE_NO_SPACE;
            vkm_range_status st = seq_reserve(l, &l->other);
            if (st != VKM_RANGE_OK)
                return st;
            push(l, &l->other, off, req);
            l->mode = MODE_RING;
            *out_offset = off;
            return VKM_RANGE_OK;
        }
    }
    return VKM_RANGE_NO_SPACE;
}

static vkm_range_status
alloc_upper(vkm_linear *l, const vkm_range_request *req, uint64_t *out_offset)
{
    if (l->mode == MODE_RING)
        return VKM_RANGE_NO_SPACE; /* the space above the first lap belongs to the ring */
    const lin_item *top = seq_back(&l->other);
    uint64_t limit = top != NULL ? top->offset : l->capacity;
    if (req->size > limit)
        return VKM_RANGE_NO_SPACE;
    uint64_t off = (limit - req->size) & ~(req->alignment - 1u);
    if (top != NULL && kinds_clash(l, off + req->size - 1u, req->kind, top->offset, top->kind)) {
        /* VMA aligns the start down to the page; take that when it clears the top's page */
        uint64_t vma_off = off & ~(l->granularity - 1u);
        if (!kinds_clash(l, vma_off + req->size - 1u, req->kind, top->offset, top->kind)) {
            off = vma_off;
        } else {
            /* end below the top's page (moving only the start down would leave the end on it) */
            uint64_t page = top->offset & ~(l->granularity - 1u);
            if (req->size > page)
                return VKM_RANGE_NO_SPACE;
            off = (page - req->size) & ~(req->alignment - 1u);
        }
    }
    const lin_item *last = seq_back(&l->low);
    uint64_t bottom = last != NULL ? end_of(last) : 0;
    if (off < bottom)
        return VKM_RANGE_NO_SPACE;
    if (last != NULL && kinds_clash(l, bottom - 1u, last->kind, off, req->kind))
        return VKM_RANGE_NO_SPACE;
    vkm_range_status st = seq_reserve(l, &l->other);
    if (st != VKM_RANGE_OK)
        return st;
    push(l, &l->other, off, req);
    l->mode = MODE_STACK;
    *out_offset = off;
    return VKM_RANGE_OK;
}

/* ---- public ------------------------------------------------------------------------------ */

vkm_range_status
vkm_linear_create(const vkm_host_alloc *ha, uint64_t size, uint64_t granularity, vkm_linear **out)
{
    vkm_assert(ha != NULL && out != NULL);
    vkm_assert(size > 0);
    vkm_assert(granularity >= 1 && (granularity & (granularity - 1u)) == 0);
    *out = NULL;
    vkm_linear *l = vkm_host_new(ha, vkm_linear);
    if (l == NULL)
        return VKM_RANGE_NO_HOST_MEMORY;
    l->ha = ha;
    l->capacity = size;
    l->granularity = granularity != 0 ? granularity : 1u;
    l->mode = MODE_NONE;
    *out = l;
    return VKM_RANGE_OK;
}

void
vkm_linear_destroy(vkm_linear *l)
{
    if (l == NULL)
        return;
    const vkm_host_alloc *ha = l->ha;
    if (l->low.items != NULL)
        vkm_host_delete_array(ha, lin_item, l->low.items, l->low.cap);
    if (l->other.items != NULL)
        vkm_host_delete_array(ha, lin_item, l->other.items, l->other.cap);
    vkm_host_delete(ha, vkm_linear, l);
}

vkm_range_status
vkm_linear_alloc(vkm_linear *l, const vkm_range_request *req, uint64_t *out_offset)
{
    vkm_assert(l != NULL && req != NULL && out_offset != NULL);
    vkm_assert(req->size > 0);
    vkm_assert(req->alignment >= 1 && (req->alignment & (req->alignment - 1u)) == 0);
    vkm_assert(req->kind > VKM_RANGE_FREE && req->kind < VKM_RANGE_KIND_COUNT);
    *out_offset = VKM_NO_OFFSET;
    if (vkm_config_expensive_checks)
        vkm_assert(vkm_linear_validate(l));
    if (req->size == 0 || req->size > l->capacity || req->alignment == 0 ||
        (req->alignment & (req->alignment - 1u)) != 0 || req->kind == VKM_RANGE_FREE ||
        req->kind >= VKM_RANGE_KIND_COUNT)
        return VKM_RANGE_NO_SPACE;
    if (l->alloc_count == UINT32_MAX)
        return VKM_RANGE_NO_HOST_MEMORY;
    vkm_range_status st =
        req->upper ? alloc_upper(l, req, out_offset) : alloc_lower(l, req, out_offset);
    if (vkm_config_expensive_checks)
        vkm_assert(vkm_linear_validate(l));
    return st;
}

void
vkm_linear_free(vkm_linear *l, uint64_t offset)
{
    if (vkm_config_expensive_checks)
        vkm_assert(vkm_linear_validate(l));
    bool in_low;
    lin_item *it = find_live(l, offset, &in_low);
    vkm_assert(it != NULL); /* offset must come from vkm_linear_alloc and be live */
    if (it == NULL)
        return;
    it->kind = VKM_RANGE_FREE;
    it->user = NULL;
    l->alloc_count--;
    l->alloc_bytes -= it->size;
    (in_low ? &l->low : &l->other)->holes++;

    if (l->alloc_count == 0) { /* free-at-once: everything starts over at 0 */
        seq_reset(&l->low);
        seq_reset(&l->other);
        l->mode = MODE_NONE;
    } else {
        seq_trim(&l->low);
        seq_trim(&l->other);
        if (seq_len(&l->other) == 0)
            l->mode = MODE_NONE;
        if (seq_len(&l->low) == 0 && l->mode == MODE_RING) {
            /* the first lap is gone: the second lap becomes the first */
            lin_seq tmp = l->low;
            l->low = l->other;
            l->other = tmp;
            l->mode = MODE_NONE;
        }
    }
    if (vkm_config_expensive_checks)
        vkm_assert(vkm_linear_validate(l));
}

bool
vkm_linear_contains(const vkm_linear *l, uint64_t offset)
{
    bool in_low;
    return find_live(l, offset, &in_low) != NULL;
}

static const lin_item *
live_item(const vkm_linear *l, uint64_t offset)
{
    bool in_low;
    const lin_item *it = find_live(l, offset, &in_low);
    vkm_assert(it != NULL); /* offset must come from vkm_linear_alloc and be live */
    return it;
}

uint64_t
vkm_linear_size_of(const vkm_linear *l, uint64_t offset)
{
    const lin_item *it = live_item(l, offset);
    return it != NULL ? it->size : 0;
}

vkm_range_kind
vkm_linear_kind_of(const vkm_linear *l, uint64_t offset)
{
    const lin_item *it = live_item(l, offset);
    return it != NULL ? (vkm_range_kind)it->kind : VKM_RANGE_FREE;
}

void *
vkm_linear_user(const vkm_linear *l, uint64_t offset)
{
    const lin_item *it = live_item(l, offset);
    return it != NULL ? it->user : NULL;
}

void
vkm_linear_set_user(vkm_linear *l, uint64_t offset, void *user)
{
    bool in_low;
    lin_item *it = find_live(l, offset, &in_low);
    vkm_assert(it != NULL); /* offset must come from vkm_linear_alloc and be live */
    if (it != NULL)
        it->user = user;
}

uint64_t
vkm_linear_capacity(const vkm_linear *l)
{
    return l->capacity;
}

uint64_t
vkm_linear_granularity(const vkm_linear *l)
{
    return l->granularity;
}

uint64_t
vkm_linear_free_bytes(const vkm_linear *l)
{
    return l->capacity - l->alloc_bytes;
}

uint32_t
vkm_linear_alloc_count(const vkm_linear *l)
{
    return l->alloc_count;
}

bool
vkm_linear_is_empty(const vkm_linear *l)
{
    return l->alloc_count == 0;
}

uint64_t
vkm_linear_largest_free_bound(const vkm_linear *l)
{
    const lin_item *first = seq_front(&l->low), *last = seq_back(&l->low);
    const lin_item *other_last = seq_back(&l->other);
    uint64_t low_end = last != NULL ? end_of(last) : 0;
    switch (l->mode) {
    case MODE_RING:
        return first->offset - end_of(other_last);
    case MODE_STACK:
        return other_last->offset - low_end;
    default: {
        uint64_t tail_gap = l->capacity - low_end;
        uint64_t wrap_gap = first != NULL ? first->offset : 0;
        return tail_gap > wrap_gap ? tail_gap : wrap_gap;
    }
    }
}

/* ---- statistics and visits --------------------------------------------------------------- */

typedef struct stats_walk {
    vkm_range_stats s;
    uint64_t end; /* end of the previous live range */
} stats_walk;

static void
stats_gap(stats_walk *w, uint64_t gap)
{
    if (gap == 0)
        return;
    w->s.free_count++;
    w->s.free_bytes += gap;
    w->s.free_min = gap < w->s.free_min ? gap : w->s.free_min;
    w->s.free_max = gap > w->s.free_max ? gap : w->s.free_max;
}

static void
stats_item(void *ctx, const lin_item *it)
{
    stats_walk *w = ctx;
    stats_gap(w, it->offset - w->end);
    w->s.alloc_count++;
    w->s.alloc_bytes += it->size;
    w->s.alloc_min = it->size < w->s.alloc_min ? it->size : w->s.alloc_min;
    w->s.alloc_max = it->size > w->s.alloc_max ? it->size : w->s.alloc_max;
    w->end = end_of(it);
}

void
vkm_linear_stats(const vkm_linear *l, vkm_range_stats *out)
{
    stats_walk w = {.s = {.alloc_min = UINT64_MAX, .free_min = UINT64_MAX}, .end = 0};
    walk(l, stats_item, &w);
    stats_gap(&w, l->capacity - w.end);
    *out = w.s;
}

void
vkm_linear_clear(vkm_linear *l)
{
    seq_reset(&l->low);
    seq_reset(&l->other);
    l->mode = MODE_NONE;
    l->alloc_count = 0;
    l->alloc_bytes = 0;
}

typedef struct visit_walk {
    vkm_range_visit_fn fn;
    void *ctx;
    uint64_t end;
} visit_walk;

static void
visit_item(void *ctx, const lin_item *it)
{
    visit_walk *w = ctx;
    if (it->offset > w->end)
        w->fn(w->ctx, w->end, it->offset - w->end, VKM_RANGE_FREE, NULL);
    w->fn(w->ctx, it->offset, it->size, (vkm_range_kind)it->kind, it->user);
    w->end = end_of(it);
}

void
vkm_linear_visit(const vkm_linear *l, vkm_range_visit_fn fn, void *ctx)
{
    visit_walk w = {fn, ctx, 0};
    walk(l, visit_item, &w);
    if (l->capacity > w.end)
        fn(ctx, w.end, l->capacity - w.end, VKM_RANGE_FREE, NULL);
}

/* ---- validation -------------------------------------------------------------------------- */

#define LIN_CHECK(cond, ...)                                     \
    do {                                                         \
        if (!(cond)) {                                           \
            fprintf(stderr, "vkm_linear_validate: %s: ", #cond); \
            fprintf(stderr, __VA_ARGS__);                        \
            fputc('\n', stderr);                                 \
            return false;                                        \
        }                                                        \
    } while (0)

static bool
validate_seq(const lin_seq *s, bool descending, uint32_t *live, uint64_t *bytes)
{
    LIN_CHECK(s->head <= s->tail && s->tail <= s->cap, "window [%zu, %zu) of %zu", s->head, s->tail,
              s->cap);
    if (s->head == s->tail) {
        LIN_CHECK(s->head == 0 && s->holes == 0, "empty window at %zu, %zu holes", s->head,
                  s->holes);
        return true;
    }
    LIN_CHECK(s->items[s->head].kind != VKM_RANGE_FREE, "hole at the head");
    LIN_CHECK(s->items[s->tail - 1u].kind != VKM_RANGE_FREE, "hole at the tail");
    size_t holes = 0;
    for (size_t i = s->head; i < s->tail; i++) {
        const lin_item *it = &s->items[i];
        LIN_CHECK(it->size > 0 && it->kind < VKM_RANGE_KIND_COUNT, "item %zu", i);
        if (i > s->head) {
            const lin_item *p = &s->items[i - 1u];
            LIN_CHECK(descending ? end_of(it) <= p->offset : end_of(p) <= it->offset,
                      "items %zu and %zu out of order", i - 1u, i);
        }
        if (it->kind == VKM_RANGE_FREE) {
            holes++;
            continue;
        }
        (*live)++;
        *bytes += it->size;
    }
    LIN_CHECK(holes == s->holes, "%zu holes counted %zu", holes, s->holes);
    return true;
}

typedef struct check_walk {
    const vkm_linear *l;
    uint64_t end;
    const lin_item *prev;
    bool ok;
} check_walk;

static void
check_item(void *ctx, const lin_item *it)
{
    check_walk *w = ctx;
    if (!w->ok)
        return;
    if (it->offset < w->end || it->size > w->l->capacity - it->offset) {
        fprintf(stderr, "vkm_linear_validate: range at %llu overlaps or leaves [0, %llu)\n",
                (unsigned long long)it->offset, (unsigned long long)w->l->capacity);
        w->ok = false;
    } else if (w->prev != NULL &&
               kinds_clash(w->l, end_of(w->prev) - 1u, w->prev->kind, it->offset, it->kind)) {
        fprintf(stderr, "vkm_linear_validate: kinds %u and %u share a page at %llu\n",
                w->prev->kind, it->kind, (unsigned long long)it->offset);
        w->ok = false;
    }
    w->end = end_of(it);
    w->prev = it;
}

bool
vkm_linear_validate(const vkm_linear *l)
{
    LIN_CHECK(l->granularity >= 1 && (l->granularity & (l->granularity - 1u)) == 0,
              "granularity %llu", (unsigned long long)l->granularity);
    LIN_CHECK(l->mode == MODE_NONE || l->mode == MODE_RING || l->mode == MODE_STACK, "mode %d",
              l->mode);
    LIN_CHECK((l->mode == MODE_NONE) == (seq_len(&l->other) == 0), "mode %d with %zu others",
              l->mode, seq_len(&l->other));
    LIN_CHECK(l->mode != MODE_RING || seq_len(&l->low) > 0, "ring without a first lap");
    uint32_t live = 0;
    uint64_t bytes = 0;
    if (!validate_seq(&l->low, false, &live, &bytes) ||
        !validate_seq(&l->other, l->mode == MODE_STACK, &live, &bytes))
        return false;
    LIN_CHECK(live == l->alloc_count, "%u live, count %u", live, l->alloc_count);
    LIN_CHECK(bytes == l->alloc_bytes && bytes <= l->capacity, "bytes %llu, counted %llu",
              (unsigned long long)bytes, (unsigned long long)l->alloc_bytes);
    /* address order over both sequences, holes excluded: no overlap, granularity */
    check_walk w = {l, 0, NULL, true};
    walk(l, check_item, &w);
    if (!w.ok)
        return false;
    if (l->mode == MODE_RING)
        LIN_CHECK(end_of(seq_back(&l->other)) <= seq_front(&l->low)->offset, "ring laps overlap");
    if (l->mode == MODE_STACK && seq_len(&l->low) > 0)
        LIN_CHECK(end_of(seq_back(&l->low)) <= seq_back(&l->other)->offset, "stacks overlap");
    return true;
}
