/* test_tls_hello.c: ClientHello/ServerHello parsing (dissect/tls_hello.c) on
 * real hellos from OpenSSL, curl, Chrome and an SSLv2-format client. The
 * expected values come from the captures' tshark oracle
 * (pcaps/expected/NAME.oracle.jsonl, corpus/expected/NAME.jsonl). */
#include "testutil.h"

#include "dissect/tls.h"

static struct tls_client_hello ch;
static struct tls_server_hello sh;

static void parse_ch_ok(const char *hex, struct tu_bytes *rec)
{
    *rec = tu_hex(hex);
    assert_int_equal(tls_parse_client_hello(tu_hello_body(rec, TLS_HS_CLIENT_HELLO), &ch),
                     TLS_PARSE_OK);
}

static void parse_sh_ok(const char *hex, struct tu_bytes *rec)
{
    *rec = tu_hex(hex);
    assert_int_equal(tls_parse_server_hello(tu_hello_body(rec, TLS_HS_SERVER_HELLO), &sh),
                     TLS_PARSE_OK);
}

static void assert_u16_list(const uint16_t *got, unsigned n, const uint16_t *want, unsigned wn)
{
    assert_int_equal(n, wn);
    for (unsigned i = 0; i < wn; i++)
        assert_int_equal(got[i], want[i]);
}
#define ASSERT_LIST(got, n, ...)                                                                   \
    do {                                                                                           \
        static const uint16_t want_[] = {__VA_ARGS__};                                             \
        assert_u16_list(got, n, want_, sizeof(want_) / sizeof(*want_));                            \
    } while (0)

/* The cipher list of the OpenSSL TLS 1.0/1.1 clients (oracle ja3_full). */
#define OLD_OPENSSL_CIPHERS 0xc00a, 0xc014, 0x0039, 0xc009, 0xc013, 0x0033, 0x0035, 0x002f, 0x00ff

/* ---- ClientHello, one per version ------------------------------------------ */

static void test_client_hello_tls1_0(void **state)
{
    (void)state;
    struct tu_bytes rec;
    parse_ch_ok(FX_TLS10_CH, &rec);
    assert_int_equal(ch.legacy_version, 0x0301);
    assert_int_equal(ch.sslv2_format, 0);
    assert_int_equal(ch.truncated, 0);
    assert_int_equal(ch.session_id_len, 0);
    assert_memory_equal(ch.random, rec.p + 11, 32);
    ASSERT_LIST(ch.ciphers, ch.n_ciphers, OLD_OPENSSL_CIPHERS);
    ASSERT_LIST(ch.extensions, ch.n_extensions, 0, 11, 10, 35, 22, 23);
    ASSERT_LIST(ch.groups, ch.n_groups, 29, 23, 30, 25, 24);
    assert_int_equal(ch.n_point_formats, 3);
    assert_int_equal(ch.point_formats[0], 0);
    assert_int_equal(ch.point_formats[2], 2);
    assert_true(ch.has_sni);
    assert_string_equal(ch.sni, "old.example");
    assert_int_equal(ch.sni_len, 11);
    assert_false(ch.has_alpn);
    assert_false(ch.has_supported_versions);
    assert_int_equal(ch.n_sigalgs, 0); /* no signature_algorithms before TLS 1.2 */
    assert_int_equal(tls_client_max_version(&ch), 0x0301);
    tu_bytes_free(&rec);
}

static void test_client_hello_tls1_1(void **state)
{
    (void)state;
    struct tu_bytes rec;
    parse_ch_ok(FX_TLS11_CH, &rec);
    assert_int_equal(ch.legacy_version, 0x0302);
    ASSERT_LIST(ch.ciphers, ch.n_ciphers, OLD_OPENSSL_CIPHERS);
    assert_string_equal(ch.sni, "tls11.example");
    assert_false(ch.has_supported_versions);
    assert_int_equal(tls_client_max_version(&ch), 0x0302);
    tu_bytes_free(&rec);
}

