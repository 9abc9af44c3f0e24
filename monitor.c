/* monitor.c: see monitor.h.
 *
 * Worker processes, not threads: the dissectors keep process-wide counters
 * and scratch buffers (session, reassembly, QUIC, nDPI), so a process per
 * worker gives each its own without touching them, and a crash in one
 * worker's dissector cannot corrupt another's state. Each worker's capture
 * handles join one PACKET_FANOUT group per interface in hash mode; the
 * kernel hashes a packet's flow with __skb_get_hash_symmetric
 * (net/packet/af_packet.c, fanout_demux_hash), the same value for both
 * directions of a TCP or UDP flow, so one flow always reaches one worker.
 * (Tunnelled traffic is hashed by its outer headers, and a VXLAN or GTP-U
 * sender picks the outer source port per inner flow and direction: use one
 * worker for such links.)
 *
 * Times: packets carry the kernel's capture time, as offline; flows also
 * expire by the wall clock each second, so a quiet link still settles its
 * handshakes. Summary intervals are wall-clock intervals from the start. */
#include "monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "worker_pipe.h"

#define TICK_MS 1000
/* At a stop, packets already captured may sit in a ring block the kernel
 * has not handed on yet (it does after its 250 ms block timeout): read on
 * this long so they are not lost. */
#define DRAIN_MS 600

static volatile sig_atomic_t stop_flag, hup_flag, usr1_flag;

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        hup_flag = 1;
    else if (sig == SIGUSR1)
        usr1_flag = 1;
    else
        stop_flag = 1;
}

/* No SA_RESTART: a signal wakes poll() at once. Workers leave SIGHUP and
 * SIGUSR1 to the parent (a terminal's hangup reaches the whole group). */
static void install_signals(int worker)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (!worker) {
        sigaction(SIGHUP, &sa, NULL);
        sigaction(SIGUSR1, &sa, NULL);
    } else {
        signal(SIGHUP, SIG_IGN);
        signal(SIGUSR1, SIG_IGN);
    }
    signal(SIGPIPE, SIG_IGN);
}

static int64_t clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void tap_settle(void *ctx, const struct tls_handshake *hs)
{
    metrics_add_handshake(ctx, hs);
}

static void tap_plaintext(void *ctx, const struct plaintext_record *pr)
{
    metrics_add_plaintext(ctx, pr);
}

void monitor_metrics_tap(struct engine_tap *tap, struct metrics *m)
{
    memset(tap, 0, sizeof(*tap));
    tap->settle = tap_settle;
    tap->plaintext = tap_plaintext;
    tap->ctx = m;
}

/* Read packets into e until a stop is asked for, calling tick about once a
 * second and at once after SIGHUP or SIGUSR1. Returns 0, or -1 when the
 * capture failed (message in err). */
static int capture_loop(struct live *l, struct engine *e, void (*tick)(void *, int64_t), void *ctx,
                        char *err, size_t errlen)
{
    int64_t next = clock_ms() + TICK_MS;
    while (!stop_flag) {
        int64_t now = clock_ms();
        int wait = next > now ? (int)(next - now) : 0;
        if (live_poll(l, wait, engine_frame, e, err, errlen) == LIVE_FAILED)
            return -1;
        now = clock_ms();
        if (now >= next || hup_flag || usr1_flag) {
            tick(ctx, wall_us());
            if (now >= next)
                next = now + TICK_MS;
        }
    }
    for (int64_t end = clock_ms() + DRAIN_MS; clock_ms() < end;)
        if (live_poll(l, 50, engine_frame, e, err, errlen) == LIVE_FAILED)
            return -1;
    return 0;
}

static void snapshot_of(struct engine *e, struct live *l, struct metrics_snapshot *s)
{
    memset(s, 0, sizeof(*s));
    engine_counters(e, &s->c);
    if (l)
        live_get_stats(l, &s->cap);
    s->flows_active = engine_active_flows(e);
}

/* ---- what the process that writes the files does each tick ------------ */

struct reporter {
    const struct monitor_options *o;
    struct engine *e;
    struct metrics *m;
    int64_t next_interval_ms;
    int rc;
    void (*snapshot)(void *ctx, struct metrics_snapshot *s);
    void *snapshot_ctx;
};

static void write_metrics(struct reporter *r, enum metrics_when when, int64_t now_us)
{
    struct metrics_snapshot s;
    char err[512];
    r->snapshot(r->snapshot_ctx, &s);
    if (metrics_write(r->m, when, engine_summary(r->e), &s, now_us, err, sizeof(err)) < 0) {
        /* A full disk may free up: warn, go on, and say so at the end. */
        fprintf(stderr, "tlsmon: %s\n", err);
        r->rc = EXIT_OUTPUT;
    }
}

