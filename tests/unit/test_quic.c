/* test_quic.c: TLS hellos from QUIC Initial packets (dissect/quic.c).
 *
 * The RFC 9001 and RFC 9369 appendix A vectors (keys, client and server
 * Initials, Retry); ClientHellos cut into CRYPTO frames that arrive split,
 * shuffled, duplicated and coalesced (protected here by a small encryptor
 * of the test's own); Version Negotiation and new connections on the same
 * ports; the corpus captures with fragmented hellos; and truncated, flipped
 * and random bytes, which must never crash. */
#include "testutil.h"

#include <openssl/evp.h>

#include "dissect/quic.h"
#include "dissect/tls.h"

/* ---- RFC vectors (hex copied from the RFC text) ----------------------------- */

/* RFC 9001 appendix A.2: the client's CRYPTO frame (without PADDING), 245 bytes */
#define V1_CLIENT_CRYPTO                                                                           \
    "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e86804fe3a47f06a2b69484c0000"     \
    "0413011302010000c000000010000e00000b6578616d706c652e636f6dff01000100000a00080006001d0017"     \
    "001800100007000504616c706e000500050100000000003300260024001d00209370b2c9caa47fbabaf4559f"     \
    "edba753de171fa71f50f1ce15d43e994ec74d748002b0003020304000d0010000e0403050306030203080408"     \
    "050806002d00020101001c00024001003900320408ffffffffffffffff05048000ffff07048000ffff080110"     \
    "0104800075300901100f088394c8f03e51570806048000ffff"

/* RFC 9001 appendix A.2: the protected client Initial, 1200 bytes */
#define V1_CLIENT_INITIAL                                                                          \
    "c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11d242b123dc9bd8bab936b47d"     \
    "92ec356c0bab7df5976d27cd449f63300099f3991c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad"     \
    "67500cadb8e7378c8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df621230c83711"     \
    "b39343fa028cea7f7fb5ff89eac2308249a02252155e2347b63d58c5457afd84d05dfffdb20392844ae81215"     \
    "4682e9cf012f9021a6f0be17ddd0c2084dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948"     \
    "838a3aec4e15daf8500a6ef69ec4e3feb6b1d98e610ac8b7ec3faf6ad760b7bad1db4ba3485e8a94dc250ae3"     \
    "fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db059ae0648db2f64264ed5e39be2e20d82df566da"     \
    "8dd5998ccabdae053060ae6c7b4378e846d29f37ed7b4ea9ec5d82e7961b7f25a9323851f681d582363aa5f8"     \
    "9937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556be52afe3f565636ad1b17d50"     \
    "8b73d8743eeb524be22b3dcbc2c7468d54119c7468449a13d8e3b95811a198f3491de3e7fe942b330407abf8"     \
    "2a4ed7c1b311663ac69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00f064c99e"     \
    "3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632291d6a418211cc2962e20fe47feb3edf"     \
    "330f2c603a9d48c0fcb5699dbfe5896425c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2"     \
    "c25e50fd14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ffef132eef2fa09346"     \
    "aee33c28eb130ff28f5b766953334113211996d20011a198e3fc433f9f2541010ae17c1bf202580f6047472f"     \
    "b36857fe843b19f5984009ddc324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73"     \
    "203a4a13e96f5432ec0fd4a1ee65accdd5e3904df54c1da510b0ff20dcc0c77fcb2c0e0eb605cb0504db8763"     \
    "2cf3d8b4dae6e705769d1de354270123cb11450efc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d06"     \
    "9fc33bd801b03adea2e1fbc5aa463d08ca19896d2bf59a071b851e6c239052172f296bfb5e72404790a21810"     \
    "14f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2162f40a29f0c3c8745c0f50fba3852e5"     \
    "66d44575c29d39a03f0cda721984b6f440591f355e12d439ff150aab7613499dbd49adabc8676eef023b15b6"     \
    "5bfc5ca06948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e8f2e6ff5800175f1"     \
    "13253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0be79e2fb8f5d5fbbe2e30ecadd220723c8c0aea8"     \
    "078cdfcb3868263ff8f0940054da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab"     \
    "760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9f96f3ca9ec1dde434da7d2d3"     \
    "92b905ddf3d1f9af93d1af5950bd493f5aa731b4056df31bd267b6b90a079831aaf579be0a39013137aac6d4"     \
    "04f518cfd46840647e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241e221af44"     \
    "860018ab0856972e194cd934"

/* RFC 9001 appendix A.3: the server's ACK and CRYPTO frames, 99 bytes */
#define V1_SERVER_FRAMES                                                                           \
    "02000000000600405a020000560303eefce7f7b37ba1d1632e96677825ddf73988cfc79825df566dc5430b9a"     \
    "045a1200130100002e00330024001d00209d3c940d89690b84d08a60993c144eca684d1081287c834d5311bc"     \
    "f32bb9da1a002b00020304"

/* RFC 9001 appendix A.3: the protected server Initial, 135 bytes */
#define V1_SERVER_INITIAL                                                                          \
    "cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a5816b6394100f37a1c697975"     \
    "54780bb38cc5a99f5ede4cf73c3ec2493a1839b3dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bde"     \
    "d74b562bfb19fb84022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc42158407d"     \
    "d074ee"

/* RFC 9001 appendix A.4: a Retry answering the client Initial, 36 bytes */
#define V1_RETRY "ff000000010008f067a5502a4262b5746f6b656e04a265ba2eff4d829058fb3f0f2496ba"

/* RFC 9369 appendix A.2: the client's CRYPTO frame (without PADDING), 245 bytes */
#define V2_CLIENT_CRYPTO                                                                           \
    "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e86804fe3a47f06a2b69484c0000"     \
    "0413011302010000c000000010000e00000b6578616d706c652e636f6dff01000100000a00080006001d0017"     \
    "001800100007000504616c706e000500050100000000003300260024001d00209370b2c9caa47fbabaf4559f"     \
    "edba753de171fa71f50f1ce15d43e994ec74d748002b0003020304000d0010000e0403050306030203080408"     \
    "050806002d00020101001c00024001003900320408ffffffffffffffff05048000ffff07048000ffff080110"     \
    "0104800075300901100f088394c8f03e51570806048000ffff"

