#!/usr/bin/env bash
# Builds (if needed) and runs one fuzz target for a given time, niced, in one process, then prints
# what it did: executions, corpus size, findings.
#   fuzz/run.sh TARGET SECONDS [libFuzzer flags...]
#   TARGET: idx | weights | npy | image | class_names  (or fuzz_idx, ...)
# Layout under build-fuzz/: seeds/<t> (regenerated), corpus/<t> (grows, kept between runs),
# artifacts/<t>/ (crash-*, leak-*, timeout-*, oom-*: the findings), logs/<t>/fuzz-0.log.
# A finding replays with: build-fuzz/fuzz/fuzz_<t> build-fuzz/artifacts/<t>/crash-...
# MNISTLR_FUZZ_NICE (default 19): its niceness; at 19, other busy processes can starve it into false timeouts.
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=${MNISTLR_FUZZ_BUILD:-$(cd "$HERE/.." && pwd)/build-fuzz}
export MNISTLR_FUZZ_BUILD=$BUILD
t=${1#fuzz_}
secs=$2
shift 2
case $t in idx|weights|npy|image|class_names) ;; *) echo "fuzz: unknown target '$t' (idx, weights, npy, image, class_names)" >&2; exit 2;; esac

"$HERE/build.sh" "fuzz_$t"
"$HERE/make_corpus.sh" >/dev/null
mkdir -p "$BUILD/corpus/$t" "$BUILD/artifacts/$t" "$BUILD/logs/$t"
dict=()
[ -f "$HERE/$t.dict" ] && dict=(-dict="$HERE/$t.dict")
before=$(ls "$BUILD/artifacts/$t" | wc -l)

# -jobs=1 -workers=1: one fuzzing process (its output goes to logs/<t>/fuzz-0.log); -timeout=5: an
# input taking over 5 s is a finding (a hang); leaks are findings too (LeakSanitizer).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$BUILD/logs/$t"
rm -f fuzz-0.log
start=$(date +%s)
set +e
nice -n "${MNISTLR_FUZZ_NICE:-19}" "$BUILD/fuzz/fuzz_$t" -jobs=1 -workers=1 -max_total_time="$secs" -timeout=5 -print_final_stats=1 \
  -artifact_prefix="$BUILD/artifacts/$t/" "${dict[@]}" "$@" "$BUILD/corpus/$t" "$BUILD/seeds/$t" >parent.log 2>&1
rc=$?
set -e
elapsed=$(( $(date +%s) - start ))

log=$BUILD/logs/$t/fuzz-0.log
execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | awk '{print $2}')
cov=$(grep -E '^#[0-9]+' "$log" | tail -1 | grep -o 'cov: [0-9]*' || true)
after=$(ls "$BUILD/artifacts/$t" | wc -l)
echo "fuzz_$t: ${execs:-?} executions in ${elapsed} s ($cov, corpus $(ls "$BUILD/corpus/$t" | wc -l) files, exit $rc)"
grep -E '^stat::' "$log" | sed 's/^/  /'
if [ "$after" -gt "$before" ] || grep -qE 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY:' "$log"; then
  echo "fuzz_$t: FINDINGS (log: $log):"
  grep -E 'ERROR:|runtime error:|SUMMARY:|Test unit written|fuzz invariant' "$log" | sed 's/^/  /'
  exit 1
fi
echo "fuzz_$t: no findings"
