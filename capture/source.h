/* source.h: packets from capture files (pcap, pcapng; a directory; stdin)
 * through libpcap. Interfaces are in live.h. */
#ifndef TLSMON_SOURCE_H
#define TLSMON_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One captured frame as the source hands it on. */
struct frame {
    int64_t ts_us;
    uint32_t caplen, len;
    const uint8_t *data;
    const void *prep; /* what the frame_prepare stage made of it, or NULL */
};

typedef void (*frame_fn)(void *ctx, int linktype, const struct frame *fr);

enum source_status {
    SOURCE_OK = 0,    /* read to the end */
    SOURCE_TRUNCATED, /* the last record was cut short: what came before was read */
    SOURCE_STOPPED,   /* *stop was set */
    SOURCE_FAILED,    /* could not be opened or read (message in err) */
};

/* Work on a frame that depends on the frame alone (decoding it, say): when
 * the capture is read in a thread of its own, that thread does it, ahead
 * of fn, writing size bytes at out that fn finds at fr->prep. It must read
 * nothing fn changes. It sees the frame's bytes where libpcap read them,
 * not where fn will: what it writes must not point into them (offsets
 * from fr->data do). */
struct frame_prepare {
    void (*fn)(void *ctx, int linktype, const struct frame *fr, void *out);
    void *ctx;
    size_t size;
    /* Optional, in fn's thread: a hint that frame fr (with its prepared
     * bytes) comes PREFETCH_AHEAD frames after the one fn is given next, so
     * the state it needs can be fetched from memory while earlier frames
     * are handled. Called once per frame, in order (but not for the last
     * frames of a batch). */
    void (*prefetch)(void *ctx, const struct frame *fr);
};
enum { PREFETCH_AHEAD = 8 };

/* Read every frame of one capture file ("-" is stdin) and hand it to fn.
 * filter is a BPF expression or NULL. Errors name the file and the cause. */
enum source_status source_read_file(const char *path, const char *filter, frame_fn fn, void *ctx,
                                    volatile int *stop, char *err, size_t errlen);
/* The same with a prepare stage (prep may be NULL). */
enum source_status source_read_file_prepared(const char *path, const char *filter, frame_fn fn,
                                             void *ctx, const struct frame_prepare *prep,
                                             volatile int *stop, char *err, size_t errlen);

/* The same for an open stream (fmemopen, a pipe): fp is closed on return.
 * name is used in messages; size is the byte count if known, else -1. */
enum source_status source_read_stream(FILE *fp, const char *name, long size, const char *filter,
                                      frame_fn fn, void *ctx, volatile int *stop, char *err,
                                      size_t errlen);
enum source_status source_read_stream_prepared(FILE *fp, const char *name, long size,
                                               const char *filter, frame_fn fn, void *ctx,
                                               const struct frame_prepare *prep, volatile int *stop,
                                               char *err, size_t errlen);

/* Is path a directory? */
int source_is_directory(const char *path);

/* The regular files below a directory (subdirectories included), sorted by
 * path (malloc'd, NULL-ended). */
char **source_list_directory(const char *path, char *err, size_t errlen);
void source_free_list(char **list);

/* Does the file start with a pcap or pcapng magic number? */
int source_looks_like_capture(const char *path);

const char *source_libpcap_version(void);

/* Microseconds since the epoch of a libpcap timestamp, clamped (a pcapng
 * timestamp can be any 64-bit value). */
int64_t source_timestamp_us(int64_t sec, int64_t usec);

#endif
