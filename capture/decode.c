/* decode.c: link layers, IPv4/IPv6 (extension headers, common tunnels) and
 * TCP/UDP. All reads go through the span cursor, so nothing past caplen is
 * ever touched. */
#include "decode.h"

#include <string.h>

#include "../dissect/span.h"

/* libpcap DLT_ values (pcap/dlt.h), spelled out so this file needs no pcap. */
enum {
    LT_NULL = 0,
    LT_EN10MB = 1,
    LT_PPP = 9,
    LT_RAW = 12,
    LT_RAW_OPENBSD = 14,
    LT_LOOP = 108,
    LT_RAW101 = 101,
    LT_C_HDLC = 104,
    LT_LINUX_SLL = 113,
    LT_PPI = 192,
    LT_IPV4 = 228,
    LT_IPV6 = 229,
    LT_LINUX_SLL2 = 276,
};

enum {
    ETH_IPV4 = 0x0800,
    ETH_IPV6 = 0x86DD,
    ETH_VLAN = 0x8100,
    ETH_QINQ = 0x88A8,
    ETH_QINQ_OLD = 0x9100,
    ETH_PPPOE = 0x8864,
    ETH_TEB = 0x6558,
    ETH_MPLS = 0x8847,
    ETH_ERSPAN_2 = 0x88BE, /* GRE protocol types of Cisco's ERSPAN */
    ETH_ERSPAN_3 = 0x22EB,
};

enum { MAX_TUNNEL_DEPTH = 4 };

static const char *const result_names[DECODE_RESULT_COUNT] = {
    "ok", "truncated", "not IP", "not TCP/UDP", "IP fragment", "malformed",
};

const char *decode_result_name(enum decode_result r)
{
    return r < DECODE_RESULT_COUNT ? result_names[r] : "?";
}

int decode_linktype_supported(int lt)
{
    switch (lt) {
    case LT_NULL:
    case LT_EN10MB:
    case LT_PPP:
    case LT_RAW:
    case LT_RAW_OPENBSD:
    case LT_LOOP:
    case LT_RAW101:
    case LT_C_HDLC:
    case LT_LINUX_SLL:
    case LT_PPI:
    case LT_IPV4:
    case LT_IPV6:
    case LT_LINUX_SLL2:
        return 1;
    default:
        return 0;
    }
}

static enum decode_result decode_ip(struct span s, struct packet_view *pv, int depth);

/* Dispatch on an ethertype; VLAN tags, PPPoE session and MPLS are peeled. */
static enum decode_result decode_ethertype(uint16_t type, struct span s, struct packet_view *pv,
                                           int depth)
{
    for (;;) {
        switch (type) {
        case ETH_IPV4:
        case ETH_IPV6:
            return decode_ip(s, pv, depth);
        case ETH_VLAN:
        case ETH_QINQ:
        case ETH_QINQ_OLD: {
            uint16_t tci;
            if (!span_u16(&s, &tci) || !span_u16(&s, &type))
                return DECODE_TRUNCATED;
            if (!pv->has_vlan) {
                pv->has_vlan = 1;
                pv->vlan = tci & 0x0fff;
            }
            continue;
        }
        case ETH_PPPOE: {
            uint16_t proto;
            /* RFC 2516: ver/type, code, session id, length, then PPP. */
            if (!span_skip(&s, 6) || !span_u16(&s, &proto))
                return DECODE_TRUNCATED;
            if (proto == 0x0021)
                type = ETH_IPV4;
            else if (proto == 0x0057)
                type = ETH_IPV6;
            else
                return DECODE_NOT_IP;
            continue;
        }
        case ETH_MPLS: {
            uint32_t label;
            do {
                if (!span_u32(&s, &label))
                    return DECODE_TRUNCATED;
            } while (!(label & 0x100)); /* bottom of stack */
            uint8_t v;
            if (!span_peek_u8(&s, 0, &v))
                return DECODE_TRUNCATED;
            type = (v >> 4) == 6 ? ETH_IPV6 : ETH_IPV4;
            continue;
        }
        default:
            return DECODE_NOT_IP;
        }
    }
}

