/* fingerprint.c: JA3/JA3S (Salesforce) and JA4 (FoxIO) fingerprints.
 *
 * The strings are built in bounded stack buffers from the lists kept in the
 * hello structs; a hello whose lists were cut (`truncated`) gets no
 * fingerprint, since a partial list would give a wrong one. */
#include "fingerprint.h"

#include <openssl/evp.h>
#include <sys/random.h>

#include "../capture/siphash.h"
#include <stdio.h>
#include <string.h>

/* Enough for every list at its bound as 5-digit decimals plus separators. */
#define FP_BUF                                                                                     \
    (8 + 6 * (TLS_MAX_CIPHERS + TLS_MAX_EXTENSIONS + TLS_MAX_GROUPS + TLS_MAX_POINT_FORMATS +      \
              TLS_MAX_SIGALGS))

struct strbuf {
    char *p;
    size_t len, cap;
};

/* Formatting by hand: these strings are built for every handshake, and
 * printf-style formatting was most of their cost. */
static void sb_putc(struct strbuf *b, char c)
{
    if (b->len + 1 < b->cap) {
        b->p[b->len++] = c;
        b->p[b->len] = 0;
    }
}

static void sb_dec(struct strbuf *b, unsigned v)
{
    char t[12];
    int k = 0;
    do {
        t[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (k > 0)
        sb_putc(b, t[--k]);
}

static void sb_hex4(struct strbuf *b, uint16_t v)
{
    static const char hex[] = "0123456789abcdef";
    for (int shift = 12; shift >= 0; shift -= 4)
        sb_putc(b, hex[(v >> shift) & 15]);
}

/* Append a u16 list in decimal, dash-separated, GREASE removed. */
static void sb_dec_list(struct strbuf *b, const uint16_t *v, unsigned n)
{
    int first = 1;
    for (unsigned i = 0; i < n; i++) {
        if (tls_is_grease(v[i]))
            continue;
        if (!first)
            sb_putc(b, '-');
        sb_dec(b, v[i]);
        first = 0;
    }
}

/* The digests, fetched once: OpenSSL 3 looks an algorithm up by name on
 * every digest_md5()/digest_sha256() use, which costs more than the hashing. */
static const EVP_MD *digest_md5(void)
{
    static EVP_MD *md;
    if (!md)
        md = EVP_MD_fetch(NULL, "MD5", NULL);
    return md;
}

static const EVP_MD *digest_sha256(void)
{
    static EVP_MD *md;
    if (!md)
        md = EVP_MD_fetch(NULL, "SHA256", NULL);
    return md;
}

static void digest_hex(const EVP_MD *md, const char *s, size_t len, char *out, size_t hexchars)
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    static const char hex[] = "0123456789abcdef";
    static EVP_MD_CTX *ctx;
    if (!ctx)
        ctx = EVP_MD_CTX_new();
    if (!md || !ctx || !EVP_DigestInit_ex(ctx, md, NULL) || !EVP_DigestUpdate(ctx, s, len) ||
        !EVP_DigestFinal_ex(ctx, d, &dlen))
        dlen = 0;
    for (size_t i = 0; i < hexchars; i++)
        out[i] = i / 2 >= dlen ? '0' : hex[(i % 2) ? (d[i / 2] & 15) : (d[i / 2] >> 4)];
    out[hexchars] = 0;
}

int fingerprint_ja3(const struct tls_client_hello *ch, char out[JA3_HEX_LEN + 1])
{
    char buf[FP_BUF];
    struct strbuf b = {buf, 0, sizeof(buf)};
    if (ch->truncated || ch->sslv2_format)
        return 0;
    buf[0] = 0;
    sb_dec(&b, ch->legacy_version);
    sb_putc(&b, ',');
    sb_dec_list(&b, ch->ciphers, ch->n_ciphers);
    sb_putc(&b, ',');
    sb_dec_list(&b, ch->extensions, ch->n_extensions);
    sb_putc(&b, ',');
    sb_dec_list(&b, ch->groups, ch->n_groups);
    sb_putc(&b, ',');
    for (unsigned i = 0; i < ch->n_point_formats; i++) {
        if (i)
            sb_putc(&b, '-');
        sb_dec(&b, ch->point_formats[i]);
    }
    digest_hex(digest_md5(), buf, b.len, out, JA3_HEX_LEN);
    return 1;
}

int fingerprint_ja3s(const struct tls_server_hello *sh, char out[JA3_HEX_LEN + 1])
{
    char buf[8 + 6 * TLS_MAX_EXTENSIONS + 16];
    struct strbuf b = {buf, 0, sizeof(buf)};
    if (sh->truncated || sh->sslv2_format) /* JA3S is defined on TLS ServerHellos */
        return 0;
    buf[0] = 0;
    sb_dec(&b, sh->legacy_version);
    sb_putc(&b, ',');
    sb_dec(&b, sh->cipher);
    sb_putc(&b, ',');
    sb_dec_list(&b, sh->extensions, sh->n_extensions);
    digest_hex(digest_md5(), buf, b.len, out, JA3_HEX_LEN);
    return 1;
}

static const char *ja4_version(uint16_t v)
{
    switch (v) {
    case 0x0304:
        return "13";
    case 0x0303:
        return "12";
    case 0x0302:
        return "11";
    case 0x0301:
        return "10";
    case 0x0300:
        return "s3";
    case 0x0002:
        return "s2";
    case 0xfeff:
        return "d1";
    case 0xfefd:
        return "d2";
    case 0xfefc:
        return "d3";
    default:
        return "00";
    }
}

static int is_alnum(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* JA4 ALPN part: first and last character of the first ALPN value, or of its
 * hex form when either is not alphanumeric; "00" without ALPN. */
static void ja4_alpn(const struct tls_client_hello *ch, char out[3])
{
    static const char hex[] = "0123456789abcdef";
    out[0] = out[1] = '0';
    out[2] = 0;
    if (ch->alpn_len < 2 || ch->alpn[0] == 0 || ch->alpn[0] + 1 > ch->alpn_len)
        return;
    uint8_t first = ch->alpn[1], last = ch->alpn[ch->alpn[0]];
    if (is_alnum(first) && is_alnum(last)) {
        out[0] = (char)first;
        out[1] = (char)last;
    } else {
        out[0] = hex[first >> 4];
        out[1] = hex[last & 15];
    }
}

/* Sorted copy of the non-GREASE values, minus the ones in skip[]. Lists are
 * short (at most a few hundred): insertion sort, no callbacks. */
static unsigned ja4_sorted(const uint16_t *in, unsigned n, const uint16_t *skip, unsigned nskip,
                           uint16_t *out)
{
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++) {
        int drop = tls_is_grease(in[i]);
        for (unsigned j = 0; j < nskip; j++)
            drop |= in[i] == skip[j];
        if (drop)
            continue;
        unsigned pos = k++;
        while (pos > 0 && out[pos - 1] > in[i]) {
            out[pos] = out[pos - 1];
            pos--;
        }
        out[pos] = in[i];
    }
    return k;
}

static void sb_hex_list(struct strbuf *b, const uint16_t *v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (i)
            sb_putc(b, ',');
        sb_hex4(b, v[i]);
    }
}

