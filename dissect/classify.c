/* classify.c: nDPI 4.2 wrapper and the mapping from its protocol ids to the
 * log's network.protocol names. */
#include "classify.h"

#include <ctype.h>
#include <ndpi/ndpi_api.h>
#include <stdlib.h>
#include <string.h>

struct classify_stats classify_stats;

/* nDPI's host table answers for a name alone, but each look-up runs its
 * automata and clears a whole flow struct; a client population asks for
 * the same few thousand names again and again. Sets of two (most recently
 * used first: a few names colliding in one slot made a direct-mapped
 * cache miss on and off), exact (the name is compared), names up to
 * HOST_CACHE_NAME bytes. */
#define HOST_CACHE_SETS 512
#define HOST_CACHE_NAME 47
struct host_cache_entry {
    uint8_t len; /* 0: empty */
    uint16_t app;
    char name[HOST_CACHE_NAME];
};

struct classifier {
    struct ndpi_detection_module_struct *ndpi;
    int nprotos;
    char **lower_names;               /* nDPI protocol names, lowercased */
    struct ndpi_flow_struct *scratch; /* for host-table look-ups */
    struct host_cache_entry host_cache[HOST_CACHE_SETS][2];
};

/* nDPI protocols that are application protocols in the log's sense. */
static const struct {
    uint16_t id;
    const char *name;
} protocol_map[] = {
    {NDPI_PROTOCOL_FTP_CONTROL, "ftp"},
    {NDPI_PROTOCOL_MAIL_POP, "pop3"},
    {NDPI_PROTOCOL_MAIL_POPS, "pop3"},
    {NDPI_PROTOCOL_MAIL_SMTP, "smtp"},
    {NDPI_PROTOCOL_MAIL_SMTPS, "smtp"},
    {NDPI_PROTOCOL_MAIL_IMAP, "imap"},
    {NDPI_PROTOCOL_MAIL_IMAPS, "imap"},
    {NDPI_PROTOCOL_DNS, "dns"},
    {NDPI_PROTOCOL_DOH_DOT, "dns"},
    {NDPI_PROTOCOL_HTTP, "http"},
    {NDPI_PROTOCOL_POSTGRES, "postgresql"},
    {NDPI_PROTOCOL_MYSQL, "mysql"},
    {NDPI_PROTOCOL_LDAP, "ldap"},
    {NDPI_PROTOCOL_JABBER, "xmpp"},
    {NDPI_PROTOCOL_RDP, "rdp"},
    {NDPI_PROTOCOL_STUN, "stun"},
    {NDPI_PROTOCOL_IRC, "irc"},
    {NDPI_PROTOCOL_USENET, "nntp"},
    {NDPI_PROTOCOL_SIP, "sip"},
    {NDPI_PROTOCOL_OPENVPN, "openvpn"},
    {NDPI_PROTOCOL_SOCKS, "socks"},
    {NDPI_PROTOCOL_HTTP_CONNECT, "http"},
    {NDPI_PROTOCOL_HTTP_PROXY, "http"},
    {NDPI_PROTOCOL_MSSQL_TDS, "mssql"},
    {NDPI_PROTOCOL_MQTT, "mqtt"},
    {NDPI_PROTOCOL_AMQP, "amqp"},
    {NDPI_PROTOCOL_SSH, "ssh"},
    {NDPI_PROTOCOL_REDIS, "redis"},
    {NDPI_PROTOCOL_DTLS, "dtls"},
    {NDPI_PROTOCOL_QUIC, "quic"},
};

/* ALPN (IANA TLS ALPN Protocol IDs) to protocol. */
static const struct {
    const char *alpn;
    const char *name;
} alpn_map[] = {
    {"h2", "https"},
    {"http/1.1", "https"},
    {"http/1.0", "https"},
    {"h3", "https"},
    {"spdy/3", "https"},
    {"spdy/3.1", "https"},
    {"imap", "imap"},
    {"pop3", "pop3"},
    {"ftp", "ftp"},
    {"xmpp-client", "xmpp"},
    {"xmpp-server", "xmpp"},
    {"dot", "dns"},
    {"doq", "dns"},
    {"managesieve", "managesieve"},
    {"postgresql", "postgresql"},
    {"mqtt", "mqtt"},
    {"irc", "irc"},
    {"nntp", "nntp"},
    {"smb", "smb"},
    {"ldap", "ldap"},
    {"sip/2", "sip"},
};

