/* readiness.h: the readiness report, "what breaks if the version floor is
 * raised": per service (server address and port, transport, protocol, SNI),
 * which clients would break (the highest version they offer is below the
 * floor), which negotiate low although they can do better (fix the server,
 * not the client), and which are fine; cipher findings per service (BSI
 * TR-02102-2, IANA "Recommended"); pseudo-TLS exchanges apart.
 *
 * Input is the handshake log (../shared/spec/handshake-log.md), one NDJSON
 * line at a time, plain or gzip-compressed, from any number of files and
 * sensors; or, inline, the settled handshakes of a running tlsmon. A client
 * is an address together with its ClientHello fingerprint (JA4).
 *
 * Everything is bounded (READINESS_MAX_*): what did not fit is counted and
 * reported, never silently dropped. Output is sorted, so the same handshakes
 * give the same bytes whatever the order or the split of the input. */
#ifndef TLSMON_READINESS_H
#define TLSMON_READINESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../dissect/handshake.h"

#define READINESS_MAX_SERVICES 20000
#define READINESS_MAX_CLIENTS 100000
#define READINESS_MAX_PSEUDO 10000 /* pseudo-TLS services and their clients, each */

struct readiness;

/* floor: "1.0" .. "1.3" (also "tls1.2", "TLS 1.2", "TLSv1.2"); NULL is 1.2.
 * Returns NULL with a message in err (bad floor, out of memory). */
struct readiness *readiness_new(const char *floor, char *err, size_t errlen);
void readiness_free(struct readiness *r);

/* Client-software labels (data/client-fingerprints.tsv format: match type
 * ja4 / ja4_prefix / ja3, value, label, note; tab-separated). path NULL
 * searches $TLSMON_LABELS, then data/client-fingerprints.tsv beside the
 * executable, then in the working directory; none found is not an error.
 * Returns 0, or -1 with "FILE:LINE: cause" in err. */
int readiness_load_labels(struct readiness *r, const char *path, char *err, size_t errlen);

/* One NDJSON log line (without or with its newline). tlsmon.handshake lines
 * count; tlsmon.plaintext lines and other datasets are ignored; pseudo-TLS
 * handshakes go to the pseudo-TLS list. Returns 0, or -1 for a line that is
 * not a valid log record (counted as bad). */
int readiness_add_json_line(struct readiness *r, const char *line, size_t len);

/* The inline path: a settled handshake whose protocol the engine has named
 * (hs->protocol set). It goes through the same code as its log line, so
 * both paths give the same report. Returns 0, or -1 (out of memory). */
int readiness_add_handshake(struct readiness *r, const struct tls_handshake *hs);

/* The inline path of a tlsmon.plaintext record: ignored like its log line,
 * and counted like it, so the "input" counts match the log's report too. */
int readiness_add_plaintext(struct readiness *r, const struct plaintext_record *pr);

/* Read a log: NDJSON or gzip (detected from the content), "-" is stdin.
 * Bad lines are counted, not fatal. A progress bar goes to stderr when it is
 * a terminal and the file is large. Returns 0, or -1 with "FILE: cause" in
 * err when the file could not be opened or read. */
int readiness_read_file(struct readiness *r, const char *path, char *err, size_t errlen);

struct readiness_stats {
    uint64_t lines;         /* non-empty lines read */
    uint64_t handshakes;    /* tlsmon.handshake lines counted (pseudo-TLS included) */
    uint64_t pseudo;        /* of those, pseudo-TLS */
    uint64_t plaintext;     /* tlsmon.plaintext lines (ignored) */
    uint64_t other;         /* other datasets (ignored) */
    uint64_t bad_lines;     /* not JSON, or a handshake without its required fields */
    uint64_t over_capacity; /* handshakes not counted: a table was full */
};
void readiness_get_stats(const struct readiness *r, struct readiness_stats *st);

enum readiness_format { READINESS_TEXT, READINESS_CSV, READINESS_JSON, READINESS_HTML };

/* "text", "csv", "json", "html". Returns 0, or -1 for an unknown name. */
int readiness_parse_format(const char *name, enum readiness_format *out);

/* Write the report. color: ANSI colours in the text format (the caller
 * decides: a terminal, and NO_COLOR unset). Returns 0, or -1 when writing
 * failed (errno set) or memory ran out. */
int readiness_write(const struct readiness *r, enum readiness_format f, FILE *out, int color);

/* `tlsmon report [--floor V] [--format F] [-o FILE] [--labels FILE] LOG...`
 * (argv[0] is "report"). Exit status: 0 success, 1 an input could not be
 * read (the report covers the others), 2 usage, 3 output not writable,
 * 4 out of memory. */
int readiness_main(int argc, char **argv);

/* ---- internal: shared by report/readiness*.c and report/client_labels.c -- */
#ifdef READINESS_INTERNAL

/* Named versions; 0 is "not seen". Rank orders them across protocols:
 * DTLS 1.0 is TLS 1.1-based, DTLS 1.2 and 1.3 match TLS 1.2 and 1.3. */
enum rd_version {
    RDV_NONE = 0,
    RDV_SSL20,
    RDV_SSL30,
    RDV_TLS10,
    RDV_TLS11,
    RDV_TLS12,
    RDV_TLS13,
    RDV_DTLS10,
    RDV_DTLS12,
    RDV_DTLS13,
    RDV_COUNT,
};
int rd_version_rank(int v);
const char *rd_version_name(int v); /* "tls 1.0"; NULL for RDV_NONE */
int rd_version_parse(const char *proto, const char *num);

