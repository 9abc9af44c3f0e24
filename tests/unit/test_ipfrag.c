/* test_ipfrag.c: IP datagrams put back together from their fragments
 * (capture/ipfrag.c), from captures of real stacks whose packets a router
 * or the sender cut (tests/fixtures/stacks/make-stacks.sh), and the bounds
 * and refusals on fragments made here. */
#include "testutil.h"

#include <pcap/dlt.h>

#include "capture/decode.h"
#include "capture/ipfrag.h"

#define V4_CAPTURE "tests/fixtures/stacks/ipv4_fragments_tls1_2.pcap"
#define V6_CAPTURE "tests/fixtures/stacks/ipv6_fragments_dtls1_2.pcap"

/* Every datagram the capture's fragments make, in the order fed (reverse:
 * from the last frame back), decoded; returns how many. */
struct whole {
    struct packet_view pv;
    uint8_t *frame; /* a copy: ipfrag's buffer is reused */
    uint32_t len;
};

static size_t reassemble_capture(const char *rel, int reverse, struct whole *out, size_t max,
                                 struct ipfrag_stats *st)
{
    struct tu_pcap pc;
    tu_pcap_load(rel, &pc);
    struct ipfrag_table *t = ipfrag_new();
    assert_non_null(t);
    size_t n = 0;
    for (size_t k = 0; k < pc.n; k++) {
        size_t i = reverse ? pc.n - 1 - k : k;
        struct packet_view pv;
        struct ip_fragment f;
        if (decode_packet_fragment(pc.linktype, pc.f[i].data, pc.f[i].caplen, pc.f[i].len, &pv,
                                   &f) != DECODE_FRAGMENT)
            continue;
        uint32_t len;
        const uint8_t *w = ipfrag_add(t, &f, pc.f[i].ts_us, &len);
        if (!w)
            continue;
        assert_true(n < max);
        out[n].frame = malloc(len);
        assert_non_null(out[n].frame);
        memcpy(out[n].frame, w, len);
        out[n].len = len;
        assert_int_equal(decode_packet(DLT_EN10MB, out[n].frame, len, len, &out[n].pv), DECODE_OK);
        n++;
    }
    ipfrag_get_stats(t, st);
    ipfrag_free(t);
    tu_pcap_free(&pc);
    return n;
}

static void free_wholes(struct whole *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(w[i].frame);
}

/* OpenSSL's TLS 1.2 through a 1280-byte link, no DF: the router cut the
 * client's first segment (most of a ClientHello with 61 ALPN names) in
 * two, and three of the server's segments. Put back, the first is a whole
 * TCP segment to port 4433 starting the ClientHello record. */
static void test_ipv4_router_fragments(void **state)
{
    (void)state;
    struct whole w[8];
    struct ipfrag_stats st;
    size_t n = reassemble_capture(V4_CAPTURE, 0, w, 8, &st);
    assert_int_equal(n, 4);
    assert_int_equal(st.reassembled, 4);
    assert_int_equal(st.incomplete + st.overlapping + st.truncated + st.oversize + st.malformed, 0);
    const struct packet_view *ch = &w[0].pv;
    assert_int_equal(ch->transport, TRANSPORT_TCP);
    assert_int_equal(ch->dst.port, 4433);
    assert_int_equal(ch->payload_len, ch->payload_wire);
    assert_true(ch->payload_len > 1400); /* more than one 1280-byte packet holds */
    struct span s = span_make(ch->payload, ch->payload_len);
    uint8_t type = 0, hs = 0;
    uint16_t version = 0, rlen = 0;
    assert_true(span_u8(&s, &type) && span_u16(&s, &version) && span_u16(&s, &rlen) &&
                span_u8(&s, &hs));
    assert_int_equal(type, 22);
    assert_int_equal(hs, 1); /* ClientHello, going on in the next segment */
    assert_true(rlen > ch->payload_len);
    /* IPv4 header made whole: total length, no fragment fields. */
    const uint8_t *ip = ch->l3;
    assert_int_equal(ip[2] << 8 | ip[3], ch->l3_len);
    assert_int_equal((ip[6] << 8 | ip[7]) & 0x3fff, 0);
    uint32_t sum = 0; /* RFC 1071: a good header sums to 0xffff */
    for (int i = 0; i < 20; i += 2)
        sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    assert_int_equal(sum, 0xffff);

    /* The last fragment first: the same datagrams, byte for byte. */
    struct whole r[8];
    assert_int_equal(reassemble_capture(V4_CAPTURE, 1, r, 8, &st), 4);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(r[i].len, w[3 - i].len);
        assert_memory_equal(r[i].frame, w[3 - i].frame, w[3 - i].len);
    }
    free_wholes(w, n);
    free_wholes(r, 4);
}

