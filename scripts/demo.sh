#!/usr/bin/env bash
# README command 1: set up (packages, Release build, MNIST), then train with the reference recipe.
# Extra arguments go to `mnistlr train` and replace the defaults instead of conflicting with them:
# the reference recipe is train's own default, so the script adds no --lr or --steps (`--epochs 3`,
# `--recipe best` and `--lr 0.1` work as on mnistlr train); --data points at the clone's data set
# unless given (or a DIR argument), and `--dataset fashion` fetches and uses Fashion-MNIST.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
setup_all
dataset=auto
has_data=false
prev=
for a in "$@"; do
  case $a in
    --data|--data=*) has_data=true ;;
    --dataset=*) dataset=${a#--dataset=} ;;
  esac
  [ "$prev" = --dataset ] && dataset=$a
  prev=$a
done
data=()
if ! $has_data; then
  case $dataset in
    auto|mnist) data=(--data "$MNISTLR_ROOT/data/mnist") ;;
    fashion) fetch_fashion; data=(--data "$MNISTLR_ROOT/data/fashion") ;;
  esac
fi
exec "$MNISTLR_BUILD/mnistlr" train "${data[@]}" "$@"