/* RFC 9369 appendix A.2: the protected client Initial, 1200 bytes */
#define V2_CLIENT_INITIAL                                                                          \
    "d76b3343cf088394c8f03e5157080000449ea0c95e82ffe67b6abcdb4298b485dd04de806071bf03dceebfa1"     \
    "62e75d6c96058bdbfb127cdfcbf903388e99ad049f9a3dd4425ae4d0992cfff18ecf0fdb5a842d09747052f1"     \
    "7ac2053d21f57c5d250f2c4f0e0202b70785b7946e992e58a59ac52dea6774d4f03b55545243cf1a12834e3f"     \
    "249a78d395e0d18f4d766004f1a2674802a747eaa901c3f10cda5500cb9122faa9f1df66c392079a1b40f0de"     \
    "1c6054196a11cbea40afb6ef5253cd6818f6625efce3b6def6ba7e4b37a40f7732e093daa7d52190935b8da5"     \
    "8976ff3312ae50b187c1433c0f028edcc4c2838b6a9bfc226ca4b4530e7a4ccee1bfa2a3d396ae5a3fb51238"     \
    "4b2fdd851f784a65e03f2c4fbe11a53c7777c023462239dd6f7521a3f6c7d5dd3ec9b3f233773d4b46d23cc3"     \
    "75eb198c63301c21801f6520bcfb7966fc49b393f0061d974a2706df8c4a9449f11d7f3d2dcbb90c6b877045"     \
    "636e7c0c0fe4eb0f697545460c806910d2c355f1d253bc9d2452aaa549e27a1fac7cf4ed77f322e8fa894b6a"     \
    "83810a34b361901751a6f5eb65a0326e07de7c1216ccce2d0193f958bb3850a833f7ae432b65bc5a53975c15"     \
    "5aa4bcb4f7b2c4e54df16efaf6ddea94e2c50b4cd1dfe06017e0e9d02900cffe1935e0491d77ffb4fdf85290"     \
    "fdd893d577b1131a610ef6a5c32b2ee0293617a37cbb08b847741c3b8017c25ca9052ca1079d8b78aebd4787"     \
    "6d330a30f6a8c6d61dd1ab5589329de714d19d61370f8149748c72f132f0fc99f34d766c6938597040d8f9e2"     \
    "bb522ff99c63a344d6a2ae8aa8e51b7b90a4a806105fcbca31506c446151adfeceb51b91abfe43960977c874"     \
    "71cf9ad4074d30e10d6a7f03c63bd5d4317f68ff325ba3bd80bf4dc8b52a0ba031758022eb025cdd770b44d6"     \
    "d6cf0670f4e990b22347a7db848265e3e5eb72dfe8299ad7481a408322cac55786e52f633b2fb6b614eaed18"     \
    "d703dd84045a274ae8bfa73379661388d6991fe39b0d93debb41700b41f90a15c4d526250235ddcd6776fc77"     \
    "bc97e7a417ebcb31600d01e57f32162a8560cacc7e27a096d37a1a86952ec71bd89a3e9a30a2a26162984d77"     \
    "40f81193e8238e61f6b5b984d4d3dfa033c1bb7e4f0037febf406d91c0dccf32acf423cfa1e7071010d3f270"     \
    "121b493ce85054ef58bada42310138fe081adb04e2bd901f2f13458b3d6758158197107c14ebb193230cd115"     \
    "7380aa79cae1374a7c1e5bbcb80ee23e06ebfde206bfb0fcbc0edc4ebec309661bdd908d532eb0c6adc38b7c"     \
    "a7331dce8dfce39ab71e7c32d318d136b6100671a1ae6a6600e3899f31f0eed19e3417d134b90c9058f8632c"     \
    "798d4490da4987307cba922d61c39805d072b589bd52fdf1e86215c2d54e6670e07383a27bbffb5addf47d66"     \
    "aa85a0c6f9f32e59d85a44dd5d3b22dc2be80919b490437ae4f36a0ae55edf1d0b5cb4e9a3ecabee93dfc6e3"     \
    "8d209d0fa6536d27a5d6fbb17641cde27525d61093f1b28072d111b2b4ae5f89d5974ee12e5cf7d5da4d6a31"     \
    "123041f33e61407e76cffcdcfd7e19ba58cf4b536f4c4938ae79324dc402894b44faf8afbab35282ab659d13"     \
    "c93f70412e85cb199a37ddec600545473cfb5a05e08d0b209973b2172b4d21fb69745a262ccde96ba18b2faa"     \
    "745b6fe189cf772a9f84cbfc"

/* RFC 9369 appendix A.3: the server's ACK and CRYPTO frames, 99 bytes */
#define V2_SERVER_FRAMES                                                                           \
    "02000000000600405a020000560303eefce7f7b37ba1d1632e96677825ddf73988cfc79825df566dc5430b9a"     \
    "045a1200130100002e00330024001d00209d3c940d89690b84d08a60993c144eca684d1081287c834d5311bc"     \
    "f32bb9da1a002b00020304"

/* RFC 9369 appendix A.3: the protected server Initial, 135 bytes */
#define V2_SERVER_INITIAL                                                                          \
    "dc6b3343cf0008f067a5502a4262b5004075d92faaf16f05d8a4398c47089698baeea26b91eb761d9b89237b"     \
    "bf87263017915358230035f7fd3945d88965cf17f9af6e16886c61bfc703106fbaf3cb4cfa52382dd16a393e"     \
    "42757507698075b2c984c707f0a0812d8cd5a6881eaf21ceda98f4bd23f6fe1a3e2c43edd9ce7ca84bed8521"     \
    "e2e140"

/* RFC 9369 appendix A.4: a Retry answering the client Initial, 36 bytes */
#define V2_RETRY "cf6b3343cf0008f067a5502a4262b5746f6b656ec8646ce8bfe33952d955543665dcc7b6"

/* ---- a recording sink ---------------------------------------------------------- */

enum { MAX_HS = 16 };

struct recorder {
    int n;
    int dir[MAX_HS];
    uint8_t type[MAX_HS];
    struct tu_bytes body[MAX_HS];
};

static void on_handshake(void *ctx, int dir, uint8_t type, struct span body)
{
    struct recorder *r = ctx;
    assert_true(r->n < MAX_HS);
    r->dir[r->n] = dir;
    r->type[r->n] = type;
    r->body[r->n].p = malloc(body.n ? body.n : 1);
    assert_non_null(r->body[r->n].p);
    if (body.n)
        memcpy(r->body[r->n].p, body.p, body.n);
    r->body[r->n].n = body.n;
    r->n++;
}

static const struct tls_stream_sink rec_sink = {on_handshake, NULL, NULL, NULL};

static void rec_free(struct recorder *r)
{
    for (int i = 0; i < r->n; i++)
        tu_bytes_free(&r->body[i]);
    memset(r, 0, sizeof(*r));
}

/* Feed one datagram given as hex. */
static void feed_hex(struct quic_state *qs, int dir, const char *hex, struct recorder *r)
{
    struct tu_bytes b = tu_hex(hex);
    quic_datagram(qs, dir, tu_span(&b), 0, &rec_sink, r);
    tu_bytes_free(&b);
}

static void assert_body(const struct tu_bytes *got, const uint8_t *want, size_t n)
{
    assert_int_equal(got->n, n);
    assert_memory_equal(got->p, want, n);
}

static int reset_stats(void **state)
{
    (void)state;
    memset(&quic_stats, 0, sizeof(quic_stats));
    return 0;
}

/* ---- keys: RFC 9001 A.1, RFC 9369 A.1 ------------------------------------------- */

static void check_keys(uint32_t version, int server, const char *key, const char *iv,
                       const char *hp)
{
    struct tu_bytes cid = tu_hex("8394c8f03e515708"), k = tu_hex(key), i = tu_hex(iv),
                    h = tu_hex(hp);
    struct quic_initial_keys out;
    assert_int_equal(quic_initial_keys(version, tu_span(&cid), server, &out), 1);
    assert_memory_equal(out.key, k.p, 16);
    assert_memory_equal(out.iv, i.p, 12);
    assert_memory_equal(out.hp, h.p, 16);
    tu_bytes_free(&cid);
    tu_bytes_free(&k);
    tu_bytes_free(&i);
    tu_bytes_free(&h);
}

static void test_keys_rfc9001(void **state)
{
    (void)state;
    check_keys(1, 0, "1f369613dd76d5467730efcbe3b1a22d", "fa044b2f42a3fd3b46fb255c",
               "9f50449e04a0e810283a1e9933adedd2");
    check_keys(1, 1, "cf3a5331653c364c88f0f379b6067e37", "0ac1493ca1905853b0bba03e",
               "c206b8d9b9f0f37644430b490eeaa314");
}

