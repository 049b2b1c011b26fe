/* SPDX-License-Identifier: MIT */
#include "host_alloc.h"
#include "atomics.h"
#include "debug.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef VKM_HOST_ALLOC_JEMALLOC
#define VKM_HOST_ALLOC_JEMALLOC 0
#endif

#if VKM_HOST_ALLOC_JEMALLOC
#include <jemalloc/jemalloc.h>

/*
 * The library's own jemalloc arenas, so our metadata never shares pages with the
 * application's objects, and one explicit tcache per thread (design.md §7: an arena flag
 * alone would be served from the automatic tcache of whatever arena the thread uses).
 * One arena for every thread serialised tcache refills and flushes on its bin locks at
 * 16 threads, so there are up to ARENA_MAX of them (one per CPU), made on demand and
 * handed to threads round-robin, as jemalloc does with its automatic arenas.
 * The tcache is created on a thread's first allocation and destroyed by a pthread key
 * destructor when the thread exits.
 */
#define ARENA_MAX 64u
static pthread_once_t arena_once = PTHREAD_ONCE_INIT;
static unsigned library_arena; /* the first one */
static int arena_ok;
static unsigned arena_count; /* arenas wanted: CPUs, at most ARENA_MAX */
static pthread_mutex_t arenas_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned arenas[ARENA_MAX]; /* under arenas_lock; 0 = not made yet */
static unsigned arena_next;        /* under arenas_lock: round-robin */
static pthread_key_t tcache_key;
static _Thread_local unsigned thread_tcache; /* 0: none yet; else index + 1 */
static _Thread_local unsigned thread_arena;  /* 0: none yet; else index + 1 */
/* MALLOCX_ARENA | MALLOCX_TCACHE of this thread once both are known (never 0 then: both
 * macros encode index + 1 or more), so the common call is one thread-local load instead
 * of three plus the composition. 0: not computed, or the explicit tcache is gone. */
static _Thread_local int thread_flags;

/*
 * Magazines: a stack of free blocks per size class and thread, in front of jemalloc,
 * for the blocks the allocation path makes and frees on every call (the VmaAllocation
 * object). mallocx/sdallocx with explicit arena and tcache flags always take jemalloc's
 * general path - about 130 instructions each under callgrind, against a handful for a
 * pop or push here. The classes are jemalloc's own small classes 32, 48, ..., 128 (16
 * apart): a request of any size in (16k, 16k + 16] is served from exactly the class
 * 16k + 16, so a block freed with any size of that range may serve any request of it,
 * and sized frees stay exact. Sizes up to 16 are left alone (8 and 16 are two classes
 * there). Blocks in a magazine are ordinary blocks of the library's arenas, freed by
 * whichever thread; the tcache destructor below returns them when the thread exits.
 * Only with the jemalloc backend and its explicit tcache (thread_flags != 0): user
 * callbacks and the libc (sanitizer) backend see every call.
 *
 * The depot: blocks freed on one thread and allocated on another (a job system's
 * transient allocations, a loader's allocations freed by the render thread) would
 * otherwise overflow the freeing thread's magazine into jemalloc and come back out of
 * jemalloc on the allocating side, through the arena bins' locks (measured on 16 cores:
 * a quarter of the allocating thread's time). A full magazine instead moves its upper
 * half, MAG_BATCH blocks, to the depot, and an empty one takes a batch from there: one
 * short critical section per MAG_BATCH blocks. The depot is DEPOT_SHARDS shards with a
 * lock each (one shared lock, tried first, made 16 threads queue on it: slower than
 * jemalloc); threads get shards round-robin, put batches into their own and take from
 * their own first, then from any other whose lock is free. A shard holds at most
 * SHARD_BATCHES batches per class; beyond that blocks go back to jemalloc.
 * Bounds: MAG_DEPTH blocks per class and thread; DEPOT_SHARDS * SHARD_BATCHES *
 * MAG_BATCH = 8192 blocks per class in the process.
 */
