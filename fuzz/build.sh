#!/usr/bin/env bash
# Configures (once) and builds fuzz targets in their own build directory, with clang, libFuzzer,
# ASan and UBSan on the core library and the targets alike.
#   fuzz/build.sh [TARGET...]     e.g. fuzz/build.sh fuzz_idx; no argument: all of them
# Environment: MNISTLR_FUZZ_BUILD (default build-fuzz), CXX (default clang++-14, else clang++).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${MNISTLR_FUZZ_BUILD:-$ROOT/build-fuzz}
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cxx=${CXX:-$(command -v clang++-14 || command -v clang++ || true)}
  cc=${CC:-$(command -v clang-14 || command -v clang || true)}
  [ -n "$cxx" ] || { echo "fuzz: clang++ not found (apt-get install clang-14 libclang-rt-14-dev)" >&2; exit 1; }
  echo "fuzz: configuring $BUILD with $cxx" >&2
  mkdir -p "$BUILD"
  CC=$cc CXX=$cxx cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMNISTLR_FUZZ=ON \
    -DMNISTLR_SANITIZE=ON -DMNISTLR_BUILD_TESTS=OFF -DMNISTLR_NATIVE=OFF >"$BUILD/configure.log" 2>&1 || {
    cat "$BUILD/configure.log" >&2; exit 1; }
fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_idx fuzz_weights fuzz_npy fuzz_image fuzz_class_names fuzz_make_corpus)
args=()
for t in "${targets[@]}"; do args+=(--target "$t"); done
# Niced: fuzzing is a background job on a shared machine.
nice -n 19 cmake --build "$BUILD" -j"${MNISTLR_FUZZ_JOBS:-$(nproc)}" "${args[@]}" >"$BUILD/build.log" 2>&1 || {
  grep -E "error|Error" -A3 "$BUILD/build.log" | head -60 >&2; echo "fuzz: build failed (log: $BUILD/build.log)" >&2; exit 1; }
