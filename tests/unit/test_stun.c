/* test_stun.c: STUN/TURN framing (dissect/stun.c) on real messages, DTLS
 * found inside TURN Send/Data indications and ChannelData (dissect/session.c
 * demux_datagram, feed_framed), the pseudo-TLS handshakes of MS-TURN and
 * Google's SSL-TCP (session.c pseudo_tls_kind) down to the log line and the
 * summary, and the captures of pcaps/turn/ (see pcaps/turn/README.md). */
#include "testutil.h"

#include <arpa/inet.h>

#include "dissect/dtls.h"
#include "dissect/fingerprint.h"
#include "dissect/stun.h"
#include "report/handshake_log.h"
#include "report/summary.h"

/* ---- fixtures ------------------------------------------------------------- */

/* Each FX_ below is one UDP or TCP payload exactly as captured (hex), with the
 * capture and frame it came from: corpus/ndpi/ is ../shared/corpus/ndpi
 * beside the repository; pcaps/turn/ are the captures made by
 * pcaps/turn/make-turn-pcaps.sh (as first made; a re-run changes the bytes,
 * not what they are). The decoded values quoted are tshark 4.0's. */

/* corpus/ndpi/stun.pcap frame 16: Binding Request, no attributes; 20 bytes. */
#define FX_STUN_BINDING "000100002112a44253486b6846386f6477677956"

/* corpus/ndpi/stun.pcap frame 21: Allocate Success Response (Google's TURN):
 * XOR-RELAYED-ADDRESS 10.2.0.86:44908, LIFETIME 120, XOR-MAPPED-ADDRESS
 * 93.47.225.225:23616, MESSAGE-INTEGRITY; 76 bytes. */
#define FX_STUN_ALLOCATE_OK                                                                        \
    "010300382112a442494343786141736b5a4a54740016000800018e7e2b10a414000d00040000007800200008"     \
    "00017d527c3d45a30008001477cf2e9849f6a529bef11df87598fc35db94339e"

/* corpus/ndpi/stun.pcap frame 81: Send Indication (Facebook's TURN):
 * XOR-PEER-ADDRESS 185.170.139.1:12176, then DATA (64 bytes at offset 36: an
 * ICE Binding Success Response); 100 bytes. */
#define FX_STUN_SEND_V4                                                                            \
    "001600502112a4424f436145496e64434f337a340012000800010e8298b82f43001300400101002c2112a442"     \
    "3538616c6a4e6f42523161680020000800010e8298b82f43000800148aa2f5663888725fef254f8d541b3e80"     \
    "cc59191f8028000404dd8158"

/* corpus/ndpi/stun.pcap frame 84: Data Indication: XOR-PEER-ADDRESS
 * 185.170.139.1:12176, DATA (64 bytes at offset 36); 100 bytes. */
#define FX_STUN_DATA_V4                                                                            \
    "001700502112a4427363636d74737071796875620012000800010e8298b82f43001300400101002c2112a442"     \
    "594c365273363778466a6456002000080001f30f3e1ff27400080014e1d532890bc46afa5be212d13c94b759"     \
    "b46c71a58028000405729788"

/* corpus/ndpi/stun.pcap frame 104: ChannelBind Request: CHANNEL-NUMBER
 * 0x4003, XOR-PEER-ADDRESS 185.170.139.1:12176, USERNAME, REALM, NONCE,
 * MESSAGE-INTEGRITY; 148 bytes. */
#define FX_STUN_CHANNEL_BIND                                                                       \
    "000900802112a442767238746a326f6e34504847000c0004400300000012000800010e8298b82f4300060010"     \
    "4d6632683948693561504d52706c46310014000f7475726e65722e66616365626f6f6b000015002862623033"     \
    "31643631636363316265383265323430313434333565643532663236666261363234383300080014c4a0a285"     \
    "ef11240f8d097e4c686826445f24deab"

/* corpus/ndpi/stun.pcap frame 110: ChannelData on UDP, channel 0x4003, 96
 * bytes (an ICE Binding Request); 100 bytes. */
#define FX_CHANNEL_DATA_STUN                                                                       \
    "400300600001004c2112a442424a6650522b3470464652370006000958704a733a6b537479000000c0570004"     \
    "0004000a80290008ba2ef3242b85e3d6002400046e7f1eff000800149e5482715ab7203975f0f512c5eae277"     \
    "79cf801f8028000459f5cdce"

/* corpus/ndpi/stun.pcap frame 113: ChannelData on UDP, channel 0x4003, 22
 * bytes (an RTCP packet), not padded; 26 bytes. */
#define FX_CHANNEL_DATA_RTCP "4003001680c9000100000001800000031ff01345009e4583923d"

/* pcaps/turn/turn_udp_ipv6_peer.pcap frame 21: Send Indication from coturn's
 * uclient: DATA (100 bytes at offset 24), XOR-PEER-ADDRESS ::1 port 3480
 * (IPv6: XORed with the cookie and the transaction id), FINGERPRINT; 156
 * bytes. */
#define FX_COTURN_SEND_V6                                                                          \
    "001600882112a442351c9695c4e17fef6aef5bd6001300640000000007070707010600000000000007070707"     \
    "0707070707070707070707070707070707070707070707070707070707070707070707070707070707070707"     \
    "0707070707070707070707070707070707070707070707070707070707070707070707070012001400022c8a"     \
    "2112a442351c9695c4e17fef6aef5bd780280004e77fa8ff"

/* pcaps/turn/turn_udp_channel.pcap frame 17: ChannelBind Request from
 * coturn's uclient: CHANNEL-NUMBER 0x6f79 (RFC 5766 range), XOR-PEER-ADDRESS
 * 127.0.0.1:3480; 112 bytes. */
#define FX_COTURN_CHANNEL_BIND_6F79                                                                \
    "0009005c2112a4420c9b4cad9dbeeafdfe12c24b000c00046f7900000012000800012c8a5e12a44300060004"     \
    "757365720015001037353239306133303331653237373161001400057265616c6d0000000008001408e641e8"     \
    "515b9c52cd8c6d469bdaecec48f1f3f9802800043d3da294"

/* pcaps/turn/turn_udp_channel.pcap frame 27: ChannelData 0x6f79, 100 bytes
 * of uclient's test pattern; 104 bytes. */
#define FX_COTURN_CHANNEL_DATA_6F79                                                                \
    "6f79006400000000070707076911000000000000070707070707070707070707070707070707070707070707"     \
    "0707070707070707070707070707070707070707070707070707070707070707070707070707070707070707"     \
    "07070707070707070707070707070707"

/* pcaps/turn/turn_dtls_tcp.pcap frame 19: ChannelBind Request from aioice
 * over TCP: CHANNEL-NUMBER 0x4000, XOR-PEER-ADDRESS 127.0.0.1:49361 (the
 * other peer's relayed address); 112 bytes. */
#define FX_AIORTC_CHANNEL_BIND                                                                     \
    "0009005c2112a442ee3612e28bdd35929d3aebce000c000440000000001200080001e1c35e12a44300060004"     \
    "757365720015001063373333303737393138323534613139001400057265616c6d00000000080014cc48cb88"     \
    "9a6f2645620eb8a1fa1f681dc32c5af0802800042005dc24"

/* pcaps/turn/turn_dtls_tcp.pcap frame 41: ChannelData 0x4000 over TCP, 295
 * bytes padded to 300: aiortc's DTLS 1.2 ClientHello in two records (a
 * fragment of 231 bytes, then the last 14); tshark's JA3
 * bb6f4ac4e4f26a404d59d5fdfba79b18. */
#define FX_AIORTC_CHANNEL_DATA_CH                                                                  \
    "4000012716feff000000000000000000f3010000f500000000000000e7fefdde41f77982e11dc0b833777590"     \
    "775e04b18dbd76c1e04b8e59ff622837e1e9a800000070c02cc03000a3009fcca9cca8ccaac0afc0adc0a3c0"     \
    "9fc05dc061c057c053c02bc02f00a2009ec0aec0acc0a2c09ec05cc060c056c052c024c028006b006ac023c0"     \
    "2700670040c00ac01400390038c009c01300330032009dc0a1c09dc051009cc0a0c09cc050003d003c003500"     \
    "2f00ff0100005b000b000403000102000a000c000a001d0017001e0019001800230000000e00050002000100"     \
    "0016000000170000000d002a0028040305030603080708080809080a080b0804080508060401050116feff00"     \
    "00000000000001001a010000f500000000e700000e060103030301030204020502060200"

