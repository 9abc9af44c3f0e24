/* test_starttls.c: the plaintext phase before TLS (dissect/plaintext.c and
 * the protocol machines dissect/starttls_*.c), and how a session reports it
 * (dissect/session.c: feed_plaintext, emit_plaintext).
 *
 * The transcripts are real where a capture exists: the corpus beside the
 * repository (../shared/corpus/ndpi, nDPI's regression captures) and
 * pcaps/mail/ (dovecot and aiosmtpd sessions, see pcaps/mail/README.md).
 * Each segment names its capture frame; a retransmitted frame is left out,
 * as TCP reassembly would drop it. They were taken with
 *   tshark -r F -Y 'tcp.len>0' -T fields -e tcp.srcport -e tcp.payload
 * LDAP, NNTP and ManageSieve have no STARTTLS capture in the corpus: those
 * transcripts are built from the RFCs' examples (each says which), and so
 * are the few others marked "built".
 *
 * Sections: 1. each machine fed directly (plaintext_feed); 2. the same
 * transcripts cut every way; 3. pipelining; 4. identification; 5. whole
 * captures through session_data; 6. garbage, prefixes and long lines. */
#include "testutil.h"

#include <arpa/inet.h>

#include "dissect/plaintext.h"

/* ---- transcripts ------------------------------------------------------------ */

enum { CLI = 0, SRV = 1 };

struct seg {
    uint8_t srv;    /* sent by the server */
    uint16_t frame; /* frame number in the capture; 0: built */
    const char *p;
    size_t n;
};

#define SEG(srv_, frame_, lit_)                                                                    \
    {                                                                                              \
        (srv_), (frame_), (lit_), sizeof(lit_) - 1                                                 \
    }
#define BUILT(srv_, lit_) SEG(srv_, 0, lit_)
#define NSEG(a) (sizeof(a) / sizeof(*(a)))

#define OFFERED_ANY 0xff /* not checked here: see the known-bug test named in the table */

/* What plaintext_feed should find in a whole transcript. When `upgraded`,
 * TLS begins right after the transcript's last byte (its last segment is
 * the server's accepting reply). */
struct want {
    const char *proto;
    uint8_t offered; /* PT_UNKNOWN, PT_NO, PT_YES */
    uint8_t requested, refused, upgraded;
    const char *creds;
    uint8_t concluded;
};

struct transcript {
    const char *name;
    uint16_t server_port;
    const struct seg *seg;
    size_t nseg;
    struct want want;
    uint8_t binary; /* a chunk protocol (XMPP, LDAP, PostgreSQL): see section 2 */
};

#define TRANSCRIPT(name_, port_, segs_, binary_, ...)                                              \
    {                                                                                              \
        name_, port_, segs_, NSEG(segs_), __VA_ARGS__, binary_                                     \
    }

/* -- SMTP -- */

/* corpus/ndpi/smtp-starttls.pcap, TCP stream 0 (Google's MX). */
static const struct seg smtp_google[] = {
    SEG(SRV, 4, "220 mx.google.com ESMTP s4si9696358qcc.63 - gsmtp\r\n"),
    SEG(CLI, 6, "EHLO xxxxxxxxxxxxx.xxx.com\r\n"),
    SEG(SRV, 8,
        "250-mx.google.com at your service, [10.000.000.01]\r\n"
        "250-SIZE 35882577\r\n"
        "250-8BITMIME\r\n"
        "250-STARTTLS\r\n"
        "250-ENHANCEDSTATUSCODES\r\n"
        "250-PIPELINING\r\n"
        "250 CHUNKING\r\n"),
    SEG(CLI, 9, "STARTTLS\r\n"),
    SEG(SRV, 10, "220 2.0.0 Ready to start TLS\r\n"),
};

/* corpus/ndpi/smtp-starttls.pcap, TCP stream 1 (Postfix). */
static const struct seg smtp_postfix[] = {
    SEG(SRV, 40, "220 jw-vm08-int-dns.webernetz.net ESMTP Postfix (Ubuntu)\r\n"),
    SEG(CLI, 41, "EHLO [IPv6:2003:de:2016:125:fc36:8317:4e86:cb72]\r\n"),
    SEG(SRV, 43,
        "250-jw-vm08-int-dns.webernetz.net\r\n"
        "250-PIPELINING\r\n"
        "250-SIZE 10240000\r\n"
        "250-VRFY\r\n"
        "250-ETRN\r\n"
        "250-STARTTLS\r\n"
        "250-ENHANCEDSTATUSCODES\r\n"
        "250-8BITMIME\r\n"
        "250 DSN\r\n"),
    SEG(CLI, 44, "STARTTLS\r\n"),
    SEG(SRV, 45, "220 2.0.0 Ready to start TLS\r\n"),
};

/* Built: LMTP (RFC 2033 section 4.2's greeting and LHLO, the reply listing
 * STARTTLS as RFC 3207 section 4 has it), on port 24. */
static const struct seg lmtp_starttls[] = {
    BUILT(SRV, "220 foo.edu LMTP server ready\r\n"),
    BUILT(CLI, "LHLO foo.edu\r\n"),
    BUILT(SRV, "250-foo.edu\r\n"
               "250-PIPELINING\r\n"
               "250-STARTTLS\r\n"
               "250 SIZE\r\n"),
    BUILT(CLI, "STARTTLS\r\n"),
    BUILT(SRV, "220 Go ahead\r\n"),
};

/* pcaps/mail/smtp_starttls_refused.pcap, session 3 (bash client against
 * aiosmtpd without a certificate). Frame 46 repeats frame 45 (same sequence
 * number) and is left out. */
static const struct seg smtp_refused[] = {
    SEG(SRV, 39, "220 localhost Python SMTP 1.4.3\r\n"),
    SEG(CLI, 41, "EHLO client.example\r\n"),
    SEG(SRV, 43, "250-localhost\r\n"),
    SEG(SRV, 44, "250-8BITMIME\r\n"),
    SEG(SRV, 45, "250 HELP\r\n"),
    SEG(CLI, 48, "STARTTLS\r\n"),
    SEG(SRV, 49, "454 TLS not available\r\n"),
    SEG(CLI, 50, "QUIT\r\n"),
    SEG(SRV, 51, "221 Bye\r\n"),
};

/* corpus/ndpi/smtp.pcap (Sendmail 8.8.7): EHLO is refused, HELO accepted,
 * then a mail transaction in clear. */
static const struct seg smtp_plain[] = {
    SEG(SRV, 4,
        "220 pigeon.eyrie.af.mil ESMTP Sendmail 8.8.7/8.8.7; Sat, 7 Aug 1999 08:20:11 -0400\r\n"),
    SEG(CLI, 6, "EHLO delta.peach.mil\r\n"),
    SEG(SRV, 8, "500 Command unrecognized\r\n"),
    SEG(CLI, 9, "HELO delta.peach.mil\r\n"),
    SEG(SRV, 10, "250 (delta.peach.mil) pleased to meet you.\r\n"),
    SEG(CLI, 11, "MAIL From:<coreys@delta.peach.mil>\r\n"),
    SEG(SRV, 12, "250 <coreys@delta.peach.mil>... Sender Ok\r\n"),
};

/* Built: RFC 4954 section 4's AUTH PLAIN with an initial response, after an
 * EHLO reply without STARTTLS. */
static const struct seg smtp_auth_plain[] = {
    BUILT(SRV, "220 smtp.example.com ESMTP server ready\r\n"),
    BUILT(CLI, "EHLO client.example.com\r\n"),
    BUILT(SRV, "250-smtp.example.com Hello client.example.com\r\n"
               "250-AUTH GSSAPI DIGEST-MD5 PLAIN\r\n"
               "250 ENHANCEDSTATUSCODES\r\n"),
    BUILT(CLI, "AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=\r\n"),
    BUILT(SRV, "235 2.7.0 Authentication successful\r\n"),
};

/* Built: AUTH LOGIN (draft-murchison-sasl-login) in clear although the
 * server offers STARTTLS. */
static const struct seg smtp_auth_login[] = {
    BUILT(SRV, "220 mail.example.org ESMTP\r\n"),
    BUILT(CLI, "EHLO client.example.org\r\n"),
    BUILT(SRV, "250-mail.example.org\r\n"
               "250-STARTTLS\r\n"
               "250 AUTH LOGIN PLAIN\r\n"),
    BUILT(CLI, "AUTH LOGIN\r\n"),
    BUILT(SRV, "334 VXNlcm5hbWU6\r\n"),
    BUILT(CLI, "dGVzdA==\r\n"),
    BUILT(SRV, "334 UGFzc3dvcmQ6\r\n"),
    BUILT(CLI, "c2VjcmV0\r\n"),
    BUILT(SRV, "235 2.7.0 Authentication successful\r\n"),
};

/* -- POP3 -- */

/* corpus/ndpi/pop3_stls.pcap (lavabit): AUTH without a mechanism, CAPA,
 * STLS. */
static const struct seg pop3_stls[] = {
    SEG(SRV, 4, "+OK lavad\r\n"),
    SEG(CLI, 5, "AUTH\r\n"),
    SEG(SRV, 7, "-ERR Unrecognized command.\r\n"),
    SEG(CLI, 8, "CAPA\r\n"),
    SEG(SRV, 10,
        "+OK Capabilities follow.\r\n"
        "TOP\r\n"
        "USER\r\n"
        "UIDL\r\n"
        "STLS\r\n"
        "PIPELINING\r\n"
        "EXPIRE NEVER\r\n"
        "LOGIN-DELAY 0\r\n"
        "RESP-CODES\r\n"
        "AUTH-RESP-CODE\r\n"
        "IMPLEMENTATION lavad 4.3.0\r\n"
        ".\r\n"),
    SEG(CLI, 11, "STLS\r\n"),
    SEG(SRV, 12, "+OK Ready to start TLS negotiation.\r\n"),
};

/* corpus/ndpi/pop3.pcap, TCP stream 0 (GMX): USER/PASS in clear. */
static const struct seg pop3_plain[] = {
    SEG(SRV, 4, "+OK POP server ready H migmxus005\r\n"),
    SEG(CLI, 6, "user cicciopernacchio@mail.com\r\n"),
    SEG(SRV, 8, "+OK password required for user \"cicciopernacchio@mail.com\"\r\n"),
    SEG(CLI, 10, "pass pippozzo\r\n"),
    SEG(SRV, 11,
        "+OK mailbox \"cicciopernacchio@mail.com\" has 2 messages (17672 octets) H migmxus005\r\n"),
};

/* pcaps/mail/pop3_plaintext_login.pcap, session 2 (curl against dovecot):
 * CAPA lists STLS, the client goes on with AUTH PLAIN. */
static const struct seg pop3_auth_plain[] = {
    SEG(SRV, 25, "+OK Dovecot (Debian) ready.\r\n"),
    SEG(CLI, 27, "CAPA\r\n"),
    SEG(SRV, 29,
        "+OK\r\n"
        "CAPA\r\n"
        "TOP\r\n"
        "UIDL\r\n"
        "RESP-CODES\r\n"
        "PIPELINING\r\n"
        "AUTH-RESP-CODE\r\n"
        "STLS\r\n"
        "USER\r\n"
        "SASL PLAIN LOGIN\r\n"
        ".\r\n"),
    SEG(CLI, 30, "AUTH PLAIN\r\n"),
    SEG(SRV, 32, "+ \r\n"),
    SEG(CLI, 33, "AHRsc21vbgBzZWNyZXQ=\r\n"),
    SEG(SRV, 35, "+OK Logged in.\r\n"),
};

/* Built: RFC 1939 section 7's APOP example. */
static const struct seg pop3_apop[] = {
    BUILT(SRV, "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"),
    BUILT(CLI, "APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"),
    BUILT(SRV, "+OK maildrop has 1 message (369 octets)\r\n"),
};

/* Built (RFC 2595 section 4, a server without TLS): the greeting and CAPA
 * of pcaps/mail/pop3_plaintext_login.pcap frames 4 and 8 without STLS, then
 * STLS and -ERR. */
static const struct seg pop3_refused[] = {
    BUILT(SRV, "+OK Dovecot (Debian) ready.\r\n"),
    BUILT(CLI, "CAPA\r\n"),
    BUILT(SRV, "+OK\r\n"
               "CAPA\r\n"
               "TOP\r\n"
               "UIDL\r\n"
               "RESP-CODES\r\n"
               "PIPELINING\r\n"
               "AUTH-RESP-CODE\r\n"
               "USER\r\n"
               "SASL PLAIN LOGIN\r\n"
               ".\r\n"),
    BUILT(CLI, "STLS\r\n"),
    BUILT(SRV, "-ERR TLS support isn't enabled.\r\n"),
};

/* -- IMAP -- */

/* corpus/ndpi/imap-starttls.pcap (GMX): capabilities in the greeting and in
 * a CAPABILITY response, tag ".". */
