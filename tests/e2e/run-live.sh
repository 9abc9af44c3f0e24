#!/usr/bin/env bash
# make e2e-live: tlsmon -i on one end of a veth pair in a network namespace
# made here, the pcaps/ captures (with mail/ and turn/) replayed into the
# other end with tcpreplay, tlsmon stopped with SIGTERM. The log must equal
# the offline log of the same files (tlsmon -r pcaps) line for line, as a
# multiset, with @timestamp removed: tcpreplay sends the packets now, so
# their capture times are today's. No packet may be dropped, and every
# packet of the files must have been read.
#
# Run once with one process and once with two workers (PACKET_FANOUT): the
# second also rotates the log halfway (mv, then SIGHUP) and asks for a
# summary with SIGUSR1. Then unanswered hellos on a quiet link: settled by
# idle expiry, and by SIGTERM; then IPv4 fragments with two workers. Needs root (namespaces); skipped with a message
# otherwise. Traffic stays inside the namespace.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "$(id -u)" -ne 0 ]; then
    echo "e2e-live: skipped (needs root to make a network namespace)"
    exit 0
fi
for t in ip tcpreplay tcprewrite jq; do
    if ! command -v "$t" >/dev/null; then
        echo "e2e-live: skipped ($t not installed; make deps installs it)"
        exit 0
    fi
done

NS=tlsmon-e2e-$$
TMP=$(mktemp -d /tmp/tlsmon-live.XXXXXX)
chmod 0755 "$TMP" # tlsmon runs as nobody
TLSMON_PID=
cleanup() {
    [ -n "$TLSMON_PID" ] && kill -KILL "$TLSMON_PID" 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
    [ -n "${KEEP:-}" ] || rm -rf "$TMP" # KEEP=1 keeps the files
}
trap cleanup EXIT

fails=0
pass() { echo "ok   $*"; }
fail() {
    echo "FAIL $*"
    fails=$((fails + 1))
}

# The namespace: no IPv6 on the links, so the kernel sends nothing of its
# own (router solicitations, MLD) that the capture would count.
if ! ip netns add "$NS" 2>"$TMP/netns.err"; then
    echo "e2e-live: skipped (cannot make a network namespace: $(cat "$TMP/netns.err"))"
    exit 0
fi
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n "$NS" link add name vtx type veth peer name vrx
for i in vtx vrx; do
    # The captures were made on loopback: frames up to 64 KiB.
    ip -n "$NS" link set dev "$i" mtu 65535 up
done

