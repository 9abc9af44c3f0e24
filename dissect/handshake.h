/* handshake.h: one TLS handshake as dissect/ hands it to report/. */
#ifndef TLSMON_HANDSHAKE_H
#define TLSMON_HANDSHAKE_H

#include <stdint.h>

#include "../capture/packet.h"
#include "tls.h"

/* How the TLS bytes were found (the log's tls.encapsulation). */
enum encapsulation {
    ENCAP_DIRECT = 0,
    ENCAP_STARTTLS,
    ENCAP_TURN_CHANNEL,
    ENCAP_TURN_INDICATION,
    ENCAP_RFC4571,
    ENCAP_QUIC,
    ENCAP_PSEUDO_TLS,
};

/* Why a handshake record was written. */
enum settle_reason {
    SETTLE_ESTABLISHED = 0, /* both sides moved past the handshake */
    SETTLE_ALERT,           /* a plaintext fatal alert */
    SETTLE_NEXT_HELLO,      /* a new ClientHello started another handshake */
    SETTLE_CLOSED,          /* FIN from both sides, or RST */
    SETTLE_IDLE,            /* the flow went idle */
    SETTLE_EVICTED,         /* the flow table was full */
    SETTLE_END_OF_INPUT,    /* the capture ended */
    SETTLE_GAVE_UP,         /* bytes lost or framing broken */
    SETTLE_PSEUDO_DONE,     /* a pseudo-TLS exchange finished (not TLS) */
};

/* Fixed fake handshakes that only look like TLS. */
enum pseudo_tls { PSEUDO_NONE = 0, PSEUDO_MS_TURN, PSEUDO_GOOGLE_SSLTCP };
const char *pseudo_tls_name(enum pseudo_tls p);

const char *settle_reason_name(enum settle_reason r);
const char *encapsulation_name(enum encapsulation e);

struct tls_handshake {
    uint64_t seq;  /* start order, from 1 */
    int64_t ts_us; /* capture time of the first hello */
    struct endpoint client, server;
    uint8_t transport; /* TRANSPORT_TCP / TRANSPORT_UDP */
    uint8_t has_vlan;
    uint16_t vlan;
    uint8_t encapsulation;
    uint8_t has_ch, has_sh;
    uint8_t saw_hrr;
    uint8_t saw_hvr; /* DTLS HelloVerifyRequest */
    uint8_t established;
    uint8_t alert_level, alert_desc; /* alert_level 0: no plaintext alert */
    uint8_t settle;                  /* enum settle_reason */
    const char *protocol;            /* network.protocol, static string */
    const char *application;         /* nDPI's application label, or NULL */
    uint32_t quic_version;           /* QUIC only */
    uint8_t pseudo;                  /* enum pseudo_tls */
    uint8_t has_turn_peer;
    struct endpoint turn_peer;  /* TURN: the relayed peer */
    struct tls_client_hello ch; /* the first ClientHello */
    struct tls_server_hello sh; /* the last ServerHello */
};

/* A mail/directory/file-transfer session that never reached TLS (the log's
 * tlsmon.plaintext record). */
struct plaintext_record {
    uint64_t seq;
    int64_t ts_us; /* first plaintext seen */
    struct endpoint client, server;
    uint8_t transport;
    uint8_t has_vlan;
    uint16_t vlan;
    uint8_t starttls_offered; /* 0 not seen, 1 no, 2 yes */
    uint8_t starttls_requested;
    uint8_t starttls_refused;
    const char *credentials; /* the command, never the secret; NULL: none seen */
    const char *protocol;
    const char *application;
};

/* Did the server resume the session (echoed session id, or accepted PSK)? */
int handshake_resumed(const struct tls_handshake *hs);

#endif
