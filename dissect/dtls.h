/* dtls.h: DTLS records in UDP datagrams, and the hellos they carry.
 *
 * A UDP flow's datagrams (or DTLS payloads found inside a carrier: a STUN
 * DATA attribute, TURN ChannelData) are walked record by record (RFC 6347
 * section 4.1; RFC 9147 section 4 for DTLS 1.3's unified header). Plaintext
 * handshake records of epoch 0 are cut into handshake fragments (RFC 6347
 * section 4.2.2); ClientHello, ServerHello and HelloVerifyRequest are put
 * back together across records and datagrams (section 4.2.3) and handed to
 * the same sink that TLS over TCP uses (dissect/tls_stream.h).
 *
 * Per-flow state is a few dozen bytes; a buffer is held only while a hello
 * is incomplete, it is bounded by DTLS_MAX_MESSAGE, and it is taken from
 * the global hello budget (tls_stream_budget): a hello that budget refuses
 * is skipped and counted in tls_stream_budget.refused. */
#ifndef TLSMON_DTLS_H
#define TLSMON_DTLS_H

#include <stdint.h>

#include "span.h"
#include "tls_stream.h"

/* Handshake type of a HelloVerifyRequest (RFC 6347 section 4.2.1). The
 * body is server_version(2) then cookie<0..255>. */
enum { DTLS_HS_HELLO_VERIFY_REQUEST = 3 };

/* Record versions seen on the wire (RFC 6347 section 4.1, RFC 9147
 * section 4). 0x0100 is OpenSSL's pre-RFC DTLS ("DTLS1_BAD_VER", still
 * spoken by old Cisco AnyConnect); its records and hellos are laid out as
 * DTLS 1.0's. */
enum {
    DTLS_VERSION_BAD = 0x0100,
    DTLS_VERSION_1_0 = 0xfeff,
    DTLS_VERSION_1_2 = 0xfefd,
    DTLS_VERSION_1_3 = 0xfefc,
};

/* The largest hello reassembled; longer ones are dropped and counted. */
#define DTLS_MAX_MESSAGE TLS_STREAM_MAX_MESSAGE

/* What dtls_looks_like_record() found at the start of a payload. */
enum {
    DTLS_LOOKS_NOT = 0,
    DTLS_LOOKS_RECORD = 1,  /* a DTLSPlaintext/DTLSCiphertext header (RFC 6347 4.1) */
    DTLS_LOOKS_UNIFIED = 2, /* a DTLS 1.3 unified header (RFC 9147 4) */
};

struct dtls_state; /* per UDP flow, opaque */

/* NULL when out of memory. */
struct dtls_state *dtls_state_new(void);
void dtls_state_free(struct dtls_state *ds);

/* Does this payload start with a DTLS record? DTLS_LOOKS_RECORD: content
 * type 20..26, one of the versions above, a length within the DTLS limit
 * that fits in the payload. DTLS_LOOKS_UNIFIED: first byte 0b001xxxxx with
 * a consistent length; a weak signal by itself (one byte), best trusted
 * only on a flow already seen speaking DTLS. */
int dtls_looks_like_record(struct span payload);

/* One datagram of direction dir (0 or 1). Every record header goes to
 * sink->record (unified-header records as type 23, version 0xfefc); epoch 0
 * alerts to sink->alert; complete ClientHello (1), ServerHello (2) and
 * HelloVerifyRequest (3) bodies of epoch 0 to sink->handshake, once each
 * (an exact retransmission of the last hello of a direction is ignored).
 * The body span is valid only during the call. Callbacks may be NULL. ds
 * may be NULL: then only hellos whole in one record are reported. */
void dtls_datagram(struct dtls_state *ds, int dir, struct span payload,
                   const struct tls_stream_sink *sink, void *ctx);

/* Counters over all flows, shown in the summary. */
struct dtls_stats {
    uint64_t records;             /* record headers walked */
    uint64_t handshake_fragments; /* epoch-0 handshake fragments (any type) */
    uint64_t reassembled;         /* hellos put together from several fragments */
    uint64_t dropped_fragments;   /* inconsistent, oversize or cut hello fragments */
    uint64_t bad_records;         /* unparsable or cut record headers/bodies */
    uint64_t abandoned;           /* incomplete hellos given up (replaced, flow end) */
};
extern struct dtls_stats dtls_stats;

#endif
