/* SPDX-License-Identifier: MIT */
/*
 * tlsf.c - two-level segregated fit over an abstract range (layer L1).
 *
 * Algorithm: Masmano, Ripoll, Crespo, Real, "TLSF: a New Dynamic Memory Allocator for
 * Real-Time Systems", ECRTS 2004. Free ranges sit in size classes; a first-level bitmap
 * (one bit per power of two) and one second-level bitmap per power of two (one bit per
 * linear subdivision) say which class lists are non-empty, so finding the smallest
 * non-empty class at or above a size is two find-first-set instructions. Physical
 * neighbour links make merging on free O(1).
 *
 * Differences from the paper, because this manages device memory from the host:
 *   - Metadata lives in host nodes, one per range (allocated or free), taken from a
 *     pool that grows in chunks through host_alloc; ranges are identified by offset.
 *   - Ranges tile [0, capacity) exactly: an allocated node covers exactly its requested
 *     size, alignment padding before it and any slack after it are free nodes of their
 *     own (never lost, never counted as allocated), and two free nodes are never
 *     physical neighbours (free merges both ways).
 *   - Alignment is per request, and bufferImageGranularity adds a placement rule that
 *     depends on the allocated neighbours (range.h), so a free range "large enough" may
 *     still not fit; see the search policy below.
 *
 * Size classes (SL_BITS = 5): a size s >= 32 with most significant bit m falls in first
 * level m - 4 and second level (s >> (m - 5)) & 31, so every power of two is split into
 * 32 linear classes, each at most 1/32 (3.1%) wide; sizes below 32 get one class each
 * (first level 0). Classes are numbered fl * 32 + sl, ascending with size. Why 5 and not
 * 4: with 32 subdivisions a "next class up" good fit wastes at most 3.1% where 16 would
 * waste 6.25%, and MIN_MEMORY's own-class scans are half as long; the cost is one
 * pointer per class, allocated only up to the capacity's class (a 256 MiB block has 25
 * first levels: 800 list heads, 6.4 KiB, negligible next to the block).
 *
 * Search policy (size s, alignment A, granularity G; g = the "guaranteed" size s + A - 1,
 * or s + max(A, G) - 1 + G - 1 when G > 1, such that any free range of g bytes fits the
 * request whatever its offset and neighbours; class_up(x) = first class whose smallest
 * size is >= x):
 *   DEFAULT:    1. good fit: heads of the first GOOD_FIT_PROBES non-empty classes from
 *                  class_up(s) (each fits by size; the head is taken if its offset also
 *                  satisfies alignment and granularity - nearly always in practice);
 *               2. guaranteed fit: head of the first non-empty class >= class_up(g);
 *               3. exhaustive: every free range in classes [class(s), class_up(g)).
 *               Steps 1-2 are O(1); step 3 runs only when no range of g bytes is free
 *               (a nearly full range), and makes NO_SPACE exact: every range that could
 *               fit lies in those classes.
 *   MIN_TIME:   step 1, then step 2, then step 3 only when both found nothing: O(1)
 *               unless the block is nearly full, and NO_SPACE is exact, as VMA's (whose
 *               MIN_TIME also falls back to a full search): the strategy may cost
 *               placement quality, never a failure where a range fits.
 *   MIN_MEMORY: best fit: from class(s) up, the first class holding a range that fits,
 *               and in it the smallest such range, i.e. the smallest free range that
 *               fits. Scans whole class lists up to the first non-empty class at or
 *               above class_up(g) (where every range fits), so it is O(ranges in
 *               those classes).
 *   MIN_OFFSET: the lowest-offset free range that fits: a walk of the physical chain,
 *               O(ranges); for defragmentation, which wants to pack towards offset 0.
 * Every strategy first rejects, in O(1), a request larger than the top non-empty class
 * can hold (vkm_tlsf_largest_free_bound), so a full block costs no scan.
 *
 * Offset lookup: vkm_tlsf_free() gets an offset back, so live (allocated) nodes are also
 * in an open-addressing hash table keyed by offset (linear probing, Fibonacci hashing,
 * load <= 1/2, backward-shift deletion, so no tombstones): O(1) expected. An
 * offset-ordered tree would make free O(log n); a direct table indexed by offset is
 * impossible with byte alignment. Free ranges are not in the table: they are reached
 * through their neighbours.
 *
 * Host memory per range: a 56-byte node, plus a 16-byte lookup slot at load <= 1/2 for
 * live ones. vkm_tlsf_alloc() reserves what it may need (two nodes, one table slot)
 * before changing anything, so a failed reservation returns NO_HOST_MEMORY with the
 * allocator unchanged; vkm_tlsf_free() never allocates. Node chunks and the table are
 * kept until destroy (clear keeps them too).
 *
 * Threads: none; the owner's lock covers every call (tlsf.h).
 */
#include "tlsf.h"

#include <stdio.h>
#include <string.h>

#include "debug.h"

#define SL_BITS 5u
#define SL_COUNT (1u << SL_BITS)
#define FL_LIMIT 60u /* first level of sizes up to UINT64_MAX: 63 - SL_BITS + 1 = 59 */
#define CLASS_NONE UINT32_MAX

