#!/usr/bin/env bash
# check-turn-pcaps.sh: for each TURN capture made by make-turn-pcaps.sh,
#  1. run the tshark oracle (expected/NAME.oracle.jsonl), read each
#     handshake's TURN framing and relayed peer from the packets
#     (expected/NAME.facts.json), and check that the capture shows what it
#     should (fatal when not: regenerate the captures);
#  2. run tlsmon (expected/NAME.tlsmon.ndjson) and compare it with the oracle
#     (every oracle field and @timestamp) and the facts (tls.encapsulation,
#     tls.turn.peer), plus network.transport, network.protocol and
#     tls.established; a tlsmon handshake the oracle does not have is a
#     disagreement too.  Every disagreement is printed as
#     "DISAGREEMENT NAME: ..." and written to expected/disagreements.txt
#     (empty when none).
# Needs jq, not root.  Without tshark, step 1 is skipped and the saved
# expected/NAME.oracle.jsonl and NAME.facts.json are used.  Runs after every
# make-turn-pcaps.sh; run it alone to re-check a rebuilt tlsmon.
#
# Usage: pcaps/turn/check-turn-pcaps.sh [--out DIR] [--strict]
#   --out DIR  the captures' directory (default: this script's dir)
#   --strict   exit 3 when tlsmon disagrees (default: report, exit 0)
# Environment: ORACLE (default ../shared/tools/oracle beside the repo),
#              TLSMON (default ../../tlsmon relative to this script)
# Exit: 0 ok (or disagreements without --strict); 1 a capture check failed
#       or a tool/file is missing; 3 disagreements with --strict.
# shellcheck disable=SC2016 # the jq programs here use jq variables ($o, $f, $t)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$here
strict=0
oracle=${ORACLE:-$here/../../../shared/tools/oracle}
tlsmon=${TLSMON:-$(cd "$here/../.." && pwd)/tlsmon}

while (($#)); do
	case $1 in
	--out)
		out=${2:?--out needs a directory}
		shift
		;;
	--strict) strict=1 ;;
	-h | --help)
		sed -n '2,25p' "${BASH_SOURCE[0]}"
		exit 0
		;;
	*)
		echo "check-turn-pcaps: unknown argument: $1" >&2
		exit 2
		;;
	esac
	shift
done

