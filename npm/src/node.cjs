'use strict';
// Node entry (CommonJS): wasm-bindgen's `nodejs` target (with the profile compiler), which
// instantiates synchronously on require.
const raw = require('./edge_persona.js');
const { wrap } = require('./wrap.cjs');

function init() {
  return Promise.resolve();
}

// The knowledge pack (general word knowledge: see index.d.ts), read from this package's
// knowledge.bin unless bytes are given.
let knowledgeLoaded = false;
function loadKnowledge(input) {
  try {
    if (!knowledgeLoaded) {
      const bytes = input === undefined
        ? require('node:fs').readFileSync(require('node:path').join(__dirname, '..', 'knowledge.bin'))
        : input;
      raw.installKnowledge(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes.buffer ?? bytes, bytes.byteOffset ?? 0, bytes.byteLength));
      knowledgeLoaded = true;
    }
    return Promise.resolve();
  } catch (err) {
    return Promise.reject(err);
  }
}

const { Personalizer, compileSnapshot } = wrap(raw, init, () => true, { load: init, get: () => raw });
module.exports = { init, loadCompiler: init, loadKnowledge, Personalizer, compileSnapshot };
