/* source_wiretap.c: see source_wiretap.h. Only for files libpcap refuses:
 * wiretap copies each record into its own buffer and reads in the calling
 * thread, slower than the libpcap path but on files that are rare.
 *
 * The library is loaded when first needed (dlopen), not linked: linked,
 * it and GLib cost every run ~3.5 MiB of resident memory and, measured on
 * the bench file, 7 % of the wall time, for files most runs never see. */
#include "source_wiretap.h"

#include <dlfcn.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <wiretap/wtap.h>
#include <wsutil/buffer.h>
#include <wsutil/wslog.h>

#include "decode.h"

/* The library's entry points, looked up once (libwiretap.so.13 brings its
 * dependencies, libwsutil and GLib, along). */
static struct {
    void (*init)(gboolean load_plugins);
    wtap *(*open_offline)(const char *path, unsigned int type, int *err, gchar **info,
                          gboolean random);
    gboolean (*read)(wtap *w, wtap_rec *rec, Buffer *buf, int *err, gchar **info, gint64 *off);
    void (*rec_init)(wtap_rec *rec);
    void (*rec_reset)(wtap_rec *rec);
    void (*rec_cleanup)(wtap_rec *rec);
    void (*close)(wtap *w);
    const char *(*strerror)(int err);
    int (*pcap_encap_to_wtap_encap)(int dlt); /* not in Wireshark 4.0's headers */
    void (*buffer_init)(Buffer *buf, gsize space);
    void (*buffer_free)(Buffer *buf);
    void (*log_set_writer)(ws_log_writer_cb *writer, void *data, ws_log_writer_free_data_cb *f);
    enum ws_log_level (*log_set_level)(enum ws_log_level level);
    void (*g_free)(gpointer p);
} wt;

#define MAX_LINKTYPES 64
#define MAX_FILTERS 16

/* wiretap's encapsulation of each link type decode.c takes. */
static struct {
    int encap, dlt;
} encap_dlt[MAX_LINKTYPES];
static unsigned n_encap_dlt;

static void discard_log(const char *domain, enum ws_log_level level, struct timespec timestamp,
                        const char *file, long line, const char *func, const char *user_format,
                        va_list user_ap, void *user_data)
{
    (void)domain, (void)level, (void)timestamp, (void)file, (void)line, (void)func;
    (void)user_format, (void)user_ap, (void)user_data;
}

#define WIRETAP_LIB "libwiretap.so.13"

/* Load the library and start it; 0 (err set) when it cannot be loaded. */
static int wiretap_start(char *err, size_t errlen)
{
    static int started; /* 1 ready, -1 failed */
    if (started)
        return started > 0 || (snprintf(err, errlen, "%s cannot be loaded", WIRETAP_LIB), 0);
    started = -1;
    void *h = dlopen(WIRETAP_LIB, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(err, errlen, "%s", dlerror());
        return 0;
    }
    struct {
        void **fn;
        const char *name;
    } syms[] = {
        {(void **)&wt.init, "wtap_init"},
        {(void **)&wt.open_offline, "wtap_open_offline"},
        {(void **)&wt.read, "wtap_read"},
        {(void **)&wt.rec_init, "wtap_rec_init"},
        {(void **)&wt.rec_reset, "wtap_rec_reset"},
        {(void **)&wt.rec_cleanup, "wtap_rec_cleanup"},
        {(void **)&wt.close, "wtap_close"},
        {(void **)&wt.strerror, "wtap_strerror"},
        {(void **)&wt.pcap_encap_to_wtap_encap, "wtap_pcap_encap_to_wtap_encap"},
        {(void **)&wt.buffer_init, "ws_buffer_init"},
        {(void **)&wt.buffer_free, "ws_buffer_free"},
        {(void **)&wt.log_set_writer, "ws_log_set_writer_with_data"},
        {(void **)&wt.log_set_level, "ws_log_set_level"},
        {(void **)&wt.g_free, "g_free"},
    };
    for (size_t i = 0; i < sizeof(syms) / sizeof(*syms); i++) {
        if (!(*syms[i].fn = dlsym(h, syms[i].name))) {
            snprintf(err, errlen, "%s: no %s", WIRETAP_LIB, syms[i].name);
            return 0;
        }
    }
    started = 1;
    /* wiretap logs its parsing at debug level to stderr unless told. */
    wt.log_set_writer(discard_log, NULL, NULL);
    wt.log_set_level(LOG_LEVEL_CRITICAL);
    wt.init(FALSE);
    for (int dlt = 0; dlt < 512 && n_encap_dlt < MAX_LINKTYPES; dlt++) {
        int encap = decode_linktype_supported(dlt) ? wt.pcap_encap_to_wtap_encap(dlt) : -1;
        int known = 0;
        for (unsigned i = 0; i < n_encap_dlt; i++)
            known |= encap_dlt[i].encap == encap;
        if (encap > 0 && !known) /* the first link type of an encapsulation names it */
            encap_dlt[n_encap_dlt++] = (typeof(encap_dlt[0])){encap, dlt};
    }
    return 1;
}