# The files in the order tlsmon -r reads a directory (sorted by path).
mapfile -t FILES < <(find pcaps -type f -name '*.pcap' | LC_ALL=C sort)
HALF=$(( ${#FILES[@]} / 2 ))
OUT=$TMP/out
install -d -m 0755 -o nobody "$OUT" # tlsmon writes as nobody

./tlsmon -q -r pcaps --log "$TMP/offline.ndjson" --summary-json "$TMP/offline.json" 2>/dev/null
want_packets=$(jq '.run.capture.packets' "$TMP/offline.json")
strip() { jq -c 'del(."@timestamp")' "$@" | LC_ALL=C sort; }
strip "$TMP/offline.ndjson" >"$TMP/offline.sorted"

start_tlsmon() { # name, extra options...
    local name=$1
    shift
    ip netns exec "$NS" ./tlsmon -i vrx --log "$OUT/$name.ndjson" --summary-json "$OUT/$name.json" \
        --prom-file "$OUT/$name.prom" "$@" >"$TMP/$name.stdout" 2>"$TMP/$name.stderr" &
    TLSMON_PID=$!
    for _ in $(seq 100); do
        grep -q "listening on" "$TMP/$name.stderr" && return 0
        kill -0 "$TLSMON_PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$TMP/$name.stderr"
    return 1
}

replay() {
    ip netns exec "$NS" tcpreplay -q -i vtx --pps 1000 "$@" >"$TMP/tcpreplay.out" 2>&1 ||
        { cat "$TMP/tcpreplay.out"; return 1; }
    grep -q "Failed packets: *0" "$TMP/tcpreplay.out" || { cat "$TMP/tcpreplay.out"; return 1; }
}

stop_tlsmon() { # name
    local rc=0
    sleep 1.2 # the last ring block is handed on after 250 ms; the log is flushed each second
    kill -TERM "$TLSMON_PID"
    wait "$TLSMON_PID" || rc=$?
    TLSMON_PID=
    [ "$rc" = 0 ] && pass "$1: SIGTERM, exit 0" || { fail "$1: exit $rc"; cat "$TMP/$1.stderr"; }
}

check_run() { # name, log files...
    local name=$1
    shift
    if diff <(strip "$@") "$TMP/offline.sorted" >"$TMP/$name.diff"; then
        local order="as a multiset"
        cmp -s <(cat "$@" | jq -c 'del(."@timestamp")') <(jq -c 'del(."@timestamp")' "$TMP/offline.ndjson") &&
            order="in the same order"
        pass "$name: log equals the offline log, $order ($(wc -l <"$TMP/offline.sorted") lines, @timestamp removed)"
    else
        fail "$name: log differs from the offline log:"
        head -c 3000 "$TMP/$name.diff"
    fi
    local j=$OUT/$name.json
    read -r packets kernel iface recv kind < <(jq -r \
        '[.run.capture.packets, .run.drops.kernel, .run.drops.interface,
          ([.run.drops.interfaces[].received] | add), .kind] | @tsv' "$j")
    [ "$packets" = "$want_packets" ] && [ "$recv" = "$want_packets" ] &&
        pass "$name: all $want_packets packets read" ||
        fail "$name: $packets packets read, $recv received, want $want_packets"
    [ "$kernel" = 0 ] && [ "$iface" = 0 ] && pass "$name: no packet dropped (kernel, interface)" ||
        fail "$name: drops: kernel $kernel, interface $iface"
    [ "$kind" = final ] && pass "$name: final JSON summary" || fail "$name: JSON kind '$kind'"
    # node_exporter textfile format: comments, or "name{labels} value".
    if grep -Ev '^(# (HELP|TYPE) .*|[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9.e+-]+)$' \
        "$OUT/$name.prom" >"$TMP/prom.bad"; then
        fail "$name: malformed Prometheus lines:"
        head "$TMP/prom.bad"
    else
        grep -q "^tlsmon_capture_kernel_drops_total{interface=\"vrx\"} 0$" "$OUT/$name.prom" &&
            grep -q "^tlsmon_packets_total $want_packets$" "$OUT/$name.prom" &&
            pass "$name: Prometheus file" || fail "$name: Prometheus figures"
    fi
    ls "$OUT"/*.tmp >/dev/null 2>&1 && fail "$name: temporary files left" || true
}

# 0. Errors: each one line, with its exit status.
expect_exit() { # status, what, args...
    local want=$1 what=$2 rc=0
    shift 2
    ip netns exec "$NS" ./tlsmon -q "$@" >/dev/null 2>"$TMP/err" || rc=$?
    [ "$rc" = "$want" ] && [ "$(wc -l <"$TMP/err")" = 1 ] && pass "$what: exit $rc, $(cat "$TMP/err")" ||
        fail "$what: exit $rc (want $want): $(cat "$TMP/err")"
}
expect_exit 1 "no such interface" -i tlsmon-none0
expect_exit 5 "-Z root" -i vrx -Z root
expect_exit 2 "--workers with -r" -r pcaps --workers 2
expect_exit 3 "log not writable as nobody" -i vrx --log /root/tlsmon-e2e/x.ndjson

# 1. One process, text summaries every second.
start_tlsmon single --interval 1 || { fail "single: no 'listening' line"; exit 1; }
uid=$(awk '/^Uid:/ {print $2}' "/proc/$TLSMON_PID/status")
[ "$uid" = "$(id -u nobody)" ] && pass "single: runs as nobody after opening the capture" ||
    fail "single: runs as uid $uid"
replay "${FILES[@]}"
stop_tlsmon single
check_run single "$OUT/single.ndjson"
grep -q "^==== tlsmon: interval" "$TMP/single.stdout" && grep -q "^Run so far" "$TMP/single.stdout" &&
    grep -q "^==== tlsmon: final summary" "$TMP/single.stdout" &&
    pass "single: interval and final text summaries" || fail "single: text summaries missing"

# 2. Two workers; the log rotated halfway (SIGHUP), a summary asked for (SIGUSR1).
start_tlsmon workers2 --workers 2 || { fail "workers2: no 'listening' line"; exit 1; }
replay "${FILES[@]:0:$HALF}"
sleep 1.2 # flushed
mv "$OUT/workers2.ndjson" "$OUT/workers2.ndjson.1"
kill -HUP "$TLSMON_PID"
kill -USR1 "$TLSMON_PID"
sleep 0.5
[ "$(jq -r .kind "$OUT/workers2.json")" = on-request ] && pass "workers2: SIGUSR1 wrote a summary" ||
    fail "workers2: no summary after SIGUSR1"
replay "${FILES[@]:$HALF}"
stop_tlsmon workers2
[ -s "$OUT/workers2.ndjson.1" ] && [ -s "$OUT/workers2.ndjson" ] &&
    pass "workers2: SIGHUP reopened the log (lines on both sides of the rotation)" ||
    fail "workers2: log not reopened"
check_run workers2 "$OUT/workers2.ndjson.1" "$OUT/workers2.ndjson"

# 3. A quiet link: a hello that is never answered settles when its flow has
# been idle for --flow-timeout by the wall clock, with no packet to move
# time on; SIGTERM settles one still open.
start_tlsmon quiet --flow-timeout 2 || { fail "quiet: no 'listening' line"; exit 1; }
replay --limit 4 pcaps/tls1_2.pcap # SYN, SYN-ACK, ACK, ClientHello
ends=""
for _ in $(seq 80); do
    ends=$(jq -r '.tlsmon.end' "$OUT/quiet.ndjson" 2>/dev/null | paste -sd,)
    [ -n "$ends" ] && break
    sleep 0.1
done
[ "$ends" = idle ] && pass "quiet: an unanswered hello settled as idle on a silent link" ||
    fail "quiet: log after 8 s: '$ends'"
replay --limit 4 pcaps/tls1_3.pcap
stop_tlsmon quiet
ends=$(jq -r '.tlsmon.end' "$OUT/quiet.ndjson" | paste -sd,)
[ "$ends" = idle,end-of-input ] && pass "quiet: SIGTERM settled the open handshake (end-of-input)" ||
    fail "quiet: log ends '$ends'"

# 4. IPv4 fragments with two workers: the kernel puts a datagram together
# before it picks the worker (PACKET_FANOUT_FLAG_DEFRAG), so the ClientHello
# a router cut reaches the worker that has the rest of its flow, whole. A
# fragment has no ports to hash on: without the flag all the fragments of
# the four connections (the capture with four server ports) would go to
# one worker, and the connections to either.
FRAG=()
for port in 4433 4434 4435 4436; do
    tcprewrite --portmap=4433:$port -i tests/fixtures/stacks/ipv4_fragments_tls1_2.pcap \
        -o "$TMP/frag-$port.pcap"
    FRAG+=("$TMP/frag-$port.pcap")
done
start_tlsmon frag --workers 2 || { fail "frag: no 'listening' line"; exit 1; }
replay "${FRAG[@]}"
stop_tlsmon frag
got=$(jq -c '[.tls.established, .tls.version, .tls.client.version, (.tls.client.ja3 | length)]' \
    "$OUT/frag.ndjson" | sort | uniq -c | awk '{print $1, $2}' | paste -sd,)
[ "$got" = '4 [true,"1.2","1.2",32]' ] &&
    pass "frag: four fragmented ClientHellos read whole with two workers" || fail "frag: log '$got'"

if [ "$fails" -ne 0 ]; then
    echo "e2e-live: $fails check(s) failed"
    exit 1
fi
echo "e2e-live: all checks passed"
