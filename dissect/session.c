/* session.c: hellos grouped into handshakes, and when a handshake settles.
 *
 * Grouping (one connection can carry several handshakes):
 * - a ClientHello with the random of the open one is a retransmission;
 * - a ClientHello after a HelloRetryRequest belongs to the same handshake;
 * - any other ClientHello settles the open handshake and starts a new one;
 * - a ServerHello with no open handshake starts a one-sided one whose client
 *   is the ServerHello's receiver; the last ServerHello wins.
 * Client fields come from the first ClientHello. */
#include "session.h"

#include <stdlib.h>
#include <string.h>

#include "dtls.h"
#include "quic.h"
#include "stun.h"

/* Give up on a connection whose first data segments carry no hello; a
 * recognised plaintext protocol is followed longer, to its upgrade or its
 * login. */
#define MAX_SEGMENTS_WITHOUT_HELLO 24
#define MAX_SEGMENTS_IN_HELLO 4096 /* a 4 KiB hello in 1-byte segments */
#define MAX_PLAINTEXT_SEGMENTS 96
#define MAX_DATAGRAMS_WITHOUT_HELLO 64
/* The smallest TLS 1.3 record that can hold a client's Finished: header,
 * 32-byte MAC, inner type and the 8-byte tag of the CCM_8 suites. */
#define TLS13_FINISHED_RECORD_MIN (4 + 32 + 1 + 8)
/* A TLS 1.3 record holding an alert: its two bytes, the inner type and the
 * AEAD tag (8 bytes in TLS_AES_128_CCM_8_SHA256, 16 in the others). */
#define TLS13_ALERT_RECORD(cipher) (2 + 1 + ((cipher) == 0x1305 ? 8 : 16))

struct session_stats session_stats;
static uint64_t next_handshake_seq = 1;

static const char *const settle_names[] = {
    "established", "alert",        "next-hello", "closed",     "idle",
    "evicted",     "end-of-input", "gave-up",    "pseudo-tls",
};

const char *pseudo_tls_name(enum pseudo_tls p)
{
    return p == PSEUDO_MS_TURN ? "ms-turn" : p == PSEUDO_GOOGLE_SSLTCP ? "google-ssltcp" : NULL;
}

/* TURN channel bindings seen on a flow, and the frame buffers of TCP-framed
 * STUN/TURN or RFC 4571 (bounded: a frame is at most 4 + 65535 bytes). */
#define TURN_MAX_BINDINGS 8
#define TURN_FRAME_MAX (65535 + 8)

struct turn_state {
    uint16_t channel[TURN_MAX_BINDINGS];
    struct endpoint peer[TURN_MAX_BINDINGS];
    unsigned nbind;
    uint8_t *buf[2];
    uint32_t len[2];
};

const char *settle_reason_name(enum settle_reason r)
{
    return (unsigned)r < sizeof(settle_names) / sizeof(*settle_names) ? settle_names[r] : "?";
}

static const char *const encap_names[] = {
    "direct", "starttls", "turn-channel", "turn-indication", "rfc4571", "quic", "pseudo-tls",
};

const char *encapsulation_name(enum encapsulation e)
{
    return (unsigned)e < sizeof(encap_names) / sizeof(*encap_names) ? encap_names[e] : "?";
}

int handshake_resumed(const struct tls_handshake *hs)
{
    if (!hs->has_sh || hs->sh.is_hrr)
        return 0;
    if (hs->sh.sslv2_format)
        return hs->sh.sslv2_session_id_hit;
    if (tls_version_is_13(tls_server_version(&hs->sh)) || hs->sh.selected_version)
        return hs->sh.has_psk;
    return hs->has_ch && hs->ch.session_id_len > 0 &&
           hs->ch.session_id_len == hs->sh.session_id_len &&
           memcmp(hs->ch.session_id, hs->sh.session_id, hs->ch.session_id_len) == 0;
}

void session_init(struct tls_session *s, const struct endpoint *ep0, const struct endpoint *ep1,
                  uint8_t transport, const struct dissect_sink *sink, void *flow_ctx)
{
    memset(s, 0, sizeof(*s));
    s->ep[0] = *ep0;
    s->ep[1] = *ep1;
    s->transport = transport;
    s->sink = sink;
    s->flow_ctx = flow_ctx;
    s->initiator = 0xff;
}

/* Settled handshake records (~3.4 KiB each) are kept for reuse, a few: one
 * is made and settled per handshake, and calloc's search and clearing of a
 * block that size was a visible part of a handshake's cost. */
#define HANDSHAKE_POOL 32
static struct tls_handshake *handshake_pool[HANDSHAKE_POOL];
static unsigned handshake_pool_n;