static void test_client_hello_tls1_2(void **state)
{
    (void)state;
    struct tu_bytes rec;
    parse_ch_ok(FX_TLS12_CH, &rec);
    assert_int_equal(ch.legacy_version, 0x0303);
    ASSERT_LIST(ch.ciphers, ch.n_ciphers, 49196, 49200, 159, 52393, 52392, 52394, 49195, 49199, 158,
                49188, 49192, 107, 49187, 49191, 103, 49162, 49172, 57, 49161, 49171, 51, 157, 156,
                61, 60, 53, 47, 255);
    ASSERT_LIST(ch.extensions, ch.n_extensions, 0, 11, 10, 35, 16, 22, 23, 13);
    assert_string_equal(ch.sni, "tls12.example");
    /* ALPN kept in wire format: 2 "h2" 8 "http/1.1". */
    assert_true(ch.has_alpn);
    assert_int_equal(ch.alpn_len, 12);
    assert_memory_equal(ch.alpn, "\x02h2\x08http/1.1", 12);
    assert_int_equal(ch.n_sigalgs, 20);
    assert_int_equal(ch.sigalgs[0], 0x0403);
    assert_int_equal(ch.sigalgs[19], 0x0602);
    assert_false(ch.has_supported_versions);
    assert_int_equal(tls_client_max_version(&ch), 0x0303);
    tu_bytes_free(&rec);
}

static void test_client_hello_tls1_3(void **state)
{
    (void)state;
    struct tu_bytes rec;
    parse_ch_ok(FX_TLS13_CH, &rec);
    assert_int_equal(ch.legacy_version, 0x0303); /* frozen at 1.2 (RFC 8446 4.1.2) */
    assert_int_equal(ch.session_id_len, 32);     /* middlebox compatibility mode */
    assert_memory_equal(ch.session_id, rec.p + 44, 32);
    ASSERT_LIST(ch.ciphers, ch.n_ciphers, 0x1302, 0x1303, 0x1301, 0x00ff);
    ASSERT_LIST(ch.extensions, ch.n_extensions, 0, 11, 10, 35, 16, 22, 23, 13, 43, 45, 51);
    ASSERT_LIST(ch.groups, ch.n_groups, 29, 23, 30, 25, 24, 256, 257, 258, 259, 260);
    assert_true(ch.has_supported_versions);
    ASSERT_LIST(ch.versions, ch.n_versions, 0x0304);
    ASSERT_LIST(ch.key_shares, ch.n_key_shares, 0x001d);
    assert_string_equal(ch.sni, "tls13.example");
    assert_false(ch.has_psk);
    assert_int_equal(tls_client_max_version(&ch), 0x0304);
    tu_bytes_free(&rec);
}

static void test_client_hello_curl_all_versions(void **state)
{
    (void)state;
    struct tu_bytes rec;
    parse_ch_ok(FX_CURL13_CH, &rec);
    assert_int_equal(ch.n_ciphers, 31);
    ASSERT_LIST(ch.versions, ch.n_versions, 0x0304, 0x0303, 0x0302, 0x0301);
    ASSERT_LIST(ch.extensions, ch.n_extensions, 0, 11, 10, 16, 22, 23, 49, 13, 43, 45, 51, 21);
    assert_string_equal(ch.sni, "curl.example");
    assert_int_equal(tls_client_max_version(&ch), 0x0304);
    tu_bytes_free(&rec);
}

/* ---- ServerHello ------------------------------------------------------------- */

static void test_server_hello_tls1_0_and_1_1(void **state)
{
    (void)state;
    struct tu_bytes rec;
    parse_sh_ok(FX_TLS10_SH, &rec);
    assert_int_equal(sh.legacy_version, 0x0301);
    assert_int_equal(sh.selected_version, 0);
    assert_int_equal(tls_server_version(&sh), 0x0301);
    assert_int_equal(sh.cipher, 0xc014); /* TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA */
    assert_int_equal(sh.compression, 0);
    assert_false(sh.is_hrr);
    ASSERT_LIST(sh.extensions, sh.n_extensions, 65281, 11, 35, 22, 23);
    /* An OpenSSL 3 server that can do 1.3 writes the RFC 8446 4.1.3
     * downgrade sentinel into the random when it negotiates <= 1.1. */
    assert_memory_equal(sh.random, rec.p + 11, 32);
    assert_memory_equal(sh.random + 24, "DOWNGRD\x00", 8);
    tu_bytes_free(&rec);

    parse_sh_ok(FX_TLS11_SH, &rec);
    assert_int_equal(tls_server_version(&sh), 0x0302);
    assert_int_equal(sh.cipher, 0xc014);
    tu_bytes_free(&rec);
}

static void test_server_hello_tls1_2(void **state)
{
    (void)state;
    struct tu_bytes rec;
    parse_sh_ok(FX_TLS12_SH, &rec);
    assert_int_equal(tls_server_version(&sh), 0x0303);
    assert_int_equal(sh.cipher, 0xc030); /* TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 */
    ASSERT_LIST(sh.extensions, sh.n_extensions, 65281, 11, 35, 16, 23);
    assert_int_equal(sh.alpn_len, 2);
    assert_string_equal(sh.alpn, "h2");
    assert_memory_equal(sh.random + 24, "DOWNGRD\x01", 8); /* negotiated 1.2 */
    tu_bytes_free(&rec);
}

