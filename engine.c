/* engine.c: see engine.h. Per packet: decode, one flow lookup, counters; for
 * a TCP flow still being inspected also nDPI (first packets only),
 * reassembly and the TLS session. A flow whose handshake has settled drops
 * all of that and costs one lookup and a few counters. */
#include "engine.h"

#include <pcap/dlt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/decode.h"
#include "capture/facts.h"
#include "capture/flow_table.h"
#include "capture/ipfrag.h"
#include "capture/pool.h"
#include "capture/tcp_reasm.h"
#include "dissect/classify.h"
#include "dissect/dtls.h"
#include "dissect/quic.h"
#include "dissect/session.h"
#include "report/handshake_log.h"

#define EXPIRE_EVERY_US 1000000

/* The per-packet path, inlined into its callers: once datagrams made whole
 * from fragments gave it a second caller, GCC stopped inlining it and
 * tcp_packet, 20 more instructions a packet. */
#define PER_PACKET static inline __attribute__((always_inline))

/* What a flow carries while it is being inspected. */
struct flow_state {
    struct tls_session session;
    struct tcp_reasm reasm;
    struct classify_state cls;
};

/* A frame hinted by engine_prefetch, for its second step. */
#define PREFETCH_NEAR 4
struct prefetch_step {
    uint32_t hash;
    int valid;
};

struct engine {
    struct engine_options opt;
    const struct engine_tap *tap;
    struct flow_table *flows;
    struct ipfrag_table *frags; /* made at the first IP fragment */
    struct classifier *classifier;
    struct hslog *log;
    struct summary *summary;
    struct dissect_sink sink;
    struct run_counters c;
    struct flow_table_stats final_flow_stats;
    int finished;
    int64_t now_us, last_expire_us;
    int64_t first_us, last_us; /* packet times seen; first INT64_MAX before any */
    struct flow_timeouts timeouts;
    struct frame_prepare prepare;
    struct pool flow_states; /* where struct flow_state comes from */
    struct prefetch_step ahead[PREFETCH_NEAR];
    unsigned ahead_next;
};

/* UDP flows and closed TCP connections are kept this long at most. */
#define UDP_IDLE_US (60 * 1000000LL)
#define CLOSED_LINGER_US (10 * 1000000LL)

/* Context of the reassembly callbacks for the current packet. */
struct deliver_ctx {
    struct flow_state *fs;
    int64_t now_us;
};

static void deliver(void *ctx, int dir, struct span data)
{
    struct deliver_ctx *d = ctx;
    session_data(&d->fs->session, dir, data, d->now_us);
}

static int is_start(void *ctx, int dir, struct span data)
{
    (void)ctx;
    (void)dir;
    return session_is_stream_start(data);
}

static const struct tcp_reasm_ops reasm_ops = {deliver, is_start};

static void sink_begin(void *ctx, struct tls_handshake *hs)
{
    struct engine *e = ctx;
    if (e->log)
        hslog_begin(e->log, hs);
    if (e->tap && e->tap->begin)
        e->tap->begin(e->tap->ctx, hs);
}

/* The report side of a named record. */
static void report_settled(struct engine *e, const struct tls_handshake *hs)
{
    summary_add(e->summary, hs);
    if (e->opt.report)
        readiness_add_handshake(e->opt.report, hs);
    if (e->log)
        hslog_settle(e->log, hs);
    if (e->tap && e->tap->settle)
        e->tap->settle(e->tap->ctx, hs);
}

static void report_plaintext(struct engine *e, const struct plaintext_record *pr)
{
    summary_add_plaintext(e->summary, pr);
    if (e->opt.report)
        readiness_add_plaintext(e->opt.report, pr);
    if (e->log)
        hslog_plaintext(e->log, pr);
    if (e->tap && e->tap->plaintext)
        e->tap->plaintext(e->tap->ctx, pr);
}

static void sink_settle(void *ctx, struct tls_handshake *hs, void *flow_ctx)
{
    struct engine *e = ctx;
    struct flow_state *fs = flow_ctx;
    const char *proto;
    classify_names(e->classifier, fs ? &fs->cls : NULL, hs, &hs->server, &proto, &hs->application);
    if (!hs->protocol) /* a STARTTLS machine named it already */
        hs->protocol = proto;
    report_settled(e, hs);
}

