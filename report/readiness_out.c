/* readiness_out.c: the readiness report as a terminal table, CSV and JSON,
 * and `tlsmon report` itself (readiness_main). Every format shows the same
 * content, from the same sorted view (rd_view_build). */
#define READINESS_INTERNAL
#include "readiness.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "handshake_log.h"
#include "json.h"

/* ---- the inline path --------------------------------------------------------- */

/* The handshake as its log line, then the log path: one code path for
 * both, so the inline report equals the report of the log. (Here rather
 * than in readiness.c, which uses jansson: both define json_string.) */
int readiness_add_handshake(struct readiness *r, const struct tls_handshake *hs)
{
    struct json j;
    json_init(&j);
    handshake_to_json(hs, &j);
    int rc = j.failed ? -2 : rd_add_line(r, j.p, j.len);
    json_free(&j);
    return rc == -2 ? -1 : 0;
}

/* A plaintext session (tlsmon.plaintext): not in the report, but counted
 * under "input" as the log path counts its line, so both paths print the
 * same report byte for byte. */
int readiness_add_plaintext(struct readiness *r, const struct plaintext_record *pr)
{
    struct json j;
    json_init(&j);
    plaintext_to_json(pr, &j);
    int rc = j.failed ? -2 : rd_add_line(r, j.p, j.len);
    json_free(&j);
    return rc == -2 ? -1 : 0;
}

void rd_format_time(int64_t us, char *out, size_t len)
{
    format_timestamp(us, out, len);
}

/* ---- shared helpers ------------------------------------------------------ */

static const char *or_dash(const char *s)
{
    return s ? s : "-";
}

static void service_name(const struct rd_service *s, char *out, size_t len)
{
    int v6 = strchr(s->ip, ':') != NULL;
    snprintf(out, len, "%s%s%s:%u/%s %s", v6 ? "[" : "", s->ip, v6 ? "]" : "", s->port,
             s->udp ? "udp" : "tcp", s->protocol);
}

static void time_or_dash(int64_t us, uint64_t n, char *out, size_t len)
{
    if (n)
        rd_format_time(us, out, len);
    else
        snprintf(out, len, "-");
}

/* ---- terminal ------------------------------------------------------------ */

/* Strings from the log (an SNI is whatever the client sent) are printed
 * with control bytes, and the C1 controls some terminals obey (U+0080 to
 * U+009F), replaced: the report must not be able to drive the terminal. */
static void put_safe(FILE *out, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    for (; *u; u++) {
        if (*u < 0x20 || *u == 0x7f) {
            fputc('?', out);
        } else if (*u == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f) {
            fputc('?', out);
            u++;
        } else {
            fputc(*u, out);
        }
    }
}

struct tty {
    FILE *out;
    int color;
};

enum { C_RESET, C_BOLD, C_RED, C_YELLOW, C_GREEN, C_DIM };

static void color(const struct tty *t, int c)
{
    static const char *const esc[] = {"\033[0m",    "\033[1m",  "\033[1;31m",
                                      "\033[1;33m", "\033[32m", "\033[2m"};
    if (t->color)
        fputs(esc[c], t->out);
}

static const int group_color[RD_NGROUPS] = {C_RED, C_YELLOW, C_GREEN};

