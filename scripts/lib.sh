# shellcheck shell=bash
# Sourced by ./dev, scripts/npm.sh and scripts/worker.sh (after their `set -euo pipefail`): the
# repository root and cargo target dir, logging, and the tools the builds and tests need, each
# installed only when missing. `./dev setup` runs every ensure_* below; the scripts call the ones
# their step needs, except ensure_chromium (a system package): the tests only check for Chromium.
#
# Pinned versions are written once: wasm-bindgen-cli and worker-build must equal the wasm-bindgen
# and worker crates, so they are read from Cargo.toml (where both are pinned with `=`).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$ROOT/$TARGET_DIR" ;; esac
export CARGO_TARGET_DIR="$TARGET_DIR"
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
# Headless Chromium for the npm package's browser tests and benchmark (npm/test/chromium.mjs reads
# the same variable); `./dev setup` installs Debian's package, which provides /usr/bin/chromium.
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
# wrangler and Miniflare: no telemetry, error reports or Cloudflare fetches from local runs.
export WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false CLOUDFLARE_CF_FETCH_ENABLED=false

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The exact version Cargo.toml's [dependencies] pin a crate to (`name = { version = "=X.Y.Z", … }`
# or `name = "=X.Y.Z"`); fails when the crate is missing or not pinned with `=`.
crate_pin() {
  local crate="$1" version
  version=$(sed -n '/^\[dependencies\]/,/^\[/p' "$ROOT/Cargo.toml" \
    | sed -nE "s/^${crate}[[:space:]]*=[[:space:]]*(\{[^}]*version[[:space:]]*=[[:space:]]*)?\"=([^\"]+)\".*/\2/p")
  [ -n "$version" ] || die "Cargo.toml: the $crate dependency must be pinned exactly (version = \"=X.Y.Z\"): the scripts install the matching CLI"
  printf '%s\n' "$version"
}
WASM_BINDGEN_VERSION="$(crate_pin wasm-bindgen)" # wasm-bindgen-cli must equal the crate
WORKER_BUILD_VERSION="$(crate_pin worker)"       # worker-build is released with the worker crate

# The first of the candidate paths that is an executable printing `<name> <version>` (or just
# `<version>`) for --version, with exactly the version wanted; nothing when none is.
find_tool() {
  local version="$1" candidate
  shift
  for candidate in "$@"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ] \
      && [ "$("$candidate" --version 2>/dev/null | awk 'NR == 1 { print $NF }')" = "$version" ]; then
      printf '%s\n' "$candidate"
      return
    fi
  done
}

# `npm ci` in a folder unless its node_modules already matches the lockfile (npm writes
# node_modules/.package-lock.json at the end of an install).
npm_ci() {
  local dir="$ROOT/$1" installed="$ROOT/$1/node_modules/.package-lock.json"
  if [ ! -f "$installed" ] || [ "$dir/package-lock.json" -nt "$installed" ]; then
    log "npm ci ($1/)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

ensure_wasm_target() {
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    log "rustup target add wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
  fi
}

# Prints the path of a <bin> of exactly <version>: $<override variable> if it is one, else the one
# on PATH, else cargo's bin directory's; cargo-installs <crate> there (with any further arguments
# to cargo install) when none matches.
cargo_tool() {
  local bin="$1" version="$2" override="$3" crate="$4" path
  shift 4
  path="$(find_tool "$version" "${!override:-}" "$(command -v "$bin" || true)" "$CARGO_BIN/$bin")"
  if [ -z "$path" ]; then
    log "cargo install $crate $version (a few minutes, once)"
    cargo install "$crate" --version "$version" "$@" >&2
    path="$(find_tool "$version" "$CARGO_BIN/$bin")"
    [ -n "$path" ] || die "cargo install $crate $version left no $CARGO_BIN/$bin of that version"
  fi
  printf '%s\n' "$path"
}

# WASM_BINDGEN: a wasm-bindgen of exactly the crate's version ($WASM_BINDGEN_BIN, PATH, cargo's bin).
WASM_BINDGEN=""
ensure_wasm_bindgen() {
  # No --locked: its lockfile wants a webpki-roots version the registry no longer has.
  # shellcheck disable=SC2034 # read by the scripts that source this file
  WASM_BINDGEN="$(cargo_tool wasm-bindgen "$WASM_BINDGEN_VERSION" WASM_BINDGEN_BIN wasm-bindgen-cli)"
}

# WORKER_BUILD: the same for worker-build ($WORKER_BUILD_BIN, PATH, cargo's bin).
WORKER_BUILD=""
ensure_worker_build() {
  # shellcheck disable=SC2034 # read by the scripts that source this file
  WORKER_BUILD="$(cargo_tool worker-build "$WORKER_BUILD_VERSION" WORKER_BUILD_BIN worker-build --locked)"
}

# Fails, naming the set-up step, when there is no Chromium at $CHROMIUM. Installs nothing.
require_chromium() {
  [ -x "$CHROMIUM" ] || die "no Chromium at $CHROMIUM (the npm package's browser tests need it). Run ./dev setup, which installs Debian's chromium, or set CHROMIUM to a Chromium executable."
}

# Debian's chromium (apt-get, as root or through sudo), unless $CHROMIUM is already there.
ensure_chromium() {
  [ -x "$CHROMIUM" ] && return
  command -v apt-get >/dev/null || die "no Chromium at $CHROMIUM and no apt-get to install it: install Chromium and set CHROMIUM to its executable"
  log "apt-get install chromium (Debian)"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
  [ -x "$CHROMIUM" ] || die "apt-get installed chromium, but there is still nothing at $CHROMIUM (is CHROMIUM set elsewhere?)"
}

# The Python venv of the official MCP SDK the Worker tests drive (worker/test/python/), outside
# the clone: $EDGE_PERSONA_PY_VENV, else ~/.cache/edge-persona/py-venv. Made from the pinned
# requirements file; skipped when it holds exactly those (a copy of the file is its stamp).
PY_VENV="${EDGE_PERSONA_PY_VENV:-$HOME/.cache/edge-persona/py-venv}"
export EDGE_PERSONA_PY_VENV="$PY_VENV"
ensure_python_venv() {
  local req="$ROOT/worker/test/python/requirements.txt"
  if [ -x "$PY_VENV/bin/python" ] && cmp -s "$req" "$PY_VENV/.requirements.txt"; then
    return
  fi
  log "python venv $PY_VENV (pip install -r worker/test/python/requirements.txt)"
  python3 -m venv "$PY_VENV"
  "$PY_VENV/bin/pip" install --quiet --disable-pip-version-check -r "$req"
  cp "$req" "$PY_VENV/.requirements.txt"
}

# Builds the CLI (release, feature cli) and prints its path.
cli_bin() {
  cargo build --quiet --release --features cli
  printf '%s\n' "$TARGET_DIR/release/edge-persona"
}
