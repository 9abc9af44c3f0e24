/* handshake_log.c: one JSON object per handshake, in start order. */
#include "handshake_log.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../dissect/fingerprint.h"
#include "../dissect/quic.h"
#include "cipher_names.h"

struct pending {
    char *line; /* the settled line, NULL when not settled or already written */
    size_t len;
    uint8_t settled;
};

struct hslog {
    FILE *f;
    char *path;
    int is_stdout;
    struct pending *q; /* ring of handshakes not yet written, from head_seq */
    size_t q_cap, q_head, q_count;
    uint64_t head_seq;
    size_t pending_bytes;
    struct json j;
    struct hslog_stats st;
    int error; /* errno of the first write error */
};

static char *iobuf_for(FILE *f)
{
    enum { IOBUF = 1 << 20 };
    char *b = malloc(IOBUF);
    if (b)
        setvbuf(f, b, _IOFBF, IOBUF);
    return b;
}

static char *log_iobuf; /* one log is open at a time */

static int open_file(struct hslog *l, char *err, size_t errlen)
{
    if (l->is_stdout) {
        l->f = stdout;
        return 0;
    }
    l->f = fopen(l->path, "a");
    if (!l->f) {
        snprintf(err, errlen, "cannot open log %s: %s", l->path, strerror(errno));
        return -1;
    }
    free(log_iobuf);
    log_iobuf = iobuf_for(l->f);
    return 0;
}

struct hslog *hslog_open(const char *path, char *err, size_t errlen)
{
    struct hslog *l = calloc(1, sizeof(*l));
    if (!l || !(l->path = strdup(path))) {
        free(l);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    l->is_stdout = strcmp(path, "-") == 0;
    l->head_seq = 0; /* set by the first begin */
    json_init(&l->j);
    if (open_file(l, err, errlen) < 0) {
        free(l->path);
        free(l);
        return NULL;
    }
    return l;
}

/* Four address bytes as a.b.c.d and a NUL (glibc's inet_ntop formats IPv4
 * through sprintf: two calls per log line made it the largest single cost
 * of a handshake record). out has room for 16 bytes. */
static void format_dotted_quad(const uint8_t a[4], char *out)
{
    char *p = out;
    for (int i = 0; i < 4; i++) {
        unsigned v = a[i];
        if (v >= 100)
            *p++ = (char)('0' + v / 100);
        if (v >= 10)
            *p++ = (char)('0' + v / 10 % 10);
        *p++ = (char)('0' + v % 10);
        *p++ = i < 3 ? '.' : 0;
    }
}

/* An IPv6 address as glibc's inet_ntop writes it (RFC 5952: lowercase, no
 * leading zeros, the first longest run of two or more zero groups as "::",
 * IPv4-mapped and -compatible addresses with a dotted tail), by hand:
 * inet_ntop formats each group through sprintf, ~2,800 instructions an
 * address. out has room for 46 bytes. test_json.c compares the two. */
static void format_ipv6(const uint8_t a[16], char *out)
{
    static const char hex[] = "0123456789abcdef";
    unsigned w[8];
    for (int i = 0; i < 8; i++)
        w[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
    int best = -1, best_len = 0;
    for (int i = 0; i < 8;) {
        if (w[i]) {
            i++;
            continue;
        }
        int j = i;
        while (j < 8 && !w[j])
            j++;
        if (j - i > best_len) {
            best = i;
            best_len = j - i;
        }
        i = j;
    }
    if (best_len < 2)
        best = -1;
    char *p = out;
    for (int i = 0; i < 8; i++) {
        if (best >= 0 && i >= best && i < best + best_len) {
            if (i == best)
                *p++ = ':';
            continue;
        }
        if (i)
            *p++ = ':';
        if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff))) {
            format_dotted_quad(a + 12, p); /* the IPv4 tail */
            return;
        }
        int started = 0;
        for (int shift = 12; shift >= 0; shift -= 4) {
            unsigned d = (w[i] >> shift) & 15;
            if (d || started || shift == 0) {
                *p++ = hex[d];
                started = 1;
            }
        }
    }
    if (best >= 0 && best + best_len == 8)
        *p++ = ':';
    *p = 0;
}

