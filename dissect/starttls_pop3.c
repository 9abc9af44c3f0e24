/* starttls_pop3.c: POP3 (RFC 1939) with STLS (RFC 2595 section 4). */
#include "starttls_proto.h"

static void pop3_server(struct plaintext *pt, const char *p, size_t n)
{
    if (pt->multiline) { /* the CAPA list, up to "." */
        if (n == 1 && p[0] == '.') {
            pt->multiline = 0;
            if (pt->offered != PT_YES)
                pt->offered = PT_NO;
        } else if (pt_starts(p, n, "STLS")) {
            pt->offered = PT_YES;
        }
        return;
    }
    int ok = pt_starts(p, n, "+OK"), err = pt_starts(p, n, "-ERR");
    if (!ok && !err)
        return;
    if (!pt->greeted) {
        pt->greeted = 1;
        return;
    }
    unsigned ordinal = ++pt->server_replies;
    if (ok && pt->caps_ordinal && ordinal == pt->caps_ordinal)
        pt->multiline = 1;
    if (pt->requested && ordinal == pt->starttls_ordinal) {
        if (ok)
            pt->upgraded = 1;
        else
            pt->refused = 1;
    }
}

static void pop3_client(struct plaintext *pt, const char *p, size_t n)
{
    pt->client_cmds++;
    if (pt_starts(p, n, "CAPA"))
        pt->caps_ordinal = pt->client_cmds;
    else if (pt_starts(p, n, "STLS")) {
        pt->requested = 1;
        pt->starttls_ordinal = pt->client_cmds;
    } else if (pt_starts(p, n, "USER ") || pt_starts(p, n, "PASS "))
        pt->creds = "USER/PASS";
    else if (pt_starts(p, n, "APOP "))
        pt->creds = "APOP";
    else if (pt_starts(p, n, "AUTH PLAIN"))
        pt->creds = "AUTH PLAIN";
    else if (pt_starts(p, n, "AUTH LOGIN"))
        pt->creds = "AUTH LOGIN";
}

const struct starttls_proto starttls_pop3 = {"pop3", 1, 1, pop3_server, pop3_client, NULL, NULL};
