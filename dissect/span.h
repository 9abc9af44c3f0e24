/* span.h: a bounds-checked read cursor over untrusted bytes.
 *
 * A span is a pointer and the number of bytes left. Every read consumes from
 * the front and returns 1 on success, 0 when the bytes are not there (the
 * span is then left unchanged). Length-prefixed fields yield a sub-span that
 * cannot see past its own end. Dissectors never index packet buffers
 * directly; they only go through these accessors (modelled on BoringSSL's
 * CBS, written for tlsmon).
 */
#ifndef TLSMON_SPAN_H
#define TLSMON_SPAN_H

#include <stddef.h>
#include <stdint.h>

struct span {
    const uint8_t *p;
    size_t n;
};

static inline struct span span_make(const uint8_t *p, size_t n)
{
    struct span s = {p, n};
    return s;
}

static inline size_t span_len(const struct span *s)
{
    return s->n;
}

static inline int span_skip(struct span *s, size_t k)
{
    if (s->n < k)
        return 0;
    s->p += k;
    s->n -= k;
    return 1;
}

static inline int span_u8(struct span *s, uint8_t *v)
{
    if (s->n < 1)
        return 0;
    *v = s->p[0];
    s->p += 1;
    s->n -= 1;
    return 1;
}

static inline int span_u16(struct span *s, uint16_t *v)
{
    if (s->n < 2)
        return 0;
    *v = (uint16_t)((s->p[0] << 8) | s->p[1]);
    s->p += 2;
    s->n -= 2;
    return 1;
}

static inline int span_u24(struct span *s, uint32_t *v)
{
    if (s->n < 3)
        return 0;
    *v = ((uint32_t)s->p[0] << 16) | ((uint32_t)s->p[1] << 8) | s->p[2];
    s->p += 3;
    s->n -= 3;
    return 1;
}

static inline int span_u32(struct span *s, uint32_t *v)
{
    if (s->n < 4)
        return 0;
    *v = ((uint32_t)s->p[0] << 24) | ((uint32_t)s->p[1] << 16) | ((uint32_t)s->p[2] << 8) | s->p[3];
    s->p += 4;
    s->n -= 4;
    return 1;
}

/* Take the next k bytes as a sub-span. */
static inline int span_sub(struct span *s, size_t k, struct span *out)
{
    if (s->n < k)
        return 0;
    out->p = s->p;
    out->n = k;
    s->p += k;
    s->n -= k;
    return 1;
}

/* Length-prefixed sub-spans (RFC 8446 section 3.4 vectors). */
static inline int span_vec8(struct span *s, struct span *out)
{
    struct span t = *s;
    uint8_t k;
    if (!span_u8(&t, &k) || !span_sub(&t, k, out))
        return 0;
    *s = t;
    return 1;
}

static inline int span_vec16(struct span *s, struct span *out)
{
    struct span t = *s;
    uint16_t k;
    if (!span_u16(&t, &k) || !span_sub(&t, k, out))
        return 0;
    *s = t;
    return 1;
}

static inline int span_vec24(struct span *s, struct span *out)
{
    struct span t = *s;
    uint32_t k;
    if (!span_u24(&t, &k) || !span_sub(&t, k, out))
        return 0;
    *s = t;
    return 1;
}

/* Peek without consuming. */
static inline int span_peek_u8(const struct span *s, size_t at, uint8_t *v)
{
    if (s->n <= at)
        return 0;
    *v = s->p[at];
    return 1;
}

static inline int span_peek_u16(const struct span *s, size_t at, uint16_t *v)
{
    if (s->n < 2 || s->n - 2 < at)
        return 0;
    *v = (uint16_t)((s->p[at] << 8) | s->p[at + 1]);
    return 1;
}

#endif
