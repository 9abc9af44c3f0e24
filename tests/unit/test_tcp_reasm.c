/* test_tcp_reasm.c: in-order delivery of TCP bytes (capture/tcp_reasm.c),
 * with the real segments of a ClientHello that spans three segments. */
#include "testutil.h"

#include "capture/tcp_reasm.h"
#include "dissect/session.h"

/* pcaps/split_hello.pcap frames 4, 5 and 6: the TCP payloads of a ClientHello record that spans
 * three segments (268 + 268 + 200 bytes), 736 bytes. */
#define FX_SPLIT_CH                                                                                \
    "16030102db010002d70303b500959d248f61e692b480686f48866784d8535b302c056824af7ed43b2f8c5520"     \
    "b50dd4844d5c3bef7128dac6e0f16231c80035da92c791169871e7aabbfb389400be13021303130113041305"     \
    "c02cc03000a3009fcca9cca8ccaac0afc0adc0a3c09fc05dc061c057c05300a7c02bc02f00a2009ec0aec0ac"     \
    "c0a2c09ec05cc060c056c05200a6c024c028006b006ac073c07700c400c3006d00c5c023c02700670040c072"     \
    "c07600be00bd006c00bfc00ac0140039003800880087c019003a0089c009c0130033003200450044c0180034"     \
    "0046009dc0a1c09dc051009cc0a0c09cc050003d00c0003c00ba00350084002f0041c006c010c015003b0002"     \
    "000100ff010001d0000000c900c70000c4616161616161616161616161616161616161616161616161616161"     \
    "6161616161616161616161616161616161616161616161616161616161616161612e62626262626262626262"     \
    "6262626262626262626262626262626262626262626262626262626262626262626262626262626262626262"     \
    "6262626262622e63636363636363636363636363636363636363636363636363636363636363636363636363"     \
    "63636363636363636363636363636363636363636363632e73706c69742e6578616d706c65000b0004030001"     \
    "02000a00160014001d0017001e00190018010001010102010301040023000000100060005e02683208687474"     \
    "702f312e3108687474702f312e3008737064792f332e31036832630a61636d652d746c732f3104696d617004"     \
    "706f70330b6d616e6167657369657665036674700b786d70702d636c69656e740a706f737467726573716c00"     \
    "16000000170000000d0030002e040305030603080708080809080a080b080408050806040105010601030302"     \
    "030301020103020202040205020602002b0009080304030303020301002d00020101003300260024001d0020"     \
    "dcc14a8ff1dd54f0c978123f9345eeee0c332317101f6d1efdac4cb46b235e64"

/* Sequence numbers from the same capture: the client's SYN (frame 1) and
 * the three data segments (frames 4, 5, 6). */
#define SPLIT_ISN 0x986541acu
static const uint32_t seg_off[3] = {0, 268, 536}, seg_len[3] = {268, 268, 200};

static struct tu_bytes hello;

/* ---- a recording consumer ------------------------------------------------- */

struct consumer {
    uint8_t got[2][4096];
    size_t n[2];
    int calls[2];
};

static void deliver(void *ctx, int dir, struct span data)
{
    struct consumer *c = ctx;
    assert_true(c->n[dir] + data.n <= sizeof(c->got[dir]));
    memcpy(c->got[dir] + c->n[dir], data.p, data.n);
    c->n[dir] += data.n;
    c->calls[dir]++;
}

static int is_start(void *ctx, int dir, struct span data)
{
    (void)ctx;
    (void)dir;
    return session_is_stream_start(data);
}

static const struct tcp_reasm_ops ops = {deliver, is_start};

/* Feed `len` bytes of the hello at offset `off` of direction dir, with the
 * real sequence numbering (ISN + 1 + off), from an exactly-sized copy that
 * is freed right after (held bytes must have been copied). */
static void feed(struct tcp_reasm *r, struct consumer *c, int dir, uint32_t isn, uint32_t off,
                 uint32_t len, uint32_t wire)
{
    struct packet_view pv;
    memset(&pv, 0, sizeof(pv));
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, hello.p + off, len);
    pv.seq = isn + 1 + off;
    pv.tcp_flags = TCPF_ACK | TCPF_PSH;
    pv.payload = copy;
    pv.payload_len = len;
    pv.payload_wire = wire;
    tcp_reasm_segment(r, dir, &pv, &ops, c);
    free(copy);
}

