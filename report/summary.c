/* summary.c: see summary.h. Tables are bounded (tally.h); what did not fit
 * is counted and printed. */
#include "summary.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "handshake_log.h"
#include "tally.h"

#define MAX_SERVICES 20000
#define MAX_OLD_CLIENTS 20000
#define SHOW_SERVICES 25
#define SHOW_OLD_CLIENTS 50

struct service_rec {
    uint64_t total, by_negotiated[VB_COUNT], old_clients;
};

struct old_client_rec {
    uint64_t count;
    uint16_t max_offered, negotiated;
    int64_t first_us, last_us;
    char sni[64];
};

struct plaintext_rec {
    uint64_t sessions, with_credentials, offered, refused;
};

struct summary {
    uint64_t handshakes, established, plaintext_sessions;
    uint64_t pseudo[3]; /* by enum pseudo_tls */
    struct tally pseudo_services;
    struct tally plaintext;
    uint64_t by_negotiated[VB_COUNT], by_client_max[VB_COUNT];
    struct tally services, old_clients;
};

enum vbucket version_bucket(uint16_t v)
{
    switch (v) {
    case 0:
        return VB_NONE;
    case 0x0002:
        return VB_SSL2;
    case 0x0300:
        return VB_SSL3;
    case 0x0301:
        return VB_TLS10;
    case 0x0302:
        return VB_TLS11;
    case 0x0303:
        return VB_TLS12;
    case 0x0304:
        return VB_TLS13;
    case 0xfeff:
        return VB_DTLS10;
    case 0xfefd:
        return VB_DTLS12;
    case 0xfefc:
        return VB_DTLS13;
    default: /* TLS 1.3 drafts count as TLS 1.3: not old TLS */
        return tls_version_is_13(v) ? VB_TLS13 : VB_OTHER;
    }
}

static const char *const vb_names[VB_COUNT] = {
    "none",    "SSL 2.0",  "SSL 3.0",  "TLS 1.0",  "TLS 1.1", "TLS 1.2",
    "TLS 1.3", "DTLS 1.0", "DTLS 1.2", "DTLS 1.3", "other",
};

const char *vbucket_name(enum vbucket b)
{
    return b < VB_COUNT ? vb_names[b] : "?";
}

/* TLS 1.1 or lower (DTLS 1.0 is TLS 1.1-based). */
static int is_old(enum vbucket b)
{
    return b == VB_SSL2 || b == VB_SSL3 || b == VB_TLS10 || b == VB_TLS11 || b == VB_DTLS10;
}

struct summary *summary_new(void)
{
    struct summary *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    tally_init(&s->services, sizeof(struct service_rec), MAX_SERVICES);
    tally_init(&s->old_clients, sizeof(struct old_client_rec), MAX_OLD_CLIENTS);
    tally_init(&s->plaintext, sizeof(struct plaintext_rec), MAX_SERVICES);
    tally_init(&s->pseudo_services, sizeof(uint64_t), MAX_SERVICES);
    return s;
}

void summary_free(struct summary *s)
{
    if (!s)
        return;
    tally_free(&s->services);
    tally_free(&s->old_clients);
    tally_free(&s->plaintext);
    tally_free(&s->pseudo_services);
    free(s);
}

/* "address:port/transport protocol", the key of a service's rows. */
static void service_key(const struct endpoint *server, uint8_t transport, const char *protocol,
                        char *key, size_t len)
{
    /* "ip:port/tcp protocol", "[ip6]:port/udp protocol": built by hand,
     * as every handshake makes one (snprintf was most of summary_add). */
    char ip[64], port[20];
    format_ip(server, ip, sizeof(ip));
    size_t n = 0, port_len = json_format_uint(port, server->port);
    const char *parts[] = {
        server->family == ADDR_V6 ? "[" : "",           ip,
        server->family == ADDR_V6 ? "]:" : ":",         NULL,
        transport == TRANSPORT_UDP ? "/udp " : "/tcp ", protocol ? protocol : "unknown"};
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        const char *s = parts[i] ? parts[i] : port;
        size_t k = parts[i] ? strlen(s) : port_len;
        if (k > len - 1 - n)
            k = len - 1 - n;
        memcpy(key + n, s, k);
        n += k;
    }
    key[n] = 0;
}

static const char *vname(uint16_t v, char *buf, size_t len)
{
    enum vbucket b = version_bucket(v);
    if (b == VB_OTHER)
        snprintf(buf, len, "0x%04X", v);
    else
        snprintf(buf, len, "%s", b == VB_NONE ? "-" : vb_names[b]);
    return buf;
}

