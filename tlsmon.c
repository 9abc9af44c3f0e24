/* tlsmon.c: command line. */
#include <errno.h>
#include <getopt.h>
#include <openssl/opensslv.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture/live.h"
#include "capture/source.h"
#include "dissect/classify.h"
#include "engine.h"
#include "monitor.h"
#include "report/metrics.h"
#include "report/readiness.h"

#ifndef TLSMON_VERSION
#define TLSMON_VERSION "0.1.0"
#endif

static volatile int stop_requested;
static const char **inputs; /* freed at exit, whichever way main returns */

static void free_inputs(void)
{
    free(inputs);
}

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void usage(FILE *out)
{
    fprintf(out, "Usage: tlsmon -r FILE [-r FILE ...] [options]\n"
                 "       tlsmon -i IFACE [-i IFACE ...] [options]\n"
                 "       tlsmon report [options] LOG...\n"
                 "\n"
                 "Passive TLS version monitor: reads packet captures, or listens on network\n"
                 "interfaces, and reports which SSL/TLS versions and cipher suites every\n"
                 "client and server offers and negotiates.\n"
                 "\n"
                 "Input:\n"
                 "  -r, --read FILE        read a pcap or pcapng file (or another format\n"
                 "                         Wireshark reads); a directory reads every capture\n"
                 "                         below it (sorted by path); '-' reads stdin.\n"
                 "                         Repeatable: flows continue across files.\n"
                 "  -i, --interface IFACE  listen on a network interface ('any': all of them).\n"
                 "                         Repeatable. Runs until SIGINT or SIGTERM\n"
                 "  -f, --filter 'BPF'     only packets matching this tcpdump-style filter\n"
                 "\n"
                 "Live capture (-i):\n"
                 "  --no-promisc           leave the interface out of promiscuous mode\n"
                 "  -s, --snaplen BYTES    bytes kept of each packet (default 262144: whole\n"
                 "                         frames, so every hello is whole)\n"
                 "  -B, --buffer-size MIB  the kernel ring of each interface and worker\n"
                 "                         (default 32)\n"
                 "  --immediate            hand packets on one by one (default: a ring block\n"
                 "                         at a time, fewer wake-ups)\n"
                 "  --workers N            spread flows over N worker processes (Linux\n"
                 "                         PACKET_FANOUT, hash mode; one flow, one worker);\n"
                 "                         --max-flows and --max-reassembly-mb are per worker\n"
                 "  --interval SEC         every SEC seconds (default 60) a summary of the\n"
                 "                         interval and of the run so far\n"
                 "  -Z, --user USER        run as USER once the capture is open (default\n"
                 "                         'nobody' when started as root)\n"
                 "  --no-drop-privileges   go on as root (tlsmon refuses to otherwise)\n"
                 "  Signals: SIGINT/SIGTERM settle every open handshake, write the final\n"
                 "  summary and exit 0; SIGHUP reopens the log; SIGUSR1 writes a summary now.\n"
                 "\n"
                 "Output:\n"
                 "  --log PATH             write the handshake log (NDJSON, one line per\n"
                 "                         handshake) to PATH, appending; '-' is stdout\n"
                 "  -q, --quiet            no summary on stdout\n"
                 "  --summary-json PATH    the summary as JSON (live: every interval), replaced\n"
                 "                         atomically\n"
                 "  --prom-file PATH       Prometheus metrics in the node_exporter textfile\n"
                 "                         format (live: every interval), replaced atomically\n"
                 "  --report FORMAT        at the end, the readiness report (what breaks at the\n"
                 "                         --floor) on stdout: text, csv, json or html; the\n"
                 "                         summary then goes to stderr. `tlsmon report LOG...`\n"
                 "                         makes the same report from logs (see its --help)\n"
                 "  --floor VERSION        the report's version floor (default 1.2)\n"
                 "  --labels FILE          the report's client fingerprint table\n"
                 "\n"
                 "Limits:\n"
                 "  --max-flows N          flows tracked at once (default 1000000); the least\n"
                 "                         recently seen flow is evicted at the cap (counted)\n"
                 "  --flow-timeout SEC     a flow idle this long ends (default 300; UDP flows at\n"
                 "                         most 60, closed connections linger 10)\n"
                 "  --max-reassembly-mb N  bytes held for TCP reassembly, and for hellos being\n"
                 "                         gathered, each at most N MiB in all (default 256);\n"
                 "                         past it a flow's handshake is given up and counted\n"
                 "\n"
                 "  -h, --help             this text\n"
                 "  -V, --version          version and library versions\n"
                 "\n"
                 "Exit status: 0 success (a capture whose last packet is cut short is a\n"
                 "warning); 1 an input could not be read (the others were), or an interface\n"
                 "could not be opened or went away; 2 usage error; 3 the log or a summary\n"
                 "could not be written; 4 internal error (out of memory, nDPI, a worker\n"
                 "died); 5 privileges could not be dropped.\n");
}

