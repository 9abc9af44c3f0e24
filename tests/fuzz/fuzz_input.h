/* fuzz_input.h: what the harnesses share: reading chunks and datagrams from
 * the fuzzer's input, a sink that drops everything, and the hello budget
 * (--max-reassembly-mb), which the input may shrink and which must hold
 * nothing once a harness has freed its state.
 *
 * Stream chunks: 1 byte (bit 7 the direction, bits 0..6 the length; 127
 * means the length is in the next 2 bytes, big-endian), then the bytes.
 * Datagrams: 2 bytes big-endian (bit 15 the direction, bits 0..14 the
 * length), then the bytes. A length past the end of the input is cut. */
#ifndef TLSMON_FUZZ_INPUT_H
#define TLSMON_FUZZ_INPUT_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "dissect/span.h"
#include "dissect/tls_stream.h"

/* The rest of the input, at most len bytes of it. */
static inline struct span fuzz_take(struct span *in, size_t len)
{
    struct span out;
    if (len > in->n)
        len = in->n;
    span_sub(in, len, &out);
    return out;
}

static inline int fuzz_next_chunk(struct span *in, int *dir, struct span *chunk)
{
    uint8_t b;
    uint16_t len16;
    if (!span_u8(in, &b))
        return 0;
    *dir = b >> 7;
    size_t len = b & 0x7f;
    if (len == 0x7f)
        len = span_u16(in, &len16) ? len16 : 0;
    *chunk = fuzz_take(in, len);
    return 1;
}

static inline int fuzz_next_datagram(struct span *in, int *dir, struct span *dgram)
{
    uint16_t h;
    if (!span_u16(in, &h))
        return 0;
    *dir = h >> 15;
    *dgram = fuzz_take(in, h & 0x7fff);
    return 1;
}

/* A hello budget chosen by 7 bits of the input: 0 is the default cap, any
 * other value v a cap of v * 256 bytes (256 B .. 32 KiB), small enough for
 * the refusal paths to be taken. */
#define FUZZ_DEFAULT_CAP (256ull << 20)
static inline void fuzz_budget_begin(uint8_t v)
{
    v &= 0x7f;
    tls_stream_budget.cap = v ? (uint64_t)v * 256 : FUZZ_DEFAULT_CAP;
}

/* Every byte taken from the budget must have been given back. */
static inline void fuzz_budget_end(void)
{
    if (tls_stream_budget.held != 0) {
        fprintf(stderr, "hello budget: %llu bytes still held after the state was freed\n",
                (unsigned long long)tls_stream_budget.held);
        abort();
    }
    tls_stream_budget.cap = FUZZ_DEFAULT_CAP;
}

#endif