static struct tls_handshake *handshake_alloc(void)
{
    if (handshake_pool_n == 0)
        return calloc(1, sizeof(struct tls_handshake));
    struct tls_handshake *hs = handshake_pool[--handshake_pool_n];
    memset(hs, 0, sizeof(*hs));
    return hs;
}

static void handshake_release(struct tls_handshake *hs)
{
    if (handshake_pool_n < HANDSHAKE_POOL)
        handshake_pool[handshake_pool_n++] = hs;
    else
        free(hs);
}

void session_pool_free(void)
{
    while (handshake_pool_n > 0)
        free(handshake_pool[--handshake_pool_n]);
}

static void settle(struct tls_session *s, enum settle_reason why)
{
    struct tls_handshake *hs = s->hs;
    if (!hs)
        return;
    if (s->await_server && !s->server_alert_sized && !s->client_broken && why != SETTLE_ALERT) {
        /* Nothing from the server said no: established, as both sides'
         * records said. (A plaintext fatal alert now, from either side,
         * says no; so does a client that went on in clear, unless the
         * server's data said yes.) */
        hs->established = 1;
        why = SETTLE_ESTABLISHED;
    }
    s->await_server = 0;
    s->hs = NULL;
    hs->settle = (uint8_t)why;
    s->sink->settle(s->sink->ctx, hs, s->flow_ctx);
    handshake_release(hs);
}

static struct tls_handshake *begin(struct tls_session *s, int client_dir)
{
    struct tls_handshake *hs = handshake_alloc();
    if (!hs)
        return NULL;
    hs->seq = next_handshake_seq++;
    hs->ts_us = s->now_us;
    hs->client = s->ep[client_dir];
    hs->server = s->ep[!client_dir];
    hs->transport = s->transport;
    hs->has_vlan = s->has_vlan;
    hs->vlan = s->vlan;
    hs->encapsulation = s->carrier == CARRIER_QUIC ? ENCAP_QUIC
                        : s->cur_encap             ? s->cur_encap
                        : s->plain_seen            ? ENCAP_STARTTLS
                                                   : ENCAP_DIRECT;
    if (s->cur_has_peer) {
        hs->has_turn_peer = 1;
        hs->turn_peer = s->cur_peer;
    }
    if (s->quic)
        hs->quic_version = quic_state_version(s->quic);
    hs->protocol = plaintext_protocol(s->pt);
    s->hs = hs;
    s->client_dir = (uint8_t)client_dir;
    s->moved_on[0] = s->moved_on[1] = 0;
    s->await_server = s->server_alert_sized = s->client_closed = s->client_encrypted = 0;
    s->client_broken = 0;
    session_stats.handshakes++;
    s->sink->begin(s->sink->ctx, hs);
    return hs;
}

/* The fixed ClientHello of MS-TURN's pseudo-TLS ([MS-TURN] section 2.1:
 * TLS 1.0 record, one suite 0x0018, no session id, no extensions) and of
 * Google's libjingle "SSL-TCP" (an SSLv2-format hello whose 16-byte
 * challenge is a constant). Neither goes on to real TLS. */
static enum pseudo_tls pseudo_tls_kind(const struct tls_client_hello *ch)
{
    static const uint8_t ssltcp_challenge[16] = {0x1f, 0x17, 0x0c, 0xa6, 0x2f, 0x00, 0x78, 0xfc,
                                                 0x46, 0x55, 0x2e, 0xb1, 0x83, 0x39, 0xf1, 0xea};
    if (ch->sslv2_format)
        return ch->legacy_version == 0x0301 && ch->session_id_len == 0 &&
                       memcmp(ch->random + 16, ssltcp_challenge, 16) == 0
                   ? PSEUDO_GOOGLE_SSLTCP
                   : PSEUDO_NONE;
    if (!ch->dtls && ch->legacy_version == 0x0301 && ch->n_ciphers == 1 &&
        ch->ciphers[0] == 0x0018 && ch->session_id_len == 0 && ch->n_extensions == 0)
        return PSEUDO_MS_TURN;
    return PSEUDO_NONE;
}

static void on_client_hello(struct tls_session *s, int dir, const struct tls_client_hello *ch)
{
    struct tls_handshake *hs = s->hs;
    if (hs && hs->has_ch && dir == s->client_dir) {
        if (memcmp(hs->ch.random, ch->random, 32) == 0)
            return; /* retransmitted or repeated */
        if ((hs->saw_hrr || hs->saw_hvr) && dir == s->client_dir)
            return; /* the ClientHello after a HelloRetryRequest / HelloVerifyRequest */
    }
    if (hs)
        settle(s, SETTLE_NEXT_HELLO);
    hs = begin(s, dir);
    if (!hs)
        return;
    hs->ch = *ch;
    hs->has_ch = 1;
    hs->pseudo = (uint8_t)pseudo_tls_kind(ch);
    if (hs->pseudo) {
        hs->encapsulation = ENCAP_PSEUDO_TLS;
        session_stats.pseudo_tls++;
    }
}

