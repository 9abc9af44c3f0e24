/* source.c: see source.h. Files are read through stdio with a 1 MiB buffer
 * (pcap_open_offline reads 4 KiB at a time, which costs more than the rest
 * of the per-packet work on large captures). A capture of more than a few
 * MiB (or a pipe) is read in a thread of its own, so libpcap's reading
 * overlaps the dissection instead of adding to it. */
#include "source.h"

#include <dirent.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "decode.h"
#include "source_wiretap.h"

#define READ_BUFFER (1u << 20)
#define BATCHES 4
#define THREADED_MIN_BYTES (4L << 20)

int source_is_directory(const char *path)
{
    struct stat st;
    return strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append the regular files below path (subdirectories too, to a bounded
 * depth, symbolic links to directories not followed). */
static int list_into(const char *path, int depth, char ***list, size_t *n, size_t *cap)
{
    DIR *d = opendir(path);
    if (!d)
        return depth == 0 ? -1 : 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        size_t len = strlen(path) + strlen(e->d_name) + 2;
        char *full = malloc(len);
        if (!full)
            break;
        snprintf(full, len, "%s/%s", path, e->d_name);
        struct stat st;
        if (lstat(full, &st) == 0 && S_ISDIR(st.st_mode) && depth < 8) {
            list_into(full, depth + 1, list, n, cap);
            free(full);
            continue;
        }
        if (stat(full, &st) != 0 || !S_ISREG(st.st_mode)) {
            free(full);
            continue;
        }
        if (*n + 1 >= *cap) {
            char **nl = realloc(*list, (*cap *= 2) * sizeof(**list));
            if (!nl) {
                free(full);
                break;
            }
            *list = nl;
        }
        (*list)[(*n)++] = full;
    }
    closedir(d);
    return 0;
}

char **source_list_directory(const char *path, char *err, size_t errlen)
{
    size_t n = 0, cap = 16;
    char **list = malloc(cap * sizeof(*list));
    if (!list) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    if (list_into(path, 0, &list, &n, &cap) < 0) {
        snprintf(err, errlen, "%s: cannot open directory: %s", path, strerror(errno));
        free(list);
        return NULL;
    }
    list[n] = NULL;
    qsort(list, n, sizeof(*list), cmp_str);
    return list;
}

void source_free_list(char **list)
{
    for (char **p = list; p && *p; p++)
        free(*p);
    free(list);
}

int source_looks_like_capture(const char *path)
{
    unsigned char m[4];
    FILE *f = fopen(path, "rb");
    if (!f)
        return 1; /* let the open report why */
    size_t k = fread(m, 1, 4, f);
    fclose(f);
    if (k < 4)
        return 0;
    uint32_t be = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
    return be == 0xa1b2c3d4 || be == 0xd4c3b2a1 || be == 0xa1b23c4d || be == 0x4d3cb2a1 ||
           be == 0x0a0d0d0a;
}

/* Turn libpcap's open errors into a cause a person can act on. */
static void describe_open_error(const char *path, const char *pcap_err, long size, char *err,
                                size_t errlen)
{
    if (size == 0)
        snprintf(err, errlen, "%s: empty file, not a capture", path);
    else if (strstr(pcap_err, "unknown file format"))
        snprintf(err, errlen, "%s: not a pcap or pcapng capture (unknown file format)", path);
    else if (strstr(pcap_err, "truncated"))
        snprintf(err, errlen, "%s: capture file header is cut short (%s)", path, pcap_err);
    else
        snprintf(err, errlen, "%s: %s", path, pcap_err);
}

/* Out-of-range seconds are clamped rather than overflowed. */
int64_t source_timestamp_us(int64_t sec, int64_t usec)
{
    const int64_t max_sec = (INT64_MAX - 999999) / 1000000;
    if (sec > max_sec)
        sec = max_sec;
    if (sec < -max_sec)
        sec = -max_sec;
    return sec * 1000000 + usec;
}

/* What a read came to besides its status: frames handed on, and whether
 * libpcap refused the file (its format, or a pcapng whose interfaces have
 * different link types) so that wiretap may read it instead. */
struct read_outcome {
    uint64_t frames;
    int refused;
};

