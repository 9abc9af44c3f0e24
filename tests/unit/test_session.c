/* test_session.c: hellos grouped into handshakes and when they settle
 * (dissect/session.c), driven by the real flights of pcaps/ (see
 * pcaps/README.md for what each capture is, and tu_run_capture in
 * testutil.h for how they are fed). */
#include "testutil.h"

#include <arpa/inet.h>

#include "dissect/fingerprint.h"

static struct tu_handshakes got;

static int setup(void **state)
{
    (void)state;
    memset(&session_stats, 0, sizeof(session_stats));
    return 0;
}

static void assert_ep(const struct endpoint *e, const char *ip, uint16_t port)
{
    struct endpoint want;
    memset(&want, 0, sizeof(want));
    if (inet_pton(AF_INET, ip, want.addr) == 1) {
        want.family = ADDR_V4;
    } else {
        assert_int_equal(inet_pton(AF_INET6, ip, want.addr), 1);
        want.family = ADDR_V6;
    }
    want.port = port;
    assert_int_equal(e->family, want.family);
    assert_memory_equal(e->addr, want.addr, 16);
    assert_int_equal(e->port, port);
}

/* The capture time of frame `n` (1-based) of a capture. */
static int64_t frame_time(const char *rel, size_t n)
{
    struct tu_pcap pc;
    tu_pcap_load(rel, &pc);
    assert_true(n <= pc.n);
    int64_t t = pc.f[n - 1].ts_us;
    tu_pcap_free(&pc);
    return t;
}

/* One handshake, begun and settled once, on connection 1. */
static const struct tls_handshake *one_handshake(void)
{
    assert_int_equal(got.begins, 1);
    assert_int_equal(got.settles, 1);
    assert_int_equal(got.begin_seq[0], got.hs[0].seq);
    assert_ptr_equal(got.flow_ctx[0], (void *)1);
    assert_int_equal(session_stats.handshakes, 1);
    return &got.hs[0];
}

static void test_tls1_2_established(void **state)
{
    (void)state;
    tu_run_capture("pcaps/tls1_2.pcap", 0, &got);
    const struct tls_handshake *hs = one_handshake();
    assert_ep(&hs->client, "127.0.0.1", 44784);
    assert_ep(&hs->server, "127.0.0.1", 443);
    assert_int_equal(hs->transport, TRANSPORT_TCP);
    assert_int_equal(hs->encapsulation, ENCAP_DIRECT);
    assert_true(hs->has_ch);
    assert_true(hs->has_sh);
    assert_true(hs->established);
    assert_int_equal(hs->settle, SETTLE_ESTABLISHED);
    assert_int_equal(hs->alert_level, 0);
    assert_false(hs->saw_hrr);
    assert_int_equal(hs->ts_us, frame_time("pcaps/tls1_2.pcap", 4)); /* the ClientHello's */
    assert_int_equal(tls_server_version(&hs->sh), 0x0303);
    assert_int_equal(hs->sh.cipher, 0xc030);
    assert_string_equal(hs->sh.alpn, "h2");
    assert_string_equal(hs->ch.sni, "tls12.example");
    assert_int_equal(tls_client_max_version(&hs->ch), 0x0303);
    assert_false(handshake_resumed(hs));
    assert_int_equal(session_stats.client_hellos, 1);
    assert_int_equal(session_stats.server_hellos, 1);
    assert_int_equal(session_stats.unparsable_hellos, 0);
    assert_int_equal(session_stats.records_by_version[1], 1); /* the 1.0 ClientHello record */
}

static void test_tls1_0_and_1_1_established(void **state)
{
    (void)state;
    tu_run_capture("pcaps/tls1_0.pcap", 0, &got);
    const struct tls_handshake *hs = one_handshake();
    assert_true(hs->established);
    assert_int_equal(tls_server_version(&hs->sh), 0x0301);
    assert_int_equal(hs->sh.cipher, 0xc014);
    assert_string_equal(hs->ch.sni, "old.example");
    assert_ep(&hs->client, "127.0.0.1", 35322);

    setup(NULL);
    tu_run_capture("pcaps/tls1_1.pcap", 0, &got);
    hs = one_handshake();
    assert_true(hs->established);
    assert_int_equal(tls_server_version(&hs->sh), 0x0302);
    assert_string_equal(hs->ch.sni, "tls11.example");
}