static void report_tick(struct reporter *r, int64_t now_us)
{
    char err[512];
    if (engine_flush_log(r->e, err, sizeof(err)) < 0) {
        /* The log stops at its first write error: stop, say why, and let
         * the supervisor start again once it can be written. */
        fprintf(stderr, "tlsmon: %s\n", err);
        r->rc = EXIT_OUTPUT;
        stop_flag = 1;
    }
    if (hup_flag) {
        hup_flag = 0;
        if (engine_reopen_log(r->e, err, sizeof(err)) < 0) {
            fprintf(stderr, "tlsmon: %s\n", err);
            r->rc = EXIT_OUTPUT;
            stop_flag = 1;
        }
    }
    if (usr1_flag) {
        usr1_flag = 0;
        write_metrics(r, METRICS_NOW, now_us);
    }
    int64_t now = clock_ms(), step = (int64_t)r->o->interval_s * 1000;
    if (now >= r->next_interval_ms) {
        write_metrics(r, METRICS_INTERVAL, now_us);
        /* On the grid from the start; after a stall, the next one on it. */
        r->next_interval_ms += step;
        if (r->next_interval_ms <= now)
            r->next_interval_ms += (now - r->next_interval_ms) / step * step + step;
    }
}

/* The end: every open handshake settled and logged, the final summary. */
static void report_final(struct reporter *r)
{
    char err[512];
    if (engine_finish(r->e, err, sizeof(err)) < 0) {
        fprintf(stderr, "tlsmon: %s\n", err);
        r->rc = EXIT_OUTPUT;
    }
    write_metrics(r, METRICS_FINAL, wall_us());
}

/* ---- one process ------------------------------------------------------- */

struct single {
    struct reporter r;
    struct live *l;
};

static void single_snapshot(void *ctx, struct metrics_snapshot *s)
{
    struct single *sp = ctx;
    snapshot_of(sp->r.e, sp->l, s);
}

static void single_tick(void *ctx, int64_t now_us)
{
    struct single *sp = ctx;
    engine_tick(sp->r.e, now_us);
    report_tick(&sp->r, now_us);
}

static int run_single(struct reporter *r, struct live *l)
{
    struct single sp = {*r, l};
    char err[512];
    sp.r.snapshot = single_snapshot;
    sp.r.snapshot_ctx = &sp;
    int rc = EXIT_OK;
    if (capture_loop(l, r->e, single_tick, &sp, err, sizeof(err)) < 0) {
        fprintf(stderr, "tlsmon: %s\n", err);
        rc = EXIT_INPUT;
    }
    report_final(&sp.r);
    return rc != EXIT_OK ? rc : sp.r.rc;
}

/* ---- worker processes -------------------------------------------------- */

struct worker_ctx {
    struct engine *e;
    struct live *l;
    struct wpipe_writer *w;
};

static void worker_send_snapshot(struct worker_ctx *wc)
{
    struct metrics_snapshot s;
    snapshot_of(wc->e, wc->l, &s);
    wpipe_send_snapshot(wc->w, &s);
    if (wpipe_flush(wc->w) < 0)
        stop_flag = 1; /* the parent has gone */
}

static void worker_tick(void *ctx, int64_t now_us)
{
    struct worker_ctx *wc = ctx;
    engine_tick(wc->e, now_us);
    worker_send_snapshot(wc);
}

/* The child: dissect this worker's share and send everything up. */
static void worker_main(const struct monitor_options *o, struct live *l, int fd, pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(EXIT_INTERNAL);
    install_signals(1);
    struct worker_ctx wc = {NULL, l, wpipe_writer_new(fd)};
    struct engine_options eo = o->engine;
    char err[512];
    int rc = EXIT_OK;
    if (!wc.w)
        _exit(EXIT_INTERNAL);
    eo.log_path = NULL; /* the parent writes the log and the report */
    eo.report = NULL;
    if (!(wc.e = engine_new(&eo, err, sizeof(err)))) {
        fprintf(stderr, "tlsmon: worker: %s\n", err);
        _exit(EXIT_INTERNAL);
    }
    engine_set_tap(wc.e, wpipe_tap(wc.w));
    if (capture_loop(l, wc.e, worker_tick, &wc, err, sizeof(err)) < 0) {
        fprintf(stderr, "tlsmon: %s\n", err);
        rc = EXIT_INPUT;
    }
    engine_finish(wc.e, err, sizeof(err)); /* settles open handshakes into the pipe */
    worker_send_snapshot(&wc);
    /* _exit: the parent's stdio buffers, copied at fork, are not ours to
     * flush. */
    _exit(rc);
}

