/* json.c: see json.h. */
#include "json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void json_init(struct json *j)
{
    memset(j, 0, sizeof(*j));
}

void json_free(struct json *j)
{
    free(j->p);
    json_init(j);
}

void json_reset(struct json *j)
{
    j->len = 0;
    j->depth = 0;
    j->need_comma[0] = 0;
    if (j->p)
        j->p[0] = 0;
}

int json_grow(struct json *j, size_t more)
{
    if (j->failed)
        return 0;
    if (j->len + more + 1 <= j->cap)
        return 1;
    size_t cap = j->cap ? j->cap : 1024;
    while (cap < j->len + more + 1)
        cap *= 2;
    char *p = realloc(j->p, cap);
    if (!p) {
        j->failed = 1;
        return 0;
    }
    j->p = p;
    j->cap = cap;
    return 1;
}

static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t k;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if ((c & 0xe0) == 0xc0) {
        k = 2;
        cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
        k = 3;
        cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
        k = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (k > n)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    /* Overlong forms, surrogates and values past U+10FFFF are invalid. */
    if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
        return 0;
    return k;
}

static void put_escaped(struct json *j, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    char esc[8];
    json_put_char(j, '"');
    for (size_t i = 0; i < n;) {
        /* Copy a run of plain printable ASCII at once. */
        size_t run = i;
        while (run < n && u[run] >= 0x20 && u[run] < 0x7f && u[run] != '"' && u[run] != '\\')
            run++;
        if (run > i) {
            json_raw(j, s + i, run - i);
            i = run;
            continue;
        }
        unsigned char c = u[i];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            json_raw(j, esc, 2);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(esc, sizeof(esc), "\\u%04x", c);
            json_raw(j, esc, 6);
            i++;
        } else {
            size_t k = utf8_seq_len(u + i, n - i);
            if (k == 0) {
                snprintf(esc, sizeof(esc), "\\u%04x", c);
                json_raw(j, esc, 6);
                i++;
            } else {
                json_raw(j, s + i, k);
                i += k;
            }
        }
    }
    json_put_char(j, '"');
}

void json_string_n(struct json *j, const char *key, const char *s, size_t n)
{
    json_put_key(j, key);
    put_escaped(j, s, n);
}

void json_string(struct json *j, const char *key, const char *s)
{
    json_string_n(j, key, s, strlen(s));
}

void json_uint(struct json *j, const char *key, uint64_t v)
{
    char b[20];
    json_put_key(j, key);
    json_raw(j, b, json_format_uint(b, v));
}

void json_int(struct json *j, const char *key, int64_t v)
{
    char b[24];
    json_put_key(j, key);
    json_raw(j, b, (size_t)snprintf(b, sizeof(b), "%" PRId64, v));
}

void json_double(struct json *j, const char *key, double v)
{
    char b[32];
    json_put_key(j, key);
    json_raw(j, b, (size_t)snprintf(b, sizeof(b), "%.6g", v));
}

void json_bool(struct json *j, const char *key, int v)
{
    json_put_key(j, key);
    json_raw(j, v ? "true" : "false", v ? 4 : 5);
}
