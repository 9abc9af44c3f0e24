#!/usr/bin/env bash
# make-turn-pcaps.sh: capture REAL TURN traffic (RFC 8656 over UDP and TCP,
# ChannelData and Send/Data indications, TLS and DTLS to the TURN server,
# and WebRTC DTLS handshakes relayed through TURN) as .pcap files in this
# directory, write README.md, then run check-turn-pcaps.sh (tshark oracle ->
# expected/, capture checks, tlsmon compared with the oracle).
#
# Server: coturn's turnserver, on 127.0.0.1 (3478 UDP/TCP, 5349 TLS/DTLS),
# long-term credentials with one static user (user:pass, realm "realm"), a
# self-signed certificate generated at run time, its user db, log and pid
# files in a temp dir that is deleted on exit.  Clients: coturn's
# turnutils_uclient (with turnutils_peer as the peer) and two aiortc
# WebRTC peers (webrtc-via-turn.py) whose data channel goes through the
# relay.  Everything runs inside a throwaway network namespace
# (tlsmon-turn-PID): only its own loopback carries traffic; every process
# is stopped at the end.  Nothing under /etc is written.
#
# Usage: pcaps/turn/make-turn-pcaps.sh [--no-check] [--out DIR]
#   --no-check  captures and README only: do not run check-turn-pcaps.sh
#   --out DIR   write captures/expected to DIR (default: this script's dir)
# Environment: ORACLE (default ../shared/tools/oracle beside the repo),
#              TLSMON (default ../../tlsmon relative to this script),
#              KEEP_WORK=1 keeps the temp dir (server/client logs) for debugging
# Exit: 0 captures made (tlsmon disagreements are REPORTED, not fatal);
#       1 a capture could not be made or does not show what it should.
# Takes about 80 s (plus apt the first time).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$here
check=1
oracle=${ORACLE:-$here/../../../shared/tools/oracle}
tlsmon=${TLSMON:-$(cd "$here/../.." && pwd)/tlsmon}

while (($#)); do
	case $1 in
	--no-check) check=0 ;;
	--out)
		out=${2:?--out needs a directory}
		shift
		;;
	-h | --help)
		sed -n '2,26p' "${BASH_SOURCE[0]}"
		exit 0
		;;
	*)
		echo "make-turn-pcaps: unknown argument: $1" >&2
		exit 2
		;;
	esac
	shift
done