static void test_server_hello_tls1_3(void **state)
{
    (void)state;
    struct tu_bytes rec;
    parse_sh_ok(FX_TLS13_SH, &rec);
    assert_int_equal(sh.legacy_version, 0x0303);
    assert_int_equal(sh.selected_version, 0x0304);
    assert_int_equal(tls_server_version(&sh), 0x0304);
    assert_int_equal(sh.cipher, 0x1302); /* TLS_AES_256_GCM_SHA384 */
    assert_int_equal(sh.key_share_group, 0x001d);
    assert_int_equal(sh.session_id_len, 32);
    ASSERT_LIST(sh.extensions, sh.n_extensions, 43, 51);
    assert_false(sh.is_hrr);
    assert_false(sh.has_psk);
    assert_int_equal(sh.alpn_len, 0); /* ALPN is in EncryptedExtensions */
    tu_bytes_free(&rec);
}

/* Drafts before 22 (deployed by Chrome and Firefox in 2016-2017) had no
 * session id or compression method: read as TLS 1.2's layout, the cipher
 * would come from the random's bytes. Values from tshark's dissection. */
static void test_server_hello_tls1_3_draft(void **state)
{
    (void)state;
    struct tu_bytes rec;
    parse_sh_ok(FX_DRAFT14_SH, &rec);
    assert_int_equal(tls_server_version(&sh), 0x7f0e);
    assert_true(tls_version_is_13(tls_server_version(&sh)));
    assert_int_equal(sh.cipher, 0xcca9); /* TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 */
    ASSERT_LIST(sh.extensions, sh.n_extensions, 40); /* the drafts' key_share */
    assert_int_equal(sh.session_id_len, 0);
    assert_false(sh.is_hrr);
    /* Ranked with TLS 1.3, named by nothing in the log's table. */
    assert_int_equal(tls_version_rank(0x7f0e), tls_version_rank(0x0304));
    assert_null(tls_version_number(0x7f0e));
    assert_false(tls_version_is_13(0x0303));
    assert_false(tls_server_hello_has_draft_layout(0x7f16)); /* draft 22: the RFC's layout */
    assert_false(tls_server_hello_has_draft_layout(0x0303));
    tu_bytes_free(&rec);

    /* A server that put 0x0304 in server_version but kept the RFC's layout
     * (OpenSSL's TLS 1.3 ServerHello so altered): the draft reading fails
     * and the RFC's is taken. */
    rec = tu_hex(FX_TLS13_SH);
    rec.p[9] = 0x03;
    rec.p[10] = 0x04;
    assert_int_equal(tls_parse_server_hello(tu_hello_body(&rec, TLS_HS_SERVER_HELLO), &sh),
                     TLS_PARSE_OK);
    assert_int_equal(sh.cipher, 0x1302);
    assert_int_equal(sh.session_id_len, 32);
    assert_int_equal(sh.selected_version, 0x0304);
    tu_bytes_free(&rec);
}

static void test_hello_retry_request(void **state)
{
    (void)state;
    struct tu_bytes hrr, fin, ch1, ch2;
    struct tls_client_hello first;

    parse_sh_ok(FX_HRR_HRR, &hrr);
    assert_true(sh.is_hrr);
    assert_int_equal(sh.selected_version, 0x0304);
    assert_int_equal(sh.key_share_group, 0x0018); /* selected_group: P-384 */
    assert_int_equal(sh.cipher, 0x1302);

    parse_sh_ok(FX_HRR_SH, &fin);
    assert_false(sh.is_hrr);
    assert_int_equal(tls_server_version(&sh), 0x0304);
    assert_int_equal(sh.key_share_group, 0x0018);

    parse_ch_ok(FX_HRR_CH1, &ch1);
    first = ch;
    ASSERT_LIST(first.key_shares, first.n_key_shares, 0x001d); /* X25519 only */
    assert_string_equal(first.sni, "hrr.example");
    parse_ch_ok(FX_HRR_CH2, &ch2);
    ASSERT_LIST(ch.key_shares, ch.n_key_shares, 0x0018); /* now P-384 */
    /* RFC 8446 4.1.2: the second ClientHello keeps random and session id. */
    assert_memory_equal(ch.random, first.random, 32);
    assert_memory_equal(ch.session_id, first.session_id, 32);
    tu_bytes_free(&hrr);
    tu_bytes_free(&fin);
    tu_bytes_free(&ch1);
    tu_bytes_free(&ch2);
}

