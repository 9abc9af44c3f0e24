/* test_decode.c: link layer, IP and TCP headers into a packet_view
 * (capture/decode.c), on real frames. */
#include "testutil.h"

#include <arpa/inet.h>

#include "capture/decode.h"
#include "capture/facts.h"
#include "capture/flow_table.h"

/* pcaps/tls1_2.pcap frame 4 (whole frame, caplen == len), 294 bytes. */
#define FX_FRAME_ETH_V4                                                                            \
    "000000000000000000000000080045000118774d40004006c4907f0000017f000001aef001bb3d9a96463425"     \
    "40f680180040ff0c00000101080a9766b75f94e517be16030100df010000db03034cfb11251abaf440ad8c3f"     \
    "6aa160a0aaec04469eafdb38851c84a308542078d6000038c02cc030009fcca9cca8ccaac02bc02f009ec024"     \
    "c028006bc023c0270067c00ac0140039c009c0130033009d009c003d003c0035002f00ff0100007a00000012"     \
    "001000000d746c7331322e6578616d706c65000b000403000102000a000c000a001d0017001e001900180023"     \
    "00000010000e000c02683208687474702f312e310016000000170000000d002a002804030503060308070808"     \
    "0809080a080b080408050806040105010601030303010302040205020602"

/* pcaps/ipv6_tls1_2.pcap frame 4 (whole frame, caplen == len), 310 bytes. */
#define FX_FRAME_ETH_V6                                                                            \
    "00000000000000000000000086dd600123ac0100064000000000000000000000000000000001000000000000"     \
    "00000000000000000001ed8601bb57f123f0c480bc7980180040010800000101080a834f277382c499fd1603"     \
    "0100db010000d7030316106a36a7982fbde27acfd67ba5eb46800ea7c4d71b432536bfb0ba7971a2b8000038"     \
    "c02cc030009fcca9cca8ccaac02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d"     \
    "009c003d003c0035002f00ff0100007600000011000f00000c697076362e6578616d706c65000b0004030001"     \
    "02000a000c000a001d0017001e00190018002300000010000b000908687474702f312e310016000000170000"     \
    "000d002a0028040305030603080708080809080a080b08040805080604010501060103030301030204020502"     \
    "0602"

/* corpus/ndpi/KakaoTalk_chat.pcap (link type 113) frame 44 (whole frame, caplen == len), 240 bytes.
 */
#define FX_FRAME_SLL                                                                               \
    "00040212000000000000000000000800450000e0e6b940003f06e88b0a1852bcadfc61028aaf01bbfc1aefd1"     \
    "6022ab465018390824e5000016030100b3010000af0301553d1f24977e63da48feba4b3fba93a67fef3c5f7a"     \
    "635b7e8780aa8058e64b5f00004600040005002f0035c002c004c005c00cc00ec00fc007c009c00ac011c013"     \
    "c0140033003900320038000ac003c00dc008c01200160013000900150012000300080014001100ff01000040"     \
    "000b000403000102000a00340032000e000d0019000b000c00180009000a0016001700080006000700140015"     \
    "0004000500120013000100020003000f00100011"

/* corpus/ndpi/google_ssl.pcap frame 5 (whole frame, caplen == len), 60 bytes. */
#define FX_FRAME_PADDED_ACK                                                                        \
    "80c6ca009e9f000e8e4db4a8080045000028797d00003306b1b4d83ad464ac1f03e001bba753ee2311147a67"     \
    "73695010a794158a0000000000000000"

enum { LT_EN10MB = 1, LT_RAW = 101, LT_LINUX_SLL = 113 };

static struct packet_view pv;

static enum decode_result dec(int lt, const uint8_t *p, uint32_t caplen, uint32_t len)
{
    /* An exactly-sized copy: a read past caplen is a heap overflow that
     * ASan or valgrind reports. */
    uint8_t *copy = malloc(caplen ? caplen : 1);
    assert_non_null(copy);
    memcpy(copy, p, caplen);
    memset(&pv, 0xa5, sizeof(pv)); /* decode must set what it reports */
    enum decode_result r = decode_packet(lt, copy, caplen, len, &pv);
    if (r == DECODE_OK && pv.payload_len) {
        /* Point into the caller's buffer again, for comparisons. */
        assert_true(pv.payload >= copy && pv.payload + pv.payload_len <= copy + caplen);
        pv.payload = p + (pv.payload - copy);
        pv.l3 = p + (pv.l3 - copy);
    }
    free(copy);
    return r;
}

