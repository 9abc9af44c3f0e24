/* ipfrag.h: IPv4 and IPv6 datagrams put back together from their
 * fragments (RFC 791 section 3.2, RFC 8200 section 4.5), so that a
 * ClientHello or a server's flight split by a router with a small MTU (a
 * tunnel, a VPN, a remote SPAN over GRE) is read like any other.
 *
 * Bounded in datagrams held, bytes held and time (capture time): what does
 * not fit, overlaps, or never completes is counted, never guessed. */
#ifndef TLSMON_IPFRAG_H
#define TLSMON_IPFRAG_H

#include <stdint.h>

#include "decode.h"

struct ipfrag_stats {
    uint64_t reassembled; /* datagrams completed */
    uint64_t duplicates;  /* fragments whose bytes were all held already (or, within a
                             second after the datagram was made, whose units were) */
    uint64_t overlapping; /* datagrams dropped: fragments overlapped with other bytes,
                             or disagreed on where the datagram ends */
    uint64_t truncated;   /* datagrams dropped: a fragment shorter than its header says (snaplen) */
    uint64_t malformed;   /* datagrams dropped: a fragment before the last empty or not a
                             multiple of 8 bytes */
    uint64_t oversize;    /* datagrams dropped: longer than IP allows, or a header too long */
    uint64_t incomplete;  /* datagrams let go unfinished (timed out, evicted, flushed) */
    uint64_t peak_bytes;  /* most fragment data held at once */
};

struct ipfrag_table;

struct ipfrag_table *ipfrag_new(void);
void ipfrag_free(struct ipfrag_table *t);

/* Let go of every datagram (the input has ended): the unfinished ones
 * count as incomplete. Until then, those still held count as nothing, so
 * that the counts only grow (periodic reports subtract them). */
void ipfrag_flush(struct ipfrag_table *t);

/* Take one fragment seen at now_us. When it completes its datagram,
 * returns that datagram as an Ethernet frame (DLT_EN10MB, with the
 * fragment's 802.1Q id if it had one, so that its flow is the same) of
 * *len bytes, valid until the next call; else NULL. f may point into the
 * frame the last call returned (a fragment inside a datagram made whole):
 * it is read before that is written. */
const uint8_t *ipfrag_add(struct ipfrag_table *t, const struct ip_fragment *f, int64_t now_us,
                          uint32_t *len);

/* The datagram of f is not wanted (what its first fragment says it
 * carries): its fragments are swallowed, uncounted, until it times out. */
void ipfrag_ignore(struct ipfrag_table *t, const struct ip_fragment *f, int64_t now_us);

/* Let go of datagrams whose first fragment is older than their version's
 * timeout, and of datagrams made whole a second after they were. */
void ipfrag_expire(struct ipfrag_table *t, int64_t now_us);

void ipfrag_get_stats(const struct ipfrag_table *t, struct ipfrag_stats *st);

#endif
