/* metrics.c: see metrics.h. */
#include "metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "handshake_log.h"
#include "json.h"
#include "tally.h"

struct service_rec {
    uint64_t total, old, by_negotiated[VB_COUNT];
};

/* What the records of one period (an interval, or the run) add up to. */
struct period {
    int64_t start_us;
    uint64_t handshakes, established, old, plaintext, pseudo;
    uint64_t by_negotiated[VB_COUNT], by_client_max[VB_COUNT];
    struct tally services; /* "ip\tport\ttransport\tprotocol" */
};

struct metrics {
    struct metrics_options o;
    struct period interval, run;
    struct summary *interval_summary; /* summary.c's text of the interval */
    struct metrics_snapshot at_interval_start;
};

/* Label values: the log's spelling of versions, without spaces. */
static const char *const vb_label[VB_COUNT] = {
    "none",   "ssl2.0",  "ssl3.0",  "tls1.0",  "tls1.1", "tls1.2",
    "tls1.3", "dtls1.0", "dtls1.2", "dtls1.3", "other",
};

/* TLS 1.1 or lower (DTLS 1.0 is TLS 1.1-based), as summary.c counts them. */
static int is_old(enum vbucket b)
{
    return b == VB_SSL2 || b == VB_SSL3 || b == VB_TLS10 || b == VB_TLS11 || b == VB_DTLS10;
}

static void period_init(struct period *p, int64_t start_us)
{
    memset(p, 0, sizeof(*p));
    p->start_us = start_us;
    tally_init(&p->services, sizeof(struct service_rec), METRICS_MAX_SERVICES);
}

static void period_add(struct period *p, const struct tls_handshake *hs)
{
    if (hs->pseudo) { /* not TLS: counted apart, as the summary does */
        p->pseudo++;
        return;
    }
    enum vbucket neg = hs->has_sh ? version_bucket(tls_server_version(&hs->sh)) : VB_NONE;
    enum vbucket cmax = hs->has_ch ? version_bucket(tls_client_max_version(&hs->ch)) : VB_NONE;
    int old = is_old(neg) || is_old(cmax);
    p->handshakes++;
    p->established += hs->established;
    p->old += old;
    p->by_negotiated[neg]++;
    p->by_client_max[cmax]++;

    char ip[64], key[TALLY_KEY_MAX];
    format_ip(&hs->server, ip, sizeof(ip));
    snprintf(key, sizeof(key), "%s\t%u\t%s\t%s", ip, hs->server.port,
             hs->transport == TRANSPORT_UDP ? "udp" : "tcp",
             hs->protocol ? hs->protocol : "unknown");
    struct service_rec *r = tally_get(&p->services, key);
    if (r) {
        r->total++;
        r->old += old;
        r->by_negotiated[neg]++;
    }
}

struct metrics *metrics_new(const struct metrics_options *o, int64_t start_us)
{
    struct metrics *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->o = *o;
    period_init(&m->interval, start_us);
    period_init(&m->run, start_us);
    if (!(m->interval_summary = summary_new())) {
        metrics_free(m);
        return NULL;
    }
    return m;
}

void metrics_free(struct metrics *m)
{
    if (!m)
        return;
    tally_free(&m->interval.services);
    tally_free(&m->run.services);
    summary_free(m->interval_summary);
    free(m);
}

void metrics_add_handshake(struct metrics *m, const struct tls_handshake *hs)
{
    period_add(&m->interval, hs);
    period_add(&m->run, hs);
    summary_add(m->interval_summary, hs);
}

void metrics_add_plaintext(struct metrics *m, const struct plaintext_record *pr)
{
    m->interval.plaintext++;
    m->run.plaintext++;
    summary_add_plaintext(m->interval_summary, pr);
}

/* ---- counter arithmetic ------------------------------------------------ */

/* struct run_counters is uint64_t counters followed by the two timestamps;
 * it is added and subtracted word by word so that a counter added to it
 * later is carried along without a change here. */
