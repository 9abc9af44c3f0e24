#!/usr/bin/env bash
# Runs ./tlsmon-asan (ASan + UBSan, -fno-sanitize-recover=all) over every file of the nDPI
# corpus, one process per file, 2 at a time (`make asan-corpus`).
#
#   tests/e2e/asan-corpus.sh [-v] [DIR]     DIR defaults to ../shared/corpus/ndpi
#
# For each FILE: tlsmon-asan -q -r FILE --log OUT (OUT in a temp dir; the corpus stays
# untouched), with ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 and
# UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1. A file FAILS when the run
#   - prints "runtime error", "ERROR: AddressSanitizer", "LeakSanitizer" (or another sanitizer
#     SUMMARY) on stderr,
#   - is killed by a signal or times out (TIMEOUT seconds, default 300),
#   - exits with a status other than 0 or 1,
#   - exits 1 (input refused) without a one-line "tlsmon: FILE: cause" message on stderr,
#   - or writes a log line that is not a JSON object.
# Prints "not ok - FILE" with the report's first lines for each failure ("ok - FILE" too with
# -v), a summary (files, refused files with their messages, warnings, time), and last exactly
# one line "N passed, M failed"; exit status 1 when M > 0.
# Environment: TLSMON_ASAN (default ./tlsmon-asan), JOBS (default 2), TIMEOUT (default 300).
set -euo pipefail

# Worker mode (called by xargs): asan-corpus.sh --one OUTDIR FILE
if [ "${1:-}" = "--one" ]; then
  outdir=$2
  file=$3
  id=$(printf '%s' "$file" | md5sum | cut -c1-16)
  printf '%s\n' "$file" >"$outdir/$id.name"
  start=$(date +%s.%N)
  rc=0
  timeout -k 10 "$TIMEOUT" "$TLSMON_ASAN" -q -r "$file" --log "$outdir/$id.log" \
    >"$outdir/$id.stdout" 2>"$outdir/$id.err" </dev/null || rc=$?
  end=$(date +%s.%N)
  echo "$rc" >"$outdir/$id.rc"
  echo "$start $end" | awk '{ printf "%.2f\n", $2 - $1 }' >"$outdir/$id.time"
  exit 0
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

verbose=0
if [ "${1:-}" = "-v" ]; then
  verbose=1
  shift
fi
corpus=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/../shared/corpus/ndpi}
export TLSMON_ASAN=${TLSMON_ASAN:-./tlsmon-asan}
export TIMEOUT=${TIMEOUT:-300}
JOBS=${JOBS:-2}
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

[ -x "$TLSMON_ASAN" ] || { echo "asan-corpus: $TLSMON_ASAN not found (make tlsmon-asan)" >&2; echo "0 passed, 1 failed"; exit 2; }
[ -d "$corpus" ] || { echo "asan-corpus: $corpus is not a directory" >&2; echo "0 passed, 1 failed"; exit 2; }
case "$TLSMON_ASAN" in /*) ;; *) TLSMON_ASAN="$root/${TLSMON_ASAN#./}" ;; esac

work=$(mktemp -d "${TMPDIR:-/tmp}/tlsmon-asan-corpus.XXXXXX")
trap 'rm -rf "$work"' EXIT

nfiles=$(find "$corpus" -maxdepth 1 -type f | wc -l)
[ "$nfiles" -gt 0 ] || { echo "asan-corpus: no files in $corpus" >&2; echo "0 passed, 1 failed"; exit 2; }
echo "# $nfiles files in $corpus, $JOBS at a time, $TLSMON_ASAN"

t0=$(date +%s)
find "$corpus" -maxdepth 1 -type f -print0 | sort -z |
  xargs -0 -r -n 1 -P "$JOBS" "$here/asan-corpus.sh" --one "$work"
t1=$(date +%s)

# Judge every run (python: one process for 500+ files and their logs).
python3 - "$work" "$verbose" <<'EOF'
import glob, json, os, re, sys

work, verbose = sys.argv[1], sys.argv[2] == '1'
SAN = re.compile(r'runtime error|ERROR: AddressSanitizer|LeakSanitizer|'
                 r'SUMMARY: (Address|UndefinedBehavior|Leak)Sanitizer|ERROR: .*Sanitizer')
passed = failed = 0
refused, warned, slow = [], [], []


def read(path):
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            return f.read()
    except FileNotFoundError:
        return ''


def top_frames(err, n=6):
    """The sanitizer headline and the first stack frames of the report."""
    lines = err.splitlines()
    out = []
    for i, line in enumerate(lines):
        if SAN.search(line):
            out.append(line.strip())
            out += [l.strip() for l in lines[i + 1:] if re.match(r'\s*#\d+ ', l)][:n]
            break
    return out or lines[:n]


for namef in sorted(glob.glob(os.path.join(work, '*.name')), key=lambda p: read(p)):
    base = namef[:-5]
    name = read(namef).rstrip('\n')
    rc = int(read(base + '.rc').strip() or -1)
    err = read(base + '.err')
    secs = float(read(base + '.time').strip() or 0)
    problems = []
    if SAN.search(err):
        problems.append('sanitizer report')
    if rc == 124 or rc == 137:
        problems.append('timed out (exit %d)' % rc)
    elif rc > 128:
        problems.append('killed by signal %d' % (rc - 128))
    elif rc not in (0, 1):
        problems.append('exit status %d' % rc)
    if rc == 1 and not problems:
        msgs = [l for l in err.splitlines() if l.startswith('tlsmon: %s: ' % name)
                and len(l) > len('tlsmon: %s: ' % name)]
        if not msgs:
            problems.append('exit 1 without a "tlsmon: FILE: cause" line')
        else:
            refused.append((name, msgs[0]))
    if rc == 0 and err.strip():
        warned.append((name, err.strip().splitlines()[0]))
    log = base + '.log'
    if os.path.exists(log):
        with open(log, encoding='utf-8', errors='replace') as f:
            for n, line in enumerate(f, 1):
                try:
                    if not isinstance(json.loads(line), dict):
                        raise ValueError('not an object')
                except ValueError as e:
                    problems.append('log line %d is not a JSON object (%s)' % (n, e))
                    break
    if secs > 60:
        slow.append((name, secs))
    if problems:
        failed += 1
        print('not ok - %s: %s (exit %d, %.1f s)' % (name, '; '.join(problems), rc, secs))
        for l in top_frames(err):
            print('#   ' + l[:300])
    else:
        passed += 1
        if verbose:
            print('ok - %s (exit %d, %.1f s)' % (name, rc, secs))

print('# files: %d, exit 0: %d, refused (exit 1): %d, failed: %d'
      % (passed + failed, passed - len(refused), len(refused), failed))
for name, msg in refused:
    print('# refused: ' + msg)
for name, msg in warned:
    print('# warning (exit 0): ' + msg)
for name, secs in slow:
    print('# slow: %s %.1f s' % (name, secs))
with open(os.path.join(work, 'result'), 'w') as f:
    f.write('%d %d\n' % (passed, failed))
EOF

read -r passed failed <"$work/result"
echo "# time: $((t1 - t0)) s for $nfiles files"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