static unsigned count_non_grease(const uint16_t *v, unsigned n)
{
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++)
        k += !tls_is_grease(v[i]);
    return k;
}

int fingerprint_ja4(const struct tls_client_hello *ch, enum ja4_transport transport,
                    char out[JA4_MAX_LEN + 1])
{
    uint16_t sorted[TLS_MAX_CIPHERS];
    char buf[FP_BUF], hb[13], hc[13], alpn[3];
    struct strbuf b = {buf, 0, sizeof(buf)};
    static const uint16_t skip_ext[] = {TLS_EXT_SERVER_NAME, TLS_EXT_ALPN};

    if (ch->truncated || ch->sslv2_format)
        return 0;
    unsigned nc = count_non_grease(ch->ciphers, ch->n_ciphers);
    unsigned ne = count_non_grease(ch->extensions, ch->n_extensions);
    ja4_alpn(ch, alpn);

    unsigned k = ja4_sorted(ch->ciphers, ch->n_ciphers, NULL, 0, sorted);
    buf[0] = 0;
    sb_hex_list(&b, sorted, k);
    if (k)
        digest_hex(digest_sha256(), buf, b.len, hb, 12);
    else
        strcpy(hb, "000000000000");

    k = ja4_sorted(ch->extensions, ch->n_extensions, skip_ext, 2, sorted);
    b.len = 0;
    buf[0] = 0;
    sb_hex_list(&b, sorted, k);
    if (ch->n_sigalgs) {
        sb_putc(&b, '_');
        /* GREASE is ignored everywhere in JA4, signature algorithms too. */
        int first = 1;
        for (unsigned i = 0; i < ch->n_sigalgs; i++) {
            if (tls_is_grease(ch->sigalgs[i]))
                continue;
            if (!first)
                sb_putc(&b, ',');
            sb_hex4(&b, ch->sigalgs[i]);
            first = 0;
        }
    }
    if (k)
        digest_hex(digest_sha256(), buf, b.len, hc, 12);
    else
        strcpy(hc, "000000000000");

    snprintf(out, JA4_MAX_LEN + 1, "%c%s%c%02u%02u%s_%s_%s", (char)transport,
             ja4_version(tls_client_max_version(ch)), ch->has_sni ? 'd' : 'i', nc > 99 ? 99 : nc,
             ne > 99 ? 99 : ne, alpn, hb, hc);
    return 1;
}

