/* test_flow_table.c: canonical keys, lookup, eviction, expiry and growth
 * (capture/flow_table.c). */
#include "testutil.h"

#include "capture/flow_table.h"

/* ---- what the end callback saw -------------------------------------------- */

struct ended {
    size_t n, by_reason[4];
    struct flow_key last_key;
    enum flow_end_reason last_why;
    int64_t last_us;
};

static void on_end(struct flow *f, enum flow_end_reason why, void *ctx)
{
    struct ended *e = ctx;
    e->n++;
    e->by_reason[why]++;
    e->last_key = f->key;
    e->last_why = why;
    e->last_us = f->last_us;
}

/* A TCP packet view between two IPv4 endpoints (a.b.c.d as a number). */
static struct packet_view pkt(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport)
{
    struct packet_view pv;
    memset(&pv, 0, sizeof(pv));
    pv.src.family = pv.dst.family = ADDR_V4;
    for (int i = 0; i < 4; i++) {
        pv.src.addr[i] = (uint8_t)(src >> (24 - 8 * i));
        pv.dst.addr[i] = (uint8_t)(dst >> (24 - 8 * i));
    }
    pv.src.port = sport;
    pv.dst.port = dport;
    pv.transport = TRANSPORT_TCP;
    return pv;
}

static struct flow *lookup(struct flow_table *t, const struct packet_view *pv, int64_t now,
                           int *dir, int *created)
{
    struct flow_key k;
    flow_key_from_packet(pv, &k, dir);
    struct flow *f = flow_table_lookup(t, &k, now, created);
    assert_non_null(f);
    return f;
}

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/* ---- tests ------------------------------------------------------------------ */

static void test_both_directions_one_flow(void **state)
{
    (void)state;
    struct ended e = {0};
    struct flow_table *t = flow_table_new(100, on_end, &e);
    assert_non_null(t);
    /* 10.0.0.2:51000 -> 10.0.0.1:443 and the reply. */
    struct packet_view c2s = pkt(IP(10, 0, 0, 2), 51000, IP(10, 0, 0, 1), 443);
    struct packet_view s2c = pkt(IP(10, 0, 0, 1), 443, IP(10, 0, 0, 2), 51000);
    int d1, d2, c1, c2;
    struct flow *f1 = lookup(t, &c2s, 10, &d1, &c1);
    struct flow *f2 = lookup(t, &s2c, 20, &d2, &c2);
    assert_ptr_equal(f1, f2);
    assert_int_equal(c1, 1);
    assert_int_equal(c2, 0);
    /* Endpoint 0 is the lower (address, port): 10.0.0.1:443, the server. */
    assert_int_equal(d2, 0);
    assert_int_equal(d1, 1);
    assert_int_equal(f1->key.port[0], 443);
    assert_int_equal(f1->key.port[1], 51000);
    assert_int_equal(f1->key.addr[0][3], 1);
    assert_int_equal(f1->last_us, 20); /* the reply's time */
    assert_int_equal(f1->syn_dir, 0xff);

    /* Same address both sides (loopback): the port decides. */
    struct packet_view lo = pkt(IP(127, 0, 0, 1), 44784, IP(127, 0, 0, 1), 443);
    struct packet_view lo_r = pkt(IP(127, 0, 0, 1), 443, IP(127, 0, 0, 1), 44784);
    struct flow *g1 = lookup(t, &lo, 30, &d1, &c1);
    struct flow *g2 = lookup(t, &lo_r, 31, &d2, &c2);
    assert_ptr_equal(g1, g2);
    assert_true(g1 != f1);
    assert_int_equal(d1, 1);
    assert_int_equal(d2, 0);

    /* Another VLAN, another transport, another port: other flows. */
    struct packet_view v = c2s;
    v.has_vlan = 1;
    v.vlan = 7;
    assert_true(lookup(t, &v, 40, &d1, &c1) != f1);
    assert_int_equal(c1, 1);
    struct packet_view u = c2s;
    u.transport = TRANSPORT_UDP;
    assert_true(lookup(t, &u, 41, &d1, &c1) != f1);
    assert_int_equal(c1, 1);
    struct packet_view p = c2s;
    p.src.port = 51001;
    assert_true(lookup(t, &p, 42, &d1, &c1) != f1);
    assert_int_equal(c1, 1);

    struct flow_table_stats st;
    flow_table_get_stats(t, &st);
    assert_int_equal(st.active, 5);
    assert_int_equal(st.created, 5);
    flow_table_free(t);
    assert_int_equal(e.n, 5);
    assert_int_equal(e.by_reason[FLOW_END_SHUTDOWN], 5);
}

