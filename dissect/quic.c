/* quic.c: TLS hellos from QUIC Initial packets.
 *
 * RFC 9000 section 17.2 (long headers), 12.2 (coalesced packets), 19
 * (frames); RFC 9001 section 5 (Initial packet protection); RFC 9369
 * section 3 (version 2); the IETF drafts 22-34 and the vendor versions that
 * use draft salts. Packet bytes are read only through the span cursor; the
 * one copy of a packet that is written to (to remove its protection in
 * place) is the module's scratch buffer. */
#include "quic.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

struct quic_stats quic_stats;

enum {
    CID_MAX = 20,  /* RFC 9000 section 17.2: longer ones are not version 1 */
    SALT_LEN = 20, /* RFC 9001 section 5.2 */
    TAG_LEN = 16,  /* AEAD_AES_128_GCM */
    SAMPLE_LEN = 16,
};

/* ---- versions ------------------------------------------------------------ */

/* Initial salts (the HKDF-Extract salt of RFC 9001 section 5.2), each from
 * its version's specification text; Google published none for T050/T051,
 * those are Chromium's (quic_versions.cc), confirmed by opening the corpus
 * captures. Version 1, also drafts 33-34: */
static const uint8_t salt_v1[SALT_LEN] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34,
                                          0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8,
                                          0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
/* RFC 9369 section 3.3.1 */
static const uint8_t salt_v2[SALT_LEN] = {0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6,
                                          0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26,
                                          0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9};
/* draft-ietf-quic-tls-29..32 */
static const uint8_t salt_d29[SALT_LEN] = {0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2,
                                           0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61,
                                           0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99};
/* draft-ietf-quic-tls-23..28 */
static const uint8_t salt_d23[SALT_LEN] = {0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb,
                                           0x5a, 0x11, 0xa7, 0xd2, 0x43, 0x2b, 0xb4,
                                           0x63, 0x65, 0xbe, 0xf9, 0xf5, 0x02};
/* draft-ietf-quic-tls-21..22 */
static const uint8_t salt_d22[SALT_LEN] = {0x7f, 0xbc, 0xdb, 0x0e, 0x7c, 0x66, 0xbb,
                                           0xe9, 0x19, 0x3a, 0x96, 0xcd, 0x21, 0x51,
                                           0x9e, 0xbd, 0x7a, 0x02, 0x64, 0x4a};
/* Google T050 (Chromium quic_versions) */
static const uint8_t salt_t050[SALT_LEN] = {0x7f, 0xf5, 0x79, 0xe5, 0xac, 0xd0, 0x72,
                                            0x91, 0x55, 0x80, 0x30, 0x4c, 0x43, 0xa2,
                                            0x36, 0x7c, 0x60, 0x48, 0x83, 0x10};
/* Google T051 (Chromium quic_versions) */
static const uint8_t salt_t051[SALT_LEN] = {0x7a, 0x4e, 0xde, 0xf4, 0xe7, 0xcc, 0xee,
                                            0x5f, 0xa4, 0x50, 0x6c, 0x19, 0x12, 0x4f,
                                            0xc8, 0xcc, 0xda, 0x6e, 0x03, 0x3d};

struct quic_version {
    uint32_t version;
    const char *name;
    const uint8_t *salt;
    uint8_t v2;    /* RFC 9369: rotated packet types, "quicv2" key labels */
    uint8_t gquic; /* Google QUIC frames inside IETF packet protection */
};

/* Versions whose Initials can be opened. Drafts before 22 are left out:
 * their long header packs both connection ID lengths into one byte. */
static const struct quic_version versions[] = {
    {0x00000001, "1", salt_v1, 0, 0},
    {0x6b3343cf, "2", salt_v2, 1, 0},
    {0xff000022, "draft-34", salt_v1, 0, 0},
    {0xff000021, "draft-33", salt_v1, 0, 0},
    {0xff000020, "draft-32", salt_d29, 0, 0},
    {0xff00001f, "draft-31", salt_d29, 0, 0},
    {0xff00001e, "draft-30", salt_d29, 0, 0},
    {0xff00001d, "draft-29", salt_d29, 0, 0},
    {0xff00001c, "draft-28", salt_d23, 0, 0},
    {0xff00001b, "draft-27", salt_d23, 0, 0},
    {0xff00001a, "draft-26", salt_d23, 0, 0},
    {0xff000019, "draft-25", salt_d23, 0, 0},
    {0xff000018, "draft-24", salt_d23, 0, 0},
    {0xff000017, "draft-23", salt_d23, 0, 0},
    {0xff000016, "draft-22", salt_d22, 0, 0},
    /* Facebook mvfst: draft-22 and draft-27 based, with those drafts' salts. */
    {0xfaceb001, "mvfst-22", salt_d22, 0, 0},
    {0xfaceb002, "mvfst-27", salt_d23, 0, 0},
    {0xfaceb00e, "mvfst-exp", salt_d23, 0, 0},
    /* Google QUIC with TLS: IETF packet protection, Chromium's own salts. */
    {0x54303530, "T050", salt_t050, 0, 1},
    {0x54303531, "T051", salt_t051, 0, 1},
};