static int dlt_of_encap(int encap)
{
    for (unsigned i = 0; i < n_encap_dlt; i++)
        if (encap_dlt[i].encap == encap)
            return encap_dlt[i].dlt;
    return -1;
}

/* The filter compiled for each link type met so far. */
struct filters {
    const char *expr;
    unsigned n;
    int dlt[MAX_FILTERS];
    struct bpf_program prog[MAX_FILTERS];
};

/* 1: pass, 0: filtered out, -1: cannot compile (err set). */
static int filter_pass(struct filters *fs, int dlt, const struct pcap_pkthdr *h,
                       const uint8_t *data, char *err, size_t errlen)
{
    if (!fs->expr)
        return 1;
    unsigned i = 0;
    while (i < fs->n && fs->dlt[i] != dlt)
        i++;
    if (i == fs->n) {
        if (fs->n == MAX_FILTERS) {
            snprintf(err, errlen, "more than %d link types in one file", MAX_FILTERS);
            return -1;
        }
        pcap_t *dead = pcap_open_dead(dlt, 262144);
        if (!dead || pcap_compile(dead, &fs->prog[i], fs->expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
            snprintf(err, errlen, "bad filter '%s' for link type %d: %s", fs->expr, dlt,
                     dead ? pcap_geterr(dead) : "out of memory");
            if (dead)
                pcap_close(dead);
            return -1;
        }
        pcap_close(dead);
        fs->dlt[i] = dlt;
        fs->n++;
    }
    return pcap_offline_filter(&fs->prog[i], h, data) != 0;
}

enum source_status source_read_wiretap(const char *path, uint64_t skip, const char *filter,
                                       frame_fn fn, void *ctx, volatile int *stop,
                                       uint64_t *unsupported, char *err, size_t errlen)
{
    char why[256];
    if (!wiretap_start(why, sizeof(why))) {
        snprintf(err, errlen, "%s: %s", path, why);
        return SOURCE_FAILED;
    }
    int werr = 0;
    gchar *info = NULL;
    wtap *w = wt.open_offline(path, WTAP_TYPE_AUTO, &werr, &info, FALSE);
    if (!w) {
        snprintf(err, errlen, "%s: %s%s%s", path, wt.strerror(werr), info ? ": " : "",
                 info ? info : "");
        wt.g_free(info);
        return SOURCE_FAILED;
    }
    wtap_rec rec;
    Buffer buf;
    gint64 offset;
    struct filters fs = {.expr = filter};
    enum source_status status = SOURCE_OK;
    uint64_t passed = 0, decodable = 0;
    wt.rec_init(&rec);
    wt.buffer_init(&buf, 2048);
    while (wt.read(w, &rec, &buf, &werr, &info, &offset)) {
        if (rec.rec_type != REC_TYPE_PACKET) {
            wt.rec_reset(&rec);
            continue;
        }
        const wtap_packet_header *ph = &rec.rec_header.packet_header;
        int dlt = dlt_of_encap(ph->pkt_encap);
        if (dlt < 0) {
            (*unsupported)++;
            wt.rec_reset(&rec);
            continue;
        }
        decodable++;
        const uint8_t *data = buf.data + buf.start; /* ws_buffer_start_ptr, a macro */
        int has_ts = (rec.presence_flags & WTAP_HAS_TS) != 0;
        struct pcap_pkthdr h = {
            {has_ts ? rec.ts.secs : 0, has_ts ? rec.ts.nsecs / 1000 : 0}, ph->caplen, ph->len};
        int pass = filter_pass(&fs, dlt, &h, data, err, errlen);
        if (pass < 0) {
            status = SOURCE_FAILED;
            break;
        }
        if (pass && passed++ >= skip) {
            struct frame fr = {source_timestamp_us(h.ts.tv_sec, h.ts.tv_usec), ph->caplen, ph->len,
                               data, NULL};
            fn(ctx, dlt, &fr);
        }
        wt.rec_reset(&rec);
        if (stop && *stop) {
            status = SOURCE_STOPPED;
            break;
        }
    }
    if (status == SOURCE_OK && werr != 0) {
        status = werr == WTAP_ERR_SHORT_READ ? SOURCE_TRUNCATED : SOURCE_FAILED;
        snprintf(err, errlen, "%s: %s%s%s%s", path, wt.strerror(werr), info ? ": " : "",
                 info ? info : "", status == SOURCE_TRUNCATED ? "; kept what came before" : "");
    }
    /* wiretap also opens JSON, images and other files as one record each:
     * without a packet tlsmon can decode, it was not a capture. */
    if ((status == SOURCE_OK || status == SOURCE_TRUNCATED) && decodable == 0 && skip == 0) {
        snprintf(err, errlen, "%s: no packets of a link type tlsmon decodes", path);
        status = SOURCE_FAILED;
    }
    wt.g_free(info);
    for (unsigned i = 0; i < fs.n; i++)
        pcap_freecode(&fs.prog[i]);
    wt.buffer_free(&buf);
    wt.rec_cleanup(&rec);
    wt.close(w);
    return status;
}