static void seg(struct tcp_reasm *r, struct consumer *c, int i)
{
    feed(r, c, 0, SPLIT_ISN, seg_off[i], seg_len[i], seg_len[i]);
}

static void syn(struct tcp_reasm *r, struct consumer *c, int dir, uint32_t isn)
{
    struct packet_view pv;
    memset(&pv, 0, sizeof(pv));
    pv.seq = isn;
    pv.tcp_flags = TCPF_SYN;
    tcp_reasm_segment(r, dir, &pv, &ops, c);
}

static void assert_whole_hello(const struct consumer *c)
{
    assert_int_equal(c->n[0], hello.n);
    assert_memory_equal(c->got[0], hello.p, hello.n);
    assert_int_equal(c->n[1], 0);
}

static int setup(void **state)
{
    (void)state;
    memset(&tcp_reasm_stats, 0, sizeof(tcp_reasm_stats));
    hello = tu_hex(FX_SPLIT_CH);
    assert_int_equal(hello.n, 736);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_bytes_free(&hello);
    assert_int_equal(tcp_reasm_stats.held_bytes, 0); /* every test frees what it held */
    return 0;
}

/* ---- tests ------------------------------------------------------------------- */

static void test_in_order(void **state)
{
    (void)state;
    static struct tcp_reasm r;
    static struct consumer c;
    memset(&r, 0, sizeof(r));
    memset(&c, 0, sizeof(c));
    syn(&r, &c, 0, SPLIT_ISN);
    for (int i = 0; i < 3; i++)
        seg(&r, &c, i);
    assert_whole_hello(&c);
    assert_int_equal(c.calls[0], 3);
    assert_int_equal(r.dir[0].next_seq, SPLIT_ISN + 1 + 736);
    assert_int_equal(r.dir[0].delivered, 736);
    assert_int_equal(r.dir[0].state, TCP_DIR_DATA);
    assert_int_equal(tcp_reasm_stats.out_of_order + tcp_reasm_stats.retransmitted, 0);
    tcp_reasm_free(&r);
}

/* The case of the issue: one retransmission and one out-of-order segment. */
static void test_retransmission_and_out_of_order(void **state)
{
    (void)state;
    static struct tcp_reasm r;
    static struct consumer c;
    memset(&r, 0, sizeof(r));
    memset(&c, 0, sizeof(c));
    syn(&r, &c, 0, SPLIT_ISN);
    seg(&r, &c, 0);
    seg(&r, &c, 2); /* ahead: held */
    assert_int_equal(c.n[0], 268);
    assert_int_equal(r.dir[0].held_bytes, 200);
    assert_int_equal(tcp_reasm_stats.out_of_order, 1);
    seg(&r, &c, 0); /* retransmitted: dropped */
    assert_int_equal(c.n[0], 268);
    assert_int_equal(tcp_reasm_stats.retransmitted, 1);
    seg(&r, &c, 1); /* fills the hole: 1 and the held 2 come out */
    assert_whole_hello(&c);
    assert_int_equal(r.dir[0].held_bytes, 0);
    assert_int_equal(tcp_reasm_stats.held_bytes, 0);
    assert_true(tcp_reasm_stats.held_peak >= 200);
    tcp_reasm_free(&r);
}

/* Every order of the three segments with one of them sent twice at every
 * position, with and without the SYN: always the exact hello, once. */
