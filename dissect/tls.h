/* tls.h: what tlsmon learns from TLS hellos, and the parsers that learn it.
 *
 * The structs below are the facts dissect/ hands to report/. They hold copies
 * of the few fields that are logged (bounded arrays; overflow sets
 * `truncated`), never pointers into packet buffers.
 */
#ifndef TLSMON_TLS_H
#define TLSMON_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "span.h"

/* Bounds on what is kept per hello. A legal hello can exceed them (a
 * ClientHello may list 32767 suites); then the list is cut, `truncated` is
 * set, and fingerprints that need the whole list are left out. */
#define TLS_MAX_CIPHERS 512
#define TLS_MAX_EXTENSIONS 128
#define TLS_MAX_GROUPS 128
#define TLS_MAX_POINT_FORMATS 16
#define TLS_MAX_SIGALGS 128
#define TLS_MAX_VERSIONS 32
#define TLS_MAX_SNI 255
#define TLS_MAX_ALPN_BYTES 255 /* wire-format ALPN list (len-prefixed names) */

/* Record content types (RFC 8446 section 5.1). */
enum {
    TLS_CT_CHANGE_CIPHER_SPEC = 20,
    TLS_CT_ALERT = 21,
    TLS_CT_HANDSHAKE = 22,
    TLS_CT_APPLICATION_DATA = 23,
    /* Not a TLS type: how tls_stream reports an SSLv2 record (which has
     * none) after an SSLv2 SERVER-HELLO. */
    TLS_CT_SSLV2 = 0,
};

/* Handshake types used here (RFC 8446 section 4). */
enum {
    TLS_HS_CLIENT_HELLO = 1,
    TLS_HS_SERVER_HELLO = 2,
    /* SSLv2 message types (RFC 6101 appendix E; the SSL 2.0 draft of 1995). */
    TLS_SSLV2_ERROR = 0,
    TLS_SSLV2_SERVER_HELLO = 4,
};

/* Extension types (IANA TLS ExtensionType Values). */
enum {
    TLS_EXT_SERVER_NAME = 0,
    TLS_EXT_SUPPORTED_GROUPS = 10,
    TLS_EXT_EC_POINT_FORMATS = 11,
    TLS_EXT_SIGNATURE_ALGORITHMS = 13,
    TLS_EXT_ALPN = 16,
    TLS_EXT_PRE_SHARED_KEY = 41,
    TLS_EXT_SUPPORTED_VERSIONS = 43,
    TLS_EXT_KEY_SHARE = 51,
};

