#!/usr/bin/env bash
# The npm package (npm/), the storefront demo (www/) and their tests and benchmark.
#   scripts/npm.sh build   wasm (cargo, profile `wasm`) → wasm-bindgen (web + nodejs) → wasm-opt -Oz → npm/dist
#   scripts/npm.sh test    build, then: types, Node ESM/CJS/Vite from the `npm pack` tarball, Chromium on www/
#                          (the storefront demo and the inspector)
#   scripts/npm.sh bench   edge-persona (wasm) vs MiniSearch vs Orama, warm/cold/rebuild, one process → docs/benchmarks/npm.md
#   scripts/npm.sh serve   build, compile the demo snapshots, serve www/ on 127.0.0.1 (PORT, default 5180)
# Each step installs the Rust and npm tools it needs when missing (scripts/lib.sh) and skips what is
# there. Chromium is a system package: `./dev setup` installs it; test fails without it, bench reports it not measured.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
DIST="$ROOT/npm/dist"

ensure_wasm_tools() {
  ensure_wasm_target
  ensure_wasm_bindgen
  npm_ci npm
}

# ESM source → CommonJS copy (the sources are written so that this is the only difference).
to_cjs() {
  local src="$1" dst="$2" names="$3"
  { echo "'use strict';"; sed -e 's/^export function /function /' "$src"; echo "module.exports = { $names };"; } >"$dst"
}

build() {
  ensure_wasm_tools
  local out="$TARGET_DIR/wasm32-unknown-unknown/wasm/edge_persona.wasm"
  local flags=(--no-typescript --remove-name-section --remove-producers-section)
  rm -rf "$DIST"
  mkdir -p "$DIST/web/compiler" "$DIST/node" "$DIST/.tmp"
  # 1. The browser module: decode, rank, render, inject, slots (feature wasm).
  log "cargo build --profile wasm --target wasm32-unknown-unknown --features wasm (browser)"
  cargo build --quiet --lib --profile wasm --target wasm32-unknown-unknown --features wasm
  cp "$out" "$DIST/.tmp/browser.wasm"
  # 2. With profile import and compilation (feature wasm-compiler): Node, and the browser's on-demand compiler.
  log "cargo build --profile wasm-compiler --target wasm32-unknown-unknown --features wasm-compiler (Node; browser compiler)"
  cargo build --quiet --lib --profile wasm-compiler --target wasm32-unknown-unknown --features wasm-compiler
  cp "$TARGET_DIR/wasm32-unknown-unknown/wasm-compiler/edge_persona.wasm" "$DIST/.tmp/full.wasm"
  "$WASM_BINDGEN" --target web "${flags[@]}" --out-name edge_persona --out-dir "$DIST/web" "$DIST/.tmp/browser.wasm"
  "$WASM_BINDGEN" --target web "${flags[@]}" --out-name edge_persona --out-dir "$DIST/web/compiler" "$DIST/.tmp/full.wasm"
  "$WASM_BINDGEN" --target nodejs "${flags[@]}" --out-name edge_persona --out-dir "$DIST/node" "$DIST/.tmp/full.wasm"
  local before
  before=$(wc -c <"$DIST/web/edge_persona_bg.wasm")
  # --converge (repeat until nothing shrinks) only where size is budgeted. -ocimfs=0: no inlining of
  # functions merely because they have one caller (binaryen's default inlines them whatever their
  # size), which at -Oz folded snapshot decoding into an 18 KB export and rank + render into a 15 KB
  # function. V8 tiers up (TurboFan, in the background) whole functions that get hot during the first
  # request; smaller functions make that about 40% less CPU, and the browser wasm 2 KB smaller gzipped.
  local opt=(-Oz --one-caller-inline-max-function-size=0)
  npm/node_modules/.bin/wasm-opt "${opt[@]}" --converge "$DIST/web/edge_persona_bg.wasm" -o "$DIST/web/edge_persona_bg.wasm"
  for w in web/compiler/edge_persona_bg.wasm node/edge_persona_bg.wasm; do
    npm/node_modules/.bin/wasm-opt "${opt[@]}" "$DIST/$w" -o "$DIST/$w"
  done
  rm -rf "$DIST/.tmp"
  cp npm/src/wrap.js "$DIST/web/wrap.js"
  cp npm/src/web.js "$DIST/web/index.js"
  to_cjs npm/src/wrap.js "$DIST/node/wrap.cjs" wrap
  cp npm/src/node.cjs "$DIST/node/index.cjs"
  cp npm/src/node.mjs "$DIST/node/index.mjs"
  echo '{"type":"commonjs"}' >"$DIST/node/package.json"
  # The knowledge pack (general word knowledge), one file loaded by users who rank free text.
  "$(cli_bin)" knowledge -o "$DIST/knowledge.bin" 2>/dev/null
  cp npm/src/dom.js "$DIST/dom.js"
  to_cjs npm/src/dom.js "$DIST/dom.cjs" personalize
  # The adapters (subpath exports): nothing imports them but their users.
  cp npm/src/ai-sdk.js "$DIST/ai-sdk.js"
  to_cjs npm/src/ai-sdk.js "$DIST/ai-sdk.cjs" "personaMiddleware, userTurns"
  cp npm/src/langchain.js "$DIST/langchain.js"
  # Chromium's explicit compile hint: compile every function of these files when the file is
  # loaded (off the main thread where it can) rather than on its first call. Every function in
  # them runs when a page first personalizes, and compiling them lazily inside that first call
  # was about a fifth of a cold start in headless Chromium. Engines without the feature ignore it.
  local f
  for f in web/edge_persona.js web/wrap.js web/index.js web/compiler/edge_persona.js dom.js \
    node/edge_persona.js node/wrap.cjs node/index.cjs node/index.mjs dom.cjs; do
    { echo '//# allFunctionsCalledOnLoad'; cat "$DIST/$f"; } >"$DIST/$f.tmp" && mv "$DIST/$f.tmp" "$DIST/$f"
  done
  local wasm gz js jsgz cwasm cgz
  wasm=$(wc -c <"$DIST/web/edge_persona_bg.wasm")
  gz=$(gzip -9 -c "$DIST/web/edge_persona_bg.wasm" | wc -c)
  js=$(cat "$DIST/web/edge_persona.js" "$DIST/web/wrap.js" "$DIST/web/index.js" | wc -c)
  jsgz=$(cat "$DIST/web/edge_persona.js" "$DIST/web/wrap.js" "$DIST/web/index.js" | gzip -9 | wc -c)
  cwasm=$(wc -c <"$DIST/web/compiler/edge_persona_bg.wasm")
  cgz=$(gzip -9 -c "$DIST/web/compiler/edge_persona_bg.wasm" | wc -c)
  printf '{"wasmBeforeOpt":%d,"wasm":%d,"wasmGzip":%d,"js":%d,"jsGzip":%d,"compilerWasm":%d,"compilerWasmGzip":%d}\n' \
    "$before" "$wasm" "$gz" "$js" "$jsgz" "$cwasm" "$cgz" >"$DIST/sizes.json"
  log "browser wasm: $wasm bytes ($gz gzipped; $before before wasm-opt); JS $js bytes ($jsgz gzipped); on-demand compiler wasm: $cwasm bytes ($cgz gzipped)"
  if [ "$gz" -gt $((120 * 1024)) ]; then
    echo "browser wasm is over the 120 KB gzipped budget" >&2
    exit 1
  fi
}

