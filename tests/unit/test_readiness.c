/* test_readiness.c: the readiness report (report/readiness*.c,
 * report/client_labels.c): grouping by the floor, a client as address plus
 * JA4, cipher findings, version parsing, merging logs in any order and
 * split, bad lines, labels, escaping, and the inline path against the log
 * path for real handshakes of pcaps/ (tu_run_capture). */
#define READINESS_INTERNAL
#include "testutil.h"

#include <errno.h>
#include <zlib.h>

#include "report/handshake_log.h"
#include "report/readiness.h"

/* ---- helpers ---------------------------------------------------------------- */

/* One handshake log line. NULL fields are left out, as tlsmon does. */
struct hl {
    const char *ts, *src, *dst;
    int port;
    const char *protocol, *sni, *ja4, *ja3;
    const char *cproto, *cver; /* highest offered */
    const char *nproto, *nver; /* negotiated */
    const char *cipher;        /* negotiated suite */
    const char *offered;       /* JSON array body of supported_ciphers, e.g. "\"TLS_...\"" */
};

static char *hl_line(const struct hl *h)
{
    static char buf[4096];
    char client[1024] = "", tls[1600];
    size_t n = 0;
    if (h->cproto)
        n +=
            (size_t)snprintf(client + n, sizeof(client) - n,
                             "\"version_protocol\":\"%s\",\"version\":\"%s\",", h->cproto, h->cver);
    n += (size_t)snprintf(client + n, sizeof(client) - n, "\"supported_ciphers\":[%s]",
                          h->offered ? h->offered : "\"TLS_AES_128_GCM_SHA256\"");
    if (h->sni)
        n += (size_t)snprintf(client + n, sizeof(client) - n, ",\"server_name\":\"%s\"", h->sni);
    if (h->ja3)
        n += (size_t)snprintf(client + n, sizeof(client) - n, ",\"ja3\":\"%s\"", h->ja3);
    if (h->ja4)
        snprintf(client + n, sizeof(client) - n, ",\"ja4\":\"%s\"", h->ja4);
    n = (size_t)snprintf(tls, sizeof(tls), "\"encapsulation\":\"direct\",");
    if (h->nproto)
        n += (size_t)snprintf(tls + n, sizeof(tls) - n,
                              "\"version_protocol\":\"%s\",\"version\":\"%s\",\"cipher\":\"%s\",",
                              h->nproto, h->nver,
                              h->cipher ? h->cipher : "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    snprintf(tls + n, sizeof(tls) - n, "\"established\":%s,\"client\":{%s}",
             h->nproto ? "true" : "false", client);
    snprintf(
        buf, sizeof(buf),
        "{\"@timestamp\":\"%s\",\"event\":{\"dataset\":\"tlsmon.handshake\"},"
        "\"source\":{\"ip\":\"%s\",\"port\":40000},\"destination\":{\"ip\":\"%s\",\"port\":%d},"
        "\"network\":{\"transport\":\"tcp\",\"protocol\":\"%s\"},\"tls\":{%s}}",
        h->ts ? h->ts : "2026-01-01T10:00:00.000000Z", h->src, h->dst ? h->dst : "10.0.0.1",
        h->port ? h->port : 443, h->protocol ? h->protocol : "https", tls);
    return buf;
}

static void add(struct readiness *r, const struct hl *h)
{
    const char *line = hl_line(h);
    assert_int_equal(readiness_add_json_line(r, line, strlen(line)), 0);
}

static struct readiness *new_report(const char *floor)
{
    char err[256];
    struct readiness *r = readiness_new(floor, err, sizeof(err));
    assert_non_null(r);
    return r;
}

/* The report in a format, as a malloc'd string. */
static char *render(const struct readiness *r, enum readiness_format f)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    assert_int_equal(readiness_write(r, f, out, 0), 0);
    assert_int_equal(fclose(out), 0);
    return buf;
}

/* The group column of the CSV client row of (service SNI, client ip, ja4). */
static const char *group_of(const char *csv, const char *sni, const char *ip, const char *ja4)
{
    static char group[32];
    char tail[512];
    snprintf(tail, sizeof(tail), ",%s,%s,%s,", sni, ip, ja4);
    for (const char *line = csv, *eol; line && *line; line = eol ? eol + 1 : NULL) {
        eol = strchr(line, '\n');
        const char *hit = strstr(line, tail);
        if (strncmp(line, "client,", 7) != 0 || !hit || (eol && hit > eol))
            continue;
        const char *g = strchr(line + 7, ',') + 1; /* after the floor */
        size_t n = (size_t)(strchr(g, ',') - g);
        snprintf(group, sizeof(group), "%.*s", (int)n, g);
        return group;
    }
    return "(absent)";
}

