/* dtls.c: DTLS record walking (RFC 6347 section 4.1, RFC 9147 section 4)
 * and hello reassembly from handshake fragments (RFC 6347 sections 4.2.2,
 * 4.2.3).
 *
 * Bounds: a datagram is walked once, record by record, through the span
 * cursor. Per flow and direction at most one hello is being reassembled,
 * in one allocation of its declared length (<= DTLS_MAX_MESSAGE) plus a
 * one-bit-per-byte map of what has arrived; it is freed as soon as the
 * hello is complete, replaced, or the flow ends. Every such allocation is
 * taken from the global hello budget (tls_stream_budget, set by
 * --max-reassembly-mb) and given back when freed; a hello the budget
 * refuses is skipped and counted there once. */
#include "dtls.h"

#include <stdlib.h>
#include <string.h>

#include "tls.h"

struct dtls_stats dtls_stats;

/* RFC 6347 section 4.2.2: msg_type(1) length(3) message_seq(2)
 * fragment_offset(3) fragment_length(3). */
#define DTLS_HANDSHAKE_HEADER 12
/* RFC 6347 section 4.1 keeps TLS 1.2's limit (RFC 5246 section 6.2.3): a
 * record carries at most 2^14 bytes of plaintext plus 2048 of expansion. */
#define DTLS_MAX_RECORD (16384 + 2048)
/* RFC 9147 section 4.2.3: record number encryption samples 16 bytes of
 * ciphertext, so no shorter encrypted record is valid. */
#define DTLS13_MIN_CIPHERTEXT 16

/* Content types (RFC 6347 4.1; 24 heartbeat RFC 6520; 25 tls12_cid
 * RFC 9146; 26 ack RFC 9147 section 7). */
enum { DTLS_CT_FIRST = 20, DTLS_CT_TLS12_CID = 25, DTLS_CT_ACK = 26 };

/* A hello being put back together. buf holds len body bytes, then a map
 * with one bit per body byte (set: that byte has arrived). */
struct dtls_reasm {
    uint8_t type;
    uint16_t seq;
    uint32_t len;
    uint32_t have; /* body bytes arrived so far */
    uint8_t buf[];
};

struct dtls_dir {
    struct dtls_reasm *rs; /* the incomplete hello, or NULL */
    uint8_t has_last;
    uint64_t last;    /* digest of the last hello handed on */
    uint64_t refused; /* identity of the last hello the budget refused, or 0 */
};

struct dtls_state {
    struct dtls_dir d[2];
};

struct dtls_record {
    uint8_t type;
    uint16_t version;
    uint16_t epoch;
    uint16_t length;
};

struct dtls_fragment {
    uint8_t type;
    uint16_t seq;
    uint32_t len; /* the whole message's body length */
    uint32_t off;
    struct span data; /* fragment_length bytes at off */
};

struct dtls_state *dtls_state_new(void)
{
    return calloc(1, sizeof(struct dtls_state));
}

/* Bytes a reassembly buffer for a body of len bytes takes from the budget. */
static uint64_t reasm_size(uint32_t len)
{
    return sizeof(struct dtls_reasm) + (uint64_t)len + ((uint64_t)len + 7) / 8;
}

static void reasm_free(struct dtls_reasm *rs)
{
    if (!rs)
        return;
    tls_stream_budget_release(reasm_size(rs->len));
    free(rs);
}

static void reasm_drop(struct dtls_dir *d)
{
    if (d->rs) {
        dtls_stats.abandoned++;
        reasm_free(d->rs);
        d->rs = NULL;
    }
}

void dtls_state_free(struct dtls_state *ds)
{
    if (!ds)
        return;
    reasm_drop(&ds->d[0]);
    reasm_drop(&ds->d[1]);
    free(ds);
}

static int version_ok(uint16_t v)
{
    return v == DTLS_VERSION_1_0 || v == DTLS_VERSION_1_2 || v == DTLS_VERSION_1_3 ||
           v == DTLS_VERSION_BAD;
}

static int is_hello(uint8_t type)
{
    return type == TLS_HS_CLIENT_HELLO || type == TLS_HS_SERVER_HELLO ||
           type == DTLS_HS_HELLO_VERIFY_REQUEST;
}

/* RFC 9147 section 4: the unified header's first byte is 0b001CSLEE. */
static int is_unified(uint8_t b0)
{
    return (b0 & 0xe0) == 0x20;
}

/* ---- the record layer --------------------------------------------------- */

/* The 13-byte header of a classic record (RFC 6347 section 4.1): type(1)
 * version(2) epoch(2) sequence_number(6) length(2). A tls12_cid record
 * (RFC 9146 section 4) has a connection id of negotiated length before its
 * length field; its length is left 0 here and the caller takes the rest. */