/* RFC 9000 section 15 reserves 0x?a?a?a?a to force version negotiation; a
 * client that sends one still protects its Initial, with a salt no
 * specification names. Clients in the corpus use draft-29's (the interop
 * runner's capture) or version 1's (the forcing-VN capture): both are
 * tried (version_salt), and the AEAD tag tells which was right. */
static const struct quic_version reserved_version = {0, NULL, salt_d29, 0, 0};

static const struct quic_version *version_lookup(uint32_t v)
{
    for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
        if (versions[i].version == v)
            return &versions[i];
    if ((v & 0x0f0f0f0f) == 0x0a0a0a0a)
        return &reserved_version;
    return NULL;
}

const char *quic_version_name(uint32_t version)
{
    const struct quic_version *qv = version_lookup(version);
    return qv ? qv->name : NULL;
}

enum pkt_type { PT_INITIAL = 0, PT_0RTT = 1, PT_HANDSHAKE = 2, PT_RETRY = 3 };

/* Long Packet Type bits (RFC 9000 section 17.2); RFC 9369 section 3.2
 * rotates them by one (Initial 0b01 ... Retry 0b00). */
static enum pkt_type long_type(const struct quic_version *qv, uint8_t first)
{
    unsigned bits = (first >> 4) & 3;
    return (enum pkt_type)(qv->v2 ? (bits + 3) & 3 : bits);
}

/* ---- keys (RFC 9001 section 5.2) -------------------------------------------- */

static int hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *data, size_t data_len,
                       uint8_t out[32])
{
    static const uint8_t none = 0; /* HMAC() wants a pointer even for no bytes */
    unsigned int out_len = 0;
    if (!HMAC(EVP_sha256(), key, (int)key_len, data_len ? data : &none, data_len, out, &out_len))
        return 0;
    return out_len == 32;
}

/* HKDF-Expand-Label (RFC 8446 section 7.1) with an empty context, for
 * outputs of at most one SHA-256 block: HKDF-Expand (RFC 5869 section 2.3)
 * is then T(1) = HMAC(secret, HkdfLabel | 0x01). */
static int expand_label(const uint8_t secret[32], const char *label, uint8_t *out, size_t len)
{
    static const char prefix[] = "tls13 ";
    uint8_t info[2 + 1 + 255 + 1 + 1], t[32];
    size_t label_len = strlen(label), n = 0;
    if (len > sizeof(t) || sizeof(prefix) - 1 + label_len > 255)
        return 0;
    info[n++] = (uint8_t)(len >> 8);
    info[n++] = (uint8_t)len;
    info[n++] = (uint8_t)(sizeof(prefix) - 1 + label_len);
    memcpy(info + n, prefix, sizeof(prefix) - 1);
    n += sizeof(prefix) - 1;
    memcpy(info + n, label, label_len);
    n += label_len;
    info[n++] = 0; /* context: empty */
    info[n++] = 1; /* HKDF-Expand block counter */
    if (!hmac_sha256(secret, 32, info, n, t))
        return 0;
    memcpy(out, t, len);
    return 1;
}

/* The salts to try for a version: its own, and for the reserved versions
 * version 1's as well. */
static const uint8_t *version_salt(const struct quic_version *qv, int i)
{
    if (i == 0)
        return qv->salt;
    return i == 1 && qv == &reserved_version ? salt_v1 : NULL;
}

static int derive_keys(const struct quic_version *qv, const uint8_t *salt, struct span dcid,
                       int server, struct quic_initial_keys *out)
{
    uint8_t initial[32], secret[32];
    if (dcid.n > CID_MAX)
        return 0;
    /* initial_secret = HKDF-Extract(salt, DCID) = HMAC(salt, DCID). */
    if (!hmac_sha256(salt, SALT_LEN, dcid.p, dcid.n, initial) ||
        !expand_label(initial, server ? "server in" : "client in", secret, sizeof(secret)))
        return 0;
    /* RFC 9369 section 3.3.2: version 2 renames the labels. */
    return expand_label(secret, qv->v2 ? "quicv2 key" : "quic key", out->key, sizeof(out->key)) &&
           expand_label(secret, qv->v2 ? "quicv2 iv" : "quic iv", out->iv, sizeof(out->iv)) &&
           expand_label(secret, qv->v2 ? "quicv2 hp" : "quic hp", out->hp, sizeof(out->hp));
}

int quic_initial_keys(uint32_t version, struct span dcid, int server, struct quic_initial_keys *out)
{
    const struct quic_version *qv = version_lookup(version);
    return qv && derive_keys(qv, qv->salt, dcid, server, out);
}

/* ---- per-flow state ------------------------------------------------------------ */

/* One direction's Initial-level CRYPTO stream (RFC 9000 section 19.6).
 * Bytes that arrive at the next offset go straight to the tls_stream;
 * bytes beyond a gap wait in buf, indexed by their stream offset (the whole
 * Initial stream is one or two hellos, so offsets stay small) with one bit
 * per byte in have. Both are taken from the global hello budget
 * (tls_stream_budget) and given back when the state is freed. */
