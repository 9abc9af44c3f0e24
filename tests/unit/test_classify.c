/* test_classify.c: which flows go to nDPI (dissect/classify.c). A flow that
 * opens with a plain HTTP/1.x request is named without nDPI; a CONNECT
 * request (a TLS tunnel follows) and anything else still go to nDPI. */
#include "testutil.h"

#include "capture/decode.h"
#include "dissect/classify.h"

#define LINKTYPE_RAW 101

/* An IPv4/TCP packet 10.0.0.1:40000 -> 10.0.0.2:80 carrying text. */
static size_t tcp_packet(uint8_t *b, const char *text)
{
    size_t n = strlen(text), tot = 40 + n;
    memset(b, 0, 40);
    b[0] = 0x45;
    b[2] = (uint8_t)(tot >> 8), b[3] = (uint8_t)tot;
    b[8] = 64, b[9] = 6;
    b[12] = 10, b[15] = 1, b[16] = 10, b[19] = 2;
    b[20] = 40000 >> 8, b[21] = 40000 & 0xff, b[23] = 80;
    b[32] = 0x50, b[33] = 0x18; /* data offset 5, PSH ACK */
    memcpy(b + 40, text, n);
    return tot;
}

/* Classify one packet of a fresh flow; returns whether nDPI was asked. */
static int asked_ndpi(struct classifier *c, const char *text, struct classify_state *cs)
{
    uint8_t b[512];
    struct packet_view pv;
    size_t n = tcp_packet(b, text);
    assert_int_equal(decode_packet(LINKTYPE_RAW, b, (uint32_t)n, (uint32_t)n, &pv), DECODE_OK);
    memset(cs, 0, sizeof(*cs));
    uint64_t flows = classify_stats.flows, http = classify_stats.http_by_tlsmon;
    classify_packet(c, cs, &pv);
    int asked = classify_stats.flows == flows + 1;
    assert_int_equal(classify_stats.http_by_tlsmon, http + !asked);
    classify_release(c, cs);
    return asked;
}

static void test_plain_http_named_without_ndpi(void **state)
{
    char err[256];
    struct classifier *c = classifier_new(err, sizeof(err));
    assert_non_null(c);
    (void)state;
    struct classify_state cs;
    assert_false(asked_ndpi(c, "GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n", &cs));
    assert_true(cs.by_host); /* named at settle like a skipped flow */
    assert_false(asked_ndpi(c, "POST /api HTTP/1.0\r\n", &cs));
    assert_false(asked_ndpi(c, "HEAD / HTTP/1.1", &cs)); /* line cut by the segment */
    /* A tunnel, another version, no version, other protocols: nDPI. */
    assert_true(asked_ndpi(c, "CONNECT example.com:443 HTTP/1.1\r\n\r\n", &cs));
    assert_true(asked_ndpi(c, "GET /\r\n", &cs));
    assert_true(asked_ndpi(c, "GET / HTTP/2.0\r\n", &cs));
    assert_true(asked_ndpi(c, "GET /\r\nx HTTP/1.1\r\n", &cs)); /* version not on line 1 */
    assert_true(asked_ndpi(c, "EHLO mail.example.com\r\n", &cs));
    assert_true(asked_ndpi(c, "GETX / HTTP/1.1\r\n", &cs));
    classifier_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_http_named_without_ndpi),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