/* ---- GREASE ------------------------------------------------------------------- */

static void test_is_grease(void **state)
{
    (void)state;
    for (unsigned i = 0; i < 16; i++) {
        uint16_t v = (uint16_t)(((i << 4 | 0xa) << 8) | (i << 4 | 0xa));
        assert_true(tls_is_grease(v));
    }
    assert_false(tls_is_grease(0x0a1a));
    assert_false(tls_is_grease(0x1a0a));
    assert_false(tls_is_grease(0x0a0b));
    assert_false(tls_is_grease(0x0303));
    assert_false(tls_is_grease(0x0000));
    assert_false(tls_is_grease(0xffff));
    assert_false(tls_is_grease(0xaaab));
}

static void test_chrome_grease(void **state)
{
    (void)state;
    struct tu_bytes rec;
    /* Chrome puts GREASE (RFC 8701) in ciphers, extensions, groups,
     * key_share and supported_versions; the parser keeps wire order. */
    parse_ch_ok(FX_CHROME_CH, &rec);
    assert_int_equal(ch.n_ciphers, 16);
    assert_int_equal(ch.ciphers[0], 0x9a9a);
    assert_true(tls_is_grease(ch.ciphers[0]));
    assert_int_equal(ch.ciphers[1], 0x1303);
    assert_int_equal(ch.ciphers[15], 0x0035);
    ASSERT_LIST(ch.versions, ch.n_versions, 0x6a6a, 0x0304, 0x0303, 0x0302, 0x0301);
    ASSERT_LIST(ch.extensions, ch.n_extensions, 19018, 0, 23, 65281, 10, 11, 35, 16, 5, 13, 18, 51,
                45, 43, 27, 17513, 27242, 21);
    ASSERT_LIST(ch.groups, ch.n_groups, 0x6a6a, 29, 23, 24);
    ASSERT_LIST(ch.key_shares, ch.n_key_shares, 0x6a6a, 0x001d);
    assert_string_equal(ch.sni, "www.iit.cnr.it");
    assert_int_equal(ch.alpn_len, 12);
    /* GREASE never counts for the highest version. */
    assert_int_equal(tls_client_max_version(&ch), 0x0304);
    tu_bytes_free(&rec);
}

static void test_client_max_version_rules(void **state)
{
    (void)state;
    static struct tls_client_hello c;
    memset(&c, 0, sizeof(c));
    c.legacy_version = 0x0303;
    assert_int_equal(tls_client_max_version(&c), 0x0303); /* no extension */

    c.has_supported_versions = 1;
    c.n_versions = 2;
    c.versions[0] = 0xfafa; /* GREASE, numerically larger than any version */
    c.versions[1] = 0x0302;
    assert_int_equal(tls_client_max_version(&c), 0x0302);

    c.versions[0] = 0x0303; /* not in descending order */
    c.versions[1] = 0x0304;
    assert_int_equal(tls_client_max_version(&c), 0x0304);

    c.n_versions = 1;
    c.versions[0] = 0x2a2a; /* only GREASE: fall back to legacy_version */
    assert_int_equal(tls_client_max_version(&c), 0x0303);
}

/* ---- SSLv2-format ClientHello ----------------------------------------------- */

static void test_sslv2_client_hello(void **state)
{
    (void)state;
    struct tu_bytes rec = tu_hex(FX_SSLV2_CH);
    struct tu_bytes tls = tu_hex(FX_TLS12_CH);
    /* 2-byte header 0x807c: 124 bytes of message follow. */
    assert_int_equal(tls_sslv2_hello_record_len(tu_span(&rec)), 124);
    assert_int_equal(rec.n, 126);
    assert_int_equal(tls_sslv2_hello_record_len(tu_span(&tls)), 0);
    assert_int_equal(tls_sslv2_hello_record_len(span_make(rec.p, 4)), 0); /* needs 5 bytes */

    assert_int_equal(tls_parse_sslv2_client_hello(span_make(rec.p + 2, 124), &ch), TLS_PARSE_OK);
    assert_true(ch.sslv2_format);
    assert_int_equal(ch.legacy_version, 0x0301);
    assert_int_equal(tls_client_max_version(&ch), 0x0301);
    assert_false(ch.has_sni);
    assert_int_equal(ch.n_extensions, 0);
    assert_int_equal(ch.session_id_len, 0);
    /* 33 cipher specs; the 7 SSLv2-only kinds (first byte != 0) are left
     * out, the 26 TLS suites are kept in order (oracle's note). */
    ASSERT_LIST(ch.ciphers, ch.n_ciphers, 0x0039, 0x0038, 0x0035, 0x0016, 0x0013, 0x000a, 0x0033,
                0x0032, 0x002f, 0x0066, 0x0005, 0x0004, 0x0063, 0x0062, 0x0061, 0x0015, 0x0012,
                0x0009, 0x0065, 0x0064, 0x0060, 0x0014, 0x0011, 0x0008, 0x0006, 0x0003);
    /* The 16-byte challenge is right-aligned in the 32-byte random. */
    static const uint8_t zero[16];
    assert_memory_equal(ch.random, zero, 16);
    assert_memory_equal(ch.random + 16, rec.p + rec.n - 16, 16);
    tu_bytes_free(&rec);
    tu_bytes_free(&tls);
}