static void sink_plaintext(void *ctx, struct plaintext_record *pr, void *flow_ctx)
{
    struct engine *e = ctx;
    struct flow_state *fs = flow_ctx;
    const char *proto;
    classify_names(e->classifier, fs ? &fs->cls : NULL, NULL, &pr->server, &proto,
                   &pr->application);
    if (!pr->protocol)
        pr->protocol = proto;
    report_plaintext(e, pr);
}

void engine_add_begin(struct engine *e, const struct tls_handshake *hs)
{
    if (e->log)
        hslog_begin(e->log, hs);
}

void engine_add_settled(struct engine *e, const struct tls_handshake *hs)
{
    report_settled(e, hs);
}

void engine_add_plaintext(struct engine *e, const struct plaintext_record *pr)
{
    report_plaintext(e, pr);
}

static void flow_state_free(struct engine *e, struct flow *f, enum settle_reason why)
{
    struct flow_state *fs = f->user;
    if (!fs)
        return;
    if (!fs->session.finished && f->key.transport == TRANSPORT_TCP) {
        struct deliver_ctx dc = {fs, f->last_us};
        tcp_reasm_flush(&fs->reasm, &reasm_ops, &dc);
    }
    session_end(&fs->session, why);
    tcp_reasm_free(&fs->reasm);
    classify_release(e->classifier, &fs->cls);
    pool_put(&e->flow_states, fs);
    f->user = NULL;
}

static void on_flow_end(struct flow *f, enum flow_end_reason why, void *ctx)
{
    static const enum settle_reason map[] = {
        [FLOW_END_IDLE] = SETTLE_IDLE,
        [FLOW_END_EVICTED] = SETTLE_EVICTED,
        [FLOW_END_REUSED] = SETTLE_CLOSED,
        [FLOW_END_SHUTDOWN] = SETTLE_END_OF_INPUT,
    };
    flow_state_free(ctx, f, map[why]);
}

static struct engine *engine_make(const struct engine_options *opt, int dissect, char *err,
                                  size_t errlen)
{
    struct engine *e = calloc(1, sizeof(*e));
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    e->opt = *opt;
    pool_init(&e->flow_states, sizeof(struct flow_state));
    e->timeouts.tcp_us = opt->idle_us;
    e->timeouts.udp_us = opt->idle_us < UDP_IDLE_US ? opt->idle_us : UDP_IDLE_US;
    e->timeouts.closed_us = opt->idle_us < CLOSED_LINGER_US ? opt->idle_us : CLOSED_LINGER_US;
    e->sink.begin = sink_begin;
    e->sink.settle = sink_settle;
    e->sink.plaintext = sink_plaintext;
    e->sink.ctx = e;
    e->first_us = INT64_MAX;
    if (!(e->summary = summary_new()) ||
        !(e->flows = flow_table_new(opt->max_flows, on_flow_end, e))) {
        snprintf(err, errlen, "out of memory");
        engine_free(e);
        return NULL;
    }
    /* Flow order to a second (an eighth of the shortest timeout if less):
     * expiry runs once a second anyway. */
    flow_table_set_relink_us(e->flows, e->timeouts.closed_us / 8 < EXPIRE_EVERY_US
                                           ? e->timeouts.closed_us / 8
                                           : EXPIRE_EVERY_US);
    if (dissect && !(e->classifier = classifier_new(err, errlen))) {
        engine_free(e);
        return NULL;
    }
    if (opt->log_path && !(e->log = hslog_open(opt->log_path, err, errlen))) {
        engine_free(e);
        return NULL;
    }
    return e;
}

struct engine *engine_new(const struct engine_options *opt, char *err, size_t errlen)
{
    return engine_make(opt, 1, err, errlen);
}

struct engine *engine_new_report_only(const struct engine_options *opt, char *err, size_t errlen)
{
    return engine_make(opt, 0, err, errlen);
}

void engine_set_tap(struct engine *e, const struct engine_tap *tap)
{
    e->tap = tap;
}

static void count_decode_failure(struct engine *e, enum decode_result r)
{
    switch (r) {
    case DECODE_TRUNCATED:
        e->c.short_headers++;
        break;
    case DECODE_NOT_IP:
        e->c.not_ip++;
        break;
    case DECODE_NOT_TCP_UDP:
        e->c.not_tcp_udp++;
        break;
    default:
        e->c.malformed++;
        break;
    }
}

