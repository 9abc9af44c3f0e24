/* readiness.c: see readiness.h. The tables, the log-line reader, and the
 * sorted view the writers print from.
 *
 * Every handshake, inline or read from a log, goes through one function
 * (add_line): the inline path (readiness_add_handshake, in readiness_out.c
 * because jansson and report/json.h both define json_string) turns the
 * handshake into its log line first, so it cannot drift from the log path. */
#define READINESS_INTERNAL
#include "readiness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "../capture/siphash.h"
#include "cipher_names.h"

#define RD_MAX_BUCKETS 512          /* per service; past it every service's buckets widen */
#define RD_MAX_LINE (1u << 20)      /* a longer log line is bad (512 suites fit in ~25 KiB) */
#define RD_PROGRESS_MIN (32u << 20) /* files smaller than this get no progress bar */
#define RD_CHART_BARS 48            /* at most this many bars per chart */

/* ---- versions ----------------------------------------------------------- */

static const struct {
    const char *proto, *num, *name;
    int rank;
} versions[RDV_COUNT] = {
    [RDV_SSL20] = {"ssl", "2.0", "ssl 2.0", 1},    [RDV_SSL30] = {"ssl", "3.0", "ssl 3.0", 2},
    [RDV_TLS10] = {"tls", "1.0", "tls 1.0", 3},    [RDV_TLS11] = {"tls", "1.1", "tls 1.1", 4},
    [RDV_TLS12] = {"tls", "1.2", "tls 1.2", 5},    [RDV_TLS13] = {"tls", "1.3", "tls 1.3", 6},
    [RDV_DTLS10] = {"dtls", "1.0", "dtls 1.0", 4}, [RDV_DTLS12] = {"dtls", "1.2", "dtls 1.2", 5},
    [RDV_DTLS13] = {"dtls", "1.3", "dtls 1.3", 6},
};

int rd_version_rank(int v)
{
    return v > RDV_NONE && v < RDV_COUNT ? versions[v].rank : 0;
}

const char *rd_version_name(int v)
{
    return v > RDV_NONE && v < RDV_COUNT ? versions[v].name : NULL;
}

int rd_version_parse(const char *proto, const char *num)
{
    if (!proto || !num)
        return RDV_NONE;
    for (int v = RDV_NONE + 1; v < RDV_COUNT; v++)
        if (strcmp(proto, versions[v].proto) == 0 && strcmp(num, versions[v].num) == 0)
            return v;
    return RDV_NONE;
}

/* Higher by rank; at equal rank the larger code, so the pick does not
 * depend on the order handshakes arrive in. */
static int version_max(int a, int b)
{
    int ra = rd_version_rank(a), rb = rd_version_rank(b);
    if (ra != rb)
        return ra > rb ? a : b;
    return a > b ? a : b;
}

static int version_min(int a, int b)
{
    if (a == RDV_NONE || b == RDV_NONE)
        return a == RDV_NONE ? b : a;
    int ra = rd_version_rank(a), rb = rd_version_rank(b);
    if (ra != rb)
        return ra < rb ? a : b;
    return a < b ? a : b;
}

/* "1.2", "tls1.2", "TLS 1.2", "TLSv1.2", "tls 1.2" -> RDV_TLS1x. */
static int parse_floor(const char *s)
{
    if (!s)
        return RDV_TLS12;
    if (strncasecmp(s, "tls", 3) == 0) {
        s += 3;
        if (*s == 'v' || *s == 'V' || *s == ' ' || *s == '-' || *s == '_')
            s++;
    }
    for (int v = RDV_TLS10; v <= RDV_TLS13; v++)
        if (strcmp(s, versions[v].num) == 0)
            return v;
    return RDV_NONE;
}

static const char *const group_names[RD_NGROUPS] = {"would-break", "negotiating-low", "fine"};

const char *rd_group_name(enum rd_group g)
{
    return g < RD_NGROUPS ? group_names[g] : "?";
}

static const char *const cat_names[RDC_COUNT] = {"TLS 1.3", "TLS 1.2", "TLS 1.1",
                                                 "TLS 1.0", "SSL",     "no ServerHello"};

const char *rd_cat_name(enum rd_cat c)
{
    return c < RDC_COUNT ? cat_names[c] : "?";
}

static enum rd_cat version_cat(int v)
{
    switch (rd_version_rank(v)) {
    case 6:
        return RDC_TLS13;
    case 5:
        return RDC_TLS12;
    case 4:
        return RDC_TLS11;
    case 3:
        return RDC_TLS10;
    case 0:
        return RDC_NONE;
    default:
        return RDC_SSL;
    }
}

/* ---- cipher findings ---------------------------------------------------- */

static const struct {
    const char *name, *description;
} findings[RDF_COUNT] = {
    [RDF_NO_FS] = {"no-forward-secrecy",
                   "no forward secrecy (RSA, static DH/ECDH, PSK or Kerberos key exchange)"},
    [RDF_RC4] = {"rc4", "RC4 stream cipher (broken, RFC 7465)"},
    [RDF_DES] = {"des-3des", "DES or 3DES (64-bit block: Sweet32)"},
    [RDF_NULL] = {"null", "NULL encryption (no confidentiality)"},
    [RDF_EXPORT] = {"export", "EXPORT-grade (40/56-bit) suites"},
    [RDF_ANON] = {"anonymous", "anonymous key exchange (no server authentication)"},
    [RDF_CBC_SHA1] = {"cbc-sha1", "CBC with a SHA-1 MAC (not in BSI TR-02102-2)"},
    [RDF_NOT_RECOMMENDED] = {"not-recommended", "not marked Recommended in the IANA registry"},
};

const char *rd_finding_name(enum rd_finding f)
{
    return f < RDF_COUNT ? findings[f].name : "?";
}

const char *rd_finding_description(enum rd_finding f)
{
    return f < RDF_COUNT ? findings[f].description : "?";
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), k = strlen(tail);
    return n >= k && strcmp(s + n - k, tail) == 0;
}

/* The IANA registry by name (the log names suites, the table is by value). */
static const struct cipher_name **by_name;

