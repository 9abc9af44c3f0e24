/* test_tls_stream.c: record and handshake-message framing
 * (dissect/tls_stream.c), fed real flights in every possible cutting. */
#include "testutil.h"

#include "dissect/tls.h"
#include "dissect/tls_stream.h"

/* The client's first flight is FX_TLS12_CH (frame 4, one record); then: */
/* pcaps/tls1_2.pcap frame 8: TCP payload of the client: ClientKeyExchange, ChangeCipherSpec,
 * encrypted Finished, 93 bytes. */
#define FX_TLS12_CLIENT_F8                                                                         \
    "16030300251000002120765ebf629983a2469aa9739b82327173452e7890cb406f085dba56edb145b87c1403"     \
    "030001011603030028f951ce364948e5845f81e6811b687918c54fe10d0e047c41cfbb87011de12816f1b54a"     \
    "b09c23bb8c"

/* pcaps/tls1_2.pcap frame 6: TCP payload of the server: ServerHello, Certificate,
 * ServerKeyExchange, ServerHelloDone, 1217 bytes. */
#define FX_TLS12_SERVER_F6                                                                         \
    "160303004a020000460303f8c6643d58c136f84e034d91b1cb4f7dd3144d25c9332ff2444f574e4752440100"     \
    "c03000001eff01000100000b000403000102002300000010000500030268320017000016030303330b00032f"     \
    "00032c000329308203253082020da00302010202143ab0a2f89bcfbd7b5e791c85c806e9e6583122b9300d06"     \
    "092a864886f70d01010b050030163114301206035504030c0b746c736d6f6e2e74657374301e170d32363131"     \
    "32333138313431395a170d3236313232333138313431395a30163114301206035504030c0b746c736d6f6e2e"     \
    "7465737430820122300d06092a864886f70d01010105000382010f003082010a02820101009df474eaa040b4"     \
    "56b4a9f109e133eaef97c93641708d27cfe04a1ef8fca573502df0f80849414d3dba671d3986bc74c6bce3f2"     \
    "c6892847d8e6738617de34753b023ddc4587efeb00803974d02fc8034724c3b668c18bd87198d03bd3d98232"     \
    "cb36dc07dcf100cce902af87d28408e1db3087e514b2aa491d350cce5a1b2f01ce915cf8ebefdf927df97791"     \
    "e69310cfa6328f487498c5bb9328323e82cd5ccab893a1bf40ab0db92e630df18659367d399d09206d64d13f"     \
    "b17039ae2b7d3deca6d64dae71523ef07cbbaa57479696cc86502fdddb5e04326264f01b318c4b1089f556ce"     \
    "76aab023a53731a690ba874c7b0172def0f4e236f4e3ae0ff2b67f587d0203010001a36b3069301d0603551d"     \
    "0e0416041417ba9fe4c2bde805ef6113cba9e84616a823d255301f0603551d2304183016801417ba9fe4c2bd"     \
    "e805ef6113cba9e84616a823d255300f0603551d130101ff040530030101ff30160603551d11040f300d820b"     \
    "746c736d6f6e2e74657374300d06092a864886f70d01010b0500038201010085bd65a88d446246eef41e7cac"     \
    "a015c5cadd214c2be3a9b420080944b92914dceea48e39831f0170c97a1796ec6c48a6f203f97001b9ff25a5"     \
    "50c78ee697bc777b36972dd86498016249b9788b551e1a92e05bd887d59c413f67954f7bfc714e64f94e2c13"     \
    "fb026527920779919ff39dfe7997eecee47f947e79ec0041b5b30386adca0467f03d55c1bda0049b498cc930"     \
    "3ade8a6c782bd9abaf1168c3fff0e1917ce6969cf8ee993a6a0e20f056283291b819ae63234ce5ca83be31f9"     \
    "d3322e56484cd5da430f6d90094bdf05eb133f71d8d3703f9de4518db74b0dcd96ab8d0bc86ce0d09e27ecfe"     \
    "d18197b3e634dbf9bcb40ca545d4c349d9b40ef24ac999160303012c0c00012803001d2000a1acebfb4bdbac"     \
    "f0507c28b310a0a714fc5592caba699936ce02d28ace800a0804010055333bbb91a78f74caaf78f9cb8f36e8"     \
    "10773e3db923add415d958f6329fab01fa06ddb66c32c79952b87939d8577c36872820e6ba7f9bbf647f8dd6"     \
    "795bc94df433239dc9c0631d53e54bd23c3b8e32cf25bf997d9f6e618df1915d1a8110533e71c566d0d3cb08"     \
    "7114475cb8267b891e251294a55e66dd5f06b87dae96bdd26a57f0e5d6221a073bdaf32218eb876005f7ca77"     \
    "7aaa9ef2ca3e13ac9b98f1f1c99c40890762132484fd93588a40d2356f29409a675b91a43e127bec22b570b4"     \
    "f30080399f00b6a1690374f4326ce877ec7117c9c73f93568baff30b8a988d5ac6a17e09a1bdf7f7050be186"     \
    "5cc327ac62d64479c4e944e895a9f36cb9b305a116030300040e000000"