#define COUNTER_WORDS (offsetof(struct run_counters, first_ts) / sizeof(uint64_t))
_Static_assert(offsetof(struct run_counters, first_ts) % sizeof(uint64_t) == 0 &&
                   sizeof(struct run_counters) ==
                       offsetof(struct run_counters, first_ts) + 2 * sizeof(double),
               "run_counters: uint64_t counters, then first_ts and last_ts");

static uint64_t *words(struct run_counters *c)
{
    return (uint64_t *)(void *)c;
}

/* Peaks are levels, not counts: an interval shows the level reached. */
static int is_peak(size_t w)
{
    return w == offsetof(struct run_counters, flows_peak) / sizeof(uint64_t) ||
           w == offsetof(struct run_counters, reasm_peak_bytes) / sizeof(uint64_t) ||
           w == offsetof(struct run_counters, hello_buffer_peak) / sizeof(uint64_t) ||
           w == offsetof(struct run_counters, ip_frag_peak_bytes) / sizeof(uint64_t);
}

void metrics_snapshot_add(struct metrics_snapshot *a, const struct metrics_snapshot *b)
{
    struct run_counters bc = b->c;
    uint64_t *aw = words(&a->c), *bw = words(&bc);
    for (size_t w = 0; w < COUNTER_WORDS; w++)
        aw[w] += bw[w];
    if (b->c.packets) {
        if (!a->c.packets || b->c.first_ts < a->c.first_ts)
            a->c.first_ts = b->c.first_ts;
        if (b->c.last_ts > a->c.last_ts)
            a->c.last_ts = b->c.last_ts;
    }
    live_stats_add(&a->cap, &b->cap);
    a->flows_active += b->flows_active;
}

/* The figures of an interval: now minus its start. */
static void snapshot_delta(const struct metrics_snapshot *now, const struct metrics_snapshot *then,
                           struct metrics_snapshot *d)
{
    *d = *now;
    struct run_counters tc = then->c;
    uint64_t *dw = words(&d->c), *tw = words(&tc);
    for (size_t w = 0; w < COUNTER_WORDS; w++)
        if (!is_peak(w))
            dw[w] -= tw[w];
    if (then->c.packets && d->c.packets)
        d->c.first_ts = then->c.last_ts;
    for (uint32_t i = 0; i < d->cap.n && i < then->cap.n; i++) {
        d->cap.iface[i].received -= then->cap.iface[i].received;
        d->cap.iface[i].dropped -= then->cap.iface[i].dropped;
        d->cap.iface[i].if_dropped -= then->cap.iface[i].if_dropped;
    }
}

struct drops {
    uint64_t received, kernel, interface;
};

static struct drops capture_drops(const struct live_stats *cap)
{
    struct drops d = {0, 0, 0};
    for (uint32_t i = 0; i < cap->n; i++) {
        d.received += cap->iface[i].received;
        d.kernel += cap->iface[i].dropped;
        d.interface += cap->iface[i].if_dropped;
    }
    return d;
}

/* ---- text -------------------------------------------------------------- */

static void print_live(FILE *out, const struct live_stats *cap)
{
    if (!cap->n)
        return;
    struct drops d = capture_drops(cap);
    fprintf(out,
            "  live capture: received %" PRIu64 ", kernel drops %" PRIu64
            ", interface drops %" PRIu64,
            d.received, d.kernel, d.interface);
    for (uint32_t i = 0; cap->n > 1 && i < cap->n; i++)
        fprintf(out, "%s%s %" PRIu64 "/%" PRIu64 "/%" PRIu64, i ? "; " : " (", cap->iface[i].name,
                cap->iface[i].received, cap->iface[i].dropped, cap->iface[i].if_dropped);
    fprintf(out, "%s\n", cap->n > 1 ? ")" : "");
}

static void print_buckets(FILE *out, const char *title, const uint64_t *b)
{
    fprintf(out, "  %s", title);
    int any = 0;
    for (int v = VB_COUNT - 1; v >= 0; v--) {
        if (!b[v])
            continue;
        fprintf(out, "%s %s %" PRIu64, any ? "," : "",
                v == VB_NONE ? "none" : vbucket_name((enum vbucket)v), b[v]);
        any = 1;
    }
    fprintf(out, "%s\n", any ? "" : " -");
}

