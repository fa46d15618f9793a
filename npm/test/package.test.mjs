// The package as users get it: `npm pack`, installed from the tarball into a scratch project, used
// from Node ESM, Node CommonJS and a Vite production build (checked again in Chromium by browser.test.mjs).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = resolve(here, '..');
const root = resolve(pkgDir, '..');
const scratch = join(pkgDir, '.scratch');
const app = join(scratch, 'consumer');
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

// No `any` in the public declarations.
for (const f of ['index.d.ts', 'dom.d.ts', 'ai-sdk.d.ts', 'langchain.d.ts']) {
  const text = readFileSync(join(pkgDir, f), 'utf8').replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '');
  assert.ok(!/\bany\b/.test(text), `${f} uses any`);
}

rmSync(scratch, { recursive: true, force: true });
mkdirSync(app, { recursive: true });
const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', scratch], pkgDir));
const tarball = join(scratch, packed[0].filename);
const files = packed[0].files.map((f) => f.path);
for (const f of ['package.json', 'index.d.ts', 'dom.d.ts', 'ai-sdk.d.ts', 'langchain.d.ts', 'dist/ai-sdk.js', 'dist/ai-sdk.cjs', 'dist/langchain.js', 'README.md', 'dist/web/edge_persona_bg.wasm', 'dist/web/compiler/edge_persona_bg.wasm', 'dist/node/edge_persona_bg.wasm', 'dist/node/package.json', 'dist/dom.js', 'dist/dom.cjs', 'dist/knowledge.bin']) {
  assert.ok(files.includes(f), `tarball has ${f}`);
}
console.log(`npm pack: ${packed[0].filename}, ${packed[0].size} bytes packed, ${packed[0].unpackedSize} unpacked, ${files.length} files`);

cpSync(join(here, 'consumer'), app, { recursive: true });
writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2));
run('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error', tarball], app);

const fixtures = join(root, 'fixtures');
process.stdout.write(run('node', ['esm.mjs', fixtures, join(root, 'www/snapshots/jeff.snap')], app));
process.stdout.write(run('node', ['cjs.cjs', fixtures], app));
process.stdout.write(run('node', ['explain.mjs', fixtures], app));

// Vite production build.
mkdirSync(join(app, 'public'), { recursive: true });
cpSync(join(root, 'www/snapshots/jeff.snap'), join(app, 'public/jeff.snap'));
cpSync(join(fixtures, 'profile-retail-small.json'), join(app, 'public/profile-small.json'));
run(process.execPath, [join(pkgDir, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], app);
const assets = readdirSync(join(app, 'dist/assets'));
const wasm = assets.filter((f) => f.endsWith('.wasm')).map((f) => [f, statSync(join(app, 'dist/assets', f)).size]);
assert.equal(wasm.length, 2, `two wasm assets (browser, on-demand compiler): ${assets}`);
const browserWasm = statSync(join(pkgDir, 'dist/web/edge_persona_bg.wasm')).size;
assert.ok(wasm.some(([, size]) => size === browserWasm), 'the browser wasm is emitted as is');
const js = assets.filter((f) => f.endsWith('.js'));
assert.ok(js.length >= 2, `the compiler glue is a separate chunk: ${js}`);
console.log(`Vite build: ok (${assets.join(', ')})`);

// The adapters, with the real packages they plug into (pinned in test/adapters/package.json and its
// lock file), edge-persona from the same tarball.
const adapters = join(scratch, 'adapters');
cpSync(join(here, 'adapters'), adapters, { recursive: true });
run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], adapters);
run('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--loglevel=error', tarball], adapters);
run(process.execPath, [join(pkgDir, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], adapters);
process.stdout.write(run('node', ['adapters.mjs', fixtures], adapters));
// The peers are needed only by their subpath: the first scratch project has neither `ai` nor
// `@langchain/core`, and there the core entry (above) and `edge-persona/ai-sdk` load, and only
// `edge-persona/langchain` asks for its peer.
const probe = "for (const m of ['edge-persona', 'edge-persona/ai-sdk', 'edge-persona/langchain']) { try { await import(m); console.log(m, 'ok'); } catch (e) { console.log(m, e.code, /@langchain\\/core/.test(e.message)); } }";
assert.equal(run('node', ['--input-type=module', '-e', probe], app).trim(), 'edge-persona ok\nedge-persona/ai-sdk ok\nedge-persona/langchain ERR_MODULE_NOT_FOUND true');
const sizes = Object.fromEntries(['ai-sdk.js', 'langchain.js'].map((f) => [f, statSync(join(pkgDir, 'dist', f)).size]));
console.log(`adapters: ok (ai-sdk.js ${sizes['ai-sdk.js']} B, langchain.js ${sizes['langchain.js']} B; the core entry needs neither peer)`);