static int cmp_cipher_name(const void *a, const void *b)
{
    return strcmp((*(const struct cipher_name *const *)a)->name,
                  (*(const struct cipher_name *const *)b)->name);
}

static const struct cipher_name *cipher_by_name(const char *name)
{
    if (!by_name) {
        by_name = malloc(cipher_names_count * sizeof(*by_name));
        if (!by_name)
            return NULL;
        for (unsigned i = 0; i < cipher_names_count; i++)
            by_name[i] = &cipher_names[i];
        qsort(by_name, cipher_names_count, sizeof(*by_name), cmp_cipher_name);
    }
    struct cipher_name key = {0, 0, 0, name};
    const struct cipher_name *kp = &key;
    const struct cipher_name **hit =
        bsearch(&kp, by_name, cipher_names_count, sizeof(*by_name), cmp_cipher_name);
    return hit ? *hit : NULL;
}

/* Key exchange of a TLS <= 1.2 suite without forward secrecy: the part
 * between "TLS_" and "_WITH_". Ephemeral (DHE, ECDHE) and anonymous DH
 * (which is ephemeral too) are not in this list. */
static int kex_without_fs(const char *name)
{
    const char *with = strstr(name, "_WITH_");
    if (strncmp(name, "TLS_", 4) != 0 || !with)
        return 0;
    const char *kex = name + 4;
    size_t n = (size_t)(with - kex);
    if (n >= 3 && strncmp(kex, "RSA", 3) == 0) /* RSA, RSA_EXPORT, RSA_PSK */
        return 1;
    if (n >= 4 && strncmp(kex, "KRB5", 4) == 0)
        return 1;
    if (n == 3 && strncmp(kex, "PSK", 3) == 0)
        return 1;
    if ((strncmp(kex, "DH_", 3) == 0 || strncmp(kex, "ECDH_", 5) == 0) &&
        !memmem(kex, n, "anon", 4))
        return 1;
    return 0;
}

unsigned rd_classify_suite(const char *name)
{
    unsigned m = 0;
    if (!name || strncmp(name, "0x", 2) == 0 || ends_with(name, "_SCSV"))
        return 0; /* unassigned values and signalling values are no suites */
    if (kex_without_fs(name))
        m |= 1u << RDF_NO_FS;
    if (strstr(name, "_RC4_"))
        m |= 1u << RDF_RC4;
    if (strstr(name, "_DES_") || strstr(name, "_DES40_") || strstr(name, "_3DES_"))
        m |= 1u << RDF_DES;
    /* WITH_NULL, NULL_WITH_NULL_NULL, and RFC 9150's integrity-only TLS 1.3 suites. */
    if (strstr(name, "_NULL_") || ends_with(name, "_NULL") ||
        strcmp(name, "TLS_SHA256_SHA256") == 0 || strcmp(name, "TLS_SHA384_SHA384") == 0)
        m |= 1u << RDF_NULL;
    if (strstr(name, "_EXPORT"))
        m |= 1u << RDF_EXPORT;
    if (strstr(name, "_anon_"))
        m |= 1u << RDF_ANON;
    if (ends_with(name, "_CBC_SHA"))
        m |= 1u << RDF_CBC_SHA1;
    const struct cipher_name *c = cipher_by_name(name);
    if (c && !c->recommended)
        m |= 1u << RDF_NOT_RECOMMENDED;
    return m;
}

/* ---- a keyed hash map: key bytes -> index ------------------------------- */

struct slot {
    uint64_t h;
    char *key; /* NULL: empty */
    uint32_t klen, val;
};

struct map {
    struct slot *s;
    size_t cap, n;
};

/* Keys are built as kind byte + length-prefixed fields, so no field value
 * (an SNI is whatever the client sent) can run into the next. */
struct keybuf {
    char *p;
    size_t len, cap;
    int failed;
};

static void kb_reset(struct keybuf *k, char kind)
{
    k->len = 0;
    k->failed = 0;
    if (k->cap == 0) {
        k->p = malloc(512);
        k->cap = k->p ? 512 : 0;
    }
    if (!k->p) {
        k->failed = 1;
        return;
    }
    k->p[k->len++] = kind;
}

static void kb_add(struct keybuf *k, const void *data, uint32_t n, int present)
{
    if (k->failed)
        return;
    if (k->len + n + 5 > k->cap) {
        size_t cap = (k->len + n + 5) * 2;
        char *p = realloc(k->p, cap);
        if (!p) {
            k->failed = 1;
            return;
        }
        k->p = p;
        k->cap = cap;
    }
    k->p[k->len++] = (char)present;
    memcpy(k->p + k->len, &n, 4);
    k->len += 4;
    if (n)
        memcpy(k->p + k->len, data, n);
    k->len += n;
}

static void kb_str(struct keybuf *k, const char *s)
{
    kb_add(k, s ? s : "", s ? (uint32_t)strlen(s) : 0, s != NULL);
}

static struct slot *map_slot(const struct map *m, uint64_t h, const char *key, size_t klen)
{
    size_t i = (size_t)h & (m->cap - 1);
    for (;;) {
        struct slot *s = &m->s[i];
        if (!s->key || (s->h == h && s->klen == klen && memcmp(s->key, key, klen) == 0))
            return s;
        i = (i + 1) & (m->cap - 1);
    }
}

static int map_grow(struct map *m)
{
    size_t cap = m->cap ? m->cap * 2 : 1024;
    struct slot *s = calloc(cap, sizeof(*s));
    if (!s)
        return -1;
    struct map nm = {s, cap, m->n};
    for (size_t i = 0; i < m->cap; i++)
        if (m->s[i].key)
            *map_slot(&nm, m->s[i].h, m->s[i].key, m->s[i].klen) = m->s[i];
    free(m->s);
    *m = nm;
    return 0;
}

static void map_free(struct map *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->s[i].key);
    free(m->s);
    m->s = NULL;
    m->cap = m->n = 0;
}

/* ---- the report's state ------------------------------------------------- */