/* A few lines on the run so far (the whole summary comes at the end). */
static void print_run(const struct metrics *m, FILE *out, const struct metrics_snapshot *s,
                      int64_t now_us)
{
    const struct period *p = &m->run;
    char since[40];
    format_timestamp(p->start_us, since, sizeof(since));
    fprintf(out,
            "Run so far (since %s, %.0f s): %" PRIu64 " TLS handshakes, %" PRIu64
            " established, %" PRIu64 " on TLS 1.1 or lower, %" PRIu64
            " plaintext sessions, %" PRIu64 " pseudo-TLS\n",
            since, (double)(now_us - p->start_us) / 1e6, p->handshakes, p->established, p->old,
            p->plaintext, p->pseudo);
    print_buckets(out, "negotiated:", p->by_negotiated);
    print_buckets(out, "client max:", p->by_client_max);
    fprintf(out,
            "  packets %" PRIu64 ", bytes %" PRIu64 ", flows %" PRIu64 " (%" PRIu64
            " now), log lines %" PRIu64 "\n",
            s->c.packets, s->c.bytes, s->c.flows_created, s->flows_active, s->c.log_written);
    struct drops d = capture_drops(&s->cap);
    fprintf(out,
            "  drops: kernel %" PRIu64 ", interface %" PRIu64 ", flows evicted %" PRIu64
            ", reassembly gaps %" PRIu64 ", at the reassembly bound %" PRIu64
            ", hellos skipped at the bound %" PRIu64 "\n",
            d.kernel, d.interface, s->c.flows_evicted, s->c.reasm_gaps, s->c.reasm_cap_hits,
            s->c.hello_buffer_refused);
}

static void write_text(struct metrics *m, enum metrics_when when, const struct summary *run,
                       const struct metrics_snapshot *snap, const struct metrics_snapshot *iv,
                       int64_t now_us)
{
    FILE *out = m->o.text;
    char from[40], to[40];
    if (when == METRICS_FINAL) {
        format_timestamp(m->run.start_us, from, sizeof(from));
        format_timestamp(now_us, to, sizeof(to));
        fprintf(out, "==== tlsmon: final summary, %s to %s ====\n", from, to);
        summary_print(run, &snap->c, out);
        print_live(out, &snap->cap);
        fflush(out);
        return;
    }
    format_timestamp(m->interval.start_us, from, sizeof(from));
    format_timestamp(now_us, to, sizeof(to));
    fprintf(out, "==== tlsmon: interval %s to %s (%.0f s)%s ====\n", from, to,
            (double)(now_us - m->interval.start_us) / 1e6,
            when == METRICS_NOW ? ", so far (on request)" : "");
    summary_print(m->interval_summary, &iv->c, out);
    print_live(out, &iv->cap);
    fputc('\n', out);
    print_run(m, out, snap, now_us);
    fputc('\n', out);
    fflush(out);
}

/* ---- files ------------------------------------------------------------- */

/* Replace path with data: a temporary file in the same directory, flushed
 * to disk, then renamed over it, so a reader sees the old or the new. */
static int replace_file(const char *path, const char *data, size_t len, char *err, size_t errlen)
{
    size_t n = strlen(path) + 8;
    char *tmp = malloc(n);
    if (!tmp) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    snprintf(tmp, n, "%s.tmp", path); /* not *.prom: the collector skips it */
    FILE *f = fopen(tmp, "w");
    int ok = f && fwrite(data, 1, len, f) == len && fflush(f) == 0 && fsync(fileno(f)) == 0;
    int e = errno;
    if (f && fclose(f) != 0 && ok) {
        ok = 0;
        e = errno;
    }
    if (ok && rename(tmp, path) != 0) {
        ok = 0;
        e = errno;
    }
    if (!ok) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(e ? e : EIO));
        if (f)
            unlink(tmp);
    }
    free(tmp);
    return ok ? 0 : -1;
}

static void buckets_json(struct json *j, const char *key, const uint64_t *b)
{
    json_open_object(j, key);
    for (int v = 0; v < VB_COUNT; v++)
        if (b[v])
            json_uint(j, vb_label[v], b[v]);
    json_close_object(j);
}

