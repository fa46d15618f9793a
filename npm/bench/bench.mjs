// edge-persona (the browser wasm, run in Node, knowledge pack loaded) against MiniSearch 7 and
// Orama 3, in one Node process, on the retail fixtures small, jeff and large, with the retail
// questions of fixtures/relevance-dev.json. Each setting is what a frontend or edge developer
// would do:
//   warm     a loaded engine answers one more query: edge-persona `rank` and `context` on a
//            Personalizer decoded once; MiniSearch `search` and Orama `search` on an index built once.
//   cold     from stored bytes, per request: edge-persona decodes the snapshot + `context` (then
//            frees it); MiniSearch `loadJSON` of its own serialized index + `search`.
//   rebuild  the profile's JSON per request: JSON.parse + build an index + search (MiniSearch; Orama
//            on small and jeff only, where a sample takes less than a second).
// The settings of one group are interleaved (every setting runs every query once per round) so that
// the machine's load falls on all of them alike; the ratios are of medians of the same run.
// Then the cold start (a fresh Node process, a fresh headless Chromium: instantiate + first request)
// and nDCG@10 on the labelled sets. Writes docs/benchmarks/npm.md whole.
// Usage (scripts/npm.sh bench builds npm/dist and the CLI first):
//   EDGE_PERSONA_CLI=target/release/edge-persona node npm/bench/bench.mjs [--quick] [--out FILE] [--json FILE]
// --quick: few samples, for trying the script; prints the report and writes no file unless --out.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import MiniSearch from 'minisearch';
import { create, insertMultiple, search } from '@orama/orama';
import { CHROMIUM_PATH, launchChromium, startDemo } from '../test/chromium.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const dist = resolve(here, '../dist');
const scratch = join(root, 'npm/.scratch/bench');
const arg = (name) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : null);
const quick = process.argv.includes('--quick');
const outFile = arg('--out') ?? (quick ? null : join(root, 'docs/benchmarks/npm.md'));
const jsonOut = arg('--json');
const cli = process.env.EDGE_PERSONA_CLI;
if (!cli || !existsSync(cli)) {
  console.error('EDGE_PERSONA_CLI must name the edge-persona CLI (cargo build --release --features cli); scripts/npm.sh bench sets it');
  process.exit(2);
}
const startedAt = new Date();
const loadAtStart = loadavg();

const { init, loadKnowledge, Personalizer } = await import(join(dist, 'web/index.js'));
await init(readFileSync(join(dist, 'web/edge_persona_bg.wasm')));
await loadKnowledge(readFileSync(join(dist, 'knowledge.bin')));

const dev = JSON.parse(readFileSync(join(root, 'fixtures/relevance-dev.json'), 'utf8'));
const NOW = Date.parse(dev.now);
const QUERIES = dev.cases.filter((c) => c.profile.startsWith('profile-retail-')).map((c) => c.query);
const PROFILES = ['profile-retail-small', 'profile-retail-jeff', 'profile-retail-large'];
const short = (name) => name.replace(/^profile-retail-/, '');
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
/** The 10th percentile (nearest rank): the fast end, less stretched by other work preempting a long sample. */
const p10 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 10)];
const versionOf = (pkg) => JSON.parse(readFileSync(join(root, 'npm/node_modules', pkg, 'package.json'), 'utf8')).version;

/** The profile's JSON text (fixtures hold the larger ones gzipped). */
function profileText(dir, name) {
  const file = join(root, dir, `${name}.json`);
  return existsSync(file) ? readFileSync(file, 'utf8') : gunzipSync(readFileSync(`${file}.gz`)).toString('utf8');
}