struct pool {
    struct reporter r;
    unsigned n;
    pid_t pid[MONITOR_MAX_WORKERS];
    struct wpipe_reader *rd[MONITOR_MAX_WORKERS];
    int open[MONITOR_MAX_WORKERS];
    uint64_t next_seq;
};

static void pool_snapshot(void *ctx, struct metrics_snapshot *s)
{
    struct pool *p = ctx;
    struct run_counters own;
    memset(s, 0, sizeof(*s));
    for (unsigned i = 0; i < p->n; i++)
        if (p->rd[i])
            metrics_snapshot_add(s, wpipe_snapshot(p->rd[i]));
    engine_counters(p->r.e, &own); /* the log is the parent's */
    s->c.log_written = own.log_written;
    s->c.log_out_of_order = own.log_out_of_order;
}

static void pool_stop(struct pool *p)
{
    for (unsigned i = 0; i < p->n; i++)
        if (p->open[i])
            kill(p->pid[i], SIGTERM);
}

/* Fork a worker per capture set. Returns 0, or -1 (what started is
 * stopped again by the caller). */
static int pool_start(struct pool *p, const struct monitor_options *o, struct live **lives)
{
    pid_t parent = getpid();
    fflush(NULL); /* nothing buffered is copied into the children */
    for (unsigned i = 0; i < p->n; i++) {
        int fd[2];
        if (pipe(fd) < 0) {
            fprintf(stderr, "tlsmon: pipe: %s\n", strerror(errno));
            return -1;
        }
        fcntl(fd[1], F_SETPIPE_SZ, 1 << 20); /* room for bursts; best effort */
        pid_t pid = fork();
        if (pid < 0) {
            fprintf(stderr, "tlsmon: fork: %s\n", strerror(errno));
            close(fd[0]);
            close(fd[1]);
            return -1;
        }
        if (pid == 0) {
            close(fd[0]);
            for (unsigned j = 0; j < p->n; j++) {
                if (j != i)
                    live_close(lives[j]);
                if (j < i)
                    wpipe_reader_free(p->rd[j]);
            }
            worker_main(o, lives[i], fd[1], parent);
        }
        close(fd[1]);
        p->pid[i] = pid;
        if (!(p->rd[i] = wpipe_reader_new(fd[0]))) {
            close(fd[0]);
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            return -1;
        }
        p->open[i] = 1;
    }
    return 0;
}