static struct flow_state *flow_state_new(const struct flow *f, struct engine *e)
{
    struct flow_state *fs = pool_get(&e->flow_states);
    if (!fs)
        return NULL;
    struct endpoint ep[2];
    for (int d = 0; d < 2; d++) {
        ep[d].family = f->key.family;
        memcpy(ep[d].addr, f->key.addr[d], 16);
        ep[d].port = f->key.port[d];
    }
    session_init(&fs->session, &ep[0], &ep[1], f->key.transport, &e->sink, fs);
    fs->session.has_vlan = f->key.vlan != 0;
    fs->session.vlan = f->key.vlan;
    return fs;
}

/* The packet view the dissectors read, from the prepared facts (the
 * endpoints are in the flow's key): made only for a flow being inspected. */
static struct packet_view facts_view(const struct frame_facts *ff, const struct frame *fr)
{
    return (struct packet_view){
        .ts_us = fr->ts_us,
        .transport = ff->transport,
        .tcp_flags = ff->tcp_flags,
        .seq = ff->seq,
        .ack = ff->ack,
        .l3 = fr->data + ff->l3_off,
        .l3_len = ff->l3_len,
        .payload = fr->data + ff->payload_off,
        .payload_len = ff->payload_len,
        .payload_wire = ff->payload_wire,
        .wire_len = fr->len,
    };
}

PER_PACKET void tcp_packet(struct engine *e, struct flow *f, int dir, const struct frame_facts *ff,
                           const struct frame *fr)
{
    struct flow_state *fs = f->user;
    if (!fs) {
        /* The dissection state is made at the first payload: a flow that
         * never carries data (scans, SYN floods) costs only its entry. */
        if (f->done || ff->payload_len == 0)
            return;
        if (!(fs = f->user = flow_state_new(f, e)))
            return;
        for (int d = 0; d < 2; d++)
            if (f->syn_seen & (1u << d))
                tcp_reasm_set_isn(&fs->reasm, d, f->syn_seq[d]);
        fs->session.initiator = f->syn_dir;
    }
    const struct packet_view view = facts_view(ff, fr), *pv = &view;
    struct deliver_ctx dc = {fs, pv->ts_us};
    tcp_reasm_segment(&fs->reasm, dir, pv, &reasm_ops, &dc);
    if (!fs->cls.done) {
        /* TLS from the first byte: tlsmon reads it; nDPI would only parse
         * the same hellos again (most of its cost). A plaintext protocol
         * tlsmon's own STARTTLS machines named: nDPI would take several
         * more exchanges to reach the same name. */
        if ((fs->session.mode[dir] == SESSION_MODE_TLS && !fs->session.plain_seen) ||
            plaintext_names_flow(fs->session.pt))
            classify_skip(e->classifier, &fs->cls);
        else
            classify_packet(e->classifier, &fs->cls, pv);
    }
    if (pv->tcp_flags & TCPF_RST)
        session_reset(&fs->session, pv->ts_us);
    else if (pv->tcp_flags & TCPF_FIN)
        session_fin(&fs->session, dir, pv->ts_us);
    if (fs->session.finished) {
        flow_state_free(e, f, SETTLE_GAVE_UP); /* nothing is open any more */
        f->done = 1;
    }
}

/* Datagrams of a UDP flow that are looked at for a DTLS or QUIC start. */
#define UDP_PROBE_DATAGRAMS 4

static void udp_packet(struct engine *e, struct flow *f, int dir, const struct frame_facts *ff,
                       const struct frame *fr)
{
    if (f->done || ff->payload_len == 0)
        return;
    const struct packet_view view = facts_view(ff, fr), *pv = &view;
    struct span payload = span_make(pv->payload, pv->payload_len);
    struct flow_state *fs = f->user;
    if (!fs) {
        int carrier = session_datagram_carrier(payload);
        if (carrier < 0) {
            if (f->pkts[0] + f->pkts[1] >= UDP_PROBE_DATAGRAMS)
                f->done = 1;
            return;
        }
        if (!(fs = f->user = flow_state_new(f, e)))
            return;
        if (f->pkts[0] + f->pkts[1] == 1)
            fs->session.initiator = (uint8_t)dir;
        session_set_carrier(&fs->session, carrier);
    }
    if (!fs->cls.done) {
        if (fs->session.carrier == CARRIER_QUIC) /* decrypted by tlsmon already */
            classify_skip(e->classifier, &fs->cls);
        else
            classify_packet(e->classifier, &fs->cls, pv);
    }
    session_datagram(&fs->session, dir, payload, pv->ts_us);
    if (fs->session.finished) {
        flow_state_free(e, f, SETTLE_GAVE_UP);
        f->done = 1;
    }
}