#define GOOD_FIT_PROBES 4u
#define FIRST_CHUNK_NODES 32u
#define MAX_CHUNK_NODES 4096u
#define FIRST_LOOKUP_SLOTS 16u

/* kind of a node sitting in the spare pool: catches use of a recycled node */
#define NODE_POOLED 0xdeadu

typedef struct tlsf_node tlsf_node;

/*
 * One range. Tiling identity: phys_next->offset == offset + size, phys_prev->offset +
 * phys_prev->size == offset; the first node has offset 0, the last ends at capacity.
 */
struct tlsf_node {
    uint64_t offset;
    uint64_t size;        /* allocated: the requested size; free: the whole free range */
    tlsf_node *phys_prev; /* lower neighbour, NULL for the node at offset 0 */
    tlsf_node *phys_next; /* upper neighbour, NULL for the last node */
    union {
        struct {
            tlsf_node *prev, *next;
        } list;     /* free: the class list; pooled: `next` links the spare pool */
        void *user; /* allocated */
    } u;
    uint32_t kind; /* vkm_range_kind; VKM_RANGE_FREE when free; NODE_POOLED in the pool */
};

typedef struct node_chunk node_chunk;
struct node_chunk {
    node_chunk *next;
    size_t count;
    tlsf_node nodes[];
};

typedef struct lookup_slot {
    uint64_t offset;
    tlsf_node *node; /* NULL: empty slot */
} lookup_slot;

/*
 * The allocator. Identities (checked by vkm_tlsf_validate):
 *   capacity == alloc_bytes + sum(size of free nodes)
 *   alloc_count == allocated nodes == occupied lookup slots
 *   free_count == free nodes == sum of class list lengths
 *   bit c of sl_map[c / 32] set <=> heads[c] != NULL;  bit f of fl_map <=> sl_map[f] != 0
 */
struct vkm_tlsf {
    const vkm_host_alloc *ha;
    uint64_t capacity;
    uint64_t granularity; /* power of two; 1 = no rule */
    uint64_t alloc_bytes;
    uint32_t alloc_count;
    uint32_t free_count;
    tlsf_node *first; /* node at offset 0; the same node for the allocator's lifetime */

    uint32_t fl_count; /* first levels in use: the capacity's level + 1 */
    uint64_t fl_map;
    uint32_t *sl_map;  /* [fl_count], inside this struct's allocation */
    tlsf_node **heads; /* [fl_count * SL_COUNT], inside this struct's allocation */
    size_t self_bytes; /* size of this struct's allocation */

    tlsf_node *spare; /* pool of unused nodes, linked through u.list.next */
    size_t spare_count;
    size_t total_nodes;
    node_chunk *chunks;
    size_t next_chunk_nodes;

    lookup_slot *slots; /* [slot_mask + 1] */
    size_t slot_mask;
    uint32_t slot_shift; /* 64 - log2(slot count) */
};

/* ---- size classes -------------------------------------------------------------------- */

static inline uint32_t
msb64(uint64_t x)
{
    return 63u - (uint32_t)__builtin_clzll(x);
}

/* Class of a size >= 1: the class whose sizes contain it. */
static inline uint32_t
class_of(uint64_t size)
{
    if (size < SL_COUNT)
        return (uint32_t)size;
    uint32_t m = msb64(size);
    return (m - SL_BITS + 1u) * SL_COUNT + (uint32_t)((size >> (m - SL_BITS)) & (SL_COUNT - 1u));
}

/* The smallest size in class c. */
static inline uint64_t
class_min_size(uint32_t c)
{
    uint32_t fl = c >> SL_BITS, sl = c & (SL_COUNT - 1u);
    if (fl == 0)
        return sl;
    return (uint64_t)(SL_COUNT + sl) << (fl - 1u);
}

/* The first class whose every size is >= size (size >= 1), or CLASS_NONE. */
static inline uint32_t
class_up(uint64_t size)
{
    if (size < SL_COUNT)
        return (uint32_t)size;
    uint64_t step_minus_1 = (1ull << (msb64(size) - SL_BITS)) - 1u;
    if (size > UINT64_MAX - step_minus_1)
        return CLASS_NONE;
    return class_of(size + step_minus_1);
}

/* The first non-empty class >= c, or CLASS_NONE. */
static inline uint32_t
find_nonempty(const vkm_tlsf *t, uint32_t c)
{
    if (c == CLASS_NONE)
        return CLASS_NONE;
    uint32_t fl = c >> SL_BITS;
    if (fl >= t->fl_count)
        return CLASS_NONE;
    uint32_t bits = t->sl_map[fl] & (~0u << (c & (SL_COUNT - 1u)));
    if (bits != 0)
        return (fl << SL_BITS) + (uint32_t)__builtin_ctz(bits);
    uint64_t fbits = t->fl_map & (~0ull << (fl + 1u)); /* fl + 1 <= FL_LIMIT < 64 */
    if (fbits == 0)
        return CLASS_NONE;
    fl = (uint32_t)__builtin_ctzll(fbits);
    return (fl << SL_BITS) + (uint32_t)__builtin_ctz(t->sl_map[fl]);
}