static void test_keys_rfc9369(void **state)
{
    (void)state;
    check_keys(0x6b3343cf, 0, "8b1a0bc121284290a29e0971b5cd045d", "91f73e2351d8fa91660e909f",
               "45b95e15235d6f45a6b19cbcb0294ba9");
    check_keys(0x6b3343cf, 1, "82db637861d55e1d011f19ea71d5d2a7", "dd13c276499c0249d3310652",
               "edf6d05c83121201b436e16877593c3a");
}

static void test_keys_unknown_version(void **state)
{
    (void)state;
    struct quic_initial_keys out;
    uint8_t cid[21] = {0};
    assert_int_equal(quic_initial_keys(0x12345678, span_make(cid, 8), 0, &out), 0);
    assert_int_equal(quic_initial_keys(0, span_make(cid, 8), 0, &out), 0);
    assert_int_equal(quic_initial_keys(1, span_make(cid, 21), 0, &out), 0);
}

/* ---- the appendix A Initials through quic_datagram -------------------------------- */

struct rfc_vectors {
    uint32_t version;
    const char *client_initial, *client_crypto, *server_initial, *server_frames, *retry;
};

static const struct rfc_vectors v1_vectors = {
    1, V1_CLIENT_INITIAL, V1_CLIENT_CRYPTO, V1_SERVER_INITIAL, V1_SERVER_FRAMES, V1_RETRY};
static const struct rfc_vectors v2_vectors = {
    0x6b3343cf, V2_CLIENT_INITIAL, V2_CLIENT_CRYPTO, V2_SERVER_INITIAL, V2_SERVER_FRAMES, V2_RETRY};

/* The client Initial's one CRYPTO frame is 06 00 40f1, then the ClientHello
 * with its 4-byte header (01 0000ed); the server's payload is an ACK
 * (02 00 00 00 00), then 06 00 405a and the ServerHello (02 000056). */
enum { CH_BODY_AT = 4 + 4, SH_BODY_AT = 5 + 4 + 4 };

static void check_client_initial(const struct rfc_vectors *v, int client_dir)
{
    struct recorder r = {0};
    struct tu_bytes crypto = tu_hex(v->client_crypto);
    struct tls_client_hello ch;
    struct quic_state *qs = quic_state_new();
    assert_non_null(qs);
    feed_hex(qs, client_dir, v->client_initial, &r);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.dir[0], client_dir);
    assert_int_equal(r.type[0], TLS_HS_CLIENT_HELLO);
    assert_body(&r.body[0], crypto.p + CH_BODY_AT, crypto.n - CH_BODY_AT);
    assert_int_equal(tls_parse_client_hello(tu_span(&r.body[0]), &ch), TLS_PARSE_OK);
    assert_string_equal(ch.sni, "example.com");
    assert_int_equal(quic_state_version(qs), v->version);
    assert_int_equal(quic_stats.initials, 1);
    assert_int_equal(quic_stats.decrypted, 1);

    /* The server's Initial carries the client's (empty) SCID: it opens only
     * with keys from the client's DCID, kept in the state. */
    struct tu_bytes frames = tu_hex(v->server_frames);
    struct tls_server_hello sh;
    feed_hex(qs, client_dir ^ 1, v->server_initial, &r);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.dir[1], client_dir ^ 1);
    assert_int_equal(r.type[1], TLS_HS_SERVER_HELLO);
    assert_body(&r.body[1], frames.p + SH_BODY_AT, frames.n - SH_BODY_AT);
    assert_int_equal(tls_parse_server_hello(tu_span(&r.body[1]), &sh), TLS_PARSE_OK);
    assert_int_equal(sh.cipher, 0x1301);
    assert_int_equal(tls_server_version(&sh), 0x0304);
    assert_int_equal(quic_stats.decrypted, 2);
    assert_int_equal(quic_stats.decrypt_failed, 0);
    quic_state_free(qs);
    rec_free(&r);
    tu_bytes_free(&crypto);
    tu_bytes_free(&frames);
}

static void test_rfc9001_initials(void **state)
{
    (void)state;
    check_client_initial(&v1_vectors, 0);
    reset_stats(state);
    /* The client's side is found from the packets, not from dir. */
    check_client_initial(&v1_vectors, 1);
}

static void test_rfc9369_initials(void **state)
{
    (void)state;
    check_client_initial(&v2_vectors, 0);
}

static void test_server_initial_alone(void **state)
{
    (void)state;
    struct recorder r = {0};
    struct quic_state *qs = quic_state_new();
    feed_hex(qs, 1, V1_SERVER_INITIAL, &r);
    assert_int_equal(r.n, 0);
    assert_int_equal(quic_stats.initials, 1);
    assert_int_equal(quic_stats.decrypt_failed, 1);
    quic_state_free(qs);
}

/* ---- an encryptor of the test's own (RFC 9001 section 5) --------------------------- */

struct initial_spec {
    uint32_t version;
    const char *dcid, *scid; /* header fields, hex */
    const char *key_cid;     /* the client DCID the keys derive from, hex */
    int server;
    uint64_t pn;
};

enum { PKT_MAX = 2048 };

/* Protect frames as an Initial with a 2-byte packet number. Returns the
 * packet length. */
static size_t protect_initial(const struct initial_spec *ps, const uint8_t *frames, size_t flen,
                              uint8_t *out)
{
    struct tu_bytes dcid = tu_hex(ps->dcid), scid = tu_hex(ps->scid), kcid = tu_hex(ps->key_cid);
    struct quic_initial_keys k;
    uint8_t nonce[12], mask[16];
    size_t n = 0, len = 2 + flen + 16;
    int outl;
    assert_true(flen >= 2 && len < 0x4000 && flen + 64 < PKT_MAX);
    assert_int_equal(quic_initial_keys(ps->version, tu_span(&kcid), ps->server, &k), 1);
    /* RFC 9369 section 3.2: the v2 Initial type is 0b01. */
    out[n++] = (uint8_t)(0xc1 | (ps->version == 0x6b3343cf ? 0x10 : 0));
    for (int i = 3; i >= 0; i--)
        out[n++] = (uint8_t)(ps->version >> (8 * i));
    out[n++] = (uint8_t)dcid.n;
    memcpy(out + n, dcid.p, dcid.n);
    n += dcid.n;
    out[n++] = (uint8_t)scid.n;
    memcpy(out + n, scid.p, scid.n);
    n += scid.n;
    out[n++] = 0; /* token length */
    out[n++] = (uint8_t)(0x40 | len >> 8);
    out[n++] = (uint8_t)len;
    size_t pn_at = n;
    out[n++] = (uint8_t)(ps->pn >> 8);
    out[n++] = (uint8_t)ps->pn;
    memcpy(nonce, k.iv, 12);
    for (int i = 0; i < 8; i++)
        nonce[11 - i] ^= (uint8_t)(ps->pn >> (8 * i));

    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    assert_non_null(c);
    assert_true(EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, k.key, nonce));
    assert_true(EVP_EncryptUpdate(c, NULL, &outl, out, (int)n));
    assert_true(EVP_EncryptUpdate(c, out + n, &outl, frames, (int)flen));
    assert_true(EVP_EncryptFinal_ex(c, out + n + outl, &outl));
    assert_true(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + n + flen));
    assert_true(EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, k.hp, NULL));
    assert_true(EVP_EncryptUpdate(c, mask, &outl, out + pn_at + 4, 16));
    EVP_CIPHER_CTX_free(c);
    out[0] ^= mask[0] & 0x0f;
    out[pn_at] ^= mask[1];
    out[pn_at + 1] ^= mask[2];
    tu_bytes_free(&dcid);
    tu_bytes_free(&scid);
    tu_bytes_free(&kcid);
    return n + flen + 16;
}

