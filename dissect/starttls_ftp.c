/* starttls_ftp.c: FTP (RFC 959) with AUTH TLS / AUTH SSL (RFC 4217). */
#include "starttls_proto.h"

static void ftp_server(struct plaintext *pt, const char *p, size_t n)
{
    int code = pt_reply_code(p, n);
    if (code < 0) {
        /* FEAT lists features on lines starting with a space. */
        if (pt->multiline && n > 1 && p[0] == ' ' && pt_starts(p + 1, n - 1, "AUTH TLS"))
            pt->offered = PT_YES;
        return;
    }
    if (!pt_reply_final(p, n)) {
        pt->multiline = 1;
        return;
    }
    pt->multiline = 0;
    if (!pt->greeted) {
        pt->greeted = 1;
        return;
    }
    unsigned ordinal = ++pt->server_replies;
    if (pt->caps_ordinal && ordinal == pt->caps_ordinal && pt->offered != PT_YES)
        pt->offered = PT_NO;
    if (pt->requested && ordinal == pt->starttls_ordinal) {
        if (code == 234)
            pt->upgraded = 1;
        else
            pt->refused = 1;
    }
}

static void ftp_client(struct plaintext *pt, const char *p, size_t n)
{
    pt->client_cmds++;
    if (pt_starts(p, n, "FEAT"))
        pt->caps_ordinal = pt->client_cmds;
    else if (pt_starts(p, n, "AUTH TLS") || pt_starts(p, n, "AUTH SSL")) {
        pt->requested = 1;
        pt->starttls_ordinal = pt->client_cmds;
    } else if (pt_starts(p, n, "PASS "))
        pt->creds = "USER/PASS";
    else if (pt_starts(p, n, "RETR ") || pt_starts(p, n, "STOR ") || pt_starts(p, n, "LIST"))
        pt->logged_in = 1;
}

const struct starttls_proto starttls_ftp = {"ftp", 1, 1, ftp_server, ftp_client, NULL, NULL};
