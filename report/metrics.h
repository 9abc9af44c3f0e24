/* metrics.h: interval summaries of a long run. Every interval (and on
 * request, and at the end) a summary of that interval and of the run so
 * far: as text, as a JSON file, and as Prometheus metrics in the
 * node_exporter textfile-collector format. Files are replaced atomically (a
 * temporary file beside them, then rename), so a reader never sees half of
 * one.
 *
 * The text keeps summary.c's layout; the version, service and drop figures
 * of the JSON and the metrics are counted here from the same records, so
 * summary.c's tables stay private. Tables are bounded (METRICS_MAX_SERVICES);
 * what did not fit is counted. */
#ifndef TLSMON_METRICS_H
#define TLSMON_METRICS_H

#include <stdint.h>
#include <stdio.h>

#include "../capture/live.h"
#include "../dissect/handshake.h"
#include "summary.h"

#define METRICS_MAX_SERVICES 1000

/* The capture side's figures at one moment. Everything in it is
 * cumulative, so the snapshots of several workers add up. */
struct metrics_snapshot {
    struct run_counters c;
    struct live_stats cap; /* n == 0: not a live capture */
    uint64_t flows_active;
};

/* a += b: counters add up; peaks add up too (a bound on the joint peak);
 * the time span is the union. */
void metrics_snapshot_add(struct metrics_snapshot *a, const struct metrics_snapshot *b);

struct metrics_options {
    const char *json_path; /* NULL: no JSON file */
    const char *prom_path; /* NULL: no Prometheus file */
    FILE *text;            /* NULL: no text */
    unsigned workers;
};

struct metrics;

struct metrics *metrics_new(const struct metrics_options *o, int64_t start_us);
void metrics_free(struct metrics *m);

void metrics_add_handshake(struct metrics *m, const struct tls_handshake *hs);
void metrics_add_plaintext(struct metrics *m, const struct plaintext_record *pr);

enum metrics_when {
    METRICS_INTERVAL, /* the interval ended: write, then start the next one */
    METRICS_NOW,      /* on request: the interval so far, which goes on */
    METRICS_FINAL,    /* the run ended: the whole run's summary */
};

/* Write the summaries at now_us. run is the whole run's summary (for the
 * final text), snap the figures now. Returns 0, or -1 with a message naming
 * the file that could not be written (the others still are). */
int metrics_write(struct metrics *m, enum metrics_when when, const struct summary *run,
                  const struct metrics_snapshot *snap, int64_t now_us, char *err, size_t errlen);

#endif
