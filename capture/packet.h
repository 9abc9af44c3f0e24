/* packet.h: the parsed view of one packet that capture/ hands on.
 *
 * Pointers refer into the capture buffer and are valid only while the packet
 * is being processed. Nothing here depends on libpcap. */
#ifndef TLSMON_PACKET_H
#define TLSMON_PACKET_H

#include <stdint.h>

enum { ADDR_V4 = 4, ADDR_V6 = 6 };

struct endpoint {
    uint8_t family; /* ADDR_V4 or ADDR_V6 */
    uint8_t addr[16];
    uint16_t port;
};

/* TCP flags (RFC 9293 section 3.1). */
enum {
    TCPF_FIN = 0x01,
    TCPF_SYN = 0x02,
    TCPF_RST = 0x04,
    TCPF_PSH = 0x08,
    TCPF_ACK = 0x10,
};

enum { TRANSPORT_TCP = 6, TRANSPORT_UDP = 17 };

struct ip_fragment;

struct packet_view {
    int64_t ts_us; /* capture time, microseconds since the epoch */
    struct endpoint src, dst;
    uint8_t transport; /* TRANSPORT_TCP or TRANSPORT_UDP */
    uint8_t tcp_flags;
    uint8_t has_vlan;
    uint16_t vlan; /* outer 802.1Q id */
    uint32_t seq, ack;
    const uint8_t *l3; /* the IP header, for nDPI */
    uint32_t l3_len;   /* captured bytes from the IP header on */
    const uint8_t *payload;
    uint32_t payload_len;     /* captured transport payload */
    uint32_t payload_wire;    /* payload length the headers claim */
    uint32_t wire_len;        /* original packet length */
    struct ip_fragment *frag; /* decode's: where a fragment is described (or NULL) */
};

#endif
