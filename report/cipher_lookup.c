/* cipher_lookup.c: binary search in the generated cipher-suite table. */
#include "cipher_names.h"

#include <stddef.h>

const struct cipher_name *cipher_lookup(uint16_t value)
{
    unsigned lo = 0, hi = cipher_names_count;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (cipher_names[mid].value == value)
            return &cipher_names[mid];
        if (cipher_names[mid].value < value)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}
