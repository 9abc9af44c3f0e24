/* ipfrag.c: see ipfrag.h.
 *
 * A datagram in the making keeps a bitmap of the 8-byte units it holds
 * (fragment offsets are counted in them), its data, growing to the
 * highest byte seen, and the header of its first fragment, which becomes
 * the whole datagram's. Overlaps are refused as RFC 5722 asks of IPv6
 * and Linux does for both versions since 2018: a fragment that only
 * repeats bytes already held (a SPAN port's duplicate) is let pass; any
 * other overlap drops the datagram, whose later fragments are then
 * swallowed until it times out, so one attack or fault counts once. A
 * datagram made whole is kept a second longer (its bitmap, not its bytes),
 * so that the copies of its fragments a SPAN port also sends are known as
 * such, not begun again as a datagram that never completes; not longer,
 * for a new datagram may take its identification (IPv4's 16 bits wrap).
 *
 * Three lists, each in the order its entries expire: IPv4 and IPv6
 * datagrams being made (or dropped), by first fragment (the timeouts
 * differ), and datagrams made whole, by when. */
#include "ipfrag.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "siphash.h"

enum {
    MAX_DATAGRAMS = 1024,
    MAX_HEADER = 256, /* IPv4: 60; IPv6: 40 + extension headers + 8 */
    MAX_DATA = 65535, /* IPv4 total length, IPv6 payload length */
    UNITS = 65536 / 8,
    BUCKETS = 1024,
    ETH_HEADER_MAX = 18, /* with one 802.1Q tag */
};
#define MAX_BYTES (4u << 20) /* fragment data held at once, all datagrams */
/* Linux's ipfrag_time; RFC 8200 section 4.5's 60 s for IPv6; a SPAN
 * port's copies come within microseconds. */
#define TIMEOUT_V4_US (30 * 1000000LL)
#define TIMEOUT_V6_US (60 * 1000000LL)
#define DONE_KEPT_US (1000000LL)

enum { LIST_V4, LIST_V6, LIST_DONE, LISTS };

enum dgram_state {
    OPEN,
    DEAD, /* dropped (counted): swallows its fragments until it times out */
    DONE, /* made whole: knows its fragments' copies until it times out */
};

struct dgram {
    struct dgram *hnext;         /* bucket chain */
    struct dgram *older, *newer; /* its list */
    int64_t begun_us, expires_us;
    uint32_t bucket;
    uint8_t family, proto, state, list;
    uint16_t vlan;
    uint32_t id;
    uint8_t src[16], dst[16];
    uint8_t has_end;
    uint32_t end;     /* data length, once the last fragment came */
    uint32_t high;    /* the highest data byte any fragment reached */
    uint32_t hdr_len; /* 0 until the first fragment came */
    uint32_t units_held;
    uint32_t cap; /* bytes of data allocated */
    uint8_t *data;
    uint8_t hdr[MAX_HEADER];
    uint8_t held[UNITS / 8]; /* bit u: bytes [8u, 8u + 8) are held */
};

struct ipfrag_table {
    struct dgram *bucket[BUCKETS];
    struct {
        struct dgram *oldest, *newest;
    } lists[LISTS];
    size_t count;
    size_t bytes; /* data allocated */
    uint8_t key[16];
    struct ipfrag_stats st;
    uint8_t out[ETH_HEADER_MAX + MAX_HEADER + MAX_DATA];
};

struct ipfrag_table *ipfrag_new(void)
{
    struct ipfrag_table *t = calloc(1, sizeof(*t));
    if (t && getrandom(t->key, sizeof(t->key), 0) != (ssize_t)sizeof(t->key))
        memset(t->key, 0x5a, sizeof(t->key)); /* only the chains' spread depends on it */
    return t;
}

/* What makes fragments one datagram's: RFC 791 section 3.2 for IPv4 (with
 * the protocol); RFC 8200 section 4.5 for IPv6, where the Fragment headers'
 * next header may differ (the first one's counts). The VLAN id as the flow
 * table takes it: a priority tag (id 0) is no tag. */
static uint8_t key_proto(const struct ip_fragment *f)
{
    return f->family == ADDR_V4 ? f->proto : 0;
}

