/* json.h: a small writer of one JSON object into a growing buffer.
 *
 * Strings are escaped so every line is valid JSON whatever the bytes: quotes,
 * backslashes and control bytes are escaped, invalid UTF-8 bytes are written
 * as \u00XX (their Latin-1 reading), so nothing is dropped silently. */
#ifndef TLSMON_JSON_H
#define TLSMON_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define JSON_MAX_DEPTH 16

struct json {
    char *p;
    size_t len, cap;
    int depth;
    uint8_t need_comma[JSON_MAX_DEPTH];
    uint8_t failed; /* allocation failed: the buffer is unusable */
};

void json_init(struct json *j);
void json_free(struct json *j);
void json_reset(struct json *j); /* empty it, keep the memory */

/* Grow the buffer for more bytes (and the closing NUL); 0 when it cannot. */
int json_grow(struct json *j, size_t more);

/* The writers every field goes through are inline: keys are string
 * literals, so their lengths fold to constants, and a line of ~60 fields
 * costs no calls on its fast path. */
static inline int json_reserve(struct json *j, size_t more)
{
    return (!j->failed && j->len + more + 1 <= j->cap) || json_grow(j, more);
}

static inline void json_raw(struct json *j, const char *s, size_t n) /* append as is */
{
    if (n == 0 || !json_reserve(j, n)) /* s may be NULL when n is 0 */
        return;
    memcpy(j->p + j->len, s, n);
    j->len += n;
    j->p[j->len] = 0;
}

static inline void json_put_char(struct json *j, char c)
{
    if (!json_reserve(j, 1))
        return;
    j->p[j->len++] = c;
    j->p[j->len] = 0;
}

/* v in decimal at out (room for 20 bytes, no NUL); returns the length. */
static inline size_t json_format_uint(char *out, uint64_t v)
{
    char b[20];
    size_t k = sizeof(b);
    do
        b[--k] = (char)('0' + v % 10);
    while (v /= 10);
    memcpy(out, b + k, sizeof(b) - k);
    return sizeof(b) - k;
}

/* "s" as is (no escaping), then the character after (0: none). */
static inline void json_put_quoted(struct json *j, const char *s, size_t n, char after)
{
    if (!json_reserve(j, n + 3))
        return;
    j->p[j->len++] = '"';
    memcpy(j->p + j->len, s, n);
    j->len += n;
    j->p[j->len++] = '"';
    if (after)
        j->p[j->len++] = after;
    j->p[j->len] = 0;
}

/* The comma before a member and its key; key is NULL inside arrays. Keys
 * are the program's own constants: no escaping needed. */
static inline void json_put_key(struct json *j, const char *key)
{
    if (j->need_comma[j->depth])
        json_put_char(j, ',');
    j->need_comma[j->depth] = 1;
    if (key)
        json_put_quoted(j, key, strlen(key), ':');
}

static inline void json_open_container(struct json *j, const char *key, char c)
{
    json_put_key(j, key);
    json_put_char(j, c);
    if (j->depth + 1 < JSON_MAX_DEPTH)
        j->depth++;
    j->need_comma[j->depth] = 0;
}

static inline void json_close_container(struct json *j, char c)
{
    json_put_char(j, c);
    if (j->depth > 0)
        j->depth--;
}

/* key is NULL inside arrays and for the top-level object. */
static inline void json_open_object(struct json *j, const char *key)
{
    json_open_container(j, key, '{');
}
static inline void json_close_object(struct json *j)
{
    json_close_container(j, '}');
}
static inline void json_open_array(struct json *j, const char *key)
{
    json_open_container(j, key, '[');
}
static inline void json_close_array(struct json *j)
{
    json_close_container(j, ']');
}

/* A string known to need no escaping (the program's own constants: cipher
 * names, version numbers, formatted addresses); written without scanning. */
static inline void json_string_trusted_n(struct json *j, const char *key, const char *s, size_t n)
{
    json_put_key(j, key);
    json_put_quoted(j, s, n, 0);
}
static inline void json_string_trusted(struct json *j, const char *key, const char *s)
{
    json_string_trusted_n(j, key, s, strlen(s));
}

void json_string(struct json *j, const char *key, const char *s);
void json_string_n(struct json *j, const char *key, const char *s, size_t n);
void json_uint(struct json *j, const char *key, uint64_t v);
void json_int(struct json *j, const char *key, int64_t v);
void json_double(struct json *j, const char *key, double v);
void json_bool(struct json *j, const char *key, int v);

#endif
