/* tcp_reasm.h: in-order delivery of one TCP connection's bytes, both
 * directions, while a flow is being inspected.
 *
 * Each direction follows its sequence numbers from the SYN (or, with no SYN
 * captured, from the first segment the consumer recognises as a stream
 * start). Retransmitted bytes are dropped, overlapping ones trimmed,
 * segments ahead of the expected sequence number are held (copied) until the
 * gap fills. Held bytes are bounded per direction and in total; a direction
 * that would exceed them, or whose bytes were cut by the snap length, is
 * marked as having a gap and delivers nothing more. */
#ifndef TLSMON_TCP_REASM_H
#define TLSMON_TCP_REASM_H

#include <stdint.h>

#include "../dissect/span.h"
#include "packet.h"

#define TCP_REASM_MAX_HELD_PER_DIR (256 * 1024)

struct tcp_held;

struct tcp_dir {
    uint32_t next_seq;
    uint8_t state; /* TCP_DIR_* */
    uint8_t gap;   /* bytes were lost: no more delivery */
    uint32_t held_bytes;
    uint64_t delivered;
    struct tcp_held *held; /* sorted by sequence number */
};

enum { TCP_DIR_UNSYNCED = 0, TCP_DIR_ISN = 1, TCP_DIR_DATA = 2 };

struct tcp_reasm {
    struct tcp_dir dir[2];
};

struct tcp_reasm_ops {
    /* In-order bytes of direction dir. */
    void (*deliver)(void *ctx, int dir, struct span data);
    /* Could a stream of direction dir begin with these bytes? */
    int (*is_start)(void *ctx, int dir, struct span data);
};

/* Global accounting, shown in the summary. */
struct tcp_reasm_stats {
    uint64_t held_bytes; /* now */
    uint64_t held_peak;
    uint64_t retransmitted; /* segments wholly already seen */
    uint64_t out_of_order;  /* segments held */
    uint64_t gaps;          /* directions given up for lost bytes */
    uint64_t resyncs;       /* far-off sequence numbers accepted as a new start */
    uint64_t cap_hits;      /* segments dropped at the held-bytes bound */
};
extern struct tcp_reasm_stats tcp_reasm_stats;
extern uint64_t tcp_reasm_total_cap; /* bytes held across all flows */

/* The SYN of direction dir was seen (before this state existed). */
void tcp_reasm_set_isn(struct tcp_reasm *r, int dir, uint32_t syn_seq);

/* Feed one segment of direction dir. */
void tcp_reasm_segment(struct tcp_reasm *r, int dir, const struct packet_view *pv,
                       const struct tcp_reasm_ops *ops, void *ctx);

/* The connection ends: a direction that never found its start delivers
 * what it holds from the lowest sequence number on. */
void tcp_reasm_flush(struct tcp_reasm *r, const struct tcp_reasm_ops *ops, void *ctx);

void tcp_reasm_free(struct tcp_reasm *r);

#endif
