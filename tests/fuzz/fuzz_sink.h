/* fuzz_sink.h: a dissect sink that drops everything, for the harnesses that
 * drive a whole session (fuzz_tls_stream, fuzz_datagram, fuzz_framing). */
#ifndef TLSMON_FUZZ_SINK_H
#define TLSMON_FUZZ_SINK_H

#include "dissect/session.h"

static void fuzz_on_begin(void *ctx, struct tls_handshake *hs)
{
    (void)ctx, (void)hs;
}
static void fuzz_on_settle(void *ctx, struct tls_handshake *hs, void *f)
{
    (void)ctx, (void)hs, (void)f;
}
static void fuzz_on_plain(void *ctx, struct plaintext_record *p, void *f)
{
    (void)ctx, (void)p, (void)f;
}
static const struct dissect_sink sink = {fuzz_on_begin, fuzz_on_settle, fuzz_on_plain, NULL};

#endif