static size_t count_prefix(const char *text, const char *prefix)
{
    size_t n = 0, k = strlen(prefix);
    for (const char *line = text; line && *line;) {
        if (strncmp(line, prefix, k) == 0)
            n++;
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return n;
}

/* ---- versions and floors ------------------------------------------------------ */

static void test_version_parsing(void **state)
{
    (void)state;
    assert_int_equal(rd_version_parse("tls", "1.0"), RDV_TLS10);
    assert_int_equal(rd_version_parse("ssl", "3.0"), RDV_SSL30);
    assert_int_equal(rd_version_parse("dtls", "1.2"), RDV_DTLS12);
    assert_int_equal(rd_version_parse("tls", "1.4"), RDV_NONE);
    assert_int_equal(rd_version_parse("TLS", "1.2"), RDV_NONE); /* the log is lowercase */
    assert_int_equal(rd_version_parse(NULL, "1.2"), RDV_NONE);
    /* ssl 3.0 < tls 1.0 < 1.1 < 1.2 < 1.3; dtls 1.0 ~ tls 1.1, 1.2 ~ 1.2, 1.3 ~ 1.3 */
    assert_true(rd_version_rank(RDV_SSL30) < rd_version_rank(RDV_TLS10));
    assert_true(rd_version_rank(RDV_TLS10) < rd_version_rank(RDV_TLS11));
    assert_int_equal(rd_version_rank(RDV_DTLS10), rd_version_rank(RDV_TLS11));
    assert_int_equal(rd_version_rank(RDV_DTLS12), rd_version_rank(RDV_TLS12));
    assert_int_equal(rd_version_rank(RDV_DTLS13), rd_version_rank(RDV_TLS13));
    assert_int_equal(rd_version_rank(RDV_NONE), 0);
    assert_string_equal(rd_version_name(RDV_TLS10), "tls 1.0");
    assert_string_equal(rd_version_name(RDV_DTLS12), "dtls 1.2");
    assert_null(rd_version_name(RDV_NONE));
}

static void test_floor_parsing(void **state)
{
    (void)state;
    const char *good[] = {"1.0", "1.1", "1.2", "1.3", "tls1.2", "TLS 1.3", "TLSv1.1", "tls-1.2"};
    for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
        char err[256] = "";
        struct readiness *r = readiness_new(good[i], err, sizeof(err));
        assert_non_null(r);
        readiness_free(r);
    }
    const char *bad[] = {"1.4", "1", "", "ssl3.0", "tls1.2x", "2.0"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        char err[256] = "";
        assert_null(readiness_new(bad[i], err, sizeof(err)));
        assert_non_null(strstr(err, "--floor"));
    }
    struct readiness *r = new_report(NULL); /* default 1.2 */
    char *json = render(r, READINESS_JSON);
    assert_non_null(strstr(json, "\"floor\":\"1.2\""));
    free(json);
    readiness_free(r);
}

/* ---- groups ------------------------------------------------------------------------ */

/* One client per service (the SNI names the case). */
static const struct hl cases[] = {
    {.src = "10.1.0.1", .sni = "a-refused", .ja4 = "JA4A", .cproto = "tls", .cver = "1.0"},
    {.src = "10.1.0.2",
     .sni = "b-tls11",
     .ja4 = "JA4B",
     .cproto = "tls",
     .cver = "1.1",
     .nproto = "tls",
     .nver = "1.1"},
    {.src = "10.1.0.3",
     .sni = "c-low",
     .ja4 = "JA4C",
     .cproto = "tls",
     .cver = "1.3",
     .nproto = "tls",
     .nver = "1.0"},
    {.src = "10.1.0.4",
     .sni = "d-tls12",
     .ja4 = "JA4D",
     .cproto = "tls",
     .cver = "1.2",
     .nproto = "tls",
     .nver = "1.2"},
    {.src = "10.1.0.5", .sni = "e-no-sh", .ja4 = "JA4E", .cproto = "tls", .cver = "1.3"},
    {.src = "10.1.0.6", .sni = "f-no-ch", .nproto = "tls", .nver = "1.0"},
    {.src = "10.1.0.7",
     .sni = "g-dtls10",
     .ja4 = "JA4G",
     .cproto = "dtls",
     .cver = "1.0",
     .nproto = "dtls",
     .nver = "1.0"},
    {.src = "10.1.0.8",
     .sni = "h-13-got-12",
     .ja4 = "JA4H",
     .cproto = "tls",
     .cver = "1.3",
     .nproto = "tls",
     .nver = "1.2"},
    {.src = "10.1.0.9",
     .sni = "i-tls13",
     .ja4 = "JA4I",
     .cproto = "tls",
     .cver = "1.3",
     .nproto = "tls",
     .nver = "1.3"},
    {.src = "10.1.0.10",
     .sni = "j-ssl3",
     .ja4 = "JA4J",
     .cproto = "ssl",
     .cver = "3.0",
     .nproto = "ssl",
     .nver = "3.0"},
};

static void check_groups(const char *floor, const char *const want[])
{
    struct readiness *r = new_report(floor);
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
        add(r, &cases[i]);
    char *csv = render(r, READINESS_CSV);
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        const char *got =
            group_of(csv, cases[i].sni, cases[i].src, cases[i].ja4 ? cases[i].ja4 : "");
        if (strcmp(got, want[i]) != 0)
            fail_msg("floor %s, case %s: group %s, want %s", floor, cases[i].sni, got, want[i]);
    }
    free(csv);
    readiness_free(r);
}

