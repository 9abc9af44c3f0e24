/* test_pool.c: fixed-size object pools (capture/pool.c). */
#include "testutil.h"

#include "capture/pool.h"

/* Objects are distinct, zeroed even when reused, and survive in number
 * across several chunks. */
static void test_objects_zeroed_and_distinct(void **state)
{
    (void)state;
    enum { N = 5000, SIZE = 100 }; /* several 64 KiB chunks */
    struct pool p;
    pool_init(&p, SIZE);
    unsigned char **o = malloc(N * sizeof(*o));
    assert_non_null(o);
    for (int i = 0; i < N; i++) {
        o[i] = pool_get(&p);
        assert_non_null(o[i]);
        for (int k = 0; k < SIZE; k++)
            assert_int_equal(o[i][k], 0);
        memset(o[i], 0xA5, SIZE);
        o[i][0] = (unsigned char)i;
    }
    for (int i = 0; i < N; i++) /* nothing overlapped */
        assert_int_equal(o[i][0], (unsigned char)i);
    for (int i = 0; i < N; i += 2)
        pool_put(&p, o[i]);
    for (int i = 0; i < N; i += 2) {
        unsigned char *r = pool_get(&p);
        assert_non_null(r);
        for (int k = 0; k < SIZE; k++)
            assert_int_equal(r[k], 0);
    }
    for (int i = 1; i < N; i += 2) /* the others were left alone */
        assert_int_equal(o[i][1], 0xA5);
    pool_put(&p, NULL);
    pool_destroy(&p);
    free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_objects_zeroed_and_distinct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