/* tests/fixtures/zeek/ssl-v2.pcap frame 6: an SSL 2.0 SERVER-HELLO (tshark:
 * no session-id hit, X.509, version 2, certificate 903 bytes, 18 bytes of
 * cipher specs, a 16-byte connection id), 950 bytes in one record. */
static void test_sslv2_server_hello(void **state)
{
    (void)state;
    struct tu_pcap pc;
    struct packet_view pv;
    tu_pcap_load("tests/fixtures/zeek/ssl-v2.pcap", &pc);
    const struct tu_frame *f = &pc.f[5];
    assert_int_equal(decode_packet(pc.linktype, f->data, f->caplen, f->len, &pv), DECODE_OK);
    struct span rec = span_make(pv.payload, pv.payload_len);
    assert_int_equal(rec.n, 950);
    assert_int_equal(tls_sslv2_hello_record_len(rec), 948);
    struct span msg = span_make(rec.p + 2, 948);
    assert_int_equal(tls_parse_sslv2_server_hello(msg, &sh), TLS_PARSE_OK);
    assert_true(sh.sslv2_format);
    assert_int_equal(tls_server_version(&sh), 0x0002);
    assert_false(sh.sslv2_session_id_hit);
    assert_int_equal(sh.n_extensions, 0);
    assert_memory_equal(sh.random + 16, rec.p + 950 - 16, 16); /* the connection id */
    /* Cut anywhere, it is no hello; nor is it a ClientHello. */
    for (size_t n = 0; n < msg.n; n += 97)
        assert_int_equal(tls_parse_sslv2_server_hello(span_make(msg.p, n), &sh), TLS_PARSE_BAD);
    assert_int_equal(tls_parse_sslv2_client_hello(msg, &ch), TLS_PARSE_BAD);
    /* A session-id hit byte other than 0 or 1 is not SSL 2.0. */
    uint8_t bad[5] = {rec.p[0], rec.p[1], 4, 2, 1};
    assert_int_equal(tls_sslv2_hello_record_len(span_make(bad, 5)), 0);
    tu_pcap_free(&pc);
}

/* ---- version names -------------------------------------------------------------- */

static void test_version_names(void **state)
{
    (void)state;
    static const struct {
        uint16_t v;
        const char *proto, *num;
        int rank;
    } t[] = {
        {0x0002, "ssl", "2.0", 1},  {0x0300, "ssl", "3.0", 2},  {0x0301, "tls", "1.0", 3},
        {0x0302, "tls", "1.1", 4},  {0x0303, "tls", "1.2", 5},  {0x0304, "tls", "1.3", 6},
        {0xfeff, "dtls", "1.0", 3}, {0xfefd, "dtls", "1.2", 5}, {0xfefc, "dtls", "1.3", 6},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(*t); i++) {
        assert_string_equal(tls_version_protocol(t[i].v), t[i].proto);
        assert_string_equal(tls_version_number(t[i].v), t[i].num);
        assert_int_equal(tls_version_rank(t[i].v), t[i].rank);
    }
    /* Never named by guess: unassigned, GREASE, 0. */
    static const uint16_t unknown[] = {0x0305, 0xfefe, 0x0a0a, 0x0000, 0x0200};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(*unknown); i++) {
        assert_null(tls_version_protocol(unknown[i]));
        assert_null(tls_version_number(unknown[i]));
        assert_int_equal(tls_version_rank(unknown[i]), 0);
    }
    /* TLS 1.3 draft 28: not named either, but ranked with TLS 1.3. */
    assert_null(tls_version_number(0x7f1c));
    assert_int_equal(tls_version_rank(0x7f1c), 6);
}

/* The client's highest version (tls.client.version, JA4's version): the
 * final TLS 1.3 over a draft of it, whichever comes first in the list
 * (clients of 2018 offered both); GREASE never. */