static void test_groups_floor_1_2(void **state)
{
    (void)state;
    static const char *const want[] = {
        "would-break",     /* offers 1.0, refused */
        "would-break",     /* offers 1.1, got 1.1 */
        "negotiating-low", /* offers 1.3, the server chose 1.0 */
        "fine",            /* 1.2 */
        "fine",            /* offers 1.3, no ServerHello */
        "would-break",     /* no ClientHello, negotiated 1.0: its offer is at least that only */
        "would-break",     /* dtls 1.0 is TLS 1.1-based */
        "fine",            /* offers 1.3, got 1.2 */
        "fine",            /* 1.3 */
        "would-break",     /* ssl 3.0 */
    };
    check_groups("1.2", want);
}

static void test_groups_floor_1_3(void **state)
{
    (void)state;
    static const char *const want[] = {
        "would-break", "would-break", "negotiating-low", "would-break", "fine",
        "would-break", "would-break", "negotiating-low", "fine",        "would-break",
    };
    check_groups("1.3", want);
}

static void test_groups_floor_1_0(void **state)
{
    (void)state;
    static const char *const want[] = {
        "fine", "fine", "fine", "fine", "fine", "fine", "fine", "fine", "fine", "would-break",
    };
    check_groups("1.0", want);
}

/* ---- a client is an address with its JA4 ----------------------------------------- */

static void test_client_is_address_and_ja4(void **state)
{
    (void)state;
    struct readiness *r = new_report("1.2");
    /* One machine: Outlook-like modern client and an old scanner service. */
    struct hl modern = {.src = "192.0.2.7",
                        .sni = "mail.example",
                        .port = 993,
                        .protocol = "imap",
                        .ja4 = "t13d_MODERN",
                        .ja3 = "bbbb",
                        .cproto = "tls",
                        .cver = "1.3",
                        .nproto = "tls",
                        .nver = "1.3"};
    struct hl old = modern;
    old.ja4 = "t10d_OLD";
    old.cver = "1.0";
    old.nver = "1.0";
    modern.ts = "2026-01-02T10:00:00.000000Z";
    add(r, &modern);
    modern.ts = "2026-01-01T09:00:00.000000Z"; /* earlier, seen later */
    modern.ja3 = "aaaa";                       /* the smallest JA3 is kept */
    add(r, &modern);
    modern.ts = "2026-01-03T11:00:00.500000Z";
    add(r, &modern);
    add(r, &old);
    char *csv = render(r, READINESS_CSV);
    assert_int_equal(count_prefix(csv, "client,"), 2);
    assert_string_equal(group_of(csv, "mail.example", "192.0.2.7", "t13d_MODERN"), "fine");
    assert_string_equal(group_of(csv, "mail.example", "192.0.2.7", "t10d_OLD"), "would-break");
    assert_non_null(strstr(csv, ",t13d_MODERN,aaaa,,3,2026-01-01T09:00:00.000000Z,"
                                "2026-01-03T11:00:00.500000Z,tls 1.3,tls 1.3,"));
    free(csv);
    /* The same JA4 from another address is another client; to another
     * SNI it is another service. */
    modern.src = "192.0.2.8";
    add(r, &modern);
    modern.sni = "other.example";
    add(r, &modern);
    csv = render(r, READINESS_CSV);
    assert_int_equal(count_prefix(csv, "client,"), 4);
    free(csv);
    readiness_free(r);
}

/* ---- cipher findings ------------------------------------------------------------ */

#define F(x) (1u << RDF_##x)