static void on_server_hello(struct tls_session *s, int dir, const struct tls_server_hello *sh)
{
    struct tls_handshake *hs = s->hs;
    if (hs && hs->has_sh && memcmp(hs->sh.random, sh->random, 32) == 0)
        return;
    if (!hs && !(hs = begin(s, !dir)))
        return;
    hs->sh = *sh;
    hs->has_sh = 1;
    s->server_hello_seen = 1;
    hs->saw_hrr |= sh->is_hrr;
    s->moved_on[0] = s->moved_on[1] = 0;
    if (hs->pseudo) { /* the fake exchange is over; what follows is not TLS */
        settle(s, SETTLE_PSEUDO_DONE);
        s->finished = 1;
        return;
    }
    /* TLS 1.3 (RFC 8446 section 2): all after the ServerHello is encrypted. */
    if (!sh->is_hrr && tls_version_is_13(tls_server_version(sh)))
        tls_stream_set_encrypted(&s->st[dir]);
}

/* Scratch space for parsing hellos: the structs are a few KB. */
static union {
    struct tls_client_hello ch;
    struct tls_server_hello sh;
} scratch;

static void sink_handshake(void *ctx, int dir, uint8_t type, struct span body)
{
    struct tls_session *s = ctx;
    int dtls = s->carrier == CARRIER_DTLS || s->in_dtls;
    if (type == DTLS_HS_HELLO_VERIFY_REQUEST && dtls) {
        if (s->hs)
            s->hs->saw_hvr = 1;
        return;
    }
    if (type == TLS_HS_CLIENT_HELLO) {
        session_stats.client_hellos++;
        int rc = dtls ? tls_parse_client_hello_dtls(body, &scratch.ch)
                      : tls_parse_client_hello(body, &scratch.ch);
        if (rc != TLS_PARSE_OK) {
            session_stats.unparsable_hellos++;
            return;
        }
        on_client_hello(s, dir, &scratch.ch);
    } else if (type == TLS_HS_SERVER_HELLO) {
        session_stats.server_hellos++;
        if (tls_parse_server_hello(body, &scratch.sh) != TLS_PARSE_OK) {
            session_stats.unparsable_hellos++;
            return;
        }
        on_server_hello(s, dir, &scratch.sh);
    }
}

static void sink_sslv2_hello(void *ctx, int dir, struct span msg)
{
    struct tls_session *s = ctx;
    uint8_t type;
    if (span_peek_u8(&msg, 0, &type) && type == TLS_SSLV2_SERVER_HELLO) {
        session_stats.server_hellos++;
        if (tls_parse_sslv2_server_hello(msg, &scratch.sh) != TLS_PARSE_OK) {
            session_stats.unparsable_hellos++;
            return;
        }
        on_server_hello(s, dir, &scratch.sh);
        s->sslv2_client_records = 0;
        tls_stream_set_sslv2_records(&s->st[!dir]);
        return;
    }
    session_stats.sslv2_hellos++;
    if (tls_parse_sslv2_client_hello(msg, &scratch.ch) != TLS_PARSE_OK) {
        session_stats.unparsable_hellos++;
        return;
    }
    on_client_hello(s, dir, &scratch.ch);
}

static int version_index(uint16_t v)
{
    return v >= 0x0300 && v <= 0x0304 ? v - 0x0300 : 5;
}

/* The open handshake is TLS 1.3 in a byte stream. */
static int tls13_stream(const struct tls_session *s)
{
    const struct tls_handshake *hs = s->hs;
    return hs && hs->has_sh && tls_version_is_13(tls_server_version(&hs->sh)) &&
           s->carrier == CARRIER_TCP && !s->in_dtls;
}

/* Both sides have moved past the open handshake: it is established. In
 * TLS 1.3 the server's flight comes before the client's Finished, and a
 * server that refuses the client (its certificate, most often) says so
 * only after it, with an encrypted alert and a close: the server's next
 * record decides (sink_record), or failing one, the end of the
 * connection (settle). */
static void settle_if_established(struct tls_session *s)
{
    if (s->hs && s->moved_on[0] && s->moved_on[1]) {
        if (tls13_stream(s)) {
            s->await_server = 1;
            /* Only encrypted records from here on: no hello to gather. */
            tls_stream_free(&s->st[0]);
            tls_stream_free(&s->st[1]);
            return;
        }
        s->hs->established = 1;
        settle(s, SETTLE_ESTABLISHED);
        s->finished = 1;
    }
}

