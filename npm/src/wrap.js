// The package's JS API over the wasm-bindgen glue, shared by the web (ESM) and Node (CommonJS)
// entries: the build copies this file as wrap.js and turns it into wrap.cjs. It only checks the
// JS-side types the glue cannot (strings, byte arrays) and adds the async constructors; everything
// else happens in the Rust core.

function invalid(message) {
  const err = new TypeError(message);
  err.code = 'E_OPTIONS_INVALID';
  return err;
}

function bytesOf(bytes) {
  if (bytes instanceof Uint8Array) return bytes;
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  if (ArrayBuffer.isView(bytes)) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  throw invalid('snapshot: expected a Uint8Array, ArrayBuffer or typed array');
}

function textOf(value, what) {
  if (typeof value !== 'string') throw invalid(`${what}: expected a string`);
  return value;
}

// A query: a string, or a conversation's user turns (an array of strings, oldest first).
function queryOf(query) {
  if (typeof query === 'string') return query;
  if (Array.isArray(query) && query.every((t) => typeof t === 'string')) return query;
  throw invalid('query: expected a string or an array of strings (user turns, oldest first)');
}

function jsonText(profile) {
  if (typeof profile === 'string') return profile;
  if (profile !== null && typeof profile === 'object') return JSON.stringify(profile);
  throw invalid('profile: expected JSON text or an object');
}

// raw: the wasm-bindgen module (Personalizer); init/isReady: its loading; compiler: { load(), get() },
// the module with compileSnapshot (in browsers a second wasm, loaded on demand).
export function wrap(raw, init, isReady, compiler) {
  function notInitialized(what) {
    const err = new Error(`edge-persona: ${what}`);
    err.code = 'E_NOT_INITIALIZED';
    return err;
  }

  function ready() {
    if (!isReady()) throw notInitialized('the WebAssembly module is not initialized; await init() (or an async Personalizer.from* constructor) first');
  }

  function compile(profile, policy) {
    const text = jsonText(profile);
    const c = compiler.get();
    if (!c) throw notInitialized('the profile compiler is not loaded; await loadCompiler() (or Personalizer.fromProfile) first');
    return c.compileSnapshot(text, policy);
  }

  const token = Symbol('edge-persona');

  class Personalizer {
    #handle;

    constructor(handle, key) {
      if (key !== token) throw new TypeError('use Personalizer.fromSnapshot() or Personalizer.fromProfile()');
      this.#handle = handle;
    }

    static async fromSnapshot(bytes) {
      await init();
      return Personalizer.fromSnapshotSync(bytes);
    }

    static fromSnapshotSync(bytes) {
      ready();
      return new Personalizer(raw.Personalizer.fromSnapshot(bytesOf(bytes)), token);
    }

    static async fromProfile(profile, policy) {
      await Promise.all([init(), compiler.load()]);
      return Personalizer.fromProfileSync(profile, policy);
    }

    static fromProfileSync(profile, policy) {
      ready();
      return Personalizer.fromSnapshotSync(compile(profile, policy));
    }

    rank(query, options) {
      return this.#handle.rank(textOf(query, 'query'), options);
    }

    context(query, options) {
      return this.#handle.context(queryOf(query), options);
    }

    injectChat(body, options) {
      return this.#handle.injectChat(body, options);
    }

    slotValue(spec) {
      return this.#handle.slotValue(textOf(spec, 'slot'));
    }

    conditionHolds(expr) {
      return this.#handle.conditionHolds(textOf(expr, 'condition'));
    }

    chooseVariant(variants, options) {
      return this.#handle.chooseVariant(variants, options);
    }

    free() {
      if (this.#handle) {
        this.#handle.free();
        this.#handle = undefined;
      }
    }
  }
  if (typeof Symbol.dispose === 'symbol') {
    Personalizer.prototype[Symbol.dispose] = Personalizer.prototype.free;
  }

  function compileSnapshot(profile, policy) {
    return compile(profile, policy);
  }

  return { Personalizer, compileSnapshot };
}