static void assert_ep(const struct endpoint *e, const char *ip, uint16_t port)
{
    uint8_t a[16] = {0};
    if (inet_pton(AF_INET, ip, a) == 1) {
        assert_int_equal(e->family, ADDR_V4);
    } else {
        assert_int_equal(inet_pton(AF_INET6, ip, a), 1);
        assert_int_equal(e->family, ADDR_V6);
    }
    assert_memory_equal(e->addr, a, 16);
    assert_int_equal(e->port, port);
}

/* Insert bytes into a frame after the MAC addresses (offset 12). */
static struct tu_bytes insert_at_12(const struct tu_bytes *f, const uint8_t *tag, size_t n)
{
    struct tu_bytes o = {malloc(f->n + n), f->n + n};
    assert_non_null(o.p);
    memcpy(o.p, f->p, 12);
    memcpy(o.p + 12, tag, n);
    memcpy(o.p + 12 + n, f->p + 12, f->n - 12);
    return o;
}

/* Every prefix of a frame: DECODE_TRUNCATED while the headers (hdr bytes)
 * are cut, DECODE_OK with the captured part of the payload after. */
static void every_prefix(int lt, const struct tu_bytes *f, size_t hdr, uint32_t payload_wire)
{
    for (size_t k = 0; k <= f->n; k++) {
        enum decode_result r = dec(lt, f->p, (uint32_t)k, (uint32_t)f->n);
        if (k < hdr) {
            if (r != DECODE_TRUNCATED)
                fail_msg("cut at %zu of %zu (headers %zu): %s", k, f->n, hdr,
                         decode_result_name(r));
        } else {
            if (r != DECODE_OK)
                fail_msg("cut at %zu of %zu: %s", k, f->n, decode_result_name(r));
            assert_int_equal(pv.payload_wire, payload_wire);
            assert_int_equal(pv.payload_len, k - hdr < payload_wire ? k - hdr : payload_wire);
        }
    }
}

/* ---- real frames ---------------------------------------------------------- */

static void test_ethernet_ipv4(void **state)
{
    (void)state;
    struct tu_bytes f = tu_hex(FX_FRAME_ETH_V4), ch = tu_hex(FX_TLS12_CH);
    assert_int_equal(dec(LT_EN10MB, f.p, (uint32_t)f.n, (uint32_t)f.n), DECODE_OK);
    assert_ep(&pv.src, "127.0.0.1", 44784);
    assert_ep(&pv.dst, "127.0.0.1", 443);
    assert_int_equal(pv.transport, TRANSPORT_TCP);
    assert_int_equal(pv.tcp_flags, TCPF_PSH | TCPF_ACK);
    assert_int_equal(pv.seq, 0x3d9a9646);
    assert_int_equal(pv.ack, 0x342540f6);
    assert_false(pv.has_vlan);
    assert_int_equal(pv.wire_len, 294);
    assert_ptr_equal(pv.l3, f.p + 14);
    assert_int_equal(pv.l3_len, 280);
    /* 14 Ethernet + 20 IPv4 + 32 TCP (timestamps): the ClientHello record. */
    assert_int_equal(pv.payload_len, 228);
    assert_int_equal(pv.payload_wire, 228);
    assert_ptr_equal(pv.payload, f.p + 66);
    assert_memory_equal(pv.payload, ch.p, ch.n);
    every_prefix(LT_EN10MB, &f, 66, 228);
    tu_bytes_free(&f);
    tu_bytes_free(&ch);
}

static void test_ethernet_ipv6(void **state)
{
    (void)state;
    struct tu_bytes f = tu_hex(FX_FRAME_ETH_V6);
    assert_int_equal(dec(LT_EN10MB, f.p, (uint32_t)f.n, (uint32_t)f.n), DECODE_OK);
    assert_ep(&pv.src, "::1", 60806);
    assert_ep(&pv.dst, "::1", 443);
    assert_int_equal(pv.transport, TRANSPORT_TCP);
    assert_int_equal(pv.seq, 0x57f123f0);
    assert_int_equal(pv.l3_len, 310 - 14);
    assert_int_equal(pv.payload_len, 224);
    assert_ptr_equal(pv.payload, f.p + 86);
    assert_int_equal(pv.payload[0], 0x16); /* a handshake record */
    assert_int_equal(pv.payload[5], 0x01); /* ClientHello */
    every_prefix(LT_EN10MB, &f, 86, 224);
    tu_bytes_free(&f);
}