/* Frames being written. */
struct frames {
    uint8_t b[PKT_MAX];
    size_t n;
};

static void fr_u8(struct frames *f, uint8_t v)
{
    assert_true(f->n < sizeof(f->b));
    f->b[f->n++] = v;
}

/* A 4-byte variable-length integer (RFC 9000 section 16). */
static void fr_varint4(struct frames *f, uint32_t v)
{
    assert_true(v < 0x40000000u);
    fr_u8(f, (uint8_t)(0x80 | v >> 24));
    fr_u8(f, (uint8_t)(v >> 16));
    fr_u8(f, (uint8_t)(v >> 8));
    fr_u8(f, (uint8_t)v);
}

static void fr_hex(struct frames *f, const char *hex)
{
    struct tu_bytes b = tu_hex(hex);
    for (size_t i = 0; i < b.n; i++)
        fr_u8(f, b.p[i]);
    tu_bytes_free(&b);
}

static void fr_crypto(struct frames *f, const struct tu_bytes *msg, size_t from, size_t to)
{
    fr_u8(f, 0x06);
    fr_varint4(f, (uint32_t)from);
    fr_varint4(f, (uint32_t)(to - from));
    for (size_t i = from; i < to; i++)
        fr_u8(f, msg->p[i]);
}

static void fr_padding(struct frames *f, size_t k)
{
    for (size_t i = 0; i < k; i++)
        fr_u8(f, 0);
}

/* Client Initials of one connection: keys from DCID 0001020304050607. */
#define CLIENT_CID "0001020304050607"

static size_t client_packet(const struct frames *f, const char *dcid, uint64_t pn, uint8_t *out)
{
    struct initial_spec ps = {1, dcid, "aabbccdd", CLIENT_CID, 0, pn};
    return protect_initial(&ps, f->b, f->n, out);
}

/* The ClientHello message (4-byte header and body) of a real Chrome hello. */
static struct tu_bytes chrome_ch_message(void)
{
    struct tu_bytes rec = tu_hex(FX_CHROME_CH), msg;
    msg.n = rec.n - 5;
    msg.p = malloc(msg.n);
    assert_non_null(msg.p);
    memcpy(msg.p, rec.p + 5, msg.n);
    tu_bytes_free(&rec);
    return msg;
}

static void feed_bytes(struct quic_state *qs, int dir, const uint8_t *p, size_t n,
                       struct recorder *r)
{
    quic_datagram(qs, dir, span_make(p, n), 0, &rec_sink, r);
}

static void assert_one_hello(const struct recorder *r, const struct tu_bytes *msg)
{
    assert_int_equal(r->n, 1);
    assert_int_equal(r->type[0], msg->p[0]);
    assert_body(&r->body[0], msg->p + 4, msg->n - 4);
}

/* ---- a ClientHello over several Initials ------------------------------------------- */

/* Two datagrams, in order and reversed, cut at every byte. The second
 * Initial goes to the server's chosen CID (the client switches after the
 * server's first Initial, RFC 9000 section 7.2) but keeps the keys of the
 * first DCID (RFC 9001 section 5.2). */
static void test_split_every_offset(void **state)
{
    (void)state;
    struct tu_bytes msg = chrome_ch_message();
    static uint8_t p1[PKT_MAX], p2[PKT_MAX];
    for (size_t cut = 1; cut < msg.n; cut++) {
        for (int reversed = 0; reversed < 2; reversed++) {
            struct frames f1 = {.n = 0}, f2 = {.n = 0};
            struct recorder r = {0};
            struct quic_state *qs = quic_state_new();
            fr_crypto(&f1, &msg, 0, cut);
            fr_padding(&f1, 20);
            fr_crypto(&f2, &msg, cut, msg.n);
            fr_padding(&f2, 20);
            size_t n1 = client_packet(&f1, CLIENT_CID, 0, p1);
            size_t n2 = client_packet(&f2, "f0f1f2f3f4f5f6f7f8f9", 1, p2);
            if (reversed) {
                /* The second part alone cannot be opened before keys are known. */
                feed_bytes(qs, 0, p2, n2, &r);
                feed_bytes(qs, 0, p1, n1, &r);
                feed_bytes(qs, 0, p2, n2, &r);
            } else {
                feed_bytes(qs, 0, p1, n1, &r);
                feed_bytes(qs, 0, p2, n2, &r);
            }
            assert_one_hello(&r, &msg);
            quic_state_free(qs);
            rec_free(&r);
        }
    }
    tu_bytes_free(&msg);
}

/* Chrome-style: the hello cut into many CRYPTO frames, shuffled inside one
 * packet, with duplicates, overlaps, PING and PADDING between them. */
static void test_shuffled_frames_one_packet(void **state)
{
    (void)state;
    struct tu_bytes msg = chrome_ch_message();
    static uint8_t pkt[PKT_MAX];
    struct frames f = {.n = 0};
    struct recorder r = {0};
    size_t cuts[] = {0, 37, 100, 101, 250, 333, 400, 480, msg.n};
    int order[] = {5, 2, 7, 0, 3, 6, 1, 4};
    for (size_t i = 0; i < 8; i++) {
        int k = order[i];
        fr_crypto(&f, &msg, cuts[k], cuts[k + 1]);
        fr_hex(&f, i % 2 ? "01" : "000000");
    }
    fr_crypto(&f, &msg, 90, 260); /* overlaps three fragments */
    fr_crypto(&f, &msg, 0, 37);   /* a duplicate */
    fr_padding(&f, 30);
    struct quic_state *qs = quic_state_new();
    feed_bytes(qs, 0, pkt, client_packet(&f, CLIENT_CID, 0, pkt), &r);
    assert_one_hello(&r, &msg);
    quic_state_free(qs);
    rec_free(&r);
    tu_bytes_free(&msg);
}

/* Retransmissions that overlap what was handed on (RFC 9000 section 19.6:
 * the same bytes at the same offsets) are trimmed; packet numbers past a
 * 2-byte wrap are reconstructed (RFC 9000 appendix A.3). */
static void test_overlaps_and_packet_numbers(void **state)
{
    (void)state;
    struct tu_bytes msg = chrome_ch_message();
    static uint8_t pkt[PKT_MAX];
    struct recorder r = {0};
    size_t from[] = {0, 50, 40, 250}, to[] = {100, 300, 60, msg.n};
    uint64_t pn[] = {65530, 65540, 65541, 65600};
    struct quic_state *qs = quic_state_new();
    for (int i = 0; i < 4; i++) {
        struct frames f = {.n = 0};
        fr_crypto(&f, &msg, from[i], to[i]);
        fr_padding(&f, 20);
        feed_bytes(qs, 0, pkt, client_packet(&f, CLIENT_CID, pn[i], pkt), &r);
    }
    assert_one_hello(&r, &msg);
    assert_int_equal(quic_stats.decrypted, 4);
    quic_state_free(qs);
    rec_free(&r);
    tu_bytes_free(&msg);
}

/* Three Initials coalesced in one datagram (RFC 9000 section 12.2) in the
 * wrong order, a Handshake packet after them, then zero padding; a second
 * datagram retransmits everything. */