static void test_ipv6_key(void **state)
{
    (void)state;
    struct packet_view a, b;
    memset(&a, 0, sizeof(a));
    a.src.family = a.dst.family = ADDR_V6;
    a.src.addr[15] = 1; /* ::1 */
    a.dst.addr[0] = 0x20;
    a.dst.addr[1] = 0x01; /* 2001:: */
    a.src.port = 443;
    a.dst.port = 60806;
    a.transport = TRANSPORT_TCP;
    b = a;
    b.src = a.dst;
    b.dst = a.src;
    struct flow_key ka, kb;
    int da, db;
    flow_key_from_packet(&a, &ka, &da);
    flow_key_from_packet(&b, &kb, &db);
    assert_memory_equal(&ka, &kb, sizeof(ka));
    assert_int_equal(ka.family, ADDR_V6);
    assert_int_equal(da, 0); /* ::1 < 2001:: */
    assert_int_equal(db, 1);
    assert_int_equal(ka.addr[0][15], 1);
    assert_int_equal(ka.port[0], 443);
}

static void test_eviction_least_recently_seen(void **state)
{
    (void)state;
    struct ended e = {0};
    struct flow_table *t = flow_table_new(3, on_end, &e);
    int dir, created;
    struct packet_view a = pkt(IP(10, 0, 0, 1), 1000, IP(10, 0, 0, 9), 443);
    struct packet_view b = pkt(IP(10, 0, 0, 2), 1000, IP(10, 0, 0, 9), 443);
    struct packet_view c = pkt(IP(10, 0, 0, 3), 1000, IP(10, 0, 0, 9), 443);
    struct packet_view d = pkt(IP(10, 0, 0, 4), 1000, IP(10, 0, 0, 9), 443);
    struct flow_key kb;
    flow_key_from_packet(&b, &kb, &dir);

    lookup(t, &a, 1, &dir, &created);
    lookup(t, &b, 2, &dir, &created);
    lookup(t, &c, 3, &dir, &created);
    lookup(t, &a, 4, &dir, &created); /* a is seen again: b is now the oldest */
    assert_int_equal(e.n, 0);
    lookup(t, &d, 5, &dir, &created); /* full: b goes */
    assert_int_equal(created, 1);
    assert_int_equal(e.n, 1);
    assert_int_equal(e.last_why, FLOW_END_EVICTED);
    assert_memory_equal(&e.last_key, &kb, sizeof(kb));
    assert_int_equal(e.last_us, 2);

    struct flow_table_stats st;
    flow_table_get_stats(t, &st);
    assert_int_equal(st.active, 3);
    assert_int_equal(st.evicted, 1);
    assert_int_equal(st.peak, 3);

    /* a, c, d remain findable; b comes back as a new flow, evicting c. */
    lookup(t, &a, 6, &dir, &created);
    assert_int_equal(created, 0);
    lookup(t, &d, 7, &dir, &created);
    assert_int_equal(created, 0);
    lookup(t, &b, 8, &dir, &created);
    assert_int_equal(created, 1);
    assert_int_equal(e.n, 2);
    assert_int_equal(e.last_key.addr[0][3], 3); /* c */
    flow_table_free(t);
}

/* With a relink granularity a flow moves to the newest end only when its
 * last move is that old: within it, order and expiry are approximate (by at
 * most the granularity), beyond it exact. */
