#!/usr/bin/env bash
# Run every fuzz target for FUZZ_SECONDS seconds each (make fuzz), or replay
# the kept regression inputs and do a short run of each (SMOKE=1, make test).
# New crashes are written to tests/fuzz/regressions/<target>/ and fail the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_EACH=${FUZZ_SECONDS:-60}
TARGETS=(fuzz_tls_stream fuzz_datagram fuzz_capture fuzz_report_line)
SEEDS=build/fuzz/seeds
if [ ! -d "$SEEDS" ]; then
    python3 tests/fuzz/make-seeds.py "$SEEDS" pcaps/*.pcap pcaps/mail/*.pcap \
        $(ls ../shared/corpus/ndpi/{dtls,stun,quic,tls,smtp,pop3,imap,ftp,teams}*.pcap* 2>/dev/null | head -80) 2>/dev/null || true
fi
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
pass=0 fail=0
for t in "${TARGETS[@]}"; do
    bin=build/fuzz/$t
    sub=${t#fuzz_}
    reg=tests/fuzz/regressions/$t
    mkdir -p "$reg" "build/fuzz/corpus/$t"
    # 1. every kept regression input must run clean
    if ls "$reg"/* >/dev/null 2>&1; then
        if "$bin" "$reg"/* >"build/fuzz/$t.regress.log" 2>&1; then
            echo "ok - $t: $(ls "$reg" | wc -l) regression inputs"; pass=$((pass + 1))
        else
            echo "not ok - $t: a regression input fails (build/fuzz/$t.regress.log)"; fail=$((fail + 1))
            tail -n 30 "build/fuzz/$t.regress.log"
        fi
    fi
    # 2. fuzz for a while from the seeds
    seeds=$SEEDS/$sub
    if [ "$t" = fuzz_report_line ] && [ ! -d "$seeds" ]; then
        # seeds: tlsmon's own logs of the sample captures
        mkdir -p "$seeds"
        for f in pcaps/expected/*.tlsmon.ndjson pcaps/*/expected/*.tlsmon.ndjson; do
            [ -s "$f" ] && cp "$f" "$seeds/$(basename "$f")"
        done
    fi
    [ -d "$seeds" ] || seeds=$SEEDS/capture
    if "$bin" -max_total_time="$SECONDS_EACH" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
        -dict=tests/fuzz/tls.dict -artifact_prefix="$reg/" -print_final_stats=1 \
        "build/fuzz/corpus/$t" "$seeds" >"build/fuzz/$t.log" 2>&1; then
        stats=$(grep -E "stat::number_of_executed_units|stat::average_exec_per_sec|cov:" "build/fuzz/$t.log" | tail -n 3 | tr -s ' ' | tr '\n' ' ')
        echo "ok - $t: ${SECONDS_EACH}s, no crash; $stats"; pass=$((pass + 1))
    else
        echo "not ok - $t: crash or sanitizer report (input kept in $reg/, log build/fuzz/$t.log)"
        grep -E "ERROR|runtime error|SUMMARY" "build/fuzz/$t.log" | head -5 || true
        fail=$((fail + 1))
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
