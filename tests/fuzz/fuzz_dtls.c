/* Fuzz target: DTLS on its own (dissect/dtls.c): datagrams of records in
 * both directions through dtls_datagram(), with handshake fragments put
 * back together across records and datagrams, and every hello handed on
 * parsed as session.c parses it. The input may shrink the hello budget, so
 * that reassembly buffers are refused; whatever happens, the budget holds
 * nothing once the state is freed.
 *
 * Input: 1 byte (bit 7: no per-flow state, as dtls_datagram allows;
 * bits 0..6: the budget, see fuzz_input.h), then datagrams in the format of
 * fuzz_input.h. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "dissect/dtls.h"
#include "dissect/tls.h"
#include "fuzz_input.h"

static struct tls_client_hello ch;
static struct tls_server_hello sh;

static void on_handshake(void *ctx, int dir, uint8_t type, struct span body)
{
    (void)ctx, (void)dir;
    if (type == TLS_HS_CLIENT_HELLO)
        tls_parse_client_hello_dtls(body, &ch);
    else if (type == TLS_HS_SERVER_HELLO)
        tls_parse_server_hello(body, &sh);
    else if (type != DTLS_HS_HELLO_VERIFY_REQUEST)
        abort(); /* only hellos are handed on */
}
static void on_record(void *ctx, int dir, uint8_t type, uint16_t version, uint16_t len)
{
    (void)ctx, (void)dir, (void)type, (void)version, (void)len;
}
static void on_alert(void *ctx, int dir, uint8_t level, uint8_t desc)
{
    (void)ctx, (void)dir, (void)level, (void)desc;
}
static const struct tls_stream_sink sink = {on_handshake, NULL, on_record, on_alert};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct span in = span_make(data, size), dgram;
    uint8_t cfg;
    int dir;
    if (!span_u8(&in, &cfg))
        return 0;
    fuzz_budget_begin(cfg);
    struct dtls_state *ds = NULL;
    if (!(cfg & 0x80) && !(ds = dtls_state_new()))
        return 0;
    while (fuzz_next_datagram(&in, &dir, &dgram)) {
        dtls_looks_like_record(dgram);
        dtls_datagram(ds, dir, dgram, &sink, NULL);
    }
    dtls_state_free(ds);
    fuzz_budget_end();
    return 0;
}