struct readiness {
    int floor;
    uint8_t seed[16];
    struct map map;
    struct keybuf kb;
    struct rd_service *services;
    size_t nservices, capservices;
    struct rd_client *clients;
    size_t nclients, capclients;
    struct rd_pseudo *pseudo;
    size_t npseudo, cappseudo;
    size_t npseudo_clients;
    int width_level; /* stored bucket width, index into widths[] */
    int64_t first_us, last_us;
    int any_time;
    struct readiness_stats st;
    struct rd_labels *labels;
    /* the file being read, for readiness_main's one-line warnings */
    uint64_t file_bad, file_first_bad_line;
    char file_first_bad[96];
};

/* Bucket widths, minutes; each divides the next, so buckets of one width
 * merge exactly into the next (and into the display width). */
static const int64_t widths_min[] = {1,     5,     15,     60,      360,      1440,
                                     10080, 40320, 524160, 5241600, 52416000, 524160000};
#define NWIDTHS ((int)(sizeof(widths_min) / sizeof(widths_min[0])))

static int64_t width_us(int level)
{
    return widths_min[level] * 60 * 1000000LL;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

struct readiness *readiness_new(const char *floor, char *err, size_t errlen)
{
    int fv = parse_floor(floor);
    if (fv == RDV_NONE) {
        snprintf(err, errlen, "--floor: '%s' is not a TLS version (1.0, 1.1, 1.2 or 1.3)", floor);
        return NULL;
    }
    struct readiness *r = calloc(1, sizeof(*r));
    if (!r || map_grow(&r->map) < 0) {
        free(r);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->floor = fv;
    /* A random hash key: SNIs and addresses are chosen by whoever sends
     * them, so they must not be able to pile entries onto one chain. */
    if (getrandom(r->seed, sizeof(r->seed), GRND_NONBLOCK) != (ssize_t)sizeof(r->seed)) {
        uint64_t t = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)r;
        memcpy(r->seed, &t, sizeof(t));
    }
    return r;
}

void readiness_free(struct readiness *r)
{
    if (!r)
        return;
    map_free(&r->map);
    free(r->kb.p);
    for (size_t i = 0; i < r->nservices; i++) {
        struct rd_service *s = &r->services[i];
        free(s->ip);
        free(s->protocol);
        free(s->sni);
        for (unsigned k = 0; k < s->nsuites; k++)
            free(s->suites[k]);
        free(s->buckets);
    }
    free(r->services);
    for (size_t i = 0; i < r->nclients; i++) {
        free(r->clients[i].ip);
        free(r->clients[i].ja4);
        free(r->clients[i].ja3);
    }
    free(r->clients);
    for (size_t i = 0; i < r->npseudo; i++) {
        free(r->pseudo[i].ip);
        free(r->pseudo[i].protocol);
        free(r->pseudo[i].kind);
    }
    free(r->pseudo);
    rd_labels_free(r->labels);
    free(r);
}

void readiness_get_stats(const struct readiness *r, struct readiness_stats *st)
{
    *st = r->st;
}

/* ---- labels: where the data file is ------------------------------------- */

static int exe_relative(const char *rel, char *out, size_t len)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return 0;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash)
        return 0;
    *slash = 0;
    return snprintf(out, len, "%s/%s", exe, rel) < (int)len && access(out, R_OK) == 0;
}

int readiness_load_labels(struct readiness *r, const char *path, char *err, size_t errlen)
{
    char found[4200];
    if (!path) {
        const char *env = getenv("TLSMON_LABELS");
        if (env && *env)
            path = env;
        else if (exe_relative("data/client-fingerprints.tsv", found, sizeof(found)) ||
                 exe_relative("../share/tlsmon/client-fingerprints.tsv", found, sizeof(found)))
            path = found;
        else if (access("data/client-fingerprints.tsv", R_OK) == 0)
            path = "data/client-fingerprints.tsv";
        else
            return 0; /* no table: clients stay unlabelled */
    }
    struct rd_labels *l = rd_labels_load(path, err, errlen);
    if (!l)
        return -1;
    rd_labels_free(r->labels);
    r->labels = l;
    return 0;
}

/* ---- one log record ----------------------------------------------------- */

/* The fields of one handshake line the report uses. Strings point into the
 * parsed JSON (or into `arena` when they had to be cleaned). */
struct rec {
    int64_t ts;
    const char *src_ip, *dst_ip, *protocol, *sni, *ja3, *ja4, *pseudo;
    uint16_t dst_port;
    uint8_t udp;
    int max_offered, negotiated;
    unsigned offered_findings, negotiated_findings;
    const char *cipher;
    char arena[2048];
    size_t arena_used;
};

static json_t *at(json_t *o, const char *a, const char *b, const char *c)
{
    o = json_object_get(o, a);
    if (o && b)
        o = json_object_get(o, b);
    if (o && c)
        o = json_object_get(o, c);
    return o;
}

/* A JSON string as a C string. The log escapes any byte, so a string may
 * hold NUL (an SNI is whatever the client sent): those become U+FFFD
 * rather than cutting the string, so two such names stay apart. */
static const char *jstr(struct rec *rc, json_t *v)
{
    if (!json_is_string(v))
        return NULL;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (!memchr(s, 0, n))
        return s;
    char *out = rc->arena + rc->arena_used;
    size_t room = sizeof(rc->arena) - rc->arena_used, k = 0;
    for (size_t i = 0; i < n && k + 4 < room; i++) {
        if (s[i]) {
            out[k++] = s[i];
        } else {
            memcpy(out + k, "\xef\xbf\xbd", 3);
            k += 3;
        }
    }
    if (room == 0)
        return NULL;
    out[k] = 0;
    rc->arena_used += k + 1;
    return out;
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

/* RFC 3339 ("2026-11-23T18:14:29.071468Z", fraction and offset optional
 * forms accepted) to microseconds since the epoch. */
static int parse_time(const char *s, int64_t *out)
{
    int Y, M, D, h, m, sec;
    if (!s || strlen(s) < 20 || !digits(s, 4, &Y) || s[4] != '-' || !digits(s + 5, 2, &M) ||
        s[7] != '-' || !digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &m) || s[16] != ':' ||
        !digits(s + 17, 2, &sec))
        return 0;
    if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
        return 0;
    const char *p = s + 19;
    int64_t us = 0, scale = 100000;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return 0;
        for (; *p >= '0' && *p <= '9'; p++) {
            us += (*p - '0') * scale;
            scale /= 10;
        }
    }
    int64_t offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om))
            return 0;
        offset = (oh * 3600LL + om * 60) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return 0;
    }
    if (*p)
        return 0;
    struct tm tm = {0};
    tm.tm_year = Y - 1900;
    tm.tm_mon = M - 1;
    tm.tm_mday = D;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = sec;
    int64_t t = (int64_t)timegm(&tm);
    *out = (t - offset) * 1000000 + us;
    return 1;
}