static void version(void)
{
    printf("tlsmon %s\n%s\nnDPI %s\n%s\n", TLSMON_VERSION, source_libpcap_version(),
           classify_ndpi_version(), OPENSSL_VERSION_TEXT);
}

static int parse_count(const char *opt, const char *arg, unsigned long long max,
                       unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (errno || *end || end == arg || v == 0 || v > max || arg[0] == '-') {
        fprintf(stderr, "tlsmon: %s: '%s' is not a number from 1 to %llu\n", opt, arg, max);
        return 0;
    }
    *out = v;
    return 1;
}

/* Read one named input (file, directory or stdin). Returns 0 or EXIT_INPUT. */
static int read_input(struct engine *e, const char *path, const char *filter)
{
    char err[512];
    int rc = EXIT_OK;
    if (source_is_directory(path)) {
        char **list = source_list_directory(path, err, sizeof(err));
        if (!list) {
            fprintf(stderr, "tlsmon: %s\n", err);
            engine_count_file(e, 1);
            return EXIT_INPUT;
        }
        int captures = 0, skipped = 0;
        char names[400] = "";
        for (char **p = list; *p && !stop_requested; p++) {
            if (!source_looks_like_capture(*p)) {
                /* One line per directory, naming the first few. */
                size_t used = strlen(names);
                if (skipped++ < 3 && used + strlen(*p) + 3 < sizeof(names))
                    snprintf(names + used, sizeof(names) - used, "%s%s", used ? ", " : "", *p);
                continue;
            }
            captures++;
            if (read_input(e, *p, filter) != EXIT_OK)
                rc = EXIT_INPUT;
        }
        source_free_list(list);
        if (skipped)
            fprintf(stderr, "tlsmon: %s: skipped %d file%s that %s not pcap or pcapng: %s%s\n",
                    path, skipped, skipped == 1 ? "" : "s", skipped == 1 ? "is" : "are", names,
                    skipped > 3 ? ", ..." : "");
        if (captures == 0) {
            fprintf(stderr, "tlsmon: %s: no pcap or pcapng captures in this directory\n", path);
            rc = EXIT_INPUT;
        }
        return rc;
    }
    enum source_status st = source_read_file_prepared(
        path, filter, engine_frame, e, engine_frame_prepare(e), &stop_requested, err, sizeof(err));
    engine_count_file(e, st == SOURCE_FAILED);
    if (st == SOURCE_FAILED) {
        fprintf(stderr, "tlsmon: %s\n", err);
        return EXIT_INPUT;
    }
    if (st == SOURCE_TRUNCATED)
        fprintf(stderr, "tlsmon: warning: %s\n", err);
    return EXIT_OK;
}

/* The end of an offline run: the JSON and Prometheus files, if asked for. */
static int write_offline_metrics(struct metrics *m, struct engine *e)
{
    struct metrics_snapshot snap;
    char err[512];
    memset(&snap, 0, sizeof(snap));
    engine_counters(e, &snap.c);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t now_us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
    if (metrics_write(m, METRICS_FINAL, engine_summary(e), &snap, now_us, err, sizeof(err)) < 0) {
        fprintf(stderr, "tlsmon: %s\n", err);
        return EXIT_OUTPUT;
    }
    return EXIT_OK;
}

