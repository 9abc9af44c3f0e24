/* tls_stream.h: one direction of a TLS byte stream, cut into records and
 * handshake messages.
 *
 * Bytes arrive in order but in arbitrary pieces (TCP segments). Whole
 * handshake messages that sit inside one piece are handed on in place; a
 * message split over records or pieces is gathered in a per-direction buffer
 * that is bounded (TLS_STREAM_MAX_MESSAGE). Messages other than the hellos are
 * skipped without being buffered. */
#ifndef TLSMON_TLS_STREAM_H
#define TLSMON_TLS_STREAM_H

#include <stdint.h>

#include "span.h"

/* The largest hello kept (ECH and post-quantum hellos are a few KB). */
#define TLS_STREAM_MAX_MESSAGE 65536

struct tls_stream_sink {
    /* A whole ClientHello/ServerHello (type, body after the 4-byte header). */
    void (*handshake)(void *ctx, int dir, uint8_t type, struct span body);
    /* An SSLv2-format ClientHello, or an SSL 2.0 SERVER-HELLO (msg from
     * msg_type on). */
    void (*sslv2_hello)(void *ctx, int dir, struct span msg);
    /* Every record header (content type, record version, length); after
     * an SSL 2.0 SERVER-HELLO, SSLv2 records as type TLS_CT_SSLV2,
     * version 0x0002. */
    void (*record)(void *ctx, int dir, uint8_t type, uint16_t version, uint16_t len);
    /* The first two bytes of a plaintext alert (level, description). */
    void (*alert)(void *ctx, int dir, uint8_t level, uint8_t desc);
};

enum tls_stream_state {
    TLS_STREAM_START = 0,     /* nothing seen yet */
    TLS_STREAM_RECORDS,       /* inside the record layer */
    TLS_STREAM_SSLV2,         /* inside an SSLv2-format hello record */
    TLS_STREAM_SSLV2_RECORDS, /* SSL 2.0 spoken: SSLv2 records from here on */
    TLS_STREAM_NOT_TLS,       /* the first bytes were not TLS */
    TLS_STREAM_BROKEN,        /* lost framing (bad header, oversize message) */
};

struct tls_stream {
    uint8_t state;
    uint8_t hdr_have;    /* bytes of the 5-byte record header gathered */
    uint8_t hs_hdr_have; /* bytes of the 4-byte handshake header gathered */
    uint8_t hs_keep;     /* the current handshake message is a hello we keep */
    uint8_t encrypted;   /* handshake records are no longer plaintext */
    uint8_t rec_type;
    uint8_t alert_have;
    uint8_t hdr[5];
    uint8_t hs_hdr[4];
    uint8_t alert[2];
    uint16_t rec_version;
    uint32_t rec_left; /* bytes of the current record body still to come */
    uint32_t hs_len;   /* body length of the current handshake message */
    uint32_t hs_have;  /* body bytes of it seen so far */
    uint8_t *buf;      /* gathered hello body (malloc'd, <= MAX_MESSAGE) */
    uint32_t buf_cap;
    uint32_t oversize; /* hellos longer than the bound (counted, skipped) */
};

/* Feed in-order bytes of one direction. */
void tls_stream_feed(struct tls_stream *ts, int dir, struct span data,
                     const struct tls_stream_sink *sink, void *ctx);

/* Feed in-order handshake-message bytes that carry no record layer (QUIC
 * CRYPTO frames, reassembled DTLS handshake messages with a TLS-style 4-byte
 * header). Hellos are handed to sink->handshake as with tls_stream_feed. */
void tls_stream_feed_handshake(struct tls_stream *ts, int dir, struct span data,
                               const struct tls_stream_sink *sink, void *ctx);

/* Handshake records from here on are encrypted (after ChangeCipherSpec in
 * TLS <= 1.2; after the ServerHello for a TLS 1.3 server). */
static inline void tls_stream_set_encrypted(struct tls_stream *ts)
{
    ts->encrypted = 1;
}

/* The peer answered in SSL 2.0: this direction's records are SSLv2 records
 * from here on (if it is between records). */
void tls_stream_set_sslv2_records(struct tls_stream *ts);

/* Is the stream part-way through a hello: its record header, a handshake
 * record's message header, a kept hello's body, or an SSLv2 hello? (A
 * client that cuts its hello into byte-sized segments, as some do to slip
 * past DPI, is followed to the end of it.) */
static inline int tls_stream_in_hello(const struct tls_stream *ts)
{
    if (ts->state == TLS_STREAM_SSLV2)
        return 1;
    if (ts->state != TLS_STREAM_START && ts->state != TLS_STREAM_RECORDS)
        return 0;
    return ts->hdr_have > 0 || ts->hs_keep ||
           (ts->rec_type == 22 && ts->rec_left > 0 && ts->hs_hdr_have < 4); /* handshake */
}

void tls_stream_free(struct tls_stream *ts);

/* Bytes held in hello buffers over all streams, DTLS fragment reassembly
 * and QUIC CRYPTO buffers (--max-reassembly-mb). A hello that would exceed
 * the cap is skipped and counted in refused. */
struct tls_stream_budget {
    uint64_t cap, held, peak, refused;
};
extern struct tls_stream_budget tls_stream_budget;

/* Take n bytes from the budget before allocating them: 1, or 0 (nothing
 * taken) when that would pass the cap. A refusal is not counted here: the
 * caller counts each skipped hello once in refused. */
int tls_stream_budget_take(uint64_t n);

/* Give back n bytes taken before, when their buffer is freed. */
void tls_stream_budget_release(uint64_t n);

#endif
