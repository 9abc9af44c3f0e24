/* tls_stream.c: record framing (RFC 8446 section 5.1, RFC 5246 section 6.2)
 * and handshake message framing across records (RFC 8446 section 4). */
#include "tls_stream.h"

#include <stdlib.h>
#include <string.h>

#include "tls.h"

struct tls_stream_budget tls_stream_budget = {256ull << 20, 0, 0, 0};

int tls_stream_budget_take(uint64_t n)
{
    if (tls_stream_budget.held > tls_stream_budget.cap ||
        n > tls_stream_budget.cap - tls_stream_budget.held)
        return 0;
    tls_stream_budget.held += n;
    if (tls_stream_budget.held > tls_stream_budget.peak)
        tls_stream_budget.peak = tls_stream_budget.held;
    return 1;
}

void tls_stream_budget_release(uint64_t n)
{
    tls_stream_budget.held -= n;
}

/* Grow a stream's hello buffer to hold need bytes: as bytes arrive, never
 * to the length a message merely claims, and within the global budget. */
static int reserve(struct tls_stream *ts, uint32_t need)
{
    if (need <= ts->buf_cap)
        return 1;
    uint32_t cap = ts->buf_cap ? ts->buf_cap : 2048;
    while (cap < need)
        cap *= 2;
    if (cap > ts->hs_len && ts->hs_len >= need)
        cap = ts->hs_len;
    uint64_t more = cap - ts->buf_cap;
    if (!tls_stream_budget_take(more)) {
        tls_stream_budget.refused++;
        return 0;
    }
    uint8_t *nb = realloc(ts->buf, cap);
    if (!nb) {
        tls_stream_budget_release(more);
        tls_stream_budget.refused++;
        return 0;
    }
    ts->buf = nb;
    ts->buf_cap = cap;
    return 1;
}

static int is_hello(uint8_t type)
{
    return type == TLS_HS_CLIENT_HELLO || type == TLS_HS_SERVER_HELLO;
}

/* Start a handshake message: decide whether to keep it. */
static void hs_begin(struct tls_stream *ts)
{
    ts->hs_len = ((uint32_t)ts->hs_hdr[1] << 16) | ((uint32_t)ts->hs_hdr[2] << 8) | ts->hs_hdr[3];
    ts->hs_have = 0;
    ts->hs_keep = is_hello(ts->hs_hdr[0]);
    if (ts->hs_keep && ts->hs_len > TLS_STREAM_MAX_MESSAGE) {
        ts->hs_keep = 0;
        ts->oversize++;
    }
}

static void hs_finish(struct tls_stream *ts, int dir, struct span body,
                      const struct tls_stream_sink *sink, void *ctx)
{
    if (ts->hs_keep)
        sink->handshake(ctx, dir, ts->hs_hdr[0], body);
    ts->hs_hdr_have = 0;
    ts->hs_keep = 0;
}

/* Handshake-record body bytes: walk the messages they carry. */
static void feed_handshake_bytes(struct tls_stream *ts, int dir, struct span data,
                                 const struct tls_stream_sink *sink, void *ctx)
{
    while (data.n > 0) {
        if (ts->hs_hdr_have < 4) {
            uint8_t b;
            span_u8(&data, &b);
            ts->hs_hdr[ts->hs_hdr_have++] = b;
            if (ts->hs_hdr_have == 4) {
                hs_begin(ts);
                if (ts->hs_len == 0)
                    hs_finish(ts, dir, span_make(NULL, 0), sink, ctx);
            }
            continue;
        }
        uint32_t want = ts->hs_len - ts->hs_have;
        size_t take = data.n < want ? data.n : want;
        struct span piece;
        span_sub(&data, take, &piece);
        if (ts->hs_keep && ts->hs_have == 0 && take == want) {
            /* Whole message in this piece: parse in place, no copy. */
            ts->hs_have = ts->hs_len;
            hs_finish(ts, dir, piece, sink, ctx);
            continue;
        }
        if (ts->hs_keep && !reserve(ts, ts->hs_have + (uint32_t)take))
            ts->hs_keep = 0; /* over the budget: this hello is skipped */
        if (ts->hs_keep)
            memcpy(ts->buf + ts->hs_have, piece.p, take);
        ts->hs_have += (uint32_t)take;
        if (ts->hs_have == ts->hs_len)
            hs_finish(ts, dir, span_make(ts->buf, ts->hs_len), sink, ctx);
    }
}