static void test_client_max_version_final_over_draft(void **state)
{
    (void)state;
    static const uint16_t lists[][3] = {
        {0x7f1c, 0x0304, 0x0303},
        {0x0304, 0x7f1c, 0x0303},
        {0x2a2a, 0x7f17, 0x0304},
    };
    for (size_t i = 0; i < sizeof(lists) / sizeof(*lists); i++) {
        memset(&ch, 0, sizeof(ch));
        ch.legacy_version = 0x0303;
        ch.has_supported_versions = 1;
        ch.n_versions = 3;
        memcpy(ch.versions, lists[i], sizeof(lists[i]));
        assert_int_equal(tls_client_max_version(&ch), 0x0304);
    }
    memset(&ch, 0, sizeof(ch));
    ch.legacy_version = 0x0303;
    ch.has_supported_versions = 1;
    ch.n_versions = 2;
    ch.versions[0] = 0x7f1c; /* a draft alone is what the client offered */
    ch.versions[1] = 0x0303;
    assert_int_equal(tls_client_max_version(&ch), 0x7f1c);
}

static void test_looks_like_record(void **state)
{
    (void)state;
    struct tu_bytes rec = tu_hex(FX_TLS12_CH);
    assert_true(tls_looks_like_record(tu_span(&rec)));
    assert_true(tls_looks_like_record(span_make(rec.p, 3))); /* judged on what is there */
    assert_false(tls_looks_like_record(span_make(rec.p, 2)));
    assert_false(tls_looks_like_record(span_make((const uint8_t *)"GET / HTTP/1.1", 14)));
    static const uint8_t bad_minor[] = {0x16, 0x03, 0x05, 0x00, 0x10};
    static const uint8_t zero_len[] = {0x16, 0x03, 0x03, 0x00, 0x00};
    static const uint8_t too_long[] = {0x17, 0x03, 0x03, 0x48, 0x01}; /* 2^14 + 2049 */
    static const uint8_t max_len[] = {0x17, 0x03, 0x03, 0x48, 0x00};  /* 2^14 + 2048 */
    static const uint8_t bad_type[] = {0x18, 0x03, 0x03, 0x00, 0x10};
    assert_false(tls_looks_like_record(span_make(bad_minor, 5)));
    assert_false(tls_looks_like_record(span_make(zero_len, 5)));
    assert_false(tls_looks_like_record(span_make(too_long, 5)));
    assert_true(tls_looks_like_record(span_make(max_len, 5)));
    assert_false(tls_looks_like_record(span_make(bad_type, 5)));
    tu_bytes_free(&rec);
}

/* ---- truncated and malformed hellos -------------------------------------------- */

/* Offset in a ClientHello body just past compression_methods: a hello cut
 * there is a legal hello without extensions (SSL 3.0 style). */
static size_t ch_no_ext_len(struct span b)
{
    size_t o = 2 + 32;
    o += 1 + b.p[o];
    o += 2 + (size_t)(b.p[o] << 8 | b.p[o + 1]);
    o += 1 + b.p[o];
    return o;
}

static size_t sh_no_ext_len(struct span b)
{
    return 2 + 32 + 1 + b.p[34] + 2 + 1;
}

/* Every prefix of the body, each in a buffer of exactly its size (so a
 * sanitizer or valgrind sees any over-read), must be rejected, except the
 * one cut right after compression_methods. */
static void every_prefix(const char *hex, int is_client)
{
    struct tu_bytes rec = tu_hex(hex);
    struct span body = tu_hello_body(&rec, is_client ? TLS_HS_CLIENT_HELLO : TLS_HS_SERVER_HELLO);
    size_t legal = is_client ? ch_no_ext_len(body) : sh_no_ext_len(body);
    assert_true(legal < body.n);
    for (size_t k = 0; k < body.n; k++) {
        uint8_t *cut = malloc(k ? k : 1);
        assert_non_null(cut);
        memcpy(cut, body.p, k);
        int r = is_client ? tls_parse_client_hello(span_make(cut, k), &ch)
                          : tls_parse_server_hello(span_make(cut, k), &sh);
        if (r != (k == legal ? TLS_PARSE_OK : TLS_PARSE_BAD))
            fail_msg("prefix of %zu of %zu bytes: result %d", k, body.n, r);
        free(cut);
    }
    tu_bytes_free(&rec);
}

