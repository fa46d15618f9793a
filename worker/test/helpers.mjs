// Shared pieces of the Worker tests, the dev server and the load test: paths, the CLI (snapshots and
// tokens), KV seeding, and fake origin / LLM / Segment Profile API servers on 127.0.0.1.
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = path.join(ROOT, 'fixtures');
export const COMPATIBILITY_DATE = '2026-04-01';
export const SECRET = 'test-identity-secret-0123456789';
export const WEBHOOK_SECRET = 'test-webhook-secret';
export const SEGMENT_TOKEN = 'test-segment-token';
export const SEGMENT_SPACE = 'spa_test';

export function cliPath() {
  if (process.env.EDGE_PERSONA_CLI) return process.env.EDGE_PERSONA_CLI;
  const target = process.env.CARGO_TARGET_DIR
    ? path.resolve(ROOT, process.env.CARGO_TARGET_DIR)
    : path.join(ROOT, 'target');
  return path.join(target, 'release', 'edge-persona');
}

export function cli(...args) {
  return execFileSync(cliPath(), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** An identity token minted by the CLI. */
export function token(user, { format = 'jwt', ttl = 3600, secret = SECRET, now } = {}) {
  const args = ['token', '--secret', secret, '--user', user, '--ttl', String(ttl), '--format', format];
  if (now) args.push('--now', now);
  return cli(...args);
}

const b64url = (buf) => Buffer.from(buf).toString('base64url');

/** A JWT minted here (an independent HS256 implementation), optionally with another algorithm. */
export function jwt(claims, { secret = SECRET, alg = 'HS256' } = {}) {
  const head = b64url(JSON.stringify({ alg, typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  if (alg === 'none') return `${head}.${body}.`;
  const sig = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

let knowledgePack;
/** The knowledge pack the CLI embeds (`edge-persona knowledge`), as the Worker reads it from KV. */
export function knowledgeEntry() {
  if (!knowledgePack) {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'ep-knowledge-')), 'knowledge.bin');
    cli('knowledge', '-o', file);
    knowledgePack = readFileSync(file);
  }
  return { key: 'knowledge:v1', value: knowledgePack };
}

/**
 * KV entries (`[{key, value (Buffer)}]`) for bundles: `snap:v1:<id>` (server policy) and
 * `snapb:v1:<id>` (browser policy), compiled by the CLI, `src:v1:<id>` (the bundle itself), and
 * the knowledge pack (`knowledge:v1`) every deployment uploads.
 */
export function compileSeeds(bundlePaths) {
  const dir = mkdtempSync(path.join(tmpdir(), 'ep-seed-'));
  const entries = [knowledgeEntry()];
  for (const policy of ['server', 'browser']) {
    const bulk = path.join(dir, `kv-${policy}.json`);
    cli('compile', ...bundlePaths, '-o', path.join(dir, policy), '--kv-bulk', bulk, '--policy', policy);
    for (const e of JSON.parse(readFileSync(bulk, 'utf8'))) {
      entries.push({ key: e.key, value: Buffer.from(e.value, 'base64') });
    }
  }
  // The source bundles, which webhooks recompile from.
  for (const file of bundlePaths) {
    const text = readFileSync(file, 'utf8');
    const id = JSON.parse(text).profile_id.replace(/^user_id:/, '');
    entries.push({ key: `src:v1:${id}`, value: Buffer.from(text) });
  }
  return entries;
}

/** Writes a bundle object to a temporary file and returns its path. */
export function bundleFile(bundle) {
  const dir = mkdtempSync(path.join(tmpdir(), 'ep-bundle-'));
  const file = path.join(dir, 'bundle.json');
  writeFileSync(file, JSON.stringify(bundle));
  return file;
}

export function listen(handler) {
  return new Promise((resolve) => {
    const server = http.createServer(handler);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({ server, url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) });
    });
  });
}

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

