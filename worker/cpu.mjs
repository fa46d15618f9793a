// CPU per request of the local Worker (workerd via Miniflare), measured as workerd's own process CPU
// time (utime + stime from /proc/<pid>/stat) over N sequential requests, minus its idle CPU over the
// same wall time: large inputs next to ordinary ones. Usage: node worker/cpu.mjs [--quick]
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Miniflare } from 'miniflare';
import {
  FIXTURES, PAGE, SECRET, compileSeeds, fakeLlm, listen, seedKv, token, workerOptions,
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
console.log(`workerd process CPU per request (utime+stime, ${TICK_MS} ms ticks, idle subtracted), sequential, one connection:`);
console.table(rows);
