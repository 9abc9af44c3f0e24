/* tds.c: see tds.h. */
#include "tds.h"

#include "tls.h"

enum {
    TDS_TYPE_TABULAR_RESULT = 0x04, /* the server's PRELOGIN answer */
    TDS_TYPE_PRELOGIN = 0x12,
    TDS_STATUS_EOM = 0x01,
    PL_TOKEN_VERSION = 0x00, /* the first option of every PRELOGIN */
    PL_VERSION_LEN = 6,
    TDS_PRELOGIN_MAX = 4096, /* the packet size before one is agreed */
};

/* MS-TDS 2.2.6.5: header (type 0x12, end of message, length, SPID 0), then
 * option tokens of 5 bytes (token, offset, length) from VERSION on, whose
 * data lies past the token list inside the packet. */
int tds_looks_like_prelogin(struct span data)
{
    struct span c = data;
    uint8_t type, status, token, window;
    uint16_t len, spid, off, optlen;
    if (!span_u8(&c, &type) || !span_u8(&c, &status) || !span_u16(&c, &len) ||
        !span_u16(&c, &spid) || !span_skip(&c, 1) || !span_u8(&c, &window))
        return 0;
    if (type != TDS_TYPE_PRELOGIN || status != TDS_STATUS_EOM || spid != 0 || window != 0 ||
        len > TDS_PRELOGIN_MAX || len < TDS_HEADER_LEN + 5 + 1 + PL_VERSION_LEN)
        return 0;
    if (!span_u8(&c, &token) || !span_u16(&c, &off) || !span_u16(&c, &optlen))
        return 0;
    return token == PL_TOKEN_VERSION && optlen == PL_VERSION_LEN && off >= 5 + 1 &&
           off + PL_VERSION_LEN <= len - TDS_HEADER_LEN;
}

static int is_tls_content_type(uint8_t b)
{
    return b >= TLS_CT_CHANGE_CIPHER_SPEC && b <= TLS_CT_APPLICATION_DATA;
}

void tds_feed(struct tds_deframer *d, struct span data, void (*tls)(void *ctx, struct span piece),
              void *ctx)
{
    while (data.n > 0 && d->state == TDS_FRAMED) {
        if (d->left == 0) { /* a packet boundary: a header, or the end of the framing */
            uint8_t b0 = data.p[0];
            if (d->hdr_have == 0 && is_tls_content_type(b0)) {
                d->state = TDS_RAW;
                break;
            }
            if (d->hdr_have == 0 && b0 != TDS_TYPE_PRELOGIN && b0 != TDS_TYPE_TABULAR_RESULT) {
                d->state = TDS_NOT_TLS;
                return;
            }
            while (d->hdr_have < TDS_HEADER_LEN && data.n > 0)
                span_u8(&data, &d->hdr[d->hdr_have++]);
            if (d->hdr_have < TDS_HEADER_LEN)
                return; /* the rest of the header comes in the next segment */
            struct span h = span_make(d->hdr + 2, 2);
            uint16_t len = 0;
            span_u16(&h, &len);
            d->hdr_have = 0;
            if (len <= TDS_HEADER_LEN) {
                d->state = TDS_NOT_TLS;
                return;
            }
            d->left = (uint16_t)(len - TDS_HEADER_LEN);
            d->in_tls = d->tls_started;
            d->fresh = 1;
            continue;
        }
        struct span piece;
        span_sub(&data, data.n < d->left ? data.n : d->left, &piece);
        d->left = (uint16_t)(d->left - piece.n);
        if (d->fresh && !d->tls_started && piece.p[0] == TLS_CT_HANDSHAKE)
            d->tls_started = d->in_tls = 1; /* the PRELOGIN options are not TLS; a hello is */
        d->fresh = 0;
        if (d->in_tls)
            tls(ctx, piece);
    }
    if (d->state == TDS_RAW && data.n > 0)
        tls(ctx, data);
}