static void test_linux_sll(void **state)
{
    (void)state;
    struct tu_bytes f = tu_hex(FX_FRAME_SLL);
    assert_true(decode_linktype_supported(LT_LINUX_SLL));
    assert_int_equal(dec(LT_LINUX_SLL, f.p, (uint32_t)f.n, (uint32_t)f.n), DECODE_OK);
    assert_ep(&pv.src, "10.24.82.188", 35503);
    assert_ep(&pv.dst, "173.252.97.2", 443);
    assert_int_equal(pv.payload_len, 184);
    assert_ptr_equal(pv.payload, f.p + 56); /* 16 SLL + 20 IPv4 + 20 TCP */
    assert_int_equal(pv.payload[5], 0x01);
    every_prefix(LT_LINUX_SLL, &f, 56, 184);
    tu_bytes_free(&f);
}

static void test_raw_ip(void **state)
{
    (void)state;
    struct tu_bytes f = tu_hex(FX_FRAME_ETH_V4);
    assert_int_equal(dec(LT_RAW, f.p + 14, (uint32_t)f.n - 14, (uint32_t)f.n - 14), DECODE_OK);
    assert_ep(&pv.src, "127.0.0.1", 44784);
    assert_int_equal(pv.payload_len, 228);
    tu_bytes_free(&f);
}

static void test_vlan_tags(void **state)
{
    (void)state;
    struct tu_bytes f = tu_hex(FX_FRAME_ETH_V4);
    static const uint8_t dot1q[] = {0x81, 0x00, 0xe0, 0x64}; /* PCP 7, VLAN 100 */
    struct tu_bytes v = insert_at_12(&f, dot1q, sizeof(dot1q));
    assert_int_equal(dec(LT_EN10MB, v.p, (uint32_t)v.n, (uint32_t)v.n), DECODE_OK);
    assert_true(pv.has_vlan);
    assert_int_equal(pv.vlan, 100);
    assert_ep(&pv.src, "127.0.0.1", 44784);
    assert_int_equal(pv.payload_len, 228);
    assert_ptr_equal(pv.payload, v.p + 70);
    every_prefix(LT_EN10MB, &v, 70, 228);
    tu_bytes_free(&v);

    /* 802.1ad outer tag 200, inner 802.1Q 100: the outer id is kept. */
    static const uint8_t qinq[] = {0x88, 0xa8, 0x00, 0xc8, 0x81, 0x00, 0x00, 0x64};
    v = insert_at_12(&f, qinq, sizeof(qinq));
    assert_int_equal(dec(LT_EN10MB, v.p, (uint32_t)v.n, (uint32_t)v.n), DECODE_OK);
    assert_true(pv.has_vlan);
    assert_int_equal(pv.vlan, 200);
    assert_int_equal(pv.payload_len, 228);
    every_prefix(LT_EN10MB, &v, 74, 228);
    tu_bytes_free(&v);
    tu_bytes_free(&f);
}

/* ---- Ethernet padding --------------------------------------------------------- */

static void test_padding_is_not_payload(void **state)
{
    (void)state;
    /* A real 60-byte frame: 54 bytes of headers (IPv4 total length 40)
     * and 6 bytes of Ethernet padding. */
    struct tu_bytes f = tu_hex(FX_FRAME_PADDED_ACK);
    assert_int_equal(f.n, 60);
    assert_int_equal(dec(LT_EN10MB, f.p, 60, 60), DECODE_OK);
    assert_ep(&pv.src, "216.58.212.100", 443);
    assert_ep(&pv.dst, "172.31.3.224", 42835);
    assert_int_equal(pv.tcp_flags, TCPF_ACK);
    assert_int_equal(pv.payload_len, 0);
    assert_int_equal(pv.payload_wire, 0);
    assert_int_equal(pv.l3_len, 40);
    tu_bytes_free(&f);

    /* The real data frame with 6 non-zero trailer bytes: the IPv4 total
     * length wins. */
    struct tu_bytes d = tu_hex(FX_FRAME_ETH_V4), ch = tu_hex(FX_TLS12_CH);
    uint8_t *padded = malloc(d.n + 6);
    assert_non_null(padded);
    memcpy(padded, d.p, d.n);
    memset(padded + d.n, 0xff, 6);
    assert_int_equal(dec(LT_EN10MB, padded, (uint32_t)d.n + 6, (uint32_t)d.n + 6), DECODE_OK);
    assert_int_equal(pv.payload_len, 228);
    assert_int_equal(pv.payload_wire, 228);
    assert_memory_equal(pv.payload, ch.p, ch.n);
    assert_int_equal(pv.l3_len, 280);
    free(padded);
    tu_bytes_free(&d);
    tu_bytes_free(&ch);
}

