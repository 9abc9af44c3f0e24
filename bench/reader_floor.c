/* reader_floor.c: tlsmon's reading stage alone, for `make bench`. Reads a
 * capture through source_read_file_prepared exactly as tlsmon does (its own
 * thread, frames copied into batches, each frame's facts made there from a
 * flow table's hash key) and hands the frames to a consumer that only counts
 * them. Its wall time is the least tlsmon's can be while the dissection runs
 * beside the reading: what the reading stage costs above the null loop is
 * the part of the gap the dissection cannot hide. */
#include <stdio.h>

#include "../capture/facts.h"
#include "../capture/flow_table.h"
#include "../capture/source.h"

struct counts {
    unsigned long long packets, bytes;
};

static void count_frame(void *ctx, int linktype, const struct frame *fr)
{
    (void)linktype;
    struct counts *c = ctx;
    c->packets++;
    c->bytes += fr->caplen;
}

static void make_facts(void *ctx, int linktype, const struct frame *fr, void *out)
{
    frame_facts_make(ctx, linktype, fr->data, fr->caplen, fr->len, out);
}

int main(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: reader_floor FILE\n");
        return 2;
    }
    struct flow_table *t = flow_table_new(1024, NULL, NULL);
    if (!t) {
        fprintf(stderr, "reader_floor: out of memory\n");
        return 1;
    }
    struct frame_prepare prep = {make_facts, t, sizeof(struct frame_facts), NULL};
    struct counts c = {0, 0};
    char err[512];
    enum source_status st =
        source_read_file_prepared(argv[1], NULL, count_frame, &c, &prep, NULL, err, sizeof(err));
    flow_table_free(t);
    if (st != SOURCE_OK) {
        fprintf(stderr, "reader_floor: %s\n", err);
        return 1;
    }
    printf("%llu packets, %llu bytes\n", c.packets, c.bytes);
    return 0;
}
