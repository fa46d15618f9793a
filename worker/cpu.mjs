// CPU per request of the local Worker (workerd via Miniflare), measured as workerd's own process CPU
// time (utime + stime from /proc/<pid>/stat) over N sequential requests, minus its idle CPU over the
// same wall time: large inputs next to ordinary ones; then the CPU of publications (hostile shapes
// and a person at the state's bounds) and another person's reads while one runs. Writes the tables
// to docs/benchmarks/worker-cpu.md. Usage: node worker/cpu.mjs [--quick]
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Miniflare } from 'miniflare';
import {
  FIXTURES, PAGE, ROOT, SECRET, WEBHOOK_SECRET, compileSeeds, fakeLlm, listen, seedKv, signWebhook, token,
  workerOptions,
} from './test/helpers.mjs';
import { bigGroupPage } from './test/hostile.mjs';

const QUICK = process.argv.includes('--quick');
const TICK_MS = 10; // USER_HZ is 100 on Linux

/** The workerd processes started by this process (Miniflare's children). */
function workerdPids() {
  const pids = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (comm.startsWith('workerd') && ppid === process.pid) pids.push(d);
    } catch { /* gone */ }
  }
  return pids;
}

function cpuMs(pids) {
  let ticks = 0;
  for (const pid of pids) {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').slice(readFileSync(`/proc/${pid}/stat`, 'utf8').lastIndexOf(')') + 2).split(' ');
    ticks += Number(f[11]) + Number(f[12]); // utime, stime (fields 14 and 15)
  }
  return ticks * TICK_MS;
}

const llm = await fakeLlm();
llm.seen.push = () => 0; // keep memory flat
const bigGroup = bigGroupPage(2 << 20);
const origin = await listen((req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(req.url.startsWith('/big-group') ? bigGroup : PAGE);
});
const seeds = compileSeeds([path.join(FIXTURES, 'profile-retail-jeff.json')]);

async function worker(extra = {}) {
  const mf = new Miniflare(workerOptions({ IDENTITY_SECRET: SECRET, LLM_UPSTREAM_URL: llm.url, ORIGIN_URL: origin.url, SNAPSHOT_CACHE_SECONDS: '600', ...extra }));
  const base = (await mf.ready).toString().replace(/\/$/, '');
  await seedKv(await mf.getKVNamespace('PROFILES'), seeds);
  return { mf, base, pids: workerdPids() };
}

// 1 MB of words: a pasted document, not one repeated token.
function megabyteOfWords() {
  const words = ['running', 'shoes', 'size', 'trail', 'order', 'return', 'jacket', 'marathon', 'loyalty', 'points', 'delivery', 'refund'];
  let x = 12345; const out = [];
  let n = 0;
  while (n < 1 << 20) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const w = `${words[x % words.length]}${x % 97}`;
    out.push(w); n += w.length + 1;
  }
  return out.join(' ');
}
const big = megabyteOfWords();
const jeff = token('jeff-lawson-1138', { ttl: 3600 });
const chat = (content) => JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content }] });

async function measure(w, name, n, request) {
  await request(); // warm
  const idleStart = cpuMs(w.pids); const idleT0 = Date.now();
  await new Promise((r) => setTimeout(r, 1000));
  const idleRate = (cpuMs(w.pids) - idleStart) / (Date.now() - idleT0);
  const c0 = cpuMs(w.pids); const t0 = Date.now();
  for (let i = 0; i < n; i += 1) await request();
  const wall = Date.now() - t0;
  const cpu = cpuMs(w.pids) - c0 - idleRate * wall;
  return { scenario: name, requests: n, 'CPU ms/request': +(Math.max(cpu, 0) / n).toFixed(2), 'wall ms/request': +(wall / n).toFixed(1) };
}

async function call(w, p, init, expect = 200) {
  const res = await fetch(`${w.base}${p}`, init);
  const body = await res.arrayBuffer();
  if (res.status !== expect) throw new Error(`${p}: ${res.status} ${Buffer.from(body).toString().slice(0, 200)}`);
  return body;
}