static uint32_t bucket_of(const struct ipfrag_table *t, const struct ip_fragment *f)
{
    struct {
        uint8_t src[16], dst[16];
        uint32_t id;
        uint16_t vlan;
        uint8_t family, proto;
    } k;
    memset(&k, 0, sizeof(k));
    memcpy(k.src, f->src, 16);
    memcpy(k.dst, f->dst, 16);
    k.id = f->id;
    k.vlan = f->vlan;
    k.family = f->family;
    k.proto = key_proto(f);
    return (uint32_t)(siphash13(t->key, &k, sizeof(k)) % BUCKETS);
}

static int same_datagram(const struct dgram *d, const struct ip_fragment *f)
{
    return d->id == f->id && d->family == f->family && d->proto == key_proto(f) &&
           d->vlan == f->vlan && !memcmp(d->src, f->src, 16) && !memcmp(d->dst, f->dst, 16);
}

static void free_data(struct ipfrag_table *t, struct dgram *d)
{
    t->bytes -= d->cap;
    free(d->data);
    d->data = NULL;
    d->cap = 0;
}

static void unlink_list(struct ipfrag_table *t, struct dgram *d)
{
    if (d->older)
        d->older->newer = d->newer;
    else
        t->lists[d->list].oldest = d->newer;
    if (d->newer)
        d->newer->older = d->older;
    else
        t->lists[d->list].newest = d->older;
    d->older = d->newer = NULL;
}

/* At the newest end of list l, expiring after kept_us. */
static void push_list(struct ipfrag_table *t, struct dgram *d, int l, int64_t now_us,
                      int64_t kept_us)
{
    d->list = (uint8_t)l;
    d->expires_us = now_us > INT64_MAX - kept_us ? INT64_MAX : now_us + kept_us;
    d->older = t->lists[l].newest;
    if (d->older)
        d->older->newer = d;
    else
        t->lists[l].oldest = d;
    t->lists[l].newest = d;
}

static void let_go(struct ipfrag_table *t, struct dgram *d)
{
    if (d->state == OPEN) /* timed out, evicted, or still open at the end */
        t->st.incomplete++;
    struct dgram **pp = &t->bucket[d->bucket];
    while (*pp != d)
        pp = &(*pp)->hnext;
    *pp = d->hnext;
    unlink_list(t, d);
    t->count--;
    free_data(t, d);
    free(d);
}

/* Drop a datagram's bytes and keep it as a tombstone; *counter says why. */
static void drop(struct ipfrag_table *t, struct dgram *d, uint64_t *counter)
{
    (*counter)++;
    d->state = DEAD;
    free_data(t, d);
}

void ipfrag_expire(struct ipfrag_table *t, int64_t now_us)
{
    for (int l = 0; l < LISTS; l++)
        while (t->lists[l].oldest && t->lists[l].oldest->expires_us < now_us)
            let_go(t, t->lists[l].oldest);
}

void ipfrag_flush(struct ipfrag_table *t)
{
    for (int l = 0; l < LISTS; l++)
        while (t->lists[l].oldest)
            let_go(t, t->lists[l].oldest);
}

/* The datagram to give way at the cap: one made whole first (it only
 * guards against copies), else the one begun first. */
static struct dgram *eviction_victim(const struct ipfrag_table *t)
{
    if (t->lists[LIST_DONE].oldest)
        return t->lists[LIST_DONE].oldest;
    struct dgram *a = t->lists[LIST_V4].oldest, *b = t->lists[LIST_V6].oldest;
    return !a || (b && b->begun_us < a->begun_us) ? b : a;
}

static struct dgram *find(struct ipfrag_table *t, const struct ip_fragment *f, uint32_t b)
{
    for (struct dgram *d = t->bucket[b]; d; d = d->hnext)
        if (same_datagram(d, f))
            return d;
    return NULL;
}

static struct dgram *add_datagram(struct ipfrag_table *t, const struct ip_fragment *f, uint32_t b,
                                  int64_t now_us)
{
    if (t->count == MAX_DATAGRAMS)
        let_go(t, eviction_victim(t));
    struct dgram *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->bucket = b;
    d->begun_us = now_us;
    d->family = f->family;
    d->proto = key_proto(f);
    d->vlan = f->vlan;
    d->id = f->id;
    memcpy(d->src, f->src, 16);
    memcpy(d->dst, f->dst, 16);
    d->hnext = t->bucket[b];
    t->bucket[b] = d;
    if (f->family == ADDR_V4)
        push_list(t, d, LIST_V4, now_us, TIMEOUT_V4_US);
    else
        push_list(t, d, LIST_V6, now_us, TIMEOUT_V6_US);
    t->count++;
    return d;
}

