/* plaintext.c: protocol identification, line assembly and the search for
 * the TLS hello after a plaintext phase (see plaintext.h). */
#include "plaintext.h"

#include <string.h>
#include <strings.h>

#include "starttls_proto.h"
#include "tls.h"

/* Lines per direction tried for identification before giving up on it. */
#define IDENTIFY_LINES 2

void plaintext_init(struct plaintext *pt, uint16_t server_port)
{
    memset(pt, 0, offsetof(struct plaintext, line));
    pt->server_port = server_port;
}

int plaintext_is_hello_start(struct span c)
{
    uint8_t type, major, minor, hs;
    uint16_t len;
    if (tls_sslv2_hello_record_len(c))
        return 1;
    if (!span_peek_u8(&c, 0, &type) || !span_peek_u8(&c, 1, &major) ||
        !span_peek_u8(&c, 2, &minor) || !span_peek_u16(&c, 3, &len) || !span_peek_u8(&c, 5, &hs))
        return 0;
    if (type != TLS_CT_HANDSHAKE || major != 3 || minor > 4 || len < 4 || len > 16384 + 2048 ||
        (hs != TLS_HS_CLIENT_HELLO && hs != TLS_HS_SERVER_HELLO))
        return 0;
    uint8_t vmajor; /* the hello's own version, when in view */
    return !span_peek_u8(&c, 9, &vmajor) || vmajor == 3;
}

/* PROXY protocol header (HAProxy, versions 1 and 2) in front of the
 * client's first bytes: its length, or 0. */
static size_t proxy_header_len(struct span c)
{
    static const uint8_t v2sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                      0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    uint16_t len;
    if (c.n >= 16 && memcmp(c.p, v2sig, 12) == 0 && span_peek_u16(&c, 14, &len))
        return 16u + len;
    if (c.n >= 8 && memcmp(c.p, "PROXY ", 6) == 0) {
        for (size_t i = 6; i + 1 < c.n && i < 107; i++)
            if (c.p[i] == '\r' && c.p[i + 1] == '\n')
                return i + 2;
    }
    return 0;
}

/* A 220 greeting that names FTP and not SMTP ("ProFTPD", "Microsoft FTP
 * Service", "GridFTP Server"; but "ESMTP" on a host called ftp.*). */
static int greeting_names_ftp(const char *p, size_t n)
{
    int ftp = 0, smtp = 0;
    for (size_t i = 0; i + 3 <= n; i++) {
        ftp |= strncasecmp(p + i, "ftp", 3) == 0;
        smtp |= i + 4 <= n && strncasecmp(p + i, "smtp", 4) == 0;
    }
    return ftp && !smtp;
}

static const struct starttls_proto *identify_server_line(const struct plaintext *pt, const char *p,
                                                         size_t n)
{
    int code = pt_reply_code(p, n);
    if (pt_starts(p, n, "+OK"))
        return &starttls_pop3;
    if (pt_starts(p, n, "* OK") || pt_starts(p, n, "* PREAUTH") || pt_starts(p, n, "* BYE"))
        return &starttls_imap;
    if (code == 220) /* SMTP or FTP: the port or the greeting decides until the client speaks */
        return pt->server_port == 21 || pt->server_port == 990 || greeting_names_ftp(p, n)
                   ? &starttls_ftp
                   : &starttls_smtp;
    if (code == 200 || code == 201)
        return &starttls_nntp;
    if (pt_starts(p, n, "\"IMPLEMENTATION\"") || pt_starts(p, n, "\"SIEVE\"") ||
        pt_starts(p, n, "\"SASL\""))
        return &starttls_sieve;
    return NULL;
}

static int ftp_command(const char *p, size_t n)
{
    return pt_starts(p, n, "USER ") || pt_starts(p, n, "AUTH TLS") || pt_starts(p, n, "AUTH SSL") ||
           pt_starts(p, n, "FEAT") || pt_starts(p, n, "SYST") || pt_starts(p, n, "OPTS ") ||
           pt_starts(p, n, "PBSZ");
}

