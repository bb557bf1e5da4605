#!/usr/bin/env bash
# Whole-command benchmark of mnistlr against the NumPy and PyTorch peers, in one run on one machine.
#
#   bench/run.sh [--runs N] [--quick]
#
# Builds Release, fetches MNIST and Fashion-MNIST, installs hyperfine and the peers' Debian packages
# (python3-numpy, python3-torch, libopenblas0), then times each command with hyperfine (interleaved
# warm-ups, N runs, medians) and measures peak RSS with /usr/bin/time -v (median of 5). Prints a
# Markdown table with ratios. The peers live in ../shared/peers (override with PEERS=DIR).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
runs=20
quick=0
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift ;;
    --quick) quick=1 ;;
    *) echo "usage: bench/run.sh [--runs N] [--quick]" >&2; exit 2 ;;
  esac
  shift
done
ensure_packages hyperfine python3-numpy python3-torch libopenblas0 time
build_release
fetch_data
"$MNISTLR_ROOT/data/fetch.sh" --quiet fashion
peers=${PEERS:-$MNISTLR_ROOT/../shared/peers}
[ -f "$peers/seed_numpy.py" ] || { echo "bench: no peers in $peers (set PEERS=DIR)" >&2; exit 1; }

bin=$MNISTLR_BUILD/mnistlr
mnist=$MNISTLR_ROOT/data/mnist
fashion=$MNISTLR_ROOT/data/fashion
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
py=/usr/bin/python3

# A synthetic training set 10x MNIST (600000 images: the MNIST payload ten times), to show that
# memory grows with the uint8 data only (no float copy) and the step time does not grow.
big=$out/big
mkdir -p "$big"
{ printf '\x00\x00\x08\x03\x00\x09\x27\xc0\x00\x00\x00\x1c\x00\x00\x00\x1c'
  for _ in 1 2 3 4 5 6 7 8 9 10; do tail -c +17 "$mnist/train-images-idx3-ubyte"; done; } > "$big/train-images-idx3-ubyte"
{ printf '\x00\x00\x08\x01\x00\x09\x27\xc0'
  for _ in 1 2 3 4 5 6 7 8 9 10; do tail -c +9 "$mnist/train-labels-idx1-ubyte"; done; } > "$big/train-labels-idx1-ubyte"
ln -s "$mnist/t10k-images-idx3-ubyte" "$mnist/t10k-labels-idx1-ubyte" "$big/"

first100=$(seq -s, 0 99)
# name|command
cmds=(
  "mnistlr train (reference)|$bin train --data $mnist -o $out/w.bin --quiet"
  "seed_numpy.py|$py $peers/seed_numpy.py $mnist"
  "seed_torch.py|$py $peers/seed_torch.py $mnist"
  "mnistlr plot-weights|$bin plot-weights $out/w.bin $out/w.png"
  "mnistlr eval|$bin eval $out/w.bin --data $mnist"
  "mnistlr eval --errors --confusion|$bin eval $out/w.bin --data $mnist --errors $out/err.png --confusion $out/conf.png"
  "mnistlr explain (100 test images, --json)|$bin explain $out/w.bin --idx $mnist/t10k-images-idx3-ubyte --index $first100 --json"
  "mnistlr explain (100 test images, PNG)|$bin explain $out/w.bin --idx $mnist/t10k-images-idx3-ubyte --index $first100 -o $out/x.png"
  "mnistlr train --animate (100 frames, scale 4)|$bin train --data $mnist -o $out/a.bin --animate $out/a.gif --quiet"
  "mnistlr train --recipe best (MNIST)|$bin train --data $mnist --recipe best -o $out/b.bin --quiet"
  "mnistlr train --recipe best --no-deskew (MNIST)|$bin train --data $mnist --recipe best --no-deskew -o $out/nd.bin --quiet"
  "mnistlr train --recipe best (Fashion)|$bin train --data $fashion --recipe best -o $out/f.bin --quiet"
  "mnistlr train --eval-every 1|$bin train --data $mnist --eval-every 1 -o $out/e.bin --quiet"
  "seed_numpy.py --eval-every-step|$py $peers/seed_numpy.py $mnist --eval-every-step"
  "mnistlr train on 600k images (10x MNIST)|$bin train --data $big -o $out/big.bin --quiet"
)
[ "$quick" = 1 ] && cmds=("${cmds[@]:0:4}")
"$bin" train --data "$mnist" -o "$out/w.bin" --quiet   # plot-weights needs a model

results=$out/results.tsv
for entry in "${cmds[@]}"; do
  name=${entry%%|*}
  cmd=${entry#*|}
  n=$runs
  case "$name" in *eval-every*) n=$(( runs < 5 ? runs : 5 )) ;; esac
  echo "bench: $name ($n runs)" >&2
  hyperfine -N --warmup 2 --runs "$n" --export-json "$out/h.json" "$cmd" >/dev/null 2>&1 ||
    hyperfine --warmup 2 --runs "$n" --export-json "$out/h.json" "$cmd" >/dev/null
  median=$($py -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' "$out/h.json")
  rss=()
  for _ in 1 2 3 4 5; do
    /usr/bin/time -v -o "$out/time.txt" $cmd >/dev/null 2>&1
    rss+=("$(awk '/Maximum resident/ {print $6}' "$out/time.txt")")
  done
  rss_med=$(printf '%s\n' "${rss[@]}" | sort -n | sed -n 3p)
  printf '%s\t%s\t%s\n' "$name" "$median" "$rss_med" >> "$results"
done

$py - "$results" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
t = {n: float(s) for n, s, _ in rows}
print(f"| command | median wall time | peak RSS | ratio |")
print(f"|---|---|---|---|")
def ratio(name):
    pairs = {"seed_numpy.py": "mnistlr train (reference)", "seed_torch.py": "mnistlr train (reference)",
             "seed_numpy.py --eval-every-step": "mnistlr train --eval-every 1",
             "mnistlr train --animate (100 frames, scale 4)": "mnistlr train (reference)"}
    if name in pairs and pairs[name] in t:
        return f"{t[name] / t[pairs[name]]:.1f}x the time of `{pairs[name]}`"
    extra = {"mnistlr eval --errors --confusion": "mnistlr eval",
             # what deskewing the 70 000 images costs the whole command (issue 15's <= 60 ms)
             "mnistlr train --recipe best (MNIST)": "mnistlr train --recipe best --no-deskew (MNIST)"}
    if name in extra and extra[name] in t:
        return f"{(t[name] - t[extra[name]]) * 1000:+.0f} ms over `{extra[name]}`"
    return ""
for n, s, r in rows:
    rss = f"{int(r) / 1024:.0f} MiB" if r.isdigit() else "?"
    print(f"| {n} | {float(s) * 1000:.0f} ms | {rss} | {ratio(n)} |")
PY
