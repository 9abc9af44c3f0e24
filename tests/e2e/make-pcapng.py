#!/usr/bin/env python3
"""make-pcapng: rewrite a classic pcap as pcapng (one section, one interface).

Usage: make-pcapng.py [--ts-base-us N] SOURCE.pcap OUT.pcapng

Each packet becomes an Enhanced Packet Block with the same bytes and a
microsecond timestamp (the interface has no if_tsresol option, so the
default 10^-6 applies). With --ts-base-us N the timestamps become N + the
packet's offset from the first packet, modulo 2^64: a huge N gives times
past what a 64-bit count of microseconds since 1970 can hold once converted
to seconds and back (the pcapng format allows them). Python 3 stdlib only.
"""

import argparse
import struct


def block(btype, body):
    body += b'\0' * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack('<II', btype, n) + body + struct.pack('<I', n)


def read_pcap(path):
    with open(path, 'rb') as f:
        data = f.read()
    magic = struct.unpack('<I', data[:4])[0]
    if magic in (0xa1b2c3d4, 0xa1b23c4d):
        end = '<'
    elif magic in (0xd4c3b2a1, 0x4d3cb2a1):
        end = '>'
        magic = struct.unpack('>I', data[:4])[0]
    else:
        raise SystemExit('make-pcapng: %s: not a classic pcap' % path)
    nano = magic == 0xa1b23c4d
    snaplen, linktype = struct.unpack(end + 'II', data[16:24])
    pkts = []
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(end + 'IIII', data[off:off + 16])
        us = sec * 1000000 + (frac // 1000 if nano else frac)
        pkts.append((us, orig, data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return linktype, snaplen, pkts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--ts-base-us', type=int, default=None)
    ap.add_argument('source')
    ap.add_argument('out')
    args = ap.parse_args()
    linktype, snaplen, pkts = read_pcap(args.source)
    out = block(0x0A0D0D0A, struct.pack('<IHHq', 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack('<HHI', linktype, 0, snaplen))
    first = pkts[0][0] if pkts else 0
    for us, orig, data in pkts:
        ts = us if args.ts_base_us is None else args.ts_base_us + (us - first)
        ts %= 1 << 64
        out += block(6, struct.pack('<IIIII', 0, ts >> 32, ts & 0xffffffff, len(data), orig) + data)
    with open(args.out, 'wb') as f:
        f.write(out)


if __name__ == '__main__':
    main()
