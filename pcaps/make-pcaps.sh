#!/usr/bin/env bash
# make-pcaps.sh: regenerate the TLS regression captures in this directory from
# real TLS stacks (OpenSSL s_server/s_client, curl), plus README.md and, when
# tshark and the project's oracle are available, expected/NAME.oracle.jsonl.
#
# Everything runs inside a throwaway network namespace (tlsmon-pcaps-PID):
# only its own loopback carries traffic, the host's interfaces are never
# touched.  Keys and certificates are generated at run time in a temp dir and
# deleted on exit.  Random bytes (hello randoms, keys, ports, timestamps)
# differ per run; structure, versions, ciphers, SNI and ALPN do not.
#
# Usage: pcaps/make-pcaps.sh [--no-check] [--out DIR]
#   --no-check  do not verify the captures with tshark, do not run the oracle
#   --out DIR   write captures/README/expected to DIR (default: this script's dir)
# Environment: ORACLE=/path/to/oracle (default ../shared/tools/oracle beside the repo)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$here
check=1
oracle=${ORACLE:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../../shared/tools/oracle}

while (($#)); do
	case $1 in
	--no-check) check=0 ;;
	--out)
		out=${2:?--out needs a directory}
		shift
		;;
	-h | --help)
		sed -n '2,16p' "${BASH_SOURCE[0]}"
		exit 0
		;;
	*)
		echo "make-pcaps: unknown argument: $1" >&2
		exit 2
		;;
	esac
	shift
done