static void
list_insert(vkm_tlsf *t, tlsf_node *n)
{
    uint32_t c = class_of(n->size);
    tlsf_node *h = t->heads[c];
    n->u.list.prev = NULL;
    n->u.list.next = h;
    if (h != NULL)
        h->u.list.prev = n;
    t->heads[c] = n;
    t->sl_map[c >> SL_BITS] |= 1u << (c & (SL_COUNT - 1u));
    t->fl_map |= 1ull << (c >> SL_BITS);
    t->free_count++;
}

static void
list_remove(vkm_tlsf *t, tlsf_node *n)
{
    uint32_t c = class_of(n->size);
    tlsf_node *p = n->u.list.prev, *x = n->u.list.next;
    if (x != NULL)
        x->u.list.prev = p;
    if (p != NULL) {
        p->u.list.next = x;
    } else {
        vkm_assert(t->heads[c] == n);
        t->heads[c] = x;
        if (x == NULL) {
            uint32_t fl = c >> SL_BITS;
            t->sl_map[fl] &= ~(1u << (c & (SL_COUNT - 1u)));
            if (t->sl_map[fl] == 0)
                t->fl_map &= ~(1ull << fl);
        }
    }
    t->free_count--;
}

/* ---- node pool ------------------------------------------------------------------------ */

static vkm_range_status
pool_grow(vkm_tlsf *t)
{
    size_t n = t->next_chunk_nodes;
    node_chunk *ch = vkm_host_alloc_alloc(t->ha, sizeof(node_chunk) + n * sizeof(tlsf_node),
                                          _Alignof(node_chunk));
    if (ch == NULL)
        return VKM_RANGE_NO_HOST_MEMORY;
    ch->next = t->chunks;
    ch->count = n;
    t->chunks = ch;
    for (size_t i = n; i-- > 0;) {
        ch->nodes[i].kind = NODE_POOLED;
        ch->nodes[i].u.list.next = t->spare;
        t->spare = &ch->nodes[i];
    }
    t->spare_count += n;
    t->total_nodes += n;
    if (t->next_chunk_nodes < MAX_CHUNK_NODES)
        t->next_chunk_nodes *= 2;
    return VKM_RANGE_OK;
}

static inline tlsf_node *
pool_take(vkm_tlsf *t)
{
    tlsf_node *n = t->spare;
    vkm_assert(n != NULL && n->kind == NODE_POOLED);
    t->spare = n->u.list.next;
    t->spare_count--;
    return n;
}

static inline void
pool_put(vkm_tlsf *t, tlsf_node *n)
{
    n->kind = NODE_POOLED;
    n->u.list.next = t->spare;
    t->spare = n;
    t->spare_count++;
}

/* ---- offset lookup -------------------------------------------------------------------- */

static inline size_t
lookup_home(const vkm_tlsf *t, uint64_t offset)
{
    return (size_t)((offset * 0x9e3779b97f4a7c15ull) >> t->slot_shift);
}

/* Slot index of the live range at `offset`, or SIZE_MAX. */
static size_t
lookup_find(const vkm_tlsf *t, uint64_t offset)
{
    for (size_t i = lookup_home(t, offset);; i = (i + 1u) & t->slot_mask) {
        if (t->slots[i].node == NULL)
            return SIZE_MAX;
        if (t->slots[i].offset == offset)
            return i;
    }
}

static void
lookup_put(lookup_slot *slots, size_t mask, uint32_t shift, uint64_t offset, tlsf_node *node)
{
    size_t i = (size_t)((offset * 0x9e3779b97f4a7c15ull) >> shift);
    while (slots[i].node != NULL)
        i = (i + 1u) & mask;
    slots[i].offset = offset;
    slots[i].node = node;
}

/* Makes room for one more live range (load stays <= 1/2). */
static vkm_range_status
lookup_reserve(vkm_tlsf *t)
{
    size_t cap = t->slot_mask + 1u;
    if (((size_t)t->alloc_count + 1u) * 2u <= cap)
        return VKM_RANGE_OK;
    size_t ncap = cap * 2u;
    lookup_slot *ns = vkm_host_new_array(t->ha, lookup_slot, ncap);
    if (ns == NULL)
        return VKM_RANGE_NO_HOST_MEMORY;
    uint32_t nshift = t->slot_shift - 1u;
    for (size_t i = 0; i < cap; i++)
        if (t->slots[i].node != NULL)
            lookup_put(ns, ncap - 1u, nshift, t->slots[i].offset, t->slots[i].node);
    vkm_host_delete_array(t->ha, lookup_slot, t->slots, cap);
    t->slots = ns;
    t->slot_mask = ncap - 1u;
    t->slot_shift = nshift;
    return VKM_RANGE_OK;
}

/* Empties slot i; later entries of its probe run move back so lookups need no
 * tombstones. */
