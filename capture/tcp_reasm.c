/* tcp_reasm.c: see tcp_reasm.h. Sequence arithmetic is modulo 2^32
 * (RFC 9293 section 3.4). */
#include "tcp_reasm.h"

#include <stdlib.h>
#include <string.h>

/* A sequence number this far from the expected one is not a reordering but a
 * different stream (a second SYN-ACK with another ISN, a missed SYN). */
#define FAR_AWAY (1u << 20)

/* Segments held in a direction with no known start before the lowest is
 * taken as the start. */
#define UNSYNCED_HOLD_SEGMENTS 4

struct tcp_reasm_stats tcp_reasm_stats;
uint64_t tcp_reasm_total_cap = 256ull << 20;

struct tcp_held {
    struct tcp_held *next;
    uint32_t seq, len;
    uint8_t data[];
};

static inline int32_t seq_diff(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b);
}

/* Take the lowest held segment off the list, its bytes off both counts. */
static struct tcp_held *unlink_head(struct tcp_dir *d)
{
    struct tcp_held *h = d->held;
    d->held = h->next;
    d->held_bytes -= h->len;
    tcp_reasm_stats.held_bytes -= h->len;
    return h;
}

static void held_drop_all(struct tcp_dir *d)
{
    while (d->held)
        free(unlink_head(d));
}

static void mark_gap(struct tcp_dir *d);

static void hold(struct tcp_dir *d, uint32_t seq, struct span data)
{
    if (d->held_bytes + data.n > TCP_REASM_MAX_HELD_PER_DIR ||
        tcp_reasm_stats.held_bytes + data.n > tcp_reasm_total_cap) {
        /* Past the bound the missing bytes will never be filled in: the
         * direction stops here rather than holding more. */
        tcp_reasm_stats.cap_hits++;
        mark_gap(d);
        return;
    }
    struct tcp_held **pp = &d->held;
    while (*pp && seq_diff((*pp)->seq, seq) < 0)
        pp = &(*pp)->next;
    if (*pp && (*pp)->seq == seq && (*pp)->len >= data.n)
        return; /* same segment held already */
    struct tcp_held *h = malloc(sizeof(*h) + data.n);
    if (!h) {
        tcp_reasm_stats.cap_hits++;
        return;
    }
    h->seq = seq;
    h->len = (uint32_t)data.n;
    memcpy(h->data, data.p, data.n);
    h->next = *pp;
    *pp = h;
    d->held_bytes += h->len;
    tcp_reasm_stats.held_bytes += h->len;
    if (tcp_reasm_stats.held_bytes > tcp_reasm_stats.held_peak)
        tcp_reasm_stats.held_peak = tcp_reasm_stats.held_bytes;
    tcp_reasm_stats.out_of_order++;
}

/* Deliver bytes at seq, trimming what was already delivered. */
static void deliver_at(struct tcp_dir *d, int dir, uint32_t seq, struct span data,
                       const struct tcp_reasm_ops *ops, void *ctx)
{
    int32_t behind = seq_diff(d->next_seq, seq);
    if (behind > 0) {
        if ((uint32_t)behind >= data.n)
            return;
        span_skip(&data, (uint32_t)behind);
    }
    if (data.n == 0)
        return;
    d->next_seq += (uint32_t)data.n;
    d->delivered += data.n;
    ops->deliver(ctx, dir, data);
}

/* Deliver held segments that have become contiguous. */
static void drain(struct tcp_dir *d, int dir, const struct tcp_reasm_ops *ops, void *ctx)
{
    while (d->held && !d->gap && seq_diff(d->held->seq, d->next_seq) <= 0) {
        struct tcp_held *h = unlink_head(d);
        deliver_at(d, dir, h->seq, span_make(h->data, h->len), ops, ctx);
        free(h);
    }
}

static void mark_gap(struct tcp_dir *d)
{
    d->gap = 1;
    tcp_reasm_stats.gaps++;
    held_drop_all(d);
}