static void test_classify_suites(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        unsigned want;
    } t[] = {
        {"TLS_RSA_WITH_AES_128_CBC_SHA", F(NO_FS) | F(CBC_SHA1) | F(NOT_RECOMMENDED)},
        {"TLS_RSA_WITH_AES_128_GCM_SHA256", F(NO_FS) | F(NOT_RECOMMENDED)},
        {"TLS_ECDHE_RSA_WITH_RC4_128_SHA", F(RC4) | F(NOT_RECOMMENDED)},
        {"TLS_RSA_WITH_3DES_EDE_CBC_SHA", F(NO_FS) | F(DES) | F(CBC_SHA1) | F(NOT_RECOMMENDED)},
        {"TLS_RSA_WITH_DES_CBC_SHA", F(NO_FS) | F(DES) | F(CBC_SHA1) | F(NOT_RECOMMENDED)},
        {"TLS_RSA_WITH_NULL_SHA256", F(NO_FS) | F(NULL) | F(NOT_RECOMMENDED)},
        {"TLS_NULL_WITH_NULL_NULL", F(NULL) | F(NOT_RECOMMENDED)},
        {"TLS_RSA_EXPORT_WITH_RC4_40_MD5", F(NO_FS) | F(RC4) | F(EXPORT) | F(NOT_RECOMMENDED)},
        {"TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA",
         F(DES) | F(EXPORT) | F(CBC_SHA1) | F(NOT_RECOMMENDED)},
        {"TLS_DH_anon_WITH_AES_128_CBC_SHA", F(ANON) | F(CBC_SHA1) | F(NOT_RECOMMENDED)},
        {"TLS_ECDH_anon_WITH_NULL_SHA", F(ANON) | F(NULL) | F(NOT_RECOMMENDED)},
        {"TLS_DH_RSA_WITH_AES_128_GCM_SHA256", F(NO_FS) | F(NOT_RECOMMENDED)},
        {"TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA", F(NO_FS) | F(CBC_SHA1) | F(NOT_RECOMMENDED)},
        {"TLS_KRB5_WITH_RC4_128_SHA", F(NO_FS) | F(RC4) | F(NOT_RECOMMENDED)},
        {"TLS_DHE_RSA_WITH_AES_128_CBC_SHA", F(CBC_SHA1) | F(NOT_RECOMMENDED)},
        {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", F(NOT_RECOMMENDED)},
        {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0},
        {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", 0},
        {"TLS_AES_128_GCM_SHA256", 0},
        {"TLS_AES_256_GCM_SHA384", 0},
        {"TLS_EMPTY_RENEGOTIATION_INFO_SCSV", 0},
        {"TLS_FALLBACK_SCSV", 0},
        {"0xC0FF", 0},
        {"", 0},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(*t); i++) {
        unsigned got = rd_classify_suite(t[i].name);
        if (got != t[i].want)
            fail_msg("%s: findings 0x%x, want 0x%x", t[i].name, got, t[i].want);
    }
    /* PSK without (EC)DHE has no forward secrecy, whatever IANA recommends. */
    assert_true(rd_classify_suite("TLS_PSK_WITH_AES_128_GCM_SHA256") & F(NO_FS));
    assert_false(rd_classify_suite("TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256") & F(NO_FS));
}

static void test_findings_per_service(void **state)
{
    (void)state;
    struct readiness *r = new_report("1.2");
    struct hl a = {.src = "10.2.0.1",
                   .sni = "shop.example",
                   .ja4 = "JA4-A",
                   .cproto = "tls",
                   .cver = "1.2",
                   .nproto = "tls",
                   .nver = "1.2",
                   .cipher = "TLS_RSA_WITH_RC4_128_SHA",
                   .offered = "\"TLS_RSA_WITH_RC4_128_SHA\",\"TLS_RSA_WITH_3DES_EDE_CBC_SHA\""};
    add(r, &a);
    add(r, &a); /* two handshakes negotiating RC4 */
    struct hl b = {.src = "10.2.0.2",
                   .sni = "shop.example",
                   .ja4 = "JA4-B",
                   .cproto = "tls",
                   .cver = "1.3",
                   .nproto = "tls",
                   .nver = "1.3",
                   .cipher = "TLS_AES_128_GCM_SHA256",
                   .offered = "\"TLS_AES_128_GCM_SHA256\",\"TLS_RSA_WITH_AES_128_CBC_SHA\""};
    add(r, &b);
    char *csv = render(r, READINESS_CSV);
    /* record,...,handshakes (negotiated),...,finding,clients_offering,suites */
    assert_non_null(strstr(csv, "cipher_finding,1.2,,10.0.0.1,443,tcp,https,shop.example,,,,,2,,,,,"
                                ",rc4,1,TLS_RSA_WITH_RC4_128_SHA,\n"));
    assert_non_null(strstr(csv, "cipher_finding,1.2,,10.0.0.1,443,tcp,https,shop.example,,,,,2,,,,,"
                                ",no-forward-secrecy,2,TLS_RSA_WITH_RC4_128_SHA,\n"));
    assert_non_null(strstr(csv, "cipher_finding,1.2,,10.0.0.1,443,tcp,https,shop.example,,,,,0,,,,,"
                                ",des-3des,1,,\n"));
    assert_non_null(strstr(csv, "cipher_finding,1.2,,10.0.0.1,443,tcp,https,shop.example,,,,,0,,,,,"
                                ",cbc-sha1,2,,\n"));
    assert_null(strstr(csv, ",null,"));
    char *json = render(r, READINESS_JSON);
    assert_non_null(strstr(json, "{\"finding\":\"rc4\",\"description\":"));
    assert_non_null(strstr(json, "\"clients_offering\":1,\"handshakes_negotiated\":2,"
                                 "\"negotiated_suites\":[\"TLS_RSA_WITH_RC4_128_SHA\"]"));
    free(json);
    free(csv);
    readiness_free(r);
}

/* ---- merge: order and split do not matter ---------------------------------------- */

/* A deterministic spread of handshakes over ~40 days (wide enough for the
 * chart buckets to widen while reading), several services and clients. */
static char **make_lines(size_t n)
{
    char **lines = calloc(n, sizeof(*lines));
    assert_non_null(lines);
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        uint32_t v = x >> 8;
        char ts[40], src[32], sni[32], ja4[32];
        int64_t us = 1767225600LL * 1000000 + (int64_t)(v % 3500000) * 1000000 + (v % 997);
        format_timestamp(us, ts, sizeof(ts));
        snprintf(src, sizeof(src), "10.3.%u.%u", v % 3, (v >> 3) % 7);
        snprintf(sni, sizeof(sni), "svc%u.example", (v >> 6) % 5);
        snprintf(ja4, sizeof(ja4), "t1%ud_JA4_%u", (v >> 9) % 4, (v >> 11) % 2);
        static const char *const ver[] = {"1.0", "1.1", "1.2", "1.3"};
        struct hl h = {.ts = ts,
                       .src = src,
                       .sni = sni,
                       .ja4 = ja4,
                       .ja3 = ja4,
                       .cproto = "tls",
                       .cver = ver[(v >> 9) % 4],
                       .nproto = (v >> 13) % 5 ? "tls" : NULL,
                       .nver = ver[(v >> 15) % 4],
                       .cipher = (v >> 17) % 3 ? NULL : "TLS_RSA_WITH_AES_128_CBC_SHA",
                       .offered = "\"TLS_AES_128_GCM_SHA256\",\"TLS_RSA_WITH_RC4_128_SHA\""};
        lines[i] = strdup(hl_line(&h));
        assert_non_null(lines[i]);
    }
    return lines;
}