/* GREASE values (RFC 8701): 0x?A?A with both bytes equal. */
static inline int tls_is_grease(uint16_t v)
{
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

struct tls_client_hello {
    uint16_t record_version;
    uint16_t legacy_version; /* client_version */
    uint8_t sslv2_format;    /* SSLv2-compatible ClientHello (no extensions) */
    uint8_t dtls;            /* DTLS ClientHello */
    uint8_t cookie_len;      /* DTLS cookie length (0: none) */
    uint8_t truncated;       /* some list was longer than kept */
    uint8_t names_truncated; /* SNI or ALPN list longer than kept (neither JA3
                                nor JA4 needs more than was kept) */
    uint8_t trailing_bytes;  /* stray bytes after the last extension */
    uint8_t session_id_len;
    uint8_t has_supported_versions;
    uint8_t has_sni;
    uint8_t has_alpn;
    uint8_t has_psk;
    uint8_t sni_len;
    uint8_t random[32];
    uint8_t session_id[32];
    uint16_t n_ciphers, n_extensions, n_groups, n_sigalgs, n_versions, n_key_shares;
    uint8_t n_point_formats;
    uint8_t alpn_len; /* bytes of wire-format ALPN list kept in alpn[] */
    uint16_t ciphers[TLS_MAX_CIPHERS];
    uint16_t extensions[TLS_MAX_EXTENSIONS];
    uint16_t groups[TLS_MAX_GROUPS];
    uint16_t sigalgs[TLS_MAX_SIGALGS];
    uint16_t versions[TLS_MAX_VERSIONS]; /* supported_versions, wire order */
    uint16_t key_shares[TLS_MAX_GROUPS]; /* key_share groups offered */
    uint8_t point_formats[TLS_MAX_POINT_FORMATS];
    char sni[TLS_MAX_SNI + 1];
    uint8_t alpn[TLS_MAX_ALPN_BYTES];
};

struct tls_server_hello {
    uint16_t legacy_version;   /* server_version */
    uint16_t selected_version; /* supported_versions, 0 when absent */
    uint16_t cipher;
    uint16_t key_share_group; /* 0 when absent */
    uint8_t compression;
    uint8_t is_hrr; /* HelloRetryRequest (RFC 8446 section 4.1.3 random) */
    uint8_t has_psk;
    uint8_t truncated;
    uint8_t session_id_len;
    uint8_t alpn_len;             /* selected protocol name */
    uint8_t trailing_bytes;       /* stray bytes after the last extension */
    uint8_t sslv2_format;         /* an SSLv2 SERVER-HELLO: no suite, no extensions */
    uint8_t sslv2_session_id_hit; /* its SESSION-ID-HIT: the session resumed */
    uint16_t n_extensions;
    uint8_t random[32];
    uint8_t session_id[32];
    uint16_t extensions[TLS_MAX_EXTENSIONS];
    char alpn[TLS_MAX_ALPN_BYTES + 1];
};

/* Parse results. TLS_PARSE_BAD: the bytes are not a valid hello. */
enum tls_parse_result { TLS_PARSE_OK = 0, TLS_PARSE_BAD = -1 };

/* Parse a ClientHello body (after the 4-byte handshake header). */
int tls_parse_client_hello(struct span body, struct tls_client_hello *ch);

/* Parse a DTLS ClientHello body (RFC 6347 section 4.2.1: a cookie follows
 * the session id). */
int tls_parse_client_hello_dtls(struct span body, struct tls_client_hello *ch);

/* Parse a ServerHello body (after the 4-byte handshake header). */
int tls_parse_server_hello(struct span body, struct tls_server_hello *sh);

/* Parse an SSLv2-format ClientHello message body: the bytes after the 2-byte
 * record length, starting at msg_type (RFC 6101 appendix E.2). */
int tls_parse_sslv2_client_hello(struct span msg, struct tls_client_hello *ch);

/* Parse an SSLv2 SERVER-HELLO message (from msg_type on), the answer of a
 * server that speaks SSL 2.0 itself: version 0x0002, the connection id in
 * random (right-aligned, as the challenge), no cipher suite (SSL 2.0's
 * 3-byte cipher kinds have no TLS number; the client picks one later). */
int tls_parse_sslv2_server_hello(struct span msg, struct tls_server_hello *sh);

/* Does this look like the start of an SSLv2 record holding a ClientHello
 * (CLIENT-HELLO, or a TLS client's SSLv2-compatible hello) or an SSL 2.0
 * SERVER-HELLO? Needs at least 5 bytes; returns the record's message
 * length or 0. */
size_t tls_sslv2_hello_record_len(struct span s);

/* Does this look like a TLS record header (type 20..23, version 3.x)? */
int tls_looks_like_record(struct span s);

/* The highest version the client offered: largest non-GREASE entry of
 * supported_versions when present, else legacy_version. */
uint16_t tls_client_max_version(const struct tls_client_hello *ch);

/* TLS 1.3 as the RFC numbers it (0x0304) or as one of its drafts did
 * (0x7fNN, draft NN), which browsers and servers deployed in 2016-2018. */
static inline int tls_version_is_13(uint16_t v)
{
    return v == 0x0304 || (v >> 8) == 0x7f;
}

/* A ServerHello of a TLS 1.3 draft before 22, which had no session id or
 * compression method: its server_version is the draft's number, or 0x0304
 * itself as early implementations sent it (the RFC's ServerHello always
 * says 0x0303 there and names 1.3 in supported_versions). */
static inline int tls_server_hello_has_draft_layout(uint16_t server_version)
{
    return server_version == 0x0304 ||
           ((server_version >> 8) == 0x7f && (server_version & 0xff) < 22);
}

/* The negotiated version: supported_versions when present, else
 * server_version. */
static inline uint16_t tls_server_version(const struct tls_server_hello *sh)
{
    return sh->selected_version ? sh->selected_version : sh->legacy_version;
}

/* Version names for the log: protocol ("ssl", "tls", "dtls") and number
 * ("3.0", "1.2", ...). Return NULL for values outside the table (TLS 1.3
 * drafts, vendor values): those are never named by guess. */
const char *tls_version_protocol(uint16_t v);
const char *tls_version_number(uint16_t v);

/* Rank of a version for comparisons across SSL/TLS/DTLS: 0 unknown,
 * SSL 2.0 = 1 ... TLS 1.3 = 6; DTLS 1.0 = 3 (TLS 1.1-equivalent), 1.2 = 5,
 * 1.3 = 6. */
int tls_version_rank(uint16_t v);

#endif