static int cmp_service(const void *a, const void *b, void *ctx)
{
    const struct tally *t = ctx;
    const struct service_rec *ra = tally_rec(t, *(const size_t *)a);
    const struct service_rec *rb = tally_rec(t, *(const size_t *)b);
    if (ra->total != rb->total)
        return ra->total < rb->total ? 1 : -1;
    return strcmp(tally_key(t, *(const size_t *)a), tally_key(t, *(const size_t *)b));
}

/* Split "ip\tport\ttransport\tprotocol" in place. */
static void split_key(char *key, char *field[4])
{
    field[0] = key;
    for (int i = 1; i < 4; i++) {
        char *tab = field[i - 1] ? strchr(field[i - 1], '\t') : NULL;
        if (tab)
            *tab++ = 0;
        field[i] = tab ? tab : (char *)"";
    }
}

static void services_json(struct json *j, const struct tally *t)
{
    size_t *ord = malloc((t->count ? t->count : 1) * sizeof(*ord));
    if (!ord)
        return;
    for (size_t i = 0; i < t->count; i++)
        ord[i] = i;
    qsort_r(ord, t->count, sizeof(*ord), cmp_service, (void *)t);
    json_open_array(j, "services");
    for (size_t k = 0; k < t->count; k++) {
        const struct service_rec *r = tally_rec(t, ord[k]);
        char key[TALLY_KEY_MAX], *f[4];
        snprintf(key, sizeof(key), "%s", tally_key(t, ord[k]));
        split_key(key, f);
        json_open_object(j, NULL);
        json_string(j, "server", f[0]);
        json_uint(j, "port", strtoul(f[1], NULL, 10));
        json_string(j, "transport", f[2]);
        json_string(j, "protocol", f[3]);
        json_uint(j, "handshakes", r->total);
        json_uint(j, "old_tls", r->old);
        buckets_json(j, "negotiated", r->by_negotiated);
        json_close_object(j);
    }
    json_close_array(j);
    json_uint(j, "services_not_listed", t->dropped);
    free(ord);
}

static void period_json(struct json *j, const char *key, const struct period *p,
                        const struct metrics_snapshot *s, int64_t now_us)
{
    char ts[40];
    const struct run_counters *c = &s->c;
    struct drops d = capture_drops(&s->cap);
    json_open_object(j, key);
    format_timestamp(p->start_us, ts, sizeof(ts));
    json_string(j, "start", ts);
    format_timestamp(now_us, ts, sizeof(ts));
    json_string(j, "end", ts);
    json_double(j, "seconds", (double)(now_us - p->start_us) / 1e6);
    json_uint(j, "handshakes", p->handshakes);
    json_uint(j, "established", p->established);
    json_uint(j, "old_tls", p->old);
    json_uint(j, "plaintext_sessions", p->plaintext);
    json_uint(j, "pseudo_tls", p->pseudo);
    buckets_json(j, "negotiated", p->by_negotiated);
    buckets_json(j, "client_max", p->by_client_max);
    services_json(j, &p->services);

    json_open_object(j, "capture");
    json_uint(j, "packets", c->packets);
    json_uint(j, "bytes", c->bytes);
    json_uint(j, "tcp_packets", c->tcp_packets);
    json_uint(j, "udp_packets", c->udp_packets);
    json_uint(j, "flows", c->flows_created);
    json_uint(j, "flows_active", s->flows_active);
    json_uint(j, "flows_peak", c->flows_peak);
    json_uint(j, "flows_expired", c->flows_expired);
    json_uint(j, "client_hellos", c->client_hellos);
    json_uint(j, "server_hellos", c->server_hellos);
    json_uint(j, "unparsable_hellos", c->unparsable_hellos);
    json_uint(j, "oversize_hellos", c->oversize_hellos);
    json_uint(j, "malformed_packets", c->malformed);
    json_uint(j, "truncated_packets", c->truncated_packets);
    json_uint(j, "ip_fragments", c->fragments);
    json_uint(j, "ip_datagrams_reassembled", c->ip_reassembled);
    json_uint(j, "ip_fragment_copies", c->ip_frag_copies);
    json_uint(j, "ip_fragment_bytes_peak", c->ip_frag_peak_bytes);
    json_uint(j, "log_lines", c->log_written);
    json_uint(j, "log_out_of_order", c->log_out_of_order);
    json_close_object(j);

    json_open_object(j, "drops");
    json_uint(j, "kernel", d.kernel);
    json_uint(j, "interface", d.interface);
    json_uint(j, "flows_evicted", c->flows_evicted);
    json_uint(j, "reassembly_gaps", c->reasm_gaps);
    json_uint(j, "reassembly_bound", c->reasm_cap_hits);
    json_uint(j, "hellos_skipped_at_bound", c->hello_buffer_refused);
    json_uint(j, "dtls_fragments", c->dtls_dropped);
    json_uint(j, "ip_datagrams_dropped",
              c->ip_frag_overlapping + c->ip_frag_truncated + c->ip_frag_invalid);
    json_uint(j, "ip_datagrams_incomplete", c->ip_frag_incomplete);
    json_open_array(j, "interfaces");
    for (uint32_t i = 0; i < s->cap.n; i++) {
        json_open_object(j, NULL);
        json_string(j, "name", s->cap.iface[i].name);
        json_uint(j, "received", s->cap.iface[i].received);
        json_uint(j, "kernel", s->cap.iface[i].dropped);
        json_uint(j, "interface", s->cap.iface[i].if_dropped);
        json_close_object(j);
    }
    json_close_array(j);
    json_close_object(j);
    json_close_object(j);
}