/* Well-known TLS ports (a hint, used last). */
static const struct {
    uint16_t port;
    const char *name;
} port_map[] = {
    {443, "https"},       {8443, "https"}, {993, "imap"},  {143, "imap"},  {995, "pop3"},
    {110, "pop3"},        {465, "smtp"},   {587, "smtp"},  {25, "smtp"},   {636, "ldap"},
    {389, "ldap"},        {3269, "ldap"},  {990, "ftp"},   {21, "ftp"},    {5222, "xmpp"},
    {5223, "xmpp"},       {5269, "xmpp"},  {853, "dns"},   {3389, "rdp"},  {5061, "sip"},
    {8883, "mqtt"},       {5671, "amqp"},  {6697, "irc"},  {563, "nntp"},  {4190, "managesieve"},
    {5432, "postgresql"}, {3306, "mysql"}, {3478, "turn"}, {5349, "turn"},
};

struct classifier *classifier_new(char *err, size_t errlen)
{
    struct classifier *c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->ndpi = ndpi_init_detection_module(ndpi_no_prefs);
    if (!c->ndpi) {
        snprintf(err, errlen, "nDPI initialisation failed");
        free(c);
        return NULL;
    }
    NDPI_PROTOCOL_BITMASK all;
    NDPI_BITMASK_SET_ALL(all);
    ndpi_set_protocol_detection_bitmask2(c->ndpi, &all);
    ndpi_finalize_initialization(c->ndpi);
    c->nprotos = (int)ndpi_get_num_supported_protocols(c->ndpi);
    c->scratch = ndpi_flow_malloc(SIZEOF_FLOW_STRUCT);
    if (c->scratch)
        memset(c->scratch, 0, SIZEOF_FLOW_STRUCT);
    c->lower_names = calloc((size_t)c->nprotos, sizeof(char *));
    for (int i = 0; c->lower_names && i < c->nprotos; i++) {
        const char *n = ndpi_get_proto_name(c->ndpi, (u_int16_t)i);
        char *l = strdup(n ? n : "unknown");
        for (char *p = l; p && *p; p++)
            *p = (char)tolower((unsigned char)*p);
        c->lower_names[i] = l;
    }
    return c;
}

void classifier_free(struct classifier *c)
{
    if (!c)
        return;
    for (int i = 0; c->lower_names && i < c->nprotos; i++)
        free(c->lower_names[i]);
    free(c->lower_names);
    ndpi_flow_free(c->scratch); /* its data was freed after each use */
    ndpi_exit_detection_module(c->ndpi);
    free(c);
}

void classify_skip(struct classifier *c, struct classify_state *cs)
{
    classify_release(c, cs);
    cs->by_host = 1;
}

void classify_release(struct classifier *c, struct classify_state *cs)
{
    (void)c;
    if (cs->nf) {
        ndpi_free_flow(cs->nf);
        cs->nf = NULL;
    }
    cs->done = 1;
}

/* Does the payload start with an HTTP/1.x request line other than CONNECT?
 * Such a flow carries no TLS (a CONNECT tunnel does, and goes to nDPI), and
 * nDPI's HTTP dissection (Host and User-Agent matching) cost ~20k
 * instructions a packet for a name tlsmon would never write. */
static int http_request_start(const uint8_t *p, size_t n)
{
    static const char *const methods[] = {"GET ",    "POST ",    "HEAD ",  "PUT ",
                                          "DELETE ", "OPTIONS ", "PATCH ", "TRACE "};
    size_t m = 0;
    for (size_t i = 0; i < sizeof(methods) / sizeof(*methods) && !m; i++) {
        size_t k = strlen(methods[i]);
        if (n >= k && memcmp(p, methods[i], k) == 0)
            m = k;
    }
    if (!m)
        return 0;
    const uint8_t *eol = memchr(p, '\n', n);
    size_t line = eol ? (size_t)(eol - p) : n;
    for (size_t i = m; i + 7 <= line; i++)
        if (p[i] == ' ' && memcmp(p + i + 1, "HTTP/1.", 7) == 0)
            return 1;
    return 0;
}