static enum decode_result decode_ethernet(struct span s, struct packet_view *pv, int depth)
{
    uint16_t type;
    if (!span_skip(&s, 12) || !span_u16(&s, &type))
        return DECODE_TRUNCATED;
    if (type < 0x0600) { /* 802.3 length: LLC/SNAP */
        uint8_t dsap, ssap, ctl;
        if (!span_u8(&s, &dsap) || !span_u8(&s, &ssap) || !span_u8(&s, &ctl))
            return DECODE_TRUNCATED;
        if (dsap != 0xAA || ssap != 0xAA || !span_skip(&s, 3) || !span_u16(&s, &type))
            return DECODE_NOT_IP;
    }
    return decode_ethertype(type, s, pv, depth);
}

static enum decode_result decode_ppp(struct span s, struct packet_view *pv)
{
    uint8_t b0, b1;
    uint16_t proto;
    if (!span_peek_u8(&s, 0, &b0) || !span_peek_u8(&s, 1, &b1))
        return DECODE_TRUNCATED;
    if (b0 == 0xff && b1 == 0x03) /* HDLC address/control */
        span_skip(&s, 2);
    if (!span_peek_u8(&s, 0, &b0))
        return DECODE_TRUNCATED;
    if (b0 & 1) { /* protocol field compressed to one byte */
        span_skip(&s, 1);
        proto = b0;
    } else if (!span_u16(&s, &proto)) {
        return DECODE_TRUNCATED;
    }
    if (proto == 0x0021 || proto == 0x0057)
        return decode_ip(s, pv, 0);
    return DECODE_NOT_IP;
}

static enum decode_result decode_raw_ip(struct span s, struct packet_view *pv)
{
    return decode_ip(s, pv, 0);
}

/* An IEEE 802.11 data frame with LLC/SNAP, as CAPWAP carries it. */
static enum decode_result decode_80211(struct span s, struct packet_view *pv, int depth)
{
    uint16_t fc;
    if (!span_u16(&s, &fc))
        return DECODE_TRUNCATED;
    /* Frame control is type/subtype then flags; some access points (Cisco)
     * send the two bytes swapped inside CAPWAP. */
    uint8_t fc0 = (uint8_t)(fc >> 8), fc1 = (uint8_t)fc;
    if (((fc0 >> 2) & 3) != 2 && ((fc1 >> 2) & 3) == 2) {
        uint8_t t = fc0;
        fc0 = fc1;
        fc1 = t;
    }
    if (((fc0 >> 2) & 3) != 2) /* not a data frame */
        return DECODE_NOT_IP;
    size_t hdr = 22; /* duration, 3 addresses, sequence control */
    if ((fc1 & 3) == 3)
        hdr += 6; /* ToDS and FromDS: a fourth address */
    if (fc0 & 0x80)
        hdr += 2; /* QoS data */
    if (fc1 & 0x40)
        return DECODE_NOT_IP; /* protected: encrypted payload */
    uint16_t type;
    uint8_t llc[6];
    if (!span_skip(&s, hdr))
        return DECODE_TRUNCATED;
    for (int i = 0; i < 6; i++)
        if (!span_u8(&s, &llc[i]))
            return DECODE_TRUNCATED;
    if (llc[0] != 0xAA || llc[1] != 0xAA || !span_u16(&s, &type))
        return DECODE_NOT_IP;
    return decode_ethertype(type, s, pv, depth);
}

/* UDP tunnels: GTP-U (3GPP TS 29.281), VXLAN (RFC 7348), Geneve (RFC
 * 8926: AWS Gateway Load Balancer, cloud traffic mirrors) and CAPWAP data
 * (RFC 5415 section 4.3). */