static unsigned offered_findings(json_t *list)
{
    unsigned m = 0;
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        if (json_is_string(v))
            m |= rd_classify_suite(json_string_value(v));
    }
    return m;
}

/* Fill rc from a parsed line. Returns 1 handshake, 0 a line to ignore
 * (plaintext, other datasets), -1 bad. */
static int parse_record(json_t *root, struct rec *rc)
{
    const char *dataset = json_string_value(at(root, "event", "dataset", NULL));
    if (!json_is_object(root) || !dataset)
        return -1;
    if (strcmp(dataset, "tlsmon.handshake") != 0)
        return 0;
    json_t *port = at(root, "destination", "port", NULL);
    rc->src_ip = jstr(rc, at(root, "source", "ip", NULL));
    rc->dst_ip = jstr(rc, at(root, "destination", "ip", NULL));
    if (!parse_time(json_string_value(json_object_get(root, "@timestamp")), &rc->ts) ||
        !rc->src_ip || !rc->dst_ip || !json_is_integer(port) || json_integer_value(port) < 0 ||
        json_integer_value(port) > 65535)
        return -1;
    rc->dst_port = (uint16_t)json_integer_value(port);
    const char *transport = json_string_value(at(root, "network", "transport", NULL));
    rc->udp = transport && strcmp(transport, "udp") == 0;
    rc->protocol = jstr(rc, at(root, "network", "protocol", NULL));
    if (!rc->protocol)
        rc->protocol = "unknown";
    json_t *tls = json_object_get(root, "tls");
    json_t *client = json_object_get(tls, "client");
    const char *encap = json_string_value(json_object_get(tls, "encapsulation"));
    rc->pseudo = jstr(rc, json_object_get(tls, "pseudo"));
    if (!rc->pseudo && encap && strcmp(encap, "pseudo-tls") == 0)
        rc->pseudo = "unknown";
    rc->negotiated = rd_version_parse(json_string_value(json_object_get(tls, "version_protocol")),
                                      json_string_value(json_object_get(tls, "version")));
    rc->max_offered =
        rd_version_parse(json_string_value(json_object_get(client, "version_protocol")),
                         json_string_value(json_object_get(client, "version")));
    rc->cipher = json_string_value(json_object_get(tls, "cipher"));
    rc->negotiated_findings = rc->cipher ? rd_classify_suite(rc->cipher) : 0;
    rc->offered_findings = offered_findings(json_object_get(client, "supported_ciphers"));
    rc->sni = jstr(rc, json_object_get(client, "server_name"));
    rc->ja3 = jstr(rc, json_object_get(client, "ja3"));
    rc->ja4 = jstr(rc, json_object_get(client, "ja4"));
    return 1;
}

/* ---- adding to the tables ----------------------------------------------- */

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 64;
    while (c < need)
        c *= 2;
    void *n = realloc(*p, c * elem);
    if (!n)
        return -1;
    memset((char *)n + *cap * elem, 0, (c - *cap) * elem);
    *p = n;
    *cap = c;
    return 0;
}

/* The slot of the key in r->kb: its entry, or the empty slot to insert it
 * in. NULL when building the key ran out of memory. */
static struct slot *lookup(struct readiness *r, uint64_t *h)
{
    if (r->kb.failed)
        return NULL;
    *h = siphash24(r->seed, r->kb.p, r->kb.len);
    return map_slot(&r->map, *h, r->kb.p, r->kb.len);
}

static int insert(struct readiness *r, struct slot *s, uint64_t h, uint32_t val)
{
    char *key = malloc(r->kb.len);
    if (!key)
        return -1;
    memcpy(key, r->kb.p, r->kb.len);
    s->h = h;
    s->key = key;
    s->klen = (uint32_t)r->kb.len;
    s->val = val;
    r->map.n++;
    /* Keep the load under one half: probes stay short. */
    if (r->map.n * 2 > r->map.cap && map_grow(&r->map) < 0)
        return -1;
    return 0;
}

static void service_key(struct readiness *r, const struct rec *rc)
{
    kb_reset(&r->kb, 'S');
    kb_str(&r->kb, rc->dst_ip);
    kb_add(&r->kb, &rc->dst_port, sizeof(rc->dst_port), 1);
    kb_add(&r->kb, &rc->udp, 1, 1);
    kb_str(&r->kb, rc->protocol);
    kb_str(&r->kb, rc->sni);
}

static void client_key(struct readiness *r, uint32_t service, const struct rec *rc)
{
    kb_reset(&r->kb, 'C');
    kb_add(&r->kb, &service, sizeof(service), 1);
    kb_str(&r->kb, rc->src_ip);
    kb_str(&r->kb, rc->ja4);
}

static char *dup_or_null(const char *s, int *failed)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *failed = 1;
    return d;
}

/* Merge buckets into the next wider width, for every service. */
static void widen_buckets(struct readiness *r)
{
    int64_t ratio = widths_min[r->width_level + 1] / widths_min[r->width_level];
    r->width_level++;
    for (size_t i = 0; i < r->nservices; i++) {
        struct rd_service *s = &r->services[i];
        uint32_t n = 0;
        for (uint32_t k = 0; k < s->nbuckets; k++) {
            int64_t idx = floor_div(s->buckets[k].idx, ratio);
            if (n > 0 && s->buckets[n - 1].idx == idx) {
                for (int c = 0; c < RDC_COUNT; c++)
                    s->buckets[n - 1].n[c] += s->buckets[k].n[c];
            } else {
                s->buckets[n] = s->buckets[k];
                s->buckets[n++].idx = idx;
            }
        }
        s->nbuckets = n;
    }
}