static void test_tls1_3_established(void **state)
{
    (void)state;
    tu_run_capture("pcaps/tls1_3.pcap", 0, &got);
    const struct tls_handshake *hs = one_handshake();
    assert_ep(&hs->client, "127.0.0.1", 44800);
    assert_ep(&hs->server, "127.0.0.1", 443);
    assert_true(hs->established);
    assert_int_equal(hs->settle, SETTLE_ESTABLISHED);
    assert_int_equal(tls_server_version(&hs->sh), 0x0304);
    assert_int_equal(hs->sh.cipher, 0x1302);
    assert_int_equal(tls_client_max_version(&hs->ch), 0x0304);
    assert_string_equal(hs->ch.sni, "tls13.example");
    assert_false(hs->saw_hrr);
    assert_false(handshake_resumed(hs));
}

static void test_hello_retry_request(void **state)
{
    (void)state;
    tu_run_capture("pcaps/tls1_3_hrr.pcap", 0, &got);
    const struct tls_handshake *hs = one_handshake();
    assert_ep(&hs->client, "127.0.0.1", 44814);
    assert_true(hs->saw_hrr);
    /* The first ClientHello: its key_share offers X25519 only (the second
     * one offers P-384). */
    assert_int_equal(hs->ch.n_key_shares, 1);
    assert_int_equal(hs->ch.key_shares[0], 0x001d);
    assert_string_equal(hs->ch.sni, "hrr.example");
    /* The final ServerHello, not the HelloRetryRequest. */
    assert_false(hs->sh.is_hrr);
    assert_int_equal(hs->sh.key_share_group, 0x0018);
    assert_int_equal(tls_server_version(&hs->sh), 0x0304);
    assert_int_equal(hs->sh.cipher, 0x1302);
    assert_true(hs->established);
    assert_int_equal(hs->settle, SETTLE_ESTABLISHED);
    assert_int_equal(session_stats.client_hellos, 2);
    assert_int_equal(session_stats.server_hellos, 2);
    char ja3[JA3_HEX_LEN + 1];
    assert_true(fingerprint_ja3(&hs->ch, ja3));
    assert_string_equal(ja3, "6465949eecf353c6b5022e1ceff1f861");
}

static void test_refused_with_alert(void **state)
{
    (void)state;
    tu_run_capture("pcaps/client_tls1_0_refused.pcap", 0, &got);
    const struct tls_handshake *hs = one_handshake();
    assert_ep(&hs->client, "127.0.0.1", 44838);
    assert_ep(&hs->server, "127.0.0.1", 443);
    assert_true(hs->has_ch);
    assert_false(hs->has_sh);
    assert_false(hs->established);
    assert_int_equal(hs->settle, SETTLE_ALERT);
    assert_int_equal(hs->alert_level, 2);
    assert_int_equal(hs->alert_desc, 70); /* protocol_version */
    assert_int_equal(tls_client_max_version(&hs->ch), 0x0301);
    assert_string_equal(hs->ch.sni, "legacy.example");
}

static void test_server_negotiates_low(void **state)
{
    (void)state;
    tu_run_capture("pcaps/server_tls1_0_only.pcap", 0, &got);
    const struct tls_handshake *hs = one_handshake();
    assert_true(hs->established);
    assert_int_equal(tls_server_version(&hs->sh), 0x0301);
    assert_int_equal(tls_client_max_version(&hs->ch), 0x0304);
    assert_string_equal(hs->ch.sni, "modern.example");
    /* The client's 32-byte compatibility session id is not echoed. */
    assert_int_equal(hs->ch.session_id_len, 32);
    assert_false(handshake_resumed(hs));
}

static void test_resumed_tls1_2(void **state)
{
    (void)state;
    tu_run_capture("pcaps/resumed_tls1_2.pcap", 0, &got);
    assert_int_equal(got.begins, 2);
    assert_int_equal(got.settles, 2);
    assert_int_equal(got.hs[1].seq, got.hs[0].seq + 1);
    assert_ptr_equal(got.flow_ctx[0], (void *)1);
    assert_ptr_equal(got.flow_ctx[1], (void *)2);
    for (int i = 0; i < 2; i++) {
        assert_true(got.hs[i].established);
        assert_int_equal(tls_server_version(&got.hs[i].sh), 0x0303);
        assert_string_equal(got.hs[i].ch.sni, "resume.example");
    }
    assert_false(handshake_resumed(&got.hs[0]));
    assert_true(handshake_resumed(&got.hs[1])); /* the session id echoed */
    assert_int_equal(got.hs[1].ch.session_id_len, 32);
    assert_memory_equal(got.hs[1].ch.session_id, got.hs[1].sh.session_id, 32);
    assert_true(got.hs[0].client.port != got.hs[1].client.port);
}