static int write_report(struct readiness *report, enum readiness_format format)
{
    const char *nc = getenv("NO_COLOR");
    int color = format == READINESS_TEXT && isatty(STDOUT_FILENO) && !(nc && *nc);
    int rc = EXIT_OK;
    if (readiness_write(report, format, stdout, color) < 0 || fflush(stdout) != 0) {
        fprintf(stderr, "tlsmon: cannot write the report to stdout: %s\n", strerror(errno));
        rc = EXIT_OUTPUT;
    }
    readiness_free(report);
    return rc;
}

/* Options of the live capture, and what tlsmon.c keeps of the rest. */
struct cli {
    struct engine_options opt;
    struct monitor_options mon;
    const char *filter, *floor, *labels, *live_only; /* live_only: first -i-only option */
    enum readiness_format report_format;
    int want_report, ninputs, quiet;
};

static int parse_live_option(struct cli *cl, int c, const char *name)
{
    unsigned long long v;
    cl->live_only = cl->live_only ? cl->live_only : name;
    switch (c) {
    case 's':
        if (!parse_count("--snaplen", optarg, 262144, &v))
            return -1;
        cl->mon.live.snaplen = (int)v;
        return 0;
    case 'B':
        if (!parse_count("--buffer-size", optarg, 2047, &v))
            return -1;
        cl->mon.live.buffer_mib = (int)v;
        return 0;
    case 'Z':
        cl->mon.user = optarg;
        return 0;
    default:
        return -1;
    }
}