/* pcaps/client_tls1_0_refused.pcap frame 6: the server's fatal
 * protocol_version alert (level 2, description 70), 7 bytes. */
#define FX_REFUSED_ALERT "15030100020246"

/* ---- a recording sink ----------------------------------------------------- */

enum { MAX_EVENTS = 64 };

struct recorder {
    struct tls_stream *ts; /* marked encrypted after a ChangeCipherSpec, as session.c does */
    int n_hs;
    uint8_t hs_type[MAX_EVENTS];
    struct tu_bytes hs_body[MAX_EVENTS];
    int n_v2;
    struct tu_bytes v2;
    int n_rec;
    uint8_t rec_type[MAX_EVENTS];
    uint16_t rec_version[MAX_EVENTS], rec_len[MAX_EVENTS];
    int n_alert;
    uint8_t alert_level, alert_desc;
};

static struct tu_bytes copy_span(struct span s)
{
    struct tu_bytes b = {malloc(s.n ? s.n : 1), s.n};
    assert_non_null(b.p);
    if (s.n)
        memcpy(b.p, s.p, s.n);
    return b;
}

static void on_handshake(void *ctx, int dir, uint8_t type, struct span body)
{
    struct recorder *r = ctx;
    assert_int_equal(dir, 1);
    assert_true(r->n_hs < MAX_EVENTS);
    r->hs_type[r->n_hs] = type;
    r->hs_body[r->n_hs++] = copy_span(body);
}

static void on_sslv2(void *ctx, int dir, struct span msg)
{
    struct recorder *r = ctx;
    assert_int_equal(dir, 1);
    if (r->n_v2++ == 0)
        r->v2 = copy_span(msg);
}

static void on_record(void *ctx, int dir, uint8_t type, uint16_t version, uint16_t len)
{
    struct recorder *r = ctx;
    assert_int_equal(dir, 1);
    if (r->n_rec < MAX_EVENTS) {
        r->rec_type[r->n_rec] = type;
        r->rec_version[r->n_rec] = version;
        r->rec_len[r->n_rec] = len;
    }
    r->n_rec++;
    if (type == TLS_CT_CHANGE_CIPHER_SPEC && r->ts)
        tls_stream_set_encrypted(r->ts);
}

static void on_alert(void *ctx, int dir, uint8_t level, uint8_t desc)
{
    struct recorder *r = ctx;
    assert_int_equal(dir, 1);
    r->n_alert++;
    r->alert_level = level;
    r->alert_desc = desc;
}

static const struct tls_stream_sink sink = {on_handshake, on_sslv2, on_record, on_alert};

static void recorder_reset(struct recorder *r, struct tls_stream *ts)
{
    for (int i = 0; i < r->n_hs; i++)
        tu_bytes_free(&r->hs_body[i]);
    if (r->n_v2)
        tu_bytes_free(&r->v2);
    memset(r, 0, sizeof(*r));
    tls_stream_free(ts);
    memset(ts, 0, sizeof(*ts));
    r->ts = ts;
}

