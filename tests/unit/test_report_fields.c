/* test_report_fields.c: the small formatters on the log's hot path: the
 * cipher-suite index (report/cipher_lookup.c) and IP formatting
 * (report/handshake_log.c), against the table and inet_ntop. */
#include "testutil.h"

#include <arpa/inet.h>

#include "report/cipher_names.h"
#include "report/handshake_log.h"

static void test_every_registry_entry_found(void **state)
{
    (void)state;
    for (unsigned i = 0; i < cipher_names_count; i++)
        assert_ptr_equal(cipher_lookup(cipher_names[i].value), &cipher_names[i]);
    assert_string_equal(cipher_lookup(0x1301)->name, "TLS_AES_128_GCM_SHA256");
    assert_string_equal(cipher_lookup(0xC02F)->name, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    /* Unassigned, GREASE, the last value. */
    assert_null(cipher_lookup(0x1399));
    assert_null(cipher_lookup(0x0A0A));
    assert_null(cipher_lookup(0xFFFF));
    char buf[8];
    assert_string_equal(cipher_display_name(0x0A0A, buf), "0x0A0A");
}

static void test_ipv4_formatting_matches_inet_ntop(void **state)
{
    (void)state;
    static const uint8_t cases[][4] = {{0, 0, 0, 0},     {255, 255, 255, 255}, {10, 0, 100, 9},
                                       {172, 16, 1, 10}, {1, 22, 199, 200},    {100, 99, 9, 0}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct endpoint e = {ADDR_V4, {0}, 1};
        memcpy(e.addr, cases[i], 4);
        char got[64], want[INET_ADDRSTRLEN];
        format_ip(&e, got, sizeof(got));
        inet_ntop(AF_INET, cases[i], want, sizeof(want));
        assert_string_equal(got, want);
    }
    struct endpoint v6 = {ADDR_V6, {0xfd, 0x0a, [15] = 1}, 1};
    char got[64];
    format_ip(&v6, got, sizeof(got));
    assert_string_equal(got, "fd0a::1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_registry_entry_found),
        cmocka_unit_test(test_ipv4_formatting_matches_inet_ntop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