void classify_packet(struct classifier *c, struct classify_state *cs, const struct packet_view *pv)
{
    if (cs->done)
        return;
    if (!cs->nf && pv->transport == TRANSPORT_TCP &&
        http_request_start(pv->payload, pv->payload_len)) {
        classify_stats.http_by_tlsmon++;
        classify_skip(c, cs);
        return;
    }
    if (!cs->nf) {
        cs->nf = ndpi_flow_malloc(SIZEOF_FLOW_STRUCT);
        if (!cs->nf) {
            classify_stats.alloc_failed++;
            cs->done = 1;
            return;
        }
        memset(cs->nf, 0, SIZEOF_FLOW_STRUCT);
        classify_stats.flows++;
    }
    uint16_t len = pv->l3_len > 65535 ? 65535 : (uint16_t)pv->l3_len;
    ndpi_protocol p =
        ndpi_detection_process_packet(c->ndpi, cs->nf, pv->l3, len, (u_int64_t)(pv->ts_us / 1000));
    cs->packets++;
    if (p.app_protocol != NDPI_PROTOCOL_UNKNOWN || p.master_protocol != NDPI_PROTOCOL_UNKNOWN) {
        cs->master = p.master_protocol;
        cs->app = p.app_protocol;
        classify_stats.classified++;
        classify_release(c, cs);
        return;
    }
    if (cs->packets >= CLASSIFY_MAX_PACKETS) {
        u_int8_t guessed = 0;
        p = ndpi_detection_giveup(c->ndpi, cs->nf, 0, &guessed);
        if (!guessed && (p.app_protocol || p.master_protocol)) {
            cs->master = p.master_protocol;
            cs->app = p.app_protocol;
            classify_stats.classified++;
        }
        classify_release(c, cs);
    }
}

static const char *mapped_protocol(uint16_t id)
{
    for (size_t i = 0; i < sizeof(protocol_map) / sizeof(*protocol_map); i++)
        if (protocol_map[i].id == id)
            return protocol_map[i].name;
    return NULL;
}

/* The protocol of an ALPN name, or NULL. */
static const char *alpn_name_protocol(const char *chosen)
{
    for (size_t i = 0; i < sizeof(alpn_map) / sizeof(*alpn_map); i++)
        if (strcmp(alpn_map[i].alpn, chosen) == 0)
            return alpn_map[i].name;
    /* Draft and vendor spellings: "h3-29", "h3-T051", "doq-i00". */
    if (strncmp(chosen, "h3-", 3) == 0 || strncmp(chosen, "hq-", 3) == 0)
        return "https";
    if (strncmp(chosen, "doq-", 4) == 0)
        return "dns";
    return NULL;
}

/* The ALPN protocol the server chose, else (only_offered) the client's
 * first offer: an offer is a weaker hint than a well-known port. */
static const char *alpn_protocol(const struct tls_handshake *hs, int only_offered)
{
    char first[256];
    if (!only_offered)
        return hs->has_sh && hs->sh.alpn_len ? alpn_name_protocol(hs->sh.alpn) : NULL;
    if (hs->has_ch && hs->ch.alpn_len > 1 && hs->ch.alpn[0] < hs->ch.alpn_len) {
        memcpy(first, hs->ch.alpn + 1, hs->ch.alpn[0]);
        first[hs->ch.alpn[0]] = 0;
        return alpn_name_protocol(first);
    }
    return NULL;
}

static const char *port_protocol(uint16_t port)
{
    for (size_t i = 0; i < sizeof(port_map) / sizeof(*port_map); i++)
        if (port_map[i].port == port)
            return port_map[i].name;
    return NULL;
}