/* An SSL 2.0 record after the SERVER-HELLO. The client sends
 * CLIENT-MASTER-KEY in clear, then CLIENT-FINISHED encrypted (only the
 * latter on a session-id hit); the server's next record is SERVER-VERIFY,
 * encrypted (with a 16-byte MAC), or a 3-byte ERROR in clear. */
static void sslv2_record(struct tls_session *s, int dir, uint16_t len)
{
    struct tls_handshake *hs = s->hs;
    if (!hs || !hs->has_sh || !hs->sh.sslv2_format)
        return;
    if (dir == s->client_dir) {
        unsigned clear = hs->sh.sslv2_session_id_hit ? 0 : 1;
        if (++s->sslv2_client_records > clear)
            s->moved_on[dir] = 1;
    } else if (len < 16 && !s->moved_on[dir]) {
        settle(s, SETTLE_ALERT); /* the server's ERROR: no TLS alert number */
        s->finished = 1;
        return;
    } else {
        s->moved_on[dir] = 1;
    }
    settle_if_established(s);
}

static void sink_record(void *ctx, int dir, uint8_t type, uint16_t version, uint16_t len)
{
    struct tls_session *s = ctx;
    struct tls_handshake *hs = s->hs;
    session_stats.records_by_version[version_index(version)]++;
    if (type == TLS_CT_SSLV2) {
        sslv2_record(s, dir, len);
        return;
    }
    int tls13 = hs && hs->has_sh && tls_version_is_13(tls_server_version(&hs->sh));
    int answered = hs && hs->has_sh && !hs->sh.is_hrr; /* not a HelloRetryRequest */
    int alert_sized = hs && len == TLS13_ALERT_RECORD(hs->sh.cipher);
    if (answered && type == TLS_CT_APPLICATION_DATA && !s->await_server && tls13_stream(s)) {
        if (dir == s->client_dir)
            s->client_encrypted = 1;
        else if (s->client_encrypted)
            /* A client that sends its (empty) Certificate on its own may
             * have the server's refusal before its Finished. */
            s->server_alert_sized = (uint8_t)alert_sized;
    }
    if (s->await_server) {
        if (type != TLS_CT_APPLICATION_DATA)
            return;
        if (dir == s->client_dir) {
            /* The client closing first (close_notify, or a FIN in
             * session_fin): an alert-sized answer is the server's
             * close_notify, not a refusal. */
            s->client_closed |= alert_sized && !s->server_alert_sized;
            return;
        }
        if (alert_sized && !s->server_alert_sized && !s->client_closed) {
            s->server_alert_sized = 1; /* an alert if nothing follows it */
            return;
        }
        s->server_alert_sized = 0;
        settle(s, SETTLE_ESTABLISHED);
        s->finished = 1;
        return;
    }
    if (type == TLS_CT_ALERT && !tls13 && answered && hs->has_ch && s->st[dir].encrypted &&
        !s->moved_on[!dir]) {
        /* An alert after this side's ChangeCipherSpec and before the other
         * side's: it gave up the handshake (NSS does so when it refuses the
         * certificate after sending its Finished). Encrypted: its number is
         * not known. Not in a capture of one side only (no ClientHello),
         * where the other side's records are missing, not absent. */
        settle(s, SETTLE_ALERT);
        s->finished = 1;
        return;
    }
    if (type == TLS_CT_CHANGE_CIPHER_SPEC) {
        /* In TLS 1.3 a ChangeCipherSpec is only for middleboxes (RFC 8446
         * appendix D.4) and says nothing; before it, it switches this side
         * to encryption. */
        if (!tls13)
            tls_stream_set_encrypted(&s->st[dir]);
        if (answered && !tls13)
            s->moved_on[dir] = 1;
    } else if (type == TLS_CT_APPLICATION_DATA) {
        /* A TLS 1.3 client's first encrypted record may be an alert (it
         * refused the certificate; 19 bytes, more if padded) or an empty
         * Certificate (25): only a record that can hold its Finished says
         * it went on. */
        if (answered && !(tls13 && dir == s->client_dir && len < TLS13_FINISHED_RECORD_MIN))
            s->moved_on[dir] = 1;
    }
    settle_if_established(s);
}

static void sink_alert(void *ctx, int dir, uint8_t level, uint8_t desc)
{
    struct tls_session *s = ctx;
    (void)dir;
    if (!s->hs || level != 2)
        return;
    s->hs->alert_level = level;
    s->hs->alert_desc = desc;
    settle(s, SETTLE_ALERT);
    s->finished = 1;
}

