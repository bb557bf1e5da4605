#!/usr/bin/env bash
# README command 1: set up (packages, Release build, MNIST), then train with the reference recipe.
# Extra arguments go to `mnistlr train`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
setup_all
exec "$MNISTLR_BUILD/mnistlr" train --data "$MNISTLR_ROOT/data/mnist" --lr 0.5 --steps 1000 "$@"
