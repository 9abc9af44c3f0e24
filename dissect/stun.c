/* stun.c: see stun.h. */
#include "stun.h"

#include <string.h>

#define STUN_MAGIC_COOKIE 0x2112A442u

enum {
    ATTR_XOR_PEER_ADDRESS = 0x0012,
    ATTR_DATA = 0x0013,
    ATTR_CHANNEL_NUMBER = 0x000C,
};

enum demux_kind stun_demux(uint8_t b)
{
    if (b <= 3)
        return DEMUX_STUN;
    if (b >= 20 && b <= 63)
        return DEMUX_DTLS;
    /* RFC 7983 gives TURN channels 64-79 (RFC 8656's 0x4000-0x4FFF); RFC
     * 5766 allowed channels up to 0x7FFF, and servers still accept them. */
    if (b >= 64 && b <= 127)
        return DEMUX_CHANNEL;
    if (b >= 128 && b <= 191)
        return DEMUX_RTP;
    return DEMUX_OTHER;
}

size_t stun_message_len(struct span p)
{
    uint16_t type, len;
    uint32_t cookie;
    struct span c = p;
    if (!span_u16(&c, &type) || !span_u16(&c, &len) || !span_u32(&c, &cookie))
        return 0;
    if ((type & 0xC000) || (len & 3) || cookie != STUN_MAGIC_COOKIE)
        return 0;
    if (p.n < 20u + len)
        return 0;
    return 20u + len;
}

/* XOR-PEER-ADDRESS (RFC 8489 section 14.2). */
static int parse_xor_address(struct span v, const uint8_t txid[12], struct endpoint *ep)
{
    uint8_t reserved, family;
    uint16_t xport;
    struct span addr;
    static const uint8_t cookie[4] = {0x21, 0x12, 0xA4, 0x42};
    if (!span_u8(&v, &reserved) || !span_u8(&v, &family) || !span_u16(&v, &xport))
        return 0;
    memset(ep, 0, sizeof(*ep));
    ep->port = xport ^ 0x2112;
    if (family == 1 && span_sub(&v, 4, &addr)) {
        ep->family = ADDR_V4;
        for (int i = 0; i < 4; i++)
            ep->addr[i] = addr.p[i] ^ cookie[i];
        return 1;
    }
    if (family == 2 && span_sub(&v, 16, &addr)) {
        ep->family = ADDR_V6;
        for (int i = 0; i < 16; i++)
            ep->addr[i] = addr.p[i] ^ (i < 4 ? cookie[i] : txid[i - 4]);
        return 1;
    }
    return 0;
}

int stun_parse(struct span msg, struct stun_info *info)
{
    uint16_t len, atype, alen;
    struct span txid, value;
    memset(info, 0, sizeof(*info));
    if (!span_u16(&msg, &info->type) || !span_u16(&msg, &len) || !span_skip(&msg, 4) ||
        !span_sub(&msg, 12, &txid) || msg.n < len)
        return 0;
    msg.n = len;
    while (span_u16(&msg, &atype) && span_u16(&msg, &alen)) {
        if (!span_sub(&msg, alen, &value))
            return 0;
        span_skip(&msg, (4 - (alen & 3)) & 3); /* attributes are padded to 4 */
        if (atype == ATTR_DATA && !info->has_data) {
            info->data = value;
            info->has_data = 1;
        } else if (atype == ATTR_XOR_PEER_ADDRESS && !info->has_peer) {
            info->has_peer = (uint8_t)parse_xor_address(value, txid.p, &info->peer);
        } else if (atype == ATTR_CHANNEL_NUMBER && span_u16(&value, &info->channel)) {
            info->has_channel = 1;
        }
    }
    return 1;
}

int turn_channel_frame(struct span p, int padded, uint16_t *channel, struct span *data,
                       size_t *frame_len)
{
    uint16_t len;
    struct span c = p;
    if (!span_u16(&c, channel) || *channel < 0x4000 || *channel > 0x7FFF || !span_u16(&c, &len) ||
        !span_sub(&c, len, data))
        return 0;
    size_t total = 4u + len;
    if (padded)
        total = (total + 3) & ~(size_t)3;
    if (total > p.n)
        return 0; /* the padding has not arrived yet */
    *frame_len = total;
    return 1;
}

int rfc4571_looks_like_frame(struct span p)
{
    uint16_t len;
    struct span c = p, frame;
    if (!span_u16(&c, &len) || len < 13 || !span_sub(&c, c.n < len ? c.n : len, &frame))
        return 0;
    uint8_t b0, major;
    if (!span_peek_u8(&frame, 0, &b0))
        return 0;
    if (stun_demux(b0) == DEMUX_STUN) {
        uint32_t cookie;
        struct span t = frame;
        return span_skip(&t, 4) && span_u32(&t, &cookie) && cookie == STUN_MAGIC_COOKIE;
    }
    /* A DTLS record: content type, then version 0xfe.. */
    return b0 >= 20 && b0 <= 25 && span_peek_u8(&frame, 1, &major) && major == 0xfe;
}