/* ---- what is not handed on ------------------------------------------------------ */

static void test_other_results(void **state)
{
    (void)state;
    struct tu_bytes f = tu_hex(FX_FRAME_ETH_V4);
    uint32_t n = (uint32_t)f.n;

    f.p[12] = 0x08; /* ethertype ARP */
    f.p[13] = 0x06;
    assert_int_equal(dec(LT_EN10MB, f.p, n, n), DECODE_NOT_IP);
    f.p[13] = 0x00;

    f.p[14 + 9] = 1; /* IP protocol ICMP */
    assert_int_equal(dec(LT_EN10MB, f.p, n, n), DECODE_NOT_TCP_UDP);
    f.p[14 + 9] = 6;

    f.p[14 + 6] = 0x20; /* more fragments (the frame had DF, 0x40) */
    assert_int_equal(dec(LT_EN10MB, f.p, n, n), DECODE_FRAGMENT);
    f.p[14 + 6] = 0x00;
    f.p[14 + 7] = 0x10; /* fragment offset 16 */
    assert_int_equal(dec(LT_EN10MB, f.p, n, n), DECODE_FRAGMENT);
    f.p[14 + 6] = 0x40;
    f.p[14 + 7] = 0x00;

    f.p[14] = 0x44; /* IHL 4: shorter than the fixed header */
    assert_int_equal(dec(LT_EN10MB, f.p, n, n), DECODE_MALFORMED);
    f.p[14] = 0x45;

    f.p[14 + 20 + 12] = 0x40; /* TCP data offset 4 words */
    assert_int_equal(dec(LT_EN10MB, f.p, n, n), DECODE_MALFORMED);
    f.p[14 + 20 + 12] = 0x80;

    assert_int_equal(dec(LT_EN10MB, f.p, n, n), DECODE_OK);
    assert_false(decode_linktype_supported(147)); /* DLT_USER0 */
    assert_int_equal(dec(147, f.p, n, n), DECODE_NOT_IP);
    assert_string_equal(decode_result_name(DECODE_TRUNCATED), "truncated");
    tu_bytes_free(&f);
}

/* ---- the fast path against the general one --------------------------------------- */

/* A frame under construction, written front to back. */
struct fb {
    uint8_t b[512];
    size_t n;
};

static void put8(struct fb *f, unsigned v)
{
    assert_true(f->n < sizeof(f->b));
    f->b[f->n++] = (uint8_t)v;
}

static void put16(struct fb *f, unsigned v)
{
    put8(f, v >> 8);
    put8(f, v);
}

static void put32(struct fb *f, uint32_t v)
{
    put16(f, v >> 16);
    put16(f, v & 0xffff);
}

static void put_bytes(struct fb *f, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put8(f, p[i]);
}

/* What goes into one test frame; fields left 0 take the usual value. */
struct frame_spec {
    int tags;           /* 0 none, 1 802.1Q, 2 802.1ad + 802.1Q, 3 0x9100, 4 two 802.1Q */
    uint16_t ethertype; /* 0: IPv4 */
    uint8_t version;    /* IP version nibble; 0: 4 (or 6 for ETH_IPV6) */
    int ihl;            /* IPv4 header words; 0: 5 */
    int total;          /* -1 right, -2 zero (TSO), -3 right + 8, -4 right - 4,
                           -5 header + 10, else this value */
    uint16_t frag;
    uint8_t proto;          /* 0: TCP */
    int doff;               /* TCP data offset words; 0: 5 */
    uint8_t flags;          /* 0: ACK */
    int payload;            /* payload bytes */
    int zero;               /* the payload is zero bytes (else 0x16, 0x03, ...) */
    int pad_to;             /* Ethernet padding up to this frame length */
    int pad_byte;           /* the padding's byte value */
    const struct fb *inner; /* UDP payload (a tunnelled frame) if set */
    uint16_t udp_port;      /* UDP destination port; 0: 53 */
    int v6_addrs;           /* IPv6: 0 ::1 to ::2, 1 ::2 to ::1, 2 ::1 to ::1 */
};

static void put_payload(struct fb *f, const struct frame_spec *sp)
{
    if (sp->inner) {
        put_bytes(f, sp->inner->b, sp->inner->n);
        return;
    }
    for (int i = 0; i < sp->payload; i++)
        put8(f, sp->zero ? 0 : (unsigned)(0x16 + i));
}