static void test_resumed_tls1_3(void **state)
{
    (void)state;
    tu_run_capture("pcaps/resumed_tls1_3.pcap", 0, &got);
    assert_int_equal(got.settles, 2);
    assert_true(got.hs[0].established);
    assert_true(got.hs[1].established);
    assert_false(handshake_resumed(&got.hs[0]));
    assert_true(got.hs[1].ch.has_psk);
    assert_true(got.hs[1].sh.has_psk);
    assert_true(handshake_resumed(&got.hs[1])); /* PSK accepted */
}

static void test_hello_over_three_segments(void **state)
{
    (void)state;
    tu_run_capture("pcaps/split_hello.pcap", 0, &got);
    const struct tls_handshake *hs = one_handshake();
    assert_true(hs->established);
    assert_int_equal(hs->ch.sni_len, 196);
    assert_memory_equal(hs->ch.sni, "aaaaaaaaaa", 10);
    assert_string_equal(hs->ch.sni + 196 - 14, ".split.example");
    assert_int_equal(tls_server_version(&hs->sh), 0x0304);
    char ja3[JA3_HEX_LEN + 1];
    assert_true(fingerprint_ja3(&hs->ch, ja3));
    assert_string_equal(ja3, "f64f5a3e29e631b73b458a85af4f2416"); /* the oracle's */
}

/* GnuTLS's hello through a proxy that writes 4 bytes at a time
 * (tests/fixtures/stacks): the ClientHello comes in ~100 segments, far past
 * the segments a flow gets to show a hello start. */
static void test_hello_in_4_byte_segments(void **state)
{
    (void)state;
    struct tu_pcap pc;
    tu_pcap_load("tests/fixtures/stacks/gnutls_hello_4byte_segments.pcap", &pc);
    assert_true(pc.n > 200);
    tu_pcap_free(&pc);
    tu_run_capture("tests/fixtures/stacks/gnutls_hello_4byte_segments.pcap", 0, &got);
    const struct tls_handshake *hs = one_handshake();
    assert_true(hs->has_ch);
    assert_true(hs->established);
    assert_int_equal(tls_server_version(&hs->sh), 0x0304);
    assert_string_equal(hs->ch.sni, "localhost");
    assert_int_equal(hs->ch.n_ciphers, 29);
}

/* OpenSSL offering 61 ALPN names (a 1,869-byte list, tests/fixtures/
 * stacks): the list is cut to what is kept and the hello marked, but JA3
 * (no ALPN) and JA4 (the first name only) are still whole. */
static void test_long_alpn_list_keeps_fingerprints(void **state)
{
    (void)state;
    tu_run_capture("tests/fixtures/stacks/openssl_alpn_61_names.pcap", 0, &got);
    const struct tls_handshake *hs = one_handshake();
    assert_true(hs->established);
    assert_true(hs->ch.names_truncated);
    assert_false(hs->ch.truncated);
    assert_int_equal(hs->ch.alpn[0], 30);
    assert_memory_equal(hs->ch.alpn + 1, "proto-000-", 10);
    char ja3[JA3_HEX_LEN + 1], ja4[JA4_MAX_LEN + 1];
    assert_true(fingerprint_ja3(&hs->ch, ja3));
    assert_string_equal(ja3, "5a1edc7f170af1014fc65c994878e63c"); /* tshark's */
    assert_true(fingerprint_ja4(&hs->ch, JA4_TCP, ja4));
    assert_string_equal(ja4, "t13d3111px_e8f1e7e78f70_1f22a2ca17c4");
}

/* The one handshake of a capture from tests/fixtures/stacks (or pcaps/):
 * its negotiated version, whether it was established, and how it settled. */
static const struct tls_handshake *expect_one(const char *path, uint16_t version, int established,
                                              enum settle_reason settle)
{
    setup(NULL);
    tu_run_capture(path, 0, &got);
    const struct tls_handshake *hs = one_handshake();
    assert_int_equal(tls_server_version(&hs->sh), version);
    assert_int_equal(hs->established, established);
    assert_int_equal(hs->settle, settle);
    return hs;
}

/* GnuTLS refusing the server's self-signed certificate in TLS 1.3
 * (tests/fixtures/stacks): its ChangeCipherSpec (middlebox compatibility)
 * and a 19-byte encrypted alert are not a finished handshake. NSS sends no
 * ChangeCipherSpec: its one record is the alert. */
