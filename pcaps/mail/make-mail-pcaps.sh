#!/usr/bin/env bash
# make-mail-pcaps.sh: capture REAL mail sessions (IMAP, POP3, SMTP; STARTTLS,
# implicit TLS and plaintext logins) as .pcap files in this directory, write
# README.md, then run check-mail-pcaps.sh (tshark oracle -> expected/, capture
# checks, tlsmon compared with the oracle and the expectations).
#
# Servers: dovecot (IMAP 143/993, POP3 110/995) and aiosmtpd (SMTP 25), each
# with a throwaway config, a static test user (tlsmon / secret) and a
# self-signed certificate generated at run time, all in a temp dir that is
# deleted on exit.  Clients: openssl s_client, curl, a bash /dev/tcp script.
# Everything runs inside a throwaway network namespace (tlsmon-mail-PID):
# only its own loopback carries traffic; every daemon is stopped at the end.
# Nothing under /etc is written (apt installs the packages with their stock
# configs; services are not started by apt: a policy-rc.d denies it).
#
# Usage: pcaps/mail/make-mail-pcaps.sh [--no-check] [--out DIR]
#   --no-check  captures and README only: do not run check-mail-pcaps.sh
#   --out DIR   write captures/expected to DIR (default: this script's dir)
# Environment: ORACLE (default ../shared/tools/oracle beside the repo),
#              TLSMON (default ../../tlsmon relative to this script),
#              KEEP_WORK=1 keeps the temp dir (server/client logs) for debugging
# Exit: 0 captures made (tlsmon disagreements are REPORTED, not fatal);
#       1 a capture could not be made or does not show what it should.
# Takes about 40 s (plus apt the first time).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$here
check=1
oracle=${ORACLE:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../../../shared/tools/oracle}
tlsmon=${TLSMON:-$(cd "$here/../.." && pwd)/tlsmon}

while (($#)); do
	case $1 in
	--no-check) check=0 ;;
	--out)
		out=${2:?--out needs a directory}
		shift
		;;
	-h | --help)
		sed -n '2,24p' "${BASH_SOURCE[0]}"
		exit 0
		;;
	*)
		echo "make-mail-pcaps: unknown argument: $1" >&2
		exit 2
		;;
	esac
	shift
done