static uint32_t bucket_find(const struct rd_service *s, int64_t idx)
{
    uint32_t lo = 0, hi = s->nbuckets;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->buckets[mid].idx < idx)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int add_bucket(struct readiness *r, struct rd_service *s, int64_t ts, enum rd_cat cat)
{
    for (;;) {
        int64_t idx = floor_div(ts, width_us(r->width_level));
        uint32_t k = bucket_find(s, idx);
        if (k < s->nbuckets && s->buckets[k].idx == idx) {
            s->buckets[k].n[cat]++;
            return 0;
        }
        if (s->nbuckets >= RD_MAX_BUCKETS && r->width_level + 1 < NWIDTHS) {
            widen_buckets(r);
            continue;
        }
        if (s->nbuckets == s->capbuckets) {
            uint32_t cap = s->capbuckets ? s->capbuckets * 2 : 8;
            struct rd_bucket *b = realloc(s->buckets, cap * sizeof(*b));
            if (!b)
                return -1;
            s->buckets = b;
            s->capbuckets = cap;
        }
        memmove(&s->buckets[k + 1], &s->buckets[k], (s->nbuckets - k) * sizeof(*s->buckets));
        memset(&s->buckets[k], 0, sizeof(*s->buckets));
        s->buckets[k].idx = idx;
        s->buckets[k].n[cat] = 1;
        s->nbuckets++;
        return 0;
    }
}

/* Keep the RD_MAX_SUITES smallest names, sorted: the same set whatever
 * the order they come in. */
static int add_suite(struct rd_service *s, const char *name)
{
    unsigned k = 0;
    while (k < s->nsuites && strcmp(s->suites[k], name) < 0)
        k++;
    if (k < s->nsuites && strcmp(s->suites[k], name) == 0)
        return 0;
    if (k == RD_MAX_SUITES) {
        s->suites_truncated = 1;
        return 0;
    }
    char *d = strdup(name);
    if (!d)
        return -1;
    if (s->nsuites == RD_MAX_SUITES) {
        free(s->suites[--s->nsuites]);
        s->suites_truncated = 1;
    }
    memmove(&s->suites[k + 1], &s->suites[k], (s->nsuites - k) * sizeof(*s->suites));
    s->suites[k] = d;
    s->nsuites++;
    return 0;
}

static void span_update(int64_t *first, int64_t *last, int64_t ts, int fresh)
{
    if (fresh || ts < *first)
        *first = ts;
    if (fresh || ts > *last)
        *last = ts;
}

static int new_service(struct readiness *r, const struct rec *rc, uint32_t *idx)
{
    if (grow((void **)&r->services, &r->capservices, r->nservices + 1, sizeof(*r->services)) < 0)
        return -1;
    struct rd_service *s = &r->services[r->nservices];
    int failed = 0;
    s->ip = dup_or_null(rc->dst_ip, &failed);
    s->protocol = dup_or_null(rc->protocol, &failed);
    s->sni = dup_or_null(rc->sni, &failed);
    s->port = rc->dst_port;
    s->udp = rc->udp;
    if (failed) {
        free(s->ip);
        free(s->protocol);
        free(s->sni);
        memset(s, 0, sizeof(*s));
        return -1;
    }
    *idx = (uint32_t)r->nservices++;
    return 0;
}

static int new_client(struct readiness *r, const struct rec *rc, uint32_t service, uint32_t *idx)
{
    if (grow((void **)&r->clients, &r->capclients, r->nclients + 1, sizeof(*r->clients)) < 0)
        return -1;
    struct rd_client *c = &r->clients[r->nclients];
    int failed = 0;
    c->service = service;
    c->ip = dup_or_null(rc->src_ip, &failed);
    c->ja4 = dup_or_null(rc->ja4, &failed);
    if (failed) {
        free(c->ip);
        free(c->ja4);
        memset(c, 0, sizeof(*c));
        return -1;
    }
    *idx = (uint32_t)r->nclients++;
    return 0;
}

static int update_client(struct rd_client *c, const struct rec *rc)
{
    span_update(&c->first_us, &c->last_us, rc->ts, c->handshakes == 0);
    c->handshakes++;
    c->max_offered = (uint8_t)version_max(c->max_offered, rc->max_offered);
    if (rc->negotiated) {
        c->neg_low = (uint8_t)version_min(c->neg_low, rc->negotiated);
        c->neg_high = (uint8_t)version_max(c->neg_high, rc->negotiated);
    } else {
        c->no_server_hello++;
    }
    c->offered_findings |= rc->offered_findings;
    c->negotiated_findings |= rc->negotiated_findings;
    if (rc->ja3 && (!c->ja3 || strcmp(rc->ja3, c->ja3) < 0)) {
        char *d = strdup(rc->ja3);
        if (!d)
            return -1;
        free(c->ja3);
        c->ja3 = d;
    }
    return 0;
}

static int update_service(struct readiness *r, struct rd_service *s, const struct rec *rc)
{
    span_update(&s->first_us, &s->last_us, rc->ts, s->handshakes == 0);
    s->handshakes++;
    for (int f = 0; f < RDF_COUNT; f++)
        if (rc->negotiated_findings & (1u << f))
            s->neg_findings[f]++;
    if (rc->negotiated_findings && add_suite(s, rc->cipher) < 0)
        return -1;
    return add_bucket(r, s, rc->ts, version_cat(rc->negotiated));
}

static int add_tls(struct readiness *r, const struct rec *rc)
{
    uint64_t hs, hc;
    service_key(r, rc);
    struct slot *ss = lookup(r, &hs);
    if (!ss)
        return -1;
    if (!ss->key && r->nservices >= READINESS_MAX_SERVICES) {
        r->st.over_capacity++;
        return 0;
    }
    /* A new service has no clients yet: the client table decides too. */
    if (!ss->key && r->nclients >= READINESS_MAX_CLIENTS) {
        r->st.over_capacity++;
        return 0;
    }
    uint32_t si = (uint32_t)r->nservices;
    if (ss->key)
        si = ss->val;
    else if (new_service(r, rc, &si) < 0 || insert(r, ss, hs, si) < 0)
        return -1;
    client_key(r, si, rc);
    struct slot *cs = lookup(r, &hc);
    if (!cs)
        return -1;
    if (!cs->key && r->nclients >= READINESS_MAX_CLIENTS) {
        r->st.over_capacity++;
        return 0;
    }
    uint32_t ci = 0;
    if (cs->key)
        ci = cs->val;
    else if (new_client(r, rc, si, &ci) < 0 || insert(r, cs, hc, ci) < 0)
        return -1;
    if (update_client(&r->clients[ci], rc) < 0 || update_service(r, &r->services[si], rc) < 0)
        return -1;
    return 0;
}