static void put_transport(struct fb *f, const struct frame_spec *sp, uint8_t proto)
{
    size_t plen = sp->inner ? sp->inner->n : (size_t)sp->payload;
    if (proto == TRANSPORT_UDP) {
        put16(f, 40000);
        put16(f, sp->udp_port ? sp->udp_port : 53);
        put16(f, (unsigned)(8 + plen));
        put16(f, 0);
    } else {
        int doff = sp->doff ? sp->doff : 5;
        put16(f, 443);
        put16(f, 51234);
        put32(f, 0x11223344);
        put32(f, 0x55667788);
        put8(f, (unsigned)doff << 4);
        put8(f, sp->flags ? sp->flags : TCPF_ACK);
        put16(f, 0xffff); /* window */
        put32(f, 0);      /* checksum, urgent pointer */
        for (int i = 20; i < doff * 4; i++)
            put8(f, 0x01); /* NOP options */
    }
    put_payload(f, sp);
}

static void build_frame(const struct frame_spec *sp, struct fb *f)
{
    uint16_t type = sp->ethertype ? sp->ethertype : 0x0800;
    uint8_t proto = sp->proto ? sp->proto : TRANSPORT_TCP;
    f->n = 0;
    for (int i = 0; i < 12; i++)
        put8(f, 0x10 + i); /* MAC addresses */
    static const uint16_t tag_types[][2] = {
        {0}, {0x8100}, {0x88a8, 0x8100}, {0x9100}, {0x8100, 0x8100}};
    for (int i = 0; i < 2 && tag_types[sp->tags][i]; i++) {
        put16(f, tag_types[sp->tags][i]);
        put16(f, 0xe000 | (unsigned)(100 + i)); /* PCP 7, VLAN 100, 101 */
    }
    put16(f, type);
    size_t l3 = f->n;
    if (type == 0x86dd) {
        put32(f, (unsigned)(sp->version ? sp->version : 6) << 28);
        size_t plen_at = f->n;
        put16(f, 0);
        put8(f, proto);
        put8(f, 64);
        static const uint8_t last[3][2] = {{1, 2}, {2, 1}, {1, 1}};
        for (int i = 0; i < 32; i++)
            put8(f, i == 15 ? last[sp->v6_addrs][0] : i == 31 ? last[sp->v6_addrs][1] : 0);
        put_transport(f, sp, proto);
        int right = (int)(f->n - l3 - 40);
        int plen = sp->total == -2   ? 0
                   : sp->total == -3 ? right + 8
                   : sp->total == -4 ? right - 4
                   : sp->total == -5 ? 10
                                     : right;
        f->b[plen_at] = (uint8_t)(plen >> 8);
        f->b[plen_at + 1] = (uint8_t)plen;
    } else {
        int ihl = sp->ihl ? sp->ihl : 5;
        put8(f, (unsigned)(sp->version ? sp->version : 4) << 4 | (unsigned)ihl);
        put8(f, 0);
        size_t total_at = f->n;
        put16(f, 0);
        put16(f, 0x1234); /* id */
        put16(f, sp->frag);
        put8(f, 64);
        put8(f, proto);
        put16(f, 0); /* checksum */
        put32(f, 0xc0a80001);
        put32(f, 0x0a000002);
        for (int i = 20; i < ihl * 4; i++)
            put8(f, 0x01); /* NOP options */
        put_transport(f, sp, proto);
        int right = (int)(f->n - l3);
        int total = sp->total == -1   ? right
                    : sp->total == -2 ? 0
                    : sp->total == -3 ? right + 8
                    : sp->total == -4 ? right - 4
                    : sp->total == -5 ? ihl * 4 + 10
                                      : sp->total;
        f->b[total_at] = (uint8_t)(total >> 8);
        f->b[total_at + 1] = (uint8_t)total;
    }
    while ((int)f->n < sp->pad_to)
        put8(f, (unsigned)sp->pad_byte);
}

static unsigned long frames_compared, facts_ok;
static struct flow_table *facts_table; /* only its hash key is read */

/* frame_facts_make's direct path against the general one (decode_packet,
 * flow_key_from_packet, flow_table_hash) on every prefix of a frame, with
 * the full length and the prefix as wire length: same facts, byte for
 * byte, from the same initial garbage, and the same padding count. */