static void text_client(const struct tty *t, const struct rd_client_view *cv)
{
    const struct rd_client *c = cv->c;
    char first[40], last[40];
    time_or_dash(c->first_us, c->handshakes, first, sizeof(first));
    time_or_dash(c->last_us, c->handshakes, last, sizeof(last));
    fputs("    ", t->out);
    put_safe(t->out, c->ip);
    fputs("  ", t->out);
    put_safe(t->out, cv->label ? cv->label : "(unknown client)");
    fprintf(t->out, "  %" PRIu64 " handshake%s  max offered ", c->handshakes,
            c->handshakes == 1 ? "" : "s");
    color(t, group_color[cv->group]);
    fputs(or_dash(rd_version_name(c->max_offered)), t->out);
    color(t, C_RESET);
    fprintf(t->out, "  negotiated %s", or_dash(rd_version_name(c->neg_low)));
    if (c->neg_high && c->neg_high != c->neg_low)
        fprintf(t->out, "..%s", rd_version_name(c->neg_high));
    if (c->no_server_hello)
        fprintf(t->out, " (%" PRIu64 " without ServerHello)", c->no_server_hello);
    fprintf(t->out, "\n      seen %s .. %s\n      ja4 ", first, last);
    put_safe(t->out, or_dash(c->ja4));
    fputs("  ja3 ", t->out);
    put_safe(t->out, or_dash(c->ja3));
    if (c->offered_findings) {
        fputs("\n      offers:", t->out);
        for (int f = 0; f < RDF_COUNT; f++)
            if (c->offered_findings & (1u << f))
                fprintf(t->out, " %s", rd_finding_name(f));
    }
    fputc('\n', t->out);
}

static void text_service_heading(const struct tty *t, const struct rd_service *s)
{
    char name[160];
    service_name(s, name, sizeof(name));
    fputs("  ", t->out);
    color(t, C_BOLD);
    put_safe(t->out, name);
    color(t, C_RESET);
    if (s->sni) {
        fputs("  SNI ", t->out);
        put_safe(t->out, s->sni);
    }
    fputc('\n', t->out);
}

static void text_group(const struct tty *t, const struct rd_view *v, enum rd_group g)
{
    static const char *const head[RD_NGROUPS] = {
        "Would break: the highest version they offer is below TLS ",
        "Negotiating low: they offer TLS ",
        "Fine: they offer TLS ",
    };
    static const char *const tail[RD_NGROUPS] = {
        "",
        " or higher, the server chose lower (fix the server)",
        " or higher and got it (or no ServerHello was seen)",
    };
    fputc('\n', t->out);
    color(t, group_color[g]);
    fprintf(t->out, "%s%s%s: %zu client%s\n", head[g], rd_floor_name(v), tail[g], v->ngroup[g],
            v->ngroup[g] == 1 ? "" : "s");
    color(t, C_RESET);
    for (size_t i = 0; i < v->nservices; i++) {
        const struct rd_service_view *sv = &v->services[i];
        if (!sv->ngroup[g])
            continue;
        text_service_heading(t, sv->s);
        for (size_t k = 0; k < sv->nclients; k++)
            if (sv->clients[k].group == g)
                text_client(t, &sv->clients[k]);
    }
}

static void text_services(const struct tty *t, const struct rd_view *v)
{
    fputc('\n', t->out);
    color(t, C_BOLD);
    fprintf(t->out, "Services: %zu\n", v->nservices);
    color(t, C_RESET);
    fprintf(t->out, "  %-42s %10s %7s %6s %6s %6s  %-27s %s\n", "service", "handshakes", "clients",
            "break", "low", "fine", "first seen", "SNI");
    for (size_t i = 0; i < v->nservices; i++) {
        const struct rd_service_view *sv = &v->services[i];
        char name[160], first[40];
        service_name(sv->s, name, sizeof(name));
        rd_format_time(sv->s->first_us, first, sizeof(first));
        fputs("  ", t->out);
        put_safe(t->out, name);
        fprintf(t->out, "%*s %10" PRIu64 " %7zu %6zu %6zu %6zu  %-27s ",
                (int)(strlen(name) < 42 ? 42 - strlen(name) : 0), "", sv->s->handshakes,
                sv->nclients, sv->ngroup[RD_WOULD_BREAK], sv->ngroup[RD_NEGOTIATING_LOW],
                sv->ngroup[RD_FINE], first);
        put_safe(t->out, or_dash(sv->s->sni));
        fputc('\n', t->out);
    }
}

static int has_findings(const struct rd_service_view *sv)
{
    for (int f = 0; f < RDF_COUNT; f++)
        if (sv->offered_by[f] || sv->s->neg_findings[f])
            return 1;
    return 0;
}