/* Feed data cut at the given offsets (ascending, each < n). */
static void feed_cuts(struct tls_stream *ts, struct recorder *r, const uint8_t *p, size_t n,
                      const size_t *cuts, size_t ncuts)
{
    size_t at = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t end = i < ncuts ? cuts[i] : n;
        /* Each piece in its own exactly-sized buffer, so reading past a
         * piece (or keeping a pointer into it) would be caught by ASan. */
        uint8_t *piece = malloc(end - at ? end - at : 1);
        assert_non_null(piece);
        memcpy(piece, p + at, end - at);
        tls_stream_feed(ts, 1, span_make(piece, end - at), &sink, r);
        free(piece);
        at = end;
    }
}

static void feed_bytewise(struct tls_stream *ts, struct recorder *r, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t b = p[i];
        tls_stream_feed(ts, 1, span_make(&b, 1), &sink, r);
    }
}

static struct tu_bytes concat(const char *hex1, const char *hex2)
{
    struct tu_bytes a = tu_hex(hex1), b = tu_hex(hex2), c;
    c.n = a.n + b.n;
    c.p = malloc(c.n);
    assert_non_null(c.p);
    memcpy(c.p, a.p, a.n);
    memcpy(c.p + a.n, b.p, b.n);
    tu_bytes_free(&a);
    tu_bytes_free(&b);
    return c;
}

/* ---- client flight: ClientHello, CKE, CCS, encrypted Finished ------------- */

static void check_client_flight(const struct recorder *r, const struct tls_stream *ts)
{
    struct tu_bytes ch = tu_hex(FX_TLS12_CH);
    /* Exactly one hello, the ClientHello, with the body as captured. */
    assert_int_equal(r->n_hs, 1);
    assert_int_equal(r->hs_type[0], TLS_HS_CLIENT_HELLO);
    assert_int_equal(r->hs_body[0].n, ch.n - 9);
    assert_memory_equal(r->hs_body[0].p, ch.p + 9, ch.n - 9);
    /* Four records: the hello (record version 1.0, as OpenSSL writes it),
     * ClientKeyExchange, ChangeCipherSpec, Finished. */
    static const uint8_t type[] = {22, 22, 20, 22};
    static const uint16_t version[] = {0x0301, 0x0303, 0x0303, 0x0303}, len[] = {223, 37, 1, 40};
    assert_int_equal(r->n_rec, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(r->rec_type[i], type[i]);
        assert_int_equal(r->rec_version[i], version[i]);
        assert_int_equal(r->rec_len[i], len[i]);
    }
    assert_int_equal(r->n_alert, 0);
    assert_int_equal(r->n_v2, 0);
    assert_int_equal(ts->state, TLS_STREAM_RECORDS);
    assert_int_equal(ts->oversize, 0);
    tu_bytes_free(&ch);
}

static void test_client_flight_one_piece(void **state)
{
    (void)state;
    static struct tls_stream ts;
    static struct recorder r;
    struct tu_bytes flight = concat(FX_TLS12_CH, FX_TLS12_CLIENT_F8);
    recorder_reset(&r, &ts);
    feed_cuts(&ts, &r, flight.p, flight.n, NULL, 0);
    check_client_flight(&r, &ts);
    recorder_reset(&r, &ts);
    tu_bytes_free(&flight);
}

static void test_client_flight_byte_by_byte(void **state)
{
    (void)state;
    static struct tls_stream ts;
    static struct recorder r;
    struct tu_bytes flight = concat(FX_TLS12_CH, FX_TLS12_CLIENT_F8);
    recorder_reset(&r, &ts);
    feed_bytewise(&ts, &r, flight.p, flight.n);
    check_client_flight(&r, &ts);
    recorder_reset(&r, &ts);
    tu_bytes_free(&flight);
}

static void test_client_flight_every_split(void **state)
{
    (void)state;
    static struct tls_stream ts;
    static struct recorder r;
    struct tu_bytes flight = concat(FX_TLS12_CH, FX_TLS12_CLIENT_F8);
    for (size_t k = 1; k < flight.n; k++) {
        recorder_reset(&r, &ts);
        feed_cuts(&ts, &r, flight.p, flight.n, &k, 1);
        check_client_flight(&r, &ts);
    }
    recorder_reset(&r, &ts);
    tu_bytes_free(&flight);
}

