/* siphash.h: SipHash-2-4 (Aumasson and Bernstein, 2012), a keyed hash, so
 * that crafted addresses cannot pile flows into one bucket. */
#ifndef TLSMON_SIPHASH_H
#define TLSMON_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t siphash24(const uint8_t key[16], const void *data, size_t len);

/* SipHash-1-3: one round per block and three at the end, the variant the
 * hash tables of Python and Rust use. Half the cost of 2-4 for a flow key;
 * still keyed, so bucket flooding needs the secret key. */
uint64_t siphash13(const uint8_t key[16], const void *data, size_t len);

#endif