/* corpus/ndpi/dtls2.pcap frames 1-4, 6, 7: a DTLS 1.0 handshake between
 * 61.68.110.153:53045 (client) and 212.32.214.39:61457. tshark: client
 * version DTLS 1.0, TLS_RSA_WITH_AES_256_CBC_SHA, JA3
 * 1b45c913a0c0fde5f263502e65999485, JA3S 749bd1edea60396ffaa65213b7971718. */
/* Frames 1-4 and 6 are FX_DTLS2_* in testutil.h; frame 7: server ChangeCipherSpec, encrypted
 * Finished; 91 bytes. */
#define FX_DTLS2_SERVER_CCS                                                                        \
    "14feff000000000000000400010116feff000100000000000000409a2ad8f96b12bd3263ad4706524b02c710"     \
    "bc6f1d792b0a492837d7231b5ff619989c7e1fcd6841f88c993991aa2ce8876bffd3440eb424a8eb136235ee"     \
    "dbb1ec"

/* ---- helpers ---------------------------------------------------------------- */

static struct tu_handshakes got;

static int setup(void **state)
{
    (void)state;
    memset(&session_stats, 0, sizeof(session_stats));
    memset(&got, 0, sizeof(got));
    return 0;
}

static struct endpoint ep(const char *ip, uint16_t port)
{
    struct endpoint e;
    memset(&e, 0, sizeof(e));
    if (inet_pton(AF_INET, ip, e.addr) == 1) {
        e.family = ADDR_V4;
    } else {
        assert_int_equal(inet_pton(AF_INET6, ip, e.addr), 1);
        e.family = ADDR_V6;
    }
    e.port = port;
    return e;
}

static void assert_ep(const struct endpoint *e, const char *ip, uint16_t port)
{
    struct endpoint want = ep(ip, port);
    assert_int_equal(e->family, want.family);
    assert_memory_equal(e->addr, want.addr, 16);
    assert_int_equal(e->port, port);
}

/* A growing byte buffer for the messages the tests put together. */
struct buf {
    uint8_t p[4096];
    size_t n;
};

static void put8(struct buf *b, uint8_t v)
{
    assert_true(b->n < sizeof(b->p));
    b->p[b->n++] = v;
}

static void put16(struct buf *b, uint16_t v)
{
    put8(b, (uint8_t)(v >> 8));
    put8(b, (uint8_t)v);
}

