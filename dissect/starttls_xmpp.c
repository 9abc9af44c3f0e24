/* starttls_xmpp.c: XMPP (RFC 6120 section 5) STARTTLS negotiation. The
 * stream is XML, not lines: each chunk is searched for the elements. */
#include "starttls_proto.h"

static void xmpp_server(struct plaintext *pt, const char *p, size_t n)
{
    if (pt_contains(p, n, "<stream:features")) {
        pt->greeted = 1;
        if (pt_contains(p, n, "<starttls"))
            pt->offered = PT_YES;
        else if (pt->offered != PT_YES)
            pt->offered = PT_NO;
    }
    if (pt->requested && pt_contains(p, n, "<proceed"))
        pt->upgraded = 1;
    else if (pt->requested && pt_contains(p, n, "<failure"))
        pt->refused = 1;
}

static void xmpp_client(struct plaintext *pt, const char *p, size_t n)
{
    pt->client_cmds++;
    if (pt_contains(p, n, "<starttls"))
        pt->requested = 1;
    else if (pt_contains(p, n, "<auth") && pt_contains(p, n, "mechanism=\"PLAIN\""))
        pt->creds = "auth PLAIN";
}

const struct starttls_proto starttls_xmpp = {"xmpp", 0, 1, xmpp_server, xmpp_client};