/* The application of a flow nDPI did not dissect (tlsmon read its TLS or
 * QUIC itself): nDPI's host table matched against the SNI, else its address
 * table against the server. One look-up per handshake. */
/* nDPI's application for a server address (its IP lists: Microsoft 365,
 * Google, ...). */
static uint16_t address_application(struct classifier *c, const struct endpoint *server)
{
    if (server && server->family == ADDR_V4) {
        struct in_addr a;
        memcpy(&a, server->addr, 4);
        return ndpi_network_ptree_match(c->ndpi, &a);
    }
    return NDPI_PROTOCOL_UNKNOWN;
}

static uint16_t host_match(struct classifier *c, const char *sni, size_t len)
{
    struct host_cache_entry *set = NULL;
    if (len > 0 && len <= HOST_CACHE_NAME) {
        uint32_t h = 2166136261u; /* FNV-1a: a miss costs only the look-up */
        for (size_t i = 0; i < len; i++)
            h = (h ^ (uint8_t)sni[i]) * 16777619u;
        set = c->host_cache[h % HOST_CACHE_SETS];
        if (set[0].len == len && memcmp(set[0].name, sni, len) == 0)
            return set[0].app;
        if (set[1].len == len && memcmp(set[1].name, sni, len) == 0) {
            struct host_cache_entry t = set[0];
            set[0] = set[1];
            set[1] = t;
            return set[0].app;
        }
    }
    char name[TLS_MAX_SNI + 1];
    ndpi_protocol_match_result m;
    memcpy(name, sni, len);
    name[len] = 0;
    uint16_t id =
        ndpi_match_host_subprotocol(c->ndpi, c->scratch, name, (u_int)len, &m, NDPI_PROTOCOL_TLS);
    ndpi_free_flow_data(c->scratch);
    memset(c->scratch, 0, SIZEOF_FLOW_STRUCT);
    if (set) {
        set[1] = set[0];
        set[0].len = (uint8_t)len;
        set[0].app = id;
        memcpy(set[0].name, sni, len);
    }
    return id;
}

static uint16_t host_application(struct classifier *c, const struct tls_handshake *hs)
{
    if (hs->has_ch && hs->ch.has_sni && c->scratch) {
        uint16_t id = host_match(c, (const char *)hs->ch.sni, hs->ch.sni_len);
        if (id != NDPI_PROTOCOL_UNKNOWN)
            return id;
    }
    return address_application(c, &hs->server);
}

void classify_names(struct classifier *c, const struct classify_state *cs,
                    const struct tls_handshake *hs, const struct endpoint *server,
                    const char **protocol, const char **application)
{
    const char *p = NULL;
    *application = NULL;
    uint16_t app = cs ? cs->app : 0;
    if (!cs || (cs->by_host && !cs->app && !cs->master))
        app = hs ? host_application(c, hs) : address_application(c, server);
    if (app && (!cs || app != cs->master) && !mapped_protocol(app) && app != NDPI_PROTOCOL_TLS &&
        app != NDPI_PROTOCOL_QUIC && app < c->nprotos && c->lower_names)
        *application = c->lower_names[app];
    p = mapped_protocol(app);
    if (!p && cs)
        p = mapped_protocol(cs->master);
    /* nDPI's "TLS", "QUIC", "DTLS" name the carrier, not the application. */
    if (!p || !strcmp(p, "dtls") || !strcmp(p, "quic")) {
        /* Chosen ALPN, the server's well-known port (or the client's: a
         * TURN server relays hellos toward its clients' ephemeral ports),
         * then the client's first ALPN offer. */
        const char *q = hs ? alpn_protocol(hs, 0) : NULL;
        if (!q && hs)
            q = port_protocol(hs->server.port);
        if (!q && hs)
            q = port_protocol(hs->client.port);
        if (!q && hs)
            q = alpn_protocol(hs, 1);
        if (q)
            p = q;
    }
    *protocol = p ? p : "unknown";
}

const char *classify_ndpi_version(void)
{
    return ndpi_revision();
}
