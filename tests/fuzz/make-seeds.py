#!/usr/bin/env python3
"""make-seeds: seed corpora for the fuzz targets, from real captures.

Usage: make-seeds.py OUTDIR CAPTURE...

For every capture (classic pcap, Ethernet/raw/SLL, IPv4/IPv6), writes:
  OUTDIR/capture/<name>        the capture itself (if under 64 KiB)
  OUTDIR/tls_stream/<name>-N   each TCP flow's payloads, in capture order, in
                               fuzz_tls_stream's chunked format
  OUTDIR/datagram/<name>-N     each UDP flow's payloads in fuzz_datagram's
                               format (carrier byte, then length-prefixed)
Python standard library only; captures it cannot read are skipped.
"""
import os
import struct
import sys


def packets(path):
    with open(path, 'rb') as f:
        data = f.read()
    if len(data) < 24:
        return None, []
    magic = data[:4]
    if magic == b'\xd4\xc3\xb2\xa1' or magic == b'\x4d\x3c\xb2\xa1':
        e = '<'
    elif magic == b'\xa1\xb2\xc3\xd4' or magic == b'\xa1\xb2\x3c\x4d':
        e = '>'
    else:
        return data, []  # pcapng etc.: only used whole
    lt = struct.unpack(e + 'I', data[20:24])[0]
    out, off = [], 24
    while off + 16 <= len(data):
        caplen = struct.unpack(e + 'I', data[off + 8:off + 12])[0]
        out.append((lt, data[off + 16:off + 16 + caplen]))
        off += 16 + caplen
    return data, out


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


def main():
    out = sys.argv[1]
    for d in ('capture', 'tls_stream', 'datagram'):
        os.makedirs(os.path.join(out, d), exist_ok=True)
    for path in sys.argv[2:]:
        name = os.path.basename(path)
        whole, pkts = packets(path)
        if whole is not None and len(whole) <= 65536:
            with open(os.path.join(out, 'capture', name), 'wb') as f:
                f.write(whole)
        flows = {}
        for lt, frame in pkts:
            t = transport(l3(lt, frame))
            if not t or not t[3]:
                continue
            kind, a, b, payload = t
            key = (kind,) + tuple(sorted([a, b]))
            fl = flows.setdefault(key, {'first': a, 'chunks': []})
            fl['chunks'].append((0 if a == fl['first'] else 1, payload))
        for n, (key, fl) in enumerate(flows.items()):
            buf = bytearray()
            if key[0] == 'tcp':
                for d, p in fl['chunks'][:40]:
                    for i in range(0, len(p), 127):
                        piece = p[i:i + 127]
                        buf += bytes([(d << 7) | len(piece)]) + piece
                sub = 'tls_stream'
            else:
                buf.append(1 if fl['chunks'][0][1][:1] and fl['chunks'][0][1][0] & 0x80 else 0)
                for d, p in fl['chunks'][:20]:
                    p = p[:0x7fff]
                    buf += struct.pack('>H', (d << 15) | len(p)) + p
                sub = 'datagram'
            if 0 < len(buf) <= 65536:
                with open(os.path.join(out, sub, '%s-%d' % (name, n)), 'wb') as f:
                    f.write(buf)


if __name__ == '__main__':
    main()