static const struct seg imap_starttls[] = {
    SEG(SRV, 4,
        "* OK [CAPABILITY IMAP4rev1 CHILDREN ENABLE ID IDLE LIST-EXTENDED LIST-STATUS LITERAL+ "
        "MOVE NAMESPACE SASL-IR SORT SPECIAL-USE THREAD=ORDEREDSUBJECT UIDPLUS UNSELECT WITHIN "
        "STARTTLS AUTH=LOGIN AUTH=PLAIN] IMAP server ready H migmx013 104568 "
        "IMAP-0M0Unb-1YwIOs2b5K-00uE1x\r\n"),
    SEG(CLI, 6, ". CAPABILITY\r\n"),
    SEG(SRV, 8,
        "* CAPABILITY IMAP4rev1 CHILDREN ENABLE ID IDLE LIST-EXTENDED LIST-STATUS LITERAL+ MOVE "
        "NAMESPACE SASL-IR SORT SPECIAL-USE THREAD=ORDEREDSUBJECT UIDPLUS UNSELECT WITHIN "
        "STARTTLS AUTH=LOGIN AUTH=PLAIN\r\n"
        ". OK CAPABILITY completed\r\n"),
    SEG(CLI, 10, ". STARTTLS\r\n"),
    SEG(SRV, 11, ". OK Begin TLS negotiation now\r\n"),
};

/* corpus/ndpi/imap.pcap: no capabilities in the greeting, a CAPABILITY
 * response without STARTTLS, LOGIN in clear. */
static const struct seg imap_plain[] = {
    SEG(SRV, 4, "* OK IMAP4Rev1 Server Version 4.9.04.012\r\n"),
    SEG(CLI, 6, "C00000 CAPABILITY\r\n"),
    SEG(SRV, 7, "* CAPABILITY IMAP4rev1 IDLE AUTH=LOGIN AUTH=PLAIN AUTH=CRAM-MD5\r\n"),
    SEG(SRV, 9, "C00000 OK CAPABILITY completed\r\n"),
    SEG(CLI, 11, "C00001 LOGIN samir pfres\r\n"),
    SEG(SRV, 12, "C00001 OK LOGIN completed\r\n"),
};

/* pcaps/mail/imap_plaintext_login.pcap, session 2 (curl against dovecot):
 * AUTHENTICATE PLAIN with an initial response. */
static const struct seg imap_auth_plain[] = {
    SEG(SRV, 24,
        "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS "
        "AUTH=PLAIN AUTH=LOGIN] Dovecot (Debian) ready.\r\n"),
    SEG(CLI, 26, "A001 CAPABILITY\r\n"),
    SEG(SRV, 28,
        "* CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS "
        "AUTH=PLAIN AUTH=LOGIN\r\n"
        "A001 OK Pre-login capabilities listed, post-login capabilities have more.\r\n"),
    SEG(CLI, 29, "A002 AUTHENTICATE PLAIN AHRsc21vbgBzZWNyZXQ=\r\n"),
};

/* Built: RFC 3501 section 6.2.1's example, then the same with the STARTTLS
 * command answered NO and BAD by a server whose capabilities lack it. */
static const struct seg imap_rfc[] = {
    BUILT(SRV, "* OK IMAP4rev1 Service Ready\r\n"),
    BUILT(CLI, "a001 CAPABILITY\r\n"),
    BUILT(SRV, "* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n"
               "a001 OK CAPABILITY completed\r\n"),
    BUILT(CLI, "a002 STARTTLS\r\n"),
    BUILT(SRV, "a002 OK Begin TLS negotiation now\r\n"),
};

static const struct seg imap_refused_no[] = {
    BUILT(SRV, "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] Service Ready\r\n"),
    BUILT(CLI, "a002 STARTTLS\r\n"),
    BUILT(SRV, "a002 NO TLS is not available\r\n"),
};

static const struct seg imap_refused_bad[] = {
    BUILT(SRV, "* OK IMAP4rev1 Service Ready\r\n"),
    BUILT(CLI, "a001 CAPABILITY\r\n"),
    BUILT(SRV, "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n"
               "a001 OK CAPABILITY completed\r\n"),
    BUILT(CLI, "a002 STARTTLS\r\n"),
    BUILT(SRV, "a002 BAD Unknown command\r\n"),
};

/* -- FTP -- */

/* corpus/ndpi/ftp-start-tls.pcap: frames 6 and 11 are copies of frames 5
 * and 10 (same sequence numbers) and are left out. */
static const struct seg ftp_auth_tls[] = {
    SEG(SRV, 5, "220 \"Authorized users only. All activity may be monitored and reported\"\r\n"),
    SEG(CLI, 7, "AUTH TLS\r\n"),
    SEG(SRV, 10, "234 Proceed with negotiation.\r\n"),
};

/* corpus/ndpi/ftp.pcap (vsFTPd): USER/PASS in clear, then FEAT without AUTH
 * TLS. */
static const struct seg ftp_plain[] = {
    SEG(SRV, 4, "220 (vsFTPd 3.0.3)\r\n"),
    SEG(CLI, 6, "USER anonymous\r\n"),
    SEG(SRV, 8, "331 Please specify the password.\r\n"),
    SEG(CLI, 10, "PASS NcFTP@\r\n"),
    SEG(SRV, 12, "230 Login successful.\r\n"),
    SEG(CLI, 14, "PWD\r\n"),
    SEG(SRV, 16, "257 \"/\" is the current directory\r\n"),
    SEG(CLI, 18, "FEAT\r\n"),
    SEG(SRV, 19, "211-Features:\r\n"),
    SEG(SRV, 20,
        " EPRT\r\n"
        " EPSV\r\n"
        " MDTM\r\n"
        " PASV\r\n"
        " REST STREAM\r\n"
        " SIZE\r\n"
        " TVFS\r\n"
        "211 End\r\n"),
};

/* Built: FEAT listing AUTH TLS (RFC 2389 section 3.2 layout, RFC 4217
 * section 6), then AUTH TLS accepted. */
static const struct seg ftp_feat_tls[] = {
    BUILT(SRV, "220 ProFTPD Server (Debian) [192.0.2.10]\r\n"),
    BUILT(CLI, "FEAT\r\n"),
    BUILT(SRV, "211-Features:\r\n"
               " AUTH TLS\r\n"
               " PBSZ\r\n"
               " PROT\r\n"
               " MDTM\r\n"
               " SIZE\r\n"
               "211 End\r\n"),
    BUILT(CLI, "AUTH TLS\r\n"),
    BUILT(SRV, "234 AUTH TLS successful\r\n"),
};

/* Built: vsFTPd without ssl_enable answers AUTH TLS with 530; the greeting
 * and the reply text are those of corpus/ndpi/ftp_failed.pcap frames 4 and
 * 11. */
static const struct seg ftp_refused[] = {
    BUILT(SRV, "220 (vsFTPd 3.0.3)\r\n"),
    BUILT(CLI, "AUTH TLS\r\n"),
    BUILT(SRV, "530 Please login with USER and PASS.\r\n"),
};

/* -- NNTP -- */

/* Built: RFC 4642 section 5's example after RFC 3977's greeting. */
static const struct seg nntp_starttls[] = {
    BUILT(SRV, "200 NNTP Service Ready, posting permitted\r\n"),
    BUILT(CLI, "CAPABILITIES\r\n"),
    BUILT(SRV, "101 Capability list:\r\n"
               "VERSION 2\r\n"
               "READER\r\n"
               "IHAVE\r\n"
               "STARTTLS\r\n"
               "LIST ACTIVE NEWSGROUPS\r\n"
               ".\r\n"),
    BUILT(CLI, "STARTTLS\r\n"),
    BUILT(SRV, "382 Continue with TLS negotiation\r\n"),
};

/* Built: RFC 4642 section 2.2.2's 580 (TLS temporarily unavailable). */
static const struct seg nntp_refused[] = {
    BUILT(SRV, "200 NNTP Service Ready, posting permitted\r\n"),
    BUILT(CLI, "STARTTLS\r\n"),
    BUILT(SRV, "580 Can not initiate TLS negotiation\r\n"),
};

/* Built: RFC 4643 section 2.3.3's AUTHINFO USER/PASS example. */
static const struct seg nntp_authinfo[] = {
    BUILT(SRV, "200 NNTP Service Ready, posting permitted\r\n"),
    BUILT(CLI, "AUTHINFO USER wilma\r\n"),
    BUILT(SRV, "381 Enter passphrase\r\n"),
    BUILT(CLI, "AUTHINFO PASS flintstone\r\n"),
    BUILT(SRV, "281 Authentication accepted\r\n"),
};

/* corpus/ndpi/nntp.pcap (Leafnode): reading news in clear, no STARTTLS
 * asked. */
static const struct seg nntp_plain[] = {
    SEG(SRV, 4,
        "200 Leafnode NNTP Daemon, version 1.11.7.rc1 running at datacenter.viste-family.net "
        "(my fqdn: datacenter.viste-family.net)\r\n"),
    SEG(CLI, 6, "MODE READER\r\n"),
    SEG(SRV, 8, "200 Leafnode 1.11.7.rc1, pleased to meet you!\r\n"),
    SEG(CLI, 9, "GROUP news.software.nntp\r\n"),
    SEG(SRV, 11, "211 217 3 219 news.software.nntp group selected\r\n"),
};

/* -- ManageSieve -- */

/* Built: RFC 5804 section 2.2's greeting and STARTTLS ("StartTls", "oK":
 * keywords are case-insensitive). */
static const struct seg sieve_starttls[] = {
    BUILT(SRV, "\"IMPLEMENTATION\" \"Example1 ManageSieved v001\"\r\n"
               "\"SASL\" \"DIGEST-MD5 GSSAPI\"\r\n"
               "\"SIEVE\" \"fileinto vacation\"\r\n"
               "\"STARTTLS\"\r\n"
               "\"VERSION\" \"1.0\"\r\n"
               "OK\r\n"),
    BUILT(CLI, "StartTls\r\n"),
    BUILT(SRV, "oK\r\n"),
};

/* Built: the same greeting without STARTTLS; STARTTLS answered NO. */
static const struct seg sieve_refused[] = {
    BUILT(SRV, "\"IMPLEMENTATION\" \"Example1 ManageSieved v001\"\r\n"
               "\"SASL\" \"PLAIN\"\r\n"
               "\"SIEVE\" \"fileinto vacation\"\r\n"
               "\"VERSION\" \"1.0\"\r\n"
               "OK\r\n"),
    BUILT(CLI, "STARTTLS\r\n"),
    BUILT(SRV, "NO \"TLS not available\"\r\n"),
};

/* Built: RFC 5804 section 2.1's AUTHENTICATE "PLAIN" example. */
static const struct seg sieve_auth[] = {
    BUILT(SRV, "\"IMPLEMENTATION\" \"Example1 ManageSieved v001\"\r\n"
               "\"SASL\" \"PLAIN\"\r\n"
               "\"SIEVE\" \"fileinto vacation\"\r\n"
               "\"VERSION\" \"1.0\"\r\n"
               "OK\r\n"),
    BUILT(CLI, "Authenticate \"PLAIN\" \"QJIrweAPyo6Q1T9xu\"\r\n"),
    BUILT(SRV, "NO \"Error authenticating\"\r\n"),
};

/* -- XMPP -- */

/* Built: RFC 6120 section 9.1.1 and 9.1.2 (stream header, features with
 * <starttls/>, <proceed/>). */