static enum source_status read_stream(FILE *fp, const char *name, long size, const char *filter,
                                      frame_fn fn, void *ctx, const struct frame_prepare *prep,
                                      volatile int *stop, char *err, size_t errlen,
                                      struct read_outcome *out);

enum source_status source_read_file(const char *path, const char *filter, frame_fn fn, void *ctx,
                                    volatile int *stop, char *err, size_t errlen)
{
    return source_read_file_prepared(path, filter, fn, ctx, NULL, stop, err, errlen);
}

enum source_status source_read_file_prepared(const char *path, const char *filter, frame_fn fn,
                                             void *ctx, const struct frame_prepare *prep,
                                             volatile int *stop, char *err, size_t errlen)
{
    int is_stdin = strcmp(path, "-") == 0;
    FILE *fp = is_stdin ? stdin : fopen(path, "rb");
    if (!fp) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return SOURCE_FAILED;
    }
    char *iobuf = malloc(READ_BUFFER);
    if (iobuf)
        setvbuf(fp, iobuf, _IOFBF, READ_BUFFER);
    long size = -1;
    struct stat st;
    if (!is_stdin && fstat(fileno(fp), &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            snprintf(err, errlen, "%s: is a directory", path);
            fclose(fp);
            free(iobuf);
            return SOURCE_FAILED;
        }
        size = (long)st.st_size;
    }
    struct read_outcome out = {0, 0};
    enum source_status status = read_stream(fp, is_stdin ? "(stdin)" : path, size, filter, fn, ctx,
                                            prep, stop, err, errlen, &out);
    free(iobuf); /* read_stream closed fp */
    if (status == SOURCE_FAILED && out.refused && !is_stdin) {
        /* wiretap reads on past what libpcap handed on already; where it
         * cannot read the file either, libpcap's message stands. */
        char werr[512];
        uint64_t unsupported = 0;
        enum source_status ws = source_read_wiretap(path, out.frames, filter, fn, ctx, stop,
                                                    &unsupported, werr, sizeof(werr));
        if (ws != SOURCE_FAILED) {
            status = ws;
            snprintf(err, errlen, "%s", ws == SOURCE_OK ? "" : werr);
        }
        if (ws != SOURCE_FAILED && unsupported)
            fprintf(stderr,
                    "tlsmon: warning: %s: %llu packets of link types tlsmon does not "
                    "decode were skipped\n",
                    path, (unsigned long long)unsupported);
    }
    return status;
}

/* What ended a read loop (rc of pcap_next_ex), as a status and message. */
static enum source_status read_end(pcap_t *p, int rc, const char *name, char *err, size_t errlen,
                                   struct read_outcome *out)
{
    if (rc != -1)
        return SOURCE_OK;
    const char *e = pcap_geterr(p);
    if (strstr(e, "truncated") || strstr(e, "cut short")) {
        snprintf(err, errlen, "%s: the last packet is cut short (%s); kept what came before", name,
                 e);
        return SOURCE_TRUNCATED;
    }
    /* libpcap 1.10 reads one link type per pcapng file. */
    out->refused = strstr(e, "different from the type of the first interface") != NULL;
    snprintf(err, errlen, "%s: read error: %s", name, e);
    return SOURCE_FAILED;
}

static enum source_status read_frames(pcap_t *p, const char *name, int lt, frame_fn fn, void *ctx,
                                      volatile int *stop, char *err, size_t errlen,
                                      struct read_outcome *out)
{
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
        struct frame fr = {source_timestamp_us(h->ts.tv_sec, h->ts.tv_usec), h->caplen, h->len,
                           data, NULL};
        fn(ctx, lt, &fr);
        out->frames++;
        if (stop && *stop)
            return SOURCE_STOPPED;
    }
    return read_end(p, rc, name, err, errlen, out);
}

/* ---- reading in a thread of its own ----------------------------------------
 * The reader copies frames into batches (BATCHES in flight) and the caller's
 * thread hands them to fn in order, so the two threads meet once per few
 * thousand packets, and memory stays bounded whichever side is slower. A
 * batch keeps fixed-size slots (time, lengths, the prepared bytes) apart
 * from the frames' data: the caller walks the slots in order (which the
 * hardware prefetcher follows) and touches a frame's data only where it
 * needs more than the prepared facts. */

#define BATCH_SLOTS 4096
#define BATCH_DATA (1u << 20)

