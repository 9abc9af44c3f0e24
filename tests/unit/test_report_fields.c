/* test_report_fields.c: the small formatters on the log's hot path: the
 * cipher-suite index (report/cipher_lookup.c) and IP formatting
 * (report/handshake_log.c), against the table and inet_ntop. */
#include "testutil.h"

#include <arpa/inet.h>

#include "dissect/tls.h"
#include "report/cipher_names.h"
#include "report/handshake_log.h"
#include "report/json.h"

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

/* The "supported_ciphers":[...] member of a record with these suites. */
static void ciphers_member(const uint16_t *v, unsigned n, char *out, size_t cap)
{
    static struct tls_handshake hs;
    memset(&hs, 0, sizeof(hs));
    hs.has_ch = 1;
    hs.ch.n_ciphers = (uint16_t)n;
    memcpy(hs.ch.ciphers, v, 2u * n);
    struct json j;
    json_init(&j);
    handshake_to_json(&hs, &j);
    const char *a = strstr(j.p, "\"supported_ciphers\":[");
    assert_non_null(a);
    const char *b = strchr(a, ']');
    assert_non_null(b);
    snprintf(out, cap, "%.*s", (int)(b + 1 - a), a);
    json_free(&j);
}

static void test_cipher_list_cache_exact(void **state)
{
    (void)state;
    char got[4096], want[4096];
    uint16_t a[] = {0x0A0A, 0x1301, 0xC02F}, b[] = {0x0A0A, 0x1301, 0xC030};
    ciphers_member(a, 3, got, sizeof(got));
    assert_string_equal(got, "\"supported_ciphers\":[\"TLS_AES_128_GCM_SHA256\","
                             "\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\"]");
    ciphers_member(b, 3, got, sizeof(got));
    assert_string_equal(got, "\"supported_ciphers\":[\"TLS_AES_128_GCM_SHA256\","
                             "\"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\"]");
    ciphers_member(a, 2, got, sizeof(got)); /* a prefix is another list */
    assert_string_equal(got, "\"supported_ciphers\":[\"TLS_AES_128_GCM_SHA256\"]");
    /* Many lists (more than the client cache's 1024 slots), each seen
     * twice, far apart: always the list's own names, found or rendered
     * again. */
    for (int round = 0; round < 2; round++) {
        for (uint16_t k = 0; k < 3000; k++) {
            uint16_t v[2] = {0x1301, (uint16_t)(0xC000 + k)};
            ciphers_member(v, 2, got, sizeof(got));
            char hex[8];
            if (tls_is_grease(v[1])) /* 0xCACA: left out of the log */
                snprintf(want, sizeof(want), "\"supported_ciphers\":[\"TLS_AES_128_GCM_SHA256\"]");
            else
                snprintf(want, sizeof(want),
                         "\"supported_ciphers\":[\"TLS_AES_128_GCM_SHA256\",\"%s\"]",
                         cipher_display_name(v[1], hex));
            assert_string_equal(got, want);
        }
    }
    handshake_log_cache_free();
    ciphers_member(b, 3, got, sizeof(got));
    assert_non_null(strstr(got, "AES_256_GCM_SHA384"));
    handshake_log_cache_free();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_registry_entry_found),
        cmocka_unit_test(test_ipv4_formatting_matches_inet_ntop),
        cmocka_unit_test(test_cipher_list_cache_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
