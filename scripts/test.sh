#!/usr/bin/env bash
# README command 2: set up (packages, Release build, MNIST and Fashion-MNIST), then run the whole test suite.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
setup_all
fetch_fashion   # the Fashion-MNIST end-to-end tests
ctest --test-dir "$MNISTLR_BUILD" --output-on-failure -j"$(nproc)"
