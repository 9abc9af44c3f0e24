/* engine.h: the pipeline. Frames from capture/ are decoded, put in flows,
 * reassembled, and handed to dissect/; settled handshakes go to report/. */
#ifndef TLSMON_ENGINE_H
#define TLSMON_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "capture/source.h"
#include "report/readiness.h"
#include "report/summary.h"

struct engine_options {
    size_t max_flows;         /* flow table cap */
    int64_t idle_us;          /* flows idle this long end */
    const char *log_path;     /* NULL: no log */
    struct readiness *report; /* NULL: no readiness report (tlsmon --report) */
};

struct engine;

struct engine *engine_new(const struct engine_options *opt, char *err, size_t errlen);

/* The frame callback for source_read_file. */
void engine_frame(void *engine, int linktype, const struct frame *fr);

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