static void test_tls1_3_client_refuses_certificate(void **state)
{
    (void)state;
    expect_one("tests/fixtures/stacks/gnutls_refuses_cert_tls1_3.pcap", 0x0304, 0, SETTLE_CLOSED);
    expect_one("tests/fixtures/stacks/nss_refuses_cert_tls1_3.pcap", 0x0304, 0, SETTLE_CLOSED);
}

/* A side that sends an alert after its own ChangeCipherSpec, before the
 * other side's (NSS judging the certificate after its Finished), refused
 * the handshake: the server's ChangeCipherSpec that follows does not make
 * it established. */
static void test_alert_before_peer_ccs_tls1_2(void **state)
{
    (void)state;
    const struct tls_handshake *hs =
        expect_one("tests/fixtures/stacks/nss_refuses_cert_tls1_2.pcap", 0x0303, 0, SETTLE_ALERT);
    assert_int_equal(hs->alert_level, 0); /* encrypted: no number */
}

/* TLS 1.3: a server that requires a client certificate refuses the client
 * after the client's Finished, with a lone encrypted alert and a close. An
 * ordinary connection (the server's ticket after the client's Finished
 * confirms it) and a client's close first (FIN before the server's
 * alert-sized record, in the zeek draft capture of
 * test_tls1_3_draft_server_hello) are established. */
static void test_server_refuses_after_client_finished_tls1_3(void **state)
{
    (void)state;
    expect_one("tests/fixtures/stacks/gnutls_server_requires_cert_tls1_3.pcap", 0x0304, 0,
               SETTLE_CLOSED);
    /* The refusal before the client's Finished: the client's empty
     * Certificate went on its own, and the server answered it at once. */
    expect_one("tests/fixtures/stacks/gnutls_server_refuses_before_client_finished_tls1_3.pcap",
               0x0304, 0, SETTLE_CLOSED);
    /* A client that refuses after its Finished and goes on in clear
     * (libldap's Unbind), then slapd's alert. */
    expect_one("tests/fixtures/stacks/ldap_client_refuses_cert_tls1_3.pcap", 0x0304, 0,
               SETTLE_CLOSED);
    expect_one("pcaps/curl_tls1_3.pcap", 0x0304, 1, SETTLE_ESTABLISHED);
}

static void test_ipv6_and_port_8443(void **state)
{
    (void)state;
    tu_run_capture("pcaps/ipv6_tls1_2.pcap", 0, &got);
    const struct tls_handshake *hs = one_handshake();
    assert_ep(&hs->client, "::1", 60806);
    assert_ep(&hs->server, "::1", 443);
    assert_true(hs->established);
    assert_string_equal(hs->sh.alpn, "http/1.1");

    setup(NULL);
    tu_run_capture("pcaps/curl_tls1_3.pcap", 0, &got);
    hs = one_handshake();
    assert_ep(&hs->client, "127.0.0.1", 53432);
    assert_ep(&hs->server, "127.0.0.1", 8443);
    assert_true(hs->established);
    assert_string_equal(hs->ch.sni, "curl.example");
}

/* Only the server's packets: the handshake begins at the ServerHello and
 * its client is the ServerHello's receiver. */
static void test_one_sided_server_only(void **state)
{
    (void)state;
    tu_run_capture("pcaps/tls1_2.pcap", 443, &got);
    const struct tls_handshake *hs = one_handshake();
    assert_false(hs->has_ch);
    assert_true(hs->has_sh);
    assert_ep(&hs->client, "127.0.0.1", 44784);
    assert_ep(&hs->server, "127.0.0.1", 443);
    assert_ep(&got.begin_client[0], "127.0.0.1", 44784);
    assert_false(hs->established); /* the client was never seen moving on */
    assert_int_equal(hs->settle, SETTLE_END_OF_INPUT);
    assert_int_equal(hs->sh.cipher, 0xc030);
}

/* ---- grouping rules, on a session fed hello records directly ---------------- */

static struct tls_session sess;
static const struct dissect_sink sink = TU_SINK(&got);

static void start_session(void)
{
    struct endpoint a, b;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    a.family = b.family = ADDR_V4;
    a.addr[0] = 10;
    a.addr[3] = 1;
    a.port = 40000;
    b.addr[0] = 10;
    b.addr[3] = 2;
    b.port = 443;
    memset(&got, 0, sizeof(got));
    session_init(&sess, &a, &b, TRANSPORT_TCP, &sink, NULL);
}

