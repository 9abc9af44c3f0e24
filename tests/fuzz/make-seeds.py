#!/usr/bin/env python3
"""make-seeds: seed corpora for the fuzz targets, from real captures.

Usage: make-seeds.py OUTDIR CAPTURE...

For every capture (pcap or pcapng; Ethernet, raw IP, Linux SLL/SLL2, BSD
loopback; IPv4/IPv6), writes under OUTDIR, one file per flow:
  capture/<name>          the capture itself (if under 64 KiB)
  tls_stream/<name>-N     each TCP flow, in fuzz_tls_stream's chunked format
  datagram/<name>-N       each UDP flow, in fuzz_datagram's format
  starttls_<proto>/...    each TCP flow to a port of that protocol (SMTP 25,
                          587; POP3 110; IMAP 143; FTP 21; NNTP 119;
                          ManageSieve 4190; XMPP 5222, 5269; LDAP 389;
                          PostgreSQL 5432): the server's direction, then the
                          segments as fuzz_input.h chunks
  framing/<name>-N        each TCP flow that starts with STUN framed on TCP;
                          and each UDP flow's STUN and DTLS datagrams put in
                          RFC 4571 length framing
  dtls/<name>-N           each UDP flow's DTLS records (unwrapped from TURN
                          ChannelData and Send/Data indications), as
                          fuzz_input.h datagrams
Then it adds a few exchanges written here after the RFCs, for protocols no
capture shows upgrading (LDAP, ManageSieve, XMPP, PostgreSQL, NNTP).
Python standard library only; captures it cannot read are skipped.
"""
import os
import struct
import sys

STARTTLS_PORTS = {
    25: 'smtp', 587: 'smtp', 2525: 'smtp', 110: 'pop3', 143: 'imap', 21: 'ftp',
    119: 'nntp', 4190: 'sieve', 2000: 'sieve', 5222: 'xmpp', 5269: 'xmpp',
    389: 'ldap', 5432: 'pgsql',
}
MAX_SEED = 65536
STUN_COOKIE = b'\x21\x12\xa4\x42'


# ---- reading captures -------------------------------------------------------

