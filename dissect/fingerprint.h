/* fingerprint.h: JA3, JA3S and JA4 fingerprints of hellos. */
#ifndef TLSMON_FINGERPRINT_H
#define TLSMON_FINGERPRINT_H

#include "tls.h"

#define JA3_HEX_LEN 32
#define JA4_MAX_LEN 40 /* "t13d1516h2_8daaf6152771_e5627efa2ab1" is 36 */

/* The carrier, which JA4 writes as its first character. */
enum ja4_transport { JA4_TCP = 't', JA4_QUIC = 'q', JA4_DTLS = 'd' };

/* JA3 (Salesforce): MD5 of "version,ciphers,extensions,groups,formats",
 * GREASE removed. Writes 32 hex digits and a NUL into out[33]. Returns 0
 * (and writes nothing) when the hello cannot be fingerprinted whole. */
int fingerprint_ja3(const struct tls_client_hello *ch, char out[JA3_HEX_LEN + 1]);

/* JA3S: MD5 of "version,cipher,extensions" of a ServerHello. */
int fingerprint_ja3s(const struct tls_server_hello *sh, char out[JA3_HEX_LEN + 1]);

/* JA4 (FoxIO, JA4+ specification): "a_b_c" for a ClientHello. */
int fingerprint_ja4(const struct tls_client_hello *ch, enum ja4_transport transport,
                    char out[JA4_MAX_LEN + 1]);

/* JA3 and JA4 of a ClientHello through a cache: most hellos on a network
 * come from a few client stacks, and the digests are the costly part. The
 * cache is keyed by a keyed hash (SipHash-1-3, random key) of every field
 * the two fingerprints read, direct-mapped, FINGERPRINT_CACHE entries. Each
 * result is 1 when written, 0 when the hello cannot be fingerprinted. */
#define FINGERPRINT_CACHE 4096
/* That key: equal for hellos that differ only in what no fingerprint (and
 * no field of the log's client object but server_name) reads: random,
 * session id, key shares, SNI, GREASE values. Never 0. */
uint64_t fingerprint_hello_key(const struct tls_client_hello *ch, enum ja4_transport transport);
/* key is fingerprint_hello_key(ch, transport), which the caller has made
 * for its own cache too. */
void fingerprint_client(const struct tls_client_hello *ch, enum ja4_transport transport,
                        uint64_t key, char ja3[JA3_HEX_LEN + 1], int *has_ja3,
                        char ja4[JA4_MAX_LEN + 1], int *has_ja4);

/* JA3S through a cache of its own, keyed the same way (version, cipher,
 * extension list): servers answer alike far more often than not. */
int fingerprint_server(const struct tls_server_hello *sh, char ja3s[JA3_HEX_LEN + 1]);

struct fingerprint_cache_stats {
    uint64_t hits, misses;
};
extern struct fingerprint_cache_stats fingerprint_cache_stats;

#endif