static void test_all_orders_with_a_duplicate(void **state)
{
    (void)state;
    static const int perm[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
                                   {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    static struct tcp_reasm r;
    static struct consumer c;
    for (int with_syn = 0; with_syn < 2; with_syn++)
        for (int p = 0; p < 6; p++)
            for (int dup = 0; dup < 3; dup++)
                for (int pos = 0; pos <= 3; pos++) {
                    int order[4], k = 0;
                    for (int i = 0; i < 3; i++) {
                        if (i == pos)
                            order[k++] = dup;
                        order[k++] = perm[p][i];
                    }
                    if (pos == 3)
                        order[k++] = dup;
                    memset(&r, 0, sizeof(r));
                    memset(&c, 0, sizeof(c));
                    if (with_syn)
                        syn(&r, &c, 0, SPLIT_ISN);
                    for (int i = 0; i < 4; i++)
                        seg(&r, &c, order[i]);
                    if (c.n[0] != hello.n || memcmp(c.got[0], hello.p, hello.n) != 0)
                        fail_msg("syn %d order %d,%d,%d,%d: %zu bytes delivered", with_syn,
                                 order[0], order[1], order[2], order[3], c.n[0]);
                    tcp_reasm_free(&r);
                }
}

static void test_overlap_trimmed(void **state)
{
    (void)state;
    static struct tcp_reasm r;
    static struct consumer c;

    /* In order, each segment overlapping the previous one. */
    memset(&r, 0, sizeof(r));
    memset(&c, 0, sizeof(c));
    syn(&r, &c, 0, SPLIT_ISN);
    feed(&r, &c, 0, SPLIT_ISN, 0, 300, 300);
    feed(&r, &c, 0, SPLIT_ISN, 268, 268, 268);
    feed(&r, &c, 0, SPLIT_ISN, 0, 600, 600); /* a repacketized retransmission */
    feed(&r, &c, 0, SPLIT_ISN, 500, 236, 236);
    assert_whole_hello(&c);
    tcp_reasm_free(&r);

    /* Held segments that overlap each other, then the hole fills. */
    memset(&r, 0, sizeof(r));
    memset(&c, 0, sizeof(c));
    syn(&r, &c, 0, SPLIT_ISN);
    feed(&r, &c, 0, SPLIT_ISN, 400, 336, 336);
    feed(&r, &c, 0, SPLIT_ISN, 300, 200, 200);
    feed(&r, &c, 0, SPLIT_ISN, 350, 10, 10);
    assert_int_equal(c.n[0], 0);
    feed(&r, &c, 0, SPLIT_ISN, 0, 301, 301);
    assert_whole_hello(&c);
    assert_int_equal(r.dir[0].held_bytes, 0);
    tcp_reasm_free(&r);
}

static void test_syn_sets_isn(void **state)
{
    (void)state;
    static struct tcp_reasm r;
    static struct consumer c;
    memset(&r, 0, sizeof(r));
    memset(&c, 0, sizeof(c));
    syn(&r, &c, 0, 1000);
    assert_int_equal(r.dir[0].state, TCP_DIR_ISN);
    assert_int_equal(r.dir[0].next_seq, 1001);
    assert_int_equal(r.dir[1].state, TCP_DIR_UNSYNCED); /* the other side is separate */
    /* A SYN with another ISN before any data (a new attempt) replaces it. */
    syn(&r, &c, 0, SPLIT_ISN);
    assert_int_equal(r.dir[0].next_seq, SPLIT_ISN + 1);
    /* After the SYN the first data need not look like a stream start. */
    seg(&r, &c, 1);
    seg(&r, &c, 0);
    seg(&r, &c, 2);
    assert_whole_hello(&c);
    tcp_reasm_free(&r);
}

static void test_no_syn_syncs_on_record_start(void **state)
{
    (void)state;
    static struct tcp_reasm r;
    static struct consumer c;
    assert_true(session_is_stream_start(span_make(hello.p, seg_len[0])));
    assert_false(session_is_stream_start(span_make(hello.p + seg_off[1], seg_len[1])));
    assert_false(session_is_stream_start(span_make(hello.p + seg_off[2], seg_len[2])));

    memset(&r, 0, sizeof(r));
    memset(&c, 0, sizeof(c));
    seg(&r, &c, 0); /* looks like a TLS record: the stream starts here */
    assert_int_equal(r.dir[0].state, TCP_DIR_DATA);
    assert_int_equal(c.n[0], 268);
    seg(&r, &c, 1);
    seg(&r, &c, 2);
    assert_whole_hello(&c);
    tcp_reasm_free(&r);

    /* Starting in the middle of a record: nothing is delivered until a
     * segment that starts a record shows up. */
    memset(&r, 0, sizeof(r));
    memset(&c, 0, sizeof(c));
    seg(&r, &c, 2);
    seg(&r, &c, 1);
    assert_int_equal(r.dir[0].state, TCP_DIR_UNSYNCED);
    assert_int_equal(c.n[0], 0);
    tcp_reasm_free(&r);
    assert_int_equal(r.dir[0].held_bytes, 0);
}

/* No record start ever seen (a capture that began mid-connection): after
 * a few held segments, or when the connection ends (tcp_reasm_flush), the
 * bytes are delivered from the lowest held sequence number on. */
static void test_unsynced_delivered_from_lowest(void **state)
{
    (void)state;
    static struct tcp_reasm r;
    static struct consumer c;
    /* The hello after its first segment, in 4 pieces of 117 bytes. */
    for (int i = 0; i < 4; i++)
        assert_false(session_is_stream_start(span_make(hello.p + 268 + 117 * i, 117)));

    memset(&r, 0, sizeof(r));
    memset(&c, 0, sizeof(c));
    static const int order[4] = {3, 1, 2, 0};
    for (int i = 0; i < 3; i++)
        feed(&r, &c, 0, SPLIT_ISN, 268 + 117 * order[i], 117, 117);
    assert_int_equal(c.n[0], 0);
    feed(&r, &c, 0, SPLIT_ISN, 268 + 117 * order[3], 117, 117);
    assert_int_equal(c.n[0], 468);
    assert_memory_equal(c.got[0], hello.p + 268, 468);
    assert_int_equal(r.dir[0].state, TCP_DIR_DATA);
    assert_int_equal(r.dir[0].held_bytes, 0);
    tcp_reasm_free(&r);

    /* Two held segments, then the connection ends. */
    memset(&r, 0, sizeof(r));
    memset(&c, 0, sizeof(c));
    seg(&r, &c, 2);
    seg(&r, &c, 1);
    assert_int_equal(c.n[0], 0);
    tcp_reasm_flush(&r, &ops, &c);
    assert_int_equal(c.n[0], 468);
    assert_memory_equal(c.got[0], hello.p + 268, 468);
    assert_int_equal(c.n[1], 0);
    tcp_reasm_free(&r);
}

static void test_snaplen_cut_marks_gap(void **state)
{
    (void)state;
    static struct tcp_reasm r;
    static struct consumer c;
    memset(&r, 0, sizeof(r));
    memset(&c, 0, sizeof(c));
    syn(&r, &c, 0, SPLIT_ISN);
    feed(&r, &c, 0, SPLIT_ISN, 0, 100, 268); /* 268 on the wire, 100 captured */
    assert_int_equal(c.n[0], 100);
    assert_memory_equal(c.got[0], hello.p, 100);
    assert_true(r.dir[0].gap);
    assert_int_equal(tcp_reasm_stats.gaps, 1);
    seg(&r, &c, 1);
    seg(&r, &c, 2);
    assert_int_equal(c.n[0], 100); /* nothing after a gap */
    tcp_reasm_free(&r);

    /* A cut segment ahead of the expected sequence number. */
    memset(&r, 0, sizeof(r));
    memset(&c, 0, sizeof(c));
    syn(&r, &c, 0, SPLIT_ISN);
    seg(&r, &c, 0);
    feed(&r, &c, 0, SPLIT_ISN, 536, 50, 200);
    seg(&r, &c, 1);
    assert_true(r.dir[0].gap);
    assert_int_equal(c.n[0], 268);
    tcp_reasm_free(&r);
}

static void test_sequence_wraparound(void **state)
{
    (void)state;
    static struct tcp_reasm r;
    static struct consumer c;
    const uint32_t isn = 0xffffff00u; /* the second segment crosses 2^32 */
    memset(&r, 0, sizeof(r));
    memset(&c, 0, sizeof(c));
    syn(&r, &c, 0, isn);
    feed(&r, &c, 0, isn, 0, 268, 268);
    feed(&r, &c, 0, isn, 536, 200, 200);
    feed(&r, &c, 0, isn, 268, 268, 268);
    assert_whole_hello(&c);
    assert_int_equal(r.dir[0].next_seq, isn + 1 + 736); /* wrapped */
    tcp_reasm_free(&r);
}

static void test_far_away_start_resyncs(void **state)
{
    (void)state;
    static struct tcp_reasm r;
    static struct consumer c;
    memset(&r, 0, sizeof(r));
    memset(&c, 0, sizeof(c));
    syn(&r, &c, 0, 12345); /* a SYN of an earlier attempt */
    for (int i = 0; i < 3; i++)
        seg(&r, &c, i);
    assert_whole_hello(&c);
    assert_int_equal(tcp_reasm_stats.resyncs, 1);
    tcp_reasm_free(&r);
}

static void test_held_bytes_bound(void **state)
{
    (void)state;
    static struct tcp_reasm r;
    static struct consumer c;
    enum { SEG = 1000 };
    static uint8_t junk[2 * SEG];
    memset(&r, 0, sizeof(r));
    memset(&c, 0, sizeof(c));
    syn(&r, &c, 0, 5000);
    /* 300 segments of 1000 bytes, all after a hole: 300 KB > 256 KB. */
    for (uint32_t i = 0; i < 300; i++) {
        struct packet_view pv;
        memset(&pv, 0, sizeof(pv));
        pv.seq = 5001 + SEG * (i + 1);
        pv.tcp_flags = TCPF_ACK;
        pv.payload = junk;
        pv.payload_len = pv.payload_wire = SEG;
        tcp_reasm_segment(&r, 0, &pv, &ops, &c);
        assert_true(r.dir[0].held_bytes <= TCP_REASM_MAX_HELD_PER_DIR);
    }
    /* At the bound the direction gives up: one hit, a gap, nothing held. */
    assert_int_equal(tcp_reasm_stats.cap_hits, 1);
    assert_int_equal(r.dir[0].gap, 1);
    assert_int_equal(tcp_reasm_stats.held_bytes, 0);
    assert_int_equal(c.n[0], 0);
    tcp_reasm_free(&r);
    assert_int_equal(r.dir[0].held_bytes, 0);

    /* The bound across all flows. */
    uint64_t saved = tcp_reasm_total_cap, hits = tcp_reasm_stats.cap_hits;
    tcp_reasm_total_cap = 1500;
    memset(&r, 0, sizeof(r));
    syn(&r, &c, 0, SPLIT_ISN);
    seg(&r, &c, 1); /* 268 held */
    feed(&r, &c, 0, SPLIT_ISN, 600, 136, 136);
    assert_int_equal(tcp_reasm_stats.cap_hits, hits);
    struct packet_view pv; /* 1200 more bytes after the hello: 268 + 136 + 1200 > 1500 */
    memset(&pv, 0, sizeof(pv));
    pv.seq = SPLIT_ISN + 1 + 800;
    pv.payload = junk;
    pv.payload_len = pv.payload_wire = 1200;
    tcp_reasm_segment(&r, 0, &pv, &ops, &c);
    assert_int_equal(tcp_reasm_stats.cap_hits, hits + 1);
    assert_int_equal(tcp_reasm_stats.held_bytes, 0); /* the direction gave up */
    tcp_reasm_total_cap = saved;
    tcp_reasm_free(&r);
}

/* tcp_reasm.h: "Held bytes are bounded per direction and in total; a
 * direction that would exceed them ... is marked as having a gap and
 * delivers nothing more." The code drops the segment (cap_hits) but does
 * not mark the gap, so the direction stays open and silently stalls. */
static void test_bound_marks_gap(void **state)
{
    (void)state;
    static struct tcp_reasm r;
    static struct consumer c;
    static uint8_t junk[1000];
    memset(&r, 0, sizeof(r));
    memset(&c, 0, sizeof(c));
    syn(&r, &c, 0, 5000);
    uint64_t gaps = tcp_reasm_stats.gaps, hits = tcp_reasm_stats.cap_hits;
    for (uint32_t i = 0; i < 300 && tcp_reasm_stats.cap_hits == hits; i++) {
        struct packet_view pv;
        memset(&pv, 0, sizeof(pv));
        pv.seq = 6001 + 1000 * i;
        pv.payload = junk;
        pv.payload_len = pv.payload_wire = 1000;
        tcp_reasm_segment(&r, 0, &pv, &ops, &c);
    }
    assert_true(tcp_reasm_stats.cap_hits > hits);
    tcp_reasm_free(&r); /* (before the asserts: held bytes are global) */
    assert_true(r.dir[0].gap);
    assert_int_equal(tcp_reasm_stats.gaps, gaps + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retransmission_and_out_of_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_all_orders_with_a_duplicate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overlap_trimmed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syn_sets_isn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_syn_syncs_on_record_start, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsynced_delivered_from_lowest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snaplen_cut_marks_gap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sequence_wraparound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_far_away_start_resyncs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_held_bytes_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bound_marks_gap, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
