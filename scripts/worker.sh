#!/usr/bin/env bash
# The Cloudflare Worker: build | test | dev | load. Every step installs what it needs and skips what is
# already there (a fresh clone needs only the Rust toolchain, Node 20 and npm).
#   build  worker-build (offline-safe) → build/index.js + build/index_bg.wasm; prints the bundle size
#   test   Node tests on workerd (Miniflare) with the official openai client and fake upstreams
#   dev    the Worker on local workerd (wrangler dev), KV seeded from the sample profiles
#   load   autocannon against the local Worker: /v1/context and the chat proxy, personalized and not
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$ROOT/$TARGET_DIR" ;; esac
export CARGO_TARGET_DIR="$TARGET_DIR"
export WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false CLOUDFLARE_CF_FETCH_ENABLED=false
WASM_BINDGEN_VERSION=0.2.130
WORKER_BUILD_VERSION=0.8.7
NM="$ROOT/worker/node_modules"

log() { printf '== %s\n' "$*" >&2; }

ensure_npm() {
  if [ ! -x "$NM/.bin/wrangler" ] || [ ! -f "$NM/.package-lock.json" ] \
    || [ "$ROOT/worker/package-lock.json" -nt "$NM/.package-lock.json" ]; then
    log "npm ci (worker/)"
    (cd worker && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

ensure_rust_tools() {
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    log "rustup target add wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
  fi
  if ! "$HOME/.cargo/bin/wasm-bindgen" --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION"; then
    log "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (~2.5 min, once)"
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  fi
  if ! "$HOME/.cargo/bin/worker-build" --version 2>/dev/null | grep -qx "$WORKER_BUILD_VERSION"; then
    log "cargo install worker-build $WORKER_BUILD_VERSION (~4 min, once)"
    cargo install worker-build --version "$WORKER_BUILD_VERSION" --locked
  fi
}

cli_bin() {
  cargo build --quiet --release --features cli
  echo "$TARGET_DIR/release/edge-persona"
}

build() {
  ensure_npm
  ensure_rust_tools
  log "worker-build --release (feature worker)"
  # worker-build would download wasm-bindgen, esbuild and wasm-opt: point it at the local ones.
  WASM_BINDGEN_BIN="$HOME/.cargo/bin/wasm-bindgen" \
  ESBUILD_BIN="$NM/@esbuild/linux-x64/bin/esbuild" \
  WASM_OPT_BIN="$NM/.bin/wasm-opt" \
    "$HOME/.cargo/bin/worker-build" --release --features worker
  size
}

size() {
  local wasm=build/index_bg.wasm js=build/index.js
  [ -f "$wasm" ] || { echo "no $wasm: run scripts/worker.sh build" >&2; return 1; }
  local raw gz jsraw jsgz
  raw=$(wc -c <"$wasm"); gz=$(gzip -9c "$wasm" | wc -c)
  jsraw=$(wc -c <"$js"); jsgz=$(gzip -9c "$js" | wc -c)
  printf 'bundle: %s (%d bytes, %d gzipped) + %s (%d bytes, %d gzipped) = %d bytes gzipped\n' \
    "$wasm" "$raw" "$gz" "$js" "$jsraw" "$jsgz" $((gz + jsgz))
}

fresh_build() {
  # Rebuild only when a source is newer than the bundle.
  if [ ! -f build/index.js ] || [ -n "$(find src Cargo.toml Cargo.lock -newer build/index.js -print -quit)" ]; then
    build
  else
    ensure_npm
    size
  fi
}

test_worker() {
  fresh_build
  export EDGE_PERSONA_CLI
  EDGE_PERSONA_CLI="$(cli_bin)"
  log "Worker unit tests (native: slot rewriter, webhook merging, identity)"
  cargo test --quiet --release --lib --features worker -- bindings::worker identity
  log "Worker tests on workerd (Miniflare)"
  (cd worker && node --test --test-concurrency=1 --test-timeout=60000 test/*.test.mjs)
}

dev() {
  fresh_build
  export EDGE_PERSONA_CLI
  EDGE_PERSONA_CLI="$(cli_bin)"
  exec node worker/dev.mjs "$@"
}

load() {
  fresh_build
  export EDGE_PERSONA_CLI
  EDGE_PERSONA_CLI="$(cli_bin)"
  node worker/load.mjs "$@"
  size
}

case "${1:-}" in
  build) build ;;
  fresh) fresh_build ;;
  size) size ;;
  test) test_worker ;;
  dev) shift; dev "$@" ;;
  load) shift; load "$@" ;;
  *) echo "usage: scripts/worker.sh build | test | dev | load | size" >&2; exit 2 ;;
esac
