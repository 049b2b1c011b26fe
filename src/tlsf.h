/* SPDX-License-Identifier: MIT */
/*
 * tlsf.h - two-level segregated fit range allocator (layer L1).
 *
 * Owns the bookkeeping of one range [0, capacity): which sub-ranges are allocated (with
 * their requested size, resource kind and a user pointer) and which are free, with O(1)
 * allocation and free (Masmano, Ripoll, Crespo, Real: "TLSF: a New Dynamic Memory
 * Allocator for Real-Time Systems", ECRTS 2004). Device memory is not host-visible in
 * general, so all metadata lives in host nodes, never in the range itself.
 *
 * Callers: block.c (the blocks of default and custom pools), virtual.c (virtual blocks),
 * tcache.c indirectly (runs are ranges reserved from a block).
 *
 * Threads: none of its own. A vkm_tlsf is mutated and read under its owner's lock (the
 * block lock); the only host memory it touches comes from the vkm_host_alloc given at
 * creation, which must outlive it.
 *
 * It does not know: Vulkan handles, memory types, mapping, or anything about threads.
 * The caller maps bufferImageGranularity and its resource types onto `granularity` and
 * vkm_range_kind.
 *
 * Offsets identify ranges: vkm_tlsf_free(), _size_of(), _user() take the offset that
 * vkm_tlsf_alloc() returned. Passing anything else is a contract violation (asserted in
 * debug builds, ignored or answered with 0/NULL in release builds).
 */
#ifndef VKM_TLSF_H
#define VKM_TLSF_H

#include <stdbool.h>
#include <stdint.h>

#include "host_alloc.h"
#include "range.h"

typedef struct vkm_tlsf vkm_tlsf; /* opaque */

/* Creates an allocator for [0, size) with everything free. `size` > 0; `granularity` is
 * bufferImageGranularity (a power of two, 1 = no constraint). `ha` must outlive the
 * allocator. Returns VKM_RANGE_NO_HOST_MEMORY (and *out = NULL) when metadata cannot be
 * allocated. */
vkm_range_status vkm_tlsf_create(const vkm_host_alloc *ha, uint64_t size, uint64_t granularity,
                                 vkm_tlsf **out);

/* Frees all metadata; live ranges are dropped without notice. NULL is a no-op. */
void vkm_tlsf_destroy(vkm_tlsf *t);

/* Allocates req->size bytes at an offset aligned to req->alignment, placed by
 * req->strategy and honouring the granularity rule (range.h). On success stores the
 * offset in *out_offset and returns VKM_RANGE_OK; otherwise stores VKM_NO_OFFSET and
 * returns VKM_RANGE_NO_SPACE (no free range fits, or req->upper is set; every strategy
 * except MIN_TIME checks every candidate before saying so) or VKM_RANGE_NO_HOST_MEMORY
 * (node or lookup storage could not grow; the allocator is unchanged). */
vkm_range_status vkm_tlsf_alloc(vkm_tlsf *t, const vkm_range_request *req, uint64_t *out_offset);

/* Frees the live range at `offset`, merging it with free physical neighbours. Never
 * allocates host memory, never fails. */
void vkm_tlsf_free(vkm_tlsf *t, uint64_t offset);

/* True when a live range starts at `offset` (the non-asserting check). O(1) expected. */
bool vkm_tlsf_contains(const vkm_tlsf *t, uint64_t offset);

/* The requested size, kind and user pointer of the live range at `offset`. */
uint64_t vkm_tlsf_size_of(const vkm_tlsf *t, uint64_t offset);
vkm_range_kind vkm_tlsf_kind_of(const vkm_tlsf *t, uint64_t offset);
void *vkm_tlsf_user(const vkm_tlsf *t, uint64_t offset);
void vkm_tlsf_set_user(vkm_tlsf *t, uint64_t offset, void *user);

/* O(1) counters: capacity == free_bytes + sum of live requested sizes. */
uint64_t vkm_tlsf_capacity(const vkm_tlsf *t);
uint64_t vkm_tlsf_granularity(const vkm_tlsf *t);
uint64_t vkm_tlsf_free_bytes(const vkm_tlsf *t);
uint32_t vkm_tlsf_alloc_count(const vkm_tlsf *t);
bool vkm_tlsf_is_empty(const vkm_tlsf *t);

/* O(1) upper bound on the largest free range (0 when none): a request for more bytes
 * cannot fit, whatever its alignment. The bound is within one size class (1/32) of the
 * truth; owners may publish it so threads skip a block without taking its lock. */
uint64_t vkm_tlsf_largest_free_bound(const vkm_tlsf *t);

/* Fills *out for this allocator (does not add to it). O(number of ranges). */
void vkm_tlsf_stats(const vkm_tlsf *t, vkm_range_stats *out);

/* Frees every range; keeps the node and lookup storage for reuse. */
void vkm_tlsf_clear(vkm_tlsf *t);

/* Calls fn for every range, allocated and free, in ascending offset order; the ranges
 * tile [0, capacity) and two free ranges are never adjacent. */
void vkm_tlsf_visit(const vkm_tlsf *t, vkm_range_visit_fn fn, void *ctx);

/* Full consistency walk (physical chain, class lists, bitmaps, lookup table, counters,
 * granularity rule). Returns false, after printing what is wrong to stderr, on the first
 * broken invariant. O(number of ranges + lookup capacity). */
bool vkm_tlsf_validate(const vkm_tlsf *t);

#endif /* VKM_TLSF_H */
