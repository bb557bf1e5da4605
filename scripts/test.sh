#!/usr/bin/env bash
# README command 2: set up (packages, Release build, MNIST and Fashion-MNIST), the CI smoke gate
# (the reference recipe on real MNIST must reach 0.90, else exit 3), then the whole test suite.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
setup_all
fetch_fashion   # the Fashion-MNIST end-to-end tests
smoke=$(mktemp -d)
trap 'rm -rf "$smoke"' EXIT
"$MNISTLR_BUILD/mnistlr" train --data "$MNISTLR_ROOT/data/mnist" --lr 0.5 --steps 1000 --min-accuracy 0.90 \
  -o "$smoke/weights.bin"
ctest --test-dir "$MNISTLR_BUILD" --output-on-failure -j"$(nproc)"
