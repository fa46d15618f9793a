// Browser and bundler entry (ESM): wasm-bindgen's `web` target, initialized on first use. Profile
// compilation (fromProfile, compileSnapshot) lives in a second, larger module loaded on demand.
import initWasm, { initSync } from './edge_persona.js';
import * as raw from './edge_persona.js';
import { wrap } from './wrap.js';

let started = null;
let initialized = false;
let compilerStarted = null;
let compiler = null;

const source = (input) => (input === undefined ? undefined : { module_or_path: input });

const isBytes = (x) => x instanceof ArrayBuffer || ArrayBuffer.isView(x) || x instanceof WebAssembly.Module;

/** Loads the WebAssembly module (once). By default from edge_persona_bg.wasm next to this file. */
export function init(input) {
  if (!started && isBytes(input)) {
    // Bytes or a compiled module: instantiate synchronously (far quicker than the async path for
    // a module this small; browsers allow synchronous compilation of modules up to 8 MB).
    try {
      initSync({ module: input });
      initialized = true;
      started = Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }
  if (!started) {
    started = initWasm(source(input)).then(
      () => { initialized = true; },
      (err) => { started = null; throw err; },
    );
  }
  return started;
}

/** Loads the profile compiler module (once), needed by compileSnapshot and Personalizer.fromProfileSync. */
export function loadCompiler(input) {
  if (!compilerStarted) {
    compilerStarted = import('./compiler/edge_persona.js').then(
      async (m) => { await m.default(source(input)); compiler = m; },
      (err) => { compilerStarted = null; throw err; },
    );
  }
  return compilerStarted;
}

/**
 * Loads the knowledge pack (once): general word knowledge that lets a query's words reach the
 * related words of a profile ("couch" → sofa). By default `knowledge.bin` of this package (a few
 * megabytes: serve it with a long cache lifetime); or bytes, a URL or a Response you give.
 * Without it, ranking matches the query's own words only.
 */
let knowledgeStarted = null;
export function loadKnowledge(input) {
  if (!knowledgeStarted) {
    knowledgeStarted = (async () => {
      await init();
      let bytes = input;
      if (bytes === undefined) bytes = new URL('../knowledge.bin', import.meta.url);
      if (typeof bytes === 'string' || bytes instanceof URL) bytes = await fetch(bytes);
      if (typeof Response !== 'undefined' && bytes instanceof Response) {
        if (!bytes.ok) throw Object.assign(new Error(`edge-persona: knowledge pack: HTTP ${bytes.status}`), { code: 'E_KNOWLEDGE_INVALID' });
        bytes = await bytes.arrayBuffer();
      }
      raw.installKnowledge(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes.buffer ?? bytes, bytes.byteOffset ?? 0, bytes.byteLength));
    })().catch((err) => { knowledgeStarted = null; throw err; });
  }
  return knowledgeStarted;
}

export const { Personalizer, compileSnapshot } = wrap(raw, init, () => initialized, {
  load: () => loadCompiler(),
  get: () => compiler,
});