static void compare_paths(const struct fb *f, const char *name)
{
    for (size_t k = 0; k <= f->n; k++) {
        uint8_t *copy = malloc(k ? k : 1); /* exactly sized: over-reads show */
        assert_non_null(copy);
        memcpy(copy, f->b, k);
        for (int w = 0; w < 2; w++) {
            uint32_t wire = w ? (uint32_t)k : (uint32_t)f->n;
            struct frame_facts direct, general;
            memset(&direct, 0x5a, sizeof(direct));
            memset(&general, 0x5a, sizeof(general));
            uint64_t c0 = decode_padding_payloads;
            frame_facts_make(facts_table, LT_EN10MB, copy, (uint32_t)k, wire, &direct);
            uint64_t c1 = decode_padding_payloads;
            frame_facts_make_general(facts_table, LT_EN10MB, copy, (uint32_t)k, wire, &general);
            uint64_t c2 = decode_padding_payloads;
            char what[128];
            snprintf(what, sizeof(what), "%s, %zu of %zu bytes, wire %u", name, k, f->n, wire);
            if (memcmp(&direct, &general, sizeof(direct)) != 0)
                fail_msg("%s: the direct path's facts differ from the general path's (result "
                         "%s vs %s)",
                         what, decode_result_name(direct.result),
                         decode_result_name(general.result));
            if (c1 - c0 != c2 - c1)
                fail_msg("%s: padding counted %llu vs %llu", what, (unsigned long long)(c1 - c0),
                         (unsigned long long)(c2 - c1));
            frames_compared++;
            facts_ok += direct.result == DECODE_OK;
        }
        free(copy);
    }
}

static void compare_spec(const struct frame_spec *sp, const char *name)
{
    struct fb f;
    build_frame(sp, &f);
    compare_paths(&f, name);
}

/* ---- tunnels, as other projects captured them (tests/fixtures/) ------------------ */

/* Geneve (AWS Gateway Load Balancer adds options), ERSPAN II and III (a
 * switch's remote SPAN session), VXLAN inside ERSPAN: the view is of the
 * innermost packet. */
static void test_tunnels_from_traces(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        const char *src, *dst;
        uint16_t sport, dport;
        enum decode_result result;
    } t[] = {
        {"tests/fixtures/zeek/geneve-47101.pcap", "192.168.0.107", "145.40.68.75", 45474, 443,
         DECODE_OK},
        {"tests/fixtures/zeek/geneve-many-options.pcap", "10.0.0.226", "95.217.228.176", 39088, 80,
         DECODE_OK},
        {"tests/fixtures/arkime/gre-erspan-vxlan.pcap", "10.16.27.12", "10.16.27.131", 65174, 80,
         DECODE_OK},
        /* ICMP inside: no transport, but the addresses are the inner ones. */
        {"tests/fixtures/zeek/gre-erspan3-dot1q.pcap", "172.31.10.31", "172.31.10.2", 0, 0,
         DECODE_NOT_TCP_UDP},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(*t); i++) {
        struct tu_pcap pc;
        tu_pcap_load(t[i].file, &pc);
        const struct tu_frame *f = &pc.f[0];
        enum decode_result r = decode_packet(pc.linktype, f->data, f->caplen, f->len, &pv);
        if (r != t[i].result)
            fail_msg("%s: %s", t[i].file, decode_result_name(r));
        if (r == DECODE_OK) {
            assert_ep(&pv.src, t[i].src, t[i].sport);
            assert_ep(&pv.dst, t[i].dst, t[i].dport);
            assert_int_equal(pv.transport, TRANSPORT_TCP);
            assert_int_equal(pv.tcp_flags & TCPF_SYN, TCPF_SYN); /* each starts with a SYN */
        } else {
            uint8_t a[16] = {0};
            assert_int_equal(inet_pton(AF_INET, t[i].src, a), 1);
            assert_memory_equal(pv.src.addr, a, 16);
        }
        tu_pcap_free(&pc);
    }
}