static void
lookup_erase(vkm_tlsf *t, size_t i)
{
    size_t j = i;
    for (;;) {
        j = (j + 1u) & t->slot_mask;
        if (t->slots[j].node == NULL)
            break;
        size_t h = lookup_home(t, t->slots[j].offset);
        /* the entry at j may stay when its home lies cyclically in (i, j] */
        bool stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
        if (!stays) {
            t->slots[i] = t->slots[j];
            i = j;
        }
    }
    t->slots[i].node = NULL;
}

/* ---- placement ------------------------------------------------------------------------ */

static inline bool
same_page(uint64_t a, uint64_t b, uint64_t granularity)
{
    return (a ^ b) < granularity; /* granularity is a power of two */
}

/*
 * Where `req` would start inside free node f, or VKM_NO_OFFSET when it does not fit.
 * A free node's physical neighbours are allocated (or absent): free ranges never touch.
 * By the equivalence noted in range.h, agreeing with the nearest allocated neighbour
 * means agreeing with every range on that page.
 */
static uint64_t
place_in(const vkm_tlsf *t, const tlsf_node *f, const vkm_range_request *req)
{
    uint64_t room = f->size;
    uint64_t pad = (0u - f->offset) & (req->alignment - 1u);
    if (pad > room || room - pad < req->size)
        return VKM_NO_OFFSET;
    uint64_t start = f->offset + pad;
    uint64_t g = t->granularity;
    if (g > 1u) {
        const tlsf_node *p = f->phys_prev;
        if (p != NULL && vkm_range_kinds_conflict((vkm_range_kind)p->kind, req->kind) &&
            same_page(f->offset - 1u, start, g)) {
            uint64_t gpad = (0u - start) & (g - 1u);
            pad += gpad;
            if (pad > room || room - pad < req->size)
                return VKM_NO_OFFSET;
            start += gpad;
        }
        const tlsf_node *n = f->phys_next;
        /* the end cannot move down: start is already the lowest legal one */
        if (n != NULL && vkm_range_kinds_conflict(req->kind, (vkm_range_kind)n->kind) &&
            same_page(start + req->size - 1u, n->offset, g))
            return VKM_NO_OFFSET;
    }
    return start;
}

/* The size g such that every free range of g bytes fits `req` (UINT64_MAX: none). */
static uint64_t
guaranteed_size(const vkm_tlsf *t, const vkm_range_request *req)
{
    uint64_t slack = req->alignment - 1u;
    uint64_t g = t->granularity;
    if (g > 1u) {
        uint64_t a = req->alignment > g ? req->alignment : g;
        slack = (a - 1u) + (g - 1u);
    }
    if (req->size > UINT64_MAX - slack)
        return UINT64_MAX;
    return req->size + slack;
}

static inline void
link_after(tlsf_node *x, tlsf_node *y)
{
    y->phys_prev = x;
    y->phys_next = x->phys_next;
    if (x->phys_next != NULL)
        x->phys_next->phys_prev = y;
    x->phys_next = y;
}

static inline void
unlink_node(tlsf_node *y)
{
    if (y->phys_prev != NULL)
        y->phys_prev->phys_next = y->phys_next;
    if (y->phys_next != NULL)
        y->phys_next->phys_prev = y->phys_prev;
}

/*
 * Turns [start, start + size) of free node f into an allocated range. f keeps its
 * offset (so t->first never changes): it becomes the padding when there is some, else
 * the allocation. Needs two spare nodes and a lookup slot, reserved by the caller.
 */
static void
carve(vkm_tlsf *t, tlsf_node *f, uint64_t start, const vkm_range_request *req)
{
    uint64_t f_end = f->offset + f->size;
    uint64_t end = start + req->size;
    list_remove(t, f);
    tlsf_node *n = f;
    if (start > f->offset) {
        n = pool_take(t);
        f->size = start - f->offset;
        link_after(f, n);
        list_insert(t, f);
    }
    n->offset = start;
    n->size = req->size;
    n->kind = (uint32_t)req->kind;
    n->u.user = req->user;
    if (end < f_end) {
        tlsf_node *tail = pool_take(t);
        tail->offset = end;
        tail->size = f_end - end;
        tail->kind = VKM_RANGE_FREE;
        link_after(n, tail);
        list_insert(t, tail);
    }
    lookup_put(t->slots, t->slot_mask, t->slot_shift, start, n);
    t->alloc_count++;
    t->alloc_bytes += req->size;
}

/* ---- search --------------------------------------------------------------------------- */

typedef struct fit {
    tlsf_node *node;
    uint64_t start;
} fit;

/* Heads of up to `probes` non-empty classes from c up. */
static bool
probe_heads(const vkm_tlsf *t, const vkm_range_request *req, uint32_t c, uint32_t probes, fit *out)
{
    for (uint32_t i = 0; i < probes; i++) {
        c = find_nonempty(t, c);
        if (c == CLASS_NONE)
            return false;
        tlsf_node *h = t->heads[c];
        uint64_t s = place_in(t, h, req);
        if (s != VKM_NO_OFFSET) {
            *out = (fit){h, s};
            return true;
        }
        c++;
    }
    return false;
}