/* ---- server flight: ServerHello, Certificate, ServerKeyExchange, Done ------- */

static void check_server_flight(const struct recorder *r, size_t nrec)
{
    struct tu_bytes sh = tu_hex(FX_TLS12_SH);
    assert_int_equal(r->n_hs, 1); /* the Certificate etc. are not handed on */
    assert_int_equal(r->hs_type[0], TLS_HS_SERVER_HELLO);
    assert_int_equal(r->hs_body[0].n, sh.n - 9);
    assert_memory_equal(r->hs_body[0].p, sh.p + 9, sh.n - 9);
    assert_int_equal(r->n_rec, nrec);
    tu_bytes_free(&sh);
}

static void test_server_flight(void **state)
{
    (void)state;
    static struct tls_stream ts;
    static struct recorder r;
    struct tu_bytes f = tu_hex(FX_TLS12_SERVER_F6);

    recorder_reset(&r, &ts);
    feed_cuts(&ts, &r, f.p, f.n, NULL, 0);
    check_server_flight(&r, 4);
    static const uint16_t len[] = {74, 819, 300, 4};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(r.rec_type[i], TLS_CT_HANDSHAKE);
        assert_int_equal(r.rec_version[i], 0x0303);
        assert_int_equal(r.rec_len[i], len[i]);
    }

    recorder_reset(&r, &ts);
    feed_bytewise(&ts, &r, f.p, f.n);
    check_server_flight(&r, 4);

    for (size_t k = 1; k < f.n; k++) {
        recorder_reset(&r, &ts);
        feed_cuts(&ts, &r, f.p, f.n, &k, 1);
        check_server_flight(&r, 4);
    }
    recorder_reset(&r, &ts);
    tu_bytes_free(&f);
}

/* The same four handshake messages coalesced into one record (a legal
 * re-encoding; many servers send their flight that way). */
static void test_server_flight_one_record(void **state)
{
    (void)state;
    static struct tls_stream ts;
    static struct recorder r;
    struct tu_bytes f = tu_hex(FX_TLS12_SERVER_F6);
    uint8_t *one = malloc(f.n);
    size_t n = 5;
    assert_non_null(one);
    for (size_t at = 0; at < f.n;) {
        size_t len = (size_t)(f.p[at + 3] << 8 | f.p[at + 4]);
        memcpy(one + n, f.p + at + 5, len);
        n += len;
        at += 5 + len;
    }
    memcpy(one, f.p, 3); /* type 22, version 3.3 */
    one[3] = (uint8_t)((n - 5) >> 8);
    one[4] = (uint8_t)(n - 5);
    assert_int_equal(n, f.n - 15);

    recorder_reset(&r, &ts);
    feed_cuts(&ts, &r, one, n, NULL, 0);
    check_server_flight(&r, 1);
    assert_int_equal(r.rec_len[0], 74 + 819 + 300 + 4);
    for (size_t k = 1; k < n; k++) {
        recorder_reset(&r, &ts);
        feed_cuts(&ts, &r, one, n, &k, 1);
        check_server_flight(&r, 1);
    }
    recorder_reset(&r, &ts);
    free(one);
    tu_bytes_free(&f);
}

/* ---- a hello split over several records ---------------------------------------- */

/* Re-frame the real ClientHello message (4-byte header + body) into three
 * records of the real record version, cut at a and b. */
static size_t reframe3(const struct tu_bytes *rec, size_t a, size_t b, uint8_t *out)
{
    const uint8_t *msg = rec->p + 5;
    size_t mlen = rec->n - 5, cut[4] = {0, a, b, mlen}, n = 0;
    for (int i = 0; i < 3; i++) {
        size_t len = cut[i + 1] - cut[i];
        out[n++] = 22;
        out[n++] = rec->p[1];
        out[n++] = rec->p[2];
        out[n++] = (uint8_t)(len >> 8);
        out[n++] = (uint8_t)len;
        memcpy(out + n, msg + cut[i], len);
        n += len;
    }
    return n;
}