static int read_record_header(struct span *p, struct dtls_record *r)
{
    struct span t = *p;
    if (!span_u8(&t, &r->type) || !span_u16(&t, &r->version) || !span_u16(&t, &r->epoch) ||
        !span_skip(&t, 6))
        return 0;
    if (r->type < DTLS_CT_FIRST || r->type > DTLS_CT_ACK || !version_ok(r->version))
        return 0;
    r->length = 0;
    if (r->type != DTLS_CT_TLS12_CID && !span_u16(&t, &r->length))
        return 0;
    *p = t;
    return 1;
}

/* Would a sender write this record? Used only to recognise a flow. */
static int record_plausible(const struct dtls_record *r, size_t body_avail)
{
    if (r->type == DTLS_CT_TLS12_CID) /* only ever encrypted (RFC 9146 4) */
        return r->epoch != 0;
    if (r->length == 0 || r->length > DTLS_MAX_RECORD || r->length > body_avail)
        return 0;
    if (r->epoch != 0)
        return 1;
    /* Epoch 0 is plaintext: its sizes are known (RFC 6347 4.1, 4.2.2). */
    switch (r->type) {
    case TLS_CT_CHANGE_CIPHER_SPEC:
        return r->length == 1;
    case TLS_CT_ALERT:
        return r->length == 2;
    case TLS_CT_HANDSHAKE:
        return r->length >= DTLS_HANDSHAKE_HEADER;
    case TLS_CT_APPLICATION_DATA: /* never sent before keys exist */
        return 0;
    default:
        return 1;
    }
}

/* RFC 9147 section 4: flags, [CID], 8/16-bit sequence, [16-bit length].
 * Without a length field the record runs to the end of the datagram. With
 * a CID present the header's size is unknown (the CID length was
 * negotiated), so the record is also taken to run to the end. *known says
 * whether *len came from a length field; if not, the header has consumed
 * everything and *len is what was left. */
static int read_unified_header(struct span *p, uint16_t *len, int *known)
{
    struct span t = *p;
    uint8_t flags;
    uint16_t l;
    if (!span_u8(&t, &flags) || !is_unified(flags))
        return 0;
    *known = 0;
    if (flags & 0x10) { /* C: connection id of unknown length */
        *len = (uint16_t)(t.n > 0xffff ? 0xffff : t.n);
        span_skip(&t, t.n);
        *p = t;
        return 1;
    }
    if (!span_skip(&t, (flags & 0x08) ? 2 : 1)) /* S: 16- or 8-bit sequence */
        return 0;
    if (flags & 0x04) { /* L: length present */
        if (!span_u16(&t, &l))
            return 0;
        *known = 1;
    } else {
        l = (uint16_t)(t.n > 0xffff ? 0xffff : t.n);
        span_skip(&t, t.n);
    }
    *len = l;
    *p = t;
    return 1;
}

int dtls_looks_like_record(struct span payload)
{
    struct span t = payload;
    struct dtls_record r;
    uint8_t b0;
    uint16_t len;
    int known;

    if (!span_peek_u8(&t, 0, &b0))
        return DTLS_LOOKS_NOT;
    if (is_unified(b0)) {
        if (!read_unified_header(&t, &len, &known))
            return DTLS_LOOKS_NOT;
        if (len < DTLS13_MIN_CIPHERTEXT || (known && len > t.n) || len > DTLS_MAX_RECORD)
            return DTLS_LOOKS_NOT;
        return DTLS_LOOKS_UNIFIED;
    }
    if (!read_record_header(&t, &r) || !record_plausible(&r, t.n))
        return DTLS_LOOKS_NOT;
    return DTLS_LOOKS_RECORD;
}

/* ---- hello reassembly (RFC 6347 section 4.2.3) ---------------------------- */

/* FNV-1a over the message identity and body: tells an exact retransmission
 * (RFC 6347 section 4.2.4 resends whole flights) from a new hello. Not
 * collision-proof against a forger, who could at worst hide a hello that
 * repeats one already logged for the flow. */
static uint64_t hello_digest(uint8_t type, uint16_t seq, struct span body)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    uint8_t b;
    h = (h ^ type) * 0x100000001b3ULL;
    h = (h ^ (uint8_t)(seq >> 8)) * 0x100000001b3ULL;
    h = (h ^ (uint8_t)seq) * 0x100000001b3ULL;
    while (span_u8(&body, &b))
        h = (h ^ b) * 0x100000001b3ULL;
    return h;
}

static void hand_on(struct dtls_dir *d, int dir, uint8_t type, uint16_t seq, struct span body,
                    const struct tls_stream_sink *sink, void *ctx)
{
    if (d) {
        uint64_t h = hello_digest(type, seq, body);
        if (d->has_last && d->last == h)
            return; /* retransmitted flight: already reported */
        d->has_last = 1;
        d->last = h;
    }
    if (sink && sink->handshake)
        sink->handshake(ctx, dir, type, body);
}

