/* tlsmon.c: command line. */
#include <errno.h>
#include <getopt.h>
#include <openssl/opensslv.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/source.h"
#include "dissect/classify.h"
#include "engine.h"
#include "report/readiness.h"

#ifndef TLSMON_VERSION
#define TLSMON_VERSION "0.1.0"
#endif

/* Exit codes (also in README.md and --help). */
enum {
    EXIT_OK = 0,
    EXIT_INPUT = 1,  /* an input could not be read (the others were) */
    EXIT_USAGE = 2,  /* bad command line */
    EXIT_OUTPUT = 3, /* the log could not be written */
    EXIT_INTERNAL = 4,
};

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
                 "\n"
                 "Passive TLS version monitor: reads packet captures and reports which\n"
                 "SSL/TLS versions and cipher suites every client and server offers and\n"
                 "negotiates.\n"
                 "\n"
                 "Input:\n"
                 "  -r, --read FILE        read a pcap or pcapng file; a directory reads every\n"
                 "                         capture below it (sorted by path); '-' reads stdin.\n"
                 "                         Repeatable: flows continue across files.\n"
                 "  -f, --filter 'BPF'     only packets matching this tcpdump-style filter\n"
                 "\n"
                 "Output:\n"
                 "  --log PATH             write the handshake log (NDJSON, one line per\n"
                 "                         handshake) to PATH, appending; '-' is stdout\n"
                 "  -q, --quiet            no summary\n"
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
                 "warning); 1 an input could not be read (the others were); 2 usage error;\n"
                 "3 the log could not be written; 4 internal error (out of memory, nDPI).\n");
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
    enum source_status st =
        source_read_file(path, filter, engine_frame, e, &stop_requested, err, sizeof(err));
    engine_count_file(e, st == SOURCE_FAILED);
    if (st == SOURCE_FAILED) {
        fprintf(stderr, "tlsmon: %s\n", err);
        return EXIT_INPUT;
    }
    if (st == SOURCE_TRUNCATED)
        fprintf(stderr, "tlsmon: warning: %s\n", err);
    return EXIT_OK;
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
        OPT_LABELS
    };
    static const struct option longopts[] = {
        {"read", required_argument, NULL, 'r'},
        {"filter", required_argument, NULL, 'f'},
        {"log", required_argument, NULL, OPT_LOG},
        {"quiet", no_argument, NULL, 'q'},
        {"max-flows", required_argument, NULL, OPT_MAX_FLOWS},
        {"flow-timeout", required_argument, NULL, OPT_FLOW_TIMEOUT},
        {"max-reassembly-mb", required_argument, NULL, OPT_MAX_REASM},
        {"report", required_argument, NULL, OPT_REPORT},
        {"floor", required_argument, NULL, OPT_FLOOR},
        {"labels", required_argument, NULL, OPT_LABELS},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    struct engine_options opt = {1000000, 300 * 1000000LL, NULL, NULL};
    const char *filter = NULL, *floor = NULL, *labels = NULL;
    enum readiness_format report_format = READINESS_TEXT;
    int want_report = 0;
    int ninputs = 0, quiet = 0, c;
    unsigned long long v;

    /* `tlsmon report LOG...`: the readiness report from logs, its own options. */
    if (argc > 1 && strcmp(argv[1], "report") == 0)
        return readiness_main(argc - 1, argv + 1);

    inputs = calloc((size_t)argc + 1, sizeof(*inputs));
    if (!inputs)
        return EXIT_INTERNAL;
    atexit(free_inputs);
    while ((c = getopt_long(argc, argv, "r:f:qhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            inputs[ninputs++] = optarg;
            break;
        case 'f':
            filter = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case OPT_LOG:
            opt.log_path = optarg;
            break;
        case OPT_MAX_FLOWS:
            if (!parse_count("--max-flows", optarg, 100000000ULL, &v))
                return EXIT_USAGE;
            opt.max_flows = (size_t)v;
            break;
        case OPT_FLOW_TIMEOUT:
            if (!parse_count("--flow-timeout", optarg, 86400ULL * 365, &v))
                return EXIT_USAGE;
            opt.idle_us = (int64_t)v * 1000000;
            break;
        case OPT_MAX_REASM:
            if (!parse_count("--max-reassembly-mb", optarg, 1ULL << 20, &v))
                return EXIT_USAGE;
            engine_set_reassembly_cap(v << 20);
            break;
        case OPT_REPORT:
            if (readiness_parse_format(optarg, &report_format) < 0) {
                fprintf(stderr, "tlsmon: --report: '%s' is not text, csv, json or html\n", optarg);
                return EXIT_USAGE;
            }
            want_report = 1;
            break;
        case OPT_FLOOR:
            floor = optarg;
            break;
        case OPT_LABELS:
            labels = optarg;
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
        fprintf(stderr, "tlsmon: unexpected argument '%s' (inputs are given with -r)\n",
                argv[optind]);
        return EXIT_USAGE;
    }
    if (ninputs == 0) {
        fprintf(stderr, "tlsmon: no input: give a capture with -r FILE (see --help)\n");
        return EXIT_USAGE;
    }

    char err[512];
    if (want_report && opt.log_path && strcmp(opt.log_path, "-") == 0) {
        fprintf(stderr, "tlsmon: --report and --log - both write to stdout\n");
        return EXIT_USAGE;
    }
    if (want_report) {
        opt.report = readiness_new(floor, err, sizeof(err));
        if (!opt.report) {
            fprintf(stderr, "tlsmon: %s\n", err);
            return EXIT_USAGE;
        }
        if (readiness_load_labels(opt.report, labels, err, sizeof(err)) < 0) {
            fprintf(stderr, "tlsmon: %s\n", err);
            readiness_free(opt.report);
            return EXIT_INPUT;
        }
    }
    struct engine *e = engine_new(&opt, err, sizeof(err));
    if (!e) {
        fprintf(stderr, "tlsmon: %s\n", err);
        return errno == ENOMEM ? EXIT_INTERNAL : EXIT_OUTPUT;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    int rc = EXIT_OK;
    for (int i = 0; i < ninputs && !stop_requested; i++)
        if (read_input(e, inputs[i], filter) != EXIT_OK)
            rc = EXIT_INPUT;
    if (stop_requested)
        fprintf(stderr, "tlsmon: interrupted; settling open handshakes\n");

    if (engine_finish(e, err, sizeof(err)) != 0) {
        fprintf(stderr, "tlsmon: %s\n", err);
        rc = EXIT_OUTPUT;
    }
    if (!quiet) {
        struct run_counters counters;
        engine_counters(e, &counters);
        FILE *out =
            (opt.log_path && strcmp(opt.log_path, "-") == 0) || want_report ? stderr : stdout;
        summary_print(engine_summary(e), &counters, out);
        if (fflush(out) != 0 || ferror(out)) {
            fprintf(stderr, "tlsmon: cannot write the summary to %s: %s\n",
                    out == stdout ? "stdout" : "stderr", strerror(errno ? errno : EIO));
            rc = EXIT_OUTPUT;
        }
    }
    if (opt.report) {
        const char *nc = getenv("NO_COLOR");
        int color = report_format == READINESS_TEXT && isatty(STDOUT_FILENO) && !(nc && *nc);
        if (readiness_write(opt.report, report_format, stdout, color) < 0 || fflush(stdout) != 0) {
            fprintf(stderr, "tlsmon: cannot write the report to stdout: %s\n", strerror(errno));
            rc = EXIT_OUTPUT;
        }
        readiness_free(opt.report);
    }
    engine_free(e);
    return rc;
}