static void test_fast_path_matches_general(void **state)
{
    (void)state;
    char name[160];
    uint64_t pads_before = decode_padding_payloads;
    facts_table = flow_table_new(16, NULL, NULL);
    assert_non_null(facts_table);

    /* Ethernet/VLAN/IPv4/TCP: headers, lengths and fragments. */
    static const int totals[] = {-1, -2, -3, -4, -5, 19};
    static const uint16_t frags[] = {0, 0x4000, 0x2000, 0x0001, 0x4001, 0x8000};
    static const int ihls[] = {5, 6, 4, 0x0f};
    static const int doffs[] = {5, 8, 4, 15};
    for (int tags = 0; tags < 5; tags++)
        for (size_t i = 0; i < sizeof(ihls) / sizeof(ihls[0]); i++)
            for (size_t t = 0; t < sizeof(totals) / sizeof(totals[0]); t++)
                for (size_t fr = 0; fr < sizeof(frags) / sizeof(frags[0]); fr++)
                    for (size_t d = 0; d < sizeof(doffs) / sizeof(doffs[0]); d++)
                        for (int pl = 0; pl <= 40; pl += 40) {
                            struct frame_spec sp = {.tags = tags,
                                                    .ihl = ihls[i],
                                                    .total = totals[t],
                                                    .frag = frags[fr],
                                                    .doff = doffs[d],
                                                    .payload = pl};
                            snprintf(name, sizeof(name),
                                     "tags %d ihl %d total %d frag %#x doff %d payload %d", tags,
                                     ihls[i], totals[t], frags[fr], doffs[d], pl);
                            compare_spec(&sp, name);
                        }

    /* Not IPv4 or not TCP behind an IPv4 ethertype; other ethertypes. */
    static const uint8_t protos[] = {1, 4, 17, 41, 47, 50};
    for (int tags = 0; tags < 2; tags++) {
        for (size_t p = 0; p < sizeof(protos); p++) {
            struct frame_spec sp = {.tags = tags, .total = -1, .proto = protos[p], .payload = 30};
            snprintf(name, sizeof(name), "tags %d proto %u", tags, protos[p]);
            compare_spec(&sp, name);
        }
        static const uint8_t versions[] = {0, 1, 6, 15};
        for (size_t v = 0; v < sizeof(versions); v++) {
            struct frame_spec sp = {.tags = tags, .total = -1, .version = versions[v]};
            snprintf(name, sizeof(name), "tags %d version %u", tags, versions[v]);
            compare_spec(&sp, name);
        }
        static const uint16_t types[] = {0x0806, 0x88cc, 0x0040, 0x8864, 0x8847};
        for (size_t e = 0; e < sizeof(types) / sizeof(types[0]); e++) {
            struct frame_spec sp = {.tags = tags, .ethertype = types[e], .total = -1};
            snprintf(name, sizeof(name), "tags %d ethertype %#x", tags, types[e]);
            compare_spec(&sp, name);
        }
    }

    /* Minimum-size frames: the zero-padding rule (flags, payload 0 to 7
     * bytes, zero or not, the IP length counting the padding or not). */
    static const uint8_t flag_sets[] = {TCPF_ACK, TCPF_PSH | TCPF_ACK, TCPF_FIN | TCPF_ACK,
                                        TCPF_RST, TCPF_SYN};
    for (int tags = 0; tags < 2; tags++)
        for (size_t fl = 0; fl < sizeof(flag_sets); fl++)
            for (int pl = 0; pl <= 7; pl++)
                for (int zero = 0; zero < 2; zero++)
                    for (int tot = 0; tot < 3; tot++) {
                        struct frame_spec sp = {.tags = tags,
                                                .flags = flag_sets[fl],
                                                .payload = pl,
                                                .zero = zero,
                                                .total = tot == 2 ? -2 : -1,
                                                .pad_to = 60,
                                                .pad_byte = tot == 1 ? 0xff : 0};
                        snprintf(name, sizeof(name), "tags %d flags %#x payload %d%s total %d",
                                 tags, flag_sets[fl], pl, zero ? " zero" : "", tot);
                        compare_spec(&sp, name);
                    }

    /* UDP, plain and tunnelling Ethernet/IPv4/TCP (VXLAN) or IPv4/TCP
     * (GTP-U); IPv6. */
    struct fb inner, tunnel;
    struct frame_spec in = {.total = -1, .payload = 20};
    build_frame(&in, &inner);
    static const uint8_t vxlan[8] = {0x08, 0, 0, 0, 0, 0, 0x01, 0};
    tunnel.n = 0;
    put_bytes(&tunnel, vxlan, sizeof(vxlan));
    put_bytes(&tunnel, inner.b, inner.n);
    for (int tags = 0; tags < 2; tags++) {
        struct frame_spec udp = {.tags = tags, .total = -1, .proto = TRANSPORT_UDP, .payload = 30};
        snprintf(name, sizeof(name), "tags %d UDP", tags);
        compare_spec(&udp, name);
        struct frame_spec vx = {
            .tags = tags, .total = -1, .proto = TRANSPORT_UDP, .inner = &tunnel, .udp_port = 4789};
        snprintf(name, sizeof(name), "tags %d VXLAN", tags);
        compare_spec(&vx, name);
        struct fb gtp = {.n = 0};
        put8(&gtp, 0x30); /* version 1, PT 1, no options */
        put8(&gtp, 0xff); /* G-PDU */
        put16(&gtp, (unsigned)(inner.n - 14));
        put32(&gtp, 1); /* TEID */
        put_bytes(&gtp, inner.b + 14, inner.n - 14);
        struct frame_spec gt = {
            .tags = tags, .total = -1, .proto = TRANSPORT_UDP, .inner = &gtp, .udp_port = 2152};
        snprintf(name, sizeof(name), "tags %d GTP-U", tags);
        compare_spec(&gt, name);
        for (int p = 0; p < 2; p++)
            for (int tot = -2; tot <= -1; tot++) {
                struct frame_spec v6 = {.tags = tags,
                                        .ethertype = 0x86dd,
                                        .total = tot,
                                        .proto = p ? TRANSPORT_UDP : TRANSPORT_TCP,
                                        .payload = 30};
                snprintf(name, sizeof(name), "tags %d IPv6 %s total %d", tags, p ? "UDP" : "TCP",
                         tot);
                compare_spec(&v6, name);
            }
    }

    /* Ethernet/IPv6/TCP (the general path now; a direct path for it was
     * measured and dropped, and would be held to this): versions, payload
     * lengths, data offsets, payload sizes around the padding rule, both
     * address orders and equal addresses, trailing bytes. */
    static const int v6_totals[] = {-1, -2, -3, -4, -5};
    static const int v6_doffs[] = {5, 8, 4};
    static const int v6_payloads[] = {0, 1, 6, 7, 40};
    for (int tags = 0; tags < 3; tags++)
        for (int version = 4; version <= 6; version += 2)
            for (size_t t = 0; t < sizeof(v6_totals) / sizeof(v6_totals[0]); t++)
                for (size_t d = 0; d < sizeof(v6_doffs) / sizeof(v6_doffs[0]); d++)
                    for (size_t pl = 0; pl < sizeof(v6_payloads) / sizeof(v6_payloads[0]); pl++)
                        for (int order = 0; order < 3; order++) {
                            struct frame_spec v6 = {.tags = tags,
                                                    .ethertype = 0x86dd,
                                                    .version = (uint8_t)version,
                                                    .total = v6_totals[t],
                                                    .doff = v6_doffs[d],
                                                    .payload = v6_payloads[pl],
                                                    .zero = pl == 1,
                                                    .pad_to = order == 2 ? 120 : 0,
                                                    .v6_addrs = order};
                            snprintf(name, sizeof(name),
                                     "tags %d IPv6 version %d total %d doff %d payload %d order %d",
                                     tags, version, v6_totals[t], v6_doffs[d], v6_payloads[pl],
                                     order);
                            compare_spec(&v6, name);
                        }

    /* Random changes to the headers of good frames (a fixed seed). */
    uint32_t x = 0x9e3779b9;
    for (int n = 0; n < 3000; n++) {
        struct frame_spec sp = {.tags = n % 3 == 2 ? 1 : 0,
                                .ethertype = n % 4 == 3 ? 0x86dd : 0,
                                .v6_addrs = n % 3,
                                .total = -1,
                                .payload = n % 4 * 3,
                                .doff = n % 5 == 0 ? 8 : 5,
                                .pad_to = n % 2 ? 60 : 0};
        struct fb f;
        build_frame(&sp, &f);
        for (int m = 0; m < 1 + n % 3; m++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            size_t span = n % 4 == 3 ? 80 : 50; /* IPv6's header is longer */
            size_t at = 12 + x % (f.n - 12 < span ? f.n - 12 : span);
            f.b[at] = (uint8_t)(x >> 8);
        }
        snprintf(name, sizeof(name), "random frame %d", n);
        compare_paths(&f, name);
    }

    /* The cases meant for the fast path were there, and some were padding. */
    assert_true(facts_ok > 10000);
    assert_true(decode_padding_payloads > pads_before);
    flow_table_free(facts_table);
    print_message("direct/general: %lu frames compared, %lu decoded\n", frames_compared, facts_ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ethernet_ipv4),
        cmocka_unit_test(test_ethernet_ipv6),
        cmocka_unit_test(test_linux_sll),
        cmocka_unit_test(test_raw_ip),
        cmocka_unit_test(test_vlan_tags),
        cmocka_unit_test(test_padding_is_not_payload),
        cmocka_unit_test(test_other_results),
        cmocka_unit_test(test_tunnels_from_traces),
        cmocka_unit_test(test_fast_path_matches_general),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
