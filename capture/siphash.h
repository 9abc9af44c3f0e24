/* siphash.h: SipHash-2-4 (Aumasson and Bernstein, 2012), a keyed hash, so
 * that crafted addresses cannot pile flows into one bucket. */
#ifndef TLSMON_SIPHASH_H
#define TLSMON_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t siphash24(const uint8_t key[16], const void *data, size_t len);

#endif
