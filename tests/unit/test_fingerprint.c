/* test_fingerprint.c: JA3, JA3S and JA4 (dissect/fingerprint.c).
 *
 * JA3/JA3S expected values are the tshark oracle's (ja3/ja3s fields of
 * pcaps/expected/NAME.oracle.jsonl and corpus/expected/chrome.pcap.jsonl),
 * for the very hellos embedded in testutil.h. JA4 values are worked out by
 * hand from the FoxIO specification (technical_details/JA4.md), see the
 * comments at each. */
#include "testutil.h"

#include "dissect/fingerprint.h"
#include "dissect/tls.h"

static struct tls_client_hello ch;
static struct tls_server_hello sh;

static void load_ch(const char *hex)
{
    struct tu_bytes rec = tu_hex(hex);
    assert_int_equal(tls_parse_client_hello(tu_hello_body(&rec, TLS_HS_CLIENT_HELLO), &ch),
                     TLS_PARSE_OK);
    tu_bytes_free(&rec);
}

static void load_sh(const char *hex)
{
    struct tu_bytes rec = tu_hex(hex);
    assert_int_equal(tls_parse_server_hello(tu_hello_body(&rec, TLS_HS_SERVER_HELLO), &sh),
                     TLS_PARSE_OK);
    tu_bytes_free(&rec);
}

static void assert_ja3(const char *hex, const char *want)
{
    char out[JA3_HEX_LEN + 1];
    load_ch(hex);
    memset(out, 'x', sizeof(out));
    assert_int_equal(fingerprint_ja3(&ch, out), 1);
    assert_string_equal(out, want);
}

static void assert_ja3s(const char *hex, const char *want)
{
    char out[JA3_HEX_LEN + 1];
    load_sh(hex);
    memset(out, 'x', sizeof(out));
    assert_int_equal(fingerprint_ja3s(&sh, out), 1);
    assert_string_equal(out, want);
    /* Through the cache: the same, computed or found. */
    for (int round = 0; round < 2; round++) {
        memset(out, 'x', sizeof(out));
        assert_int_equal(fingerprint_server(&sh, out), 1);
        assert_string_equal(out, want);
    }
}

static void assert_ja4(const char *hex, const char *want)
{
    char out[JA4_MAX_LEN + 1];
    load_ch(hex);
    assert_int_equal(fingerprint_ja4(&ch, JA4_TCP, out), 1);
    assert_string_equal(out, want);
}

static void test_ja3_openssl_hellos(void **state)
{
    (void)state;
    /* "769,49162-49172-57-49161-49171-51-53-47-255,0-11-10-35-22-23,29-23-30-25-24,0-1-2" */
    assert_ja3(FX_TLS10_CH, "c6dbf3152a545382a95425e390e2d2e8");
    assert_ja3(FX_TLS11_CH, "1d41372cac33d51bb9265e8f91bf1df0");
    assert_ja3(FX_TLS12_CH, "22558766122974704364c9c75c5cce0a");
    assert_ja3(FX_TLS13_CH, "9dffdb8b608a430b774a2ff7d36c1a0c");
    assert_ja3(FX_HRR_CH1, "6465949eecf353c6b5022e1ceff1f861");
}

static void test_ja3_curl(void **state)
{
    (void)state;
    assert_ja3(FX_CURL13_CH, "0149f47eabf9a20d0893e2a44e5a6323");
}

static void test_ja3_chrome_grease_removed(void **state)
{
    (void)state;
    /* Oracle ja3_full: "771,4867-4865-...-53,0-23-65281-...-17513-21,29-23-24,0": the
     * GREASE cipher, both GREASE extensions and the GREASE group are gone. */
    assert_ja3(FX_CHROME_CH, "aa50c12a5dfa717d9d6ab34e97de79d5");
}

