/* worker_pipe.h: records and counters from a worker process to the parent,
 * over a pipe.
 *
 * A worker's engine dissects its share of the packets; its tap writes every
 * handshake's begin and settle, every plaintext record, and (each second)
 * its counters, as framed binary messages. The parent reads them and hands
 * the records to its own report-only engine, which keeps the one log, the
 * summary and the readiness report. Each worker numbers its handshakes in
 * start order; the parent renumbers them into one start order across
 * workers, as they arrive, so the log's ordering rule holds over the run.
 *
 * Both ends are the same binary on the same machine, so structs travel as
 * they are; only their few string pointers are sent as strings. */
#ifndef TLSMON_WORKER_PIPE_H
#define TLSMON_WORKER_PIPE_H

#include <stdint.h>

#include "engine.h"
#include "report/metrics.h"

struct wpipe_writer;

/* fd is the write end (blocking: a slow parent slows the worker, whose
 * kernel ring then fills, and those drops are counted). */
struct wpipe_writer *wpipe_writer_new(int fd);
void wpipe_writer_free(struct wpipe_writer *w);

/* The tap to give the worker's engine. */
const struct engine_tap *wpipe_tap(struct wpipe_writer *w);

void wpipe_send_snapshot(struct wpipe_writer *w, const struct metrics_snapshot *s);

/* Write out what is buffered. -1 when the parent has gone (EPIPE). */
int wpipe_flush(struct wpipe_writer *w);

struct wpipe_reader;

/* fd is the read end (made non-blocking here). */
struct wpipe_reader *wpipe_reader_new(int fd);
void wpipe_reader_free(struct wpipe_reader *r);

/* Read what is waiting and hand each record to e, numbered from *next_seq
 * (shared by every worker's reader). Returns 1 while the worker writes on,
 * 0 at the end of its stream, -1 on a garbled stream. */
int wpipe_read(struct wpipe_reader *r, struct engine *e, uint64_t *next_seq);

int wpipe_reader_fd(const struct wpipe_reader *r);

/* The worker's latest counters (zero before the first). */
const struct metrics_snapshot *wpipe_snapshot(const struct wpipe_reader *r);

#endif
