/* starttls_xmpp.c: XMPP (RFC 6120 section 5) STARTTLS negotiation. The
 * stream is XML, not lines: each chunk is searched for the elements. */
#include "starttls_proto.h"

/* Bytes kept back for the next segment, so an element name cut between
 * segments ("<proc" | "eed") is still found. */
#define XMPP_OVERLAP 31

static size_t keep_tail(size_t n)
{
    return n > XMPP_OVERLAP ? n - XMPP_OVERLAP : 0;
}

static size_t xmpp_server(struct plaintext *pt, const char *p, size_t n)
{
    if (pt_contains(p, n, "<stream:features")) {
        pt->greeted = 1;
        if (pt_contains(p, n, "<starttls"))
            pt->offered = PT_YES;
        else if (pt->offered != PT_YES)
            pt->offered = PT_NO;
    }
    long at = pt->requested ? pt_find(p, n, "<proceed") : -1;
    if (at >= 0) {
        /* TLS begins after the element's closing '>' (RFC 6120 5.4.2.3). */
        const char *gt = memchr(p + at, '>', n - (size_t)at);
        if (!gt)
            return (size_t)at; /* the rest of the element comes next */
        pt->upgraded = 1;
        pt->upgrade_at = (uint32_t)(gt - p + 1);
        return n;
    }
    if (pt->requested && pt_contains(p, n, "<failure"))
        pt->refused = 1;
    return keep_tail(n);
}

static size_t xmpp_client(struct plaintext *pt, const char *p, size_t n)
{
    /* Segments are not commands here: client_cmds is left alone, so how
     * the stream was cut does not change when the session is concluded. */
    if (pt_contains(p, n, "<starttls"))
        pt->requested = 1;
    long at = pt_find(p, n, "<auth");
    if (at >= 0) {
        /* The mechanism is an attribute of the element: read it whole. */
        const char *gt = memchr(p + at, '>', n - (size_t)at);
        if (!gt)
            return (size_t)at;
        size_t len = (size_t)(gt - (p + at));
        if (pt_contains(p + at, len, "mechanism=\"PLAIN\"") ||
            pt_contains(p + at, len, "mechanism='PLAIN'"))
            pt->creds = "auth PLAIN";
    }
    return keep_tail(n);
}

const struct starttls_proto starttls_xmpp = {"xmpp", 0, 1, NULL, NULL, xmpp_server, xmpp_client};
