/* Fuzz target: handshake-log lines into the readiness report (a log can
 * come from anywhere: other sensors, edited files), then every format. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/readiness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    struct readiness *r = readiness_new(NULL, err, sizeof(err));
    if (!r)
        abort();
    /* Lines are the input's newline-separated pieces. */
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        readiness_add_json_line(r, p, len);
        p += len + 1;
    }
    FILE *out = fopen("/dev/null", "w");
    if (out) {
        for (int f = READINESS_TEXT; f <= READINESS_HTML; f++)
            readiness_write(r, (enum readiness_format)f, out, 0);
        fclose(out);
    }
    readiness_free(r);
    return 0;
}
