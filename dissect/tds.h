/* tds.h: TLS inside Microsoft SQL Server's TDS (MS-TDS, versions 7.x).
 *
 * A TDS 7 client opens with a PRELOGIN packet (type 0x12) whose ENCRYPTION
 * option asks for TLS; the server answers with its own PRELOGIN (type 0x04)
 * and then the TLS handshake runs with each side's records in the payload
 * of PRELOGIN packets (MS-TDS 2.2.6.5, 3.2.5.2): an 8-byte TDS header in
 * front of each packet, and a record may span packets. Once the handshake
 * is over the records go unwrapped (all traffic, or only the LOGIN7 message
 * when the server agreed to encrypt the login alone). TDS 8 (SQL Server
 * 2022's strict encryption) starts with TLS and needs none of this.
 *
 * The deframer strips the headers and hands on the TLS bytes. Zero-copy:
 * it keeps only the bytes of a header cut by a segment boundary. */
#ifndef TLSMON_TDS_H
#define TLSMON_TDS_H

#include <stdint.h>

#include "span.h"

enum { TDS_HEADER_LEN = 8 };

/* A client's first bytes are a TDS 7 PRELOGIN packet. */
int tds_looks_like_prelogin(struct span data);

enum tds_state {
    TDS_FRAMED = 0, /* TDS packets, the handshake inside */
    TDS_RAW,        /* the handshake is over: TLS records without TDS headers */
    TDS_NOT_TLS,    /* neither: plain TDS again (login-only encryption), or no TDS */
};

struct tds_deframer {
    uint8_t hdr[TDS_HEADER_LEN];
    uint8_t hdr_have;
    uint8_t state;       /* enum tds_state */
    uint8_t tls_started; /* a packet's payload began with a TLS record */
    uint8_t in_tls;      /* the current packet's payload is TLS */
    uint8_t fresh;       /* nothing of the current packet's payload read yet */
    uint16_t left;       /* payload bytes of the current packet not yet read */
};

/* Strip the TDS framing from the next bytes of one direction: tls(ctx, ...)
 * gets every run of TLS bytes, in order. From TDS_RAW on, the bytes are
 * handed on whole; at TDS_NOT_TLS nothing more is. */
void tds_feed(struct tds_deframer *d, struct span data, void (*tls)(void *ctx, struct span piece),
              void *ctx);

#endif
