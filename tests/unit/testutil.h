/* testutil.h: helpers shared by the unit tests (cmocka).
 *
 * - tu_hex(): hex text (whitespace ignored) to bytes.
 * - tu_hello_body(): the body of the one hello in a TLS record.
 * - tu_pcap_load(): every record of a capture under pcaps/ (libpcap).
 * - tu_run_capture(): a capture through decode_packet and session_data,
 *   recording what the dissect_sink saw.
 * - TU_KNOWN_BUG(): skips a test that shows a known, unfixed source bug
 *   unless TLSMON_KNOWN_BUGS=1 is set (then it runs and fails).
 * - FX_*: real hello records from real TLS stacks, as hex text, with the
 *   capture and frame each came from. They are macros (string literals), so
 *   a test that does not use one costs nothing and warns about nothing.
 *
 * Everything is static inline: each test is one translation unit.
 */
#ifndef TLSMON_TESTUTIL_H
#define TLSMON_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/decode.h"
#include "dissect/session.h"
#include "dissect/span.h"

/* ---- bytes ------------------------------------------------------------ */

struct tu_bytes {
    uint8_t *p;
    size_t n;
};

static inline int tu_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Hex text to a malloc'd buffer (free with tu_bytes_free). Whitespace is
 * skipped; anything else that is not a hex digit fails the test. */