/* Head of the first non-empty class at or above class_up(g): fits by construction. */
static bool
guaranteed_fit(const vkm_tlsf *t, const vkm_range_request *req, uint32_t c_g, fit *out)
{
    uint32_t c = find_nonempty(t, c_g);
    if (c == CLASS_NONE)
        return false;
    tlsf_node *h = t->heads[c];
    uint64_t s = place_in(t, h, req);
    vkm_assert(s != VKM_NO_OFFSET);
    if (s == VKM_NO_OFFSET)
        return false;
    *out = (fit){h, s};
    return true;
}

/* Every free range in classes [c, c_end): first fit, or best (smallest) per class. */
static bool
scan_classes(const vkm_tlsf *t, const vkm_range_request *req, uint32_t c, uint32_t c_end, bool best,
             fit *out)
{
    for (c = find_nonempty(t, c); c != CLASS_NONE && c < c_end; c = find_nonempty(t, c + 1u)) {
        fit found = {NULL, 0};
        for (tlsf_node *n = t->heads[c]; n != NULL; n = n->u.list.next) {
            if (found.node != NULL && n->size >= found.node->size &&
                (n->size > found.node->size || n->offset > found.node->offset))
                continue;
            uint64_t s = place_in(t, n, req);
            if (s == VKM_NO_OFFSET)
                continue;
            found = (fit){n, s};
            if (!best)
                break;
        }
        if (found.node != NULL) {
            *out = found;
            return true;
        }
    }
    return false;
}

static bool
lowest_offset_fit(const vkm_tlsf *t, const vkm_range_request *req, fit *out)
{
    for (tlsf_node *n = t->first; n != NULL; n = n->phys_next) {
        if (n->kind != VKM_RANGE_FREE || n->size < req->size)
            continue;
        uint64_t s = place_in(t, n, req);
        if (s != VKM_NO_OFFSET) {
            *out = (fit){n, s};
            return true;
        }
    }
    return false;
}

static bool
find_fit(const vkm_tlsf *t, const vkm_range_request *req, fit *out)
{
    uint32_t c_s = class_of(req->size);
    uint32_t c_up = class_up(req->size);
    uint32_t c_g = class_up(guaranteed_size(t, req));
    switch (req->strategy) {
    case VKM_RANGE_STRATEGY_MIN_TIME:
        return guaranteed_fit(t, req, c_g, out) || probe_heads(t, req, c_up, GOOD_FIT_PROBES, out) ||
               scan_classes(t, req, c_s, c_g, false, out);
    case VKM_RANGE_STRATEGY_MIN_MEMORY: {
        /* up to and including the first class where everything fits */
        uint32_t c_fits = find_nonempty(t, c_g);
        return scan_classes(t, req, c_s, c_fits == CLASS_NONE ? CLASS_NONE : c_fits + 1u, true,
                            out);
    }
    case VKM_RANGE_STRATEGY_MIN_OFFSET:
        return lowest_offset_fit(t, req, out);
    case VKM_RANGE_STRATEGY_DEFAULT:
    default:
        return probe_heads(t, req, c_up, GOOD_FIT_PROBES, out) ||
               guaranteed_fit(t, req, c_g, out) || scan_classes(t, req, c_s, c_g, false, out);
    }
}

/* ---- public --------------------------------------------------------------------------- */

vkm_range_status
vkm_tlsf_create(const vkm_host_alloc *ha, uint64_t size, uint64_t granularity, vkm_tlsf **out)
{
    vkm_assert(ha != NULL && out != NULL);
    vkm_assert(size > 0);
    vkm_assert(granularity >= 1 && (granularity & (granularity - 1u)) == 0);
    *out = NULL;
    if (granularity == 0)
        granularity = 1;

    uint32_t fl_count = (class_of(size) >> SL_BITS) + 1u;
    size_t heads_bytes = sizeof(tlsf_node *) * fl_count * SL_COUNT;
    size_t self_bytes = sizeof(vkm_tlsf) + heads_bytes + sizeof(uint32_t) * fl_count;
    vkm_tlsf *t = vkm_host_alloc_calloc(ha, self_bytes, _Alignof(vkm_tlsf));
    if (t == NULL)
        goto fail_self;
    t->ha = ha;
    t->capacity = size;
    t->granularity = granularity;
    t->fl_count = fl_count;
    t->heads = (tlsf_node **)(void *)(t + 1);
    t->sl_map = (uint32_t *)(void *)((char *)t->heads + heads_bytes);
    t->self_bytes = self_bytes;
    t->next_chunk_nodes = FIRST_CHUNK_NODES;

    t->slots = vkm_host_new_array(ha, lookup_slot, FIRST_LOOKUP_SLOTS);
    if (t->slots == NULL)
        goto fail_slots;
    t->slot_mask = FIRST_LOOKUP_SLOTS - 1u;
    t->slot_shift = 64u - (uint32_t)__builtin_ctzll(FIRST_LOOKUP_SLOTS);

    if (pool_grow(t) != VKM_RANGE_OK)
        goto fail_pool;
    tlsf_node *n = pool_take(t);
    n->offset = 0;
    n->size = size;
    n->phys_prev = n->phys_next = NULL;
    n->kind = VKM_RANGE_FREE;
    list_insert(t, n);
    t->first = n;
    *out = t;
    return VKM_RANGE_OK;

fail_pool:
    vkm_host_delete_array(ha, lookup_slot, t->slots, FIRST_LOOKUP_SLOTS);
fail_slots:
    vkm_host_alloc_free(ha, t, self_bytes);
fail_self:
    return VKM_RANGE_NO_HOST_MEMORY;
}

