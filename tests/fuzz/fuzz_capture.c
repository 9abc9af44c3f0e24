/* Fuzz target: a whole capture file (pcap or pcapng bytes) opened from
 * memory with fmemopen + pcap_fopen_offline, through the whole pipeline.
 * The engine is made once (nDPI's start-up is costly) and keeps its flow
 * table across inputs, as a long live run would. */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "capture/source.h"
#include "engine.h"

static struct engine *engine;

static void cleanup(void)
{
    engine_free(engine);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[PCAP_ERRBUF_SIZE];
    if (!engine) {
        struct engine_options opt = {4096, 60 * 1000000LL, "/dev/null", NULL};
        engine = engine_new(&opt, err, sizeof(err));
        if (!engine)
            abort();
        atexit(cleanup);
    }
    if (size == 0)
        return 0;
    FILE *f = fmemopen((void *)data, size, "rb");
    if (!f)
        return 0;
    /* The real reading path: libpcap on a stream, then the pipeline. */
    source_read_stream(f, "fuzz", (long)size, NULL, engine_frame, engine, NULL, err, sizeof(err));
    return 0;
}