struct fingerprint_cache_stats fingerprint_cache_stats;

struct cache_entry {
    uint64_t key; /* 0: empty */
    uint8_t has_ja3, has_ja4;
    char ja3[JA3_HEX_LEN + 1];
    char ja4[JA4_MAX_LEN + 1];
};

static struct cache_entry cache[FINGERPRINT_CACHE];
static uint8_t cache_key[16];
static int cache_keyed;

/* A list of 16-bit values, with every GREASE value written as 0x0A0A:
 * JA3 and JA4 drop GREASE, and clients draw it afresh per connection, so
 * the raw values would make one stack miss the cache every time. Returns
 * the values written (at most max); a loop with no other test in it, which
 * the compiler vectorises. */
static size_t put_list(uint16_t *out, const uint16_t *v, unsigned n, unsigned max)
{
    if (n > max)
        n = max;
    for (unsigned i = 0; i < n; i++)
        out[i] = tls_is_grease(v[i]) ? 0x0A0A : v[i];
    return n;
}

static void key_cache(void)
{
    if (!cache_keyed) {
        if (getrandom(cache_key, sizeof(cache_key), 0) != (ssize_t)sizeof(cache_key))
            memset(cache_key, 0x5a, sizeof(cache_key)); /* no entropy: still correct */
        cache_keyed = 1;
    }
}