static void test_coalesced_with_padding(void **state)
{
    (void)state;
    struct tu_bytes msg = chrome_ch_message();
    static uint8_t dg[3 * PKT_MAX];
    size_t n = 0;
    size_t cuts[] = {0, 200, 400, msg.n};
    int order[] = {2, 0, 1};
    for (int i = 0; i < 3; i++) {
        struct frames f = {.n = 0};
        fr_crypto(&f, &msg, cuts[order[i]], cuts[order[i] + 1]);
        n += client_packet(&f, CLIENT_CID, (uint64_t)i, dg + n);
    }
    /* Handshake packet: type 2, DCID, SCID, Length 20, 20 opaque bytes. */
    struct tu_bytes hs = tu_hex("e10000000108000102030405060704aabbccdd14"
                                "0102030405060708090a0b0c0d0e0f1011121314");
    memcpy(dg + n, hs.p, hs.n);
    n += hs.n;
    memset(dg + n, 0, 300);
    n += 300;
    struct recorder r = {0};
    struct quic_state *qs = quic_state_new();
    feed_bytes(qs, 0, dg, n, &r);
    assert_one_hello(&r, &msg);
    assert_int_equal(quic_stats.coalesced, 3);
    assert_int_equal(quic_stats.decrypted, 3);
    feed_bytes(qs, 0, dg, n, &r);
    assert_int_equal(r.n, 1);
    quic_state_free(qs);
    rec_free(&r);
    tu_bytes_free(&hs);
    tu_bytes_free(&msg);
}

/* PING, ACK with ranges and ECN counts (RFC 9000 section 19.3) and both
 * CONNECTION_CLOSE forms (19.19) are skipped; a frame not allowed in an
 * Initial (STREAM, 0x08) ends the packet. */
static void test_frames_skipped(void **state)
{
    (void)state;
    struct tu_bytes msg = chrome_ch_message();
    static uint8_t pkt[PKT_MAX];
    struct recorder r = {0};
    struct frames f = {.n = 0};
    fr_hex(&f, "01");
    fr_hex(&f, "03 4005 00 02 01 02 03 04 05 0a 0b 4001"); /* ACK_ECN, two ranges */
    fr_hex(&f, "1c 0a 06 03 616263");                      /* CONNECTION_CLOSE, reason "abc" */
    fr_hex(&f, "1d 0a 00");
    fr_crypto(&f, &msg, 0, msg.n);
    struct quic_state *qs = quic_state_new();
    feed_bytes(qs, 0, pkt, client_packet(&f, CLIENT_CID, 0, pkt), &r);
    assert_one_hello(&r, &msg);
    quic_state_free(qs);
    rec_free(&r);

    struct frames g = {.n = 0};
    fr_hex(&g, "08 00 00");
    fr_crypto(&g, &msg, 0, msg.n);
    qs = quic_state_new();
    feed_bytes(qs, 0, pkt, client_packet(&g, CLIENT_CID, 0, pkt), &r);
    assert_int_equal(r.n, 0);
    assert_int_equal(quic_stats.decrypted, 2);
    quic_state_free(qs);
    tu_bytes_free(&msg);
}

/* CRYPTO bytes past QUIC_CRYPTO_MAX are dropped and counted. */
static void test_crypto_bound(void **state)
{
    (void)state;
    static uint8_t pkt[PKT_MAX];
    struct recorder r = {0};
    struct frames f = {.n = 0};
    fr_hex(&f, "06 80010000 4064"); /* offset 65536, 100 bytes */
    fr_padding(&f, 100);
    fr_hex(&f, "06 8000fffa 4064"); /* offset 65530: 6 kept, 94 dropped */
    fr_padding(&f, 100);
    struct quic_state *qs = quic_state_new();
    feed_bytes(qs, 0, pkt, client_packet(&f, CLIENT_CID, 0, pkt), &r);
    assert_int_equal(quic_stats.decrypted, 1);
    assert_int_equal(quic_stats.crypto_bytes_dropped, 194);
    assert_int_equal(r.n, 0);

    /* Regression (found by fuzzing): a buffered fragment, then empty and
     * non-empty frames at offsets past 2^32 and near 2^62, then another
     * buffered fragment. */
    struct frames g = {.n = 0};
    fr_hex(&g, "06 06 06 010203040506");
    fr_hex(&g, "06 c0000000ffffff54 00");
    fr_hex(&g, "06 c0000000ffffff54 03 010203");
    fr_hex(&g, "06 ffffffffffffffff 02 0102");
    fr_hex(&g, "06 4100 03 010203");
    feed_bytes(qs, 0, pkt, client_packet(&g, CLIENT_CID, 1, pkt), &r);
    assert_int_equal(quic_stats.decrypted, 2);
    assert_int_equal(quic_stats.crypto_bytes_dropped, 194 + 5);
    assert_int_equal(r.n, 0);
    quic_state_free(qs);
}

/* The budget's cap is global: a test that changes it puts it back even
 * when it fails half-way. */
static uint64_t saved_cap;
static int save_budget(void **state)
{
    saved_cap = tls_stream_budget.cap;
    return reset_stats(state);
}
static int restore_budget(void **state)
{
    (void)state;
    tls_stream_budget.cap = saved_cap;
    return 0;
}

/* One client Initial carrying msg[from, to) as one CRYPTO frame. */
static void feed_crypto(struct quic_state *qs, const struct tu_bytes *msg, size_t from, size_t to,
                        uint64_t pn, struct recorder *r)
{
    static uint8_t pkt[PKT_MAX];
    struct frames f = {.n = 0};
    fr_crypto(&f, msg, from, to);
    fr_padding(&f, 20);
    feed_bytes(qs, 0, pkt, client_packet(&f, CLIENT_CID, pn, pkt), r);
}

/* The buffer for CRYPTO bytes beyond a gap (4096 bytes and a 512-byte map
 * for a hello this size) is taken from the global hello budget
 * (--max-reassembly-mb). Refused: the bytes are dropped, the refusal counted
 * once for the stream, nothing held. With room: held until the state is
 * freed, then given back, even when only part of it could be taken. */
static void test_crypto_budget(void **state)
{
    (void)state;
    struct tu_bytes msg = chrome_ch_message();
    struct recorder r = {0};
    uint64_t refused = tls_stream_budget.refused;
    assert_int_equal(tls_stream_budget.held, 0);
    assert_true(msg.n > 300 && msg.n < 2000);

    /* Room for the in-order hello buffer of the tls_stream, not for the
     * out-of-order one. */
    tls_stream_budget.cap = 2000;
    struct quic_state *qs = quic_state_new();
    feed_crypto(qs, &msg, 200, msg.n, 0, &r);
    feed_crypto(qs, &msg, 100, 200, 1, &r);
    assert_int_equal(tls_stream_budget.refused - refused, 1);
    assert_int_equal(quic_stats.crypto_bytes_dropped, msg.n - 100);
    assert_int_equal(tls_stream_budget.held, 0);
    feed_crypto(qs, &msg, 0, 100, 2, &r);
    assert_int_equal(r.n, 0);                            /* the rest was dropped */
    assert_int_equal(tls_stream_budget.held, msg.n - 4); /* the tls_stream's buffer */
    quic_state_free(qs);
    assert_int_equal(tls_stream_budget.held, 0);

    /* With room: the hello comes out whole; the buffers are held until the
     * state is freed. */
    tls_stream_budget.cap = 1 << 20;
    qs = quic_state_new();
    feed_crypto(qs, &msg, 200, msg.n, 0, &r);
    assert_int_equal(tls_stream_budget.held, 4096 + 512);
    feed_crypto(qs, &msg, 0, 200, 1, &r);
    assert_one_hello(&r, &msg);
    quic_state_free(qs);
    assert_int_equal(tls_stream_budget.held, 0);
    assert_int_equal(tls_stream_budget.refused - refused, 1);

    /* Room for the bytes but not for their map: what was taken is given back
     * with the state. */
    tls_stream_budget.cap = 4096;
    qs = quic_state_new();
    feed_crypto(qs, &msg, 200, msg.n, 0, &r);
    assert_int_equal(tls_stream_budget.held, 4096);
    assert_int_equal(tls_stream_budget.refused - refused, 2);
    quic_state_free(qs);
    assert_int_equal(tls_stream_budget.held, 0);
    rec_free(&r);
    tu_bytes_free(&msg);
}

