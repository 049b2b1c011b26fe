/* SPDX-License-Identifier: MIT */
/*
 * defrag.h - VMA's incremental defragmentation: contexts, passes, moves (layer L3).
 *
 * A context compacts one custom pool's block list or every default list. Each pass looks
 * at a snapshot of the list's blocks (inside an epoch section, so none is freed under
 * it), enumerates the live allocations of every block under that block's lock -- shared
 * ranges through their TLSF user pointer, slots of thread-cache runs through
 * vkm_tcache_visit_allocs -- and reserves for each allocation it wants to move a
 * destination: a shared-path range held by a temporary VmaAllocation, the move's
 * dstTmpAllocation. Before that, the calling thread's own runs of the list are compacted
 * among themselves (vkm_tcache_plan_compaction): a slot of a less used run moves to a free
 * slot of a more used run of the same size class, so that runs empty and go back. The program copies; vmaEndDefragmentationPass then swaps the
 * places of the source and the temporary and frees the temporary through the ordinary
 * free path, which returns the old place wherever it lived (range, local or remote slot
 * free). No lock is held while the program copies.
 *
 * Who touches what:
 *   every member of a context     the thread calling the defragmentation functions (VMA:
 *                                 one thread at a time per context)
 *   a source's place (block, offset, cached, slot)   written by pass end under the
 *                                 destination block's lock; the program promises not to
 *                                 use or free a source during its pass
 *   everything else               unchanged: other threads allocate, free, map and query
 *                                 other allocations (same lists included) meanwhile
 *
 * Accounting: a temporary counts as an allocation of its list from the pass start to its
 * free (as in VMA), so statistics and budgets stay exact throughout:
 *   allocations of a list during a pass = live allocations + moves not yet ended
 * It does not know how the ranges are placed inside a block (tlsf.h, tcache.h do).
 */
#ifndef VKM_DEFRAG_H
#define VKM_DEFRAG_H

#include "allocation.h"
#include "allocator.h"

#define VKM_DEFRAG_MAGIC 0x564b4d44u /* "VKMD" */

typedef struct vkm_defrag_move_state vkm_defrag_move_state;

struct VmaDefragmentationContext_T {
    uint32_t magic; /* VKM_DEFRAG_MAGIC while alive */
    VmaAllocator allocator;
    VmaPool pool;           /* NULL: every default list */
    uint32_t algorithm;     /* one VMA_DEFRAGMENTATION_FLAG_ALGORITHM_* bit */
    VkDeviceSize max_bytes; /* per pass */
    uint32_t max_allocs;    /* per pass */
    PFN_vmaCheckDefragmentationBreakFunction brk;
    void *brk_user;

    bool in_pass; /* between a pass begin that returned moves and its end */
    uint32_t move_count;
    size_t move_cap, state_cap;
    VkDeviceSize pass_bytes;        /* of the moves planned in the current pass */
    VmaDefragmentationMove *moves;  /* handed to the program */
    vkm_defrag_move_state *state;   /* ours, parallel to moves */
    VmaDefragmentationStats totals; /* of ended passes */
};

/* VMA_DEFRAGMENTATION_FLAG_ALGORITHM_* of `flags` after VMA's default (none: BALANCED),
 * or 0 when several algorithm bits are set (the caller reports it). */
uint32_t vkm_defrag_algorithm(VmaDefragmentationFlags flags);

/* vmaBeginDefragmentation behind the argument checks (pool valid and not linear). */
VkResult vkm_defrag_begin(VmaAllocator a, const VmaDefragmentationInfo *info,
                          VmaDefragmentationContext *out);
/* vmaEndDefragmentation: ends an open pass as if every move were IGNORE, then frees. */
void vkm_defrag_end(VmaDefragmentationContext ctx, VmaDefragmentationStats *stats);
/* vmaBeginDefragmentationPass: VK_SUCCESS (nothing to move), VK_INCOMPLETE (moves in
 * *out), VK_ERROR_OUT_OF_HOST_MEMORY. */
VkResult vkm_defrag_pass_begin(VmaDefragmentationContext ctx, VmaDefragmentationPassMoveInfo *out);
/* vmaEndDefragmentationPass: VK_INCOMPLETE when the pass moved or destroyed anything (the
 * next pass may find more), VK_SUCCESS otherwise. */
VkResult vkm_defrag_pass_end(VmaDefragmentationContext ctx, VmaDefragmentationPassMoveInfo *info);

#endif /* VKM_DEFRAG_H */
