#!/usr/bin/env bash
# check-mail-pcaps.sh: for each mail capture made by make-mail-pcaps.sh,
#  1. run the tshark oracle (expected/NAME.oracle.jsonl) and check that the
#     capture shows what it should (fatal when not: regenerate the captures);
#  2. run tlsmon (expected/NAME.tlsmon.ndjson) and compare it with the oracle
#     (every oracle field and @timestamp, plus tls.encapsulation,
#     network.protocol and tls.established) and with the expected tlsmon.plaintext lines (see
#     README.md); every disagreement is printed as "DISAGREEMENT NAME: ..."
#     and written to expected/disagreements.txt (empty when none).
# Needs tshark and jq, not root.  Runs after every make-mail-pcaps.sh; run it
# alone to re-check a rebuilt tlsmon against the same captures.
#
# Usage: pcaps/mail/check-mail-pcaps.sh [--out DIR] [--strict]
#   --out DIR  the captures' directory (default: this script's dir)
#   --strict   exit 3 when tlsmon disagrees (default: report, exit 0)
# Environment: ORACLE (default ../shared/tools/oracle beside the repo),
#              TLSMON (default ../../tlsmon relative to this script)
# Exit: 0 ok (or disagreements without --strict); 1 a capture check failed
#       or a tool is missing; 3 disagreements with --strict.
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
		sed -n '2,20p' "${BASH_SOURCE[0]}"
		exit 0
		;;
	*)
		echo "check-mail-pcaps: unknown argument: $1" >&2
		exit 2
		;;
	esac
	shift
done

