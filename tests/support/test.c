/* SPDX-License-Identifier: MIT */
#include "test.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>

#define VKM_TEST_MAX 512

typedef struct {
    const char *name;
    vkm_test_fn fn;
    const char *file;
} test_case;

static test_case cases[VKM_TEST_MAX];
static int case_count;
static jmp_buf case_jmp;
static int case_failures;
static int case_skipped;
static const char *current_name;

void
vkm_test_register(const char *name, vkm_test_fn fn, const char *file)
{
    if (case_count == VKM_TEST_MAX) {
        fprintf(stderr, "test.c: too many cases (raise VKM_TEST_MAX)\n");
        abort();
    }
    cases[case_count++] = (test_case){name, fn, file};
}

void
vkm_test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "  FAIL %s (%s:%d): ", current_name ? current_name : "?", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    case_failures++;
}

void
vkm_test_skip(const char *why)
{
    fprintf(stderr, "  SKIP %s: %s\n", current_name ? current_name : "?", why);
    case_skipped = 1;
}

bool
vkm_test_case_failed(void)
{
    return case_failures != 0;
}

_Noreturn void
vkm_test_abort_case(void)
{
    longjmp(case_jmp, 1);
}

int
vkm_test_main(int argc, char **argv)
{
    /* volatile: live across setjmp/longjmp */
    volatile int passed = 0, failed = 0, skipped = 0;
    /* Constructors ran in an unspecified order per file; keep registration order. */
    for (volatile int i = 0; i < case_count; i++) {
        if (argc > 1 && strstr(cases[i].name, argv[1]) == NULL)
            continue;
        current_name = cases[i].name;
        case_failures = 0;
        case_skipped = 0;
        fprintf(stderr, "[ RUN  ] %s\n", cases[i].name);
        if (setjmp(case_jmp) == 0)
            cases[i].fn();
        if (case_failures) {
            failed++;
            fprintf(stderr, "[ FAIL ] %s\n", cases[i].name);
        } else if (case_skipped) {
            skipped++;
            fprintf(stderr, "[ SKIP ] %s\n", cases[i].name);
        } else {
            passed++;
            fprintf(stderr, "[  OK  ] %s\n", cases[i].name);
        }
    }
    fflush(stderr);
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    fflush(stdout);
    if (failed)
        return 1;
    if (passed == 0 && skipped > 0)
        return 77;
    return 0;
}