static const struct starttls_proto *identify_client_line(const char *p, size_t n)
{
    if (pt_starts(p, n, "EHLO ") || pt_starts(p, n, "HELO "))
        return &starttls_smtp;
    if (pt_starts(p, n, "LHLO "))
        return &starttls_lmtp;
    if (ftp_command(p, n))
        return &starttls_ftp;
    if (pt_starts(p, n, "CAPA") || pt_starts(p, n, "STLS"))
        return &starttls_pop3;
    /* IMAP: "<tag> COMMAND" */
    const char *sp = memchr(p, ' ', n);
    if (sp && sp > p) {
        size_t rest = n - (size_t)(sp - p) - 1;
        if (pt_starts(sp + 1, rest, "CAPABILITY") || pt_starts(sp + 1, rest, "STARTTLS") ||
            pt_starts(sp + 1, rest, "LOGIN ") || pt_starts(sp + 1, rest, "AUTHENTICATE "))
            return &starttls_imap;
    }
    return NULL;
}

static void identify_binary(struct plaintext *pt, int dir, struct span c)
{
    const char *p = (const char *)c.p;
    if (starttls_pgsql_detect(p, c.n)) {
        pt->proto = &starttls_pgsql;
        pt->server_dir = (uint8_t)!dir;
    } else if (starttls_ldap_detect(c)) {
        pt->proto = &starttls_ldap;
        pt->server_dir = (uint8_t)!dir;
    } else if (pt_starts(p, c.n, "<?xml") || pt_starts(p, c.n, "<stream:stream")) {
        pt->proto = &starttls_xmpp;
        /* The initiating stream header is the client's. */
        pt->server_dir = (uint8_t)(pt->server_known ? pt->server_dir : !dir);
    } else {
        return;
    }
    pt->server_known = 1;
}

static void process_line(struct plaintext *pt, int dir, const char *p, size_t n)
{
    if (n > 0 && p[n - 1] == '\r')
        n--;
    if (!pt->proto) {
        const struct starttls_proto *sp = identify_server_line(pt, p, n);
        if (sp) {
            pt->server_dir = (uint8_t)dir;
        } else if ((sp = identify_client_line(p, n)) != NULL) {
            pt->server_dir = (uint8_t)!dir;
        } else {
            return;
        }
        pt->proto = sp;
        pt->server_known = 1;
    }
    int from_server = dir == pt->server_dir;
    /* "220" was taken for SMTP; an FTP command or LHLO as the first one
     * says FTP or LMTP. */
    if (!from_server && pt->proto == &starttls_smtp && pt->client_cmds == 0) {
        if (ftp_command(p, n))
            pt->proto = &starttls_ftp;
        else if (pt_starts(p, n, "LHLO "))
            pt->proto = &starttls_lmtp;
    }
    if (from_server)
        pt->proto->server_line(pt, p, n);
    else
        pt->proto->client_line(pt, p, n);
}

/* Binary protocols: the bytes a message cut by the previous segment left
 * (at most PT_LINE_MAX, kept in line[dir]) go first. */
static enum pt_result feed_binary(struct plaintext *pt, int dir, struct span c, size_t *offset)
{
    static char joined[PT_LINE_MAX + 65536];
    size_t (*input)(struct plaintext *, const char *, size_t) =
        dir == pt->server_dir ? pt->proto->server_bytes : pt->proto->client_bytes;
    size_t carry = pt->line_len[dir] > PT_LINE_MAX ? 0 : pt->line_len[dir];
    const char *p = (const char *)c.p;
    size_t n = c.n;
    if (carry && carry + c.n <= sizeof(joined)) {
        memcpy(joined, pt->line[dir], carry);
        memcpy(joined + carry, c.p, c.n);
        p = joined;
        n = carry + c.n;
    }
    int was_upgraded = pt->upgraded;
    size_t used = input(pt, p, n);
    pt->line_len[dir] = 0;
    if (!was_upgraded && pt->upgraded && dir == pt->server_dir) {
        /* upgrade_at counts from the carried bytes on. */
        size_t at = pt->upgrade_at > carry ? pt->upgrade_at - carry : 0;
        *offset = at < c.n ? at : c.n;
        return PT_UPGRADED;
    }
    if (used < n) {
        if (n - used <= PT_LINE_MAX) {
            memcpy(pt->line[dir], p + used, n - used);
            pt->line_len[dir] = (uint16_t)(n - used);
        } else {
            pt->long_lines++; /* a message longer than kept: skipped */
        }
    }
    return PT_CONTINUE;
}

