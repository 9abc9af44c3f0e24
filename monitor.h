/* monitor.h: the live run (tlsmon -i). The capture is opened, privileges
 * are dropped, then one process, or a parent and N worker processes, read
 * packets until SIGINT or SIGTERM; summaries are written every interval;
 * SIGHUP reopens the log, SIGUSR1 writes a summary now. */
#ifndef TLSMON_MONITOR_H
#define TLSMON_MONITOR_H

#include <stdio.h>

#include "capture/live.h"
#include "engine.h"
#include "report/metrics.h"

/* Exit statuses (README.md, --help, tlsmon.8). */
enum {
    EXIT_OK = 0,
    EXIT_INPUT = 1,  /* an input could not be read (a capture, an interface) */
    EXIT_USAGE = 2,  /* bad command line */
    EXIT_OUTPUT = 3, /* the log or a summary could not be written */
    EXIT_INTERNAL = 4,
    EXIT_PRIVILEGES = 5, /* could not drop privileges, or would parse as root */
};

#define MONITOR_MAX_WORKERS 64

struct monitor_options {
    struct live_options live;
    struct engine_options engine; /* log, readiness report, limits (per worker) */
    const char *user;             /* -Z; NULL: "nobody" when started as root */
    int keep_root;                /* --no-drop-privileges */
    unsigned workers;
    unsigned interval_s;
    const char *json_path, *prom_path; /* NULL: none */
    FILE *text;                        /* the text summaries; NULL: none (-q) */
};

/* Run until stopped. Returns the exit status. */
int monitor_run(const struct monitor_options *o);

/* An engine tap that feeds m. */
void monitor_metrics_tap(struct engine_tap *tap, struct metrics *m);

#endif