static void test_ja3s(void **state)
{
    (void)state;
    assert_ja3s(FX_TLS10_SH, "bd665c27797205a73c67f1be8b8ed90f"); /* 769,49172,65281-11-35-22-23 */
    assert_ja3s(FX_TLS11_SH, "35b72bd6c43cf850b77a476c54cee5ab");
    assert_ja3s(FX_TLS12_SH, "895252f3ce80cebf7a8837be83ec8e16");
    assert_ja3s(FX_TLS13_SH, "15af977ce25de452b96affa2addb1036"); /* 771,4866,43-51 */
    assert_ja3s(FX_HRR_SH, "15af977ce25de452b96affa2addb1036");
    assert_ja3s(FX_CURL13_SH, "15af977ce25de452b96affa2addb1036");
    assert_ja3s(FX_CHROME_SH, "15af977ce25de452b96affa2addb1036");
    /* google_ssl.pcap: a ServerHello without extensions, "769,5," */
    assert_ja3s(FX_SSLV2_SH, "9aeeb84942a46257594025306635f0ff");
}

static void test_ja3_not_for_partial_hellos(void **state)
{
    (void)state;
    char out[JA3_HEX_LEN + 1] = "unchanged";
    struct tu_bytes rec = tu_hex(FX_SSLV2_CH);
    assert_int_equal(tls_parse_sslv2_client_hello(span_make(rec.p + 2, rec.n - 2), &ch),
                     TLS_PARSE_OK);
    assert_int_equal(fingerprint_ja3(&ch, out), 0); /* no JA3 for SSLv2 format */
    assert_string_equal(out, "unchanged");
    tu_bytes_free(&rec);

    load_ch(FX_TLS12_CH);
    ch.truncated = 1; /* a list was cut: the hash would be wrong */
    assert_int_equal(fingerprint_ja3(&ch, out), 0);
    assert_string_equal(out, "unchanged");
    char ja4[JA4_MAX_LEN + 1] = "unchanged";
    assert_int_equal(fingerprint_ja4(&ch, JA4_TCP, ja4), 0);
    assert_string_equal(ja4, "unchanged");
}

/* Chrome, corpus/ndpi/chrome.pcap frame 4. By hand, per JA4.md:
 *   t   TCP
 *   13  supported_versions = {GREASE 0x6a6a, 0304, 0303, 0302, 0301}: highest 1.3
 *   d   server_name present (www.iit.cnr.it)
 *   15  16 suites minus GREASE 0x9a9a
 *   16  18 extensions minus GREASE 0x4a4a and 0x6a6a
 *   h2  first ALPN value "h2"
 *   b = sha256("002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,
 *              c030,cca8,cca9")[:12] = 8daaf6152771
 *   c = sha256("0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,
 *              4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601")[:12]
 *     = e5627efa2ab1 (sorted, 0000 and 0010 left out; sigalgs in wire order)
 * This is exactly the worked example of the FoxIO specification, which uses
 * the same Chrome cipher/extension/signature-algorithm lists. */
static void test_ja4_chrome_spec_example(void **state)
{
    (void)state;
    assert_ja4(FX_CHROME_CH, "t13d1516h2_8daaf6152771_e5627efa2ab1");
}

/* curl 7/8 with OpenSSL 3, pcaps/curl_tls1_3.pcap frame 4. By hand:
 *   t13   supported_versions {0304, 0303, 0302, 0301}: highest 1.3
 *   d     SNI curl.example
 *   31    cipher suites (incl. the 00ff SCSV, which JA4 counts)
 *   12    extensions: 0,11,10,16,22,23,49,13,43,45,51,21
 *   h2    ALPN "h2","http/1.1": first value h2
 *   b = sha256("002f,0033,0035,0039,003c,003d,0067,006b,009c,009d,009e,009f,
 *              00ff,1301,1302,1303,c009,c00a,c013,c014,c023,c024,c027,c028,
 *              c02b,c02c,c02f,c030,cca8,cca9,ccaa")[:12] = e8f1e7e78f70
 *   c = sha256("000a,000b,000d,0015,0016,0017,002b,002d,0031,0033_0403,0503,
 *              0603,0807,0808,0809,080a,080b,0804,0805,0806,0401,0501,0601,
 *              0303,0301,0302,0402,0502,0602")[:12] = b26ce05bbdd6
 * (sha256 computed with Python's hashlib on the strings above.) */