/* Everything JA3 and JA4 read, hashed. */
uint64_t fingerprint_hello_key(const struct tls_client_hello *ch, enum ja4_transport transport)
{
    key_cache();
    enum { HEAD = 8, COUNTS = 5 };
    uint16_t in[HEAD + COUNTS + TLS_MAX_CIPHERS + TLS_MAX_EXTENSIONS + TLS_MAX_GROUPS +
                TLS_MAX_SIGALGS + TLS_MAX_VERSIONS + (TLS_MAX_POINT_FORMATS + 1) / 2 +
                (TLS_MAX_ALPN_BYTES + 1) / 2];
    const uint8_t head[2 * HEAD] = {(uint8_t)transport,
                                    ch->has_sni,
                                    ch->has_supported_versions,
                                    ch->n_point_formats,
                                    ch->alpn_len,
                                    ch->truncated,
                                    ch->sslv2_format,
                                    (uint8_t)(ch->legacy_version >> 8),
                                    (uint8_t)ch->legacy_version,
                                    ch->has_alpn};
    memcpy(in, head, sizeof(head));
    size_t n = HEAD;
    in[n++] = ch->n_ciphers;
    in[n++] = ch->n_extensions;
    in[n++] = ch->n_groups;
    in[n++] = ch->n_sigalgs;
    in[n++] = ch->n_versions;
    n += put_list(in + n, ch->ciphers, ch->n_ciphers, TLS_MAX_CIPHERS);
    n += put_list(in + n, ch->extensions, ch->n_extensions, TLS_MAX_EXTENSIONS);
    n += put_list(in + n, ch->groups, ch->n_groups, TLS_MAX_GROUPS);
    n += put_list(in + n, ch->sigalgs, ch->n_sigalgs, TLS_MAX_SIGALGS);
    n += put_list(in + n, ch->versions, ch->n_versions, TLS_MAX_VERSIONS);
    /* The byte lists after, their lengths being in the head. */
    uint8_t *bytes = (uint8_t *)(in + n);
    size_t npf =
        ch->n_point_formats < TLS_MAX_POINT_FORMATS ? ch->n_point_formats : TLS_MAX_POINT_FORMATS;
    size_t nalpn = ch->alpn_len < TLS_MAX_ALPN_BYTES ? ch->alpn_len : TLS_MAX_ALPN_BYTES;
    memcpy(bytes, ch->point_formats, npf);
    memcpy(bytes + npf, ch->alpn, nalpn);
    uint64_t k = siphash13(cache_key, in, 2 * n + npf + nalpn);
    return k ? k : 1;
}

void fingerprint_client(const struct tls_client_hello *ch, enum ja4_transport transport, uint64_t k,
                        char ja3[JA3_HEX_LEN + 1], int *has_ja3, char ja4[JA4_MAX_LEN + 1],
                        int *has_ja4)
{
    struct cache_entry *e = &cache[k % FINGERPRINT_CACHE];
    if (e->key != k) {
        fingerprint_cache_stats.misses++;
        e->key = k;
        e->has_ja3 = (uint8_t)fingerprint_ja3(ch, e->ja3);
        e->has_ja4 = (uint8_t)fingerprint_ja4(ch, transport, e->ja4);
    } else {
        fingerprint_cache_stats.hits++;
    }
    *has_ja3 = e->has_ja3;
    *has_ja4 = e->has_ja4;
    if (e->has_ja3)
        memcpy(ja3, e->ja3, JA3_HEX_LEN + 1);
    if (e->has_ja4)
        memcpy(ja4, e->ja4, JA4_MAX_LEN + 1);
}

#define SERVER_CACHE 1024
struct server_cache_entry {
    uint64_t key; /* 0: empty */
    char ja3s[JA3_HEX_LEN + 1];
};
static struct server_cache_entry server_cache[SERVER_CACHE];

int fingerprint_server(const struct tls_server_hello *sh, char ja3s[JA3_HEX_LEN + 1])
{
    if (sh->truncated || sh->sslv2_format)
        return 0;
    key_cache();
    uint16_t in[2 + TLS_MAX_EXTENSIONS];
    in[0] = sh->legacy_version;
    in[1] = sh->cipher;
    memcpy(in + 2, sh->extensions, 2u * sh->n_extensions);
    uint64_t k = siphash13(cache_key, in, 2u * (2u + sh->n_extensions));
    k = k ? k : 1;
    struct server_cache_entry *e = &server_cache[k % SERVER_CACHE];
    if (e->key != k) {
        fingerprint_cache_stats.misses++;
        fingerprint_ja3s(sh, e->ja3s);
        e->key = k;
    } else {
        fingerprint_cache_stats.hits++;
    }
    memcpy(ja3s, e->ja3s, JA3_HEX_LEN + 1);
    return 1;
}
