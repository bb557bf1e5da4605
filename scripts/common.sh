# Shared set-up for scripts/demo.sh and scripts/test.sh (sourced, not run).
# Installs the Debian packages the build needs when missing, builds Release, fetches MNIST.
# Quiet and fast when everything is already there.

MNISTLR_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MNISTLR_BUILD=${MNISTLR_BUILD:-$MNISTLR_ROOT/build}
# Debian packages: Eigen (matrices), CLI11 (command line), stb (PNG/JPEG, TrueType), zlib (gzip,
# CRC-32), nlohmann-json (JSON), DejaVu (the font in pictures), pkg-config (finds stb), giflib
# (train --animate's GIF encoder); for the tests of the generated man pages and completion, mandoc
# (mandoc -T lint) and bash-completion.
MNISTLR_PACKAGES="libeigen3-dev libcli11-dev libstb-dev zlib1g-dev nlohmann-json3-dev fonts-dejavu-core pkg-config libgif-dev mandoc bash-completion"

log() { echo "mnistlr setup: $*" >&2; }

ensure_packages() {
  local missing=() p
  for p in $MNISTLR_PACKAGES "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { log "missing packages: ${missing[*]}; install them as root: apt-get install ${missing[*]}"; return 1; }
    sudo=(sudo)
  fi
  log "installing ${missing[*]} ..."
  export DEBIAN_FRONTEND=noninteractive
  if ! "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/tmp/mnistlr-apt.log 2>&1; then
    log "apt-get install failed; running apt-get update first"
    "${sudo[@]}" apt-get update -qq >>/tmp/mnistlr-apt.log 2>&1 || true
    "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >>/tmp/mnistlr-apt.log 2>&1 || {
      tail -20 /tmp/mnistlr-apt.log >&2; log "could not install: ${missing[*]}"; return 1; }
  fi
}

build_release() {
  local werror=OFF
  [ "${CI:-}" = true ] && werror=ON
  mkdir -p "$MNISTLR_BUILD"
  if [ ! -f "$MNISTLR_BUILD/CMakeCache.txt" ]; then
    log "configuring Release build in $MNISTLR_BUILD"
    cmake -S "$MNISTLR_ROOT" -B "$MNISTLR_BUILD" -DCMAKE_BUILD_TYPE=Release -DMNISTLR_WERROR=$werror "$@" \
      >"$MNISTLR_BUILD/configure.log" 2>&1 || { cat "$MNISTLR_BUILD/configure.log" >&2; return 1; }
  fi
  cmake --build "$MNISTLR_BUILD" -j"$(nproc)" >"$MNISTLR_BUILD/build.log" 2>&1 || {
    grep -E "error|Error" -A3 "$MNISTLR_BUILD/build.log" | head -60 >&2; log "build failed (log: $MNISTLR_BUILD/build.log)"; return 1; }
}

fetch_data() {
  "$MNISTLR_ROOT/data/fetch.sh" --quiet mnist
}

fetch_fashion() {
  "$MNISTLR_ROOT/data/fetch.sh" --quiet fashion
}

setup_all() {
  ensure_packages "$@" && build_release && fetch_data
}
