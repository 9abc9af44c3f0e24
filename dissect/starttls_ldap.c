/* starttls_ldap.c: LDAP (RFC 4511) StartTLS extended operation (section
 * 4.14) and simple binds in clear. Messages are BER; each chunk is walked
 * message by message through the span cursor. */
#include "starttls_proto.h"

#include "span.h"

static const char starttls_oid[] = "1.3.6.1.4.1.1466.20037";

/* BER tag and definite length; the value as a sub-span. */
static int ber_tlv(struct span *s, uint8_t *tag, struct span *value)
{
    uint8_t t, l;
    struct span c = *s;
    if (!span_u8(&c, &t) || !span_u8(&c, &l))
        return 0;
    size_t len = l;
    if (l & 0x80) {
        unsigned k = l & 0x7f;
        if (k == 0 || k > 4)
            return 0;
        len = 0;
        for (unsigned i = 0; i < k; i++) {
            uint8_t b;
            if (!span_u8(&c, &b))
                return 0;
            len = (len << 8) | b;
        }
    }
    if (!span_sub(&c, len, value))
        return 0;
    *tag = t;
    *s = c;
    return 1;
}

/* One LDAPMessage: SEQUENCE { messageID INTEGER, protocolOp, ... }. */
static int ldap_message(struct span *s, uint8_t *op, struct span *body, uint32_t *msgid)
{
    struct span msg, id;
    uint8_t tag, b;
    if (!ber_tlv(s, &tag, &msg) || tag != 0x30 || !ber_tlv(&msg, &tag, &id) || tag != 0x02 ||
        id.n == 0 || id.n > 4)
        return 0;
    *msgid = 0;
    while (span_u8(&id, &b))
        *msgid = (*msgid << 8) | b;
    return ber_tlv(&msg, op, body);
}

static size_t ldap_client(struct plaintext *pt, const char *p, size_t n)
{
    struct span s = span_make((const uint8_t *)p, n), body, v;
    uint8_t op, tag;
    uint32_t id;
    while (ldap_message(&s, &op, &body, &id)) {
        pt->client_cmds++;
        if (op == 0x77) { /* ExtendedRequest: requestName [0] */
            if (ber_tlv(&body, &tag, &v) && tag == 0x80 && v.n == sizeof(starttls_oid) - 1 &&
                memcmp(v.p, starttls_oid, v.n) == 0) {
                pt->requested = 1;
                pt->request_id = id;
            }
        } else if (op == 0x60) { /* BindRequest: version, name, authentication */
            struct span ver, name;
            if (ber_tlv(&body, &tag, &ver) && ber_tlv(&body, &tag, &name) &&
                ber_tlv(&body, &tag, &v) && tag == 0x80 && v.n > 0)
                pt->creds = "bind"; /* simple authentication with a password */
        }
    }
    return n - s.n; /* whole messages; a cut one comes again */
}

static size_t ldap_server(struct plaintext *pt, const char *p, size_t n)
{
    struct span s = span_make((const uint8_t *)p, n), body, code;
    uint8_t op, tag, rc;
    uint32_t id;
    while (ldap_message(&s, &op, &body, &id)) {
        pt->greeted = 1;
        /* The ExtendedResponse to the StartTLS request (same messageID):
         * resultCode ENUMERATED first. */
        if (op != 0x78 || !pt->requested || pt->upgraded || pt->refused || id != pt->request_id)
            continue;
        if (!ber_tlv(&body, &tag, &code) || tag != 0x0a || !span_u8(&code, &rc))
            continue;
        if (rc == 0) {
            pt->upgraded = 1;
            pt->upgrade_at = (uint32_t)(n - s.n); /* after this response */
        } else {
            pt->refused = 1;
        }
    }
    return n - s.n; /* whole messages; a cut one comes again */
}

const struct starttls_proto starttls_ldap = {"ldap", 0, 1, NULL, NULL, ldap_server, ldap_client};

/* Does a client chunk start like an LDAP message? */
int starttls_ldap_detect(struct span s)
{
    uint8_t op;
    uint32_t id;
    struct span body;
    return ldap_message(&s, &op, &body, &id) && (op == 0x60 || op == 0x77 || op == 0x63);
}
