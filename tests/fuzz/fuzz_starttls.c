/* Fuzz target: one STARTTLS state machine (dissect/starttls_*.c), chosen
 * when built: -DSTARTTLS_MACHINE=starttls_smtp (pop3, imap, ftp, nntp,
 * sieve, xmpp, ldap, pgsql). Its chunks go through plaintext_feed() as
 * session.c feeds them (line assembly for line protocols, the carried tail
 * for binary ones), with the protocol and the server's direction fixed, so
 * every input exercises this machine. Once plaintext_feed says where TLS
 * begins, the rest of that direction (of both, after an upgrade) goes to a
 * TLS stream, as in session.c.
 *
 * Input: 1 byte (bit 0: the server's direction), then chunks in the format
 * of fuzz_input.h, in either direction, cut where the input says. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dissect/starttls_proto.h"
#include "fuzz_input.h"

#ifndef STARTTLS_MACHINE
#error "build with -DSTARTTLS_MACHINE=starttls_<protocol>"
#endif

static void on_handshake(void *ctx, int dir, uint8_t type, struct span body)
{
    (void)ctx, (void)dir, (void)type, (void)body;
}
static void on_sslv2(void *ctx, int dir, struct span msg)
{
    (void)ctx, (void)dir, (void)msg;
}
static void on_record(void *ctx, int dir, uint8_t type, uint16_t version, uint16_t len)
{
    (void)ctx, (void)dir, (void)type, (void)version, (void)len;
}
static void on_alert(void *ctx, int dir, uint8_t level, uint8_t desc)
{
    (void)ctx, (void)dir, (void)level, (void)desc;
}
static const struct tls_stream_sink sink = {on_handshake, on_sslv2, on_record, on_alert};

static void fail(const char *what)
{
    fprintf(stderr, "%s: %s\n", STARTTLS_MACHINE.name, what);
    abort();
}

/* What must hold after every chunk, whatever the bytes. */
static void check(const struct plaintext *pt)
{
    const struct starttls_proto *want = &STARTTLS_MACHINE;
    /* SMTP becomes FTP when the client's first command is an FTP one, LMTP
     * when it is LHLO (RFC 2033). */
    if (pt->proto != want &&
        !(want == &starttls_smtp && (pt->proto == &starttls_ftp || pt->proto == &starttls_lmtp)))
        fail("the protocol changed");
    if (pt->upgraded && !pt->requested)
        fail("upgraded without the client asking");
    for (int d = 0; d < 2; d++)
        if (pt->line_len[d] > PT_LINE_MAX + 1)
            fail("line length past the bound");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct plaintext pt;
    struct tls_stream ts[2];
    struct span in = span_make(data, size), chunk;
    uint8_t cfg, tls[2] = {0, 0};
    int dir;
    if (!span_u8(&in, &cfg))
        return 0;
    memset(ts, 0, sizeof(ts));
    plaintext_init(&pt, 0);
    pt.proto = &STARTTLS_MACHINE;
    pt.server_known = 1;
    pt.server_dir = cfg & 1;
    while (fuzz_next_chunk(&in, &dir, &chunk)) {
        if (tls[dir]) {
            tls_stream_feed(&ts[dir], dir, chunk, &sink, NULL);
            continue;
        }
        size_t off = (size_t)-1;
        enum pt_result r = plaintext_feed(&pt, dir, chunk, &off);
        if (off > chunk.n)
            fail("TLS begins outside the chunk");
        if (r == PT_CONTINUE && off != 0)
            fail("an offset without TLS");
        if (r == PT_UPGRADED && (!pt.upgraded || dir != pt.server_dir))
            fail("an upgrade not from the server");
        check(&pt);
        plaintext_concluded(&pt);
        plaintext_reportable(&pt);
        if (r == PT_CONTINUE)
            continue;
        tls[dir] = 1;
        if (r == PT_UPGRADED)
            tls[!dir] = 1;
        span_skip(&chunk, off);
        tls_stream_feed(&ts[dir], dir, chunk, &sink, NULL);
    }
    tls_stream_free(&ts[0]);
    tls_stream_free(&ts[1]);
    fuzz_budget_end();
    return 0;
}
