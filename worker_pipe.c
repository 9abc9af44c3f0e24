/* worker_pipe.c: see worker_pipe.h.
 *
 * A message is a header (type, payload length) and the payload: BEGIN the
 * worker's sequence number; SETTLE a struct tls_handshake then its protocol
 * and application names; PLAINTEXT a struct plaintext_record then its
 * credentials command, protocol and application names; SNAPSHOT a struct
 * metrics_snapshot. A name is a 16-bit length and its bytes (0xffff: NULL). */
#include "worker_pipe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { MSG_BEGIN = 1, MSG_SETTLE, MSG_PLAINTEXT, MSG_SNAPSHOT };

struct msg_header {
    uint32_t type, len;
};

#define WRITE_BUFFER (64u << 10)
#define NAME_MAX_BYTES 255 /* protocol and application names are short */
#define NO_NAME 0xffff
/* Larger than any message, so a garbled length is caught. */
#define MAX_MESSAGE (sizeof(struct tls_handshake) + 4 * (NAME_MAX_BYTES + 2) + 64)
_Static_assert(sizeof(struct metrics_snapshot) <= MAX_MESSAGE, "a snapshot is a message");
/* Reads per wpipe_read call, so one busy worker does not hold up the rest. */
#define READ_ROUNDS 32

struct wpipe_writer {
    int fd, failed;
    size_t len;
    struct engine_tap tap;
    unsigned char buf[WRITE_BUFFER];
};