struct crypto_stream {
    uint64_t next;   /* stream bytes handed on so far */
    uint32_t hi;     /* end of the furthest buffered fragment */
    uint32_t cap;    /* bytes of buf, bits of have (a multiple of 4096) */
    uint8_t refused; /* the budget refused this stream: counted once */
    uint8_t *buf;
    uint8_t *have;
    uint32_t buf_size, have_size; /* bytes allocated, taken from the budget */
    struct tls_stream ts;
};

struct quic_dir {
    struct crypto_stream cs;
    int64_t largest_pn; /* Initial packet number space; -1 before the first */
    uint8_t short_seen;
};

struct quic_state {
    uint32_t version;        /* latest long header of a known version */
    uint32_t key_version;    /* version the keys belong to */
    const uint8_t *key_salt; /* and the salt they came from */
    int8_t client_dir;       /* -1 until a client Initial has been opened */
    uint8_t have_keys;
    uint8_t retry_pending; /* a Retry chose the DCID: the streams carry on */
    uint8_t retry_closed;  /* a Retry or a server Initial came: no Retry counts now */
    uint8_t vn_pending;    /* Version Negotiation: the client will start over */
    uint8_t seen_long;
    struct quic_initial_keys keys[2]; /* [0] client's packets, [1] server's */
    uint8_t cid_len;
    uint8_t cid[CID_MAX]; /* the DCID the keys derive from */
    /* The DCID of a first client Initial that did not open (cut by the
     * capture's snap length, say): the server's Initials are protected
     * with keys from it, and opening one of them proves it. */
    uint8_t cand_len;
    int8_t cand_dir; /* -1: none */
    uint8_t cand[CID_MAX];
    struct quic_dir d[2]; /* by the caller's direction */
};

struct quic_state *quic_state_new(void)
{
    struct quic_state *qs = calloc(1, sizeof(*qs));
    if (!qs)
        return NULL;
    qs->client_dir = -1;
    qs->cand_dir = -1;
    qs->d[0].largest_pn = qs->d[1].largest_pn = -1;
    return qs;
}

static void crypto_reset(struct crypto_stream *cs)
{
    tls_stream_free(&cs->ts);
    memset(&cs->ts, 0, sizeof(cs->ts));
    cs->next = 0;
    cs->hi = 0;
    cs->refused = 0;
    if (cs->have)
        memset(cs->have, 0, cs->cap / 8);
}

void quic_state_free(struct quic_state *qs)
{
    if (!qs)
        return;
    for (int d = 0; d < 2; d++) {
        tls_stream_free(&qs->d[d].cs.ts);
        tls_stream_budget_release((uint64_t)qs->d[d].cs.buf_size + qs->d[d].cs.have_size);
        free(qs->d[d].cs.buf);
        free(qs->d[d].cs.have);
    }
    free(qs);
}

uint32_t quic_state_version(const struct quic_state *qs)
{
    return qs ? qs->version : 0;
}

int quic_short_header_seen(const struct quic_state *qs, int dir)
{
    return qs && (dir == 0 || dir == 1) && qs->d[dir].short_seen;
}

/* ---- CRYPTO stream reassembly --------------------------------------------------- */

static int bit_get(const uint8_t *bits, uint32_t i)
{
    return bits[i >> 3] >> (i & 7) & 1;
}
static void bit_set(uint8_t *bits, uint32_t i)
{
    bits[i >> 3] |= (uint8_t)(1u << (i & 7));
}

/* Grow one of the stream's buffers (*p, *size bytes) to want bytes, within
 * the budget. */
static int crypto_grow(uint8_t **p, uint32_t *size, uint32_t want)
{
    if (want <= *size)
        return 1; /* grown by an earlier call that failed after it */
    if (!tls_stream_budget_take(want - *size))
        return 0;
    uint8_t *np = realloc(*p, want);
    if (!np) {
        tls_stream_budget_release(want - *size);
        return 0;
    }
    *p = np;
    *size = want;
    return 1;
}

/* Room for stream offsets below end. A refusal of the budget is counted
 * once per stream: the hello it carries cannot be put together. */
static int crypto_reserve(struct crypto_stream *cs, uint32_t end)
{
    if (end <= cs->cap)
        return 1;
    if (end > QUIC_CRYPTO_MAX)
        return 0;
    uint32_t cap = (end + 4095u) & ~4095u;
    if (cap > QUIC_CRYPTO_MAX)
        cap = QUIC_CRYPTO_MAX;
    if (!crypto_grow(&cs->buf, &cs->buf_size, cap) ||
        !crypto_grow(&cs->have, &cs->have_size, cap / 8)) {
        if (!cs->refused) {
            cs->refused = 1;
            tls_stream_budget.refused++;
        }
        return 0;
    }
    memset(cs->have + cs->cap / 8, 0, (cap - cs->cap) / 8);
    cs->cap = cap;
    return 1;
}