/* Reads nothing but the frame and the flow table's hash key (fixed at
 * creation): safe in the reading thread while engine_frame runs. */
static void engine_prepare(void *ctx, int linktype, const struct frame *fr, void *out)
{
    const struct engine *e = ctx;
    frame_facts_make(e->flows, linktype, fr->data, fr->caplen, fr->len, out);
}

/* The flow of a frame a few ahead, fetched while earlier frames are handled
 * (a flow table larger than the cache costs a miss or two per packet). */
static void engine_prefetch(void *ctx, const struct frame *fr)
{
    struct engine *e = ctx;
    const struct frame_facts *ff = fr->prep;
    /* Two steps: the bucket of the frame PREFETCH_AHEAD out now; the flow
     * it leads to for the frame hinted PREFETCH_NEAR calls ago, whose bucket
     * has arrived by now. Not the payload: the reading thread wrote it on
     * its own core, and most frames are of flows only counted now, whose
     * payload is never read here; fetching it anyway moved each line to
     * this core and made the reader's next write to it wait for the line
     * to come back (5 % of the wall time on the large file). */
    struct prefetch_step *near = &e->ahead[e->ahead_next++ % PREFETCH_NEAR];
    if (near->valid)
        flow_table_prefetch_flow(e->flows, near->hash);
    near->valid = ff->result == DECODE_OK;
    if (!near->valid)
        return;
    flow_table_prefetch_bucket(e->flows, ff->hash);
    near->hash = ff->hash;
}

const struct frame_prepare *engine_frame_prepare(struct engine *e)
{
    e->prepare.prefetch = engine_prefetch;
    e->prepare.fn = engine_prepare;
    e->prepare.ctx = e;
    e->prepare.size = sizeof(struct frame_facts);
    return &e->prepare;
}