void
vkm_tlsf_destroy(vkm_tlsf *t)
{
    if (t == NULL)
        return;
    const vkm_host_alloc *ha = t->ha;
    for (node_chunk *ch = t->chunks, *next; ch != NULL; ch = next) {
        next = ch->next;
        vkm_host_alloc_free(ha, ch, sizeof(node_chunk) + ch->count * sizeof(tlsf_node));
    }
    vkm_host_delete_array(ha, lookup_slot, t->slots, t->slot_mask + 1u);
    vkm_host_alloc_free(ha, t, t->self_bytes);
}

vkm_range_status
vkm_tlsf_alloc(vkm_tlsf *t, const vkm_range_request *req, uint64_t *out_offset)
{
    vkm_assert(t != NULL && req != NULL && out_offset != NULL);
    vkm_assert(req->size > 0);
    vkm_assert(req->alignment >= 1 && (req->alignment & (req->alignment - 1u)) == 0);
    vkm_assert(req->kind > VKM_RANGE_FREE && req->kind < VKM_RANGE_KIND_COUNT);
    *out_offset = VKM_NO_OFFSET;
    if (vkm_config_expensive_checks)
        vkm_assert(vkm_tlsf_validate(t));
    if (req->size == 0 || req->alignment == 0 || (req->alignment & (req->alignment - 1u)) != 0 ||
        req->kind == VKM_RANGE_FREE || req->kind >= VKM_RANGE_KIND_COUNT || req->upper ||
        req->size > vkm_tlsf_largest_free_bound(t))
        return VKM_RANGE_NO_SPACE;

    fit f;
    if (!find_fit(t, req, &f))
        return VKM_RANGE_NO_SPACE;
    /* Reserve before touching anything: a failure leaves the allocator as it was. */
    if (t->alloc_count == UINT32_MAX)
        return VKM_RANGE_NO_HOST_MEMORY;
    vkm_range_status st = VKM_RANGE_OK;
    while (st == VKM_RANGE_OK && t->spare_count < 2u)
        st = pool_grow(t);
    if (st == VKM_RANGE_OK)
        st = lookup_reserve(t);
    if (st != VKM_RANGE_OK)
        return st;

    carve(t, f.node, f.start, req);
    if (vkm_config_expensive_checks)
        vkm_assert(vkm_tlsf_validate(t));
    *out_offset = f.start;
    return VKM_RANGE_OK;
}

void
vkm_tlsf_free(vkm_tlsf *t, uint64_t offset)
{
    if (vkm_config_expensive_checks)
        vkm_assert(vkm_tlsf_validate(t));
    size_t i = lookup_find(t, offset);
    vkm_assert(i != SIZE_MAX); /* offset must come from vkm_tlsf_alloc and be live */
    if (i == SIZE_MAX)
        return;
    tlsf_node *n = t->slots[i].node;
    lookup_erase(t, i);
    t->alloc_count--;
    t->alloc_bytes -= n->size;
    n->kind = VKM_RANGE_FREE;

    tlsf_node *p = n->phys_prev;
    if (p != NULL && p->kind == VKM_RANGE_FREE) {
        list_remove(t, p);
        p->size += n->size;
        unlink_node(n);
        pool_put(t, n);
        n = p;
    }
    tlsf_node *x = n->phys_next;
    if (x != NULL && x->kind == VKM_RANGE_FREE) {
        list_remove(t, x);
        n->size += x->size;
        unlink_node(x);
        pool_put(t, x);
    }
    list_insert(t, n);
    if (vkm_config_expensive_checks)
        vkm_assert(vkm_tlsf_validate(t));
}

bool
vkm_tlsf_contains(const vkm_tlsf *t, uint64_t offset)
{
    return lookup_find(t, offset) != SIZE_MAX;
}

static tlsf_node *
live_node(const vkm_tlsf *t, uint64_t offset)
{
    size_t i = lookup_find(t, offset);
    vkm_assert(i != SIZE_MAX); /* offset must come from vkm_tlsf_alloc and be live */
    return i == SIZE_MAX ? NULL : t->slots[i].node;
}

uint64_t
vkm_tlsf_size_of(const vkm_tlsf *t, uint64_t offset)
{
    const tlsf_node *n = live_node(t, offset);
    return n != NULL ? n->size : 0;
}

vkm_range_kind
vkm_tlsf_kind_of(const vkm_tlsf *t, uint64_t offset)
{
    const tlsf_node *n = live_node(t, offset);
    return n != NULL ? (vkm_range_kind)n->kind : VKM_RANGE_FREE;
}

void *
vkm_tlsf_user(const vkm_tlsf *t, uint64_t offset)
{
    const tlsf_node *n = live_node(t, offset);
    return n != NULL ? n->u.user : NULL;
}