/* Hand on the buffered bytes that now continue the stream. */
static void crypto_drain(struct crypto_stream *cs, int dir, const struct tls_stream_sink *sink,
                         void *ctx)
{
    while (cs->next < cs->hi && bit_get(cs->have, (uint32_t)cs->next)) {
        uint32_t from = (uint32_t)cs->next, to = from;
        while (to < cs->hi && bit_get(cs->have, to))
            to++;
        cs->next = to;
        tls_stream_feed_handshake(&cs->ts, dir, span_make(cs->buf + from, to - from), sink, ctx);
    }
}

/* One CRYPTO frame's data at stream offset off: duplicates and overlaps
 * are trimmed (a retransmission carries the same bytes, RFC 9000 section
 * 19.6), a fragment beyond a gap is kept until the gap fills. */
static void crypto_frame(struct crypto_stream *cs, int dir, uint64_t off, struct span data,
                         const struct tls_stream_sink *sink, void *ctx)
{
    uint64_t end = off + data.n; /* off < 2^62, data.n < 2^16 */
    if (end > QUIC_CRYPTO_MAX) {
        if (off >= QUIC_CRYPTO_MAX) {
            quic_stats.crypto_bytes_dropped += data.n;
            return;
        }
        struct span kept = data;
        quic_stats.crypto_bytes_dropped += end - QUIC_CRYPTO_MAX;
        span_sub(&data, (size_t)(QUIC_CRYPTO_MAX - off), &kept);
        data = kept;
        end = QUIC_CRYPTO_MAX;
    }
    /* From here on end <= QUIC_CRYPTO_MAX: offsets fit in 32 bits. */
    if (data.n == 0 || end <= cs->next)
        return;
    if (off < cs->next) {
        span_skip(&data, (size_t)(cs->next - off));
        off = cs->next;
    }
    if (off == cs->next) {
        cs->next = end;
        tls_stream_feed_handshake(&cs->ts, dir, data, sink, ctx);
        crypto_drain(cs, dir, sink, ctx);
        return;
    }
    if (!crypto_reserve(cs, (uint32_t)end)) {
        quic_stats.crypto_bytes_dropped += data.n;
        return;
    }
    memcpy(cs->buf + off, data.p, data.n);
    for (uint32_t i = (uint32_t)off; i < (uint32_t)end; i++)
        bit_set(cs->have, i);
    if (end > cs->hi)
        cs->hi = (uint32_t)end;
}

/* ---- frames (RFC 9000 section 19) ---------------------------------------------- */

/* Variable-length integer (RFC 9000 section 16): the first byte's two high
 * bits give the length, 1, 2, 4 or 8 bytes. */
static int span_varint(struct span *s, uint64_t *v)
{
    struct span t = *s;
    uint8_t b;
    if (!span_u8(&t, &b))
        return 0;
    size_t len = (size_t)1 << (b >> 6);
    uint64_t x = b & 0x3f;
    for (size_t i = 1; i < len; i++) {
        if (!span_u8(&t, &b))
            return 0;
        x = x << 8 | b;
    }
    *s = t;
    *v = x;
    return 1;
}

static int skip_varints(struct span *s, int n)
{
    uint64_t v;
    for (int i = 0; i < n; i++)
        if (!span_varint(s, &v))
            return 0;
    return 1;
}

/* ACK (section 19.3): largest, delay, range count, first range, the
 * ranges (gap, length), and with type 0x03 three ECN counts. The range
 * count is attacker-chosen; each range consumes bytes, so the loop ends
 * with the payload. */
static int skip_ack(struct span *p, int ecn)
{
    uint64_t ranges;
    if (!skip_varints(p, 2) || !span_varint(p, &ranges) || !skip_varints(p, 1))
        return 0;
    for (uint64_t i = 0; i < ranges; i++)
        if (!skip_varints(p, 2))
            return 0;
    return !ecn || skip_varints(p, 3);
}

/* CONNECTION_CLOSE (section 19.19): error code, the frame type (0x1c
 * only), then a length-prefixed reason phrase. */
static int skip_close(struct span *p, int transport)
{
    uint64_t len;
    return skip_varints(p, transport ? 2 : 1) && span_varint(p, &len) && len <= p->n &&
           span_skip(p, (size_t)len);
}

/* CRYPTO (section 19.6): offset, length, data. */
static int take_crypto(struct span *p, struct crypto_stream *cs, int dir,
                       const struct tls_stream_sink *sink, void *ctx)
{
    uint64_t off, len;
    struct span data;
    if (!span_varint(p, &off) || !span_varint(p, &len) || len > p->n ||
        !span_sub(p, (size_t)len, &data))
        return 0;
    crypto_frame(cs, dir, off, data, sink, ctx);
    return 1;
}

/* The frames of an Initial payload. Only those allowed at this level
 * (section 12.4, table 3) are understood; anything else ends the walk. */