static int new_pseudo(struct readiness *r, const struct rec *rc, uint32_t *idx)
{
    if (grow((void **)&r->pseudo, &r->cappseudo, r->npseudo + 1, sizeof(*r->pseudo)) < 0)
        return -1;
    struct rd_pseudo *p = &r->pseudo[r->npseudo];
    int failed = 0;
    p->ip = dup_or_null(rc->dst_ip, &failed);
    p->protocol = dup_or_null(rc->protocol, &failed);
    p->kind = dup_or_null(rc->pseudo, &failed);
    p->port = rc->dst_port;
    p->udp = rc->udp;
    if (failed) {
        free(p->ip);
        free(p->protocol);
        free(p->kind);
        memset(p, 0, sizeof(*p));
        return -1;
    }
    *idx = (uint32_t)r->npseudo++;
    return 0;
}

/* Pseudo-TLS (MS-TURN, Google SSL-TCP) is not TLS: never a client of a
 * service, only counted per server, with its distinct client addresses. */
static int add_pseudo(struct readiness *r, const struct rec *rc)
{
    uint64_t h;
    kb_reset(&r->kb, 'P');
    kb_str(&r->kb, rc->dst_ip);
    kb_add(&r->kb, &rc->dst_port, sizeof(rc->dst_port), 1);
    kb_add(&r->kb, &rc->udp, 1, 1);
    kb_str(&r->kb, rc->protocol);
    kb_str(&r->kb, rc->pseudo);
    struct slot *s = lookup(r, &h);
    uint32_t pi = 0;
    if (!s)
        return -1;
    if (s->key) {
        pi = s->val;
    } else if (r->npseudo >= READINESS_MAX_PSEUDO) {
        r->st.over_capacity++;
        return 0;
    } else if (new_pseudo(r, rc, &pi) < 0 || insert(r, s, h, pi) < 0) {
        return -1;
    }
    struct rd_pseudo *p = &r->pseudo[pi];
    kb_reset(&r->kb, 'Q');
    kb_add(&r->kb, &pi, sizeof(pi), 1);
    kb_str(&r->kb, rc->src_ip);
    s = lookup(r, &h);
    if (!s)
        return -1;
    if (!s->key && r->npseudo_clients < READINESS_MAX_PSEUDO) {
        if (insert(r, s, h, 0) < 0)
            return -1;
        r->npseudo_clients++;
        p->clients++;
    }
    span_update(&p->first_us, &p->last_us, rc->ts, p->handshakes == 0);
    p->handshakes++;
    return 0;
}

static int add_record(struct readiness *r, const struct rec *rc)
{
    r->st.handshakes++;
    span_update(&r->first_us, &r->last_us, rc->ts, !r->any_time);
    r->any_time = 1;
    if (rc->pseudo) {
        r->st.pseudo++;
        return add_pseudo(r, rc);
    }
    return add_tls(r, rc);
}

/* 0 counted or ignored, -1 bad line, -2 out of memory. */
static int add_line(struct readiness *r, const char *line, size_t len)
{
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (i == len)
        return 0; /* blank lines are no records */
    r->st.lines++;
    json_error_t jerr;
    json_t *root = json_loadb(line, len, JSON_ALLOW_NUL, &jerr);
    if (!root) {
        r->st.bad_lines++;
        return -1;
    }
    struct rec rc;
    memset(&rc, 0, offsetof(struct rec, arena));
    rc.arena_used = 0;
    int kind = parse_record(root, &rc);
    int rv = 0;
    if (kind < 0) {
        r->st.bad_lines++;
        rv = -1;
    } else if (kind == 0) {
        const char *ds = json_string_value(at(root, "event", "dataset", NULL));
        if (strcmp(ds, "tlsmon.plaintext") == 0)
            r->st.plaintext++;
        else
            r->st.other++;
    } else if (add_record(r, &rc) < 0) {
        rv = -2;
    }
    json_decref(root);
    return rv;
}

int readiness_add_json_line(struct readiness *r, const char *line, size_t len)
{
    return add_line(r, line, len) == 0 ? 0 : -1;
}

int rd_add_line(struct readiness *r, const char *line, size_t len)
{
    return add_line(r, line, len);
}

/* ---- reading a file ----------------------------------------------------- */

struct linebuf {
    char *p;
    size_t len, cap;
    int overlong;
};

/* One line into lb (with its newline, if any). 1 a line, 0 end, -1 error. */
static int read_line(gzFile gz, struct linebuf *lb)
{
    lb->len = 0;
    lb->overlong = 0;
    for (;;) {
        if (lb->cap - lb->len < 2) {
            size_t cap = lb->cap ? lb->cap * 2 : 65536;
            char *p = realloc(lb->p, cap);
            if (!p)
                return -1;
            lb->p = p;
            lb->cap = cap;
        }
        size_t room = lb->cap - lb->len;
        if (!gzgets(gz, lb->p + lb->len, room > INT_MAX ? INT_MAX : (int)room)) {
            int zerr;
            gzerror(gz, &zerr);
            if (zerr != Z_OK && zerr != Z_STREAM_END)
                return -1;
            return lb->len > 0 || lb->overlong;
        }
        lb->len += strlen(lb->p + lb->len);
        if ((lb->len > 0 && lb->p[lb->len - 1] == '\n') || gzeof(gz))
            return 1;
        if (lb->len >= RD_MAX_LINE) { /* keep reading to its end, keep nothing */
            lb->overlong = 1;
            lb->len = 0;
        }
    }
}

struct progress {
    int on;
    off_t size;
    const char *name;
    struct timespec last;
    uint64_t lines;
};

