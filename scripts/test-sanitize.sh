#!/usr/bin/env bash
# The test suite once more, built with AddressSanitizer + UndefinedBehaviorSanitizer (and LeakSanitizer,
# part of ASan) in its own build directory (build-asan, or $MNISTLR_ASAN_BUILD). Any sanitizer report
# aborts the test that triggered it, so a green run means no findings.
#   scripts/test-sanitize.sh            configure if needed, build, run ctest
#   scripts/test-sanitize.sh -R Idx     extra arguments go to ctest
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ASAN_BUILD=${MNISTLR_ASAN_BUILD:-$MNISTLR_ROOT/build-asan}
ensure_packages libgtest-dev
fetch_data

if [ ! -f "$ASAN_BUILD/CMakeCache.txt" ]; then
  log "configuring ASan+UBSan build in $ASAN_BUILD"
  mkdir -p "$ASAN_BUILD"
  # NATIVE off: with -march=native on an AVX-512 machine, GCC 12 + ASan reports a false
  # "-Wuninitialized" inside its own avx512fintrin.h (the GCC bug noted in CMakeLists.txt), which
  # -Werror turns into a failed build. The portable code is what the sanitizers check.
  # -Wno-psabi: without AVX-512, GCC notes that evaluate.cpp's internal 64-byte vector helpers pass
  # their values differently; an ABI note about functions no other object calls, not a defect.
  cmake -S "$MNISTLR_ROOT" -B "$ASAN_BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMNISTLR_SANITIZE=ON \
    -DMNISTLR_WERROR=ON -DMNISTLR_NATIVE=OFF -DCMAKE_CXX_FLAGS=-Wno-psabi >"$ASAN_BUILD/configure.log" 2>&1 || {
    cat "$ASAN_BUILD/configure.log" >&2; exit 1; }
fi
cmake --build "$ASAN_BUILD" -j"$(nproc)" >"$ASAN_BUILD/build.log" 2>&1 || {
  grep -E "error|Error" -A3 "$ASAN_BUILD/build.log" | head -60 >&2; log "build failed (log: $ASAN_BUILD/build.log)"; exit 1; }

# halt_on_error / abort_on_error: the first report fails the test; detect_leaks: LeakSanitizer at exit.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# The whole suite runs, end-to-end training on real MNIST included (ctest's total was 141 s on 2
# cores with other work running; the build before it takes several minutes).
# MNISTLR_ASAN_EXCLUDE=<ctest regex> leaves tests out when time matters more.
EXCLUDE=${MNISTLR_ASAN_EXCLUDE:-}
ctest --test-dir "$ASAN_BUILD" --output-on-failure -j"$(nproc)" ${EXCLUDE:+-E "$EXCLUDE"} "$@"