static const struct tls_stream_sink stream_sink = {
    sink_handshake,
    sink_sslv2_hello,
    sink_record,
    sink_alert,
};

static void feed_framed(struct tls_session *s, int dir, struct span data);
static int tcp_framing_of(struct span data);

int session_is_stream_start(struct span data)
{
    return tls_looks_like_record(data) || tls_sslv2_hello_record_len(data) > 0;
}

/* The side that is the server of a plaintext session. */
static int plaintext_server_dir(const struct tls_session *s)
{
    if (s->pt && s->pt->server_known)
        return s->pt->server_dir;
    if (s->initiator != 0xff)
        return !s->initiator;
    return s->ep[0].port < s->ep[1].port ? 0 : 1;
}

/* A reportable session that ends without TLS gets its own record. */
static void emit_plaintext(struct tls_session *s)
{
    struct plaintext *pt = s->pt;
    /* Never upgraded: no ServerHello came back (a client may send its hello
     * even after the server refused STARTTLS). */
    if (!pt || !plaintext_reportable(pt) || s->server_hello_seen || s->plaintext_done)
        return;
    s->plaintext_done = 1;
    struct plaintext_record pr;
    memset(&pr, 0, sizeof(pr));
    int sd = plaintext_server_dir(s);
    pr.seq = next_handshake_seq++;
    pr.ts_us = s->plain_ts_us;
    pr.server = s->ep[sd];
    pr.client = s->ep[!sd];
    pr.transport = s->transport;
    pr.has_vlan = s->has_vlan;
    pr.vlan = s->vlan;
    pr.starttls_offered = pt->offered;
    pr.starttls_requested = pt->requested;
    pr.starttls_refused = pt->refused;
    pr.credentials = pt->creds;
    pr.protocol = plaintext_protocol(pt);
    session_stats.plaintext_sessions++;
    s->sink->plaintext(s->sink->ctx, &pr, s->flow_ctx);
}

/* Plaintext bytes of direction dir: returns 1 when the rest of data (from
 * *data on) is TLS. */
static int feed_plaintext(struct tls_session *s, int dir, struct span *data)
{
    if (!s->pt) {
        int sd = plaintext_server_dir(s); /* before s->pt exists: from SYN or ports */
        s->pt = malloc(sizeof(*s->pt));
        if (!s->pt) {
            s->finished = 1;
            return 0;
        }
        plaintext_init(s->pt, s->ep[sd].port);
        s->plain_ts_us = s->now_us;
    }
    s->plain_seen = 1;
    size_t off;
    enum pt_result r = plaintext_feed(s->pt, dir, *data, &off);
    if (r == PT_TLS_HERE) {
        s->mode[dir] = SESSION_MODE_TLS;
    } else if (r == PT_UPGRADED) {
        s->mode[0] = s->mode[1] = SESSION_MODE_TLS;
        session_stats.starttls_upgrades++;
    } else {
        if (s->pt->refused && !s->refusal_counted) {
            s->refusal_counted = 1;
            session_stats.starttls_refused++;
        }
        unsigned limit = s->pt->proto ? MAX_PLAINTEXT_SEGMENTS : MAX_SEGMENTS_WITHOUT_HELLO;
        if (plaintext_concluded(s->pt) || ++s->segments > limit) {
            emit_plaintext(s);
            if (!s->hs) {
                if (!s->tls_seen && !plaintext_reportable(s->pt))
                    session_stats.not_tls_flows++;
                s->finished = 1;
            }
        }
        return 0;
    }
    span_skip(data, off);
    return data->n > 0;
}

static void feed_tls(struct tls_session *s, int dir, struct span data);

/* The TLS bytes of a TDS stream (tds_feed's callback). */
struct tds_piece_ctx {
    struct tls_session *s;
    int dir;
};

static void tds_tls_piece(void *ctx, struct span piece)
{
    struct tds_piece_ctx *c = ctx;
    if (!c->s->finished)
        feed_tls(c->s, c->dir, piece);
}

static void feed_tds(struct tls_session *s, int dir, struct span data)
{
    struct tds_piece_ctx c = {s, dir};
    tds_feed(&s->tds[dir], data, tds_tls_piece, &c);
    if (s->tds[dir].state == TDS_RAW)
        s->mode[dir] = SESSION_MODE_TLS; /* what follows goes straight on */
    else if (s->tds[dir].state == TDS_NOT_TLS && !s->hs)
        s->finished = 1; /* plain TDS: no TLS in this connection */
}