static int write_json(struct metrics *m, enum metrics_when when,
                      const struct metrics_snapshot *snap, const struct metrics_snapshot *iv,
                      int64_t now_us, char *err, size_t errlen)
{
    struct json j;
    char ts[40];
    json_init(&j);
    json_open_object(&j, NULL);
    format_timestamp(now_us, ts, sizeof(ts));
    json_string(&j, "time", ts);
    json_string(&j, "kind",
                when == METRICS_FINAL ? "final"
                : when == METRICS_NOW ? "on-request"
                                      : "interval");
    json_uint(&j, "workers", m->o.workers);
    period_json(&j, "interval", &m->interval, iv, now_us);
    period_json(&j, "run", &m->run, snap, now_us);
    json_close_object(&j);
    json_raw(&j, "\n", 1);
    int rc = j.failed ? -1 : replace_file(m->o.json_path, j.p, j.len, err, errlen);
    if (j.failed)
        snprintf(err, errlen, "%s: out of memory", m->o.json_path);
    json_free(&j);
    return rc;
}

/* Prometheus label values escape backslash, quote and newline. */
static void prom_label(FILE *f, const char *name, const char *v, int first)
{
    fprintf(f, "%s%s=\"", first ? "" : ",", name);
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            fprintf(f, "\\%c", *v);
        else if (*v == '\n')
            fputs("\\n", f);
        else
            fputc(*v, f);
    }
    fputc('"', f);
}

