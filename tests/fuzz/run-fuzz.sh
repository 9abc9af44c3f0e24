#!/usr/bin/env bash
# Run the fuzz targets named on the command line (default: every one built
# in build/fuzz/): replay the kept regression inputs, then fuzz from the
# seeds.
#   make fuzz:       FUZZ_SECONDS=N seconds each
#   make fuzz-smoke: SMOKE=1, FUZZ_TOTAL_SECONDS (60) shared by all targets,
#                    at least 3 seconds each, into a scratch corpus
#   FUZZ_JOBS=N      targets run at once (default 1)
# New crashes are written to tests/fuzz/regressions/<target>/ and fail the
# run. Each target's dictionary is tests/fuzz/tls.dict plus
# tests/fuzz/dict/<target>.dict when there is one.
set -euo pipefail
cd "$(dirname "$0")/../.."
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
    for b in build/fuzz/fuzz_*; do
        [ -x "$b" ] && [ -f "$b" ] && TARGETS+=("$(basename "$b")")
    done
fi
JOBS=${FUZZ_JOBS:-1}
if [ "${SMOKE:-0}" = 1 ]; then
    SECONDS_EACH=$((${FUZZ_TOTAL_SECONDS:-60} / ${#TARGETS[@]}))
    [ "$SECONDS_EACH" -ge 3 ] || SECONDS_EACH=3
else
    SECONDS_EACH=${FUZZ_SECONDS:-60}
fi

SEEDS=build/fuzz/seeds
if [ ! -f "$SEEDS/.stamp" ] || [ tests/fuzz/make-seeds.py -nt "$SEEDS/.stamp" ] || [ tests/fixtures -nt "$SEEDS/.stamp" ]; then
    rm -rf "$SEEDS"
    mkdir -p "$SEEDS"
    shopt -s nullglob
    ndpi=(../shared/corpus/ndpi/{dtls,stun,quic,tls,smtp,pop3,imap,ftp,teams,jabber,nntp,pgsql}*.pcap*)
    shopt -u nullglob
    python3 tests/fuzz/make-seeds.py "$SEEDS" pcaps/*.pcap pcaps/mail/*.pcap pcaps/turn/*.pcap \
        tests/fixtures/*/*.pcap \
        "${ndpi[@]}" || echo "make-seeds failed: fuzzing without seeds" >&2
    # fuzz_report_line: tlsmon's own logs of the sample captures
    mkdir -p "$SEEDS/report_line"
    for f in pcaps/expected/*.tlsmon.ndjson pcaps/*/expected/*.tlsmon.ndjson; do
        [ -s "$f" ] && cp "$f" "$SEEDS/report_line/$(basename "$f")"
    done
    touch "$SEEDS/.stamp"
fi
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

# One target: regressions, then fuzzing. Prints "ok - ..." / "not ok - ..."
# lines and returns non-zero on a failure.
run_one() {
    local t=$1 bin=build/fuzz/$1 reg=tests/fuzz/regressions/$1 rc=0
    local log=build/fuzz/$t.log seeds=$SEEDS/${t#fuzz_} dict=build/fuzz/$t.dict corpus
    mkdir -p "$reg"
    if ls "$reg"/* >/dev/null 2>&1; then
        if "$bin" "$reg"/* >"build/fuzz/$t.regress.log" 2>&1; then
            echo "ok - $t: $(ls "$reg" | wc -l) regression inputs"
        else
            echo "not ok - $t: a regression input fails (build/fuzz/$t.regress.log)"
            tail -n 30 "build/fuzz/$t.regress.log"
            rc=1
        fi
    fi
    [ -d "$seeds" ] || seeds=$SEEDS/capture
    cat tests/fuzz/tls.dict >"$dict"
    [ -f "tests/fuzz/dict/$t.dict" ] && cat "tests/fuzz/dict/$t.dict" >>"$dict"
    if [ "${SMOKE:-0}" = 1 ]; then
        corpus=$(mktemp -d "build/fuzz/smoke-$t.XXXXXX")
    else
        corpus=build/fuzz/corpus/$t
        mkdir -p "$corpus"
    fi
    if "$bin" -max_total_time="$SECONDS_EACH" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
        -dict="$dict" -artifact_prefix="$reg/" -print_final_stats=1 \
        "$corpus" "$seeds" >"$log" 2>&1; then
        local execs rate cov ft
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
        cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
        ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
        echo "ok - $t: ${SECONDS_EACH}s, no crash; execs $execs, $rate/s, cov $cov, ft $ft"
    else
        echo "not ok - $t: crash or sanitizer report (input kept in $reg/, log $log)"
        grep -E "ERROR|runtime error|SUMMARY|hello budget" "$log" | head -5 || true
        rc=1
    fi
    [ "${SMOKE:-0}" = 1 ] && rm -rf "$corpus"
    return $rc
}

mkdir -p build/fuzz
echo "fuzzing ${#TARGETS[@]} targets, ${SECONDS_EACH}s each, $JOBS at once"
fail=0 running=0
for t in "${TARGETS[@]}"; do
    if [ ! -x "build/fuzz/$t" ]; then
        echo "not ok - $t: build/fuzz/$t not built"
        fail=$((fail + 1))
        continue
    fi
    run_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then
        wait -n || fail=$((fail + 1))
        running=$((running - 1))
    fi
done
while [ "$running" -gt 0 ]; do
    wait -n || fail=$((fail + 1))
    running=$((running - 1))
done
echo "${#TARGETS[@]} targets, $fail failed"
[ "$fail" = 0 ]
