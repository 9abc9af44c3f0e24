/* tally.c: see tally.h. FNV-1a over the key with linear probing; the index
 * doubles at half load, entries grow by doubling up to the cap. */
#include "tally.h"

#include <stdlib.h>
#include <string.h>

void tally_init(struct tally *t, size_t rec_size, size_t cap)
{
    memset(t, 0, sizeof(*t));
    t->rec_size = rec_size;
    t->cap = cap;
}

void tally_free(struct tally *t)
{
    free(t->index);
    free(t->keys);
    free(t->recs);
    memset(t, 0, sizeof(*t));
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static int grow_index(struct tally *t)
{
    size_t slots = t->slots ? t->slots * 2 : 64;
    uint32_t *idx = calloc(slots, sizeof(*idx));
    if (!idx)
        return 0;
    for (size_t i = 0; i < t->count; i++) {
        size_t j = fnv1a(tally_key(t, i)) & (slots - 1);
        while (idx[j])
            j = (j + 1) & (slots - 1);
        idx[j] = (uint32_t)(i + 1);
    }
    free(t->index);
    t->index = idx;
    t->slots = slots;
    return 1;
}

static int grow_entries(struct tally *t)
{
    size_t n = t->count ? t->count * 2 : 32;
    if (n > t->cap)
        n = t->cap;
    char *k = realloc(t->keys, n * TALLY_KEY_MAX);
    if (!k)
        return 0;
    t->keys = k;
    unsigned char *r = realloc(t->recs, n * t->rec_size);
    if (!r)
        return 0;
    t->recs = r;
    return 1;
}

void *tally_get(struct tally *t, const char *key)
{
    if (t->slots) {
        size_t j = fnv1a(key) & (t->slots - 1);
        for (; t->index[j]; j = (j + 1) & (t->slots - 1)) {
            size_t i = t->index[j] - 1;
            if (strncmp(tally_key(t, i), key, TALLY_KEY_MAX - 1) == 0)
                return tally_rec(t, i);
        }
    }
    if (t->count >= t->cap) {
        t->dropped++;
        return NULL;
    }
    if ((t->count + 1) * 2 > t->slots && !grow_index(t)) {
        t->dropped++;
        return NULL;
    }
    /* Entries grow in powers of two: a new block is needed at each power. */
    if ((t->count & (t->count - 1)) == 0 && t->count >= 32 && !grow_entries(t)) {
        t->dropped++;
        return NULL;
    }
    if (t->count == 0 && !t->keys && !grow_entries(t)) {
        t->dropped++;
        return NULL;
    }
    size_t i = t->count++;
    char *k = t->keys + i * TALLY_KEY_MAX;
    strncpy(k, key, TALLY_KEY_MAX - 1);
    k[TALLY_KEY_MAX - 1] = 0;
    memset(tally_rec(t, i), 0, t->rec_size);
    size_t j = fnv1a(k) & (t->slots - 1);
    while (t->index[j])
        j = (j + 1) & (t->slots - 1);
    t->index[j] = (uint32_t)(i + 1);
    return tally_rec(t, i);
}
