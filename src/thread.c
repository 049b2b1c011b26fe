/* SPDX-License-Identifier: MIT */
#include "thread.h"
#include "lock.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

#if defined(__linux__)
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

/* The calling thread's slots (thread.h). */
_Thread_local vkm_thread_slot vkm_thread_slots[VKM_THREAD_SLOTS];

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t exit_key;

/* Live owners, under owners_lock: a list threaded through the owners themselves. */
static pthread_mutex_t owners_lock = PTHREAD_MUTEX_INITIALIZER;
static vkm_thread_owner *live;
static uint64_t next_gen = 1;

static bool
gen_is_live(uint64_t gen)
{
    for (const vkm_thread_owner *o = live; o != NULL; o = o->next)
        if (o->gen == gen)
            return true;
    return false;
}

static void
on_thread_exit(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&owners_lock);
    for (unsigned i = 0; i < VKM_THREAD_SLOTS; i++) {
        vkm_thread_slot s = vkm_thread_slots[i];
        memset(&vkm_thread_slots[i], 0, sizeof(vkm_thread_slots[i]));
        if (s.data != NULL && s.exit_fn != NULL && gen_is_live(s.gen))
            s.exit_fn(s.data);
    }
    pthread_mutex_unlock(&owners_lock);
}

static void
make_key(void)
{
    pthread_key_create(&exit_key, on_thread_exit);
}

void
vkm_thread_owner_register(vkm_thread_owner *o)
{
    pthread_once(&key_once, make_key);
    pthread_mutex_lock(&owners_lock);
    o->gen = next_gen++;
    o->next = live;
    live = o;
    pthread_mutex_unlock(&owners_lock);
}

void
vkm_thread_owner_unregister(vkm_thread_owner *o)
{
    pthread_mutex_lock(&owners_lock);
    for (vkm_thread_owner **p = &live; *p != NULL; p = &(*p)->next) {
        if (*p == o) {
            *p = o->next;
            break;
        }
    }
    pthread_mutex_unlock(&owners_lock);
}

void *
vkm_thread_get_slow(const void *owner, uint64_t gen)
{
    for (unsigned i = 0; i < VKM_THREAD_SLOTS; i++) {
        if (vkm_thread_slots[i].owner == owner) {
            if (vkm_thread_slots[i].gen == gen)
                return vkm_thread_slots[i].data;
            /* A destroyed owner's slot at a reused address: forget it unread. */
            memset(&vkm_thread_slots[i], 0, sizeof(vkm_thread_slots[i]));
        }
    }
    return NULL;
}

bool
vkm_thread_set(const void *owner, uint64_t gen, void *data, vkm_thread_exit_fn *fn)
{
    pthread_once(&key_once, make_key);
    int free_i = -1;
    pthread_mutex_lock(&owners_lock);
    for (unsigned i = 0; i < VKM_THREAD_SLOTS; i++) {
        /* A slot whose owner is gone can be reused. */
        if (vkm_thread_slots[i].owner == owner ||
            (vkm_thread_slots[i].data != NULL && !gen_is_live(vkm_thread_slots[i].gen)))
            memset(&vkm_thread_slots[i], 0, sizeof(vkm_thread_slots[i]));
        if (vkm_thread_slots[i].data == NULL && free_i < 0)
            free_i = (int)i;
    }
    pthread_mutex_unlock(&owners_lock);
    if (free_i < 0)
        return false;
    vkm_thread_slots[free_i] =
        (vkm_thread_slot){.owner = owner, .gen = gen, .data = data, .exit_fn = fn};
    /* Any non-NULL value makes pthreads run on_thread_exit. */
    pthread_setspecific(exit_key, &vkm_thread_slots[0]);
    return true;
}

void
vkm_thread_clear(const void *owner)
{
    for (unsigned i = 0; i < VKM_THREAD_SLOTS; i++)
        if (vkm_thread_slots[i].owner == owner)
            memset(&vkm_thread_slots[i], 0, sizeof(vkm_thread_slots[i]));
}

/* ---- process-wide barrier ---------------------------------------------------------- */

static pthread_once_t fence_once = PTHREAD_ONCE_INIT;
static int fence_cmd = -1; /* the membarrier command to use, or -1; written once */

static void
fence_probe(void)
{
#if defined(__linux__) && defined(SYS_membarrier)
    const long cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    if (cmds < 0)
        return;
    /* Private expedited interrupts only the CPUs running this process (about a
     * microsecond); it needs the process registered once. Global waits for every CPU
     * to pass a scheduling point (milliseconds), which is still fine for a rare
     * caller. */
    if ((cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
        syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0)
        fence_cmd = MEMBARRIER_CMD_PRIVATE_EXPEDITED;
    else if (cmds & MEMBARRIER_CMD_GLOBAL)
        fence_cmd = MEMBARRIER_CMD_GLOBAL;
#endif
}

bool
vkm_thread_fence_all(void)
{
    pthread_once(&fence_once, fence_probe); /* orders fence_cmd for every caller */
#if defined(__linux__) && defined(SYS_membarrier)
    return fence_cmd >= 0 && syscall(SYS_membarrier, fence_cmd, 0, 0) == 0;
#else
    return false;
#endif
}

uint64_t
vkm_thread_coarse_ns(void)
{
    struct timespec ts;
#if defined(CLOCK_MONOTONIC_COARSE)
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
#else
    clock_gettime(CLOCK_MONOTONIC, &ts);
#endif
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