/* OpenSSL's DTLS 1.2 over IPv6 with an MTU of 4000: the server's flight is
 * one datagram, cut by its kernel for a 1280-byte path. Put back, it is a
 * UDP datagram whose first record is the ServerHello. */
static void test_ipv6_sender_fragments(void **state)
{
    (void)state;
    struct whole w[4];
    struct ipfrag_stats st;
    size_t n = reassemble_capture(V6_CAPTURE, 0, w, 4, &st);
    assert_int_equal(n, 1);
    assert_int_equal(st.incomplete, 0);
    const struct packet_view *pv = &w[0].pv;
    assert_int_equal(pv->src.family, ADDR_V6);
    assert_int_equal(pv->transport, TRANSPORT_UDP);
    assert_int_equal(pv->src.port, 4434);
    assert_true(pv->payload_len > 1280);
    assert_int_equal(pv->payload_len, pv->payload_wire);
    /* DTLS record: type 22, version 0xfefd, epoch, sequence, length; then
     * the handshake message type. */
    assert_true(pv->payload_len > 14);
    assert_int_equal(pv->payload[0], 22);
    assert_int_equal(pv->payload[1] << 8 | pv->payload[2], 0xfefd);
    assert_int_equal(pv->payload[13], 2); /* ServerHello */
    free_wholes(w, n);
}

/* ---- fragments made here ------------------------------------------------ */

/* An IPv4 datagram of n data bytes (byte i is i * 7) from 10.0.0.1 to
 * 10.0.0.2, id 77, UDP; frag returns its fragment [off, off + len). */
static uint8_t v4_header[20] = {0x45, 0, 0, 0, 0, 77, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
static uint8_t payload[65536];

static struct ip_fragment frag(uint32_t off, uint32_t len, int more)
{
    struct ip_fragment f;
    memset(&f, 0, sizeof(f));
    f.family = ADDR_V4;
    f.proto = 17;
    f.more = (uint8_t)more;
    f.id = 77;
    f.offset = off;
    memcpy(f.src, v4_header + 12, 4);
    memcpy(f.dst, v4_header + 16, 4);
    f.hdr = v4_header;
    f.hdr_len = 20;
    f.data = payload + off;
    f.data_len = f.data_wire = len;
    return f;
}

/* Each test below gets a new table (*state) and the payload made again. */
static int table_up(void **state)
{
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)(i * 7);
    /* A UDP header at the front: ports 1000 -> 2000, length 0 (unset). */
    memcpy(payload, "\x03\xe8\x07\xd0\x00\x00\x00\x00", 8);
    *state = ipfrag_new();
    return *state ? 0 : -1;
}

static int table_down(void **state)
{
    ipfrag_free(*state);
    return 0;
}

/* The datagram of 1,200 bytes in two: [0, 800) and [800, 1200). */
static struct ip_fragment head(void)
{
    return frag(0, 800, 1);
}

static struct ip_fragment tail(void)
{
    return frag(800, 400, 0);
}

static const uint8_t *add(void **state, struct ip_fragment f, int64_t now_us, uint32_t *len)
{
    return ipfrag_add(*state, &f, now_us, len);
}

