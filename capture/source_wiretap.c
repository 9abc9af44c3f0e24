/* source_wiretap.c: see source_wiretap.h. Only for files libpcap refuses:
 * wiretap copies each record into its own buffer and reads in the calling
 * thread, slower than the libpcap path but on files that are rare. */
#include "source_wiretap.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <wiretap/wtap.h>
#include <wsutil/buffer.h>
#include <wsutil/wslog.h>

#include "decode.h"

/* Not in wiretap's public headers in Wireshark 4.0 (its reverse is). */
int wtap_pcap_encap_to_wtap_encap(int encap);

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

static void wiretap_start(void)
{
    static int started;
    if (started)
        return;
    started = 1;
    /* wiretap logs its parsing at debug level to stderr unless told. */
    ws_log_set_writer_with_data(discard_log, NULL, NULL);
    ws_log_set_level(LOG_LEVEL_CRITICAL);
    wtap_init(FALSE);
    for (int dlt = 0; dlt < 512 && n_encap_dlt < MAX_LINKTYPES; dlt++) {
        int encap = decode_linktype_supported(dlt) ? wtap_pcap_encap_to_wtap_encap(dlt) : -1;
        int known = 0;
        for (unsigned i = 0; i < n_encap_dlt; i++)
            known |= encap_dlt[i].encap == encap;
        if (encap > 0 && !known) /* the first link type of an encapsulation names it */
            encap_dlt[n_encap_dlt++] = (typeof(encap_dlt[0])){encap, dlt};
    }
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
    wiretap_start();
    int werr = 0;
    gchar *info = NULL;
    wtap *w = wtap_open_offline(path, WTAP_TYPE_AUTO, &werr, &info, FALSE);
    if (!w) {
        snprintf(err, errlen, "%s: %s%s%s", path, wtap_strerror(werr), info ? ": " : "",
                 info ? info : "");
        g_free(info);
        return SOURCE_FAILED;
    }
    wtap_rec rec;
    Buffer buf;
    gint64 offset;
    struct filters fs = {.expr = filter};
    enum source_status status = SOURCE_OK;
    uint64_t passed = 0;
    wtap_rec_init(&rec);
    ws_buffer_init(&buf, 2048);
    while (wtap_read(w, &rec, &buf, &werr, &info, &offset)) {
        if (rec.rec_type != REC_TYPE_PACKET) {
            wtap_rec_reset(&rec);
            continue;
        }
        const wtap_packet_header *ph = &rec.rec_header.packet_header;
        int dlt = dlt_of_encap(ph->pkt_encap);
        if (dlt < 0) {
            (*unsupported)++;
            wtap_rec_reset(&rec);
            continue;
        }
        const uint8_t *data = ws_buffer_start_ptr(&buf);
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
        wtap_rec_reset(&rec);
        if (stop && *stop) {
            status = SOURCE_STOPPED;
            break;
        }
    }
    if (status == SOURCE_OK && werr != 0) {
        status = werr == WTAP_ERR_SHORT_READ ? SOURCE_TRUNCATED : SOURCE_FAILED;
        snprintf(err, errlen, "%s: %s%s%s%s", path, wtap_strerror(werr), info ? ": " : "",
                 info ? info : "", status == SOURCE_TRUNCATED ? "; kept what came before" : "");
    }
    g_free(info);
    for (unsigned i = 0; i < fs.n; i++)
        pcap_freecode(&fs.prog[i]);
    ws_buffer_free(&buf);
    wtap_rec_cleanup(&rec);
    wtap_close(w);
    return status;
}
