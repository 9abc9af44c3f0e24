/* test_decode.c: link layer, IP and TCP headers into a packet_view
 * (capture/decode.c), on real frames. */
#include "testutil.h"

#include <arpa/inet.h>

#include "capture/decode.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ethernet_ipv4), cmocka_unit_test(test_ethernet_ipv6),
        cmocka_unit_test(test_linux_sll),     cmocka_unit_test(test_raw_ip),
        cmocka_unit_test(test_vlan_tags),     cmocka_unit_test(test_padding_is_not_payload),
        cmocka_unit_test(test_other_results),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