static int decode_udp_tunnel(struct span payload, uint16_t sport, uint16_t dport,
                             struct packet_view *pv, int depth, enum decode_result *res)
{
    if (dport == 2152 || sport == 2152) {
        uint8_t flags, type, ext;
        struct span s = payload;
        if (!span_u8(&s, &flags) || !span_u8(&s, &type) || (flags >> 5) != 1 || type != 0xff ||
            !span_skip(&s, 6))
            return 0;
        if (flags & 0x07) { /* seq, N-PDU, next extension header */
            if (!span_skip(&s, 3) || !span_u8(&s, &ext))
                return 0;
            while (ext) {
                uint8_t len;
                if (!span_u8(&s, &len) || len == 0 || !span_skip(&s, (size_t)len * 4 - 2) ||
                    !span_u8(&s, &ext))
                    return 0;
            }
        }
        uint8_t v;
        if (!span_peek_u8(&s, 0, &v) || ((v >> 4) != 4 && (v >> 4) != 6))
            return 0;
        *res = decode_ip(s, pv, depth + 1);
        return 1;
    }
    if (dport == 4789 || sport == 4789) {
        uint8_t flags;
        struct span s = payload;
        if (!span_u8(&s, &flags) || !(flags & 0x08) || !span_skip(&s, 7))
            return 0;
        *res = decode_ethernet(s, pv, depth + 1);
        return 1;
    }
    if (dport == 6081 || sport == 6081) {
        /* Version 0, option length in 4-byte words, flags, protocol type
         * (an ethertype), VNI and a reserved byte, then the options. */
        uint8_t ver_optlen, flags;
        uint16_t proto;
        struct span s = payload;
        if (!span_u8(&s, &ver_optlen) || (ver_optlen >> 6) != 0 || !span_u8(&s, &flags) ||
            !span_u16(&s, &proto) || !span_skip(&s, 4) || !span_skip(&s, (ver_optlen & 0x3f) * 4u))
            return 0;
        if (proto == ETH_TEB)
            *res = decode_ethernet(s, pv, depth + 1);
        else if (proto == ETH_IPV4 || proto == ETH_IPV6)
            *res = decode_ip(s, pv, depth + 1);
        else
            return 0;
        return 1;
    }
    if (dport == 5247 || sport == 5247) {
        uint32_t w0;
        struct span s = payload;
        if (!span_u32(&s, &w0) || (w0 >> 24) != 0) /* version 0, type 0 */
            return 0;
        size_t hlen = ((w0 >> 19) & 0x1f) * 4;
        unsigned wbid = (w0 >> 9) & 0x1f, native = (w0 >> 8) & 1;
        if (hlen < 8 || !span_skip(&s, hlen - 4))
            return 0;
        if (native && wbid == 1)
            *res = decode_80211(s, pv, depth + 1);
        else if (!native)
            *res = decode_ethernet(s, pv, depth + 1);
        else
            return 0;
        return 1;
    }
    return 0;
}

uint64_t decode_padding_payloads;

/* Some middleboxes count Ethernet padding in the IP length, so a pure ACK in
 * a minimum-size (60-byte) frame seems to carry up to 6 zero bytes at the
 * next sequence number, where the real data follows. */
static int is_padding_payload(const struct packet_view *pv)
{
    if (pv->payload_wire == 0 || pv->payload_wire > 6 || pv->wire_len > 60 ||
        (pv->tcp_flags & (TCPF_PSH | TCPF_FIN | TCPF_RST)) || pv->payload_len != pv->payload_wire)
        return 0;
    for (uint32_t i = 0; i < pv->payload_len; i++)
        if (pv->payload[i] != 0)
            return 0;
    return 1;
}

static enum decode_result decode_transport(uint8_t proto, struct span s, struct packet_view *pv,
                                           uint32_t wire_payload, int depth)
{
    if (proto == TRANSPORT_TCP) {
        uint8_t off, flags;
        if (!span_u16(&s, &pv->src.port) || !span_u16(&s, &pv->dst.port) ||
            !span_u32(&s, &pv->seq) || !span_u32(&s, &pv->ack) || !span_u8(&s, &off) ||
            !span_u8(&s, &flags))
            return DECODE_TRUNCATED;
        size_t hlen = (size_t)(off >> 4) * 4;
        if (hlen < 20 || wire_payload < hlen)
            return DECODE_MALFORMED;
        if (!span_skip(&s, hlen - 14))
            return DECODE_TRUNCATED;
        pv->transport = TRANSPORT_TCP;
        pv->tcp_flags = flags;
        pv->payload_wire = wire_payload - (uint32_t)hlen;
    } else if (proto == TRANSPORT_UDP) {
        uint16_t ulen;
        if (!span_u16(&s, &pv->src.port) || !span_u16(&s, &pv->dst.port) || !span_u16(&s, &ulen) ||
            !span_skip(&s, 2))
            return DECODE_TRUNCATED;
        pv->transport = TRANSPORT_UDP;
        pv->payload_wire = wire_payload >= 8 ? wire_payload - 8 : 0;
        if (ulen >= 8 && ulen - 8u < pv->payload_wire)
            pv->payload_wire = ulen - 8u;
        if (depth < MAX_TUNNEL_DEPTH) {
            enum decode_result r;
            struct span inner = s;
            if (inner.n > pv->payload_wire)
                inner.n = pv->payload_wire;
            if (decode_udp_tunnel(inner, pv->src.port, pv->dst.port, pv, depth, &r))
                return r;
        }
    } else {
        return DECODE_NOT_TCP_UDP;
    }
    pv->payload = s.p;
    pv->payload_len = (uint32_t)(s.n < pv->payload_wire ? s.n : pv->payload_wire);
    if (proto == TRANSPORT_TCP && is_padding_payload(pv)) {
        decode_padding_payloads++;
        pv->payload_len = pv->payload_wire = 0;
    }
    return DECODE_OK;
}