static inline struct tu_bytes tu_hex(const char *hex)
{
    struct tu_bytes b;
    size_t len = strlen(hex);
    b.p = malloc(len / 2 + 1);
    b.n = 0;
    assert_non_null(b.p);
    int hi = -1;
    for (const char *c = hex; *c; c++) {
        if (*c == ' ' || *c == '\n' || *c == '\t')
            continue;
        int v = tu_hexval(*c);
        assert_true(v >= 0);
        if (hi < 0) {
            hi = v;
        } else {
            b.p[b.n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    assert_true(hi < 0); /* an even number of digits */
    return b;
}

static inline void tu_bytes_free(struct tu_bytes *b)
{
    free(b->p);
    b->p = NULL;
    b->n = 0;
}

static inline struct span tu_span(const struct tu_bytes *b)
{
    return span_make(b->p, b->n);
}

/* A record holding exactly one handshake message of type hs_type: check the
 * record and handshake headers against the length and return the body. */
static inline struct span tu_hello_body(const struct tu_bytes *rec, uint8_t hs_type)
{
    assert_true(rec->n >= 9);
    assert_int_equal(rec->p[0], 22); /* handshake record */
    assert_int_equal(rec->p[1], 3);
    assert_int_equal((size_t)(rec->p[3] << 8 | rec->p[4]), rec->n - 5);
    assert_int_equal(rec->p[5], hs_type);
    assert_int_equal((size_t)(rec->p[6] << 16 | rec->p[7] << 8 | rec->p[8]), rec->n - 9);
    return span_make(rec->p + 9, rec->n - 9);
}

/* ---- captures ----------------------------------------------------------- */

struct tu_frame {
    uint8_t *data;
    uint32_t caplen, len;
    int64_t ts_us;
};

struct tu_pcap {
    int linktype;
    size_t n;
    struct tu_frame *f;
};

/* Find a file of the repository (e.g. "pcaps/tls1_2.pcap") from the usual
 * working directories: the repository root (make unit), build/tests, or
 * $TLSMON_ROOT. */
static inline int tu_find(const char *rel, char *out, size_t outlen)
{
    const char *roots[] = {getenv("TLSMON_ROOT"), ".", "..", "../.."};
    for (size_t i = 0; i < sizeof(roots) / sizeof(*roots); i++) {
        if (!roots[i])
            continue;
        snprintf(out, outlen, "%s/%s", roots[i], rel);
        if (access(out, R_OK) == 0)
            return 1;
    }
    return 0;
}

/* Read every record of a capture; fails the test when it cannot. */
static inline void tu_pcap_load(const char *rel, struct tu_pcap *pc)
{
    char path[1024], err[PCAP_ERRBUF_SIZE];
    if (!tu_find(rel, path, sizeof(path)))
        fail_msg("capture %s not found (run from the repository root)", rel);
    pcap_t *p = pcap_open_offline(path, err);
    if (!p)
        fail_msg("%s: %s", path, err);
    memset(pc, 0, sizeof(*pc));
    pc->linktype = pcap_datalink(p);
    size_t cap = 0;
    struct pcap_pkthdr *h;
    const u_char *data;
    while (pcap_next_ex(p, &h, &data) == 1) {
        if (pc->n == cap) {
            cap = cap ? cap * 2 : 64;
            pc->f = realloc(pc->f, cap * sizeof(*pc->f));
            assert_non_null(pc->f);
        }
        struct tu_frame *f = &pc->f[pc->n++];
        f->data = malloc(h->caplen ? h->caplen : 1);
        assert_non_null(f->data);
        memcpy(f->data, data, h->caplen);
        f->caplen = h->caplen;
        f->len = h->len;
        f->ts_us = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
    }
    pcap_close(p);
    assert_true(pc->n > 0);
}

static inline void tu_pcap_free(struct tu_pcap *pc)
{
    for (size_t i = 0; i < pc->n; i++)
        free(pc->f[i].data);
    free(pc->f);
    memset(pc, 0, sizeof(*pc));
}

/* ---- known bugs ----------------------------------------------------------- */

#define TU_KNOWN_BUG(what)                                                                         \
    do {                                                                                           \
        if (!getenv("TLSMON_KNOWN_BUGS")) {                                                        \
            print_message("[ KNOWN BUG ] %s (TLSMON_KNOWN_BUGS=1 runs it)\n", what);               \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

/* ---- a capture through session_data --------------------------------------- */

/* What a dissect_sink saw: begin and settle calls, settled handshakes
 * copied (the pointer dies at settle), plaintext records counted. */
enum { TU_MAX_HS = 8 };

struct tu_handshakes {
    int begins, settles, plaintexts;
    uint64_t begin_seq[TU_MAX_HS];
    struct endpoint begin_client[TU_MAX_HS];
    struct tls_handshake hs[TU_MAX_HS]; /* in settle order */
    void *flow_ctx[TU_MAX_HS];
};

static inline void tu_hs_begin(void *ctx, struct tls_handshake *hs)
{
    struct tu_handshakes *t = ctx;
    assert_true(t->begins < TU_MAX_HS);
    t->begin_seq[t->begins] = hs->seq;
    t->begin_client[t->begins++] = hs->client;
}

static inline void tu_hs_settle(void *ctx, struct tls_handshake *hs, void *flow_ctx)
{
    struct tu_handshakes *t = ctx;
    assert_true(t->settles < TU_MAX_HS);
    t->flow_ctx[t->settles] = flow_ctx;
    t->hs[t->settles++] = *hs;
}

static inline void tu_hs_plaintext(void *ctx, struct plaintext_record *pr, void *flow_ctx)
{
    struct tu_handshakes *t = ctx;
    (void)pr;
    (void)flow_ctx;
    t->plaintexts++;
}

#define TU_SINK(ctx_)                                                                              \
    {                                                                                              \
        .begin = tu_hs_begin, .settle = tu_hs_settle, .plaintext = tu_hs_plaintext, .ctx = (ctx_)  \
    }

static inline int tu_endpoint_eq(const struct endpoint *a, const struct endpoint *b)
{
    return a->family == b->family && a->port == b->port && memcmp(a->addr, b->addr, 16) == 0;
}

/* Decode every frame of a capture and hand each TCP connection's payloads
 * to its own tls_session (session_init with ep[0] = the side that sent the
 * first packet, normally the SYN; flow_ctx = connection number, from 1).
 * FIN and RST go to session_fin/session_reset; session_end at the end.
 * The captures under pcaps/ are loopback captures without loss or
 * reordering, so payloads are in order as captured. When only_src_port is
 * not 0, only packets from that port are fed (a one-sided capture). */
static inline void tu_run_capture(const char *rel, int only_src_port, struct tu_handshakes *out)
{
    enum { MAX_CONNS = 8 };
    struct tu_pcap pc;
    struct tls_session *s = calloc(MAX_CONNS, sizeof(*s));
    struct dissect_sink sink = TU_SINK(out);
    int nconn = 0;
    assert_non_null(s);
    memset(out, 0, sizeof(*out));
    tu_pcap_load(rel, &pc);
    for (size_t i = 0; i < pc.n; i++) {
        struct packet_view pv;
        memset(&pv, 0, sizeof(pv));
        if (decode_packet(pc.linktype, pc.f[i].data, pc.f[i].caplen, pc.f[i].len, &pv) !=
                DECODE_OK ||
            pv.transport != TRANSPORT_TCP)
            continue;
        pv.ts_us = pc.f[i].ts_us;
        int c, dir = 0;
        for (c = 0; c < nconn; c++) {
            if (tu_endpoint_eq(&s[c].ep[0], &pv.src) && tu_endpoint_eq(&s[c].ep[1], &pv.dst))
                break;
            if (tu_endpoint_eq(&s[c].ep[1], &pv.src) && tu_endpoint_eq(&s[c].ep[0], &pv.dst)) {
                dir = 1;
                break;
            }
        }
        if (c == nconn) {
            assert_true(nconn < MAX_CONNS);
            session_init(&s[nconn++], &pv.src, &pv.dst, TRANSPORT_TCP, &sink,
                         (void *)(uintptr_t)(c + 1));
        }
        if (only_src_port && pv.src.port != only_src_port)
            continue;
        if (pv.payload_len)
            session_data(&s[c], dir, span_make(pv.payload, pv.payload_len), pv.ts_us);
        if (pv.tcp_flags & TCPF_RST)
            session_reset(&s[c], pv.ts_us);
        else if (pv.tcp_flags & TCPF_FIN)
            session_fin(&s[c], dir, pv.ts_us);
    }
    for (int c = 0; c < nconn; c++)
        session_end(&s[c], SETTLE_END_OF_INPUT);
    free(s);
    tu_pcap_free(&pc);
}

/* ---- fixtures: real hello records ------------------------------------------ */

/* Each FX_ macro is one TLS record, as captured: the 5-byte record header,
 * the 4-byte handshake header, then the hello body (FX_SSLV2_CH: one
 * SSLv2-format record, 2-byte header then the message). Captures under pcaps/
 * were made by pcaps/make-pcaps.sh (OpenSSL 3 s_server/s_client, curl);
 * corpus/ndpi/ is ../shared/corpus/ndpi beside the repository (nDPI's regression captures). */

/* pcaps/tls1_0.pcap frame 4: ClientHello record (openssl s_client -tls1), 124 bytes. */
#define FX_TLS10_CH                                                                                \
    "16030100770100007303016883891aed3eb2ff3a106afd966b6ff508c4dbb1ac4629b2117268405b62707200"     \
    "0012c00ac0140039c009c01300330035002f00ff0100003800000010000e00000b6f6c642e6578616d706c65"     \
    "000b000403000102000a000c000a001d0017001e00190018002300000016000000170000"

/* pcaps/tls1_0.pcap frame 6: ServerHello record (first record of the frame), 74 bytes. */
#define FX_TLS10_SH                                                                                \
    "160301004502000041030171053004fa72fbd190733aa1e200e8c34c5bdac4fc5c2ae8444f574e4752440000"     \
    "c014000019ff01000100000b000403000102002300000016000000170000"

/* pcaps/tls1_1.pcap frame 4: ClientHello record (openssl s_client -tls1_1), 126 bytes. */
#define FX_TLS11_CH                                                                                \
    "1603010079010000750302c1f3c22b70d0aea808e617587d29952f3f9aced6c8da8b03c40326c8427e6e1200"     \
    "0012c00ac0140039c009c01300330035002f00ff0100003a00000012001000000d746c7331312e6578616d70"     \
    "6c65000b000403000102000a000c000a001d0017001e00190018002300000016000000170000"

/* pcaps/tls1_1.pcap frame 6: ServerHello record, 74 bytes. */
#define FX_TLS11_SH                                                                                \
    "16030200450200004103027de3dd136f8de042290e2ed45e70e1d33adb3500d4947440444f574e4752440000"     \
    "c014000019ff01000100000b000403000102002300000016000000170000"

/* pcaps/tls1_2.pcap frame 4: ClientHello record (openssl s_client -tls1_2 -alpn h2,http/1.1), 228
 * bytes. */
#define FX_TLS12_CH                                                                                \
    "16030100df010000db03034cfb11251abaf440ad8c3f6aa160a0aaec04469eafdb38851c84a308542078d600"     \
    "0038c02cc030009fcca9cca8ccaac02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033"     \
    "009d009c003d003c0035002f00ff0100007a00000012001000000d746c7331322e6578616d706c65000b0004"     \
    "03000102000a000c000a001d0017001e00190018002300000010000e000c02683208687474702f312e310016"     \
    "000000170000000d002a0028040305030603080708080809080a080b08040805080604010501060103030301"     \
    "0302040205020602"

/* pcaps/tls1_2.pcap frame 6: ServerHello record (ALPN h2 chosen), 79 bytes. */
#define FX_TLS12_SH                                                                                \
    "160303004a020000460303f8c6643d58c136f84e034d91b1cb4f7dd3144d25c9332ff2444f574e4752440100"     \
    "c03000001eff01000100000b0004030001020023000000100005000302683200170000"

/* pcaps/tls1_3.pcap frame 4: ClientHello record (openssl s_client -tls1_3), 265 bytes. */
#define FX_TLS13_CH                                                                                \
    "16030101040100010003037d93c1716ab8b8e1a0d3376f0084d3434f903623f2b85752f401c1c9fa66a50220"     \
    "31b08a71c627e8442d1d6a6fd5b6b620862fbddefa80c7261f48d1b151d28455000813021303130100ff0100"     \
    "00af00000012001000000d746c7331332e6578616d706c65000b000403000102000a00160014001d0017001e"     \
    "0019001801000101010201030104002300000010000e000c02683208687474702f312e310016000000170000"     \
    "000d001e001c040305030603080708080809080a080b080408050806040105010601002b0003020304002d00"     \
    "020101003300260024001d0020848683bba43cbd380fb5013b6a478fcad4b445c83ff73a340dde489b37912d"     \
    "36"

/* pcaps/tls1_3.pcap frame 6: ServerHello record, 127 bytes. */
#define FX_TLS13_SH                                                                                \
    "160303007a0200007603030b43dea5b4731fda88495e552d2767937a8bdbeee4f4109889ab9806c084e3e020"     \
    "31b08a71c627e8442d1d6a6fd5b6b620862fbddefa80c7261f48d1b151d28455130200002e002b0002030400"     \
    "330024001d00204cc049dc6509a5653dfaa41e5c9ceda54e5706ba263a212d951f816f6ee57345"

/* pcaps/tls1_3_hrr.pcap frame 4: first ClientHello record (key_share X25519 only), 247 bytes. */
#define FX_HRR_CH1                                                                                 \
    "16030100f2010000ee0303b869037d2138f9c708a7200e0608205f1e5ae68a3c26a88842b24b4b32817a1220"     \
    "f57e9ce4a22d28d5192ab705d0a4e823bfbab9beb6c27e3ea4caee8e18bd4d59000813021303130100ff0100"     \
    "009d00000010000e00000b6872722e6578616d706c65000b000403000102000a00060004001d001800230000"     \
    "0010000e000c02683208687474702f312e310016000000170000000d001e001c040305030603080708080809"     \
    "080a080b080408050806040105010601002b0003020304002d00020101003300260024001d00204ad3527d1f"     \
    "4ad20c8380f7ea666b2dc9afcf4b238542631c3669a1528164f73e"

/* pcaps/tls1_3_hrr.pcap frame 6: HelloRetryRequest record (ServerHello with the special random), 93
 * bytes. */
#define FX_HRR_HRR                                                                                 \
    "1603030058020000540303cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c20"     \
    "f57e9ce4a22d28d5192ab705d0a4e823bfbab9beb6c27e3ea4caee8e18bd4d59130200000c002b0002030400"     \
    "3300020018"

/* pcaps/tls1_3_hrr.pcap frame 8: second ClientHello record (after the compatibility CCS), 312
 * bytes. */
#define FX_HRR_CH2                                                                                 \
    "16030301330100012f0303b869037d2138f9c708a7200e0608205f1e5ae68a3c26a88842b24b4b32817a1220"     \
    "f57e9ce4a22d28d5192ab705d0a4e823bfbab9beb6c27e3ea4caee8e18bd4d59000813021303130100ff0100"     \
    "00de00000010000e00000b6872722e6578616d706c65000b000403000102000a00060004001d001800230000"     \
    "0010000e000c02683208687474702f312e310016000000170000000d001e001c040305030603080708080809"     \
    "080a080b080408050806040105010601002b0003020304002d0002010100330067006500180061040f3663a7"     \
    "29272d20a9afde0f8bad3e95c8bc0e4f406685e59126f336daf3269ac9736f336cee3f296275f743ed0b8a1b"     \
    "5e6d54d5ad72765b60d3bd0d9a0abcda9277bf6e1da0792eb4b113022e3330f82c496f7e02be984885e75fd1"     \
    "1a127029"

/* pcaps/tls1_3_hrr.pcap frame 9: final ServerHello record, 192 bytes. */
#define FX_HRR_SH                                                                                  \
    "16030300bb020000b70303b86c0fcb63286ce0457583cdbc8e35f1eea03ef808b01faa23e8c8c5689dd1dc20"     \
    "f57e9ce4a22d28d5192ab705d0a4e823bfbab9beb6c27e3ea4caee8e18bd4d59130200006f002b0002030400"     \
    "33006500180061042b398f306c1c9daebda2ad7aa60cfefa0a078328ccc02c5cb593c5ab79f66134d28cf4e8"     \
    "20ad330d5483f4ccbc4e33d5150e2fde9b5ee2508cb8b24a51e315aefbcaa830ae4807096ae8286eb748dcd3"     \
    "f55f046ab303242e315e56c27f4b77ed"

/* pcaps/curl_tls1_3.pcap frame 4: curl ClientHello record, 517 bytes. */
#define FX_CURL13_CH                                                                               \
    "1603010200010001fc0303324e8d28edb0ea4f865ac0c9ef41bd6c4c3a3583c93a9ced3f69388323aef0ae20"     \
    "cca3fd1b616dd6a21ff7e5df371641220a4622bee021adca56d9c4cfa3554373003e130213031301c02cc030"     \
    "009fcca9cca8ccaac02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d009c003d"     \
    "003c0035002f00ff0100017500000011000f00000c6375726c2e6578616d706c65000b000403000102000a00"     \
    "160014001d0017001e00190018010001010102010301040010000e000c02683208687474702f312e31001600"     \
    "000017000000310000000d002a0028040305030603080708080809080a080b08040805080604010501060103"     \
    "0303010302040205020602002b0009080304030303020301002d00020101003300260024001d0020bbf78c68"     \
    "1fb4e248c91cb4e3d0ebdb0acdf52ebab96a8e75c7321177d6c75060001500b1000000000000000000000000"     \
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"     \
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"     \
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"     \
    "000000000000000000000000000000000000000000000000000000000000000000"

/* pcaps/curl_tls1_3.pcap frame 6: ServerHello record, 127 bytes. */
#define FX_CURL13_SH                                                                               \
    "160303007a020000760303dc2e7c4ed37f4868c2e30717c31350cd142e3ec28244d6f8af11961e411f454120"     \
    "cca3fd1b616dd6a21ff7e5df371641220a4622bee021adca56d9c4cfa3554373130200002e002b0002030400"     \
    "330024001d002014b71df43193180fea453f130ce59d26ff4851f41b30b6fc050571af6a436c1c"

/* corpus/ndpi/chrome.pcap frame 4: Chrome ClientHello record with GREASE, 517 bytes. */
#define FX_CHROME_CH                                                                               \
    "1603010200010001fc0303d77aa0f252cff8ff81a9c82edc42621f8c80d83b0322361c96ae2f2bda7849ce20"     \
    "7094dfde2fae965e90337a4b4c5c840b86caabaca5ab87a6e290440145ae762900209a9a130313011302cca9"     \
    "cca8c02bc02fc02cc030c013c014009c009d002f0035010001934a4a000000000013001100000e7777772e69"     \
    "69742e636e722e697400170000ff01000100000a000a00086a6a001d00170018000b00020100002300000010"     \
    "000e000c02683208687474702f312e31000500050100000000000d0012001004030804040105030805050108"     \
    "060601001200000033002b00296a6a000100001d00203af18d95cb86205f04c0a3e2b8c68b9026c6a90ef630"     \
    "fe20a68d31ea2525b648002d00020101002b000b0a6a6a0304030303020301001b0003020002446900050003"     \
    "0268326a6a000100001500c50000000000000000000000000000000000000000000000000000000000000000"     \
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"     \
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"     \
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"     \
    "000000000000000000000000000000000000000000000000000000000000000000"

/* corpus/ndpi/chrome.pcap frame 6: ServerHello record, 127 bytes. */
#define FX_CHROME_SH                                                                               \
    "160303007a020000760303bde1e9fe06132c1da4440c7a1761fbf245676f09ff1efc082abb5f147115e65020"     \
    "7094dfde2fae965e90337a4b4c5c840b86caabaca5ab87a6e290440145ae7629130200002e002b0002030400"     \
    "330024001d0020232131aa29442dc2c135ef23f856e6990d455f6d39b9a991e0710e2daf6a3421"

/* Zeek's testing/btest/Traces/tls/tls13draft16-chrome55.0.2879.0-canary.pcap frame 6: a
 * TLS 1.3 draft-14 ServerHello record (server_version 0x7f0e, no session id
 * or compression method), 87 bytes. */
#define FX_DRAFT14_SH                                                                              \
    "16030100520200004e7f0e69227472e1cf935045d8d2044a450625a053f795ba8328905628727a06778e8ecc"     \
    "a9002800280024001d00204f13c5d0745e883bc27f7d2195de1f45a1aea163641d85c9aac224992c73bb11"

/* corpus/ndpi/google_ssl.pcap frame 4: SSLv2-format ClientHello record (whole TCP payload), 126
 * bytes. */
#define FX_SSLV2_CH                                                                                \
    "807c01030100630000001000003900003800003500001600001300000a0700c000003300003200002f030080"     \
    "0000660000050000040100800800800000630000620000610000150000120000090600400000650000640000"     \
    "60000014000011000008000006040080000003020080447674058ab9c9a5abbb06702cc6cf1f"

/* corpus/ndpi/google_ssl.pcap frame 8: ServerHello record answering it, 79 bytes. */
#define FX_SSLV2_SH                                                                                \
    "160301004a020000460301557fde834bcbfb6b15a40ab9ac268fffb845cd91cd61be9e60c13f8bcf05b5aa20"     \
    "b89230117dc028b117efa0272148616f707036aee01414bc09abd0ac2eb2fef4000500"

/* DTLS 1.0 handshake of corpus/ndpi/dtls2.pcap (test_dtls.c, test_stun.c). */
/* corpus/ndpi/dtls2.pcap frame 1: DTLS 1.0 ClientHello without cookie; UDP payload, 81 bytes. */
#define FX_DTLS2_CH1                                                                               \
    "16feff00000000000000000044010000380000000000000038feffc5939ddb0791ee7e1de712d78e2253f34d"     \
    "d59b61b2209caa724b6ba34a7d2ad5000000100035002f00050004000a00fb00fc00fd0100"

/* corpus/ndpi/dtls2.pcap frame 2: HelloVerifyRequest (32-byte cookie); UDP payload, 60 bytes. */
#define FX_DTLS2_HVR                                                                               \
    "16feff0000000000000000002f030000230000000000000023feff2064104dce1a52d1a36fca2154441d82e9"     \
    "b84f48b5d401e2422f71c369da8bf506"

/* corpus/ndpi/dtls2.pcap frame 3: ClientHello with the cookie (message_seq 1); UDP payload, 113
 * bytes. */
#define FX_DTLS2_CH2                                                                               \
    "16feff00000000000000010064010000580001000000000058feffc5939ddb0791ee7e1de712d78e2253f34d"     \
    "d59b61b2209caa724b6ba34a7d2ad5002064104dce1a52d1a36fca2154441d82e9b84f48b5d401e2422f71c3"     \
    "69da8bf50600100035002f00050004000a00fb00fc00fd0100"

/* corpus/ndpi/dtls2.pcap frame 4: ServerHello, Certificate, ServerHelloDone: three records; UDP
 * payload, 825 bytes. */
#define FX_DTLS2_SH                                                                                \
    "16feff00000000000000010032020000260001000000000026feff40fac835e94b1bb7a710ba32c0c98b7c6d"     \
    "a896fed5589c4abccaa9b4049fa1400000350016feff000000000000000202d40b0002c800020000000002c8"     \
    "0002c50002c2308202be308201a6020900dff20839d0c73ed5300d06092a864886f70d0101050500300d310b"     \
    "3009060355040613025553301e170d3134303931323231333131395a170d3337303231353231333131395a30"     \
    "35310b30090603550406130255533126302406035504030c1d2a2e72656c61792e726f732e726f636b737461"     \
    "7267616d65732e636f6d30820122300d06092a864886f70d01010105000382010f003082010a0282010100d4"     \
    "6ca2ebd3ed3f0f36549217503c021449feaf3a791ddefcfb2cccf07da472e3163299963167fab911de84696e"     \
    "89a8267fa0b2dedb936c4d71e664327d6dc0def5839c9482fee8b63a19e378a5f6ba1f3fa3c76cdb28b1ef7a"     \
    "296cffd0119a5abb85e9b62786d2aecac09b104050cbb923ae228739798e6f436322b25055b9d695a078f8f4"     \
    "785f0ff5d308681ebd1a5c1c30ad51f780f6797158b4ea39e43218e24fad66712bae436613ab3d313f21b2d2"     \
    "0aba10cff50e173e88e81827143422a6eadce83d4d9637768a0ad6de9226ee90c9210dbea33dc5f3e68f6dc0"     \
    "332e277bd54bf7fd539e06771e7ddbb1165c6e383edb7b33b40a6750d05c4558c07a010203010001300d0609"     \
    "2a864886f70d010105050003820101006b0352e86f9010c4b2885019cb55a644180be541d9162b59c386fc1b"     \
    "809c901c867c867b4bd41e436908e6b55bb4094f1c90984660548257c81be5d92943f2f47063c61962ae5270"     \
    "c9476f0c7a20e75889a91cb439bafe1a61033d0031e67d111ea9310d5bd126eb2d1e127c04d0983062c9c36c"     \
    "48ef48407fed583fa1ed79e960dddde88fdd7936e63d35fe052e0d8be24a5ffff44c3265d4b07777374f5d5b"     \
    "61abdae2bdd20c4d7e8607815f56b08fcf04ee798bd554a88c2b535e40d22c21b88e857e7f8f6a79b2534a83"     \
    "cff4ac816047537e196a7def943d289884fe4e39f9fb8cbb6b962226ae0fb0e935e13d7053523d9664789c4f"     \
    "cfc6531428fefd8e16feff0000000000000003000c0e0000000003000000000000"

/* corpus/ndpi/dtls2.pcap frame 6: ChangeCipherSpec, then an epoch-1 (encrypted) Finished; UDP
 * payload, 91 bytes. */
#define FX_DTLS2_CLIENT_CCS                                                                        \
    "14feff000000000000000300010116feff0001000000000000004099d69ed91e16adbf95e968702bd0eaf362"     \
    "5190f465275ccbbcc7819b2a16f344d57219283a867ec53e5083120c684b8a26a53afbe453792eeae491227d"     \
    "ca4154"

#endif