void format_ip(const struct endpoint *e, char *out, size_t len)
{
    if (e->family != ADDR_V6 && len >= 16) {
        format_dotted_quad(e->addr, out);
        return;
    }
    if (e->family == ADDR_V6 && len >= 46) {
        format_ipv6(e->addr, out);
        return;
    }
    if (!inet_ntop(e->family == ADDR_V6 ? AF_INET6 : AF_INET, e->addr, out, (socklen_t)len))
        snprintf(out, len, "?");
}

void format_timestamp(int64_t ts_us, char *out, size_t len)
{
    /* The date and time to the second change rarely between handshakes:
     * formatted once per second, the microseconds appended by hand. */
    static int64_t cached_sec = INT64_MIN;
    static char cached[64];
    static size_t cached_len;
    int64_t sec64 = ts_us / 1000000;
    long usec = (long)(ts_us % 1000000);
    if (usec < 0) {
        usec += 1000000;
        sec64 -= 1;
    }
    /* RFC 3339 has four-digit years: a bogus capture time outside 0000-9999
     * is clamped to the nearest end, so the line stays valid. */
    if (sec64 > 253402300799LL) {
        sec64 = 253402300799LL;
        usec = 999999;
    } else if (sec64 < -62167219200LL) {
        sec64 = -62167219200LL;
        usec = 0;
    }
    if (sec64 != cached_sec) {
        time_t sec = (time_t)sec64;
        struct tm tm;
        gmtime_r(&sec, &tm);
        snprintf(cached, sizeof(cached), "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        cached_sec = sec64;
        cached_len = strlen(cached);
    }
    char frac[9] = ".000000Z";
    for (int i = 6; i >= 1; i--, usec /= 10)
        frac[i] = (char)('0' + usec % 10);
    if (len < cached_len + sizeof(frac)) {
        snprintf(out, len, "%s%s", cached, frac);
        return;
    }
    memcpy(out, cached, cached_len); /* snprintf("%s%s") cost more than the rest */
    memcpy(out + cached_len, frac, sizeof(frac));
}

const char *cipher_display_name(uint16_t v, char buf[8])
{
    const struct cipher_name *c = cipher_lookup(v);
    if (c)
        return c->name;
    snprintf(buf, 8, "0x%04X", v);
    return buf;
}

/* {"ip":"...","port":N} composed whole and appended once: two of these
 * per record cost more through the member-by-member writers than the
 * rest of the record's head. */
static void endpoint_json(struct json *j, const char *key, const struct endpoint *e)
{
    char buf[96];
    static const char ip_key[] = "{\"ip\":\"", port_key[] = "\",\"port\":";
    size_t n = sizeof(ip_key) - 1;
    memcpy(buf, ip_key, n);
    format_ip(e, buf + n, 64);
    n += strlen(buf + n);
    memcpy(buf + n, port_key, sizeof(port_key) - 1);
    n += sizeof(port_key) - 1;
    n += json_format_uint(buf + n, e->port);
    buf[n++] = '}';
    json_put_key(j, key);
    json_raw(j, buf, n);
}

static void network_json(struct json *j, uint8_t transport, const char *protocol,
                         const char *application, int has_vlan, uint16_t vlan)
{
    json_open_object(j, "network");
    json_string_trusted(j, "transport", transport == TRANSPORT_UDP ? "udp" : "tcp");
    json_string(j, "protocol", protocol ? protocol : "unknown");
    if (application)
        json_string(j, "application", application);
    if (has_vlan) {
        char id[8];
        snprintf(id, sizeof(id), "%u", vlan);
        json_open_object(j, "vlan");
        json_string_trusted(j, "id", id);
        json_close_object(j);
    }
    json_close_object(j);
}

static void version_json(struct json *j, uint16_t v)
{
    const char *proto = tls_version_protocol(v), *num = tls_version_number(v);
    if (proto && num) {
        json_string_trusted(j, "version_protocol", proto);
        json_string_trusted(j, "version", num);
    }
}

/* Does the client offer a version outside the named table (drafts, vendor
 * values)? Then its ranking is not certain. */
static int offers_unnamed(const struct tls_client_hello *ch)
{
    for (unsigned i = 0; i < ch->n_versions; i++)
        if (!tls_is_grease(ch->versions[i]) && !tls_version_protocol(ch->versions[i]))
            return 1;
    return 0;
}

static int cmp_rank_desc(const void *a, const void *b)
{
    int ra = tls_version_rank(*(const uint16_t *)a), rb = tls_version_rank(*(const uint16_t *)b);
    return rb - ra;
}

static void client_versions_json(struct json *j, const struct tls_client_hello *ch)
{
    uint16_t best = tls_client_max_version(ch);
    if (!ch->has_supported_versions || ch->n_versions == 0) {
        version_json(j, best);
        if (tls_version_number(best)) {
            json_open_array(j, "supported_versions");
            json_string_trusted(j, NULL, tls_version_number(best));
            json_close_array(j);
        }
        return;
    }
    int unnamed = offers_unnamed(ch);
    /* With unnamed versions offered, only TLS 1.3 is surely the highest. */
    if (!unnamed || tls_version_rank(best) == 6)
        version_json(j, best);
    if (unnamed)
        return;
    uint16_t v[TLS_MAX_VERSIONS];
    unsigned n = 0;
    for (unsigned i = 0; i < ch->n_versions; i++)
        if (!tls_is_grease(ch->versions[i]))
            v[n++] = ch->versions[i];
    qsort(v, n, sizeof(*v), cmp_rank_desc);
    json_open_array(j, "supported_versions");
    for (unsigned i = 0; i < n; i++)
        if (i == 0 || v[i] != v[i - 1])
            json_string_trusted(j, NULL, tls_version_number(v[i]));
    json_close_array(j);
}

static void render_supported_ciphers(struct json *j, const struct tls_client_hello *ch)
{
    char buf[8];
    json_open_array(j, NULL);
    for (unsigned i = 0; i < ch->n_ciphers; i++)
        if (!tls_is_grease(ch->ciphers[i]))
            json_string_trusted(j, NULL, cipher_display_name(ch->ciphers[i], buf));
    json_close_array(j);
}

/* The client object's members before server_name (versions, the named
 * cipher list) and after it (ALPN, JA3, JA4). */
static void client_head_json(struct json *j, const struct tls_client_hello *ch)
{
    client_versions_json(j, ch);
    json_put_key(j, "supported_ciphers");
    j->need_comma[j->depth] = 0; /* the array is the key's value */
    render_supported_ciphers(j, ch);
    j->need_comma[j->depth] = 1;
}

static void client_tail_json(struct json *j, const struct tls_client_hello *ch,
                             enum ja4_transport t, uint64_t key)
{
    if (ch->has_alpn) {
        struct span a = span_make(ch->alpn, ch->alpn_len), name;
        json_open_array(j, "alpn");
        while (span_vec8(&a, &name))
            json_string_n(j, NULL, (const char *)name.p, name.n);
        json_close_array(j);
    }
    char ja3[JA3_HEX_LEN + 1], ja4[JA4_MAX_LEN + 1];
    int has_ja3, has_ja4;
    fingerprint_client(ch, t, key, ja3, &has_ja3, ja4, &has_ja4);
    if (has_ja3)
        json_string_trusted(j, "ja3", ja3);
    if (has_ja4)
        json_string_trusted(j, "ja4", ja4);
}

/* Everything in the client object but server_name depends on the hello's
 * fingerprint key alone (fingerprint_hello_key: GREASE values, which the
 * log leaves out, do not count), and a network's clients are a few stacks:
 * the two parts are rendered once per key and kept. Naming ~30 suites and
 * the versions was most of a record's cost. Direct-mapped, at most
 * CLIENT_JSON_BYTES kept in all (hostile hellos each unlike the last only
 * cost their rendering). */
#define CLIENT_JSON_SETS 512 /* of two entries, the most recently used first */
#define CLIENT_JSON_BYTES (2u << 20)
struct client_json_entry {
    uint64_t key; /* 0: empty */
    char *text;   /* head then tail */
    size_t head_len, tail_len;
};
static struct client_json_entry client_json_cache[CLIENT_JSON_SETS][2];
static size_t client_json_bytes;

/* Render one part as it reads inside the client object: after the opening
 * brace (head) or after other members (tail: starts with its comma). key
 * is fingerprint_hello_key(ch, t). */
static void render_part(struct json *r, const struct tls_client_hello *ch, enum ja4_transport t,
                        uint64_t key, int tail)
{
    json_init(r);
    r->depth = 1;
    r->need_comma[1] = (uint8_t)tail;
    if (tail)
        client_tail_json(r, ch, t, key);
    else
        client_head_json(r, ch);
}

void handshake_log_cache_free(void)
{
    for (size_t i = 0; i < CLIENT_JSON_SETS; i++)
        for (int w = 0; w < 2; w++) {
            free(client_json_cache[i][w].text);
            memset(&client_json_cache[i][w], 0, sizeof(client_json_cache[i][w]));
        }
    client_json_bytes = 0;
}

/* The entry of key k, moved to the front of its set; NULL when absent. */
static struct client_json_entry *client_json_find(uint64_t k)
{
    struct client_json_entry *set = client_json_cache[k % CLIENT_JSON_SETS];
    if (set[0].key == k)
        return &set[0];
    if (set[1].key != k)
        return NULL;
    struct client_json_entry t = set[0];
    set[0] = set[1];
    set[1] = t;
    return &set[0];
}

/* Keep text (n bytes, head_len of them the head) for key k in front of its
 * set, dropping the set's least recently used entry; 0 (text not taken)
 * past the byte bound. */
static int client_json_keep(uint64_t k, char *text, size_t head_len, size_t n)
{
    struct client_json_entry *set = client_json_cache[k % CLIENT_JSON_SETS];
    size_t kept = client_json_bytes - (set[1].text ? set[1].head_len + set[1].tail_len : 0);
    if (kept + n > CLIENT_JSON_BYTES)
        return 0;
    free(set[1].text);
    set[1] = set[0];
    set[0] = (struct client_json_entry){k, text, head_len, n - head_len};
    client_json_bytes = kept + n;
    return 1;
}

static void client_json(struct json *j, const struct tls_handshake *hs)
{
    const struct tls_client_hello *ch = &hs->ch;
    enum ja4_transport t = hs->encapsulation == ENCAP_QUIC ? JA4_QUIC
                           : ch->dtls                      ? JA4_DTLS
                                                           : JA4_TCP;
    uint64_t k = fingerprint_hello_key(ch, t);
    const struct client_json_entry *e = client_json_find(k);
    struct json head, tail;
    const char *head_text, *tail_text;
    size_t head_len, tail_len;
    int rendered = e == NULL;
    if (rendered) {
        render_part(&head, ch, t, k, 0);
        render_part(&tail, ch, t, k, 1);
        head_text = head.p;
        head_len = head.len;
        tail_text = tail.p;
        tail_len = tail.len;
        size_t n = head.len + tail.len;
        char *text = NULL;
        if (!head.failed && !tail.failed && (text = malloc(n ? n : 1)) != NULL) {
            if (head.len) /* a part with nothing in it has no buffer */
                memcpy(text, head.p, head.len);
            if (tail.len)
                memcpy(text + head.len, tail.p, tail.len);
            if (!client_json_keep(k, text, head.len, n))
                free(text);
        }
    } else {
        head_text = e->text;
        head_len = e->head_len;
        tail_text = e->text + e->head_len;
        tail_len = e->tail_len;
    }
    if (rendered && (head.failed || tail.failed))
        j->failed = 1; /* out of memory: the line is dropped, as any other */
    json_open_object(j, "client");
    json_raw(j, head_text, head_len);
    j->need_comma[j->depth] = 1; /* supported_ciphers is always there */
    if (ch->has_sni)
        json_string_n(j, "server_name", ch->sni, ch->sni_len);
    json_raw(j, tail_text, tail_len);
    json_close_object(j);
    if (rendered) {
        json_free(&head);
        json_free(&tail);
    }
}

/* What every record starts with: time, dataset, the two sides, network.
 * The object is left open for the record's own fields. */
static void record_head_json(struct json *j, int64_t ts_us, const char *dataset,
                             const struct endpoint *client, const struct endpoint *server,
                             uint8_t transport, const char *protocol, const char *application,
                             int has_vlan, uint16_t vlan)
{
    char ts[40];
    format_timestamp(ts_us, ts, sizeof(ts));
    json_open_object(j, NULL);
    json_string_trusted(j, "@timestamp", ts);
    json_open_object(j, "event");
    json_string_trusted(j, "dataset", dataset);
    json_close_object(j);
    endpoint_json(j, "source", client);
    endpoint_json(j, "destination", server);
    network_json(j, transport, protocol, application, has_vlan, vlan);
}

/* The members from the negotiated version to next_protocol depend on a few
 * values alone, which a network repeats: rendered once per set of them and
 * kept (exact: the whole key is compared), ~1,000 instructions a record
 * otherwise. Sets of two, most recently used first. */
struct outcome_key {
    uint16_t version, cipher;
    uint8_t has_sh, established, resumed, alpn_len;
    uint8_t no_cipher; /* SSL 2.0: its cipher kinds have no TLS number */
    char alpn[32];     /* longer ALPN values are rendered, not kept */
};
#define OUTCOME_SETS 256
#define OUTCOME_TEXT 224
struct outcome_entry {
    struct outcome_key k;
    uint8_t used, len;
    char text[OUTCOME_TEXT];
};
static struct outcome_entry outcome_cache[OUTCOME_SETS][2];

/* The members themselves; alpn is the chosen protocol (alpn_len 0: none). */
static void outcome_render(struct json *j, const struct outcome_key *k, const char *alpn,
                           size_t alpn_len)
{
    char buf[8];
    if (k->has_sh) {
        version_json(j, k->version);
        if (!k->no_cipher)
            json_string_trusted(j, "cipher", cipher_display_name(k->cipher, buf));
    }
    json_bool(j, "established", k->established);
    if (k->has_sh)
        json_bool(j, "resumed", k->resumed);
    if (alpn_len)
        json_string_n(j, "next_protocol", alpn, alpn_len);
}

static void outcome_json(struct json *j, const struct tls_handshake *hs)
{
    struct outcome_key k;
    memset(&k, 0, sizeof(k)); /* compared whole */
    k.has_sh = hs->has_sh != 0;
    k.established = hs->established != 0;
    size_t alpn_len = 0;
    if (k.has_sh) {
        k.version = tls_server_version(&hs->sh);
        k.cipher = hs->sh.cipher;
        k.no_cipher = hs->sh.sslv2_format;
        k.resumed = (uint8_t)handshake_resumed(hs);
        alpn_len = hs->sh.alpn_len;
    }
    if (alpn_len > sizeof(k.alpn)) { /* too long to keep */
        outcome_render(j, &k, hs->sh.alpn, alpn_len);
        return;
    }
    k.alpn_len = (uint8_t)alpn_len;
    memcpy(k.alpn, hs->sh.alpn, alpn_len);
    uint32_t h = 2166136261u; /* FNV-1a over the key */
    const uint8_t *kb = (const uint8_t *)&k;
    for (size_t i = 0; i < offsetof(struct outcome_key, alpn) + k.alpn_len; i++)
        h = (h ^ kb[i]) * 16777619u;
    struct outcome_entry *set = outcome_cache[h % OUTCOME_SETS];
    for (int w = 0; w < 2; w++) {
        if (set[w].used && memcmp(&set[w].k, &k, sizeof(k)) == 0) {
            if (w) {
                struct outcome_entry t = set[0];
                set[0] = set[1];
                set[1] = t;
            }
            json_raw(j, set[0].text, set[0].len);
            return;
        }
    }
    struct json r; /* rendered as it reads after other members */
    json_init(&r);
    r.depth = 1;
    r.need_comma[1] = 1;
    outcome_render(&r, &k, k.alpn, k.alpn_len);
    if (r.failed) {
        j->failed = 1; /* out of memory: the line is dropped, as any other */
    } else {
        json_raw(j, r.p, r.len);
        if (r.len <= OUTCOME_TEXT) {
            set[1] = set[0];
            set[0].k = k;
            set[0].used = 1;
            set[0].len = (uint8_t)r.len;
            memcpy(set[0].text, r.p, r.len);
        }
    }
    json_free(&r);
}

void handshake_to_json(const struct tls_handshake *hs, struct json *j)
{
    char fp[JA3_HEX_LEN + 1];
    record_head_json(j, hs->ts_us, "tlsmon.handshake", &hs->client, &hs->server, hs->transport,
                     hs->protocol, hs->application, hs->has_vlan, hs->vlan);

    json_open_object(j, "tls");
    json_string_trusted(j, "encapsulation",
                        encapsulation_name((enum encapsulation)hs->encapsulation));
    if (hs->pseudo)
        json_string(j, "pseudo", pseudo_tls_name((enum pseudo_tls)hs->pseudo));
    if (hs->has_turn_peer) {
        json_open_object(j, "turn");
        endpoint_json(j, "peer", &hs->turn_peer);
        json_close_object(j);
    }
    outcome_json(j, hs);
    if (hs->has_ch)
        client_json(j, hs);
    if (hs->encapsulation == ENCAP_QUIC && quic_version_name(hs->quic_version)) {
        json_open_object(j, "quic");
        json_string(j, "version", quic_version_name(hs->quic_version));
        json_close_object(j);
    }
    if (hs->has_sh && fingerprint_server(&hs->sh, fp)) {
        json_open_object(j, "server");
        json_string_trusted(j, "ja3s", fp);
        json_close_object(j);
    }
    json_close_object(j);

    json_open_object(j, "tlsmon");
    json_string_trusted(j, "end", settle_reason_name((enum settle_reason)hs->settle));
    if (hs->saw_hrr)
        json_bool(j, "hello_retry_request", 1);
    if (hs->saw_hvr)
        json_bool(j, "hello_verify_request", 1);
    if (hs->alert_level)
        json_uint(j, "alert", hs->alert_desc);
    if (hs->ch.truncated || hs->ch.names_truncated || hs->sh.truncated)
        json_bool(j, "hello_truncated", 1);
    json_close_object(j);
    json_close_object(j);
}

static void write_line(struct hslog *l, const char *line, size_t len)
{
    if (l->error)
        return;
    if (fwrite(line, 1, len, l->f) != len || fputc('\n', l->f) == EOF) {
        l->error = errno ? errno : EIO;
        l->st.write_errors++;
        return;
    }
    l->st.written++;
}

static struct pending *slot(struct hslog *l, size_t i)
{
    return &l->q[(l->q_head + i) % l->q_cap];
}

static void begin_seq(struct hslog *l, uint64_t seq)
{
    if (l->q_count == 0)
        l->head_seq = seq;
    if (l->q_count == l->q_cap) {
        size_t cap = l->q_cap ? l->q_cap * 2 : 256;
        struct pending *q = calloc(cap, sizeof(*q));
        if (!q)
            return; /* its settle will be written out of order */
        for (size_t i = 0; i < l->q_count; i++)
            q[i] = *slot(l, i);
        free(l->q);
        l->q = q;
        l->q_cap = cap;
        l->q_head = 0;
    }
    struct pending *p = slot(l, l->q_count++);
    p->line = NULL;
    p->len = 0;
    p->settled = 0;
}

void hslog_begin(struct hslog *l, const struct tls_handshake *hs)
{
    begin_seq(l, hs->seq);
}

/* Write settled lines from the head of the order. */
static void drain(struct hslog *l)
{
    while (l->q_count > 0 && slot(l, 0)->settled) {
        struct pending *p = slot(l, 0);
        if (p->line) {
            write_line(l, p->line, p->len);
            l->pending_bytes -= p->len;
            free(p->line);
            p->line = NULL;
        }
        l->q_head = (l->q_head + 1) % l->q_cap;
        l->q_count--;
        l->head_seq++;
    }
}

/* The line in l->j settles record seq: write it, or queue it behind the
 * records that began before it. */
static void settle_seq(struct hslog *l, uint64_t seq)
{
    if (l->j.failed)
        return;
    int in_queue = l->q_count > 0 && seq >= l->head_seq && seq - l->head_seq < l->q_count;
    struct pending *p = in_queue ? slot(l, (size_t)(seq - l->head_seq)) : NULL;
    int at_head = in_queue && seq == l->head_seq;
    if (p && !at_head && l->pending_bytes + l->j.len <= HSLOG_MAX_PENDING_BYTES &&
        (p->line = malloc(l->j.len)) != NULL) {
        memcpy(p->line, l->j.p, l->j.len);
        p->len = l->j.len;
        p->settled = 1;
        l->pending_bytes += p->len;
        return;
    }
    /* At the head, or past the bound: write it now. */
    if (!at_head)
        l->st.out_of_order++;
    write_line(l, l->j.p, l->j.len);
    if (p)
        p->settled = 1;
    drain(l);
}

void hslog_settle(struct hslog *l, const struct tls_handshake *hs)
{
    json_reset(&l->j);
    handshake_to_json(hs, &l->j);
    settle_seq(l, hs->seq);
}

void plaintext_to_json(const struct plaintext_record *pr, struct json *j)
{
    record_head_json(j, pr->ts_us, "tlsmon.plaintext", &pr->client, &pr->server, pr->transport,
                     pr->protocol, pr->application, pr->has_vlan, pr->vlan);
    json_open_object(j, "tlsmon");
    if (pr->starttls_offered)
        json_bool(j, "starttls_offered", pr->starttls_offered == 2);
    if (pr->starttls_refused)
        json_bool(j, "starttls_refused", 1);
    if (pr->starttls_requested)
        json_bool(j, "starttls_requested", 1);
    if (pr->credentials)
        json_string(j, "credentials_in_clear", pr->credentials);
    json_close_object(j);
    json_close_object(j);
}

void hslog_plaintext(struct hslog *l, const struct plaintext_record *pr)
{
    begin_seq(l, pr->seq);
    json_reset(&l->j);
    plaintext_to_json(pr, &l->j);
    settle_seq(l, pr->seq);
}

int hslog_flush(struct hslog *l, char *err, size_t errlen)
{
    if (!l->error && fflush(l->f) != 0)
        l->error = errno ? errno : EIO;
    if (l->error) {
        snprintf(err, errlen, "cannot write log %s: %s", l->is_stdout ? "(stdout)" : l->path,
                 strerror(l->error));
        return -1;
    }
    return 0;
}

int hslog_reopen(struct hslog *l, char *err, size_t errlen)
{
    if (l->is_stdout)
        return 0;
    if (hslog_flush(l, err, errlen) < 0)
        return -1;
    fclose(l->f);
    return open_file(l, err, errlen);
}

int hslog_close(struct hslog *l, char *err, size_t errlen)
{
    handshake_log_cache_free();
    /* Every flow has ended before this, so every slot is settled; a slot
     * that is not (begin without settle) is skipped. */
    while (l->q_count > 0) {
        struct pending *p = slot(l, 0);
        if (p->line) {
            write_line(l, p->line, p->len);
            free(p->line);
        }
        l->q_head = (l->q_head + 1) % l->q_cap;
        l->q_count--;
    }
    int rc = hslog_flush(l, err, errlen);
    if (!l->is_stdout && fclose(l->f) != 0 && rc == 0) {
        snprintf(err, errlen, "cannot write log %s: %s", l->path, strerror(errno));
        rc = -1;
    }
    free(log_iobuf);
    log_iobuf = NULL;
    json_free(&l->j);
    free(l->q);
    free(l->path);
    free(l);
    return rc;
}

void hslog_get_stats(const struct hslog *l, struct hslog_stats *st)
{
    *st = l->st;
}