static void test_truncated_client_hellos(void **state)
{
    (void)state;
    every_prefix(FX_TLS10_CH, 1);
    every_prefix(FX_TLS12_CH, 1);
    every_prefix(FX_TLS13_CH, 1);
    every_prefix(FX_CURL13_CH, 1);
    every_prefix(FX_CHROME_CH, 1);
    every_prefix(FX_HRR_CH2, 1);
}

static void test_truncated_server_hellos(void **state)
{
    (void)state;
    every_prefix(FX_TLS10_SH, 0);
    every_prefix(FX_TLS12_SH, 0);
    every_prefix(FX_TLS13_SH, 0);
    every_prefix(FX_HRR_HRR, 0);
    every_prefix(FX_CHROME_SH, 0);
}

static void test_truncated_sslv2_hello(void **state)
{
    (void)state;
    struct tu_bytes rec = tu_hex(FX_SSLV2_CH);
    size_t n = rec.n - 2;
    for (size_t k = 0; k < n; k++) {
        uint8_t *cut = malloc(k ? k : 1);
        assert_non_null(cut);
        memcpy(cut, rec.p + 2, k);
        if (tls_parse_sslv2_client_hello(span_make(cut, k), &ch) != TLS_PARSE_BAD)
            fail_msg("SSLv2 hello prefix of %zu bytes accepted", k);
        free(cut);
    }
    tu_bytes_free(&rec);
}

/* Single-byte corruptions of real hellos that break a length field. */
static void test_malformed_hellos(void **state)
{
    (void)state;
    struct tu_bytes rec = tu_hex(FX_TLS13_CH);
    struct span body = tu_hello_body(&rec, TLS_HS_CLIENT_HELLO);
    uint8_t *b = (uint8_t *)body.p;

    b[34] = 33; /* legacy_session_id longer than 32 */
    assert_int_equal(tls_parse_client_hello(body, &ch), TLS_PARSE_BAD);
    b[34] = 32;
    assert_int_equal(tls_parse_client_hello(body, &ch), TLS_PARSE_OK);

    b[2 + 32 + 1 + 32 + 1] += 1; /* cipher_suites length odd (8 -> 9) */
    assert_int_equal(tls_parse_client_hello(body, &ch), TLS_PARSE_BAD);
    b[2 + 32 + 1 + 32 + 1] -= 1;

    /* Offsets in this body: version 2, random 32, session id 1+32, suites
     * 2+8, compression methods 1+1, then the extensions length (2 bytes),
     * whose first extension is server_name: type 2, length 2, then the
     * server_name_list length. */
    size_t ext_len = 2 + 32 + 1 + 32 + 2 + 8 + 1 + 1;
    size_t sni_list = ext_len + 2 + 4;
    assert_int_equal(b[sni_list - 4], 0x00); /* extension type 0 */
    assert_int_equal(b[sni_list - 3], 0x00);
    b[sni_list + 1] += 1;
    assert_int_equal(tls_parse_client_hello(body, &ch), TLS_PARSE_BAD);
    b[sni_list + 1] -= 1;

    /* extensions block length one byte longer than what follows */
    b[ext_len + 1] += 1;
    assert_int_equal(tls_parse_client_hello(body, &ch), TLS_PARSE_BAD);
    b[ext_len + 1] -= 1;
    assert_int_equal(tls_parse_client_hello(body, &ch), TLS_PARSE_OK);
    tu_bytes_free(&rec);

    rec = tu_hex(FX_TLS13_SH);
    body = tu_hello_body(&rec, TLS_HS_SERVER_HELLO);
    b = (uint8_t *)body.p;
    b[34] = 33;
    assert_int_equal(tls_parse_server_hello(body, &sh), TLS_PARSE_BAD);
    tu_bytes_free(&rec);

    /* The TLS 1.2 ServerHello with one stray byte at the end of its
     * extensions block (lengths grown to match; Arkime's test traces hold
     * such a hello): kept as parsed and flagged, as Wireshark does. */
    rec = tu_hex(FX_TLS12_SH);
    uint8_t grown[512];
    assert_true(rec.n + 1 <= sizeof(grown));
    memcpy(grown, rec.p, rec.n);
    grown[rec.n] = 0;
    size_t sid = grown[9 + 2 + 32], exts_at = 9 + 2 + 32 + 1 + sid + 2 + 1;
    assert_true(grown[exts_at + 1] < 0xff); /* no carry into the high byte */
    grown[exts_at + 1]++;                   /* extensions length */
    grown[8]++;                             /* handshake length */
    grown[4]++;                             /* record length */
    struct tu_bytes g = {grown, rec.n + 1};
    assert_int_equal(tls_parse_server_hello(tu_hello_body(&g, TLS_HS_SERVER_HELLO), &sh),
                     TLS_PARSE_OK);
    assert_true(sh.trailing_bytes);
    assert_int_equal(sh.cipher, 0xc030);
    ASSERT_LIST(sh.extensions, sh.n_extensions, 65281, 11, 35, 16, 23);
    assert_int_equal(tls_parse_server_hello(tu_hello_body(&rec, TLS_HS_SERVER_HELLO), &sh),
                     TLS_PARSE_OK);
    assert_false(sh.trailing_bytes); /* as sent */
    tu_bytes_free(&rec);

    rec = tu_hex(FX_SSLV2_CH);
    b = rec.p + 2;
    b[4] = 0x64; /* cipher_spec length 100: not a multiple of 3 */
    assert_int_equal(tls_parse_sslv2_client_hello(span_make(b, rec.n - 2), &ch), TLS_PARSE_BAD);
    tu_bytes_free(&rec);
}