static void text_findings(const struct tty *t, const struct rd_view *v)
{
    fputc('\n', t->out);
    color(t, C_BOLD);
    fputs("Cipher findings (BSI TR-02102-2, IANA Recommended): clients offering, handshakes "
          "negotiating\n",
          t->out);
    color(t, C_RESET);
    for (int f = 0; f < RDF_COUNT; f++)
        fprintf(t->out, "  %-20s %s\n", rd_finding_name(f), rd_finding_description(f));
    for (size_t i = 0; i < v->nservices; i++) {
        const struct rd_service_view *sv = &v->services[i];
        if (!has_findings(sv))
            continue;
        text_service_heading(t, sv->s);
        for (int f = 0; f < RDF_COUNT; f++) {
            if (!sv->offered_by[f] && !sv->s->neg_findings[f])
                continue;
            if (sv->s->neg_findings[f])
                color(t, C_RED);
            fprintf(t->out, "    %-20s %6u offering %6" PRIu64 " negotiating\n", rd_finding_name(f),
                    sv->offered_by[f], sv->s->neg_findings[f]);
            color(t, C_RESET);
        }
        if (sv->s->nsuites) {
            fputs("    negotiated:", t->out);
            for (unsigned k = 0; k < sv->s->nsuites; k++) {
                fputc(' ', t->out);
                put_safe(t->out, sv->s->suites[k]);
            }
            fputs(sv->s->suites_truncated ? " ...\n" : "\n", t->out);
        }
    }
}

static void text_pseudo(const struct tty *t, const struct rd_view *v)
{
    fputc('\n', t->out);
    color(t, C_BOLD);
    fprintf(t->out, "Pseudo-TLS (not TLS; a rule blocking TLS 1.0 breaks them too): %zu\n",
            v->npseudo);
    color(t, C_RESET);
    for (size_t i = 0; i < v->npseudo; i++) {
        const struct rd_pseudo *p = v->pseudo[i];
        int v6 = strchr(p->ip, ':') != NULL;
        char first[40], last[40];
        rd_format_time(p->first_us, first, sizeof(first));
        rd_format_time(p->last_us, last, sizeof(last));
        fprintf(t->out, "  %s", v6 ? "[" : "");
        put_safe(t->out, p->ip);
        fprintf(t->out, "%s:%u/%s ", v6 ? "]" : "", p->port, p->udp ? "udp" : "tcp");
        put_safe(t->out, p->protocol);
        fputs("  ", t->out);
        put_safe(t->out, p->kind);
        fprintf(t->out, "  %" PRIu64 " handshakes from %" PRIu64 " addresses  %s .. %s\n",
                p->handshakes, p->clients, first, last);
    }
}

int rd_write_text(const struct rd_view *v, FILE *out, int use_color)
{
    struct tty t = {out, use_color};
    char first[40] = "-", last[40] = "-";
    if (v->any_time) {
        rd_format_time(v->first_us, first, sizeof(first));
        rd_format_time(v->last_us, last, sizeof(last));
    }
    color(&t, C_BOLD);
    fprintf(out, "tlsmon readiness report: version floor TLS %s\n", rd_floor_name(v));
    color(&t, C_RESET);
    fprintf(out,
            "input: %" PRIu64 " lines, %" PRIu64 " handshakes (%" PRIu64 " pseudo-TLS), %" PRIu64
            " plaintext and %" PRIu64 " other lines ignored, %" PRIu64 " bad lines, %" PRIu64
            " handshakes not counted (tables full)\n",
            v->st.lines, v->st.handshakes, v->st.pseudo, v->st.plaintext, v->st.other,
            v->st.bad_lines, v->st.over_capacity);
    fprintf(out, "seen: %s .. %s\n", first, last);
    fprintf(out, "%zu services, %zu clients: ", v->nservices, v->nclients);
    for (int g = 0; g < RD_NGROUPS; g++) {
        color(&t, group_color[g]);
        fprintf(out, "%zu %s", v->ngroup[g], rd_group_name(g));
        color(&t, C_RESET);
        fputs(g + 1 < RD_NGROUPS ? ", " : "\n", out);
    }
    for (int g = 0; g < RD_NGROUPS; g++)
        text_group(&t, v, g);
    text_services(&t, v);
    text_findings(&t, v);
    text_pseudo(&t, v);
    return ferror(out) ? -1 : 0;
}