void summary_add(struct summary *s, const struct tls_handshake *hs)
{
    enum vbucket neg = hs->has_sh ? version_bucket(tls_server_version(&hs->sh)) : VB_NONE;
    uint16_t max = hs->has_ch ? tls_client_max_version(&hs->ch) : 0;
    enum vbucket cmax = hs->has_ch ? version_bucket(max) : VB_NONE;
    char skey[96], key[TALLY_KEY_MAX], ip[64];

    if (hs->pseudo) {
        /* Not TLS: counted apart, never as an old-TLS client. */
        s->pseudo[hs->pseudo < 3 ? hs->pseudo : 0]++;
        service_key(&hs->server, hs->transport, hs->protocol, skey, sizeof(skey));
        uint64_t *n = tally_get(&s->pseudo_services, skey);
        if (n)
            (*n)++;
        return;
    }
    s->handshakes++;
    s->established += hs->established;
    s->by_negotiated[neg]++;
    s->by_client_max[cmax]++;

    service_key(&hs->server, hs->transport, hs->protocol, skey, sizeof(skey));
    struct service_rec *svc = tally_get(&s->services, skey);
    int old = is_old(neg) || is_old(cmax);
    if (svc) {
        svc->total++;
        svc->by_negotiated[neg]++;
        svc->old_clients += old;
    }
    if (!old)
        return;
    /* One row per client address, service, and version pair. */
    char a[16], b[16];
    format_ip(&hs->client, ip, sizeof(ip));
    snprintf(key, sizeof(key), "%s -> %s|%s|%s", ip, skey, vname(max, a, sizeof(a)),
             vname(hs->has_sh ? tls_server_version(&hs->sh) : 0, b, sizeof(b)));
    struct old_client_rec *c = tally_get(&s->old_clients, key);
    if (!c)
        return;
    if (c->count++ == 0) {
        c->first_us = hs->ts_us;
        if (hs->has_ch && hs->ch.has_sni)
            snprintf(c->sni, sizeof(c->sni), "%.*s", (int)hs->ch.sni_len, hs->ch.sni);
    }
    c->last_us = hs->ts_us;
    c->max_offered = max;
    c->negotiated = hs->has_sh ? tls_server_version(&hs->sh) : 0;
}

void summary_add_plaintext(struct summary *s, const struct plaintext_record *pr)
{
    char key[96];
    s->plaintext_sessions++;
    service_key(&pr->server, pr->transport, pr->protocol, key, sizeof(key));
    struct plaintext_rec *r = tally_get(&s->plaintext, key);
    if (!r)
        return;
    r->sessions++;
    r->with_credentials += pr->credentials != NULL;
    r->offered += pr->starttls_offered == 2;
    r->refused += pr->starttls_refused;
}

static void print_plaintext(const struct summary *s, FILE *out)
{
    const struct tally *t = &s->plaintext;
    fprintf(out,
            "Sessions that stayed in plaintext (mail, directory, file transfer): %" PRIu64 "\n",
            s->plaintext_sessions);
    if (!t->count)
        return;
    fprintf(out, "  %-44s %8s %12s %16s %8s\n", "service", "sessions", "credentials",
            "STARTTLS offered", "refused");
    for (size_t i = 0; i < t->count && i < SHOW_SERVICES; i++) {
        const struct plaintext_rec *r = tally_rec(t, i);
        fprintf(out, "  %-44s %8" PRIu64 " %12" PRIu64 " %16" PRIu64 " %8" PRIu64 "\n",
                tally_key(t, i), r->sessions, r->with_credentials, r->offered, r->refused);
    }
    if (t->count > SHOW_SERVICES)
        fprintf(out, "  ... and %zu more services\n", t->count - SHOW_SERVICES);
}

static void print_buckets(FILE *out, const char *title, const uint64_t *b, uint64_t total,
                          const char *none_label)
{
    fprintf(out, "%s\n", title);
    for (int i = VB_COUNT - 1; i >= 0; i--) {
        if (!b[i])
            continue;
        const char *name = i == VB_NONE ? none_label : vb_names[i];
        fprintf(out, "  %-24s %10" PRIu64 "  %5.1f%%\n", name, b[i],
                total ? 100.0 * (double)b[i] / (double)total : 0.0);
    }
}

static int cmp_service(const void *a, const void *b, void *ctx)
{
    const struct tally *t = ctx;
    const struct service_rec *x = tally_rec(t, *(const size_t *)a);
    const struct service_rec *y = tally_rec(t, *(const size_t *)b);
    if (x->total != y->total)
        return x->total < y->total ? 1 : -1;
    return strcmp(tally_key(t, *(const size_t *)a), tally_key(t, *(const size_t *)b));
}

static int cmp_key(const void *a, const void *b, void *ctx)
{
    const struct tally *t = ctx;
    return strcmp(tally_key(t, *(const size_t *)a), tally_key(t, *(const size_t *)b));
}