/** A fake LLM provider: OpenAI Chat Completions (JSON and SSE), Responses, Anthropic Messages. */
export async function fakeLlm() {
  const seen = [];
  const srv = await listen(async (req, res) => {
    const raw = await readBody(req);
    let body = null;
    try { body = JSON.parse(raw.toString('utf8')); } catch { /* recorded raw */ }
    seen.push({ method: req.method, url: req.url, headers: req.headers, raw: raw.toString('utf8'), body });
    const created = 1795000000;
    if (req.url.startsWith('/v1/chat/completions') && body && body.stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-upstream': 'fake' });
      const words = ['Try', ' the', ' Trail', ' Runner', ' 5', '.'];
      let i = 0;
      const tick = () => {
        if (i < words.length) {
          const chunk = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created, model: body.model,
            choices: [{ index: 0, delta: i === 0 ? { role: 'assistant', content: words[i] } : { content: words[i] }, finish_reason: null }] };
          res.write(`data: ${JSON.stringify(chunk)}\n\n`);
          i += 1;
          setTimeout(tick, 5);
        } else {
          const last = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created, model: body.model,
            choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] };
          res.end(`data: ${JSON.stringify(last)}\n\ndata: [DONE]\n\n`);
        }
      };
      tick();
      return;
    }
    if (req.url.startsWith('/v1/chat/completions')) {
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'fake' });
      res.end(JSON.stringify({ id: 'chatcmpl-2', object: 'chat.completion', created, model: body && body.model,
        choices: [{ index: 0, message: { role: 'assistant', content: 'Try the Trail Runner 5 in 10.5.' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 10, completion_tokens: 8, total_tokens: 18 } }));
      return;
    }
    if (req.url.startsWith('/v1/responses')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'resp_1', object: 'response', created_at: created, status: 'completed', model: body && body.model,
        output: [{ type: 'message', id: 'msg_1', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'ok', annotations: [] }] }] }));
      return;
    }
    if (req.url.startsWith('/v1/messages')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'msg_1', type: 'message', role: 'assistant', model: body && body.model,
        content: [{ type: 'text', text: 'ok' }], stop_reason: 'end_turn', usage: { input_tokens: 1, output_tokens: 1 } }));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":"no such route"}');
  });
  return { ...srv, seen, last: () => seen[seen.length - 1] };
}

export const PAGE = `<!doctype html>
<html><head><title>Shop</title></head>
<body>
<h1>Hello, <span id="name" data-persona="trait:firstName" data-persona-default="there">friend</span>!</h1>
<p id="nick" data-persona="trait:nickname" data-persona-default="Tom &amp; Jerry">nick</p>
<p id="missing" data-persona="trait:no_such_trait" data-persona-default="fallback text">authored</p>
<div id="gold" data-persona-if="trait:email_opt_in">Thanks for subscribing!</div>
<div id="nosms" data-persona-unless="trait:sms_opt_in">Get texts from us</div>
<section id="promo" data-persona-variants>
  <div data-persona-variant="mortgage refinance loans">LOANS PROMO</div>
  <div data-persona-variant="running shoes trail marathon">RUNNING PROMO</div>
  <div data-persona-variant="knitting yarn">KNITTING PROMO</div>
</section>
<footer>${'<!-- padding -->'.repeat(2000)}end</footer>
</body></html>`;

/**
 * A fake origin: an HTML page (streamed in small chunks), a stylesheet, a redirect, and `/gated`:
 * the head at once, the tail only when the test calls `release()`.
 */
