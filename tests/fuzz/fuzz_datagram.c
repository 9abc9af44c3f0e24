/* Fuzz target: UDP datagrams through the DTLS/STUN/TURN demultiplexer and
 * the QUIC Initial decryption path. The input may shrink the hello budget
 * (DTLS reassembly, QUIC CRYPTO buffers); whatever happens, it holds nothing
 * after session_end(). */
#include <stdint.h>
#include <string.h>

#include "dissect/session.h"
#include "fuzz_input.h"
#include "fuzz_sink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct endpoint a = {ADDR_V4, {10, 0, 0, 1}, 40000}, b = {ADDR_V4, {10, 0, 0, 2}, 3478};
    struct tls_session s;
    session_init(&s, &a, &b, TRANSPORT_UDP, &sink, NULL);
    /* First byte: carrier (bit 0: QUIC or DTLS/STUN), the hello budget
     * (bits 1..7, see fuzz_input.h); then datagrams prefixed by a 2-byte
     * big-endian length with the direction in the top bit. */
    fuzz_budget_begin(data[0] >> 1);
    session_set_carrier(&s, data[0] & 1 ? CARRIER_QUIC : CARRIER_DTLS);
    size_t i = 1;
    while (i + 2 <= size && !s.finished) {
        int dir = data[i] >> 7;
        size_t len = ((size_t)(data[i] & 0x7f) << 8) | data[i + 1];
        i += 2;
        if (len > size - i)
            len = size - i;
        session_datagram(&s, dir, span_make(data + i, len), 1000);
        i += len;
    }
    session_end(&s, SETTLE_END_OF_INPUT);
    fuzz_budget_end();
    return 0;
}
