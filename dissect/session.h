/* session.h: the TLS handshake tracker of one TCP connection.
 *
 * It receives each direction's in-order bytes, finds the TLS records and
 * hellos in them, and hands each handshake to the sink twice: when it begins
 * (the first hello) and when it settles (established, failed, closed, ...).
 * After the handshake the session is finished and the flow costs nothing
 * more. */
#ifndef TLSMON_SESSION_H
#define TLSMON_SESSION_H

#include <stdint.h>

#include "../capture/packet.h"
#include "handshake.h"
#include "plaintext.h"
#include "span.h"
#include "tds.h"
#include "tls_stream.h"

struct dissect_sink {
    void (*begin)(void *ctx, struct tls_handshake *hs);
    /* The handshake is final; the sink must not keep the pointer. */
    void (*settle)(void *ctx, struct tls_handshake *hs, void *flow_ctx);
    /* A reportable session ended without TLS. */
    void (*plaintext)(void *ctx, struct plaintext_record *pr, void *flow_ctx);
    void *ctx;
};

/* Counters over all sessions, shown in the summary. */
struct session_stats {
    uint64_t client_hellos, server_hellos, sslv2_hellos;
    uint64_t unparsable_hellos; /* malformed ClientHello/ServerHello bodies */
    uint64_t oversize_hellos;   /* longer than TLS_STREAM_MAX_MESSAGE */
    uint64_t handshakes;
    uint64_t records_by_version[6]; /* SSL 3.0, TLS 1.0, 1.1, 1.2, 1.3, other */
    uint64_t not_tls_flows;         /* inspected, no TLS found */
    uint64_t starttls_upgrades;     /* plaintext upgrades accepted */
    uint64_t starttls_refused;      /* refused by the server */
    uint64_t plaintext_sessions;    /* reportable sessions that stayed plaintext */
    uint64_t pseudo_tls;            /* MS-TURN / Google SSL-TCP fake handshakes */
    uint64_t turn_frames_dropped;   /* TCP-framed STUN/TURN frames over the bound */
};
extern struct session_stats session_stats;

enum {
    SESSION_MODE_UNDECIDED = 0,
    SESSION_MODE_TLS,
    SESSION_MODE_PLAIN,
    SESSION_MODE_STUN_TCP, /* STUN/ChannelData framed on TCP */
    SESSION_MODE_RFC4571,  /* 2-byte length framing */
    SESSION_MODE_TDS,      /* Microsoft SQL Server's TDS, the handshake in PRELOGIN packets */
};

struct turn_state;

/* What carries the handshake. */
enum { CARRIER_TCP = 0, CARRIER_DTLS, CARRIER_QUIC };

struct dtls_state;
struct quic_state;

struct tls_session {
    struct endpoint ep[2]; /* ep[d]: the sender of direction d */
    uint8_t transport;
    uint8_t has_vlan;
    uint16_t vlan;
    uint8_t finished;    /* nothing more to learn from this connection */
    uint8_t client_dir;  /* of the open handshake */
    uint8_t moved_on[2]; /* CCS or encrypted record since the last ServerHello */
    /* TLS 1.3 over a stream, both sides moved on: the server's answer to
     * the client's Finished is awaited (session.c, settle_if_established). */
    uint8_t await_server;
    uint8_t client_encrypted;     /* the client sent an encrypted record since the ServerHello */
    uint8_t server_alert_sized;   /* its record since is the size of an alert */
    uint8_t client_closed;        /* the client closed first (close_notify or FIN) */
    uint8_t client_broken;        /* the client's bytes since are not TLS */
    uint8_t sslv2_client_records; /* SSLv2 records from the client since an SSL 2.0 ServerHello */
    uint8_t fin[2];
    uint8_t mode[2];    /* SESSION_MODE_* per direction */
    uint8_t plain_seen; /* plaintext came before TLS */
    uint8_t initiator;  /* direction that sent the SYN, 0xff unknown */
    uint8_t tls_seen;   /* bytes went to the TLS parser */
    uint8_t server_hello_seen;
    uint8_t plaintext_done, refusal_counted;
    int64_t plain_ts_us;  /* first plaintext byte */
    struct plaintext *pt; /* the plaintext phase, or NULL */
    uint8_t carrier;      /* CARRIER_* */
    struct dtls_state *dtls;
    struct quic_state *quic;
    struct turn_state *turn; /* TURN bindings and TCP frame buffers */
    uint8_t cur_encap;       /* encapsulation of the bytes being parsed */
    uint8_t in_dtls;         /* the bytes being parsed are DTLS */
    uint8_t data_connection; /* RFC 6062: ConnectionBind succeeded, raw bytes follow */
    uint8_t cur_has_peer;
    struct endpoint cur_peer;
    uint32_t segments; /* data segments inspected */
    int64_t now_us;
    void *flow_ctx;           /* handed back to the sink on settle */
    struct tls_handshake *hs; /* the open handshake, or NULL */
    struct tls_stream st[2];
    struct tds_deframer tds[2]; /* in SESSION_MODE_TDS */
    const struct dissect_sink *sink;
};

void session_init(struct tls_session *s, const struct endpoint *ep0, const struct endpoint *ep1,
                  uint8_t transport, const struct dissect_sink *sink, void *flow_ctx);

/* In-order bytes of direction dir, captured at now_us. */
void session_data(struct tls_session *s, int dir, struct span data, int64_t now_us);

/* Which UDP carrier does a datagram start (CARRIER_DTLS, CARRIER_QUIC), or
 * -1 for none. */
int session_datagram_carrier(struct span payload);

/* Use the UDP carrier for this session (before its first datagram). */
int session_set_carrier(struct tls_session *s, int carrier);

/* One UDP datagram of direction dir. */
void session_datagram(struct tls_session *s, int dir, struct span payload, int64_t now_us);

/* Could direction dir's stream begin with these bytes? */
int session_is_stream_start(struct span data);

/* The connection was reset, or this direction sent FIN. */
void session_fin(struct tls_session *s, int dir, int64_t now_us);
void session_reset(struct tls_session *s, int64_t now_us);

/* Settle whatever is open (flow ends) and release memory. */
void session_end(struct tls_session *s, enum settle_reason why);

/* Free the handshake records kept for reuse (at exit; harmless any time). */
void session_pool_free(void);

#endif