/** Snapshot bytes as `edge-persona compile --policy browser` writes them. */
function snapshotOf(dir, name, text) {
  mkdirSync(join(scratch, dir), { recursive: true });
  const json = join(scratch, dir, `${name}.json`);
  const snap = join(scratch, dir, `${name}.browser.snap`);
  writeFileSync(json, text);
  execFileSync(cli, ['compile', json, '-o', snap, '--policy', 'browser'], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Uint8Array(readFileSync(snap));
}

// ---- the peers: index the raw profile the way a frontend would ------------------------------------
const flatten = (v) => (v === null || typeof v !== 'object' ? String(v) : Object.entries(v).map(([k, x]) => `${k} ${flatten(x)}`).join(' '));
const human = (key) => key.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/[_.]+/g, ' ');
/** One document per trait and per event: its key or event name, and its values as text. */
function documents(text) {
  const profile = JSON.parse(text);
  const docs = [];
  const traits = profile.traits?.traits ?? profile.traits ?? {};
  for (const [key, value] of Object.entries(traits)) docs.push({ id: `trait:${key}`, name: human(key), text: flatten(value) });
  for (const e of profile.events?.data ?? []) {
    const props = Object.entries(e.properties ?? {}).map(([k, v]) => `${human(k)} ${flatten(v)}`).join(' ');
    docs.push({ id: `event:${e.message_id}`, name: e.event ?? '', text: props });
  }
  return docs;
}
const MINISEARCH_OPTIONS = { fields: ['name', 'text'], storeFields: [], searchOptions: { boost: { name: 2 } } };
function miniSearchIndex(text) {
  const ms = new MiniSearch(MINISEARCH_OPTIONS);
  ms.addAll(documents(text));
  return ms;
}
const miniSearchTop = (ms, query) => ms.search(query).slice(0, 10).map((r) => r.id);
async function oramaIndex(text) {
  const db = create({ schema: { id: 'string', name: 'string', text: 'string' } });
  await insertMultiple(db, documents(text));
  return db;
}
/** Orama 3's search answers synchronously for this schema; a promise is awaited if it ever is one. */
function oramaTop(db, query) {
  const ids = (res) => res.hits.map((h) => h.document.id);
  const res = search(db, { term: query, properties: ['name', 'text'], boost: { name: 2 }, limit: 10 });
  return typeof res?.then === 'function' ? res.then(ids) : ids(res);
}
function edgeCold(bytes, query) {
  const p = Personalizer.fromSnapshotSync(bytes);
  try {
    return p.context(query, { now: NOW }).items;
  } finally {
    p.free();
  }
}

// ---- measurement ----------------------------------------------------------------------------------
/**
 * Runs the settings in rounds (each setting every query once per round, in turn) after `warmup`
 * rounds, until each has `minSamples` samples and `budgetMs` has passed (or `maxRounds`); one
 * sample is one query's time. Returns per setting its median and 10th percentile (ms) and number
 * of samples.
 */
async function measure(settings, { minSamples, budgetMs, warmup, maxRounds = Infinity }) {
  for (let r = 0; r < warmup; r++) for (const s of settings) for (const q of QUERIES) await s.run(q);
  const samples = settings.map(() => []);
  const start = performance.now();
  for (let round = 0; round < maxRounds && (samples[0].length < minSamples || performance.now() - start < budgetMs); round++) {
    for (const [i, s] of settings.entries()) {
      for (const q of QUERIES) {
        const t0 = performance.now();
        const out = s.run(q);
        if (typeof out?.then === 'function') await out;
        samples[i].push(performance.now() - t0);
      }
    }
  }
  return Object.fromEntries(settings.map((s, i) => [s.key, { median: median(samples[i]), p10: p10(samples[i]), n: samples[i].length }]));
}

/** The same ids from two settings of one engine, or the benchmark is measuring something else. */
function sameIds(what, a, b) {
  if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`${what}: ${JSON.stringify(a)} ≠ ${JSON.stringify(b)}`);
}