/* How a reader ended besides pcap_next_ex's own results (-2 is its end of
 * file). When the caller stops it, the result is not read. */
enum { READER_NO_MEMORY = -101 };

struct batch_frame {
    int64_t ts_us;
    uint32_t caplen, len;
    size_t data_off; /* in the batch's data */
};                   /* the prepared bytes follow */

/* Each batch, and the fields both threads write, on cache lines of their
 * own: the reader writes its batch's counts on every frame, and a line it
 * shared with what the caller reads meanwhile would cross between the two
 * cores each time. */
#define CACHE_LINE 64

struct batch {
    alignas(CACHE_LINE) uint8_t *slots, *data;
    size_t nslots; /* slots filled */
    size_t data_cap, data_used;
};

struct reader {
    struct batch b[BATCHES];
    alignas(CACHE_LINE) pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned head, filled;         /* filled batches: b[head], b[head + 1], ... (mod BATCHES) */
    int done, quit;                /* done: the reader has ended; quit: the caller stopped */
    int rc;                        /* pcap_next_ex's last result, or READER_NO_MEMORY */
    alignas(CACHE_LINE) pcap_t *p; /* only the reader touches it until the join */
    int lt;
    struct frame_prepare prep; /* prep.fn NULL: none */
    size_t slot_bytes;         /* struct batch_frame and prep.size, rounded up to 8 */
    int spin;                  /* spin before sleeping (more than one processor) */
};

static uint8_t *slot_at(const struct reader *r, const struct batch *b, size_t i)
{
    return b->slots + i * r->slot_bytes;
}

static int64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

/* Spin (up to SPIN_NS) until ready(r) before sleeping on the condition: in
 * a virtual machine, waking a thread that sleeps costs the waker tens of
 * microseconds (an interprocessor interrupt through the hypervisor), paid
 * once per batch on the critical path. */
#define SPIN_NS 2000000
static void spin_until(struct reader *r, int (*ready)(struct reader *))
{
    if (!r->spin)
        return;
    int64_t start = monotonic_ns();
    for (unsigned i = 1; !ready(r); i++) {
        cpu_relax();
        if (i % 64 == 0 && monotonic_ns() - start > SPIN_NS)
            return;
    }
}

/* Not with one processor, where the spin would hold up the thread it waits
 * for; nor under valgrind, which runs one thread at a time (and whose
 * instruction counts `make bench` reports: a spin there is no work). */
static int spin_worthwhile(void)
{
    const char *preload = getenv("LD_PRELOAD");
    return sysconf(_SC_NPROCESSORS_ONLN) > 1 && !(preload && strstr(preload, "/vgpreload"));
}

static int has_empty(struct reader *r)
{
    return __atomic_load_n(&r->filled, __ATOMIC_ACQUIRE) < BATCHES ||
           __atomic_load_n(&r->quit, __ATOMIC_RELAXED);
}

static int has_filled(struct reader *r)
{
    return __atomic_load_n(&r->filled, __ATOMIC_ACQUIRE) > 0 ||
           __atomic_load_n(&r->done, __ATOMIC_ACQUIRE);
}

/* Wait for an empty batch; NULL when the caller has stopped. */
static struct batch *reader_take_empty(struct reader *r)
{
    spin_until(r, has_empty);
    pthread_mutex_lock(&r->mu);
    while (!has_empty(r))
        pthread_cond_wait(&r->cv, &r->mu);
    struct batch *b = r->quit ? NULL : &r->b[(r->head + r->filled) % BATCHES];
    pthread_mutex_unlock(&r->mu);
    if (b)
        b->nslots = b->data_used = 0;
    return b;
}

/* Hand the batch being filled (if any) to the caller; last: reading has
 * ended with rc. */