/* GRE (RFC 2784/2890) carrying IP or Ethernet, or a remote SPAN port's
 * copies: ERSPAN type I (no header of its own, no GRE sequence number),
 * II (an 8-byte header) and III (12 bytes, then 8 more when its O bit is
 * set), as draft-foschiano-erspan-03 describes them. */
static enum decode_result decode_gre(struct span s, struct packet_view *pv, int depth)
{
    uint16_t flags, type;
    if (!span_u16(&s, &flags) || !span_u16(&s, &type))
        return DECODE_TRUNCATED;
    if (flags & 0x0007) /* version != 0 (PPTP's enhanced GRE) */
        return DECODE_NOT_TCP_UDP;
    size_t opt =
        ((flags & 0x8000) ? 4 : 0) + ((flags & 0x2000) ? 4 : 0) + ((flags & 0x1000) ? 4 : 0);
    if (!span_skip(&s, opt))
        return DECODE_TRUNCATED;
    if (type == ETH_ERSPAN_2 && (flags & 0x1000) && !span_skip(&s, 8))
        return DECODE_TRUNCATED;
    if (type == ETH_ERSPAN_3) {
        uint8_t last;
        if (!span_peek_u8(&s, 11, &last) || !span_skip(&s, (last & 1) ? 20 : 12))
            return DECODE_TRUNCATED;
    }
    if (type == ETH_TEB || type == ETH_ERSPAN_2 || type == ETH_ERSPAN_3)
        return decode_ethernet(s, pv, depth + 1);
    if (type == ETH_IPV4 || type == ETH_IPV6)
        return decode_ip(s, pv, depth + 1);
    return DECODE_NOT_TCP_UDP;
}

static enum decode_result decode_next(uint8_t proto, struct span s, struct packet_view *pv,
                                      uint32_t wire_payload, int depth)
{
    if ((proto == 4 || proto == 41) && depth < MAX_TUNNEL_DEPTH)
        return decode_ip(s, pv, depth + 1); /* IPv4-in-IP, IPv6-in-IP */
    if (proto == 47 && depth < MAX_TUNNEL_DEPTH)
        return decode_gre(s, pv, depth);
    return decode_transport(proto, s, pv, wire_payload, depth);
}

/* A fragment found: described in pv->frag when the caller asked. Its
 * addresses are at addrs (source, then destination), its header runs from
 * l3 to the data at s, and the data is wire bytes long by the headers. */
static enum decode_result fragment_found(const struct packet_view *pv, uint8_t family,
                                         uint8_t proto, int more, uint32_t id, uint32_t offset,
                                         struct span addrs, const uint8_t *l3, struct span s,
                                         uint32_t wire)
{
    struct ip_fragment *f = pv->frag;
    if (!f)
        return DECODE_FRAGMENT;
    size_t alen = family == ADDR_V4 ? 4 : 16;
    f->family = family;
    f->proto = proto;
    f->more = (uint8_t)more;
    f->id = id;
    f->offset = offset;
    memset(f->src, 0, 16);
    memset(f->dst, 0, 16);
    memcpy(f->src, addrs.p, alen);
    memcpy(f->dst, addrs.p + alen, alen);
    f->vlan = pv->has_vlan ? pv->vlan : 0;
    f->hdr = l3;
    f->hdr_len = (uint32_t)(s.p - l3);
    f->data = s.p;
    f->data_wire = wire;
    f->data_len = (uint32_t)(s.n < wire ? s.n : wire);
    return DECODE_FRAGMENT;
}