export async function fakeOrigin() {
  const seen = [];
  const gates = [];
  const srv = await listen(async (req, res) => {
    await readBody(req);
    seen.push({ url: req.url, headers: req.headers });
    if (req.url.startsWith('/page')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      const bytes = Buffer.from(PAGE);
      let at = 0;
      const step = () => {
        if (at >= bytes.length) { res.end(); return; }
        res.write(bytes.subarray(at, at + 97));
        at += 97;
        setImmediate(step);
      };
      step();
      return;
    }
    if (req.url.startsWith('/gz')) {
      res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' });
      res.end(gzipSync(Buffer.from(PAGE)));
      return;
    }
    if (req.url.startsWith('/gated')) {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.write('<html><body><h1>Hello, <span data-persona="trait:firstName">friend</span></h1>');
      gates.push(() => res.end('<p>tail</p></body></html>'));
      return;
    }
    if (req.url.startsWith('/slow')) {
      // The head now, the rest after a pause: a streaming proxy shows the head before the pause ends.
      res.writeHead(200, { 'content-type': 'text/html' });
      res.write('<html><body><h1>Hello, <span data-persona="trait:firstName">friend</span></h1>');
      setTimeout(() => res.end('<p>tail</p></body></html>'), 700);
      return;
    }
    if (req.url.startsWith('/style.css')) {
      res.writeHead(200, { 'content-type': 'text/css' });
      res.end('/* data-persona="trait:firstName" stays as is */ body{color:green}');
      return;
    }
    if (req.url.startsWith('/old')) {
      res.writeHead(302, { location: '/page' });
      res.end();
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('origin 404');
  });
  const release = () => { while (gates.length) gates.shift()(); };
  return { ...srv, seen, release };
}

function pages(items, size) {
  const out = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out.length ? out : [[]];
}

/**
 * A fake Segment Profile API: Basic auth, `limit` and `next` cursor pagination of traits and events
 * as the real one answers them. `profiles` maps a user id to a bundle; special user ids:
 * `rate-limited-once` (a 429, then the profile), `server-error` (always 500), and unknown ids (404
 * with Segment's body). `slow-user` answers after 5 s. `failEvents` maps a user id to a number of
 * `/events` calls answered 500 before the real answer (an outage in the middle of a fetch).
 */
export async function fakeSegment(profiles, { failEvents = {} } = {}) {
  const seen = [];
  const throttled = new Set();
  let slow = 0;
  const eventFailures = { ...failEvents };
  const srv = await listen(async (req, res) => {
    seen.push({ url: req.url, headers: req.headers });
    const url = new URL(req.url, 'http://x');
    const json = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const auth = req.headers.authorization || '';
    const expected = 'Basic ' + Buffer.from(`${SEGMENT_TOKEN}:`).toString('base64');
    if (auth !== expected) return json(401, { error: { code: 'unauthorized', message: 'Unauthorized' } });
    const m = url.pathname.match(/^\/v1\/spaces\/([^/]+)\/collections\/users\/profiles\/user_id:([^/]+)\/(traits|events)$/);
    if (!m || m[1] !== SEGMENT_SPACE) return json(404, { error: { code: 'not_found', message: 'Not found.' } });
    const user = decodeURIComponent(m[2]);
    if (user === 'server-error') return json(500, { error: { code: 'internal', message: 'oops' } });
    if (user === 'rate-limited-once' && !throttled.has(req.url)) {
      throttled.add(req.url);
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
      res.end(JSON.stringify({ error: { code: 'too_many_requests', message: 'Too many requests' } }));
      return;
    }
    if (user === 'slow-user') {
      slow += 1;
      setTimeout(() => { slow -= 1; json(200, { traits: {}, cursor: { has_more: false } }); }, 5000);
      return;
    }
    const bundle = profiles[user];
    if (!bundle) return json(404, { error: { code: 'not_found', message: 'Profile was not found.' } });
    if (m[3] === 'events' && eventFailures[user] > 0) {
      eventFailures[user] -= 1;
      return json(500, { error: { code: 'internal', message: 'oops' } });
    }
    const limit = Math.max(1, Math.min(Number(url.searchParams.get("limit") || 10), 20));
    const next = Number(url.searchParams.get('next') || 0);
    if (m[3] === 'traits') {
      const entries = Object.entries(bundle.traits.traits);
      const slice = entries.slice(next, next + limit);
      const more = next + limit < entries.length;
      return json(200, { traits: Object.fromEntries(slice),
        cursor: { url: url.pathname, has_more: more, next: more ? String(next + limit) : '' } });
    }
    const events = bundle.events.data;
    const slice = events.slice(next, next + limit);
    const more = next + limit < events.length;
    return json(200, { data: slice, cursor: { url: url.pathname, has_more: more, next: more ? String(next + limit) : '' } });
  });
  // pending(): answers of `slow-user` not sent yet.
  return { ...srv, seen, pending: () => slow };
}

export const SEGMENT_WRITE_KEY = 'test-write-key';

/**
 * A fake Segment Tracking API (`POST /v1/track`): HTTP Basic with the write key as user name and
 * an empty password, else 401; a JSON body with `userId` or `anonymousId`, `event` and
 * `messageId`, else 400; then `{"success": true}`. The first `fail` valid calls answer 500 (to
 * exercise retries). `calls` records every request (`auth`, `body`, `status`, `at`).
 */
export async function fakeTracking({ fail = 0 } = {}) {
  const calls = [];
  let failures = fail;
  const srv = await listen(async (req, res) => {
    const raw = (await readBody(req)).toString('utf8');
    const reply = (status, body) => {
      calls.push({ url: req.url, auth: req.headers.authorization || '', body: raw, status, at: Date.now() });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const expected = 'Basic ' + Buffer.from(`${SEGMENT_WRITE_KEY}:`).toString('base64');
    if (req.method !== 'POST' || req.url !== '/v1/track') return reply(404, { success: false });
    if (req.headers.authorization !== expected) return reply(401, { success: false, message: 'Invalid write key' });
    let body;
    try { body = JSON.parse(raw); } catch { return reply(400, { success: false, message: 'Invalid JSON' }); }
    if (!(body.userId || body.anonymousId) || !body.event || !body.messageId) {
      return reply(400, { success: false, message: 'userId or anonymousId, event and messageId are required' });
    }
    if (failures > 0) { failures -= 1; return reply(500, { success: false }); }
    return reply(200, { success: true });
  });
  return { ...srv, calls };
}

export function signWebhook(body, secret = WEBHOOK_SECRET) {
  return createHmac('sha1', secret).update(body).digest('hex');
}

export function readFixture(name) {
  return JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8'));
}

/** Miniflare options for the built Worker. */
export function workerOptions(bindings) {
  return {
    modules: true,
    scriptPath: path.join(ROOT, 'build', 'index.js'),
    modulesRoot: path.join(ROOT, 'build'),
    modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
    kvNamespaces: ['PROFILES'],
    durableObjects: { PERSON: { className: 'Person', useSQLite: true } },
    compatibilityDate: COMPATIBILITY_DATE,
    bindings,
  };
}

export async function seedKv(kv, entries) {
  for (const e of entries) {
    await kv.put(e.key, e.value.buffer.slice(e.value.byteOffset, e.value.byteOffset + e.value.byteLength));
  }
}
