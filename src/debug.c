/* SPDX-License-Identifier: MIT */
#include "debug.h"
#include "atomics.h"

#include <stdio.h>
#include <stdlib.h>

#include "common.h"

/* Installed by tests (and by applications that prefer a log to an abort). */
static vkm_atomic_ptr api_assert_hook;
static vkm_atomic_ptr api_assert_hook_user;

void
vkm_assert_failed(const char *expr, const char *msg, const char *file, int line, bool api)
{
    if (api) {
        PFN_vkmAssertHandler hook =
            (PFN_vkmAssertHandler)vkm_atomic_load_ptr_acquire(&api_assert_hook);
        if (hook != NULL) {
            hook(msg, expr, file, line, vkm_atomic_load_ptr_relaxed(&api_assert_hook_user));
            return;
        }
    }
    fprintf(stderr, "vkmalloc: %s assertion failed: %s (%s) at %s:%d\n",
            api ? "API" : "internal", msg, expr, file, line);
    fflush(stderr);
    abort();
}

VKM_EXPORT void
vkmSetAssertHandler(PFN_vkmAssertHandler handler, void *user_data)
{
    /* user pointer first so the release on the hook publishes it (pairs with the
     * acquire load in vkm_assert_failed). */
    vkm_atomic_store_ptr_relaxed(&api_assert_hook_user, user_data);
    vkm_atomic_store_ptr_release(&api_assert_hook, (void *)handler);
}
