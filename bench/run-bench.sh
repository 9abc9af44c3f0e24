#!/usr/bin/env bash
# make bench: throughput and memory of tlsmon against the libpcap floor (a
# null read loop) and against ndpiReader, on the deterministic captures of
# shared/bench/make-bench-pcap; instructions per packet from callgrind; and a
# correctness check of tlsmon's log against the --truth file.
# Writes bench/RESULTS.md. Environment: RUNS (default 5), SIZES ("small large").
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
SIZES=${SIZES:-"small large"}
GEN=../shared/bench/make-bench-pcap
DATA=bench-data
mkdir -p "$DATA"
declare -A PACKETS=([small]=200000 [large]=5000000)

for s in $SIZES; do
    if [ ! -s "$DATA/$s.pcap" ] || [ ! -s "$DATA/$s.truth" ]; then
        echo "generating $DATA/$s.pcap (${PACKETS[$s]} packets)..."
        "$GEN" --packets "${PACKETS[$s]}" --seed 1 -o "$DATA/$s.pcap" --truth "$DATA/$s.truth"
    fi
done
# An empty capture (header only) for the callgrind baseline.
python3 -c "import struct,sys; sys.stdout.buffer.write(struct.pack('<IHHiIII',0xa1b2c3d4,2,4,0,0,65535,1))" >"$DATA/empty.pcap"

have_ndpi=0
command -v ndpiReader >/dev/null && have_ndpi=1

# run CMD...: prints "wall user+sys maxrss_kib"; the wall clock is bash's
# microsecond one (time's %e has 10 ms steps, a sixth of the small file's run).
measure() {
    local t0=$EPOCHREALTIME t1
    /usr/bin/time -f "%U %S %M" -o "$DATA/.time" "$@" >/dev/null 2>"$DATA/.stderr" || {
        echo "bench: command failed: $*" >&2; cat "$DATA/.stderr" >&2; exit 1; }
    t1=$EPOCHREALTIME
    awk -v a="$t0" -v b="$t1" '{printf "%.3f %.3f %s\n", b - a, $1 + $2, $3}' "$DATA/.time"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

results=()
for s in $SIZES; do
    f="$DATA/$s.pcap"
    pk=$(build/null_loop "$f" | awk '{print $1}')
    cat "$f" >/dev/null # warm the page cache
    tools=(null reader tlsmon)
    [ "$have_ndpi" = 1 ] && tools+=(ndpi)
    declare -A W=() C=() M=()
    for run in $(seq 0 "$RUNS"); do
        for t in "${tools[@]}"; do
            # Each tool from the same state: the run after ndpiReader (750
            # MiB freed) is ~20 % slower, and it would always be the null loop's.
            cat "$f" >/dev/null
            case $t in
                null) out=$(measure build/null_loop "$f") ;;
                reader) out=$(measure build/reader_floor "$f") ;;
                tlsmon) out=$(measure ./tlsmon -q -r "$f" --log /dev/null) ;;
                ndpi) out=$(measure ndpiReader -q -i "$f") ;;
            esac
            [ "$run" = 0 ] && continue # warm-up
            read -r w c m <<<"$out"
            W[$t]+="$w "; C[$t]+="$c "; M[$t]+="$m "
        done
    done
    for t in "${tools[@]}"; do
        w=$(tr ' ' '\n' <<<"${W[$t]}" | grep . | median)
        c=$(tr ' ' '\n' <<<"${C[$t]}" | grep . | median)
        m=$(tr ' ' '\n' <<<"${M[$t]}" | grep . | median)
        results+=("$s $t $w $c $m $pk")
    done
    unset W C M
done

# result SIZE TOOL N: field N (3 wall, 6 packets) of that run's line.
result() { printf '%s\n' "${results[@]}" | awk -v s="$1" -v t="$2" -v n="$3" '$1==s && $2==t {print $n}'; }

# Correctness: tlsmon's log against the truth file.
truth_lines=()
for s in $SIZES; do
    ./tlsmon -q -r "$DATA/$s.pcap" --log "$DATA/$s.ndjson.tmp"
    mv "$DATA/$s.ndjson.tmp" "$DATA/$s.ndjson"
    truth_lines+=("$s: $(python3 bench/check-truth.py "$DATA/$s.truth" "$DATA/$s.ndjson" | tail -n 1)")
    python3 bench/check-truth.py "$DATA/$s.truth" "$DATA/$s.ndjson" >/dev/null || truth_fail=1
    rm -f "$DATA/$s.ndjson.tmp"
done

