/* SPDX-License-Identifier: MIT */
/*
 * size_class.h - slot sizes of thread-cache runs (layer L1, pure arithmetic).
 *
 * A request (size, alignment A) maps to a slot size that is a multiple of A, taken from
 * four classes per power of two: 2^k * {5/4, 6/4, 7/4, 8/4}. A class whose power-of-two
 * factor is below A is skipped, so every slot of a run whose base is aligned to the
 * slot's own power-of-two factor meets A. Internal waste is at most 25 % of the
 * request's aligned footprint, its size rounded up to A (or less than
 * VKM_SIZE_CLASS_MIN): when A is small against the size that is 25 % of the size; when
 * A is large (an image's 64 KiB with a few KiB of data) the footprint is what the
 * request takes wherever it goes among requests of its alignment (the gap up to the
 * next A boundary can hold no other such request), so a run of footprint-sized slots
 * holds them as densely as a private heap would, without a lock or a TLSF search; every
 * size and alignment up to VKM_SIZE_CLASS_MAX has a class. Requests whose class would waste more than that are not cached at all.
 */
#ifndef VKM_SIZE_CLASS_H
#define VKM_SIZE_CLASS_H

#include <stdint.h>

#define VKM_SIZE_CLASS_MIN 256u               /* smallest slot */
#define VKM_SIZE_CLASS_MAX (256u * 1024u)     /* largest slot; larger requests are not cached */

/* Largest power of two dividing x (x > 0). */
static inline uint64_t
vkm_size_class_pow2_factor(uint64_t x)
{
    return x & (~x + 1);
}

/* The slot size for (size, alignment), or 0 when the request is not cacheable. */
static inline uint64_t
vkm_size_class_slot(uint64_t size, uint64_t alignment)
{
    if (size == 0 || size > VKM_SIZE_CLASS_MAX || alignment > VKM_SIZE_CLASS_MAX)
        return 0;
    uint64_t s = size < VKM_SIZE_CLASS_MIN ? VKM_SIZE_CLASS_MIN : size;
    uint64_t c = 0;
    if (s <= alignment) {
        c = alignment; /* one aligned unit */
    } else {
        /* k: 2^k < s <= 2^(k+1); the candidates 2^k * q/4 for q = 5..8 */
        uint32_t k = 63u - (uint32_t)__builtin_clzll(s - 1);
        uint64_t quarter = (1ull << k) / 4;
        for (uint64_t q = 5; q <= 8 && c == 0; q++)
            if (quarter * q >= s && vkm_size_class_pow2_factor(quarter * q) >= alignment)
                c = quarter * q;
    }
    if (c == 0 || c > VKM_SIZE_CLASS_MAX)
        return 0;
    /* waste bound: 25 % of the aligned footprint, or less than the smallest slot (the
     * footprint cannot overflow: s and the alignment are at most the largest slot) */
    const uint64_t footprint = (s + alignment - 1) & ~(alignment - 1);
    return c - footprint <= footprint / 4 || c - size < VKM_SIZE_CLASS_MIN ? c : 0;
}

#endif /* VKM_SIZE_CLASS_H */