/* A TCP or UDP packet: a frame's, or a datagram made whole from fragments. */
PER_PACKET void engine_packet(struct engine *e, const struct frame_facts *ff,
                              const struct frame *fr)
{
    const uint8_t flags = ff->tcp_flags;

    int dir = ff->dir, created;
    struct flow *f = flow_table_lookup_hashed(e->flows, &ff->key, ff->hash, e->now_us, &created);
    if (!f)
        return;
    /* A new connection on a 5-tuple whose old one closed. */
    if (!created && ff->transport == TRANSPORT_TCP && (flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN &&
        (f->fin_mask || f->rst)) {
        flow_table_remove(e->flows, f, FLOW_END_REUSED);
        f = flow_table_lookup_hashed(e->flows, &ff->key, ff->hash, e->now_us, &created);
        if (!f)
            return;
    }
    f->pkts[dir]++;
    if (ff->transport == TRANSPORT_UDP) {
        udp_packet(e, f, dir, ff, fr);
        return;
    }
    if (flags & TCPF_FIN)
        f->fin_mask |= (uint8_t)(1u << dir);
    if (flags & TCPF_RST)
        f->rst = 1;
    if (flags & TCPF_SYN) {
        f->syn_seq[dir] = ff->seq;
        f->syn_seen |= (uint8_t)(1u << dir);
        if (!(flags & TCPF_ACK))
            f->syn_dir = (uint8_t)dir;
    }
    tcp_packet(e, f, dir, ff, fr);
    if (f->rst || f->fin_mask == 3) /* closed: only a short linger now */
        flow_table_mark_closed(e->flows, f);
}

static void expire(struct engine *e)
{
    flow_table_expire(e->flows, e->now_us, &e->timeouts);
    if (e->frags)
        ipfrag_expire(e->frags, e->now_us);
    e->last_expire_us = e->now_us;
}

/* Whether a fragment's datagram may carry what tlsmon reads: TCP, UDP, or
 * a tunnel decode opens (IP-in-IP, GRE). Others (ESP, ICMP, ...) are not
 * held, so that they cannot push these out. In IPv6 only the first
 * fragment's next header counts (RFC 8200 section 4.5), and it may be an
 * extension header: only what is surely not wanted is refused. */
static int fragment_worth_holding(const struct ip_fragment *f)
{
    if (f->family == ADDR_V6)
        return f->offset != 0 || !(f->proto == 50 || f->proto == 58 || f->proto == 59);
    return f->proto == TRANSPORT_TCP || f->proto == TRANSPORT_UDP || f->proto == 4 ||
           f->proto == 41 || f->proto == 47;
}

/* Fragments inside a datagram made whole (a tunnel's packet cut before it
 * went in, and the tunnel's cut again) are put together too, this deep. */
#define FRAGMENT_LEVELS 3

/* A fragment of an IP datagram: held until its datagram is whole, which
 * then goes on as a frame of its own (not counted as a packet again). */
static void engine_fragment(struct engine *e, int linktype, const struct frame *fr)
{
    e->c.fragments++;
    const uint8_t *data = fr->data;
    uint32_t caplen = fr->caplen, len = fr->len;
    for (int level = 0; level < FRAGMENT_LEVELS; level++) {
        struct packet_view pv;
        struct ip_fragment frag;
        if (decode_packet_fragment(linktype, data, caplen, len, &pv, &frag) != DECODE_FRAGMENT)
            return;
        if (!e->frags && !(e->frags = ipfrag_new()))
            return;
        if (!fragment_worth_holding(&frag)) {
            if (frag.family == ADDR_V6) /* its other fragments do not say */
                ipfrag_ignore(e->frags, &frag, e->now_us);
            return;
        }
        const uint8_t *whole = ipfrag_add(e->frags, &frag, e->now_us, &len);
        if (!whole)
            return;
        data = whole;
        caplen = len;
        linktype = DLT_EN10MB;
        struct frame_facts ff;
        /* The general path: rare here, and a second caller of
         * frame_facts_make kept it from being inlined in the reading loop. */
        frame_facts_make_general(e->flows, linktype, data, caplen, len, &ff);
        if (ff.result == DECODE_OK) {
            struct frame wf = {fr->ts_us, caplen, len, data, NULL};
            engine_packet(e, &ff, &wf);
            return;
        }
        if (ff.result != DECODE_FRAGMENT)
            return; /* counted as fragments already: not counted twice */
    }
    e->c.malformed++; /* fragments nested deeper */
}

void engine_frame(void *ctx, int linktype, const struct frame *fr)
{
    struct engine *e = ctx;
    e->c.packets++;
    e->c.bytes += fr->len;
    if (fr->caplen < fr->len)
        e->c.truncated_packets++;
    if (fr->ts_us < e->first_us)
        e->first_us = fr->ts_us;
    if (fr->ts_us > e->last_us) {
        e->last_us = fr->ts_us;
        if (fr->ts_us > e->now_us)
            e->now_us = fr->ts_us;
    }
    if (e->now_us - e->last_expire_us >= EXPIRE_EVERY_US)
        expire(e);

    struct frame_facts local;
    const struct frame_facts *ff = fr->prep;
    if (!ff) {
        engine_prepare(e, linktype, fr, &local);
        ff = &local;
    }
    if (__builtin_expect(ff->result == DECODE_OK, 1)) {
        if (ff->transport == TRANSPORT_TCP)
            e->c.tcp_packets++;
        else
            e->c.udp_packets++;
        engine_packet(e, ff, fr);
    } else if (ff->result == DECODE_FRAGMENT) {
        engine_fragment(e, linktype, fr);
    } else {
        count_decode_failure(e, (enum decode_result)ff->result);
    }
}

void engine_tick(struct engine *e, int64_t now_us)
{
    if (!e->flows || now_us <= e->now_us)
        return;
    e->now_us = now_us;
    if (e->now_us - e->last_expire_us >= EXPIRE_EVERY_US)
        expire(e);
}

int engine_flush_log(struct engine *e, char *err, size_t errlen)
{
    return e->log ? hslog_flush(e->log, err, errlen) : 0;
}

int engine_reopen_log(struct engine *e, char *err, size_t errlen)
{
    return e->log ? hslog_reopen(e->log, err, errlen) : 0;
}

uint64_t engine_active_flows(const struct engine *e)
{
    struct flow_table_stats fst = {0};
    if (e->flows)
        flow_table_get_stats(e->flows, &fst);
    return fst.active;
}

int engine_finish(struct engine *e, char *err, size_t errlen)
{
    int rc = 0;
    if (e->finished)
        return 0;
    e->finished = 1;
    if (e->frags)
        ipfrag_flush(e->frags); /* what never became whole counts now */
    if (e->flows) {
        flow_table_get_stats(e->flows, &e->final_flow_stats);
        flow_table_free(e->flows); /* settles every open handshake */
        e->flows = NULL;
    }
    if (e->log) {
        struct hslog_stats ls;
        hslog_get_stats(e->log, &ls);
        e->c.log_written = ls.written;
        e->c.log_out_of_order = ls.out_of_order;
        rc = hslog_close(e->log, err, errlen);
        e->log = NULL;
    }
    return rc;
}

void engine_set_reassembly_cap(uint64_t bytes)
{
    tcp_reasm_total_cap = bytes;
    tls_stream_budget.cap = bytes;
}

void engine_count_file(struct engine *e, int failed)
{
    e->c.files++;
    e->c.files_failed += failed != 0;
}

void engine_counters(const struct engine *e, struct run_counters *c)
{
    struct flow_table_stats fst = e->final_flow_stats;
    *c = e->c;
    if (e->flows)
        flow_table_get_stats(e->flows, &fst);
    /* The span of the packets' capture times. */
    c->first_ts = e->first_us == INT64_MAX ? 0 : (double)e->first_us / 1e6;
    c->last_ts = (double)e->last_us / 1e6;
    if (e->log) { /* still running: the log's figures so far */
        struct hslog_stats ls;
        hslog_get_stats(e->log, &ls);
        c->log_written = ls.written;
        c->log_out_of_order = ls.out_of_order;
    }
    c->flows_created = fst.created;
    c->flows_peak = fst.peak;
    c->flows_evicted = fst.evicted;
    c->flows_expired = fst.expired;
    c->client_hellos = session_stats.client_hellos;
    c->server_hellos = session_stats.server_hellos;
    c->sslv2_hellos = session_stats.sslv2_hellos;
    c->unparsable_hellos = session_stats.unparsable_hellos;
    c->oversize_hellos = session_stats.oversize_hellos;
    memcpy(c->records_by_version, session_stats.records_by_version, sizeof(c->records_by_version));
    c->reasm_out_of_order = tcp_reasm_stats.out_of_order;
    c->reasm_retransmitted = tcp_reasm_stats.retransmitted;
    c->reasm_gaps = tcp_reasm_stats.gaps;
    c->reasm_cap_hits = tcp_reasm_stats.cap_hits;
    c->reasm_peak_bytes = tcp_reasm_stats.held_peak;
    c->hello_buffer_peak = tls_stream_budget.peak;
    c->hello_buffer_refused = tls_stream_budget.refused;
    c->starttls_upgrades = session_stats.starttls_upgrades;
    c->starttls_refused = session_stats.starttls_refused;
    c->plaintext_sessions = session_stats.plaintext_sessions;
    c->dtls_records = dtls_stats.records;
    c->dtls_reassembled = dtls_stats.reassembled;
    c->dtls_dropped = dtls_stats.dropped_fragments;
    c->quic_initials = quic_stats.initials;
    c->quic_decrypted = quic_stats.decrypted;
    c->quic_failed = quic_stats.decrypt_failed;
    c->quic_unknown_version = quic_stats.unknown_version;
    c->quic_vn = quic_stats.version_negotiation;
    if (e->frags) {
        struct ipfrag_stats fs;
        ipfrag_get_stats(e->frags, &fs);
        c->ip_reassembled = fs.reassembled;
        c->ip_frag_overlapping = fs.overlapping;
        c->ip_frag_truncated = fs.truncated;
        c->ip_frag_invalid = fs.oversize + fs.malformed;
        c->ip_frag_incomplete = fs.incomplete;
        c->ip_frag_copies = fs.duplicates;
        c->ip_frag_peak_bytes = fs.peak_bytes;
    }
    c->ndpi_flows = classify_stats.flows;
    c->ndpi_classified = classify_stats.classified;
    c->http_named_by_tlsmon = classify_stats.http_by_tlsmon;
}

const struct summary *engine_summary(const struct engine *e)
{
    return e->summary;
}

void engine_free(struct engine *e)
{
    if (!e)
        return;
    if (!e->finished) {
        char err[256];
        engine_finish(e, err, sizeof(err));
    }
    flow_table_free(e->flows);
    ipfrag_free(e->frags);
    if (e->log) {
        char err[256];
        hslog_close(e->log, err, sizeof(err));
    }
    summary_free(e->summary);
    session_pool_free();
    pool_destroy(&e->flow_states);
    /* nDPI last: it frees ~100,000 small blocks, which glibc holds in its
     * fast bins until a large block is freed and has it sort them all
     * (7 million instructions when one of the pools' chunks came after). */
    classifier_free(e->classifier);
    free(e);
}
