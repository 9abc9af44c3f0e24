#!/usr/bin/env bash
# make flood: tlsmon against hostile captures. Checks that peak memory stays
# under the configured caps and that time grows linearly with the input.
#   1. 5,000,000 SYNs from random sources (every one a new flow): with
#      --max-flows 1000000 peak RSS <= 64 MiB + 300 bytes per flow.
#   2. 100,000 connections each sending a never-ending 64 KiB ClientHello:
#      with --max-reassembly-mb 32, peak RSS <= 64 MiB + 2 x 32 MiB + 300
#      bytes per flow, and every connection's hello skipped is counted.
#   3. The same at a tenth of the size: time per packet within 1.5x.
set -euo pipefail
cd "$(dirname "$0")/../.."
D=bench-data/flood
mkdir -p "$D"
SYN=${SYN:-5000000}
HALF=${HALF:-100000}
gen() { [ -s "$D/$1-$2.pcap" ] || python3 tests/flood/make-flood.py "$1" "$2" "$D/$1-$2.pcap"; }
gen syn "$SYN"; gen syn $((SYN / 10)); gen halfhello "$HALF"; gen halfhello $((HALF / 10))
pass=0 fail=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
bad() { echo "not ok - $*"; fail=$((fail + 1)); }
# run FILE ARGS...: sets WALL (s), RSS (KiB), PKTS
run() {
    local f=$1; shift
    cat "$f" >/dev/null # warm page cache: time the work, not the disk
    /usr/bin/time -f "%e %M" -o "$D/time" ./tlsmon -r "$f" --log /dev/null "$@" >"$D/summary" 2>"$D/err"
    read -r WALL RSS <"$D/time"
    PKTS=$(awk '/packets/ {for (i = 1; i <= NF; i++) if ($i == "packets") {gsub(",", "", $(i + 1)); print $(i + 1); exit}}' "$D/summary")
}
check() { # NAME FILE SMALLFILE LIMIT_KIB ARGS...
    local name=$1 big=$2 small=$3 limit=$4; shift 4
    run "$small" "$@"; local ws=$WALL ps=$PKTS
    run "$big" "$@"
    local per_big per_small
    per_big=$(awk -v w="$WALL" -v p="$PKTS" 'BEGIN {printf "%.3f", w / p * 1e6}')
    per_small=$(awk -v w="$ws" -v p="$ps" 'BEGIN {printf "%.3f", w / p * 1e6}')
    echo "# $name: $PKTS packets, ${WALL} s, peak RSS $((RSS / 1024)) MiB (limit $((limit / 1024)) MiB); ${per_big} us/packet vs ${per_small} at a tenth"
    grep -E "flows|hello buffers|reassembly" "$D/summary" | sed 's/^/#   /'
    if [ "$RSS" -le "$limit" ]; then ok "$name: peak RSS under the cap"; else bad "$name: peak RSS $RSS KiB over $limit KiB"; fi
    if awk -v a="$per_big" -v b="$per_small" 'BEGIN {exit !(a <= 1.5 * b + 0.05)}'; then
        ok "$name: linear time"
    else
        bad "$name: time per packet grew from $per_small to $per_big us"
    fi
}
check "SYN flood" "$D/syn-$SYN.pcap" "$D/syn-$((SYN / 10)).pcap" $((64 * 1024 + 300 * 1000000 / 1024)) --max-flows 1000000
check "half-hello flood" "$D/halfhello-$HALF.pcap" "$D/halfhello-$((HALF / 10)).pcap" \
    $((64 * 1024 + 2 * 32 * 1024 + 300 * HALF / 1024)) --max-reassembly-mb 32
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
