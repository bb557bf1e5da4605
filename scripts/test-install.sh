#!/usr/bin/env bash
# The install check (issue 16), run by .ci/run after scripts/test.sh (which builds and fetches MNIST):
#   1. cmake --install into a temporary prefix; the man pages, the completion, the fetcher and its
#      checksums must be there;
#   2. the installed binary runs from an empty directory with the source tree out of reach: it
#      must not find data there, and works on MNIST copied outside the tree (--data, $MNISTLR_DATA,
#      and $XDG_DATA_HOME filled as the installed mnistlr-fetch-data fills it);
#   3. every `$ mnistlr ...` example of the README runs as written with the installed binary, in a
#      temporary directory laid out like a clone, and prints what the README shows
#      (scripts/readme_examples.py);
#   4. cpack -G DEB in the build directory, and lintian reports no error or warning on the package.
#
# "Out of reach": the checks run under `unshare --mount` with an empty tmpfs mounted over the source
# tree (and over the build tree when it lies elsewhere), so the paths compiled into the binary
# (MNISTLR_SOURCE_DIR, MNISTLR_BINARY_DIR) name empty directories. The mount lives in a private
# mount namespace: nobody else sees it, and it goes away with the last process in it, so nothing
# needs undoing and an interrupted run leaves nothing mounted. This needs root (CI runs as root);
# without it, `unshare --map-root-user` is tried (an unprivileged user namespace); when neither is
# allowed the script fails rather than check less than it says.
set -euo pipefail
if [ "${1:-}" = --inside ]; then
  MNISTLR_ROOT=$MNISTLR_INSTALL_ROOT  # this is a copy outside the (hidden) tree
else
  source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
fi

fail() { echo "test-install: FAIL: $*" >&2; exit 1; }
say() { echo "test-install: $*" >&2; }

