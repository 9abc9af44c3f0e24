/* flow_table.h: flows keyed by the canonical 5-tuple (plus VLAN).
 *
 * Invariants:
 * - A flow's key has the lower (address, port) endpoint first, so both
 *   directions of a connection find the same entry; direction 0 is "from
 *   endpoint 0".
 * - Buckets are chained; the table doubles when it holds more flows than
 *   buckets and moves a few buckets per operation (incremental rehashing, as
 *   Redis's dict.c does), so growth never stalls the packet loop.
 * - Each flow is also on one of three lists, each ordered by last packet
 *   time (oldest first): open TCP, UDP, and closed TCP connections. Each
 *   list has its own idle timeout (closed connections linger only briefly,
 *   UDP flows are short-lived), so expiry takes from list heads in O(1);
 *   eviction at the cap takes the oldest head of the three.
 * - The order is kept to a granularity (flow_table_set_relink_us, 0 by
 *   default: exact): a flow moves to the newest end of its list only when
 *   its last move is at least that old. Moving a flow writes to both of its
 *   neighbours, cache misses on every packet of a busy link; at 1 s a flow
 *   moves at most once a second, and expiry and eviction are at most that
 *   much late or out of order.
 * - The hash is multilinear (strongly universal) with random multipliers
 *   chosen at start-up, so colliding flows cannot be chosen from outside.
 */
#ifndef TLSMON_FLOW_TABLE_H
#define TLSMON_FLOW_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "packet.h"

struct flow_key {
    uint8_t addr[2][16];
    uint16_t port[2];
    uint16_t vlan;
    uint8_t family;
    uint8_t transport;
};

/* 120 bytes, two cache lines (pool objects are line-aligned): what every
 * packet of a flow touches is in the first, the rest in the second. */
struct flow {
    struct flow_key key;
    uint32_t hash;    /* flow_table_hash: enough to skip most compares */
    uint8_t syn_seen; /* bit d: syn_seq[d] is set */
    uint8_t fin_mask; /* bit d: direction d sent FIN */
    uint8_t rst;
    uint8_t syn_dir;    /* direction that sent the SYN, 0xff unknown */
    struct flow *hnext; /* bucket chain */
    int64_t last_us;
    uint32_t pkts[2];           /* per direction */
    void *user;                 /* the dissector's per-flow state */
    uint8_t done;               /* inspection finished: only counted now */
    uint8_t list;               /* which list it is on (FLOW_LIST_*) */
    struct flow *older, *newer; /* its list, by last packet time */
    int64_t moved_us;           /* last_us when it last moved to the newest end */
    uint32_t syn_seq[2];        /* sequence number of each direction's SYN */
};

enum { FLOW_LIST_TCP = 0, FLOW_LIST_UDP, FLOW_LIST_CLOSED, FLOW_LISTS };

/* Called before a flow leaves the table (expired, evicted, or at the end). */
enum flow_end_reason { FLOW_END_IDLE, FLOW_END_EVICTED, FLOW_END_REUSED, FLOW_END_SHUTDOWN };
typedef void (*flow_end_fn)(struct flow *f, enum flow_end_reason why, void *ctx);

struct flow_table;

struct flow_table *flow_table_new(size_t max_flows, flow_end_fn on_end, void *ctx);
void flow_table_free(struct flow_table *t); /* ends every flow (SHUTDOWN) */

/* Build the canonical key of a packet; *dir is the packet's direction. */
void flow_key_from_packet(const struct packet_view *pv, struct flow_key *key, int *dir);

/* The same for an IPv4 packet from address a, port sport to b, dport (the
 * addresses as their four bytes lie in the header), for a caller that has
 * them in hand. Returns the direction. Inline: it is on the path of every
 * packet (capture/facts.c). */
static inline int flow_key_v4(struct flow_key *key, uint32_t a, uint16_t sport, uint32_t b,
                              uint16_t dport, uint16_t vlan, uint8_t transport)
{
    /* Compared as numbers, so in the bytes' order (memcmp's). */
    uint32_t ha = __builtin_bswap32(a), hb = __builtin_bswap32(b);
    int swap = !(ha < hb || (ha == hb && sport < dport));
    memset(key->addr, 0, sizeof(key->addr));
    memcpy(key->addr[0], swap ? &b : &a, 4);
    memcpy(key->addr[1], swap ? &a : &b, 4);
    key->port[0] = swap ? dport : sport;
    key->port[1] = swap ? sport : dport;
    key->vlan = vlan;
    key->family = ADDR_V4;
    key->transport = transport;
    return swap;
}

/* Find the flow of key, creating it when absent (evicting the oldest flow
 * when the table is full). *created tells which. Moves it to the newest end
 * of the list with last_us = now_us. Returns NULL only on allocation failure. */
struct flow *flow_table_lookup(struct flow_table *t, const struct flow_key *key, int64_t now_us,
                               int *created);

/* The same with the key's hash already made by flow_table_hash. The hash
 * reads only the table's secret key, fixed at creation, so another thread
 * (the capture reader) may make it ahead of the lookup. */
uint32_t flow_table_hash(const struct flow_table *t, const struct flow_key *key);
/* flow_table_hash of an IPv4 key from its parts: meta is vlan << 16 |
 * family << 8 | transport, ports port[0] << 16 | port[1], a0 and a1 the
 * addresses as their four bytes read in host order. For a caller that has
 * them in hand (capture/facts.c). */
uint32_t flow_table_hash_v4(const struct flow_table *t, uint32_t meta, uint32_t ports, uint32_t a0,
                            uint32_t a1);
struct flow *flow_table_lookup_hashed(struct flow_table *t, const struct flow_key *key,
                                      uint32_t hash, int64_t now_us, int *created);

/* Move a flow to the newest end of its list only when it last moved at
 * least us ago (see above); 0, the default, moves it on every lookup. */
void flow_table_set_relink_us(struct flow_table *t, int64_t us);

/* Prefetch hints for a lookup a few packets ahead: first the bucket, then
 * (once the bucket is likely cached) the flow it leads to. */
void flow_table_prefetch_bucket(const struct flow_table *t, uint32_t hash);
void flow_table_prefetch_flow(const struct flow_table *t, uint32_t hash);

/* End and remove one flow (e.g. its 5-tuple is being reused). */
void flow_table_remove(struct flow_table *t, struct flow *f, enum flow_end_reason why);

/* The connection has closed (FIN both ways, or RST): it moves to the list
 * of closed connections, which expire after a short linger. */
void flow_table_mark_closed(struct flow_table *t, struct flow *f);

/* End every flow idle longer than its list's timeout. */
struct flow_timeouts {
    int64_t tcp_us, udp_us, closed_us;
};
void flow_table_expire(struct flow_table *t, int64_t now_us, const struct flow_timeouts *to);

struct flow_table_stats {
    uint64_t active, peak, created, expired, evicted, alloc_failed;
    size_t buckets;
};
void flow_table_get_stats(const struct flow_table *t, struct flow_table_stats *st);

#endif
