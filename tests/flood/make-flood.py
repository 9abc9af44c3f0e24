#!/usr/bin/env python3
"""make-flood: hostile captures for tlsmon's resource bounds (deterministic).

Usage: make-flood.py syn N OUT.pcap        N SYNs from random sources to one server
       make-flood.py halfhello N OUT.pcap  N connections that each open a TLS
                                           ClientHello claiming 64 KiB and send
                                           3 full segments of it, never the rest
Classic pcap, Ethernet, IPv4, valid lengths (checksums are not checked by tlsmon).
"""
import random
import struct
import sys

ETH = b'\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\x08\x00'


def ip_tcp(src, dst, sport, dport, seq, ack, flags, payload=b''):
    tcp = struct.pack('>HHIIBBHHH', sport, dport, seq & 0xffffffff, ack & 0xffffffff, 5 << 4,
                      flags, 65535, 0, 0)
    total = 20 + len(tcp) + len(payload)
    ip = struct.pack('>BBHHHBBH4s4s', 0x45, 0, total, 0, 0x4000, 64, 6, 0, src, dst)
    return ETH + ip + tcp + payload


def write(out, frames):
    out.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, frame in enumerate(frames):
        out.write(struct.pack('<IIII', 1700000000 + i // 1000000, i % 1000000, len(frame), len(frame)))
        out.write(frame)


def syn_flood(n, rnd):
    server = bytes([10, 0, 0, 1])
    for _ in range(n):
        src = struct.pack('>I', rnd.getrandbits(32) | 0x01000000)
        yield ip_tcp(src, server, rnd.randrange(1024, 65536), 443, rnd.getrandbits(32), 0, 0x02)


def half_hello(n, rnd):
    server = bytes([10, 0, 0, 1])
    # Record header (16 KiB record) + ClientHello header claiming 0xffff bytes.
    start = b'\x16\x03\x01\x40\x00' + b'\x01\x00\xff\xff' + b'\x03\x03' + bytes(32)
    seg = 1400
    first = start + bytes(seg - len(start))
    for i in range(n):
        src = struct.pack('>I', 0x0b000000 + i)
        sport = 1024 + i % 60000
        cisn, sisn = rnd.getrandbits(32), rnd.getrandbits(32)
        yield ip_tcp(src, server, sport, 443, cisn, 0, 0x02)
        yield ip_tcp(server, src, 443, sport, sisn, cisn + 1, 0x12)
        yield ip_tcp(src, server, sport, 443, cisn + 1, sisn + 1, 0x10)
        for k in range(3):
            data = first if k == 0 else bytes(seg)
            yield ip_tcp(src, server, sport, 443, cisn + 1 + k * seg, sisn + 1, 0x18, data)


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ('syn', 'halfhello'):
        sys.exit(__doc__)
    kind, n, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    rnd = random.Random(1)
    with open(path, 'wb') as out:
        write(out, syn_flood(n, rnd) if kind == 'syn' else half_hello(n, rnd))


if __name__ == '__main__':
    main()