static enum decode_result decode_ipv4(struct span s, struct packet_view *pv, int depth)
{
    uint8_t vihl, proto;
    uint16_t total, ident, frag;
    struct span addrs;
    const uint8_t *l3 = s.p;
    size_t avail = s.n;
    if (!span_u8(&s, &vihl) || !span_skip(&s, 1) || !span_u16(&s, &total) ||
        !span_u16(&s, &ident) || !span_u16(&s, &frag) || !span_skip(&s, 1) ||
        !span_u8(&s, &proto) || !span_skip(&s, 2) || !span_sub(&s, 8, &addrs))
        return DECODE_TRUNCATED;
    size_t hlen = (size_t)(vihl & 15) * 4;
    if (hlen < 20)
        return DECODE_MALFORMED;
    /* Total length 0 occurs with TCP segmentation offload: trust caplen. */
    if (total == 0)
        total = (uint16_t)(avail > 65535 ? 65535 : avail);
    if (total < hlen)
        return DECODE_MALFORMED;
    if (!span_skip(&s, hlen - 20))
        return DECODE_TRUNCATED;
    if (frag & 0x3fff) /* an offset, or more fragments to come */
        return fragment_found(pv, ADDR_V4, proto, (frag & 0x2000) != 0, ident,
                              (uint32_t)(frag & 0x1fff) * 8, addrs, l3, s,
                              (uint32_t)(total - hlen));
    pv->src.family = pv->dst.family = ADDR_V4;
    memset(pv->src.addr, 0, 16);
    memset(pv->dst.addr, 0, 16);
    memcpy(pv->src.addr, addrs.p, 4);
    memcpy(pv->dst.addr, addrs.p + 4, 4);
    pv->l3 = l3;
    pv->l3_len = (uint32_t)(avail < total ? avail : total);
    if (s.n > total - hlen) /* drop link-layer padding */
        s.n = total - hlen;
    return decode_next(proto, s, pv, (uint32_t)(total - hlen), depth);
}

static enum decode_result decode_ipv6(struct span s, struct packet_view *pv, int depth)
{
    uint16_t plen;
    uint8_t next;
    struct span addrs;
    const uint8_t *l3 = s.p;
    size_t avail = s.n;
    if (!span_skip(&s, 4) || !span_u16(&s, &plen) || !span_u8(&s, &next) || !span_skip(&s, 1) ||
        !span_sub(&s, 32, &addrs))
        return DECODE_TRUNCATED;
    pv->src.family = pv->dst.family = ADDR_V6;
    memcpy(pv->src.addr, addrs.p, 16);
    memcpy(pv->dst.addr, addrs.p + 16, 16);
    /* Payload length 0: a jumbogram or TSO capture; trust caplen. */
    uint32_t remaining = plen ? plen : (uint32_t)s.n;
    if (s.n > remaining)
        s.n = remaining;
    pv->l3 = l3;
    pv->l3_len = (uint32_t)(avail < 40u + remaining ? avail : 40u + remaining);
    /* RFC 8200 section 4: walk the extension headers. */
    for (int i = 0; i < 16; i++) {
        uint8_t nh, len8;
        switch (next) {
        case 0:   /* hop-by-hop */
        case 43:  /* routing */
        case 60:  /* destination options */
        case 135: /* mobility */
            if (!span_u8(&s, &nh) || !span_u8(&s, &len8))
                return DECODE_TRUNCATED;
            if (remaining < 8u + len8 * 8u || !span_skip(&s, 6u + len8 * 8u))
                return DECODE_MALFORMED;
            remaining -= 8u + len8 * 8u;
            next = nh;
            continue;
        case 51: /* AH: length in 4-byte units, minus 2 */
            if (!span_u8(&s, &nh) || !span_u8(&s, &len8))
                return DECODE_TRUNCATED;
            if (remaining < (len8 + 2u) * 4u || !span_skip(&s, (len8 + 2u) * 4u - 2))
                return DECODE_MALFORMED;
            remaining -= (len8 + 2u) * 4u;
            next = nh;
            continue;
        case 44: { /* fragment */
            uint16_t off;
            uint32_t ident;
            if (!span_u8(&s, &nh) || !span_skip(&s, 1) || !span_u16(&s, &off) ||
                !span_u32(&s, &ident))
                return DECODE_TRUNCATED;
            remaining = remaining >= 8 ? remaining - 8 : 0;
            if (off & 0xfff9) /* offset != 0 or more fragments */
                return fragment_found(pv, ADDR_V6, nh, off & 1, ident, off & 0xfff8u, addrs, l3, s,
                                      remaining);
            next = nh;
            continue;
        }
        case 59: /* no next header */
            return DECODE_NOT_TCP_UDP;
        default:
            return decode_next(next, s, pv, remaining, depth);
        }
    }
    return DECODE_MALFORMED;
}