log() { printf 'check-mail-pcaps: %s\n' "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

names=(imap_starttls_tls12 imap_starttls_tls10_refused imaps_993 pop3_stls pop3s_995
	pop3_plaintext_login imap_plaintext_login imap_starttls_tls10_allowed
	curl_imap_tls_max_1_1 smtp_starttls smtp_starttls_refused)
command -v tshark >/dev/null || die "tshark not found"
command -v jq >/dev/null || die "jq not found"
mkdir -p "$out/expected"
for n in "${names[@]}"; do
	[[ -s $out/$n.pcap ]] || die "$out/$n.pcap missing (run make-mail-pcaps.sh)"
done

# ------------------------------------------------------------------ checks
# 1. the captures show what they should (tshark/oracle): fatal when not
TS=(tshark -n -o tls.desegment_ssl_records:TRUE -o tcp.desegment_tcp_streams:TRUE)
fails=0
bad() {
	log "CAPTURE CHECK FAILED: $*"
	fails=$((fails + 1))
}
[[ -x $oracle ]] || die "oracle $oracle not found"
for n in "${names[@]}"; do
	"$oracle" "$out/$n.pcap" >"$out/expected/$n.oracle.jsonl" || bad "$n: oracle failed"
done
expect() { # NAME JQ-EXPR over the slurped oracle records
	jq -es "$2" "$out/expected/$1.oracle.jsonl" >/dev/null 2>&1 || bad "$1: $2"
}
tsf() { # NAME FILTER FIELD...
	local name=$1 filter=$2
	shift 2
	local f=() e
	for e in "$@"; do f+=(-e "$e"); done
	"${TS[@]}" -r "$out/$name.pcap" -Y "$filter" -T fields "${f[@]}" 2>/dev/null
}
one() { # NAME COUNT VERSION CIPHER CLIENT-MAX SNI ENCAPSULATION
	expect "$1" "length == $2 and all(.[]; .tls.version == \"$3\" and .tls.cipher == \"$4\"
		and .tls.client.version == \"$5\" and .tls.client.server_name == \"$6\"
		and ._oracle.encapsulation == \"$7\")"
}
one imap_starttls_tls12 1 1.2 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 1.2 imap.example starttls
expect imap_starttls_tls10_refused 'length == 1 and (.[0].tls | has("version") | not)
	and .[0].tls.client.version == "1.0" and .[0]._oracle.encapsulation == "starttls"'
one imaps_993 1 1.3 TLS_AES_256_GCM_SHA384 1.3 imaps.example direct
one pop3_stls 1 1.3 TLS_AES_256_GCM_SHA384 1.3 pop3.example starttls
one pop3s_995 1 1.2 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 1.2 pop3s.example direct
expect pop3_plaintext_login 'length == 0'
expect imap_plaintext_login 'length == 0'
one imap_starttls_tls10_allowed 1 1.0 TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA 1.0 old.example starttls
one curl_imap_tls_max_1_1 1 1.1 TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA 1.1 imap.example starttls
one smtp_starttls 2 1.3 TLS_AES_256_GCM_SHA384 1.3 smtp.example starttls
[[ $(tsf imap_starttls_tls10_refused 'tls.alert_message' frame.number) ]] ||
	bad "imap_starttls_tls10_refused: no TLS alert"
[[ -z $(tsf imap_starttls_tls10_refused 'tls.handshake.type == 2' frame.number) ]] ||
	bad "imap_starttls_tls10_refused: has a ServerHello"
[[ $(tsf imap_starttls_tls10_refused 'imap.response contains "Begin TLS"' frame.number) ]] ||
	bad "imap_starttls_tls10_refused: STARTTLS not accepted"
[[ $(tsf pop3_plaintext_login 'pop.request.command == "PASS"' frame.number) ]] ||
	bad "pop3_plaintext_login: no PASS command"
[[ $(tsf pop3_plaintext_login 'pop.request.command == "AUTH"' frame.number) ]] ||
	bad "pop3_plaintext_login: no AUTH command"
[[ $(tsf imap_plaintext_login 'imap.request.username == "tlsmon"' frame.number) ]] ||
	bad "imap_plaintext_login: no LOGIN command"
[[ $(tsf smtp_starttls_refused 'smtp.response.code == 454' frame.number) ]] ||
	bad "smtp_starttls_refused: no 454 reply"
[[ -z $(tsf smtp_starttls_refused 'tls.handshake.type == 2' frame.number) ]] ||
	bad "smtp_starttls_refused: has a ServerHello"
((fails == 0)) || die "$fails capture check(s) failed"
log "capture checks passed"

# 2. tlsmon against the oracle and the expectations: REPORTED, not fatal
# someone may be rebuilding tlsmon right now: wait a little for it
for ((i = 0; i < 30; i++)); do
	[[ -x $tlsmon ]] && break
	sleep 1
done
[[ -x $tlsmon ]] || die "$tlsmon not found (build it: make tlsmon)"
for n in "${names[@]}"; do
	"$tlsmon" -q -r "$out/$n.pcap" --log - >"$out/expected/$n.tlsmon.ndjson" ||
		log "DISAGREEMENT $n: tlsmon exited with $?"
done

# handshakes: every oracle field, plus encapsulation and network.protocol
# shellcheck disable=SC2016 # jq variables, not shell ones
CMP_HS='
def fields: [["tls","version_protocol"],["tls","version"],["tls","cipher"],
  ["tls","client","version_protocol"],["tls","client","version"],
  ["tls","client","supported_versions"],["tls","client","supported_ciphers"],
  ["tls","client","server_name"],["tls","client","ja3"],["tls","server","ja3s"]];
def key: "\(.source.ip):\(.source.port)->\(.destination.ip):\(.destination.port)";
def hs: [ $t[] | select(.event.dataset == "tlsmon.handshake") ];
( $o[] as $x
  | [ hs[] | select(key == ($x | key)) ] as $m
  | if ($m | length) == 0 then
      "\($x | key): oracle has a handshake (version \($x.tls.version // "none")), tlsmon has no tlsmon.handshake line"
    else $m[0] as $y
      | ( if ($m | length) > 1 then "\($x | key): tlsmon has \($m | length) handshake lines, oracle 1" else empty end ),
        ( fields[] as $p
          | ($x | getpath($p)) as $a | ($y | getpath($p)) as $b
          | select($a != $b)
          | "\($x | key): \($p | join(".")): oracle \($a | tojson), tlsmon \($b | tojson)" ),
        ( ($y.tls.encapsulation) as $e
          | select($e != $x._oracle.encapsulation or $e != $enc)
          | "\($x | key): tls.encapsulation: expected \($enc | tojson) (oracle \($x._oracle.encapsulation | tojson)), tlsmon \($e | tojson)" ),
        ( select($y["@timestamp"] != $x._oracle.time)
          | "\($x | key): @timestamp: oracle (first hello) \($x._oracle.time | tojson), tlsmon \($y["@timestamp"] | tojson)" ),
        ( ($y.network.protocol) as $np | select($np != $proto)
          | "\($x | key): network.protocol: expected \($proto | tojson), tlsmon \($np | tojson)" ),
        ( select($x.tls.version != null and $y.tls.established != true)
          | "\($x | key): tls.established: expected true (ServerHello and encrypted data both ways), tlsmon \($y.tls.established | tojson)" ),
        ( select($x.tls.version == null and $y.tls.established != false)
          | "\($x | key): tls.established: expected false (no ServerHello), tlsmon \($y.tls.established | tojson)" )
    end ),
( hs[] | key as $k | select([ $o[] | key ] | index($k) | not)
  | "\($k): tlsmon has a handshake line the oracle has not: \(tojson)" )
'
# plaintext sessions: $ports are the client ports of the capture's TCP
# sessions in order, $want[i] the tlsmon.plaintext line expected for session
# i: null (none; also when $want is shorter) or {protocol, offered, refused,
# cred: [acceptable values] or null for "absent"}
# shellcheck disable=SC2016
CMP_PLAIN='
def key: "\(.source.ip):\(.source.port)->\(.destination.ip):\(.destination.port)";
[ $t[] | select(.event.dataset == "tlsmon.plaintext") ] as $p
| ( range(0; $ports | length) as $i
    | $ports[$i] as $port | $want[$i] as $w
    | [ $p[] | select(.source.port == $port) ] as $m
    | "session \($i + 1) (client port \($port))" as $s
    | if $w == null then
        ( select($m | length > 0) | "\($s): tlsmon.plaintext line where none is expected: \($m[0] | tojson)" )
      elif ($m | length) == 0 then
        "\($s): expected a tlsmon.plaintext line (\($w | tojson)), tlsmon has none"
      else $m[0] as $g
        | ( select(($m | length) > 1) | "\($s): \($m | length) tlsmon.plaintext lines, expected 1" ),
          ( select($g.network.protocol != $w.protocol)
            | "\($s): network.protocol: expected \($w.protocol | tojson), tlsmon \($g.network.protocol | tojson)" ),
          ( select($g.tlsmon.starttls_offered != $w.offered)
            | "\($s): tlsmon.starttls_offered: expected \($w.offered | tojson), tlsmon \($g.tlsmon.starttls_offered | tojson)" ),
          ( select(($g.tlsmon.starttls_refused // false) != $w.refused)
            | "\($s): tlsmon.starttls_refused: expected \($w.refused | tojson), tlsmon \($g.tlsmon.starttls_refused | tojson)" ),
          ( $g.tlsmon.credentials_in_clear as $c
            | select(if $w.cred == null then $c != null else ($w.cred | index($c) | not) end)
            | "\($s): tlsmon.credentials_in_clear: expected \(if $w.cred == null then "absent" else ($w.cred | join(" or ")) end), tlsmon \($c | tojson)" )
      end ),
  ( $p[] | select(.source.port as $x | $ports | index($x) | not)
    | "tlsmon.plaintext line for an unknown session: \(tojson)" )
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
cmp_hs() { # NAME PROTOCOL ENCAPSULATION
	report "$1" < <(jq -rn --slurpfile o "$out/expected/$1.oracle.jsonl" \
		--slurpfile t "$out/expected/$1.tlsmon.ndjson" --arg proto "$2" --arg enc "$3" "$CMP_HS")
}
cmp_plain() { # NAME WANT-JSON
	local ports
	ports=$(tsf "$1" 'tcp.flags.syn == 1 && tcp.flags.ack == 0' tcp.srcport | jq -sc .)
	report "$1" < <(jq -rn --slurpfile t "$out/expected/$1.tlsmon.ndjson" --argjson want "$2" \
		--argjson ports "$ports" "$CMP_PLAIN")
}
NOPLAIN='[]'
for n in imap_starttls_tls12 imap_starttls_tls10_refused imap_starttls_tls10_allowed curl_imap_tls_max_1_1; do
	cmp_hs "$n" imap starttls
done
cmp_hs imaps_993 imap direct
cmp_hs pop3_stls pop3 starttls
cmp_hs pop3s_995 pop3 direct
cmp_hs smtp_starttls smtp starttls
cmp_hs pop3_plaintext_login pop3 starttls
cmp_hs imap_plaintext_login imap starttls
cmp_hs smtp_starttls_refused smtp starttls
# sessions that went to TLS (or tried: the STARTTLS of imap_starttls_tls10_refused
# was accepted, only the handshake failed) have a handshake line and no
# plaintext line
for n in imap_starttls_tls12 imap_starttls_tls10_refused imap_starttls_tls10_allowed \
	curl_imap_tls_max_1_1 imaps_993 pop3_stls pop3s_995 smtp_starttls; do
	cmp_plain "$n" "$NOPLAIN"
done
cmp_plain pop3_plaintext_login '[{"protocol":"pop3","offered":true,"refused":false,"cred":["USER/PASS"]},
	{"protocol":"pop3","offered":true,"refused":false,"cred":["AUTH PLAIN"]}]'
cmp_plain imap_plaintext_login '[{"protocol":"imap","offered":true,"refused":false,"cred":["LOGIN"]},
	{"protocol":"imap","offered":true,"refused":false,"cred":["AUTHENTICATE PLAIN","AUTH PLAIN"]}]'
cmp_plain smtp_starttls_refused '[{"protocol":"smtp","offered":false,"refused":true,"cred":null},
	{"protocol":"smtp","offered":false,"refused":false,"cred":null},
	{"protocol":"smtp","offered":false,"refused":true,"cred":null}]'

if ((disagree)); then
	log "$disagree tlsmon disagreement(s) (see above)"
	((!strict)) || exit 3
else
	log "tlsmon agrees with the oracle and the expectations on every capture"
fi