static void put(struct wpipe_writer *w, const void *p, size_t n)
{
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

static void put_name(struct wpipe_writer *w, const char *s)
{
    uint16_t n = NO_NAME;
    size_t len = s ? strnlen(s, NAME_MAX_BYTES) : 0;
    if (s)
        n = (uint16_t)len;
    put(w, &n, sizeof(n));
    if (s)
        put(w, s, len);
}

static size_t name_size(const char *s)
{
    return sizeof(uint16_t) + (s ? strnlen(s, NAME_MAX_BYTES) : 0);
}

/* Room for a message of n payload bytes, after its header. */
static int start(struct wpipe_writer *w, uint32_t type, size_t n)
{
    if (w->len + sizeof(struct msg_header) + n > sizeof(w->buf) && wpipe_flush(w) < 0)
        return -1;
    struct msg_header h = {type, (uint32_t)n};
    put(w, &h, sizeof(h));
    return 0;
}

static void tap_begin(void *ctx, const struct tls_handshake *hs)
{
    struct wpipe_writer *w = ctx;
    if (start(w, MSG_BEGIN, sizeof(hs->seq)) == 0)
        put(w, &hs->seq, sizeof(hs->seq));
}

static void tap_settle(void *ctx, const struct tls_handshake *hs)
{
    struct wpipe_writer *w = ctx;
    size_t n = sizeof(*hs) + name_size(hs->protocol) + name_size(hs->application);
    if (start(w, MSG_SETTLE, n) < 0)
        return;
    put(w, hs, sizeof(*hs));
    put_name(w, hs->protocol);
    put_name(w, hs->application);
}

static void tap_plaintext(void *ctx, const struct plaintext_record *pr)
{
    struct wpipe_writer *w = ctx;
    size_t n = sizeof(*pr) + name_size(pr->credentials) + name_size(pr->protocol) +
               name_size(pr->application);
    if (start(w, MSG_PLAINTEXT, n) < 0)
        return;
    put(w, pr, sizeof(*pr));
    put_name(w, pr->credentials);
    put_name(w, pr->protocol);
    put_name(w, pr->application);
}

struct wpipe_writer *wpipe_writer_new(int fd)
{
    struct wpipe_writer *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->fd = fd;
    w->tap.begin = tap_begin;
    w->tap.settle = tap_settle;
    w->tap.plaintext = tap_plaintext;
    w->tap.ctx = w;
    return w;
}

void wpipe_writer_free(struct wpipe_writer *w)
{
    if (w)
        close(w->fd);
    free(w);
}

const struct engine_tap *wpipe_tap(struct wpipe_writer *w)
{
    return &w->tap;
}

void wpipe_send_snapshot(struct wpipe_writer *w, const struct metrics_snapshot *s)
{
    if (start(w, MSG_SNAPSHOT, sizeof(*s)) == 0)
        put(w, s, sizeof(*s));
}

int wpipe_flush(struct wpipe_writer *w)
{
    size_t off = 0;
    while (!w->failed && off < w->len) {
        ssize_t k = write(w->fd, w->buf + off, w->len - off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            w->failed = 1; /* the parent has gone: nothing more to do */
        else
            off += (size_t)k;
    }
    w->len = 0;
    return w->failed ? -1 : 0;
}

/* ---- the parent's side ------------------------------------------------- */

/* A handshake the worker began and has not settled: its number there and
 * in the parent's order. Begins arrive in the worker's order, so the ring
 * is sorted by local number. */
struct open_hs {
    uint64_t local, global;
    int settled;
};

struct wpipe_reader {
    int fd;
    unsigned char *buf;
    size_t len, cap;
    struct open_hs *ring;
    size_t head, count, ring_cap;
    struct metrics_snapshot snap;
};

struct wpipe_reader *wpipe_reader_new(int fd)
{
    struct wpipe_reader *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->fd = fd;
    r->cap = 4 * WRITE_BUFFER;
    if (!(r->buf = malloc(r->cap))) {
        free(r);
        return NULL;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return r;
}

void wpipe_reader_free(struct wpipe_reader *r)
{
    if (!r)
        return;
    close(r->fd);
    free(r->buf);
    free(r->ring);
    free(r);
}

int wpipe_reader_fd(const struct wpipe_reader *r)
{
    return r->fd;
}

const struct metrics_snapshot *wpipe_snapshot(const struct wpipe_reader *r)
{
    return &r->snap;
}

static struct open_hs *ring_at(struct wpipe_reader *r, size_t i)
{
    return &r->ring[(r->head + i) % r->ring_cap];
}

static int ring_push(struct wpipe_reader *r, uint64_t local, uint64_t global)
{
    if (r->count == r->ring_cap) {
        size_t cap = r->ring_cap ? r->ring_cap * 2 : 1024;
        struct open_hs *n = malloc(cap * sizeof(*n));
        if (!n)
            return -1;
        for (size_t i = 0; i < r->count; i++)
            n[i] = *ring_at(r, i);
        free(r->ring);
        r->ring = n;
        r->ring_cap = cap;
        r->head = 0;
    }
    *ring_at(r, r->count++) = (struct open_hs){local, global, 0};
    return 0;
}

/* The parent's number of the worker's handshake local, or 0 if unknown. */
static uint64_t ring_settle(struct wpipe_reader *r, uint64_t local)
{
    size_t lo = 0, hi = r->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ring_at(r, mid)->local < local)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == r->count || ring_at(r, lo)->local != local)
        return 0;
    uint64_t g = ring_at(r, lo)->global;
    ring_at(r, lo)->settled = 1;
    while (r->count && ring_at(r, 0)->settled) {
        r->head = (r->head + 1) % r->ring_cap;
        r->count--;
    }
    return g;
}

/* Take a name from the payload into out (NUL-terminated); NULL for none. */
static const char *get_name(const unsigned char **p, const unsigned char *end, char *out, int *bad)
{
    uint16_t n;
    if (end - *p < (long)sizeof(n)) {
        *bad = 1;
        return NULL;
    }
    memcpy(&n, *p, sizeof(n));
    *p += sizeof(n);
    if (n == NO_NAME)
        return NULL;
    if (n > NAME_MAX_BYTES || end - *p < n) {
        *bad = 1;
        return NULL;
    }
    memcpy(out, *p, n);
    out[n] = 0;
    *p += n;
    return out;
}

static int on_settle(struct wpipe_reader *r, struct engine *e, uint64_t *next_seq,
                     const unsigned char *p, const unsigned char *end)
{
    struct tls_handshake hs;
    char proto[NAME_MAX_BYTES + 1], app[NAME_MAX_BYTES + 1];
    int bad = 0;
    if (end - p < (long)sizeof(hs))
        return -1;
    memcpy(&hs, p, sizeof(hs));
    p += sizeof(hs);
    hs.protocol = get_name(&p, end, proto, &bad);
    hs.application = get_name(&p, end, app, &bad);
    if (bad)
        return -1;
    uint64_t g = ring_settle(r, hs.seq);
    if (!g) { /* its begin was lost (out of memory): it goes at the end */
        hs.seq = (*next_seq)++;
        engine_add_begin(e, &hs);
    } else {
        hs.seq = g;
    }
    engine_add_settled(e, &hs);
    return 0;
}

static int on_plaintext(struct engine *e, uint64_t *next_seq, const unsigned char *p,
                        const unsigned char *end)
{
    struct plaintext_record pr;
    char creds[NAME_MAX_BYTES + 1], proto[NAME_MAX_BYTES + 1], app[NAME_MAX_BYTES + 1];
    int bad = 0;
    if (end - p < (long)sizeof(pr))
        return -1;
    memcpy(&pr, p, sizeof(pr));
    p += sizeof(pr);
    pr.credentials = get_name(&p, end, creds, &bad);
    pr.protocol = get_name(&p, end, proto, &bad);
    pr.application = get_name(&p, end, app, &bad);
    if (bad)
        return -1;
    pr.seq = (*next_seq)++; /* it begins and settles at once */
    engine_add_plaintext(e, &pr);
    return 0;
}

static int on_message(struct wpipe_reader *r, struct engine *e, uint64_t *next_seq, uint32_t type,
                      const unsigned char *p, size_t n)
{
    const unsigned char *end = p + n;
    switch (type) {
    case MSG_BEGIN: {
        struct tls_handshake hs;
        if (n != sizeof(hs.seq))
            return -1;
        memset(&hs, 0, sizeof(hs));
        uint64_t local;
        memcpy(&local, p, sizeof(local));
        hs.seq = (*next_seq)++;
        if (ring_push(r, local, hs.seq) == 0)
            engine_add_begin(e, &hs);
        return 0;
    }
    case MSG_SETTLE:
        return on_settle(r, e, next_seq, p, end);
    case MSG_PLAINTEXT:
        return on_plaintext(e, next_seq, p, end);
    case MSG_SNAPSHOT:
        if (n != sizeof(r->snap))
            return -1;
        memcpy(&r->snap, p, n);
        return 0;
    default:
        return -1;
    }
}

int wpipe_read(struct wpipe_reader *r, struct engine *e, uint64_t *next_seq)
{
    for (int round = 0; round < READ_ROUNDS; round++) {
        ssize_t k = read(r->fd, r->buf + r->len, r->cap - r->len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 1;
        if (k <= 0)
            return r->len ? -1 : 0; /* the end, mid-message or not */
        r->len += (size_t)k;
        size_t off = 0;
        while (r->len - off >= sizeof(struct msg_header)) {
            struct msg_header h;
            memcpy(&h, r->buf + off, sizeof(h));
            if (h.len > MAX_MESSAGE)
                return -1;
            if (r->len - off - sizeof(h) < h.len)
                break;
            if (on_message(r, e, next_seq, h.type, r->buf + off + sizeof(h), h.len) < 0)
                return -1;
            off += sizeof(h) + h.len;
        }
        memmove(r->buf, r->buf + off, r->len - off);
        r->len -= off;
    }
    return 1;
}
