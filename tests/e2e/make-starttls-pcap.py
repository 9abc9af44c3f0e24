#!/usr/bin/env python3
"""make-starttls-pcap: a synthetic SMTP STARTTLS capture around a real TLS handshake.

Usage: make-starttls-pcap.py SOURCE.pcap OUT.pcap

Takes the TCP payloads of the one connection in SOURCE.pcap (Ethernet, IPv4 or
IPv6, TCP; e.g. pcaps/tls1_2.pcap), in capture order and with their direction
(the client is the SYN's sender), and writes OUT.pcap: one IPv4 TCP connection
10.0.0.1:40000 -> 10.0.0.2:25 with a three-way handshake, an SMTP exchange in
clear (220 banner, EHLO, 250-STARTTLS, STARTTLS, 220 ready), then the same TLS
bytes in the same order and directions, and a FIN each way. Sequence and
acknowledgement numbers and IP/TCP checksums are correct. So the handshake's
ClientHello/ServerHello fields (SNI, JA3, versions, cipher) equal the source's,
and only the encapsulation differs. Python 3 standard library only.
"""

import struct
import sys

CLIENT = (bytes([10, 0, 0, 1]), 40000)
SERVER = (bytes([10, 0, 0, 2]), 25)
SMTP = [
    (1, b'220 mx.tlsmon.test ESMTP\r\n'),
    (0, b'EHLO client.tlsmon.test\r\n'),
    (1, b'250-mx.tlsmon.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n'),
    (0, b'STARTTLS\r\n'),
    (1, b'220 2.0.0 Ready to start TLS\r\n'),
]


def read_pcap(path):
    with open(path, 'rb') as f:
        data = f.read()
    magic = data[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        end = '<'
    elif magic in (b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        end = '>'
    else:
        sys.exit('make-starttls-pcap: %s: not a classic pcap' % path)
    linktype = struct.unpack(end + 'I', data[20:24])[0]
    if linktype != 1:
        sys.exit('make-starttls-pcap: %s: link type %d, want Ethernet' % (path, linktype))
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(end + 'IIII', data[off:off + 16])
        yield data[off + 16:off + 16 + incl]
        off += 16 + incl


def tcp_segments(frames):
    """(src endpoint, flags, payload) of each TCP segment."""
    for fr in frames:
        etype = struct.unpack('>H', fr[12:14])[0]
        p = fr[14:]
        if etype == 0x0800:
            ihl = (p[0] & 0x0f) * 4
            if p[9] != 6:
                continue
            src, tcp = p[12:16], p[ihl:struct.unpack('>H', p[2:4])[0]]
        elif etype == 0x86dd:
            if p[6] != 6:
                continue
            src, tcp = p[8:24], p[40:40 + struct.unpack('>H', p[4:6])[0]]
        else:
            continue
        sport = struct.unpack('>H', tcp[0:2])[0]
        doff = (tcp[12] >> 4) * 4
        yield (src, sport), tcp[13], tcp[doff:]


def checksum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('>%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


class Conn:
    def __init__(self):
        self.seq = [1000, 5000000]  # next sequence number, client and server
        self.frames = []
        self.t = 1700000000.0

    def packet(self, d, flags, payload=b''):
        src, dst = (CLIENT, SERVER) if d == 0 else (SERVER, CLIENT)
        ack = self.seq[1 - d] if flags & 0x10 else 0
        tcp = struct.pack('>HHIIBBHHH', src[1], dst[1], self.seq[d], ack, 5 << 4, flags,
                          65535, 0, 0) + payload
        pseudo = src[0] + dst[0] + struct.pack('>BBH', 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack('>H', checksum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack('>BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), len(self.frames) + 1, 0x4000,
                         64, 6, 0, src[0], dst[0])
        ip = ip[:10] + struct.pack('>H', checksum(ip)) + ip[12:]
        eth = bytes([2, 0, 0, 0, 0, 2 - d]) + bytes([2, 0, 0, 0, 0, 1 + d]) + b'\x08\x00'
        self.frames.append((self.t, eth + ip + tcp))
        self.t += 0.001
        self.seq[d] += len(payload) + (1 if flags & 0x03 else 0)  # SYN and FIN count

    def write(self, path):
        with open(path, 'wb') as f:
            f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
            for t, fr in self.frames:
                f.write(struct.pack('<IIII', int(t), int((t % 1) * 1e6), len(fr), len(fr)) + fr)


def main():
    if len(sys.argv) != 3:
        sys.exit('usage: make-starttls-pcap.py SOURCE.pcap OUT.pcap')
    client = None
    tls = []
    for src, flags, payload in tcp_segments(read_pcap(sys.argv[1])):
        if flags & 0x02 and not flags & 0x10 and client is None:
            client = src
        if payload:
            if client is None:
                sys.exit('make-starttls-pcap: payload before the SYN')
            tls.append((0 if src == client else 1, payload))
    if not tls:
        sys.exit('make-starttls-pcap: no TCP payload in %s' % sys.argv[1])
    c = Conn()
    c.packet(0, 0x02)         # SYN
    c.packet(1, 0x12)         # SYN-ACK
    c.packet(0, 0x10)         # ACK
    for d, payload in SMTP + tls:
        c.packet(d, 0x18, payload)  # PSH-ACK
        c.packet(1 - d, 0x10)       # ACK
    c.packet(0, 0x11)         # FIN-ACK
    c.packet(1, 0x11)
    c.packet(0, 0x10)
    c.write(sys.argv[2])


if __name__ == '__main__':
    main()