static size_t *sorted_order(const struct tally *t, int (*cmp)(const void *, const void *, void *))
{
    size_t *ord = malloc((t->count ? t->count : 1) * sizeof(*ord));
    if (!ord)
        return NULL;
    for (size_t i = 0; i < t->count; i++)
        ord[i] = i;
    qsort_r(ord, t->count, sizeof(*ord), cmp, (void *)t);
    return ord;
}

static void print_services(const struct summary *s, FILE *out)
{
    const struct tally *t = &s->services;
    size_t *ord = sorted_order(t, cmp_service);
    if (!ord)
        return;
    fprintf(out, "Services (server, transport, protocol), by handshakes:\n");
    fprintf(out, "  %-44s %8s %7s %7s %7s %7s %7s  %s\n", "service", "total", "TLS1.3", "TLS1.2",
            "TLS1.1", "TLS1.0", "SSL/oth", "old clients");
    for (size_t k = 0; k < t->count && k < SHOW_SERVICES; k++) {
        const struct service_rec *r = tally_rec(t, ord[k]);
        uint64_t rest = r->total - r->by_negotiated[VB_TLS13] - r->by_negotiated[VB_TLS12] -
                        r->by_negotiated[VB_TLS11] - r->by_negotiated[VB_TLS10];
        fprintf(out,
                "  %-44s %8" PRIu64 " %7" PRIu64 " %7" PRIu64 " %7" PRIu64 " %7" PRIu64 " %7" PRIu64
                "  %" PRIu64 "\n",
                tally_key(t, ord[k]), r->total, r->by_negotiated[VB_TLS13],
                r->by_negotiated[VB_TLS12], r->by_negotiated[VB_TLS11], r->by_negotiated[VB_TLS10],
                rest, r->old_clients);
    }
    if (t->count > SHOW_SERVICES)
        fprintf(out, "  ... and %zu more services\n", t->count - SHOW_SERVICES);
    if (t->dropped)
        fprintf(out, "  (%" PRIu64 " handshakes of services beyond the table's %d not listed)\n",
                t->dropped, MAX_SERVICES);
    free(ord);
}

static void print_old_clients(const struct summary *s, FILE *out)
{
    const struct tally *t = &s->old_clients;
    char a[16], b[16];
    if (t->count == 0 && t->dropped == 0) {
        fprintf(out, "Clients on TLS 1.1 or lower: none\n");
        return;
    }
    size_t *ord = sorted_order(t, cmp_key);
    if (!ord)
        return;
    fprintf(out, "Clients that negotiated, or can only offer, TLS 1.1 or lower:\n");
    fprintf(out, "  %-70s %6s %-9s %-9s  %s\n", "client -> service", "count", "max offer",
            "negotiated", "SNI");
    for (size_t k = 0; k < t->count && k < SHOW_OLD_CLIENTS; k++) {
        const struct old_client_rec *r = tally_rec(t, ord[k]);
        const char *key = tally_key(t, ord[k]);
        fprintf(out, "  %-70.*s %6" PRIu64 " %-9s %-9s  %s\n", (int)strcspn(key, "|"), key,
                r->count, vname(r->max_offered, a, sizeof(a)), vname(r->negotiated, b, sizeof(b)),
                r->sni[0] ? r->sni : "-");
    }
    if (t->count > SHOW_OLD_CLIENTS)
        fprintf(out, "  ... and %zu more (see the handshake log)\n", t->count - SHOW_OLD_CLIENTS);
    if (t->dropped)
        fprintf(out, "  (%" PRIu64 " handshakes beyond the table's %d not listed)\n", t->dropped,
                MAX_OLD_CLIENTS);
    free(ord);
}