static void check_one_client_hello(const struct recorder *r, const struct tu_bytes *rec)
{
    assert_int_equal(r->n_hs, 1);
    assert_int_equal(r->hs_type[0], TLS_HS_CLIENT_HELLO);
    assert_int_equal(r->hs_body[0].n, rec->n - 9);
    assert_memory_equal(r->hs_body[0].p, rec->p + 9, rec->n - 9);
}

static void test_hello_over_three_records(void **state)
{
    (void)state;
    static struct tls_stream ts;
    static struct recorder r;
    struct tu_bytes rec = tu_hex(FX_TLS12_CH);
    size_t mlen = rec.n - 5;
    uint8_t *buf = malloc(rec.n + 10);
    assert_non_null(buf);

    /* Every pair of cuts (including cuts inside the 4-byte handshake
     * header), fed as one piece. */
    for (size_t a = 1; a < mlen - 1; a++) {
        for (size_t b = a + 1; b < mlen; b++) {
            size_t n = reframe3(&rec, a, b, buf);
            assert_int_equal(n, rec.n + 10);
            recorder_reset(&r, &ts);
            feed_cuts(&ts, &r, buf, n, NULL, 0);
            check_one_client_hello(&r, &rec);
            assert_int_equal(r.n_rec, 3);
            assert_int_equal(r.rec_version[1], 0x0301);
            assert_int_equal(r.rec_len[0] + r.rec_len[1] + r.rec_len[2], mlen);
        }
    }
    /* A few of them also byte by byte and split at every offset. */
    static const size_t pairs[][2] = {{2, 100}, {4, 5}, {100, 222}, {1, 3}};
    for (size_t i = 0; i < sizeof(pairs) / sizeof(*pairs); i++) {
        size_t n = reframe3(&rec, pairs[i][0], pairs[i][1], buf);
        recorder_reset(&r, &ts);
        feed_bytewise(&ts, &r, buf, n);
        check_one_client_hello(&r, &rec);
        for (size_t k = 1; k < n; k++) {
            recorder_reset(&r, &ts);
            feed_cuts(&ts, &r, buf, n, &k, 1);
            check_one_client_hello(&r, &rec);
        }
    }
    recorder_reset(&r, &ts);
    free(buf);
    tu_bytes_free(&rec);
}

/* ---- not TLS, broken framing, alerts --------------------------------------------- */

static void test_not_tls(void **state)
{
    (void)state;
    static struct tls_stream ts;
    static struct recorder r;
    static const char get[] = "GET / HTTP/1.1\r\nHost: tlsmon.test\r\n\r\n";

    recorder_reset(&r, &ts);
    tls_stream_feed(&ts, 1, span_make((const uint8_t *)get, sizeof(get) - 1), &sink, &r);
    assert_int_equal(ts.state, TLS_STREAM_NOT_TLS);
    assert_int_equal(r.n_rec + r.n_hs + r.n_v2 + r.n_alert, 0);

    recorder_reset(&r, &ts);
    feed_bytewise(&ts, &r, (const uint8_t *)get, sizeof(get) - 1);
    assert_int_equal(ts.state, TLS_STREAM_NOT_TLS);
    assert_int_equal(r.n_rec + r.n_hs + r.n_v2 + r.n_alert, 0);

    /* A real hello fed after the stream was judged not TLS is ignored. */
    struct tu_bytes ch = tu_hex(FX_TLS12_CH);
    tls_stream_feed(&ts, 1, tu_span(&ch), &sink, &r);
    assert_int_equal(ts.state, TLS_STREAM_NOT_TLS);
    assert_int_equal(r.n_hs, 0);
    recorder_reset(&r, &ts);
    tu_bytes_free(&ch);
}