static struct ipfrag_stats stats(void **state)
{
    struct ipfrag_stats st;
    ipfrag_get_stats(*state, &st);
    return st;
}

static void test_duplicates_pass_overlaps_drop(void **state)
{
    uint32_t len;
    assert_null(add(state, head(), 0, &len));
    assert_null(add(state, head(), 1, &len)); /* a SPAN port's copy */
    const uint8_t *w = add(state, tail(), 2, &len);
    assert_non_null(w);
    assert_int_equal(len, 14 + 20 + 1200);
    assert_memory_equal(w + 34, payload, 1200);
    /* Copies after the datagram was made: known, not a new datagram. */
    assert_null(add(state, tail(), 3, &len));
    assert_null(add(state, head(), 3, &len));
    ipfrag_flush(*state);
    assert_int_equal(stats(state).duplicates, 3);
    assert_int_equal(stats(state).reassembled, 1);
    assert_int_equal(stats(state).incomplete, 0);

    /* Another datagram, its first fragment again with one byte changed:
     * dropped, and what follows of it swallowed (counted once). */
    struct ip_fragment a = head(), b = tail();
    a.id = b.id = 78;
    assert_null(add(state, a, 4, &len));
    payload[500] ^= 0xff;
    assert_null(add(state, a, 4, &len));
    payload[500] ^= 0xff;
    assert_null(add(state, b, 5, &len));
    /* A third, a fragment that covers part of one held and more. */
    struct ip_fragment c = frag(400, 800, 0);
    a.id = b.id = c.id = 79;
    assert_null(add(state, a, 6, &len));
    assert_null(add(state, c, 6, &len));
    assert_null(add(state, b, 6, &len));
    ipfrag_flush(*state);
    struct ipfrag_stats st = stats(state);
    assert_int_equal(st.overlapping, 2);
    assert_int_equal(st.reassembled, 1);
    assert_int_equal(st.incomplete, 0);
    assert_int_equal(st.duplicates, 3);
}

/* A datagram not wanted (ipfrag_ignore: what its first fragment carries):
 * its other fragments are swallowed, and it counts as nothing. */
static void test_ignored(void **state)
{
    uint32_t len;
    ipfrag_ignore(*state, (struct ip_fragment[]){head()}, 0);
    assert_null(add(state, tail(), 0, &len));
    ipfrag_flush(*state);
    struct ipfrag_stats st = stats(state);
    assert_int_equal(st.reassembled + st.incomplete + st.overlapping + st.oversize, 0);
}

/* A fragment past 65,535 bytes with the identification of a datagram just
 * made: not taken for one of its copies, and dropped as a datagram. */
static void test_oversize_after_made(void **state)
{
    uint32_t len;
    assert_null(add(state, head(), 0, &len));
    assert_non_null(add(state, tail(), 0, &len));
    assert_null(add(state, frag(65528, 16, 0), 0, &len));
    assert_int_equal(stats(state).oversize, 1);
    assert_int_equal(stats(state).duplicates, 0);
}

/* An identification used again after the datagram was made (IPv4's 16
 * bits wrap): a fragment that was not one of its own starts a new one. */
static void test_identification_reused(void **state)
{
    uint32_t len;
    assert_null(add(state, head(), 0, &len));
    assert_non_null(add(state, tail(), 0, &len));
    assert_null(add(state, frag(0, 400, 1), 1, &len));  /* within the held units: a copy */
    assert_null(add(state, frag(1200, 8, 0), 1, &len)); /* past them: a new datagram */
    assert_null(add(state, frag(0, 800, 1), 1, &len));
    assert_non_null(add(state, frag(800, 400, 1), 1, &len));
    assert_int_equal(stats(state).reassembled, 2);
}