static void ietf_frames(struct crypto_stream *cs, int dir, struct span p,
                        const struct tls_stream_sink *sink, void *ctx)
{
    while (p.n > 0) {
        uint64_t type;
        if (!span_varint(&p, &type))
            return;
        switch (type) {
        case 0x00: /* PADDING */
        case 0x01: /* PING */
            break;
        case 0x02: /* ACK */
        case 0x03:
            if (!skip_ack(&p, type == 0x03))
                return;
            break;
        case 0x06:
            if (!take_crypto(&p, cs, dir, sink, ctx))
                return;
            break;
        case 0x1c: /* CONNECTION_CLOSE */
        case 0x1d:
            if (!skip_close(&p, type == 0x1c))
                return;
            break;
        default:
            return;
        }
    }
}

/* Google QUIC ACK (type 01nullmm, fixed-size big-endian fields since
 * Q039): largest acked (ll), delay (2), [block count (1) if n], first block
 * (mm), blocks (gap 1 + mm each), timestamp count (1), timestamps (1 + 4,
 * then 1 + 2 each). Field sizes 1, 2, 4, 6 by the 2-bit codes. */
static size_t gquic_len(unsigned code)
{
    static const uint8_t len[4] = {1, 2, 4, 6};
    return len[code & 3];
}

static int skip_gquic_ack(struct span *p, uint8_t type)
{
    size_t ll = gquic_len(type >> 2), mm = gquic_len(type);
    uint8_t blocks = 0, stamps;
    if (!span_skip(p, ll + 2) || ((type & 0x20) && !span_u8(p, &blocks)) || !span_skip(p, mm) ||
        !span_skip(p, blocks * (1 + mm)) || !span_u8(p, &stamps))
        return 0;
    return stamps == 0 || span_skip(p, 1 + 4 + (size_t)(stamps - 1) * 3);
}

/* Google's T050/T051 put gQUIC frames in IETF-protected Initials (as
 * Chromium sent them): CRYPTO is type 0x08 with IETF varints, PADDING
 * fills the rest of the packet, STOP_WAITING holds a packet-number-sized
 * delta, CONNECTION_CLOSE is error (4), reason length (2), reason. */
static void gquic_frames(struct crypto_stream *cs, int dir, struct span p, size_t pn_len,
                         const struct tls_stream_sink *sink, void *ctx)
{
    uint8_t type;
    uint16_t reason;
    while (span_u8(&p, &type)) {
        if ((type & 0xc0) == 0x40) {
            if (!skip_gquic_ack(&p, type))
                return;
            continue;
        }
        switch (type) {
        case 0x02: /* CONNECTION_CLOSE */
            if (!span_skip(&p, 4) || !span_u16(&p, &reason) || !span_skip(&p, reason))
                return;
            break;
        case 0x06: /* STOP_WAITING */
            if (!span_skip(&p, pn_len))
                return;
            break;
        case 0x07: /* PING */
            break;
        case 0x08:
            if (!take_crypto(&p, cs, dir, sink, ctx))
                return;
            break;
        default: /* PADDING (0x00) ends the packet; the rest is unknown */
            return;
        }
    }
}

/* ---- long headers (RFC 9000 section 17.2) ------------------------------------------ */

struct long_header {
    uint8_t first;
    uint32_t version;
    const struct quic_version *qv;
    enum pkt_type type;
    struct span dcid, scid;
    struct span pkt;  /* the whole packet, first byte to the end of its payload */
    size_t pn_offset; /* where the packet number starts in pkt */
};

enum lh_result { LH_OK, LH_BAD, LH_TRUNCATED, LH_VERSION_NEGOTIATION, LH_UNKNOWN_VERSION };

/* Take one long-header packet off the front of the datagram. Initial,
 * 0-RTT and Handshake packets end where their Length field says (so
 * packets can be coalesced, section 12.2); Retry and Version Negotiation
 * packets fill the rest of the datagram. */
static enum lh_result take_long_header(struct span *dg, struct long_header *h)
{
    struct span s = *dg;
    uint64_t token_len, len;
    if (!span_u8(&s, &h->first) || !(h->first & 0x80) || !span_u32(&s, &h->version))
        return LH_BAD;
    if (h->version == 0)
        return LH_VERSION_NEGOTIATION;
    h->qv = version_lookup(h->version);
    if (!h->qv)
        return LH_UNKNOWN_VERSION;
    if (!span_vec8(&s, &h->dcid) || h->dcid.n > CID_MAX || !span_vec8(&s, &h->scid) ||
        h->scid.n > CID_MAX)
        return LH_BAD;
    h->type = long_type(h->qv, h->first);
    if (h->type == PT_RETRY) {
        /* Token, then the 16-byte Retry Integrity Tag (section 17.2.5). */
        if (s.n < TAG_LEN)
            return LH_BAD;
        span_sub(dg, dg->n, &h->pkt);
        return LH_OK;
    }
    if (h->type == PT_INITIAL &&
        (!span_varint(&s, &token_len) || token_len > s.n || !span_skip(&s, (size_t)token_len)))
        return LH_BAD;
    if (!span_varint(&s, &len))
        return LH_BAD;
    h->pn_offset = dg->n - s.n;
    if (len > s.n)
        return LH_TRUNCATED;
    span_sub(dg, h->pn_offset + (size_t)len, &h->pkt);
    return LH_OK;
}

