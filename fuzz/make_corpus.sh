#!/usr/bin/env bash
# Writes the seed corpus (tiny valid inputs made by fuzz/make_corpus.cpp with the project's own
# encoders; never the real data set) to build-fuzz/seeds/<target>/.
#   fuzz/make_corpus.sh [OUT_DIR]
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=${MNISTLR_FUZZ_BUILD:-$(cd "$HERE/.." && pwd)/build-fuzz}
OUT=${1:-$BUILD/seeds}
"$HERE/build.sh" fuzz_make_corpus
# The generator links the sanitized core: leaks at exit are not its concern.
ASAN_OPTIONS=detect_leaks=0 "$BUILD/fuzz/fuzz_make_corpus" "$OUT"
for d in "$OUT"/*/; do echo "fuzz: $(ls "$d" | wc -l) seeds in $d"; done
