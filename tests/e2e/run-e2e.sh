#!/usr/bin/env bash
# End-to-end tests for tlsmon, run by `make e2e` (after ./tlsmon and ./tlsmon-asan are built).
#
#   tests/e2e/run-e2e.sh                    run every check
#   tests/e2e/run-e2e.sh --update-expected  rewrite pcaps/expected/NAME.tlsmon.ndjson from the
#                                           current ./tlsmon, only for captures whose log agrees
#                                           with the tshark oracle (NAME.oracle.jsonl), then run
#
# What is checked (one "ok - NAME" / "not ok - NAME" line each, details as "#" lines under a
# failure, then exactly one line "N passed, M failed"; exit status 1 when M > 0):
#   1. pcaps/: every oracle handshake is in the log with the same fields (compare-oracle.py);
#      the log equals pcaps/expected/NAME.tlsmon.ndjson byte for byte; the facts tshark cannot
#      give, from pcaps/README.md (established, resumed, ALPN, alert, long SNI); a synthetic
#      SMTP STARTTLS capture around tls1_2's TLS bytes (make-starttls-pcap.py); every capture
#      rewritten as pcapng gives the same log, and pcapng timestamps near 2^64 us (make-pcapng.py).
#   2. every line of every log written by any run here is a JSON object.
#   3. error paths: exit status and a stderr message naming the file and the cause.
#   4. the summary on stdout; -q prints nothing.
#   5. the pcaps/ regression, STARTTLS, pcapng, the summary and the error paths again under
#      ./tlsmon-asan: same logs, same exit codes, nothing from the sanitizers on stderr.
# Environment: TLSMON, TLSMON_ASAN override the binaries (default ./tlsmon, ./tlsmon-asan).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

TLSMON=${TLSMON:-./tlsmon}
TLSMON_ASAN=${TLSMON_ASAN:-./tlsmon-asan}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
COMPARE=(python3 "$here/compare-oracle.py")

update=0
case "${1:-}" in
  --update-expected) update=1 ;;
  "") ;;
  *) echo "usage: $0 [--update-expected]" >&2; exit 2 ;;
esac

for tool in jq python3 "$TLSMON" "$TLSMON_ASAN"; do
  if ! command -v "$tool" >/dev/null; then
    echo "run-e2e: $tool not found (build with: make tlsmon tlsmon-asan)" >&2
    echo "0 passed, 1 failed"
    exit 2
  fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/tlsmon-e2e.XXXXXX")
