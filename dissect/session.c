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

/* Give up on a connection whose first data segments carry no hello; a
 * recognised plaintext protocol is followed longer, to its upgrade or its
 * login. */
#define MAX_SEGMENTS_WITHOUT_HELLO 24
#define MAX_PLAINTEXT_SEGMENTS 96

struct session_stats session_stats;
static uint64_t next_handshake_seq = 1;

static const char *const settle_names[] = {
    "established", "alert", "next-hello", "closed", "idle", "evicted", "end-of-input", "gave-up",
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
    if (tls_server_version(&hs->sh) == 0x0304 || hs->sh.selected_version)
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

static void settle(struct tls_session *s, enum settle_reason why)
{
    struct tls_handshake *hs = s->hs;
    if (!hs)
        return;
    s->hs = NULL;
    hs->settle = (uint8_t)why;
    s->sink->settle(s->sink->ctx, hs, s->flow_ctx);
    free(hs);
}

static struct tls_handshake *begin(struct tls_session *s, int client_dir)
{
    struct tls_handshake *hs = calloc(1, sizeof(*hs));
    if (!hs)
        return NULL;
    hs->seq = next_handshake_seq++;
    hs->ts_us = s->now_us;
    hs->client = s->ep[client_dir];
    hs->server = s->ep[!client_dir];
    hs->transport = s->transport;
    hs->has_vlan = s->has_vlan;
    hs->vlan = s->vlan;
    hs->encapsulation = s->plain_seen ? ENCAP_STARTTLS : ENCAP_DIRECT;
    hs->protocol = plaintext_protocol(s->pt);
    s->hs = hs;
    s->client_dir = (uint8_t)client_dir;
    s->moved_on[0] = s->moved_on[1] = 0;
    session_stats.handshakes++;
    s->sink->begin(s->sink->ctx, hs);
    return hs;
}

static void on_client_hello(struct tls_session *s, int dir, const struct tls_client_hello *ch)
{
    struct tls_handshake *hs = s->hs;
    if (hs && hs->has_ch) {
        if (memcmp(hs->ch.random, ch->random, 32) == 0)
            return; /* retransmitted or repeated */
        if (hs->saw_hrr && dir == s->client_dir)
            return; /* the second ClientHello after a HelloRetryRequest */
    }
    if (hs)
        settle(s, SETTLE_NEXT_HELLO);
    hs = begin(s, dir);
    if (!hs)
        return;
    hs->ch = *ch;
    hs->has_ch = 1;
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
    hs->saw_hrr |= sh->is_hrr;
    s->moved_on[0] = s->moved_on[1] = 0;
    /* TLS 1.3 (RFC 8446 section 2): all after the ServerHello is encrypted. */
    if (!sh->is_hrr && tls_server_version(sh) == 0x0304)
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
    if (type == TLS_HS_CLIENT_HELLO) {
        session_stats.client_hellos++;
        if (tls_parse_client_hello(body, &scratch.ch) != TLS_PARSE_OK) {
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

static void sink_record(void *ctx, int dir, uint8_t type, uint16_t version, uint16_t len)
{
    struct tls_session *s = ctx;
    struct tls_handshake *hs = s->hs;
    (void)len;
    session_stats.records_by_version[version_index(version)]++;
    if (type == TLS_CT_CHANGE_CIPHER_SPEC) {
        /* In TLS 1.3 a ChangeCipherSpec is only for middleboxes (RFC 8446
         * appendix D.4); before it, it switches this side to encryption. */
        if (!hs || !hs->has_sh || tls_server_version(&hs->sh) != 0x0304)
            tls_stream_set_encrypted(&s->st[dir]);
        if (hs && hs->has_sh && !hs->sh.is_hrr)
            s->moved_on[dir] = 1;
    } else if (type == TLS_CT_APPLICATION_DATA) {
        if (hs && hs->has_sh && !hs->sh.is_hrr)
            s->moved_on[dir] = 1;
    }
    if (hs && s->moved_on[0] && s->moved_on[1]) {
        hs->established = 1;
        settle(s, SETTLE_ESTABLISHED);
        s->finished = 1;
    }
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
    if (!pt || !plaintext_reportable(pt) || s->tls_seen || s->plaintext_done)
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

void session_data(struct tls_session *s, int dir, struct span data, int64_t now_us)
{
    if (s->finished)
        return;
    s->now_us = now_us;
    if (s->mode[dir] == SESSION_MODE_UNDECIDED)
        s->mode[dir] = session_is_stream_start(data) ? SESSION_MODE_TLS : SESSION_MODE_PLAIN;
    if (s->mode[dir] == SESSION_MODE_PLAIN && !feed_plaintext(s, dir, &data))
        return;
    if (s->finished)
        return;
    s->tls_seen = 1;
    tls_stream_feed(&s->st[dir], dir, data, &stream_sink, s);
    struct tls_stream *st = &s->st[dir];
    session_stats.oversize_hellos += st->oversize;
    st->oversize = 0;
    if (s->finished)
        return;
    if (st->state == TLS_STREAM_NOT_TLS || st->state == TLS_STREAM_BROKEN) {
        /* TLS was expected here and the bytes are not TLS. */
        if (s->hs)
            settle(s, SETTLE_GAVE_UP);
        else
            session_stats.not_tls_flows++;
        s->finished = 1;
        return;
    }
    unsigned limit = MAX_SEGMENTS_WITHOUT_HELLO + (s->plain_seen ? MAX_PLAINTEXT_SEGMENTS : 0);
    if (++s->segments > limit && !s->hs)
        s->finished = 1;
}

void session_fin(struct tls_session *s, int dir, int64_t now_us)
{
    s->now_us = now_us;
    s->fin[dir] = 1;
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
    s->finished = 1;
    tls_stream_free(&s->st[0]);
    tls_stream_free(&s->st[1]);
}
