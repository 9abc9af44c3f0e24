/* starttls_misc.c: small line protocols with STARTTLS: NNTP (RFC 4642) and
 * ManageSieve (RFC 5804). */
#include "starttls_proto.h"

static void nntp_server(struct plaintext *pt, const char *p, size_t n)
{
    if (pt->multiline) { /* the CAPABILITIES list (RFC 3977 5.2), up to "." */
        if (n == 1 && p[0] == '.') {
            pt->multiline = 0;
            if (pt->offered != PT_YES)
                pt->offered = PT_NO;
        } else if (pt_starts(p, n, "STARTTLS")) {
            pt->offered = PT_YES;
        }
        return;
    }
    int code = pt_reply_code(p, n);
    if (code < 0)
        return;
    if (!pt->greeted) {
        pt->greeted = 1;
        return;
    }
    unsigned ordinal = ++pt->server_replies;
    if (code == 101)
        pt->multiline = 1;
    if (pt->requested && ordinal == pt->starttls_ordinal) {
        if (code == 382)
            pt->upgraded = 1;
        else
            pt->refused = 1;
    }
}

static void nntp_client(struct plaintext *pt, const char *p, size_t n)
{
    pt->client_cmds++;
    if (pt_starts(p, n, "STARTTLS")) {
        pt->requested = 1;
        pt->starttls_ordinal = pt->client_cmds;
    } else if (pt_starts(p, n, "AUTHINFO PASS") || pt_starts(p, n, "AUTHINFO USER")) {
        pt->creds = "AUTHINFO";
    }
}

const struct starttls_proto starttls_nntp = {"nntp", 1, 1, nntp_server, nntp_client, NULL, NULL};

/* ManageSieve: the greeting is a capability list ended by OK. */
static void sieve_server(struct plaintext *pt, const char *p, size_t n)
{
    if (n > 0 && p[0] == '"') {
        if (pt_starts(p, n, "\"STARTTLS\""))
            pt->offered = PT_YES;
        return;
    }
    int ok = pt_starts(p, n, "OK"), no = pt_starts(p, n, "NO") || pt_starts(p, n, "BYE");
    if (!ok && !no)
        return;
    if (!pt->greeted) {
        pt->greeted = 1;
        if (pt->offered != PT_YES)
            pt->offered = PT_NO;
        return;
    }
    unsigned ordinal = ++pt->server_replies;
    if (pt->requested && ordinal == pt->starttls_ordinal) {
        if (ok)
            pt->upgraded = 1;
        else
            pt->refused = 1;
    }
}

static void sieve_client(struct plaintext *pt, const char *p, size_t n)
{
    pt->client_cmds++;
    if (pt_starts(p, n, "STARTTLS")) {
        pt->requested = 1;
        pt->starttls_ordinal = pt->client_cmds;
    } else if (pt_starts(p, n, "AUTHENTICATE \"PLAIN\"") ||
               pt_starts(p, n, "AUTHENTICATE \"LOGIN\"")) {
        pt->creds = "AUTHENTICATE";
    }
}

const struct starttls_proto starttls_sieve = {"managesieve", 1,    1,   sieve_server,
                                              sieve_client,  NULL, NULL};
