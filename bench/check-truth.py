#!/usr/bin/env python3
"""check-truth: does a tlsmon handshake log hold every connection of a
make-bench-pcap --truth file, with the same negotiated version and cipher?

Usage: check-truth.py TRUTH LOG   (exit 0 when all match)
"""
import csv
import ipaddress
import json
import sys

IANA = {}


def load_iana(path):
    with open(path, newline='', encoding='utf-8') as f:
        for row in csv.DictReader(f):
            v = row['Value'].strip()
            if len(v) == 9 and v[4] == ',' and row['Description'].startswith('TLS_'):
                IANA['0x%s%s' % (v[2:4].upper(), v[7:9].upper())] = row['Description'].strip()


def main():
    truth_path, log_path = sys.argv[1], sys.argv[2]
    load_iana(sys.argv[3] if len(sys.argv) > 3 else 'data/tls-parameters-4.csv')
    got = {}
    with open(log_path, encoding='utf-8') as f:
        for line in f:
            r = json.loads(line)
            if r.get('event', {}).get('dataset') != 'tlsmon.handshake':
                continue
            k = (str(ipaddress.ip_address(r['source']['ip'])), r['source']['port'],
                 str(ipaddress.ip_address(r['destination']['ip'])), r['destination']['port'])
            got.setdefault(k, []).append(r)
    total = missing = wrong = 0
    for row in open(truth_path, encoding='utf-8'):
        f = row.rstrip('\n').split('\t')
        if len(f) < 8:
            continue
        total += 1
        k = (str(ipaddress.ip_address(f[1])), int(f[2]), str(ipaddress.ip_address(f[3])), int(f[4]))
        recs = got.get(k)
        if not recs:
            missing += 1
            if missing <= 5:
                print('missing:', '\t'.join(f))
            continue
        r = recs[0]
        want_v = f[5].replace('tls', '')
        want_c = IANA.get(f[6].upper().replace('0X', '0x'), f[6].upper().replace('0X', '0x'))
        tls = r.get('tls', {})
        if tls.get('version') != want_v or tls.get('cipher') != want_c or \
                tls.get('encapsulation') != f[7]:
            wrong += 1
            if wrong <= 5:
                print('wrong:', '\t'.join(f), '->', tls.get('version'), tls.get('cipher'),
                      tls.get('encapsulation'))
    print('truth: %d connections, %d missing, %d wrong' % (total, missing, wrong))
    return 0 if total and not missing and not wrong else 1


if __name__ == '__main__':
    sys.exit(main())