log() { printf 'check-turn-pcaps: %s\n' "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

names=(turn_udp_channel turn_udp_indication turn_udp_ipv6_peer turn_tcp_channel turn_tls_to_server
	turn_dtls_to_server turn_dtls_udp turn_dtls_udp_channel_0x7000 turn_dtls_udp_indication
	turn_dtls_tcp
	turn_dtls_tcp_indication)
command -v jq >/dev/null || die "jq not found"
mkdir -p "$out/expected"
for n in "${names[@]}"; do
	[[ -s $out/$n.pcap ]] || die "$out/$n.pcap missing (run make-turn-pcaps.sh)"
done

# ------------------------------------------------------------------ 1. oracle, facts, checks
TS=(tshark -n -o tls.desegment_ssl_records:TRUE -o tcp.desegment_tcp_streams:TRUE
	--enable-heuristic dtls_stun --enable-heuristic dtls_classicstun)
tsf() { # NAME FILTER FIELD... (first occurrence of each field, "|" between, one line per frame)
	local name=$1 filter=$2
	shift 2
	local f=() e
	for e in "$@"; do f+=(-e "$e"); done
	"${TS[@]}" -r "$out/$name.pcap" -Y "$filter" -T fields -E occurrence=f -E 'separator=|' \
		"${f[@]}" 2>/dev/null
}

# The TURN framing of each oracle handshake, from its first hello's packet.
facts() { # NAME > JSON object keyed by "cip:cport->sip:sport/transport"
	local name=$1 key cport sport tr frame ch typ ip4 ip6 port ip
	local -a rows=()
	while IFS=$'\t' read -r key cport sport tr frame; do
		if ((cport != 3478 && sport != 3478)); then
			rows+=("$(jq -nc --arg k "$key" '{($k): {encapsulation: "direct", peer: null}}')")
			continue
		fi
		IFS='|' read -r ch typ ip4 ip6 port < <(tsf "$name" "frame.number == $frame" \
			stun.channel stun.type stun.att.ipv4 stun.att.ipv6 stun.att.port) || true
		local enc=direct client=$cport
		((cport == 3478)) && client=$sport
		if [[ -n ${ch:-} ]]; then
			enc=turn-channel
			IFS='|' read -r ip4 ip6 port < <(tsf "$name" "stun.type == 0x0009 && \
stun.att.channelnum == $ch && ($tr.port == $client)" stun.att.ipv4 stun.att.ipv6 stun.att.port |
				head -1) || true
		elif [[ ${typ:-} == 0x0016 || ${typ:-} == 0x0017 ]]; then
			enc=turn-indication
		else
			ip4="" ip6="" port=""
		fi
		ip=${ip4:-${ip6:-}}
		rows+=("$(jq -nc --arg k "$key" --arg e "$enc" --arg ip "$ip" --arg p "${port:-}" \
			'{($k): {encapsulation: $e,
			  peer: (if $ip == "" or $p == "" then null else {ip: $ip, port: ($p | tonumber)} end)}}')")
	done < <(jq -r '["\(.source.ip):\(.source.port)->\(.destination.ip):\(.destination.port)/\(.network.transport)",
		.source.port, .destination.port, .network.transport, ._oracle.frames[0]] | @tsv' \
		"$out/expected/$name.oracle.jsonl")
	if ((${#rows[@]})); then printf '%s\n' "${rows[@]}" | jq -sc 'add'; else echo '{}'; fi
}

fails=0
bad() {
	log "CAPTURE CHECK FAILED: $*"
	fails=$((fails + 1))
}
expect() { # NAME JQ-EXPR over $o (oracle records) and $f (facts)
	jq -en --slurpfile o "$out/expected/$1.oracle.jsonl" --slurpfile f "$out/expected/$1.facts.json" \
		'$f[0] as $f | '"$2" >/dev/null 2>&1 || bad "$1: $2"
}
present() { # NAME FILTER: some frame matches
	[[ -n $(tsf "$1" "$2" frame.number | head -1) ]] || bad "$1: no frame matches '$2'"
}
absent() { # NAME FILTER: no frame matches
	[[ -z $(tsf "$1" "$2" frame.number | head -1) ]] || bad "$1: a frame matches '$2'"
}

if command -v tshark >/dev/null; then
	[[ -x $oracle ]] || die "oracle $oracle not found"
	for n in "${names[@]}"; do
		"$oracle" "$out/$n.pcap" >"$out/expected/$n.oracle.jsonl" || bad "$n: oracle failed"
		facts "$n" >"$out/expected/$n.facts.json"
	done
	# the uclient captures: TURN framing, no TLS inside
	expect turn_udp_channel '($o | length) == 0'
	present turn_udp_channel 'udp && stun.type == 0x0009'
	present turn_udp_channel 'udp && stun.channel'
	expect turn_udp_indication '($o | length) == 0'
	present turn_udp_indication 'stun.type == 0x0016'
	present turn_udp_indication 'stun.type == 0x0017'
	absent turn_udp_indication 'stun.channel'
	expect turn_udp_ipv6_peer '($o | length) == 0'
	present turn_udp_ipv6_peer 'stun.type == 0x0016 && stun.att.ipv6 == ::1 && stun.att.port == 3480'
	present turn_udp_ipv6_peer 'stun.type == 0x0017 && stun.att.ipv6 == ::1'
	expect turn_tcp_channel '($o | length) == 0'
	present turn_tcp_channel 'tcp.port == 3478 && stun.channel'
	# TLS / DTLS to the TURN server
	expect turn_tls_to_server '($o | length) >= 1
		and all($o[]; .destination.port == 5349 and .network.transport == "tcp"
			and ._oracle.encapsulation == "direct"
			and (if .tls.version then .tls.version == "1.2"
				else .tls.client.version | IN("1.0", "1.1") end))
		and any($o[]; .tls.version == "1.2"
			and .tls.cipher == "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384")
		and any($o[]; .tls.version == null)'
	expect turn_dtls_to_server '($o | length) >= 1
		and all($o[]; .destination.port == 5349 and .network.transport == "udp"
			and ._oracle.encapsulation == "direct" and .tls.client.version_protocol == "dtls"
			and (if .tls.version then .tls.version == "1.2" else .tls.client.version == "1.0" end))
		and any($o[]; .tls.version == "1.2") and any($o[]; .tls.version == null)'
	# DTLS relayed through TURN: three handshakes each, two inside TURN
	dtls3() { # NAME TURN-ENCAPSULATION TURN-TRANSPORT
		expect "$1" "(\$o | length) == 3
			and all(\$o[]; .tls.version_protocol == \"dtls\" and .tls.version == \"1.2\")
			and ([\$f[] | select(.encapsulation == \"$2\" and .peer != null)] | length) == 2
			and ([\$f[] | select(.encapsulation == \"direct\")] | length) == 1
			and all(\$o[]; (.source.port == 3478 or .destination.port == 3478)
				== (.network.transport == \"$3\" and (._oracle.encapsulation | startswith(\"turn-\"))))"
	}
	dtls3 turn_dtls_udp turn-channel udp
	dtls3 turn_dtls_udp_channel_0x7000 turn-channel udp
	present turn_dtls_udp_channel_0x7000 'stun.channel == 0x7000'
	dtls3 turn_dtls_udp_indication turn-indication udp
	dtls3 turn_dtls_tcp turn-channel tcp
	dtls3 turn_dtls_tcp_indication turn-indication tcp
	absent turn_dtls_udp_indication 'stun.channel'
	absent turn_dtls_tcp_indication 'stun.channel'
	((fails == 0)) || die "$fails capture check(s) failed"
	log "capture checks passed"
else
	log "tshark not found: using the saved expected/*.oracle.jsonl and *.facts.json"
	for n in "${names[@]}"; do
		[[ -f $out/expected/$n.oracle.jsonl && -s $out/expected/$n.facts.json ]] ||
			die "no tshark and no saved oracle/facts for $n"
	done
fi

# ------------------------------------------------------------------ 2. tlsmon
# someone may be rebuilding tlsmon right now: wait a little for it
for ((i = 0; i < 30; i++)); do
	[[ -x $tlsmon ]] && break
	sleep 1
done
[[ -x $tlsmon ]] || die "$tlsmon not found (build it: make tlsmon)"

CMP='
def fields: [["tls","version_protocol"],["tls","version"],["tls","cipher"],
  ["tls","client","version_protocol"],["tls","client","version"],
  ["tls","client","supported_versions"],["tls","client","supported_ciphers"],
  ["tls","client","server_name"],["tls","client","ja3"],["tls","server","ja3s"]];
def key: "\(.source.ip):\(.source.port)->\(.destination.ip):\(.destination.port)/\(.network.transport)";
def hs: [ $t[] | select(.event.dataset == "tlsmon.handshake") ];
def turnport: .source.port == 3478 or .destination.port == 3478
  or .source.port == 5349 or .destination.port == 5349;
$f[0] as $facts
| ( $o[] as $x
    | ($x | key) as $k
    | $facts[$k] as $want
    | [ hs[] | select(key == $k) ] as $m
    | if ($m | length) == 0 then
        "\($k): oracle has a handshake (version \($x.tls.version // "none")), tlsmon has no tlsmon.handshake line"
      else $m[0] as $y
        | ( if ($m | length) > 1 then "\($k): tlsmon has \($m | length) handshake lines, oracle 1" else empty end ),
          ( fields[] as $p
            | ($x | getpath($p)) as $a | ($y | getpath($p)) as $b
            | select($a != $b)
            | "\($k): \($p | join(".")): oracle \($a | tojson), tlsmon \($b | tojson)" ),
          ( select($y["@timestamp"] != $x._oracle.time)
            | "\($k): @timestamp: oracle (first hello) \($x._oracle.time | tojson), tlsmon \($y["@timestamp"] | tojson)" ),
          ( select($y.tls.encapsulation != $want.encapsulation)
            | "\($k): tls.encapsulation: expected \($want.encapsulation | tojson) (oracle \($x._oracle.encapsulation | tojson)), tlsmon \($y.tls.encapsulation | tojson)" ),
          ( select($y.tls.turn.peer != $want.peer)
            | "\($k): tls.turn.peer: expected \($want.peer | tojson), tlsmon \($y.tls.turn.peer | tojson)" ),
          ( select(($x | turnport) and ($y.network.protocol | IN("turn", "stun") | not))
            | "\($k): network.protocol: expected \"turn\" (or \"stun\"), tlsmon \($y.network.protocol | tojson)" ),
          ( select($x.tls.version != null and $y.tls.established != true)
            | "\($k): tls.established: expected true (ServerHello and encrypted data both ways), tlsmon \($y.tls.established | tojson)" ),
          ( select($x.tls.version == null and $y.tls.established != false)
            | "\($k): tls.established: expected false (no ServerHello), tlsmon \($y.tls.established | tojson)" )
      end ),
  ( hs[] | key as $k | select([ $o[] | key ] | index($k) | not)
    | "\($k): tlsmon has a handshake line the oracle has not: \(tojson)" ),
  ( $t[] | select(.event.dataset != "tlsmon.handshake")
    | "tlsmon wrote a \(.event.dataset | tojson) line: \(tojson)" )
'
disagree=0
dfile=$out/expected/disagreements.txt
: >"$dfile"
report() { # NAME < lines
	local line
	while IFS= read -r line; do
		log "DISAGREEMENT $1: $line"
		printf '%s: %s\n' "$1" "$line" >>"$dfile"
		disagree=$((disagree + 1))
	done
}
for n in "${names[@]}"; do
	rc=0
	"$tlsmon" -q -r "$out/$n.pcap" --log - >"$out/expected/$n.tlsmon.ndjson" || rc=$?
	((rc == 0)) || echo "tlsmon exited with $rc" | report "$n"
	report "$n" < <(jq -rn --slurpfile o "$out/expected/$n.oracle.jsonl" \
		--slurpfile t "$out/expected/$n.tlsmon.ndjson" \
		--slurpfile f "$out/expected/$n.facts.json" "$CMP")
	log "$n: oracle $(grep -c . "$out/expected/$n.oracle.jsonl" || true) handshake(s), tlsmon $(grep -c . "$out/expected/$n.tlsmon.ndjson" || true) line(s)"
done

if ((disagree)); then
	log "$disagree tlsmon disagreement(s) (see above)"
	((!strict)) || exit 3
else
	log "tlsmon agrees with the oracle and the packets on every capture"
fi