log() { printf 'make-turn-pcaps: %s\n' "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

((EUID == 0)) || die "must run as root (network namespaces)"

# ------------------------------------------------------------------ tools
PY=/usr/bin/python3 # Debian's python (python3-aiortc), not a pyenv one
policy_made=0
cleanup_policy() {
	if ((policy_made)); then
		rm -f /usr/sbin/policy-rc.d
		policy_made=0
	fi
}
apt_install() {
	# never let apt start the system's coturn service
	if [[ ! -e /usr/sbin/policy-rc.d ]]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		policy_made=1
	fi
	log "installing: $*"
	DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null
	cleanup_policy
}

need=()
command -v openssl >/dev/null || need+=(openssl)
command -v tcpdump >/dev/null || need+=(tcpdump)
{ command -v ip >/dev/null && command -v ss >/dev/null; } || need+=(iproute2)
command -v ethtool >/dev/null || need+=(ethtool)
{ [[ -x /usr/bin/turnserver ]] && [[ -x /usr/bin/turnutils_uclient ]] &&
	[[ -x /usr/bin/turnutils_peer ]]; } || need+=(coturn)
{ [[ -x $PY ]] && "$PY" -c 'import aiortc' 2>/dev/null; } || need+=(python3-aiortc)
if ((check)); then
	command -v jq >/dev/null || need+=(jq)
	if ! command -v tshark >/dev/null; then
		echo 'wireshark-common wireshark-common/install-setuid boolean false' |
			debconf-set-selections 2>/dev/null || true
		need+=(tshark)
	fi
fi
((${#need[@]} == 0)) || apt_install "${need[@]}"

# ------------------------------------------------------------------ setup
NS=tlsmon-turn-$$
work=$(mktemp -d /tmp/tlsmon-turn.XXXXXX)
pids=()
ns_made=0

cleanup() {
	local p
	set +e
	cleanup_policy
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	sleep 0.2
	if ((ns_made)); then
		# anything still running in our own namespace was started by us
		for p in $(ip netns pids "$NS" 2>/dev/null); do
			kill -9 "$p" 2>/dev/null
		done
		ip netns del "$NS" 2>/dev/null
	fi
	if [[ ${KEEP_WORK:-} == 1 ]]; then
		log "kept $work (KEEP_WORK=1)"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$NS"
ns_made=1
nsx() { ip netns exec "$NS" "$@"; }
nsx ip link set lo up
nsx ethtool -K lo tso off gso off gro off >/dev/null 2>&1 || log "warning: could not turn off offloads on lo"

unset SSLKEYLOGFILE OPENSSL_CONF http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
export LC_ALL=C

cd "$work"
mkdir -p "$out" "$out/expected"

log "generating a throwaway certificate in $work"
openssl req -x509 -newkey rsa:2048 -nodes -keyout turn.key -out turn.crt -days 30 \
	-subj /CN=turn.tlsmon.test -addext subjectAltName=DNS:turn.tlsmon.test 2>/dev/null

TURN_USER=user
TURN_PASS=pass
TURN_REALM=realm

# ------------------------------------------------------------------ helpers
readme=() # per-capture README sections, in order
names=()  # capture names, in order

cmdline() {
	local s="" a
	for a in "$@"; do
		if [[ $a =~ ^[A-Za-z0-9_./:=@,+-]+$ ]]; then s+="$a "; else s+="'$a' "; fi
	done
	printf '%s' "${s% }"
}

wait_bounded() { # PID SECONDS
	local pid=$1 i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

cap_pid=""
cap_name=""
cap_start() { # NAME
	local name=$1 i
	cap_name=$name
	cmds=""
	rm -f "$name.pcap"
	: >"$name.client.log"
	log "== $name"
	# all of lo: the namespace carries nothing but this run's traffic
	# not through nsx: $! must be the process that forwards our signal
	ip netns exec "$NS" timeout 60 tcpdump -i lo -U --immediate-mode -Z root -s 0 \
		-w "$name.pcap" 'udp or tcp' 2>"$name.tcpdump.log" &
	cap_pid=$!
	pids+=("$cap_pid")
	for ((i = 0; i < 50; i++)); do
		grep -q 'listening on' "$name.tcpdump.log" 2>/dev/null && return 0
		sleep 0.1
	done
	die "$name: tcpdump did not start: $(cat "$name.tcpdump.log")"
}

# Stop the capture; 1 when it is incomplete: tcpdump lost packets, or a TCP
# segment is missing (on a busy machine tcpdump has been seen to miss one on
# lo without counting it as dropped).
cap_stop() {
	local name=$cap_name dropped
	sleep 0.4 # let the last packets through
	kill -INT "$cap_pid" 2>/dev/null || true
	wait_bounded "$cap_pid" 5
	[[ -s $name.pcap ]] || die "$name: empty capture"
	log "$name.pcap: $(grep -o '^[0-9]* packets captured' "$name.tcpdump.log" || echo '?')"
	dropped=$(grep -o '^[0-9]* packets dropped by kernel' "$name.tcpdump.log" | grep -o '^[0-9]*' || echo 0)
	if ((dropped > 0)); then
		log "$name: tcpdump: $dropped packets dropped by kernel"
		return 1
	fi
	command -v tshark >/dev/null || return 0
	if [[ -n $(tshark -r "$name.pcap" -Y 'tcp.analysis.lost_segment || tcp.analysis.ack_lost_segment' \
		-T fields -e frame.number 2>/dev/null) ]]; then
		log "$name: a TCP segment is missing from the capture"
		return 1
	fi
	if [[ -n $want && -z $(tshark -r "$name.pcap" -Y "$want" -T fields -e frame.number 2>/dev/null) ]]; then
		log "$name: no frame shows '$want' (the client's random choice), again"
		return 1
	fi
	return 0
}

# One capture: NAME, the client's time limit, the README text, the client
# command; taken again (at most 5 times) when the capture is incomplete or,
# when $want is set (a tshark display filter), no frame matches it.
want=""
capture() { # NAME SECONDS DESCRIPTION CMD...
	local name=$1 secs=$2 desc=$3 attempt
	shift 3
	for ((attempt = 1; attempt <= 5; attempt++)); do
		cap_start "$name"
		run "$secs" "$@"
		if cap_stop; then
			cat "$name.pcap" >"$out/$name.pcap"
			names+=("$name")
			readme+=("### \`$name.pcap\`"$'\n\n'"$desc"$'\n\n'"${cmds}")
			want=""
			return 0
		fi
	done
	die "$name: no complete capture in 5 attempts"
}

cmds="" # README lines for the current capture
run() { # SECONDS CMD... (must exit 0)
	local secs=$1 rc=0
	shift
	local line
	line=$(cmdline "$@")
	cmds+="    client: ${line//"$here"\//pcaps/turn/}"$'\n'
	nsx timeout "$secs" "$@" </dev/null >>"$cap_name.client.log" 2>&1 || rc=$?
	((rc == 0)) || die "$cap_name: client failed (rc=$rc): $(tail -5 "$cap_name.client.log")"
	sleep 0.2
}

# ------------------------------------------------------------------ server, peer
TURNSERVER=(turnserver -n --no-cli --listening-ip 127.0.0.1 --relay-ip 127.0.0.1 --relay-ip ::1
	--listening-port 3478 --tls-listening-port 5349 --min-port 49152 --max-port 49407
	--relay-threads 1 --allow-loopback-peers -a -u "$TURN_USER:$TURN_PASS" -r "$TURN_REALM"
	--fingerprint --cert "$work/turn.crt" --pkey "$work/turn.key" --userdb "$work/turndb"
	--log-file "$work/turnserver.log" --simple-log --pidfile "$work/turnserver.pid")
ip netns exec "$NS" timeout 170 "${TURNSERVER[@]}" >"$work/turnserver.out" 2>&1 </dev/null &
turn_pid=$!
pids+=("$turn_pid")
PEER=(turnutils_peer -L 127.0.0.1 -p 3480)
ip netns exec "$NS" timeout 170 "${PEER[@]}" >"$work/peer.log" 2>&1 </dev/null &
pids+=("$!")
PEER6=(turnutils_peer -L ::1 -p 3480)
ip netns exec "$NS" timeout 170 "${PEER6[@]}" >"$work/peer6.log" 2>&1 </dev/null &
pids+=("$!")
for ((i = 0; i < 100; i++)); do
	[[ -n $(nsx ss -Hltn "sport = :5349") ]] && [[ -n $(nsx ss -Hlun "sport = :3478") ]] &&
		(($(nsx ss -Hlun "sport = :3480" | wc -l) == 2)) && break
	kill -0 "$turn_pid" 2>/dev/null || die "turnserver died: $(tail -5 "$work/turnserver.out")"
	sleep 0.1
done
((i < 100)) || die "turnserver/turnutils_peer: not listening"
sleep 0.3 # relay threads
TURN_VERSION=$(grep -o 'Coturn-[0-9.]*' "$work/turnserver.log" | head -1 || true)
AIORTC_VERSION=$("$PY" -c 'import aiortc, aioice; print("aiortc", aiortc.__version__, "/ aioice", aioice.__version__)')

UC=(turnutils_uclient -u "$TURN_USER" -w "$TURN_PASS" -e 127.0.0.1 -r 3480 -n 3 -c)
UC6=(turnutils_uclient -u "$TURN_USER" -w "$TURN_PASS" -e ::1 -r 3480 -n 3 -c)
WEBRTC=("$PY" "$here/webrtc-via-turn.py" --turn 127.0.0.1:3478 --user "$TURN_USER" --password "$TURN_PASS")

# ------------------------------------------------------------------ uclient captures
UCDESC="\`turnutils_uclient\` with \`-n 3 -c\` (3 messages of 100 bytes, no RTCP allocation) \
and a \`turnutils_peer\` echo peer on port 3480: it makes two allocations (each: Allocate, 401 \
with a nonce, authenticated Allocate), refreshes them, sets up its path to the peer, sends \
the 3 messages through the relay and reads the peer's echoes, then deletes the allocations \
(Refresh with lifetime 0). The relay-to-peer legs (relayed address <-> port 3480, plain UDP) \
are in the capture too. The messages are uclient's test pattern (\`00 00 00 00 07 07 ...\`), \
neither TLS nor DTLS."

desc="TURN over UDP with ChannelData (uclient's default): ChannelBind requests \
(CHANNEL-NUMBER + XOR-PEER-ADDRESS), then the messages as ChannelData both ways. \
$UCDESC Expected from tlsmon: no handshake line (tshark's oracle finds none)."
capture turn_udp_channel 20 "$desc" "${UC[@]}" 127.0.0.1

desc="TURN over UDP with Send/Data indications (\`-s\`): CreatePermission, then each \
message in a Send indication (XOR-PEER-ADDRESS + DATA) and each echo in a Data indication; \
uclient waits about 5 s before it sends in this mode. $UCDESC Expected from tlsmon: no \
handshake line."
capture turn_udp_indication 30 "$desc" "${UC[@]}" -s 127.0.0.1

desc="TURN over UDP (IPv4 to the server) with an IPv6 relayed address (\`-x\`: \
REQUESTED-ADDRESS-FAMILY IPv6, RFC 6156) and the IPv6 peer \`turnutils_peer -L ::1 -p \
3480\`, Send/Data indications (\`-s\`): CreatePermission, Send and Data indications carry \
an IPv6 XOR-PEER-ADDRESS (::1 port 3480; the address is XORed with the magic cookie and the \
transaction id), the relay legs are UDP over ::1. $UCDESC Expected from tlsmon: no handshake \
line."
capture turn_udp_ipv6_peer 30 "$desc" "${UC6[@]}" -x -s 127.0.0.1

desc="TURN over TCP (\`-t\`, RFC 8656 section 12.5 framing: STUN messages and ChannelData \
back to back on the stream), ChannelData both ways. $UCDESC Expected from tlsmon: no \
handshake line."
capture turn_tcp_channel 20 "$desc" "${UC[@]}" -t 127.0.0.1

desc="TURN over TLS (\`-t -S\`) to 5349: each TURN connection is a TLS connection to the \
TURN server, TURN inside it (encrypted). uclient 4.6 picks one of its TLS client contexts at \
random for each connection, so each ClientHello offers one version, TLS 1.0, 1.1 or 1.2 (ALPN \
\`http/1.1, stun.turn, stun.nat-discovery\`, no SNI): the server (OpenSSL 3, default \
security level) rejects TLS 1.0 and 1.1 with a fatal internal_error alert and uclient \
tries again, so the capture holds the two TLS 1.2 handshakes that carry the allocations \
(TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, ALPN \`stun.turn\` chosen, established) and some \
refused TLS 1.0/1.1 ones (how many differs per run; the capture is taken again until there \
is at least one). $UCDESC Expected from \
tlsmon: every handshake, encapsulation \`direct\`, protocol \`turn\`."
want='tls.alert_message.desc == 80' # at least one refused TLS 1.0/1.1 hello
capture turn_tls_to_server 20 "$desc" "${UC[@]}" -t -S 127.0.0.1

desc="TURN over DTLS (\`-S\` without \`-t\`) to 5349/udp: each allocation is a DTLS \
association with the TURN server, TURN inside it. As with TLS, uclient picks DTLS 1.0 or 1.2 \
at random per attempt (the capture is taken again until there is a refused one): a DTLS 1.0 \
ClientHello gets a HelloVerifyRequest, then, after the \
ClientHello with the cookie, a fatal internal_error alert; the DTLS 1.2 ones go through \
(HelloVerifyRequest, then TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, ALPN \`stun.turn\`, \
established). $UCDESC Expected from tlsmon: every handshake, encapsulation \`direct\`, \
protocol \`turn\`."
want='dtls.alert_message.desc == 80' # at least one refused DTLS 1.0 hello
capture turn_dtls_to_server 20 "$desc" "${UC[@]}" -S 127.0.0.1

# ------------------------------------------------------------------ WebRTC through TURN
WDESC="Two aiortc peers in one process (\`webrtc-via-turn.py\`, $AIORTC_VERSION) open a data \
channel and echo one message; each peer has a TURN allocation and no other candidate (the \
namespace has only lo, whose 127.0.0.1 aioice never offers), so ICE checks, the DTLS 1.2 \
handshake and SCTP all go client A -> TURN -> relay A -> relay B -> TURN -> client B. The \
answerer is the DTLS client. The oracle and tlsmon see the DTLS handshake three times: inside \
TURN between the answerer and the TURN server (destination 3478, \`tls.turn.peer\` = the \
offerer's relayed address), on the relay-to-relay leg (plain UDP between the two relayed \
addresses: \`direct\`), and inside TURN between the TURN server and the offerer (source \
3478: the ClientHello comes out of the server; \`tls.turn.peer\` = the answerer's relayed \
address)."

desc="WebRTC DTLS inside TURN over UDP, ChannelData (aioice binds a channel per peer). \
$WDESC Expected from tlsmon: 3 DTLS 1.2 handshakes, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, \
established; \`turn-channel\`, \`direct\`, \`turn-channel\`."
capture turn_dtls_udp 40 "$desc" "${WEBRTC[@]}" --transport udp --method channel

desc="WebRTC DTLS inside TURN over UDP, ChannelData on channel 0x7000 (\`--first-channel \
0x7000\`: aioice numbers its channels from 0x7000 instead of 0x4000). RFC 5766 allowed \
channels 0x4000-0x7FFE; RFC 8656 keeps only 0x4000-0x4FFF, whose first byte (64-79) is what \
RFC 7983 demultiplexes as ChannelData, but servers still accept the old range (coturn does, \
and its own uclient picks channels such as 0x53e3 or 0x723c). $WDESC Expected from tlsmon \
(\`dissect/stun.h\` says it takes 0x5000-0x7FFF as RFC 5766 did): 3 DTLS 1.2 handshakes; \
\`turn-channel\`, \`direct\`, \`turn-channel\`."
capture turn_dtls_udp_channel_0x7000 40 "$desc" "${WEBRTC[@]}" --transport udp --method channel --first-channel 0x7000

desc="WebRTC DTLS inside TURN over UDP, Send/Data indications: aioice's send path is \
replaced by CreatePermission + Send indications (\`--method indication\`; aioice itself \
always uses ChannelData), so with no channel bound the server delivers with Data indications \
(DATA, XOR-PEER-ADDRESS, FINGERPRINT). Only the TURN framing is changed; ICE, DTLS, SCTP are \
aiortc's. $WDESC Expected from tlsmon: 3 DTLS 1.2 handshakes; \`turn-indication\`, \
\`direct\`, \`turn-indication\`."
capture turn_dtls_udp_indication 40 "$desc" "${WEBRTC[@]}" --transport udp --method indication

desc="WebRTC DTLS inside TURN over TCP (\`turn:...?transport=tcp\`): STUN and ChannelData \
framed on the TCP stream (ChannelData padded to 4 bytes), the relayed side still UDP. \
$WDESC Expected from tlsmon: 3 DTLS 1.2 handshakes (two on the TCP connections, transport \
\`tcp\`); \`turn-channel\`, \`direct\`, \`turn-channel\`."
capture turn_dtls_tcp 40 "$desc" "${WEBRTC[@]}" --transport tcp --method channel

desc="WebRTC DTLS inside TURN over TCP with Send/Data indications (\`--method \
indication\`, as for \`turn_dtls_udp_indication.pcap\`). $WDESC Expected from tlsmon: 3 \
DTLS 1.2 handshakes; \`turn-indication\`, \`direct\`, \`turn-indication\`."
capture turn_dtls_tcp_indication 40 "$desc" "${WEBRTC[@]}" --transport tcp --method indication

kill "$turn_pid" 2>/dev/null || true
wait_bounded "$turn_pid" 5

# ------------------------------------------------------------------ README
{
	cat <<EOF
# TURN captures: STUN/TURN over UDP, TCP, TLS and DTLS, and DTLS relayed through TURN

Generated by \`make-turn-pcaps.sh\` (run as root; about 80 s; it installs what it needs with
apt-get: coturn, python3-aiortc, openssl, tcpdump, iproute2, ethtool, and for the checks
tshark and jq; apt is kept from starting the system's coturn by a \`policy-rc.d\` that denies
it, created only for the install when there is none):

    pcaps/turn/make-turn-pcaps.sh             # captures + README + check-turn-pcaps.sh
    pcaps/turn/make-turn-pcaps.sh --no-check  # captures + README only
    pcaps/turn/check-turn-pcaps.sh [--strict] # re-check a rebuilt tlsmon (no root)

Each capture is taken with \`tcpdump -i lo -U --immediate-mode -w NAME.pcap 'udp or tcp'\`
inside a throwaway network namespace (\`tlsmon-turn-PID\`, loopback only, TSO/GSO/GRO off),
link type Ethernet, 127.0.0.1 to 127.0.0.1 (and ::1 for IPv6 relayed addresses). All of them
are real traffic of real stacks;
nothing is constructed.

- Server: ${TURN_VERSION:-coturn} from Debian, one instance for all captures, in the
  foreground, no config file (\`-n\`), its user db, log and pid files in a temp dir (deleted
  on exit; \`KEEP_WORK=1\` keeps it with the server and client logs):

      $(cmdline "${TURNSERVER[@]}" | sed "s|$work|TMP|g")

  Long-term credentials, user \`$TURN_USER\`, password \`$TURN_PASS\`, realm \`$TURN_REALM\`;
  relayed addresses 127.0.0.1 or ::1, ports 49152-49407; TLS and DTLS on 5349 with a self-signed RSA 2048
  certificate (\`CN=turn.tlsmon.test\`) generated at run time.
- Peers for uclient: \`$(cmdline "${PEER[@]}")\` and \`$(cmdline "${PEER6[@]}")\` (coturn's
  UDP echo peer).
- Clients: coturn's \`turnutils_uclient\`, and aiortc (Python WebRTC: aioice for ICE and
  TURN, OpenSSL DTLS, SCTP data channels) driven by \`webrtc-via-turn.py\`.

Random bytes, ports and timestamps differ per run, so \`expected/\` is regenerated together
with the captures.

## expected/

- \`NAME.oracle.jsonl\`: \`../shared/tools/oracle NAME.pcap\` (tshark 4.0; one line per
  handshake). tshark 4.0 dissects TURN ChannelData inside its \`stun\` protocol (no
  \`turnchannel\` layer), so the oracle's \`_oracle.encapsulation\` says \`turn-indication\`
  for DTLS in ChannelData too; the check takes the framing from the packets instead.
- \`NAME.facts.json\`: what tshark says about each handshake's TURN framing: for every oracle
  handshake (key \`client ip:port->server ip:port\`) the encapsulation read from the hello's
  packet (\`stun.channel\` present: \`turn-channel\`; a Send/Data indication:
  \`turn-indication\`; neither: \`direct\`) and the relayed peer (the indication's
  XOR-PEER-ADDRESS, or for a channel the XOR-PEER-ADDRESS of the flow's ChannelBind request for
  that channel number). Used in place of tshark when tshark is absent.
- \`NAME.tlsmon.ndjson\`: \`tlsmon -q -r NAME.pcap --log -\` as of the last run. NOT a
  reference: \`check-turn-pcaps.sh\` compares it with the oracle (version, cipher, client
  version/supported_versions/supported_ciphers, SNI, JA3, JA3S, \`@timestamp\`), with the facts
  (\`tls.encapsulation\`, \`tls.turn.peer\`), and checks \`network.transport\`,
  \`tls.established\` (true when the oracle saw a ServerHello: every such handshake here went
  on), \`network.protocol\` (\`turn\` or \`stun\` on 3478/5349) and that tlsmon logs no
  handshake the oracle does not have (the uclient payloads are not TLS).
- \`disagreements.txt\`: every disagreement found by the last check (empty: none).

## Captures

EOF
	printf '%s\n' "${readme[@]}"
	cat <<'EOF'
## Notes

- aiortc 1.4 has no `iceTransportPolicy`; the namespace does the same job: aioice never offers
  127.0.0.1 as a host candidate, and lo is the only interface, so each peer's only candidate is
  its TURN relayed address.
- aioice only sends ChannelData; `webrtc-via-turn.py --method indication` swaps its send path
  for CreatePermission + Send indications (and teaches it the DATA attribute and Data
  indications), which is what the indication captures use.
- The uclient captures carry no TLS inside TURN (uclient sends a fixed test pattern); they
  exercise tlsmon's STUN/ChannelData paths and must produce no handshake line.
- A capture is taken again (at most 5 times) when tcpdump reports drops or a TCP segment is
  missing from it: once, on this busy 2-core machine, tcpdump on lo missed one TCP segment
  without counting it as dropped, and tlsmon then (rightly) saw only half a handshake.
- `tests/unit/test_stun.c` reads `turn_dtls_udp*.pcap`, `turn_dtls_tcp*.pcap`,
  `turn_tls_to_server.pcap` and the uclient captures, and checks only what a re-run keeps
  (encapsulations, that the TURN peers are the relay leg's two ends, versions), so the captures
  can be remade without touching the test; its fixed byte fixtures were taken from the
  captures as first made.
EOF
} >"$out/README.md"

log "captures written to $out: ${names[*]}"
if ((!check)); then
	log "done (no checks)"
	exit 0
fi
# stop here on a failed capture check; tlsmon disagreements are only reported
ORACLE=$oracle TLSMON=$tlsmon "$here/check-turn-pcaps.sh" --out "$out"
