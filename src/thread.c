/* SPDX-License-Identifier: MIT */
#include "thread.h"
#include "lock.h"

#include <pthread.h>
#include <string.h>

typedef struct slot {
    const void *owner;
    uint64_t gen;
    void *data;
    vkm_thread_exit_fn *exit_fn;
} slot;

/* The calling thread's slots: touched only by this thread, except that the exit hook
 * reads them on the same thread. */
static _Thread_local slot slots[VKM_THREAD_SLOTS];

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
        slot s = slots[i];
        memset(&slots[i], 0, sizeof(slots[i]));
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
vkm_thread_get(const void *owner, uint64_t gen)
{
    for (unsigned i = 0; i < VKM_THREAD_SLOTS; i++) {
        if (slots[i].owner == owner) {
            if (slots[i].gen == gen)
                return slots[i].data;
            /* A destroyed owner's slot at a reused address: forget it unread. */
            memset(&slots[i], 0, sizeof(slots[i]));
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
        if (slots[i].owner == owner || (slots[i].data != NULL && !gen_is_live(slots[i].gen)))
            memset(&slots[i], 0, sizeof(slots[i]));
        if (slots[i].data == NULL && free_i < 0)
            free_i = (int)i;
    }
    pthread_mutex_unlock(&owners_lock);
    if (free_i < 0)
        return false;
    slots[free_i] = (slot){.owner = owner, .gen = gen, .data = data, .exit_fn = fn};
    /* Any non-NULL value makes pthreads run on_thread_exit. */
    pthread_setspecific(exit_key, &slots[0]);
    return true;
}

void
vkm_thread_clear(const void *owner)
{
    for (unsigned i = 0; i < VKM_THREAD_SLOTS; i++)
        if (slots[i].owner == owner)
            memset(&slots[i], 0, sizeof(slots[i]));
}
