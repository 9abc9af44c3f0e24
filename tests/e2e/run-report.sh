#!/usr/bin/env bash
# End-to-end tests of the readiness report (`tlsmon report`, `tlsmon --report`). Builds
# nothing: run it after `make tlsmon`.
#
#   tests/e2e/run-report.sh
#
# What is checked (one "ok - NAME" / "not ok - NAME" line each, details as "#" lines under a
# failure, then one line "N passed, M failed[, K skipped]"; exit status 1 when M > 0):
#   1. the report over the pcaps/ logs (`tlsmon -q -r pcaps --log X`) lists under would-break
#      exactly the clients of the captures whose scripts limited the client to TLS 1.0/1.1
#      (pcaps/README.md, pcaps/mail/README.md: tls1_0, tls1_1, client_tls1_0_refused,
#      imap_starttls_tls10_refused, imap_starttls_tls10_allowed, curl_imap_tls_max_1_1; and,
#      when pcaps/turn/ is there, the TLS 1.0/1.1 and DTLS 1.0 attempts of uclient in
#      turn_tls_to_server and turn_dtls_to_server), and under negotiating-low exactly the
#      client of server_tls1_0_only (the only capture where a 1.2+ client met a 1.0-only
#      server); a client is named by server address, port, transport, protocol, SNI, client
#      address and JA4, each computed from a log of that capture alone;
#   2. the JSON is one valid document with the documented fields; CSV has the same client rows;
#      the text table names the same counts; --floor 1.3 moves the TLS 1.2-only clients;
#   3. merge: the log split in two (one gzip-compressed) gives the same bytes in every format as
#      the whole; stdin ('-') too;
#   4. errors: exit status 1 (unreadable log, with a one-line message naming it), 2 (usage),
#      3 (output not writable); bad lines are counted and named, not fatal;
#   5. on a terminal: colour (not with NO_COLOR, not into a pipe) and a progress bar for a
#      large log;
#   6. inline: `tlsmon -q -r pcaps --log L --report F` prints what `tlsmon report L` prints
#      (skipped while tlsmon has no --report);
#   7. the HTML report renders in headless Chromium (tests/e2e/report-screenshot.py: screenshot,
#      no console messages, the charts and tables in the DOM); skipped when Chromium is missing
#      and cannot be installed.
# Environment: TLSMON (default ./tlsmon); TLSMON_REPORT replaces "$TLSMON report" (e.g. a
# driver that calls readiness_main); TLSMON_NO_INSTALL=1 never installs Chromium.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

TLSMON=${TLSMON:-./tlsmon}
if [ -n "${TLSMON_REPORT:-}" ]; then
  read -r -a REPORT <<<"$TLSMON_REPORT"
else
  REPORT=("$TLSMON" report)
fi

passed=0
failed=0
skipped=0
pass() {
  echo "ok - $1"
  passed=$((passed + 1))
}
fail() {
  echo "not ok - $1"
  [ -n "${2:-}" ] && printf '%s\n' "$2" | head -n 30 | sed 's/^/# /'
  failed=$((failed + 1))
}
skip() {
  echo "ok - $1 # skip ${2:-}"
  skipped=$((skipped + 1))
}
check() { # NAME: pass when the rest of the arguments, run as a command, succeed
  local name=$1
  shift
  local out
  if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$out"; fi
}
finish() {
  if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
  else
    echo "$passed passed, $failed failed"
  fi
  [ "$failed" -eq 0 ]
  exit $?
}

for tool in jq python3 gzip "$TLSMON" "${REPORT[0]}"; do
  if ! command -v "$tool" >/dev/null; then
    fail "prerequisite: $tool" "not found (build with: make tlsmon)"
    finish
  fi
done
if ! "${REPORT[@]}" --help >/dev/null 2>&1; then
  fail "prerequisite: ${REPORT[*]} --help" "the report subcommand is not there (TLSMON_REPORT names a driver)"
  finish
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/tlsmon-report.XXXXXX")
trap 'rm -rf "$work"' EXIT
report() { nice "${REPORT[@]}" "$@"; }

# ---- 1. the pcaps/ logs and the groups ----------------------------------------------------

log=$work/pcaps.ndjson
if "$TLSMON" -q -r pcaps --log "$log" 2>"$work/log.err" && [ -s "$log" ]; then
  pass "report: handshake log of pcaps/ ($(grep -c tlsmon.handshake "$log") handshakes)"
else
  fail "report: handshake log of pcaps/" "$(cat "$work/log.err")"
  finish
fi