static void put_bytes(struct buf *b, const uint8_t *p, size_t n)
{
    assert_true(b->n + n <= sizeof(b->p));
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void pad4(struct buf *b)
{
    while (b->n % 4)
        put8(b, 0);
}

/* A STUN indication (RFC 8656 sections 10-11) as a TURN client or server
 * writes it: the 20-byte header, XOR-PEER-ADDRESS (RFC 8489 section 14.2),
 * DATA padded to 4 bytes. */
static void stun_indication(struct buf *b, uint16_t type, const uint8_t txid[12],
                            const struct endpoint *peer, struct span data)
{
    static const uint8_t cookie[4] = {0x21, 0x12, 0xa4, 0x42};
    size_t alen = peer->family == ADDR_V4 ? 4 : 16;
    b->n = 0;
    put16(b, type);
    put16(b, (uint16_t)(4 + 4 + alen + 4 + ((data.n + 3) & ~(size_t)3)));
    put_bytes(b, cookie, 4);
    put_bytes(b, txid, 12);
    put16(b, 0x0012);
    put16(b, (uint16_t)(4 + alen));
    put8(b, 0);
    put8(b, peer->family == ADDR_V4 ? 1 : 2);
    put16(b, peer->port ^ 0x2112);
    for (size_t i = 0; i < alen; i++)
        put8(b, peer->addr[i] ^ (i < 4 ? cookie[i] : txid[i - 4]));
    put16(b, 0x0013);
    put16(b, (uint16_t)data.n);
    put_bytes(b, data.p, data.n);
    pad4(b);
}

/* ChannelData (RFC 8656 section 12.4), padded to 4 bytes when padded (TCP). */
static void channel_data(struct buf *b, uint16_t channel, struct span data, int padded)
{
    b->n = 0;
    put16(b, channel);
    put16(b, (uint16_t)data.n);
    put_bytes(b, data.p, data.n);
    if (padded)
        pad4(b);
}

/* The fixtures as sized heap copies, so an overread is an overread. */
static uint8_t *copy_of(const uint8_t *p, size_t n)
{
    uint8_t *c = malloc(n ? n : 1);
    assert_non_null(c);
    memcpy(c, p, n);
    return c;
}

static int span_within(struct span inner, const uint8_t *p, size_t n)
{
    return inner.p >= p && inner.p + inner.n <= p + n;
}

/* ---- RFC 7983 first-byte demultiplexing ------------------------------------- */

static void test_demux_ranges(void **state)
{
    (void)state;
    for (int b = 0; b < 256; b++) {
        enum demux_kind want = b <= 3                 ? DEMUX_STUN
                               : b >= 20 && b <= 63   ? DEMUX_DTLS
                               : b >= 64 && b <= 127  ? DEMUX_CHANNEL
                               : b >= 128 && b <= 191 ? DEMUX_RTP
                                                      : DEMUX_OTHER;
        if (stun_demux((uint8_t)b) != want)
            fail_msg("first byte %d: demux %d, want %d", b, stun_demux((uint8_t)b), want);
    }
    /* the edges, spelled out: 16-19 is ZRTP; RFC 7983 has TURN channels at
     * 64-79, but RFC 5766 allowed channels up to 0x7FFF (first byte 127) and
     * coturn accepts them, so 80-127 count as ChannelData too; 192-255 QUIC */
    assert_int_equal(stun_demux(3), DEMUX_STUN);
    assert_int_equal(stun_demux(4), DEMUX_OTHER);
    assert_int_equal(stun_demux(19), DEMUX_OTHER);
    assert_int_equal(stun_demux(20), DEMUX_DTLS);
    assert_int_equal(stun_demux(63), DEMUX_DTLS);
    assert_int_equal(stun_demux(64), DEMUX_CHANNEL);
    assert_int_equal(stun_demux(79), DEMUX_CHANNEL);
    assert_int_equal(stun_demux(80), DEMUX_CHANNEL);
    assert_int_equal(stun_demux(127), DEMUX_CHANNEL);
    assert_int_equal(stun_demux(128), DEMUX_RTP);
    assert_int_equal(stun_demux(191), DEMUX_RTP);
    assert_int_equal(stun_demux(192), DEMUX_OTHER);
}

/* ---- stun_message_len --------------------------------------------------------- */

static const char *const stun_fixtures[] = {
    FX_STUN_BINDING,      FX_STUN_ALLOCATE_OK, FX_STUN_SEND_V4,        FX_STUN_DATA_V4,
    FX_STUN_CHANNEL_BIND, FX_COTURN_SEND_V6,   FX_AIORTC_CHANNEL_BIND, FX_COTURN_CHANNEL_BIND_6F79,
};

static void test_message_len_real(void **state)
{
    (void)state;
    static const size_t lens[] = {20, 76, 100, 100, 148, 156, 112, 112};
    for (size_t i = 0; i < sizeof(stun_fixtures) / sizeof(*stun_fixtures); i++) {
        struct tu_bytes b = tu_hex(stun_fixtures[i]);
        assert_int_equal(b.n, lens[i]);
        assert_int_equal(stun_message_len(tu_span(&b)), b.n);
        assert_int_equal(stun_demux(b.p[0]), DEMUX_STUN);
        /* followed by more bytes (TCP): still the message's own length */
        struct buf two;
        two.n = 0;
        put_bytes(&two, b.p, b.n);
        put_bytes(&two, b.p, b.n);
        assert_int_equal(stun_message_len(span_make(two.p, two.n)), b.n);
        tu_bytes_free(&b);
    }
    /* not STUN: ChannelData, DTLS, TLS, a broken cookie, a length that is
     * not a multiple of 4, the top bits set */
    const char *const not_stun[] = {FX_CHANNEL_DATA_STUN, FX_DTLS2_CH1, FX_TLS10_CH};
    for (size_t i = 0; i < sizeof(not_stun) / sizeof(*not_stun); i++) {
        struct tu_bytes b = tu_hex(not_stun[i]);
        assert_int_equal(stun_message_len(tu_span(&b)), 0);
        tu_bytes_free(&b);
    }
    struct tu_bytes b = tu_hex(FX_STUN_SEND_V4);
    b.p[7] ^= 1; /* magic cookie */
    assert_int_equal(stun_message_len(tu_span(&b)), 0);
    b.p[7] ^= 1;
    b.p[3] = 0x51; /* length 81 */
    assert_int_equal(stun_message_len(tu_span(&b)), 0);
    b.p[3] = 0x50;
    b.p[0] = 0x40; /* top bits 01 */
    assert_int_equal(stun_message_len(tu_span(&b)), 0);
    tu_bytes_free(&b);
}

/* ---- stun_parse on real messages ---------------------------------------------- */

static void parse_fx(const char *hex, struct tu_bytes *b, struct stun_info *si)
{
    *b = tu_hex(hex);
    size_t n = stun_message_len(tu_span(b));
    assert_int_equal(n, b->n);
    assert_true(stun_parse(span_make(b->p, n), si));
}

static void test_parse_send_indication_v4(void **state)
{
    (void)state;
    struct tu_bytes b;
    struct stun_info si;
    parse_fx(FX_STUN_SEND_V4, &b, &si);
    assert_int_equal(si.type, STUN_SEND_INDICATION);
    assert_true(si.has_peer);
    assert_ep(&si.peer, "185.170.139.1", 12176); /* tshark: XOR-PEER-ADDRESS 185.170.139.1:12176 */
    assert_true(si.has_data);
    assert_ptr_equal(si.data.p, b.p + 36); /* DATA value: after the 12-byte XOR-PEER-ADDRESS */
    assert_int_equal(si.data.n, 64);
    assert_int_equal(stun_message_len(si.data), 64); /* the relayed ICE response */
    assert_false(si.has_channel);
    tu_bytes_free(&b);

    parse_fx(FX_STUN_DATA_V4, &b, &si);
    assert_int_equal(si.type, STUN_DATA_INDICATION);
    assert_true(si.has_peer);
    assert_ep(&si.peer, "185.170.139.1", 12176);
    assert_true(si.has_data);
    assert_ptr_equal(si.data.p, b.p + 36);
    assert_int_equal(si.data.n, 64);
    tu_bytes_free(&b);
}

static void test_parse_send_indication_v6(void **state)
{
    (void)state;
    struct tu_bytes b;
    struct stun_info si;
    parse_fx(FX_COTURN_SEND_V6, &b, &si);
    assert_int_equal(si.type, STUN_SEND_INDICATION);
    assert_true(si.has_peer);
    assert_ep(&si.peer, "::1", 3480); /* tshark: XOR-PEER-ADDRESS ::1 port 3480 */
    assert_true(si.has_data);
    assert_ptr_equal(si.data.p, b.p + 24); /* DATA first in coturn's indications */
    assert_int_equal(si.data.n, 100);
    assert_int_equal(si.data.p[4], 0x07); /* uclient's pattern */
    tu_bytes_free(&b);
}

static void test_parse_channel_bind(void **state)
{
    (void)state;
    struct tu_bytes b;
    struct stun_info si;
    parse_fx(FX_STUN_CHANNEL_BIND, &b, &si);
    assert_int_equal(si.type, STUN_CHANNEL_BIND_REQUEST);
    assert_true(si.has_channel);
    assert_int_equal(si.channel, 0x4003);
    assert_true(si.has_peer);
    assert_ep(&si.peer, "185.170.139.1", 12176);
    assert_false(si.has_data);
    tu_bytes_free(&b);

    parse_fx(FX_COTURN_CHANNEL_BIND_6F79, &b, &si);
    assert_int_equal(si.type, STUN_CHANNEL_BIND_REQUEST);
    assert_true(si.has_channel);
    assert_int_equal(si.channel, 0x6f79);
    assert_ep(&si.peer, "127.0.0.1", 3480);
    tu_bytes_free(&b);

    parse_fx(FX_AIORTC_CHANNEL_BIND, &b, &si);
    assert_int_equal(si.channel, 0x4000);
    assert_ep(&si.peer, "127.0.0.1", 49361);
    tu_bytes_free(&b);
}

/* XOR-RELAYED-ADDRESS and XOR-MAPPED-ADDRESS are not the peer. */
static void test_parse_allocate_response(void **state)
{
    (void)state;
    struct tu_bytes b;
    struct stun_info si;
    parse_fx(FX_STUN_ALLOCATE_OK, &b, &si);
    assert_int_equal(si.type, 0x0103);
    assert_false(si.has_peer);
    assert_false(si.has_data);
    assert_false(si.has_channel);
    tu_bytes_free(&b);
    parse_fx(FX_STUN_BINDING, &b, &si);
    assert_int_equal(si.type, 0x0001);
    assert_false(si.has_peer || si.has_data || si.has_channel);
    tu_bytes_free(&b);
}

static void test_parse_broken_attributes(void **state)
{
    (void)state;
    struct tu_bytes b;
    struct stun_info si;
    /* DATA's length runs past the message */
    parse_fx(FX_STUN_SEND_V4, &b, &si);
    b.p[34] = 0x00;
    b.p[35] = 0x80;
    assert_false(stun_parse(tu_span(&b), &si));
    tu_bytes_free(&b);
    /* XOR-PEER-ADDRESS of an unknown family, and of IPv6 with 4 bytes */
    parse_fx(FX_STUN_SEND_V4, &b, &si);
    b.p[25] = 3;
    assert_true(stun_parse(tu_span(&b), &si));
    assert_false(si.has_peer);
    assert_true(si.has_data);
    b.p[25] = 2;
    assert_true(stun_parse(tu_span(&b), &si));
    assert_false(si.has_peer);
    tu_bytes_free(&b);
    /* the header's length is longer than the bytes */
    parse_fx(FX_STUN_SEND_V4, &b, &si);
    assert_false(stun_parse(span_make(b.p, b.n - 4), &si));
    tu_bytes_free(&b);
}

/* ---- ChannelData -------------------------------------------------------------- */

static void test_channel_frame_udp(void **state)
{
    (void)state;
    uint16_t channel;
    struct span data;
    size_t len;
    struct tu_bytes b = tu_hex(FX_CHANNEL_DATA_STUN);
    for (int padded = 0; padded < 2; padded++) {
        assert_true(turn_channel_frame(tu_span(&b), padded, &channel, &data, &len));
        assert_int_equal(channel, 0x4003);
        assert_ptr_equal(data.p, b.p + 4);
        assert_int_equal(data.n, 96);
        assert_int_equal(len, 100); /* 96: no padding either way */
        assert_int_equal(stun_message_len(data), 96);
    }
    tu_bytes_free(&b);

    b = tu_hex(FX_CHANNEL_DATA_RTCP);
    assert_int_equal(b.n, 26);
    assert_int_equal(stun_demux(b.p[0]), DEMUX_CHANNEL);
    assert_true(turn_channel_frame(tu_span(&b), 0, &channel, &data, &len));
    assert_int_equal(channel, 0x4003);
    assert_int_equal(data.n, 22);
    assert_int_equal(len, 26); /* UDP: not padded */
    assert_int_equal(stun_demux(data.p[0]), DEMUX_RTP);
    tu_bytes_free(&b);

    b = tu_hex(FX_COTURN_CHANNEL_DATA_6F79); /* RFC 5766's range */
    assert_true(turn_channel_frame(tu_span(&b), 0, &channel, &data, &len));
    assert_int_equal(channel, 0x6f79);
    assert_int_equal(data.n, 100);
    assert_int_equal(len, 104);
    tu_bytes_free(&b);
}

static void test_channel_frame_tcp_padding(void **state)
{
    (void)state;
    uint16_t channel;
    struct span data;
    size_t len;
    struct tu_bytes b = tu_hex(FX_AIORTC_CHANNEL_DATA_CH);
    assert_int_equal(b.n, 300);
    assert_true(turn_channel_frame(tu_span(&b), 1, &channel, &data, &len));
    assert_int_equal(channel, 0x4000);
    assert_int_equal(data.n, 295);
    assert_int_equal(len, 300); /* 4 + 295, padded to 4 */
    assert_int_equal(dtls_looks_like_record(data), DTLS_LOOKS_RECORD);
    assert_true(turn_channel_frame(tu_span(&b), 0, &channel, &data, &len));
    assert_int_equal(len, 299);
    /* two frames back to back on the stream: the second starts at 300 */
    struct buf two;
    two.n = 0;
    put_bytes(&two, b.p, b.n);
    put_bytes(&two, b.p, b.n);
    struct span rest = span_make(two.p, two.n);
    assert_true(turn_channel_frame(rest, 1, &channel, &data, &len));
    span_skip(&rest, len);
    assert_true(turn_channel_frame(rest, 1, &channel, &data, &len));
    assert_ptr_equal(data.p, two.p + 304);
    tu_bytes_free(&b);
}

static void test_channel_frame_rejects(void **state)
{
    (void)state;
    uint16_t channel;
    struct span data;
    size_t len;
    struct tu_bytes b = tu_hex(FX_STUN_SEND_V4); /* channel 0x0016 */
    assert_false(turn_channel_frame(tu_span(&b), 0, &channel, &data, &len));
    tu_bytes_free(&b);
    b = tu_hex(FX_CHANNEL_DATA_STUN);
    b.p[0] = 0x80; /* 0x8003: beyond 0x7FFF */
    assert_false(turn_channel_frame(tu_span(&b), 0, &channel, &data, &len));
    b.p[0] = 0x3f; /* 0x3f03: below 0x4000 */
    assert_false(turn_channel_frame(tu_span(&b), 0, &channel, &data, &len));
    b.p[0] = 0x40;
    b.p[3] = 0x61; /* length 97, one more than there is */
    assert_false(turn_channel_frame(tu_span(&b), 0, &channel, &data, &len));
    tu_bytes_free(&b);
}

/* ---- RFC 4571 ------------------------------------------------------------------- */

static void framed(struct buf *b, struct span msg)
{
    b->n = 0;
    put16(b, (uint16_t)msg.n);
    put_bytes(b, msg.p, msg.n);
}

static void test_rfc4571(void **state)
{
    (void)state;
    struct buf f;
    struct tu_bytes stun = tu_hex(FX_STUN_SEND_V4), dtls = tu_hex(FX_DTLS2_CH1),
                    tls = tu_hex(FX_TLS10_CH), binding = tu_hex(FX_STUN_BINDING);
    framed(&f, tu_span(&stun));
    assert_true(rfc4571_looks_like_frame(span_make(f.p, f.n)));
    assert_true(rfc4571_looks_like_frame(span_make(f.p, 10))); /* the cookie is enough */
    assert_false(rfc4571_looks_like_frame(span_make(f.p, 9)));
    framed(&f, tu_span(&binding)); /* 20 bytes, no attributes */
    assert_true(rfc4571_looks_like_frame(span_make(f.p, f.n)));
    framed(&f, tu_span(&dtls));
    assert_true(rfc4571_looks_like_frame(span_make(f.p, f.n)));
    assert_true(rfc4571_looks_like_frame(span_make(f.p, 4))); /* type and 0xfe */
    assert_false(rfc4571_looks_like_frame(span_make(f.p, 3)));
    framed(&f, tu_span(&tls)); /* TLS is not DTLS */
    assert_false(rfc4571_looks_like_frame(span_make(f.p, f.n)));
    /* a frame shorter than a DTLS record header */
    framed(&f, span_make(dtls.p, 12));
    assert_false(rfc4571_looks_like_frame(span_make(f.p, f.n)));
    framed(&f, tu_span(&dtls));
    f.p[2] = 26; /* content type 26 */
    assert_false(rfc4571_looks_like_frame(span_make(f.p, f.n)));
    assert_false(rfc4571_looks_like_frame(span_make(f.p, 0)));
    assert_false(rfc4571_looks_like_frame(span_make(f.p, 1)));
    tu_bytes_free(&stun);
    tu_bytes_free(&dtls);
    tu_bytes_free(&tls);
    tu_bytes_free(&binding);
}

/* ---- every prefix of every message ---------------------------------------------- */

static const char *const all_fixtures[] = {
    FX_STUN_BINDING,
    FX_STUN_ALLOCATE_OK,
    FX_STUN_SEND_V4,
    FX_STUN_DATA_V4,
    FX_STUN_CHANNEL_BIND,
    FX_CHANNEL_DATA_STUN,
    FX_CHANNEL_DATA_RTCP,
    FX_COTURN_SEND_V6,
    FX_COTURN_CHANNEL_BIND_6F79,
    FX_COTURN_CHANNEL_DATA_6F79,
    FX_AIORTC_CHANNEL_BIND,
    FX_AIORTC_CHANNEL_DATA_CH,
    FX_DTLS2_CH1,
    FX_DTLS2_SH,
};

static void test_every_prefix(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(all_fixtures) / sizeof(*all_fixtures); i++) {
        struct tu_bytes b = tu_hex(all_fixtures[i]);
        size_t full = stun_message_len(tu_span(&b));
        for (size_t n = 0; n <= b.n; n++) {
            uint8_t *p = copy_of(b.p, n);
            struct span s = span_make(p, n);
            size_t m = stun_message_len(s);
            assert_true(m <= n);
            assert_true(m == 0 || m == full);
            if (n < b.n && full == b.n)
                assert_int_equal(m, 0); /* a cut message is not a message */
            struct stun_info si;
            if (stun_parse(s, &si)) {
                if (si.has_data)
                    assert_true(span_within(si.data, p, n));
                assert_true(n >= 20);
            }
            uint16_t channel;
            struct span data;
            size_t len;
            for (int padded = 0; padded < 2; padded++) {
                if (turn_channel_frame(s, padded, &channel, &data, &len)) {
                    assert_true(span_within(data, p, n));
                    assert_true(len >= 4 + data.n);
                    if (!padded)
                        assert_true(len <= n);
                }
            }
            (void)rfc4571_looks_like_frame(s);
            (void)stun_demux(n ? p[0] : 0);
            free(p);
        }
        tu_bytes_free(&b);
    }
}

