/* tls_hello.c: ClientHello and ServerHello parsing, in RFC 8446 section 4.1
 * order. Everything is read through span accessors; lists are copied into
 * bounded arrays. */
#include "tls.h"

#include <string.h>

/* RFC 8446 section 4.1.3: the ServerHello.random of a HelloRetryRequest. */
static const uint8_t hrr_random[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};

/* Read a list of u16 values from a span into a bounded array. */
static int read_u16_list(struct span list, uint16_t *out, uint16_t cap, uint16_t *n,
                         uint8_t *truncated)
{
    uint16_t v;
    *n = 0;
    if (list.n % 2)
        return 0;
    while (span_u16(&list, &v)) {
        if (*n < cap)
            out[(*n)++] = v;
        else
            *truncated = 1;
    }
    return 1;
}

static int parse_sni(struct span ext, struct tls_client_hello *ch)
{
    struct span list, name;
    uint8_t type;
    /* RFC 6066 section 3: ServerNameList; the first host_name is kept. */
    if (!span_vec16(&ext, &list))
        return 0;
    while (span_u8(&list, &type)) {
        if (!span_vec16(&list, &name))
            return 0;
        if (type != 0 || ch->has_sni)
            continue;
        size_t k = name.n > TLS_MAX_SNI ? TLS_MAX_SNI : name.n;
        if (name.n > TLS_MAX_SNI)
            ch->names_truncated = 1;
        memcpy(ch->sni, name.p, k);
        ch->sni[k] = 0;
        ch->sni_len = (uint8_t)k;
        ch->has_sni = 1;
    }
    return 1;
}

static int parse_client_alpn(struct span ext, struct tls_client_hello *ch)
{
    struct span list, name;
    if (!span_vec16(&ext, &list))
        return 0;
    ch->has_alpn = 1;
    /* Keep the wire format (length-prefixed names), whole names only. */
    while (span_vec8(&list, &name)) {
        if ((size_t)ch->alpn_len + 1 + name.n > TLS_MAX_ALPN_BYTES) {
            /* JA4 reads the first name only: lost only if it is the one cut. */
            if (ch->alpn_len == 0)
                ch->truncated = 1;
            ch->names_truncated = 1;
            break;
        }
        ch->alpn[ch->alpn_len++] = (uint8_t)name.n;
        memcpy(ch->alpn + ch->alpn_len, name.p, name.n);
        ch->alpn_len = (uint8_t)(ch->alpn_len + name.n);
    }
    return 1;
}

static int parse_client_key_share(struct span ext, struct tls_client_hello *ch)
{
    struct span list, key;
    uint16_t group;
    if (!span_vec16(&ext, &list))
        return 0;
    while (span_u16(&list, &group)) {
        if (!span_vec16(&list, &key))
            return 0;
        if (ch->n_key_shares < TLS_MAX_GROUPS)
            ch->key_shares[ch->n_key_shares++] = group;
        else
            ch->truncated = 1;
    }
    return 1;
}

static int parse_client_extension(uint16_t type, struct span ext, struct tls_client_hello *ch)
{
    struct span list;
    switch (type) {
    case TLS_EXT_SERVER_NAME:
        return ext.n == 0 || parse_sni(ext, ch);
    case TLS_EXT_SUPPORTED_GROUPS:
        return span_vec16(&ext, &list) &&
               read_u16_list(list, ch->groups, TLS_MAX_GROUPS, &ch->n_groups, &ch->truncated);
    case TLS_EXT_EC_POINT_FORMATS: {
        uint8_t f;
        if (!span_vec8(&ext, &list))
            return 0;
        while (span_u8(&list, &f)) {
            if (ch->n_point_formats < TLS_MAX_POINT_FORMATS)
                ch->point_formats[ch->n_point_formats++] = f;
            else
                ch->truncated = 1;
        }
        return 1;
    }
    case TLS_EXT_SIGNATURE_ALGORITHMS:
        return span_vec16(&ext, &list) &&
               read_u16_list(list, ch->sigalgs, TLS_MAX_SIGALGS, &ch->n_sigalgs, &ch->truncated);
    case TLS_EXT_ALPN:
        return parse_client_alpn(ext, ch);
    case TLS_EXT_SUPPORTED_VERSIONS:
        ch->has_supported_versions = 1;
        return span_vec8(&ext, &list) &&
               read_u16_list(list, ch->versions, TLS_MAX_VERSIONS, &ch->n_versions, &ch->truncated);
    case TLS_EXT_KEY_SHARE:
        return parse_client_key_share(ext, ch);
    case TLS_EXT_PRE_SHARED_KEY:
        ch->has_psk = 1;
        return 1;
    default:
        return 1;
    }
}