static void test_relink_granularity(void **state)
{
    (void)state;
    struct ended e = {0};
    struct flow_table *t = flow_table_new(3, on_end, &e);
    flow_table_set_relink_us(t, 1000);
    int dir, created;
    struct packet_view a = pkt(IP(10, 0, 0, 1), 1000, IP(10, 0, 0, 9), 443);
    struct packet_view b = pkt(IP(10, 0, 0, 2), 1000, IP(10, 0, 0, 9), 443);
    struct packet_view c = pkt(IP(10, 0, 0, 3), 1000, IP(10, 0, 0, 9), 443);
    struct packet_view d = pkt(IP(10, 0, 0, 4), 1000, IP(10, 0, 0, 9), 443);
    lookup(t, &a, 0, &dir, &created);
    lookup(t, &b, 100, &dir, &created);
    struct flow *fa = lookup(t, &a, 900, &dir, &created); /* not moved: 900 < 1000 */
    assert_int_equal(fa->last_us, 900);
    lookup(t, &c, 950, &dir, &created);
    lookup(t, &d, 960, &dir, &created); /* full: the head (a) goes, not b */
    assert_int_equal(e.n, 1);
    assert_int_equal(e.last_key.addr[0][3], 1);
    lookup(t, &b, 1200, &dir, &created); /* moved: 1200 - 100 >= 1000 */
    lookup(t, &a, 1300, &dir, &created); /* back as new: c is now the oldest */
    assert_int_equal(created, 1);
    assert_int_equal(e.n, 2);
    assert_int_equal(e.last_key.addr[0][3], 3);

    /* Expiry: d (last 960) is due after 1460, b (1200) and a (1300) later. */
    struct flow_timeouts to = {500, 500, 500};
    flow_table_expire(t, 1461, &to);
    assert_int_equal(e.n, 3);
    assert_int_equal(e.last_key.addr[0][3], 4);
    flow_table_expire(t, 1801, &to); /* 1300 + 500 < 1801: both go */
    assert_int_equal(e.n, 5);
    assert_int_equal(e.by_reason[FLOW_END_IDLE], 3);
    flow_table_free(t);
}

/* Closed connections and UDP flows have their own, shorter timeouts; the
 * open TCP flow seen earlier outlives them. */
static void test_lists_have_own_timeouts(void **state)
{
    (void)state;
    struct ended e = {0};
    struct flow_table *t = flow_table_new(100, on_end, &e);
    int dir, created;
    struct packet_view open_tcp = pkt(IP(10, 1, 0, 1), 1000, IP(10, 9, 9, 9), 443);
    struct packet_view closed_tcp = pkt(IP(10, 1, 0, 2), 1000, IP(10, 9, 9, 9), 443);
    struct packet_view udp = pkt(IP(10, 1, 0, 3), 1000, IP(10, 9, 9, 9), 53);
    udp.transport = TRANSPORT_UDP;
    lookup(t, &open_tcp, 100, &dir, &created);
    struct flow *c = lookup(t, &closed_tcp, 200, &dir, &created);
    flow_table_mark_closed(t, c);
    struct flow *u = lookup(t, &udp, 200, &dir, &created);
    assert_int_equal(u->list, FLOW_LIST_UDP);
    assert_int_equal(c->list, FLOW_LIST_CLOSED);
    struct flow_timeouts to = {1000, 500, 50};
    flow_table_expire(t, 300, &to); /* the closed one (idle 100 > 50) goes */
    assert_int_equal(e.n, 1);
    flow_table_expire(t, 800, &to); /* the UDP one (idle 600 > 500) goes */
    assert_int_equal(e.n, 2);
    flow_table_expire(t, 1000, &to); /* the open TCP one (idle 900) stays */
    assert_int_equal(e.n, 2);
    /* Eviction at the cap takes the least recently seen of all lists. */
    struct flow_table_stats st;
    flow_table_get_stats(t, &st);
    assert_int_equal(st.active, 1);
    flow_table_free(t);
    assert_int_equal(e.by_reason[FLOW_END_SHUTDOWN], 1);
}

