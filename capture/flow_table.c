/* flow_table.c: chained hash table with incremental rehashing and an
 * oldest-first list for expiry and eviction (see flow_table.h). */
#include "flow_table.h"

#include "pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

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
    int64_t relink_us;
    uint64_t mult[11]; /* the hash's secret multipliers */
    struct pool pool;  /* where flows come from */
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
    pool_init(&t->pool, sizeof(struct flow));
    t->rehash_idx = SIZE_MAX;
    t->max_flows = max_flows ? max_flows : 1;
    t->on_end = on_end;
    t->ctx = ctx;
    if (getrandom(t->mult, sizeof(t->mult), 0) != (ssize_t)sizeof(t->mult)) {
        /* No entropy source: multipliers from the address and the clock. */
        uint64_t x = (uint64_t)(uintptr_t)t ^ (uint64_t)time(NULL) << 32;
        for (size_t i = 0; i < sizeof(t->mult) / sizeof(t->mult[0]); i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            t->mult[i] = x ^ x >> 29;
        }
    }
    return t;
}

/* Big-endian loads, so integer order is the bytes' order (memcmp's). */
static inline uint64_t be64_at(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return __builtin_bswap64(v);
}

static int endpoint_less(const uint8_t *a1, uint16_t p1, const uint8_t *a2, uint16_t p2)
{
    uint64_t x = be64_at(a1), y = be64_at(a2);
    if (x != y)
        return x < y;
    x = be64_at(a1 + 8);
    y = be64_at(a2 + 8);
    if (x != y)
        return x < y;
    return p1 < p2;
}

void flow_key_from_packet(const struct packet_view *pv, struct flow_key *key, int *dir)
{
    /* Every byte is set below (the struct has no padding): no memset. */
    _Static_assert(sizeof(struct flow_key) == 40, "flow_key has padding");
    uint16_t vlan = pv->has_vlan ? pv->vlan : 0;
    if (pv->src.family == ADDR_V4) {
        /* Four-byte reads of what decode wrote with four-byte stores: a
         * wider read of them would wait for the stores to retire. */
        uint32_t a, b;
        memcpy(&a, pv->src.addr, 4);
        memcpy(&b, pv->dst.addr, 4);
        *dir = flow_key_v4(key, a, pv->src.port, b, pv->dst.port, vlan, pv->transport);
        return;
    }
    key->family = pv->src.family;
    key->transport = pv->transport;
    key->vlan = vlan;
    int swap = !endpoint_less(pv->src.addr, pv->src.port, pv->dst.addr, pv->dst.port);
    const struct endpoint *lo = swap ? &pv->dst : &pv->src, *hi = swap ? &pv->src : &pv->dst;
    memcpy(key->addr[0], lo->addr, 16);
    memcpy(key->addr[1], hi->addr, 16);
    key->port[0] = lo->port;
    key->port[1] = hi->port;
    *dir = swap;
}

/* Multilinear hashing (Lemire and Kaser, "Strongly universal string hashing
 * is fast", 2014): with random 64-bit multipliers m, the top 32 bits of
 * m0 + m1*w1 + m2*w2 + ... over the key's 32-bit words are strongly
 * universal, so flows that collide cannot be picked without the secret
 * multipliers, at a multiply per word. The first word holds the family
 * (IPv4 keys are read as the IPv6 layout's first words, zeros after), so
 * keys of different families differ there. */
static inline uint32_t word_at(const uint8_t *p)
{
    uint32_t w;
    memcpy(&w, p, 4);
    return w;
}

/* The terms every key has: the IPv4 key's whole sum, the IPv6 key's first. */
static inline uint64_t hash_head(const uint64_t *m, uint32_t meta, uint32_t ports, uint32_t a0,
                                 uint32_t a1)
{
    return m[0] + m[1] * meta + m[2] * ports + m[3] * a0 + m[4] * a1;
}

uint32_t flow_table_hash_v4(const struct flow_table *t, uint32_t meta, uint32_t ports, uint32_t a0,
                            uint32_t a1)
{
    return (uint32_t)(hash_head(t->mult, meta, ports, a0, a1) >> 32);
}

uint32_t flow_table_hash(const struct flow_table *t, const struct flow_key *k)
{
    const uint64_t *m = t->mult;
    uint32_t meta = (uint32_t)k->vlan << 16 | (uint32_t)k->family << 8 | k->transport;
    uint32_t ports = (uint32_t)k->port[0] << 16 | k->port[1];
    uint64_t h = hash_head(m, meta, ports, word_at(k->addr[0]), word_at(k->addr[1]));
    if (k->family != ADDR_V4)
        for (int i = 1; i < 4; i++)
            h += m[3 + 2 * i] * word_at(k->addr[0] + 4 * i) +
                 m[4 + 2 * i] * word_at(k->addr[1] + 4 * i);
    return (uint32_t)(h >> 32);
}

void flow_table_set_relink_us(struct flow_table *t, int64_t us)
{
    t->relink_us = us > 0 ? us : 0;
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
    f->moved_us = f->last_us;
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
    pool_put(&t->pool, f);
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
            if (now_us - f->moved_us >= t->relink_us && t->newest[f->list] != f) {
                list_unlink(t, f);
                list_push_newest(t, f);
            }
            return f;
        }
    }
    if (t->st.active >= t->max_flows && oldest_flow(t))
        flow_table_remove(t, oldest_flow(t), FLOW_END_EVICTED);
    struct flow *f = pool_get(&t->pool);
    if (!f) {
        t->st.alloc_failed++;
        return NULL;
    }
    f->key = *key;
    f->hash = h;
    f->last_us = now_us;
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

void flow_table_prefetch_bucket(const struct flow_table *t, uint32_t hash)
{
    __builtin_prefetch(&t->ht[0].b[hash & (t->ht[0].size - 1)]);
}

void flow_table_prefetch_flow(const struct flow_table *t, uint32_t hash)
{
    const struct flow *f = t->ht[0].b[hash & (t->ht[0].size - 1)];
    if (f) {
        __builtin_prefetch(f, 1);
        __builtin_prefetch((const char *)f + 64, 1);
    }
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
    pool_destroy(&t->pool);
    free(t);
}
