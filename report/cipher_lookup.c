/* cipher_lookup.c: the generated cipher-suite table, indexed by value.
 *
 * A handshake record names every suite the client offers (~30), so the
 * lookup is on the hot path of the log: a direct index of 64 Ki slots
 * (128 KiB of zeroed memory, of which only the pages of assigned values are
 * ever written) replaces a binary search. */
#include "cipher_names.h"

#include <stddef.h>

static uint16_t slot_of_value[65536]; /* index + 1 into cipher_names, 0 none */
static int index_built;

static void build_index(void)
{
    for (unsigned i = 0; i < cipher_names_count; i++)
        slot_of_value[cipher_names[i].value] = (uint16_t)(i + 1);
    index_built = 1;
}

const struct cipher_name *cipher_lookup(uint16_t value)
{
    if (!index_built)
        build_index();
    unsigned s = slot_of_value[value];
    return s ? &cipher_names[s - 1] : NULL;
}
