/* test_source.c: reading a capture through capture/source.c, on the path a
 * large capture takes (a reader thread handing batches over): every frame
 * in order with its bytes, time and lengths; a stop after any frame; a cut
 * last record. The captures are made here, in memory, with fmemopen. */
#include "testutil.h"

#include "capture/source.h"

#define FRAMES 14000 /* x ~360 bytes: over the 4 MiB where the thread starts */

/* A pcap (microseconds, Ethernet) whose frame i is 60 + i % 600 bytes of
 * (i + k) & 0xff, with time 1000 + i seconds and i microseconds. */
static uint8_t *make_capture(size_t *size)
{
    size_t cap = 24 + (size_t)FRAMES * (16 + 660);
    uint8_t *b = malloc(cap), *p = b;
    assert_non_null(b);
    uint32_t hdr[6] = {0xa1b2c3d4, 2 | 4u << 16, 0, 0, 65535, 1};
    memcpy(p, hdr, 24);
    p += 24;
    for (uint32_t i = 0; i < FRAMES; i++) {
        uint32_t n = 60 + i % 600, rec[4] = {1000 + i, i, n, n + 4};
        memcpy(p, rec, 16);
        p += 16;
        for (uint32_t k = 0; k < n; k++)
            *p++ = (uint8_t)(i + k);
    }
    *size = (size_t)(p - b);
    return b;
}

struct seen {
    uint32_t n, bad;
    uint32_t stop_after;
    volatile int *stop;
};

static void on_frame(void *ctx, int linktype, const struct frame *fr)
{
    struct seen *s = ctx;
    uint32_t i = s->n++, want = 60 + i % 600;
    if (linktype != 1 || fr->caplen != want || fr->len != want + 4 ||
        fr->ts_us != (int64_t)(1000 + i) * 1000000 + i)
        s->bad++;
    for (uint32_t k = 0; k < fr->caplen; k++)
        if (fr->data[k] != (uint8_t)(i + k)) {
            s->bad++;
            break;
        }
    if (s->stop_after && s->n == s->stop_after)
        *s->stop = 1;
}

static enum source_status read_mem(uint8_t *b, size_t size, struct seen *s, char *err)
{
    volatile int stop = 0;
    s->stop = &stop;
    FILE *fp = fmemopen(b, size, "rb");
    assert_non_null(fp);
    return source_read_stream(fp, "mem.pcap", (long)size, NULL, on_frame, s, &stop, err, 256);
}

static void test_every_frame_in_order(void **state)
{
    (void)state;
    size_t size;
    uint8_t *b = make_capture(&size);
    assert_true(size > (4u << 20));
    struct seen s = {0};
    char err[256] = "";
    assert_int_equal(read_mem(b, size, &s, err), SOURCE_OK);
    assert_int_equal(s.n, FRAMES);
    assert_int_equal(s.bad, 0);
    free(b);
}

static void test_stop_after_any_frame(void **state)
{
    (void)state;
    size_t size;
    uint8_t *b = make_capture(&size);
    uint32_t at[] = {1, 2, 2999, 3000, 7777, FRAMES - 1};
    for (size_t i = 0; i < sizeof(at) / sizeof(*at); i++) {
        struct seen s = {.stop_after = at[i]};
        char err[256] = "";
        assert_int_equal(read_mem(b, size, &s, err), SOURCE_STOPPED);
        assert_int_equal(s.n, at[i]); /* nothing handed on after the stop */
        assert_int_equal(s.bad, 0);
    }
    free(b);
}

static void test_cut_last_record(void **state)
{
    (void)state;
    size_t size;
    uint8_t *b = make_capture(&size);
    struct seen s = {0};
    char err[256] = "";
    assert_int_equal(read_mem(b, size - 10, &s, err), SOURCE_TRUNCATED);
    assert_int_equal(s.n, FRAMES - 1); /* everything before it */
    assert_int_equal(s.bad, 0);
    assert_non_null(strstr(err, "mem.pcap: the last packet is cut short"));
    free(b);
}

/* The prepare stage: made in the reading thread from the frame alone,
 * found beside the same frame in fn. */
static void prepare_sum(void *ctx, int linktype, const struct frame *fr, void *out)
{
    (void)ctx, (void)linktype;
    uint32_t sum = 0;
    for (uint32_t k = 0; k < fr->caplen; k++)
        sum = sum * 31 + fr->data[k];
    uint32_t rec[3] = {sum, fr->caplen, (uint32_t)fr->ts_us};
    memcpy(out, rec, sizeof(rec));
}

static uint32_t prepared_bad;
static void on_prepared_frame(void *ctx, int linktype, const struct frame *fr)
{
    uint32_t rec[3], sum = 0;
    assert_non_null(fr->prep);
    memcpy(rec, fr->prep, sizeof(rec));
    for (uint32_t k = 0; k < fr->caplen; k++)
        sum = sum * 31 + fr->data[k];
    if (rec[0] != sum || rec[1] != fr->caplen || rec[2] != (uint32_t)fr->ts_us)
        prepared_bad++;
    on_frame(ctx, linktype, fr);
}

/* The prefetch hint names the frame PREFETCH_AHEAD after the one fn gets
 * next, by its prepared bytes and its data. */
static struct seen *hinted_seen;
static uint32_t hints, hints_wrong;
static void prefetch_check(void *ctx, const struct frame *fr)
{
    (void)ctx;
    uint32_t rec[3];
    memcpy(rec, fr->prep, sizeof(rec));
    uint32_t ahead = hinted_seen->n + PREFETCH_AHEAD;
    if (fr->caplen != rec[1] || fr->data[0] != (uint8_t)ahead || rec[1] != 60 + ahead % 600 ||
        rec[2] != (uint32_t)((int64_t)(1000 + ahead) * 1000000 + ahead))
        hints_wrong++;
    else
        hints++;
}

static void test_prepare_stage(void **state)
{
    (void)state;
    size_t size;
    uint8_t *b = make_capture(&size);
    struct seen s = {0};
    volatile int stop = 0;
    char err[256] = "";
    struct frame_prepare prep = {prepare_sum, NULL, 12, prefetch_check};
    hinted_seen = &s;
    FILE *fp = fmemopen(b, size, "rb");
    assert_non_null(fp);
    prepared_bad = 0;
    assert_int_equal(source_read_stream_prepared(fp, "mem.pcap", (long)size, NULL,
                                                 on_prepared_frame, &s, &prep, &stop, err, 256),
                     SOURCE_OK);
    assert_int_equal(s.n, FRAMES);
    assert_int_equal(s.bad, 0);
    assert_int_equal(prepared_bad, 0);
    /* Every frame but the last few of each batch was hinted. */
    assert_int_equal(hints_wrong, 0);
    assert_true(hints > FRAMES * 9 / 10);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_frame_in_order),
        cmocka_unit_test(test_stop_after_any_frame),
        cmocka_unit_test(test_cut_last_record),
        cmocka_unit_test(test_prepare_stage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