enum pt_result plaintext_feed(struct plaintext *pt, int dir, struct span c, size_t *offset)
{
    pt->chunks++;
    *offset = 0;
    if (plaintext_is_hello_start(c))
        return PT_TLS_HERE;
    if (!pt->proto && pt->chunks <= 2) {
        size_t h = proxy_header_len(c);
        if (h && h <= c.n) {
            struct span rest = c;
            span_skip(&rest, h);
            if (rest.n == 0 || plaintext_is_hello_start(rest)) {
                *offset = h;
                return PT_TLS_HERE;
            }
        }
    }
    if (!pt->proto) {
        /* Bytes of an unfinished first line may be the start of a binary
         * message cut by the segment: look at them together. */
        size_t have = pt->line_len[dir] <= PT_LINE_MAX ? pt->line_len[dir] : 0;
        static uint8_t joined[PT_LINE_MAX + 64];
        struct span view = c;
        if (have) {
            size_t take = c.n < 64 ? c.n : 64;
            memcpy(joined, pt->line[dir], have);
            memcpy(joined + have, c.p, take);
            view = span_make(joined, have + take);
        }
        identify_binary(pt, dir, c);
        if (!pt->proto && have)
            identify_binary(pt, dir, view);
    }
    if (pt->proto && !pt->proto->line_based)
        return feed_binary(pt, dir, c, offset);
    /* Unknown protocol: only the first line of each direction is tried. */
    if (!pt->proto && pt->id_tried[dir] >= IDENTIFY_LINES)
        return PT_CONTINUE;
    /* Line protocols: assemble lines, bounded; a longer line is cut. */
    char *buf = pt->line[dir];
    size_t i = 0;
    while (i < c.n) {
        const uint8_t *nl = memchr(c.p + i, '\n', c.n - i);
        size_t end = nl ? (size_t)(nl - c.p) : c.n;
        size_t room =
            PT_LINE_MAX - (pt->line_len[dir] < PT_LINE_MAX ? pt->line_len[dir] : PT_LINE_MAX);
        size_t take = end - i < room ? end - i : room;
        memcpy(buf + pt->line_len[dir], c.p + i, take);
        if (take < end - i && pt->line_len[dir] <= PT_LINE_MAX) {
            pt->long_lines++;
            pt->line_len[dir] = PT_LINE_MAX + 1; /* cut: the rest is skipped */
        } else if (pt->line_len[dir] <= PT_LINE_MAX) {
            pt->line_len[dir] = (uint16_t)(pt->line_len[dir] + take);
        }
        if (!nl) /* the line continues in the next chunk */
            break;
        i = end + 1;
        size_t n = pt->line_len[dir] > PT_LINE_MAX ? PT_LINE_MAX : pt->line_len[dir];
        pt->line_len[dir] = 0;
        int was_upgraded = pt->upgraded;
        if (!pt->proto && pt->id_tried[dir]++ >= IDENTIFY_LINES)
            return PT_CONTINUE;
        process_line(pt, dir, buf, n);
        if (!was_upgraded && pt->upgraded && pt->server_known && dir == pt->server_dir) {
            *offset = i;
            return PT_UPGRADED;
        }
    }
    return PT_CONTINUE;
}

const char *plaintext_protocol(const struct plaintext *pt)
{
    return pt && pt->proto ? pt->proto->name : NULL;
}

int plaintext_names_flow(const struct plaintext *pt)
{
    /* Left to nDPI: XMPP (an XML stream opening is shared with SOAP and
     * others, and nDPI names the applications built on XMPP) and SMTP (nDPI
     * names the operator from the host in the greeting: "google"). */
    return pt && pt->proto && pt->proto != &starttls_xmpp && pt->proto != &starttls_smtp;
}

int plaintext_reportable(const struct plaintext *pt)
{
    return pt && pt->proto && pt->proto->reportable && !pt->upgraded;
}

int plaintext_concluded(const struct plaintext *pt)
{
    if (!pt->proto || pt->upgraded)
        return 0;
    return pt->creds != NULL || pt->logged_in || pt->client_cmds > 32;
}