static void print_counters(const struct run_counters *c, FILE *out)
{
    fprintf(out, "Capture:\n");
    fprintf(out,
            "  files %" PRIu64 " (%" PRIu64 " failed), packets %" PRIu64 ", bytes %" PRIu64
            ", span %.3f s\n",
            c->files, c->files_failed, c->packets, c->bytes,
            c->last_ts > c->first_ts ? c->last_ts - c->first_ts : 0.0);
    fprintf(out,
            "  tcp %" PRIu64 ", udp %" PRIu64 ", not IP %" PRIu64 ", other IP %" PRIu64
            ", IP fragments %" PRIu64 ", malformed %" PRIu64 ", cut before headers %" PRIu64
            ", truncated (caplen < len) %" PRIu64 "\n",
            c->tcp_packets, c->udp_packets, c->not_ip, c->not_tcp_udp, c->fragments, c->malformed,
            c->short_headers, c->truncated_packets);
    if (c->fragments)
        fprintf(out,
                "  IP fragments: datagrams reassembled %" PRIu64 "; dropped: overlapping %" PRIu64
                ", cut short %" PRIu64 ", invalid %" PRIu64 "; incomplete %" PRIu64
                "; copies passed %" PRIu64 ", peak held %" PRIu64 " bytes\n",
                c->ip_reassembled, c->ip_frag_overlapping, c->ip_frag_truncated, c->ip_frag_invalid,
                c->ip_frag_incomplete, c->ip_frag_copies, c->ip_frag_peak_bytes);
    fprintf(out,
            "  flows %" PRIu64 " (peak %" PRIu64 " at once), expired %" PRIu64
            ", evicted at the cap %" PRIu64 "\n",
            c->flows_created, c->flows_peak, c->flows_expired, c->flows_evicted);
    fprintf(out,
            "  hellos: client %" PRIu64 " (SSLv2 format %" PRIu64 "), server %" PRIu64
            ", unparsable %" PRIu64 ", oversize %" PRIu64 "\n",
            c->client_hellos, c->sslv2_hellos, c->server_hellos, c->unparsable_hellos,
            c->oversize_hellos);
    fprintf(out,
            "  reassembly: out of order %" PRIu64 ", retransmitted %" PRIu64
            ", gaps (given up) %" PRIu64 ", dropped at the bound %" PRIu64 ", peak held %" PRIu64
            " bytes\n",
            c->reasm_out_of_order, c->reasm_retransmitted, c->reasm_gaps, c->reasm_cap_hits,
            c->reasm_peak_bytes);
    fprintf(out,
            "  hello buffers: peak %" PRIu64 " bytes, %" PRIu64 " hellos skipped at the bound\n",
            c->hello_buffer_peak, c->hello_buffer_refused);
    fprintf(out,
            "  records by record-layer version: SSL3 %" PRIu64 ", TLS1.0 %" PRIu64
            ", TLS1.1 %" PRIu64 ", TLS1.2 %" PRIu64 ", other %" PRIu64 "\n",
            c->records_by_version[0], c->records_by_version[1], c->records_by_version[2],
            c->records_by_version[3], c->records_by_version[4] + c->records_by_version[5]);
    fprintf(out,
            "  DTLS: %" PRIu64 " records, %" PRIu64 " hellos reassembled, %" PRIu64
            " fragments dropped; QUIC: %" PRIu64 " Initials, %" PRIu64 " decrypted, %" PRIu64
            " failed, %" PRIu64 " of unknown versions, %" PRIu64 " version negotiation\n",
            c->dtls_records, c->dtls_reassembled, c->dtls_dropped, c->quic_initials,
            c->quic_decrypted, c->quic_failed, c->quic_unknown_version, c->quic_vn);
    fprintf(out, "  STARTTLS: %" PRIu64 " upgrades, %" PRIu64 " refused by the server\n",
            c->starttls_upgrades, c->starttls_refused);
    fprintf(out,
            "  nDPI: %" PRIu64 " flows inspected, %" PRIu64 " classified; %" PRIu64
            " plain HTTP flows named by tlsmon\n",
            c->ndpi_flows, c->ndpi_classified, c->http_named_by_tlsmon);
    fprintf(out, "  log: %" PRIu64 " lines written (%" PRIu64 " out of start order)\n",
            c->log_written, c->log_out_of_order);
}

void summary_print(const struct summary *s, const struct run_counters *c, FILE *out)
{
    fprintf(out, "tlsmon summary: %" PRIu64 " TLS handshakes, %" PRIu64 " established\n\n",
            s->handshakes, s->established);
    if (s->handshakes) {
        print_buckets(out, "Negotiated version (from the ServerHello):", s->by_negotiated,
                      s->handshakes, "no ServerHello seen");
        fputc('\n', out);
        print_buckets(out, "Highest version the client offered:", s->by_client_max, s->handshakes,
                      "no ClientHello seen");
        fputc('\n', out);
        print_services(s, out);
        fputc('\n', out);
        print_old_clients(s, out);
        fputc('\n', out);
    }
    if (s->plaintext_sessions) {
        print_plaintext(s, out);
        fputc('\n', out);
    }
    if (s->pseudo[PSEUDO_MS_TURN] || s->pseudo[PSEUDO_GOOGLE_SSLTCP]) {
        fprintf(out,
                "Pseudo-TLS (fixed fake handshakes, not TLS sessions): MS-TURN %" PRIu64
                ", Google SSL-TCP %" PRIu64 "\n"
                "  They look like TLS 1.0 on the wire: a firewall rule that blocks TLS 1.0 will "
                "break them.\n",
                s->pseudo[PSEUDO_MS_TURN], s->pseudo[PSEUDO_GOOGLE_SSLTCP]);
        for (size_t i = 0; i < s->pseudo_services.count && i < SHOW_SERVICES; i++)
            fprintf(out, "  %-44s %8" PRIu64 "\n", tally_key(&s->pseudo_services, i),
                    *(uint64_t *)tally_rec(&s->pseudo_services, i));
        fputc('\n', out);
    }
    print_counters(c, out);
}