static void feed_hex(int dir, const char *hex, int64_t t)
{
    struct tu_bytes b = tu_hex(hex);
    session_data(&sess, dir, tu_span(&b), t);
    tu_bytes_free(&b);
}

/* ---- stacks no Debian package speaks any more (tests/fixtures/zeek/) ------------ */

/* An SSL 2.0 server: its SERVER-HELLO is the negotiated version, and the
 * handshake is established once CLIENT-MASTER-KEY and both sides'
 * encrypted records have passed. */
static void test_sslv2_server_hello(void **state)
{
    (void)state;
    tu_run_capture("tests/fixtures/zeek/ssl-v2.pcap", 0, &got);
    const struct tls_handshake *hs = one_handshake();
    assert_ep(&hs->client, "192.168.4.149", 59062);
    assert_ep(&hs->server, "91.227.4.92", 443);
    assert_true(hs->ch.sslv2_format);
    assert_int_equal(tls_client_max_version(&hs->ch), 0x0002);
    assert_true(hs->has_sh);
    assert_true(hs->sh.sslv2_format);
    assert_int_equal(tls_server_version(&hs->sh), 0x0002);
    assert_true(hs->established);
    assert_int_equal(hs->settle, SETTLE_ESTABLISHED);
    assert_false(handshake_resumed(hs));
    char ja3s[JA3_HEX_LEN + 1];
    assert_false(fingerprint_server(&hs->sh, ja3s)); /* JA3S is for TLS ServerHellos */
    assert_int_equal(session_stats.sslv2_hellos, 1);
    assert_int_equal(session_stats.server_hellos, 1);
    assert_int_equal(session_stats.unparsable_hellos, 0);
}

/* The same hellos, then the server's ERROR record in clear (2-byte header,
 * msg type 0, NO-CIPHER-ERROR): the handshake failed. */
static void test_sslv2_server_error(void **state)
{
    (void)state;
    struct tu_pcap pc;
    tu_pcap_load("tests/fixtures/zeek/ssl-v2.pcap", &pc);
    start_session();
    static const size_t frames[2] = {4, 6}; /* CLIENT-HELLO, SERVER-HELLO */
    for (int i = 0; i < 2; i++) {
        struct packet_view pv;
        const struct tu_frame *f = &pc.f[frames[i] - 1];
        assert_int_equal(decode_packet(pc.linktype, f->data, f->caplen, f->len, &pv), DECODE_OK);
        session_data(&sess, i, span_make(pv.payload, pv.payload_len), f->ts_us);
    }
    tu_pcap_free(&pc);
    assert_int_equal(got.settles, 0);
    feed_hex(1, "8003000001", 900);
    assert_int_equal(got.settles, 1);
    assert_true(got.hs[0].sh.sslv2_format);
    assert_false(got.hs[0].established);
    assert_int_equal(got.hs[0].settle, SETTLE_ALERT);
}

/* TLS 1.3 drafts before 22: a ServerHello without session id or
 * compression method, and all after it encrypted (tests/fixtures/zeek,
 * tests/fixtures/suricata-verify). */
static void test_tls1_3_draft_server_hello(void **state)
{
    (void)state;
    tu_run_capture("tests/fixtures/zeek/tls13draft16-chrome55.0.2879.0-canary.pcap", 0, &got);
    assert_int_equal(got.settles, 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(tls_server_version(&got.hs[i].sh), 0x7f0e);
        assert_int_equal(got.hs[i].sh.cipher, 0xcca9); /* as tshark reads it */
        assert_true(got.hs[i].established);
        assert_false(handshake_resumed(&got.hs[i]));
    }
    assert_int_equal(session_stats.unparsable_hellos, 0);

    setup(NULL);
    tu_run_capture("tests/fixtures/zeek/tls-13draft19-early-data.pcap", 0, &got);
    assert_int_equal(got.settles, 2);
    assert_int_equal(tls_server_version(&got.hs[1].sh), 0x7f13);
    assert_int_equal(got.hs[1].sh.cipher, 0x1302); /* TLS_AES_256_GCM_SHA384 */
    assert_true(got.hs[1].established);
    assert_true(handshake_resumed(&got.hs[1])); /* pre_shared_key in its ServerHello */

    /* Draft 14 as NSS sent it: 0x0304 in server_version, the draft layout.
     * Read in the RFC's, the session id would be 192 bytes long. */
    setup(NULL);
    tu_run_capture("tests/fixtures/suricata-verify/tls13_draft14.pcap", 0, &got);
    const struct tls_handshake *hs = one_handshake();
    assert_int_equal(hs->sh.legacy_version, 0x0304);
    assert_int_equal(hs->sh.cipher, 0xc02b); /* TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 */
    assert_int_equal(hs->sh.session_id_len, 0);
    assert_true(hs->established);
    assert_string_equal(hs->ch.sni, "tls13.crypto.mozilla.org");
}