# A client as the report names it: server, port, transport, protocol, SNI, client, JA4.
LOG_KEY='select(.event.dataset == "tlsmon.handshake" and .tls.encapsulation != "pseudo-tls")
  | select($old == "" or ((.tls.client.version_protocol // "") + " " + (.tls.client.version // "")
      | IN("ssl 3.0", "tls 1.0", "tls 1.1", "dtls 1.0")))
  | [.destination.ip, (.destination.port | tostring), (.network.transport // "tcp"),
     (.network.protocol // "unknown"), (.tls.client.server_name // "-"), .source.ip,
     (.tls.client.ja4 // "-")] | join(" ")'
REPORT_KEY='.services[] as $s | $s.clients[] | select(.group == $g)
  | [$s.server.ip, ($s.server.port | tostring), $s.transport, $s.protocol,
     ($s.server_name // "-"), .ip, (.ja4 // "-")] | join(" ")'

# Every client of the captures (old=1: only those that offered TLS 1.1 or lower).
clients_of() {
  local old=$1
  shift
  for cap in "$@"; do
    "$TLSMON" -q -r "$cap" --log - 2>/dev/null | jq -r --arg old "$old" "$LOG_KEY"
  done | sort -u
}
group_of_report() { jq -r --arg g "$1" "$REPORT_KEY" "$2" | sort -u; }

would_break=(pcaps/client_tls1_0_refused.pcap pcaps/tls1_0.pcap pcaps/tls1_1.pcap
  pcaps/mail/imap_starttls_tls10_refused.pcap pcaps/mail/imap_starttls_tls10_allowed.pcap
  pcaps/mail/curl_imap_tls_max_1_1.pcap)
negotiating_low=(pcaps/server_tls1_0_only.pcap)
# uclient picks TLS 1.0, 1.1 or 1.2 (DTLS 1.0 or 1.2) at random per attempt (pcaps/turn/README.md)
random_old=()
for cap in pcaps/turn/turn_tls_to_server.pcap pcaps/turn/turn_dtls_to_server.pcap; do
  [ -f "$cap" ] && random_old+=("$cap")
done

{
  clients_of "" "${would_break[@]}"
  [ ${#random_old[@]} -gt 0 ] && clients_of 1 "${random_old[@]}"
} | sort -u >"$work/want-would-break"
clients_of "" "${negotiating_low[@]}" >"$work/want-negotiating-low"

if report --format json -o "$work/r.json" "$log" 2>"$work/r.err" && jq -e . "$work/r.json" >/dev/null; then
  pass "report: --format json writes one valid JSON document"
else
  fail "report: --format json writes one valid JSON document" "$(cat "$work/r.err")"
  finish
fi
for g in would-break negotiating-low; do
  group_of_report "$g" "$work/r.json" >"$work/got-$g"
  if [ -s "$work/want-$g" ] && diff "$work/want-$g" "$work/got-$g" >"$work/diff" 2>&1; then
    pass "report: $g lists exactly the clients of the captures ($(wc -l <"$work/got-$g"))"
  else
    fail "report: $g lists exactly the clients of the captures" "$(cat "$work/diff")"
  fi
done

check "report: JSON has the documented fields and version spellings" jq -e '
  .floor == "1.2" and (.services | type == "array") and (.pseudo_tls | type == "array")
  and all(.services[]; (.server.ip | type == "string") and (.server.port | type == "number")
      and (.protocol | type == "string") and has("server_name") and (.cipher_findings | type == "array")
      and all(.clients[]; (.ip | type == "string") and has("ja4") and has("label")
          and (.group | IN("would-break", "negotiating-low", "fine")) and .handshakes >= 1
          and (.first_seen | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")) and (.last_seen >= .first_seen)
          and has("max_offered") and has("negotiated")))
  and ([.services[].clients[] | .max_offered, .negotiated | select(. != null)]
       | all(test("^(ssl|tls|dtls) [0-9][.][0-9]$")))' "$work/r.json"

check "report: bundled labels name the pcaps/ clients (data/client-fingerprints.tsv)" jq -e '
  [.services[] | select(.server_name == "old.example" and .protocol == "https") | .clients[].label]
  == ["OpenSSL 3.0 s_client -tls1 (TLS 1.0 only)"]' "$work/r.json"

check "report: cipher findings per service (the 1.0-only server negotiated CBC-SHA1)" jq -e '
  [.services[] | select(.server_name == "modern.example") | .cipher_findings[]
   | select(.finding == "cbc-sha1") | .handshakes_negotiated] == [1]' "$work/r.json"

# ---- 2. the other formats show the same content ---------------------------------------------

report --format csv -o "$work/r.csv" "$log" 2>/dev/null
check "report: CSV has the same client rows as the JSON" python3 - "$work/r.csv" "$work/r.json" <<'EOF'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
doc = json.load(open(sys.argv[2]))
def dash(x): return "" if x is None else str(x)
got = sorted((r["group"], r["server_ip"], r["server_port"], r["transport"], r["protocol"],
              r["server_name"], r["client_ip"], r["ja4"], r["label"], r["handshakes"],
              r["first_seen"], r["last_seen"], r["max_offered"], r["negotiated"])
             for r in rows if r["record"] == "client")
want = sorted((c["group"], s["server"]["ip"], str(s["server"]["port"]), s["transport"],
               s["protocol"], dash(s["server_name"]), c["ip"], dash(c["ja4"]), dash(c["label"]),
               str(c["handshakes"]), c["first_seen"], c["last_seen"], dash(c["max_offered"]),
               dash(c["negotiated"])) for s in doc["services"] for c in s["clients"])
if got != want or not got:
    print("CSV:", got[:3], "\nJSON:", want[:3], len(got), len(want))
    sys.exit(1)
findings = sum(1 for r in rows if r["record"] == "cipher_finding")
if findings != sum(len(s["cipher_findings"]) for s in doc["services"]):
    sys.exit("cipher_finding rows differ")
EOF

report "$log" >"$work/r.txt" 2>/dev/null
n_wb=$(jq '.summary["would-break"]' "$work/r.json")
n_nl=$(jq '.summary["negotiating-low"]' "$work/r.json")
check "report: text table shows the same groups ($n_wb would break, $n_nl negotiating low)" \
  grep -q "^Would break: .*: $n_wb clients\$" "$work/r.txt"
check "report: text names the negotiating-low client" grep -q "Negotiating low: .*: $n_nl client" "$work/r.txt"

report --floor 1.3 --format json -o "$work/r13.json" "$log" 2>/dev/null
check "report: --floor 1.3 puts every TLS 1.2-only client under would-break" jq -e '
  .floor == "1.3" and
  ([.services[].clients[] | select(.max_offered == "tls 1.2" or .max_offered == "dtls 1.2")
    | .group] | length > 0 and all(. == "would-break"))' "$work/r13.json"

# ---- 3. merge ----------------------------------------------------------------------------------

awk 'NR % 2 == 1' "$log" >"$work/sensor-a.ndjson"
awk 'NR % 2 == 0' "$log" | gzip -c >"$work/sensor-b.ndjson.gz"
for f in text csv json html; do
  report --format "$f" -o "$work/whole.$f" "$log" 2>/dev/null
  report --format "$f" -o "$work/merged.$f" "$work/sensor-a.ndjson" "$work/sensor-b.ndjson.gz" 2>/dev/null
  check "report: merge: two logs (one gzip) = the whole log, $f, byte for byte" cmp "$work/whole.$f" "$work/merged.$f"
done
gzip -c "$log" | report --format json -o "$work/stdin.json" - 2>/dev/null
check "report: a gzip-compressed log on stdin ('-') gives the same report" cmp "$work/whole.json" "$work/stdin.json"

# ---- 4. errors ---------------------------------------------------------------------------------

expect_exit() { # NAME WANT_STATUS WANT_STDERR_REGEX ARGS...
  local name=$1 want=$2 re=$3
  shift 3
  local rc=0
  report "$@" >/dev/null 2>"$work/err" || rc=$?
  if [ "$rc" -eq "$want" ] && [ "$(wc -l <"$work/err")" -ge 1 ] && grep -qE "$re" "$work/err"; then
    pass "$name"
  else
    fail "$name" "exit $rc (want $want); stderr: $(cat "$work/err")"
  fi
}
expect_exit "report: unreadable log: exit 1, one line naming it" 1 \
  "^tlsmon report: $work/none.ndjson: No such file or directory\$" "$log" "$work/none.ndjson"
expect_exit "report: a directory is not a log: exit 1" 1 "pcaps: is a directory" pcaps
expect_exit "report: unknown option: exit 2" 2 "tlsmon report: unknown option" --bogus "$log"
expect_exit "report: bad --floor: exit 2" 2 "floor: '1.4' is not a TLS version" --floor 1.4 "$log"
expect_exit "report: bad --format: exit 2" 2 "format: 'xml'" --format xml "$log"
expect_exit "report: no log: exit 2" 2 "no log given"
expect_exit "report: output not writable: exit 3" 3 "cannot write $work/no/such/dir" -o "$work/no/such/dir/r.txt" "$log"
if [ -w /dev/full ]; then
  expect_exit "report: disk full: exit 3" 3 "No space left on device" -o /dev/full "$log"
fi
expect_exit "report: unreadable --labels: exit 1" 1 "$work/none.tsv" --labels "$work/none.tsv" "$log"

{
  echo "not json"
  cat "$log"
  echo '{"half":'
} >"$work/bad.ndjson"
rc=0
report --format json -o "$work/bad.json" "$work/bad.ndjson" 2>"$work/err" || rc=$?
if [ "$rc" -eq 0 ] && grep -q "warning: $work/bad.ndjson: 2 bad lines skipped (first: line 1" "$work/err" &&
  jq -e '.input.bad_lines == 2' "$work/bad.json" >/dev/null &&
  [ "$(jq -c .services "$work/bad.json")" = "$(jq -c .services "$work/whole.json")" ]; then
  pass "report: bad lines are counted and named, the rest is reported"
else
  fail "report: bad lines are counted and named, the rest is reported" "exit $rc; $(cat "$work/err")"
fi

# ---- 5. on a terminal --------------------------------------------------------------------------

if command -v script >/dev/null; then
  esc=$(printf '\033[')
  on_tty() { script -qec "$1" /dev/null </dev/null; }
  q() { printf '%q ' "$@"; }
  out=$(on_tty "$(q "${REPORT[@]}" "$log")")
  if [[ $out == *"$esc"* ]]; then pass "report: colour on a terminal"; else fail "report: colour on a terminal" "${out:0:300}"; fi
  out=$(on_tty "NO_COLOR=1 $(q "${REPORT[@]}" "$log")")
  if [[ $out != *"$esc"* ]]; then pass "report: no colour with NO_COLOR"; else fail "report: no colour with NO_COLOR"; fi
  if ! grep -qF "$esc" "$work/r.txt"; then pass "report: no colour into a file or pipe"; else fail "report: no colour into a file or pipe"; fi
  # A log of 32 MiB or more gets a progress bar on a terminal (stderr), none into a file.
  while [ "$(stat -c %s "$work/big.ndjson" 2>/dev/null || echo 0)" -lt $((33 << 20)) ]; do
    cat "$log" "$log" "$log" "$log" "$log" "$log" "$log" "$log" >>"$work/big.ndjson"
  done
  out=$(on_tty "$(q "${REPORT[@]}" --format json -o "$work/big.json" "$work/big.ndjson")")
  if [[ $out == *"big.ndjson ["*"100%"* ]]; then
    pass "report: progress bar on a terminal for a large log"
  else
    fail "report: progress bar on a terminal for a large log" "${out:0:300}"
  fi
  report --format json -o "$work/big2.json" "$work/big.ndjson" 2>"$work/err"
  if [ ! -s "$work/err" ]; then pass "report: no progress bar when stderr is not a terminal"; else fail "report: no progress bar when stderr is not a terminal" "$(head -c 300 "$work/err")"; fi
else
  skip "report: terminal checks" "no script(1)"
fi

# ---- 6. inline: tlsmon --report -------------------------------------------------------------

if "$TLSMON" --help 2>&1 | grep -q -- "--report"; then
  # One run writes the log and the inline report; `tlsmon report` over that log must agree.
  for f in json text html; do
    rc=0
    rm -f "$work/inline.ndjson"
    "$TLSMON" -q -r pcaps --log "$work/inline.ndjson" --report "$f" >"$work/inline.$f" 2>"$work/err" || rc=$?
    report --format "$f" -o "$work/fromlog.$f" "$work/inline.ndjson" 2>>"$work/err"
    if [ "$rc" -eq 0 ] && [ -s "$work/inline.$f" ] && cmp -s "$work/inline.$f" "$work/fromlog.$f"; then
      pass "report: tlsmon -r pcaps --report $f prints what tlsmon report prints for its log"
    else
      fail "report: tlsmon -r pcaps --report $f prints what tlsmon report prints for its log" \
        "exit $rc; $(diff "$work/fromlog.$f" "$work/inline.$f" | cut -c1-200 | head -20; cat "$work/err")"
    fi
  done
else
  skip "report: inline --report" "tlsmon has no --report yet"
fi

# ---- 7. the HTML page in headless Chromium -------------------------------------------------

if ! command -v chromium >/dev/null && [ -z "${CHROMIUM:-}" ] && [ -z "${TLSMON_NO_INSTALL:-}" ] &&
  [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "# installing chromium (Debian package) for the HTML report check"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >"$work/apt.log" 2>&1 ||
    echo "# could not install chromium: $(tail -n 1 "$work/apt.log")"
fi
report --format html -o "$work/report.html" "$log" 2>/dev/null
rc=0
python3 "$here/report-screenshot.py" "$work/report.html" "$work/report.png" >"$work/shot.out" 2>&1 || rc=$?
if [ "$rc" -eq 77 ]; then
  skip "report: HTML in headless Chromium" "no Chromium, and it could not be installed"
else
  cat "$work/shot.out"
  passed=$((passed + $(grep -c '^ok - ' "$work/shot.out")))
  failed=$((failed + $(grep -c '^not ok - ' "$work/shot.out")))
  if [ "$rc" -ne 0 ] && ! grep -q '^not ok - ' "$work/shot.out"; then
    fail "report: report-screenshot.py exit $rc"
  fi
  if [ -n "${REPORT_SCREENSHOT:-}" ]; then cp "$work/report.png" "$REPORT_SCREENSHOT"; fi
fi

finish