/* The datagram being made, other than d, that holds bytes and was begun
 * first (dropped and finished ones hold none). */
static struct dgram *oldest_holding(const struct ipfrag_table *t, const struct dgram *d)
{
    struct dgram *best = NULL;
    for (int l = LIST_V4; l <= LIST_V6; l++) {
        struct dgram *e = t->lists[l].oldest;
        while (e && (e == d || !e->cap))
            e = e->newer;
        if (e && (!best || e->begun_us < best->begun_us))
            best = e;
    }
    return best;
}

/* Room for data up to byte need: other datagrams give way to the bound,
 * the one begun first first. 0 when memory runs out. */
static int reserve(struct ipfrag_table *t, struct dgram *d, uint32_t need)
{
    if (need <= d->cap)
        return 1;
    uint32_t cap = d->cap ? d->cap : 2048;
    while (cap < need)
        cap *= 2;
    if (cap > MAX_DATA)
        cap = MAX_DATA;
    while (t->bytes - d->cap + cap > MAX_BYTES) {
        struct dgram *victim = oldest_holding(t, d);
        if (!victim) /* cannot be: one datagram is far below the bound */
            return 0;
        let_go(t, victim);
    }
    uint8_t *p = realloc(d->data, cap);
    if (!p)
        return 0;
    memset(p + d->cap, 0, cap - d->cap);
    t->bytes += cap - d->cap;
    d->data = p;
    d->cap = cap;
    if (t->bytes > t->st.peak_bytes)
        t->st.peak_bytes = t->bytes;
    return 1;
}

static int unit_held(const struct dgram *d, uint32_t u)
{
    return d->held[u / 8] >> (u % 8) & 1;
}

/* How many of units [first, last) are held. */
static uint32_t units_held_in(const struct dgram *d, uint32_t first, uint32_t last)
{
    uint32_t held = 0;
    for (uint32_t u = first; u < last; u++)
        held += unit_held(d, u);
    return held;
}

/* Header bytes of the whole datagram from its first fragment's: lengths
 * set, fragmentation undone (IPv4: offset and MF cleared, checksum made
 * again; IPv6: the Fragment header left as an atomic fragment, RFC 6946,
 * which a decoder reads through). */
static void fix_header(uint8_t *h, uint32_t hdr_len, uint8_t family, uint32_t data_len)
{
    if (family == ADDR_V4) {
        uint32_t total = hdr_len + data_len;
        h[2] = (uint8_t)(total >> 8);
        h[3] = (uint8_t)total;
        h[6] &= 0x40; /* keep DF */
        h[7] = 0;
        h[10] = h[11] = 0;
        uint32_t sum = 0;
        for (uint32_t i = 0; i + 1 < hdr_len; i += 2)
            sum += (uint32_t)(h[i] << 8 | h[i + 1]);
        while (sum >> 16)
            sum = (sum & 0xffff) + (sum >> 16);
        h[10] = (uint8_t)(~sum >> 8);
        h[11] = (uint8_t)~sum;
    } else {
        uint32_t plen = hdr_len - 40 + data_len;
        h[4] = (uint8_t)(plen >> 8);
        h[5] = (uint8_t)plen;
        h[hdr_len - 6] = h[hdr_len - 5] = 0; /* offset 0, M 0 */
    }
}

/* The whole datagram into t->out; d stays a second, DONE, without its
 * bytes. */
static const uint8_t *emit(struct ipfrag_table *t, struct dgram *d, int64_t now_us, uint32_t *len)
{
    uint8_t *o = t->out;
    memset(o, 0, 12); /* no MAC addresses */
    uint32_t n = 12;
    if (d->vlan) {
        o[n++] = 0x81;
        o[n++] = 0x00;
        o[n++] = (uint8_t)(d->vlan >> 8 & 0x0f);
        o[n++] = (uint8_t)d->vlan;
    }
    o[n++] = d->family == ADDR_V4 ? 0x08 : 0x86;
    o[n++] = d->family == ADDR_V4 ? 0x00 : 0xdd;
    memcpy(o + n, d->hdr, d->hdr_len);
    fix_header(o + n, d->hdr_len, d->family, d->end);
    n += d->hdr_len;
    if (d->end)
        memcpy(o + n, d->data, d->end);
    n += d->end;
    *len = n;
    t->st.reassembled++;
    d->state = DONE;
    free_data(t, d);
    unlink_list(t, d);
    push_list(t, d, LIST_DONE, now_us, DONE_KEPT_US);
    return t->out;
}

