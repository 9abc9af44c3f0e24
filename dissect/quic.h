/* quic.h: TLS hellos from QUIC Initial packets (RFC 9000, RFC 9001, RFC 9369).
 *
 * A passive observer can remove Initial packet protection: the keys derive
 * from the client's first Destination Connection ID and a published,
 * per-version salt (RFC 9001 section 5.2). The CRYPTO frames of the
 * decrypted Initials carry the ClientHello and ServerHello; this module puts
 * each direction's CRYPTO stream back in offset order and hands it to a
 * struct tls_stream, so hellos reach the same sink as for TCP.
 *
 * Bounded: per flow one struct quic_state (two tls_streams, and a CRYPTO
 * reassembly buffer per direction allocated only when fragments arrive out
 * of order, at most QUIC_CRYPTO_MAX bytes, taken from the global hello
 * budget tls_stream_budget; a stream it refuses is counted there once and
 * its out-of-order bytes dropped). Nothing is allocated per packet.
 * Not thread-safe: decryption uses module-wide scratch space and contexts,
 * as the counters below are module-wide. */
#ifndef TLSMON_QUIC_H
#define TLSMON_QUIC_H

#include <stdint.h>

#include "span.h"
#include "tls_stream.h"

/* The CRYPTO stream offsets kept per direction at Initial level. A
 * ClientHello (even with ECH and post-quantum key shares) is a few KB. */
#define QUIC_CRYPTO_MAX 65536

struct quic_state; /* per UDP flow, opaque */

struct quic_state *quic_state_new(void);
void quic_state_free(struct quic_state *qs);

/* Could this UDP payload be a QUIC long-header packet of a version this
 * module decrypts, or a Version Negotiation packet? A cheap check of the
 * first bytes, for choosing the dissector. */
int quic_looks_like_long_header(struct span udp_payload);

/* One UDP datagram sent in direction dir (the caller's numbering, 0 or 1;
 * handed back to the sink unchanged). Every complete ClientHello and
 * ServerHello found in the Initial packets' CRYPTO frames goes to
 * sink->handshake(ctx, dir, type, body), as dissect/tls_stream.h does. */
void quic_datagram(struct quic_state *qs, int dir, struct span udp_payload, int64_t now_us,
                   const struct tls_stream_sink *sink, void *ctx);

/* The version of the flow's latest long-header packet (0 until one is seen;
 * Version Negotiation packets do not change it). */
uint32_t quic_state_version(const struct quic_state *qs);

/* "1", "2", "draft-29", "mvfst-27", "T051", ... for the log; NULL for
 * versions without a name here (including the reserved 0x?a?a?a?a values
 * that force version negotiation). */
const char *quic_version_name(uint32_t version);

/* Have short-header (1-RTT) packets been seen from direction dir? Only
 * counted once the flow has shown a long header. */
int quic_short_header_seen(const struct quic_state *qs, int dir);

/* Initial packet protection keys (RFC 9001 section 5.2) for the client
 * (server = 0) or the server (server = 1), from the client's first
 * Destination Connection ID. Returns 0 for versions without known keys.
 * Public for the RFC 9001 / RFC 9369 Appendix A tests. */
struct quic_initial_keys {
    uint8_t key[16]; /* AEAD_AES_128_GCM */
    uint8_t iv[12];
    uint8_t hp[16]; /* AES-128 header protection */
};
int quic_initial_keys(uint32_t version, struct span dcid, int server,
                      struct quic_initial_keys *out);

struct quic_stats {
    uint64_t initials;             /* Initial packets parsed */
    uint64_t decrypted;            /* ... whose protection was removed */
    uint64_t decrypt_failed;       /* ... that did not authenticate, or were cut */
    uint64_t unknown_version;      /* long headers of versions without keys */
    uint64_t version_negotiation;  /* Version Negotiation packets */
    uint64_t retry;                /* Retry packets */
    uint64_t coalesced;            /* packets after the first in a datagram */
    uint64_t crypto_bytes_dropped; /* CRYPTO bytes past QUIC_CRYPTO_MAX */
};
extern struct quic_stats quic_stats;

#endif