/* A worker's stream ended: reap it. Returns its exit status. */
static int reap(struct pool *p, unsigned i)
{
    int st = 0;
    p->open[i] = 0;
    while (waitpid(p->pid[i], &st, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    fprintf(stderr, "tlsmon: worker %u (pid %d) died of signal %d\n", i, (int)p->pid[i],
            WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    return EXIT_INTERNAL;
}

/* Read the workers until every one has ended; stop them all when asked
 * to, or when one ends on its own (its share of the flows would be lost). */
static int pool_loop(struct pool *p)
{
    int rc = EXIT_OK, stopping = 0;
    int64_t next = clock_ms() + TICK_MS, stop_at = 0;
    for (;;) {
        struct pollfd pfd[MONITOR_MAX_WORKERS];
        unsigned idx[MONITOR_MAX_WORKERS], k = 0;
        for (unsigned i = 0; i < p->n; i++) {
            if (!p->open[i])
                continue;
            pfd[k].fd = wpipe_reader_fd(p->rd[i]);
            pfd[k].events = POLLIN;
            pfd[k].revents = 0;
            idx[k++] = i;
        }
        if (k == 0)
            break;
        if (stop_flag && !stopping) {
            stopping = 1;
            stop_at = clock_ms();
            pool_stop(p);
        }
        if (stopping && clock_ms() - stop_at > 30000) { /* a worker hangs */
            for (unsigned j = 0; j < k; j++)
                kill(p->pid[idx[j]], SIGKILL);
        }
        int64_t now = clock_ms();
        poll(pfd, k, next > now ? (int)(next - now) : 0);
        for (unsigned j = 0; j < k; j++) {
            unsigned i = idx[j];
            if (!pfd[j].revents)
                continue;
            int s = wpipe_read(p->rd[i], p->r.e, &p->next_seq);
            if (s == 1)
                continue;
            if (s < 0) {
                fprintf(stderr, "tlsmon: worker %u: garbled stream\n", i);
                kill(p->pid[i], SIGKILL);
            }
            int st = reap(p, i);
            if (s < 0)
                st = EXIT_INTERNAL;
            if (st != EXIT_OK && rc == EXIT_OK)
                rc = st == EXIT_INPUT ? EXIT_INPUT : EXIT_INTERNAL;
            if (!stop_flag)
                fprintf(stderr, "tlsmon: worker %u ended; stopping the others\n", i);
            stop_flag = 1;
        }
        now = clock_ms();
        if (now >= next || hup_flag || usr1_flag) {
            report_tick(&p->r, wall_us());
            if (now >= next)
                next = now + TICK_MS;
        }
    }
    return rc;
}

static int run_pool(struct reporter *r, struct live **lives, unsigned n, const char *listening)
{
    struct pool *p = calloc(1, sizeof(*p));
    if (!p) {
        for (unsigned i = 0; i < n; i++)
            live_close(lives[i]);
        return EXIT_INTERNAL;
    }
    p->r = *r;
    p->n = n;
    p->next_seq = 1;
    p->r.snapshot = pool_snapshot;
    p->r.snapshot_ctx = p;
    int rc = EXIT_OK;
    if (pool_start(p, r->o, lives) < 0) {
        rc = EXIT_INTERNAL;
        stop_flag = 1;
    }
    for (unsigned i = 0; i < n; i++) /* the parent reads no packets */
        live_close(lives[i]);
    if (rc == EXIT_OK)
        fprintf(stderr, "%s\n", listening);
    int lrc = pool_loop(p);
    report_final(&p->r);
    fprintf(stderr, "tlsmon: packets by worker:");
    for (unsigned i = 0; i < n; i++)
        fprintf(stderr, " %llu",
                p->rd[i] ? (unsigned long long)wpipe_snapshot(p->rd[i])->c.packets : 0ULL);
    fprintf(stderr, "\n");
    if (rc == EXIT_OK)
        rc = lrc != EXIT_OK ? lrc : p->r.rc;
    for (unsigned i = 0; i < n; i++)
        wpipe_reader_free(p->rd[i]);
    free(p);
    return rc;
}

static void describe(const struct monitor_options *o, struct live *l, unsigned n, char *out,
                     size_t len)
{
    char ifs[400];
    const struct passwd *pw = getpwuid(geteuid());
    live_describe(l, ifs, sizeof(ifs));
    snprintf(out, len,
             "tlsmon: listening on %s; snaplen %d, buffer %d MiB%s, %spromiscuous; %u worker%s; "
             "running as %s",
             ifs, o->live.snaplen, o->live.buffer_mib, n > 1 ? " per worker" : "",
             o->live.promisc ? "" : "not ", n, n == 1 ? "" : "s", pw ? pw->pw_name : "?");
}

int monitor_run(const struct monitor_options *o)
{
    char err[512], listening[600];
    unsigned n = o->workers ? o->workers : 1;
    struct live *lives[MONITOR_MAX_WORKERS] = {NULL};
    struct live_fanout fanout;
    memset(&fanout, 0, sizeof(fanout));
    install_signals(0);
    for (unsigned i = 0; i < n; i++) {
        if (!(lives[i] = live_open(&o->live, n > 1 ? &fanout : NULL, err, sizeof(err)))) {
            fprintf(stderr, "tlsmon: %s\n", err);
            for (unsigned j = 0; j < i; j++)
                live_close(lives[j]);
            return EXIT_INPUT;
        }
    }
    /* Before the first packet is parsed, and before the log is opened, so
     * that the file is made, and reopened after SIGHUP, by the same user. */
    if (live_drop_privileges(o->user, o->keep_root, err, sizeof(err)) < 0) {
        fprintf(stderr, "tlsmon: %s\n", err);
        for (unsigned i = 0; i < n; i++)
            live_close(lives[i]);
        return EXIT_PRIVILEGES;
    }
    describe(o, lives[0], n, listening, sizeof(listening));
    struct metrics_options mo = {o->json_path, o->prom_path, o->text, n};
    struct metrics *m = metrics_new(&mo, wall_us());
    struct engine_tap tap;
    struct engine *e = NULL;
    int rc = EXIT_INTERNAL;
    if (m) {
        errno = 0;
        e = n > 1 ? engine_new_report_only(&o->engine, err, sizeof(err))
                  : engine_new(&o->engine, err, sizeof(err));
        if (!e) {
            fprintf(stderr, "tlsmon: %s\n", err);
            rc = errno == ENOMEM ? EXIT_INTERNAL : EXIT_OUTPUT;
        } else {
            monitor_metrics_tap(&tap, m);
            engine_set_tap(e, &tap);
        }
    }
    if (!e) {
        for (unsigned i = 0; i < n; i++)
            live_close(lives[i]);
        metrics_free(m);
        return rc;
    }
    struct reporter r = {o, e, m, clock_ms() + (int64_t)o->interval_s * 1000, EXIT_OK, NULL, NULL};
    if (n > 1) {
        rc = run_pool(&r, lives, n, listening);
    } else {
        fprintf(stderr, "%s\n", listening);
        rc = run_single(&r, lives[0]);
        live_close(lives[0]);
    }
    engine_free(e);
    metrics_free(m);
    return rc;
}