static int bit_get(const uint8_t *map, uint32_t i)
{
    return (map[i >> 3] >> (i & 7)) & 1;
}

/* A message's identity for remembering a refusal (never 0). */
static uint64_t fragment_id(const struct dtls_fragment *f)
{
    return 1ull << 63 | (uint64_t)f->type << 40 | (uint64_t)f->seq << 24 | f->len;
}

/* A buffer for the fragment's message, within the budget. A refusal is
 * counted once per message, however many of its fragments come. */
static struct dtls_reasm *reasm_new(struct dtls_dir *d, const struct dtls_fragment *f)
{
    uint64_t size = reasm_size(f->len);
    if (!tls_stream_budget_take(size)) {
        if (d->refused != fragment_id(f)) {
            d->refused = fragment_id(f);
            tls_stream_budget.refused++;
        }
        return NULL;
    }
    struct dtls_reasm *rs = calloc(1, size);
    if (!rs) {
        tls_stream_budget_release(size);
        return NULL;
    }
    rs->type = f->type;
    rs->seq = f->seq;
    rs->len = f->len;
    return rs;
}

/* Do bytes already held disagree with this fragment? Then it belongs to a
 * different message that reuses the same type, sequence and length (a
 * client that restarted its handshake), and the old bytes are stale. */
static int reasm_conflicts(const struct dtls_reasm *rs, const struct dtls_fragment *f)
{
    const uint8_t *map = rs->buf + rs->len;
    struct span d = f->data;
    uint8_t b;
    for (uint32_t i = f->off; span_u8(&d, &b); i++)
        if (bit_get(map, i) && rs->buf[i] != b)
            return 1;
    return 0;
}

static void reasm_copy(struct dtls_reasm *rs, const struct dtls_fragment *f)
{
    uint8_t *map = rs->buf + rs->len;
    struct span d = f->data;
    uint8_t b;
    for (uint32_t i = f->off; span_u8(&d, &b); i++) {
        if (!bit_get(map, i)) {
            map[i >> 3] |= (uint8_t)(1u << (i & 7));
            rs->buf[i] = b;
            rs->have++;
        }
    }
}

static int reasm_matches(const struct dtls_reasm *rs, const struct dtls_fragment *f)
{
    return rs->type == f->type && rs->seq == f->seq && rs->len == f->len;
}

/* A piece of a hello: add it to the direction's buffer; hand the hello on
 * when every byte is there. Overlaps and repeats are fine (section 4.2.3
 * allows any fragmentation, and retransmissions may cut differently). */
static void reasm_add(struct dtls_dir *d, int dir, const struct dtls_fragment *f,
                      const struct tls_stream_sink *sink, void *ctx)
{
    if (d->rs && (!reasm_matches(d->rs, f) || reasm_conflicts(d->rs, f)))
        reasm_drop(d); /* one hello at a time: the newer one wins */
    if (!d->rs && !(d->rs = reasm_new(d, f))) {
        dtls_stats.dropped_fragments++;
        return;
    }
    reasm_copy(d->rs, f);
    if (d->rs->have < d->rs->len)
        return;
    struct dtls_reasm *rs = d->rs;
    d->rs = NULL;
    dtls_stats.reassembled++;
    hand_on(d, dir, rs->type, rs->seq, span_make(rs->buf, rs->len), sink, ctx);
    reasm_free(rs);
}

static void on_fragment(struct dtls_state *ds, int dir, const struct dtls_fragment *f,
                        const struct tls_stream_sink *sink, void *ctx)
{
    struct dtls_dir *d = ds ? &ds->d[dir ? 1 : 0] : NULL;
    dtls_stats.handshake_fragments++;
    if (!is_hello(f->type))
        return; /* certificates and the rest are not needed: never buffered */
    /* Section 4.2.3: a fragment lies within its message. */
    if ((uint64_t)f->off + f->data.n > f->len || f->len > DTLS_MAX_MESSAGE) {
        dtls_stats.dropped_fragments++;
        return;
    }
    if (f->off == 0 && f->data.n == f->len) {
        /* Whole in one fragment (the usual case): parsed in place. */
        if (d && d->rs && reasm_matches(d->rs, f)) {
            reasm_free(d->rs);
            d->rs = NULL;
        }
        hand_on(d, dir, f->type, f->seq, f->data, sink, ctx);
        return;
    }
    if (f->data.n == 0)
        return; /* an empty piece adds nothing */
    if (!d) {
        dtls_stats.dropped_fragments++; /* no state to gather pieces in */
        return;
    }
    reasm_add(d, dir, f, sink, ctx);
}