/* ---- CSV (RFC 4180) -------------------------------------------------------- */

/* Quoted when needed. A cell from the log that starts like a formula (=,
 * +, -, @, tab, CR) gets a leading apostrophe, so a spreadsheet shows it
 * rather than evaluating it (an SNI is chosen by the client). */
static void csv_cell(FILE *out, const char *s, int first)
{
    if (!first)
        fputc(',', out);
    if (!s)
        return;
    int formula = strchr("=+-@\t\r", s[0]) != NULL && s[0];
    int quote = formula || strpbrk(s, ",\"\r\n") != NULL;
    if (quote)
        fputc('"', out);
    if (formula)
        fputc('\'', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    if (quote)
        fputc('"', out);
}

static void csv_u64(FILE *out, uint64_t n)
{
    fprintf(out, ",%" PRIu64, n);
}

static const char *const csv_header =
    "record,floor,group,server_ip,server_port,transport,protocol,server_name,client_ip,ja4,ja3,"
    "label,handshakes,first_seen,last_seen,max_offered,negotiated,findings_offered,finding,"
    "clients_offering,suites,pseudo\n";

static void csv_service_cells(FILE *out, const struct rd_view *v, const char *record,
                              const char *group, const struct rd_service *s)
{
    char port[8];
    snprintf(port, sizeof(port), "%u", s->port);
    csv_cell(out, record, 1);
    csv_cell(out, rd_floor_name(v), 0);
    csv_cell(out, group, 0);
    csv_cell(out, s->ip, 0);
    csv_cell(out, port, 0);
    csv_cell(out, s->udp ? "udp" : "tcp", 0);
    csv_cell(out, s->protocol, 0);
    csv_cell(out, s->sni, 0);
}

static void findings_list(unsigned mask, char *out, size_t len)
{
    size_t used = 0;
    out[0] = 0;
    for (int f = 0; f < RDF_COUNT; f++)
        if (mask & (1u << f))
            used += (size_t)snprintf(out + used, used < len ? len - used : 0, "%s%s",
                                     used ? ";" : "", rd_finding_name(f));
}

static void csv_client(FILE *out, const struct rd_view *v, const struct rd_client_view *cv)
{
    const struct rd_client *c = cv->c;
    char first[40], last[40], fl[256];
    rd_format_time(c->first_us, first, sizeof(first));
    rd_format_time(c->last_us, last, sizeof(last));
    findings_list(c->offered_findings, fl, sizeof(fl));
    csv_service_cells(out, v, "client", rd_group_name(cv->group), cv->s);
    csv_cell(out, c->ip, 0);
    csv_cell(out, c->ja4, 0);
    csv_cell(out, c->ja3, 0);
    csv_cell(out, cv->label, 0);
    csv_u64(out, c->handshakes);
    csv_cell(out, first, 0);
    csv_cell(out, last, 0);
    csv_cell(out, rd_version_name(c->max_offered), 0);
    csv_cell(out, rd_version_name(c->neg_low), 0);
    csv_cell(out, fl, 0);
    fputs(",,,,\n", out);
}

static void csv_finding(FILE *out, const struct rd_view *v, const struct rd_service_view *sv, int f)
{
    char suites[RD_MAX_SUITES * 64 + 8] = "";
    size_t used = 0;
    for (unsigned k = 0; k < sv->s->nsuites; k++)
        if (rd_classify_suite(sv->s->suites[k]) & (1u << f))
            used +=
                (size_t)snprintf(suites + used, used < sizeof(suites) ? sizeof(suites) - used : 0,
                                 "%s%s", used ? ";" : "", sv->s->suites[k]);
    csv_service_cells(out, v, "cipher_finding", NULL, sv->s);
    fputs(",,,,", out);
    csv_u64(out, sv->s->neg_findings[f]); /* handshakes: those that negotiated it */
    fputs(",,,,,", out);
    csv_cell(out, rd_finding_name(f), 0);
    fprintf(out, ",%u", sv->offered_by[f]);
    csv_cell(out, suites, 0);
    fputs(",\n", out);
}

static void csv_pseudo(FILE *out, const struct rd_view *v, const struct rd_pseudo *p)
{
    char port[8], first[40], last[40];
    snprintf(port, sizeof(port), "%u", p->port);
    rd_format_time(p->first_us, first, sizeof(first));
    rd_format_time(p->last_us, last, sizeof(last));
    csv_cell(out, "pseudo_tls", 1);
    csv_cell(out, rd_floor_name(v), 0);
    fputc(',', out);
    csv_cell(out, p->ip, 0);
    csv_cell(out, port, 0);
    csv_cell(out, p->udp ? "udp" : "tcp", 0);
    csv_cell(out, p->protocol, 0);
    fputs(",,,,", out);
    csv_u64(out, p->handshakes);
    csv_cell(out, first, 0);
    csv_cell(out, last, 0);
    fputs(",,,,", out);
    fprintf(out, ",%" PRIu64 ",", p->clients); /* clients_offering: its distinct addresses */
    csv_cell(out, p->kind, 0);
    fputc('\n', out);
}

int rd_write_csv(const struct rd_view *v, FILE *out)
{
    fputs(csv_header, out);
    for (size_t i = 0; i < v->nservices; i++)
        for (size_t k = 0; k < v->services[i].nclients; k++)
            csv_client(out, v, &v->services[i].clients[k]);
    for (size_t i = 0; i < v->nservices; i++)
        for (int f = 0; f < RDF_COUNT; f++)
            if (v->services[i].offered_by[f] || v->services[i].s->neg_findings[f])
                csv_finding(out, v, &v->services[i], f);
    for (size_t i = 0; i < v->npseudo; i++)
        csv_pseudo(out, v, v->pseudo[i]);
    return ferror(out) ? -1 : 0;
}

/* ---- JSON ------------------------------------------------------------------- */

/* json.h has no null: write a false and replace it (the writer's buffer is
 * its public struct). */
static void json_null(struct json *j, const char *key)
{
    json_bool(j, key, 0);
    if (!j->failed && j->len >= 5) {
        j->len -= 5;
        json_raw(j, "null", 4);
    }
}

static void json_str_or_null(struct json *j, const char *key, const char *s)
{
    if (s)
        json_string(j, key, s);
    else
        json_null(j, key);
}

static void json_time(struct json *j, const char *key, int64_t us)
{
    char ts[40];
    rd_format_time(us, ts, sizeof(ts));
    json_string(j, key, ts);
}

static void json_findings_array(struct json *j, const char *key, unsigned mask)
{
    json_open_array(j, key);
    for (int f = 0; f < RDF_COUNT; f++)
        if (mask & (1u << f))
            json_string(j, NULL, rd_finding_name(f));
    json_close_array(j);
}

static void json_client(struct json *j, const struct rd_client_view *cv)
{
    const struct rd_client *c = cv->c;
    json_open_object(j, NULL);
    json_string(j, "ip", c->ip);
    json_str_or_null(j, "ja4", c->ja4);
    json_str_or_null(j, "ja3", c->ja3);
    json_str_or_null(j, "label", cv->label);
    json_string(j, "group", rd_group_name(cv->group));
    json_uint(j, "handshakes", c->handshakes);
    json_time(j, "first_seen", c->first_us);
    json_time(j, "last_seen", c->last_us);
    json_str_or_null(j, "max_offered", rd_version_name(c->max_offered));
    json_str_or_null(j, "negotiated", rd_version_name(c->neg_low));
    json_str_or_null(j, "negotiated_highest", rd_version_name(c->neg_high));
    json_uint(j, "without_server_hello", c->no_server_hello);
    json_str_or_null(j, "server_name", cv->s->sni);
    json_findings_array(j, "cipher_findings_offered", c->offered_findings);
    json_close_object(j);
}

static void json_service_findings(struct json *j, const struct rd_service_view *sv)
{
    json_open_array(j, "cipher_findings");
    for (int f = 0; f < RDF_COUNT; f++) {
        if (!sv->offered_by[f] && !sv->s->neg_findings[f])
            continue;
        json_open_object(j, NULL);
        json_string(j, "finding", rd_finding_name(f));
        json_string(j, "description", rd_finding_description(f));
        json_uint(j, "clients_offering", sv->offered_by[f]);
        json_uint(j, "handshakes_negotiated", sv->s->neg_findings[f]);
        json_open_array(j, "negotiated_suites");
        for (unsigned k = 0; k < sv->s->nsuites; k++)
            if (rd_classify_suite(sv->s->suites[k]) & (1u << f))
                json_string(j, NULL, sv->s->suites[k]);
        json_close_array(j);
        json_bool(j, "suites_truncated", sv->s->suites_truncated);
        json_close_object(j);
    }
    json_close_array(j);
}

static void json_server(struct json *j, const char *ip, uint16_t port)
{
    json_open_object(j, "server");
    json_string(j, "ip", ip);
    json_uint(j, "port", port);
    json_close_object(j);
}

static void json_service(struct json *j, const struct rd_service_view *sv)
{
    const struct rd_service *s = sv->s;
    json_open_object(j, NULL);
    json_server(j, s->ip, s->port);
    json_string(j, "transport", s->udp ? "udp" : "tcp");
    json_string(j, "protocol", s->protocol);
    json_str_or_null(j, "server_name", s->sni);
    json_uint(j, "handshakes", s->handshakes);
    json_time(j, "first_seen", s->first_us);
    json_time(j, "last_seen", s->last_us);
    json_open_array(j, "clients");
    for (size_t k = 0; k < sv->nclients; k++)
        json_client(j, &sv->clients[k]);
    json_close_array(j);
    json_service_findings(j, sv);
    json_close_object(j);
}

static void json_pseudo(struct json *j, const struct rd_pseudo *p)
{
    json_open_object(j, NULL);
    json_server(j, p->ip, p->port);
    json_string(j, "transport", p->udp ? "udp" : "tcp");
    json_string(j, "protocol", p->protocol);
    json_string(j, "pseudo", p->kind);
    json_uint(j, "handshakes", p->handshakes);
    json_uint(j, "clients", p->clients);
    json_time(j, "first_seen", p->first_us);
    json_time(j, "last_seen", p->last_us);
    json_close_object(j);
}

static void json_head(struct json *j, const struct rd_view *v)
{
    json_string(j, "floor", rd_floor_name(v));
    json_open_object(j, "summary");
    json_uint(j, "services", v->nservices);
    json_uint(j, "clients", v->nclients);
    for (int g = 0; g < RD_NGROUPS; g++)
        json_uint(j, rd_group_name(g), v->ngroup[g]);
    json_uint(j, "pseudo_tls_services", v->npseudo);
    json_close_object(j);
    json_open_object(j, "input");
    json_uint(j, "lines", v->st.lines);
    json_uint(j, "handshakes", v->st.handshakes);
    json_uint(j, "pseudo_tls", v->st.pseudo);
    json_uint(j, "plaintext_ignored", v->st.plaintext);
    json_uint(j, "other_ignored", v->st.other);
    json_uint(j, "bad_lines", v->st.bad_lines);
    json_uint(j, "not_counted_tables_full", v->st.over_capacity);
    json_close_object(j);
}

int rd_write_json(const struct rd_view *v, FILE *out)
{
    struct json j;
    json_init(&j);
    json_open_object(&j, NULL);
    json_head(&j, v);
    json_open_array(&j, "services");
    for (size_t i = 0; i < v->nservices; i++)
        json_service(&j, &v->services[i]);
    json_close_array(&j);
    json_open_array(&j, "pseudo_tls");
    for (size_t i = 0; i < v->npseudo; i++)
        json_pseudo(&j, v->pseudo[i]);
    json_close_array(&j);
    json_close_object(&j);
    int rc = 0;
    if (j.failed) {
        errno = ENOMEM;
        rc = -1;
    } else if (fwrite(j.p, 1, j.len, out) != j.len || fputc('\n', out) == EOF) {
        rc = -1;
    }
    json_free(&j);
    return rc;
}

/* ---- the public entry points ---------------------------------------------- */

int readiness_parse_format(const char *name, enum readiness_format *out)
{
    static const struct {
        const char *name;
        enum readiness_format f;
    } names[] = {{"text", READINESS_TEXT},
                 {"csv", READINESS_CSV},
                 {"json", READINESS_JSON},
                 {"html", READINESS_HTML}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (name && strcmp(name, names[i].name) == 0) {
            *out = names[i].f;
            return 0;
        }
    return -1;
}

int readiness_write(const struct readiness *r, enum readiness_format f, FILE *out, int use_color)
{
    struct rd_view v;
    if (rd_view_build(r, &v) < 0) {
        errno = ENOMEM;
        return -1;
    }
    int rc;
    switch (f) {
    case READINESS_CSV:
        rc = rd_write_csv(&v, out);
        break;
    case READINESS_JSON:
        rc = rd_write_json(&v, out);
        break;
    case READINESS_HTML:
        rc = rd_write_html(&v, out);
        break;
    default:
        rc = rd_write_text(&v, out, use_color);
        break;
    }
    rd_view_free(&v);
    return rc;
}

/* ---- tlsmon report ----------------------------------------------------------- */

enum {
    RD_EXIT_OK = 0,
    RD_EXIT_INPUT = 1,
    RD_EXIT_USAGE = 2,
    RD_EXIT_OUTPUT = 3,
    RD_EXIT_NOMEM = 4
};

static void report_usage(FILE *out)
{
    fprintf(out,
            "Usage: tlsmon report [--floor VERSION] [--format FORMAT] [-o FILE] [--labels FILE] "
            "LOG...\n"
            "\n"
            "Reads handshake logs (NDJSON from tlsmon --log, plain or gzip-compressed; '-'\n"
            "is stdin; logs from several sensors merge) and reports, per service, which\n"
            "clients would break if versions below the floor were switched off, which\n"
            "negotiate low although they offer better (fix the server), and which are\n"
            "fine; cipher findings per service; pseudo-TLS apart.\n"
            "\n"
            "  --floor VERSION     the lowest TLS version to keep: 1.0, 1.1, 1.2 (default), 1.3\n"
            "  --format FORMAT     text (default), csv, json or html\n"
            "  -o, --output FILE   write the report to FILE (default stdout)\n"
            "  --labels FILE       client fingerprint table (default: $TLSMON_LABELS, else\n"
            "                      data/client-fingerprints.tsv beside tlsmon or here)\n"
            "  -h, --help          this text\n"
            "\n"
            "Colour on a terminal unless NO_COLOR is set. Exit status: 0 success; 1 a log\n"
            "could not be read (the report covers the others); 2 usage error; 3 the report\n"
            "could not be written; 4 out of memory.\n");
}

struct report_opts {
    const char *floor, *output, *labels;
    enum readiness_format format;
};

/* Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, struct report_opts *o)
{
    enum { OPT_FLOOR = 256, OPT_FORMAT, OPT_LABELS };
    static const struct option longopts[] = {
        {"floor", required_argument, NULL, OPT_FLOOR},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"output", required_argument, NULL, 'o'},
        {"labels", required_argument, NULL, OPT_LABELS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 0; /* glibc: start afresh, whatever parsed argv before */
    opterr = 0; /* our own message, naming "tlsmon report" */
    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_FLOOR:
            o->floor = optarg;
            break;
        case OPT_FORMAT:
            if (readiness_parse_format(optarg, &o->format) < 0) {
                fprintf(stderr, "tlsmon report: --format: '%s' is not text, csv, json or html\n",
                        optarg);
                return RD_EXIT_USAGE;
            }
            break;
        case 'o':
            o->output = optarg;
            break;
        case OPT_LABELS:
            o->labels = optarg;
            break;
        case 'h':
            report_usage(stdout);
            return RD_EXIT_OK;
        default:
            fprintf(stderr,
                    "tlsmon report: unknown option or missing argument '%s'; try 'tlsmon report "
                    "--help'\n",
                    argv[optind - 1]);
            return RD_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "tlsmon report: no log given (see tlsmon report --help)\n");
        return RD_EXIT_USAGE;
    }
    return -1;
}

