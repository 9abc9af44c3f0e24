/* tally.h: a bounded map from a short string key to a caller-defined record.
 *
 * Records are fixed-size and zeroed on insertion. At most `cap` keys are
 * kept; a key beyond that is counted in `dropped` and not stored, so memory
 * stays bounded whatever the traffic. */
#ifndef TLSMON_TALLY_H
#define TLSMON_TALLY_H

#include <stddef.h>
#include <stdint.h>

#define TALLY_KEY_MAX 192

struct tally {
    size_t rec_size, cap, count, slots;
    uint32_t *index; /* open addressing: entry number + 1, 0 empty */
    char *keys;      /* count * TALLY_KEY_MAX */
    unsigned char *recs;
    uint64_t dropped;
};

void tally_init(struct tally *t, size_t rec_size, size_t cap);
void tally_free(struct tally *t);

/* The record of key, inserted when absent; NULL when full (counted). */
void *tally_get(struct tally *t, const char *key);

static inline void *tally_rec(const struct tally *t, size_t i)
{
    return t->recs + i * t->rec_size;
}
static inline const char *tally_key(const struct tally *t, size_t i)
{
    return t->keys + i * TALLY_KEY_MAX;
}

#endif