static void sync_to(struct tcp_dir *d, uint32_t seq)
{
    d->next_seq = seq;
    d->state = TCP_DIR_DATA;
    /* Held segments from before the new start are not part of it. */
    while (d->held && seq_diff(d->held->seq + d->held->len, seq) <= 0)
        free(unlink_head(d));
}

static unsigned held_count(const struct tcp_dir *d)
{
    unsigned n = 0;
    for (const struct tcp_held *h = d->held; h && n < UNSYNCED_HOLD_SEGMENTS; h = h->next)
        n++;
    return n;
}

static void flush_unsynced(struct tcp_dir *d, int dir, const struct tcp_reasm_ops *ops, void *ctx)
{
    if (d->state != TCP_DIR_UNSYNCED || !d->held)
        return;
    sync_to(d, d->held->seq);
    drain(d, dir, ops, ctx);
}

void tcp_reasm_flush(struct tcp_reasm *r, const struct tcp_reasm_ops *ops, void *ctx)
{
    flush_unsynced(&r->dir[0], 0, ops, ctx);
    flush_unsynced(&r->dir[1], 1, ops, ctx);
}

void tcp_reasm_set_isn(struct tcp_reasm *r, int dir, uint32_t syn_seq)
{
    r->dir[dir].next_seq = syn_seq + 1;
    r->dir[dir].state = TCP_DIR_ISN;
}

void tcp_reasm_segment(struct tcp_reasm *r, int dir, const struct packet_view *pv,
                       const struct tcp_reasm_ops *ops, void *ctx)
{
    struct tcp_dir *d = &r->dir[dir];
    uint32_t seq = pv->seq;
    struct span data = span_make(pv->payload, pv->payload_len);

    if (pv->tcp_flags & TCPF_SYN) {
        /* A SYN (or another SYN-ACK) before any data sets the ISN. */
        if (d->state != TCP_DIR_DATA || d->delivered == 0) {
            d->next_seq = seq + 1;
            d->state = TCP_DIR_ISN;
            held_drop_all(d);
        }
        seq += 1; /* data on a SYN (TCP Fast Open) starts after it */
    }
    if (d->gap || data.n == 0)
        return;

    int cut = pv->payload_len < pv->payload_wire; /* cut by the snap length */
    if (d->state == TCP_DIR_UNSYNCED) {
        if (!ops->is_start(ctx, dir, data)) {
            /* Hold it: an earlier segment may still come (reordering). After
             * a few, the lowest held one is taken as the start (a capture
             * that began mid-connection, or a plaintext preamble). */
            if (!cut)
                hold(d, seq, data);
            if (held_count(d) >= UNSYNCED_HOLD_SEGMENTS)
                flush_unsynced(d, dir, ops, ctx);
            return;
        }
        sync_to(d, seq);
    } else {
        int32_t diff = seq_diff(seq, d->next_seq);
        uint32_t dist = diff < 0 ? (uint32_t) - (int64_t)diff : (uint32_t)diff;
        if (dist > FAR_AWAY && d->delivered == 0 && ops->is_start(ctx, dir, data)) {
            tcp_reasm_stats.resyncs++;
            held_drop_all(d);
            sync_to(d, seq);
        } else if (diff > 0) {
            if (cut)
                mark_gap(d);
            else
                hold(d, seq, data);
            return;
        } else if (diff < 0 && (uint32_t) - (int64_t)diff >= data.n) {
            tcp_reasm_stats.retransmitted++;
            return;
        }
        d->state = TCP_DIR_DATA;
    }
    deliver_at(d, dir, seq, data, ops, ctx);
    if (cut) { /* the rest of this segment is unknown */
        mark_gap(d);
        return;
    }
    drain(d, dir, ops, ctx);
}

void tcp_reasm_free(struct tcp_reasm *r)
{
    held_drop_all(&r->dir[0]);
    held_drop_all(&r->dir[1]);
}
