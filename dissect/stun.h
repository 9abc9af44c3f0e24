/* stun.h: STUN and TURN framing that carries DTLS or TLS: Send/Data
 * indications with a DATA attribute (RFC 8656 sections 10-11), ChannelData
 * (RFC 8656 section 12.4), STUN and ChannelData framed on TCP (RFC 6062,
 * RFC 8656 section 12.5), RFC 4571 length framing (ICE-TCP), and the first
 * byte demultiplexing of RFC 7983. */
#ifndef TLSMON_STUN_H
#define TLSMON_STUN_H

#include <stddef.h>
#include <stdint.h>

#include "../capture/packet.h"
#include "span.h"

/* RFC 7983 section 7: what the first byte of a packet says it is. */
enum demux_kind { DEMUX_STUN, DEMUX_DTLS, DEMUX_CHANNEL, DEMUX_RTP, DEMUX_OTHER };
enum demux_kind stun_demux(uint8_t first_byte);

/* A STUN message at the start of p (RFC 8489 section 5: top bits 00, length
 * a multiple of 4, magic cookie): its whole length, or 0. */
size_t stun_message_len(struct span p);

/* What a STUN message carries for tlsmon. */
struct stun_info {
    uint16_t type;
    uint8_t has_data, has_peer, has_channel;
    uint16_t channel;     /* CHANNEL-NUMBER (ChannelBind) */
    struct span data;     /* DATA attribute value */
    struct endpoint peer; /* XOR-PEER-ADDRESS */
};

enum {
    STUN_SEND_INDICATION = 0x0016,
    STUN_DATA_INDICATION = 0x0017,
    STUN_CHANNEL_BIND_REQUEST = 0x0009,
    STUN_CONNECTION_BIND_SUCCESS = 0x010B, /* RFC 6062 section 4.3 */
};

/* Parse one whole STUN message (as measured by stun_message_len). */
int stun_parse(struct span msg, struct stun_info *info);

/* A ChannelData message at the start of p (channel 0x4000-0x4FFF as RFC
 * 8656 allows, 0x5000-0x7FFF as RFC 5766 did): the channel, its data, and
 * the frame's length (padded to 4 bytes when padded is set, as on TCP).
 * Returns 0 when p does not start with a whole one. */
int turn_channel_frame(struct span p, int padded, uint16_t *channel, struct span *data,
                       size_t *frame_len);

/* RFC 4571: does p start with a 2-byte length whose frame holds a STUN
 * message or a DTLS record? */
int rfc4571_looks_like_frame(struct span p);

#endif