int quic_looks_like_long_header(struct span p)
{
    uint8_t first;
    uint32_t version;
    struct span dcid, scid;
    if (!span_u8(&p, &first) || !(first & 0x80) || !span_u32(&p, &version) ||
        !span_vec8(&p, &dcid) || !span_vec8(&p, &scid))
        return 0;
    /* Version Negotiation (section 17.2.1): a list of 32-bit versions. */
    if (version == 0)
        return p.n >= 4 && p.n % 4 == 0;
    return (first & 0x40) && version_lookup(version) && dcid.n <= CID_MAX && scid.n <= CID_MAX;
}

/* ---- packet protection (RFC 9001 section 5) ----------------------------------------- */

/* A UDP payload is at most 65527 bytes; the packet is copied here and its
 * protection removed in place. */
static uint8_t scratch[65536];
static EVP_CIPHER_CTX *gcm_ctx, *ecb_ctx; /* set up once, rekeyed per packet */

static int cipher_ready(void)
{
    if (!gcm_ctx) {
        gcm_ctx = EVP_CIPHER_CTX_new();
        if (!gcm_ctx || !EVP_DecryptInit_ex(gcm_ctx, EVP_aes_128_gcm(), NULL, NULL, NULL)) {
            EVP_CIPHER_CTX_free(gcm_ctx);
            gcm_ctx = NULL;
            return 0;
        }
    }
    if (!ecb_ctx) {
        ecb_ctx = EVP_CIPHER_CTX_new();
        if (!ecb_ctx || !EVP_EncryptInit_ex(ecb_ctx, EVP_aes_128_ecb(), NULL, NULL, NULL) ||
            !EVP_CIPHER_CTX_set_padding(ecb_ctx, 0)) {
            EVP_CIPHER_CTX_free(ecb_ctx);
            ecb_ctx = NULL;
            return 0;
        }
    }
    return 1;
}

/* The full packet number from its truncated encoding (RFC 9000
 * appendix A.3), next to the largest one received so far. */
static uint64_t decode_pn(int64_t largest, uint64_t truncated, unsigned bits)
{
    uint64_t expected = (uint64_t)(largest + 1);
    uint64_t win = (uint64_t)1 << bits, hwin = win / 2, mask = win - 1;
    uint64_t candidate = (expected & ~mask) | truncated;
    if (candidate + hwin <= expected && candidate < ((uint64_t)1 << 62) - win)
        return candidate + win;
    if (candidate > expected + hwin && candidate >= win)
        return candidate - win;
    return candidate;
}

/* An Initial without its protection. */
struct opened {
    struct span plain; /* the payload (frames), in scratch */
    uint64_t pn;
    size_t pn_len;
};

/* Remove header protection (section 5.4: the mask is AES-ECB of a 16-byte
 * sample taken 4 bytes after the packet number starts) and then the AEAD
 * (section 5.3: nonce = iv XOR packet number, associated data = the
 * unprotected header). */
static int unprotect(const struct quic_initial_keys *k, const struct long_header *h,
                     int64_t largest, struct opened *o)
{
    struct span s = h->pkt, sample, pn_bytes;
    uint8_t mask[32], nonce[12], b;
    int n;
    if (!cipher_ready() || h->pkt.n > sizeof(scratch) || !span_skip(&s, h->pn_offset + 4) ||
        !span_sub(&s, SAMPLE_LEN, &sample) ||
        !EVP_EncryptInit_ex(ecb_ctx, NULL, NULL, k->hp, NULL) ||
        !EVP_EncryptUpdate(ecb_ctx, mask, &n, sample.p, SAMPLE_LEN) || n != SAMPLE_LEN)
        return 0;
    memcpy(scratch, h->pkt.p, h->pkt.n);
    scratch[0] ^= mask[0] & 0x0f; /* long header: the low 4 bits */
    size_t pn_len = (size_t)(scratch[0] & 3) + 1;
    for (size_t i = 0; i < pn_len; i++)
        scratch[h->pn_offset + i] ^= mask[1 + i];
    /* The sample check above guarantees pn_len + TAG_LEN bytes after pn_offset. */
    pn_bytes = span_make(scratch + h->pn_offset, pn_len);
    uint64_t truncated = 0;
    while (span_u8(&pn_bytes, &b))
        truncated = truncated << 8 | b;
    uint64_t pn = decode_pn(largest, truncated, (unsigned)pn_len * 8);
    memcpy(nonce, k->iv, sizeof(nonce));
    for (int i = 0; i < 8; i++)
        nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));

    size_t hdr_len = h->pn_offset + pn_len, ct_len = h->pkt.n - hdr_len - TAG_LEN;
    uint8_t *ct = scratch + hdr_len;
    int out_len = 0, final_len = 0;
    if (!EVP_DecryptInit_ex(gcm_ctx, NULL, NULL, k->key, nonce) ||
        !EVP_DecryptUpdate(gcm_ctx, NULL, &out_len, scratch, (int)hdr_len) ||
        !EVP_DecryptUpdate(gcm_ctx, ct, &out_len, ct, (int)ct_len) ||
        !EVP_CIPHER_CTX_ctrl(gcm_ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, ct + ct_len) ||
        EVP_DecryptFinal_ex(gcm_ctx, ct + out_len, &final_len) <= 0)
        return 0;
    o->plain = span_make(ct, ct_len);
    o->pn = pn;
    o->pn_len = pn_len;
    return 1;
}