void session_data(struct tls_session *s, int dir, struct span data, int64_t now_us)
{
    if (s->finished)
        return;
    s->now_us = now_us;
    if (s->mode[dir] == SESSION_MODE_UNDECIDED && tds_looks_like_prelogin(data)) {
        /* The client's PRELOGIN: both sides frame the handshake in TDS. */
        s->mode[0] = s->mode[1] = SESSION_MODE_TDS;
        s->plain_seen = 1;
    }
    if (s->mode[dir] == SESSION_MODE_TDS) {
        feed_tds(s, dir, data);
        return;
    }
    if (s->mode[dir] == SESSION_MODE_UNDECIDED) {
        int framing = tcp_framing_of(data);
        /* A first segment too short to show a record header, which starts
         * as a handshake record does (a hello cut into tiny segments):
         * the TLS parser decides once it has three bytes. */
        uint8_t b0;
        int short_start = data.n < 3 && span_peek_u8(&data, 0, &b0) && b0 == TLS_CT_HANDSHAKE;
        s->mode[dir] = session_is_stream_start(data) || short_start ? SESSION_MODE_TLS
                       : framing                                    ? (uint8_t)framing
                                                                    : SESSION_MODE_PLAIN;
    }
    if (s->mode[dir] == SESSION_MODE_STUN_TCP || s->mode[dir] == SESSION_MODE_RFC4571) {
        s->tls_seen = 1;
        feed_framed(s, dir, data);
        if (!s->hs && !s->finished &&
            ++s->segments > MAX_SEGMENTS_WITHOUT_HELLO + MAX_PLAINTEXT_SEGMENTS)
            s->finished = 1;
        return;
    }
    if (s->mode[dir] == SESSION_MODE_PLAIN && !feed_plaintext(s, dir, &data))
        return;
    if (s->finished)
        return;
    feed_tls(s, dir, data);
}

/* TLS bytes of direction dir, in order. */
static void feed_tls(struct tls_session *s, int dir, struct span data)
{
    s->tls_seen = 1;
    tls_stream_feed(&s->st[dir], dir, data, &stream_sink, s);
    struct tls_stream *st = &s->st[dir];
    session_stats.oversize_hellos += st->oversize;
    st->oversize = 0;
    if (s->finished)
        return;
    if (st->state == TLS_STREAM_NOT_TLS || st->state == TLS_STREAM_BROKEN) {
        /* The client's bytes after its TLS 1.3 Finished are not TLS: the
         * server's answer still decides (libldap, refusing the certificate,
         * sends its Unbind in clear; the server's alert follows). */
        if (s->await_server && dir == s->client_dir) {
            s->client_broken = 1;
            return;
        }
        /* TLS was expected here and the bytes are not TLS. */
        if (s->hs)
            settle(s, SETTLE_GAVE_UP);
        else
            session_stats.not_tls_flows++;
        s->finished = 1;
        return;
    }
    unsigned limit = MAX_SEGMENTS_WITHOUT_HELLO + (s->plain_seen ? MAX_PLAINTEXT_SEGMENTS : 0);
    /* A hello cut into many small segments is waited for, to a bound. */
    if (tls_stream_in_hello(st) && s->segments < MAX_SEGMENTS_IN_HELLO)
        limit = MAX_SEGMENTS_IN_HELLO;
    if (++s->segments > limit && !s->hs)
        s->finished = 1;
}

int session_datagram_carrier(struct span payload)
{
    if (quic_looks_like_long_header(payload))
        return CARRIER_QUIC;
    /* DTLS, or STUN/TURN that may carry it (RFC 7983 demultiplexing). */
    if (dtls_looks_like_record(payload) == DTLS_LOOKS_RECORD || stun_message_len(payload))
        return CARRIER_DTLS;
    return -1;
}

static struct turn_state *turn_state(struct tls_session *s)
{
    if (!s->turn)
        s->turn = calloc(1, sizeof(*s->turn));
    return s->turn;
}

static void turn_bind(struct tls_session *s, uint16_t channel, const struct endpoint *peer)
{
    struct turn_state *t = turn_state(s);
    if (!t)
        return;
    for (unsigned i = 0; i < t->nbind; i++)
        if (t->channel[i] == channel) {
            t->peer[i] = *peer;
            return;
        }
    if (t->nbind < TURN_MAX_BINDINGS) {
        t->channel[t->nbind] = channel;
        t->peer[t->nbind++] = *peer;
    }
}

static const struct endpoint *turn_peer_of(const struct tls_session *s, uint16_t channel)
{
    for (unsigned i = 0; s->turn && i < s->turn->nbind; i++)
        if (s->turn->channel[i] == channel)
            return &s->turn->peer[i];
    return NULL;
}