/* The real TLS 1.2 hello re-encoded with its cipher list repeated 19 times
 * (532 suites, a legal encoding): only TLS_MAX_CIPHERS are kept. */
static void test_cipher_list_over_bound(void **state)
{
    (void)state;
    struct tu_bytes rec = tu_hex(FX_TLS12_CH);
    struct span body = tu_hello_body(&rec, TLS_HS_CLIENT_HELLO);
    size_t pre = 2 + 32 + 1 + body.p[34]; /* version, random, session id */
    size_t clen = (size_t)(body.p[pre] << 8 | body.p[pre + 1]);
    const uint8_t *suites = body.p + pre + 2, *rest = suites + clen;
    size_t rest_n = body.n - pre - 2 - clen;
    enum { REPEAT = 19 };
    assert_int_equal(clen / 2, 28);
    assert_true(REPEAT * clen / 2 > TLS_MAX_CIPHERS);

    size_t n = pre + 2 + REPEAT * clen + rest_n;
    uint8_t *big = malloc(n), *w = big;
    assert_non_null(big);
    memcpy(w, body.p, pre);
    w += pre;
    *w++ = (uint8_t)((REPEAT * clen) >> 8);
    *w++ = (uint8_t)(REPEAT * clen);
    for (int i = 0; i < REPEAT; i++, w += clen)
        memcpy(w, suites, clen);
    memcpy(w, rest, rest_n);

    assert_int_equal(tls_parse_client_hello(span_make(big, n), &ch), TLS_PARSE_OK);
    assert_true(ch.truncated);
    assert_int_equal(ch.n_ciphers, TLS_MAX_CIPHERS);
    assert_int_equal(ch.ciphers[0], 0xc02c);
    assert_int_equal(ch.ciphers[27], 0x00ff);
    assert_int_equal(ch.ciphers[28], 0xc02c);
    assert_int_equal(ch.ciphers[511], ch.ciphers[511 % 28]);
    /* The rest of the hello is still read. */
    assert_string_equal(ch.sni, "tls12.example");
    assert_int_equal(ch.n_extensions, 8);
    free(big);

    /* The unmodified hello is not marked. */
    assert_int_equal(tls_parse_client_hello(body, &ch), TLS_PARSE_OK);
    assert_false(ch.truncated);
    tu_bytes_free(&rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_max_version_final_over_draft),
        cmocka_unit_test(test_client_hello_tls1_0),
        cmocka_unit_test(test_client_hello_tls1_1),
        cmocka_unit_test(test_client_hello_tls1_2),
        cmocka_unit_test(test_client_hello_tls1_3),
        cmocka_unit_test(test_client_hello_curl_all_versions),
        cmocka_unit_test(test_server_hello_tls1_0_and_1_1),
        cmocka_unit_test(test_server_hello_tls1_2),
        cmocka_unit_test(test_server_hello_tls1_3),
        cmocka_unit_test(test_server_hello_tls1_3_draft),
        cmocka_unit_test(test_hello_retry_request),
        cmocka_unit_test(test_is_grease),
        cmocka_unit_test(test_chrome_grease),
        cmocka_unit_test(test_client_max_version_rules),
        cmocka_unit_test(test_sslv2_client_hello),
        cmocka_unit_test(test_sslv2_server_hello),
        cmocka_unit_test(test_version_names),
        cmocka_unit_test(test_looks_like_record),
        cmocka_unit_test(test_truncated_client_hellos),
        cmocka_unit_test(test_truncated_server_hellos),
        cmocka_unit_test(test_truncated_sslv2_hello),
        cmocka_unit_test(test_malformed_hellos),
        cmocka_unit_test(test_cipher_list_over_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
