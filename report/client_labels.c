/* client_labels.c: client-software labels from a fingerprint table
 * (data/client-fingerprints.tsv). One entry a line, tab-separated:
 *
 *     match   value                                   label                 note
 *     ja4     t13d3112h2_e8f1e7e78f70_b26ce05bbdd6    curl 7.88 (OpenSSL 3.0)  where it was seen
 *
 * match is `ja4` (the whole JA4), `ja4_prefix` (the JA4 starts with the
 * value, e.g. its a and b parts) or `ja3` (the MD5). Lines starting with
 * '#' and empty lines are skipped, as is a header line whose first field is
 * "match". A fingerprint names a TLS stack and its settings, not a program:
 * two programs on one library look alike, so labels say what was observed. */
#define READINESS_INTERNAL
#include "readiness.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { KIND_JA4, KIND_JA3, KIND_PREFIX, NKINDS };

struct entry {
    char *value, *label;
    size_t vlen;
    unsigned line;
};

struct rd_labels {
    struct entry *e[NKINDS];
    size_t n[NKINDS], cap[NKINDS];
};

static int kind_of(const char *s)
{
    if (strcmp(s, "ja4") == 0)
        return KIND_JA4;
    if (strcmp(s, "ja3") == 0)
        return KIND_JA3;
    if (strcmp(s, "ja4_prefix") == 0)
        return KIND_PREFIX;
    return -1;
}

void rd_labels_free(struct rd_labels *l)
{
    if (!l)
        return;
    for (int k = 0; k < NKINDS; k++) {
        for (size_t i = 0; i < l->n[k]; i++) {
            free(l->e[k][i].value);
            free(l->e[k][i].label);
        }
        free(l->e[k]);
    }
    free(l);
}

size_t rd_labels_count(const struct rd_labels *l)
{
    return l ? l->n[KIND_JA4] + l->n[KIND_JA3] + l->n[KIND_PREFIX] : 0;
}

static int add_entry(struct rd_labels *l, int kind, const char *value, const char *label,
                     unsigned line)
{
    if (l->n[kind] == l->cap[kind]) {
        size_t cap = l->cap[kind] ? l->cap[kind] * 2 : 32;
        struct entry *e = realloc(l->e[kind], cap * sizeof(*e));
        if (!e)
            return -1;
        l->e[kind] = e;
        l->cap[kind] = cap;
    }
    struct entry *e = &l->e[kind][l->n[kind]];
    e->value = strdup(value);
    e->label = strdup(label);
    if (!e->value || !e->label) {
        free(e->value);
        free(e->label);
        return -1;
    }
    e->vlen = strlen(value);
    e->line = line;
    l->n[kind]++;
    return 0;
}

/* Split a line at tabs into at most n fields (the last keeps the rest). */
static int split_tabs(char *s, char **f, int n)
{
    int k = 0;
    f[k++] = s;
    while (k < n && (s = strchr(s, '\t')) != NULL) {
        *s++ = 0;
        f[k++] = s;
    }
    return k;
}

/* One line; 0 fine (or skipped), -1 with the cause in err. */
static int parse_line(struct rd_labels *l, char *s, unsigned line, char *err, size_t errlen)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = 0;
    if (n == 0 || s[0] == '#')
        return 0;
    char *f[4];
    int k = split_tabs(s, f, 4);
    if (strcmp(f[0], "match") == 0) /* the header */
        return 0;
    if (k < 3 || !*f[1] || !*f[2]) {
        snprintf(err, errlen, "expected match type, value and label separated by tabs");
        return -1;
    }
    int kind = kind_of(f[0]);
    if (kind < 0) {
        snprintf(err, errlen, "unknown match type '%.40s' (ja4, ja4_prefix or ja3)", f[0]);
        return -1;
    }
    if (strchr(f[1], ' ')) {
        snprintf(err, errlen, "the value '%.60s' has a space in it", f[1]);
        return -1;
    }
    if (add_entry(l, kind, f[1], f[2], line) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static int cmp_exact(const void *pa, const void *pb)
{
    const struct entry *a = pa, *b = pb;
    int c = strcmp(a->value, b->value);
    return c ? c : (a->line > b->line) - (a->line < b->line);
}

/* Longest prefix first; at equal length the earlier line. */
static int cmp_prefix(const void *pa, const void *pb)
{
    const struct entry *a = pa, *b = pb;
    if (a->vlen != b->vlen)
        return a->vlen < b->vlen ? 1 : -1;
    return (a->line > b->line) - (a->line < b->line);
}

/* Sorted by value, and of equal values only the first line kept. */
static void sort_exact(struct rd_labels *l, int kind)
{
    struct entry *e = l->e[kind];
    size_t n = l->n[kind], out = 0;
    qsort(e, n, sizeof(*e), cmp_exact);
    for (size_t i = 0; i < n; i++) {
        if (out > 0 && strcmp(e[out - 1].value, e[i].value) == 0) {
            free(e[i].value);
            free(e[i].label);
            continue;
        }
        e[out++] = e[i];
    }
    l->n[kind] = out;
}

struct rd_labels *rd_labels_load(const char *path, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct rd_labels *l = calloc(1, sizeof(*l));
    char *buf = NULL, why[160];
    size_t cap = 0;
    unsigned line = 0;
    int failed = !l;
    while (!failed && getline(&buf, &cap, fp) >= 0) {
        line++;
        if (parse_line(l, buf, line, why, sizeof(why)) < 0) {
            snprintf(err, errlen, "%s:%u: %s", path, line, why);
            failed = 1;
        }
    }
    if (!failed && ferror(fp)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        failed = 1;
    }
    if (!l)
        snprintf(err, errlen, "out of memory");
    free(buf);
    fclose(fp);
    if (failed) {
        rd_labels_free(l);
        return NULL;
    }
    sort_exact(l, KIND_JA4);
    sort_exact(l, KIND_JA3);
    qsort(l->e[KIND_PREFIX], l->n[KIND_PREFIX], sizeof(struct entry), cmp_prefix);
    return l;
}

static const char *find_exact(const struct rd_labels *l, int kind, const char *value)
{
    size_t lo = 0, hi = l->n[kind];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(l->e[kind][mid].value, value);
        if (c == 0)
            return l->e[kind][mid].label;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const char *rd_labels_find(const struct rd_labels *l, const char *ja4, const char *ja3)
{
    const char *hit = NULL;
    if (!l)
        return NULL;
    if (ja4 && (hit = find_exact(l, KIND_JA4, ja4)))
        return hit;
    if (ja3 && (hit = find_exact(l, KIND_JA3, ja3)))
        return hit;
    for (size_t i = 0; ja4 && i < l->n[KIND_PREFIX]; i++)
        if (strncmp(ja4, l->e[KIND_PREFIX][i].value, l->e[KIND_PREFIX][i].vlen) == 0)
            return l->e[KIND_PREFIX][i].label;
    return NULL;
}