# The demo's snapshots, compiled by the CLI with the browser policy.
snapshots() {
  log "compiling the demo snapshots (edge-persona compile --policy browser)"
  local cli
  cli="$(cli_bin)"
  mkdir -p www/snapshots
  "$cli" compile fixtures/profile-retail-jeff.json -o www/snapshots/jeff.snap --policy browser >/dev/null
  "$cli" compile fixtures/profile-telecom-maria.json -o www/snapshots/maria.snap --policy browser >/dev/null
  "$cli" compile npm/test/profile-hostile.json -o www/snapshots/hostile.snap --policy browser >/dev/null
  head -c 200 www/snapshots/jeff.snap >www/snapshots/corrupt.snap
  printf 'not a snapshot at all' >www/snapshots/garbage.snap
}

serve() {
  build
  snapshots
  exec node www/server.mjs
}

test_all() {
  require_chromium
  build
  snapshots
  log "the DOM module against the core's slot language (npm/test/slots.test.mjs)"
  node --test npm/test/slots.test.mjs
  log "TypeScript declarations (tsc --strict)"
  npm/node_modules/.bin/tsc -p npm/test/tsconfig.json
  log "npm pack → scratch project: Node ESM, Node CommonJS, Vite production build"
  node npm/test/package.test.mjs
  log "Chromium (playwright-core) against www/ on 127.0.0.1"
  node npm/test/browser.test.mjs
  log "the inspector (www/inspect.html) in Chromium against the CLI's rank; screenshots to docs/images/"
  EDGE_PERSONA_CLI="$(cli_bin)" node npm/test/browser-inspect.mjs
}

# Writes docs/benchmarks/npm.md (--quick: prints a short run, writes nothing).
bench() {
  # Always rebuilt (cargo's cache makes it quick when nothing changed): a package or snapshots left
  # from an older checkout would measure old code, or fail to decode in a newer format.
  build
  snapshots
  npm_ci npm
  [ -x "$CHROMIUM" ] || log "no Chromium at $CHROMIUM: its cold start is not measured (./dev setup installs it)"
  # The CLI compiles the benchmark's snapshots (--policy browser), as a deployment would.
  EDGE_PERSONA_CLI="$(cli_bin)" node --no-warnings npm/bench/bench.mjs "$@" # (Orama warns on every bulk insert)
}

case "${1:-}" in
  build) build ;;
  snapshots) snapshots ;;
  test) test_all ;;
  bench) shift; bench "$@" ;;
  serve) serve ;;
  *) echo "usage: scripts/npm.sh build | test | bench | serve | snapshots" >&2; exit 2 ;;
esac