const rows = [];
const many = QUICK ? 20 : 200;
const few = QUICK ? 2 : 5;
const w = await worker();
try {
  const ctx = (q) => ({ method: 'POST', headers: { authorization: `Bearer ${jeff}` }, body: JSON.stringify({ query: q }) });
  const llmCall = (content) => ({ method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk', 'x-edge-persona-identity': jeff }, body: chat(content) });
  const page = { headers: { cookie: `ep_id=${token('jeff-lawson-1138', { format: 'cookie' })}`, 'accept-encoding': 'identity' } };
  // The floor of any request on local workerd (Miniflare's entry, the HTTP round trip, the
  // Worker's routing): one answered unpersonalized, before any work of the engine.
  rows.push(await measure(w, 'POST /v1/context without an identity (unpersonalized: the floor of a request here)', many, () => call(w, '/v1/context', { method: 'POST', body: '{"query":"x"}' })));
  rows.push(await measure(w, 'POST /v1/context, ordinary query', many, () => call(w, '/v1/context', ctx('running shoes in my size'))));
  rows.push(await measure(w, 'POST /v1/context, 1 MB query', few, () => call(w, '/v1/context', ctx(big))));
  rows.push(await measure(w, 'chat proxy, ordinary message', many, () => call(w, '/v1/chat/completions', llmCall('Can you recommend some running shoes in my size?'))));
  rows.push(await measure(w, 'chat proxy, 1 MB pasted message', few, () => call(w, '/v1/chat/completions', llmCall(big))));
  rows.push(await measure(w, 'HTML page (helpers PAGE, 34 KB)', many, () => call(w, '/page', page)));
  rows.push(await measure(w, 'HTML, 2 MB variants group (bound 256 KiB: as authored)', few, () => call(w, '/big-group', page)));
} finally {
  await w.mf.dispose();
}
const held = await worker({ HTML_MAX_GROUP_BYTES: String(4 << 20) });
try {
  const page = { headers: { cookie: `ep_id=${token('jeff-lawson-1138', { format: 'cookie' })}`, 'accept-encoding': 'identity' } };
  rows.push(await measure(held, 'HTML, 2 MB variants group (bound 4 MiB: held, resolved)', few, () => call(held, '/big-group', page)));
} finally {
  await held.mf.dispose();
  await llm.close();
  await origin.close();
}

// Publications: each scenario in a Worker of its own, the person's state built by webhooks (or a
// legacy source bundle), then one more ordinary webhook whose publication (alarm, both policies,
// KV writes) is measured: workerd CPU from the webhook to the new version in KV, idle subtracted.
const hook = (w, payload) => {
  const body = JSON.stringify(payload);
  return fetch(`${w.base}/v1/webhooks/segment`, { method: 'POST', body, headers: { 'x-signature': signWebhook(body) } });
};
// Listed rather than read: reading a large snapshot over and over would be CPU of its own.
async function publishedVersion(kv, user) {
  const { keys } = await kv.list({ prefix: `snap:v1:${user}` });
  return keys.find((k) => k.name === `snap:v1:${user}`)?.metadata?.v ?? -1;
}
async function waitPublished(kv, user, above) {
  for (let i = 0; i < 900; i += 1) {
    if (await publishedVersion(kv, user) > above) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${user}: not published`);
}
// The local KV store's own CPU for a publication's two writes: the same bytes written from Node
// through Miniflare's binding, so that no Worker code runs.
async function kvWriteFloor(w, kv, user, n) {
  const server = new Uint8Array(await kv.get(`snap:v1:${user}`, 'arrayBuffer'));
  const browser = new Uint8Array(await kv.get(`snapb:v1:${user}`, 'arrayBuffer'));
  return cpuRounds(w, n, async (i) => {
    await kv.put(`floor:a:${i}`, server, { metadata: { v: i } });
    await kv.put(`floor:b:${i}`, browser, { metadata: { v: i } });
  });
}
// Mean workerd CPU of rounds 0..n-1 of `run` (idle subtracted). Round -1 is not counted: it warms
// the code paths (V8 tiers wasm up as it runs). `before` runs ahead of each round, uncounted, and
// what it returns is passed to `run`.
async function cpuRounds(w, n, run, before = async () => undefined) {
  const idle = await idleRate(w);
  let total = 0;
  for (let i = -1; i < n; i += 1) {
    const ready = await before(i);
    const c0 = cpuMs(w.pids); const t0 = Date.now();
    await run(i, ready);
    if (i >= 0) total += Math.max(cpuMs(w.pids) - c0 - idle * (Date.now() - t0), 0);
  }
  return +(total / n).toFixed(1);
}
// Over 5 s: with 10 ms ticks, a 1 s sample put up to 20 ms of error into a 2 s publication window.
async function idleRate(w) {
  const c = cpuMs(w.pids); const t = Date.now();
  await new Promise((r) => setTimeout(r, 5000));
  return (cpuMs(w.pids) - c) / (Date.now() - t);
}
async function publication(w, kv, user, n, waitMs = 1000) {
  const before = async () => {
    const version = await publishedVersion(kv, user);
    await new Promise((r) => setTimeout(r, 1100)); // past the KV write interval
    return version;
  };
  return cpuRounds(w, n, async (i, version) => {
    const res = await hook(w, { type: 'identify', userId: user, messageId: `pub-${user}-${i}-${Date.now()}`, traits: { visits: i } });
    if (res.status !== 200) throw new Error(`webhook ${res.status}`);
    // One look after the publication is due rather than a poll every 100 ms: each look is a KV
    // list, CPU of the local KV's own.
    await new Promise((r) => setTimeout(r, waitMs));
    await waitPublished(kv, user, version);
  }, before);
}
function boundsBundle(user) {
  const words = ['running', 'shoes', 'size', 'trail', 'order', 'return', 'jacket', 'marathon', 'loyalty', 'points'];
  let x = 7; const pick = () => { x = (x * 1103515245 + 12345) % 2147483648; return words[x % words.length]; };
  const traits = {};
  for (let i = 0; i < 5000; i += 1) traits[`trait_${i}_${pick()}`] = `${pick()} ${pick()} ${pick()} ${pick()}`;
  const data = [];
  for (let i = 0; i < 10_000; i += 1) {
    data.push({ message_id: `bounds-${i}`, event: ['Product Viewed', 'Order Completed', 'Cart Viewed'][i % 3],
      timestamp: new Date(Date.UTC(2026, 10, 1 + (i % 25), i % 24, i % 60)).toISOString(),
      properties: { name: `${pick()} ${pick()}`, price: i % 500, sku: `sku_${i}` } });
  }
  return { profile_id: `user_id:${user}`, traits: { traits }, events: { data } };
}
const letters = (n, seed) => { let x = seed; let out = ''; for (let i = 0; i < n; i += 1) { x = (x * 1103515245 + 12345) % 2147483648; out += String.fromCharCode(97 + (x % 26)); } return out; };

const pubRows = [];
const readRows = [];
const pubN = QUICK ? 1 : 10;
const pw = await worker({ SEGMENT_WEBHOOK_SECRET: WEBHOOK_SECRET, SNAPSHOT_CACHE_SECONDS: '600' });
try {
  const kv = await pw.mf.getKVNamespace('PROFILES');
  // An ordinary person.
  await hook(pw, { type: 'identify', userId: 'ordinary', messageId: 'o-0', traits: { firstName: 'Ola', tier: 'Gold' } });
  await waitPublished(kv, 'ordinary', -1);
  // Not counted: V8 tiers the wasm up on background threads of this process as it first runs.
  await publication(pw, kv, 'ordinary', QUICK ? 1 : 5);
  pubRows.push({ scenario: 'ordinary person (2 traits)', 'CPU ms/publication': await publication(pw, kv, 'ordinary', pubN), note: '' });
  // The jeff fixture (132 traits, 2,114 events), from a legacy source bundle: its first touch
  // compiles it whole; a later webhook recompiles only what changed (the person keeps its compilers).
  const jeffBundle = JSON.parse(readFileSync(path.join(FIXTURES, 'profile-retail-jeff.json'), 'utf8'));
  jeffBundle.profile_id = 'user_id:jeff-pub';
  await kv.put('src:v1:jeff-pub', JSON.stringify(jeffBundle));
  await hook(pw, { type: 'identify', userId: 'jeff-pub', messageId: 'j-0', traits: { tier: 'Gold' } });
  await waitPublished(kv, 'jeff-pub', -1);
  pubRows.push({ scenario: 'jeff (132 traits, 2,114 events): a publication after one identify', 'CPU ms/publication': await publication(pw, kv, 'jeff-pub', pubN), note: 'the person object keeps its compilers: only what changed is analyzed again' });
  // Sixty traits of one 16,000-letter word each, one per identify (each within max_item_bytes).
  for (let i = 0; i < 60; i += 1) {
    const res = await hook(pw, { type: 'identify', userId: 'long-words', messageId: `lw-${i}`, traits: { [`long_${i}`]: letters(16_000, i + 1) } });
    if (res.status !== 200) throw new Error(`long word ${res.status}`);
  }
  await waitPublished(kv, 'long-words', -1);
  pubRows.push({ scenario: '60 traits of one 16,000-letter word (60 identify calls)', 'CPU ms/publication': await publication(pw, kv, 'long-words', pubN), note: '' });
  // The same sixty in one identify, and an event of about 1 MB: refused at ingestion (400).
  const one = {}; for (let i = 0; i < 60; i += 1) one[`long_${i}`] = letters(16_000, i + 1);
  const big = await hook(pw, { type: 'identify', userId: 'one-call', messageId: 'oc', traits: one });
  const props = {}; for (let i = 0; i < 64; i += 1) props[`p${i}`] = letters(16_000, i + 100);
  const ev = await hook(pw, { type: 'track', userId: 'big-event', messageId: 'be', event: 'Big', timestamp: new Date().toISOString(), properties: props });
  pubRows.push({ scenario: 'the 60 long words in one identify; an event of 1 MB', 'CPU ms/publication': '—', note: `answered ${big.status} and ${ev.status}: over max_item_bytes, nothing stored` });
  // A person at the state's bounds (5,000 traits, 10,000 events), from a legacy source bundle.
  await kv.put('src:v1:bounds', JSON.stringify(boundsBundle('bounds')));
  const idle = await idleRate(pw);
  let c0 = cpuMs(pw.pids); let t0 = Date.now();
  const reads = [];
  const reader = token('jeff-lawson-1138', { ttl: 3600 });
  const readB = async () => { const t = performance.now(); await call(pw, '/v1/context', { method: 'POST', headers: { authorization: `Bearer ${reader}` }, body: '{"query":"running shoes"}' }); return performance.now() - t; };
  // Reads one after another (20 ms apart) until `done()` or `ms` have passed.
  const readsFor = async (ms, done = () => false) => {
    const out = []; const until = Date.now() + ms;
    while (!done() && Date.now() < until) { out.push(await readB()); await new Promise((r) => setTimeout(r, 20)); }
    return out;
  };
  await readB();
  const idleReads = await readsFor(4000);
  const first = hook(pw, { type: 'identify', userId: 'bounds', messageId: 'b-0', traits: { tier: 'Gold' } });
  let done = false;
  first.then(() => waitPublished(kv, 'bounds', -1)).then(() => { done = true; });
  reads.push(...await readsFor(8000, () => done));
  await first; await waitPublished(kv, 'bounds', -1);
  pubRows.push({ scenario: 'person at the bounds: first touch (migration + first publication)', 'CPU ms/publication': +Math.max(cpuMs(pw.pids) - c0 - idle * (Date.now() - t0), 0).toFixed(1), note: '' });
  pubRows.push({ scenario: 'person at the bounds: a later publication', 'CPU ms/publication': await publication(pw, kv, 'bounds', pubN, 3000), note: 'spaced out by PUBLISH_SPACING_PER_MIB_MS (2 s per MiB, at most 8 s)' });
  pubRows.push({ scenario: "the local KV store alone writing two snapshots of the bounds person's sizes (from Node, no Worker code)", 'CPU ms/publication': await kvWriteFloor(pw, kv, 'bounds', pubN),
    note: 'in the row above on local workerd; on Cloudflare a KV write is a call to another service, not CPU of the Worker' });
  // Reads while later publications run: each webhook's publication starts at once (the last one
  // is more than the spacing ago), and reads go on for 4 s.
  const laterReads = [];
  for (let i = 0; i < 3; i += 1) {
    await new Promise((r) => setTimeout(r, 4000));
    const res = await hook(pw, { type: 'identify', userId: 'bounds', messageId: `later-${i}`, traits: { visits: 100 + i } });
    if (res.status !== 200) throw new Error(`webhook ${res.status}`);
    laterReads.push(...await readsFor(4000));
  }
  const browserAuth = { headers: { authorization: `Bearer ${token('bounds', { ttl: 3600 })}` } };
  rows.push(await measure(pw, 'GET /v1/snapshot, person at the bounds', QUICK ? 5 : 50, () => call(pw, '/v1/snapshot', browserAuth)));
  const quantiles = (name, list) => {
    const sorted = [...list].sort((a, b) => a - b);
    const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]?.toFixed(1);
    return { scenario: name, reads: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted.at(-1)?.toFixed(1) };
  };
  readRows.push(quantiles('nothing else running (the baseline of this machine)', idleReads));
  readRows.push(quantiles("the bounds person's first touch: migration of its 1.8 MB bundle and first publication", reads));
  readRows.push(quantiles("the bounds person's later publications (3, each read for 4 s)", laterReads));
} finally {
  await pw.mf.dispose();
}

const table = (list, cols) => [`| ${cols.join(' | ')} |`, `| ${cols.map(() => '---').join(' | ')} |`, ...list.map((r) => `| ${cols.map((c) => r[c] ?? '').join(' | ')} |`)].join('\n');
console.log(`workerd process CPU per request (utime+stime, ${TICK_MS} ms ticks, idle subtracted), sequential, one connection:`);
console.table(rows);
console.table(pubRows);
console.table(readRows);
const out = path.join(ROOT, 'docs/benchmarks/worker-cpu.md');
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, `# Worker CPU per request and per publication

Generated by \`node worker/cpu.mjs${QUICK ? ' --quick' : ''}\` (\`scripts/worker.sh cpu\`) on ${new Date().toISOString().slice(0, 10)}; ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), local workerd through Miniflare, shared with other work.
CPU is workerd's own process time (utime + stime from /proc, 10 ms ticks) minus its idle rate over the same wall time.
It includes what the local KV and V8's background compilation cost in that process; publications under about 20 ms are within
this method's noise (10 ms ticks over windows of about 2 s): the ordinary person's row is its floor.

## Requests (the jeff profile)

The first row is the floor of any request here (Miniflare's entry, the HTTP round trip, the
Worker's routing), measured the same way: a personalized request's own cost is its difference
from that row, and differences under about half a millisecond are within this method's noise.

${table(rows, ['scenario', 'requests', 'CPU ms/request', 'wall ms/request'])}

## Publications (both policies compiled and written to KV, from one ordinary webhook to the new version in KV)

${table(pubRows, ['scenario', 'CPU ms/publication', 'note'])}

## Another person's reads (the jeff profile's \`POST /v1/context\`, wall ms from Node, 20 ms apart)

The same isolate serves them while the person at the bounds is migrated and published: what a
publication holds the isolate for shows in their tail. The first row is the tail this machine
gives with nothing else running (Node's and workerd's own pauses on two shared cores).

${table(readRows, ['scenario', 'reads', 'p50', 'p95', 'p99', 'max'])}
`);
console.log(`wrote ${path.relative(ROOT, out)}`);
