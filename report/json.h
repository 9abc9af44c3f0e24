/* json.h: a small writer of one JSON object into a growing buffer.
 *
 * Strings are escaped so every line is valid JSON whatever the bytes: quotes,
 * backslashes and control bytes are escaped, invalid UTF-8 bytes are written
 * as \u00XX (their Latin-1 reading), so nothing is dropped silently. */
#ifndef TLSMON_JSON_H
#define TLSMON_JSON_H

#include <stddef.h>
#include <stdint.h>

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

/* key is NULL inside arrays and for the top-level object. */
void json_open_object(struct json *j, const char *key);
void json_close_object(struct json *j);
void json_open_array(struct json *j, const char *key);
void json_close_array(struct json *j);
void json_string(struct json *j, const char *key, const char *s);
void json_string_n(struct json *j, const char *key, const char *s, size_t n);
/* A string known to need no escaping (the program's own constants: cipher
 * names, version numbers); written without scanning it. */
void json_string_trusted(struct json *j, const char *key, const char *s);
void json_uint(struct json *j, const char *key, uint64_t v);
void json_int(struct json *j, const char *key, int64_t v);
void json_double(struct json *j, const char *key, double v);
void json_bool(struct json *j, const char *key, int v);
void json_raw(struct json *j, const char *s, size_t n); /* append as is */

#endif