/* turn_channel_frame() promises 0 "when p does not start with a whole one";
 * with padded set, a frame whose data is there but whose padding is not yet
 * is reported whole, with a frame_len larger than the bytes. (next_frame()
 * in session.c checks frame_len <= p.n itself, so the TCP path is safe.) */
static void test_channel_frame_padded_claims_more(void **state)
{
    (void)state;
    uint16_t channel;
    struct span data;
    size_t len;
    struct tu_bytes b = tu_hex(FX_AIORTC_CHANNEL_DATA_CH);
    uint8_t *p = copy_of(b.p, 299); /* 4 + 295: the data, not the padding */
    int rc = turn_channel_frame(span_make(p, 299), 1, &channel, &data, &len);
    assert_true(rc == 0 || len <= 299);
    free(p);
    tu_bytes_free(&b);
}

/* ---- DTLS inside TURN, through session_datagram / session_data ------------------ */

static const uint8_t txid_a[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

/* The wrapper reproduces a real Send indication byte for byte (the same
 * transaction id, peer and DATA). */
static void test_indication_wrapper_is_faithful(void **state)
{
    (void)state;
    struct tu_bytes real = tu_hex(FX_STUN_SEND_V4);
    struct endpoint peer = ep("185.170.139.1", 12176);
    struct buf b;
    stun_indication(&b, STUN_SEND_INDICATION, real.p + 8, &peer, span_make(real.p + 36, 64));
    assert_int_equal(b.n, real.n);
    assert_memory_equal(b.p, real.p, real.n);
    tu_bytes_free(&real);
}

static struct tls_session sess;
static const struct dissect_sink sink = TU_SINK(&got);

static void start_session(uint8_t transport, const char *cip, uint16_t cport, const char *sip,
                          uint16_t sport)
{
    struct endpoint a = ep(cip, cport), b = ep(sip, sport);
    memset(&got, 0, sizeof(got));
    session_init(&sess, &a, &b, transport, &sink, NULL);
}

static void datagram(int dir, const struct buf *b, int64_t t)
{
    if (sess.carrier == 0 && !sess.finished && !sess.dtls) {
        int carrier = session_datagram_carrier(span_make(b->p, b->n));
        assert_int_equal(carrier, CARRIER_DTLS); /* STUN and DTLS both ride CARRIER_DTLS */
        assert_true(session_set_carrier(&sess, carrier));
    }
    uint8_t *p = copy_of(b->p, b->n);
    session_datagram(&sess, dir, span_make(p, b->n), t);
    free(p);
}

static void check_dtls2_handshake(const struct tls_handshake *hs)
{
    char fp[JA3_HEX_LEN + 1];
    assert_true(hs->has_ch);
    assert_true(hs->ch.dtls);
    assert_int_equal(tls_client_max_version(&hs->ch), 0xfeff);
    assert_true(fingerprint_ja3(&hs->ch, fp));
    assert_string_equal(fp, "1b45c913a0c0fde5f263502e65999485"); /* tshark's, for dtls2.pcap */
    assert_true(hs->has_sh);
    assert_int_equal(tls_server_version(&hs->sh), 0xfeff);
    assert_int_equal(hs->sh.cipher, 0x0035);
    assert_true(fingerprint_ja3s(&hs->sh, fp));
    assert_string_equal(fp, "749bd1edea60396ffaa65213b7971718");
    assert_true(hs->saw_hvr);
}

/* TURN over UDP: the client's Send indications and the server's Data
 * indications carry dtls2.pcap's handshake to and from its real server
 * 212.32.214.39:61457, which is the XOR-PEER-ADDRESS. */
static void test_dtls_in_indications_udp(void **state)
{
    (void)state;
    const char *const flight[] = {FX_DTLS2_CH1, FX_DTLS2_HVR,        FX_DTLS2_CH2,
                                  FX_DTLS2_SH,  FX_DTLS2_CLIENT_CCS, FX_DTLS2_SERVER_CCS};
    struct endpoint peer = ep("212.32.214.39", 61457);
    struct buf b;
    start_session(TRANSPORT_UDP, "192.168.1.10", 50000, "198.51.100.7", 3478);
    /* the allocation first, as on the wire */
    struct tu_bytes alloc = tu_hex(FX_STUN_ALLOCATE_OK), bind = tu_hex(FX_STUN_BINDING);
    b.n = 0;
    put_bytes(&b, bind.p, bind.n);
    datagram(0, &b, 1);
    b.n = 0;
    put_bytes(&b, alloc.p, alloc.n);
    datagram(1, &b, 2);
    for (size_t i = 0; i < sizeof(flight) / sizeof(*flight); i++) {
        struct tu_bytes d = tu_hex(flight[i]);
        int dir = i == 1 || i == 3 || i == 5; /* HVR, SH, server CCS from the peer */
        stun_indication(&b, dir ? STUN_DATA_INDICATION : STUN_SEND_INDICATION, txid_a, &peer,
                        tu_span(&d));
        datagram(dir, &b, 10 + (int64_t)i);
        tu_bytes_free(&d);
    }
    assert_int_equal(got.begins, 1);
    assert_int_equal(got.settles, 1);
    const struct tls_handshake *hs = &got.hs[0];
    assert_int_equal(hs->encapsulation, ENCAP_TURN_INDICATION);
    assert_true(hs->has_turn_peer);
    assert_ep(&hs->turn_peer, "212.32.214.39", 61457);
    assert_ep(&hs->client, "192.168.1.10", 50000); /* the packets' own addresses */
    assert_ep(&hs->server, "198.51.100.7", 3478);
    assert_int_equal(hs->transport, TRANSPORT_UDP);
    assert_int_equal(hs->ts_us, 10);
    check_dtls2_handshake(hs);
    assert_true(hs->established);
    assert_int_equal(hs->settle, SETTLE_ESTABLISHED);
    session_end(&sess, SETTLE_END_OF_INPUT);
    assert_int_equal(got.settles, 1);
    tu_bytes_free(&alloc);
    tu_bytes_free(&bind);
}

/* The same over an IPv6 peer: the XOR with the transaction id. */
static void test_dtls_in_indication_v6_peer(void **state)
{
    (void)state;
    struct endpoint peer = ep("2001:db8::5:1", 443);
    struct buf b;
    struct tu_bytes d = tu_hex(FX_DTLS2_CH1);
    start_session(TRANSPORT_UDP, "2001:db8::1", 50000, "2001:db8::3478", 3478);
    stun_indication(&b, STUN_SEND_INDICATION, txid_a, &peer, tu_span(&d));
    datagram(0, &b, 5);
    session_end(&sess, SETTLE_END_OF_INPUT);
    assert_int_equal(got.settles, 1);
    assert_int_equal(got.hs[0].encapsulation, ENCAP_TURN_INDICATION);
    assert_true(got.hs[0].has_turn_peer);
    assert_ep(&got.hs[0].turn_peer, "2001:db8::5:1", 443);
    assert_false(got.hs[0].has_sh);
    tu_bytes_free(&d);
}

/* Feed a TCP direction in pieces of `step` bytes. */
static void feed_pieces(int dir, const struct buf *b, size_t step, int64_t t)
{
    for (size_t off = 0; off < b->n; off += step) {
        size_t k = b->n - off < step ? b->n - off : step;
        uint8_t *p = copy_of(b->p + off, k);
        session_data(&sess, dir, span_make(p, k), t);
        free(p);
    }
}

/* TURN over TCP: ChannelBind (real, channel 0x4003 to 185.170.139.1:12176),
 * its success response, then dtls2.pcap's handshake in padded ChannelData,
 * fed whole, byte by byte and in 7-byte pieces. (The first segment of each
 * direction is fed whole: the session decides a direction's framing from
 * its first segment, which must hold the 8 bytes up to the magic cookie.) */
static void run_channel_tcp(size_t step)
{
    const char *const flight[] = {FX_DTLS2_CH1, FX_DTLS2_HVR,        FX_DTLS2_CH2,
                                  FX_DTLS2_SH,  FX_DTLS2_CLIENT_CCS, FX_DTLS2_SERVER_CCS};
    struct buf b;
    struct tu_bytes bind = tu_hex(FX_STUN_CHANNEL_BIND);
    start_session(TRANSPORT_TCP, "192.168.1.10", 50000, "198.51.100.7", 3478);
    b.n = 0;
    put_bytes(&b, bind.p, bind.n);
    feed_pieces(0, &b, b.n, 1);
    /* ChannelBind success response: same transaction id, no attributes */
    b.n = 0;
    put16(&b, 0x0109);
    put16(&b, 0);
    put_bytes(&b, bind.p + 4, 16);
    feed_pieces(1, &b, b.n, 2);
    for (size_t i = 0; i < sizeof(flight) / sizeof(*flight); i++) {
        struct tu_bytes d = tu_hex(flight[i]);
        int dir = i == 1 || i == 3 || i == 5;
        channel_data(&b, 0x4003, tu_span(&d), 1);
        feed_pieces(dir, &b, step, 10 + (int64_t)i);
        tu_bytes_free(&d);
    }
    tu_bytes_free(&bind);
    assert_int_equal(got.begins, 1);
    assert_int_equal(got.settles, 1);
    const struct tls_handshake *hs = &got.hs[0];
    assert_int_equal(hs->encapsulation, ENCAP_TURN_CHANNEL);
    assert_true(hs->has_turn_peer);
    assert_ep(&hs->turn_peer, "185.170.139.1", 12176); /* the ChannelBind's peer */
    assert_ep(&hs->client, "192.168.1.10", 50000);
    assert_int_equal(hs->transport, TRANSPORT_TCP);
    check_dtls2_handshake(hs);
    assert_true(hs->established);
    session_end(&sess, SETTLE_END_OF_INPUT);
    assert_int_equal(got.settles, 1);
}

static void test_dtls_in_channel_data_tcp(void **state)
{
    (void)state;
    run_channel_tcp(65536);
    setup(NULL);
    run_channel_tcp(1);
    setup(NULL);
    run_channel_tcp(7);
}

/* The real aiortc bytes: ChannelBind then the padded ChannelData holding a
 * ClientHello in two DTLS fragments, both in one TCP segment. */
static void test_real_aiortc_channel_data_tcp(void **state)
{
    (void)state;
    struct tu_bytes bind = tu_hex(FX_AIORTC_CHANNEL_BIND), ch = tu_hex(FX_AIORTC_CHANNEL_DATA_CH);
    struct buf b;
    start_session(TRANSPORT_TCP, "127.0.0.1", 36150, "127.0.0.1", 3478);
    b.n = 0;
    put_bytes(&b, bind.p, bind.n);
    put_bytes(&b, ch.p, ch.n);
    feed_pieces(0, &b, b.n, 1);
    session_end(&sess, SETTLE_END_OF_INPUT);
    assert_int_equal(got.settles, 1);
    const struct tls_handshake *hs = &got.hs[0];
    assert_int_equal(hs->encapsulation, ENCAP_TURN_CHANNEL);
    assert_true(hs->has_turn_peer);
    assert_ep(&hs->turn_peer, "127.0.0.1", 49361);
    assert_true(hs->has_ch);
    assert_int_equal(tls_client_max_version(&hs->ch), 0xfefd);
    char fp[JA3_HEX_LEN + 1];
    assert_true(fingerprint_ja3(&hs->ch, fp));
    assert_string_equal(fp, "bb6f4ac4e4f26a404d59d5fdfba79b18"); /* the oracle's */
    assert_int_equal(session_stats.unparsable_hellos, 0);
    tu_bytes_free(&bind);
    tu_bytes_free(&ch);
}

/* Channel numbers 0x5000-0x7FFF (RFC 5766; coturn accepts them and its
 * uclient uses them): turn_channel_frame() takes them, but demux_datagram()
 * first asks stun_demux(), whose RFC 7983 range for ChannelData is 64-79
 * only, so the frame is dropped and the DTLS inside is never seen.
 * pcaps/turn/turn_dtls_udp_channel_0x7000.pcap is the same on real
 * traffic. */
static void run_rfc5766_channel(uint8_t transport)
{
    struct tu_bytes bind = tu_hex(FX_COTURN_CHANNEL_BIND_6F79), d = tu_hex(FX_DTLS2_CH1);
    struct buf b;
    start_session(transport, "127.0.0.1", 41002, "127.0.0.1", 3478);
    b.n = 0;
    put_bytes(&b, bind.p, bind.n);
    if (transport == TRANSPORT_UDP)
        datagram(0, &b, 1);
    else
        feed_pieces(0, &b, b.n, 1);
    channel_data(&b, 0x6f79, tu_span(&d), transport == TRANSPORT_TCP);
    if (transport == TRANSPORT_UDP)
        datagram(0, &b, 2);
    else
        feed_pieces(0, &b, b.n, 2);
    session_end(&sess, SETTLE_END_OF_INPUT);
    tu_bytes_free(&bind);
    tu_bytes_free(&d);
    assert_int_equal(got.settles, 1);
    assert_int_equal(got.hs[0].encapsulation, ENCAP_TURN_CHANNEL);
    assert_ep(&got.hs[0].turn_peer, "127.0.0.1", 3480);
}

static void test_rfc5766_channel_udp(void **state)
{
    (void)state;
    run_rfc5766_channel(TRANSPORT_UDP);
}

static void test_rfc5766_channel_tcp(void **state)
{
    (void)state;
    run_rfc5766_channel(TRANSPORT_TCP);
}

/* A TURN allocation's control traffic before the DTLS handshake: Allocate,
 * 401, Allocate, Refresh, CreatePermission / ChannelBind for each remote
 * candidate, and the relayed ICE checks with their answers. Each datagram
 * counts against MAX_SEGMENTS_WITHOUT_HELLO (24), so after 25 the flow is
 * given up and a DTLS handshake that follows is never seen. */
static void test_dtls_after_many_stun_datagrams(void **state)
{
    (void)state;
    struct tu_bytes bind = tu_hex(FX_STUN_BINDING), d = tu_hex(FX_DTLS2_CH1);
    struct endpoint peer = ep("212.32.214.39", 61457);
    struct buf b;
    start_session(TRANSPORT_UDP, "192.168.1.10", 50000, "198.51.100.7", 3478);
    for (int i = 0; i < 30; i++) {
        b.n = 0;
        put_bytes(&b, bind.p, bind.n);
        datagram(i & 1, &b, i);
    }
    stun_indication(&b, STUN_SEND_INDICATION, txid_a, &peer, tu_span(&d));
    datagram(0, &b, 100);
    session_end(&sess, SETTLE_END_OF_INPUT);
    tu_bytes_free(&bind);
    tu_bytes_free(&d);
    assert_int_equal(got.settles, 1);
}

/* ---- pseudo-TLS ------------------------------------------------------------------ */

/* [MS-TURN] section 2.1.1: the client's pseudo-TLS record: TLS 1.0, one
 * ClientHello of version 0x0301, a 32-byte random (timestamp and 28 random
 * bytes: any value; these are made up), no session id, one cipher suite
 * 0x0018, the null compression method, no extensions. 50 bytes. */
#define FX_MSTURN_CH                                                                               \
    "160301002d" /* handshake record, TLS 1.0, 45 bytes */                                         \
    "01000029"   /* ClientHello, 41 bytes */                                                       \
    "0301"       /* client_version */                                                              \
    "4e2a1f300f1e2d3c4b5a69788796a5b4c3d2e1f0112233445566778899aabbcc"                             \
    "00"       /* session id length */                                                             \
    "00020018" /* one cipher suite: TLS_DH_anon_WITH_RC4_128_MD5 */                                \
    "0100"     /* one compression method: null */

/* The server's answer: one record of 83 bytes holding ServerHello (0x0301,
 * random, a 32-byte session id, 0x0018, null compression) and
 * ServerHelloDone. */
#define FX_MSTURN_SH                                                                               \
    "160301004e"                                                                                   \
    "02000046"                                                                                     \
    "0301"                                                                                         \
    "4e2a1f31a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071829303132"                             \
    "20"                                                                                           \
    "0f0e0d0c0b0a09080706050403020100f0e0d0c0b0a090807060504030201000"                             \
    "0018"                                                                                         \
    "00"                                                                                           \
    "0e000000"

/* Google libjingle's SSL-TCP client hello (WebRTC's AsyncSSLSocket
 * kSslClientHello, rtc_base/socket_adapters.cc): an SSLv2-format
 * CLIENT-HELLO, version 0x0301, 45 bytes of cipher specs (15 three-byte
 * specs, as published there), no session id, the constant 16-byte
 * challenge. 72 bytes. */
#define FX_SSLTCP_CH                                                                               \
    "8046"                                                    /* SSLv2 record header: 70 bytes */  \
    "01"                                                      /* CLIENT-HELLO */                   \
    "0301"                                                    /* version */                        \
    "002d"                                                    /* cipher specs length: 45 */        \
    "0000"                                                    /* session id length */              \
    "0010"                                                    /* challenge length: 16 */           \
    "010080 030080 0700c0 060040 020080 040080 000004 00feff" /* 15 three-byte cipher specs */     \
    "00000a 00fefe 000009 000064 000062 000003 000006"                                             \
    "1f170ca62f0078fc46552eb18339f1ea"

/* Its server answer, kSslServerHello: a TLS 1.0 record of 79 bytes with a
 * ServerHello (0x0301, a fixed random, a 32-byte session id, cipher 0x0004,
 * null compression). */
#define FX_SSLTCP_SH                                                                               \
    "160301004a"                                                                                   \
    "02000046"                                                                                     \
    "0301"                                                                                         \
    "428545a727a95da0b3c5e753da482b3fc65aca89c15852a1783c5b174600853f"                             \
    "20"                                                                                           \
    "0ed306725b5b1b5f15ac13f988539d9be83d7b0c30326e384da27557416c345c"                             \
    "0004"                                                                                         \
    "00"

static void feed_hex(int dir, const char *hex, int64_t t)
{
    struct tu_bytes b = tu_hex(hex);
    uint8_t *p = copy_of(b.p, b.n);
    session_data(&sess, dir, span_make(p, b.n), t);
    free(p);
    tu_bytes_free(&b);
}

static void test_fixture_layouts(void **state)
{
    (void)state;
    struct tu_bytes b = tu_hex(FX_MSTURN_CH);
    assert_int_equal(b.n, 50);
    tu_hello_body(&b, 1);
    tu_bytes_free(&b);
    b = tu_hex(FX_MSTURN_SH);
    assert_int_equal(b.n, 83);
    assert_int_equal((b.p[3] << 8) | b.p[4], 0x4e);
    tu_bytes_free(&b);
    b = tu_hex(FX_SSLTCP_CH);
    assert_int_equal(b.n, 72);
    assert_int_equal(tls_sslv2_hello_record_len(tu_span(&b)), 0x46); /* after the 2-byte header */
    tu_bytes_free(&b);
    b = tu_hex(FX_SSLTCP_SH);
    assert_int_equal(b.n, 79);
    tu_hello_body(&b, 2);
    tu_bytes_free(&b);
}

static char *log_line(const struct tls_handshake *hs)
{
    struct json j;
    json_init(&j);
    handshake_to_json(hs, &j);
    assert_false(j.failed);
    char *s = strdup(j.p);
    json_free(&j);
    assert_non_null(s);
    return s;
}

static void check_pseudo(enum pseudo_tls kind, const char *name)
{
    assert_int_equal(got.begins, 1);
    assert_int_equal(got.settles, 1);
    const struct tls_handshake *hs = &got.hs[0];
    assert_int_equal(hs->pseudo, kind);
    assert_int_equal(hs->encapsulation, ENCAP_PSEUDO_TLS);
    assert_int_equal(hs->settle, SETTLE_PSEUDO_DONE);
    assert_true(hs->has_ch && hs->has_sh);
    assert_false(hs->established);
    assert_int_equal(session_stats.pseudo_tls, 1);
    assert_ep(&hs->client, "10.0.0.1", 40000);
    char *line = log_line(hs);
    char want[64];
    assert_non_null(strstr(line, "\"encapsulation\":\"pseudo-tls\""));
    snprintf(want, sizeof(want), "\"pseudo\":\"%s\"", name);
    assert_non_null(strstr(line, want));
    assert_non_null(strstr(line, "\"end\":\"pseudo-tls\""));
    free(line);
}

static void test_ms_turn_pseudo_tls(void **state)
{
    (void)state;
    start_session(TRANSPORT_TCP, "10.0.0.1", 40000, "10.0.0.2", 443);
    feed_hex(0, FX_MSTURN_CH, 1);
    assert_int_equal(got.begins, 1);
    assert_int_equal(got.settles, 0); /* waits for the server's answer */
    feed_hex(1, FX_MSTURN_SH, 2);
    check_pseudo(PSEUDO_MS_TURN, "ms-turn");
    assert_int_equal(got.hs[0].sh.cipher, 0x0018);
    /* what follows is TURN, not TLS: nothing more is read */
    feed_hex(0, FX_STUN_BINDING, 3);
    feed_hex(0, FX_TLS12_CH, 4);
    session_end(&sess, SETTLE_END_OF_INPUT);
    assert_int_equal(got.begins, 1);
    assert_int_equal(got.settles, 1);
}

static void test_google_ssltcp_pseudo_tls(void **state)
{
    (void)state;
    start_session(TRANSPORT_TCP, "10.0.0.1", 40000, "10.0.0.2", 443);
    feed_hex(0, FX_SSLTCP_CH, 1);
    assert_int_equal(got.begins, 1);
    assert_int_equal(got.settles, 0);
    feed_hex(1, FX_SSLTCP_SH, 2);
    check_pseudo(PSEUDO_GOOGLE_SSLTCP, "google-ssltcp");
    assert_true(got.hs[0].ch.sslv2_format);
    assert_int_equal(session_stats.sslv2_hellos, 1);
    session_end(&sess, SETTLE_END_OF_INPUT);
    assert_int_equal(got.settles, 1);
}

/* Real TLS 1.0 (OpenSSL's s_client -tls1) is TLS 1.0, not pseudo-TLS; nor
 * are near misses of the fixed hellos. */
static void test_real_tls10_not_pseudo(void **state)
{
    (void)state;
    tu_run_capture("pcaps/tls1_0.pcap", 0, &got);
    assert_int_equal(got.settles, 1);
    assert_int_equal(got.hs[0].pseudo, PSEUDO_NONE);
    assert_int_equal(got.hs[0].encapsulation, ENCAP_DIRECT);
    assert_int_equal(got.hs[0].settle, SETTLE_ESTABLISHED);
    assert_int_equal(tls_client_max_version(&got.hs[0].ch), 0x0301);
    assert_int_equal(session_stats.pseudo_tls, 0);

    /* MS-TURN's hello with another cipher suite */
    struct tu_bytes b = tu_hex(FX_MSTURN_CH);
    b.p[5 + 4 + 2 + 32 + 1 + 3] = 0x2f;
    start_session(TRANSPORT_TCP, "10.0.0.1", 40000, "10.0.0.2", 443);
    session_data(&sess, 0, tu_span(&b), 1);
    session_end(&sess, SETTLE_END_OF_INPUT);
    assert_int_equal(got.settles, 1);
    assert_int_equal(got.hs[0].pseudo, PSEUDO_NONE);
    tu_bytes_free(&b);

    /* SSL-TCP's hello with another challenge */
    b = tu_hex(FX_SSLTCP_CH);
    b.p[b.n - 1] ^= 0xff;
    start_session(TRANSPORT_TCP, "10.0.0.1", 40000, "10.0.0.2", 443);
    session_data(&sess, 0, tu_span(&b), 1);
    session_end(&sess, SETTLE_END_OF_INPUT);
    assert_int_equal(got.settles, 1);
    assert_int_equal(got.hs[0].pseudo, PSEUDO_NONE);
    assert_int_equal(session_stats.pseudo_tls, 0);
    tu_bytes_free(&b);
}

/* The summary counts pseudo-TLS apart: not a TLS handshake, not an old-TLS
 * client, and it warns about firewalls that block TLS 1.0. */
static void test_summary_pseudo_tls(void **state)
{
    (void)state;
    struct tls_handshake pseudo, modern;
    start_session(TRANSPORT_TCP, "10.0.0.1", 40000, "10.0.0.2", 443);
    feed_hex(0, FX_MSTURN_CH, 1);
    feed_hex(1, FX_MSTURN_SH, 2);
    session_end(&sess, SETTLE_END_OF_INPUT);
    assert_int_equal(got.settles, 1);
    pseudo = got.hs[0];
    pseudo.protocol = "turn";
    tu_run_capture("pcaps/tls1_2.pcap", 0, &got);
    assert_int_equal(got.settles, 1);
    modern = got.hs[0];
    modern.protocol = "https";

    struct summary *s = summary_new();
    assert_non_null(s);
    summary_add(s, &pseudo);
    summary_add(s, &modern);
    struct run_counters c;
    memset(&c, 0, sizeof(c));
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    assert_non_null(f);
    summary_print(s, &c, f);
    fclose(f);
    summary_free(s);
    assert_non_null(strstr(out, "tlsmon summary: 1 TLS handshakes"));
    assert_non_null(strstr(out, "Clients on TLS 1.1 or lower: none"));
    assert_non_null(strstr(out, "Pseudo-TLS"));
    assert_non_null(strstr(out, "MS-TURN 1"));
    assert_non_null(strstr(out, "firewall rule that blocks TLS 1.0"));
    assert_non_null(strstr(out, "10.0.0.2:443/tcp turn")); /* its service, in the pseudo list */
    free(out);
}

/* ---- the captures of pcaps/turn/ --------------------------------------------------- */

/* Every TCP and UDP flow of a capture through its own tls_session, UDP as
 * the engine does it (the carrier chosen from the flow's first datagram). */
static void run_capture_all(const char *rel, struct tu_handshakes *out)
{
    enum { MAX_FLOWS = 16 };
    struct tu_pcap pc;
    struct tls_session *s = calloc(MAX_FLOWS, sizeof(*s));
    uint8_t ignored[MAX_FLOWS] = {0};
    struct dissect_sink sk = TU_SINK(out);
    int nflow = 0;
    assert_non_null(s);
    memset(out, 0, sizeof(*out));
    tu_pcap_load(rel, &pc);
    for (size_t i = 0; i < pc.n; i++) {
        struct packet_view pv;
        memset(&pv, 0, sizeof(pv));
        if (decode_packet(pc.linktype, pc.f[i].data, pc.f[i].caplen, pc.f[i].len, &pv) !=
                DECODE_OK ||
            (pv.transport != TRANSPORT_TCP && pv.transport != TRANSPORT_UDP))
            continue;
        int64_t t = pc.f[i].ts_us;
        int c, dir = 0;
        for (c = 0; c < nflow; c++) {
            if (s[c].transport != pv.transport)
                continue;
            if (tu_endpoint_eq(&s[c].ep[0], &pv.src) && tu_endpoint_eq(&s[c].ep[1], &pv.dst))
                break;
            if (tu_endpoint_eq(&s[c].ep[1], &pv.src) && tu_endpoint_eq(&s[c].ep[0], &pv.dst)) {
                dir = 1;
                break;
            }
        }
        if (c == nflow) {
            assert_true(nflow < MAX_FLOWS);
            session_init(&s[nflow++], &pv.src, &pv.dst, pv.transport, &sk,
                         (void *)(uintptr_t)(c + 1));
            if (pv.transport == TRANSPORT_UDP) {
                int carrier = session_datagram_carrier(span_make(pv.payload, pv.payload_len));
                if (carrier < 0 || !session_set_carrier(&s[c], carrier))
                    ignored[c] = 1;
            }
        }
        if (pv.transport == TRANSPORT_UDP) {
            if (!ignored[c])
                session_datagram(&s[c], dir, span_make(pv.payload, pv.payload_len), t);
            continue;
        }
        if (pv.payload_len)
            session_data(&s[c], dir, span_make(pv.payload, pv.payload_len), t);
        if (pv.tcp_flags & TCPF_RST)
            session_reset(&s[c], t);
        else if (pv.tcp_flags & TCPF_FIN)
            session_fin(&s[c], dir, t);
    }
    for (int c = 0; c < nflow; c++)
        session_end(&s[c], SETTLE_END_OF_INPUT);
    free(s);
    tu_pcap_free(&pc);
}

static int is_port(const struct endpoint *e, uint16_t port)
{
    return e->port == port;
}

/* Three DTLS 1.2 handshakes: two inside TURN (between each aiortc peer and
 * the TURN server), one on the relay-to-relay leg; the TURN peers are the
 * relay leg's two ends. */
static void check_webrtc_capture(const char *rel, uint8_t encap, uint8_t turn_transport)
{
    run_capture_all(rel, &got);
    assert_int_equal(got.settles, 3);
    const struct tls_handshake *leg = NULL;
    int turned = 0;
    for (int i = 0; i < 3; i++) {
        const struct tls_handshake *hs = &got.hs[i];
        assert_true(hs->has_ch && hs->has_sh);
        assert_int_equal(tls_server_version(&hs->sh), 0xfefd);
        assert_true(hs->established);
        if (hs->encapsulation == ENCAP_DIRECT) {
            leg = hs;
            assert_int_equal(hs->transport, TRANSPORT_UDP);
            assert_false(hs->has_turn_peer);
        } else {
            assert_int_equal(hs->encapsulation, encap);
            assert_int_equal(hs->transport, turn_transport);
            assert_true(is_port(&hs->client, 3478) || is_port(&hs->server, 3478));
            assert_true(hs->has_turn_peer);
            turned++;
        }
    }
    assert_int_equal(turned, 2);
    assert_non_null(leg);
    /* answerer -> TURN: the peer is the offerer's relayed address (the
     * leg's server); TURN -> offerer: the answerer's (the leg's client) */
    for (int i = 0; i < 3; i++) {
        const struct tls_handshake *hs = &got.hs[i];
        if (hs == leg)
            continue;
        const struct endpoint *want = is_port(&hs->server, 3478) ? &leg->server : &leg->client;
        assert_true(tu_endpoint_eq(&hs->turn_peer, want));
    }
    assert_int_equal(session_stats.unparsable_hellos, 0);
}

static void test_capture_dtls_udp(void **state)
{
    (void)state;
    check_webrtc_capture("pcaps/turn/turn_dtls_udp.pcap", ENCAP_TURN_CHANNEL, TRANSPORT_UDP);
}

static void test_capture_dtls_udp_indication(void **state)
{
    (void)state;
    check_webrtc_capture("pcaps/turn/turn_dtls_udp_indication.pcap", ENCAP_TURN_INDICATION,
                         TRANSPORT_UDP);
}

static void test_capture_dtls_tcp(void **state)
{
    (void)state;
    check_webrtc_capture("pcaps/turn/turn_dtls_tcp.pcap", ENCAP_TURN_CHANNEL, TRANSPORT_TCP);
    setup(NULL);
    check_webrtc_capture("pcaps/turn/turn_dtls_tcp_indication.pcap", ENCAP_TURN_INDICATION,
                         TRANSPORT_TCP);
}

static void test_capture_dtls_channel_0x7000(void **state)
{
    (void)state;
    check_webrtc_capture("pcaps/turn/turn_dtls_udp_channel_0x7000.pcap", ENCAP_TURN_CHANNEL,
                         TRANSPORT_UDP);
}

/* coturn's uclient sends a test pattern through the relay, not TLS: no
 * handshake, nothing taken for a hello. */
static void test_capture_uclient_no_handshake(void **state)
{
    (void)state;
    const char *const caps[] = {
        "pcaps/turn/turn_udp_channel.pcap", "pcaps/turn/turn_udp_indication.pcap",
        "pcaps/turn/turn_udp_ipv6_peer.pcap", "pcaps/turn/turn_tcp_channel.pcap"};
    for (size_t i = 0; i < sizeof(caps) / sizeof(*caps); i++) {
        setup(NULL);
        run_capture_all(caps[i], &got);
        if (got.begins || session_stats.client_hellos || session_stats.server_hellos ||
            session_stats.unparsable_hellos)
            fail_msg("%s: %d handshakes, %llu/%llu hellos, %llu unparsable", caps[i], got.begins,
                     (unsigned long long)session_stats.client_hellos,
                     (unsigned long long)session_stats.server_hellos,
                     (unsigned long long)session_stats.unparsable_hellos);
    }
}

/* TLS to the TURN server on 5349 is direct TLS: TLS 1.2 established, and the
 * TLS 1.0/1.1 attempts uclient makes (refused with an alert) are logged too. */
static void test_capture_tls_to_server(void **state)
{
    (void)state;
    run_capture_all("pcaps/turn/turn_tls_to_server.pcap", &got);
    int ok = 0, refused = 0;
    assert_true(got.settles >= 3);
    for (int i = 0; i < got.settles; i++) {
        const struct tls_handshake *hs = &got.hs[i];
        assert_int_equal(hs->encapsulation, ENCAP_DIRECT);
        assert_int_equal(hs->transport, TRANSPORT_TCP);
        assert_int_equal(hs->server.port, 5349);
        assert_false(hs->has_turn_peer);
        if (hs->has_sh) {
            assert_int_equal(tls_server_version(&hs->sh), 0x0303);
            assert_int_equal(hs->sh.cipher, 0xc030);
            assert_true(hs->established);
            ok++;
        } else {
            assert_true(tls_client_max_version(&hs->ch) <= 0x0302);
            assert_int_equal(hs->settle, SETTLE_ALERT);
            refused++;
        }
    }
    assert_int_equal(ok, 2);
    assert_true(refused >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_demux_ranges, setup),
        cmocka_unit_test_setup(test_message_len_real, setup),
        cmocka_unit_test_setup(test_parse_send_indication_v4, setup),
        cmocka_unit_test_setup(test_parse_send_indication_v6, setup),
        cmocka_unit_test_setup(test_parse_channel_bind, setup),
        cmocka_unit_test_setup(test_parse_allocate_response, setup),
        cmocka_unit_test_setup(test_parse_broken_attributes, setup),
        cmocka_unit_test_setup(test_channel_frame_udp, setup),
        cmocka_unit_test_setup(test_channel_frame_tcp_padding, setup),
        cmocka_unit_test_setup(test_channel_frame_rejects, setup),
        cmocka_unit_test_setup(test_rfc4571, setup),
        cmocka_unit_test_setup(test_every_prefix, setup),
        cmocka_unit_test_setup(test_channel_frame_padded_claims_more, setup),
        cmocka_unit_test_setup(test_indication_wrapper_is_faithful, setup),
        cmocka_unit_test_setup(test_dtls_in_indications_udp, setup),
        cmocka_unit_test_setup(test_dtls_in_indication_v6_peer, setup),
        cmocka_unit_test_setup(test_dtls_in_channel_data_tcp, setup),
        cmocka_unit_test_setup(test_real_aiortc_channel_data_tcp, setup),
        cmocka_unit_test_setup(test_rfc5766_channel_udp, setup),
        cmocka_unit_test_setup(test_rfc5766_channel_tcp, setup),
        cmocka_unit_test_setup(test_dtls_after_many_stun_datagrams, setup),
        cmocka_unit_test_setup(test_fixture_layouts, setup),
        cmocka_unit_test_setup(test_ms_turn_pseudo_tls, setup),
        cmocka_unit_test_setup(test_google_ssltcp_pseudo_tls, setup),
        cmocka_unit_test_setup(test_real_tls10_not_pseudo, setup),
        cmocka_unit_test_setup(test_summary_pseudo_tls, setup),
        cmocka_unit_test_setup(test_capture_dtls_udp, setup),
        cmocka_unit_test_setup(test_capture_dtls_udp_indication, setup),
        cmocka_unit_test_setup(test_capture_dtls_tcp, setup),
        cmocka_unit_test_setup(test_capture_dtls_channel_0x7000, setup),
        cmocka_unit_test_setup(test_capture_uclient_no_handshake, setup),
        cmocka_unit_test_setup(test_capture_tls_to_server, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