static void test_repeated_and_next_client_hello(void **state)
{
    (void)state;
    start_session();
    feed_hex(0, FX_TLS12_CH, 100);
    feed_hex(0, FX_TLS12_CH, 200); /* same random: a repeat, not a new handshake */
    assert_int_equal(got.begins, 1);
    assert_int_equal(got.settles, 0);
    feed_hex(0, FX_TLS13_CH, 300); /* another random: the first one settles */
    assert_int_equal(got.begins, 2);
    assert_int_equal(got.settles, 1);
    assert_int_equal(got.hs[0].settle, SETTLE_NEXT_HELLO);
    assert_int_equal(got.hs[0].ts_us, 100);
    assert_string_equal(got.hs[0].ch.sni, "tls12.example");
    session_end(&sess, SETTLE_IDLE);
    assert_int_equal(got.settles, 2);
    assert_int_equal(got.hs[1].settle, SETTLE_IDLE);
    assert_int_equal(got.hs[1].ts_us, 300);
    assert_string_equal(got.hs[1].ch.sni, "tls13.example");
    assert_ep(&got.hs[1].client, "10.0.0.1", 40000);
    assert_int_equal(session_stats.client_hellos, 3);
}

static void test_client_in_direction_1(void **state)
{
    (void)state;
    start_session();
    feed_hex(1, FX_TLS13_CH, 1);
    feed_hex(0, FX_TLS13_SH, 2);
    session_fin(&sess, 0, 3);
    assert_int_equal(got.settles, 0);
    session_fin(&sess, 1, 4); /* FIN from both sides */
    assert_int_equal(got.settles, 1);
    assert_int_equal(got.hs[0].settle, SETTLE_CLOSED);
    assert_ep(&got.hs[0].client, "10.0.0.2", 443);
    assert_ep(&got.hs[0].server, "10.0.0.1", 40000);
    assert_true(got.hs[0].has_sh);
    session_end(&sess, SETTLE_END_OF_INPUT);
    assert_int_equal(got.settles, 1);
}

/* Microsoft SQL Server's TDS 7 (FreeTDS's tsql, tests/fixtures/stacks):
 * the handshake inside PRELOGIN packets, found on any port; TLS 1.2 as SQL
 * Server speaks it in TDS 7, and 1.0 from an old server. */
static void test_tds7_prelogin_handshake(void **state)
{
    (void)state;
    const struct tls_handshake *hs =
        expect_one("tests/fixtures/stacks/mssql_tds7_tls1_2.pcap", 0x0303, 1, SETTLE_ESTABLISHED);
    assert_int_equal(hs->encapsulation, ENCAP_STARTTLS);
    assert_int_equal(hs->sh.cipher, 0xc030);
    hs = expect_one("tests/fixtures/stacks/mssql_tds7_tls1_0.pcap", 0x0301, 1, SETTLE_ESTABLISHED);
    assert_int_equal(hs->sh.cipher, 0xc014);

    /* The same bytes one at a time after the client's PRELOGIN (which is
     * recognised whole): TDS headers and TLS records cut anywhere. */
    setup(NULL);
    struct tu_pcap pc;
    tu_pcap_load("tests/fixtures/stacks/mssql_tds7_tls1_2.pcap", &pc);
    start_session();
    for (size_t i = 0; i < pc.n; i++) {
        struct packet_view pv;
        const struct tu_frame *f = &pc.f[i];
        assert_int_equal(decode_packet(pc.linktype, f->data, f->caplen, f->len, &pv), DECODE_OK);
        int dir = pv.src.port == 1433; /* the client's bytes are direction 0 */
        int first = sess.mode[0] == SESSION_MODE_UNDECIDED;
        for (uint32_t k = 0; k < pv.payload_len; k += first ? pv.payload_len : 1)
            session_data(&sess, dir, span_make(pv.payload + k, first ? pv.payload_len : 1),
                         f->ts_us);
        if (pv.tcp_flags & TCPF_FIN)
            session_fin(&sess, dir, f->ts_us);
    }
    tu_pcap_free(&pc);
    assert_int_equal(got.settles, 1);
    assert_int_equal(tls_server_version(&got.hs[0].sh), 0x0303);
    assert_true(got.hs[0].established);
    assert_int_equal(got.hs[0].encapsulation, ENCAP_STARTTLS);
}