static void test_ja4_curl_tls1_3(void **state)
{
    (void)state;
    assert_ja4(FX_CURL13_CH, "t13d3112h2_e8f1e7e78f70_b26ce05bbdd6");
}

/* OpenSSL -tls1, pcaps/tls1_0.pcap frame 4: no supported_versions, so the
 * version is client_version 0x0301 = "10"; 9 suites; 6 extensions; no ALPN
 * = "00"; no signature_algorithms, so c has no "_":
 *   b = sha256("002f,0033,0035,0039,00ff,c009,c00a,c013,c014")[:12] = c491f621fb4c
 *   c = sha256("000a,000b,0016,0017,0023")[:12] = 195413a0cc0f */
static void test_ja4_tls1_0_no_alpn_no_sigalgs(void **state)
{
    (void)state;
    assert_ja4(FX_TLS10_CH, "t10d090600_c491f621fb4c_195413a0cc0f");
}

/* pcaps/tls1_3.pcap frame 4: 4 suites, 11 extensions:
 *   b = sha256("00ff,1301,1302,1303")[:12] = 16476d049b0b
 *   c = sha256("000a,000b,000d,0016,0017,0023,002b,002d,0033_0403,0503,0603,
 *              0807,0808,0809,080a,080b,0804,0805,0806,0401,0501,0601")[:12]
 *     = 78f1d400d464 */
static void test_ja4_tls1_3_and_1_2(void **state)
{
    (void)state;
    assert_ja4(FX_TLS13_CH, "t13d0411h2_16476d049b0b_78f1d400d464");
    /* pcaps/tls1_2.pcap frame 4: 28 suites, 8 extensions, ALPN h2. */
    assert_ja4(FX_TLS12_CH, "t12d2808h2_d943125447b4_e7e480e5a997");
}

static void test_ja4_transport_and_sni(void **state)
{
    (void)state;
    char out[JA4_MAX_LEN + 1];
    load_ch(FX_TLS13_CH);
    assert_int_equal(fingerprint_ja4(&ch, JA4_QUIC, out), 1);
    assert_string_equal(out, "q13d0411h2_16476d049b0b_78f1d400d464");
    ch.has_sni = 0; /* "i": no SNI, the destination is an IP address */
    assert_int_equal(fingerprint_ja4(&ch, JA4_TCP, out), 1);
    assert_memory_equal(out, "t13i0411h2_", 11);
}

/* The ALPN rule of JA4.md, with its own examples: first and last character
 * of the first value, or of its hex form when either is not alphanumeric;
 * "00" without ALPN. Set on the parsed Chrome hello (only part a changes). */
static void test_ja4_alpn_rule(void **state)
{
    (void)state;
    static const struct {
        const char *wire; /* wire-format list */
        size_t len;
        const char *want;
    } t[] = {
        {"\x08http/1.1", 9, "h1"},
        {"\x01\xab", 2, "ab"},
        {"\x01\x20", 2, "20"},
        {"\x02\xab\xcd", 3, "ad"},
        {"\x02\x20\x61", 3, "21"},
        {"\x02\x30\xab", 3, "3b"},
        {"\x02\x61\x20", 3, "60"},
        {"\x04\x30\x31\xab\xcd", 5, "3d"},
        {"\x04\x30\xab\xcd\x31", 5, "01"},
        {"\x01q", 2, "qq"},
        {"\x00\x02h2", 4, "00"}, /* the first value is empty */
        {"", 0, "00"},
    };
    char out[JA4_MAX_LEN + 1];
    for (size_t i = 0; i < sizeof(t) / sizeof(*t); i++) {
        load_ch(FX_CHROME_CH);
        memcpy(ch.alpn, t[i].wire, t[i].len);
        ch.alpn_len = (uint8_t)t[i].len;
        assert_int_equal(fingerprint_ja4(&ch, JA4_TCP, out), 1);
        char a[3] = {out[8], out[9], 0};
        assert_string_equal(a, t[i].want);
        assert_string_equal(out + 10, "_8daaf6152771_e5627efa2ab1");
    }
}

