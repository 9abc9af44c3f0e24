/* Fuzz target: STUN/TURN framed on TCP (RFC 6062, RFC 8656 section 12.5:
 * STUN messages and padded ChannelData back to back) and RFC 4571's 2-byte
 * length framing (ICE-TCP), through session_data() of a TCP session whose
 * directions are in that framing, as session.c puts them when a direction's
 * first bytes look framed. Frames are cut across chunks where the input
 * says, and what they carry goes on: DTLS records, Send/Data indications,
 * channel bindings, a ConnectionBind after which raw TLS follows. Whatever
 * happens, the hello budget holds nothing after session_end().
 *
 * Input: 1 byte (bit 0: RFC 4571 instead of STUN framing; bits 1..7: the
 * hello budget, see fuzz_input.h), then chunks in the format of
 * fuzz_input.h; an empty chunk is a FIN from its direction. */
#include <stdint.h>
#include <string.h>

#include "dissect/session.h"
#include "fuzz_input.h"
#include "fuzz_sink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct endpoint a = {ADDR_V4, {10, 0, 0, 1}, 40000}, b = {ADDR_V4, {10, 0, 0, 2}, 3478};
    struct span in = span_make(data, size), chunk;
    static struct tls_session s;
    uint8_t cfg;
    int dir;
    if (!span_u8(&in, &cfg))
        return 0;
    fuzz_budget_begin(cfg >> 1);
    session_init(&s, &a, &b, TRANSPORT_TCP, &sink, NULL);
    s.mode[0] = s.mode[1] = cfg & 1 ? SESSION_MODE_RFC4571 : SESSION_MODE_STUN_TCP;
    int64_t now = 1000;
    while (!s.finished && fuzz_next_chunk(&in, &dir, &chunk)) {
        if (chunk.n == 0)
            session_fin(&s, dir, now);
        else
            session_data(&s, dir, chunk, now);
        now += 1000;
    }
    session_end(&s, SETTLE_END_OF_INPUT);
    fuzz_budget_end();
    return 0;
}