static int parse_client_hello(struct span body, struct tls_client_hello *ch, int dtls)
{
    struct span random, sid, cookie, suites, comp, exts, ext;
    uint16_t type;

    memset(ch, 0, offsetof(struct tls_client_hello, ciphers));
    ch->sni[0] = 0;
    ch->dtls = (uint8_t)dtls;
    if (!span_u16(&body, &ch->legacy_version) || !span_sub(&body, 32, &random) ||
        !span_vec8(&body, &sid) || sid.n > 32)
        return TLS_PARSE_BAD;
    if (dtls) {
        if (!span_vec8(&body, &cookie))
            return TLS_PARSE_BAD;
        ch->cookie_len = (uint8_t)cookie.n;
    }
    if (!span_vec16(&body, &suites) || !span_vec8(&body, &comp))
        return TLS_PARSE_BAD;
    memcpy(ch->random, random.p, 32);
    memcpy(ch->session_id, sid.p, sid.n);
    ch->session_id_len = (uint8_t)sid.n;
    if (!read_u16_list(suites, ch->ciphers, TLS_MAX_CIPHERS, &ch->n_ciphers, &ch->truncated))
        return TLS_PARSE_BAD;
    if (body.n == 0) /* no extensions block (SSL 3.0, old TLS) */
        return TLS_PARSE_OK;
    if (!span_vec16(&body, &exts))
        return TLS_PARSE_BAD;
    while (exts.n >= 4) {
        if (!span_u16(&exts, &type) || !span_vec16(&exts, &ext))
            return TLS_PARSE_BAD;
        if (ch->n_extensions < TLS_MAX_EXTENSIONS)
            ch->extensions[ch->n_extensions++] = type;
        else
            ch->truncated = 1;
        if (!parse_client_extension(type, ext, ch))
            return TLS_PARSE_BAD;
    }
    /* 1-3 stray bytes after the last extension: kept as parsed (as
     * Wireshark does), flagged. */
    if (exts.n)
        ch->trailing_bytes = 1;
    return TLS_PARSE_OK;
}

int tls_parse_client_hello(struct span body, struct tls_client_hello *ch)
{
    return parse_client_hello(body, ch, 0);
}

int tls_parse_client_hello_dtls(struct span body, struct tls_client_hello *ch)
{
    return parse_client_hello(body, ch, 1);
}

static int parse_server_extension(uint16_t type, struct span ext, struct tls_server_hello *sh)
{
    struct span list, name;
    switch (type) {
    case TLS_EXT_SUPPORTED_VERSIONS:
        return span_u16(&ext, &sh->selected_version);
    case TLS_EXT_KEY_SHARE:
        /* ServerHello: KeyShareEntry; HelloRetryRequest: selected_group. */
        return span_u16(&ext, &sh->key_share_group);
    case TLS_EXT_PRE_SHARED_KEY:
        sh->has_psk = 1;
        return 1;
    case TLS_EXT_ALPN:
        if (!span_vec16(&ext, &list) || !span_vec8(&list, &name))
            return 0;
        memcpy(sh->alpn, name.p, name.n); /* name.n <= 255 by its u8 length */
        sh->alpn[name.n] = 0;
        sh->alpn_len = (uint8_t)name.n;
        return 1;
    default:
        return 1;
    }
}

/* draft_layout: TLS 1.3 drafts up to 21 had no session id and no
 * compression method (draft 22 put them back, with legacy_version 0x0303);
 * such a hello must then fill the body exactly. */