/* Section 4.2.2: the 12-byte header, then fragment_length bytes. Returns
 * 0 when the header runs past the record, -1 when the fragment's bytes do
 * (a record cut by the snap length, or garbled). */
static int read_fragment(struct span *body, struct dtls_fragment *f)
{
    struct span t = *body;
    uint32_t frag_len;
    if (!span_u8(&t, &f->type) || !span_u24(&t, &f->len) || !span_u16(&t, &f->seq) ||
        !span_u24(&t, &f->off) || !span_u24(&t, &frag_len))
        return 0;
    if (!span_sub(&t, frag_len, &f->data))
        return -1;
    *body = t;
    return 1;
}

/* An epoch-0 handshake record: one or more fragments back to back.
 * Returns 0 when the record turns out malformed (the rest is skipped). */
static int walk_handshake(struct dtls_state *ds, int dir, struct span body,
                          const struct tls_stream_sink *sink, void *ctx)
{
    struct dtls_fragment f;
    while (body.n > 0) {
        int got = read_fragment(&body, &f);
        if (got <= 0) {
            if (got < 0 && is_hello(f.type))
                dtls_stats.dropped_fragments++;
            return 0;
        }
        on_fragment(ds, dir, &f, sink, ctx);
    }
    return 1;
}

/* The body of a plaintext (epoch 0) record. Returns 0 when malformed. */
static int walk_plaintext(struct dtls_state *ds, int dir, const struct dtls_record *r,
                          struct span body, const struct tls_stream_sink *sink, void *ctx)
{
    uint8_t level, desc;
    switch (r->type) {
    case TLS_CT_HANDSHAKE:
        return walk_handshake(ds, dir, body, sink, ctx);
    case TLS_CT_ALERT: /* level, description (RFC 5246 section 7.2) */
        if (!span_u8(&body, &level) || !span_u8(&body, &desc))
            return 0;
        if (sink && sink->alert)
            sink->alert(ctx, dir, level, desc);
        return 1;
    default:
        return 1;
    }
}

/* One classic record. Returns 0 when the walk of the datagram must stop. */
static int walk_record(struct dtls_state *ds, int dir, struct span *p,
                       const struct tls_stream_sink *sink, void *ctx)
{
    struct dtls_record r;
    struct span body;
    int whole, ok;

    if (!read_record_header(p, &r)) {
        dtls_stats.bad_records++;
        return 0;
    }
    dtls_stats.records++;
    if (r.type == DTLS_CT_TLS12_CID) {
        /* Connection id of negotiated length: take the rest of the datagram. */
        if (sink && sink->record)
            sink->record(ctx, dir, r.type, r.version, (uint16_t)(p->n > 0xffff ? 0xffff : p->n));
        span_skip(p, p->n);
        return 0;
    }
    if (sink && sink->record)
        sink->record(ctx, dir, r.type, r.version, r.length);
    /* A record longer than what is left was cut by the snap length (or is
     * not DTLS): what is there is still used, then the walk stops. */
    whole = span_sub(p, r.length, &body);
    if (!whole)
        span_sub(p, p->n, &body);
    ok = whole;
    /* Other epochs are encrypted (RFC 6347 4.1: the epoch changes with the
     * keys): nothing more to read. */
    if (r.epoch == 0 && !walk_plaintext(ds, dir, &r, body, sink, ctx))
        ok = 0;
    if (!ok)
        dtls_stats.bad_records++;
    return whole;
}

/* One unified-header record (RFC 9147 section 4): always encrypted, and its
 * content type is inside the ciphertext, so it is reported as application
 * data of DTLS 1.3. */
static int walk_unified(int dir, struct span *p, const struct tls_stream_sink *sink, void *ctx)
{
    uint16_t len;
    int known;
    if (!read_unified_header(p, &len, &known)) {
        dtls_stats.bad_records++;
        return 0;
    }
    dtls_stats.records++;
    if (sink && sink->record)
        sink->record(ctx, dir, TLS_CT_APPLICATION_DATA, DTLS_VERSION_1_3, len);
    if (!known)
        return 0; /* it took the rest of the datagram */
    if (!span_skip(p, len)) {
        dtls_stats.bad_records++;
        return 0;
    }
    return 1;
}

void dtls_datagram(struct dtls_state *ds, int dir, struct span payload,
                   const struct tls_stream_sink *sink, void *ctx)
{
    struct span p = payload;
    uint8_t b0;
    /* RFC 6347 section 4.1.1, RFC 9147 section 4.3: a datagram holds whole
     * records encoded consecutively, of either header form in DTLS 1.3. */
    while (span_peek_u8(&p, 0, &b0)) {
        int more =
            is_unified(b0) ? walk_unified(dir, &p, sink, ctx) : walk_record(ds, dir, &p, sink, ctx);
        if (!more)
            break;
    }
}
