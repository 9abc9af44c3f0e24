/* starttls_imap.c: IMAP4rev1 (RFC 3501 section 6.2.1) STARTTLS, with the
 * capabilities announced in the greeting or a CAPABILITY response. */
#include "starttls_proto.h"

static int capability_line(const char *p, size_t n)
{
    return pt_starts(p, n, "* CAPABILITY") || pt_contains(p, n, "[CAPABILITY");
}

static void imap_server(struct plaintext *pt, const char *p, size_t n)
{
    if (pt_starts(p, n, "* ")) {
        pt->greeted = 1;
        if (capability_line(p, n)) {
            if (pt_contains(p, n, " STARTTLS"))
                pt->offered = PT_YES;
            else if (pt->offered != PT_YES)
                pt->offered = PT_NO;
        }
        return;
    }
    size_t k = strlen(pt->tag);
    if (!pt->requested || k == 0 || n <= k || memcmp(p, pt->tag, k) != 0 || p[k] != ' ')
        return;
    if (pt_starts(p + k + 1, n - k - 1, "OK"))
        pt->upgraded = 1;
    else
        pt->refused = 1; /* NO or BAD */
}

static void imap_client(struct plaintext *pt, const char *p, size_t n)
{
    size_t t = 0;
    while (t < n && p[t] != ' ')
        t++;
    if (t == 0 || t >= n)
        return;
    const char *cmd = p + t + 1;
    size_t cn = n - t - 1;
    pt->client_cmds++;
    if (pt_starts(cmd, cn, "STARTTLS")) {
        pt->requested = 1;
        size_t k = t < sizeof(pt->tag) - 1 ? t : sizeof(pt->tag) - 1;
        memcpy(pt->tag, p, k);
        pt->tag[k] = 0;
    } else if (pt_starts(cmd, cn, "LOGIN ")) {
        pt->creds = "LOGIN";
    } else if (pt_starts(cmd, cn, "AUTHENTICATE PLAIN")) {
        pt->creds = "AUTHENTICATE PLAIN";
    } else if (pt_starts(cmd, cn, "AUTHENTICATE LOGIN")) {
        pt->creds = "AUTHENTICATE LOGIN";
    }
}

const struct starttls_proto starttls_imap = {"imap", 1, 1, imap_server, imap_client, NULL, NULL};
