/* readiness_html.c: the readiness report as one self-contained HTML page:
 * inline CSS, inline SVG charts, no script, nothing fetched (a Content
 * Security Policy says so, which also contains any markup that escaped the
 * escaping). Order: would break, negotiating low, versions over time,
 * services, cipher findings, fine clients, pseudo-TLS.
 *
 * Every string from the log goes through html_text(): SNI, labels from a
 * user's table, protocol names; an SNI is whatever a client sent. */
#define READINESS_INTERNAL
#include "readiness.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHART_SERVICES 12 /* services with a chart of their own, by handshakes */
#define CHART_W 760
#define CHART_H 190
#define PLOT_L 48
#define PLOT_R 8
#define PLOT_T 12
#define PLOT_B 36

static const char *const cat_color[RDC_COUNT] = {"#2e7d32", "#81c784", "#ffa726",
                                                 "#e53935", "#6a1b9a", "#9e9e9e"};

/* Text for an element or an attribute value. Control bytes become '?',
 * so nothing from the log can end a tag, an attribute or a comment. */
static void html_text(FILE *out, const char *s)
{
    for (const unsigned char *u = (const unsigned char *)(s ? s : "-"); *u; u++) {
        switch (*u) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&#39;", out);
            break;
        default:
            fputc(*u < 0x20 || *u == 0x7f ? '?' : *u, out);
        }
    }
}

/* A time for a table cell: RFC 3339 with a space for the T (section 5.6
 * allows it), so a narrow column wraps between date and time. */
static void cell_time(int64_t us, char *out, size_t len)
{
    rd_format_time(us, out, len);
    if (strlen(out) > 10 && out[10] == 'T')
        out[10] = ' ';
}

static void html_service_name(FILE *out, const struct rd_service *s)
{
    int v6 = strchr(s->ip, ':') != NULL;
    fputs(v6 ? "[" : "", out);
    html_text(out, s->ip);
    fprintf(out, "%s:%u/%s ", v6 ? "]" : "", s->port, s->udp ? "udp" : "tcp");
    html_text(out, s->protocol);
}

static const char style[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#222;"
    "background:#fafafa}\n"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 6px;border-bottom:1px solid "
    "#ddd;padding-bottom:3px}\n"
    "p.note{color:#555;margin:2px 0 10px}\n"
    ".cards{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}\n"
    ".card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px "
    "14px;min-width:120px}"
    "\n.card b{display:block;font-size:22px}\n"
    ".wb b{color:#c62828}.nl b{color:#ef6c00}.ok b{color:#2e7d32}\n"
    "table{border-collapse:collapse;background:#fff;font-size:13px;margin:6px 0 12px;"
    "max-width:100%}\n"
    "th,td{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}\n"
    "td.sni,td.fp{overflow-wrap:anywhere;min-width:6em}td.nw{white-space:nowrap}\n"
    "th{background:#f0f0f0}td.n{text-align:right}td.fp{font:11px monospace}"
    "\n"
    "tr.would-break td.v{color:#c62828;font-weight:bold}tr.negotiating-low "
    "td.v{color:#ef6c00;font-weight:bold}\n"
    "figure{margin:8px 0 16px;background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px;"
    "display:inline-block}\n"
    "figcaption{font-weight:bold;margin-bottom:4px}\n"
    ".legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:"
    "11px;height:11px;margin-right:4px;vertical-align:-1px}\n"
    "footer{color:#666;margin-top:24px;font-size:12px}\n";

static void html_head(FILE *out, const struct rd_view *v)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n", out);
    fputs("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'\">\n",
          out);
    fputs("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n", out);
    fprintf(out, "<title>tlsmon readiness report: floor TLS %s</title>\n", rd_floor_name(v));
    fprintf(out, "<style>\n%s</style>\n</head>\n<body>\n", style);
}