/* A record of type and length len (zero bytes) from direction dir. */
static void feed_record(int dir, uint8_t type, uint16_t len, int64_t t)
{
    uint8_t rec[5 + 300] = {type, 0x03, 0x03, (uint8_t)(len >> 8), (uint8_t)len};
    assert_true(len <= 300);
    session_data(&sess, dir, span_make(rec, 5 + (size_t)len), t);
}

/* The one handshake settled so far: whether it was established, and how
 * it settled (-1: any way). */
static void expect_settled(int established, int settle)
{
    assert_int_equal(got.settles, 1);
    assert_int_equal(got.hs[0].established, established);
    if (settle >= 0)
        assert_int_equal(got.hs[0].settle, settle);
}

/* TLS 1.3 up to the client's Finished: the client in direction 0, the
 * server's flight (one encrypted record), the client's Finished (53). */
static void tls13_to_client_finished(void)
{
    start_session();
    feed_hex(0, FX_TLS13_CH, 1);
    feed_hex(1, FX_TLS13_SH, 2);
    feed_record(1, TLS_CT_APPLICATION_DATA, 200, 3);
    feed_record(0, TLS_CT_APPLICATION_DATA, 53, 4);
    assert_int_equal(got.settles, 0); /* the server's answer decides */
}

/* The rules of the server's answer to a TLS 1.3 client's Finished, on
 * records fed directly (the captures of real refusals are above). */
static void test_tls1_3_server_answer_rules(void **state)
{
    (void)state;
    /* A ticket (or data): established at once. */
    tls13_to_client_finished();
    feed_record(1, TLS_CT_APPLICATION_DATA, 100, 5);
    expect_settled(1, SETTLE_ESTABLISHED);

    /* An alert-sized record, then the close: refused. */
    tls13_to_client_finished();
    feed_record(1, TLS_CT_APPLICATION_DATA, 19, 5);
    assert_int_equal(got.settles, 0);
    session_reset(&sess, 6);
    expect_settled(0, SETTLE_CLOSED);

    /* The client's Certificate on its own, the server's alert-sized
     * record, then the client's Finished and the close: refused. */
    start_session();
    feed_hex(0, FX_TLS13_CH, 1);
    feed_hex(1, FX_TLS13_SH, 2);
    feed_record(1, TLS_CT_APPLICATION_DATA, 200, 3);
    feed_record(0, TLS_CT_APPLICATION_DATA, 25, 4);
    feed_record(1, TLS_CT_APPLICATION_DATA, 19, 5);
    feed_record(0, TLS_CT_APPLICATION_DATA, 53, 6);
    session_fin(&sess, 0, 7);
    session_fin(&sess, 1, 8);
    expect_settled(0, SETTLE_CLOSED);

    /* An alert-sized record and more after it: it was data. */
    tls13_to_client_finished();
    feed_record(1, TLS_CT_APPLICATION_DATA, 19, 5);
    feed_record(1, TLS_CT_APPLICATION_DATA, 19, 6);
    expect_settled(1, -1);

    /* The client closed first (FIN): the server's alert-sized record is
     * its close_notify. */
    tls13_to_client_finished();
    session_fin(&sess, 0, 5);
    feed_record(1, TLS_CT_APPLICATION_DATA, 19, 6);
    session_fin(&sess, 1, 7);
    expect_settled(1, SETTLE_ESTABLISHED);

    /* The client's bytes after its Finished are not TLS (libldap's Unbind
     * in clear, once it has refused the certificate): the server's answer
     * decides, an alert and the close here... */
    tls13_to_client_finished();
    feed_hex(0, "30050201024200", 5);
    assert_int_equal(got.settles, 0);
    feed_record(1, TLS_CT_APPLICATION_DATA, 19, 6);
    session_reset(&sess, 7);
    expect_settled(0, SETTLE_CLOSED);
    /* ...its FIN before that alert is no TLS close (slapd's timing in
     * tests/fixtures/stacks)... */
    tls13_to_client_finished();
    feed_hex(0, "30050201024200", 5);
    session_fin(&sess, 0, 6);
    feed_record(1, TLS_CT_APPLICATION_DATA, 19, 7);
    session_reset(&sess, 8);
    expect_settled(0, -1);
    /* ...nothing from the server either: not established... */
    tls13_to_client_finished();
    feed_hex(0, "30050201024200", 5);
    session_end(&sess, SETTLE_END_OF_INPUT);
    expect_settled(0, -1);
    /* ...data there (junk from the client, as in the corpus's
     * heuristic_tcp_ack_payload.pcap). */
    tls13_to_client_finished();
    feed_hex(0, "0000", 5);
    feed_record(1, TLS_CT_APPLICATION_DATA, 282, 6);
    expect_settled(1, -1);

    /* Nothing from the server before the end: established. */
    tls13_to_client_finished();
    session_end(&sess, SETTLE_END_OF_INPUT);
    expect_settled(1, SETTLE_ESTABLISHED);

    /* A plaintext fatal alert (from the client: the server's records are
     * all taken as encrypted after its TLS 1.3 ServerHello): refused, with
     * its number. */
    tls13_to_client_finished();
    feed_hex(0, "15030300020228", 5);
    expect_settled(0, SETTLE_ALERT);
    assert_int_equal(got.hs[0].alert_desc, 40);
}

