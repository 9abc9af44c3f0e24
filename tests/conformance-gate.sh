#!/usr/bin/env bash
# Corpus conformance gate, part of `make test`: every capture of the kinds
# tlsmon supports must pass (shared/tools/conformance); on the whole corpus,
# no compared field may disagree on a handshake tlsmon found.
set -euo pipefail
cd "$(dirname "$0")/.."
conf=../shared/tools/conformance
if [ ! -x "$conf" ]; then
    echo "conformance gate: skipped ($conf not found; it comes with the shared/ checkout)"
    exit 0
fi
pass=0 fail=0
check() {
    local name=$1; shift
    if out=$("$conf" --tlsmon ./tlsmon -j 2 "$@" 2>&1); then
        echo "ok - conformance $name: $(tail -n 1 <<<"$out")"
        pass=$((pass + 1))
    else
        echo "not ok - conformance $name:"; sed 's/^/    /' <<<"$out" | tail -n 25
        fail=$((fail + 1))
    fi
}
check "tls/direct/tcp" --kind tls/direct/tcp
check "tls/starttls/*" --kind 'tls/starttls/*'
check "dtls/*/*" --kind 'dtls/*/*'
check "tls/quic/udp" --kind 'tls/quic/udp'
check "stun*" --only 'stun*'
check "teams*" --only 'teams*'
check "whole corpus" 
for g in '*pop*' '*imap*' '*smtp*' '*ftp*' '*ldap*' '*xmpp*'; do
    check "$g" --only "$g"
done
# Whole corpus: field agreement on the handshakes found must be exact.
mism=$("$conf" --tlsmon ./tlsmon -j 2 --verbose 2>&1 | grep -E '^ +mismatch' | grep -vc 'not found' || true)
if [ "$mism" = 0 ]; then
    echo "ok - conformance whole corpus: no field mismatch on handshakes found"
    pass=$((pass + 1))
else
    echo "not ok - conformance whole corpus: $mism field mismatches on handshakes found"
    "$conf" --tlsmon ./tlsmon -j 2 --verbose 2>&1 | grep -E '^ +mismatch' | grep -v 'not found' | head -20
    fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
