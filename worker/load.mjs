// Load test of the local Worker (workerd via Miniflare): autocannon, in a second process, against
// POST /v1/context and the chat proxy with and without personalization, then a sequential run that
// measures the added latency precisely (µs), /mcp get_user_context (2026-07-28 and the handshake
// revision) against /v1/context, and /v1/context with the audit on against a second Worker with it
// off; then the update scenario: workerd's CPU time per Segment webhook on jeff, and reads under a
// sustained rate of webhooks (errors, lost updates, read latency against reads alone). Writes
// every table it printed to docs/benchmarks/worker-load.md.
// Usage: node worker/load.mjs [--seconds 10] [--connections 10] [--sequential 2000]
//        [--read-rate 200] [--only reads|updates]
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Miniflare } from 'miniflare';
import {
  FIXTURES, ROOT, SECRET, WEBHOOK_SECRET, compileSeeds, fakeLlm, seedKv, signWebhook, token,
  workerOptions,
} from './test/helpers.mjs';
import { cpuMs, workerdPids } from './test/state-helpers.mjs';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const SECONDS = arg('seconds', 10);
const CONNECTIONS = arg('connections', 10);
const SEQUENTIAL = arg('sequential', 2000);
// Reads per second in the update scenario: below saturation, so that latency is the reads' own and
// not the queue of a saturated machine (where any added work shows as latency).
const READ_RATE = arg('read-rate', 200);
const onlyAt = process.argv.indexOf('--only');
const ONLY = onlyAt > 0 ? process.argv[onlyAt + 1] : null;
const ADMIN = 'load-admin-secret-0123456789';

const llm = await fakeLlm();
llm.seen.length = 0;
const record = llm.seen.push.bind(llm.seen);
llm.seen.push = (x) => (llm.seen.length > 10 ? 0 : record(x)); // keep memory flat under load

