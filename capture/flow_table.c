/* flow_table.c: chained hash table with incremental rehashing and an
 * oldest-first list for expiry and eviction (see flow_table.h). */
#include "flow_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "siphash.h"

enum { INITIAL_BUCKETS = 1024, REHASH_STEP = 8 };

struct bucket_array {
    struct flow **b;
    size_t size; /* power of two */
};

struct flow_table {
    struct bucket_array ht[2]; /* ht[1] is the target while rehashing */
    size_t rehash_idx;         /* next bucket of ht[0] to move; SIZE_MAX when idle */
    struct flow *oldest[FLOW_LISTS], *newest[FLOW_LISTS];
    size_t max_flows;
    uint8_t key[16];
    flow_end_fn on_end;
    void *ctx;
    struct flow_table_stats st;
};

static int buckets_init(struct bucket_array *a, size_t size)
{
    a->b = calloc(size, sizeof(*a->b));
    a->size = a->b ? size : 0;
    return a->b != NULL;
}

struct flow_table *flow_table_new(size_t max_flows, flow_end_fn on_end, void *ctx)
{
    struct flow_table *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    if (!buckets_init(&t->ht[0], INITIAL_BUCKETS)) {
        free(t);
        return NULL;
    }
    t->rehash_idx = SIZE_MAX;
    t->max_flows = max_flows ? max_flows : 1;
    t->on_end = on_end;
    t->ctx = ctx;
    if (getrandom(t->key, sizeof(t->key), 0) != (ssize_t)sizeof(t->key)) {
        /* No entropy source: fall back to an address-derived key. */
        uintptr_t a = (uintptr_t)t;
        memcpy(t->key, &a, sizeof(a));
    }
    return t;
}

static int endpoint_less(const uint8_t *a1, uint16_t p1, const uint8_t *a2, uint16_t p2)
{
    int c = memcmp(a1, a2, 16);
    return c < 0 || (c == 0 && p1 < p2);
}

void flow_key_from_packet(const struct packet_view *pv, struct flow_key *key, int *dir)
{
    memset(key, 0, sizeof(*key));
    key->family = pv->src.family;
    key->transport = pv->transport;
    key->vlan = pv->has_vlan ? pv->vlan : 0;
    int swap = !endpoint_less(pv->src.addr, pv->src.port, pv->dst.addr, pv->dst.port);
    const struct endpoint *lo = swap ? &pv->dst : &pv->src, *hi = swap ? &pv->src : &pv->dst;
    memcpy(key->addr[0], lo->addr, 16);
    memcpy(key->addr[1], hi->addr, 16);
    key->port[0] = lo->port;
    key->port[1] = hi->port;
    *dir = swap;
}

/* SipHash-1-3 over the key's meaningful bytes: an IPv4 key's addresses use 4
 * of their 16 bytes, so it is hashed as 16 bytes rather than 40. */
uint32_t flow_table_hash(const struct flow_table *t, const struct flow_key *k)
{
    if (k->family != ADDR_V4)
        return (uint32_t)siphash13(t->key, k, sizeof(*k));
    uint8_t b[16];
    memcpy(b, k->addr[0], 4);
    memcpy(b + 4, k->addr[1], 4);
    memcpy(b + 8, k->port, 4);
    memcpy(b + 12, &k->vlan, 2);
    b[14] = k->family;
    b[15] = k->transport;
    return (uint32_t)siphash13(t->key, b, sizeof(b));
}

static int rehashing(const struct flow_table *t)
{
    return t->rehash_idx != SIZE_MAX;
}

/* Move up to REHASH_STEP buckets from ht[0] to ht[1]. */
static void rehash_step(struct flow_table *t)
{
    for (int n = 0; n < REHASH_STEP && rehashing(t); n++) {
        struct flow *f = t->ht[0].b[t->rehash_idx];
        while (f) {
            struct flow *next = f->hnext;
            size_t i = f->hash & (t->ht[1].size - 1);
            f->hnext = t->ht[1].b[i];
            t->ht[1].b[i] = f;
            f = next;
        }
        t->ht[0].b[t->rehash_idx] = NULL;
        if (++t->rehash_idx == t->ht[0].size) {
            free(t->ht[0].b);
            t->ht[0] = t->ht[1];
            t->ht[1].b = NULL;
            t->ht[1].size = 0;
            t->rehash_idx = SIZE_MAX;
        }
    }
}

static void maybe_grow(struct flow_table *t)
{
    if (rehashing(t) || t->st.active <= t->ht[0].size)
        return;
    if (buckets_init(&t->ht[1], t->ht[0].size * 2))
        t->rehash_idx = 0;
}

static struct flow **bucket_of(struct flow_table *t, uint64_t hash, int *which)
{
    size_t i = hash & (t->ht[0].size - 1);
    /* Buckets of ht[0] below rehash_idx have already moved. */
    if (rehashing(t) && i < t->rehash_idx) {
        *which = 1;
        return &t->ht[1].b[hash & (t->ht[1].size - 1)];
    }
    *which = 0;
    return &t->ht[0].b[i];
}