#define MAG_MIN_SIZE 17u
#define MAG_MAX_SIZE 128u
#define MAG_CLASSES 7u /* (size - 1) / 16 - 1: 17..32 -> 0, ..., 113..128 -> 6 */
#define MAG_BATCH 128u
#define MAG_DEPTH (2u * MAG_BATCH)
#define DEPOT_SHARDS 16u
#define SHARD_BATCHES 4u
#ifndef MAG_PREFETCH_AHEAD
#define MAG_PREFETCH_AHEAD 1u
#endif

typedef struct magazine {
    uint32_t count;
    void *blocks[MAG_DEPTH];
} magazine;

static _Thread_local magazine mags[MAG_CLASSES]; /* this thread's only */

typedef struct depot_class {
    vkm_atomic_u32 xbatches;                /* written under lock; read to skip empty */
    void *blocks[SHARD_BATCHES][MAG_BATCH]; /* under lock: [0, xbatches) are full */
} depot_class;

typedef struct depot_shard {
    _Alignas(VKM_CACHE_LINE) pthread_mutex_t lock;
    depot_class classes[MAG_CLASSES];
} depot_shard;

static depot_shard depot[DEPOT_SHARDS];
static pthread_once_t depot_once = PTHREAD_ONCE_INIT;
static vkm_atomic_u32 depot_next;       /* round-robin shard assignment */
static _Thread_local unsigned my_shard; /* 0: none yet; else index + 1 */

static void
depot_init(void)
{
    for (uint32_t i = 0; i < DEPOT_SHARDS; i++)
        pthread_mutex_init(&depot[i].lock, NULL);
}

static inline unsigned
shard_of_thread(void)
{
    if (VKM_UNLIKELY(my_shard == 0)) {
        pthread_once(&depot_once, depot_init);
        my_shard = vkm_atomic_fetch_add_u32_relaxed(&depot_next, 1) % DEPOT_SHARDS + 1u;
    }
    return my_shard - 1u;
}

/* The magazine for a block of `size` bytes aligned to `align`, or NULL. Blocks go in
 * only while the thread has its tcache (thread_flags != 0; the destructor empties the
 * magazines when it goes), so taking one out needs no such check. */
static inline magazine *
mag_of(size_t size, size_t align)
{
    if (align > 16 || size < MAG_MIN_SIZE || size > MAG_MAX_SIZE)
        return NULL;
    return &mags[(size - 1) / 16 - 1];
}

static inline uint32_t
mag_class(const magazine *m)
{
    return (uint32_t)(m - mags);
}

/* Under the shard's lock: moves one of its batches of class c to dst, if it has one. */
static bool
shard_take_locked(depot_shard *sh, uint32_t c, void **dst)
{
    depot_class *d = &sh->classes[c];
    uint32_t n = vkm_atomic_load_u32_relaxed(&d->xbatches);
    if (n == 0)
        return false;
    memcpy(dst, d->blocks[n - 1], sizeof(d->blocks[0]));
    vkm_atomic_store_u32_relaxed(&d->xbatches, n - 1);
    return true;
}

/* Moves a batch of class c to dst: from this thread's shard, else from the first other
 * shard that has one and whose lock is free. False when none was found. */
static bool
depot_take(uint32_t c, void **dst)
{
    const unsigned mine = shard_of_thread();
    for (unsigned k = 0; k < DEPOT_SHARDS; k++) {
        depot_shard *sh = &depot[(mine + k) % DEPOT_SHARDS];
        /* Racy peek (relaxed): an empty shard is skipped without its lock; a stale
         * answer only costs a lock round or a miss, never a wrong block. */
        if (vkm_atomic_load_u32_relaxed(&sh->classes[c].xbatches) == 0)
            continue;
        if (k == 0)
            pthread_mutex_lock(&sh->lock);
        else if (pthread_mutex_trylock(&sh->lock) != 0)
            continue;
        const bool got = shard_take_locked(sh, c, dst);
        pthread_mutex_unlock(&sh->lock);
        if (got)
            return true;
    }
    return false;
}