/* JA4.md: "The program needs to ignore GREASE values anywhere it sees
 * them"; FoxIO's Python reference (python/common.py,
 * get_signature_algorithms) drops GREASE from the signature algorithms too.
 * fingerprint_ja4 keeps them in the c part. (No capture here has a GREASE
 * signature algorithm: the value is inserted into the parsed Chrome hello.) */
static void test_ja4_grease_signature_algorithm_ignored(void **state)
{
    (void)state;
    char out[JA4_MAX_LEN + 1];
    load_ch(FX_CHROME_CH);
    memmove(ch.sigalgs + 1, ch.sigalgs, ch.n_sigalgs * sizeof(*ch.sigalgs));
    ch.sigalgs[0] = 0x3a3a;
    ch.n_sigalgs++;
    assert_int_equal(fingerprint_ja4(&ch, JA4_TCP, out), 1);
    assert_string_equal(out, "t13d1516h2_8daaf6152771_e5627efa2ab1");
}

/* The cached path gives what the direct computation gives; a hello that
 * differs in one suite is a miss, the same hello again a hit. */
static void test_client_cache(void **state)
{
    (void)state;
    const char *fixtures[] = {FX_TLS12_CH, FX_CURL13_CH, FX_CHROME_CH};
    /* The cache is direct-mapped under a key drawn per process: in about
     * one run in a hundred two of the nine hellos below share a slot and
     * push each other out. The counts are asserted only when they do not
     * (the fingerprints always). */
    uint64_t slots[9];
    int distinct = 1;
    for (size_t i = 0; i < 3; i++) {
        load_ch(fixtures[i]);
        slots[3 * i] = fingerprint_hello_key(&ch, JA4_TCP) % FINGERPRINT_CACHE;
        slots[3 * i + 2] = fingerprint_hello_key(&ch, JA4_QUIC) % FINGERPRINT_CACHE;
        ch.ciphers[0] ^= 0x0100;
        slots[3 * i + 1] = fingerprint_hello_key(&ch, JA4_TCP) % FINGERPRINT_CACHE;
    }
    for (size_t i = 0; i < 9; i++)
        for (size_t j = i + 1; j < 9; j++)
            distinct &= slots[i] != slots[j];
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < sizeof(fixtures) / sizeof(*fixtures); i++) {
            char ja3[JA3_HEX_LEN + 1], ja4[JA4_MAX_LEN + 1], d3[JA3_HEX_LEN + 1],
                d4[JA4_MAX_LEN + 1];
            int h3, h4;
            load_ch(fixtures[i]);
            uint64_t hits = fingerprint_cache_stats.hits;
            fingerprint_client(&ch, JA4_TCP, fingerprint_hello_key(&ch, JA4_TCP), ja3, &h3, ja4,
                               &h4);
            assert_int_equal(h3, fingerprint_ja3(&ch, d3));
            assert_int_equal(h4, fingerprint_ja4(&ch, JA4_TCP, d4));
            assert_string_equal(ja3, d3);
            assert_string_equal(ja4, d4);
            if (round == 1 && distinct)
                assert_int_equal(fingerprint_cache_stats.hits, hits + 1);
            /* One suite changed: another fingerprint, computed afresh the
             * first time (and found in the cache the second). */
            ch.ciphers[0] ^= 0x0100;
            uint64_t misses = fingerprint_cache_stats.misses;
            fingerprint_client(&ch, JA4_TCP, fingerprint_hello_key(&ch, JA4_TCP), ja3, &h3, ja4,
                               &h4);
            if (distinct)
                assert_int_equal(fingerprint_cache_stats.misses, misses + (round == 0));
            assert_true(fingerprint_ja3(&ch, d3));
            assert_string_equal(ja3, d3);
            /* The QUIC transport letter is part of the key too. */
            load_ch(fixtures[i]);
            fingerprint_client(&ch, JA4_QUIC, fingerprint_hello_key(&ch, JA4_QUIC), ja3, &h3, ja4,
                               &h4);
            assert_int_equal(ja4[0], 'q');
        }
    }
}