if [ "${1:-}" != --inside ]; then
  # lintian checks the .deb; dpkg-dev has dpkg-shlibdeps, which CPack runs; python3 runs the README's examples.
  ensure_packages lintian dpkg-dev python3
  [ -x "$MNISTLR_BUILD/mnistlr" ] || fail "$MNISTLR_BUILD/mnistlr is missing: run scripts/test.sh first"
  [ -f "$MNISTLR_ROOT/data/mnist/train-images-idx3-ubyte" ] || fail "MNIST is missing: run scripts/test.sh first"
  tmp=$(mktemp -d /tmp/mnistlr-install.XXXXXX)
  trap 'rm -rf "$tmp"' EXIT
  case "$tmp/" in "$MNISTLR_ROOT"/*|"$MNISTLR_BUILD"/*) fail "$tmp lies inside the source or build tree" ;; esac

  say "cmake --install $MNISTLR_BUILD --prefix $tmp/prefix"
  cmake --install "$MNISTLR_BUILD" --prefix "$tmp/prefix" >"$tmp/install.log" || { cat "$tmp/install.log" >&2; fail "cmake --install"; }
  mkdir -p "$tmp/data"
  cp -r "$MNISTLR_ROOT/data/mnist" "$tmp/data/mnist"
  # What the README's examples need, as they would find it in a clone.
  mkdir -p "$tmp/readme/tests/data"
  cp "$MNISTLR_ROOT/README.md" "$MNISTLR_ROOT/scripts/readme_examples.py" "$tmp/readme/"
  cp "$MNISTLR_ROOT/tests/data/seven.png" "$tmp/readme/tests/data/"
  ln -s "$tmp/data" "$tmp/readme/data"

  # The Debian package from the same build, checked by lintian (errors and warnings fail).
  say "cpack -G DEB and lintian"
  (cd "$MNISTLR_BUILD" && cpack -G DEB >"$tmp/cpack.log" 2>&1) || { cat "$tmp/cpack.log" >&2; fail "cpack -G DEB"; }
  version=$("$MNISTLR_BUILD/mnistlr" --version | cut -d' ' -f1)
  deb="$MNISTLR_BUILD/mnistlr_${version}_amd64.deb"
  [ -f "$deb" ] || fail "$deb was not made"
  grep -q "fonts-dejavu-core" <<<"$(dpkg-deb -f "$deb" Depends)" || fail "$deb: Depends lacks fonts-dejavu-core"
  contents=$(dpkg-deb -c "$deb")  # not piped into grep -q, whose early exit would fail the pipe
  grep -q "usr/share/man/man1/mnistlr.1.gz" <<<"$contents" || fail "$deb: no man page"
  grep -q "usr/share/bash-completion/completions/mnistlr" <<<"$contents" || fail "$deb: no completion"
  lintian --fail-on error,warning "$deb" >&2 || fail "lintian reports errors or warnings on $deb"

  hide=("$MNISTLR_ROOT")
  case "$MNISTLR_BUILD/" in "$MNISTLR_ROOT"/*) ;; *) hide+=("$MNISTLR_BUILD") ;; esac
  inner=$(mktemp "$tmp/inner.XXXXXX.sh")
  cp "${BASH_SOURCE[0]}" "$inner"  # the copy runs once the tree is hidden
  mounts=""
  for d in "${hide[@]}"; do mounts+="mount -t tmpfs -o size=1m,mode=0755 mnistlr-hidden '$d' && "; done
  cmd="$mounts MNISTLR_INSTALL_TMP='$tmp' MNISTLR_INSTALL_ROOT='$MNISTLR_ROOT' bash '$inner' --inside"
  if [ "$(id -u)" -eq 0 ] && unshare --mount true 2>/dev/null; then
    unshare --mount --propagation private sh -c "$cmd"
  elif unshare --map-root-user --mount true 2>/dev/null; then
    unshare --map-root-user --mount --propagation private sh -c "$cmd"
  else
    fail "cannot hide the source tree: unshare --mount needs root or unprivileged user namespaces"
  fi
  say "ok"
  exit 0
fi

# ---- inside the private mount namespace: the source tree is an empty tmpfs --------------------
tmp=$MNISTLR_INSTALL_TMP
prefix=$tmp/prefix
[ -z "$(ls -A "$MNISTLR_ROOT")" ] || fail "$MNISTLR_ROOT is still visible"
mkdir -p "$tmp/work" "$tmp/home"
cd "$tmp/work"
export HOME=$tmp/home PATH="$prefix/bin:$PATH"
unset XDG_DATA_HOME MNISTLR_DATA MNISTLR_FONT

[ "$(command -v mnistlr)" = "$prefix/bin/mnistlr" ] || fail "mnistlr on the PATH is $(command -v mnistlr)"
# Outputs are captured before grep reads them: `cmd | grep -q` could kill cmd with SIGPIPE.
grep -q "^[0-9]" <<<"$(mnistlr --version)" || fail "mnistlr --version"
help=$(mnistlr --help)
grep -q "^  train " <<<"$help" || fail "mnistlr --help lists no train"

# Man pages: mnistlr(1), one per subcommand (as --help lists them), mnistlr-fetch-data(1); each
# passes mandoc's lint without errors or warnings.
subs=$(sed -n '/^Subcommands:/,/^$/p' <<<"$help" | awk 'NR > 1 && NF { print $1 }')
[ -n "$subs" ] || fail "no subcommands in mnistlr --help"
for page in mnistlr mnistlr-fetch-data $(for s in $subs; do echo "mnistlr-$s"; done); do
  f="$prefix/share/man/man1/$page.1.gz"
  [ -f "$f" ] || fail "$f is missing"
  mandoc -T lint -W warning "$f" || fail "mandoc -T lint: $f"
done
# The completion: installed where bash-completion loads it, and it completes.
comp="$prefix/share/bash-completion/completions/mnistlr"
[ -f "$comp" ] || fail "$comp is missing"
got=$(bash -c 'source "$1"; COMP_WORDS=(mnistlr tr); COMP_CWORD=1; _mnistlr mnistlr tr mnistlr; echo "${COMPREPLY[*]}"' _ "$comp")
[ "$got" = train ] || fail "completion of 'mnistlr tr' gave '$got'"
for f in README.md LICENSE copyright changelog.gz; do
  [ -f "$prefix/share/doc/mnistlr/$f" ] || fail "share/doc/mnistlr/$f is missing"
done

# No data anywhere it looks: the error names ./data/mnist, and the source tree is not read.
set +e
err=$(mnistlr train --steps 1 -q -o w.bin 2>&1 >/dev/null)
rc=$?
set -e
[ "$rc" = 2 ] || fail "train without data exited $rc (expected 2): $err"
case "$err" in "mnistlr: error: data/mnist: data directory does not exist;"*) ;; *) fail "train without data: $err" ;; esac

mnistlr train --data "$tmp/data/mnist" --lr 0.5 --steps 1000 --min-accuracy 0.85 -q -o w.bin
MNISTLR_DATA="$tmp/data/mnist" mnistlr train --lr 0.5 --steps 1000 --min-accuracy 0.85 -q -o w2.bin
cmp w.bin w2.bin || fail "--data and \$MNISTLR_DATA trained different weights"
# The installed fetcher uses the installed checksums and fills $XDG_DATA_HOME/mnistlr/mnist; files
# already there that verify are kept, so this needs no network.
export XDG_DATA_HOME=$tmp/xdg
mkdir -p "$XDG_DATA_HOME/mnistlr"
cp -r "$tmp/data/mnist" "$XDG_DATA_HOME/mnistlr/mnist"
mnistlr-fetch-data --quiet || fail "mnistlr-fetch-data with verified files in \$XDG_DATA_HOME"
mnistlr train --lr 0.5 --steps 1000 --min-accuracy 0.85 -q -o w3.bin
cmp w.bin w3.bin || fail "the data found in \$XDG_DATA_HOME trained different weights"

mnistlr plot-weights w.bin out.png >/dev/null
[ "$(head -c 8 out.png | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "out.png is not a PNG"
set +e
err=$(MNISTLR_FONT=/nonexistent.ttf mnistlr plot-weights w.bin out2.png 2>&1 >/dev/null)
rc=$?
set -e
[ "$rc" = 2 ] && [ "$err" = "mnistlr: error: /nonexistent.ttf: font not found (set by MNISTLR_FONT)" ] ||
  fail "MNISTLR_FONT=/nonexistent.ttf: exit $rc, '$err'"
[ ! -e out2.png ] || fail "a failed plot-weights left out2.png"
# With DejaVu gone (an empty tmpfs over its directory, in this namespace only) the error names the
# path tried and the package to install.
font_dir=/usr/share/fonts/truetype/dejavu
mount -t tmpfs -o size=1m mnistlr-no-font "$font_dir"
set +e
err=$(mnistlr plot-weights w.bin out3.png 2>&1 >/dev/null)
rc=$?
set -e
umount "$font_dir"
[ "$rc" = 2 ] && [ "$err" = "mnistlr: error: $font_dir/DejaVuSans.ttf: font not found (install fonts-dejavu-core, or set MNISTLR_FONT to a TrueType font)" ] ||
  fail "without DejaVu: exit $rc, '$err'"

# Every `$ mnistlr ...` example of the README, run as written with the installed binary.
(cd "$tmp/readme" && python3 readme_examples.py README.md) >&2 || fail "README examples (above)"
say "installed binary ok with the source tree hidden"