static int parse_server_hello(struct span body, struct tls_server_hello *sh, int draft_layout)
{
    struct span random, sid, exts, ext;
    uint16_t type;

    memset(sh, 0, sizeof(*sh));
    if (!span_u16(&body, &sh->legacy_version) || !span_sub(&body, 32, &random))
        return TLS_PARSE_BAD;
    if (draft_layout) {
        sid = span_make(random.p, 0); /* none: an empty span, not a null one */
        if (!span_u16(&body, &sh->cipher))
            return TLS_PARSE_BAD;
    } else if (!span_vec8(&body, &sid) || sid.n > 32 || !span_u16(&body, &sh->cipher) ||
               !span_u8(&body, &sh->compression)) {
        return TLS_PARSE_BAD;
    }
    memcpy(sh->random, random.p, 32);
    memcpy(sh->session_id, sid.p, sid.n);
    sh->session_id_len = (uint8_t)sid.n;
    sh->is_hrr = memcmp(sh->random, hrr_random, 32) == 0;
    if (body.n == 0)
        return TLS_PARSE_OK;
    if (!span_vec16(&body, &exts) || (draft_layout && body.n))
        return TLS_PARSE_BAD;
    while (exts.n >= 4) {
        if (!span_u16(&exts, &type) || !span_vec16(&exts, &ext))
            return TLS_PARSE_BAD;
        if (sh->n_extensions < TLS_MAX_EXTENSIONS)
            sh->extensions[sh->n_extensions++] = type;
        else
            sh->truncated = 1;
        if (!parse_server_extension(type, ext, sh))
            return TLS_PARSE_BAD;
    }
    /* 1-3 stray bytes after the last extension: kept as parsed and flagged,
     * as for the ClientHello (and Wireshark); not in a draft reading, which
     * must fit exactly to be believed. */
    if (exts.n && draft_layout)
        return TLS_PARSE_BAD;
    sh->trailing_bytes = exts.n != 0;
    return TLS_PARSE_OK;
}

int tls_parse_server_hello(struct span body, struct tls_server_hello *sh)
{
    uint16_t v;
    if (span_peek_u16(&body, 0, &v) && tls_server_hello_has_draft_layout(v) &&
        parse_server_hello(body, sh, 1) == TLS_PARSE_OK)
        return TLS_PARSE_OK;
    /* Any other, or a 0x0304 hello in the RFC's layout after all. */
    return parse_server_hello(body, sh, 0);
}

static int sslv2_version_ok(uint16_t v)
{
    return v == 0x0002 || (v >= 0x0300 && v <= 0x0303);
}

size_t tls_sslv2_hello_record_len(struct span s)
{
    uint8_t b0, b1, type, b3, b4;
    uint16_t version;
    /* 2-byte header with the top bit set (no padding), then the message. */
    if (!span_peek_u8(&s, 0, &b0) || !span_peek_u8(&s, 1, &b1) || !span_peek_u8(&s, 2, &type) ||
        !span_peek_u8(&s, 3, &b3) || !span_peek_u8(&s, 4, &b4) || !(b0 & 0x80))
        return 0;
    size_t len = ((size_t)(b0 & 0x7f) << 8) | b1;
    if (type == TLS_HS_CLIENT_HELLO) /* msg_type, version */
        return sslv2_version_ok((uint16_t)(b3 << 8 | b4)) && len >= 9 ? len : 0;
    /* SERVER-HELLO: session-id-hit, certificate type (none on a hit, else
     * X.509), then version 2 when the bytes are here. */
    if (type != TLS_SSLV2_SERVER_HELLO || b3 > 1 || b4 > 1 ||
        (span_peek_u16(&s, 5, &version) && version != 0x0002))
        return 0;
    return len >= 11 ? len : 0;
}

int tls_parse_sslv2_server_hello(struct span msg, struct tls_server_hello *sh)
{
    uint8_t type, hit, cert_type;
    uint16_t cert_len, specs_len, cid_len;
    struct span cert, specs, cid;

    memset(sh, 0, sizeof(*sh));
    sh->sslv2_format = 1;
    if (!span_u8(&msg, &type) || type != TLS_SSLV2_SERVER_HELLO || !span_u8(&msg, &hit) ||
        !span_u8(&msg, &cert_type) || !span_u16(&msg, &sh->legacy_version) ||
        !span_u16(&msg, &cert_len) || !span_u16(&msg, &specs_len) || !span_u16(&msg, &cid_len) ||
        hit > 1 || sh->legacy_version != 0x0002 || specs_len % 3 || cid_len < 16 || cid_len > 32 ||
        !span_sub(&msg, cert_len, &cert) || !span_sub(&msg, specs_len, &specs) ||
        !span_sub(&msg, cid_len, &cid))
        return TLS_PARSE_BAD;
    sh->sslv2_session_id_hit = hit;
    memcpy(sh->random + 32 - cid.n, cid.p, cid.n); /* tells a repeat apart */
    return TLS_PARSE_OK;
}