/* ---- Initial, Retry ---------------------------------------------------------------- */

static int same_cid(const struct quic_state *qs, struct span cid)
{
    return qs->have_keys && cid.n == qs->cid_len && memcmp(cid.p, qs->cid, cid.n) == 0;
}

static void set_keys(struct quic_state *qs, uint32_t version, const uint8_t *salt, struct span cid,
                     const struct quic_initial_keys k[2])
{
    qs->keys[0] = k[0];
    qs->keys[1] = k[1];
    qs->key_version = version;
    qs->key_salt = salt;
    qs->cid_len = (uint8_t)cid.n;
    memcpy(qs->cid, cid.p, cid.n);
    qs->have_keys = 1;
}

/* Keys for h's version from cid, and h opened with those of side (0
 * client, 1 server); the salts of the version are tried in turn. */
static int derive_and_open(const struct long_header *h, struct span cid, int side, int64_t largest,
                           const uint8_t **salt_out, struct quic_initial_keys k[2],
                           struct opened *o)
{
    const uint8_t *salt;
    for (int i = 0; (salt = version_salt(h->qv, i)) != NULL; i++) {
        if (derive_keys(h->qv, salt, cid, side, &k[side]) && unprotect(&k[side], h, largest, o) &&
            derive_keys(h->qv, salt, cid, side ^ 1, &k[side ^ 1])) {
            *salt_out = salt;
            return 1;
        }
    }
    return 0;
}

/* A new connection attempt on the same ports: the CRYPTO streams start
 * over (packet numbers too). */
static void new_attempt(struct quic_state *qs)
{
    for (int d = 0; d < 2; d++) {
        crypto_reset(&qs->d[d].cs);
        qs->d[d].largest_pn = -1;
    }
    qs->retry_closed = 0;
}

/* Another version, keys from the DCID already kept. Compatible version
 * negotiation keeps the connection and the client's first DCID for the new
 * version's keys (RFC 9368 section 2.3: the server's first Initial may
 * already be in the negotiated version); a client that starts over after
 * Version Negotiation usually keeps its DCID too, but sends a new
 * ClientHello. */
static int open_other_version(struct quic_state *qs, int dir, int side, const struct long_header *h,
                              struct opened *o)
{
    struct quic_initial_keys k[2];
    const uint8_t *salt;
    uint8_t cid[CID_MAX];
    struct span c = span_make(cid, qs->cid_len);
    memcpy(cid, qs->cid, qs->cid_len);
    if (!derive_and_open(h, c, side, qs->d[dir].largest_pn, &salt, k, o))
        return 0;
    if (side == 0 && qs->vn_pending) {
        new_attempt(qs);
        qs->vn_pending = 0;
    }
    set_keys(qs, h->version, salt, c, k);
    return 1;
}

/* A client Initial opened with keys from its own DCID: the first one, or a
 * new connection attempt (after Version Negotiation with a new DCID, or a
 * new connection on the same ports); unless a Retry announced this DCID
 * (RFC 9000 section 17.2.5.2: the client resends the same ClientHello and
 * keeps its packet numbers). */
static int open_client_own_dcid(struct quic_state *qs, int dir, const struct long_header *h,
                                struct opened *o)
{
    struct quic_initial_keys k[2];
    const uint8_t *salt;
    /* With the kept DCID, the tries above already failed. */
    if (same_cid(qs, h->dcid) || !derive_and_open(h, h->dcid, 0, -1, &salt, k, o))
        return 0;
    if (qs->have_keys && !qs->retry_pending)
        new_attempt(qs);
    qs->retry_pending = 0;
    qs->vn_pending = 0;
    qs->client_dir = (int8_t)dir;
    set_keys(qs, h->version, salt, h->dcid, k);
    return 1;
}

/* An Initial that did not open may be the client's first: keep its DCID
 * (RFC 9000 section 7.2: a client's first DCID has 8 bytes at least). */
static void note_candidate(struct quic_state *qs, int dir, const struct long_header *h)
{
    if (!qs->have_keys && qs->client_dir < 0 && h->dcid.n >= 8) {
        qs->cand_dir = (int8_t)dir;
        qs->cand_len = (uint8_t)h->dcid.n;
        memcpy(qs->cand, h->dcid.p, h->dcid.n);
    }
}

/* A server Initial opened with keys from the DCID of a client Initial that
 * did not open itself: that DCID is the connection's, that side its client. */