/* One datagram, or one frame of a framed TCP stream, demultiplexed by its
 * first byte (RFC 7983): DTLS is parsed, STUN indications and ChannelData
 * are unwrapped (one level of nesting at most). */
static void demux_datagram(struct tls_session *s, int dir, struct span p, uint8_t encap,
                           const struct endpoint *peer, int depth)
{
    uint8_t b;
    if (depth > 1 || !span_peek_u8(&p, 0, &b))
        return;
    switch (stun_demux(b)) {
    case DEMUX_DTLS:
        s->cur_encap = encap;
        s->cur_has_peer = peer != NULL;
        if (peer)
            s->cur_peer = *peer;
        if (!s->dtls && !(s->dtls = dtls_state_new()))
            return;
        s->in_dtls = 1; /* DTLS can ride on a TCP flow (TURN over TCP) */
        dtls_datagram(s->dtls, dir, p, &stream_sink, s);
        s->in_dtls = 0;
        s->cur_encap = 0;
        s->cur_has_peer = 0;
        break;
    case DEMUX_STUN: {
        size_t n = stun_message_len(p);
        struct stun_info si;
        struct span msg;
        if (!n || !span_sub(&p, n, &msg) || !stun_parse(msg, &si))
            return;
        if (si.type == STUN_CHANNEL_BIND_REQUEST && si.has_channel && si.has_peer)
            turn_bind(s, si.channel, &si.peer);
        if (si.type == STUN_CONNECTION_BIND_SUCCESS && depth == 0)
            s->data_connection = 1;
        if ((si.type == STUN_SEND_INDICATION || si.type == STUN_DATA_INDICATION) && si.has_data)
            demux_datagram(s, dir, si.data, ENCAP_TURN_INDICATION, si.has_peer ? &si.peer : NULL,
                           depth + 1);
        break;
    }
    case DEMUX_CHANNEL: {
        uint16_t channel;
        struct span data;
        size_t len;
        if (turn_channel_frame(p, 0, &channel, &data, &len))
            demux_datagram(s, dir, data, ENCAP_TURN_CHANNEL, turn_peer_of(s, channel), depth + 1);
        break;
    }
    default:
        break;
    }
}

/* RFC 6062 section 4.3: after a successful ConnectionBind the TCP
 * connection carries the peer's bytes unframed. Detection starts over there
 * (a TLS hello then counts as after a plaintext phase). */
static void start_data_connection(struct tls_session *s, int dir, struct span rest)
{
    s->data_connection = 0;
    s->mode[0] = s->mode[1] = SESSION_MODE_UNDECIDED;
    s->plain_seen = 1;
    if (s->turn)
        s->turn->len[0] = s->turn->len[1] = 0;
    if (rest.n)
        session_data(s, dir, rest, s->now_us);
}

/* Length of the next whole frame of a framed TCP stream, or 0. */
static size_t next_frame(const struct tls_session *s, struct span p, struct span *frame)
{
    uint16_t channel, len;
    size_t flen;
    struct span data;
    if (s->mode[0] == SESSION_MODE_RFC4571 || s->mode[1] == SESSION_MODE_RFC4571) {
        struct span c = p;
        if (!span_u16(&c, &len) || !span_sub(&c, len, frame))
            return 0;
        return 2u + len;
    }
    if ((flen = stun_message_len(p)) != 0) {
        span_sub(&p, flen, frame);
        return flen;
    }
    if (turn_channel_frame(p, 1, &channel, &data, &flen) && flen <= p.n) {
        span_sub(&p, flen, frame);
        return flen;
    }
    return 0;
}

/* Bytes of a framed TCP direction: whole frames are parsed in place, a
 * partial one is kept (bounded) until the rest arrives. */
static void feed_framed(struct tls_session *s, int dir, struct span data)
{
    struct turn_state *t = turn_state(s);
    if (!t)
        return;
    uint8_t encap = s->mode[dir] == SESSION_MODE_RFC4571 ? ENCAP_RFC4571 : 0;
    struct span frame;
    size_t n;
    if (t->len[dir] == 0) {
        while ((n = next_frame(s, data, &frame)) != 0) {
            demux_datagram(s, dir, frame, encap, NULL, 0);
            span_skip(&data, n);
            if (s->finished)
                return;
            if (s->data_connection) {
                start_data_connection(s, dir, data);
                return;
            }
        }
        if (data.n == 0)
            return;
    }
    if (t->len[dir] + data.n > TURN_FRAME_MAX) {
        session_stats.turn_frames_dropped++;
        t->len[dir] = 0;
        return;
    }
    if (!t->buf[dir] && !(t->buf[dir] = malloc(TURN_FRAME_MAX)))
        return;
    memmove(t->buf[dir] + t->len[dir], data.p, data.n);
    t->len[dir] += (uint32_t)data.n;
    struct span rest = span_make(t->buf[dir], t->len[dir]);
    while ((n = next_frame(s, rest, &frame)) != 0) {
        demux_datagram(s, dir, frame, encap, NULL, 0);
        span_skip(&rest, n);
        if (s->finished)
            return;
        if (s->data_connection) {
            /* The rest is raw bytes; they are handed on from the buffer
             * (which is only ever written with memmove below). */
            memmove(t->buf[dir], rest.p, rest.n);
            start_data_connection(s, dir, span_make(t->buf[dir], rest.n));
            return;
        }
    }
    memmove(t->buf[dir], rest.p, rest.n);
    t->len[dir] = (uint32_t)rest.n;
}