cleanup() {
  chmod -R u+rwX "$work" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/logs" "$work/in"

passed=0
failed=0
skipped=0

# check NAME FUNCTION [ARGS...]: runs FUNCTION in a subshell with errexit on; it passes when it
# returns 0. Its output is shown (as "#" lines) only when it fails.
check() {
  local name=$1 rc
  shift
  set +e
  (set -e; "$@") >"$work/check.out" 2>&1
  rc=$?
  set -e
  if [ "$rc" -eq 0 ]; then
    echo "ok - $name"
    passed=$((passed + 1))
  else
    echo "not ok - $name"
    sed -e 's/^/#   /' "$work/check.out" | head -n 40
    failed=$((failed + 1))
  fi
}

skip() {
  echo "ok - $1 # SKIP $2"
  skipped=$((skipped + 1))
}

die() {
  echo "$*"
  exit 1
}

# run BIN ARGS...: runs tlsmon, leaving stdout, stderr and the exit status in $work/{out,err,rc}.
# Never fails itself.
run() {
  local rc=0
  "$@" >"$work/out" 2>"$work/err" </dev/null || rc=$?
  echo "$rc" >"$work/rc"
}

# run_stdin FILE BIN ARGS...: the same with stdin from FILE.
run_stdin() {
  local in=$1 rc=0
  shift
  "$@" >"$work/out" 2>"$work/err" <"$in" || rc=$?
  echo "$rc" >"$work/rc"
}

show_run() {
  echo "exit status $(cat "$work/rc")"
  echo "stderr:"
  head -c 2000 "$work/err"
}

# expect_rc STATUS: the exit status is STATUS and no sanitizer reported anything (LeakSanitizer
# exits 1 like a refused input, so the status alone does not tell).
expect_rc() {
  local want=$1 got
  expect_no_sanitizer
  got=$(cat "$work/rc")
  [ "$got" = "$want" ] || die "want exit status $want; $(show_run)"
}

# expect_stderr WORD...: every WORD (fixed string, case-insensitive) is in stderr.
expect_stderr() {
  local w
  for w in "$@"; do
    grep -qiF -- "$w" "$work/err" || die "stderr does not mention '$w'; $(show_run)"
  done
}

expect_no_stderr() {
  [ ! -s "$work/err" ] || die "unexpected stderr; $(show_run)"
}

expect_no_sanitizer() {
  if grep -qE 'runtime error|ERROR: AddressSanitizer|LeakSanitizer|SUMMARY: UndefinedBehaviorSanitizer' "$work/err"; then
    die "sanitizer report; $(show_run)"
  fi
}

# json_lines FILE: every line is a JSON object (and the file ends with a newline).
json_lines() {
  local f=$1
  [ -s "$f" ] || return 0
  [ "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" = '\n' ] || die "$f: last line has no newline"
  jq -e -n -R '[inputs | fromjson | type == "object"] | all' "$f" >/dev/null 2>"$work/jq.err" ||
    die "$f: a line is not a JSON object: $(head -c 500 "$work/jq.err")"
}

# field FILE INDEX JQ: the JSON value of the jq path JQ in line INDEX (0-based) of FILE.
field() {
  jq -c -s ".[$2] | $3" "$1"
}

expect_field() {
  local f=$1 i=$2 path=$3 want=$4 got
  got=$(field "$f" "$i" "$path")
  [ "$got" = "$want" ] || die "$(basename "$f") record $((i + 1)): $path is $got, want $want"
}

captures=()
for f in pcaps/*.pcap pcaps/*.pcapng; do
  [ -e "$f" ] && captures+=("$f")
done
[ "${#captures[@]}" -gt 0 ] || { echo "run-e2e: no captures in pcaps/" >&2; echo "0 passed, 1 failed"; exit 2; }

stem() {
  local b
  b=$(basename "$1")
  echo "${b%.*}"
}

# ---- 0. optional: rewrite the expected logs ------------------------------------------------
if [ "$update" -eq 1 ]; then
  for cap in "${captures[@]}"; do
    name=$(stem "$cap")
    rm -f "$work/update.ndjson"
    "$TLSMON" -q -r "$cap" --log "$work/update.ndjson"
    if "${COMPARE[@]}" --no-extra "pcaps/expected/$name.oracle.jsonl" "$work/update.ndjson" >"$work/update.out"; then
      cp "$work/update.ndjson" "pcaps/expected/$name.tlsmon.ndjson"
      echo "# updated pcaps/expected/$name.tlsmon.ndjson"
    else
      echo "# NOT updated pcaps/expected/$name.tlsmon.ndjson: the log disagrees with the oracle:"
      sed -e 's/^/#   /' "$work/update.out"
    fi
  done
fi

# ---- 1. regression on pcaps/ -----------------------------------------------------------------
t_oracle() {
  local cap=$1 name log
  name=$(stem "$cap")
  log="$work/logs/$name.ndjson"
  run "$TLSMON" -q -r "$cap" --log "$log"
  expect_rc 0
  expect_no_stderr
  [ ! -s "$work/out" ] || die "-q wrote to stdout"
  [ -f "$log" ] || die "no log written"
  json_lines "$log"
  "${COMPARE[@]}" --no-extra --timestamp "pcaps/expected/$name.oracle.jsonl" "$log"
}

t_regression() {
  local name=$1 exp="pcaps/expected/$1.tlsmon.ndjson"
  [ -f "$exp" ] || die "$exp is missing (make it with: tests/e2e/run-e2e.sh --update-expected)"
  [ -f "$work/logs/$name.ndjson" ] || die "no log from the oracle check"
  diff -u "$exp" "$work/logs/$name.ndjson" | cut -c1-300 | head -n 30 >&2 || true
  cmp -s "$exp" "$work/logs/$name.ndjson" ||
    die "log differs from $exp (regenerate with --update-expected if the change is intended)"
}

for cap in "${captures[@]}"; do
  name=$(stem "$cap")
  check "oracle: $name: every tshark handshake logged with the same fields" t_oracle "$cap"
  check "regression: $name: log equals pcaps/expected/$name.tlsmon.ndjson" t_regression "$name"
done

# Facts from pcaps/README.md that the oracle cannot give.
L="$work/logs"

t_established() {
  local name=$1 want=$2 n i
  n=$(jq -s length "$L/$name.ndjson")
  [ "$n" -gt 0 ] || die "no records"
  for ((i = 0; i < n; i++)); do
    expect_field "$L/$name.ndjson" "$i" .tls.established "$want"
  done
}

for cap in "${captures[@]}"; do
  name=$(stem "$cap")
  want=true
  [ "$name" = client_tls1_0_refused ] && want=false
  check "readme: $name: tls.established $want" t_established "$name" "$want"
done

t_resumed() {
  local f="$L/$1.ndjson"
  [ "$(jq -s length "$f")" = 2 ] || die "want 2 records, got $(jq -s length "$f")"
  expect_field "$f" 0 .tls.resumed false
  expect_field "$f" 1 .tls.resumed true
  # the second connection reuses the first's SNI, on another client port
  [ "$(field "$f" 0 .source.port)" != "$(field "$f" 1 .source.port)" ] || die "same client port twice"
}
check "readme: resumed_tls1_2: first connection full, second resumed (session id)" t_resumed resumed_tls1_2
check "readme: resumed_tls1_3: first connection full, second resumed (PSK)" t_resumed resumed_tls1_3

t_alpn() {
  local f="$L/tls1_2.ndjson"
  expect_field "$f" 0 .tls.next_protocol '"h2"'
  expect_field "$f" 0 .tls.client.alpn '["h2","http/1.1"]'
  expect_field "$L/ipv6_tls1_2.ndjson" 0 .tls.next_protocol '"http/1.1"'
  # TLS 1.3 sends the chosen protocol encrypted; curl's server chose none: never faked
  expect_field "$L/tls1_3.ndjson" 0 '.tls | has("next_protocol")' false
  expect_field "$L/curl_tls1_3.ndjson" 0 '.tls | has("next_protocol")' false
  expect_field "$L/curl_tls1_2_max.ndjson" 0 '.tls | has("next_protocol")' false
  expect_field "$L/curl_tls1_3.ndjson" 0 .tls.client.alpn '["h2","http/1.1"]'
}
check "readme: ALPN: tls1_2 chose h2, ipv6 http/1.1, none visible for TLS 1.3 or curl" t_alpn

t_refused() {
  local f="$L/client_tls1_0_refused.ndjson"
  [ "$(jq -s length "$f")" = 1 ] || die "want 1 record"
  expect_field "$f" 0 .tlsmon.end '"alert"'
  expect_field "$f" 0 .tlsmon.alert 70
  expect_field "$f" 0 .tls.established false
  expect_field "$f" 0 '.tls | has("version") or has("cipher") or has("server")' false
  expect_field "$f" 0 .tls.client.version '"1.0"'
  expect_field "$f" 0 .tls.client.server_name '"legacy.example"'
}
check "readme: client_tls1_0_refused: alert 70, no ServerHello fields, not established" t_refused

t_split() {
  local f="$L/split_hello.ndjson" sni
  sni="$(printf 'a%.0s' {1..60}).$(printf 'b%.0s' {1..60}).$(printf 'c%.0s' {1..60}).split.example"
  [ "${#sni}" = 196 ] || die "test bug: SNI length ${#sni}"
  expect_field "$f" 0 '.tls.client.server_name | length' 196
  expect_field "$f" 0 .tls.client.server_name "\"$sni\""
  expect_field "$f" 0 .tls.client.alpn \
    '["h2","http/1.1","http/1.0","spdy/3.1","h2c","acme-tls/1","imap","pop3","managesieve","ftp","xmpp-client","postgresql"]'
}
check "readme: split_hello: ClientHello over 3 segments, 196-char SNI, 12 ALPN protocols" t_split

t_versions() {
  # negotiated vs client max: "negotiating low, able to do better"
  expect_field "$L/server_tls1_0_only.ndjson" 0 '[.tls.version, .tls.client.version]' '["1.0","1.3"]'
  expect_field "$L/server_tls1_0_only.ndjson" 0 .tls.client.supported_versions '["1.3","1.2","1.1","1.0"]'
  expect_field "$L/curl_tls1_2_max.ndjson" 0 .tls.client.supported_versions '["1.2"]'
  expect_field "$L/ipv6_tls1_2.ndjson" 0 '[.source.ip, .destination.ip]' '["::1","::1"]'
  expect_field "$L/curl_tls1_3.ndjson" 0 .destination.port 8443
}
check "readme: server_tls1_0_only negotiates 1.0 with a 1.3 client; curl/ipv6 details" t_versions

# A synthetic SMTP STARTTLS connection carrying tls1_2.pcap's TLS bytes: the same hello fields
# (the tls1_2 oracle record, moved to the new addresses), found after the plaintext upgrade.
python3 "$here/make-starttls-pcap.py" pcaps/tls1_2.pcap "$work/in/smtp-starttls.pcap"
jq -c '.source = {"ip": "10.0.0.1", "port": 40000} | .destination = {"ip": "10.0.0.2", "port": 25}' \
  pcaps/expected/tls1_2.oracle.jsonl >"$work/in/smtp-starttls.oracle.jsonl"

t_starttls() {
  local log="$work/logs/$2-starttls.ndjson"
  run "$1" -q -r "$work/in/smtp-starttls.pcap" --log "$log"
  expect_rc 0
  expect_no_stderr
  json_lines "$log"
  "${COMPARE[@]}" --no-extra "$work/in/smtp-starttls.oracle.jsonl" "$log"
  expect_field "$log" 0 '[.tls.encapsulation, .network.protocol, .tls.established]' '["starttls","smtp",true]'
}
check "starttls: synthetic SMTP STARTTLS around tls1_2: same hellos, encapsulation starttls" t_starttls "$TLSMON" plain

# IP fragments (tests/fixtures/stacks, real stacks through a 1280-byte link): a ClientHello a
# router cut (IPv4, no DF) and a DTLS server flight its sender cut (IPv6) are read whole, in the
# plain build and under the sanitizers; the summary says what was put back together.
t_fragments() {
  local bin=$1 f n log
  for f in ipv4_fragments_tls1_2:4 ipv6_fragments_dtls1_2:1; do
    n=${f#*:}
    f=${f%:*}
    log="$work/logs/$f-$2.ndjson"
    run "$bin" -r "tests/fixtures/stacks/$f.pcap" --log "$log"
    expect_rc 0
    expect_no_sanitizer
    [ "$(jq -s length "$log")" = 1 ] || die "$f: want 1 record"
    expect_field "$log" 0 '[.tls.established, .tls.version, .tls.client.version]' '[true,"1.2","1.2"]'
    expect_field "$log" 0 '.tls.cipher' '"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"'
    expect_field "$log" 0 '.tls.client.ja3 | length' 32
    expect_field "$log" 0 '.tls.server.ja3s | length' 32
    grep -q "IP fragments: datagrams reassembled $n; dropped: overlapping 0, cut short 0, invalid 0; incomplete 0;" "$work/out" ||
      die "$f: summary: $(grep 'IP fragments' "$work/out")"
  done
}
check "fragments: IPv4 ClientHello cut by a router, IPv6 DTLS flight cut by its sender: whole" \
  t_fragments "$TLSMON" plain
check "fragments: the same under ASan/UBSan" t_fragments "$TLSMON_ASAN" asan

# The IPv4 capture again, each frame in an IP-in-IP tunnel whose packets over 1,280 bytes are cut
# (fragments inside fragments), and each frame twice (a SPAN port's copies): the same handshake,
# nothing left incomplete.
t_fragment_variants() {
  local v log want
  want=$(jq -c '[.tls.established, .tls.version, .tls.client.version, .tls.client.ja3, .tls.server.ja3s]' \
    "$work/logs/ipv4_fragments_tls1_2-plain.ndjson")
  for v in tunnel doubled; do
    python3 "$here/make-fragment-variants.py" tests/fixtures/stacks/ipv4_fragments_tls1_2.pcap "$v" \
      "$work/in/fragments-$v.pcap"
    log="$work/logs/fragments-$v.ndjson"
    run "$TLSMON" -r "$work/in/fragments-$v.pcap" --log "$log"
    expect_rc 0
    [ "$(jq -s length "$log")" = 1 ] || die "$v: want 1 record"
    expect_field "$log" 0 '[.tls.established, .tls.version, .tls.client.version, .tls.client.ja3, .tls.server.ja3s]' "$want"
    grep -q 'IP fragments: .*; dropped: overlapping 0, cut short 0, invalid 0; incomplete 0' "$work/out" ||
      die "$v: summary: $(grep 'IP fragments' "$work/out")"
    grep -q 'malformed 0' "$work/out" || die "$v: $(grep 'malformed' "$work/out")"
  done
}
check "fragments: the IPv4 capture in a tunnel cut again, and doubled: the same handshake" t_fragment_variants

# pcapng: each capture rewritten as pcapng (same packets, microsecond timestamps) gives the same
# log as the pcap.
t_pcapng() {
  local cap name
  for cap in "${captures[@]}"; do
    name=$(stem "$cap")
    python3 "$here/make-pcapng.py" "$cap" "$work/in/$name.pcapng"
    run "$1" -q -r "$work/in/$name.pcapng" --log "$work/logs/$2-$name-ng.ndjson"
    expect_rc 0
    expect_no_stderr
    cmp -s "$work/logs/$2-$name-ng.ndjson" "pcaps/expected/$name.tlsmon.ndjson" ||
      die "$name.pcapng: log differs from pcaps/expected/$name.tlsmon.ndjson"
  done
}
check "pcapng: every pcaps/ capture rewritten as pcapng gives the same log" t_pcapng "$TLSMON" plain

# pcapng timestamps are 64-bit counts of microseconds: far past 2^63 / 10^6 seconds they must
# not overflow (exit 0 or 1, no sanitizer report, @timestamp still RFC 3339 with microseconds).
python3 "$here/make-pcapng.py" --ts-base-us 18446744069414584320 pcaps/tls1_2.pcap "$work/in/bigts.pcapng"
t_bigts() {
  local log="$work/logs/$2-bigts.ndjson"
  run "$1" -q -r "$work/in/bigts.pcapng" --log "$log"
  expect_no_sanitizer
  case "$(cat "$work/rc")" in 0 | 1) ;; *) die "exit status $(cat "$work/rc"); $(show_run)" ;; esac
  json_lines "$log"
  [ ! -s "$log" ] || jq -e -s 'all(."@timestamp" | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z$"))' "$log" >/dev/null ||
    die "@timestamp not RFC 3339: $(jq -c '."@timestamp"' "$log")"
}
check "pcapng: timestamps near 2^64 microseconds: exit 0/1, well-formed @timestamp" t_bigts "$TLSMON" plain

# Files libpcap does not read go through Wireshark's wiretap: a capture rewritten by editcap as
# snoop and as Network Monitor 2 gives the same log; a pcapng of two captures with different link
# types (Ethernet and a Linux SLL capture of the corpus; libpcap 1.10 stops at the first SLL
# interface) gives both captures' handshakes (tlsmon.end aside: the older capture's flows go
# idle when the newer one's packets come).
t_other_formats() {
  local fmt
  for fmt in snoop netmon2; do
    editcap -F "$fmt" pcaps/tls1_2.pcap "$work/in/tls1_2.$fmt"
    run "$1" -q -r "$work/in/tls1_2.$fmt" --log "$work/logs/$2-tls1_2-$fmt.ndjson"
    expect_rc 0
    expect_no_stderr
    cmp -s "$work/logs/$2-tls1_2-$fmt.ndjson" pcaps/expected/tls1_2.tlsmon.ndjson ||
      die "tls1_2.$fmt: log differs from pcaps/expected/tls1_2.tlsmon.ndjson"
  done
  # wiretap opens JSON (and images) as one record each: still not a capture.
  run "$1" -q -r pcaps/expected/tls1_2.tlsmon.ndjson
  expect_rc 1
  grep -q 'tls1_2.tlsmon.ndjson: not a pcap or pcapng capture' "$work/err" ||
    die "a JSON log taken for a capture: $(show_run)"
}
sll_capture=../shared/corpus/ndpi/KakaoTalk_chat.pcap
t_mixed_linktypes() {
  mergecap -F pcapng -w "$work/in/mixed.pcapng" pcaps/tls1_2.pcap "$sll_capture"
  run "$1" -q -r "$sll_capture" --log "$work/logs/$2-sll.ndjson"
  expect_rc 0
  run "$1" -q -r "$work/in/mixed.pcapng" --log "$work/logs/$2-mixed.ndjson"
  expect_rc 0
  expect_no_stderr
  [ "$(wc -l <"$work/logs/$2-sll.ndjson")" -gt 0 ] || die "no handshake in $sll_capture"
  diff <(cat pcaps/expected/tls1_2.tlsmon.ndjson "$work/logs/$2-sll.ndjson" | jq -c 'del(.tlsmon)' | sort) \
    <(jq -c 'del(.tlsmon)' "$work/logs/$2-mixed.ndjson" | sort) ||
    die "mixed.pcapng: not the two captures' handshakes"
}
if command -v editcap >/dev/null && command -v mergecap >/dev/null; then
  check "formats: snoop and Network Monitor rewrites of tls1_2 give its log (wiretap)" \
    t_other_formats "$TLSMON" plain
  if [ -f "$sll_capture" ]; then
    check "formats: a pcapng with Ethernet and Linux SLL interfaces: both captures' handshakes" \
      t_mixed_linktypes "$TLSMON" plain
  else
    skip "formats: pcapng with mixed link types" "$sll_capture not found"
  fi
else
  skip "formats: wiretap" "editcap/mergecap not installed"
fi

# ---- 3. error paths ----------------------------------------------------------------------
# Each takes the binary as $1 so the same checks run under ./tlsmon-asan (section 5).
E="$work/in"
printf 'this is not a capture\n' >"$E/notes.txt"
: >"$E/empty.pcap"
sz=$(stat -c %s pcaps/resumed_tls1_2.pcap)
head -c $((sz - 10)) pcaps/resumed_tls1_2.pcap >"$E/cut.pcap"
python3 - "$E/user0.pcap" <<'EOF'
import struct, sys
# pcap global header: magic, v2.4, thiszone, sigfigs, snaplen, linktype 147 (DLT_USER0)
hdr = struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 147)
data = bytes(range(32))
rec = struct.pack('<IIII', 1700000000, 0, len(data), len(data)) + data
with open(sys.argv[1], 'wb') as f:
    f.write(hdr + rec)
EOF

e_missing() {
  run "$BIN" -q -r "$E/no-such-file.pcap" --log "$work/logs/$TAG-missing.ndjson"
  expect_rc 1
  expect_stderr "no-such-file.pcap" "no such file"
}

e_directory() {
  run "$BIN" -q -r pcaps --log "$work/logs/$TAG-dir.ndjson"
  expect_rc 0
  expect_stderr "README.md" "skipped"
  grep -F "README.md" "$work/err" | grep -qi skipped || die "README.md not named in a 'skipped' message"
  if grep -F -e '.pcap:' -e '.pcapng:' "$work/err"; then die "a capture was complained about"; fi
  # the directory gives the union of the per-capture logs
  sort "$work/logs/$TAG-dir.ndjson" >"$work/dir.sorted"
  local cap
  { for cap in "${captures[@]}"; do cat "pcaps/expected/$(stem "$cap").tlsmon.ndjson"; done
    cat pcaps/*/expected/*.tlsmon.ndjson; } | sort >"$work/want.sorted"
  cmp -s "$work/dir.sorted" "$work/want.sorted" ||
    die "log of -r pcaps/ is not the union of pcaps/expected/*.tlsmon.ndjson ($(wc -l <"$work/dir.sorted") vs $(wc -l <"$work/want.sorted") lines)"
}

e_text() {
  run "$BIN" -q -r "$E/notes.txt" --log "$work/logs/$TAG-text.ndjson"
  expect_rc 1
  expect_stderr "notes.txt" "not a pcap"
}

e_empty() {
  run "$BIN" -q -r "$E/empty.pcap" --log "$work/logs/$TAG-empty.ndjson"
  expect_rc 1
  expect_stderr "empty.pcap:" "empty"
}

e_truncated() {
  local log="$work/logs/$TAG-cut.ndjson"
  run "$BIN" -q -r "$E/cut.pcap" --log "$log"
  expect_rc 0
  expect_stderr "cut.pcap" "warning"
  grep -qiE 'cut short|truncat' "$work/err" || die "warning does not say the capture is cut; $(show_run)"
  json_lines "$log"
  "${COMPARE[@]}" --no-extra pcaps/expected/resumed_tls1_2.oracle.jsonl "$log"
}

e_linktype() {
  run "$BIN" -q -r "$E/user0.pcap" --log "$work/logs/$TAG-user0.ndjson"
  expect_rc 1
  expect_stderr "user0.pcap" "unsupported link type 147"
}

e_unreadable() {
  local dir="$work/perm"
  mkdir -p "$dir"
  cp pcaps/tls1_2.pcap "$dir/locked.pcap"
  chmod 000 "$dir/locked.pcap"
  if [ "$(id -u)" -eq 0 ]; then
    # root reads anything: drop to nobody for this one run
    chmod 711 "$work" "$dir"
    run setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN" -q -r "$dir/locked.pcap"
  else
    run "$BIN" -q -r "$dir/locked.pcap"
  fi
  expect_rc 1
  expect_stderr "locked.pcap" "permission denied"
}

e_filter() {
  run "$BIN" -q -r pcaps/tls1_2.pcap -f 'tcp port' --log "$work/logs/$TAG-filter.ndjson"
  expect_rc 1
  expect_stderr "bad filter" "tcp port"
}

e_good_filter() {
  run "$BIN" -q -r pcaps -f 'tcp port 8443' --log "$work/logs/$TAG-goodfilter.ndjson"
  expect_rc 0
  [ "$(jq -s 'map(.destination.port) | unique' "$work/logs/$TAG-goodfilter.ndjson")" = "$(printf '[\n  8443\n]')" ] ||
    die "-f 'tcp port 8443' kept other ports"
  [ "$(jq -s length "$work/logs/$TAG-goodfilter.ndjson")" = 2 ] || die "want the 2 curl handshakes"
}

e_unknown_option() {
  run "$BIN" -q -r pcaps/tls1_2.pcap --no-such-option
  expect_rc 2
  expect_stderr "no-such-option"
}

e_no_input() {
  run "$BIN" -q --log "$work/logs/$TAG-noinput.ndjson"
  expect_rc 2
  expect_stderr "-r"
}

e_log_dir() {
  run "$BIN" -q -r pcaps/tls1_2.pcap --log /nonexistent/x.ndjson
  expect_rc 3
  expect_stderr "/nonexistent/x.ndjson" "cannot open log"
}

e_log_full() {
  [ -w /dev/full ] || { echo "no /dev/full"; return 0; }
  run "$BIN" -q -r pcaps/tls1_2.pcap --log /dev/full
  expect_rc 3
  expect_stderr "/dev/full" "no space"
}

e_summary_full() {
  [ -w /dev/full ] || { echo "no /dev/full"; return 0; }
  local rc=0
  "$BIN" -r pcaps/tls1_2.pcap >/dev/full 2>"$work/err" || rc=$?
  echo "$rc" >"$work/rc"
  [ "$rc" != 0 ] || die "summary written to /dev/full: exit 0, the write error is not reported; $(show_run)"
  expect_stderr "no space"
}

e_stdin() {
  local cap
  for cap in pcaps/tls1_2.pcap pcaps/split_hello.pcap; do
    run_stdin "$cap" "$BIN" -q -r - --log "$work/logs/$TAG-stdin.ndjson"
    expect_rc 0
    expect_no_stderr
    cmp -s "$work/logs/$TAG-stdin.ndjson" "pcaps/expected/$(stem "$cap").tlsmon.ndjson" ||
      die "-r - < $cap: log differs from the file's"
    rm -f "$work/logs/$TAG-stdin.ndjson"
  done
  run_stdin "$E/notes.txt" "$BIN" -q -r - --log "$work/logs/$TAG-stdin-text.ndjson"
  expect_rc 1
  expect_stderr "stdin" "not a pcap"
}

e_two_files() {
  run "$BIN" -q -r pcaps/tls1_2.pcap -r pcaps/resumed_tls1_3.pcap --log "$work/logs/$TAG-two.ndjson"
  expect_rc 0
  expect_no_stderr
  sort "$work/logs/$TAG-two.ndjson" >"$work/two.sorted"
  cat pcaps/expected/tls1_2.tlsmon.ndjson pcaps/expected/resumed_tls1_3.tlsmon.ndjson | sort >"$work/want.sorted"
  cmp -s "$work/two.sorted" "$work/want.sorted" || die "two -r files: log is not the union of both logs"
}

e_bad_and_good() {
  # exit 1 when one input cannot be read, but the others are still read and logged
  run "$BIN" -q -r "$E/no-such-file.pcap" -r pcaps/tls1_2.pcap --log "$work/logs/$TAG-badgood.ndjson"
  expect_rc 1
  expect_stderr "no-such-file.pcap"
  cmp -s "$work/logs/$TAG-badgood.ndjson" pcaps/expected/tls1_2.tlsmon.ndjson ||
    die "the readable capture was not logged as on its own"
}

e_log_appends() {
  local log="$work/logs/$TAG-append.ndjson"
  run "$BIN" -q -r pcaps/tls1_2.pcap --log "$log"
  expect_rc 0
  run "$BIN" -q -r pcaps/tls1_3.pcap --log "$log"
  expect_rc 0
  cat pcaps/expected/tls1_2.tlsmon.ndjson pcaps/expected/tls1_3.tlsmon.ndjson | cmp -s - "$log" ||
    die "--log does not append"
}

e_version_help() {
  run "$BIN" --version
  expect_rc 0
  grep -q '^tlsmon [0-9]' "$work/out" || die "--version: no 'tlsmon VERSION' line"
  run "$BIN" --help
  expect_rc 0
  grep -q -- '--log' "$work/out" || die "--help does not describe --log"
  run "$BIN" -h
  expect_rc 0
}

# t_error_paths BIN TAG: every error-path check with BIN; TAG prefixes the check names and the
# log files (--log appends, so no two runs may share a log).
t_error_paths() {
  BIN=$1
  TAG=$2
  check "$TAG: missing file: exit 1, names the file, 'no such file'" e_missing
  check "$TAG: directory pcaps/ (recursive): exit 0, non-captures reported as skipped, log = union" e_directory
  check "$TAG: text file: exit 1, 'not a pcap'" e_text
  check "$TAG: zero-length file: exit 1, 'empty'" e_empty
  check "$TAG: last 10 bytes cut off: exit 0, warning naming the file, handshakes kept" e_truncated
  check "$TAG: link type 147: exit 1, 'unsupported link type 147'" e_linktype
  if [ "$(id -u)" -ne 0 ] || setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$BIN" 2>/dev/null; then
    check "$TAG: unreadable file (chmod 000): exit 1, 'permission denied'" e_unreadable
  else
    skip "$TAG: unreadable file (chmod 000)" "running as root (root can read it) and cannot drop to uid 65534"
  fi
  check "$TAG: -f 'tcp port': exit 1, 'bad filter'" e_filter
  check "$TAG: -f 'tcp port 8443' keeps only the curl handshakes" e_good_filter
  check "$TAG: unknown option: exit 2" e_unknown_option
  check "$TAG: no -r: exit 2" e_no_input
  check "$TAG: --log in a missing directory: exit 3, 'cannot open log'" e_log_dir
  check "$TAG: --log /dev/full: exit 3, write error reported" e_log_full
  check "$TAG: summary on stdout to /dev/full: write error reported, not exit 0" e_summary_full
  check "$TAG: -r - (stdin) logs the same as the file; text on stdin: exit 1" e_stdin
  check "$TAG: two -r files: log is the union" e_two_files
  check "$TAG: unreadable + readable input: exit 1, the readable one still logged" e_bad_and_good
  check "$TAG: --log appends" e_log_appends
  check "$TAG: --version, --help, -h: exit 0" e_version_help
}
t_error_paths "$TLSMON" "errors"

# ---- 4. summary ----------------------------------------------------------------------------
# section FILE HEADING: the lines of the summary section whose heading contains HEADING, up to
# the next blank line.
section() {
  awk -v h="$2" 'index($0, h) { on = 1 } on && /^$/ { exit } on { print }' "$1"
}

t_summary() {
  run "$TLSMON" -r pcaps/server_tls1_0_only.pcap
  expect_rc 0
  section "$work/out" "Negotiated version" >"$work/neg"
  grep -qE '^ +TLS 1\.0 +1 ' "$work/neg" || die "TLS 1.0 not listed as negotiated: $(cat "$work/out")"
  section "$work/out" "TLS 1.1 or lower" >"$work/old"
  grep -F "127.0.0.1 -> 127.0.0.1:443/tcp" "$work/old" | grep -F "TLS 1.0" | grep -qF "modern.example" ||
    die "client not listed under 'TLS 1.1 or lower' with TLS 1.0 and its SNI: $(cat "$work/out")"
}
check "summary: server_tls1_0_only: TLS 1.0 negotiated, client under 'TLS 1.1 or lower'" t_summary

t_summary_modern() {
  run "$TLSMON" -r pcaps/tls1_3.pcap
  expect_rc 0
  grep -qE '^ +TLS 1\.3 +1 ' "$work/out" || die "TLS 1.3 not listed: $(cat "$work/out")"
  section "$work/out" "TLS 1.1 or lower" | grep -F -- "->" && die "a TLS 1.3 client is listed as old"
  return 0
}
check "summary: tls1_3: nobody under 'TLS 1.1 or lower'" t_summary_modern

t_quiet() {
  run "$TLSMON" -q -r pcaps
  expect_rc 0
  [ ! -s "$work/out" ] || die "-q printed on stdout: $(head -c 300 "$work/out")"
  run "$TLSMON" -q -r pcaps/tls1_2.pcap --log "$work/logs/quiet.ndjson"
  [ ! -s "$work/out" ] || die "-q --log printed on stdout"
  expect_no_stderr
}
check "summary: -q prints nothing on stdout" t_quiet

# ---- 5. the same under ASan + UBSan ------------------------------------------------------------
t_asan() {
  local cap=$1 name log
  name=$(stem "$cap")
  log="$work/logs/asan-$name.ndjson"
  run "$TLSMON_ASAN" -q -r "$cap" --log "$log"
  expect_no_sanitizer
  expect_rc 0
  expect_no_stderr
  [ -f "pcaps/expected/$name.tlsmon.ndjson" ] || die "pcaps/expected/$name.tlsmon.ndjson is missing"
  cmp -s "$log" "pcaps/expected/$name.tlsmon.ndjson" || die "ASan log differs from pcaps/expected/$name.tlsmon.ndjson"
}
for cap in "${captures[@]}"; do
  check "asan: $(stem "$cap"): exit 0, no sanitizer output, same log" t_asan "$cap"
done

check "asan: synthetic SMTP STARTTLS (plaintext phase): exit 0, no sanitizer output, same hellos" \
  t_starttls "$TLSMON_ASAN" asan

check "asan: pcapng rewrites of pcaps/: same logs" t_pcapng "$TLSMON_ASAN" asan
check "asan: pcapng timestamps near 2^64 microseconds: no signed overflow (UBSan)" t_bigts "$TLSMON_ASAN" asan

t_asan_summary() {
  run "$TLSMON_ASAN" -r pcaps
  expect_no_sanitizer
  expect_rc 0
  run "$TLSMON" -r pcaps
  cp "$work/out" "$work/plain-summary"
  run "$TLSMON_ASAN" -r pcaps
  cmp -s "$work/out" "$work/plain-summary" || die "ASan summary differs from ./tlsmon's"
}
check "asan: summary of pcaps/: no sanitizer output, same as ./tlsmon" t_asan_summary

# The error paths under ASan: same exit codes and messages; a sanitizer report fails them too
# (a report changes the exit status and is on stderr, which the checks read).
t_error_paths "$TLSMON_ASAN" "asan-errors"

# ---- 2. every log line of every run is JSON -------------------------------------------------
t_all_json() {
  local f n=0
  for f in "$work"/logs/*.ndjson pcaps/expected/*.tlsmon.ndjson; do
    [ -e "$f" ] || continue
    json_lines "$f"
    n=$((n + 1))
  done
  [ "$n" -gt 0 ] || die "no logs"
  echo "$n logs"
}
check "json: every line of every log written here (and pcaps/expected/*.tlsmon.ndjson) is a JSON object" t_all_json

t_compare_self_test() {
  # the oracle comparison must notice a wrong field and a missing handshake
  jq -c '.tls.client.ja3 = "0"' pcaps/expected/tls1_2.tlsmon.ndjson >"$work/bad1"
  if "${COMPARE[@]}" pcaps/expected/tls1_2.oracle.jsonl "$work/bad1"; then die "wrong ja3 not noticed"; fi
  : >"$work/bad2"
  if "${COMPARE[@]}" pcaps/expected/tls1_2.oracle.jsonl "$work/bad2"; then die "missing handshake not noticed"; fi
  "${COMPARE[@]}" pcaps/expected/tls1_2.oracle.jsonl pcaps/expected/tls1_2.tlsmon.ndjson
}
check "self-test: compare-oracle.py notices a wrong JA3 and a missing handshake" t_compare_self_test

[ "$skipped" -eq 0 ] || echo "# $skipped skipped"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
