/* plaintext.h: the plaintext phase of a TCP connection before TLS.
 *
 * Mail, directory and other protocols upgrade to TLS after a plaintext
 * exchange (SMTP STARTTLS, POP3 STLS, IMAP STARTTLS, FTP AUTH TLS, LDAP
 * StartTLS, XMPP <starttls/>, PostgreSQL SSLRequest, ...), and tunnels put a
 * preamble before it (HTTP CONNECT, SOCKS, PROXY protocol). This module
 * follows that phase: it names the protocol, sees whether the server offers
 * STARTTLS, whether the client asks, whether the server accepts or refuses,
 * and whether credentials went in clear; and it says where TLS begins.
 *
 * Each direction's bytes are read as lines (bounded, PT_LINE_MAX) for line
 * protocols, or as chunks for binary ones. Besides the state machines, the
 * start of every chunk is checked for a TLS hello record, so an upgrade of a
 * protocol tlsmon does not model is still found. */
#ifndef TLSMON_PLAINTEXT_H
#define TLSMON_PLAINTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "span.h"

#define PT_LINE_MAX 512

struct starttls_proto;

/* Three-valued facts: not seen, no, yes. */
enum { PT_UNKNOWN = 0, PT_NO = 1, PT_YES = 2 };

struct plaintext {
    const struct starttls_proto *proto; /* NULL until identified */
    uint8_t server_dir;                 /* valid when server_known */
    uint8_t server_known;
    uint8_t offered;                      /* PT_*: the server announced STARTTLS */
    uint8_t requested;                    /* the client asked for TLS */
    uint8_t refused;                      /* the server said no */
    uint8_t upgraded;                     /* the server said yes: TLS follows */
    uint8_t logged_in;                    /* the client went on past the point of upgrading */
    uint8_t pstate;                       /* protocol-specific */
    uint8_t multiline;                    /* in a multi-line server reply */
    const char *creds;                    /* command that carried credentials in clear */
    uint16_t client_cmds, server_replies; /* replies after the greeting */
    uint16_t starttls_ordinal;            /* which command asked for TLS */
    uint16_t caps_ordinal;                /* which command asked for capabilities */
    uint8_t greeted;                      /* the server's greeting was seen */
    uint16_t server_port;
    uint32_t chunks;
    uint64_t long_lines;
    uint32_t request_id; /* LDAP messageID of the StartTLS request */
    uint32_t upgrade_at; /* binary protocols: where TLS begins in the bytes given */
    char tag[64];        /* IMAP tag of the STARTTLS command */
    uint8_t id_tried[2]; /* lines tried for identification, per direction */
    uint16_t line_len[2];
    char line[2][PT_LINE_MAX];
};

/* Where TLS begins, as plaintext_feed reports it. */
enum pt_result {
    PT_CONTINUE = 0, /* all of it was plaintext */
    PT_TLS_HERE,     /* TLS begins at *offset in this chunk (this direction) */
    PT_UPGRADED,     /* the server accepted: both directions are TLS after *offset */
};

void plaintext_init(struct plaintext *pt, uint16_t server_port);

/* One in-order chunk of direction dir. */
enum pt_result plaintext_feed(struct plaintext *pt, int dir, struct span chunk, size_t *offset);

/* Does the chunk start with a TLS record carrying a ClientHello or
 * ServerHello (or an SSLv2 ClientHello)? */
int plaintext_is_hello_start(struct span chunk);

/* network.protocol of the identified protocol, or NULL. */
const char *plaintext_protocol(const struct plaintext *pt);

/* Is the protocol named by its own machine beyond doubt, with nothing for
 * nDPI's dissection to add (POP3, IMAP, FTP, LDAP, PostgreSQL, ...)? */
int plaintext_names_flow(const struct plaintext *pt);

/* Should a session that never reached TLS get a tlsmon.plaintext record
 * (mail, directory, file transfer, chat)? */
int plaintext_reportable(const struct plaintext *pt);

/* Nothing more to learn from the plaintext (credentials went in clear, or
 * the client went on without TLS). */
int plaintext_concluded(const struct plaintext *pt);

#endif