static void assert_same_reports(const struct readiness *a, const struct readiness *b)
{
    for (int f = READINESS_TEXT; f <= READINESS_HTML; f++) {
        char *x = render(a, (enum readiness_format)f), *y = render(b, (enum readiness_format)f);
        if (strcmp(x, y) != 0)
            fail_msg("format %d differs", f);
        free(x);
        free(y);
    }
}

static void test_merge_any_order(void **state)
{
    (void)state;
    enum { N = 3000 };
    char **lines = make_lines(N);
    struct readiness *whole = new_report("1.2"), *halves = new_report("1.2"),
                     *reversed = new_report("1.2");
    for (size_t i = 0; i < N; i++)
        assert_int_equal(readiness_add_json_line(whole, lines[i], strlen(lines[i])), 0);
    /* two sensors: odd lines, then even lines */
    for (size_t i = 1; i < N; i += 2)
        assert_int_equal(readiness_add_json_line(halves, lines[i], strlen(lines[i])), 0);
    for (size_t i = 0; i < N; i += 2)
        assert_int_equal(readiness_add_json_line(halves, lines[i], strlen(lines[i])), 0);
    for (size_t i = N; i-- > 0;)
        assert_int_equal(readiness_add_json_line(reversed, lines[i], strlen(lines[i])), 0);
    assert_same_reports(whole, halves);
    assert_same_reports(whole, reversed);
    char *html = render(whole, READINESS_HTML);
    assert_non_null(strstr(html, "<svg class=\"chart\" id=\"chart-all\""));
    free(html);
    for (size_t i = 0; i < N; i++)
        free(lines[i]);
    free(lines);
    readiness_free(whole);
    readiness_free(halves);
    readiness_free(reversed);
}

/* Two files, one gzip-compressed, read as two sensors' logs. */
static void test_merge_files_gzip(void **state)
{
    (void)state;
    enum { N = 400 };
    char **lines = make_lines(N);
    char dir[] = "/tmp/test_readiness.XXXXXX", plain[64], gz[64];
    assert_non_null(mkdtemp(dir));
    snprintf(plain, sizeof(plain), "%s/a.ndjson", dir);
    snprintf(gz, sizeof(gz), "%s/b.ndjson.gz", dir);
    FILE *fp = fopen(plain, "w");
    gzFile gzf = gzopen(gz, "wb");
    assert_non_null(fp);
    assert_non_null(gzf);
    struct readiness *whole = new_report("1.3"), *merged = new_report("1.3");
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(readiness_add_json_line(whole, lines[i], strlen(lines[i])), 0);
        if (i < N / 2)
            fprintf(fp, "%s\n", lines[i]);
        else
            gzprintf(gzf, "%s\n", lines[i]);
    }
    fclose(fp);
    gzclose(gzf);
    char err[512];
    assert_int_equal(readiness_read_file(merged, gz, err, sizeof(err)), 0);
    assert_int_equal(readiness_read_file(merged, plain, err, sizeof(err)), 0);
    assert_same_reports(whole, merged);
    struct readiness_stats st;
    readiness_get_stats(merged, &st);
    assert_int_equal(st.lines, N);
    assert_int_equal(st.handshakes, N);
    /* A cut gzip file is an error naming the file, after what it held. */
    char cut[64];
    snprintf(cut, sizeof(cut), "%s/cut.gz", dir);
    FILE *in = fopen(gz, "rb"), *out = fopen(cut, "wb");
    char buf[600];
    size_t got = fread(buf, 1, sizeof(buf), in);
    fwrite(buf, 1, got, out);
    fclose(in);
    fclose(out);
    assert_int_equal(readiness_read_file(merged, cut, err, sizeof(err)), -1);
    assert_non_null(strstr(err, cut));
    unlink(plain);
    unlink(gz);
    unlink(cut);
    rmdir(dir);
    for (size_t i = 0; i < N; i++)
        free(lines[i]);
    free(lines);
    readiness_free(whole);
    readiness_free(merged);
}