static void test_refusals(void **state)
{
    uint32_t len;
    /* Cut by the snaplen: the datagram cannot be whole. */
    struct ip_fragment a = head(), b = tail();
    b.data_len = 100;
    assert_null(add(state, a, 0, &len));
    assert_null(add(state, b, 0, &len));
    /* A fragment before the last whose length is not a multiple of 8. */
    a.id = 78;
    a.data_wire = a.data_len = 801;
    assert_null(add(state, a, 0, &len));
    /* Past 65,535 bytes. */
    a = frag(65528, 16, 0);
    a.id = 79;
    assert_null(add(state, a, 0, &len));
    /* Two last fragments that disagree on the end. */
    a = tail();
    b = frag(800, 408, 0);
    a.id = b.id = 80;
    assert_null(add(state, a, 0, &len));
    assert_null(add(state, b, 0, &len));
    struct ipfrag_stats st = stats(state);
    assert_int_equal(st.truncated, 1);
    assert_int_equal(st.malformed, 1);
    assert_int_equal(st.oversize, 1);
    assert_int_equal(st.overlapping, 1);
    assert_int_equal(st.reassembled, 0);
    assert_int_equal(st.incomplete, 0); /* dropped ones are not also incomplete */
}

/* The same identification a few seconds after its datagram was made, with
 * the same cut: a new datagram (the guard against copies lasts a second). */
static void test_identification_reused_later(void **state)
{
    uint32_t len;
    assert_null(add(state, head(), 0, &len));
    assert_non_null(add(state, tail(), 0, &len));
    assert_null(add(state, head(), 5 * 1000000LL, &len));
    assert_non_null(add(state, tail(), 5 * 1000000LL, &len));
    assert_int_equal(stats(state).reassembled, 2);
    assert_int_equal(stats(state).duplicates, 0);
}

/* IPv6 datagrams wait 60 s, IPv4 ones 30 s: an IPv6 datagram begun first
 * does not keep an IPv4 one past its time, whose head would then be joined
 * to another datagram's tail. */
static void test_timeouts_by_version(void **state)
{
    uint32_t len;
    struct ip_fragment v6 = head();
    static uint8_t v6_header[48] = {0x60, 0, 0, 0, 0, 0, 44, 64};
    v6.family = ADDR_V6;
    v6.hdr = v6_header;
    v6.hdr_len = 48;
    assert_null(add(state, v6, 0, &len));
    assert_null(add(state, head(), 1000000LL, &len));
    assert_null(add(state, tail(), 46 * 1000000LL, &len));
    assert_int_equal(stats(state).reassembled, 0);
    assert_int_equal(stats(state).incomplete, 1); /* the IPv4 head, timed out */
}

/* At the cap, datagrams already made give way before one being made. */
static void test_made_ones_go_first(void **state)
{
    uint32_t len;
    struct ip_fragment open = head();
    open.id = 99999;
    assert_null(add(state, open, 0, &len));
    for (uint32_t id = 0; id < 1100; id++) {
        struct ip_fragment a = head(), b = tail();
        a.id = b.id = id;
        assert_null(add(state, a, 0, &len));
        assert_non_null(add(state, b, 0, &len));
    }
    struct ip_fragment close = tail();
    close.id = 99999;
    assert_non_null(add(state, close, 0, &len));
    assert_int_equal(stats(state).incomplete, 0);
}

/* A datagram whose last fragment comes after the timeout (30 s) is not
 * made; one still held counts as incomplete when the table is flushed
 * (before, the count only grows: periodic reports subtract it). */
static void test_timeout_and_flush(void **state)
{
    uint32_t len;
    assert_null(add(state, head(), 0, &len));
    assert_null(add(state, tail(), 31 * 1000000LL, &len));
    assert_int_equal(stats(state).incomplete, 1); /* the first timed out */
    /* Within the timeout it completes. */
    assert_non_null(add(state, head(), 32 * 1000000LL, &len));
    struct ip_fragment a = head();
    a.id = 78;
    assert_null(add(state, a, 33 * 1000000LL, &len));
    assert_int_equal(stats(state).incomplete, 1);
    ipfrag_flush(*state);
    assert_int_equal(stats(state).incomplete, 2);
    assert_int_equal(stats(state).reassembled, 1);
}