static enum decode_result decode_ip(struct span s, struct packet_view *pv, int depth)
{
    uint8_t v;
    if (!span_peek_u8(&s, 0, &v))
        return DECODE_TRUNCATED;
    if ((v >> 4) == 4)
        return decode_ipv4(s, pv, depth);
    if ((v >> 4) == 6)
        return decode_ipv6(s, pv, depth);
    return DECODE_NOT_IP;
}

static enum decode_result decode_link(int lt, struct span s, struct packet_view *pv)
{
    switch (lt) {
    case LT_EN10MB:
        return decode_ethernet(s, pv, 0);
    case LT_NULL:
    case LT_LOOP: {
        /* 4-byte address family, host or network byte order: AF_INET is 2
         * everywhere; AF_INET6 is 10, 24, 28 or 30 by OS. Look at IP. */
        if (!span_skip(&s, 4))
            return DECODE_TRUNCATED;
        return decode_raw_ip(s, pv);
    }
    case LT_RAW:
    case LT_RAW_OPENBSD:
    case LT_RAW101:
    case LT_IPV4:
    case LT_IPV6:
        return decode_raw_ip(s, pv);
    case LT_PPP:
        return decode_ppp(s, pv);
    case LT_C_HDLC: {
        uint16_t type;
        if (!span_skip(&s, 2) || !span_u16(&s, &type))
            return DECODE_TRUNCATED;
        return decode_ethertype(type, s, pv, 0);
    }
    case LT_LINUX_SLL: {
        uint16_t type;
        if (!span_skip(&s, 14) || !span_u16(&s, &type))
            return DECODE_TRUNCATED;
        return decode_ethertype(type, s, pv, 0);
    }
    case LT_LINUX_SLL2: {
        uint16_t type;
        if (!span_u16(&s, &type) || !span_skip(&s, 18))
            return DECODE_TRUNCATED;
        return decode_ethertype(type, s, pv, 0);
    }
    case LT_PPI: {
        /* PPI header: version, flags, length (LE), DLT (LE). */
        uint8_t ver, flags;
        uint16_t len_le;
        uint32_t dlt_le;
        struct span t = s;
        if (!span_u8(&t, &ver) || !span_u8(&t, &flags) || !span_u16(&t, &len_le) ||
            !span_u32(&t, &dlt_le))
            return DECODE_TRUNCATED;
        uint16_t len = (uint16_t)((len_le >> 8) | (len_le << 8));
        uint32_t dlt = __builtin_bswap32(dlt_le);
        if (len < 8 || !span_skip(&s, len))
            return DECODE_TRUNCATED;
        if (dlt == LT_PPI || !decode_linktype_supported((int)dlt))
            return DECODE_NOT_IP;
        return decode_link((int)dlt, s, pv);
    }
    default:
        return DECODE_NOT_IP;
    }
}

enum decode_result decode_packet(int linktype, const uint8_t *data, uint32_t caplen,
                                 uint32_t wire_len, struct packet_view *pv)
{
    return decode_packet_fragment(linktype, data, caplen, wire_len, pv, NULL);
}

enum decode_result decode_packet_fragment(int linktype, const uint8_t *data, uint32_t caplen,
                                          uint32_t wire_len, struct packet_view *pv,
                                          struct ip_fragment *frag)
{
    pv->frag = frag;
    pv->has_vlan = 0;
    pv->vlan = 0;
    pv->tcp_flags = 0;
    pv->seq = pv->ack = 0;
    pv->payload = NULL;
    pv->payload_len = pv->payload_wire = 0;
    pv->wire_len = wire_len;
    return decode_link(linktype, span_make(data, caplen), pv);
}