/* ---- bad lines, ignored lines, pseudo-TLS ------------------------------------------- */

static void test_bad_lines_counted(void **state)
{
    (void)state;
    struct readiness *r = new_report("1.2");
    static const char *const bad[] = {
        "not json",
        "[1,2,3]",
        "{\"@timestamp\":\"2026-01-01T00:00:00Z\"}", /* no dataset */
        "{\"@timestamp\":\"2026-01-01T00:00:00Z\",\"event\":{\"dataset\":\"tlsmon.handshake\"},"
        "\"destination\":{\"ip\":\"10.0.0.1\",\"port\":443}}", /* no source */
        "{\"@timestamp\":\"yesterday\",\"event\":{\"dataset\":\"tlsmon.handshake\"},"
        "\"source\":{\"ip\":\"10.0.0.2\"},\"destination\":{\"ip\":\"10.0.0.1\",\"port\":443}}",
        "{\"@timestamp\":\"2026-01-01T00:00:00Z\",\"event\":{\"dataset\":\"tlsmon.handshake\"},"
        "\"source\":{\"ip\":\"10.0.0.2\"},\"destination\":{\"ip\":\"10.0.0.1\",\"port\":70000}}",
        "{\"a\":1} trailing",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        if (readiness_add_json_line(r, bad[i], strlen(bad[i])) != -1)
            fail_msg("accepted bad line %zu: %s", i, bad[i]);
    static const char *const ignored[] = {
        "{\"@timestamp\":\"2026-01-01T00:00:00.000000Z\",\"event\":{\"dataset\":\"tlsmon."
        "plaintext\"},\"source\":{\"ip\":\"10.0.0.2\",\"port\":1},\"destination\":{\"ip\":\"10.0."
        "0.1\",\"port\":143}}",
        "{\"event\":{\"dataset\":\"tlsmon.stats\"}}",
        "   ",
        "",
    };
    for (size_t i = 0; i < sizeof(ignored) / sizeof(*ignored); i++)
        assert_int_equal(readiness_add_json_line(r, ignored[i], strlen(ignored[i])), 0);
    add(r, &cases[2]);
    struct readiness_stats st;
    readiness_get_stats(r, &st);
    assert_int_equal(st.bad_lines, sizeof(bad) / sizeof(*bad));
    assert_int_equal(st.plaintext, 1);
    assert_int_equal(st.other, 1);
    assert_int_equal(st.handshakes, 1);
    assert_int_equal(st.lines, sizeof(bad) / sizeof(*bad) + 3);
    char *json = render(r, READINESS_JSON);
    assert_non_null(strstr(json, "\"bad_lines\":7"));
    free(json);
    /* A file with bad lines among good ones is read whole. */
    char path[] = "/tmp/test_readiness_bad.XXXXXX", err[256];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *fp = fdopen(fd, "w");
    fprintf(fp, "garbage\n%s\n{\"x\":\n%s", hl_line(&cases[0]), hl_line(&cases[1]));
    fclose(fp);
    struct readiness *f = new_report("1.2");
    assert_int_equal(readiness_read_file(f, path, err, sizeof(err)), 0);
    readiness_get_stats(f, &st);
    assert_int_equal(st.bad_lines, 2);
    assert_int_equal(st.handshakes, 2); /* the last line has no newline: still read */
    uint64_t n, first;
    const char *why;
    rd_file_bad(f, &n, &first, &why);
    assert_int_equal(n, 2);
    assert_int_equal(first, 1);
    unlink(path);
    /* Unreadable inputs: one line naming the file and the cause. */
    assert_int_equal(readiness_read_file(f, "/nonexistent/x.ndjson", err, sizeof(err)), -1);
    assert_string_equal(err, "/nonexistent/x.ndjson: No such file or directory");
    assert_int_equal(readiness_read_file(f, "/tmp", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/tmp: is a directory"));
    readiness_free(f);
    readiness_free(r);
}

static void test_pseudo_tls_apart(void **state)
{
    (void)state;
    struct readiness *r = new_report("1.2");
    const char *line =
        "{\"@timestamp\":\"2026-01-01T00:00:00.000000Z\",\"event\":{\"dataset\":\"tlsmon."
        "handshake\"},\"source\":{\"ip\":\"10.9.0.2\",\"port\":5000},\"destination\":{\"ip\":\"10."
        "9."
        "0.1\",\"port\":443},\"network\":{\"transport\":\"tcp\",\"protocol\":\"turn\"},\"tls\":{"
        "\"encapsulation\":\"pseudo-tls\",\"pseudo\":\"ms-turn\",\"version_protocol\":\"tls\","
        "\"version\":\"1.0\",\"established\":false,\"client\":{\"version_protocol\":\"tls\","
        "\"version\":\"1.0\"}}}";
    assert_int_equal(readiness_add_json_line(r, line, strlen(line)), 0);
    assert_int_equal(readiness_add_json_line(r, line, strlen(line)), 0);
    char *json = render(r, READINESS_JSON);
    assert_non_null(strstr(json, "\"services\":[]"));
    assert_non_null(strstr(json,
                           "\"pseudo_tls\":[{\"server\":{\"ip\":\"10.9.0.1\",\"port\":443},"
                           "\"transport\":\"tcp\",\"protocol\":\"turn\",\"pseudo\":\"ms-turn\","
                           "\"handshakes\":2,\"clients\":1,"));
    assert_non_null(strstr(json, "\"would-break\":0"));
    free(json);
    char *csv = render(r, READINESS_CSV);
    assert_int_equal(count_prefix(csv, "client,"), 0);
    assert_int_equal(count_prefix(csv, "pseudo_tls,"), 1);
    free(csv);
    readiness_free(r);
}

/* ---- labels ------------------------------------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void test_labels(void **state)
{
    (void)state;
    char path[] = "/tmp/test_readiness_labels.XXXXXX", err[256];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_file(path, "# comment\n"
                     "match\tvalue\tlabel\tnote\n"
                     "ja4_prefix\tt13d\tshort prefix\tx\n"
                     "ja4_prefix\tt13d1516h2_8daaf6152771_\tChrome\tx\n"
                     "ja4\tt13d1516h2_8daaf6152771_exact\tChrome exact\tx\n"
                     "ja4\tt13d1516h2_8daaf6152771_exact\tsecond line loses\tx\n"
                     "ja3\tabcdef\tby ja3\n"
                     "\n");
    struct rd_labels *l = rd_labels_load(path, err, sizeof(err));
    assert_non_null(l);
    assert_int_equal(rd_labels_count(l), 4); /* the repeated ja4 counts once */
    assert_string_equal(rd_labels_find(l, "t13d1516h2_8daaf6152771_exact", "abcdef"),
                        "Chrome exact");
    assert_string_equal(rd_labels_find(l, "t13d1516h2_8daaf6152771_other", "abcdef"), "by ja3");
    assert_string_equal(rd_labels_find(l, "t13d1516h2_8daaf6152771_other", NULL), "Chrome");
    assert_string_equal(rd_labels_find(l, "t13d9999", NULL), "short prefix");
    assert_null(rd_labels_find(l, "t12d", "zzz"));
    assert_null(rd_labels_find(l, NULL, NULL));
    rd_labels_free(l);

    /* Through the report. */
    struct readiness *r = new_report("1.2");
    assert_int_equal(readiness_load_labels(r, path, err, sizeof(err)), 0);
    struct hl h = cases[8];
    h.ja4 = "t13d1516h2_8daaf6152771_zz";
    add(r, &h);
    char *csv = render(r, READINESS_CSV);
    assert_non_null(strstr(csv, ",t13d1516h2_8daaf6152771_zz,,Chrome,"));
    free(csv);
    readiness_free(r);

    write_file(path, "ja4\tx\tok\nja5\tx\tbad type\n");
    assert_null(rd_labels_load(path, err, sizeof(err)));
    char want[128];
    snprintf(want, sizeof(want), "%s:2: unknown match type 'ja5'", path);
    assert_non_null(strstr(err, want));
    write_file(path, "ja4\tonly-two-fields\n");
    assert_null(rd_labels_load(path, err, sizeof(err)));
    assert_non_null(strstr(err, ":1: expected match type"));
    unlink(path);
    assert_null(rd_labels_load(path, err, sizeof(err)));

    /* The bundled table loads, and its entries are well formed. */
    char bundled[1024];
    if (tu_find("data/client-fingerprints.tsv", bundled, sizeof(bundled))) {
        l = rd_labels_load(bundled, err, sizeof(err));
        if (!l)
            fail_msg("%s", err);
        assert_true(rd_labels_count(l) > 20);
        assert_string_equal(rd_labels_find(l, "t10d090600_c491f621fb4c_195413a0cc0f", NULL),
                            "OpenSSL 3.0 s_client -tls1 (TLS 1.0 only)");
        rd_labels_free(l);
    }
}

/* ---- strings from the log cannot inject ---------------------------------------------- */

static void test_escaping(void **state)
{
    (void)state;
    struct readiness *r = new_report("1.2");
    struct hl h = cases[0];
    h.sni = "<script>alert(1)</script>\\\"'&\\u001b[31m\\u0000x";
    h.ja4 = "=cmd|' /C calc'!A0";
    add(r, &h);
    h.sni = "<script>alert(1)</script>\\\"'&\\u001b[31m\\u0000y"; /* differs after the NUL */
    add(r, &h);
    char *html = render(r, READINESS_HTML);
    assert_null(strstr(html, "<script"));
    assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;?[31m"));
    assert_null(strchr(html, '\033'));
    free(html);
    char *text = render(r, READINESS_TEXT);
    assert_null(strchr(text, '\033')); /* no colour asked, and none from the log */
    free(text);
    char *csv = render(r, READINESS_CSV);
    assert_non_null(strstr(csv, ",\"'=cmd|' /C calc'!A0\","));
    assert_int_equal(count_prefix(csv, "client,"), 2); /* the NUL did not merge the two */
    free(csv);
    readiness_free(r);
}

/* ---- the inline path gives the report of the log ----------------------------------- */

/* Every handshake of a capture, inline; the capture's log line (from the
 * log writer) through the JSON path; and, where pcaps/expected/ has it, the
 * log tlsmon wrote for the capture, read as a file. */
static void check_inline(const char *capture, const char *expected_log, const char *protocol,
                         const char *want_group)
{
    struct tu_handshakes got;
    tu_run_capture(capture, 0, &got);
    assert_true(got.settles > 0);
    struct readiness *in = new_report("1.2"), *js = new_report("1.2"), *file = new_report("1.2");
    for (int i = 0; i < got.settles; i++) {
        got.hs[i].protocol = protocol; /* the engine's classifier names it */
        assert_int_equal(readiness_add_handshake(in, &got.hs[i]), 0);
        struct json j;
        json_init(&j);
        handshake_to_json(&got.hs[i], &j);
        assert_int_equal(readiness_add_json_line(js, j.p, j.len), 0);
        json_free(&j);
    }
    assert_same_reports(in, js);
    char path[1024], err[512];
    if (expected_log && tu_find(expected_log, path, sizeof(path))) {
        assert_int_equal(readiness_read_file(file, path, err, sizeof(err)), 0);
        assert_same_reports(in, file);
    }
    char *csv = render(in, READINESS_CSV);
    char want[64];
    snprintf(want, sizeof(want), "client,1.2,%s,", want_group);
    if (!strstr(csv, want))
        fail_msg("%s: no %s client in\n%s", capture, want_group, csv);
    free(csv);
    readiness_free(in);
    readiness_free(js);
    readiness_free(file);
}

static void test_inline_equals_log(void **state)
{
    (void)state;
    check_inline("pcaps/tls1_0.pcap", "pcaps/expected/tls1_0.tlsmon.ndjson", "https",
                 "would-break");
    check_inline("pcaps/client_tls1_0_refused.pcap",
                 "pcaps/expected/client_tls1_0_refused.tlsmon.ndjson", "https", "would-break");
    check_inline("pcaps/server_tls1_0_only.pcap", "pcaps/expected/server_tls1_0_only.tlsmon.ndjson",
                 "https", "negotiating-low");
    check_inline("pcaps/tls1_3.pcap", "pcaps/expected/tls1_3.tlsmon.ndjson", "https", "fine");
    check_inline("pcaps/ipv6_tls1_2.pcap", "pcaps/expected/ipv6_tls1_2.tlsmon.ndjson", "https",
                 "fine");
}

/* ---- tlsmon report: arguments and exit status --------------------------------------- */

static int run_main(int argc, const char **argv)
{
    return readiness_main(argc, (char **)argv);
}

static void test_main_exit_status(void **state)
{
    (void)state;
    char log[1024];
    if (!tu_find("pcaps/expected/tls1_0.tlsmon.ndjson", log, sizeof(log)))
        skip();
    const char *ok[] = {"report", "--format", "json", "-o", "/dev/null", log};
    assert_int_equal(run_main(6, ok), 0);
    const char *floor13[] = {"report", "--floor", "1.3", "-o", "/dev/null", log};
    assert_int_equal(run_main(6, floor13), 0);
    const char *badfloor[] = {"report", "--floor", "1.4", log};
    assert_int_equal(run_main(4, badfloor), 2);
    const char *badformat[] = {"report", "--format", "xml", log};
    assert_int_equal(run_main(4, badformat), 2);
    const char *nolog[] = {"report"};
    assert_int_equal(run_main(1, nolog), 2);
    const char *badopt[] = {"report", "--nope", log};
    assert_int_equal(run_main(3, badopt), 2);
    const char *missing[] = {"report", "-o", "/dev/null", log, "/nonexistent.ndjson"};
    assert_int_equal(run_main(5, missing), 1);
    const char *unwritable[] = {"report", "-o", "/nonexistent/dir/report.html", log};
    assert_int_equal(run_main(4, unwritable), 3);
    const char *full[] = {"report", "-o", "/dev/full", log};
    assert_int_equal(run_main(4, full), 3);
    const char *badlabels[] = {"report", "--labels", "/nonexistent.tsv", "-o", "/dev/null", log};
    assert_int_equal(run_main(6, badlabels), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_parsing),
        cmocka_unit_test(test_floor_parsing),
        cmocka_unit_test(test_groups_floor_1_2),
        cmocka_unit_test(test_groups_floor_1_3),
        cmocka_unit_test(test_groups_floor_1_0),
        cmocka_unit_test(test_client_is_address_and_ja4),
        cmocka_unit_test(test_classify_suites),
        cmocka_unit_test(test_findings_per_service),
        cmocka_unit_test(test_merge_any_order),
        cmocka_unit_test(test_merge_files_gzip),
        cmocka_unit_test(test_bad_lines_counted),
        cmocka_unit_test(test_pseudo_tls_apart),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_inline_equals_log),
        cmocka_unit_test(test_main_exit_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