static void prom_head(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void prom_one(FILE *f, const char *name, const char *type, const char *help, double v)
{
    prom_head(f, name, type, help);
    fprintf(f, "%s %.17g\n", name, v);
}

static void prom_buckets(FILE *f, const char *name, const char *help, const uint64_t *b)
{
    prom_head(f, name, "counter", help);
    for (int v = 0; v < VB_COUNT; v++)
        fprintf(f, "%s{version=\"%s\"} %" PRIu64 "\n", name, vb_label[v], b[v]);
}

static void prom_services(FILE *f, const struct tally *t)
{
    const char *name = "tlsmon_service_handshakes_total";
    prom_head(f, name, "counter",
              "TLS handshakes by service (server, port, transport, protocol) and negotiated "
              "version.");
    for (size_t i = 0; i < t->count; i++) {
        const struct service_rec *r = tally_rec(t, i);
        char key[TALLY_KEY_MAX], *k[4];
        snprintf(key, sizeof(key), "%s", tally_key(t, i));
        split_key(key, k);
        for (int v = 0; v < VB_COUNT; v++) {
            if (!r->by_negotiated[v])
                continue;
            fprintf(f, "%s{", name);
            prom_label(f, "server", k[0], 1);
            prom_label(f, "port", k[1], 0);
            prom_label(f, "transport", k[2], 0);
            prom_label(f, "protocol", k[3], 0);
            prom_label(f, "version", vb_label[v], 0);
            fprintf(f, "} %" PRIu64 "\n", r->by_negotiated[v]);
        }
    }
    prom_one(f, "tlsmon_service_untracked_handshakes_total", "counter",
             "TLS handshakes of services beyond the metrics' service table.", (double)t->dropped);
}

static void prom_interfaces(FILE *f, const struct live_stats *cap)
{
    static const struct {
        const char *name, *help;
        size_t off;
    } m[] = {
        {"tlsmon_capture_received_packets_total", "Packets the capture received (libpcap).",
         offsetof(struct live_iface_stats, received)},
        {"tlsmon_capture_kernel_drops_total", "Packets dropped because the kernel ring was full.",
         offsetof(struct live_iface_stats, dropped)},
        {"tlsmon_capture_interface_drops_total", "Packets dropped by the interface or driver.",
         offsetof(struct live_iface_stats, if_dropped)},
    };
    for (size_t k = 0; k < sizeof(m) / sizeof(m[0]); k++) {
        prom_head(f, m[k].name, "counter", m[k].help);
        for (uint32_t i = 0; i < cap->n; i++) {
            uint64_t v;
            memcpy(&v, (const char *)&cap->iface[i] + m[k].off, sizeof(v));
            fprintf(f, "%s{", m[k].name);
            prom_label(f, "interface", cap->iface[i].name, 1);
            fprintf(f, "} %" PRIu64 "\n", v);
        }
    }
}

static void prom_counters(FILE *f, const struct metrics_snapshot *s)
{
    const struct run_counters *c = &s->c;
    static const char *const C = "counter";
    prom_one(f, "tlsmon_packets_total", C, "Packets read.", (double)c->packets);
    prom_one(f, "tlsmon_bytes_total", C, "Bytes of the packets read (original length).",
             (double)c->bytes);
    prom_one(f, "tlsmon_flows_total", C, "Flows (TCP connections, UDP flows) tracked.",
             (double)c->flows_created);
    prom_one(f, "tlsmon_flows_active", "gauge", "Flows tracked now.", (double)s->flows_active);
    prom_one(f, "tlsmon_flows_expired_total", C, "Flows ended after going idle.",
             (double)c->flows_expired);
    prom_one(f, "tlsmon_flows_evicted_total", C,
             "Flows evicted because the flow table was full (--max-flows).",
             (double)c->flows_evicted);
    prom_one(f, "tlsmon_reassembly_gaps_total", C,
             "TCP streams given up because bytes were missing.", (double)c->reasm_gaps);
    prom_one(f, "tlsmon_reassembly_bound_drops_total", C,
             "Segments dropped at the reassembly bound (--max-reassembly-mb).",
             (double)c->reasm_cap_hits);
    prom_one(f, "tlsmon_hellos_skipped_total", C,
             "Hellos given up at the hello-buffer bound (--max-reassembly-mb).",
             (double)c->hello_buffer_refused);
    prom_one(f, "tlsmon_unparsable_hellos_total", C, "Malformed ClientHello/ServerHello bodies.",
             (double)c->unparsable_hellos);
    prom_one(f, "tlsmon_oversize_hellos_total", C, "Hellos longer than tlsmon reads.",
             (double)c->oversize_hellos);
    prom_one(f, "tlsmon_dtls_fragments_dropped_total", C, "DTLS handshake fragments dropped.",
             (double)c->dtls_dropped);
    prom_one(f, "tlsmon_malformed_packets_total", C, "Packets whose headers were malformed.",
             (double)c->malformed);
    prom_one(f, "tlsmon_ip_fragments_total", C, "IPv4/IPv6 fragments seen.", (double)c->fragments);
    prom_one(f, "tlsmon_ip_datagrams_reassembled_total", C,
             "IP datagrams put back together from fragments.", (double)c->ip_reassembled);
    prom_one(f, "tlsmon_ip_datagrams_dropped_total", C,
             "IP datagrams given up: overlapping or cut-short fragments, invalid lengths.",
             (double)(c->ip_frag_overlapping + c->ip_frag_truncated + c->ip_frag_invalid));
    prom_one(
        f, "tlsmon_ip_datagrams_incomplete_total", C,
        "IP datagrams whose fragments never all came (timed out, evicted, or held at the end).",
        (double)c->ip_frag_incomplete);
    prom_one(f, "tlsmon_truncated_packets_total", C,
             "Packets captured shorter than they were (snap length).",
             (double)c->truncated_packets);
    prom_one(f, "tlsmon_log_lines_total", C, "Lines written to the handshake log.",
             (double)c->log_written);
    prom_one(f, "tlsmon_log_out_of_order_total", C,
             "Log lines written out of start order (pending bound reached).",
             (double)c->log_out_of_order);
    prom_interfaces(f, &s->cap);
}

static int write_prom(struct metrics *m, const struct metrics_snapshot *snap, int64_t now_us,
                      char *err, size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        snprintf(err, errlen, "%s: out of memory", m->o.prom_path);
        return -1;
    }
    const struct period *p = &m->run;
    prom_buckets(f, "tlsmon_handshakes_total",
                 "TLS handshakes by the version the server negotiated (none: no ServerHello).",
                 p->by_negotiated);
    prom_buckets(f, "tlsmon_client_max_version_handshakes_total",
                 "TLS handshakes by the highest version the client offered.", p->by_client_max);
    prom_one(f, "tlsmon_handshakes_established_total", "counter",
             "TLS handshakes that were established.", (double)p->established);
    prom_one(f, "tlsmon_old_tls_handshakes_total", "counter",
             "TLS handshakes that negotiated, or could only offer, TLS 1.1 or lower.",
             (double)p->old);
    prom_one(f, "tlsmon_plaintext_sessions_total", "counter",
             "Mail, directory and file-transfer sessions that stayed in plaintext.",
             (double)p->plaintext);
    prom_one(f, "tlsmon_pseudo_tls_total", "counter",
             "Pseudo-TLS exchanges (MS-TURN, Google SSL-TCP), not counted as TLS.",
             (double)p->pseudo);
    prom_services(f, &p->services);
    prom_counters(f, snap);
    prom_one(f, "tlsmon_workers", "gauge", "Worker processes.", m->o.workers);
    prom_one(f, "tlsmon_start_time_seconds", "gauge", "When the run started (Unix time).",
             (double)p->start_us / 1e6);
    prom_one(f, "tlsmon_last_update_time_seconds", "gauge",
             "When these figures were written (Unix time).", (double)now_us / 1e6);
    int failed = ferror(f);
    if (fclose(f) != 0 || failed || !buf) {
        free(buf);
        snprintf(err, errlen, "%s: out of memory", m->o.prom_path);
        return -1;
    }
    int rc = replace_file(m->o.prom_path, buf, len, err, errlen);
    free(buf);
    return rc;
}

int metrics_write(struct metrics *m, enum metrics_when when, const struct summary *run,
                  const struct metrics_snapshot *snap, int64_t now_us, char *err, size_t errlen)
{
    struct metrics_snapshot iv;
    int rc = 0;
    char e2[512];
    snapshot_delta(snap, &m->at_interval_start, &iv);
    if (m->o.text)
        write_text(m, when, run, snap, &iv, now_us);
    if (m->o.json_path && write_json(m, when, snap, &iv, now_us, err, errlen) < 0)
        rc = -1;
    if (m->o.prom_path && write_prom(m, snap, now_us, rc ? e2 : err, rc ? sizeof(e2) : errlen) < 0)
        rc = -1;
    if (when == METRICS_INTERVAL) {
        struct summary *fresh = summary_new();
        if (fresh) { /* else the interval summary goes on (counted twice, not lost) */
            summary_free(m->interval_summary);
            m->interval_summary = fresh;
        }
        tally_free(&m->interval.services);
        period_init(&m->interval, now_us);
        m->at_interval_start = *snap;
    }
    return rc;
}
