/* SPDX-License-Identifier: MIT */
/*
 * linear.h - linear range allocator: free-at-once, stack, double stack, ring buffer
 * (layer L1).
 *
 * Owns the bookkeeping of one range [0, capacity) managed the way VMA's linear algorithm
 * (VMA_POOL_CREATE_LINEAR_ALGORITHM_BIT, VMA_VIRTUAL_BLOCK_CREATE_LINEAR_ALGORITHM_BIT)
 * is documented to behave. Space freed in the middle is never reused directly; the four
 * usage patterns VMA describes fall out of where the cursors move:
 *   - free-at-once: ranges go after the last one; once all are freed, offset 0 again;
 *   - stack: freeing the last range (and with it any already-freed ranges below it) moves
 *     the cursor back down, so LIFO frees reuse the space;
 *   - double stack: requests with `upper` set grow down from the end; the two stacks fail
 *     to allocate (NO_SPACE) once they would overlap, and succeed again after frees;
 *   - ring buffer: when the ranges at the beginning were freed and a request no longer
 *     fits after the last range, it wraps around to offset 0 and fills up to the first
 *     live range; FIFO frees make a queue.
 * Double stack and ring buffer exclude each other while both halves are in use: an
 * `upper` request while the ring has wrapped, or a request that would need to wrap while
 * the upper stack is in use, fails with NO_SPACE.
 *
 * Callers: virtual.c (linear virtual blocks); later block.c for linear custom pools.
 * Threads: none of its own; a vkm_linear is used under its owner's lock. Host memory
 * comes from the vkm_host_alloc given at creation, which must outlive it.
 * It does not know Vulkan handles or memory types; bufferImageGranularity is the
 * `granularity` given at creation and the kinds of range.h, applied as tlsf.h does.
 *
 * Offsets identify ranges: vkm_linear_free(), _size_of(), _user() take the offset that
 * vkm_linear_alloc() returned. Anything else is a contract violation (asserted in debug
 * builds, ignored or answered with 0/NULL in release builds); vkm_linear_contains() is
 * the non-asserting check.
 */
#ifndef VKM_LINEAR_H
#define VKM_LINEAR_H

#include <stdbool.h>
#include <stdint.h>

#include "host_alloc.h"
#include "range.h"

typedef struct vkm_linear vkm_linear; /* opaque */

/* Creates an allocator for [0, size) with everything free. `size` > 0; `granularity` is
 * bufferImageGranularity (a power of two, 1 = no constraint). `ha` must outlive the
 * allocator. Returns VKM_RANGE_NO_HOST_MEMORY (and *out = NULL) on failure. */
vkm_range_status vkm_linear_create(const vkm_host_alloc *ha, uint64_t size, uint64_t granularity,
                                   vkm_linear **out);

/* Frees all metadata; live ranges are dropped without notice. NULL is a no-op. */
void vkm_linear_destroy(vkm_linear *l);

/* Allocates req->size bytes aligned to req->alignment: at the lowest offset after the
 * last range of the lower stack (or, wrapped, after the last range of the ring's second
 * lap), or with req->upper just below the upper stack. req->strategy is ignored: there
 * is only ever one candidate position. On success stores the offset and returns
 * VKM_RANGE_OK; otherwise stores VKM_NO_OFFSET and returns VKM_RANGE_NO_SPACE or
 * VKM_RANGE_NO_HOST_MEMORY (metadata could not grow; the allocator is unchanged). */
vkm_range_status vkm_linear_alloc(vkm_linear *l, const vkm_range_request *req,
                                  uint64_t *out_offset);

/* Frees the live range at `offset`. Never allocates host memory, never fails. */
void vkm_linear_free(vkm_linear *l, uint64_t offset);

/* True when a live range starts at `offset`. O(log n). */
bool vkm_linear_contains(const vkm_linear *l, uint64_t offset);

/* The requested size, kind and user pointer of the live range at `offset`. O(log n). */
uint64_t vkm_linear_size_of(const vkm_linear *l, uint64_t offset);
vkm_range_kind vkm_linear_kind_of(const vkm_linear *l, uint64_t offset);
void *vkm_linear_user(const vkm_linear *l, uint64_t offset);
void vkm_linear_set_user(vkm_linear *l, uint64_t offset, void *user);

/* O(1) counters: capacity == free_bytes + sum of live requested sizes. */
uint64_t vkm_linear_capacity(const vkm_linear *l);
uint64_t vkm_linear_granularity(const vkm_linear *l);
uint64_t vkm_linear_free_bytes(const vkm_linear *l);
uint32_t vkm_linear_alloc_count(const vkm_linear *l);
bool vkm_linear_is_empty(const vkm_linear *l);

/* O(1) upper bound on the size of a lower-address request that can still succeed: the
 * largest of the gaps a new range may go into (0 when none). */
uint64_t vkm_linear_largest_free_bound(const vkm_linear *l);

/* Fills *out for this allocator (does not add to it). Free ranges are the maximal gaps
 * between live ranges, freed-but-unreclaimed ranges included. O(number of ranges). */
void vkm_linear_stats(const vkm_linear *l, vkm_range_stats *out);

/* Frees every range; keeps the metadata storage for reuse. */
void vkm_linear_clear(vkm_linear *l);

/* Calls fn for every live range and every maximal free gap in ascending offset order;
 * the ranges tile [0, capacity) and two free ranges are never adjacent. */
void vkm_linear_visit(const vkm_linear *l, vkm_range_visit_fn fn, void *ctx);

/* Full consistency walk. Returns false, after printing what is wrong to stderr, on the
 * first broken invariant. O(number of ranges). */
bool vkm_linear_validate(const vkm_linear *l);

#endif /* VKM_LINEAR_H */