/* The first bytes of a TCP direction: STUN framed on TCP? RFC 4571? */
static int tcp_framing_of(struct span data)
{
    uint16_t type;
    uint32_t cookie;
    struct span c = data;
    if (span_u16(&c, &type) && !(type & 0xC000) && span_skip(&c, 2) && span_u32(&c, &cookie) &&
        cookie == 0x2112A442u)
        return SESSION_MODE_STUN_TCP;
    if (rfc4571_looks_like_frame(data))
        return SESSION_MODE_RFC4571;
    return 0;
}

int session_set_carrier(struct tls_session *s, int carrier)
{
    s->carrier = (uint8_t)carrier;
    if (carrier == CARRIER_QUIC)
        s->quic = quic_state_new();
    else if (carrier == CARRIER_DTLS)
        s->dtls = dtls_state_new();
    if ((carrier == CARRIER_QUIC && !s->quic) || (carrier == CARRIER_DTLS && !s->dtls)) {
        s->finished = 1;
        return 0;
    }
    return 1;
}

void session_datagram(struct tls_session *s, int dir, struct span payload, int64_t now_us)
{
    if (s->finished)
        return;
    s->now_us = now_us;
    s->tls_seen = 1;
    if (s->carrier == CARRIER_QUIC) {
        quic_datagram(s->quic, dir, payload, now_us, &stream_sink, s);
        struct tls_handshake *hs = s->hs;
        if (hs && hs->quic_version == 0)
            hs->quic_version = quic_state_version(s->quic);
        /* Established once both sides send 1-RTT packets after the
         * ServerHello; until then only Initials are read. */
        if (hs && hs->has_sh && !hs->sh.is_hrr && quic_short_header_seen(s->quic, 0) &&
            quic_short_header_seen(s->quic, 1)) {
            hs->established = 1;
            settle(s, SETTLE_ESTABLISHED);
            s->finished = 1;
        }
    } else if (s->carrier == CARRIER_DTLS) {
        demux_datagram(s, dir, payload, ENCAP_DIRECT, NULL, 0);
    }
    /* STUN/TURN control messages (ICE checks, allocations) can come in
     * dozens before the DTLS starts: only other datagrams count. */
    uint8_t b0;
    int control = span_peek_u8(&payload, 0, &b0) && stun_demux(b0) == DEMUX_STUN;
    if (!s->hs && !s->finished && !control && ++s->segments > MAX_DATAGRAMS_WITHOUT_HELLO)
        s->finished = 1;
}

void session_fin(struct tls_session *s, int dir, int64_t now_us)
{
    s->now_us = now_us;
    s->fin[dir] = 1;
    if (s->await_server && dir == s->client_dir && !s->server_alert_sized && !s->client_broken)
        s->client_closed = 1; /* (after clear text, its close is no TLS close) */
    if (s->fin[0] && s->fin[1]) {
        settle(s, SETTLE_CLOSED);
        emit_plaintext(s);
        s->finished = 1;
    }
}

void session_reset(struct tls_session *s, int64_t now_us)
{
    s->now_us = now_us;
    settle(s, SETTLE_CLOSED);
    emit_plaintext(s);
    s->finished = 1;
}

void session_end(struct tls_session *s, enum settle_reason why)
{
    settle(s, why);
    emit_plaintext(s);
    free(s->pt);
    s->pt = NULL;
    dtls_state_free(s->dtls);
    s->dtls = NULL;
    if (s->turn) {
        free(s->turn->buf[0]);
        free(s->turn->buf[1]);
        free(s->turn);
        s->turn = NULL;
    }
    quic_state_free(s->quic);
    s->quic = NULL;
    s->finished = 1;
    tls_stream_free(&s->st[0]);
    tls_stream_free(&s->st[1]);
}
