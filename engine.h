/* engine.h: the pipeline. Frames from capture/ are decoded, put in flows,
 * reassembled, and handed to dissect/; settled handshakes go to report/. */
#ifndef TLSMON_ENGINE_H
#define TLSMON_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "capture/source.h"
#include "report/readiness.h"
#include "report/summary.h"

/* Called with each record after the engine's own report side (summary,
 * readiness report, log): the interval metrics, and worker processes that
 * forward records to the process that writes the log. */
struct engine_tap {
    void (*begin)(void *ctx, const struct tls_handshake *hs);
    void (*settle)(void *ctx, const struct tls_handshake *hs);
    void (*plaintext)(void *ctx, const struct plaintext_record *pr);
    void *ctx;
};

struct engine_options {
    size_t max_flows;         /* flow table cap */
    int64_t idle_us;          /* flows idle this long end */
    const char *log_path;     /* NULL: no log */
    struct readiness *report; /* NULL: no readiness report (tlsmon --report) */
};

struct engine;

struct engine *engine_new(const struct engine_options *opt, char *err, size_t errlen);

/* An engine with no packets of its own: records dissected elsewhere
 * (worker processes) come in through engine_add_*; nDPI is not started. */
struct engine *engine_new_report_only(const struct engine_options *opt, char *err, size_t errlen);

/* Call tap (NULL: none) with every record from now on. */
void engine_set_tap(struct engine *e, const struct engine_tap *tap);

/* The frame callback for source_read_file and live_poll. */
void engine_frame(void *engine, int linktype, const struct frame *fr);

/* The part of engine_frame that depends on the frame alone (decoding, the
 * flow key and its hash), for the capture's reading thread to do ahead:
 * pass it to source_read_file_prepared. */
const struct frame_prepare *engine_frame_prepare(struct engine *e);

/* Time passes without packets (a quiet link): flows idle at now_us end, so
 * their handshakes settle. Time never goes back. */
void engine_tick(struct engine *e, int64_t now_us);

/* Records dissected by another engine (a worker process), in the order it
 * made them: begin reserves hs->seq's place in the log, settled writes it.
 * hs->protocol and hs->application are already named. */
void engine_add_begin(struct engine *e, const struct tls_handshake *hs);
void engine_add_settled(struct engine *e, const struct tls_handshake *hs);
void engine_add_plaintext(struct engine *e, const struct plaintext_record *pr);

/* Write buffered log lines out now (live: lines appear as they settle), and
 * reopen the log file (SIGHUP, after logrotate moved it). 0, or -1 with a
 * message. */
int engine_flush_log(struct engine *e, char *err, size_t errlen);
int engine_reopen_log(struct engine *e, char *err, size_t errlen);

/* Flows in the table now. */
uint64_t engine_active_flows(const struct engine *e);

/* End every flow (settling open handshakes) and flush the log. Returns 0, or
 * -1 with a message when the log could not be written. */
int engine_finish(struct engine *e, char *err, size_t errlen);

/* Counters and the summary so far. */
void engine_counters(const struct engine *e, struct run_counters *c);
const struct summary *engine_summary(const struct engine *e);

void engine_count_file(struct engine *e, int failed);

/* The bound on bytes held for reassembly (TCP segments, hello buffers). */
void engine_set_reassembly_cap(uint64_t bytes);

void engine_free(struct engine *e);

#endif
