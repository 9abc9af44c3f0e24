/* classify.h: the application protocol of a flow, from nDPI, asked only on
 * the flow's first packets.
 *
 * nDPI names the application (IMAP, POP3, Teams, ...); tlsmon never takes
 * TLS versions or ciphers from it. Its per-flow state (~700 bytes) is freed
 * as soon as the flow is classified or the packet budget is spent. */
#ifndef TLSMON_CLASSIFY_H
#define TLSMON_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

#include "../capture/packet.h"
#include "handshake.h"

/* Packets of a flow nDPI may see before tlsmon stops asking. */
#define CLASSIFY_MAX_PACKETS 16

struct classifier;
struct ndpi_flow_struct;

struct classify_state {
    struct ndpi_flow_struct *nf; /* NULL when done */
    uint16_t master, app;        /* nDPI protocol ids, 0 unknown */
    uint8_t packets;
    uint8_t done;
    uint8_t by_host; /* not dissected by nDPI: named from its host tables */
};

struct classify_stats {
    uint64_t flows, classified, alloc_failed;
    uint64_t http_by_tlsmon; /* plain HTTP requests: named without nDPI */
};
extern struct classify_stats classify_stats;

struct classifier *classifier_new(char *err, size_t errlen);
void classifier_free(struct classifier *c);

/* Hand one packet (IP header on) of an unfinished flow to nDPI. A flow that
 * opens with a plain HTTP/1.x request (not CONNECT) is not: it is named like
 * a skipped flow (classify_skip) should TLS ever follow. */
void classify_packet(struct classifier *c, struct classify_state *cs, const struct packet_view *pv);

/* Stop classifying and free nDPI's flow state. */
void classify_release(struct classifier *c, struct classify_state *cs);

/* tlsmon dissects this flow itself (direct TLS, QUIC, a plaintext protocol
 * its STARTTLS machines know): nDPI's full dissection is skipped; the
 * application is named at settle time from nDPI's host table (SNI) and
 * address table. */
void classify_skip(struct classifier *c, struct classify_state *cs);

/* network.protocol (lowercase; "unknown" when not known) and nDPI's
 * application label (lowercase, or NULL) for a handshake on this flow, or
 * (hs NULL) for a plaintext record of the flow whose server is server. */
void classify_names(struct classifier *c, const struct classify_state *cs,
                    const struct tls_handshake *hs, const struct endpoint *server,
                    const char **protocol, const char **application);

const char *classify_ndpi_version(void);

#endif