/* Plain HTTP both ways: no handshake and no plaintext record (HTTP is not
 * a STARTTLS protocol). */
static void test_not_tls(void **state)
{
    (void)state;
    static const char get[] = "GET / HTTP/1.1\r\nHost: tlsmon.test\r\n\r\n";
    static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    start_session();
    for (int i = 0; i < 40; i++) {
        session_data(&sess, 0, span_make((const uint8_t *)get, sizeof(get) - 1), 2 * i);
        session_data(&sess, 1, span_make((const uint8_t *)ok, sizeof(ok) - 1), 2 * i + 1);
    }
    session_end(&sess, SETTLE_END_OF_INPUT);
    assert_int_equal(got.begins, 0);
    assert_int_equal(got.settles, 0);
    assert_int_equal(got.plaintexts, 0);
    assert_int_equal(session_stats.handshakes, 0);
    assert_int_equal(session_stats.client_hellos, 0);
}

static void test_unparsable_hello_counted(void **state)
{
    (void)state;
    struct tu_bytes b = tu_hex(FX_TLS12_CH);
    b.p[9 + 34] = 33; /* session id length 33: not a valid hello */
    start_session();
    session_data(&sess, 0, tu_span(&b), 1);
    assert_int_equal(session_stats.client_hellos, 1);
    assert_int_equal(session_stats.unparsable_hellos, 1);
    session_end(&sess, SETTLE_END_OF_INPUT);
    assert_int_equal(got.begins, 0);
    tu_bytes_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_tls1_2_established, setup),
        cmocka_unit_test_setup(test_tls1_0_and_1_1_established, setup),
        cmocka_unit_test_setup(test_tls1_3_established, setup),
        cmocka_unit_test_setup(test_hello_retry_request, setup),
        cmocka_unit_test_setup(test_refused_with_alert, setup),
        cmocka_unit_test_setup(test_server_negotiates_low, setup),
        cmocka_unit_test_setup(test_resumed_tls1_2, setup),
        cmocka_unit_test_setup(test_resumed_tls1_3, setup),
        cmocka_unit_test_setup(test_hello_over_three_segments, setup),
        cmocka_unit_test_setup(test_ipv6_and_port_8443, setup),
        cmocka_unit_test_setup(test_alert_before_peer_ccs_tls1_2, setup),
        cmocka_unit_test_setup(test_server_refuses_after_client_finished_tls1_3, setup),
        cmocka_unit_test_setup(test_one_sided_server_only, setup),
        cmocka_unit_test_setup(test_tls1_3_server_answer_rules, setup),
        cmocka_unit_test_setup(test_tds7_prelogin_handshake, setup),
        cmocka_unit_test_setup(test_repeated_and_next_client_hello, setup),
        cmocka_unit_test_setup(test_client_in_direction_1, setup),
        cmocka_unit_test_setup(test_not_tls, setup),
        cmocka_unit_test_setup(test_unparsable_hello_counted, setup),
        cmocka_unit_test_setup(test_sslv2_server_hello, setup),
        cmocka_unit_test_setup(test_sslv2_server_error, setup),
        cmocka_unit_test_setup(test_tls1_3_draft_server_hello, setup),
        cmocka_unit_test_setup(test_hello_in_4_byte_segments, setup),
        cmocka_unit_test_setup(test_long_alpn_list_keeps_fingerprints, setup),
        cmocka_unit_test_setup(test_tls1_3_client_refuses_certificate, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