static void progress_draw(struct progress *pg, gzFile gz, int force)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long ms = (now.tv_sec - pg->last.tv_sec) * 1000 + (now.tv_nsec - pg->last.tv_nsec) / 1000000;
    if (!force && ms < 200)
        return;
    pg->last = now;
    off_t pos = gzoffset(gz);
    int pct = pg->size > 0 && pos > 0 ? (int)(pos * 100 / pg->size) : 0;
    if (pct > 100)
        pct = 100;
    char bar[31];
    for (int i = 0; i < 30; i++)
        bar[i] = i < pct * 30 / 100 ? '#' : '.';
    bar[30] = 0;
    fprintf(stderr, "\rtlsmon report: %.40s [%s] %3d%% %llu lines", pg->name, bar, pct,
            (unsigned long long)pg->lines);
    fflush(stderr);
}

static void progress_start(struct progress *pg, int fd, const char *path)
{
    struct stat sb;
    memset(pg, 0, sizeof(*pg));
    if (!isatty(STDERR_FILENO) || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
        sb.st_size < (off_t)RD_PROGRESS_MIN)
        return;
    const char *slash = strrchr(path, '/');
    pg->on = 1;
    pg->size = sb.st_size;
    pg->name = slash ? slash + 1 : path;
    clock_gettime(CLOCK_MONOTONIC, &pg->last);
}

static void progress_end(struct progress *pg)
{
    if (pg->on)
        fputs("\r\033[K", stderr);
}

static void note_bad(struct readiness *r, uint64_t lineno, const char *why)
{
    if (r->file_bad++ == 0) {
        r->file_first_bad_line = lineno;
        snprintf(r->file_first_bad, sizeof(r->file_first_bad), "%s", why);
    }
}

static const char *display_name(const char *path)
{
    return strcmp(path, "-") == 0 ? "stdin" : path;
}

void rd_file_bad(const struct readiness *r, uint64_t *n, uint64_t *first_line, const char **why)
{
    *n = r->file_bad;
    *first_line = r->file_first_bad_line;
    *why = r->file_first_bad;
}

static int open_input(const char *path, int *fd_out, char *err, size_t errlen)
{
    int fd = strcmp(path, "-") == 0 ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", display_name(path), strerror(errno));
        return -1;
    }
    if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        snprintf(err, errlen, "%s: is a directory, not a handshake log", path);
        close(fd);
        return -1;
    }
    *fd_out = fd;
    return 0;
}

int readiness_read_file(struct readiness *r, const char *path, char *err, size_t errlen)
{
    int fd;
    r->file_bad = 0;
    if (open_input(path, &fd, err, errlen) < 0)
        return -1;
    struct progress pg;
    progress_start(&pg, fd, path);
    gzFile gz = gzdopen(fd, "rb"); /* reads plain files as they are, too */
    if (!gz) {
        snprintf(err, errlen, "%s: %s", display_name(path),
                 errno ? strerror(errno) : "out of memory");
        close(fd);
        return -1;
    }
    gzbuffer(gz, 256 * 1024);
    struct linebuf lb = {0};
    uint64_t lineno = 0;
    int rc = 0, got;
    while ((got = read_line(gz, &lb)) == 1) {
        lineno++;
        pg.lines = lineno;
        if (lb.overlong) {
            r->st.lines++;
            r->st.bad_lines++;
            note_bad(r, lineno, "line longer than 1 MiB");
        } else {
            int a = add_line(r, lb.p, lb.len);
            if (a == -1)
                note_bad(r, lineno, "not a handshake log record");
            if (a == -2) {
                snprintf(err, errlen, "%s: out of memory", display_name(path));
                rc = -1;
                break;
            }
        }
        if (pg.on && (lineno & 1023) == 0)
            progress_draw(&pg, gz, 0);
    }
    if (got < 0 && rc == 0) {
        int zerr;
        const char *msg = gzerror(gz, &zerr);
        snprintf(err, errlen, "%s: %s", display_name(path),
                 zerr == Z_ERRNO       ? strerror(errno)
                 : zerr == Z_BUF_ERROR ? "unexpected end of file (truncated gzip)"
                                       : msg);
        rc = -1;
    }
    if (pg.on)
        progress_draw(&pg, gz, 1);
    progress_end(&pg);
    free(lb.p);
    gzclose(gz);
    return rc;
}

/* ---- the sorted view ---------------------------------------------------- */

/* Addresses sort by family then bytes; one that does not parse sorts last,
 * by its text. */
static void ip_key(const char *ip, uint8_t key[17])
{
    memset(key, 0, 17);
    if (inet_pton(AF_INET, ip, key + 1) == 1)
        key[0] = 4;
    else if (inet_pton(AF_INET6, ip, key + 1) == 1)
        key[0] = 6;
    else
        key[0] = 255;
}