static void html_summary(FILE *out, const struct rd_view *v)
{
    char first[40] = "-", last[40] = "-";
    if (v->any_time) {
        cell_time(v->first_us, first, sizeof(first));
        cell_time(v->last_us, last, sizeof(last));
    }
    fprintf(out, "<header>\n<h1>TLS readiness: what breaks at a TLS %s floor</h1>\n",
            rd_floor_name(v));
    fprintf(out,
            "<p class=\"note\">Handshakes seen %s to %s. A client is an address with its "
            "ClientHello fingerprint (JA4).</p>\n",
            first, last);
    fputs("<div class=\"cards\">\n", out);
    fprintf(out, "<div class=\"card wb\"><b id=\"n-would-break\">%zu</b>would break</div>\n",
            v->ngroup[RD_WOULD_BREAK]);
    fprintf(out,
            "<div class=\"card nl\"><b id=\"n-negotiating-low\">%zu</b>negotiating low</div>\n",
            v->ngroup[RD_NEGOTIATING_LOW]);
    fprintf(out, "<div class=\"card ok\"><b id=\"n-fine\">%zu</b>fine</div>\n", v->ngroup[RD_FINE]);
    fprintf(out, "<div class=\"card\"><b>%zu</b>services</div>\n", v->nservices);
    fprintf(out, "<div class=\"card\"><b>%" PRIu64 "</b>handshakes</div>\n", v->st.handshakes);
    fputs("</div>\n</header>\n", out);
}

static void client_row(FILE *out, const struct rd_client_view *cv)
{
    const struct rd_client *c = cv->c;
    char first[40], last[40];
    cell_time(c->first_us, first, sizeof(first));
    cell_time(c->last_us, last, sizeof(last));
    fprintf(out, "<tr class=\"%s\"><td>", rd_group_name(cv->group));
    html_service_name(out, cv->s);
    fputs("</td><td class=\"sni\">", out);
    html_text(out, cv->s->sni);
    fputs("</td><td class=\"nw\">", out);
    html_text(out, c->ip);
    fputs("</td><td>", out);
    html_text(out, cv->label ? cv->label : "unknown");
    fprintf(out, "</td><td class=\"n\">%" PRIu64 "</td><td class=\"v\">", c->handshakes);
    html_text(out, rd_version_name(c->max_offered));
    fputs("</td><td>", out);
    html_text(out, rd_version_name(c->neg_low));
    if (c->neg_high && c->neg_high != c->neg_low) {
        fputs(" .. ", out);
        html_text(out, rd_version_name(c->neg_high));
    }
    fprintf(out, "</td><td>%s</td><td>%s</td><td class=\"fp\">", first, last);
    html_text(out, c->ja4);
    fputs("</td><td class=\"fp\">", out);
    html_text(out, c->ja3);
    fputs("</td></tr>\n", out);
}

static void client_table(FILE *out, const struct rd_view *v, enum rd_group g)
{
    fprintf(out,
            "<table id=\"table-%s\">\n<thead><tr><th>service</th><th>SNI</th><th>client"
            "</th><th>label</th><th>handshakes</th><th>max offered</th><th>negotiated</th>"
            "<th>first seen</th><th>last seen</th><th>JA4</th><th>JA3</th></tr></thead>\n"
            "<tbody>\n",
            rd_group_name(g));
    for (size_t i = 0; i < v->nservices; i++)
        for (size_t k = 0; k < v->services[i].nclients; k++)
            if (v->services[i].clients[k].group == g)
                client_row(out, &v->services[i].clients[k]);
    fputs("</tbody>\n</table>\n", out);
}

static void html_groups(FILE *out, const struct rd_view *v)
{
    fprintf(out,
            "<section id=\"would-break\">\n<h2>Would break (%zu)</h2>\n<p class=\"note\">The "
            "highest version these clients offer is below TLS %s: raising the floor cuts them "
            "off.</p>\n",
            v->ngroup[RD_WOULD_BREAK], rd_floor_name(v));
    client_table(out, v, RD_WOULD_BREAK);
    fputs("</section>\n", out);
    fprintf(out,
            "<section id=\"negotiating-low\">\n<h2>Negotiating low, able to do better (%zu)</h2>\n"
            "<p class=\"note\">These clients offer TLS %s or higher, but the server chose lower: "
            "fix the server, not the client.</p>\n",
            v->ngroup[RD_NEGOTIATING_LOW], rd_floor_name(v));
    client_table(out, v, RD_NEGOTIATING_LOW);
    fputs("</section>\n", out);
}

/* ---- charts -------------------------------------------------------------- */

static void bucket_label(const struct rd_view *v, int64_t i, char *out, size_t len)
{
    char ts[40];
    rd_format_time((v->first_idx + i) * v->width_us, ts, sizeof(ts));
    /* Days and longer: the date; shorter: date and minute. */
    size_t keep = v->width_us >= 86400LL * 1000000 ? 10 : 16;
    snprintf(out, len, "%.*s", (int)keep, ts);
    if (keep == 16)
        out[10] = ' ';
}

