/* summary.h: totals over a run, printed at the end (and, live, per
 * interval): handshakes by negotiated version, by the client's highest
 * offered version, by service, the clients still on TLS 1.1 or lower, and
 * the capture's counters. */
#ifndef TLSMON_SUMMARY_H
#define TLSMON_SUMMARY_H

#include <stdint.h>
#include <stdio.h>

#include "../dissect/handshake.h"

/* Version buckets for counting. */
enum vbucket {
    VB_NONE = 0, /* not seen */
    VB_SSL2,
    VB_SSL3,
    VB_TLS10,
    VB_TLS11,
    VB_TLS12,
    VB_TLS13,
    VB_DTLS10,
    VB_DTLS12,
    VB_DTLS13,
    VB_OTHER, /* seen, outside the named table */
    VB_COUNT,
};

enum vbucket version_bucket(uint16_t v);
const char *vbucket_name(enum vbucket b);

/* Counters the capture and dissection layers hand over, by value. */
struct run_counters {
    uint64_t files, files_failed, packets, bytes;
    uint64_t truncated_packets; /* caplen < original length */
    uint64_t not_ip, not_tcp_udp, fragments, malformed, short_headers;
    /* IP datagrams put together from fragments; refused for overlaps, for
     * a fragment cut short (snaplen), or invalid (too long, a fragment before
     * the last not a multiple of 8); never whole (timed out, evicted, at
     * the end). */
    uint64_t ip_reassembled, ip_frag_overlapping, ip_frag_truncated, ip_frag_invalid;
    uint64_t ip_frag_incomplete;
    uint64_t ip_frag_copies;     /* fragments that only repeated held ones (SPAN copies) */
    uint64_t ip_frag_peak_bytes; /* most fragment data held at once */
    uint64_t tcp_packets, udp_packets;
    uint64_t flows_created, flows_peak, flows_evicted, flows_expired;
    uint64_t client_hellos, server_hellos, sslv2_hellos, unparsable_hellos, oversize_hellos;
    uint64_t reasm_out_of_order, reasm_retransmitted, reasm_gaps, reasm_cap_hits, reasm_peak_bytes;
    uint64_t hello_buffer_peak, hello_buffer_refused;
    uint64_t log_written, log_out_of_order;
    uint64_t ndpi_flows, ndpi_classified, http_named_by_tlsmon;
    uint64_t starttls_upgrades, starttls_refused, plaintext_sessions;
    uint64_t dtls_records, dtls_reassembled, dtls_dropped;
    uint64_t quic_initials, quic_decrypted, quic_failed, quic_unknown_version, quic_vn;
    uint64_t records_by_version[6];
    double first_ts, last_ts; /* capture time span, seconds */
};

struct summary;

struct summary *summary_new(void);
void summary_free(struct summary *s);
void summary_add(struct summary *s, const struct tls_handshake *hs);
void summary_add_plaintext(struct summary *s, const struct plaintext_record *pr);
void summary_print(const struct summary *s, const struct run_counters *c, FILE *out);

#endif