/* Moves a batch of class c from src to this thread's shard; false when it is full. */
static bool
depot_put(uint32_t c, void *const *src)
{
    depot_shard *sh = &depot[shard_of_thread()];
    depot_class *d = &sh->classes[c];
    pthread_mutex_lock(&sh->lock);
    uint32_t n = vkm_atomic_load_u32_relaxed(&d->xbatches);
    const bool put = n < SHARD_BATCHES;
    if (put) {
        memcpy(d->blocks[n], src, sizeof(d->blocks[0]));
        vkm_atomic_store_u32_relaxed(&d->xbatches, n + 1);
    }
    pthread_mutex_unlock(&sh->lock);
    return put;
}

/* Asks for the line holding p in a writable state. GCC and clang emit a read prefetch
 * for __builtin_prefetch(p, 1) unless the target has PRFCHW; the instruction itself
 * (0F 0D /1) is a no-op hint on x86-64 processors without it. */
static inline void
prefetch_write(const void *p)
{
#if defined(__x86_64__)
    __asm__ volatile("prefetchw %0" : : "m"(*(const char *)p));
#else
    __builtin_prefetch(p, 1);
#endif
}

/* Pops a block; the next one, which the following call hands out, is prefetched for
 * writing: blocks that crossed threads are in another core's cache, and the new owner
 * writes every byte of the object it makes (a read prefetch would leave the write to
 * wait for the other cores' copies to be invalidated). */
static inline void *
mag_pop(magazine *m)
{
    void *p = m->blocks[--m->count];
    if (m->count >= MAG_PREFETCH_AHEAD) {
        const char *next = m->blocks[m->count - MAG_PREFETCH_AHEAD];
        prefetch_write(next);
        if ((mag_class(m) + 2u) * 16u > 64u) /* two lines, when aligned as jemalloc does */
            prefetch_write(next + 64);
    }
    return p;
}

/* Thread exit: whole batches to the depot while it has room, the rest to jemalloc. */
static void
mags_flush(int flags)
{
    for (uint32_t c = 0; c < MAG_CLASSES; c++) {
        magazine *m = &mags[c];
        while (m->count >= MAG_BATCH && depot_put(c, m->blocks + m->count - MAG_BATCH))
            m->count -= MAG_BATCH;
        while (m->count > 0)
            sdallocx(m->blocks[--m->count], (c + 2u) * 16u, flags);
    }
}

static void
tcache_destroy(void *p)
{
    unsigned idx = (unsigned)(uintptr_t)p - 1u;
    /* Other key destructors (our thread-cache exit hook) may run after this one and
     * still free metadata: they must not use the destroyed tcache. A later allocation
     * makes a new one and sets the key again, so pthreads calls us once more for it
     * (and the magazines, filled again meanwhile, are flushed again). */
    if (thread_tcache == idx + 1u) {
        mags_flush(thread_flags);
        thread_tcache = 0;
        thread_flags = 0;
    }
    mallctl("tcache.destroy", NULL, NULL, &idx, sizeof(idx));
}

static void
arena_init_once(void)
{
    size_t sz = sizeof(library_arena);
    if (mallctl("arenas.create", &library_arena, &sz, NULL, 0) == 0 &&
        pthread_key_create(&tcache_key, tcache_destroy) == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        arena_count = cpus < 1 ? 1u : cpus > (long)ARENA_MAX ? ARENA_MAX : (unsigned)cpus;
        arenas[0] = library_arena + 1u;
        arena_ok = 1;
    }
}

/* The calling thread's arena: assigned round-robin on first use. */
static unsigned
my_arena(void)
{
    if (VKM_LIKELY(thread_arena != 0))
        return thread_arena - 1u;
    pthread_mutex_lock(&arenas_lock);
    unsigned slot = arena_next++ % arena_count;
    if (arenas[slot] == 0) {
        unsigned idx;
        size_t sz = sizeof(idx);
        arenas[slot] =
            mallctl("arenas.create", &idx, &sz, NULL, 0) == 0 ? idx + 1u : library_arena + 1u;
    }
    thread_arena = arenas[slot];
    pthread_mutex_unlock(&arenas_lock);
    return thread_arena - 1u;
}