/* The bucket width in words ("15 minutes", "day", "4 weeks"). */
static const char *width_name(int64_t us)
{
    static const struct {
        int64_t min;
        const char *one, *many;
    } units[] = {{524160, "year", "years"}, /* 52 weeks, so every width nests in the next */
                 {10080, "week", "weeks"},
                 {1440, "day", "days"},
                 {60, "hour", "hours"},
                 {1, "minute", "minutes"}};
    static char buf[32];
    int64_t min = us / 60000000;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (min % units[i].min)
            continue;
        if (min == units[i].min)
            return units[i].one;
        snprintf(buf, sizeof(buf), "%lld %s", (long long)(min / units[i].min), units[i].many);
        return buf;
    }
    return "bucket";
}

static void sum_buckets(const struct rd_view *v, const struct rd_service *s, int64_t nbars,
                        uint32_t (*bars)[RDC_COUNT])
{
    uint32_t one[RDC_COUNT];
    for (int64_t i = 0; i < nbars; i++) {
        if (s) {
            rd_view_bucket(v, s, i, bars[i]);
            continue;
        }
        memset(bars[i], 0, sizeof(bars[i]));
        for (size_t k = 0; k < v->nservices; k++) {
            rd_view_bucket(v, v->services[k].s, i, one);
            for (int c = 0; c < RDC_COUNT; c++)
                bars[i][c] += one[c];
        }
    }
}

static void chart_bar(FILE *out, const struct rd_view *v, int64_t i, const uint32_t *n, double x,
                      double bw, double scale)
{
    char when[24];
    double y = CHART_H - PLOT_B;
    uint32_t total = 0;
    for (int c = 0; c < RDC_COUNT; c++)
        total += n[c];
    if (!total)
        return; /* an empty bucket draws nothing */
    bucket_label(v, i, when, sizeof(when));
    fprintf(out, "<g><title>%s:", when);
    for (int c = 0; c < RDC_COUNT; c++)
        if (n[c])
            fprintf(out, " %s %u,", rd_cat_name(c), n[c]);
    fputs("</title>", out);
    for (int c = 0; c < RDC_COUNT; c++) {
        if (!n[c])
            continue;
        double h = n[c] * scale;
        y -= h;
        fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>", x,
                y, bw, h, cat_color[c]);
    }
    fputs("</g>\n", out);
}

static void chart_axes(FILE *out, const struct rd_view *v, int64_t nbars, uint32_t max)
{
    char a[24], b[24];
    int base = CHART_H - PLOT_B;
    fprintf(out,
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n"
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n",
            PLOT_L, PLOT_T, PLOT_L, base, PLOT_L, base, CHART_W - PLOT_R, base);
    fprintf(out,
            "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%u</text>\n"
            "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">0</text>\n",
            PLOT_L - 4, PLOT_T + 9, max, PLOT_L - 4, base);
    bucket_label(v, 0, a, sizeof(a));
    bucket_label(v, nbars - 1, b, sizeof(b));
    fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>\n", PLOT_L, base + 16, a);
    if (nbars > 1)
        fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%s</text>\n",
                CHART_W - PLOT_R, base + 16, b);
    fprintf(out,
            "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\" fill=\"#666\">"
            "handshakes per %s, by negotiated version</text>\n",
            (PLOT_L + CHART_W - PLOT_R) / 2, base + 30, width_name(v->width_us));
}

/* One stacked bar per time bucket, by negotiated version. s NULL: all. */
static int chart(FILE *out, const struct rd_view *v, const struct rd_service *s, const char *id)
{
    int64_t nbars = v->last_idx - v->first_idx + 1;
    if (nbars <= 0)
        return 0;
    uint32_t(*bars)[RDC_COUNT] = calloc((size_t)nbars, sizeof(*bars));
    if (!bars)
        return -1;
    sum_buckets(v, s, nbars, bars);
    uint32_t max = 1;
    for (int64_t i = 0; i < nbars; i++) {
        uint32_t t = 0;
        for (int c = 0; c < RDC_COUNT; c++)
            t += bars[i][c];
        if (t > max)
            max = t;
    }
    fprintf(out, "<figure>\n<figcaption>");
    if (s) {
        html_service_name(out, s);
        if (s->sni) {
            fputs(" &middot; ", out);
            html_text(out, s->sni);
        }
    } else {
        fputs("All services", out);
    }
    fprintf(out,
            "</figcaption>\n<svg class=\"chart\" id=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" "
            "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
            "aria-label=\"handshakes by negotiated version over time\">\n",
            id, CHART_W, CHART_H, CHART_W, CHART_H);
    double pw = CHART_W - PLOT_L - PLOT_R, slot = pw / (double)nbars;
    double bw = slot > 3 ? slot * 0.8 : slot, scale = (CHART_H - PLOT_T - PLOT_B) / (double)max;
    for (int64_t i = 0; i < nbars; i++)
        chart_bar(out, v, i, bars[i], PLOT_L + i * slot + (slot - bw) / 2, bw, scale);
    chart_axes(out, v, nbars, max);
    fputs("</svg>\n</figure>\n", out);
    free(bars);
    return 0;
}