/* ---- Retry, Version Negotiation, new connections ------------------------------------ */

/* RFC 9001 / 9369 A.4: the Retry's SCID (f067a5502a4262b5) is the client's
 * next DCID, and both sides' keys derive from it from then on. The client
 * resends its ClientHello, which is not handed on twice. */
static void check_retry(const struct rfc_vectors *v)
{
    struct recorder r = {0};
    static uint8_t pkt[PKT_MAX];
    struct tu_bytes crypto = tu_hex(v->client_crypto), sframes = tu_hex(v->server_frames);
    struct quic_state *qs = quic_state_new();
    feed_hex(qs, 0, v->client_initial, &r);
    feed_hex(qs, 1, v->retry, &r);
    assert_int_equal(quic_stats.retry, 1);
    assert_int_equal(r.n, 1);

    struct frames f = {.n = 0};
    for (size_t i = 0; i < crypto.n; i++)
        fr_u8(&f, crypto.p[i]);
    fr_padding(&f, 100);
    struct initial_spec c = {v->version, "f067a5502a4262b5", "", "f067a5502a4262b5", 0, 3};
    feed_bytes(qs, 0, pkt, protect_initial(&c, f.b, f.n, pkt), &r);
    assert_int_equal(r.n, 1); /* the same ClientHello */

    struct initial_spec s = {v->version, "", "0b0b0b0b", "f067a5502a4262b5", 1, 0};
    feed_bytes(qs, 1, pkt, protect_initial(&s, sframes.p, sframes.n, pkt), &r);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.type[1], TLS_HS_SERVER_HELLO);
    assert_body(&r.body[1], sframes.p + SH_BODY_AT, sframes.n - SH_BODY_AT);
    assert_int_equal(quic_stats.decrypt_failed, 0);
    quic_state_free(qs);
    rec_free(&r);
    tu_bytes_free(&crypto);
    tu_bytes_free(&sframes);
}

static void test_retry(void **state)
{
    check_retry(&v1_vectors);
    reset_stats(state);
    check_retry(&v2_vectors);
}

/* The server answers version 1 with Version Negotiation; the client starts
 * over in version 2 on the same ports: a new CRYPTO stream. */
static void test_version_negotiation(void **state)
{
    (void)state;
    struct recorder r = {0};
    struct quic_state *qs = quic_state_new();
    feed_hex(qs, 0, V1_CLIENT_INITIAL, &r);
    feed_hex(qs, 1, "80 00000000 00 08 8394c8f03e515708 6b3343cf ff00001d", &r);
    assert_int_equal(quic_stats.version_negotiation, 1);
    assert_int_equal(quic_state_version(qs), 1);
    feed_hex(qs, 0, V2_CLIENT_INITIAL, &r);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.type[1], TLS_HS_CLIENT_HELLO);
    assert_int_equal(quic_state_version(qs), 0x6b3343cf);
    feed_hex(qs, 1, V2_SERVER_INITIAL, &r);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.type[2], TLS_HS_SERVER_HELLO);
    quic_state_free(qs);
    rec_free(&r);
}

/* Compatible version negotiation (RFC 9368): the client offers version 1,
 * the server answers in version 2 with keys from the client's first DCID
 * (RFC 9369 appendix A.3 is exactly such a packet). */
static void test_compatible_version_negotiation(void **state)
{
    (void)state;
    struct recorder r = {0};
    struct quic_state *qs = quic_state_new();
    feed_hex(qs, 0, V1_CLIENT_INITIAL, &r);
    feed_hex(qs, 1, V2_SERVER_INITIAL, &r);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.type[1], TLS_HS_SERVER_HELLO);
    assert_int_equal(quic_state_version(qs), 0x6b3343cf);
    assert_int_equal(quic_stats.decrypt_failed, 0);
    quic_state_free(qs);
    rec_free(&r);
}

/* A client Initial to a new DCID that the old keys do not open is a new
 * connection on the same ports: its hello is handed on too. */
static void test_new_connection_same_ports(void **state)
{
    (void)state;
    struct tu_bytes msg = chrome_ch_message();
    static uint8_t pkt[PKT_MAX];
    struct recorder r = {0};
    struct frames f = {.n = 0};
    fr_crypto(&f, &msg, 0, msg.n);
    struct quic_state *qs = quic_state_new();
    feed_hex(qs, 0, V1_CLIENT_INITIAL, &r);
    feed_bytes(qs, 0, pkt, client_packet(&f, CLIENT_CID, 0, pkt), &r);
    assert_int_equal(r.n, 2);
    assert_body(&r.body[1], msg.p + 4, msg.n - 4);
    /* The old connection's server Initial no longer opens. */
    feed_hex(qs, 1, V1_SERVER_INITIAL, &r);
    assert_int_equal(r.n, 2);
    assert_int_equal(quic_stats.decrypt_failed, 1);
    quic_state_free(qs);
    rec_free(&r);
    tu_bytes_free(&msg);
}

/* ---- small API ------------------------------------------------------------------------ */

static void test_short_header(void **state)
{
    (void)state;
    struct recorder r = {0};
    struct quic_state *qs = quic_state_new();
    feed_hex(qs, 1, "41 0102030405060708 aabbccdd", &r); /* before any long header */
    assert_int_equal(quic_short_header_seen(qs, 1), 0);
    feed_hex(qs, 0, V1_CLIENT_INITIAL, &r);
    feed_hex(qs, 1, "41 0102030405060708 aabbccdd", &r);
    assert_int_equal(quic_short_header_seen(qs, 1), 1);
    assert_int_equal(quic_short_header_seen(qs, 0), 0);
    assert_int_equal(quic_short_header_seen(qs, 2), 0);
    assert_int_equal(quic_short_header_seen(NULL, 0), 0);
    assert_int_equal(quic_state_version(NULL), 0);
    quic_state_free(qs);
    quic_state_free(NULL);
    rec_free(&r);
}

static int looks(const char *hex)
{
    struct tu_bytes b = tu_hex(hex);
    int v = quic_looks_like_long_header(tu_span(&b));
    tu_bytes_free(&b);
    return v;
}

static void test_looks_like_long_header(void **state)
{
    (void)state;
    assert_int_equal(looks(V1_CLIENT_INITIAL), 1);
    assert_int_equal(looks(V2_CLIENT_INITIAL), 1);
    assert_int_equal(looks("c0 ff00001d 08 0001020304050607 00 00 4100"), 1);
    assert_int_equal(looks("c0 0a1a2a3a 08 0001020304050607 00 00 4100"), 1);  /* reserved */
    assert_int_equal(looks("80 00000000 00 08 8394c8f03e515708 00000001"), 1); /* VN */
    assert_int_equal(looks("80 00000000 00 08 8394c8f03e515708 000001"), 0);
    assert_int_equal(looks("c0 12345678 08 0001020304050607 00 00 4100"), 0);
    assert_int_equal(looks("80 00000001 08 0001020304050607 00 00 4100"), 0); /* fixed bit */
    assert_int_equal(looks("c0 00000001 15 000102030405060708090a0b0c0d0e0f1011121314 00"), 0);
    assert_int_equal(looks("c0 00000001 08 00010203"), 0);
    assert_int_equal(looks("40 00000001 08 0001020304050607 00"), 0);
    assert_int_equal(looks(""), 0);
}