/* The datagram f belongs to, after what has timed out went: one held, a
 * new one, or one made whole of which f is a copy (DONE). NULL when memory
 * runs out. */
static struct dgram *datagram_of(struct ipfrag_table *t, const struct ip_fragment *f,
                                 int64_t now_us)
{
    ipfrag_expire(t, now_us);
    uint32_t b = bucket_of(t, f);
    struct dgram *d = find(t, f, b);
    if (d && d->state == DONE) {
        uint32_t stop = f->offset + f->data_wire, first = f->offset / 8, last = (stop + 7) / 8;
        if (stop <= MAX_DATA && units_held_in(d, first, last) == last - first &&
            !f->more == (stop == d->end))
            return d;
        let_go(t, d); /* its identification used again: a new datagram */
        d = NULL;
    }
    return d ? d : add_datagram(t, f, b, now_us);
}

const uint8_t *ipfrag_add(struct ipfrag_table *t, const struct ip_fragment *f, int64_t now_us,
                          uint32_t *len)
{
    struct dgram *d = datagram_of(t, f, now_us);
    if (!d || d->state == DEAD)
        return NULL;
    if (d->state == DONE) {
        t->st.duplicates++; /* a copy of one of its fragments */
        return NULL;
    }
    uint32_t off = f->offset, n = f->data_wire, stop = off + n;
    uint32_t first = off / 8, last = (stop + 7) / 8;
    if (f->more && (n % 8 || n == 0)) { /* only the last may end between units */
        drop(t, d, &t->st.malformed);
        return NULL;
    }
    if (stop > MAX_DATA || (off == 0 && f->hdr_len > MAX_HEADER) ||
        (f->family == ADDR_V6 && f->hdr_len < 48)) {
        drop(t, d, &t->st.oversize);
        return NULL;
    }
    if (f->data_len < n) { /* cut short (snaplen): these bytes are gone */
        drop(t, d, &t->st.truncated);
        return NULL;
    }
    if (!f->more) {
        if ((d->has_end && d->end != stop) || d->high > stop) {
            drop(t, d, &t->st.overlapping);
            return NULL;
        }
    } else if (d->has_end && stop > d->end) {
        drop(t, d, &t->st.overlapping);
        return NULL;
    }
    uint32_t held = units_held_in(d, first, last);
    if (held) {
        /* Held units lie within the data already allocated. */
        if (held == last - first && !memcmp(d->data + off, f->data, n)) {
            t->st.duplicates++;
            return NULL;
        }
        drop(t, d, &t->st.overlapping);
        return NULL;
    }
    if (n && !reserve(t, d, stop)) {
        let_go(t, d); /* out of memory: counted incomplete */
        return NULL;
    }
    if (!f->more) {
        d->has_end = 1;
        d->end = stop;
    }
    if (n) /* a last fragment may carry nothing, and no buffer be made yet */
        memcpy(d->data + off, f->data, n);
    if (stop > d->high)
        d->high = stop;
    for (uint32_t u = first; u < last; u++)
        d->held[u / 8] |= (uint8_t)(1u << (u % 8));
    d->units_held += last - first;
    if (off == 0) {
        memcpy(d->hdr, f->hdr, f->hdr_len);
        d->hdr_len = f->hdr_len;
    }
    if (!d->has_end || !d->hdr_len || d->units_held != (d->end + 7) / 8)
        return NULL;
    /* IPv4's total length counts the header; IPv6's payload length, the
     * extension headers. */
    if ((d->family == ADDR_V4 ? d->hdr_len : d->hdr_len - 40) + d->end > MAX_DATA) {
        drop(t, d, &t->st.oversize);
        return NULL;
    }
    return emit(t, d, now_us, len);
}

void ipfrag_ignore(struct ipfrag_table *t, const struct ip_fragment *f, int64_t now_us)
{
    struct dgram *d = datagram_of(t, f, now_us);
    if (!d || d->state != OPEN)
        return;
    d->state = DEAD;
    free_data(t, d);
}

void ipfrag_get_stats(const struct ipfrag_table *t, struct ipfrag_stats *st)
{
    *st = t->st;
}

void ipfrag_free(struct ipfrag_table *t)
{
    if (!t)
        return;
    ipfrag_flush(t);
    free(t);
}
