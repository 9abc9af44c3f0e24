/* decode.h: link layer, IPv4/IPv6 and TCP/UDP headers into a packet_view. */
#ifndef TLSMON_DECODE_H
#define TLSMON_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "packet.h"

/* Why a packet was not handed on; each has a counter in the summary. */
enum decode_result {
    DECODE_OK = 0,
    DECODE_TRUNCATED,   /* cut by snaplen before the transport header ended */
    DECODE_NOT_IP,      /* ARP, LLDP, ... */
    DECODE_NOT_TCP_UDP, /* ICMP, ESP, ... */
    DECODE_FRAGMENT,    /* a non-first IP fragment (or first with no full header) */
    DECODE_MALFORMED,   /* inconsistent header lengths */
    DECODE_RESULT_COUNT,
};

/* TCP segments whose only "payload" was zero padding in a minimum-size
 * frame, taken as empty (see decode.c). */
extern uint64_t decode_padding_payloads;

const char *decode_result_name(enum decode_result r);

/* Is this libpcap link type handled? Returns its name for messages. */
int decode_linktype_supported(int linktype);

/* Decode one captured frame (caplen bytes at data). Never reads past caplen. */
enum decode_result decode_packet(int linktype, const uint8_t *data, uint32_t caplen,
                                 uint32_t wire_len, struct packet_view *pv);

#endif