static void test_version_names(void **state)
{
    (void)state;
    assert_string_equal(quic_version_name(1), "1");
    assert_string_equal(quic_version_name(0x6b3343cf), "2");
    assert_string_equal(quic_version_name(0xff00001d), "draft-29");
    assert_string_equal(quic_version_name(0xff000022), "draft-34");
    assert_string_equal(quic_version_name(0xff000016), "draft-22");
    assert_string_equal(quic_version_name(0xfaceb001), "mvfst-22");
    assert_string_equal(quic_version_name(0xfaceb002), "mvfst-27");
    assert_string_equal(quic_version_name(0x54303530), "T050");
    assert_string_equal(quic_version_name(0x54303531), "T051");
    assert_null(quic_version_name(0xff000015)); /* draft-21: older header */
    assert_null(quic_version_name(0x0a0a0a0a));
    assert_null(quic_version_name(0x51303530)); /* Q050: no TLS */
    assert_null(quic_version_name(0));
}

/* ---- garbage --------------------------------------------------------------------------- */

/* Every prefix of the client Initial, then of a server datagram (Initial
 * and a coalesced Handshake packet): nothing before the whole Initial. */
static void test_every_prefix(void **state)
{
    (void)state;
    struct tu_bytes c = tu_hex(V1_CLIENT_INITIAL), s = tu_hex(V1_SERVER_INITIAL);
    struct tu_bytes hs = tu_hex("e1 00000001 00 08 f067a5502a4262b5 14"
                                "0102030405060708090a0b0c0d0e0f1011121314");
    uint8_t sdg[512];
    memcpy(sdg, s.p, s.n);
    memcpy(sdg + s.n, hs.p, hs.n);
    for (size_t k = 0; k <= c.n; k++) {
        struct recorder r = {0};
        struct quic_state *qs = quic_state_new();
        quic_datagram(qs, 0, span_make(c.p, k), 0, &rec_sink, &r);
        assert_int_equal(r.n, k == c.n);
        quic_state_free(qs);
        rec_free(&r);
    }
    for (size_t k = 0; k <= s.n + hs.n; k++) {
        struct recorder r = {0};
        struct quic_state *qs = quic_state_new();
        quic_datagram(qs, 0, tu_span(&c), 0, &rec_sink, &r);
        quic_datagram(qs, 1, span_make(sdg, k), 0, &rec_sink, &r);
        assert_int_equal(r.n, 1 + (k >= s.n));
        quic_state_free(qs);
        rec_free(&r);
    }
    tu_bytes_free(&c);
    tu_bytes_free(&s);
    tu_bytes_free(&hs);
}

/* Any changed bit of a protected Initial makes it fail authentication (or
 * not parse): nothing is handed on. */
static void test_bit_flips(void **state)
{
    (void)state;
    struct tu_bytes c = tu_hex(V1_CLIENT_INITIAL);
    for (size_t i = 0; i < c.n; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            struct recorder r = {0};
            struct quic_state *qs = quic_state_new();
            c.p[i] ^= (uint8_t)(1u << bit);
            quic_datagram(qs, 0, tu_span(&c), 0, &rec_sink, &r);
            c.p[i] ^= (uint8_t)(1u << bit);
            assert_int_equal(r.n, 0);
            quic_state_free(qs);
        }
    }
    tu_bytes_free(&c);
}

static uint32_t lcg(uint32_t *x)
{
    *x = *x * 1103515245u + 12345u;
    return *x >> 8;
}

/* Random datagrams that look like long headers of known versions (and
 * some short, VN and Retry ones) through one flow, both directions,
 * interleaved with real Initials so that keys exist. */
static void test_random_garbage(void **state)
{
    (void)state;
    static const uint32_t vers[] = {1,          0x6b3343cf, 0xff00001d, 0xfaceb002,
                                    0x54303531, 0x1a2a3a4a, 0};
    struct tu_bytes c = tu_hex(V1_CLIENT_INITIAL);
    static uint8_t dg[1500];
    uint32_t x = 12345;
    struct quic_state *qs = quic_state_new();
    for (int iter = 0; iter < 20000; iter++) {
        size_t n = lcg(&x) % sizeof(dg);
        for (size_t i = 0; i < n; i++)
            dg[i] = (uint8_t)lcg(&x);
        if (n > 6 && iter % 4 != 3) {
            uint32_t v = vers[lcg(&x) % (sizeof(vers) / sizeof(vers[0]))];
            dg[0] |= 0xc0;
            dg[1] = (uint8_t)(v >> 24);
            dg[2] = (uint8_t)(v >> 16);
            dg[3] = (uint8_t)(v >> 8);
            dg[4] = (uint8_t)v;
            dg[5] %= 24;
        }
        struct recorder r = {0};
        if (iter % 500 == 0)
            quic_datagram(qs, 0, tu_span(&c), 0, &rec_sink, &r);
        quic_datagram(qs, iter & 1, span_make(dg, n), 0, &rec_sink, &r);
        rec_free(&r);
    }
    quic_state_free(qs);
    tu_bytes_free(&c);
}

/* ---- corpus captures ------------------------------------------------------------------- */

enum { MAX_FLOWS = 256 };

struct capture_result {
    int client_hellos, server_hellos, unparsable;
    char sni[TLS_MAX_SNI + 1];
};

static void on_capture_handshake(void *ctx, int dir, uint8_t type, struct span body)
{
    struct capture_result *cr = ctx;
    static struct tls_client_hello ch;
    static struct tls_server_hello sh;
    (void)dir;
    if (type == TLS_HS_CLIENT_HELLO) {
        cr->client_hellos++;
        if (tls_parse_client_hello(body, &ch) != TLS_PARSE_OK)
            cr->unparsable++;
        else
            memcpy(cr->sni, ch.sni, sizeof(cr->sni));
    } else {
        cr->server_hellos++;
        if (tls_parse_server_hello(body, &sh) != TLS_PARSE_OK)
            cr->unparsable++;
    }
}

/* Every UDP datagram of a corpus capture (or, for a name with a '/', of
 * that file of the repository), per flow (the first sender is direction
 * 0), through quic_datagram; skipped when the corpus is absent. */
static int run_corpus_capture(const char *name, struct capture_result *cr)
{
    static const struct tls_stream_sink sink = {on_capture_handshake, NULL, NULL, NULL};
    char rel[256], path[1024];
    struct endpoint ep[MAX_FLOWS][2];
    struct quic_state *qs[MAX_FLOWS];
    struct tu_pcap pc;
    int nflows = 0;
    snprintf(rel, sizeof(rel), "%s%s", strchr(name, '/') ? "" : "../shared/corpus/ndpi/", name);
    memset(cr, 0, sizeof(*cr));
    if (!tu_find(rel, path, sizeof(path)))
        return 0;
    tu_pcap_load(rel, &pc);
    for (size_t i = 0; i < pc.n; i++) {
        struct packet_view pv;
        memset(&pv, 0, sizeof(pv));
        if (decode_packet(pc.linktype, pc.f[i].data, pc.f[i].caplen, pc.f[i].len, &pv) !=
                DECODE_OK ||
            pv.transport != TRANSPORT_UDP)
            continue;
        struct span pl = span_make(pv.payload, pv.payload_len);
        int f, dir = 0;
        for (f = 0; f < nflows; f++) {
            if (tu_endpoint_eq(&ep[f][0], &pv.src) && tu_endpoint_eq(&ep[f][1], &pv.dst))
                break;
            if (tu_endpoint_eq(&ep[f][1], &pv.src) && tu_endpoint_eq(&ep[f][0], &pv.dst)) {
                dir = 1;
                break;
            }
        }
        if (f == nflows) {
            if (!quic_looks_like_long_header(pl))
                continue;
            assert_true(nflows < MAX_FLOWS);
            ep[f][0] = pv.src;
            ep[f][1] = pv.dst;
            qs[f] = quic_state_new();
            nflows++;
        }
        quic_datagram(qs[f], dir, pl, pc.f[i].ts_us, &sink, cr);
    }
    for (int f = 0; f < nflows; f++)
        quic_state_free(qs[f]);
    tu_pcap_free(&pc);
    return 1;
}