static void test_broken_after_hello(void **state)
{
    (void)state;
    static struct tls_stream ts;
    static struct recorder r;
    struct tu_bytes ch = tu_hex(FX_TLS12_CH);
    static const char get[] = "GET / HTTP/1.1\r\n";
    recorder_reset(&r, &ts);
    tls_stream_feed(&ts, 1, tu_span(&ch), &sink, &r);
    tls_stream_feed(&ts, 1, span_make((const uint8_t *)get, sizeof(get) - 1), &sink, &r);
    assert_int_equal(ts.state, TLS_STREAM_BROKEN);
    check_one_client_hello(&r, &ch);
    assert_int_equal(r.n_rec, 1);
    recorder_reset(&r, &ts);
    tu_bytes_free(&ch);
}

static void test_alert(void **state)
{
    (void)state;
    static struct tls_stream ts;
    static struct recorder r;
    struct tu_bytes a = tu_hex(FX_REFUSED_ALERT);
    recorder_reset(&r, &ts);
    feed_cuts(&ts, &r, a.p, a.n, NULL, 0);
    assert_int_equal(r.n_alert, 1);
    assert_int_equal(r.alert_level, 2);
    assert_int_equal(r.alert_desc, 70);
    assert_int_equal(r.n_rec, 1);
    assert_int_equal(r.rec_type[0], TLS_CT_ALERT);
    assert_int_equal(r.rec_version[0], 0x0301);

    recorder_reset(&r, &ts);
    feed_bytewise(&ts, &r, a.p, a.n);
    assert_int_equal(r.n_alert, 1);
    assert_int_equal(r.alert_desc, 70);

    /* An alert after ChangeCipherSpec is encrypted: not read. */
    recorder_reset(&r, &ts);
    tls_stream_set_encrypted(&ts);
    feed_cuts(&ts, &r, a.p, a.n, NULL, 0);
    assert_int_equal(r.n_alert, 0);
    assert_int_equal(r.n_rec, 1);
    recorder_reset(&r, &ts);
    tu_bytes_free(&a);
}

/* ---- bounds ------------------------------------------------------------------------ */

/* Records (of up to 16384 bytes) carrying one handshake message of type
 * `type` whose body is `len` bytes taken cyclically from the real hello. */
static uint8_t *long_message(uint8_t type, uint32_t len, const struct tu_bytes *src, size_t *out_n)
{
    size_t mlen = 4 + (size_t)len, nrec = (mlen + 16383) / 16384, n = 0;
    uint8_t *out = malloc(mlen + 5 * nrec), *msg = malloc(mlen);
    assert_non_null(out);
    assert_non_null(msg);
    msg[0] = type;
    msg[1] = (uint8_t)(len >> 16);
    msg[2] = (uint8_t)(len >> 8);
    msg[3] = (uint8_t)len;
    for (size_t i = 0; i < len; i++)
        msg[4 + i] = src->p[9 + i % (src->n - 9)];
    for (size_t at = 0; at < mlen;) {
        size_t k = mlen - at < 16384 ? mlen - at : 16384;
        out[n++] = 22;
        out[n++] = 3;
        out[n++] = 3;
        out[n++] = (uint8_t)(k >> 8);
        out[n++] = (uint8_t)k;
        memcpy(out + n, msg + at, k);
        n += k;
        at += k;
    }
    free(msg);
    *out_n = n;
    return out;
}

static void test_oversize_hello_skipped(void **state)
{
    (void)state;
    static struct tls_stream ts;
    static struct recorder r;
    struct tu_bytes ch = tu_hex(FX_TLS12_CH);
    size_t n;
    uint8_t *big = long_message(TLS_HS_CLIENT_HELLO, TLS_STREAM_MAX_MESSAGE + 1, &ch, &n);

    recorder_reset(&r, &ts);
    feed_cuts(&ts, &r, big, n, NULL, 0);
    assert_int_equal(r.n_hs, 0);
    assert_int_equal(ts.oversize, 1);
    assert_int_equal(ts.state, TLS_STREAM_RECORDS);
    assert_true(ts.buf_cap <= TLS_STREAM_MAX_MESSAGE); /* never buffered */
    /* Framing is kept: the next real hello still comes through. */
    tls_stream_feed(&ts, 1, tu_span(&ch), &sink, &r);
    check_one_client_hello(&r, &ch);
    assert_int_equal(ts.oversize, 1);
    free(big);

    /* Exactly at the bound: kept and handed on whole, also when split. */
    big = long_message(TLS_HS_SERVER_HELLO, TLS_STREAM_MAX_MESSAGE, &ch, &n);
    size_t cuts[] = {7, 9000, 40000};
    recorder_reset(&r, &ts);
    feed_cuts(&ts, &r, big, n, cuts, 3);
    assert_int_equal(ts.oversize, 0);
    assert_int_equal(r.n_hs, 1);
    assert_int_equal(r.hs_type[0], TLS_HS_SERVER_HELLO);
    assert_int_equal(r.hs_body[0].n, TLS_STREAM_MAX_MESSAGE);
    assert_memory_equal(r.hs_body[0].p, ch.p + 9, ch.n - 9);
    assert_int_equal(r.n_rec, 5);
    free(big);
    recorder_reset(&r, &ts);
    tu_bytes_free(&ch);
}