/* A last fragment with no data (the fuzzer's find: it came before any
 * buffer was made) ends the datagram where it says. */
static void test_empty_last_fragment(void **state)
{
    uint32_t len;
    assert_null(add(state, frag(800, 0, 0), 0, &len));
    const uint8_t *w = add(state, head(), 0, &len);
    assert_non_null(w);
    assert_int_equal(len, 14 + 20 + 800);
    assert_memory_equal(w + 34, payload, 800);
}

/* A fragment of a VLAN's traffic comes out with its tag, so that it meets
 * the rest of its flow. */
static void test_vlan_kept(void **state)
{
    uint32_t len;
    struct ip_fragment a = head(), b = tail();
    a.vlan = b.vlan = 42;
    assert_null(add(state, a, 0, &len));
    const uint8_t *w = add(state, b, 0, &len);
    assert_non_null(w);
    struct packet_view pv;
    assert_int_equal(decode_packet(DLT_EN10MB, w, len, len, &pv), DECODE_OK);
    assert_int_equal(pv.has_vlan, 1);
    assert_int_equal(pv.vlan, 42);
    assert_int_equal(pv.transport, TRANSPORT_UDP);
    assert_int_equal(pv.dst.port, 2000);
    assert_int_equal(pv.payload_wire, 1200 - 8);
}

/* 1,024 datagrams held at most: the oldest goes. */
static void test_datagram_bound(void **state)
{
    uint32_t len;
    struct ip_fragment a = head(), b = tail();
    for (a.id = 0; a.id < 1100; a.id++)
        assert_null(add(state, a, 0, &len));
    assert_int_equal(stats(state).incomplete, 76); /* evicted; 1,024 still held */
    /* The first ids were evicted: their last fragment makes nothing. */
    b.id = 0;
    assert_null(add(state, b, 0, &len));
    b.id = 1099;
    assert_non_null(add(state, b, 0, &len));
}

/* 4 MiB of fragment data held at most: about 64 datagrams of 64,000 bytes. */
static void test_byte_bound(void **state)
{
    uint32_t len;
    struct ip_fragment a = frag(63992, 8, 1);
    for (a.id = 0; a.id < 200; a.id++)
        assert_null(add(state, a, 0, &len));
    assert_true(stats(state).peak_bytes <= 4u << 20);
    assert_true(stats(state).peak_bytes >= 3u << 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4_router_fragments),
        cmocka_unit_test(test_ipv6_sender_fragments),
        cmocka_unit_test_setup_teardown(test_duplicates_pass_overlaps_drop, table_up, table_down),
        cmocka_unit_test_setup_teardown(test_refusals, table_up, table_down),
        cmocka_unit_test_setup_teardown(test_ignored, table_up, table_down),
        cmocka_unit_test_setup_teardown(test_oversize_after_made, table_up, table_down),
        cmocka_unit_test_setup_teardown(test_identification_reused, table_up, table_down),
        cmocka_unit_test_setup_teardown(test_identification_reused_later, table_up, table_down),
        cmocka_unit_test_setup_teardown(test_timeouts_by_version, table_up, table_down),
        cmocka_unit_test_setup_teardown(test_made_ones_go_first, table_up, table_down),
        cmocka_unit_test_setup_teardown(test_timeout_and_flush, table_up, table_down),
        cmocka_unit_test_setup_teardown(test_empty_last_fragment, table_up, table_down),
        cmocka_unit_test_setup_teardown(test_vlan_kept, table_up, table_down),
        cmocka_unit_test_setup_teardown(test_datagram_bound, table_up, table_down),
        cmocka_unit_test_setup_teardown(test_byte_bound, table_up, table_down),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
