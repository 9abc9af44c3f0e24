/* starttls_proto.h: the interface of one plaintext protocol machine
 * (dissect/starttls_*.c), used by plaintext.c. Internal to dissect/. */
#ifndef TLSMON_STARTTLS_PROTO_H
#define TLSMON_STARTTLS_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "plaintext.h"
#include "span.h"

struct starttls_proto {
    const char *name;   /* network.protocol */
    uint8_t line_based; /* input is one line at a time (no CR/LF) */
    uint8_t reportable; /* a session that stays plaintext is a finding */
    /* Line protocols: one line from the server / the client (no CR/LF). */
    void (*server_line)(struct plaintext *pt, const char *p, size_t n);
    void (*client_line)(struct plaintext *pt, const char *p, size_t n);
    /* Binary protocols: the bytes so far; returns how many were consumed.
     * An unconsumed tail (a message cut by the segment) comes again, with
     * the next bytes after it (bounded by PT_LINE_MAX). */
    size_t (*server_bytes)(struct plaintext *pt, const char *p, size_t n);
    size_t (*client_bytes)(struct plaintext *pt, const char *p, size_t n);
};

extern const struct starttls_proto starttls_smtp, starttls_lmtp, starttls_pop3, starttls_imap,
    starttls_ftp, starttls_nntp, starttls_sieve, starttls_xmpp, starttls_ldap, starttls_pgsql;

/* Recognisers for binary protocols (first client chunk). */
int starttls_ldap_detect(struct span s);
int starttls_pgsql_detect(const char *p, size_t n); /* SSLRequest or GSSENCRequest */

/* Case-insensitive "does the line start with this word". */
static inline int pt_starts(const char *p, size_t n, const char *word)
{
    size_t k = strlen(word);
    if (n < k)
        return 0;
    for (size_t i = 0; i < k; i++) {
        char a = p[i], b = word[i];
        if (a >= 'a' && a <= 'z')
            a = (char)(a - 32);
        if (b >= 'a' && b <= 'z')
            b = (char)(b - 32);
        if (a != b)
            return 0;
    }
    return 1;
}

/* Case-insensitive search: the word's offset, or -1. */
static inline long pt_find(const char *p, size_t n, const char *word)
{
    size_t k = strlen(word);
    for (size_t i = 0; i + k <= n; i++)
        if (pt_starts(p + i, n - i, word))
            return (long)i;
    return -1;
}

static inline int pt_contains(const char *p, size_t n, const char *word)
{
    return pt_find(p, n, word) >= 0;
}

/* A three-digit reply code (SMTP, FTP, NNTP): its value, or -1. */
static inline int pt_reply_code(const char *p, size_t n)
{
    if (n < 3 || p[0] < '1' || p[0] > '5' || p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9')
        return -1;
    return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

/* Is this the last line of a reply ("250 ok", not "250-more")? */
static inline int pt_reply_final(const char *p, size_t n)
{
    return n == 3 || (n > 3 && p[3] != '-');
}

#endif