static int
thread_flags_slow(void)
{
    if (!arena_ok)
        return 0;
    if (thread_tcache == 0) {
        unsigned idx;
        size_t sz = sizeof(idx);
        if (mallctl("tcache.create", &idx, &sz, NULL, 0) == 0) {
            thread_tcache = idx + 1u;
            pthread_setspecific(tcache_key, (void *)(uintptr_t)thread_tcache);
        }
    }
    int flags = (int)MALLOCX_ARENA(my_arena());
    if (thread_tcache == 0)
        return flags | MALLOCX_TCACHE_NONE; /* retried on the next call */
    flags |= (int)MALLOCX_TCACHE(thread_tcache - 1u);
    thread_flags = flags;
    return flags;
}

static inline int
jemalloc_flags(size_t align)
{
    int flags = thread_flags;
    if (VKM_UNLIKELY(flags == 0))
        flags = thread_flags_slow();
    return align > 16 ? flags | MALLOCX_ALIGN(align) : flags;
}
#endif

void *
vkm_host_alloc_obj(const vkm_host_alloc *ha)
{
#if VKM_HOST_ALLOC_JEMALLOC
    magazine *m = &mags[(VKM_HOST_OBJ_SIZE - 1) / 16 - 1];
    if (VKM_LIKELY(!ha->has_callbacks && m->count > 0))
        return mag_pop(m);
#endif
    return vkm_host_alloc_alloc(ha, VKM_HOST_OBJ_SIZE, 16);
}

void
vkm_host_free_obj(const vkm_host_alloc *ha, void *ptr)
{
#if VKM_HOST_ALLOC_JEMALLOC
    magazine *m = &mags[(VKM_HOST_OBJ_SIZE - 1) / 16 - 1];
    if (VKM_LIKELY(!ha->has_callbacks && thread_flags != 0 && m->count < MAG_DEPTH &&
                   ptr != NULL)) {
        m->blocks[m->count++] = ptr;
        return;
    }
#endif
    vkm_host_alloc_free_aligned(ha, ptr, VKM_HOST_OBJ_SIZE, 16);
}

VkResult
vkm_host_alloc_init(vkm_host_alloc *ha, const VkAllocationCallbacks *cb)
{
    memset(ha, 0, sizeof(*ha));
    if (cb != NULL && cb->pfnAllocation != NULL && cb->pfnFree != NULL) {
        ha->callbacks = *cb;
        ha->has_callbacks = 1;
        return VK_SUCCESS;
    }
#if VKM_HOST_ALLOC_JEMALLOC
    pthread_once(&arena_once, arena_init_once);
    ha->arena = library_arena;
#endif
    return VK_SUCCESS;
}

#if VKM_HOST_ALLOC_JEMALLOC
/* jemalloc's classes under 16 bytes are 8-aligned; every block promises 16 (host_alloc.h),
 * so those sizes take the 16-byte class - in the allocation and in its sized free. */
static inline size_t
je_size(size_t size)
{
    return size < 16 ? 16 : size;
}
#endif

void *
vkm_host_alloc_alloc(const vkm_host_alloc *ha, size_t size, size_t align)
{
    if (size == 0)
        return NULL;
    if (align < 16)
        align = 16;
    if (ha->has_callbacks)
        return ha->callbacks.pfnAllocation(ha->callbacks.pUserData, size, align,
                                           VK_SYSTEM_ALLOCATION_SCOPE_OBJECT);
#if VKM_HOST_ALLOC_JEMALLOC
    size = je_size(size);
    magazine *m = mag_of(size, align);
    if (m != NULL) {
        if (VKM_LIKELY(m->count > 0))
            return mag_pop(m);
        if (thread_flags != 0 && depot_take(mag_class(m), m->blocks)) {
            m->count = MAG_BATCH;
            return mag_pop(m);
        }
    }
    return mallocx(size, jemalloc_flags(align));
#else
    void *p = NULL;
    if (posix_memalign(&p, align, size) != 0)
        return NULL;
    return p;
#endif
}