static void test_client_cache_ignores_grease_values(void **state)
{
    (void)state;
    char ja3[JA3_HEX_LEN + 1], ja4[JA4_MAX_LEN + 1], d3[JA3_HEX_LEN + 1], d4[JA4_MAX_LEN + 1];
    int h3, h4, grease = 0;
    load_ch(FX_CHROME_CH);
    fingerprint_client(&ch, JA4_TCP, fingerprint_hello_key(&ch, JA4_TCP), ja3, &h3, ja4, &h4);
    /* Chrome draws its GREASE values per connection: other values, same
     * fingerprints, found in the cache. */
    uint16_t *lists[] = {ch.ciphers, ch.extensions, ch.groups, ch.versions};
    unsigned ns[] = {ch.n_ciphers, ch.n_extensions, ch.n_groups, ch.n_versions};
    for (int l = 0; l < 4; l++)
        for (unsigned i = 0; i < ns[l]; i++)
            if (tls_is_grease(lists[l][i])) {
                lists[l][i] = lists[l][i] == 0xFAFA ? 0x1A1A : 0xFAFA;
                grease++;
            }
    assert_true(grease >= 3);
    uint64_t hits = fingerprint_cache_stats.hits;
    fingerprint_client(&ch, JA4_TCP, fingerprint_hello_key(&ch, JA4_TCP), d3, &h3, d4, &h4);
    assert_int_equal(fingerprint_cache_stats.hits, hits + 1);
    assert_string_equal(ja3, d3);
    assert_string_equal(ja4, d4);
    fingerprint_ja3(&ch, d3);
    fingerprint_ja4(&ch, JA4_TCP, d4);
    assert_string_equal(ja3, d3);
    assert_string_equal(ja4, d4);
}

static void test_server_cache_keyed_by_fields(void **state)
{
    (void)state;
    char a[JA3_HEX_LEN + 1], b[JA3_HEX_LEN + 1], d[JA3_HEX_LEN + 1];
    load_sh(FX_TLS12_SH);
    assert_int_equal(fingerprint_server(&sh, a), 1);
    uint64_t hits = fingerprint_cache_stats.hits;
    assert_int_equal(fingerprint_server(&sh, b), 1);
    assert_int_equal(fingerprint_cache_stats.hits, hits + 1);
    assert_string_equal(a, b);
    /* Another cipher or one extension fewer: another JA3S, not the cached. */
    sh.cipher ^= 1;
    assert_int_equal(fingerprint_server(&sh, b), 1);
    fingerprint_ja3s(&sh, d);
    assert_string_equal(b, d);
    assert_string_not_equal(a, b);
    sh.cipher ^= 1;
    sh.n_extensions--;
    assert_int_equal(fingerprint_server(&sh, b), 1);
    fingerprint_ja3s(&sh, d);
    assert_string_equal(b, d);
    assert_string_not_equal(a, b);
    sh.truncated = 1;
    assert_int_equal(fingerprint_server(&sh, b), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ja3_openssl_hellos),
        cmocka_unit_test(test_ja3_curl),
        cmocka_unit_test(test_ja3_chrome_grease_removed),
        cmocka_unit_test(test_ja3s),
        cmocka_unit_test(test_ja3_not_for_partial_hellos),
        cmocka_unit_test(test_ja4_chrome_spec_example),
        cmocka_unit_test(test_ja4_curl_tls1_3),
        cmocka_unit_test(test_ja4_tls1_0_no_alpn_no_sigalgs),
        cmocka_unit_test(test_ja4_tls1_3_and_1_2),
        cmocka_unit_test(test_ja4_transport_and_sni),
        cmocka_unit_test(test_ja4_alpn_rule),
        cmocka_unit_test(test_ja4_grease_signature_algorithm_ignored),
        cmocka_unit_test(test_client_cache),
        cmocka_unit_test(test_client_cache_ignores_grease_values),
        cmocka_unit_test(test_server_cache_keyed_by_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