void
vkm_tlsf_set_user(vkm_tlsf *t, uint64_t offset, void *user)
{
    tlsf_node *n = live_node(t, offset);
    if (n != NULL)
        n->u.user = user;
}

uint64_t
vkm_tlsf_capacity(const vkm_tlsf *t)
{
    return t->capacity;
}

uint64_t
vkm_tlsf_granularity(const vkm_tlsf *t)
{
    return t->granularity;
}

uint64_t
vkm_tlsf_free_bytes(const vkm_tlsf *t)
{
    return t->capacity - t->alloc_bytes;
}

uint32_t
vkm_tlsf_alloc_count(const vkm_tlsf *t)
{
    return t->alloc_count;
}

bool
vkm_tlsf_is_empty(const vkm_tlsf *t)
{
    return t->alloc_count == 0;
}

uint64_t
vkm_tlsf_largest_free_bound(const vkm_tlsf *t)
{
    if (t->fl_map == 0)
        return 0;
    uint32_t fl = msb64(t->fl_map);
    uint32_t c = (fl << SL_BITS) + (31u - (uint32_t)__builtin_clz(t->sl_map[fl]));
    uint64_t free_bytes = t->capacity - t->alloc_bytes;
    if (c + 1u >= FL_LIMIT * SL_COUNT)
        return free_bytes;
    uint64_t bound = class_min_size(c + 1u) - 1u; /* the top class's largest size */
    return bound < free_bytes ? bound : free_bytes;
}

void
vkm_tlsf_stats(const vkm_tlsf *t, vkm_range_stats *out)
{
    vkm_range_stats s = {
        .alloc_min = UINT64_MAX,
        .free_min = UINT64_MAX,
    };
    for (const tlsf_node *n = t->first; n != NULL; n = n->phys_next) {
        if (n->kind == VKM_RANGE_FREE) {
            s.free_count++;
            s.free_bytes += n->size;
            s.free_min = n->size < s.free_min ? n->size : s.free_min;
            s.free_max = n->size > s.free_max ? n->size : s.free_max;
        } else {
            s.alloc_count++;
            s.alloc_bytes += n->size;
            s.alloc_min = n->size < s.alloc_min ? n->size : s.alloc_min;
            s.alloc_max = n->size > s.alloc_max ? n->size : s.alloc_max;
        }
    }
    *out = s;
}

void
vkm_tlsf_clear(vkm_tlsf *t)
{
    tlsf_node *n = t->first->phys_next;
    while (n != NULL) {
        tlsf_node *next = n->phys_next;
        pool_put(t, n);
        n = next;
    }
    memset(t->heads, 0, sizeof(tlsf_node *) * t->fl_count * SL_COUNT);
    memset(t->sl_map, 0, sizeof(uint32_t) * t->fl_count);
    t->fl_map = 0;
    memset(t->slots, 0, sizeof(lookup_slot) * (t->slot_mask + 1u));
    t->alloc_count = 0;
    t->alloc_bytes = 0;
    t->free_count = 0;
    tlsf_node *f = t->first;
    f->size = t->capacity;
    f->phys_next = NULL;
    f->kind = VKM_RANGE_FREE;
    list_insert(t, f);
}

void
vkm_tlsf_visit(const vkm_tlsf *t, vkm_range_visit_fn fn, void *ctx)
{
    for (const tlsf_node *n = t->first; n != NULL; n = n->phys_next) {
        bool is_free = n->kind == VKM_RANGE_FREE;
        fn(ctx, n->offset, n->size, (vkm_range_kind)n->kind, is_free ? NULL : n->u.user);
    }
}

/* ---- validation ----------------------------------------------------------------------- */