static const struct seg xmpp_starttls[] = {
    BUILT(CLI, "<?xml version='1.0'?><stream:stream from='juliet@im.example.com' "
               "to='im.example.com' version='1.0' xml:lang='en' xmlns='jabber:client' "
               "xmlns:stream='http://etherx.jabber.org/streams'>"),
    BUILT(SRV, "<?xml version='1.0'?><stream:stream from='im.example.com' "
               "id='t7AMCin9zjMNwQKDnplntZPIDEI=' to='juliet@im.example.com' version='1.0' "
               "xml:lang='en' xmlns='jabber:client' "
               "xmlns:stream='http://etherx.jabber.org/streams'>"),
    BUILT(SRV, "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/>"
               "</starttls></stream:features>"),
    BUILT(CLI, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
    BUILT(SRV, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
};

/* Built: RFC 6120 section 5.4.2.2's <failure/>. */
static const struct seg xmpp_refused[] = {
    BUILT(CLI, "<?xml version='1.0'?><stream:stream to='im.example.com' version='1.0' "
               "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"),
    BUILT(SRV, "<?xml version='1.0'?><stream:stream from='im.example.com' id='a1b2c3' "
               "version='1.0' xmlns='jabber:client' "
               "xmlns:stream='http://etherx.jabber.org/streams'>"
               "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
               "</stream:features>"),
    BUILT(CLI, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
    BUILT(SRV, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>"),
};

/* Built: no <starttls/> offered, SASL PLAIN (RFC 4616) in clear, the
 * attributes double-quoted as in RFC 6120 section 6.4.2. */
static const struct seg xmpp_plain_auth[] = {
    BUILT(CLI, "<?xml version='1.0'?><stream:stream to='im.example.com' version='1.0' "
               "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"),
    BUILT(SRV, "<?xml version='1.0'?><stream:stream from='im.example.com' id='a1b2c3' "
               "version='1.0' xmlns='jabber:client' "
               "xmlns:stream='http://etherx.jabber.org/streams'>"
               "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
               "<mechanism>PLAIN</mechanism></mechanisms></stream:features>"),
    BUILT(CLI, "<auth xmlns=\"urn:ietf:params:xml:ns:xmpp-sasl\" "
               "mechanism=\"PLAIN\">AGp1bGlldAByMG0zMG15cjBtMzA=</auth>"),
};

/* corpus/ndpi/jabber.pcap (ejabberd): features without <starttls/>, SASL
 * DIGEST-MD5 (no password in clear). */
static const struct seg xmpp_jabber[] = {
    SEG(CLI, 6, "<?xml version='1.0' ?>"),
    SEG(CLI, 8,
        "<stream:stream to='cs-xmpp.lan' xmlns='jabber:client' "
        "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"),
    SEG(SRV, 10,
        "<?xml version='1.0'?><stream:stream id='16471686341201772321' version='1.0' "
        "xml:lang='en' xmlns:stream='http://etherx.jabber.org/streams' from='cs-xmpp.lan' "
        "xmlns='jabber:client'>"),
    SEG(SRV, 12,
        "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN"
        "</mechanism><mechanism>DIGEST-MD5</mechanism><mechanism>X-OAUTH2</mechanism><mechanism>"
        "SCRAM-SHA-1</mechanism></mechanisms><register "
        "xmlns='http://jabber.org/features/iq-register'/></stream:features>"),
    SEG(CLI, 14,
        "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='DIGEST-MD5' "
        "xmlns:ga='http://www.google.com/talk/protocol/auth' "
        "ga:client-uses-full-bind-result='true'/>"),
};

/* -- LDAP (built, BER by hand after RFC 4511) -- */

/* ExtendedRequest (section 4.12) for StartTLS (section 4.14.1), messageID 1:
 * SEQUENCE { INTEGER 1, [APPLICATION 23] { [0] "1.3.6.1.4.1.1466.20037" } }. */
#define LDAP_STARTTLS_REQ_1                                                                        \
    "\x30\x1d\x02\x01\x01\x77\x18\x80\x16"                                                         \
    "1.3.6.1.4.1.1466.20037"
/* ExtendedResponse (section 4.14.2), success, with the responseName [10]. */
#define LDAP_STARTTLS_OK_1                                                                         \
    "\x30\x24\x02\x01\x01\x78\x1f\x0a\x01\x00\x04\x00\x04\x00\x8a\x16"                             \
    "1.3.6.1.4.1.1466.20037"
/* BindRequest (section 4.2), version 3, simple authentication "secret". */
#define LDAP_SIMPLE_BIND(id_)                                                                      \
    "\x30\x2c\x02\x01" id_ "\x60\x27\x02\x01\x03\x04\x1a"                                          \
    "cn=admin,dc=example,dc=org"                                                                   \
    "\x80\x06"                                                                                     \
    "secret"
#define LDAP_BIND_OK(id_) "\x30\x0c\x02\x01" id_ "\x61\x07\x0a\x01\x00\x04\x00\x04\x00"

static const struct seg ldap_starttls[] = {
    BUILT(CLI, LDAP_STARTTLS_REQ_1),
    BUILT(SRV, LDAP_STARTTLS_OK_1),
};

/* The server does not know the operation: protocolError (2) with a
 * diagnosticMessage (section 4.12); the client binds in clear. */
static const struct seg ldap_refused_bind[] = {
    BUILT(CLI, LDAP_STARTTLS_REQ_1),
    BUILT(SRV, "\x30\x2a\x02\x01\x01\x78\x25\x0a\x01\x02\x04\x00\x04\x1e"
               "unsupported extended operation"),
    BUILT(CLI, LDAP_SIMPLE_BIND("\x02")),
    BUILT(SRV, LDAP_BIND_OK("\x02")),
};

/* An anonymous simple bind (empty password) is no credential. */
static const struct seg ldap_anonymous[] = {
    BUILT(CLI, "\x30\x0c\x02\x01\x01\x60\x07\x02\x01\x03\x04\x00\x80\x00"),
    BUILT(SRV, LDAP_BIND_OK("\x01")),
};

/* StartTLS with every length in the 4-byte long form, as Windows LDAP
 * clients encode them. */
static const struct seg ldap_long_form[] = {
    BUILT(CLI, "\x30\x84\x00\x00\x00\x21\x02\x01\x01\x77\x84\x00\x00\x00\x18\x80\x16"
               "1.3.6.1.4.1.1466.20037"),
    BUILT(SRV, "\x30\x84\x00\x00\x00\x10\x02\x01\x01\x78\x84\x00\x00\x00\x07\x0a\x01\x00\x04"
               "\x00\x04\x00"),
};

/* -- PostgreSQL -- */

/* corpus/ndpi/pgsql2.pcapng: SSLRequest (length 8, code 80877103), 'S'. */
static const struct seg pgsql_ssl[] = {
    SEG(CLI, 4, "\0\0\0\x08\x04\xd2\x16\x2f"),
    SEG(SRV, 6, "S"),
};

/* Built (PostgreSQL protocol, "SSL Session Encryption"): the server
 * answers 'N'; the client goes on with a StartupMessage in clear. */
static const struct seg pgsql_refused[] = {
    BUILT(CLI, "\0\0\0\x08\x04\xd2\x16\x2f"),
    BUILT(SRV, "N"),
    BUILT(CLI, "\0\0\0\x26\0\x03\0\0user\0oryx\0database\0mailstore\0\0"),
};

/* Built: libpq first asks for GSSAPI encryption (GSSENCRequest, code
 * 80877104), gets 'N', then sends SSLRequest. */
static const struct seg pgsql_gss_then_ssl[] = {
    BUILT(CLI, "\0\0\0\x08\x04\xd2\x16\x30"),
    BUILT(SRV, "N"),
    BUILT(CLI, "\0\0\0\x08\x04\xd2\x16\x2f"),
    BUILT(SRV, "S"),
};

#define W(proto_, offered_, req_, ref_, up_, creds_, concl_)                                       \
    {                                                                                              \
        proto_, offered_, req_, ref_, up_, creds_, concl_                                          \
    }

static const struct transcript transcripts[] = {
    TRANSCRIPT("smtp_google", 25, smtp_google, 0, W("smtp", PT_YES, 1, 0, 1, NULL, 0)),
    TRANSCRIPT("smtp_postfix", 25, smtp_postfix, 0, W("smtp", PT_YES, 1, 0, 1, NULL, 0)),
    TRANSCRIPT("smtp_refused", 25, smtp_refused, 0, W("smtp", PT_NO, 1, 1, 0, NULL, 0)),
    TRANSCRIPT("smtp_plain", 25, smtp_plain, 0, W("smtp", PT_NO, 0, 0, 0, NULL, 1)),
    TRANSCRIPT("smtp_auth_plain", 25, smtp_auth_plain, 0,
               W("smtp", PT_NO, 0, 0, 0, "AUTH PLAIN", 1)),
    TRANSCRIPT("smtp_auth_login", 587, smtp_auth_login, 0,
               W("smtp", PT_YES, 0, 0, 0, "AUTH LOGIN", 1)),
    TRANSCRIPT("lmtp_starttls", 24, lmtp_starttls, 0, W("lmtp", PT_YES, 1, 0, 1, NULL, 0)),
    TRANSCRIPT("pop3_stls", 110, pop3_stls, 0, W("pop3", PT_YES, 1, 0, 1, NULL, 0)),
    TRANSCRIPT("pop3_plain", 110, pop3_plain, 0, W("pop3", PT_UNKNOWN, 0, 0, 0, "USER/PASS", 1)),
    TRANSCRIPT("pop3_auth_plain", 110, pop3_auth_plain, 0,
               W("pop3", PT_YES, 0, 0, 0, "AUTH PLAIN", 1)),
    TRANSCRIPT("pop3_apop", 110, pop3_apop, 0, W("pop3", PT_UNKNOWN, 0, 0, 0, "APOP", 1)),
    TRANSCRIPT("pop3_refused", 110, pop3_refused, 0, W("pop3", PT_NO, 1, 1, 0, NULL, 0)),
    TRANSCRIPT("imap_starttls", 143, imap_starttls, 0, W("imap", PT_YES, 1, 0, 1, NULL, 0)),
    TRANSCRIPT("imap_plain", 143, imap_plain, 0, W("imap", PT_NO, 0, 0, 0, "LOGIN", 1)),
    TRANSCRIPT("imap_auth_plain", 143, imap_auth_plain, 0,
               W("imap", PT_YES, 0, 0, 0, "AUTHENTICATE PLAIN", 1)),
    TRANSCRIPT("imap_rfc", 143, imap_rfc, 0, W("imap", PT_YES, 1, 0, 1, NULL, 0)),
    TRANSCRIPT("imap_refused_no", 143, imap_refused_no, 0, W("imap", PT_NO, 1, 1, 0, NULL, 0)),
    TRANSCRIPT("imap_refused_bad", 143, imap_refused_bad, 0, W("imap", PT_NO, 1, 1, 0, NULL, 0)),
    TRANSCRIPT("ftp_auth_tls", 21, ftp_auth_tls, 0, W("ftp", PT_UNKNOWN, 1, 0, 1, NULL, 0)),
    TRANSCRIPT("ftp_plain", 21, ftp_plain, 0, W("ftp", PT_NO, 0, 0, 0, "USER/PASS", 1)),
    TRANSCRIPT("ftp_feat_tls", 21, ftp_feat_tls, 0, W("ftp", PT_YES, 1, 0, 1, NULL, 0)),
    TRANSCRIPT("ftp_refused", 21, ftp_refused, 0, W("ftp", PT_UNKNOWN, 1, 1, 0, NULL, 0)),
    /* offered: test_nntp_capabilities_offered (known bug) */
    TRANSCRIPT("nntp_starttls", 119, nntp_starttls, 0, W("nntp", OFFERED_ANY, 1, 0, 1, NULL, 0)),
    TRANSCRIPT("nntp_refused", 119, nntp_refused, 0, W("nntp", PT_UNKNOWN, 1, 1, 0, NULL, 0)),
    TRANSCRIPT("nntp_authinfo", 119, nntp_authinfo, 0,
               W("nntp", PT_UNKNOWN, 0, 0, 0, "AUTHINFO", 1)),
    TRANSCRIPT("nntp_plain", 119, nntp_plain, 0, W("nntp", PT_UNKNOWN, 0, 0, 0, NULL, 0)),
    TRANSCRIPT("sieve_starttls", 4190, sieve_starttls, 0,
               W("managesieve", PT_YES, 1, 0, 1, NULL, 0)),
    TRANSCRIPT("sieve_refused", 4190, sieve_refused, 0, W("managesieve", PT_NO, 1, 1, 0, NULL, 0)),
    TRANSCRIPT("sieve_auth", 4190, sieve_auth, 0,
               W("managesieve", PT_NO, 0, 0, 0, "AUTHENTICATE", 1)),
    TRANSCRIPT("xmpp_starttls", 5222, xmpp_starttls, 1, W("xmpp", PT_YES, 1, 0, 1, NULL, 0)),
    TRANSCRIPT("xmpp_refused", 5222, xmpp_refused, 1, W("xmpp", PT_YES, 1, 1, 0, NULL, 0)),
    TRANSCRIPT("xmpp_plain_auth", 5222, xmpp_plain_auth, 1,
               W("xmpp", PT_NO, 0, 0, 0, "auth PLAIN", 1)),
    TRANSCRIPT("xmpp_jabber", 5222, xmpp_jabber, 1, W("xmpp", PT_NO, 0, 0, 0, NULL, 0)),
    TRANSCRIPT("ldap_starttls", 389, ldap_starttls, 1, W("ldap", PT_UNKNOWN, 1, 0, 1, NULL, 0)),
    TRANSCRIPT("ldap_refused_bind", 389, ldap_refused_bind, 1,
               W("ldap", PT_UNKNOWN, 1, 1, 0, "bind", 1)),
    TRANSCRIPT("ldap_anonymous", 389, ldap_anonymous, 1, W("ldap", PT_UNKNOWN, 0, 0, 0, NULL, 0)),
    TRANSCRIPT("ldap_long_form", 389, ldap_long_form, 1, W("ldap", PT_UNKNOWN, 1, 0, 1, NULL, 0)),
    TRANSCRIPT("pgsql_ssl", 5432, pgsql_ssl, 1, W("postgresql", PT_UNKNOWN, 1, 0, 1, NULL, 0)),
    TRANSCRIPT("pgsql_refused", 5432, pgsql_refused, 1,
               W("postgresql", PT_UNKNOWN, 1, 1, 0, NULL, 0)),
    TRANSCRIPT("pgsql_gss_then_ssl", 5432, pgsql_gss_then_ssl, 1,
               W("postgresql", PT_UNKNOWN, 1, 0, 1, NULL, 0)),
};
enum { N_TRANSCRIPTS = sizeof(transcripts) / sizeof(*transcripts) };

static const struct transcript *find_transcript(const char *name)
{
    for (size_t i = 0; i < N_TRANSCRIPTS; i++)
        if (strcmp(transcripts[i].name, name) == 0)
            return &transcripts[i];
    fail_msg("no transcript %s", name);
    return NULL;
}

/* ---- feeding ------------------------------------------------------------------ */

/* The units a transcript is fed in: its segments as captured, or merged
 * into one unit per direction-turn. Copied into one buffer (so a tail can
 * be added, and ASan sees the exact bounds of each feed). */
struct unit {
    uint8_t srv;
    const uint8_t *p;
    size_t n;
};

enum { MAX_UNITS = 48 };

struct units {
    size_t n, used;
    struct unit u[MAX_UNITS];
    uint8_t store[8192];
};

static void units_add(struct units *us, int srv, const void *p, size_t n, int merge)
{
    assert_true(us->used + n <= sizeof(us->store));
    memcpy(us->store + us->used, p, n);
    if (merge && us->n > 0 && us->u[us->n - 1].srv == srv) {
        us->u[us->n - 1].n += n;
    } else {
        assert_true(us->n < MAX_UNITS);
        us->u[us->n].srv = (uint8_t)srv;
        us->u[us->n].p = us->store + us->used;
        us->u[us->n].n = n;
        us->n++;
    }
    us->used += n;
}

/* merge: one unit per direction-turn; else one per captured segment. */
static struct units *units_of(const struct transcript *t, int merge)
{
    struct units *us = calloc(1, sizeof(*us));
    assert_non_null(us);
    for (size_t i = 0; i < t->nseg; i++)
        units_add(us, t->seg[i].srv, t->seg[i].p, t->seg[i].n, merge);
    return us;
}

/* What a replay found. */
struct outcome {
    const char *proto;
    int server_dir; /* -1: not known */
    uint8_t offered, requested, refused, upgraded;
    const char *creds;
    int concluded;
    unsigned cmds, replies;
    uint64_t long_lines;
    enum pt_result result; /* the first result that was not PT_CONTINUE */
    size_t tls_at;         /* where TLS begins, counted from the transcript's first byte */
};

/* How each unit is cut into chunks: `step` bytes at a time (0: whole), and
 * unit `split_unit` is cut once more at `split_at` (0: not). */
struct cutting {
    size_t step, split_unit, split_at;
};

static const struct cutting WHOLE = {0, 0, 0};
static const struct cutting BYTES = {1, 0, 0};

/* Feed the units to a new plaintext state, the client's bytes as direction
 * cdir. Feeding stops where TLS begins, as a session stops feeding
 * plaintext there. */
static struct outcome replay_units(const struct units *us, uint16_t port, int cdir,
                                   struct cutting how)
{
    struct plaintext *pt = malloc(sizeof(*pt)); /* on the heap: ASan sees its end */
    assert_non_null(pt);
    plaintext_init(pt, port);
    struct outcome o;
    memset(&o, 0, sizeof(o));
    o.result = PT_CONTINUE;
    size_t base = 0;
    for (size_t i = 0; i < us->n && o.result == PT_CONTINUE; i++) {
        const struct unit *u = &us->u[i];
        int dir = u->srv ? !cdir : cdir;
        size_t pos = 0;
        while (pos < u->n) {
            size_t len = u->n - pos;
            if (how.step && len > how.step)
                len = how.step;
            if (how.split_at && i == how.split_unit && pos < how.split_at &&
                pos + len > how.split_at)
                len = how.split_at - pos;
            size_t off = 12345;
            enum pt_result r = plaintext_feed(pt, dir, span_make(u->p + pos, len), &off);
            assert_true(off <= len);
            if (r == PT_CONTINUE) {
                assert_int_equal(off, 0);
            } else {
                o.result = r;
                o.tls_at = base + pos + off;
                break;
            }
            pos += len;
        }
        base += u->n;
    }
    o.proto = plaintext_protocol(pt);
    o.server_dir = pt->server_known ? pt->server_dir : -1;
    o.offered = pt->offered;
    o.requested = pt->requested;
    o.refused = pt->refused;
    o.upgraded = pt->upgraded;
    o.creds = pt->creds;
    o.concluded = plaintext_concluded(pt);
    o.cmds = pt->client_cmds;
    o.replies = pt->server_replies;
    o.long_lines = pt->long_lines;
    for (int d = 0; d < 2; d++)
        assert_true(pt->line_len[d] <= PT_LINE_MAX + 1);
    free(pt);
    return o;
}

static struct outcome replay(const struct transcript *t, int merge, int cdir, struct cutting how)
{
    struct units *us = units_of(t, merge);
    struct outcome o = replay_units(us, t->server_port, cdir, how);
    free(us);
    return o;
}

static size_t transcript_len(const struct transcript *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->nseg; i++)
        n += t->seg[i].n;
    return n;
}

static int str_eq(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static const char *str_or_null(const char *s)
{
    return s ? s : "(null)";
}

/* The outcome of a whole transcript against its table entry. */
static void check_want(const struct transcript *t, const struct outcome *o, int cdir,
                       const char *how)
{
    const struct want *w = &t->want;
    int ok =
        str_eq(o->proto, w->proto) && o->server_dir == (w->proto ? !cdir : -1) &&
        (w->offered == OFFERED_ANY || o->offered == w->offered) && o->requested == w->requested &&
        o->refused == w->refused && o->upgraded == w->upgraded && str_eq(o->creds, w->creds) &&
        o->concluded == w->concluded && o->result == (w->upgraded ? PT_UPGRADED : PT_CONTINUE) &&
        (!w->upgraded || o->tls_at == transcript_len(t));
    if (!ok)
        fail_msg("%s (%s, client dir %d): proto %s server_dir %d offered %d requested %d "
                 "refused %d upgraded %d creds %s concluded %d result %d tls_at %zu (of %zu)",
                 t->name, how, cdir, str_or_null(o->proto), o->server_dir, o->offered, o->requested,
                 o->refused, o->upgraded, str_or_null(o->creds), o->concluded, (int)o->result,
                 o->tls_at, transcript_len(t));
}

/* Fed whole turns and as captured, the client as direction 0 and 1. */
static void check_transcript(const char *name)
{
    const struct transcript *t = find_transcript(name);
    for (int cdir = 0; cdir < 2; cdir++) {
        struct outcome o = replay(t, 1, cdir, WHOLE);
        check_want(t, &o, cdir, "turns");
        o = replay(t, 0, cdir, WHOLE);
        check_want(t, &o, cdir, "segments");
    }
}

static struct outcome outcome_of(const char *name)
{
    return replay(find_transcript(name), 1, 0, WHOLE);
}

/* Feed one chunk; returns the result, *off where TLS begins. */
static enum pt_result feed_str(struct plaintext *pt, int dir, const char *s, size_t *off)
{
    return plaintext_feed(pt, dir, span_make((const uint8_t *)s, strlen(s)), off);
}

static struct plaintext *pt_new(uint16_t port)
{
    struct plaintext *pt = malloc(sizeof(*pt));
    assert_non_null(pt);
    plaintext_init(pt, port);
    return pt;
}

/* ---- 1. each machine, fed directly -------------------------------------------------- */

static void test_smtp(void **state)
{
    (void)state;
    check_transcript("smtp_google");
    check_transcript("smtp_postfix");
    check_transcript("smtp_refused");
    check_transcript("smtp_plain");
    check_transcript("smtp_auth_plain");
    check_transcript("smtp_auth_login");
    /* Replies are counted after the greeting, one per command. */
    struct outcome o = outcome_of("smtp_refused");
    assert_int_equal(o.cmds, 3);    /* EHLO, STARTTLS, QUIT */
    assert_int_equal(o.replies, 3); /* 250 (three lines), 454, 221 */
    o = outcome_of("smtp_auth_login");
    assert_int_equal(o.cmds, 4);
    assert_int_equal(o.replies, 4);
}

/* "220 go ahead" followed by other bytes in the same chunk: TLS begins
 * right after the accepting line, for every line protocol. */
static void test_upgrade_offset_inside_chunk(void **state)
{
    (void)state;
    static const char tail[] = "\x16\x03\x03\x00\x7a\x02\x00\x00\x76\x03\x03";
    int checked = 0;
    for (size_t i = 0; i < N_TRANSCRIPTS; i++) {
        const struct transcript *t = &transcripts[i];
        if (t->binary || !t->want.upgraded)
            continue;
        for (int cdir = 0; cdir < 2; cdir++) {
            struct units *us = units_of(t, 1);
            units_add(us, SRV, tail, sizeof(tail) - 1, 1); /* same chunk */
            struct outcome o = replay_units(us, t->server_port, cdir, WHOLE);
            if (o.result != PT_UPGRADED || o.tls_at != transcript_len(t))
                fail_msg("%s: result %d at %zu, want PT_UPGRADED at %zu", t->name, (int)o.result,
                         o.tls_at, transcript_len(t));
            free(us);
        }
        checked++;
    }
    assert_int_equal(checked, 10);

    /* And the offset itself, in one chunk of the server's. */
    struct plaintext *pt = pt_new(25);
    size_t off;
    assert_int_equal(feed_str(pt, 1, "220 mx.example ESMTP\r\n", &off), PT_CONTINUE);
    assert_int_equal(feed_str(pt, 0, "EHLO c.example\r\n", &off), PT_CONTINUE);
    assert_int_equal(feed_str(pt, 1, "250-mx.example\r\n250 STARTTLS\r\n", &off), PT_CONTINUE);
    assert_int_equal(feed_str(pt, 0, "STARTTLS\r\n", &off), PT_CONTINUE);
    assert_int_equal(feed_str(pt, 1, "220 go ahead\r\nXYZ", &off), PT_UPGRADED);
    assert_int_equal(off, 14);
    free(pt);
}

static void test_pop3(void **state)
{
    (void)state;
    check_transcript("pop3_stls");
    check_transcript("pop3_plain");
    check_transcript("pop3_auth_plain");
    check_transcript("pop3_apop");
    check_transcript("pop3_refused");
    /* The CAPA list decides at its "." (pop3_refused: no); STLS anywhere in it says yes. */
    struct plaintext *pt = pt_new(110);
    size_t off;
    feed_str(pt, 1, "+OK ready\r\n", &off);
    feed_str(pt, 0, "CAPA\r\n", &off);
    feed_str(pt, 1, "+OK\r\nUSER\r\n", &off);
    assert_int_equal(pt->offered, PT_UNKNOWN); /* the list is not over */
    feed_str(pt, 1, "STLS\r\n.\r\n", &off);
    assert_int_equal(pt->offered, PT_YES);
    free(pt);
}

static void test_imap(void **state)
{
    (void)state;
    check_transcript("imap_starttls");
    check_transcript("imap_plain");
    check_transcript("imap_auth_plain");
    check_transcript("imap_rfc");
    check_transcript("imap_refused_no");
    check_transcript("imap_refused_bad");
    /* The greeting's [CAPABILITY ...] alone says yes. */
    struct plaintext *pt = pt_new(143);
    size_t off;
    feed_str(pt, 1, "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n", &off);
    assert_string_equal(plaintext_protocol(pt), "imap");
    assert_int_equal(pt->offered, PT_YES);
    /* A later tagged reply of another command is not the STARTTLS reply. */
    feed_str(pt, 0, "x1 STARTTLS\r\n", &off);
    assert_int_equal(feed_str(pt, 1, "x10 OK done\r\nx OK what\r\n", &off), PT_CONTINUE);
    assert_false(pt->upgraded);
    assert_false(pt->refused);
    assert_int_equal(feed_str(pt, 1, "x1 OK Begin TLS negotiation now\r\n", &off), PT_UPGRADED);
    assert_int_equal(off, 33);
    free(pt);
}

static void test_ftp(void **state)
{
    (void)state;
    check_transcript("ftp_auth_tls");
    check_transcript("ftp_plain");
    check_transcript("ftp_feat_tls");
    check_transcript("ftp_refused");
    /* AUTH SSL (RFC 4217 section 4's older name) is a request too. */
    struct plaintext *pt = pt_new(21);
    size_t off;
    feed_str(pt, 1, "220-Welcome\r\n220 FTP ready\r\n", &off);
    assert_string_equal(plaintext_protocol(pt), "ftp");
    feed_str(pt, 0, "AUTH SSL\r\n", &off);
    assert_true(pt->requested);
    assert_int_equal(feed_str(pt, 1, "234 AUTH SSL OK.\r\n", &off), PT_UPGRADED);
    assert_int_equal(off, 18);
    free(pt);

    /* Off port 21, a greeting that names FTP says FTP (GridFTP's, from
     * Zeek's globus-url-copy.pcap, port 2811); one that names SMTP, SMTP. */
    pt = pt_new(2811);
    feed_str(pt, 1,
             "220 alpha GridFTP Server 6.14 (gcc64dbg, 1342551528-83) [Globus Toolkit 5.2.2] "
             "ready.\r\n",
             &off);
    assert_string_equal(plaintext_protocol(pt), "ftp");
    free(pt);
    pt = pt_new(2525);
    feed_str(pt, 1, "220 ftp.example.org ESMTP Postfix\r\n", &off);
    assert_string_equal(plaintext_protocol(pt), "smtp");
    free(pt);
}

static void test_nntp(void **state)
{
    (void)state;
    check_transcript("nntp_starttls");
    check_transcript("nntp_refused");
    check_transcript("nntp_authinfo");
    check_transcript("nntp_plain");
    /* RFC 4642 section 2.2.2: 502 when STARTTLS is not allowed now. */
    struct plaintext *pt = pt_new(119);
    size_t off;
    feed_str(pt, 1, "201 NNTP Service Ready, posting prohibited\r\n", &off);
    assert_string_equal(plaintext_protocol(pt), "nntp");
    feed_str(pt, 0, "STARTTLS\r\n", &off);
    feed_str(pt, 1, "502 Command unavailable\r\n", &off);
    assert_true(pt->refused);
    assert_false(pt->upgraded);
    free(pt);
}

/* RFC 4642 section 5: the CAPABILITIES list names STARTTLS, so the record
 * should say starttls_offered: true (and false when the list lacks it). */
static void test_nntp_capabilities_offered(void **state)
{
    (void)state;
    struct outcome o = outcome_of("nntp_starttls");
    assert_int_equal(o.offered, PT_YES);
}

static void test_sieve(void **state)
{
    (void)state;
    check_transcript("sieve_starttls");
    check_transcript("sieve_refused");
    check_transcript("sieve_auth");
    /* The greeting alone decides offered, at its OK. */
    struct plaintext *pt = pt_new(4190);
    size_t off;
    feed_str(pt, 1, "\"IMPLEMENTATION\" \"Dovecot Pigeonhole\"\r\n\"SASL\" \"PLAIN\"\r\n", &off);
    assert_string_equal(plaintext_protocol(pt), "managesieve");
    assert_int_equal(pt->offered, PT_UNKNOWN);
    feed_str(pt, 1, "\"STARTTLS\"\r\n\"VERSION\" \"1.0\"\r\nOK \"Dovecot ready.\"\r\n", &off);
    assert_int_equal(pt->offered, PT_YES);
    free(pt);
}

static void test_xmpp(void **state)
{
    (void)state;
    check_transcript("xmpp_starttls");
    check_transcript("xmpp_refused");
    check_transcript("xmpp_plain_auth");
    check_transcript("xmpp_jabber");
    struct outcome o = outcome_of("xmpp_starttls");
    assert_int_equal(o.result, PT_UPGRADED);
}

/* The client of corpus/ndpi/jabber.pcap quotes attributes with ' (frame
 * 14: mechanism='DIGEST-MD5'); a client doing the same with PLAIN sends its
 * password in clear just as well. */
static void test_xmpp_plain_auth_single_quotes(void **state)
{
    (void)state;
    struct plaintext *pt = pt_new(5222);
    size_t off;
    feed_str(pt, 0,
             "<?xml version='1.0' ?><stream:stream to='cs-xmpp.lan' "
             "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
             "version='1.0'>",
             &off);
    feed_str(pt, 1,
             "<stream:stream id='1' version='1.0' from='cs-xmpp.lan'><stream:features>"
             "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN"
             "</mechanism></mechanisms></stream:features>",
             &off);
    feed_str(pt, 0,
             "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
             "mechanism='PLAIN'>AHRvbQBzZWNyZXQ=</auth>",
             &off);
    assert_non_null(pt->creds);
    assert_true(plaintext_concluded(pt));
    free(pt);
}

static void test_ldap(void **state)
{
    (void)state;
    check_transcript("ldap_starttls");
    check_transcript("ldap_refused_bind");
    check_transcript("ldap_anonymous");
    check_transcript("ldap_long_form");
    /* Another extended operation is no StartTLS request. */
    static const char whoami[] = "\x30\x1e\x02\x01\x01\x77\x19\x80\x17"
                                 "1.3.6.1.4.1.4203.1.11.3";
    struct plaintext *pt = pt_new(389);
    size_t off;
    plaintext_feed(pt, 0, span_make((const uint8_t *)whoami, sizeof(whoami) - 1), &off);
    assert_string_equal(plaintext_protocol(pt), "ldap");
    assert_false(pt->requested);
    free(pt);
}

/* RFC 4511 section 4.1.1.1: a response is matched to its request by
 * messageID. A Who am I? (RFC 4532) sent before StartTLS is answered
 * success; StartTLS itself is refused (operationsError, section 4.14.2). */
static void test_ldap_response_matched_by_message_id(void **state)
{
    (void)state;
    static const char req[] = "\x30\x1e\x02\x01\x01\x77\x19\x80\x17"
                              "1.3.6.1.4.1.4203.1.11.3"
                              "\x30\x1d\x02\x01\x02\x77\x18\x80\x16"
                              "1.3.6.1.4.1.1466.20037";
    static const char resp[] = "\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x00\x04\x00\x04\x00"
                               "\x30\x0c\x02\x01\x02\x78\x07\x0a\x01\x01\x04\x00\x04\x00";
    struct plaintext *pt = pt_new(389);
    size_t off;
    plaintext_feed(pt, 0, span_make((const uint8_t *)req, sizeof(req) - 1), &off);
    assert_true(pt->requested);
    assert_int_equal(
        plaintext_feed(pt, 1, span_make((const uint8_t *)resp, sizeof(resp) - 1), &off),
        PT_CONTINUE);
    assert_false(pt->upgraded);
    assert_true(pt->refused);
    free(pt);
}

static void test_pgsql(void **state)
{
    (void)state;
    check_transcript("pgsql_ssl");
    check_transcript("pgsql_refused");
    check_transcript("pgsql_gss_then_ssl");
    /* PostgreSQL is not a reportable plaintext protocol. */
    struct plaintext *pt = pt_new(5432);
    size_t off;
    static const char ssl_request[] = "\0\0\0\x08\x04\xd2\x16\x2f";
    plaintext_feed(pt, 0, span_make((const uint8_t *)ssl_request, 8), &off);
    assert_string_equal(plaintext_protocol(pt), "postgresql");
    assert_false(plaintext_reportable(pt));
    assert_int_equal(feed_str(pt, 1, "N", &off), PT_CONTINUE);
    assert_true(pt->refused);
    free(pt);
    /* A server that predates SSL support answers with an ErrorResponse
     * ('E', severity, message): no upgrade either. */
    static const char error[] = "E\0\0\0\x32SFATAL\0C0A000\0Munsupported frontend protocol\0\0";
    pt = pt_new(5432);
    plaintext_feed(pt, 0, span_make((const uint8_t *)ssl_request, 8), &off);
    assert_int_equal(
        plaintext_feed(pt, 1, span_make((const uint8_t *)error, sizeof(error) - 1), &off),
        PT_CONTINUE);
    assert_false(pt->upgraded);
    assert_true(pt->refused);
    free(pt);
}

/* IMAP tags are any atom (RFC 3501 section 9, "tag"), of any length. */
static void test_imap_long_tag(void **state)
{
    (void)state;
    struct plaintext *pt = pt_new(143);
    size_t off;
    feed_str(pt, 1, "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n", &off);
    feed_str(pt, 0, "tlsmon-client-0000001 STARTTLS\r\n", &off);
    assert_int_equal(feed_str(pt, 1, "tlsmon-client-0000001 OK Begin TLS\r\n", &off), PT_UPGRADED);
    free(pt);
}

/* Concluded: credentials in clear or a transaction without TLS; never once
 * upgraded. */
static void test_concluded(void **state)
{
    (void)state;
    struct plaintext *pt = pt_new(25);
    size_t off;
    assert_false(plaintext_concluded(pt)); /* nothing identified yet */
    feed_str(pt, 1, "220 mx ESMTP\r\n", &off);
    feed_str(pt, 0, "EHLO c\r\n", &off);
    feed_str(pt, 1, "250 mx\r\n", &off);
    assert_false(plaintext_concluded(pt));
    assert_int_equal(pt->offered, PT_NO);
    feed_str(pt, 0, "MAIL FROM:<a@example.org>\r\n", &off);
    assert_true(plaintext_concluded(pt));
    assert_null(pt->creds);
    free(pt);

    /* FTP: a transfer command without credentials seen. */
    pt = pt_new(21);
    feed_str(pt, 1, "220 ready\r\n", &off);
    feed_str(pt, 0, "LIST\r\n", &off);
    assert_true(plaintext_concluded(pt));
    free(pt);

    /* More than 32 commands. */
    pt = pt_new(110);
    feed_str(pt, 1, "+OK ready\r\n", &off);
    for (int i = 0; i < 32; i++)
        feed_str(pt, 0, "NOOP\r\n", &off);
    assert_false(plaintext_concluded(pt));
    feed_str(pt, 0, "NOOP\r\n", &off);
    assert_true(plaintext_concluded(pt));
    free(pt);

    /* Upgraded: never concluded, not reportable. */
    struct outcome o = outcome_of("smtp_google");
    assert_true(o.upgraded);
    assert_false(o.concluded);
}

/* ---- 2. the same transcripts cut every way ---------------------------------------- */

/* cmds and replies too, for line protocols (the chunk protocols count
 * chunks, not commands). */
static int outcome_eq(const struct outcome *a, const struct outcome *b, int counts)
{
    return (!counts || (a->cmds == b->cmds && a->replies == b->replies)) && a->proto == b->proto &&
           a->server_dir == b->server_dir && a->offered == b->offered &&
           a->requested == b->requested && a->refused == b->refused && a->upgraded == b->upgraded &&
           a->creds == b->creds && a->concluded == b->concluded && a->long_lines == b->long_lines &&
           a->result == b->result && a->tls_at == b->tls_at;
}

static void expect_same(const struct transcript *t, const struct outcome *base,
                        const struct outcome *o, const char *how, size_t unit, size_t at)
{
    if (outcome_eq(base, o, !t->binary))
        return;
    fail_msg("%s cut %s (unit %zu at %zu): proto %s/%s offered %d/%d requested %d/%d refused "
             "%d/%d upgraded %d/%d creds %s/%s cmds %u/%u replies %u/%u result %d/%d tls_at "
             "%zu/%zu",
             t->name, how, unit, at, str_or_null(base->proto), str_or_null(o->proto), base->offered,
             o->offered, base->requested, o->requested, base->refused, o->refused, base->upgraded,
             o->upgraded, str_or_null(base->creds), str_or_null(o->creds), base->cmds, o->cmds,
             base->replies, o->replies, (int)base->result, (int)o->result, base->tls_at, o->tls_at);
}

/* One turn per chunk (the reference), as captured, byte by byte, and each
 * turn cut in two at every offset: all the same. */
static void check_cuts(const struct transcript *t)
{
    struct units *turns = units_of(t, 1);
    for (int cdir = 0; cdir < 2; cdir++) {
        struct outcome base = replay_units(turns, t->server_port, cdir, WHOLE);
        check_want(t, &base, cdir, "turns");
        struct outcome o = replay(t, 0, cdir, WHOLE);
        expect_same(t, &base, &o, "as captured", 0, 0);
        o = replay_units(turns, t->server_port, cdir, BYTES);
        expect_same(t, &base, &o, "byte by byte", 0, 0);
        for (size_t u = 0; u < turns->n; u++) {
            for (size_t k = 1; k < turns->u[u].n; k++) {
                struct cutting how = {0, u, k};
                o = replay_units(turns, t->server_port, cdir, how);
                expect_same(t, &base, &o, "in two", u, k);
            }
        }
    }
    free(turns);
}

static void test_cuts_line_protocols(void **state)
{
    (void)state;
    int n = 0;
    for (size_t i = 0; i < N_TRANSCRIPTS; i++) {
        if (transcripts[i].binary)
            continue;
        check_cuts(&transcripts[i]);
        n++;
    }
    assert_int_equal(n, 29);
}

/* The chunk protocols as captured / one turn per chunk. */
static void test_cuts_binary_whole_turns(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_TRANSCRIPTS; i++) {
        const struct transcript *t = &transcripts[i];
        if (!t->binary)
            continue;
        for (int cdir = 0; cdir < 2; cdir++) {
            struct outcome base = replay(t, 1, cdir, WHOLE);
            check_want(t, &base, cdir, "turns");
            struct outcome o = replay(t, 0, cdir, WHOLE);
            expect_same(t, &base, &o, "as captured", 0, 0);
        }
    }
}

/* A TCP segment boundary can fall anywhere in an XML stream (a large
 * <stream:features> spans segments) or a BER message. */
static void test_cuts_xmpp(void **state)
{
    (void)state;
    check_cuts(find_transcript("xmpp_starttls"));
    check_cuts(find_transcript("xmpp_refused"));
    check_cuts(find_transcript("xmpp_plain_auth"));
    check_cuts(find_transcript("xmpp_jabber"));
}

static void test_cuts_ldap(void **state)
{
    (void)state;
    check_cuts(find_transcript("ldap_starttls"));
    check_cuts(find_transcript("ldap_refused_bind"));
    check_cuts(find_transcript("ldap_long_form"));
}

static void test_cuts_pgsql(void **state)
{
    (void)state;
    check_cuts(find_transcript("pgsql_ssl"));
}

/* ---- 3. pipelining (RFC 2920) --------------------------------------------------------- */

struct pipe_case {
    const char *client, *server;
    uint8_t offered, refused, upgraded; /* upgraded: TLS begins after the server's chunk */
};

static void test_smtp_pipelining(void **state)
{
    (void)state;
    /* All commands in one chunk, all replies in one chunk. */
    static const struct pipe_case cases[] = {
        /* A 250 for EHLO, then 454 for STARTTLS. */
        {"EHLO c.example\r\nSTARTTLS\r\n",
         "250-mx.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n454 4.7.0 TLS not available\r\n",
         PT_NO, 1, 0},
        /* Then 220: TLS begins after the 220 line. */
        {"EHLO c.example\r\nSTARTTLS\r\n",
         "250-mx.example\r\n250-PIPELINING\r\n250 STARTTLS\r\n220 2.0.0 Ready to start TLS\r\n",
         PT_YES, 0, 1},
        /* EHLO, MAIL FROM, STARTTLS: the 250 for MAIL is not STARTTLS's. */
        {"EHLO c.example\r\nMAIL FROM:<a@example.org>\r\nSTARTTLS\r\n",
         "250-mx.example\r\n250 PIPELINING\r\n250 2.1.0 Ok\r\n454 4.7.0 TLS not available\r\n",
         PT_NO, 1, 0},
        {"EHLO c.example\r\nRSET\r\nSTARTTLS\r\n",
         "250-mx.example\r\n250 STARTTLS\r\n250 2.0.0 Ok\r\n220 2.0.0 go ahead\r\n", PT_YES, 0, 1},
        /* A 220 for a command before STARTTLS (none should give one, but
         * the ordinal decides, not the code). */
        {"EHLO c.example\r\nNOOP\r\nSTARTTLS\r\n", "250 mx.example\r\n220 odd\r\n502 5.5.1 no\r\n",
         PT_NO, 1, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        const struct pipe_case *c = &cases[i];
        struct plaintext *pt = pt_new(25);
        size_t off;
        assert_int_equal(feed_str(pt, 1, "220 mx.example ESMTP\r\n", &off), PT_CONTINUE);
        assert_int_equal(feed_str(pt, 0, c->client, &off), PT_CONTINUE);
        enum pt_result r = feed_str(pt, 1, c->server, &off);
        if (pt->offered != c->offered || pt->refused != c->refused || pt->upgraded != c->upgraded ||
            r != (c->upgraded ? PT_UPGRADED : PT_CONTINUE) ||
            (c->upgraded && off != strlen(c->server)))
            fail_msg("case %zu: offered %d refused %d upgraded %d result %d off %zu", i,
                     pt->offered, pt->refused, pt->upgraded, (int)r, off);
        free(pt);
    }

    /* The replies trickle in one by one: the same. */
    struct plaintext *pt = pt_new(25);
    size_t off;
    feed_str(pt, 1, "220 mx.example ESMTP\r\n", &off);
    feed_str(pt, 0, "EHLO c.example\r\nNOOP\r\nSTARTTLS\r\n", &off);
    assert_int_equal(feed_str(pt, 1, "250-mx.example\r\n250 STARTTLS\r\n", &off), PT_CONTINUE);
    assert_int_equal(feed_str(pt, 1, "250 2.0.0 Ok\r\n", &off), PT_CONTINUE);
    assert_false(pt->refused);
    assert_int_equal(feed_str(pt, 1, "454 4.7.0 TLS not available\r\n", &off), PT_CONTINUE);
    assert_true(pt->refused);
    assert_int_equal(pt->offered, PT_YES);
    free(pt);
}

static void test_imap_pipelining(void **state)
{
    (void)state;
    /* Several tagged commands outstanding; the replies of the others, OK
     * or NO, say nothing about STARTTLS. */
    struct plaintext *pt = pt_new(143);
    size_t off;
    feed_str(pt, 1, "* OK IMAP4rev1 Service Ready\r\n", &off);
    feed_str(pt, 0, "a1 CAPABILITY\r\na2 NOOP\r\na3 STARTTLS\r\n", &off);
    assert_int_equal(feed_str(pt, 1,
                              "* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK done\r\na2 NO "
                              "not now\r\n",
                              &off),
                     PT_CONTINUE);
    assert_false(pt->refused);
    assert_int_equal(pt->offered, PT_YES);
    assert_int_equal(feed_str(pt, 1, "a3 OK Begin TLS negotiation now\r\n", &off), PT_UPGRADED);
    assert_int_equal(off, 33);
    free(pt);

    /* All replies in one chunk: TLS begins after a3's. */
    pt = pt_new(143);
    static const char replies[] = "* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK done\r\n"
                                  "a2 OK done\r\na3 OK Begin TLS\r\n";
    feed_str(pt, 1, "* OK IMAP4rev1 Service Ready\r\n", &off);
    feed_str(pt, 0, "a1 CAPABILITY\r\na2 NOOP\r\na3 STARTTLS\r\n", &off);
    assert_int_equal(feed_str(pt, 1, replies, &off), PT_UPGRADED);
    assert_int_equal(off, sizeof(replies) - 1);
    free(pt);

    /* a1 OK, a3 BAD: refused. */
    pt = pt_new(143);
    feed_str(pt, 1, "* OK IMAP4rev1 Service Ready\r\n", &off);
    feed_str(pt, 0, "a1 NOOP\r\na3 STARTTLS\r\n", &off);
    assert_int_equal(feed_str(pt, 1, "a1 OK done\r\na3 BAD no TLS here\r\n", &off), PT_CONTINUE);
    assert_true(pt->refused);
    assert_false(pt->upgraded);
    free(pt);
}

static void test_pop3_pipelining(void **state)
{
    (void)state;
    /* RFC 2449 PIPELINING: CAPA and STLS in one chunk, the replies in one. */
    static const char replies[] = "+OK\r\nCAPA\r\nPIPELINING\r\nSTLS\r\n.\r\n+OK Begin TLS\r\n";
    struct plaintext *pt = pt_new(110);
    size_t off;
    feed_str(pt, 1, "+OK Dovecot ready.\r\n", &off);
    feed_str(pt, 0, "CAPA\r\nSTLS\r\n", &off);
    assert_int_equal(feed_str(pt, 1, replies, &off), PT_UPGRADED);
    assert_int_equal(off, sizeof(replies) - 1);
    assert_int_equal(pt->offered, PT_YES);
    free(pt);
}

/* ---- 4. identification ----------------------------------------------------------------- */

/* The protocol named after one chunk of direction dir. */
static const char *identify(uint16_t port, int dir, const char *chunk, struct plaintext **keep)
{
    struct plaintext *pt = pt_new(port);
    size_t off;
    plaintext_feed(pt, dir, span_make((const uint8_t *)chunk, strlen(chunk)), &off);
    const char *p = plaintext_protocol(pt);
    if (p) {
        assert_true(pt->server_known);
        /* A greeting is the server's; a command the client's. */
        assert_int_equal(pt->server_dir, (chunk[0] >= '0' && chunk[0] <= '9') || chunk[0] == '+' ||
                                                 chunk[0] == '*' || chunk[0] == '"'
                                             ? dir
                                             : !dir);
    }
    if (keep)
        *keep = pt;
    else
        free(pt);
    return p;
}

static void test_identification(void **state)
{
    (void)state;
    for (int dir = 0; dir < 2; dir++) {
        assert_string_equal(identify(21, dir, "220 (vsFTPd 3.0.3)\r\n", NULL), "ftp");
        assert_string_equal(identify(990, dir, "220 FTP ready\r\n", NULL), "ftp");
        assert_string_equal(identify(25, dir, "220 mx.google.com ESMTP\r\n", NULL), "smtp");
        assert_string_equal(identify(2525, dir, "220 mx ESMTP\r\n", NULL), "smtp");
        assert_string_equal(identify(110, dir, "+OK Dovecot ready.\r\n", NULL), "pop3");
        assert_string_equal(identify(143, dir, "* OK IMAP4rev1 Service Ready\r\n", NULL), "imap");
        assert_string_equal(identify(143, dir, "* PREAUTH IMAP4rev1 ready\r\n", NULL), "imap");
        assert_string_equal(identify(119, dir, "200 news.example ready\r\n", NULL), "nntp");
        assert_string_equal(identify(119, dir, "201 news.example ready\r\n", NULL), "nntp");
        assert_string_equal(identify(4190, dir, "\"IMPLEMENTATION\" \"Cyrus timsieved\"\r\n", NULL),
                            "managesieve");
        /* The client speaking first (the greeting not captured). */
        assert_string_equal(identify(25, dir, "EHLO client.example\r\n", NULL), "smtp");
        assert_string_equal(identify(25, dir, "HELO client.example\r\n", NULL), "smtp");
        assert_string_equal(identify(110, dir, "CAPA\r\n", NULL), "pop3");
        assert_string_equal(identify(143, dir, "a001 CAPABILITY\r\n", NULL), "imap");
        assert_string_equal(identify(143, dir, "A1 LOGIN user pass\r\n", NULL), "imap");
        assert_string_equal(identify(21, dir, "USER anonymous\r\n", NULL), "ftp");
        /* Not a STARTTLS protocol. */
        assert_null(identify(80, dir, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", NULL));
        assert_null(identify(80, dir, "HTTP/1.1 200 OK\r\n", NULL));
        assert_null(identify(22, dir, "SSH-2.0-OpenSSH_9.2p1\r\n", NULL));
    }
}

/* "220" on a port that is not FTP's: SMTP until the client's first command
 * says FTP (USER, AUTH TLS, FEAT, ...). */
static void test_identification_220_then_client(void **state)
{
    (void)state;
    static const char *const ftp_first[] = {"USER anonymous\r\n", "AUTH TLS\r\n", "FEAT\r\n",
                                            "SYST\r\n", "AUTH SSL\r\n"};
    for (size_t i = 0; i < sizeof(ftp_first) / sizeof(*ftp_first); i++) {
        struct plaintext *pt;
        size_t off;
        assert_string_equal(identify(2121, 1, "220 Service ready\r\n", &pt), "smtp");
        feed_str(pt, 0, ftp_first[i], &off);
        assert_string_equal(plaintext_protocol(pt), "ftp");
        free(pt);
    }
    /* A greeting that names FTP says so before the client speaks. */
    {
        struct plaintext *pt;
        assert_string_equal(identify(2121, 1, "220 (vsFTPd 3.0.3)\r\n", &pt), "ftp");
        free(pt);
    }
    /* AUTH TLS then 234 on port 2121: the upgrade is found. */
    struct plaintext *pt;
    size_t off;
    identify(2121, 1, "220 \"Authorized users only.\"\r\n", &pt);
    feed_str(pt, 0, "AUTH TLS\r\n", &off);
    assert_int_equal(feed_str(pt, 1, "234 Proceed with negotiation.\r\n", &off), PT_UPGRADED);
    assert_int_equal(off, 31);
    free(pt);
    /* LHLO as the first command says LMTP (RFC 2033). */
    identify(2424, 1, "220 mail.example LMTP Dovecot ready.\r\n", &pt);
    assert_string_equal(plaintext_protocol(pt), "smtp");
    feed_str(pt, 0, "LHLO client.example\r\n", &off);
    assert_string_equal(plaintext_protocol(pt), "lmtp");
    free(pt);
    /* EHLO keeps it SMTP; a later USER-like line does not change it. */
    identify(2525, 1, "220 mx ESMTP\r\n", &pt);
    feed_str(pt, 0, "EHLO c\r\n", &off);
    feed_str(pt, 0, "USER x\r\n", &off);
    assert_string_equal(plaintext_protocol(pt), "smtp");
    free(pt);
}

/* Only the first lines of each direction are tried. */
static void test_identification_gives_up(void **state)
{
    (void)state;
    struct plaintext *pt = pt_new(110);
    size_t off;
    feed_str(pt, 1, "hello\r\n", &off);
    feed_str(pt, 1, "there\r\n", &off);
    feed_str(pt, 1, "+OK ready\r\n", &off);
    assert_null(plaintext_protocol(pt));
    assert_false(plaintext_reportable(pt));
    assert_false(plaintext_concluded(pt));
    free(pt);
    /* One odd line first is fine. */
    pt = pt_new(110);
    feed_str(pt, 1, "\r\n+OK ready\r\n", &off);
    assert_string_equal(plaintext_protocol(pt), "pop3");
    free(pt);
}

/* A TLS hello at the start of a chunk, STARTTLS or not. */
static void test_hello_start(void **state)
{
    (void)state;
    struct tu_bytes ch = tu_hex(FX_TLS12_CH);
    struct plaintext *pt = pt_new(25);
    size_t off = 99;
    feed_str(pt, 1, "220 localhost Python SMTP 1.4.3\r\n", &off);
    feed_str(pt, 0, "EHLO client.example\r\n", &off);
    feed_str(pt, 1, "250 HELP\r\n", &off);
    feed_str(pt, 0, "STARTTLS\r\n", &off);
    feed_str(pt, 1, "454 TLS not available\r\n", &off);
    assert_true(pt->refused);
    /* The ClientHello anyway (pcaps/mail/smtp_starttls_refused.pcap, 1). */
    assert_int_equal(plaintext_feed(pt, 0, tu_span(&ch), &off), PT_TLS_HERE);
    assert_int_equal(off, 0);
    assert_false(pt->upgraded);
    free(pt);
    /* A PROXY v1 header before the ClientHello. */
    static const char proxy[] = "PROXY TCP4 192.0.2.1 192.0.2.2 40000 443\r\n";
    uint8_t buf[1024];
    memcpy(buf, proxy, sizeof(proxy) - 1);
    memcpy(buf + sizeof(proxy) - 1, ch.p, ch.n);
    pt = pt_new(443);
    assert_int_equal(plaintext_feed(pt, 0, span_make(buf, sizeof(proxy) - 1 + ch.n), &off),
                     PT_TLS_HERE);
    assert_int_equal(off, sizeof(proxy) - 1);
    free(pt);
    tu_bytes_free(&ch);
}

/* ---- 5. through the session ------------------------------------------------------------- */

enum { MAX_RECORDS = 8 };

/* A recording sink: the tu_hs_* callbacks for handshakes, and the
 * plaintext records copied. */
struct rec {
    struct tu_handshakes h; /* first: the tu_hs_* callbacks take the context as one */
    int npt;
    struct plaintext_record pt[MAX_RECORDS];
    uintptr_t pt_conn[MAX_RECORDS];
};

static void rec_plaintext(void *ctx, struct plaintext_record *pr, void *flow_ctx)
{
    struct rec *r = ctx;
    assert_true(r->npt < MAX_RECORDS);
    r->pt_conn[r->npt] = (uintptr_t)flow_ctx;
    r->pt[r->npt++] = *pr;
    r->h.plaintexts++;
}

/* Like tu_run_capture, for captures under pcaps/ or ../shared/corpus, with
 * what TCP reassembly does for these in-order captures: bytes already fed
 * (retransmitted, or captured twice) are dropped. The SYN's sender is the
 * initiator, as engine.c sets it. */
static void run_capture(const char *rel, struct rec *out)
{
    enum { MAX_CONNS = 16 };
    struct conn {
        struct tls_session s;
        uint32_t next[2];
        uint8_t have[2];
    };
    struct conn *c = calloc(MAX_CONNS, sizeof(*c));
    struct dissect_sink sink = {
        .begin = tu_hs_begin, .settle = tu_hs_settle, .plaintext = rec_plaintext, .ctx = out};
    struct tu_pcap pc;
    int nconn = 0;
    assert_non_null(c);
    memset(out, 0, sizeof(*out));
    memset(&session_stats, 0, sizeof(session_stats));
    tu_pcap_load(rel, &pc);
    for (size_t i = 0; i < pc.n; i++) {
        struct packet_view pv;
        memset(&pv, 0, sizeof(pv));
        if (decode_packet(pc.linktype, pc.f[i].data, pc.f[i].caplen, pc.f[i].len, &pv) !=
                DECODE_OK ||
            pv.transport != TRANSPORT_TCP)
            continue;
        int k, dir = 0;
        for (k = 0; k < nconn; k++) {
            if (tu_endpoint_eq(&c[k].s.ep[0], &pv.src) && tu_endpoint_eq(&c[k].s.ep[1], &pv.dst))
                break;
            if (tu_endpoint_eq(&c[k].s.ep[1], &pv.src) && tu_endpoint_eq(&c[k].s.ep[0], &pv.dst)) {
                dir = 1;
                break;
            }
        }
        if (k == nconn) {
            assert_true(nconn < MAX_CONNS);
            session_init(&c[nconn++].s, &pv.src, &pv.dst, TRANSPORT_TCP, &sink,
                         (void *)(uintptr_t)(k + 1));
        }
        struct conn *cn = &c[k];
        if ((pv.tcp_flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN)
            cn->s.initiator = (uint8_t)dir;
        const uint8_t *p = pv.payload;
        uint32_t len = pv.payload_len, seq = pv.seq;
        if (len && cn->have[dir]) {
            if ((int32_t)(seq + len - cn->next[dir]) <= 0) {
                len = 0; /* all seen */
            } else if ((int32_t)(seq - cn->next[dir]) < 0) {
                uint32_t skip = cn->next[dir] - seq;
                p += skip;
                len -= skip;
                seq += skip;
            }
        }
        if (len) {
            session_data(&cn->s, dir, span_make(p, len), pc.f[i].ts_us);
            cn->next[dir] = seq + len;
            cn->have[dir] = 1;
        }
        if (pv.tcp_flags & TCPF_RST)
            session_reset(&cn->s, pc.f[i].ts_us);
        else if (pv.tcp_flags & TCPF_FIN)
            session_fin(&cn->s, dir, pc.f[i].ts_us);
    }
    for (int k = 0; k < nconn; k++)
        session_end(&c[k].s, SETTLE_END_OF_INPUT);
    free(c);
    tu_pcap_free(&pc);
}

static int64_t frame_time(const char *rel, size_t n)
{
    struct tu_pcap pc;
    tu_pcap_load(rel, &pc);
    assert_true(n <= pc.n);
    int64_t t = pc.f[n - 1].ts_us;
    tu_pcap_free(&pc);
    return t;
}

static void assert_ep(const struct endpoint *e, const char *ip, uint16_t port)
{
    uint8_t a[16];
    memset(a, 0, sizeof(a));
    assert_int_equal(inet_pton(AF_INET, ip, a), 1);
    assert_int_equal(e->family, ADDR_V4);
    assert_memory_equal(e->addr, a, 16);
    assert_int_equal(e->port, port);
}

/* Every handshake of a capture: after a plaintext upgrade of protocol. */
static void assert_starttls_handshakes(const struct rec *r, int n, const char *protocol)
{
    assert_int_equal(r->h.begins, n);
    assert_int_equal(r->h.settles, n);
    for (int i = 0; i < n; i++) {
        const struct tls_handshake *hs = &r->h.hs[i];
        assert_int_equal(hs->encapsulation, ENCAP_STARTTLS);
        assert_non_null(hs->protocol);
        assert_string_equal(hs->protocol, protocol);
        assert_true(hs->has_ch);
    }
}

static struct rec rec;

static void test_session_smtp_starttls(void **state)
{
    (void)state;
    run_capture("pcaps/mail/smtp_starttls.pcap", &rec);
    assert_starttls_handshakes(&rec, 2, "smtp");
    for (int i = 0; i < 2; i++) {
        assert_true(rec.h.hs[i].has_sh);
        assert_true(rec.h.hs[i].established);
        assert_string_equal(rec.h.hs[i].ch.sni, "smtp.example");
        assert_int_equal(tls_server_version(&rec.h.hs[i].sh), 0x0304);
        assert_ep(&rec.h.hs[i].server, "127.0.0.1", 25);
    }
    assert_int_equal(rec.npt, 0);
    assert_int_equal(session_stats.starttls_upgrades, 2);
    assert_int_equal(session_stats.plaintext_sessions, 0);

    run_capture("../shared/corpus/ndpi/smtp-starttls.pcap", &rec);
    assert_starttls_handshakes(&rec, 2, "smtp");
    assert_true(rec.h.hs[0].has_sh);
    assert_true(rec.h.hs[1].has_sh);
    assert_int_equal(rec.npt, 0);
    assert_int_equal(session_stats.starttls_upgrades, 2);
}

static void test_session_imap_pop3_ftp_pgsql_starttls(void **state)
{
    (void)state;
    run_capture("pcaps/mail/imap_starttls_tls12.pcap", &rec);
    assert_starttls_handshakes(&rec, 1, "imap");
    assert_true(rec.h.hs[0].established);
    assert_string_equal(rec.h.hs[0].ch.sni, "imap.example");
    assert_int_equal(tls_server_version(&rec.h.hs[0].sh), 0x0303);
    assert_int_equal(rec.h.hs[0].sh.cipher, 0xc030);
    assert_int_equal(rec.npt, 0);

    run_capture("../shared/corpus/ndpi/imap-starttls.pcap", &rec);
    assert_starttls_handshakes(&rec, 1, "imap");
    assert_true(rec.h.hs[0].has_sh);
    assert_int_equal(rec.npt, 0);

    run_capture("pcaps/mail/pop3_stls.pcap", &rec);
    assert_starttls_handshakes(&rec, 1, "pop3");
    assert_true(rec.h.hs[0].established);
    assert_string_equal(rec.h.hs[0].ch.sni, "pop3.example");
    assert_int_equal(rec.npt, 0);

    run_capture("../shared/corpus/ndpi/pop3_stls.pcap", &rec);
    assert_starttls_handshakes(&rec, 1, "pop3");
    assert_string_equal(rec.h.hs[0].ch.sni, "pop.lavabit.com");
    assert_int_equal(rec.npt, 0);

    run_capture("../shared/corpus/ndpi/ftp-start-tls.pcap", &rec);
    assert_starttls_handshakes(&rec, 1, "ftp");
    assert_true(rec.h.hs[0].has_sh);
    assert_ep(&rec.h.hs[0].server, "10.220.50.76", 21);
    assert_int_equal(rec.npt, 0);
    assert_int_equal(session_stats.starttls_upgrades, 1);

    run_capture("../shared/corpus/ndpi/pgsql2.pcapng", &rec);
    assert_starttls_handshakes(&rec, 1, "postgresql");
    assert_true(rec.h.hs[0].has_sh);
    assert_int_equal(rec.h.hs[0].server.port, 60102);
    assert_int_equal(rec.npt, 0);
}

/* Records sorted by connection (they are emitted when each settles). */
static const struct plaintext_record *record_of(const struct rec *r, uintptr_t conn)
{
    for (int i = 0; i < r->npt; i++)
        if (r->pt_conn[i] == conn)
            return &r->pt[i];
    fail_msg("no plaintext record for connection %u", (unsigned)conn);
    return NULL;
}

static const struct plaintext_record *record_by_client_port(const struct rec *r, uint16_t port)
{
    for (int i = 0; i < r->npt; i++)
        if (r->pt[i].client.port == port)
            return &r->pt[i];
    fail_msg("no plaintext record for client port %u", port);
    return NULL;
}

static void assert_record(const struct plaintext_record *pr, const char *protocol, uint8_t offered,
                          uint8_t requested, uint8_t refused, const char *creds)
{
    assert_non_null(pr->protocol);
    assert_string_equal(pr->protocol, protocol);
    assert_int_equal(pr->starttls_offered, offered);
    assert_int_equal(pr->starttls_requested, requested);
    assert_int_equal(pr->starttls_refused, refused);
    if (creds) {
        assert_non_null(pr->credentials);
        assert_string_equal(pr->credentials, creds);
    } else {
        assert_null(pr->credentials);
    }
    assert_int_equal(pr->transport, TRANSPORT_TCP);
}

static void test_session_plaintext_records(void **state)
{
    (void)state;
    run_capture("pcaps/mail/imap_plaintext_login.pcap", &rec);
    assert_int_equal(rec.h.begins, 0);
    assert_int_equal(rec.npt, 2);
    assert_record(record_of(&rec, 1), "imap", PT_YES, 0, 0, "LOGIN");
    assert_record(record_of(&rec, 2), "imap", PT_YES, 0, 0, "AUTHENTICATE PLAIN");
    assert_ep(&record_of(&rec, 1)->server, "127.0.0.1", 143);
    assert_ep(&record_of(&rec, 1)->client, "127.0.0.1", 45464);
    assert_int_equal(record_of(&rec, 1)->ts_us,
                     frame_time("pcaps/mail/imap_plaintext_login.pcap", 4)); /* the greeting */
    assert_int_equal(session_stats.plaintext_sessions, 2);

    run_capture("pcaps/mail/pop3_plaintext_login.pcap", &rec);
    assert_int_equal(rec.h.begins, 0);
    assert_int_equal(rec.npt, 2);
    assert_record(record_of(&rec, 1), "pop3", PT_YES, 0, 0, "USER/PASS");
    assert_record(record_of(&rec, 2), "pop3", PT_YES, 0, 0, "AUTH PLAIN");
    assert_ep(&record_of(&rec, 2)->server, "127.0.0.1", 110);
    assert_ep(&record_of(&rec, 2)->client, "127.0.0.1", 46650);

    run_capture("../shared/corpus/ndpi/smtp.pcap", &rec);
    assert_int_equal(rec.h.begins, 0);
    assert_int_equal(rec.npt, 1);
    assert_record(&rec.pt[0], "smtp", PT_NO, 0, 0, NULL);
    assert_int_equal(rec.pt[0].server.port, 25);
    assert_int_equal(rec.pt[0].client.port, 2127);

    /* The control connection only (the data connection is no STARTTLS
     * protocol); the record is written at PASS, before FEAT. */
    run_capture("../shared/corpus/ndpi/ftp.pcap", &rec);
    assert_int_equal(rec.h.begins, 0);
    assert_int_equal(rec.npt, 1);
    assert_record(&rec.pt[0], "ftp", PT_UNKNOWN, 0, 0, "USER/PASS");
    assert_int_equal(rec.pt[0].server.port, 21);

    run_capture("../shared/corpus/ndpi/nntp.pcap", &rec);
    assert_int_equal(rec.h.begins, 0);
    assert_int_equal(rec.npt, 1);
    assert_record(&rec.pt[0], "nntp", PT_UNKNOWN, 0, 0, NULL);
    assert_int_equal(rec.pt[0].server.port, 119);

    /* Four XMPP connections (and five of XMPP over TLS on 5223, which are
     * no plaintext sessions): the features of three lack <starttls/>; the
     * fourth (client port 53460) never hears from the server. */
    run_capture("../shared/corpus/ndpi/jabber.pcap", &rec);
    assert_int_equal(rec.h.begins, 0);
    assert_int_equal(rec.npt, 4);
    assert_record(record_by_client_port(&rec, 57094), "xmpp", PT_NO, 0, 0, NULL);
    assert_record(record_by_client_port(&rec, 57122), "xmpp", PT_NO, 0, 0, NULL);
    assert_record(record_by_client_port(&rec, 57147), "xmpp", PT_NO, 0, 0, NULL);
    assert_record(record_by_client_port(&rec, 53460), "xmpp", PT_UNKNOWN, 0, 0, NULL);
    for (int i = 0; i < rec.npt; i++)
        assert_int_equal(rec.pt[i].server.port, 5222);
}

/* pcaps/mail/smtp_starttls_refused.pcap: (1) 454, then a ClientHello
 * anyway and no ServerHello: a handshake AND a plaintext record with
 * starttls_refused; (2) EHLO only; (3) 454 and QUIT. */
static void test_session_smtp_refused(void **state)
{
    (void)state;
    run_capture("pcaps/mail/smtp_starttls_refused.pcap", &rec);
    assert_starttls_handshakes(&rec, 1, "smtp");
    const struct tls_handshake *hs = &rec.h.hs[0];
    assert_false(hs->has_sh);
    assert_false(hs->established);
    assert_string_equal(hs->ch.sni, "smtp.example");
    assert_ep(&hs->client, "127.0.0.1", 51806);
    assert_ep(&hs->server, "127.0.0.1", 25);
    assert_ptr_equal(rec.h.flow_ctx[0], (void *)1);

    assert_int_equal(rec.npt, 3);
    const struct plaintext_record *pr = record_of(&rec, 1);
    assert_record(pr, "smtp", PT_NO, 1, 1, NULL);
    assert_ep(&pr->client, "127.0.0.1", 51806);
    assert_ep(&pr->server, "127.0.0.1", 25);
    assert_int_equal(pr->ts_us, frame_time("pcaps/mail/smtp_starttls_refused.pcap", 4));
    assert_record(record_of(&rec, 2), "smtp", PT_NO, 0, 0, NULL);
    assert_ep(&record_of(&rec, 2)->client, "127.0.0.1", 51808);
    assert_record(record_of(&rec, 3), "smtp", PT_NO, 1, 1, NULL);
    assert_ep(&record_of(&rec, 3)->client, "127.0.0.1", 51818);
    assert_int_equal(session_stats.starttls_refused, 2);
    assert_int_equal(session_stats.starttls_upgrades, 0);
    assert_int_equal(session_stats.plaintext_sessions, 3);
}

/* A session fed a transcript directly: one record, at the end. */
static void test_session_transcript_record(void **state)
{
    (void)state;
    static const char *const names[] = {"sieve_auth", "ldap_refused_bind", "nntp_authinfo",
                                        "xmpp_plain_auth", "pop3_apop"};
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
        const struct transcript *t = find_transcript(names[i]);
        struct endpoint cl, sv;
        memset(&cl, 0, sizeof(cl));
        memset(&sv, 0, sizeof(sv));
        cl.family = sv.family = ADDR_V4;
        cl.addr[0] = 192;
        cl.addr[3] = 7;
        cl.port = 50000;
        sv.addr[0] = 192;
        sv.addr[3] = 8;
        sv.port = t->server_port;
        struct tls_session *s = calloc(1, sizeof(*s));
        struct dissect_sink sink = {
            .begin = tu_hs_begin, .settle = tu_hs_settle, .plaintext = rec_plaintext, .ctx = &rec};
        assert_non_null(s);
        memset(&rec, 0, sizeof(rec));
        session_init(s, &cl, &sv, TRANSPORT_TCP, &sink, (void *)1);
        for (size_t k = 0; k < t->nseg; k++)
            session_data(s, t->seg[k].srv ? 1 : 0,
                         span_make((const uint8_t *)t->seg[k].p, t->seg[k].n), (int64_t)k + 1);
        session_end(s, SETTLE_END_OF_INPUT);
        free(s);
        assert_int_equal(rec.h.begins, 0);
        assert_int_equal(rec.npt, 1);
        assert_record(&rec.pt[0], t->want.proto, t->want.offered, t->want.requested,
                      t->want.refused, t->want.creds);
        assert_int_equal(rec.pt[0].server.port, t->server_port);
        assert_int_equal(rec.pt[0].client.port, 50000);
        assert_int_equal(rec.pt[0].ts_us, 1);
    }
}

/* ---- 6. garbage, prefixes, long lines ----------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Words that drive the machines past identification. */
static const char *const soup[] = {"220 mx ESMTP\r\n",
                                   "250-STARTTLS\r\n",
                                   "250 ok\r\n",
                                   "EHLO x\r\n",
                                   "STARTTLS\r\n",
                                   "454 no\r\n",
                                   "220 go\r\n",
                                   "+OK\r\n",
                                   "-ERR\r\n",
                                   "CAPA\r\n",
                                   "STLS\r\n",
                                   ".\r\n",
                                   "* OK [CAPABILITY STARTTLS]\r\n",
                                   "a STARTTLS\r\n",
                                   "a OK\r\n",
                                   "a NO\r\n",
                                   "211-Features:\r\n",
                                   " AUTH TLS\r\n",
                                   "211 End\r\n",
                                   "AUTH TLS\r\n",
                                   "234 go\r\n",
                                   "\"STARTTLS\"\r\n",
                                   "OK\r\n",
                                   "<stream:features><starttls/>",
                                   "<proceed/>",
                                   "<failure/>",
                                   "\x30\x1d\x02\x01\x01\x77\x18\x80\x16",
                                   "\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x00",
                                   "\x30\x84\xff\xff\xff\xff",
                                   "\0\0\0\x08\x04\xd2\x16\x2f",
                                   "S",
                                   "N",
                                   "\r",
                                   "\n",
                                   "\x16\x03\x01\x00\x10\x01",
                                   "PROXY TCP4 ",
                                   "AUTH PLAIN x\r\n",
                                   "USER a\r\n",
                                   "PASS b\r\n"};

static void fill_random(uint8_t *buf, size_t n)
{
    size_t i = 0;
    int mode = (int)(rng() % 3);
    while (i < n) {
        if (mode == 0) {
            buf[i++] = (uint8_t)rng();
        } else if (mode == 1) {
            uint64_t v = rng() % 100;
            buf[i++] = v < 5 ? '\n' : v < 10 ? '\r' : (uint8_t)(' ' + v % 95);
        } else {
            const char *w = soup[rng() % (sizeof(soup) / sizeof(*soup))];
            size_t k = strlen(w);
            if (k == 0)
                k = 1; /* "" is never a word; a NUL is */
            for (size_t j = 0; j < k && i < n; j++)
                buf[i++] = (uint8_t)w[j];
        }
    }
}

static void test_random_bytes(void **state)
{
    (void)state;
    static const uint16_t ports[] = {21, 25, 110, 119, 143, 389, 587, 990, 2121, 4190, 5222, 5432};
    uint8_t buf[1400];
    rng_state = 0x9e3779b97f4a7c15ull;
    for (size_t pi = 0; pi < sizeof(ports) / sizeof(*ports); pi++) {
        for (int run = 0; run < 60; run++) {
            struct plaintext *pt = pt_new(ports[pi]);
            for (int c = 0; c < 24; c++) {
                size_t n = 1 + rng() % sizeof(buf);
                int dir = (int)(rng() & 1);
                fill_random(buf, n);
                /* malloc'd to the chunk's exact size: ASan sees any overread */
                uint8_t *chunk = malloc(n);
                assert_non_null(chunk);
                memcpy(chunk, buf, n);
                size_t off = 12345;
                enum pt_result r = plaintext_feed(pt, dir, span_make(chunk, n), &off);
                free(chunk);
                assert_true(off <= n);
                assert_true(pt->line_len[0] <= PT_LINE_MAX + 1);
                assert_true(pt->line_len[1] <= PT_LINE_MAX + 1);
                if (pt->upgraded || pt->refused || pt->offered || pt->creds)
                    assert_non_null(plaintext_protocol(pt));
                if (r != PT_CONTINUE) { /* TLS from here: start over, as a new session */
                    free(pt);
                    pt = pt_new(ports[pi]);
                }
            }
            free(pt);
        }
    }
}

/* Every prefix of every transcript, each side's bytes fed as either
 * direction and as either role (the server's bytes as the client's). */
static void test_prefixes(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_TRANSCRIPTS; i++) {
        const struct transcript *t = &transcripts[i];
        struct units *full = units_of(t, 1);
        size_t total = transcript_len(t);
        for (size_t len = 0; len <= total; len++) {
            for (int variant = 0; variant < 4; variant++) {
                struct units *us = calloc(1, sizeof(*us));
                assert_non_null(us);
                size_t left = len;
                for (size_t u = 0; u < full->n && left > 0; u++) {
                    size_t k = full->u[u].n < left ? full->u[u].n : left;
                    int srv = full->u[u].srv ^ (variant >> 1);
                    units_add(us, srv, full->u[u].p, k, 0);
                    left -= k;
                }
                struct outcome o = replay_units(us, t->server_port, variant & 1, WHOLE);
                assert_true(o.result == PT_CONTINUE || o.tls_at <= len);
                if (o.upgraded && (variant >> 1) == 0)
                    assert_int_equal(o.result, PT_UPGRADED);
                free(us);
            }
        }
        free(full);
    }
}

static void test_long_lines(void **state)
{
    (void)state;
    size_t off;
    char *big = malloc(6000);
    assert_non_null(big);

    /* A 2000-byte greeting: cut, counted, identified from its first 512
     * bytes; the session goes on to its upgrade. */
    memcpy(big, "220 ", 4);
    memset(big + 4, 'x', 1996);
    memcpy(big + 2000, "\r\n", 3);
    struct plaintext *pt = pt_new(25);
    assert_int_equal(feed_str(pt, 1, big, &off), PT_CONTINUE);
    assert_int_equal(pt->long_lines, 1);
    assert_string_equal(plaintext_protocol(pt), "smtp");
    feed_str(pt, 0, "EHLO c\r\n", &off);
    /* A 5000-byte capability line from the server in three chunks. */
    memcpy(big, "250-X", 5);
    memset(big + 5, 'y', 4995);
    big[5000] = 0;
    feed_str(pt, 1, big, &off);
    feed_str(pt, 1, big + 5, &off);
    assert_int_equal(pt->long_lines, 2);
    feed_str(pt, 1, "yyy\r\n250 STARTTLS\r\n", &off);
    assert_int_equal(pt->long_lines, 2);
    assert_int_equal(pt->offered, PT_YES);
    /* A long client line too. */
    memcpy(big, "NOOP ", 5);
    memset(big + 5, 'z', 995);
    memcpy(big + 1000, "\r\n", 3);
    feed_str(pt, 0, big, &off);
    assert_int_equal(pt->long_lines, 3);
    feed_str(pt, 1, "250 ok\r\n", &off);
    feed_str(pt, 0, "STARTTLS\r\n", &off);
    assert_int_equal(feed_str(pt, 1, "220 go ahead\r\n", &off), PT_UPGRADED);
    assert_int_equal(off, 14);
    free(pt);

    /* Exactly PT_LINE_MAX bytes before the LF (CR included): not cut. One
     * more: cut. Byte by byte: counted once. */
    for (size_t extra = 0; extra < 2; extra++) {
        for (int bytewise = 0; bytewise < 2; bytewise++) {
            size_t n = PT_LINE_MAX + extra;
            memcpy(big, "+OK ", 4);
            memset(big + 4, 'o', n - 5);
            big[n - 1] = '\r';
            big[n] = '\n';
            pt = pt_new(110);
            if (bytewise) {
                for (size_t k = 0; k <= n; k++)
                    plaintext_feed(pt, 1, span_make((const uint8_t *)big + k, 1), &off);
            } else {
                plaintext_feed(pt, 1, span_make((const uint8_t *)big, n + 1), &off);
            }
            assert_int_equal(pt->long_lines, extra);
            assert_int_equal(pt->line_len[1], 0);
            assert_string_equal(plaintext_protocol(pt), "pop3");
            assert_true(pt->greeted);
            free(pt);
        }
    }

    /* Megabytes without a line end, both directions: bounded. */
    pt = pt_new(143);
    feed_str(pt, 1, "* OK ready\r\n", &off);
    memset(big, 'A', 6000);
    for (int k = 0; k < 200; k++) {
        plaintext_feed(pt, k & 1, span_make((const uint8_t *)big, 6000), &off);
        assert_true(pt->line_len[k & 1] <= PT_LINE_MAX + 1);
    }
    assert_int_equal(pt->long_lines, 2);
    feed_str(pt, 0, "\r\na1 STARTTLS\r\n", &off);
    assert_true(pt->requested);
    free(pt);
    free(big);
}

/* Which identified protocols let nDPI's dissection be skipped. */
static void test_names_flow(void **state)
{
    (void)state;
    size_t off;
    struct plaintext *pt = pt_new(25);
    assert_false(plaintext_names_flow(pt));
    feed_str(pt, 1, "220 mx.example.com ESMTP Postfix\r\n", &off);
    assert_string_equal(plaintext_protocol(pt), "smtp");
    assert_false(plaintext_names_flow(pt)); /* nDPI names the host of the greeting */
    free(pt);
    pt = pt_new(110);
    feed_str(pt, 1, "+OK Dovecot ready.\r\n", &off);
    assert_string_equal(plaintext_protocol(pt), "pop3");
    assert_true(plaintext_names_flow(pt));
    free(pt);
    pt = pt_new(5222);
    feed_str(pt, 0,
             "<?xml version='1.0'?><stream:stream to='example.com' "
             "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>",
             &off);
    assert_string_equal(plaintext_protocol(pt), "xmpp");
    assert_false(plaintext_names_flow(pt)); /* left to nDPI */
    free(pt);
    pt = pt_new(8000);
    feed_str(pt, 0, "hello there\r\n", &off);
    assert_false(plaintext_names_flow(pt));
    free(pt);
    assert_false(plaintext_names_flow(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smtp),
        cmocka_unit_test(test_upgrade_offset_inside_chunk),
        cmocka_unit_test(test_pop3),
        cmocka_unit_test(test_imap),
        cmocka_unit_test(test_ftp),
        cmocka_unit_test(test_nntp),
        cmocka_unit_test(test_nntp_capabilities_offered),
        cmocka_unit_test(test_sieve),
        cmocka_unit_test(test_xmpp),
        cmocka_unit_test(test_xmpp_plain_auth_single_quotes),
        cmocka_unit_test(test_ldap),
        cmocka_unit_test(test_ldap_response_matched_by_message_id),
        cmocka_unit_test(test_pgsql),
        cmocka_unit_test(test_imap_long_tag),
        cmocka_unit_test(test_concluded),
        cmocka_unit_test(test_cuts_line_protocols),
        cmocka_unit_test(test_cuts_binary_whole_turns),
        cmocka_unit_test(test_cuts_xmpp),
        cmocka_unit_test(test_cuts_ldap),
        cmocka_unit_test(test_cuts_pgsql),
        cmocka_unit_test(test_smtp_pipelining),
        cmocka_unit_test(test_imap_pipelining),
        cmocka_unit_test(test_pop3_pipelining),
        cmocka_unit_test(test_identification),
        cmocka_unit_test(test_identification_220_then_client),
        cmocka_unit_test(test_identification_gives_up),
        cmocka_unit_test(test_hello_start),
        cmocka_unit_test(test_session_smtp_starttls),
        cmocka_unit_test(test_session_imap_pop3_ftp_pgsql_starttls),
        cmocka_unit_test(test_session_plaintext_records),
        cmocka_unit_test(test_session_smtp_refused),
        cmocka_unit_test(test_session_transcript_record),
        cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_long_lines),
        cmocka_unit_test(test_names_flow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