static int cmp_by_handshakes(const void *pa, const void *pb)
{
    const struct rd_service_view *a = *(const struct rd_service_view *const *)pa;
    const struct rd_service_view *b = *(const struct rd_service_view *const *)pb;
    if (a->s->handshakes != b->s->handshakes)
        return a->s->handshakes > b->s->handshakes ? -1 : 1;
    return a < b ? -1 : a > b; /* view order: ties stay deterministic */
}

static int html_charts(FILE *out, const struct rd_view *v)
{
    fputs("<section id=\"charts\">\n<h2>Versions over time</h2>\n<p class=\"legend\">", out);
    for (int c = 0; c < RDC_COUNT; c++)
        fprintf(out, "<span><i style=\"background:%s\"></i>%s</span>", cat_color[c],
                rd_cat_name(c));
    fputs("</p>\n", out);
    if (v->last_idx < v->first_idx) {
        fputs("<p class=\"note\">No handshakes.</p>\n</section>\n", out);
        return 0;
    }
    if (chart(out, v, NULL, "chart-all") < 0)
        return -1;
    const struct rd_service_view **top = calloc(v->nservices + 1, sizeof(*top));
    if (!top)
        return -1;
    for (size_t i = 0; i < v->nservices; i++)
        top[i] = &v->services[i];
    qsort(top, v->nservices, sizeof(*top), cmp_by_handshakes);
    size_t n = v->nservices < CHART_SERVICES ? v->nservices : CHART_SERVICES;
    if (v->nservices > n)
        fprintf(out, "<p class=\"note\">The %zu services with the most handshakes of %zu:</p>\n", n,
                v->nservices);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char id[32];
        snprintf(id, sizeof(id), "chart-%zu", i + 1);
        rc = chart(out, v, top[i]->s, id);
    }
    free(top);
    fputs("</section>\n", out);
    return rc;
}

/* ---- the other tables ------------------------------------------------------- */

static void html_services(FILE *out, const struct rd_view *v)
{
    fprintf(out,
            "<section id=\"services\">\n<h2>Services (%zu)</h2>\n<table id=\"table-services\">"
            "\n<thead><tr><th>service</th><th>SNI</th><th>handshakes</th><th>clients</th>"
            "<th>would break</th><th>negotiating low</th><th>fine</th><th>first seen</th>"
            "<th>last seen</th></tr></thead>\n<tbody>\n",
            v->nservices);
    for (size_t i = 0; i < v->nservices; i++) {
        const struct rd_service_view *sv = &v->services[i];
        char first[40], last[40];
        cell_time(sv->s->first_us, first, sizeof(first));
        cell_time(sv->s->last_us, last, sizeof(last));
        fputs("<tr><td>", out);
        html_service_name(out, sv->s);
        fputs("</td><td class=\"sni\">", out);
        html_text(out, sv->s->sni);
        fprintf(
            out,
            "</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%zu</td><td class=\"n\">%zu"
            "</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td><td>%s</td><td>%s</td></tr>\n",
            sv->s->handshakes, sv->nclients, sv->ngroup[RD_WOULD_BREAK],
            sv->ngroup[RD_NEGOTIATING_LOW], sv->ngroup[RD_FINE], first, last);
    }
    fputs("</tbody>\n</table>\n</section>\n", out);
}

static void finding_row(FILE *out, const struct rd_service_view *sv, int f)
{
    fputs("<tr><td>", out);
    html_service_name(out, sv->s);
    fputs("</td><td class=\"sni\">", out);
    html_text(out, sv->s->sni);
    fprintf(out,
            "</td><td>%s</td><td>%s</td><td class=\"n\">%u</td><td class=\"n\">%" PRIu64
            "</td><td class=\"fp\">",
            rd_finding_name(f), rd_finding_description(f), sv->offered_by[f],
            sv->s->neg_findings[f]);
    int any = 0;
    for (unsigned k = 0; k < sv->s->nsuites; k++) {
        if (!(rd_classify_suite(sv->s->suites[k]) & (1u << f)))
            continue;
        fputs(any++ ? "<br>" : "", out);
        html_text(out, sv->s->suites[k]);
    }
    if (sv->s->suites_truncated)
        fputs("<br>...", out);
    fputs("</td></tr>\n", out);
}