const mf = new Miniflare(workerOptions({
  IDENTITY_SECRET: SECRET, LLM_UPSTREAM_URL: llm.url, SNAPSHOT_CACHE_SECONDS: '60',
  SEGMENT_WEBHOOK_SECRET: WEBHOOK_SECRET, ADMIN_SECRET: ADMIN,
}));
const base = (await mf.ready).toString().replace(/\/$/, '');
const seeds = compileSeeds(['profile-retail-jeff.json', 'profile-telecom-maria.json'].map((f) => path.join(FIXTURES, f)));
await seedKv(await mf.getKVNamespace('PROFILES'), seeds);
// The same Worker with the audit of reads off, for the audit's cost in the same run.
const mfOff = new Miniflare(workerOptions({
  IDENTITY_SECRET: SECRET, LLM_UPSTREAM_URL: llm.url, SNAPSHOT_CACHE_SECONDS: '60', AUDIT_ENABLED: '0',
}));
const baseOff = (await mfOff.ready).toString().replace(/\/$/, '');
await seedKv(await mfOff.getKVNamespace('PROFILES'), seeds);
/** Markdown of every table printed, for docs/benchmarks/worker-load.md. */
const report = [];
const table = (title, rows) => {
  console.log(`\n${title}`);
  console.table(rows);
  const cols = Object.keys(rows[0] ?? {});
  report.push(`### ${title}`, '', `| ${cols.join(' | ')} |`, `| ${cols.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${cols.map((c) => String(r[c] ?? '')).join(' | ')} |`), '');
};
const note = (text) => { console.log(text); report.push(text, ''); };
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
// The same query through the MCP server's get_user_context, as a 2026-07-28 client sends it
// (envelope, MCP-Protocol-Version, Mcp-Method, Mcp-Name) and as a handshake client does.
const mcpContext = {
  name: 'POST /mcp get_user_context (2026-07-28)', path: '/mcp',
  headers: { authorization: `Bearer ${jeff}`, accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'get_user_context' },
  body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_user_context', arguments: { query: 'running shoes in my size' },
    _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} } } }),
};
const mcpLegacy = {
  name: 'POST /mcp get_user_context (2025-11-25)', path: '/mcp',
  headers: { authorization: `Bearer ${jeff}`, accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' },
  body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_user_context', arguments: { query: 'running shoes in my size' } } }),
};
// /v1/context on the Worker with the audit off (the scenarios above record one audit row each).
const contextAuditOff = { ...scenarios[0], name: 'POST /v1/context, audit off', base: baseOff };
const contextAuditOn = { ...scenarios[0], name: 'POST /v1/context, audit on' };

/** autocannon for SECONDS over CONNECTIONS; `rate`: requests per second over all of them (else
 * as many as the Worker answers). */
function autocannon(s, rate) {
  const bin = path.join(ROOT, 'worker', 'node_modules', '.bin', 'autocannon');
  const args = ['--json', '-d', String(SECONDS), '-c', String(CONNECTIONS), ...(rate ? ['-R', String(rate)] : []), '-m', 'POST',
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
      const res = await fetch(`${s.base ?? base}${s.path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...s.headers }, body: s.body });
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
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const JEFF = 'jeff-lawson-1138';
const webhook = (payload) => {
  const body = JSON.stringify(payload);
  return fetch(`${base}/v1/webhooks/segment`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-signature': signWebhook(body) } });
};
let seq = 0;
const trackFor = (user) => {
  seq += 1;
  return { type: 'track', userId: user, messageId: `load-${user}-${seq}`, event: 'Load Test Event',
    timestamp: new Date().toISOString(), properties: { seq: `s${seq}`, page: 'shoes' } };
};
const stats = async (user) => (await fetch(`${base}/v1/profiles/${user}`, { headers: { authorization: `Bearer ${ADMIN}` } })).json();
const pids = workerdPids();
const cpu = () => pids.reduce((sum, pid) => sum + cpuMs(pid), 0);

/** workerd's CPU time per webhook (ms): N webhooks for one person sent as `send` paces them, then
 * the flush they left; the idle rate measured just before is subtracted. */
async function cpuPerWebhook(user, n, pauseMs, make = trackFor) {
  let c0 = cpu(); let t0 = Date.now();
  await sleep(3000);
  const idlePerMs = (cpu() - c0) / (Date.now() - t0);
  c0 = cpu(); t0 = Date.now();
  for (let i = 0; i < n; i += 1) {
    const res = await webhook(make(user));
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`webhook: ${res.status}`);
    if (pauseMs) await sleep(pauseMs);
  }
  await sleep(2000); // the last publication
  const wall = Date.now() - t0;
  return { perWebhook: (cpu() - c0 - idlePerMs * wall) / n, idlePerS: idlePerMs * 1000, wall };
}

/** Webhooks at `rate` per second for each of `users` until `until()`; counts sent and failed. */
function sustain(users, rate, until) {
  const sent = Object.fromEntries(users.map((u) => [u, 0]));
  let errors = 0;
  const inFlight = [];
  const timer = setInterval(() => {
    for (const u of users) {
      inFlight.push(webhook(trackFor(u)).then(async (r) => {
        await r.arrayBuffer();
        if (r.status === 200) sent[u] += 1; else errors += 1;
      }, () => { errors += 1; }));
    }
  }, 1000 / rate);
  return until.then(async () => { clearInterval(timer); await Promise.all(inFlight); return { sent, errors }; });
}

async function updates() {
  const out = {};
  // Warm up: the first webhook migrates jeff's legacy source bundle into his object (once).
  await (await webhook(trackFor(JEFF))).arrayBuffer();
  await sleep(1500);
  out.burst = await cpuPerWebhook(JEFF, 100, 0);
  out.paced = await cpuPerWebhook(JEFF, 20, 100);
  out.spaced = await cpuPerWebhook(JEFF, 8, 1200);
  // A poison identify (Segment write keys are public): four traits of 16 KiB of `1 1 1 …`, each
  // one its own publication, for a person of its own.
  const poison = (user) => {
    seq += 1;
    const value = '1 '.repeat(8 * 1024 - 8); // under the 16 KiB string limit with its suffix
    return { type: 'identify', userId: user, messageId: `poison-${user}-${seq}`, timestamp: new Date().toISOString(),
      traits: { nickname: value, bio: value, company: value, notes: `${value}${seq}` } };
  };
  out.poison = await cpuPerWebhook('load-poison', 5, 1200, poison);
  table('workerd CPU per Segment webhook on jeff (idle subtracted; includes the coalesced KV publications)', [
    { scenario: '100 back to back', 'CPU ms / webhook': out.burst.perWebhook.toFixed(1), 'wall ms': out.burst.wall },
    { scenario: '20 at ~10/s', 'CPU ms / webhook': out.paced.perWebhook.toFixed(1), 'wall ms': out.paced.wall },
    { scenario: '8, 1.2 s apart (each its own publication)', 'CPU ms / webhook': out.spaced.perWebhook.toFixed(1), 'wall ms': out.spaced.wall },
    { scenario: 'poison identify (4 traits of 16 KiB of "1 1 1"), 5, 1.2 s apart', 'CPU ms / webhook': out.poison.perWebhook.toFixed(1), 'wall ms': out.poison.wall },
  ]);
  // Each loaded run right after the same reads alone (the machine's speed drifts): reads while
  // webhooks arrive for other people, then for the reader himself.
  const read = { name: 'POST /v1/context (personalized)', path: '/v1/context', headers: { authorization: `Bearer ${jeff}` }, body: JSON.stringify({ query: 'running shoes in my size' }) };
  const loaded = [];
  const others = ['maria-gonzalez-77', 'load-new-1', 'load-new-2'];
  for (const [label, users, rate] of [['webhooks for 3 other people, 10/s each', others, 10], ['webhooks for the reader, 2/s', [JEFF], 2]]) {
    loaded.push({ scenario: 'reads alone', ...summary(await autocannon(read, READ_RATE)) });
    const before = Object.fromEntries(await Promise.all(users.map(async (u) => [u, (await stats(u)).events ?? 0])));
    const readsDone = autocannon(read, READ_RATE);
    const load = await sustain(users, rate, readsDone);
    const r = await readsDone;
    await sleep(2500);
    let lost = 0;
    for (const u of users) {
      const s = await stats(u);
      lost += load.sent[u] - ((s.events ?? 0) - before[u]);
    }
    const total = Object.values(load.sent).reduce((a, b) => a + b, 0);
    loaded.push({ scenario: `reads + ${label}`, ...summary(r), webhooks: total, 'webhook errors': load.errors, lost });
  }
  table(`reads under updates (autocannon, ${SECONDS} s, ${CONNECTIONS} connections, ${READ_RATE} reads/s; lost: webhooks answered 200 whose event the person's state lacks)`, loaded);
  if (loaded.some((t) => t.errors > 0 || t['webhook errors'] > 0 || t.lost > 0)) process.exitCode = 1;
}

function summary(r) {
  return { 'req/s': Math.round(r.requests.average), 'p50 ms': r.latency.p50, 'p99 ms': r.latency.p99, errors: r.errors + r.timeouts + (r.non2xx || 0) };
}

const started = new Date();
try {
  if (ONLY !== 'updates') await reads();
  if (ONLY !== 'reads') await updates();
  writeReport();
} finally {
  await mf.dispose();
  await mfOff.dispose();
  await llm.close();
}

/** docs/benchmarks/worker-load.md, whole: date, command, machine, the tables of this run. */
function writeReport() {
  const dir = path.join(ROOT, 'docs', 'benchmarks');
  mkdirSync(dir, { recursive: true });
  const command = ['node worker/load.mjs', ...process.argv.slice(2)].join(' ');
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, local workerd (Miniflare), fake LLM upstream on 127.0.0.1, the jeff profile (132 traits, 2,114 events)`;
  const text = ['# Worker load test', '', 'Generated by `worker/load.mjs` (do not edit by hand).', '',
    `- date: ${started.toISOString()}`, `- command: \`${command}\``, `- machine: ${machine}`,
    '- p50/p99 of sequential runs are client-side, µs; requests alternate between the compared scenarios so both see the same background load.', '',
    ...report].join('\n');
  writeFileSync(path.join(dir, 'worker-load.md'), `${text}\n`);
  console.log(`\nwrote ${path.relative(ROOT, path.join(dir, 'worker-load.md'))}`);
}

async function reads() {
  // Check that personalization is really on in the personalized scenarios.
  const probe = await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: scenarios[1].headers, body: chatBody });
  console.log(`probe: x-edge-persona: ${probe.headers.get('x-edge-persona')}`);
  await probe.arrayBuffer();
  for (const s of scenarios) {
    const r = await autocannon(s);
    const errors = r.errors + r.timeouts + (r.non2xx || 0);
    rows.push({ scenario: s.name, 'req/s': Math.round(r.requests.average), 'p50 ms': r.latency.p50, 'p99 ms': r.latency.p99, requests: r.requests.total, errors });
  }
  table(`autocannon, ${SECONDS} s each, ${CONNECTIONS} connections, local workerd (Miniflare) on 127.0.0.1`, rows);
  const micro = (list) => list.map((r) => ({ scenario: r.scenario, 'p50 µs': Math.round(r.p50), 'p99 µs': Math.round(r.p99) }));
  const seqRows = await sequential(scenarios.slice(1), SEQUENTIAL);
  const [on, off] = seqRows;
  table(`sequential, ${SEQUENTIAL} requests each, alternating (one connection): personalization on and off`, micro(seqRows));
  note(`added by personalization: p50 ${Math.round(on.p50 - off.p50)} µs (ratio ${(on.p50 / off.p50).toFixed(2)}), p99 ${Math.round(on.p99 - off.p99)} µs`);
  const [rest, mcp, legacy] = await sequential([scenarios[0], mcpContext, mcpLegacy], SEQUENTIAL);
  table(`sequential, ${SEQUENTIAL} requests each, alternating: the same query through /v1/context and /mcp get_user_context`, micro([rest, mcp, legacy]));
  note(`/mcp 2026-07-28 against /v1/context: p50 ${Math.round(mcp.p50 - rest.p50)} µs (ratio ${(mcp.p50 / rest.p50).toFixed(2)}); 2025-11-25: p50 ${Math.round(legacy.p50 - rest.p50)} µs (ratio ${(legacy.p50 / rest.p50).toFixed(2)})`);
  const [auditOn, auditOff] = await sequential([contextAuditOn, contextAuditOff], SEQUENTIAL);
  table(`sequential, ${SEQUENTIAL} requests each, alternating: /v1/context with the audit of reads on and off (a second Worker, same seeds)`, micro([auditOn, auditOff]));
  note(`added by the audit: p50 ${Math.round(auditOn.p50 - auditOff.p50)} µs (ratio ${(auditOn.p50 / auditOff.p50).toFixed(2)}), p99 ${Math.round(auditOn.p99 - auditOff.p99)} µs`);
  const audited = await fetch(`${base}/v1/audit?limit=1000`, { headers: { authorization: `Bearer ${jeff}` } });
  note(`audit records kept for jeff after the run: ${(await audited.json()).records?.length} (AUDIT_MAX_RECORDS 1000)`);
  if (rows.some((r) => r.errors > 0)) process.exitCode = 1;
}
