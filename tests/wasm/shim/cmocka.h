/* The part of cmocka's API that tests/test_checkasm.c uses, for its
 * WebAssembly build (`make wasm-checkasm`; emscripten has no cmocka): a
 * failed assertion prints where and exits 1. Not a test framework. */
#ifndef DLIC_TESTS_CMOCKA_SHIM_H
#define DLIC_TESTS_CMOCKA_SHIM_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define assert_true(c)                                                                   \
    do {                                                                                 \
        if (!(c)) {                                                                      \
            fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #c);    \
            exit(1);                                                                     \
        }                                                                                \
    } while (0)
#define assert_non_null(p) assert_true((p) != NULL)
#define assert_null(p) assert_true((p) == NULL)
#define assert_int_equal(a, b) assert_true((long long)(a) == (long long)(b))
#define assert_ptr_not_equal(a, b) assert_true((const void *)(a) != (const void *)(b))
#define assert_memory_equal(a, b, n) assert_true(memcmp((a), (b), (n)) == 0)
#define fail() assert_true(!"fail()")

struct CMUnitTest {
    const char *name;
    void (*fn)(void **state);
};
#define cmocka_unit_test(f) { #f, f }
#define cmocka_run_group_tests(t, setup, teardown) \
    shim_run_tests((t), sizeof(t) / sizeof((t)[0]))

static inline int shim_run_tests(const struct CMUnitTest *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        printf("[ RUN      ] %s\n", t[i].name);
        t[i].fn(NULL);
        printf("[       OK ] %s\n", t[i].name);
    }
    printf("[  PASSED  ] %zu test(s).\n", n);
    return 0;
}

#endif