#define TLSF_CHECK(cond, ...)                                  \
    do {                                                       \
        if (!(cond)) {                                         \
            fprintf(stderr, "vkm_tlsf_validate: %s: ", #cond); \
            fprintf(stderr, __VA_ARGS__);                      \
            fputc('\n', stderr);                               \
            return false;                                      \
        }                                                      \
    } while (0)

bool
vkm_tlsf_validate(const vkm_tlsf *t)
{
    TLSF_CHECK(t->first != NULL && t->first->offset == 0 && t->first->phys_prev == NULL,
               "first node");
    TLSF_CHECK(t->granularity >= 1 && (t->granularity & (t->granularity - 1u)) == 0,
               "granularity %llu", (unsigned long long)t->granularity);

    /* physical chain: tiling, no free neighbours, granularity, counters */
    size_t nodes = 0, allocated = 0, free_nodes = 0;
    uint64_t alloc_bytes = 0, expect = 0;
    const tlsf_node *last_alloc = NULL;
    for (const tlsf_node *n = t->first; n != NULL; n = n->phys_next) {
        TLSF_CHECK(++nodes <= t->total_nodes, "physical chain longer than the pool (cycle?)");
        TLSF_CHECK(n->offset == expect, "node at %llu, expected %llu",
                   (unsigned long long)n->offset, (unsigned long long)expect);
        TLSF_CHECK(n->size > 0 && n->size <= t->capacity - n->offset, "node at %llu size %llu",
                   (unsigned long long)n->offset, (unsigned long long)n->size);
        TLSF_CHECK(n->phys_next == NULL || n->phys_next->phys_prev == n, "back link after %llu",
                   (unsigned long long)n->offset);
        TLSF_CHECK(n->kind < VKM_RANGE_KIND_COUNT, "node at %llu kind %u",
                   (unsigned long long)n->offset, n->kind);
        expect = n->offset + n->size;
        if (n->kind == VKM_RANGE_FREE) {
            free_nodes++;
            TLSF_CHECK(n->phys_next == NULL || n->phys_next->kind != VKM_RANGE_FREE,
                       "free neighbours at %llu", (unsigned long long)n->offset);
            continue;
        }
        allocated++;
        alloc_bytes += n->size;
        size_t i = lookup_find(t, n->offset);
        TLSF_CHECK(i != SIZE_MAX && t->slots[i].node == n, "range at %llu not in lookup",
                   (unsigned long long)n->offset);
        if (last_alloc != NULL && t->granularity > 1u) {
            TLSF_CHECK(
                !same_page(last_alloc->offset + last_alloc->size - 1u, n->offset, t->granularity) ||
                    !vkm_range_kinds_conflict((vkm_range_kind)last_alloc->kind,
                                              (vkm_range_kind)n->kind),
                "kinds %u and %u share a page at %llu", last_alloc->kind, n->kind,
                (unsigned long long)n->offset);
        }
        last_alloc = n;
    }
    TLSF_CHECK(expect == t->capacity, "ranges end at %llu of %llu", (unsigned long long)expect,
               (unsigned long long)t->capacity);
    TLSF_CHECK(allocated == t->alloc_count, "%zu allocated, count %u", allocated, t->alloc_count);
    TLSF_CHECK(alloc_bytes == t->alloc_bytes, "alloc bytes %llu vs %llu",
               (unsigned long long)alloc_bytes, (unsigned long long)t->alloc_bytes);
    TLSF_CHECK(free_nodes == t->free_count, "%zu free ranges, count %u", free_nodes, t->free_count);

    /* class lists and bitmaps */
    size_t listed = 0;
    for (uint32_t fl = 0; fl < FL_LIMIT; fl++) {
        bool fl_bit = (t->fl_map >> fl) & 1u;
        if (fl >= t->fl_count) {
            TLSF_CHECK(!fl_bit, "first level %u beyond capacity", fl);
            continue;
        }
        TLSF_CHECK(fl_bit == (t->sl_map[fl] != 0), "first-level bit %u", fl);
        for (uint32_t sl = 0; sl < SL_COUNT; sl++) {
            uint32_t c = (fl << SL_BITS) + sl;
            bool sl_bit = (t->sl_map[fl] >> sl) & 1u;
            TLSF_CHECK(sl_bit == (t->heads[c] != NULL), "second-level bit of class %u", c);
            const tlsf_node *prev = NULL;
            for (const tlsf_node *n = t->heads[c]; n != NULL; n = n->u.list.next) {
                TLSF_CHECK(++listed <= free_nodes, "class lists longer than free ranges");
                TLSF_CHECK(n->kind == VKM_RANGE_FREE, "allocated node in class %u", c);
                TLSF_CHECK(class_of(n->size) == c, "size %llu in class %u",
                           (unsigned long long)n->size, c);
                TLSF_CHECK(n->u.list.prev == prev, "list back link in class %u", c);
                TLSF_CHECK(class_min_size(c) <= n->size, "class %u bound", c);
                prev = n;
            }
        }
    }
    TLSF_CHECK(listed == free_nodes, "%zu listed of %zu free", listed, free_nodes);

    /* lookup table: exactly the live ranges, each reachable from its home slot */
    size_t occupied = 0;
    for (size_t i = 0; i <= t->slot_mask; i++) {
        const lookup_slot *s = &t->slots[i];
        if (s->node == NULL)
            continue;
        occupied++;
        TLSF_CHECK(s->node->kind != VKM_RANGE_FREE && s->node->kind < VKM_RANGE_KIND_COUNT &&
                       s->node->offset == s->offset,
                   "lookup slot %zu", i);
        TLSF_CHECK(lookup_find(t, s->offset) == i, "lookup slot %zu unreachable", i);
    }
    TLSF_CHECK(occupied == t->alloc_count, "%zu lookup entries, %u live", occupied, t->alloc_count);
    TLSF_CHECK(occupied * 2u <= t->slot_mask + 1u, "lookup load");

    /* pool */
    size_t spare = 0;
    for (const tlsf_node *n = t->spare; n != NULL; n = n->u.list.next) {
        TLSF_CHECK(++spare <= t->spare_count, "spare list longer than its count");
        TLSF_CHECK(n->kind == NODE_POOLED, "spare node in use");
    }
    TLSF_CHECK(spare == t->spare_count && spare + nodes == t->total_nodes,
               "%zu spare + %zu in use != %zu nodes", spare, nodes, t->total_nodes);
    return true;
}