static int open_server_candidate(struct quic_state *qs, int dir, const struct long_header *h,
                                 struct opened *o)
{
    struct quic_initial_keys k[2];
    const uint8_t *salt;
    struct span c = span_make(qs->cand, qs->cand_len); /* set_keys copies it to cid */
    if (qs->have_keys || qs->cand_dir < 0 || dir == qs->cand_dir ||
        !derive_and_open(h, c, 1, -1, &salt, k, o))
        return 0;
    qs->client_dir = qs->cand_dir;
    qs->cand_dir = -1;
    set_keys(qs, h->version, salt, c, k);
    return 1;
}

/* Open an Initial. Both sides' keys derive from the client's first DCID
 * (RFC 9001 section 5.2); the server's Initials carry the client's SCID
 * instead, so they are opened only with keys from a DCID already kept. */
static int open_initial(struct quic_state *qs, int dir, const struct long_header *h,
                        struct opened *o)
{
    int side = qs->client_dir < 0 || qs->client_dir == dir ? 0 : 1;
    int opened = (qs->have_keys && qs->key_version == h->version &&
                  unprotect(&qs->keys[side], h, qs->d[dir].largest_pn, o)) ||
                 (qs->have_keys && qs->key_version != h->version &&
                  open_other_version(qs, dir, side, h, o)) ||
                 (side == 0 && open_client_own_dcid(qs, dir, h, o)) ||
                 open_server_candidate(qs, dir, h, o);
    if (!opened) {
        note_candidate(qs, dir, h);
        return 0;
    }
    if (side == 1)
        qs->retry_closed = 1;
    if ((int64_t)o->pn > qs->d[dir].largest_pn)
        qs->d[dir].largest_pn = (int64_t)o->pn;
    return 1;
}

static void on_initial(struct quic_state *qs, int dir, const struct long_header *h,
                       const struct tls_stream_sink *sink, void *ctx)
{
    struct opened o;
    quic_stats.initials++;
    if (!open_initial(qs, dir, h, &o)) {
        quic_stats.decrypt_failed++;
        return;
    }
    quic_stats.decrypted++;
    if (h->qv->gquic)
        gquic_frames(&qs->d[dir].cs, dir, o.plain, o.pn_len, sink, ctx);
    else
        ietf_frames(&qs->d[dir].cs, dir, o.plain, sink, ctx);
}

/* A Retry (server to client) names the DCID of the client's next Initials
 * in its SCID (RFC 9000 section 17.2.5.2), and Initial keys are derived
 * from that DCID from then on (RFC 9001 section 5.2). The client takes one
 * Retry per connection attempt, and none after an Initial from the server
 * (the same section): later ones leave the keys alone. The integrity tag
 * is not checked: a wrong Retry costs at most a re-derivation when the
 * client's next Initial does not open. */
static void on_retry(struct quic_state *qs, int dir, const struct long_header *h)
{
    struct quic_initial_keys k[2];
    const uint8_t *salt =
        qs->have_keys && qs->key_version == h->version ? qs->key_salt : h->qv->salt;
    quic_stats.retry++;
    if (qs->client_dir == dir || qs->retry_closed || !derive_keys(h->qv, salt, h->scid, 0, &k[0]) ||
        !derive_keys(h->qv, salt, h->scid, 1, &k[1]))
        return;
    if (qs->client_dir < 0)
        qs->client_dir = (int8_t)(dir ^ 1);
    set_keys(qs, h->version, salt, h->scid, k);
    qs->retry_pending = 1;
    qs->retry_closed = 1;
}

/* ---- datagrams ------------------------------------------------------------------------ */

void quic_datagram(struct quic_state *qs, int dir, struct span udp_payload, int64_t now_us,
                   const struct tls_stream_sink *sink, void *ctx)
{
    struct span dg = udp_payload;
    uint8_t first;
    int packets = 0;
    (void)now_us;
    if (!qs || (dir != 0 && dir != 1))
        return;
    while (span_peek_u8(&dg, 0, &first)) {
        struct long_header h;
        if (!(first & 0x80)) {
            /* A short header packet (section 17.3) can only come last;
             * zero bytes after the last long header are padding. */
            if (first != 0 && qs->seen_long)
                qs->d[dir].short_seen = 1;
            return;
        }
        memset(&h, 0, sizeof(h));
        switch (take_long_header(&dg, &h)) {
        case LH_VERSION_NEGOTIATION:
            quic_stats.version_negotiation++;
            qs->vn_pending = 1;
            return;
        case LH_UNKNOWN_VERSION:
            quic_stats.unknown_version++;
            return;
        case LH_TRUNCATED:
            if (h.type == PT_INITIAL) { /* cut by the snap length, or bogus */
                quic_stats.initials++;
                quic_stats.decrypt_failed++;
                note_candidate(qs, dir, &h);
            }
            return;
        case LH_BAD:
            return;
        case LH_OK:
            break;
        }
        if (packets++ > 0)
            quic_stats.coalesced++;
        qs->seen_long = 1;
        qs->version = h.version;
        if (h.type == PT_INITIAL)
            on_initial(qs, dir, &h, sink, ctx);
        else if (h.type == PT_RETRY)
            on_retry(qs, dir, &h);
        /* 0-RTT and Handshake keys are not derivable by an observer. */
    }
}