static int read_logs(struct readiness *r, int n, char **paths)
{
    int rc = RD_EXIT_OK;
    for (int i = 0; i < n; i++) {
        char err[600];
        if (readiness_read_file(r, paths[i], err, sizeof(err)) < 0) {
            fprintf(stderr, "tlsmon report: %s\n", err);
            if (strstr(err, "out of memory"))
                return RD_EXIT_NOMEM;
            rc = RD_EXIT_INPUT;
        }
        uint64_t bad, first;
        const char *why;
        rd_file_bad(r, &bad, &first, &why);
        if (bad)
            fprintf(stderr,
                    "tlsmon report: warning: %s: %" PRIu64
                    " bad line%s skipped (first: line %" PRIu64 ", %s)\n",
                    strcmp(paths[i], "-") == 0 ? "stdin" : paths[i], bad, bad == 1 ? "" : "s",
                    first, why);
    }
    return rc;
}

static int finish_output(FILE *out, const char *path)
{
    int failed = fflush(out) != 0 || ferror(out);
    int saved = errno ? errno : EIO;
    if (out != stdout && fclose(out) != 0 && !failed) {
        failed = 1;
        saved = errno;
    }
    if (failed) {
        fprintf(stderr, "tlsmon report: cannot write %s: %s\n", path ? path : "stdout",
                strerror(saved));
        return RD_EXIT_OUTPUT;
    }
    return RD_EXIT_OK;
}

