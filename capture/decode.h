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
    DECODE_FRAGMENT,    /* an IPv4 or IPv6 fragment (any offset, or more to come) */
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

/* An IPv4 or IPv6 fragment (RFC 791 section 3.2, RFC 8200 section 4.5):
 * what capture/ipfrag.c needs to put its datagram back together. The
 * pointers are into the frame. */
struct ip_fragment {
    uint8_t family;  /* ADDR_V4 or ADDR_V6 */
    uint8_t proto;   /* what the datagram carries (IPv6: the Fragment header's next header) */
    uint8_t more;    /* more fragments follow */
    uint16_t vlan;   /* the flow table's: the 802.1Q id, 0 for none */
    uint32_t id;     /* identification (IPv4: 16 bits) */
    uint32_t offset; /* of this fragment's data in the datagram's, in bytes */
    uint8_t src[16], dst[16];
    const uint8_t *hdr; /* IPv4: the header with options; IPv6: the header, the */
    uint32_t hdr_len;   /* extension headers before the Fragment header, and it */
    const uint8_t *data;
    uint32_t data_len;  /* captured */
    uint32_t data_wire; /* by the headers */
};

/* decode_packet, and for DECODE_FRAGMENT, the fragment in *frag (when the
 * fragment is the packet's outermost IP, or inside a tunnel). */
enum decode_result decode_packet_fragment(int linktype, const uint8_t *data, uint32_t caplen,
                                          uint32_t wire_len, struct packet_view *pv,
                                          struct ip_fragment *frag);

#endif
