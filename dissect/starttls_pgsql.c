/* starttls_pgsql.c: PostgreSQL SSLRequest (protocol 3.0, section 53.2.10 of
 * the PostgreSQL documentation): the client sends 8 bytes, the server
 * answers 'S' (TLS follows) or 'N'. */
#include "starttls_proto.h"

/* SSLRequest (80877103) and GSSENCRequest (80877104), both 8 bytes. */
static const unsigned char ssl_request[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
static const unsigned char gssenc_request[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30};

int starttls_pgsql_detect(const char *p, size_t n)
{
    return n >= 8 && (memcmp(p, ssl_request, 8) == 0 || memcmp(p, gssenc_request, 8) == 0);
}

static size_t pgsql_client(struct plaintext *pt, const char *p, size_t n)
{
    if (n < 8)
        return 0; /* a request cut by the segment: wait for the rest */
    pt->client_cmds++;
    if (memcmp(p, ssl_request, 8) == 0) {
        pt->requested = 1;
        pt->refused = 0; /* a 'N' to a GSSENCRequest before is not a refusal of TLS */
    }
    return n;
}

static size_t pgsql_server(struct plaintext *pt, const char *p, size_t n)
{
    if (!pt->requested || pt->upgraded || pt->refused || n < 1)
        return n;
    if (p[0] == 'S') {
        pt->upgraded = 1;
        pt->upgrade_at = 1;
    } else {
        pt->refused = 1;
    }
    return n;
}

const struct starttls_proto starttls_pgsql = {"postgresql", 0,           0, NULL, NULL,
                                              pgsql_server, pgsql_client};
