/* Fuzz target: a TLS byte stream in both directions, split at points the
 * input chooses, through the session (records, hellos, grouping). */
#include <stdint.h>
#include <string.h>

#include "dissect/session.h"
#include "fuzz_input.h"
#include "fuzz_sink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct endpoint a = {ADDR_V4, {10, 0, 0, 1}, 40000}, b = {ADDR_V4, {10, 0, 0, 2}, 443};
    struct tls_session s;
    session_init(&s, &a, &b, TRANSPORT_TCP, &sink, NULL);
    /* Each chunk: 1 byte (direction bit, length 0..127), then the bytes. */
    size_t i = 0;
    while (i < size && !s.finished) {
        int dir = data[i] >> 7;
        size_t len = data[i] & 0x7f;
        i++;
        if (len > size - i)
            len = size - i;
        session_data(&s, dir, span_make(data + i, len), 1000);
        i += len;
    }
    session_end(&s, SETTLE_END_OF_INPUT);
    fuzz_budget_end(); /* every hello buffer given back */
    return 0;
}