enum rd_group { RD_WOULD_BREAK = 0, RD_NEGOTIATING_LOW, RD_FINE, RD_NGROUPS };
const char *rd_group_name(enum rd_group g); /* "would-break" ... */

/* Cipher findings (BSI TR-02102-2 and the IANA registry). */
enum rd_finding {
    RDF_NO_FS = 0,
    RDF_RC4,
    RDF_DES,
    RDF_NULL,
    RDF_EXPORT,
    RDF_ANON,
    RDF_CBC_SHA1,
    RDF_NOT_RECOMMENDED,
    RDF_COUNT,
};
const char *rd_finding_name(enum rd_finding f);        /* "no-forward-secrecy" ... */
const char *rd_finding_description(enum rd_finding f); /* one line for people */
unsigned rd_classify_suite(const char *iana_name);     /* bit mask of 1u << rd_finding */

/* Chart categories: the negotiated version by rank, or no ServerHello. */
enum rd_cat { RDC_TLS13 = 0, RDC_TLS12, RDC_TLS11, RDC_TLS10, RDC_SSL, RDC_NONE, RDC_COUNT };
const char *rd_cat_name(enum rd_cat c);

/* Time buckets of a service: start index in units of the report's bucket
 * width, handshakes per category. */
struct rd_bucket {
    int64_t idx;
    uint32_t n[RDC_COUNT];
};

#define RD_MAX_SUITES 16 /* negotiated suites with findings kept per service */

struct rd_service {
    char *ip;
    uint16_t port;
    uint8_t udp;
    char *protocol;
    char *sni; /* NULL: no SNI */
    uint64_t handshakes;
    int64_t first_us, last_us;
    uint64_t neg_findings[RDF_COUNT]; /* handshakes that negotiated such a suite */
    char *suites[RD_MAX_SUITES];      /* those suites, sorted, the smallest kept */
    unsigned nsuites;
    uint8_t suites_truncated;
    struct rd_bucket *buckets; /* sorted by idx */
    uint32_t nbuckets, capbuckets;
};

struct rd_client {
    uint32_t service;
    char *ip;
    char *ja4; /* NULL: not fingerprinted */
    char *ja3; /* the smallest seen (order-independent) */
    uint64_t handshakes, no_server_hello;
    int64_t first_us, last_us;
    uint8_t max_offered;       /* highest offered, enum rd_version */
    uint8_t neg_low, neg_high; /* lowest and highest negotiated */
    uint32_t offered_findings; /* finding bits of the suites offered */
    uint32_t negotiated_findings;
};

struct rd_pseudo {
    char *ip;
    uint16_t port;
    uint8_t udp;
    char *protocol;
    char *kind; /* tls.pseudo: "ms-turn", "google-ssltcp" */
    uint64_t handshakes, clients;
    int64_t first_us, last_us;
};

/* A sorted view for the writers. */
struct rd_client_view {
    const struct rd_client *c;
    const struct rd_service *s;
    enum rd_group group;
    const char *label; /* NULL: unknown */
};

struct rd_service_view {
    const struct rd_service *s;
    struct rd_client_view *clients; /* sorted by group, address, JA4 */
    size_t nclients;
    size_t ngroup[RD_NGROUPS];
    unsigned offered_by[RDF_COUNT]; /* clients that offered such suites */
};

struct rd_view {
    const struct readiness *r;
    struct rd_service_view *services;
    size_t nservices;
    struct rd_client_view *clients; /* all, in service order */
    size_t nclients;
    const struct rd_pseudo **pseudo;
    size_t npseudo;
    size_t ngroup[RD_NGROUPS];
    int floor;         /* enum rd_version */
    int64_t width_us;  /* the charts' bucket width */
    int64_t ratio;     /* display width / stored width */
    int64_t first_idx; /* first and last bucket over all services */
    int64_t last_idx;
    int64_t first_us, last_us; /* the first and last handshake, any_time: there were some */
    int any_time;
    struct readiness_stats st;
};

int rd_view_build(const struct readiness *r, struct rd_view *v);
void rd_view_free(struct rd_view *v);
/* A service's handshakes per category in display bucket i (from first_idx). */
void rd_view_bucket(const struct rd_view *v, const struct rd_service *s, int64_t i,
                    uint32_t out[RDC_COUNT]);
const char *rd_floor_name(const struct rd_view *v); /* "1.2" */
void rd_format_time(int64_t us, char *out, size_t len);

/* One log line: 0 counted or ignored, -1 bad, -2 out of memory. */
int rd_add_line(struct readiness *r, const char *line, size_t len);

/* Bad lines of the last file read: how many, the first's line number and
 * cause (for readiness_main's one-line warning). */
void rd_file_bad(const struct readiness *r, uint64_t *n, uint64_t *first_line, const char **why);

int rd_write_text(const struct rd_view *v, FILE *out, int color);
int rd_write_csv(const struct rd_view *v, FILE *out);
int rd_write_json(const struct rd_view *v, FILE *out);
int rd_write_html(const struct rd_view *v, FILE *out);

/* Client labels (client_labels.c). */
struct rd_labels;
struct rd_labels *rd_labels_load(const char *path, char *err, size_t errlen);
/* The label for a fingerprint: exact JA4, then JA3, then the longest JA4
 * prefix; within a kind, the first line of the file wins. */
const char *rd_labels_find(const struct rd_labels *l, const char *ja4, const char *ja3);
size_t rd_labels_count(const struct rd_labels *l);
void rd_labels_free(struct rd_labels *l);

#endif /* READINESS_INTERNAL */

#endif