void *
vkm_host_alloc_calloc(const vkm_host_alloc *ha, size_t size, size_t align)
{
#if VKM_HOST_ALLOC_JEMALLOC
    if (!ha->has_callbacks && size != 0)
        return mallocx(je_size(size), jemalloc_flags(align < 16 ? 16 : align) | MALLOCX_ZERO);
#endif
    void *p = vkm_host_alloc_alloc(ha, size, align);
    if (p != NULL)
        memset(p, 0, size);
    return p;
}

void
vkm_host_alloc_free_aligned(const vkm_host_alloc *ha, void *ptr, size_t size, size_t align)
{
    if (ptr == NULL)
        return;
    if (ha->has_callbacks) {
        ha->callbacks.pfnFree(ha->callbacks.pUserData, ptr);
        return;
    }
#if VKM_HOST_ALLOC_JEMALLOC
    /* Sized free: jemalloc skips the size lookup. The flags must name the alignment the
     * block was allocated with; debug builds check the size against jemalloc's own. */
    if (align < 16)
        align = 16;
    size = je_size(size);
    if (vkm_config_internal_asserts &&
        nallocx(size, jemalloc_flags(align)) != sallocx(ptr, jemalloc_flags(align)))
        vkm_assert_failed("nallocx(size) == sallocx(ptr)", "sized free of a wrong size", __FILE__,
                          __LINE__, false);
    magazine *m = mag_of(size, align);
    if (m != NULL && thread_flags != 0) {
        if (VKM_UNLIKELY(m->count == MAG_DEPTH) && depot_put(mag_class(m), m->blocks + MAG_BATCH))
            m->count = MAG_BATCH;
        if (m->count < MAG_DEPTH) {
            m->blocks[m->count++] = ptr;
            return;
        }
    }
    sdallocx(ptr, size, jemalloc_flags(align));
#else
    VKM_UNUSED(size);
    VKM_UNUSED(align);
    free(ptr);
#endif
}

void
vkm_host_alloc_free(const vkm_host_alloc *ha, void *ptr, size_t size)
{
    vkm_host_alloc_free_aligned(ha, ptr, size, 16);
}

void *
vkm_host_alloc_realloc(const vkm_host_alloc *ha, void *ptr, size_t old_size, size_t new_size,
                       size_t align)
{
    if (ptr == NULL)
        return vkm_host_alloc_alloc(ha, new_size, align);
    if (new_size == 0) {
        vkm_host_alloc_free(ha, ptr, old_size);
        return NULL;
    }
    if (align < 16)
        align = 16;
    if (ha->has_callbacks && ha->callbacks.pfnReallocation != NULL)
        return ha->callbacks.pfnReallocation(ha->callbacks.pUserData, ptr, new_size, align,
                                             VK_SYSTEM_ALLOCATION_SCOPE_OBJECT);
#if VKM_HOST_ALLOC_JEMALLOC
    if (!ha->has_callbacks)
        return rallocx(ptr, je_size(new_size), jemalloc_flags(align));
#endif
    void *n = vkm_host_alloc_alloc(ha, new_size, align);
    if (n == NULL)
        return NULL;
    memcpy(n, ptr, old_size < new_size ? old_size : new_size);
    vkm_host_alloc_free(ha, ptr, old_size);
    return n;
}

char *
vkm_host_alloc_strdup(const vkm_host_alloc *ha, const char *s)
{
    if (s == NULL)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = vkm_host_alloc_alloc(ha, n, 1);
    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

void
vkm_host_alloc_free_str(const vkm_host_alloc *ha, char *s)
{
    if (s != NULL)
        vkm_host_alloc_free(ha, s, strlen(s) + 1);
}
