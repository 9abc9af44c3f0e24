#!/usr/bin/env bash
# make bench-live: the highest packet rate tlsmon -i keeps up with, without
# a drop, with 1 and with 2 workers.
#
# The bench capture (bench-data/small.pcap: 200,000 packets of TLS, DTLS,
# QUIC and other traffic from shared/bench/make-bench-pcap --seed 1; made
# here when missing) is replayed with tcpreplay at rising rates into one end
# of a veth pair in a network namespace made here; tlsmon listens on the
# other end with its default options (32 MiB ring per worker). The file is
# looped so that each rate lasts about 5 s: longer than the ring can hide.
# A rate passes when every packet sent was read and none was dropped
# (kernel or interface); a single pass must also give the offline run's
# number of log lines. The rate is the one tcpreplay achieved, which can
# fall short of the one asked for. tlsmon's CPU time (all its processes)
# gives packets per CPU-second, its capacity when the generator is the
# limit. Results: build/bench-live.md (and stdout).
#
# Environment: PCAP, RATES (packets/s; 0 is --topspeed), WORKERS ("1 2").
# Root only (namespaces). Traffic stays inside the namespace.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "bench-live: needs root (it makes a network namespace)" >&2
    exit 1
fi
PCAP=${PCAP:-bench-data/small.pcap}
RATES=${RATES:-"50000 100000 200000 300000 0"}
SECONDS_PER_RATE=${SECONDS_PER_RATE:-5}
WORKERS=${WORKERS:-"1 2"}
if [ ! -s "$PCAP" ]; then
    echo "generating $PCAP..."
    mkdir -p "$(dirname "$PCAP")"
    ../shared/bench/make-bench-pcap --packets 200000 --seed 1 -o "$PCAP" --truth "${PCAP%.pcap}.truth"
fi

NS=tlsmon-bench-$$
TMP=$(mktemp -d /tmp/tlsmon-bench-live.XXXXXX)
chmod 0755 "$TMP"
PID=
cleanup() {
    [ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT
ip netns add "$NS"
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n "$NS" link add name vtx type veth peer name vrx
for i in vtx vrx; do
    ip -n "$NS" link set dev "$i" mtu 9000 up
done
OUT=$TMP/out
install -d -m 0755 -o nobody "$OUT"

./tlsmon -q -r "$PCAP" --log "$TMP/offline.ndjson" --summary-json "$TMP/offline.json"
want_packets=$(jq '.run.capture.packets' "$TMP/offline.json")
want_lines=$(wc -l <"$TMP/offline.ndjson")

# CPU seconds of a process and its children so far.
cpu_of() {
    local t=0 p
    for p in "$1" $(pgrep -P "$1"); do
        t=$(awk -v t="$t" '{print t + $14 + $15}' "/proc/$p/stat")
    done
    awk -v t="$t" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", t / hz}'
}

# Peak resident memory (MiB) of a process and its children, summed.
rss_of() {
    local k=0 p
    for p in "$1" $(pgrep -P "$1"); do
        k=$((k + $(awk '/^VmHWM:/ {print $2}' "/proc/$p/status")))
    done
    echo $((k / 1024))
}

# run WORKERS RATE LOOPS: prints "achieved_pps mbps read kernel_drops if_drops lines cpu_s rss_mib"
run() {
    local w=$1 rate=$2 loops=$3 speed
    rm -f "$OUT"/*
    ip netns exec "$NS" ./tlsmon -q -i vrx --workers "$w" --log "$OUT/log.ndjson" \
        --summary-json "$OUT/s.json" 2>"$TMP/stderr" &
    PID=$!
    for _ in $(seq 100); do
        grep -q "listening on" "$TMP/stderr" && break
        sleep 0.1
    done
    if [ "$rate" = 0 ]; then speed=(--topspeed); else speed=(--pps "$rate"); fi
    ip netns exec "$NS" tcpreplay -K --loop "$loops" -i vtx "${speed[@]}" "$PCAP" >"$TMP/replay" 2>&1
    sleep 1.5
    local cpu rss
    cpu=$(cpu_of "$PID")
    rss=$(rss_of "$PID")
    kill -TERM "$PID"
    wait "$PID" || true
    PID=
    local pps mbps
    pps=$(sed -n 's/.*Rated: .* Bps, \([0-9.]*\) Mbps, \([0-9.]*\) pps.*/\2/p' "$TMP/replay")
    mbps=$(sed -n 's/.*Rated: .* Bps, \([0-9.]*\) Mbps, \([0-9.]*\) pps.*/\1/p' "$TMP/replay")
    read -r packets kernel iface < <(jq -r '[.run.capture.packets, .run.drops.kernel,
        .run.drops.interface] | @tsv' "$OUT/s.json")
    echo "${pps%.*} ${mbps} $packets $kernel $iface $(wc -l <"$OUT/log.ndjson") $cpu $rss"
}

res=build/bench-live.md
mkdir -p build
{
    echo "# Live capture: highest rate without drops"
    echo
    echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores;" \
        "$(uname -r); $(./tlsmon -V | head -1); $(tcpreplay -V 2>&1 | head -1 | tr -s ' ')."
    echo "Input: $PCAP ($want_packets packets, $want_lines log lines offline), looped to last"
    echo "about ${SECONDS_PER_RATE} s per rate; veth pair in a network namespace, tcpreplay -K; tlsmon -i"
    echo "with default options (ring 32 MiB per worker)."
    echo
    echo "| workers | asked pps | achieved pps | Mbit/s | sent | read | kernel drops | if drops | tlsmon CPU s | packets per CPU-s | peak RSS MiB | result |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
} >"$res"
summary=()
for w in $WORKERS; do
    best=0
    best_mbps=0
    note=""
    for rate in $RATES; do
        if [ "$rate" = 0 ]; then
            loops=10
        else
            loops=$(( (rate * SECONDS_PER_RATE + want_packets - 1) / want_packets ))
        fi
        sent=$((loops * want_packets))
        read -r pps mbps packets kernel iface lines cpu rss < <(run "$w" "$rate" "$loops")
        ok=fail
        if [ "$packets" = "$sent" ] && [ "$kernel" = 0 ] && [ "$iface" = 0 ] &&
            { [ "$loops" != 1 ] || [ "$lines" = "$want_lines" ]; }; then
            ok=pass
            if [ "$pps" -gt "$best" ]; then
                best=$pps
                best_mbps=$mbps
                note=""
                [ "$rate" = 0 ] && note=" (tcpreplay's top speed: the generator, not tlsmon, was the limit)"
            fi
        fi
        per_cpu=$(awk -v p="$packets" -v c="$cpu" 'BEGIN {printf "%.0f", (c > 0) ? p / c : 0}')
        row="| $w | $([ "$rate" = 0 ] && echo topspeed || echo "$rate") | $pps | $mbps | $sent | $packets | $kernel | $iface | $cpu | $per_cpu | $rss | $ok |"
        echo "$row" | tee -a "$res"
    done
    summary+=("$w worker(s): highest rate without a drop $best packets/s ($best_mbps Mbit/s)$note")
done
{
    echo
    for s in "${summary[@]}"; do echo "- $s"; done
} | tee -a "$res"
echo "results: $res"