def pcap_packets(data):
    e = '<' if data[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
    lt = struct.unpack(e + 'I', data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        caplen = struct.unpack(e + 'I', data[off + 8:off + 12])[0]
        yield lt, data[off + 16:off + 16 + caplen]
        off += 16 + caplen


def pcapng_packets(data):
    e, links, off = '<', [], 0
    while off + 12 <= len(data):
        btype = struct.unpack(e + 'I', data[off:off + 4])[0]
        if btype == 0x0A0D0D0A:  # section header: its byte order
            e = '<' if data[off + 8:off + 12] == b'\x4d\x3c\x2b\x1a' else '>'
            links = []
        blen = struct.unpack(e + 'I', data[off + 4:off + 8])[0]
        if blen < 12 or off + blen > len(data):
            return
        body = data[off + 8:off + blen - 4]
        if btype == 1 and len(body) >= 2:  # interface description
            links.append(struct.unpack(e + 'H', body[:2])[0])
        elif btype == 6 and len(body) >= 20:  # enhanced packet
            iface, caplen = struct.unpack(e + 'I', body[:4])[0], struct.unpack(e + 'I', body[12:16])[0]
            if iface < len(links):
                yield links[iface], body[20:20 + caplen]
        elif btype == 3 and links and len(body) >= 4:  # simple packet
            yield links[0], body[4:]
        off += blen


def packets(path):
    with open(path, 'rb') as f:
        data = f.read()
    if len(data) < 24:
        return None, []
    if data[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1', b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        return data, list(pcap_packets(data))
    if data[:4] == b'\x0a\x0d\x0d\x0a':
        return data, list(pcapng_packets(data))
    return data, []


def l3(lt, frame):
    if lt == 1:
        off, et = 14, struct.unpack('>H', frame[12:14])[0] if len(frame) >= 14 else 0
        while et in (0x8100, 0x88a8) and len(frame) >= off + 4:
            et = struct.unpack('>H', frame[off + 2:off + 4])[0]
            off += 4
        return frame[off:]
    if lt in (101, 12, 228, 229):
        return frame
    if lt == 113:
        return frame[16:]
    if lt == 276:
        return frame[20:]
    if lt == 0:
        return frame[4:]
    return b''


def transport(ip):
    if len(ip) < 20:
        return None
    v = ip[0] >> 4
    if v == 4:
        hl = (ip[0] & 15) * 4
        total = struct.unpack('>H', ip[2:4])[0] or len(ip)
        proto, src, dst, rest = ip[9], ip[12:16], ip[16:20], ip[hl:total]
    elif v == 6 and len(ip) >= 40:
        proto, src, dst, rest = ip[6], ip[8:24], ip[24:40], ip[40:40 + struct.unpack('>H', ip[4:6])[0]]
    else:
        return None
    if proto == 6 and len(rest) >= 20:
        sp, dp = struct.unpack('>HH', rest[:4])
        return 'tcp', (src, sp), (dst, dp), rest[(rest[12] >> 4) * 4:]
    if proto == 17 and len(rest) >= 8:
        sp, dp = struct.unpack('>HH', rest[:4])
        return 'udp', (src, sp), (dst, dp), rest[8:]
    return None


def flows_of(pkts):
    """Flows in order of first payload: kind, first sender, [(dir, payload)]."""
    flows = {}
    for lt, frame in pkts:
        t = transport(l3(lt, frame))
        if not t or not t[3]:
            continue
        kind, a, b, payload = t
        key = (kind,) + tuple(sorted([a, b]))
        fl = flows.setdefault(key, {'kind': kind, 'first': a, 'other': b, 'chunks': []})
        fl['chunks'].append((0 if a == fl['first'] else 1, payload))
    return list(flows.values())


# ---- the harnesses' input formats (fuzz_input.h) ----------------------------

def chunk(d, p):
    """A stream chunk: direction and length in one byte, 127 = 2-byte length."""
    if len(p) < 127:
        return bytes([(d << 7) | len(p)]) + p
    p = p[:0xffff]
    return bytes([(d << 7) | 127]) + struct.pack('>H', len(p)) + p


def datagram(d, p):
    p = p[:0x7fff]
    return struct.pack('>H', (d << 15) | len(p)) + p


# ---- what a payload is ------------------------------------------------------

def is_dtls(p):
    """A classic DTLS record header (RFC 6347 4.1), or 0x0100 pre-RFC DTLS."""
    return len(p) >= 13 and 20 <= p[0] <= 26 and p[1:3] in (b'\xfe\xff', b'\xfe\xfd', b'\x01\x00')


def is_unified(p):
    """A DTLS 1.3 unified header (RFC 9147 4): only trusted on a DTLS flow."""
    return len(p) >= 17 and (p[0] & 0xe0) == 0x20


def stun_data(p):
    """The DATA attribute of a STUN Send/Data indication, or None."""
    if len(p) < 20 or p[4:8] != STUN_COOKIE or struct.unpack('>H', p[:2])[0] not in (0x16, 0x17):
        return None
    off, end = 20, min(len(p), 20 + struct.unpack('>H', p[2:4])[0])
    while off + 4 <= end:
        at, al = struct.unpack('>HH', p[off:off + 4])
        if at == 0x0013:
            return p[off + 4:off + 4 + al]
        off += 4 + al + ((4 - al % 4) % 4)
    return None


def dtls_in(p, on_dtls_flow):
    """The DTLS records a UDP payload carries, directly or through TURN."""
    if p and 64 <= p[0] <= 127 and len(p) >= 4:  # ChannelData of a consistent length
        n = struct.unpack('>H', p[2:4])[0]
        p = p[4:4 + n] if 0 <= len(p) - 4 - n < 4 else b''
    elif p and p[0] <= 3:
        p = stun_data(p) or b''
    return p if is_dtls(p) or (on_dtls_flow and is_unified(p)) else None


def stun_framed(p):
    return len(p) >= 8 and not (p[0] & 0xc0) and p[4:8] == STUN_COOKIE


# ---- seeds ------------------------------------------------------------------

class Seeds:
    def __init__(self, out):
        self.out = out

    def write(self, sub, name, buf):
        if not 1 < len(buf) <= MAX_SEED:
            return
        os.makedirs(os.path.join(self.out, sub), exist_ok=True)
        with open(os.path.join(self.out, sub, name), 'wb') as f:
            f.write(buf)

    def tcp(self, name, fl):
        buf = bytearray()
        for d, p in fl['chunks'][:40]:  # fuzz_tls_stream: pieces of at most 127 bytes
            for i in range(0, len(p), 127):
                piece = p[i:i + 127]
                buf += bytes([(d << 7) | len(piece)]) + piece
        self.write('tls_stream', name, buf)
        segs = fl['chunks'][:60]
        ports = (fl['first'][1], fl['other'][1])
        for sd in (0, 1):
            proto = STARTTLS_PORTS.get(ports[sd])
            if proto and STARTTLS_PORTS.get(ports[1 - sd]) != proto:
                self.write('starttls_' + proto, name,
                           bytes([sd]) + b''.join(chunk(d, p) for d, p in segs))
        if stun_framed(segs[0][1]):
            self.write('framing', name, b'\x00' + b''.join(chunk(d, p) for d, p in segs))

    def udp(self, name, fl):
        dgs = fl['chunks'][:20]
        first = dgs[0][1]
        self.write('datagram', name, bytes([1 if first[:1] and first[0] & 0x80 else 0]) +
                   b''.join(datagram(d, p) for d, p in dgs))
        on_dtls = any(dtls_in(p, False) for d, p in fl['chunks'][:40])
        dtls = [(d, r) for d, r in ((d, dtls_in(p, on_dtls)) for d, p in fl['chunks'][:40]) if r]
        if dtls:
            self.write('dtls', name, b'\x00' + b''.join(datagram(d, p) for d, p in dtls))
        # The same datagrams as ICE-TCP would carry them (RFC 4571).
        framed = [(d, p) for d, p in fl['chunks'][:40] if is_dtls(p) or stun_framed(p)]
        if framed:
            self.write('framing', name + '-rfc4571', b'\x01' + b''.join(
                chunk(d, struct.pack('>H', len(p)) + p) for d, p in framed))

    def capture(self, path):
        name = os.path.basename(path)
        whole, pkts = packets(path)
        if whole is not None and len(whole) <= MAX_SEED:
            self.write('capture', name, whole)
        for n, fl in enumerate(flows_of(pkts)):
            (self.tcp if fl['kind'] == 'tcp' else self.udp)('%s-%d' % (name, n), fl)


# Exchanges written after the RFCs for upgrades no capture here shows. Each is
# (server direction, [(direction, bytes)]); a TLS record header follows the
# upgrade.
HELLO = (b'\x16\x03\x01\x00\x2f\x01\x00\x00\x2b\x03\x03' + bytes(32) +
         b'\x00\x00\x02\x13\x01\x01\x00\x00\x00')
LDAP_OID = b'1.3.6.1.4.1.1466.20037'
BUILT = {
    'ldap': (1, [  # RFC 4511 4.14: ExtendedRequest, ExtendedResponse success
        (0, b'\x30\x1d\x02\x01\x01\x77\x18\x80\x16' + LDAP_OID),
        (1, b'\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x00\x04\x00\x04\x00'),
        (0, HELLO)]),
    'ldap-bind': (1, [  # 4.2: a simple bind in clear, then StartTLS refused
        (0, b'\x30\x17\x02\x01\x01\x60\x12\x02\x01\x03\x04\x07cn=user\x80\x04pass'),
        (1, b'\x30\x0c\x02\x01\x01\x61\x07\x0a\x01\x00\x04\x00\x04\x00'),
        (0, b'\x30\x1d\x02\x01\x02\x77\x18\x80\x16' + LDAP_OID),
        (1, b'\x30\x0c\x02\x01\x02\x78\x07\x0a\x01\x02\x04\x00\x04\x00')]),
    'sieve': (1, [  # RFC 5804 2.2
        (1, b'"IMPLEMENTATION" "x"\r\n"SASL" "PLAIN"\r\n"STARTTLS"\r\n"VERSION" "1.0"\r\nOK\r\n'),
        (0, b'STARTTLS\r\n'), (1, b'OK "Begin TLS"\r\n'), (0, HELLO)]),
    'xmpp': (1, [  # RFC 6120 5.4.2
        (0, b"<?xml version='1.0'?><stream:stream to='example.net' version='1.0' "
            b"xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"),
        (1, b"<stream:stream from='example.net' id='x' version='1.0'><stream:features>"
            b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
            b"</stream:features>"),
        (0, b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
        (1, b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"), (0, HELLO)]),
    'pgsql': (1, [  # SSLRequest, then 'S' and the hello; GSSENCRequest refused first
        (0, b'\x00\x00\x00\x08\x04\xd2\x16\x30'), (1, b'N'),
        (0, b'\x00\x00\x00\x08\x04\xd2\x16\x2f'), (1, b'S'), (0, HELLO)]),
    'nntp': (1, [  # RFC 4642 2.2
        (1, b'200 news.example.com ready\r\n'), (0, b'CAPABILITIES\r\n'),
        (1, b'101 Capability list:\r\nVERSION 2\r\nSTARTTLS\r\n.\r\n'),
        (0, b'STARTTLS\r\n'), (1, b'382 Continue with TLS negotiation\r\n'), (0, HELLO)]),
}


def main():
    seeds = Seeds(sys.argv[1])
    for path in sys.argv[2:]:
        try:
            seeds.capture(path)
        except (OSError, struct.error, IndexError) as err:
            print('make-seeds: %s: skipped (%s)' % (path, err), file=sys.stderr)
    for name, (sd, segs) in BUILT.items():
        proto = name.split('-')[0]
        seeds.write('starttls_' + proto, 'built-' + name, bytes([sd]) + b''.join(chunk(d, p) for d, p in segs))


if __name__ == '__main__':
    main()