static void list_unlink(struct flow_table *t, struct flow *f)
{
    int l = f->list;
    if (f->older)
        f->older->newer = f->newer;
    else
        t->oldest[l] = f->newer;
    if (f->newer)
        f->newer->older = f->older;
    else
        t->newest[l] = f->older;
    f->older = f->newer = NULL;
}

static void list_push_newest(struct flow_table *t, struct flow *f)
{
    int l = f->list;
    f->older = t->newest[l];
    f->newer = NULL;
    if (t->newest[l])
        t->newest[l]->newer = f;
    else
        t->oldest[l] = f;
    t->newest[l] = f;
}

void flow_table_mark_closed(struct flow_table *t, struct flow *f)
{
    if (f->list == FLOW_LIST_CLOSED)
        return;
    list_unlink(t, f);
    f->list = FLOW_LIST_CLOSED;
    list_push_newest(t, f);
}

/* The least recently seen flow of all lists (evicted at the cap). */
static struct flow *oldest_flow(const struct flow_table *t)
{
    struct flow *best = NULL;
    for (int l = 0; l < FLOW_LISTS; l++)
        if (t->oldest[l] && (!best || t->oldest[l]->last_us < best->last_us))
            best = t->oldest[l];
    return best;
}

static void hash_unlink(struct flow_table *t, struct flow *f)
{
    int which;
    struct flow **pp = bucket_of(t, f->hash, &which);
    for (; *pp; pp = &(*pp)->hnext) {
        if (*pp == f) {
            *pp = f->hnext;
            return;
        }
    }
}

void flow_table_remove(struct flow_table *t, struct flow *f, enum flow_end_reason why)
{
    if (t->on_end)
        t->on_end(f, why, t->ctx);
    hash_unlink(t, f);
    list_unlink(t, f);
    t->st.active--;
    if (why == FLOW_END_IDLE)
        t->st.expired++;
    else if (why == FLOW_END_EVICTED)
        t->st.evicted++;
    free(f);
}

struct flow *flow_table_lookup(struct flow_table *t, const struct flow_key *key, int64_t now_us,
                               int *created)
{
    return flow_table_lookup_hashed(t, key, flow_table_hash(t, key), now_us, created);
}

struct flow *flow_table_lookup_hashed(struct flow_table *t, const struct flow_key *key, uint32_t h,
                                      int64_t now_us, int *created)
{
    int which;
    rehash_step(t);
    struct flow **pp = bucket_of(t, h, &which);
    for (struct flow *f = *pp; f; f = f->hnext) {
        if (f->hash == h && memcmp(&f->key, key, sizeof(*key)) == 0) {
            *created = 0;
            f->last_us = now_us;
            if (t->newest[f->list] != f) {
                list_unlink(t, f);
                list_push_newest(t, f);
            }
            return f;
        }
    }
    if (t->st.active >= t->max_flows && oldest_flow(t))
        flow_table_remove(t, oldest_flow(t), FLOW_END_EVICTED);
    struct flow *f = calloc(1, sizeof(*f));
    if (!f) {
        t->st.alloc_failed++;
        return NULL;
    }
    f->key = *key;
    f->hash = h;
    f->first_us = f->last_us = now_us;
    f->syn_dir = 0xff;
    f->list = key->transport == TRANSPORT_UDP ? FLOW_LIST_UDP : FLOW_LIST_TCP;
    pp = bucket_of(t, h, &which); /* the eviction may have finished a rehash */
    f->hnext = *pp;
    *pp = f;
    list_push_newest(t, f);
    t->st.active++;
    t->st.created++;
    if (t->st.active > t->st.peak)
        t->st.peak = t->st.active;
    maybe_grow(t);
    *created = 1;
    return f;
}

void flow_table_expire(struct flow_table *t, int64_t now_us, const struct flow_timeouts *to)
{
    const int64_t idle[FLOW_LISTS] = {to->tcp_us, to->udp_us, to->closed_us};
    for (int l = 0; l < FLOW_LISTS; l++)
        while (t->oldest[l] && t->oldest[l]->last_us + idle[l] < now_us)
            flow_table_remove(t, t->oldest[l], FLOW_END_IDLE);
}

void flow_table_get_stats(const struct flow_table *t, struct flow_table_stats *st)
{
    *st = t->st;
    st->buckets = t->ht[0].size + t->ht[1].size;
}

void flow_table_free(struct flow_table *t)
{
    if (!t)
        return;
    /* End flows oldest first, so their handshakes settle in a stable order. */
    struct flow *f;
    while ((f = oldest_flow(t)) != NULL)
        flow_table_remove(t, f, FLOW_END_SHUTDOWN);
    free(t->ht[0].b);
    free(t->ht[1].b);
    free(t);
}