log() { printf 'make-pcaps: %s\n' "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

# network namespaces need root: re-run through sudo when not root
if ((EUID != 0)); then
	command -v sudo >/dev/null || die "must run as root (or have sudo)"
	args=()
	((check)) || args+=(--no-check)
	exec sudo ORACLE="$oracle" "${BASH_SOURCE[0]}" "${args[@]}" --out "$out"
fi

# ------------------------------------------------------------------ tools
apt_updated=0
apt_install() {
	if ((!apt_updated)); then
		DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
		apt_updated=1
	fi
	log "installing: $*"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null
}

need=()
command -v openssl >/dev/null || need+=(openssl)
command -v tcpdump >/dev/null || need+=(tcpdump)
command -v curl >/dev/null || need+=(curl)
{ command -v ip >/dev/null && command -v ss >/dev/null; } || need+=(iproute2)
command -v ethtool >/dev/null || need+=(ethtool)
command -v timeout >/dev/null || need+=(coreutils)
if ((check)); then
	command -v jq >/dev/null || need+=(jq)
	if ! command -v tshark >/dev/null; then
		# never ask, never make dumpcap setuid
		echo 'wireshark-common wireshark-common/install-setuid boolean false' |
			debconf-set-selections 2>/dev/null || true
		need+=(tshark)
	fi
fi
((${#need[@]} == 0)) || apt_install "${need[@]}"

# ------------------------------------------------------------------ setup
NS=tlsmon-pcaps-$$
work=$(mktemp -d /tmp/tlsmon-pcaps.XXXXXX)
pids=()
ns_made=0

cleanup() {
	local p
	set +e
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	if ((ns_made)); then
		# anything still running in our own namespace was started by us
		for p in $(ip netns pids "$NS" 2>/dev/null); do
			kill -9 "$p" 2>/dev/null
		done
		ip netns del "$NS" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$NS"
ns_made=1
nsx() { ip netns exec "$NS" "$@"; }
nsx ip link set lo up

# the TLS stacks must not pick up anything from the caller's environment
unset SSLKEYLOGFILE OPENSSL_CONF http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
export LC_ALL=C

cd "$work"
mkdir -p "$out" "$out/expected"

log "generating throwaway keys in $work"
openssl req -x509 -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.crt -days 30 \
	-subj /CN=tlsmon.test -addext subjectAltName=DNS:tlsmon.test 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ec.key \
	-out ec.crt -days 30 -subj /CN=tlsmon-ecdsa.test \
	-addext subjectAltName=DNS:tlsmon-ecdsa.test 2>/dev/null

OLD='DEFAULT:@SECLEVEL=0' # lets OpenSSL 3 speak TLS 1.0/1.1 (SHA-1 signatures)

# ------------------------------------------------------------------ helpers
readme=() # per-capture README sections, in order
names=()  # capture names, in order

# quote a command line for the README
cmdline() {
	local s="" a
	for a in "$@"; do
		if [[ $a =~ ^[A-Za-z0-9_./:=@,+-]+$ ]]; then s+="$a "; else s+="'$a' "; fi
	done
	printf '%s' "${s% }"
}

cap_pid=""
cap_start() { # NAME FILTER
	local name=$1 filter=$2 i
	rm -f "$name.pcap"
	# not through nsx: $! must be the tcpdump process itself, not a subshell
	ip netns exec "$NS" timeout 60 tcpdump -i lo -U --immediate-mode -Z root -s 0 \
		-w "$name.pcap" "$filter" 2>"$name.tcpdump.log" &
	cap_pid=$!
	pids+=("$cap_pid")
	for ((i = 0; i < 50; i++)); do
		grep -q 'listening on' "$name.tcpdump.log" 2>/dev/null && return 0
		sleep 0.1
	done
	die "$name: tcpdump did not start: $(cat "$name.tcpdump.log")"
}

# wait (bounded) for a background pid to end; kill it if it does not
wait_bounded() { # PID SECONDS
	local pid=$1 i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

cap_stop() { # NAME
	local name=$1
	sleep 0.3 # let the last FIN/ACKs through
	kill -INT "$cap_pid" 2>/dev/null || true
	wait_bounded "$cap_pid" 5
	[[ -s $name.pcap ]] || die "$name: empty capture"
	cat "$name.pcap" >"$out/$name.pcap"
	log "$name.pcap: $(grep -o '^[0-9]* packets captured' "$name.tcpdump.log" || echo '?')"
}

srv_pid=""
srv_start() { # NAME PORT openssl-s_server-args...
	local name=$1 port=$2 i
	shift 2
	ip netns exec "$NS" timeout 30 "$@" >"$name.server.log" 2>&1 </dev/null &
	srv_pid=$!
	pids+=("$srv_pid")
	for ((i = 0; i < 50; i++)); do
		[[ -n $(nsx ss -Hltn "sport = :$port") ]] && return 0
		kill -0 "$srv_pid" 2>/dev/null || break
		sleep 0.1
	done
	die "$name: server not listening on $port: $(cat "$name.server.log")"
}

# s_client sends one line, keeps stdin open a moment (so the server's reply
# and TLS 1.3 session tickets arrive), then EOF: close_notify and FIN.
client() { # NAME s_client-args...
	local name=$1
	shift
	{
		printf 'hello tlsmon\n'
		sleep 0.5
	} | nsx timeout 10 "$@" >>"$name.client.log" 2>&1
}

# one capture: NAME PORT EXPECT-CLIENT-OK(0/1) DESCRIPTION, with the global
# arrays srv=(...) and cli=(...) (and optionally cli2=(...) for a second
# connection) holding the commands
pair() {
	local name=$1 port=$2 want_ok=$3 desc=$4 rc=0
	log "== $name"
	: >"$name.client.log"
	cap_start "$name" "tcp port $port"
	srv_start "$name" "$port" "${srv[@]}"
	client "$name" "${cli[@]}" || rc=$?
	if ((${#cli2[@]})); then
		sleep 0.2
		client "$name" "${cli2[@]}" || rc=$?
	fi
	wait_bounded "$srv_pid" 5
	cap_stop "$name"
	if ((want_ok && rc != 0)); then
		die "$name: client failed (rc=$rc): $(tail -5 "$name.client.log")"
	fi
	if ((!want_ok && rc == 0)); then
		die "$name: client succeeded but the handshake should fail"
	fi
	local sec
	sec="### \`$name.pcap\`"$'\n\n'"$desc"$'\n\n'"    server: $(cmdline "${srv[@]}")"$'\n'
	sec+="    client: $(cmdline "${cli[@]}")"$'\n'
	if ((${#cli2[@]})); then
		sec+="    client: $(cmdline "${cli2[@]}")"$'\n'
	fi
	readme+=("$sec")
	names+=("$name")
	cli2=()
}

S=(openssl s_server -cert rsa.crt -key rsa.key -naccept 1 -rev)
cli2=()

# ------------------------------------------------------------------ captures
P=443

srv=("${S[@]}" -accept "$P" -cipher "$OLD")
cli=(openssl s_client -connect "127.0.0.1:$P" -tls1 -cipher "$OLD" -servername old.example)
pair tls1_0 "$P" 1 "TLS 1.0 only client (offers 1.0), server allows old versions. \
Negotiated TLS 1.0, TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA; client max 1.0; SNI \`old.example\`; \
no ALPN; established."

srv=("${S[@]}" -accept "$P" -cipher "$OLD")
cli=(openssl s_client -connect "127.0.0.1:$P" -tls1_1 -cipher "$OLD" -servername tls11.example)
pair tls1_1 "$P" 1 "TLS 1.1 only client. Negotiated TLS 1.1, \
TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA; client max 1.1; SNI \`tls11.example\`; no ALPN; established."

srv=("${S[@]}" -accept "$P" -alpn h2)
cli=(openssl s_client -connect "127.0.0.1:$P" -tls1_2 -servername tls12.example -alpn 'h2,http/1.1')
pair tls1_2 "$P" 1 "TLS 1.2 only client. Negotiated TLS 1.2, \
TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384; client max 1.2; SNI \`tls12.example\`; \
ALPN offered \`h2,http/1.1\`, chosen \`h2\`; established."

srv=("${S[@]}" -accept "$P" -alpn h2)
cli=(openssl s_client -connect "127.0.0.1:$P" -tls1_3 -servername tls13.example -alpn 'h2,http/1.1')
pair tls1_3 "$P" 1 "TLS 1.3 only client (supported_versions = [1.3]). Negotiated TLS 1.3, \
TLS_AES_256_GCM_SHA384; client max 1.3; SNI \`tls13.example\`; ALPN offered \`h2,http/1.1\`, \
chosen \`h2\` (in EncryptedExtensions, so not visible on the wire); established."

srv=("${S[@]}" -accept "$P" -groups P-384 -alpn h2)
cli=(openssl s_client -connect "127.0.0.1:$P" -tls1_3 -groups X25519:P-384 -servername hrr.example -alpn 'h2,http/1.1')
pair tls1_3_hrr "$P" 1 "TLS 1.3 with a HelloRetryRequest: the client sends a key_share for \
X25519 only, the server accepts P-384 only, so it answers with an HRR (ServerHello with the \
special random) and the client sends a second ClientHello (same connection) with a P-384 \
key_share. One handshake: negotiated TLS 1.3, TLS_AES_256_GCM_SHA384; client max 1.3; \
SNI \`hrr.example\`; ALPN offered \`h2,http/1.1\`; established."

srv=("${S[@]}" -accept "$P" -tls1 -cipher "$OLD")
cli=(openssl s_client -connect "127.0.0.1:$P" -cipher "$OLD" -servername modern.example)
pair server_tls1_0_only "$P" 1 "A modern client (default s_client: offers TLS 1.3, 1.2, 1.1, \
1.0; SECLEVEL=0 so it accepts 1.0) against a server limited to TLS 1.0. Negotiated TLS 1.0, \
TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA although the client's max is 1.3 (\"negotiating low, able \
to do better\"); SNI \`modern.example\`; established."

srv=("${S[@]}" -accept "$P" -min_protocol TLSv1.2)
cli=(openssl s_client -connect "127.0.0.1:$P" -tls1 -cipher "$OLD" -servername legacy.example)
pair client_tls1_0_refused "$P" 0 "A TLS 1.0 only client against a server that requires \
TLS 1.2+: the server answers the ClientHello with a fatal \`protocol_version\` alert (70); no \
ServerHello, so no negotiated version/cipher. Client max 1.0; SNI \`legacy.example\`; NOT \
established (\"would break\")."

srv=(openssl s_server -cert rsa.crt -key rsa.key -naccept 2 -rev -accept "$P" -no_ticket)
cli=(openssl s_client -connect "127.0.0.1:$P" -tls1_2 -no_ticket -servername resume.example -sess_out sess12.pem)
cli2=(openssl s_client -connect "127.0.0.1:$P" -tls1_2 -no_ticket -servername resume.example -sess_in sess12.pem)
pair resumed_tls1_2 "$P" 1 "Two TLS 1.2 connections without session tickets; the second \
offers the first's session id and the server echoes it (abbreviated handshake: no \
Certificate, ServerHello then ChangeCipherSpec). Both: negotiated TLS 1.2, \
TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384; client max 1.2; SNI \`resume.example\`; established; \
the second is resumed."

srv=(openssl s_server -cert rsa.crt -key rsa.key -naccept 2 -rev -accept "$P")
cli=(openssl s_client -connect "127.0.0.1:$P" -tls1_3 -servername resume13.example -sess_out sess13.pem)
cli2=(openssl s_client -connect "127.0.0.1:$P" -tls1_3 -servername resume13.example -sess_in sess13.pem)
pair resumed_tls1_3 "$P" 1 "(Extra.) Two TLS 1.3 connections; the second offers the \
first's session ticket as a PSK (pre_shared_key extension, psk_dhe_ke) and the server \
accepts it (its ServerHello carries pre_shared_key). Both: negotiated TLS 1.3, \
TLS_AES_256_GCM_SHA384; client max 1.3; SNI \`resume13.example\`; established; the \
second is resumed."

CP=8443
CURL=(curl -q -sS -k --noproxy '*' --max-time 10 -o /dev/null)
srv=(openssl s_server -cert rsa.crt -key rsa.key -naccept 1 -www -accept "$CP")
cli=("${CURL[@]}" --resolve "curl.example:$CP:127.0.0.1" "https://curl.example:$CP/")
pair curl_tls1_3 "$CP" 1 "curl (libcurl/OpenSSL) GET against \`openssl s_server -www\` on \
port $CP (not 443). Negotiated TLS 1.3, TLS_AES_256_GCM_SHA384; client max 1.3; SNI \
\`curl.example\`; ALPN offered \`h2,http/1.1\` (server chose none); established."

srv=(openssl s_server -cert rsa.crt -key rsa.key -naccept 1 -www -accept "$CP")
cli=("${CURL[@]}" --tls-max 1.2 --resolve "curl.example:$CP:127.0.0.1" "https://curl.example:$CP/")
pair curl_tls1_2_max "$CP" 1 "curl with \`--tls-max 1.2\` (no supported_versions \
extension) against \`openssl s_server -www\` on port $CP. Negotiated TLS 1.2, \
TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384; client max 1.2; SNI \`curl.example\`; ALPN offered \
\`h2,http/1.1\`; established."

srv=("${S[@]}" -accept "[::1]:$P" -alpn http/1.1)
cli=(openssl s_client -connect "[::1]:$P" -tls1_2 -servername ipv6.example -alpn http/1.1)
pair ipv6_tls1_2 "$P" 1 "TLS 1.2 over IPv6 loopback (::1). Negotiated TLS 1.2, \
TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384; client max 1.2; SNI \`ipv6.example\`; ALPN \
\`http/1.1\` offered and chosen; established."

srv=(openssl s_server -cert ec.crt -key ec.key -naccept 1 -rev -accept "$P")
cli=(openssl s_client -connect "127.0.0.1:$P" -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256 -servername ecdsa.example)
pair ecdsa_tls1_2 "$P" 1 "TLS 1.2 with an ECDSA P-256 certificate; the client offers the one \
suite ECDHE-ECDSA-AES128-GCM-SHA256 (plus the renegotiation SCSV). Negotiated TLS 1.2, \
TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256; client max 1.2; SNI \`ecdsa.example\`; established."

# A ClientHello spread over several TCP segments: small MTU on the namespace's
# lo, offloads off (otherwise the kernel hands tcpdump one 64 KB super-packet).
SPLIT_MTU=320
nsx ethtool -K lo tso off gso off >/dev/null 2>&1 || log "warning: could not turn off TSO/GSO on lo"
nsx ip link set lo mtu "$SPLIT_MTU"
long_sni=$(printf 'a%.0s' {1..60}).$(printf 'b%.0s' {1..60}).$(printf 'c%.0s' {1..60}).split.example
srv=("${S[@]}" -accept "$P" -alpn h2)
cli=(openssl s_client -connect "127.0.0.1:$P"
	-cipher 'ALL:COMPLEMENTOFALL:@SECLEVEL=0'
	-ciphersuites 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256'
	-groups 'X25519:P-256:X448:P-521:P-384:ffdhe2048:ffdhe3072:ffdhe4096:ffdhe6144:ffdhe8192'
	-servername "$long_sni"
	-alpn 'h2,http/1.1,http/1.0,spdy/3.1,h2c,acme-tls/1,imap,pop3,managesieve,ftp,xmpp-client,postgresql')
pair split_hello "$P" 1 "A ~730-byte ClientHello (every OpenSSL cipher suite, 10 groups, \
a ${#long_sni}-character SNI, 12 ALPN protocols) sent over lo with MTU $SPLIT_MTU (MSS 280, \
268 payload bytes with timestamps): the ClientHello record spans 3 TCP segments (and the \
server's flight is split too). Negotiated TLS 1.3, TLS_AES_256_GCM_SHA384; client max 1.3; \
SNI \`${long_sni:0:20}...split.example\`; ALPN offered starts \`h2,http/1.1\`, chosen \`h2\`; \
established."
nsx ip link set lo mtu 65536

# ------------------------------------------------------------------ README
{
	cat <<'EOF'
# Regression captures from real TLS stacks

Generated by `make-pcaps.sh` (run it as root, or it re-runs itself with sudo):

    pcaps/make-pcaps.sh            # captures + README.md + expected/*.oracle.jsonl
    pcaps/make-pcaps.sh --no-check # captures + README.md only (no tshark needed)

Each capture is taken with `tcpdump -i lo -U --immediate-mode -w NAME.pcap 'tcp port N'`
inside a throwaway network namespace (`tlsmon-pcaps-PID`, loopback only), link type
Ethernet (DLT_EN10MB), from `127.0.0.1` to `127.0.0.1` (or `::1`). The servers use
throwaway self-signed certificates generated at run time (RSA 2048, `CN=tlsmon.test`;
ECDSA P-256, `CN=tlsmon-ecdsa.test`); none is kept. Random bytes, ports and timestamps
differ on each run, so JA3 hashes are stable but `expected/` must be regenerated together
with the captures.

Stack: OpenSSL 3 `s_server`/`s_client` and curl (libcurl with OpenSSL) from Debian.
`s_server -rev` echoes each line reversed, so every established connection carries a
little application data both ways and ends with close_notify + FIN; `-www` answers one
HTTP GET (for curl). `-naccept N` makes the server exit after N connections. Unless said
otherwise the server listens on port 443 and ALPN is absent.

`expected/NAME.oracle.jsonl` is the output of `/work/shared/tools/oracle NAME.pcap`
(tshark-derived: version, cipher, client versions/ciphers, SNI, JA3/JA3S; it does not
give ALPN, established or resumed, those are stated below).

## Captures

EOF
	printf '%s\n' "${readme[@]}"
	cat <<'EOF'
## Not generated (OpenSSL 3.0 cannot do it)

- SSL 3.0 (`-ssl3`) and SSLv2-compatible ClientHellos: SSLv3 and SSLv2 support is not
  built into Debian's OpenSSL 3, so there is no `tls_port_8443_sslv3_offer.pcap`.
- TLS 1.3 0-RTT early data, compression, export/NULL-only suites, renegotiation are not
  captured here.
EOF
} >"$out/README.md"

# ------------------------------------------------------------------ checks
if ((!check)); then
	log "done (no checks): ${names[*]}"
	exit 0
fi

TS=(tshark -n -o tls.desegment_ssl_records:TRUE -o tcp.desegment_tcp_streams:TRUE)
fails=0
bad() {
	log "CHECK FAILED: $*"
	fails=$((fails + 1))
}
# jq test over all oracle records of a capture (slurped into an array)
expect() { # NAME JQ-EXPR
	jq -es "$2" "$out/expected/$1.oracle.jsonl" >/dev/null 2>&1 || bad "$1: $2"
}
tsf() { # NAME FILTER FIELD...
	local name=$1 filter=$2
	shift 2
	local f=() e
	for e in "$@"; do f+=(-e "$e"); done
	"${TS[@]}" -r "$out/$name.pcap" -Y "$filter" -T fields "${f[@]}" 2>/dev/null
}

if [[ -x $oracle ]]; then
	for n in "${names[@]}"; do
		"$oracle" "$out/$n.pcap" >"$out/expected/$n.oracle.jsonl" ||
			bad "$n: oracle failed"
	done
else
	log "warning: oracle $oracle not found: expected/ not regenerated, oracle checks skipped"
fi

# one handshake (1 record), given negotiated version/cipher, client max, SNI
one() { # NAME VERSION CIPHER CLIENT-MAX SNI
	expect "$1" "length == 1 and .[0].tls.version == \"$2\" and .[0].tls.cipher == \"$3\"
		and .[0].tls.client.version == \"$4\" and .[0].tls.client.server_name == \"$5\""
}
if [[ -x $oracle ]]; then
	one tls1_0 1.0 TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA 1.0 old.example
	one tls1_1 1.1 TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA 1.1 tls11.example
	one tls1_2 1.2 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 1.2 tls12.example
	one tls1_3 1.3 TLS_AES_256_GCM_SHA384 1.3 tls13.example
	one tls1_3_hrr 1.3 TLS_AES_256_GCM_SHA384 1.3 hrr.example
	expect tls1_3_hrr '.[0]._oracle.hrr == true and .[0]._oracle.client_hellos == 2'
	one server_tls1_0_only 1.0 TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA 1.3 modern.example
	expect client_tls1_0_refused 'length == 1 and (.[0].tls | has("version") | not)
		and .[0].tls.client.version == "1.0" and .[0].tls.client.server_name == "legacy.example"'
	expect resumed_tls1_2 'length == 2 and all(.[]; .tls.version == "1.2"
		and .tls.cipher == "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
		and .tls.client.version == "1.2" and .tls.client.server_name == "resume.example")'
	expect resumed_tls1_3 'length == 2 and all(.[]; .tls.version == "1.3"
		and .tls.cipher == "TLS_AES_256_GCM_SHA384"
		and .tls.client.version == "1.3" and .tls.client.server_name == "resume13.example")'
	one curl_tls1_3 1.3 TLS_AES_256_GCM_SHA384 1.3 curl.example
	one curl_tls1_2_max 1.2 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 1.2 curl.example
	expect curl_tls1_2_max '.[0].tls.client.supported_versions == ["1.2"]'
	one ipv6_tls1_2 1.2 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 1.2 ipv6.example
	expect ipv6_tls1_2 '.[0].source.ip == "::1"'
	one ecdsa_tls1_2 1.2 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 1.2 ecdsa.example
	one split_hello 1.3 TLS_AES_256_GCM_SHA384 1.3 "$long_sni"
fi

# what the oracle does not give: ALPN, alerts, resumption, segmentation
[[ $(tsf tls1_2 'tls.handshake.type == 2' tls.handshake.extensions_alpn_str) == h2 ]] ||
	bad "tls1_2: server did not choose ALPN h2"
[[ $(tsf ipv6_tls1_2 'tls.handshake.type == 2' tls.handshake.extensions_alpn_str) == http/1.1 ]] ||
	bad "ipv6_tls1_2: server did not choose ALPN http/1.1"
[[ $(tsf client_tls1_0_refused 'tls.alert_message.desc == 70' frame.number) ]] ||
	bad "client_tls1_0_refused: no protocol_version alert"
[[ -z $(tsf client_tls1_0_refused 'tls.handshake.type == 2' frame.number) ]] ||
	bad "client_tls1_0_refused: has a ServerHello"
mapfile -t sids < <(tsf resumed_tls1_2 'tls.handshake.type == 1 || tls.handshake.type == 2' \
	tls.handshake.type tls.handshake.session_id)
# CH1 (empty id), SH1 (id A), CH2 (id A), SH2 (id A)
if ((${#sids[@]} != 4)) || [[ ${sids[1]#*$'\t'} == "" ||
	${sids[2]#*$'\t'} != "${sids[1]#*$'\t'}" || ${sids[3]#*$'\t'} != "${sids[1]#*$'\t'}" ]]; then
	bad "resumed_tls1_2: second connection did not resume by session id: ${sids[*]}"
fi
[[ $(tsf resumed_tls1_3 'tls.handshake.type == 2 && tls.handshake.extension.type == 41' frame.number) ]] ||
	bad "resumed_tls1_3: server did not accept a PSK"
segs=$(tsf split_hello 'tls.handshake.type == 1' tcp.segment.count)
((${segs:-0} >= 3)) || bad "split_hello: ClientHello spans ${segs:-?} segments, want >= 3"
hrr=$(tsf tls1_3_hrr 'tls.handshake.type == 2' tls.handshake.random | head -1)
[[ $hrr == cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c ]] ||
	bad "tls1_3_hrr: first ServerHello is not a HelloRetryRequest"

((fails == 0)) || die "$fails check(s) failed"
log "all checks passed: ${names[*]}"