int readiness_main(int argc, char **argv)
{
    struct report_opts o = {NULL, NULL, NULL, READINESS_TEXT};
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;
    char err[600];
    struct readiness *r = readiness_new(o.floor, err, sizeof(err));
    if (!r) {
        fprintf(stderr, "tlsmon report: %s\n", err);
        return o.floor && strstr(err, "--floor") ? RD_EXIT_USAGE : RD_EXIT_NOMEM;
    }
    if (readiness_load_labels(r, o.labels, err, sizeof(err)) < 0) {
        fprintf(stderr, "tlsmon report: %s\n", err);
        readiness_free(r);
        return RD_EXIT_INPUT;
    }
    /* Open the output first: an unwritable path fails before a long read. */
    FILE *out = o.output ? fopen(o.output, "w") : stdout;
    if (!out) {
        fprintf(stderr, "tlsmon report: cannot write %s: %s\n", o.output, strerror(errno));
        readiness_free(r);
        return RD_EXIT_OUTPUT;
    }
    rc = read_logs(r, argc - optind, argv + optind);
    if (rc != RD_EXIT_NOMEM) {
        const char *nc = getenv("NO_COLOR");
        int use_color = o.format == READINESS_TEXT && isatty(fileno(out)) && !(nc && *nc);
        errno = 0;
        if (readiness_write(r, o.format, out, use_color) < 0 && errno == ENOMEM) {
            fprintf(stderr, "tlsmon report: out of memory\n");
            rc = RD_EXIT_NOMEM;
        }
    }
    int orc = finish_output(out, o.output);
    readiness_free(r);
    return orc != RD_EXIT_OK ? orc : rc;
}