static void test_expiry(void **state)
{
    (void)state;
    struct ended e = {0};
    struct flow_table *t = flow_table_new(100, on_end, &e);
    int dir, created;
    for (uint32_t i = 0; i < 5; i++) {
        struct packet_view p = pkt(IP(10, 1, 0, i), 1000, IP(10, 9, 9, 9), 443);
        lookup(t, &p, 100 * (i + 1), &dir, &created); /* last seen 100 ... 500 */
    }
    /* Idle 250 at 600: flows last seen before 350 (100, 200, 300) go. */
    struct flow_timeouts to250 = {250, 250, 250}, to200 = {200, 200, 200};
    flow_table_expire(t, 600, &to250);
    assert_int_equal(e.n, 3);
    assert_int_equal(e.by_reason[FLOW_END_IDLE], 3);
    assert_int_equal(e.last_us, 300);
    struct flow_table_stats st;
    flow_table_get_stats(t, &st);
    assert_int_equal(st.active, 2);
    assert_int_equal(st.expired, 3);
    /* Exactly at the limit is not yet idle (400 + 200 == 600). */
    flow_table_expire(t, 600, &to200);
    assert_int_equal(e.n, 3);
    flow_table_expire(t, 601, &to200);
    assert_int_equal(e.n, 4);

    /* flow_table_remove ends one flow with the given reason. */
    struct packet_view p = pkt(IP(10, 1, 0, 4), 1000, IP(10, 9, 9, 9), 443);
    struct flow *f = lookup(t, &p, 700, &dir, &created);
    assert_int_equal(created, 0);
    flow_table_remove(t, f, FLOW_END_REUSED);
    assert_int_equal(e.by_reason[FLOW_END_REUSED], 1);
    lookup(t, &p, 701, &dir, &created);
    assert_int_equal(created, 1);
    flow_table_free(t);
    assert_int_equal(e.n, 6);
}

/* 100k flows: several doublings of the bucket array, each rehashed a few
 * buckets per lookup; every flow stays findable during and after, and
 * removals in the middle of a rehash do not lose others. */
static void test_growth_keeps_every_flow(void **state)
{
    (void)state;
    enum { N = 100000 };
    struct ended e = {0};
    struct flow_table *t = flow_table_new(N, on_end, &e);
    struct flow **seen = malloc(N * sizeof(*seen));
    assert_non_null(seen);
    int dir, created;
    for (uint32_t i = 0; i < N; i++) {
        struct packet_view p =
            pkt(IP(10, 0, 0, 0) + i, (uint16_t)(1024 + i % 50000), IP(192, 168, 0, 1), 443);
        seen[i] = lookup(t, &p, i, &dir, &created);
        assert_int_equal(created, 1);
        seen[i]->user = &seen[i];
        if (i % 1000 == 999) { /* a sample of the earlier ones, mid-growth */
            struct packet_view q = pkt(IP(10, 0, 0, 0) + i / 2, (uint16_t)(1024 + (i / 2) % 50000),
                                       IP(192, 168, 0, 1), 443);
            assert_ptr_equal(lookup(t, &q, i, &dir, &created), seen[i / 2]);
            assert_int_equal(created, 0);
        }
    }
    struct flow_table_stats st;
    flow_table_get_stats(t, &st);
    assert_int_equal(st.active, N);
    assert_true(st.buckets >= 65536); /* grew from 1024 */
    assert_int_equal(e.n, 0);         /* nothing evicted below the cap */

    /* Remove every third flow, then look all up, from the other side. */
    for (uint32_t i = 0; i < N; i += 3)
        flow_table_remove(t, seen[i], FLOW_END_REUSED);
    for (uint32_t i = 0; i < N; i++) {
        struct packet_view r =
            pkt(IP(192, 168, 0, 1), 443, IP(10, 0, 0, 0) + i, (uint16_t)(1024 + i % 50000));
        struct flow *f = lookup(t, &r, N + i, &dir, &created);
        assert_int_equal(dir, 1); /* 192.168.0.1 > 10.x: the reply is direction 1 */
        if (i % 3 == 0) {
            assert_int_equal(created, 1);
        } else {
            assert_int_equal(created, 0);
            assert_ptr_equal(f, seen[i]);
            assert_ptr_equal(f->user, &seen[i]);
        }
    }
    flow_table_get_stats(t, &st);
    assert_int_equal(st.active, N);
    assert_int_equal(st.peak, N);
    flow_table_free(t);
    assert_int_equal(e.by_reason[FLOW_END_REUSED], (N + 2) / 3);
    assert_int_equal(e.by_reason[FLOW_END_SHUTDOWN], N);
    free(seen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_both_directions_one_flow),
        cmocka_unit_test(test_ipv6_key),
        cmocka_unit_test(test_eviction_least_recently_seen),
        cmocka_unit_test(test_relink_granularity),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_lists_have_own_timeouts),
        cmocka_unit_test(test_growth_keeps_every_flow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