static void html_findings(FILE *out, const struct rd_view *v)
{
    fputs("<section id=\"findings\">\n<h2>Cipher findings</h2>\n<p class=\"note\">Following BSI "
          "TR-02102-2 and the IANA registry's Recommended column: how many clients offered such "
          "suites, and how many handshakes negotiated one.</p>\n<table id=\"table-findings\">\n"
          "<thead><tr><th>service</th><th>SNI</th><th>finding</th><th>meaning</th><th>clients "
          "offering</th><th>handshakes negotiated</th><th>negotiated suites</th></tr></thead>\n"
          "<tbody>\n",
          out);
    for (size_t i = 0; i < v->nservices; i++)
        for (int f = 0; f < RDF_COUNT; f++)
            if (v->services[i].offered_by[f] || v->services[i].s->neg_findings[f])
                finding_row(out, &v->services[i], f);
    fputs("</tbody>\n</table>\n</section>\n", out);
}

static void html_fine(FILE *out, const struct rd_view *v)
{
    fprintf(out,
            "<section id=\"fine\">\n<h2>Fine (%zu)</h2>\n<p class=\"note\">They offer TLS %s or "
            "higher and got it (or no ServerHello was seen).</p>\n<details>\n<summary>Show the "
            "%zu clients</summary>\n",
            v->ngroup[RD_FINE], rd_floor_name(v), v->ngroup[RD_FINE]);
    client_table(out, v, RD_FINE);
    fputs("</details>\n</section>\n", out);
}

static void html_pseudo(FILE *out, const struct rd_view *v)
{
    fprintf(out,
            "<section id=\"pseudo-tls\">\n<h2>Pseudo-TLS (%zu)</h2>\n<p class=\"note\">Fixed "
            "fake handshakes (MS-TURN, Google SSL-TCP) that only look like TLS: not clients "
            "above, but a rule blocking TLS 1.0 breaks them too.</p>\n<table "
            "id=\"table-pseudo-tls\">\n<thead><tr><th>server</th><th>kind</th><th>handshakes"
            "</th><th>client addresses</th><th>first seen</th><th>last seen</th></tr></thead>"
            "\n<tbody>\n",
            v->npseudo);
    for (size_t i = 0; i < v->npseudo; i++) {
        const struct rd_pseudo *p = v->pseudo[i];
        int v6 = strchr(p->ip, ':') != NULL;
        char first[40], last[40];
        cell_time(p->first_us, first, sizeof(first));
        cell_time(p->last_us, last, sizeof(last));
        fprintf(out, "<tr><td>%s", v6 ? "[" : "");
        html_text(out, p->ip);
        fprintf(out, "%s:%u/%s ", v6 ? "]" : "", p->port, p->udp ? "udp" : "tcp");
        html_text(out, p->protocol);
        fputs("</td><td>", out);
        html_text(out, p->kind);
        fprintf(out,
                "</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64
                "</td><td>%s</td><td>%s</td></tr>\n",
                p->handshakes, p->clients, first, last);
    }
    fputs("</tbody>\n</table>\n</section>\n", out);
}

static void html_foot(FILE *out, const struct rd_view *v)
{
    fprintf(out,
            "<footer>tlsmon report: %" PRIu64 " log lines, %" PRIu64 " handshakes (%" PRIu64
            " pseudo-TLS), %" PRIu64 " plaintext and %" PRIu64 " other lines ignored, %" PRIu64
            " bad lines, %" PRIu64 " handshakes not counted (tables full).</footer>\n"
            "</body>\n</html>\n",
            v->st.lines, v->st.handshakes, v->st.pseudo, v->st.plaintext, v->st.other,
            v->st.bad_lines, v->st.over_capacity);
}

int rd_write_html(const struct rd_view *v, FILE *out)
{
    html_head(out, v);
    html_summary(out, v);
    html_groups(out, v);
    if (html_charts(out, v) < 0)
        return -1;
    html_services(out, v);
    html_findings(out, v);
    html_fine(out, v);
    html_pseudo(out, v);
    html_foot(out, v);
    return ferror(out) ? -1 : 0;
}