static int cmp_str_null(const char *a, const char *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

static int cmp_ip(const char *a, const char *b)
{
    uint8_t ka[17], kb[17];
    ip_key(a, ka);
    ip_key(b, kb);
    int c = memcmp(ka, kb, 17);
    return c ? c : strcmp(a, b);
}

static int cmp_service(const struct rd_service *a, const struct rd_service *b)
{
    int c = cmp_ip(a->ip, b->ip);
    if (c)
        return c;
    if (a->port != b->port)
        return a->port < b->port ? -1 : 1;
    if (a->udp != b->udp)
        return a->udp < b->udp ? -1 : 1;
    if ((c = strcmp(a->protocol, b->protocol)))
        return c;
    return cmp_str_null(a->sni, b->sni);
}

static int cmp_service_view(const void *pa, const void *pb)
{
    return cmp_service(((const struct rd_service_view *)pa)->s,
                       ((const struct rd_service_view *)pb)->s);
}

static int cmp_client_view(const void *pa, const void *pb)
{
    const struct rd_client_view *a = pa, *b = pb;
    if (a->group != b->group)
        return a->group < b->group ? -1 : 1;
    int c = cmp_ip(a->c->ip, b->c->ip);
    return c ? c : cmp_str_null(a->c->ja4, b->c->ja4);
}

static int cmp_pseudo(const void *pa, const void *pb)
{
    const struct rd_pseudo *a = *(const struct rd_pseudo *const *)pa;
    const struct rd_pseudo *b = *(const struct rd_pseudo *const *)pb;
    int c = cmp_ip(a->ip, b->ip);
    if (c)
        return c;
    if (a->port != b->port)
        return a->port < b->port ? -1 : 1;
    if (a->udp != b->udp)
        return a->udp < b->udp ? -1 : 1;
    if ((c = strcmp(a->protocol, b->protocol)))
        return c;
    return strcmp(a->kind, b->kind);
}

/* The groups. A client whose offer was not seen (no ClientHello, or only
 * unnamed draft versions) offered at least what it negotiated, so that
 * stands in for its offer. With neither seen there is nothing to say
 * against it: fine. With an offer at or above the floor and no ServerHello
 * (refused for another reason, or a one-sided capture) it is fine too:
 * raising the floor does not change what happens to it. */
static enum rd_group client_group(const struct rd_client *c, int floor)
{
    int f = rd_version_rank(floor);
    int offered = c->max_offered ? rd_version_rank(c->max_offered) : rd_version_rank(c->neg_high);
    if (offered && offered < f)
        return RD_WOULD_BREAK;
    if (c->neg_low && rd_version_rank(c->neg_low) < f)
        return RD_NEGOTIATING_LOW;
    return RD_FINE;
}

/* The display width: the finest that fits the whole span in
 * RD_CHART_BARS bars, never finer than what was stored. */
static void view_chart_axis(const struct readiness *r, struct rd_view *v)
{
    int level = r->width_level;
    while (level + 1 < NWIDTHS &&
           floor_div(r->last_us, width_us(level)) - floor_div(r->first_us, width_us(level)) + 1 >
               RD_CHART_BARS)
        level++;
    v->width_us = width_us(level);
    v->ratio = widths_min[level] / widths_min[r->width_level];
    v->first_idx = floor_div(r->first_us, v->width_us);
    v->last_idx = r->any_time ? floor_div(r->last_us, v->width_us) : v->first_idx - 1;
}

static int view_services(const struct readiness *r, struct rd_view *v, size_t *pos)
{
    v->services = calloc(r->nservices ? r->nservices : 1, sizeof(*v->services));
    if (!v->services)
        return -1;
    for (size_t i = 0; i < r->nservices; i++)
        v->services[i].s = &r->services[i];
    qsort(v->services, r->nservices, sizeof(*v->services), cmp_service_view);
    v->nservices = r->nservices;
    for (size_t i = 0; i < r->nservices; i++)
        pos[v->services[i].s - r->services] = i;
    return 0;
}

static int view_clients(const struct readiness *r, struct rd_view *v, const size_t *pos)
{
    v->clients = calloc(r->nclients ? r->nclients : 1, sizeof(*v->clients));
    if (!v->clients)
        return -1;
    /* Counting sort by service position, then each service's slice sorted. */
    size_t *start = calloc(r->nservices + 1, sizeof(*start));
    if (!start)
        return -1;
    for (size_t i = 0; i < r->nclients; i++)
        start[pos[r->clients[i].service] + 1]++;
    for (size_t i = 0; i < r->nservices; i++)
        start[i + 1] += start[i];
    for (size_t i = 0; i < r->nservices; i++) {
        v->services[i].clients = v->clients + start[i];
        v->services[i].nclients = 0;
    }
    for (size_t i = 0; i < r->nclients; i++) {
        const struct rd_client *c = &r->clients[i];
        struct rd_service_view *sv = &v->services[pos[c->service]];
        struct rd_client_view *cv = &sv->clients[sv->nclients++];
        cv->c = c;
        cv->s = sv->s;
        cv->group = client_group(c, r->floor);
        cv->label = r->labels ? rd_labels_find(r->labels, c->ja4, c->ja3) : NULL;
        sv->ngroup[cv->group]++;
        v->ngroup[cv->group]++;
        for (int f = 0; f < RDF_COUNT; f++)
            sv->offered_by[f] += (c->offered_findings >> f) & 1;
    }
    for (size_t i = 0; i < r->nservices; i++)
        qsort(v->services[i].clients, v->services[i].nclients, sizeof(*v->clients),
              cmp_client_view);
    v->nclients = r->nclients;
    free(start);
    return 0;
}

int rd_view_build(const struct readiness *r, struct rd_view *v)
{
    memset(v, 0, sizeof(*v));
    v->r = r;
    v->floor = r->floor;
    v->st = r->st;
    v->first_us = r->first_us;
    v->last_us = r->last_us;
    v->any_time = r->any_time;
    view_chart_axis(r, v);
    size_t *pos = calloc(r->nservices ? r->nservices : 1, sizeof(*pos));
    if (!pos || view_services(r, v, pos) < 0 || view_clients(r, v, pos) < 0) {
        free(pos);
        rd_view_free(v);
        return -1;
    }
    free(pos);
    v->pseudo = calloc(r->npseudo ? r->npseudo : 1, sizeof(*v->pseudo));
    if (!v->pseudo) {
        rd_view_free(v);
        return -1;
    }
    for (size_t i = 0; i < r->npseudo; i++)
        v->pseudo[i] = &r->pseudo[i];
    qsort(v->pseudo, r->npseudo, sizeof(*v->pseudo), cmp_pseudo);
    v->npseudo = r->npseudo;
    return 0;
}

void rd_view_free(struct rd_view *v)
{
    free(v->services);
    free(v->clients);
    free(v->pseudo);
    memset(v, 0, sizeof(*v));
}

void rd_view_bucket(const struct rd_view *v, const struct rd_service *s, int64_t i,
                    uint32_t out[RDC_COUNT])
{
    memset(out, 0, RDC_COUNT * sizeof(*out));
    int64_t lo = (v->first_idx + i) * v->ratio, hi = lo + v->ratio;
    for (uint32_t k = bucket_find(s, lo); k < s->nbuckets && s->buckets[k].idx < hi; k++)
        for (int c = 0; c < RDC_COUNT; c++)
            out[c] += s->buckets[k].n[c];
}

const char *rd_floor_name(const struct rd_view *v)
{
    return versions[v->floor].num;
}