static void reader_publish(struct reader *r, const struct batch *b, int last, int rc)
{
    pthread_mutex_lock(&r->mu);
    if (b)
        __atomic_store_n(&r->filled, r->filled + 1, __ATOMIC_RELEASE);
    if (last) {
        __atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
        r->rc = rc;
    }
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

static void *reader_main(void *arg)
{
    struct reader *r = arg;
    struct batch *b = reader_take_empty(r);
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc = 0;
    while (b) {
        if (__atomic_load_n(&r->quit, __ATOMIC_RELAXED))
            break;
        if ((rc = pcap_next_ex(r->p, &h, &data)) != 1)
            break;
        size_t need = ((size_t)h->caplen + 7) & ~(size_t)7;
        if ((b->nslots == BATCH_SLOTS || b->data_used + need > b->data_cap) && b->nslots > 0) {
            reader_publish(r, b, 0, 0);
            if (!(b = reader_take_empty(r)))
                break;
        }
        if (need > b->data_cap) { /* a frame larger than a batch: that batch grows */
            uint8_t *nb = realloc(b->data, need);
            if (!nb) {
                rc = READER_NO_MEMORY;
                break;
            }
            b->data = nb;
            b->data_cap = need;
        }
        struct batch_frame bf = {source_timestamp_us(h->ts.tv_sec, h->ts.tv_usec), h->caplen,
                                 h->len, b->data_used};
        uint8_t *slot = slot_at(r, b, b->nslots), *copy = b->data + b->data_used;
        memcpy(slot, &bf, sizeof(bf));
        /* Prepared from libpcap's buffer, which is in this core's cache:
         * the copy's lines are only being fetched for writing, and reading
         * them back would wait for that. */
        if (r->prep.fn) {
            struct frame fr = {bf.ts_us, bf.caplen, bf.len, data, NULL};
            r->prep.fn(r->prep.ctx, r->lt, &fr, slot + sizeof(bf));
        }
        memcpy(copy, data, h->caplen);
        b->nslots++;
        b->data_used += need;
    }
    reader_publish(r, b, 1, rc);
    return NULL;
}

/* The frame in slot i of a filled batch. */
static void slot_frame(const struct reader *r, const struct batch *b, size_t i, struct frame *fr)
{
    const uint8_t *slot = slot_at(r, b, i);
    struct batch_frame bf;
    memcpy(&bf, slot, sizeof(bf));
    *fr = (struct frame){bf.ts_us, bf.caplen, bf.len, b->data + bf.data_off,
                         r->prep.fn ? slot + sizeof(bf) : NULL};
}

/* Hand a filled batch's frames to fn, hinting prep.prefetch a few ahead. */
static enum source_status consume_batch(const struct reader *r, const struct batch *b, frame_fn fn,
                                        void *ctx, volatile int *stop)
{
    const int prefetch = r->prep.fn && r->prep.prefetch;
    for (size_t i = 0; i < b->nslots; i++) {
        if (prefetch && i + PREFETCH_AHEAD < b->nslots) {
            struct frame ahead;
            slot_frame(r, b, i + PREFETCH_AHEAD, &ahead);
            r->prep.prefetch(r->prep.ctx, &ahead);
        }
        struct frame fr;
        slot_frame(r, b, i, &fr);
        fn(ctx, r->lt, &fr);
        if (stop && *stop)
            return SOURCE_STOPPED;
    }
    return SOURCE_OK;
}

static enum source_status read_frames_threaded(pcap_t *p, const char *name, int lt, frame_fn fn,
                                               void *ctx, const struct frame_prepare *prep,
                                               volatile int *stop, char *err, size_t errlen,
                                               struct read_outcome *out)
{
    struct reader *r = calloc(1, sizeof(*r));
    int ok = r != NULL;
    if (ok) {
        if (prep && prep->fn)
            r->prep = *prep;
        r->slot_bytes = (sizeof(struct batch_frame) + r->prep.size + 7) & ~(size_t)7;
    }
    for (int i = 0; ok && i < BATCHES; i++)
        ok = (r->b[i].slots = malloc(BATCH_SLOTS * r->slot_bytes)) != NULL &&
             (r->b[i].data = malloc(r->b[i].data_cap = BATCH_DATA)) != NULL;
    if (ok) {
        r->p = p;
        r->lt = lt;
        r->spin = spin_worthwhile();
        pthread_mutex_init(&r->mu, NULL);
        pthread_cond_init(&r->cv, NULL);
    }
    pthread_t t;
    if (!ok || pthread_create(&t, NULL, reader_main, r) != 0) {
        if (ok) {
            pthread_cond_destroy(&r->cv);
            pthread_mutex_destroy(&r->mu);
        }
        for (int i = 0; r && i < BATCHES; i++) {
            free(r->b[i].slots);
            free(r->b[i].data);
        }
        free(r);
        return read_frames(p, name, lt, fn, ctx, stop, err, errlen, out); /* in this thread */
    }
    enum source_status status = SOURCE_OK;
    for (;;) {
        spin_until(r, has_filled);
        pthread_mutex_lock(&r->mu);
        while (!has_filled(r))
            pthread_cond_wait(&r->cv, &r->mu);
        int empty = r->filled == 0; /* and so done */
        struct batch *b = &r->b[r->head];
        pthread_mutex_unlock(&r->mu);
        if (empty)
            break;
        status = consume_batch(r, b, fn, ctx, stop);
        out->frames += b->nslots; /* all of them unless stopped, when it is not read */
        pthread_mutex_lock(&r->mu);
        r->head = (r->head + 1) % BATCHES;
        __atomic_store_n(&r->filled, r->filled - 1, __ATOMIC_RELEASE);
        if (status != SOURCE_OK)
            __atomic_store_n(&r->quit, 1, __ATOMIC_RELAXED);
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
        if (status != SOURCE_OK)
            break;
    }
    pthread_join(t, NULL);
    if (status == SOURCE_OK) { /* the reader ended by itself */
        if (r->rc == READER_NO_MEMORY) {
            snprintf(err, errlen, "%s: out of memory for a packet", name);
            status = SOURCE_FAILED;
        } else
            status = read_end(p, r->rc, name, err, errlen, out);
    }
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    for (int i = 0; i < BATCHES; i++) {
        free(r->b[i].slots);
        free(r->b[i].data);
    }
    free(r);
    return status;
}

enum source_status source_read_stream(FILE *fp, const char *name, long size, const char *filter,
                                      frame_fn fn, void *ctx, volatile int *stop, char *err,
                                      size_t errlen)
{
    return source_read_stream_prepared(fp, name, size, filter, fn, ctx, NULL, stop, err, errlen);
}

static enum source_status read_stream(FILE *fp, const char *name, long size, const char *filter,
                                      frame_fn fn, void *ctx, const struct frame_prepare *prep,
                                      volatile int *stop, char *err, size_t errlen,
                                      struct read_outcome *out)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    /* One thread reads the stream at a time: without this, a process with
     * a reading thread pays stdio's lock on each of libpcap's two freads
     * per packet (glibc skips it only while there is a single thread). */
    __fsetlocking(fp, FSETLOCKING_BYCALLER);
    pcap_t *p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
    if (!p) {
        describe_open_error(name, ebuf, size, err, errlen);
        out->refused = size != 0 && strstr(ebuf, "unknown file format") != NULL;
        if (fp != stdin)
            fclose(fp);
        return SOURCE_FAILED;
    }
    enum source_status status = SOURCE_OK;
    int lt = pcap_datalink(p);
    if (!decode_linktype_supported(lt)) {
        const char *ltname = pcap_datalink_val_to_name(lt);
        snprintf(err, errlen, "%s: unsupported link type %d (%s)", name, lt,
                 ltname ? ltname : "unknown");
        status = SOURCE_FAILED;
        goto out;
    }
    if (filter) {
        struct bpf_program prog;
        if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
            snprintf(err, errlen, "bad filter '%s': %s", filter, pcap_geterr(p));
            status = SOURCE_FAILED;
            goto out;
        }
        int rc = pcap_setfilter(p, &prog);
        pcap_freecode(&prog);
        if (rc != 0) {
            snprintf(err, errlen, "%s: cannot set filter: %s", name, pcap_geterr(p));
            status = SOURCE_FAILED;
            goto out;
        }
    }
    if (size >= 0 && size < THREADED_MIN_BYTES)
        status = read_frames(p, name, lt, fn, ctx, stop, err, errlen, out);
    else
        status = read_frames_threaded(p, name, lt, fn, ctx, prep, stop, err, errlen, out);
out:
    pcap_close(p); /* closes fp */
    return status;
}

enum source_status source_read_stream_prepared(FILE *fp, const char *name, long size,
                                               const char *filter, frame_fn fn, void *ctx,
                                               const struct frame_prepare *prep, volatile int *stop,
                                               char *err, size_t errlen)
{
    struct read_outcome out = {0, 0};
    return read_stream(fp, name, size, filter, fn, ctx, prep, stop, err, errlen, &out);
}

const char *source_libpcap_version(void)
{
    return pcap_lib_version();
}
