#!/usr/bin/env python3
"""compare-oracle: check a tlsmon handshake log against the tshark oracle.

Usage: compare-oracle.py [--no-extra] [--timestamp] ORACLE.jsonl TLSMON.ndjson

ORACLE.jsonl is the output of shared/tools/oracle for one capture (for pcaps/,
pcaps/expected/NAME.oracle.jsonl); TLSMON.ndjson is what `tlsmon -q -r
CAPTURE --log OUT` wrote for the same capture.

Every oracle handshake must be in the tlsmon log: records are matched by
(client ip, client port, server ip, server port, transport) and, within a
flow, by order.  For each matched pair these fields are compared wherever
the oracle has them (a field the oracle has and tlsmon lacks is a mismatch):

    version            tls.version_protocol + tls.version (negotiated)
    cipher             tls.cipher
    client_version     tls.client.version_protocol + tls.client.version
    supported_versions tls.client.supported_versions
    supported_ciphers  tls.client.supported_ciphers (whole list, in order)
    server_name        tls.client.server_name
    ja3                tls.client.ja3
    ja3s               tls.server.ja3s

With --timestamp, @timestamp must also equal the oracle's _oracle.time (the
capture time of the handshake's first hello: the contract's definition).

tlsmon records the oracle does not have ("extra") are listed; with
--no-extra they are failures too (pcaps/ captures hold exactly the handshakes
the oracle sees).  Every tlsmon line must be a JSON object.

Prints one line per problem and a last line "OK: N handshakes" or
"FAIL: N problems".  Exit 0 when everything matches, 1 on a mismatch, 2 on a
usage or read error.  Python 3 standard library only.
"""

import argparse
import ipaddress
import json
import sys

FIELDS = [
    ('version', ('tls.version_protocol', 'tls.version')),
    ('cipher', ('tls.cipher',)),
    ('client_version', ('tls.client.version_protocol', 'tls.client.version')),
    ('supported_versions', ('tls.client.supported_versions',)),
    ('supported_ciphers', ('tls.client.supported_ciphers',)),
    ('server_name', ('tls.client.server_name',)),
    ('ja3', ('tls.client.ja3',)),
    ('ja3s', ('tls.server.ja3s',)),
]

MISSING = object()


def get(rec, path):
    """Nested lookup (the contract uses nested objects, never dotted keys)."""
    cur = rec
    for part in path.split('.'):
        if not isinstance(cur, dict) or part not in cur:
            return MISSING
        cur = cur[part]
    return cur


def norm_ip(ip):
    try:
        return str(ipaddress.ip_address(ip))
    except (ValueError, TypeError):
        return ip


def flow_key(rec):
    return (norm_ip(get(rec, 'source.ip')), get(rec, 'source.port'),
            norm_ip(get(rec, 'destination.ip')), get(rec, 'destination.port'),
            get(rec, 'network.transport'))


def fmt_key(key):
    def ep(ip, port):
        return '[%s]:%s' % (ip, port) if ':' in str(ip) else '%s:%s' % (ip, port)
    return '%s -> %s/%s' % (ep(key[0], key[1]), ep(key[2], key[3]), key[4])


def load(path, what):
    """Read an NDJSON file; every non-empty line must be a JSON object."""
    records, problems = [], []
    try:
        with open(path, encoding='utf-8') as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    if what == 'tlsmon':
                        problems.append('%s:%d: empty line' % (path, n))
                    continue
                try:
                    rec = json.loads(line)
                except ValueError as e:
                    problems.append('%s:%d: not JSON (%s)' % (path, n, e))
                    continue
                if not isinstance(rec, dict):
                    problems.append('%s:%d: not a JSON object' % (path, n))
                    continue
                records.append(rec)
    except OSError as e:
        print('compare-oracle: %s: %s' % (path, e.strerror), file=sys.stderr)
        sys.exit(2)
    return records, problems


def short(v, n=100):
    s = json.dumps(v) if v is not MISSING else '(absent)'
    return s if len(s) <= n else s[:n - 3] + '...'


def compare(exp, act, timestamp=False):
    """List of (field, expected, actual) that differ."""
    out = []
    if timestamp and get(exp, '_oracle.time') is not MISSING:
        if get(exp, '_oracle.time') != get(act, '@timestamp'):
            out.append(('@timestamp', get(exp, '_oracle.time'), get(act, '@timestamp')))
    for name, paths in FIELDS:
        ev = [get(exp, p) for p in paths]
        if any(v is MISSING for v in ev):
            continue  # the oracle does not give it for this handshake
        av = [get(act, p) for p in paths]
        if ev != av:
            out.append((name, ev if len(ev) > 1 else ev[0], av if len(av) > 1 else av[0]))
    return out


def main():
    ap = argparse.ArgumentParser(description='compare a tlsmon log with the tshark oracle')
    ap.add_argument('--no-extra', action='store_true',
                    help='tlsmon records the oracle does not have are failures')
    ap.add_argument('--timestamp', action='store_true',
                    help="compare @timestamp with the oracle's _oracle.time")
    ap.add_argument('oracle')
    ap.add_argument('log')
    args = ap.parse_args()

    expected, problems = load(args.oracle, 'oracle')
    actual, log_problems = load(args.log, 'tlsmon')
    problems += log_problems

    by_flow = {}
    for rec in actual:
        if get(rec, 'event.dataset') not in ('tlsmon.handshake', MISSING):
            continue
        by_flow.setdefault(flow_key(rec), []).append(rec)
    used = {k: 0 for k in by_flow}

    for i, exp in enumerate(expected, 1):
        key = flow_key(exp)
        recs = by_flow.get(key, [])
        if used.get(key, 0) >= len(recs):
            hint = ''
            rkey = (key[2], key[3], key[0], key[1], key[4])
            if rkey in by_flow:
                hint = ' (tlsmon has it with source and destination swapped)'
            problems.append('handshake %d %s: missing from the tlsmon log%s'
                            % (i, fmt_key(key), hint))
            continue
        act = recs[used[key]]
        used[key] += 1
        for name, ev, av in compare(exp, act, args.timestamp):
            problems.append('handshake %d %s: %s: oracle %s, tlsmon %s'
                            % (i, fmt_key(key), name, short(ev), short(av)))

    for key, recs in by_flow.items():
        for rec in recs[used[key]:]:
            msg = 'extra tlsmon record %s (sni %s)' % (
                fmt_key(key), short(get(rec, 'tls.client.server_name')))
            if args.no_extra:
                problems.append(msg)
            else:
                print('note: ' + msg)

    for p in problems:
        print(p)
    if problems:
        print('FAIL: %d problems' % len(problems))
        return 1
    print('OK: %d handshakes' % len(expected))
    return 0


if __name__ == '__main__':
    sys.exit(main())
