/* starttls_pgsql.c: PostgreSQL SSLRequest (protocol 3.0, section 53.2.10 of
 * the PostgreSQL documentation): the client sends 8 bytes, the server
 * answers 'S' (TLS follows) or 'N'. */
#include "starttls_proto.h"

static const unsigned char ssl_request[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};

int starttls_pgsql_detect(const char *p, size_t n)
{
    return n >= 8 && memcmp(p, ssl_request, 8) == 0;
}

static void pgsql_client(struct plaintext *pt, const char *p, size_t n)
{
    pt->client_cmds++;
    if (starttls_pgsql_detect(p, n))
        pt->requested = 1;
}

static void pgsql_server(struct plaintext *pt, const char *p, size_t n)
{
    if (!pt->requested || pt->upgraded || pt->refused || n < 1)
        return;
    if (p[0] == 'S')
        pt->upgraded = 1;
    else
        pt->refused = 1;
}

const struct starttls_proto starttls_pgsql = {"postgresql", 0, 0, pgsql_server, pgsql_client};
