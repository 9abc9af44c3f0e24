/* handshake_log.h: the NDJSON handshake log (shared/spec/handshake-log.md).
 *
 * Lines are written in the order the handshakes began. A handshake that has
 * settled waits until every earlier one has; the waiting lines are bounded
 * (HSLOG_MAX_PENDING_BYTES), and past the bound they are written out of
 * order and counted rather than held without limit. */
#ifndef TLSMON_HANDSHAKE_LOG_H
#define TLSMON_HANDSHAKE_LOG_H

#include <stdint.h>
#include <stdio.h>

#include "../dissect/handshake.h"
#include "json.h"

#define HSLOG_MAX_PENDING_BYTES (32u << 20)

struct hslog_stats {
    uint64_t written, out_of_order, write_errors;
};

struct hslog;

/* path "-" is stdout. On failure returns NULL with a message in err. */
struct hslog *hslog_open(const char *path, char *err, size_t errlen);

/* Reserve the handshake's place in the order. */
void hslog_begin(struct hslog *l, const struct tls_handshake *hs);

/* Write (or queue) the handshake's line. */
void hslog_settle(struct hslog *l, const struct tls_handshake *hs);

/* Write a tlsmon.plaintext record (it settles as it is made). */
void hslog_plaintext(struct hslog *l, const struct plaintext_record *pr);
void plaintext_to_json(const struct plaintext_record *pr, struct json *j);

/* Flush buffered lines to the file; 0 on success, -1 after a write error
 * (the message is in err). */
int hslog_flush(struct hslog *l, char *err, size_t errlen);

/* Reopen the file (after logrotate moved it). */
int hslog_reopen(struct hslog *l, char *err, size_t errlen);

/* Write everything still waiting, close; 0 on success. */
int hslog_close(struct hslog *l, char *err, size_t errlen);

/* Free the rendered cipher lists kept by handshake_to_json (hslog_close
 * does it; a later record fills the cache again). */
void handshake_log_cache_free(void);

void hslog_get_stats(const struct hslog *l, struct hslog_stats *st);

/* Format one handshake as a JSON object (no newline) into j. Exposed for
 * tests and for other writers. */
void handshake_to_json(const struct tls_handshake *hs, struct json *j);

/* Helpers shared with the summary. */
void format_ip(const struct endpoint *e, char *out, size_t len);
void format_timestamp(int64_t ts_us, char *out, size_t len);
/* The cipher's IANA name, or "0xNNNN" in buf. */
const char *cipher_display_name(uint16_t v, char buf[8]);

#endif
