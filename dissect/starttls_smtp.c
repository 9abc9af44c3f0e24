/* starttls_smtp.c: SMTP (RFC 5321) with STARTTLS (RFC 3207), and LMTP
 * (RFC 2033: SMTP with LHLO, for delivery into a mail store).
 * Replies are matched to commands in order (pipelining, RFC 2920): the
 * greeting is reply 0, the n-th command's reply is reply n. */
#include "starttls_proto.h"

static void smtp_server(struct plaintext *pt, const char *p, size_t n)
{
    int code = pt_reply_code(p, n);
    if (code < 0)
        return;
    if (code == 250 && n > 4 && pt_starts(p + 4, n - 4, "STARTTLS"))
        pt->offered = PT_YES;
    if (!pt_reply_final(p, n))
        return;
    if (!pt->greeted) {
        pt->greeted = 1;
        return;
    }
    unsigned ordinal = ++pt->server_replies;
    if (pt->caps_ordinal && ordinal == pt->caps_ordinal && code == 250 && pt->offered != PT_YES)
        pt->offered = PT_NO;
    if (pt->requested && ordinal == pt->starttls_ordinal) {
        if (code == 220)
            pt->upgraded = 1;
        else
            pt->refused = 1; /* 454 TLS not available, 502 not implemented, ... */
    }
}

static void smtp_client(struct plaintext *pt, const char *p, size_t n)
{
    pt->client_cmds++;
    if (pt_starts(p, n, "EHLO") || pt_starts(p, n, "HELO") || pt_starts(p, n, "LHLO"))
        pt->caps_ordinal = pt->client_cmds; /* a HELO reply lists no extensions */
    else if (pt_starts(p, n, "STARTTLS")) {
        pt->requested = 1;
        pt->starttls_ordinal = pt->client_cmds;
    } else if (pt_starts(p, n, "AUTH PLAIN"))
        pt->creds = "AUTH PLAIN";
    else if (pt_starts(p, n, "AUTH LOGIN"))
        pt->creds = "AUTH LOGIN";
    else if (pt_starts(p, n, "MAIL FROM"))
        pt->logged_in = 1; /* a transaction started without TLS */
}

const struct starttls_proto starttls_smtp = {"smtp", 1, 1, smtp_server, smtp_client, NULL, NULL};
const struct starttls_proto starttls_lmtp = {"lmtp", 1, 1, smtp_server, smtp_client, NULL, NULL};
