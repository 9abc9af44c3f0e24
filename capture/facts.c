/* facts.c: see facts.h. Most frames on a SPAN port are Ethernet (one VLAN
 * tag at most), IPv4 without options, TCP: those are read straight into
 * the facts, without the packet view in between (building the view, then
 * the key from it, cost twice the instructions). Anything else, and any
 * frame the direct path has a doubt about, takes the general path. */
#include "facts.h"

#include <pcap/dlt.h>
#include <string.h>

#include "decode.h"

enum { ETHERTYPE_IPV4 = 0x0800, ETHERTYPE_VLAN = 0x8100 };

static inline uint16_t be16_at(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t be32_at(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void facts_from_view(const struct flow_table *t, const struct packet_view *pv,
                            const uint8_t *data, struct frame_facts *ff)
{
    int dir;
    flow_key_from_packet(pv, &ff->key, &dir);
    ff->dir = (uint8_t)dir;
    ff->hash = flow_table_hash(t, &ff->key);
    ff->transport = pv->transport;
    ff->tcp_flags = pv->tcp_flags;
    ff->seq = pv->seq;
    ff->ack = pv->ack;
    ff->payload_off = pv->payload ? (uint32_t)(pv->payload - data) : 0;
    ff->payload_len = pv->payload_len;
    ff->payload_wire = pv->payload_wire;
    ff->l3_off = (uint32_t)(pv->l3 - data);
    ff->l3_len = pv->l3_len;
}

void frame_facts_make_general(const struct flow_table *t, int linktype, const uint8_t *data,
                              uint32_t caplen, uint32_t wire_len, struct frame_facts *ff)
{
    struct packet_view pv;
    ff->result = (uint8_t)decode_packet(linktype, data, caplen, wire_len, &pv);
    if (ff->result == DECODE_OK)
        facts_from_view(t, &pv, data, ff);
}

/* Ethernet (+ one 802.1Q tag), IPv4 with a 20-byte header and no
 * fragmentation, TCP (RFC 791 section 3.1, RFC 9293 section 3.1), with
 * every header whole in the capture: 0 for anything else, and for the rare
 * 1-6 byte payloads that may be Ethernet padding (decode.c decides those).
 * The checks need only be sufficient; what they pass must come out as the
 * general path makes it (test_decode.c compares the two). */
static int facts_ether_tcp4(const struct flow_table *t, const uint8_t *p, uint32_t caplen,
                            struct frame_facts *ff)
{
    if (caplen < 14)
        return 0;
    uint32_t off = 14;
    uint16_t type = be16_at(p + 12), vlan = 0;
    if (type == ETHERTYPE_VLAN) {
        if (caplen < 18)
            return 0;
        vlan = be16_at(p + 14) & 0x0fff;
        type = be16_at(p + 16);
        off = 18;
    }
    if (type != ETHERTYPE_IPV4 || caplen - off < 40)
        return 0;
    const uint8_t *ip = p + off, *tcp = ip + 20;
    if (ip[0] != 0x45 || (be16_at(ip + 6) & 0x3fff) || ip[9] != TRANSPORT_TCP)
        return 0;
    uint32_t avail = caplen - off, total = be16_at(ip + 2);
    if (total == 0) /* TCP segmentation offload, as decode.c takes it */
        total = avail > 65535 ? 65535 : avail;
    uint32_t hlen = (uint32_t)(tcp[12] >> 4) * 4;
    if (total < 20 || hlen < 20 || total - 20 < hlen || avail - 20 < hlen)
        return 0;
    uint32_t payload_wire = total - 20 - hlen;
    if (payload_wire - 1u < 6u)
        return 0;

    uint32_t a, b;
    memcpy(&a, ip + 12, 4);
    memcpy(&b, ip + 16, 4);
    struct flow_key *k = &ff->key;
    int swap = flow_key_v4(k, a, be16_at(tcp), b, be16_at(tcp + 2), vlan, TRANSPORT_TCP);

    uint32_t pay_avail = avail - 20 - hlen;
    ff->result = DECODE_OK;
    ff->dir = (uint8_t)swap;
    ff->transport = TRANSPORT_TCP;
    ff->tcp_flags = tcp[13];
    /* From the values in hand, not read back from the key just stored. */
    ff->hash =
        flow_table_hash_v4(t, (uint32_t)vlan << 16 | ADDR_V4 << 8 | TRANSPORT_TCP,
                           (uint32_t)k->port[0] << 16 | k->port[1], swap ? b : a, swap ? a : b);
    ff->seq = be32_at(tcp + 4);
    ff->ack = be32_at(tcp + 8);
    ff->payload_off = off + 20 + hlen;
    ff->payload_len = pay_avail < payload_wire ? pay_avail : payload_wire;
    ff->payload_wire = payload_wire;
    ff->l3_off = off;
    ff->l3_len = avail < total ? avail : total;
    return 1;
}

void frame_facts_make(const struct flow_table *t, int linktype, const uint8_t *data,
                      uint32_t caplen, uint32_t wire_len, struct frame_facts *ff)
{
    if (linktype == DLT_EN10MB && facts_ether_tcp4(t, data, caplen, ff))
        return;
    frame_facts_make_general(t, linktype, data, caplen, wire_len, ff);
}