log() { printf 'make-mail-pcaps: %s\n' "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

((EUID == 0)) || die "must run as root (network namespaces, ports < 1024)"

# ------------------------------------------------------------------ tools
PY=/usr/bin/python3 # Debian's python (python3-aiosmtpd), not a pyenv one
policy_made=0
cleanup_policy() {
	if ((policy_made)); then
		rm -f /usr/sbin/policy-rc.d
		policy_made=0
	fi
}
apt_install() {
	# never let apt start the system's dovecot (or anything else)
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
command -v curl >/dev/null || need+=(curl)
{ command -v ip >/dev/null && command -v ss >/dev/null; } || need+=(iproute2)
command -v ethtool >/dev/null || need+=(ethtool)
[[ -x /usr/sbin/dovecot ]] || need+=(dovecot-core)
[[ -x /usr/lib/dovecot/imap-login ]] || need+=(dovecot-imapd)
[[ -x /usr/lib/dovecot/pop3-login ]] || need+=(dovecot-pop3d)
{ [[ -x $PY ]] && "$PY" -c 'import aiosmtpd' 2>/dev/null; } || need+=(python3-aiosmtpd)
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
NS=tlsmon-mail-$$
work=$(mktemp -d /tmp/tlsmon-mail.XXXXXX)
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

# dovecot's login processes (dovenull) and mail processes (dovecot) must be
# able to reach their directories under $work
chmod 755 "$work"
cd "$work"
mkdir -p "$out" "$out/expected"

log "generating a throwaway certificate in $work"
openssl req -x509 -newkey rsa:2048 -nodes -keyout mail.key -out mail.crt -days 30 \
	-subj /CN=mail.tlsmon.test -addext subjectAltName=DNS:mail.tlsmon.test 2>/dev/null
chmod 644 mail.key mail.crt

OLD='DEFAULT:@SECLEVEL=0' # lets OpenSSL 3 speak TLS 1.0/1.1 (SHA-1 signatures)
USER_=tlsmon
PASS_=secret

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

cap_pid=""
cap_name=""
cap_start() { # NAME FILTER
	local name=$1 filter=$2 i
	cap_name=$name
	rm -f "$name.pcap"
	: >"$name.client.log"
	log "== $name"
	# not through nsx: $! must be the process that forwards our signal
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

wait_bounded() { # PID SECONDS
	local pid=$1 i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

cap_stop() { # DESCRIPTION (README text)
	local name=$cap_name
	sleep 0.4 # let the last FIN/ACKs through
	kill -INT "$cap_pid" 2>/dev/null || true
	wait_bounded "$cap_pid" 5
	[[ -s $name.pcap ]] || die "$name: empty capture"
	cat "$name.pcap" >"$out/$name.pcap"
	log "$name.pcap: $(grep -o '^[0-9]* packets captured' "$name.tcpdump.log" || echo '?')"
	names+=("$name")
	readme+=("### \`$name.pcap\`"$'\n\n'"$1"$'\n\n'"${cmds}")
	cmds=""
}

# run one client command in the namespace, its stdin fed by a "script" of
# lines and pauses; WANT is ok (exit 0), fail (non-zero) or any
cmds="" # README lines for the current capture
run() { # WANT SCRIPT-FUNCTION|- CMD...
	local want=$1 feed=$2 rc=0
	shift 2
	cmds+="    client: $(cmdline "$@")"$'\n'
	if [[ $feed == - ]]; then
		nsx timeout 15 "$@" </dev/null >>"$cap_name.client.log" 2>&1 || rc=$?
	else
		cmds+="      stdin: $("$feed" describe)"$'\n'
		"$feed" | nsx timeout 15 "$@" >>"$cap_name.client.log" 2>&1 || rc=$?
	fi
	case $want in
	ok) ((rc == 0)) || die "$cap_name: client failed (rc=$rc): $(tail -5 "$cap_name.client.log")" ;;
	fail) ((rc != 0)) || die "$cap_name: client succeeded but should have failed" ;;
	esac
	sleep 0.2
}

# stdin feeds: the client's commands after the TLS handshake (s_client reads
# stdin only once the handshake is done); pauses let the replies arrive
feed_imap() {
	[[ ${1:-} == describe ]] && {
		echo "a1 LOGIN $USER_ $PASS_ / a2 LOGOUT"
		return
	}
	sleep 0.6
	printf 'a1 LOGIN %s %s\n' "$USER_" "$PASS_"
	sleep 0.4
	printf 'a2 LOGOUT\n'
	sleep 0.4
}
feed_pop3() {
	[[ ${1:-} == describe ]] && {
		echo "USER $USER_ / PASS $PASS_ / STAT / QUIT"
		return
	}
	sleep 0.6
	printf 'USER %s\n' "$USER_"
	sleep 0.2
	printf 'PASS %s\n' "$PASS_"
	sleep 0.4
	printf 'STAT\n'
	sleep 0.2
	printf 'QUIT\n'
	sleep 0.4
}
feed_smtp() {
	[[ ${1:-} == describe ]] && {
		echo "EHLO client.example / MAIL FROM / RCPT TO / DATA / (message) / . / QUIT"
		return
	}
	sleep 0.6
	printf 'EHLO client.example\n'
	sleep 0.2
	printf 'MAIL FROM:<alice@example.org>\n'
	sleep 0.2
	printf 'RCPT TO:<bob@example.org>\n'
	sleep 0.2
	printf 'DATA\n'
	sleep 0.2
	printf 'Subject: tlsmon test\n\nhello over STARTTLS\n.\n'
	sleep 0.3
	printf 'QUIT\n'
	sleep 0.4
}
feed_none() {
	[[ ${1:-} == describe ]] && {
		echo "(nothing; EOF after 3 s)"
		return
	}
	sleep 3
}

# ------------------------------------------------------------------ servers
# dovecot: one instance per TLS policy, IMAP 143/993 + POP3 110/995
dove_pid=""
dove_desc=""
dove_start() { # NAME SSL_MIN_PROTOCOL SSL_CIPHER_LIST
	local name=$1 minp=$2 ciphers=$3 d=$work/$1 i
	mkdir -p "$d/home" "$d/state"
	chown dovecot:dovecot "$d/home"
	cat >"$d/dovecot.conf" <<EOF
# throwaway dovecot config for make-mail-pcaps.sh
protocols = imap pop3
listen = 127.0.0.1
base_dir = $d/run
state_dir = $d/state
log_path = $d/dovecot.log
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 1
first_valid_gid = 1
ssl = yes
ssl_cert = <$work/mail.crt
ssl_key = <$work/mail.key
ssl_min_protocol = $minp
ssl_cipher_list = $ciphers
verbose_ssl = yes
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
passdb {
  driver = static
  args = password=$PASS_
}
userdb {
  driver = static
  args = uid=dovecot gid=dovecot home=$d/home/%u
}
mail_location = maildir:~/Maildir
service imap-login {
  inet_listener imap {
    port = 143
  }
  inet_listener imaps {
    port = 993
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 110
  }
  inet_listener pop3s {
    port = 995
    ssl = yes
  }
}
EOF
	ip netns exec "$NS" timeout 120 /usr/sbin/dovecot -F -c "$d/dovecot.conf" \
		>"$d/stdout.log" 2>&1 </dev/null &
	dove_pid=$!
	pids+=("$dove_pid")
	for ((i = 0; i < 100; i++)); do
		[[ -n $(nsx ss -Hltn "sport = :995") ]] && [[ -n $(nsx ss -Hltn "sport = :143") ]] && break
		kill -0 "$dove_pid" 2>/dev/null || die "dovecot $name died: $(cat "$d/stdout.log" "$d/dovecot.log" 2>/dev/null)"
		sleep 0.1
	done
	((i < 100)) || die "dovecot $name: not listening"
	dove_desc="dovecot \"$name\" (\`ssl_min_protocol = $minp\`, \`ssl_cipher_list = $ciphers\`; \
the rest as described at the top)."
}
dove_stop() {
	kill "$dove_pid" 2>/dev/null || true # timeout passes SIGTERM on to dovecot
	wait_bounded "$dove_pid" 5
	local i
	for ((i = 0; i < 30; i++)); do
		[[ -z $(nsx ss -Hltn "sport = :143") ]] && return 0
		sleep 0.1
	done
	die "dovecot did not stop"
}

# aiosmtpd on 25, with STARTTLS (tls) or without (plain)
smtp_pid=""
smtp_desc=""
smtp_start() { # tls|plain
	local mode=$1 i args=(-m aiosmtpd -n -c aiosmtpd.handlers.Sink -l 127.0.0.1:25)
	[[ $mode == tls ]] && args+=(--tlscert mail.crt --tlskey mail.key) # relative to $work
	ip netns exec "$NS" timeout 60 "$PY" "${args[@]}" >"$work/smtp-$mode.log" 2>&1 </dev/null &
	smtp_pid=$!
	pids+=("$smtp_pid")
	for ((i = 0; i < 100; i++)); do
		[[ -n $(nsx ss -Hltn "sport = :25") ]] && break
		kill -0 "$smtp_pid" 2>/dev/null || die "aiosmtpd died: $(cat "$work/smtp-$mode.log")"
		sleep 0.1
	done
	((i < 100)) || die "aiosmtpd: not listening"
	smtp_desc="aiosmtpd $("$PY" -c 'import aiosmtpd; print(aiosmtpd.__version__)') (Python \
asyncio SMTP server), \`$(cmdline python3 "${args[@]}")\`"
	if [[ $mode == tls ]]; then
		smtp_desc+=": advertises STARTTLS and requires it before MAIL (\`require_starttls\`)."
	else
		smtp_desc+=": no certificate, so no STARTTLS in the EHLO reply; a STARTTLS command is \
answered \`454 TLS not available\`."
	fi
}
smtp_stop() {
	kill "$smtp_pid" 2>/dev/null || true
	wait_bounded "$smtp_pid" 5
}

SC=(openssl s_client -crlf -nocommands -ign_eof) # -ign_eof: stdin EOF does not cut the reply short
CURL=(curl -q -sS -k --noproxy '*' --max-time 10)

# ------------------------------------------------------------------ IMAP/POP3, TLS >= 1.2
dove_start d12 TLSv1.2 'ALL:!DH:!kRSA:!aNULL:!eNULL:!EXPORT:!LOW'
D12=$dove_desc

cap_start imap_starttls_tls12 'tcp port 143'
run ok feed_imap "${SC[@]}" -starttls imap -connect 127.0.0.1:143 -tls1_2 -servername imap.example
cap_stop "IMAP STARTTLS on 143: the server greets, \`s_client\` sends CAPABILITY and STARTTLS \
(tagged OK), then a TLS 1.2 only ClientHello; then LOGIN and LOGOUT over TLS. \
Negotiated TLS 1.2, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384; client max 1.2; SNI \
\`imap.example\`; encapsulation starttls, protocol imap; established.

Server: $D12"

cap_start imap_starttls_tls10_refused 'tcp port 143'
run fail - "${SC[@]}" -starttls imap -connect 127.0.0.1:143 -tls1 -cipher "$OLD" -servername legacy.example
cap_stop "IMAP STARTTLS accepted (\`. OK Begin TLS negotiation now.\`), but the client offers \
only TLS 1.0 and the server requires TLS 1.2+: dovecot rejects the ClientHello and closes the \
connection (FIN, without flushing OpenSSL's protocol_version alert); s_client then sends a \
fatal alert of its own (decode_error, 50) and the server answers with RST. No ServerHello, \
so no negotiated version/cipher. \
Client max 1.0; SNI \`legacy.example\`; encapsulation starttls, protocol imap; NOT established.

Server: $D12"

cap_start imaps_993 'tcp port 993'
run ok feed_imap "${SC[@]}" -connect 127.0.0.1:993 -servername imaps.example
cap_stop "IMAPS: implicit TLS on 993, default \`s_client\` (offers TLS 1.3 and 1.2), LOGIN \
and LOGOUT inside TLS. Negotiated TLS 1.3, TLS_AES_256_GCM_SHA384; client max 1.3; SNI \
\`imaps.example\`; encapsulation direct, protocol imap; established.

Server: $D12"

cap_start pop3_stls 'tcp port 110'
run ok feed_pop3 "${SC[@]}" -starttls pop3 -connect 127.0.0.1:110 -servername pop3.example
cap_stop "POP3 STLS on 110: greeting, \`STLS\`, \`+OK\`, then a default ClientHello; USER, \
PASS, STAT, QUIT over TLS. Negotiated TLS 1.3, TLS_AES_256_GCM_SHA384; client max 1.3; SNI \
\`pop3.example\`; encapsulation starttls, protocol pop3; established.

Server: $D12"

cap_start pop3s_995 'tcp port 995'
run ok feed_pop3 "${SC[@]}" -connect 127.0.0.1:995 -tls1_2 -servername pop3s.example
cap_stop "POP3S: implicit TLS on 995 with a TLS 1.2 only client; USER, PASS, STAT, QUIT \
inside TLS. Negotiated TLS 1.2, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384; client max 1.2; SNI \
\`pop3s.example\`; encapsulation direct, protocol pop3; established.

Server: $D12"

# POP3 in clear: a bash /dev/tcp client (USER/PASS) and curl (which prefers
# SASL: AUTH PLAIN, since dovecot's CAPA lists SASL PLAIN LOGIN)
pop3_bash() {
	local greet line
	exec 3<>/dev/tcp/127.0.0.1/110
	read -r -t 5 greet <&3
	printf 'CAPA\r\n' >&3
	while read -r -t 5 line <&3; do [[ $line == .$'\r' ]] && break; done
	printf 'USER %s\r\n' "$USER_" >&3
	read -r -t 5 line <&3
	printf 'PASS %s\r\n' "$PASS_" >&3
	read -r -t 5 line <&3
	[[ $line == +OK* ]] || {
		echo "PASS refused: $line"
		return 1
	}
	printf 'STAT\r\n' >&3
	read -r -t 5 line <&3
	printf 'QUIT\r\n' >&3
	read -r -t 5 line <&3
	exec 3>&-
	echo "ok: ${greet%$'\r'}"
}
export -f pop3_bash
export USER_ PASS_
cap_start pop3_plaintext_login 'tcp port 110'
run ok - bash -c pop3_bash
cmds="    client: bash /dev/tcp script: CAPA / USER $USER_ / PASS $PASS_ / STAT / QUIT (CRLF)"$'\n'
run ok - "${CURL[@]}" -o /dev/null "pop3://$USER_:$PASS_@127.0.0.1:110/"
cap_stop "POP3 logins in clear on 110, no TLS at all (two sessions). (1) a bash /dev/tcp \
client: CAPA (the reply lists \`STLS\`), USER/PASS, STAT, QUIT. (2) curl without \`--ssl\`: \
CAPA, then \`AUTH PLAIN <base64>\` (curl prefers SASL when CAPA lists it), LIST, QUIT. \
Expected from tlsmon: no handshake line; two \`tlsmon.plaintext\` lines, protocol pop3, \
\`starttls_offered: true\`, \`credentials_in_clear\` \`USER/PASS\` then \`AUTH PLAIN\`.

Server: $D12"

imap_bash() {
	local greet line
	exec 3<>/dev/tcp/127.0.0.1/143
	read -r -t 5 greet <&3
	printf 'c1 CAPABILITY\r\n' >&3
	while read -r -t 5 line <&3; do [[ $line == c1\ * ]] && break; done
	printf 'c2 LOGIN %s %s\r\n' "$USER_" "$PASS_" >&3
	while read -r -t 5 line <&3; do [[ $line == c2\ * ]] && break; done
	[[ $line == 'c2 OK'* ]] || {
		echo "LOGIN refused: $line"
		return 1
	}
	printf 'c3 LIST "" "*"\r\n' >&3
	while read -r -t 5 line <&3; do [[ $line == c3\ * ]] && break; done
	printf 'c4 LOGOUT\r\n' >&3
	while read -r -t 5 line <&3; do [[ $line == c4\ * ]] && break; done
	exec 3>&-
	echo "ok: ${greet%$'\r'}"
}
export -f imap_bash
cap_start imap_plaintext_login 'tcp port 143'
run ok - bash -c imap_bash
cmds="    client: bash /dev/tcp script: c1 CAPABILITY / c2 LOGIN $USER_ $PASS_ / c3 LIST \"\" \"*\" / c4 LOGOUT (CRLF)"$'\n'
run ok - "${CURL[@]}" -o /dev/null "imap://$USER_:$PASS_@127.0.0.1:143/"
cap_stop "IMAP logins in clear on 143, no TLS at all (two sessions). (1) a bash /dev/tcp \
client: CAPABILITY (lists \`STARTTLS\`), \`LOGIN tlsmon secret\`, LIST, LOGOUT. (2) curl \
without \`--ssl\`: CAPABILITY, then \`AUTHENTICATE PLAIN <base64>\` (curl prefers SASL when \
the server lists \`AUTH=PLAIN\`; curl 7.88 has no login option that forces the LOGIN \
command), LIST, LOGOUT. Expected from tlsmon: no handshake line; two \`tlsmon.plaintext\` \
lines, protocol imap, \`starttls_offered: true\`, \`credentials_in_clear\` \`LOGIN\` then \
\`AUTHENTICATE PLAIN\` (the spec's list names \`AUTH PLAIN\`, the SMTP/POP3 spelling; the \
check accepts either).

Server: $D12"
dove_stop

# ------------------------------------------------------------------ IMAP, TLS 1.0 allowed
dove_start d10 TLSv1 "$OLD"
D10=$dove_desc

cap_start imap_starttls_tls10_allowed 'tcp port 143'
run ok feed_imap "${SC[@]}" -starttls imap -connect 127.0.0.1:143 -tls1 -cipher "$OLD" -servername old.example
cap_stop "IMAP STARTTLS with a TLS 1.0 only client against a dovecot that allows TLS 1.0; \
LOGIN and LOGOUT over TLS. Negotiated TLS 1.0, TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA; client \
max 1.0; SNI \`old.example\`; encapsulation starttls, protocol imap; established.

Server: $D10"

cap_start curl_imap_tls_max_1_1 'tcp port 143'
run ok - "${CURL[@]}" -o /dev/null --ssl-reqd --tlsv1.0 --tls-max 1.1 --ciphers "$OLD" \
	--resolve "imap.example:143:127.0.0.1" "imap://$USER_:$PASS_@imap.example:143/"
cap_stop "curl IMAP with \`--ssl-reqd --tls-max 1.1\` (and \`--tlsv1.0 --ciphers $OLD\`, \
needed for OpenSSL 3 to offer anything below 1.2): CAPABILITY, STARTTLS, a ClientHello \
offering TLS 1.1 (legacy_version 1.1, no supported_versions extension), then \
AUTHENTICATE PLAIN, LIST, LOGOUT over TLS. Negotiated TLS 1.1, \
TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA; client max 1.1; SNI \`imap.example\`; encapsulation \
starttls, protocol imap; established.

Server: $D10"
dove_stop

# ------------------------------------------------------------------ SMTP
printf 'From: alice@example.org\r\nTo: bob@example.org\r\nSubject: tlsmon test\r\n\r\nhello\r\n' >msg.txt

smtp_start tls
cap_start smtp_starttls 'tcp port 25'
run ok feed_smtp "${SC[@]}" -starttls smtp -name client.example -connect 127.0.0.1:25 -servername smtp.example
run ok - "${CURL[@]}" --ssl-reqd --resolve "smtp.example:25:127.0.0.1" "smtp://smtp.example:25/client.example" \
	--mail-from alice@example.org --mail-rcpt bob@example.org -T msg.txt
cap_stop "SMTP STARTTLS on 25 (two sessions). (1) \`s_client -starttls smtp\`: EHLO (reply \
lists STARTTLS), STARTTLS, \`220 Ready to start TLS\`, default ClientHello; then EHLO, MAIL, \
RCPT, DATA, QUIT over TLS. (2) curl \`--ssl-reqd\`: EHLO, STARTTLS, ClientHello (ALPN absent), \
then EHLO, MAIL, RCPT, DATA, QUIT. Both: negotiated TLS 1.3, TLS_AES_256_GCM_SHA384; client \
max 1.3; SNI \`smtp.example\`; encapsulation starttls, protocol smtp; established.

Server: $smtp_desc"
smtp_stop

# SMTP in clear: EHLO, STARTTLS (refused with 454), QUIT
smtp_bash() {
	local line
	exec 3<>/dev/tcp/127.0.0.1/25
	read -r -t 5 line <&3
	printf 'EHLO client.example\r\n' >&3
	while read -r -t 5 line <&3; do [[ $line == 250\ * ]] && break; done
	printf 'STARTTLS\r\n' >&3
	read -r -t 5 line <&3
	[[ $line == 454* ]] || {
		echo "STARTTLS not refused: $line"
		return 1
	}
	printf 'QUIT\r\n' >&3
	read -r -t 5 line <&3
	exec 3>&-
	echo "ok: STARTTLS refused"
}
export -f smtp_bash
smtp_start plain
cap_start smtp_starttls_refused 'tcp port 25'
run fail feed_none "${SC[@]}" -starttls smtp -name client.example -connect 127.0.0.1:25 -servername smtp.example
run fail - "${CURL[@]}" --ssl-reqd --resolve "smtp.example:25:127.0.0.1" "smtp://smtp.example:25/client.example" \
	--mail-from alice@example.org --mail-rcpt bob@example.org -T msg.txt
run ok - bash -c smtp_bash
cmds=${cmds%"    client: bash -c smtp_bash"$'\n'}
cmds+="    client: bash /dev/tcp script: EHLO client.example / STARTTLS / QUIT (CRLF)"$'\n'
cap_stop "SMTP against a server that does NOT offer STARTTLS (three sessions). (1) \
\`s_client -starttls smtp\`: EHLO (no STARTTLS in the reply; s_client prints \"Didn't find \
STARTTLS in server response, trying anyway...\"), STARTTLS, \`454 TLS not available\`; \
s_client then sends its ClientHello anyway into the plaintext session, the server answers \
with \`500 Error: bad syntax\` lines and s_client gives up (no ServerHello). (2) curl \`--ssl-reqd\`: EHLO \
(no STARTTLS), then curl quits (\"STARTTLS not supported\", exit 64) without sending \
STARTTLS. (3) a bash /dev/tcp client: EHLO (no STARTTLS), STARTTLS, \`454 TLS not \
available\`, QUIT: the plain \"refused\" case. The oracle sees one handshake: the stray \
ClientHello of (1) (no ServerHello; encapsulation starttls). Expected from tlsmon: that \
handshake line (not established), and \`tlsmon.plaintext\` lines, protocol smtp, \
\`starttls_offered: false\`, no credentials, for (2) and (3), (3) with \
\`starttls_refused: true\`; (1) asked for STARTTLS and was refused (454) too, so the check \
also expects a plaintext line with \`starttls_refused: true\` for it (the spec leaves open \
whether a session that got 454 and then sent a ClientHello anyway is \"plaintext\").

Server: $smtp_desc"
smtp_stop

# ------------------------------------------------------------------ README
{
	cat <<'EOF'
# Mail captures: IMAP, POP3, SMTP with STARTTLS, implicit TLS, and in clear

Generated by `make-mail-pcaps.sh` (run as root; about 40 s; it installs what it needs with
apt-get: dovecot-imapd, dovecot-pop3d, python3-aiosmtpd, openssl, curl, tcpdump, iproute2,
ethtool, and for the checks tshark and jq; apt is kept from starting the system's dovecot by
a `policy-rc.d` that denies it, created only for the install when there is none):

    pcaps/mail/make-mail-pcaps.sh             # captures + README + check-mail-pcaps.sh
    pcaps/mail/make-mail-pcaps.sh --no-check  # captures + README only
    pcaps/mail/check-mail-pcaps.sh [--strict] # re-check a rebuilt tlsmon (no root)

Each capture is taken with `tcpdump -i lo -U --immediate-mode -w NAME.pcap 'tcp port N'`
inside a throwaway network namespace (`tlsmon-mail-PID`, loopback only, TSO/GSO/GRO off),
link type Ethernet, 127.0.0.1 to 127.0.0.1. The servers are real mail servers run with
throwaway configs in a temp dir (deleted on exit; `KEEP_WORK=1` keeps it with the server and
client logs), all stopped at the end:

- IMAP and POP3: dovecot 2.3.19 from Debian, `dovecot -F -c TMP/dovecot.conf`, with its own
  `base_dir`, `state_dir` and `log_path`, `listen = 127.0.0.1`, listeners imap 143
  (STARTTLS), imaps 993, pop3 110 (STLS), pop3s 995; `disable_plaintext_auth = no`,
  `auth_mechanisms = plain login`, a static passdb (`args = password=secret`) and a static
  userdb (`uid=dovecot gid=dovecot home=TMP/home/%u`, `mail_location = maildir:~/Maildir`),
  so any user name logs in with the password `secret` (the captures use `tlsmon`). Two TLS
  policies: `ssl_min_protocol = TLSv1.2`,
  `ssl_cipher_list = ALL:!DH:!kRSA:!aNULL:!eNULL:!EXPORT:!LOW` ("d12"), and
  `ssl_min_protocol = TLSv1`, `ssl_cipher_list = DEFAULT:@SECLEVEL=0` ("d10", which lets
  OpenSSL 3 speak TLS 1.0/1.1).
- SMTP: aiosmtpd 1.4 (Python asyncio SMTP server, `python3 -m aiosmtpd -n -c
  aiosmtpd.handlers.Sink -l 127.0.0.1:25`), with `--tlscert/--tlskey` (advertises STARTTLS
  and requires it before MAIL) or without (no STARTTLS; the command gets `454 TLS not
  available`).
- Certificate: self-signed RSA 2048, `CN=mail.tlsmon.test`, generated at run time.

Clients: OpenSSL 3.0 `s_client` (`-crlf -nocommands -ign_eof`: commands are fed on stdin
with short pauses; `-nocommands` so that `QUIT`/`RCPT` lines are not taken as s_client's
Q/R commands), curl 7.88 (libcurl/OpenSSL), and small bash `/dev/tcp` scripts for the
plaintext logins. Random bytes, ports and timestamps differ per run, so `expected/` is
regenerated together with the captures.

## expected/

- `NAME.oracle.jsonl`: `/work/shared/tools/oracle NAME.pcap` (tshark; one line per
  handshake; knows nothing of plaintext sessions, ALPN, `established`).
- `NAME.tlsmon.ndjson`: `tlsmon -q -r NAME.pcap --log -` as of the last run. NOT a
  reference: `check-mail-pcaps.sh` compares it with the oracle (every oracle field:
  version, cipher, client version/supported_versions/supported_ciphers, SNI, JA3, JA3S,
  `@timestamp`; plus `tls.encapsulation` against the oracle and the expected value,
  `network.protocol`, `tls.established`) and with the expected `tlsmon.plaintext` lines
  stated below for each capture (matched to the TCP sessions by client port).
- `disagreements.txt`: every disagreement found by the last check (empty: none).

## Captures

EOF
	printf '%s\n' "${readme[@]}"
	cat <<'EOF'
## Notes: what the stacks do (and what could not be done)

- dovecot does not flush OpenSSL's `protocol_version` alert when it rejects a ClientHello:
  its log says `SSL alert: ... fatal protocol version` and `unsupported protocol`, but on the
  wire the server only closes (FIN); the alert in `imap_starttls_tls10_refused.pcap` is the
  client's (decode_error, 50), sent as it sees the connection end.
- curl 7.88 cannot be told to use the IMAP `LOGIN` command when the server lists
  `AUTH=PLAIN` (for IMAP, `--login-options AUTH=` only takes SASL mechanisms or `*`), so the
  IMAP `LOGIN` in clear is sent by a bash `/dev/tcp` client; curl's own session uses
  `AUTHENTICATE PLAIN`. Likewise curl's POP3 uses `AUTH PLAIN` (USER/PASS is its last
  resort), so USER/PASS comes from a bash client.
- `openssl s_client -starttls smtp` against a server without STARTTLS does not stop: it
  sends `STARTTLS` anyway and, after the `454`, its ClientHello into the plaintext session.
  curl `--ssl-reqd` stops after EHLO (exit 64) without asking; the clean "asked and
  refused" case comes from a bash client.
EOF
} >"$out/README.md"

log "captures written to $out: ${names[*]}"
if ((!check)); then
	log "done (no checks)"
	exit 0
fi
# stop here on a failed capture check; tlsmon disagreements are only reported
ORACLE=$oracle TLSMON=$tlsmon "$here/check-mail-pcaps.sh" --out "$out"

