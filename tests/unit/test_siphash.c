/* test_siphash.c: SipHash-2-4 against the paper's vectors and SipHash-1-3
 * against CPython 3.11's bytes hash (siphash13; PYTHONHASHSEED=0 makes its
 * key all zeros): PYTHONHASHSEED=0 python3 -c "print(hash(b'a') % 2**64)". */
#include "testutil.h"

#include "capture/siphash.h"

static void test_siphash24_paper_vectors(void **state)
{
    (void)state;
    uint8_t key[16], msg[64];
    for (int i = 0; i < 16; i++)
        key[i] = (uint8_t)i;
    for (int i = 0; i < 64; i++)
        msg[i] = (uint8_t)i;
    /* Appendix A of the SipHash paper: 15 bytes 00..0e. */
    assert_true(siphash24(key, msg, 15) == 0xa129ca6149be45e5ULL);
    /* vectors.h of the reference code: empty input and 8 bytes. */
    assert_true(siphash24(key, msg, 0) == 0x726fdb47dd0e0e31ULL);
    assert_true(siphash24(key, msg, 8) == 0x93f5f5799a932462ULL);
}

static void test_siphash13_python_vectors(void **state)
{
    (void)state;
    uint8_t zero[16] = {0}, msg[40];
    for (int i = 0; i < 40; i++)
        msg[i] = (uint8_t)i;
    assert_true(siphash13(zero, "a", 1) == 4644417185603328019ULL);
    assert_true(siphash13(zero, "abcdefgh", 8) == 4574395652268504554ULL);
    assert_true(siphash13(zero, msg, 16) == 9904005486622393783ULL);
    assert_true(siphash13(zero, msg, 40) == 10789553897545236998ULL);
}

static void test_key_changes_hash(void **state)
{
    (void)state;
    uint8_t k1[16] = {0}, k2[16] = {0};
    k2[15] = 1;
    assert_true(siphash13(k1, "flow", 4) != siphash13(k2, "flow", 4));
    assert_true(siphash24(k1, "flow", 4) != siphash24(k2, "flow", 4));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_siphash24_paper_vectors),
        cmocka_unit_test(test_siphash13_python_vectors),
        cmocka_unit_test(test_key_changes_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