int tls_parse_sslv2_client_hello(struct span msg, struct tls_client_hello *ch)
{
    uint8_t type;
    uint16_t spec_len, sid_len, chal_len;
    struct span specs, sid, chal;

    memset(ch, 0, offsetof(struct tls_client_hello, ciphers));
    ch->sni[0] = 0;
    ch->sslv2_format = 1;
    if (!span_u8(&msg, &type) || type != TLS_HS_CLIENT_HELLO ||
        !span_u16(&msg, &ch->legacy_version) || !span_u16(&msg, &spec_len) ||
        !span_u16(&msg, &sid_len) || !span_u16(&msg, &chal_len) || spec_len % 3 || sid_len > 32 ||
        chal_len < 16 || chal_len > 32 || !span_sub(&msg, spec_len, &specs) ||
        !span_sub(&msg, sid_len, &sid) || !span_sub(&msg, chal_len, &chal))
        return TLS_PARSE_BAD;
    /* Only 3-byte specs with a zero first byte are TLS suites; the SSLv2-only
     * kinds have no name in the log's format and are left out. */
    uint8_t hi;
    uint16_t lo;
    while (span_u8(&specs, &hi) && span_u16(&specs, &lo)) {
        if (hi != 0)
            continue;
        if (ch->n_ciphers < TLS_MAX_CIPHERS)
            ch->ciphers[ch->n_ciphers++] = lo;
        else
            ch->truncated = 1;
    }
    memcpy(ch->session_id, sid.p, sid.n);
    ch->session_id_len = (uint8_t)sid.n;
    /* RFC 5246 appendix E.2: the challenge is right-aligned in the random. */
    memcpy(ch->random + 32 - chal.n, chal.p, chal.n);
    return TLS_PARSE_OK;
}

int tls_looks_like_record(struct span s)
{
    uint8_t type, major, minor;
    uint16_t len;
    if (!span_peek_u8(&s, 0, &type) || !span_peek_u8(&s, 1, &major) || !span_peek_u8(&s, 2, &minor))
        return 0;
    if (type < TLS_CT_CHANGE_CIPHER_SPEC || type > TLS_CT_APPLICATION_DATA || major != 3 ||
        minor > 4)
        return 0;
    /* RFC 8446 section 5.1/5.2: at most 2^14 + 2048 bytes of payload. */
    if (span_peek_u16(&s, 3, &len) && (len == 0 || len > 16384 + 2048))
        return 0;
    return 1;
}

uint16_t tls_client_max_version(const struct tls_client_hello *ch)
{
    if (!ch->has_supported_versions || ch->n_versions == 0)
        return ch->legacy_version;
    uint16_t best = 0;
    int best_rank = -1;
    for (unsigned i = 0; i < ch->n_versions; i++) {
        uint16_t v = ch->versions[i];
        if (tls_is_grease(v))
            continue;
        int r = tls_version_rank(v);
        /* The final version outranks its drafts (which rank with it), so
         * that the answer does not hang on the list's order. */
        if (r > best_rank || (r == best_rank && (v == 0x0304 || v == 0xfefc))) {
            best_rank = r;
            best = v;
        }
    }
    return best ? best : ch->legacy_version;
}

int tls_version_rank(uint16_t v)
{
    switch (v) {
    case 0x0002:
        return 1;
    case 0x0300:
        return 2;
    case 0x0301:
    case 0xfeff:
        return 3;
    case 0x0302:
        return 4;
    case 0x0303:
    case 0xfefd:
        return 5;
    case 0x0304:
    case 0xfefc:
        return 6;
    default:
        return tls_version_is_13(v) ? 6 : 0; /* a TLS 1.3 draft */
    }
}

const char *tls_version_protocol(uint16_t v)
{
    switch (v) {
    case 0x0002:
    case 0x0300:
        return "ssl";
    case 0x0301:
    case 0x0302:
    case 0x0303:
    case 0x0304:
        return "tls";
    case 0xfeff:
    case 0xfefd:
    case 0xfefc:
        return "dtls";
    default:
        return NULL;
    }
}

const char *tls_version_number(uint16_t v)
{
    switch (v) {
    case 0x0002:
        return "2.0";
    case 0x0300:
        return "3.0";
    case 0x0301:
    case 0xfeff:
        return "1.0";
    case 0x0302:
        return "1.1";
    case 0x0303:
    case 0xfefd:
        return "1.2";
    case 0x0304:
    case 0xfefc:
        return "1.3";
    default:
        return NULL;
    }
}
