/* cipher_names.h: IANA names of TLS cipher suites (table generated at build
 * time from shared/iana/tls-parameters-4.csv). */
#ifndef TLSMON_CIPHER_NAMES_H
#define TLSMON_CIPHER_NAMES_H

#include <stdint.h>

struct cipher_name {
    uint16_t value;
    uint8_t recommended; /* IANA "Recommended" = Y */
    uint8_t dtls_ok;
    const char *name;
};

extern const struct cipher_name cipher_names[]; /* sorted by value */
extern const unsigned cipher_names_count;

/* The registry entry of a suite, or NULL when it has no single-value name. */
const struct cipher_name *cipher_lookup(uint16_t value);

#endif
