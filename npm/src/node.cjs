'use strict';
// Node entry (CommonJS): wasm-bindgen's `nodejs` target (with the profile compiler), which
// instantiates synchronously on require.
const raw = require('./edge_persona.js');
const { wrap } = require('./wrap.cjs');

function init() {
  return Promise.resolve();
}

const { Personalizer, compileSnapshot } = wrap(raw, init, () => true, { load: init, get: () => raw });
module.exports = { init, loadCompiler: init, Personalizer, compileSnapshot };
