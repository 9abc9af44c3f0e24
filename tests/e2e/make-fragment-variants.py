#!/usr/bin/env python3
"""make-fragment-variants: two variants of a capture of IP fragments (an
Ethernet pcap, such as tests/fixtures/stacks/ipv4_fragments_tls1_2.pcap),
for the e2e checks that tlsmon puts the same handshake together from them:

  tunnel   each frame's IP packet carried in an outer IPv4 header (IP-in-IP,
           protocol 4, from 192.0.2.1 to 192.0.2.2), the outer packet cut in
           two where it is longer than 1,280 bytes, as a tunnel with a
           smaller MTU does: a fragment inside a fragmented tunnel packet
  doubled  every frame twice, as a SPAN port that copies both directions of
           a link sends them

Usage: make-fragment-variants.py IN.pcap tunnel|doubled OUT.pcap
Python standard library only.
"""
import struct
import sys

MTU = 1280


def read_pcap(path):
    data = open(path, 'rb').read()
    magic = struct.unpack('<I', data[:4])[0]
    if magic != 0xa1b2c3d4:
        sys.exit('make-fragment-variants: %s: not a little-endian microsecond pcap' % path)
    frames, off = [], 24
    while off + 16 <= len(data):
        sec, usec, caplen, _ = struct.unpack('<IIII', data[off:off + 16])
        frames.append((sec, usec, data[off + 16:off + 16 + caplen]))
        off += 16 + caplen
    return data[:24], frames


def checksum(header):
    total = sum(struct.unpack('!%dH' % (len(header) // 2), header))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff


def outer_ipv4(payload, ident, frag_field):
    """An IPv4 header (no options) before payload, carrying IP (protocol 4)."""
    header = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), ident, frag_field, 64, 4, 0,
                         bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2]))
    return header[:10] + struct.pack('!H', checksum(header)) + header[12:] + payload


def tunnel(frames):
    out = []
    for ident, (sec, usec, frame) in enumerate(frames, start=1000):
        ether, inner = frame[:14], frame[14:]
        if 20 + len(inner) <= MTU:
            out.append((sec, usec, ether + outer_ipv4(inner, ident, 0)))
            continue
        cut = (MTU - 20) // 8 * 8  # fragment data in 8-byte units
        out.append((sec, usec, ether + outer_ipv4(inner[:cut], ident, 0x2000)))  # MF
        out.append((sec, usec, ether + outer_ipv4(inner[cut:], ident, cut // 8)))
    return out


def main():
    if len(sys.argv) != 4 or sys.argv[2] not in ('tunnel', 'doubled'):
        sys.exit(__doc__)
    header, frames = read_pcap(sys.argv[1])
    out = tunnel(frames) if sys.argv[2] == 'tunnel' else [f for f in frames for _ in (0, 1)]
    with open(sys.argv[3], 'wb') as f:
        f.write(header)
        for sec, usec, frame in out:
            f.write(struct.pack('<IIII', sec, usec, len(frame), len(frame)) + frame)


if __name__ == '__main__':
    main()