int main(int argc, char **argv)
{
    enum {
        OPT_LOG = 256,
        OPT_MAX_FLOWS,
        OPT_FLOW_TIMEOUT,
        OPT_MAX_REASM,
        OPT_REPORT,
        OPT_FLOOR,
        OPT_LABELS,
        OPT_NO_PROMISC,
        OPT_IMMEDIATE,
        OPT_WORKERS,
        OPT_INTERVAL,
        OPT_SUMMARY_JSON,
        OPT_PROM_FILE,
        OPT_NO_DROP,
    };
    static const struct option longopts[] = {
        {"read", required_argument, NULL, 'r'},
        {"interface", required_argument, NULL, 'i'},
        {"filter", required_argument, NULL, 'f'},
        {"log", required_argument, NULL, OPT_LOG},
        {"quiet", no_argument, NULL, 'q'},
        {"max-flows", required_argument, NULL, OPT_MAX_FLOWS},
        {"flow-timeout", required_argument, NULL, OPT_FLOW_TIMEOUT},
        {"max-reassembly-mb", required_argument, NULL, OPT_MAX_REASM},
        {"report", required_argument, NULL, OPT_REPORT},
        {"floor", required_argument, NULL, OPT_FLOOR},
        {"labels", required_argument, NULL, OPT_LABELS},
        {"no-promisc", no_argument, NULL, OPT_NO_PROMISC},
        {"snaplen", required_argument, NULL, 's'},
        {"buffer-size", required_argument, NULL, 'B'},
        {"immediate", no_argument, NULL, OPT_IMMEDIATE},
        {"workers", required_argument, NULL, OPT_WORKERS},
        {"interval", required_argument, NULL, OPT_INTERVAL},
        {"summary-json", required_argument, NULL, OPT_SUMMARY_JSON},
        {"prom-file", required_argument, NULL, OPT_PROM_FILE},
        {"user", required_argument, NULL, 'Z'},
        {"no-drop-privileges", no_argument, NULL, OPT_NO_DROP},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    struct cli cl;
    struct live_options *lo = &cl.mon.live;
    int c;
    unsigned long long v;

    /* `tlsmon report LOG...`: the readiness report from logs, its own options. */
    if (argc > 1 && strcmp(argv[1], "report") == 0)
        return readiness_main(argc - 1, argv + 1);

    memset(&cl, 0, sizeof(cl));
    cl.opt.max_flows = 1000000;
    cl.opt.idle_us = 300 * 1000000LL;
    cl.report_format = READINESS_TEXT;
    lo->promisc = 1;
    lo->snaplen = LIVE_DEFAULT_SNAPLEN;
    lo->buffer_mib = LIVE_DEFAULT_BUFFER_MIB;
    cl.mon.workers = 1;
    cl.mon.interval_s = 60;
    inputs = calloc((size_t)argc + 1, sizeof(*inputs));
    if (!inputs)
        return EXIT_INTERNAL;
    atexit(free_inputs);
    while ((c = getopt_long(argc, argv, "r:i:f:s:B:Z:qhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            inputs[cl.ninputs++] = optarg;
            break;
        case 'i':
            if (lo->nifaces == LIVE_MAX_IFACES) {
                fprintf(stderr, "tlsmon: -i: at most %d interfaces\n", LIVE_MAX_IFACES);
                return EXIT_USAGE;
            }
            lo->ifaces[lo->nifaces++] = optarg;
            break;
        case 's':
        case 'B':
        case 'Z':
            if (parse_live_option(&cl, c, c == 's' ? "-s" : c == 'B' ? "-B" : "-Z") < 0)
                return EXIT_USAGE;
            break;
        case OPT_NO_PROMISC:
            cl.live_only = cl.live_only ? cl.live_only : "--no-promisc";
            lo->promisc = 0;
            break;
        case OPT_IMMEDIATE:
            cl.live_only = cl.live_only ? cl.live_only : "--immediate";
            lo->immediate = 1;
            break;
        case OPT_NO_DROP:
            cl.live_only = cl.live_only ? cl.live_only : "--no-drop-privileges";
            cl.mon.keep_root = 1;
            break;
        case OPT_WORKERS:
            cl.live_only = cl.live_only ? cl.live_only : "--workers";
            if (!parse_count("--workers", optarg, MONITOR_MAX_WORKERS, &v))
                return EXIT_USAGE;
            cl.mon.workers = (unsigned)v;
            break;
        case OPT_INTERVAL:
            cl.live_only = cl.live_only ? cl.live_only : "--interval";
            if (!parse_count("--interval", optarg, 86400, &v))
                return EXIT_USAGE;
            cl.mon.interval_s = (unsigned)v;
            break;
        case OPT_SUMMARY_JSON:
            cl.mon.json_path = optarg;
            break;
        case OPT_PROM_FILE:
            cl.mon.prom_path = optarg;
            break;
        case 'f':
            cl.filter = optarg;
            break;
        case 'q':
            cl.quiet = 1;
            break;
        case OPT_LOG:
            cl.opt.log_path = optarg;
            break;
        case OPT_MAX_FLOWS:
            if (!parse_count("--max-flows", optarg, 100000000ULL, &v))
                return EXIT_USAGE;
            cl.opt.max_flows = (size_t)v;
            break;
        case OPT_FLOW_TIMEOUT:
            if (!parse_count("--flow-timeout", optarg, 86400ULL * 365, &v))
                return EXIT_USAGE;
            cl.opt.idle_us = (int64_t)v * 1000000;
            break;
        case OPT_MAX_REASM:
            if (!parse_count("--max-reassembly-mb", optarg, 1ULL << 20, &v))
                return EXIT_USAGE;
            engine_set_reassembly_cap(v << 20);
            break;
        case OPT_REPORT:
            if (readiness_parse_format(optarg, &cl.report_format) < 0) {
                fprintf(stderr, "tlsmon: --report: '%s' is not text, csv, json or html\n", optarg);
                return EXIT_USAGE;
            }
            cl.want_report = 1;
            break;
        case OPT_FLOOR:
            cl.floor = optarg;
            break;
        case OPT_LABELS:
            cl.labels = optarg;
            break;
        case 'h':
            usage(stdout);
            return EXIT_OK;
        case 'V':
            version();
            return EXIT_OK;
        default:
            fprintf(stderr, "Try 'tlsmon --help'.\n");
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "tlsmon: unexpected argument '%s' (inputs are given with -r or -i)\n",
                argv[optind]);
        return EXIT_USAGE;
    }
    if (cl.ninputs == 0 && lo->nifaces == 0) {
        fprintf(stderr, "tlsmon: no input: give a capture with -r FILE or an interface with "
                        "-i IFACE (see --help)\n");
        return EXIT_USAGE;
    }
    if (cl.ninputs && lo->nifaces) {
        fprintf(stderr, "tlsmon: -r and -i do not mix: read captures, or listen\n");
        return EXIT_USAGE;
    }
    if (cl.ninputs && cl.live_only) {
        fprintf(stderr, "tlsmon: %s applies to live capture (-i), not to -r\n", cl.live_only);
        return EXIT_USAGE;
    }

    char err[512];
    struct engine_options opt = cl.opt;
    if (cl.want_report && opt.log_path && strcmp(opt.log_path, "-") == 0) {
        fprintf(stderr, "tlsmon: --report and --log - both write to stdout\n");
        return EXIT_USAGE;
    }
    if (cl.want_report) {
        opt.report = readiness_new(cl.floor, err, sizeof(err));
        if (!opt.report) {
            fprintf(stderr, "tlsmon: %s\n", err);
            return EXIT_USAGE;
        }
        if (readiness_load_labels(opt.report, cl.labels, err, sizeof(err)) < 0) {
            fprintf(stderr, "tlsmon: %s\n", err);
            readiness_free(opt.report);
            return EXIT_INPUT;
        }
    }
    FILE *text =
        (opt.log_path && strcmp(opt.log_path, "-") == 0) || cl.want_report ? stderr : stdout;
    if (lo->nifaces) {
        lo->filter = cl.filter;
        cl.mon.engine = opt;
        cl.mon.text = cl.quiet ? NULL : text;
        int rc = monitor_run(&cl.mon);
        if (opt.report) {
            int rrc = write_report(opt.report, cl.report_format);
            rc = rc != EXIT_OK ? rc : rrc;
        }
        return rc;
    }

    struct metrics *m = NULL;
    struct engine_tap tap;
    if (cl.mon.json_path || cl.mon.prom_path) {
        struct metrics_options mo = {cl.mon.json_path, cl.mon.prom_path, NULL, 1};
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        if (!(m = metrics_new(&mo, (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000)))
            return EXIT_INTERNAL;
    }
    errno = 0;
    struct engine *e = engine_new(&opt, err, sizeof(err));
    if (!e) {
        fprintf(stderr, "tlsmon: %s\n", err);
        metrics_free(m);
        return errno == ENOMEM ? EXIT_INTERNAL : EXIT_OUTPUT;
    }
    if (m) {
        monitor_metrics_tap(&tap, m);
        engine_set_tap(e, &tap);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    int rc = EXIT_OK;
    for (int i = 0; i < cl.ninputs && !stop_requested; i++)
        if (read_input(e, inputs[i], cl.filter) != EXIT_OK)
            rc = EXIT_INPUT;
    if (stop_requested)
        fprintf(stderr, "tlsmon: interrupted; settling open handshakes\n");

    if (engine_finish(e, err, sizeof(err)) != 0) {
        fprintf(stderr, "tlsmon: %s\n", err);
        rc = EXIT_OUTPUT;
    }
    if (m && write_offline_metrics(m, e) != EXIT_OK)
        rc = EXIT_OUTPUT;
    if (!cl.quiet) {
        struct run_counters counters;
        engine_counters(e, &counters);
        summary_print(engine_summary(e), &counters, text);
        if (fflush(text) != 0 || ferror(text)) {
            fprintf(stderr, "tlsmon: cannot write the summary to %s: %s\n",
                    text == stdout ? "stdout" : "stderr", strerror(errno ? errno : EIO));
            rc = EXIT_OUTPUT;
        }
    }
    if (opt.report && write_report(opt.report, cl.report_format) != EXIT_OK)
        rc = EXIT_OUTPUT;
    engine_free(e);
    metrics_free(m);
    return rc;
}
