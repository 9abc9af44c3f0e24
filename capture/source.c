/* source.c: see source.h. Files are read through stdio with a 1 MiB buffer
 * (pcap_open_offline reads 4 KiB at a time, which costs more than the rest
 * of the per-packet work on large captures). */
#include "source.h"

#include <dirent.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "decode.h"

#define READ_BUFFER (1u << 20)

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

enum source_status source_read_file(const char *path, const char *filter, frame_fn fn, void *ctx,
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
    enum source_status status = source_read_stream(fp, is_stdin ? "(stdin)" : path, size, filter,
                                                   fn, ctx, stop, err, errlen);
    free(iobuf); /* source_read_stream closed fp */
    return status;
}

enum source_status source_read_stream(FILE *fp, const char *name, long size, const char *filter,
                                      frame_fn fn, void *ctx, volatile int *stop, char *err,
                                      size_t errlen)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
    if (!p) {
        describe_open_error(name, ebuf, size, err, errlen);
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
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
        struct frame fr = {source_timestamp_us(h->ts.tv_sec, h->ts.tv_usec), h->caplen, h->len,
                           data};
        fn(ctx, lt, &fr);
        if (stop && *stop) {
            status = SOURCE_STOPPED;
            goto out;
        }
    }
    if (rc == -1) {
        const char *e = pcap_geterr(p);
        if (strstr(e, "truncated") || strstr(e, "cut short")) {
            snprintf(err, errlen, "%s: the last packet is cut short (%s); kept what came before",
                     name, e);
            status = SOURCE_TRUNCATED;
        } else {
            snprintf(err, errlen, "%s: read error: %s", name, e);
            status = SOURCE_FAILED;
        }
    }
out:
    pcap_close(p); /* closes fp */
    return status;
}

const char *source_libpcap_version(void)
{
    return pcap_lib_version();
}