/* ---- SSLv2-format hello -------------------------------------------------------------- */

static void test_sslv2_hello(void **state)
{
    (void)state;
    static struct tls_stream ts;
    static struct recorder r;
    struct tu_bytes v2 = tu_hex(FX_SSLV2_CH);

    recorder_reset(&r, &ts);
    feed_cuts(&ts, &r, v2.p, v2.n, NULL, 0);
    assert_int_equal(r.n_v2, 1);
    assert_int_equal(r.v2.n, 124);
    assert_memory_equal(r.v2.p, v2.p + 2, 124);
    assert_int_equal(r.n_hs + r.n_rec, 0);
    assert_int_equal(ts.state, TLS_STREAM_RECORDS);

    /* Split anywhere from the 5th byte on (the header is judged on 5). */
    for (size_t k = 5; k < v2.n; k++) {
        recorder_reset(&r, &ts);
        feed_cuts(&ts, &r, v2.p, v2.n, &k, 1);
        assert_int_equal(r.n_v2, 1);
        assert_memory_equal(r.v2.p, v2.p + 2, 124);
    }

    /* After the SSLv2 hello the client goes on in TLS records. */
    struct tu_bytes more = concat(FX_SSLV2_CH, FX_TLS12_CLIENT_F8);
    recorder_reset(&r, &ts);
    feed_cuts(&ts, &r, more.p, more.n, NULL, 0);
    assert_int_equal(r.n_v2, 1);
    assert_int_equal(r.n_rec, 3);
    assert_int_equal(r.rec_type[1], TLS_CT_CHANGE_CIPHER_SPEC);
    recorder_reset(&r, &ts);
    tu_bytes_free(&more);
    tu_bytes_free(&v2);
}

/* tls_stream.h: "Bytes arrive in order but in arbitrary pieces". An SSLv2
 * hello whose first piece has fewer than 5 bytes is judged NOT_TLS. */
static void test_sslv2_hello_first_piece_short(void **state)
{
    (void)state;
    static struct tls_stream ts;
    static struct recorder r;
    struct tu_bytes v2 = tu_hex(FX_SSLV2_CH);
    for (size_t k = 1; k < 5; k++) {
        recorder_reset(&r, &ts);
        feed_cuts(&ts, &r, v2.p, v2.n, &k, 1);
        if (r.n_v2 != 1)
            fail_msg("first piece of %zu bytes: %d SSLv2 hellos, state %d", k, r.n_v2, ts.state);
    }
    recorder_reset(&r, &ts);
    tu_bytes_free(&v2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_flight_one_piece),
        cmocka_unit_test(test_client_flight_byte_by_byte),
        cmocka_unit_test(test_client_flight_every_split),
        cmocka_unit_test(test_server_flight),
        cmocka_unit_test(test_server_flight_one_record),
        cmocka_unit_test(test_hello_over_three_records),
        cmocka_unit_test(test_not_tls),
        cmocka_unit_test(test_broken_after_hello),
        cmocka_unit_test(test_alert),
        cmocka_unit_test(test_oversize_hello_skipped),
        cmocka_unit_test(test_sslv2_hello),
        cmocka_unit_test(test_sslv2_hello_first_piece_short),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
