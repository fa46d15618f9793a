#!/usr/bin/env bash
# The Cloudflare Worker: build | test | dev | load. Each step installs what it lacks and skips what
# is there (scripts/lib.sh): npm ci in worker/, the wasm32 target, and wasm-bindgen-cli and
# worker-build at the versions Cargo.toml pins.
#   build  worker-build (offline-safe) → build/index.js + build/index_bg.wasm; prints the bundle size
#   test   Node tests on workerd (Miniflare) with the official openai client and fake upstreams
#   dev    the Worker on local workerd (wrangler dev), KV seeded from the sample profiles
#   load   autocannon against the local Worker: /v1/context and the chat proxy, personalized and not;
#          then webhooks: workerd CPU per webhook, and reads under a sustained webhook stream
#   cpu    workerd's CPU per request for 1 MB queries and messages and a 2 MB variants group, next
#          to ordinary requests (worker/cpu.mjs; --quick for fewer requests)
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
NM="$ROOT/worker/node_modules"

build() {
  npm_ci worker
  ensure_wasm_target
  ensure_wasm_bindgen
  ensure_worker_build
  log "worker-build --release (feature worker)"
  # worker-build would download wasm-bindgen, esbuild and wasm-opt: point it at the local ones.
  WASM_BINDGEN_BIN="$WASM_BINDGEN" \
  ESBUILD_BIN="$NM/@esbuild/linux-x64/bin/esbuild" \
  WASM_OPT_BIN="$NM/.bin/wasm-opt" \
    "$WORKER_BUILD" --release --features worker
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

# What worker-build reads: the manifest and lockfile, the sources, build.rs (it generates code that
# src/ includes) and cargo configuration if there is any. (wrangler.toml is read by wrangler when it
# runs the bundle, not by the build.) The inspector's page and the DOM module are compiled in too.
BUILD_INPUTS=(Cargo.toml Cargo.lock build.rs build-support data src .cargo rust-toolchain rust-toolchain.toml
  www/inspect.html www/inspect.js www/inspect.css npm/src/dom.js)

# Rebuild only when the bundle is missing or one of its inputs is newer than it.
fresh_build() {
  local inputs=() f
  for f in "${BUILD_INPUTS[@]}"; do
    if [ -e "$f" ]; then inputs+=("$f"); fi
  done
  if [ ! -f build/index.js ] || [ ! -f build/index_bg.wasm ] \
    || [ -n "$(find "${inputs[@]}" -newer build/index.js -print -quit)" ]; then
    build
  else
    npm_ci worker
    size
  fi
}

test_worker() {
  fresh_build
  export EDGE_PERSONA_CLI
  EDGE_PERSONA_CLI="$(cli_bin)"
  log "Worker unit tests (native: slot rewriter, identity; webhook merging runs in the core tests)"
  cargo test --quiet --release --lib --features worker -- bindings::worker identity
  log "Worker tests on workerd (Miniflare)"
  (cd worker && node --test --test-concurrency=1 --test-timeout=300000 test/*.test.mjs)
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

cpu() {
  fresh_build
  export EDGE_PERSONA_CLI
  EDGE_PERSONA_CLI="$(cli_bin)"
  node worker/cpu.mjs "$@"
}

case "${1:-}" in
  build) build ;;
  fresh) fresh_build ;;
  size) size ;;
  test) test_worker ;;
  dev) shift; dev "$@" ;;
  load) shift; load "$@" ;;
  cpu) shift; cpu "$@" ;;
  *) echo "usage: scripts/worker.sh build | test | dev | load | cpu | size" >&2; exit 2 ;;
esac