#define RUN_CORPUS(name, cr)                                                                       \
    do {                                                                                           \
        if (!run_corpus_capture(name, cr)) {                                                       \
            print_message("[ SKIPPED ] corpus capture %s not found\n", name);                      \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

/* A ClientHello in two Initials of two datagrams (the second a
 * continuation at offset 1182). */
static void test_corpus_ch_in_multiple_packets(void **state)
{
    (void)state;
    struct capture_result cr;
    RUN_CORPUS("quic_frags_ch_in_multiple_packets.pcapng", &cr);
    assert_int_equal(cr.client_hellos, 1);
    assert_int_equal(cr.server_hellos, 1);
    assert_int_equal(cr.unparsable, 0);
}

/* 113 Chrome connections, each hello shuffled into many CRYPTO frames. */
static void test_corpus_out_of_order_craziness(void **state)
{
    (void)state;
    struct capture_result cr;
    RUN_CORPUS("quic_frags_ch_out_of_order_same_packet_craziness.pcapng", &cr);
    assert_int_equal(cr.client_hellos, 113);
    assert_int_equal(cr.unparsable, 0);
    assert_int_equal(quic_stats.decrypt_failed, 0);
}

/* The rest of the hello comes after the client switched to the server's
 * CID; it is opened with the first DCID's keys. */
static void test_corpus_different_dcid(void **state)
{
    (void)state;
    struct capture_result cr;
    RUN_CORPUS("quic_frags_different_dcid.pcapng", &cr);
    assert_int_equal(cr.client_hellos, 1);
    assert_string_equal(cr.sni, "cdnjs.cloudflare.com");
}

/* Google T051: Chromium's salt and gQUIC frames (CRYPTO 0x08, gQUIC ACK
 * before the server's CRYPTO). */
static void test_corpus_t051(void **state)
{
    (void)state;
    struct capture_result cr;
    RUN_CORPUS("quic_t51.pcap", &cr);
    assert_int_equal(cr.client_hellos, 1);
    assert_int_equal(cr.server_hellos, 1);
    assert_string_equal(cr.sni, "www.google.com");
    assert_int_equal(cr.unparsable, 0);
}

/* A reserved version (0xbabababa, version 1's salt), Version Negotiation,
 * version 1, Retry: both ClientHellos and the ServerHello. */
static void test_corpus_forcing_vn(void **state)
{
    (void)state;
    struct capture_result cr;
    RUN_CORPUS("quic-forcing-vn-with-data.pcapng", &cr);
    assert_int_equal(cr.client_hellos, 2);
    assert_int_equal(cr.server_hellos, 1);
    assert_int_equal(quic_stats.version_negotiation, 1);
    assert_int_equal(quic_stats.retry, 1);
    assert_int_equal(quic_stats.decrypt_failed, 0);
}

/* Two Retries; the client takes the first and discards the second (RFC
 * 9000 section 17.2.5.2: one Retry per attempt), so the server's Initials
 * use keys from the first Retry's SCID, not the second's. */
static void test_second_retry_discarded(void **state)
{
    (void)state;
    struct capture_result cr;
    RUN_CORPUS("tests/fixtures/suricata-verify/quic-retry-multiple.pcap", &cr);
    assert_int_equal(quic_stats.retry, 2);
    assert_int_equal(cr.client_hellos, 1); /* the repeats are one stream */
    assert_int_equal(cr.server_hellos, 1);
    assert_string_equal(cr.sni, "public-api.wordpress.com");
    assert_int_equal(quic_stats.decrypt_failed, 0);
    assert_int_equal(cr.unparsable, 0);
}

/* The client's Initials cut by the snap length (they cannot be opened);
 * the server's Initial is whole and is protected with keys from the cut
 * Initial's DCID: the ServerHello is read (tshark reads it too). */
static void test_client_initial_cut_by_snaplen(void **state)
{
    (void)state;
    struct capture_result cr;
    RUN_CORPUS("tests/fixtures/tcpdump/quic_handshake_truncated.pcap", &cr);
    assert_int_equal(cr.client_hellos, 0);
    assert_int_equal(cr.server_hellos, 1);
    assert_int_equal(cr.unparsable, 0);
    assert_int_equal(quic_stats.decrypted, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_keys_rfc9001, reset_stats),
        cmocka_unit_test_setup(test_keys_rfc9369, reset_stats),
        cmocka_unit_test_setup(test_keys_unknown_version, reset_stats),
        cmocka_unit_test_setup(test_rfc9001_initials, reset_stats),
        cmocka_unit_test_setup(test_rfc9369_initials, reset_stats),
        cmocka_unit_test_setup(test_server_initial_alone, reset_stats),
        cmocka_unit_test_setup(test_split_every_offset, reset_stats),
        cmocka_unit_test_setup(test_shuffled_frames_one_packet, reset_stats),
        cmocka_unit_test_setup(test_overlaps_and_packet_numbers, reset_stats),
        cmocka_unit_test_setup(test_coalesced_with_padding, reset_stats),
        cmocka_unit_test_setup(test_frames_skipped, reset_stats),
        cmocka_unit_test_setup(test_crypto_bound, reset_stats),
        cmocka_unit_test_setup_teardown(test_crypto_budget, save_budget, restore_budget),
        cmocka_unit_test_setup(test_retry, reset_stats),
        cmocka_unit_test_setup(test_second_retry_discarded, reset_stats),
        cmocka_unit_test_setup(test_client_initial_cut_by_snaplen, reset_stats),
        cmocka_unit_test_setup(test_version_negotiation, reset_stats),
        cmocka_unit_test_setup(test_compatible_version_negotiation, reset_stats),
        cmocka_unit_test_setup(test_new_connection_same_ports, reset_stats),
        cmocka_unit_test_setup(test_short_header, reset_stats),
        cmocka_unit_test_setup(test_looks_like_long_header, reset_stats),
        cmocka_unit_test_setup(test_version_names, reset_stats),
        cmocka_unit_test_setup(test_every_prefix, reset_stats),
        cmocka_unit_test_setup(test_bit_flips, reset_stats),
        cmocka_unit_test_setup(test_random_garbage, reset_stats),
        cmocka_unit_test_setup(test_corpus_ch_in_multiple_packets, reset_stats),
        cmocka_unit_test_setup(test_corpus_out_of_order_craziness, reset_stats),
        cmocka_unit_test_setup(test_corpus_different_dcid, reset_stats),
        cmocka_unit_test_setup(test_corpus_t051, reset_stats),
        cmocka_unit_test_setup(test_corpus_forcing_vn, reset_stats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