# Instructions per packet (callgrind, each file minus the empty capture):
# the small file for the ratio to the null loop, both files for whether the
# cost per packet stays flat as the capture grows (the large run takes about
# a minute under callgrind).
ir() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
        awk '/Collected :/ {print $4}'
}
declare -A IPP_NULL=() IPP_TLSMON=()
if command -v valgrind >/dev/null; then
    n0=$(ir build/null_loop "$DATA/empty.pcap")
    t0=$(ir ./tlsmon -q -r "$DATA/empty.pcap" --log /dev/null)
    for s in $SIZES; do
        pk=$(result "$s" null 6)
        n1=$(ir build/null_loop "$DATA/$s.pcap")
        t1=$(ir ./tlsmon -q -r "$DATA/$s.pcap" --log /dev/null)
        IPP_NULL[$s]=$(awk -v a="$n1" -v b="$n0" -v p="$pk" 'BEGIN {printf "%.0f", (a - b) / p}')
        IPP_TLSMON[$s]=$(awk -v a="$t1" -v b="$t0" -v p="$pk" 'BEGIN {printf "%.0f", (a - b) / p}')
    done
fi

# Wall time per packet without the start-up (nDPI's tables, ~20 ms): each
# file's median minus the median on the empty capture.
empty_walls=""
for run in $(seq 1 "$RUNS"); do
    empty_walls+="$(measure ./tlsmon -q -r "$DATA/empty.pcap" --log /dev/null | awk '{print $1}') "
done
empty_wall=$(tr ' ' '\n' <<<"$empty_walls" | grep . | median)

cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
{
    echo "# Benchmark results"
    echo
    echo "Machine: $cpu, $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(./tlsmon --version | tr '\n' ';' | sed 's/;$//'); $(date -u +%Y-%m-%d)."
    echo "Median of $RUNS runs after 1 warm-up, warm page cache, alternating tools. Input: shared/bench/make-bench-pcap --seed 1."
    echo
    echo "| file | tool | wall s | user+sys s | peak RSS MiB | Mpkt/s |"
    echo "|---|---|---|---|---|---|"
    for r in "${results[@]}"; do
        read -r s t w c m pk <<<"$r"
        name=$t; [ "$t" = null ] && name="null libpcap loop"; [ "$t" = ndpi ] && name="ndpiReader -q -i"
        [ "$t" = tlsmon ] && name="tlsmon -q --log /dev/null"
        [ "$t" = reader ] && name="tlsmon's reading stage alone (reader_floor)"
        echo "| $s | $name | $w | $c | $(awk -v m="$m" 'BEGIN {printf "%.1f", m / 1024}') | $(awk -v p="$pk" -v w="$w" 'BEGIN {printf "%.2f", (w > 0 ? p / w / 1e6 : 0)}') |"
    done
    echo
    echo "| file | tlsmon / null (wall) | ndpiReader / tlsmon (wall) | reading stage alone / null (wall) |"
    echo "|---|---|---|---|"
    for s in $SIZES; do
        wn=$(result "$s" null 3) wt=$(result "$s" tlsmon 3) wd=$(result "$s" ndpi 3) wr=$(result "$s" reader 3)
        echo "| $s | $(awk -v a="$wt" -v b="$wn" 'BEGIN {printf "%.2fx", (b > 0 ? a / b : 0)}') | $( [ -n "$wd" ] && awk -v a="$wd" -v b="$wt" 'BEGIN {printf "%.1fx", (b > 0 ? a / b : 0)}' || echo "ndpiReader not installed") | $(awk -v a="$wr" -v b="$wn" 'BEGIN {printf "%.2fx", (b > 0 ? a / b : 0)}') |"
    done
    echo
    echo "The reading stage alone is tlsmon's reading thread (libpcap, each frame copied into a batch, its facts made) with a consumer that only counts: the least tlsmon's wall can be while the dissection runs in the other thread."
    if [ -n "${IPP_TLSMON[small]:-}" ]; then
        echo
        echo "Instructions per packet (callgrind, small file minus an empty capture): null loop ${IPP_NULL[small]}, tlsmon ${IPP_TLSMON[small]} ($(awk -v a="${IPP_TLSMON[small]}" -v b="${IPP_NULL[small]}" 'BEGIN {printf "%.2fx", a / b}'))."
    fi
    echo
    echo "Cost per packet as the capture grows (start-up taken out: instructions minus an empty capture's, wall minus the empty capture's median wall of $empty_wall s):"
    echo
    echo "| file | tlsmon instr/packet | null instr/packet | tlsmon ns/packet (wall) |"
    echo "|---|---|---|---|"
    for s in $SIZES; do
        wt=$(result "$s" tlsmon 3) pk=$(result "$s" tlsmon 6)
        echo "| $s | ${IPP_TLSMON[$s]:-n/a} | ${IPP_NULL[$s]:-n/a} | $(awk -v w="$wt" -v e="$empty_wall" -v p="$pk" 'BEGIN {printf "%.0f", (w - e) / p * 1e9}') |"
    done
    echo
    echo "Correctness against the --truth files:"
    for l in "${truth_lines[@]}"; do echo "- $l"; done
} >bench/RESULTS.md
cat bench/RESULTS.md
[ -z "${truth_fail:-}" ] || { echo "bench: tlsmon's log does not match the truth file" >&2; exit 1; }
