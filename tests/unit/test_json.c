/* test_json.c: the JSON writer (report/json.c) and the handshake line
 * (report/handshake_log.c handshake_to_json) against the contract,
 * ../shared/spec/handshake-log.md. */
#include "testutil.h"

#include <arpa/inet.h>

#include "report/handshake_log.h"
#include "report/json.h"

/* ---- a strict JSON checker (RFC 8259), to prove every output parses ----- */

struct jp {
    const unsigned char *p, *end;
};

static int jp_value(struct jp *s, int depth);

static void jp_ws(struct jp *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static int jp_lit(struct jp *s, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
        return 0;
    s->p += n;
    return 1;
}

static int jp_utf8(struct jp *s)
{
    unsigned char c = *s->p;
    int k = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c <= 0xdf ? 2 : 0;
    if (c >= 0xf5 || k == 0 || s->end - s->p < k)
        return 0;
    uint32_t cp = c & (0x7f >> k);
    for (int i = 1; i < k; i++) {
        if ((s->p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s->p[i] & 0x3f);
    }
    if ((k == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (k == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    s->p += k;
    return 1;
}

static int jp_string(struct jp *s)
{
    if (!jp_lit(s, "\""))
        return 0;
    while (s->p < s->end && *s->p != '"') {
        unsigned char c = *s->p;
        if (c < 0x20)
            return 0;
        if (c == '\\') {
            s->p++;
            if (s->p >= s->end)
                return 0;
            if (*s->p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (s->p + i >= s->end || tu_hexval((char)s->p[i]) < 0)
                        return 0;
                s->p += 5;
            } else if (strchr("\"\\/bfnrt", *s->p) && *s->p) {
                s->p++;
            } else {
                return 0;
            }
        } else if (c < 0x80) {
            s->p++;
        } else if (!jp_utf8(s)) {
            return 0;
        }
    }
    return jp_lit(s, "\"");
}

static int jp_number(struct jp *s)
{
    const unsigned char *b = s->p;
    if (s->p < s->end && *s->p == '-')
        s->p++;
    if (s->p < s->end && *s->p == '0')
        s->p++;
    else if (s->p < s->end && *s->p >= '1' && *s->p <= '9')
        while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
            s->p++;
    else
        return 0;
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        if (s->p >= s->end || *s->p < '0' || *s->p > '9')
            return 0;
        while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
            s->p++;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
            s->p++;
        if (s->p >= s->end || *s->p < '0' || *s->p > '9')
            return 0;
        while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
            s->p++;
    }
    return s->p > b;
}

static int jp_container(struct jp *s, int depth, char open, char close)
{
    if (depth > 64 || !jp_lit(s, (char[]){open, 0}))
        return 0;
    jp_ws(s);
    if (s->p < s->end && *s->p == close) {
        s->p++;
        return 1;
    }
    for (;;) {
        jp_ws(s);
        if (open == '{') {
            if (!jp_string(s))
                return 0;
            jp_ws(s);
            if (!jp_lit(s, ":"))
                return 0;
        }
        if (!jp_value(s, depth + 1))
            return 0;
        jp_ws(s);
        if (jp_lit(s, ","))
            continue;
        return jp_lit(s, (char[]){close, 0});
    }
}

static int jp_value(struct jp *s, int depth)
{
    jp_ws(s);
    if (s->p >= s->end)
        return 0;
    switch (*s->p) {
    case '{':
        return jp_container(s, depth, '{', '}');
    case '[':
        return jp_container(s, depth, '[', ']');
    case '"':
        return jp_string(s);
    case 't':
        return jp_lit(s, "true");
    case 'f':
        return jp_lit(s, "false");
    case 'n':
        return jp_lit(s, "null");
    default:
        return jp_number(s);
    }
}

/* The whole text is exactly one JSON value. */
static int json_valid(const char *text, size_t n)
{
    struct jp s = {(const unsigned char *)text, (const unsigned char *)text + n};
    if (!jp_value(&s, 0))
        return 0;
    jp_ws(&s);
    return s.p == s.end;
}

static void test_checker_itself(void **state)
{
    (void)state;
    static const char *good[] = {"{}", "[]", "{\"a\":[1,-2.5e3,true,false,null,\"\\u00e9\"]}",
                                 "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\""};
    static const char *bad[] = {"{",         "{\"a\":}", "[1,]",         "\"\x01\"",
                                "\"\\x41\"", "\"\xff\"", "\"\xc0\xaf\"", "{\"a\":1}x",
                                "nan",       "[01]",     "\"\\u12\"",    "{a:1}"};
    for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
        assert_true(json_valid(good[i], strlen(good[i])));
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        if (json_valid(bad[i], strlen(bad[i])))
            fail_msg("checker accepted %s", bad[i]);
}

/* ---- the writer -------------------------------------------------------------- */

/* {"s":<s, n bytes>} must be exactly want, and valid JSON. */
static void assert_string_json(const char *s, size_t n, const char *want)
{
    struct json j;
    json_init(&j);
    json_open_object(&j, NULL);
    json_string_n(&j, "s", s, n);
    json_close_object(&j);
    assert_false(j.failed);
    assert_string_equal(j.p, want);
    assert_int_equal(j.len, strlen(want));
    if (!json_valid(j.p, j.len))
        fail_msg("not valid JSON: %s", j.p);
    json_free(&j);
}
#define STR_JSON(lit, want) assert_string_json(lit, sizeof(lit) - 1, want)

static void test_escape_quote_backslash(void **state)
{
    (void)state;
    STR_JSON("say \"hi\"", "{\"s\":\"say \\\"hi\\\"\"}");
    STR_JSON("C:\\tls\\", "{\"s\":\"C:\\\\tls\\\\\"}");
    STR_JSON("a/b", "{\"s\":\"a/b\"}");
    STR_JSON("", "{\"s\":\"\"}");
}

static void test_escape_control_bytes(void **state)
{
    (void)state;
    STR_JSON("\x01", "{\"s\":\"\\u0001\"}");
    STR_JSON("a\nb\tc\r", "{\"s\":\"a\\u000ab\\u0009c\\u000d\"}");
    STR_JSON("\x1f\x7f", "{\"s\":\"\\u001f\\u007f\"}");
    STR_JSON("nul\0byte", "{\"s\":\"nul\\u0000byte\"}"); /* json_string_n keeps it */
}

static void test_invalid_utf8_as_latin1(void **state)
{
    (void)state;
    STR_JSON("\xff", "{\"s\":\"\\u00ff\"}");
    STR_JSON("\x80", "{\"s\":\"\\u0080\"}");                       /* lone continuation */
    STR_JSON("\xc3", "{\"s\":\"\\u00c3\"}");                       /* cut sequence at the end */
    STR_JSON("\xc3(", "{\"s\":\"\\u00c3(\"}");                     /* bad continuation */
    STR_JSON("\xc0\xaf", "{\"s\":\"\\u00c0\\u00af\"}");            /* overlong '/' */
    STR_JSON("\xe0\x80\xaf", "{\"s\":\"\\u00e0\\u0080\\u00af\"}"); /* overlong, 3 bytes */
    STR_JSON("\xed\xa0\x80", "{\"s\":\"\\u00ed\\u00a0\\u0080\"}"); /* UTF-16 surrogate */
    STR_JSON("\xf4\x90\x80\x80", "{\"s\":\"\\u00f4\\u0090\\u0080\\u0080\"}"); /* > U+10FFFF */
    STR_JSON("\xf8\x88\x80\x80\x80",
             "{\"s\":\"\\u00f8\\u0088\\u0080\\u0080\\u0080\"}"); /* 5-byte form */
    STR_JSON("ok\xe2\x82", "{\"s\":\"ok\\u00e2\\u0082\"}");      /* cut 3-byte sequence */
}

static void test_valid_utf8_kept(void **state)
{
    (void)state;
    STR_JSON("caf\xc3\xa9", "{\"s\":\"caf\xc3\xa9\"}");                    /* U+00E9 */
    STR_JSON("\xc2\x80", "{\"s\":\"\xc2\x80\"}");                          /* U+0080 */
    STR_JSON("\xe2\x82\xac", "{\"s\":\"\xe2\x82\xac\"}");                  /* U+20AC */
    STR_JSON("\xef\xbf\xbf", "{\"s\":\"\xef\xbf\xbf\"}");                  /* U+FFFF */
    STR_JSON("\xf0\x9f\x98\x80", "{\"s\":\"\xf0\x9f\x98\x80\"}");          /* U+1F600 */
    STR_JSON("\xf4\x8f\xbf\xbf", "{\"s\":\"\xf4\x8f\xbf\xbf\"}");          /* U+10FFFF */
    STR_JSON("\xe4\xb8\xad\"\xff", "{\"s\":\"\xe4\xb8\xad\\\"\\u00ff\"}"); /* mixed */
}

static void test_structure(void **state)
{
    (void)state;
    struct json j;
    json_init(&j);
    json_open_object(&j, NULL);
    json_uint(&j, "a", 1);
    json_open_array(&j, "b");
    json_uint(&j, NULL, 2);
    json_string(&j, NULL, "x");
    json_bool(&j, NULL, 1);
    json_bool(&j, NULL, 0);
    json_int(&j, NULL, -5);
    json_close_array(&j);
    json_open_object(&j, "c");
    json_close_object(&j);
    json_open_array(&j, "d");
    json_open_array(&j, NULL);
    json_close_array(&j);
    json_open_object(&j, NULL);
    json_close_object(&j);
    json_close_array(&j);
    json_open_object(&j, "e");
    json_uint(&j, "max", UINT64_MAX);
    json_int(&j, "min", INT64_MIN);
    json_close_object(&j);
    json_close_object(&j);
    assert_string_equal(j.p, "{\"a\":1,\"b\":[2,\"x\",true,false,-5],\"c\":{},\"d\":[[],{}],"
                             "\"e\":{\"max\":18446744073709551615,"
                             "\"min\":-9223372036854775808}}");
    assert_true(json_valid(j.p, j.len));

    /* Reset: the same memory, a fresh object (no stray comma). */
    json_reset(&j);
    json_open_object(&j, NULL);
    json_string(&j, "k", "v");
    json_close_object(&j);
    assert_string_equal(j.p, "{\"k\":\"v\"}");
    json_free(&j);
    assert_null(j.p);
}

static void test_long_string_grows(void **state)
{
    (void)state;
    static char big[100000];
    memset(big, 'a', sizeof(big) - 1);
    big[5000] = '"';
    struct json j;
    json_init(&j);
    json_open_object(&j, NULL);
    json_string(&j, "s", big);
    json_close_object(&j);
    assert_false(j.failed);
    assert_int_equal(j.len, sizeof(big) - 1 + 1 + 8); /* + one escape + {"s":""} */
    assert_true(json_valid(j.p, j.len));
    json_free(&j);
}

/* ---- handshake lines ----------------------------------------------------------- */

static struct tu_handshakes got;

static void format_one(const char *capture, size_t which, struct json *j)
{
    tu_run_capture(capture, 0, &got);
    assert_true(got.settles > (int)which);
    json_init(j);
    handshake_to_json(&got.hs[which], j);
    assert_false(j->failed);
    if (!json_valid(j->p, j->len))
        fail_msg("%s: not valid JSON: %s", capture, j->p);
}

static void assert_has(const struct json *j, const char *needle)
{
    if (!strstr(j->p, needle))
        fail_msg("missing %s in %s", needle, j->p);
}

static void assert_lacks(const struct json *j, const char *needle)
{
    if (strstr(j->p, needle))
        fail_msg("unexpected %s in %s", needle, j->p);
}

static void test_handshake_tls1_2(void **state)
{
    (void)state;
    struct json j;
    format_one("pcaps/tls1_2.pcap", 0, &j);
    /* Values from pcaps/expected/tls1_2.oracle.jsonl and pcaps/README.md. */
    assert_int_equal(strncmp(j.p, "{\"@timestamp\":\"2026-11-23T18:14:21.846667Z\",", 44), 0);
    assert_has(&j, "\"event\":{\"dataset\":\"tlsmon.handshake\"}");
    assert_has(&j, "\"source\":{\"ip\":\"127.0.0.1\",\"port\":44784}");
    assert_has(&j, "\"destination\":{\"ip\":\"127.0.0.1\",\"port\":443}");
    assert_has(&j, "\"network\":{\"transport\":\"tcp\",\"protocol\":");
    assert_has(&j, "\"tls\":{\"encapsulation\":\"direct\",\"version_protocol\":\"tls\","
                   "\"version\":\"1.2\",\"cipher\":\"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\"");
    assert_has(&j, "\"established\":true");
    assert_has(&j, "\"resumed\":false");
    assert_has(&j, "\"next_protocol\":\"h2\"");
    assert_has(&j, "\"client\":{\"version_protocol\":\"tls\",\"version\":\"1.2\","
                   "\"supported_versions\":[\"1.2\"],\"supported_ciphers\":["
                   "\"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384\",");
    assert_has(&j, "\"TLS_EMPTY_RENEGOTIATION_INFO_SCSV\"],\"server_name\":\"tls12.example\"");
    assert_has(&j, "\"alpn\":[\"h2\",\"http/1.1\"]");
    assert_has(&j, "\"ja3\":\"22558766122974704364c9c75c5cce0a\"");
    assert_has(&j, "\"ja4\":\"t12d2808h2_d943125447b4_e7e480e5a997\"");
    assert_has(&j, "\"server\":{\"ja3s\":\"895252f3ce80cebf7a8837be83ec8e16\"}");
    assert_lacks(&j, "\"vlan\"");
    assert_lacks(&j, "hello_retry_request");
    json_free(&j);
}

static void test_handshake_refused(void **state)
{
    (void)state;
    struct json j;
    format_one("pcaps/client_tls1_0_refused.pcap", 0, &j);
    /* No ServerHello: no negotiated version, cipher, resumed, ja3s. */
    assert_has(&j, "\"tls\":{\"encapsulation\":\"direct\",\"established\":false,\"client\":{");
    assert_lacks(&j, "\"cipher\":");
    assert_lacks(&j, "\"resumed\"");
    assert_lacks(&j, "\"server\":");
    assert_lacks(&j, "\"alpn\"");
    assert_has(&j, "\"client\":{\"version_protocol\":\"tls\",\"version\":\"1.0\","
                   "\"supported_versions\":[\"1.0\"]");
    assert_has(&j, "\"server_name\":\"legacy.example\"");
    assert_has(&j, "\"ja3\":\"c6dbf3152a545382a95425e390e2d2e8\"");
    assert_has(&j, "\"end\":\"alert\"");
    assert_has(&j, "\"alert\":70");
    json_free(&j);
}

static void test_handshake_tls1_3_variants(void **state)
{
    (void)state;
    struct json j;
    format_one("pcaps/curl_tls1_3.pcap", 0, &j);
    assert_has(&j, "\"destination\":{\"ip\":\"127.0.0.1\",\"port\":8443}");
    assert_has(&j, "\"version_protocol\":\"tls\",\"version\":\"1.3\",\"cipher\":"
                   "\"TLS_AES_256_GCM_SHA384\"");
    assert_has(&j, "\"supported_versions\":[\"1.3\",\"1.2\",\"1.1\",\"1.0\"]");
    assert_has(&j, "\"supported_ciphers\":[\"TLS_AES_256_GCM_SHA384\","
                   "\"TLS_CHACHA20_POLY1305_SHA256\",\"TLS_AES_128_GCM_SHA256\",");
    assert_has(&j, "\"ja3\":\"0149f47eabf9a20d0893e2a44e5a6323\"");
    assert_has(&j, "\"ja4\":\"t13d3112h2_e8f1e7e78f70_b26ce05bbdd6\"");
    assert_has(&j, "\"ja3s\":\"15af977ce25de452b96affa2addb1036\"");
    assert_lacks(&j, "\"next_protocol\""); /* the server chose none */
    json_free(&j);

    format_one("pcaps/tls1_3_hrr.pcap", 0, &j);
    assert_has(&j, "\"hello_retry_request\":true");
    assert_has(&j, "\"server_name\":\"hrr.example\"");
    json_free(&j);

    format_one("pcaps/ipv6_tls1_2.pcap", 0, &j);
    assert_has(&j, "\"source\":{\"ip\":\"::1\",\"port\":60806}");
    assert_has(&j, "\"next_protocol\":\"http/1.1\"");
    json_free(&j);

    format_one("pcaps/resumed_tls1_2.pcap", 1, &j);
    assert_has(&j, "\"resumed\":true");
    json_free(&j);
}

/* Fields set by hand on a real handshake: VLAN id as a string, an
 * unassigned cipher as 0xNNNN, and hostile SNI bytes still valid JSON. */
static void test_handshake_edge_fields(void **state)
{
    (void)state;
    struct json j;
    tu_run_capture("pcaps/tls1_2.pcap", 0, &got);
    struct tls_handshake hs = got.hs[0];
    hs.has_vlan = 1;
    hs.vlan = 100;
    hs.sh.cipher = 0xc0ff;
    static const char sni[] = "a\"b\\c\x01\xff\xc3\xa9";
    memcpy(hs.ch.sni, sni, sizeof(sni));
    hs.ch.sni_len = sizeof(sni) - 1;
    json_init(&j);
    handshake_to_json(&hs, &j);
    if (!json_valid(j.p, j.len))
        fail_msg("not valid JSON: %s", j.p);
    assert_has(&j, "\"vlan\":{\"id\":\"100\"}");
    assert_has(&j, "\"cipher\":\"0xC0FF\"");
    assert_has(&j, "\"server_name\":\"a\\\"b\\\\c\\u0001\\u00ff\xc3\xa9\"");
    json_free(&j);
}

static void test_format_timestamp(void **state)
{
    (void)state;
    char ts[40];
    format_timestamp(0, ts, sizeof(ts));
    assert_string_equal(ts, "1970-01-01T00:00:00.000000Z");
    format_timestamp(-1, ts, sizeof(ts));
    assert_string_equal(ts, "1969-12-31T23:59:59.999999Z");
    format_timestamp(1700000000123456, ts, sizeof(ts));
    assert_string_equal(ts, "2023-11-14T22:13:20.123456Z");
    /* The same second again (its date cached), then the next. */
    format_timestamp(1700000000000007, ts, sizeof(ts));
    assert_string_equal(ts, "2023-11-14T22:13:20.000007Z");
    format_timestamp(1700000001999999, ts, sizeof(ts));
    assert_string_equal(ts, "2023-11-14T22:13:21.999999Z");
    /* A buffer too short is cut and terminated, never overrun. */
    char small[12];
    memset(small, 'x', sizeof(small));
    format_timestamp(1700000001999999, small, sizeof(small));
    assert_string_equal(small, "2023-11-14T");
    /* Years outside 0000-9999 clamp to the ends (RFC 3339). */
    format_timestamp(INT64_MAX, ts, sizeof(ts));
    assert_string_equal(ts, "9999-12-31T23:59:59.999999Z");
    format_timestamp(INT64_MIN, ts, sizeof(ts));
    assert_string_equal(ts, "0000-01-01T00:00:00.000000Z");
}

/* The negotiated members are kept per set of values: a second record of the
 * same outcome (a hit) reads as the first did, one that differs only in
 * the chosen ALPN does not reuse it, and an ALPN too long to keep is
 * written all the same. */
static void test_outcome_members_cached_exactly(void **state)
{
    (void)state;
    struct json a, b;
    tu_run_capture("pcaps/tls1_2.pcap", 0, &got);
    assert_true(got.settles > 0);
    struct tls_handshake hs = got.hs[0];
    json_init(&a);
    json_init(&b);
    handshake_to_json(&hs, &a);
    handshake_to_json(&hs, &b);
    assert_string_equal(a.p, b.p);
    assert_has(&b, "\"resumed\":false,\"next_protocol\":\"h2\",\"client\":");

    memcpy(hs.sh.alpn, "h3", 2); /* same length, other bytes */
    json_reset(&b);
    handshake_to_json(&hs, &b);
    assert_has(&b, "\"next_protocol\":\"h3\"");

    static const char long_alpn[] = "a-protocol-name-longer-than-thirty-two-bytes";
    hs.sh.alpn_len = (uint8_t)(sizeof(long_alpn) - 1);
    memcpy(hs.sh.alpn, long_alpn, sizeof(long_alpn) - 1);
    json_reset(&b);
    handshake_to_json(&hs, &b);
    assert_has(
        &b, "\"resumed\":false,\"next_protocol\":\"a-protocol-name-longer-than-thirty-two-bytes\","
            "\"client\":");
    if (!json_valid(b.p, b.len))
        fail_msg("not valid JSON: %s", b.p);
    json_free(&a);
    json_free(&b);
}

/* format_ip writes IPv6 by hand: it must match glibc's inet_ntop on every
 * address, here on each zero/non-zero pattern of the eight groups (with
 * values that exercise leading zeros and the dotted IPv4 tail) and on
 * many random ones. */
static void check_ipv6(const uint8_t a[16])
{
    struct endpoint e = {.family = ADDR_V6};
    memcpy(e.addr, a, 16);
    char mine[64], want[INET6_ADDRSTRLEN];
    format_ip(&e, mine, sizeof(mine));
    assert_non_null(inet_ntop(AF_INET6, a, want, sizeof(want)));
    if (strcmp(mine, want) != 0)
        fail_msg("format_ip wrote %s, inet_ntop %s", mine, want);
}

static void test_format_ipv6_matches_inet_ntop(void **state)
{
    (void)state;
    static const uint16_t values[] = {0x0001, 0x000a, 0x00ff, 0x0abc, 0xffff, 0x1234, 0xa000};
    uint8_t a[16];
    unsigned long checked = 0;
    for (unsigned pattern = 0; pattern < 256; pattern++)
        for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
            for (int i = 0; i < 8; i++) {
                uint16_t w = (pattern >> i) & 1 ? values[(v + (size_t)i) % 7] : 0;
                a[2 * i] = (uint8_t)(w >> 8);
                a[2 * i + 1] = (uint8_t)w;
            }
            check_ipv6(a);
            checked++;
        }
    /* IPv4-mapped and -compatible forms, and their near misses. */
    static const uint8_t tails[][4] = {
        {0, 0, 0, 0}, {0, 0, 0, 1}, {1, 2, 3, 4}, {255, 255, 255, 255}};
    for (size_t t = 0; t < 4; t++)
        for (unsigned w5 = 0; w5 < 3; w5++) {
            memset(a, 0, sizeof(a));
            a[10] = a[11] = w5 == 1 ? 0xff : (uint8_t)(w5 == 2 ? 0x01 : 0);
            memcpy(a + 12, tails[t], 4);
            check_ipv6(a);
            a[0] = 0x20; /* not at the start any more */
            check_ipv6(a);
            checked += 2;
        }
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (int n = 0; n < 200000; n++) {
        for (int i = 0; i < 16; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            a[i] = (uint8_t)x;
        }
        for (int i = 0; i < 8; i++) /* zero groups often, so runs form */
            if ((x >> (8 + i)) & 1)
                a[2 * i] = a[2 * i + 1] = 0;
        check_ipv6(a);
        checked++;
    }
    print_message("format_ip: %lu IPv6 addresses as inet_ntop writes them\n", checked);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checker_itself),
        cmocka_unit_test(test_escape_quote_backslash),
        cmocka_unit_test(test_escape_control_bytes),
        cmocka_unit_test(test_invalid_utf8_as_latin1),
        cmocka_unit_test(test_valid_utf8_kept),
        cmocka_unit_test(test_structure),
        cmocka_unit_test(test_long_string_grows),
        cmocka_unit_test(test_handshake_tls1_2),
        cmocka_unit_test(test_handshake_refused),
        cmocka_unit_test(test_handshake_tls1_3_variants),
        cmocka_unit_test(test_handshake_edge_fields),
        cmocka_unit_test(test_format_timestamp),
        cmocka_unit_test(test_format_ipv6_matches_inet_ntop),
        cmocka_unit_test(test_outcome_members_cached_exactly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
