// Load test of the local Worker (workerd via Miniflare): autocannon, in a second process, against
// POST /v1/context and the chat proxy with and without personalization, then a sequential run that
// measures the added latency precisely (µs). Usage: node worker/load.mjs [--seconds 10] [--connections 10]
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Miniflare } from 'miniflare';
import {
  FIXTURES, ROOT, SECRET, compileSeeds, fakeLlm, seedKv, token, workerOptions,
} from './test/helpers.mjs';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const SECONDS = arg('seconds', 10);
const CONNECTIONS = arg('connections', 10);
const SEQUENTIAL = arg('sequential', 2000);

const llm = await fakeLlm();
llm.seen.length = 0;
const record = llm.seen.push.bind(llm.seen);
llm.seen.push = (x) => (llm.seen.length > 10 ? 0 : record(x)); // keep memory flat under load

const mf = new Miniflare(workerOptions({ IDENTITY_SECRET: SECRET, LLM_UPSTREAM_URL: llm.url, SNAPSHOT_CACHE_SECONDS: '60' }));
const base = (await mf.ready).toString().replace(/\/$/, '');
await seedKv(await mf.getKVNamespace('PROFILES'), compileSeeds([path.join(FIXTURES, 'profile-retail-jeff.json')]));
const jeff = token('jeff-lawson-1138', { ttl: 3600 });

const chatBody = JSON.stringify({
  model: 'gpt-test',
  messages: [
    { role: 'system', content: 'You are a helpful shop assistant.' },
    { role: 'user', content: 'Can you recommend some running shoes in my size?' },
  ],
});
const scenarios = [
  { name: 'POST /v1/context (personalized)', path: '/v1/context', headers: { authorization: `Bearer ${jeff}` }, body: JSON.stringify({ query: 'running shoes in my size' }) },
  { name: 'chat proxy, personalized', path: '/v1/chat/completions', headers: { authorization: 'Bearer sk-x', 'x-edge-persona-identity': jeff }, body: chatBody },
  { name: 'chat proxy, personalization off', path: '/v1/chat/completions', headers: { authorization: 'Bearer sk-x' }, body: chatBody },
];

function autocannon(s) {
  const bin = path.join(ROOT, 'worker', 'node_modules', '.bin', 'autocannon');
  const args = ['--json', '-d', String(SECONDS), '-c', String(CONNECTIONS), '-m', 'POST',
    '-H', 'content-type=application/json', ...Object.entries(s.headers).flatMap(([k, v]) => ['-H', `${k}=${v}`]),
    '-b', s.body, `${base}${s.path}`];
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`autocannon exited ${code}`))));
  });
}

// Requests alternate between the scenarios, so that both see the same background load.
async function sequential(list, n) {
  const times = list.map(() => []);
  for (let i = 0; i < n + 100; i += 1) {
    for (const [k, s] of list.entries()) {
      const t0 = process.hrtime.bigint();
      const res = await fetch(`${base}${s.path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...s.headers }, body: s.body });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${s.name}: ${res.status}`);
      if (i >= 100) times[k].push(Number(process.hrtime.bigint() - t0) / 1000);
    }
  }
  return times.map((t, k) => {
    t.sort((a, b) => a - b);
    return { scenario: list[k].name, p50: t[Math.floor(n / 2)], p99: t[Math.floor(n * 0.99)] };
  });
}

const rows = [];
try {
  // Check that personalization is really on in the personalized scenarios.
  const probe = await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: scenarios[1].headers, body: chatBody });
  console.log(`probe: x-edge-persona: ${probe.headers.get('x-edge-persona')}`);
  await probe.arrayBuffer();
  for (const s of scenarios) {
    const r = await autocannon(s);
    const errors = r.errors + r.timeouts + (r.non2xx || 0);
    rows.push({ scenario: s.name, 'req/s': Math.round(r.requests.average), 'p50 ms': r.latency.p50, 'p99 ms': r.latency.p99, requests: r.requests.total, errors });
  }
  console.log(`\nautocannon, ${SECONDS} s each, ${CONNECTIONS} connections, local workerd (Miniflare) on 127.0.0.1:`);
  console.table(rows);
  const seq = await sequential(scenarios.slice(1), SEQUENTIAL);
  const [on, off] = seq;
  console.log(`\nsequential, ${SEQUENTIAL} requests each, alternating (one connection), client-side latency in µs:`);
  console.table(seq.map((r) => ({ scenario: r.scenario, 'p50 µs': Math.round(r.p50), 'p99 µs': Math.round(r.p99) })));
  console.log(`added by personalization: p50 ${Math.round(on.p50 - off.p50)} µs (ratio ${(on.p50 / off.p50).toFixed(2)}), p99 ${Math.round(on.p99 - off.p99)} µs`);
  if (rows.some((r) => r.errors > 0)) process.exitCode = 1;
} finally {
  await mf.dispose();
  await llm.close();
}