// ---- cold start: a fresh Node process, a fresh headless Chromium --------------------------------
// Measured first, after a pause: once the benchmarks below have run, this process's own background
// work (V8 recompiling what they ran hot, its garbage collector) competes with the fresh processes.
const jeffText = profileText('fixtures', 'profile-retail-jeff');
const jeffSnapFile = join(scratch, 'fixtures', 'profile-retail-jeff.browser.snap');
snapshotOf('fixtures', 'profile-retail-jeff', jeffText);
const coldScript = `
const t0 = performance.now();
const { readFileSync } = await import('node:fs');
const { init, Personalizer } = await import(${JSON.stringify(join(dist, 'web/index.js'))});
const wasm = readFileSync(${JSON.stringify(join(dist, 'web/edge_persona_bg.wasm'))});
const bytes = readFileSync(process.argv[1]);
const t1 = performance.now();
await init(wasm);
const t2 = performance.now();
const p = Personalizer.fromSnapshotSync(bytes);
p.context(${JSON.stringify(QUERIES[0])}, { now: ${NOW} });
const t3 = performance.now();
console.log(JSON.stringify({ instantiate: t2 - t1, firstRequest: t3 - t2, total: t3 - t1 }));`;
await new Promise((ok) => setTimeout(ok, 300));
const nodeColds = [];
for (let i = 0; i < (quick ? 3 : 15); i++) {
  nodeColds.push(JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', coldScript, jeffSnapFile], { encoding: 'utf8' })));
}
const of = (runs, key) => median(runs.map((r) => r[key]));
const nodeCold = { samples: nodeColds.length, instantiate: of(nodeColds, 'instantiate'), firstRequest: of(nodeColds, 'firstRequest'), total: of(nodeColds, 'total') };

// A fresh browser per sample loads www/bench.html (the demo's jeff snapshot, compiled by
// `scripts/npm.sh snapshots` with the browser policy), which imports the package, waits for the page
// to go idle, then times instantiating the module from its bytes + the first request.
async function chromiumColdStart(samples) {
  if (!existsSync(CHROMIUM_PATH)) return null;
  const { url, child } = await startDemo();
  try {
    const runs = [];
    for (let i = 0; i < samples; i++) {
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        await page.goto(`${url}bench.html`);
        await page.waitForSelector('html[data-result]', { timeout: 30000 });
        runs.push(JSON.parse(await page.getAttribute('html', 'data-result')));
      } finally {
        await browser.close();
      }
    }
    return { samples, version: chromiumVersion(), import: of(runs, 'importMs'), instantiate: of(runs, 'instantiateMs'), firstRequest: of(runs, 'firstRequestMs'), total: of(runs, 'coldStartMs'), warm: of(runs, 'warmMedianMs') };
  } finally {
    child.kill();
  }
}
function chromiumVersion() {
  // Debian's wrapper script prints shell noise on stderr; keep the first two words ("Chromium 156.…").
  try { return execFileSync(CHROMIUM_PATH, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split(/\s+/).slice(0, 2).join(' '); } catch { return 'Chromium'; }
}
const browserCold = await chromiumColdStart(quick ? 3 : 15);

// ---- warm, cold and rebuild on each profile --------------------------------------------------------
const MIN = quick ? 16 : 160; // samples per setting (warm, cold); 20 rounds of the 8 questions
const MIN_REBUILD = quick ? 8 : 104; // 13 rounds
const rows = [];
for (const name of PROFILES) {
  const text = name.endsWith('jeff') ? jeffText : profileText('fixtures', name);
  const bytes = snapshotOf('fixtures', name, text);
  const p = Personalizer.fromSnapshotSync(bytes);
  const ms = miniSearchIndex(text);
  const msJson = JSON.stringify(ms);
  const db = await oramaIndex(text);
  for (const q of QUERIES) {
    sameIds(`${name}: edge-persona cold vs warm context`, edgeCold(bytes, q), p.context(q, { now: NOW }).items);
    sameIds(`${name}: MiniSearch loadJSON vs warm`, miniSearchTop(MiniSearch.loadJSON(msJson, MINISEARCH_OPTIONS), q), miniSearchTop(ms, q));
  }
  const large = name.endsWith('large');
  const fast = await measure([
    { key: 'edgeRank', run: (q) => p.rank(q, { limit: 10, now: NOW }) },
    { key: 'edgeContext', run: (q) => p.context(q, { now: NOW }) },
    { key: 'miniSearch', run: (q) => miniSearchTop(ms, q) },
    { key: 'orama', run: (q) => oramaTop(db, q) },
    { key: 'edgeCold', run: (q) => edgeCold(bytes, q) },
    { key: 'miniSearchCold', run: (q) => miniSearchTop(MiniSearch.loadJSON(msJson, MINISEARCH_OPTIONS), q) },
  ], { minSamples: MIN, budgetMs: quick ? 200 : large ? 8000 : 4000, warmup: 3 });
  const rebuildSettings = [{ key: 'miniSearchRebuild', run: (q) => miniSearchTop(miniSearchIndex(text), q) }];
  if (!large) rebuildSettings.push({ key: 'oramaRebuild', run: async (q) => oramaTop(await oramaIndex(text), q) });
  const rebuild = await measure(rebuildSettings, { minSamples: MIN_REBUILD, budgetMs: 0, warmup: 1 });
  p.free();
  rows.push({ profile: name, jsonBytes: Buffer.byteLength(text), snapshotBytes: bytes.length, miniSearchJsonBytes: Buffer.byteLength(msJson), documents: ms.documentCount, ...fast, ...rebuild });
  console.error(`measured ${name}`);
}

// ---- relevance on the labelled sets, each engine on the same profile ---------------------------------
/** Share of the grade-3 items in the top 10 (1 when there are none). */
function recall10(ranked, labels) {
  const must = Object.keys(labels).filter((id) => labels[id] === 3);
  const top = new Set(ranked.slice(0, 10));
  return must.length ? must.filter((id) => top.has(id)).length / must.length : 1;
}
function ndcg10(ranked, labels) {
  const gain = (g) => 2 ** g - 1;
  const dcg = ranked.slice(0, 10).reduce((s, id, i) => s + gain(labels[id] ?? 0) / Math.log2(i + 2), 0);
  const ideal = Object.values(labels).sort((a, b) => b - a).slice(0, 10).reduce((s, g, i) => s + gain(g) / Math.log2(i + 2), 0);
  return ideal ? dcg / ideal : 0;
}
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const relevance = {};
for (const [set, dir, file] of [['dev', 'fixtures', 'relevance-dev.json'], ['dev2', 'fixtures/dev2', 'relevance-dev2.json'], ['dev3', 'fixtures/dev3', 'relevance-dev3.json']]) {
  const labels = JSON.parse(readFileSync(join(root, dir, file), 'utf8'));
  const now = Date.parse(labels.now);
  const scores = { edgePersona: [], miniSearch: [], orama: [] };
  const engines = new Map();
  for (const c of labels.cases) {
    if (!engines.has(c.profile)) {
      const text = profileText(dir, c.profile);
      engines.set(c.profile, { p: Personalizer.fromSnapshotSync(snapshotOf(dir, c.profile, text)), ms: miniSearchIndex(text), db: await oramaIndex(text) });
    }
    const { p, ms, db } = engines.get(c.profile);
    const relevant = Array.isArray(c.relevant) ? Object.fromEntries(c.relevant) : c.relevant;
    const ranked = {
      edgePersona: p.rank(c.query, { limit: 10, now }).map((i) => i.id),
      miniSearch: miniSearchTop(ms, c.query),
      orama: await oramaTop(db, c.query),
    };
    for (const [engine, ids] of Object.entries(ranked)) scores[engine].push([ndcg10(ids, relevant), recall10(ids, relevant)]);
  }
  for (const { p } of engines.values()) p.free();
  relevance[set] = Object.fromEntries(Object.entries(scores).map(([engine, xs]) => [engine, { ndcg: mean(xs.map((x) => x[0])), recall: mean(xs.map((x) => x[1])), cases: xs.length }]));
}

// ---- report ---------------------------------------------------------------------------------------
const fmt = (x) => (x < 1 ? x.toFixed(3) : x < 100 ? x.toFixed(2) : x.toFixed(0));
const ratio = (x) => (x < 10 ? x.toFixed(2) : x.toFixed(1));
const bytes = (n) => n.toLocaleString('en-US');
const met = (ok) => (ok ? 'met' : '**not met**');
/** A cold target judged by the medians, saying so when the 10th percentiles disagree. */
function metCold(r, times) {
  const byMedian = r.miniSearchCold.median >= times * r.edgeCold.median;
  const byP10 = r.miniSearchCold.p10 >= times * r.edgeCold.p10;
  return byMedian === byP10 ? met(byMedian) : `${met(byMedian)} by the medians, ${byP10 ? 'met' : 'not met'} by the 10th percentiles`;
}
const row = (name) => rows.find((r) => r.profile === name);
const cpuModel = (readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m) ?? [null, cpus()[0]?.model ?? 'unknown'])[1];
const nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();
const jeff = row('profile-retail-jeff');
const small = row('profile-retail-small');
const out = [];
const line = (s = '') => out.push(s);
line('# The npm package next to MiniSearch and Orama');
line();
line(`Generated by \`scripts/npm.sh bench\` (npm/bench/bench.mjs${quick ? ' --quick: few samples, not for quoting' : ''}) on ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC.`);
line(`Machine: Node ${process.version}, ${nproc} cores (\`nproc\`), ${cpuModel}; load average ${loadAtStart.map((x) => x.toFixed(2)).join(' / ')} at the start and ${loadavg().map((x) => x.toFixed(2)).join(' / ')} at the end (1 / 5 / 15 min): the machine is shared with other work, so absolute times move between runs; the ratios compare medians of one run, whose settings were interleaved (each setting answers every question once per round, in turn).`);
line();
line(`edge-persona ${JSON.parse(readFileSync(join(here, '../package.json'), 'utf8')).version}: the browser wasm of npm/dist (\`scripts/npm.sh build\`) run in Node, knowledge pack loaded (\`loadKnowledge\`), snapshots compiled by the CLI with \`edge-persona compile --policy browser\`. MiniSearch ${versionOf('minisearch')} and Orama ${versionOf('@orama/orama')} index one document per trait (key, values) and per event (name, properties), the name field boosted 2×, top 10. Queries: the ${QUERIES.length} retail questions of fixtures/relevance-dev.json, now = ${dev.now}. A sample is one question; each figure is the median of its samples (counts at the end).`);
line();
line('## Targets of issue 17');
line();
line('| target | measured | |');
line('| --- | ---: | --- |');
line(`| warm, jeff: edge-persona \`rank\` ≤ 0.5× MiniSearch's warm \`search\` | ${ratio(jeff.edgeRank.median / jeff.miniSearch.median)}× | ${met(jeff.edgeRank.median <= 0.5 * jeff.miniSearch.median)} |`);
line(`| warm, jeff: edge-persona \`context\` ≤ MiniSearch's warm \`search\` | ${ratio(jeff.edgeContext.median / jeff.miniSearch.median)}× | ${met(jeff.edgeContext.median <= jeff.miniSearch.median)} |`);
line(`| cold, jeff: MiniSearch \`loadJSON\` + search ≥ 30× edge-persona decode + context | ${ratio(jeff.miniSearchCold.median / jeff.edgeCold.median)}× (10th percentiles: ${ratio(jeff.miniSearchCold.p10 / jeff.edgeCold.p10)}×) | ${metCold(jeff, 30)} |`);
line(`| cold, small: the same ≥ 5× | ${ratio(small.miniSearchCold.median / small.edgeCold.median)}× (10th percentiles: ${ratio(small.miniSearchCold.p10 / small.edgeCold.p10)}×) | ${metCold(small, 5)} |`);
line(`| Chromium cold start (instantiate + first request on jeff) ≤ 10 ms | ${browserCold ? `${fmt(browserCold.total)} ms` : 'not measured (no Chromium)'} | ${browserCold ? met(browserCold.total <= 10) : '**not measured**'} |`);
line();
line('The native request, snapshot and wasm size targets are in [engine.md](engine.md) and [sizes.md](sizes.md); publication CPU in [worker-cpu.md](worker-cpu.md).');
line();
line('## Warm: a loaded engine answers one more query');
line();
line('| profile | edge-persona `rank` | edge-persona `context` | MiniSearch `search` | Orama `search` | `rank` / MiniSearch | `context` / MiniSearch | `rank` / Orama |');
line('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) line(`| ${short(r.profile)} | ${fmt(r.edgeRank.median)} ms | ${fmt(r.edgeContext.median)} ms | ${fmt(r.miniSearch.median)} ms | ${fmt(r.orama.median)} ms | ${ratio(r.edgeRank.median / r.miniSearch.median)}× | ${ratio(r.edgeContext.median / r.miniSearch.median)}× | ${ratio(r.edgeRank.median / r.orama.median)}× |`);
line();
line('Below 1× edge-persona is the faster. `context` ranks, then renders the delimited block within its token budget.');
line();
line('## Cold: from stored bytes, per request');
line();
line('| profile | snapshot | edge-persona decode + `context` | MiniSearch index (`JSON.stringify`) | MiniSearch `loadJSON` + `search` | MiniSearch / edge-persona | the same, 10th percentiles |');
line('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) line(`| ${short(r.profile)} | ${bytes(r.snapshotBytes)} B | ${fmt(r.edgeCold.median)} ms | ${bytes(r.miniSearchJsonBytes)} B | ${fmt(r.miniSearchCold.median)} ms | ${ratio(r.miniSearchCold.median / r.edgeCold.median)}× | ${ratio(r.miniSearchCold.p10 / r.edgeCold.p10)}× |`);
line();
line('Above 1× edge-persona is the faster. On a loaded machine a long sample (MiniSearch\'s milliseconds) is more often preempted than a short one, which stretches its median more: the ratio of the 10th percentiles, less affected, is given beside it. Orama has no serialized-index loader in its core package (its persistence plugin is not installed), so it has no cold row.');
line();
line('## Rebuild: the profile\'s JSON indexed per request');
line();
line('| profile | profile JSON | documents | MiniSearch parse + index + search | Orama parse + insert + search | MiniSearch / edge-persona cold | Orama / edge-persona cold |');
line('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  const orama = r.oramaRebuild ? [`${fmt(r.oramaRebuild.median)} ms`, `${ratio(r.oramaRebuild.median / r.edgeCold.median)}×`] : ['not run', '—'];
  line(`| ${short(r.profile)} | ${bytes(r.jsonBytes)} B | ${bytes(r.documents)} | ${fmt(r.miniSearchRebuild.median)} ms | ${orama[0]} | ${ratio(r.miniSearchRebuild.median / r.edgeCold.median)}× | ${orama[1]} |`);
}
line();
line('Orama\'s rebuild is not run on large (seconds per sample). The edge-persona figure it is divided by is the cold row above (decode + context).');
line();
line('## Cold start: instantiate the browser wasm + the first request on jeff');
line();
line('Without the knowledge pack (a page that ranks free text loads it once, beside the module); the jeff snapshot compiled with the browser policy; the first question above.');
line();
line('| where | samples | instantiate | first request | total | |');
line('| --- | ---: | ---: | ---: | ---: | --- |');
line(`| Node ${process.version}, a fresh process each | ${nodeCold.samples} | ${fmt(nodeCold.instantiate)} ms | ${fmt(nodeCold.firstRequest)} ms | ${fmt(nodeCold.total)} ms | |`);
if (browserCold) {
  line(`| ${browserCold.version} headless, a fresh browser each (www/bench.html, idle page) | ${browserCold.samples} | ${fmt(browserCold.instantiate)} ms | ${fmt(browserCold.firstRequest)} ms | ${fmt(browserCold.total)} ms | import of the package beforehand ${fmt(browserCold.import)} ms; warm decode + context in the page ${fmt(browserCold.warm)} ms |`);
} else {
  line(`| Chromium | — | — | — | — | not measured: no Chromium at ${CHROMIUM_PATH} (\`./dev setup\` installs it, or set CHROMIUM) |`);
}
line();
line('## Relevance on the labelled sets');
line();
line('nDCG@10 (gain 2^grade − 1) / recall@10 of the grade-3 items, each engine on the same profiles (edge-persona: browser-policy snapshots, knowledge pack loaded). Per domain, native: `cargo run --release --example relevance` (see [README.md](README.md)).');
line();
line('| set | questions | edge-persona | MiniSearch | Orama |');
line('| --- | ---: | ---: | ---: | ---: |');
for (const [set, r] of Object.entries(relevance)) line(`| ${set} | ${r.edgePersona.cases} | ${r.edgePersona.ndcg.toFixed(3)} / ${r.edgePersona.recall.toFixed(3)} | ${r.miniSearch.ndcg.toFixed(3)} / ${r.miniSearch.recall.toFixed(3)} | ${r.orama.ndcg.toFixed(3)} / ${r.orama.recall.toFixed(3)} |`);
line();
line('## Samples');
line();
line('| profile | rank | context | MiniSearch | Orama | edge cold | MiniSearch loadJSON | MiniSearch rebuild | Orama rebuild |');
line('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) line(`| ${short(r.profile)} | ${r.edgeRank.n} | ${r.edgeContext.n} | ${r.miniSearch.n} | ${r.orama.n} | ${r.edgeCold.n} | ${r.miniSearchCold.n} | ${r.miniSearchRebuild.n} | ${r.oramaRebuild?.n ?? '—'} |`);
const report = `${out.join('\n')}\n`;
process.stdout.write(report);
if (outFile) {
  writeFileSync(outFile, report);
  console.error(`wrote ${outFile}`);
}
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ rows, relevance, nodeCold, browserCold }, null, 2));