static void feed_record_body(struct tls_stream *ts, int dir, struct span piece,
                             const struct tls_stream_sink *sink, void *ctx)
{
    switch (ts->rec_type) {
    case TLS_CT_HANDSHAKE:
        if (!ts->encrypted)
            feed_handshake_bytes(ts, dir, piece, sink, ctx);
        break;
    case TLS_CT_ALERT:
        /* Only a plaintext alert's first two bytes mean anything. */
        while (!ts->encrypted && ts->alert_have < 2 && piece.n > 0) {
            span_u8(&piece, &ts->alert[ts->alert_have++]);
            if (ts->alert_have == 2)
                sink->alert(ctx, dir, ts->alert[0], ts->alert[1]);
        }
        break;
    default:
        break;
    }
}

static void begin_record(struct tls_stream *ts, int dir, const struct tls_stream_sink *sink,
                         void *ctx)
{
    if (!tls_looks_like_record(span_make(ts->hdr, 5))) {
        ts->state = ts->state == TLS_STREAM_START ? TLS_STREAM_NOT_TLS : TLS_STREAM_BROKEN;
        return;
    }
    ts->state = TLS_STREAM_RECORDS;
    ts->rec_type = ts->hdr[0];
    ts->rec_version = (uint16_t)((ts->hdr[1] << 8) | ts->hdr[2]);
    ts->rec_left = (uint32_t)((ts->hdr[3] << 8) | ts->hdr[4]);
    ts->alert_have = 0;
    /* A handshake message split over records continues across a record of
     * another type only in broken streams; restart message framing then. */
    if (ts->rec_type != TLS_CT_HANDSHAKE) {
        ts->hs_hdr_have = 0;
        ts->hs_keep = 0;
    }
    sink->record(ctx, dir, ts->rec_type, ts->rec_version, (uint16_t)ts->rec_left);
}

/* SSLv2-format hello (RFC 6101 appendix E.2): the 2-byte header and the
 * first 3 message bytes are in hdr[]; the message is gathered whole. */
static void start_sslv2(struct tls_stream *ts, size_t len)
{
    ts->hs_len = (uint32_t)len; /* at most 0x7fff by its 15-bit length */
    if (!reserve(ts, (uint32_t)len)) {
        ts->state = TLS_STREAM_BROKEN;
        return;
    }
    memcpy(ts->buf, ts->hdr + 2, 3);
    ts->hs_have = 3;
    ts->hdr_have = 0;
    ts->state = TLS_STREAM_SSLV2;
}

static void feed_sslv2(struct tls_stream *ts, int dir, struct span *data,
                       const struct tls_stream_sink *sink, void *ctx)
{
    size_t want = ts->hs_len - ts->hs_have;
    size_t take = data->n < want ? data->n : want;
    struct span piece;
    span_sub(data, take, &piece);
    memcpy(ts->buf + ts->hs_have, piece.p, take);
    ts->hs_have += (uint32_t)take;
    if (ts->hs_have == ts->hs_len) {
        /* A client goes on in the record layer the server answers in (the
         * session says when that is SSL 2.0); a server that answered in
         * SSL 2.0 goes on in it. */
        ts->state =
            ts->buf[0] == TLS_SSLV2_SERVER_HELLO ? TLS_STREAM_SSLV2_RECORDS : TLS_STREAM_RECORDS;
        ts->rec_left = 0;
        sink->sslv2_hello(ctx, dir, span_make(ts->buf, ts->hs_len));
    }
}

void tls_stream_set_sslv2_records(struct tls_stream *ts)
{
    if (ts->state == TLS_STREAM_RECORDS && ts->rec_left == 0 && ts->hdr_have == 0)
        ts->state = TLS_STREAM_SSLV2_RECORDS;
}

/* SSL 2.0 records: a 2-byte header with the top bit set, else a 3-byte one
 * (with a padding count); only their lengths are reported. */
static void feed_sslv2_records(struct tls_stream *ts, int dir, struct span *data,
                               const struct tls_stream_sink *sink, void *ctx)
{
    if (ts->rec_left == 0) {
        span_u8(data, &ts->hdr[ts->hdr_have++]);
        if (ts->hdr_have < ((ts->hdr[0] & 0x80) ? 2 : 3))
            return;
        uint8_t mask = (ts->hdr[0] & 0x80) ? 0x7f : 0x3f;
        ts->rec_left = (uint32_t)(ts->hdr[0] & mask) << 8 | ts->hdr[1];
        ts->hdr_have = 0;
        sink->record(ctx, dir, TLS_CT_SSLV2, 0x0002, (uint16_t)ts->rec_left);
        return;
    }
    size_t take = data->n < ts->rec_left ? data->n : ts->rec_left;
    span_skip(data, take);
    ts->rec_left -= (uint32_t)take;
}

void tls_stream_feed(struct tls_stream *ts, int dir, struct span data,
                     const struct tls_stream_sink *sink, void *ctx)
{
    while (data.n > 0) {
        if (ts->state == TLS_STREAM_SSLV2) {
            feed_sslv2(ts, dir, &data, sink, ctx);
            continue;
        }
        if (ts->state == TLS_STREAM_SSLV2_RECORDS) {
            feed_sslv2_records(ts, dir, &data, sink, ctx);
            continue;
        }
        if (ts->state != TLS_STREAM_START && ts->state != TLS_STREAM_RECORDS)
            return;
        if (ts->rec_left == 0 && ts->hdr_have == 0 && ts->state == TLS_STREAM_RECORDS &&
            data.n >= 5) {
            /* A whole record header in hand (the usual case past the first
             * record): taken at once, not byte by byte. */
            struct span h;
            span_sub(&data, 5, &h);
            memcpy(ts->hdr, h.p, 5);
            begin_record(ts, dir, sink, ctx);
            continue;
        }
        if (ts->rec_left == 0 && ts->hdr_have < 5) {
            uint8_t b;
            span_u8(&data, &b);
            ts->hdr[ts->hdr_have++] = b;
            if (ts->state == TLS_STREAM_START && (ts->hdr[0] & 0x80)) {
                /* An SSLv2-format hello: decide once its 5 bytes are in. */
                if (ts->hdr_have < 5)
                    continue;
                size_t len = tls_sslv2_hello_record_len(span_make(ts->hdr, 5));
                if (!len) {
                    ts->state = TLS_STREAM_NOT_TLS;
                    return;
                }
                start_sslv2(ts, len);
                continue;
            }
            /* Reject non-TLS as early as the first bytes allow. */
            if (ts->state == TLS_STREAM_START && ts->hdr_have == 3 &&
                !tls_looks_like_record(span_make(ts->hdr, 3))) {
                ts->state = TLS_STREAM_NOT_TLS;
                return;
            }
            if (ts->hdr_have == 5) {
                begin_record(ts, dir, sink, ctx);
                ts->hdr_have = 0;
            }
            continue;
        }
        size_t take = data.n < ts->rec_left ? data.n : ts->rec_left;
        struct span piece;
        span_sub(&data, take, &piece);
        ts->rec_left -= (uint32_t)take;
        feed_record_body(ts, dir, piece, sink, ctx);
    }
}

void tls_stream_feed_handshake(struct tls_stream *ts, int dir, struct span data,
                               const struct tls_stream_sink *sink, void *ctx)
{
    feed_handshake_bytes(ts, dir, data, sink, ctx);
}

void tls_stream_free(struct tls_stream *ts)
{
    tls_stream_budget.held -= ts->buf_cap;
    free(ts->buf);
    ts->buf = NULL;
    ts->buf_cap = 0;
}
