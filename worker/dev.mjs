// The Worker on local workerd through `wrangler dev`, KV seeded from the sample profiles, a local LLM
// stand-in and a demo origin (unless LLM_UPSTREAM_URL / ORIGIN_URL are set). Prints URLs and curl
// examples. `--smoke` checks the main routes and exits (the wrangler dev smoke test).
// Usage: node worker/dev.mjs [--port 8787] [--smoke]
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  FIXTURES, PAGE, ROOT, compileSeeds, fakeLlm, listen, token,
} from './test/helpers.mjs';

const argv = process.argv.slice(2);
const smoke = argv.includes('--smoke');
const portArg = argv.indexOf('--port');
const PORT = portArg >= 0 ? Number(argv[portArg + 1]) : (smoke ? 18787 : 8787);
const SECRET = process.env.IDENTITY_SECRET || 'dev-identity-secret-change-me';
// The operators' secret: /inspect (the inspector) and the admin routes.
const ADMIN = process.env.ADMIN_SECRET || 'dev-admin-secret-change-me';
const persist = path.join(ROOT, 'build', smoke ? 'smoke-state' : 'dev-state');
const wrangler = path.join(ROOT, 'worker', 'node_modules', '.bin', 'wrangler');
const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_SEND_ERROR_REPORTS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };

const run = (args) => new Promise((resolve, reject) => {
  const child = spawn(wrangler, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`wrangler ${args[0]} exited ${code}: ${out}`))));
});

// Upstreams: the real ones when configured, else local stand-ins.
let llmUrl = process.env.LLM_UPSTREAM_URL;
const closers = [];
if (!llmUrl) { const llm = await fakeLlm(); llmUrl = llm.url; closers.push(llm.close); }
let originUrl = process.env.ORIGIN_URL;
if (!originUrl) {
  // The demo origin: /persona-demo (a page of slots), the storefront demo (www/, the npm package's
  // build at /pkg/) whose ?snapshot=/v1/snapshot loads the person's snapshot through the Worker.
  const roots = [['/pkg/', path.join(ROOT, 'npm', 'dist')], ['/', path.join(ROOT, 'www')]];
  const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json' };
  const origin = await listen((req, res) => {
    const url = new URL(req.url, 'http://x');
    const hasWww = existsSync(path.join(ROOT, 'www', 'index.html'));
    if (url.pathname === '/persona-demo' || (url.pathname === '/' && !hasWww)) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(PAGE);
      return;
    }
    for (const [prefix, dir] of roots) {
      if (!url.pathname.startsWith(prefix)) continue;
      const rel = decodeURIComponent(url.pathname.slice(prefix.length)) || 'index.html';
      const file = path.resolve(dir, rel);
      if (!file.startsWith(dir + path.sep)) break;
      try {
        const body = readFileSync(file);
        res.writeHead(200, { 'content-type': types[path.extname(file)] || 'application/octet-stream', 'cache-control': 'no-store' });
        res.end(body);
        return;
      } catch { break; }
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
  originUrl = origin.url;
  closers.push(origin.close);
}

// KV: the knowledge pack, snapshots (server and browser policy) and source bundles of the samples.
if (smoke) rmSync(persist, { recursive: true, force: true });
mkdirSync(persist, { recursive: true });
const entries = compileSeeds(['profile-retail-jeff.json', 'profile-telecom-maria.json'].map((f) => path.join(FIXTURES, f)));
const bulk = path.join(persist, 'seed.json');
writeFileSync(bulk, JSON.stringify(entries.map((e) => ({ key: e.key, value: e.value.toString('base64'), base64: true }))));
await run(['kv', 'bulk', 'put', bulk, '--binding', 'PROFILES', '--local', '--persist-to', persist]);

const vars = { IDENTITY_SECRET: SECRET, ADMIN_SECRET: ADMIN, LLM_UPSTREAM_URL: llmUrl, ORIGIN_URL: originUrl };
const args = ['dev', '--local', '--ip', '127.0.0.1', '--port', String(PORT), '--persist-to', persist,
  '--show-interactive-dev-session=false', ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`])];
// Its own process group, so that stopping it stops the workerd it starts too (a killed wrangler
// alone left workerd serving, and spinning, after a timed-out smoke test).
const dev = spawn(wrangler, args, { cwd: ROOT, env, detached: true, stdio: ['ignore', smoke ? 'pipe' : 'inherit', smoke ? 'pipe' : 'inherit'] });
let devLog = '';
dev.stdout?.on('data', (d) => { devLog += d; });
dev.stderr?.on('data', (d) => { devLog += d; });
const stop = async () => {
  try { process.kill(-dev.pid, 'SIGTERM'); } catch { /* already gone */ }
  for (const c of closers) await c();
};
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, async () => { await stop(); process.exit(0); });

const base = `http://127.0.0.1:${PORT}`;
let ready = false;
// Up to about 2 minutes: on a loaded machine wrangler takes most of a minute to load the 4 MB wasm.
for (let i = 0; i < 480 && !ready; i += 1) {
  try { ready = (await fetch(`${base}/v1/snapshot`)).status === 401; } catch { await new Promise((r) => setTimeout(r, 250)); }
}
if (!ready) { console.error(devLog); await stop(); throw new Error('wrangler dev did not become ready'); }

const jeff = token('jeff-lawson-1138', { secret: SECRET, ttl: 86400 });
const cliShown = process.env.EDGE_PERSONA_CLI || 'target/release/edge-persona';
if (smoke) {
  const check = (cond, what) => { if (!cond) throw new Error(`smoke: ${what}`); console.log(`ok - ${what}`); };
  try {
    const ctx = await (await fetch(`${base}/v1/context`, { method: 'POST', headers: { authorization: `Bearer ${jeff}` }, body: JSON.stringify({ query: 'running shoes in my size' }) })).json();
    check(ctx.personalized && /Shoe size/.test(ctx.context.text), `POST /v1/context personalized from seeded KV (${JSON.stringify(ctx).slice(0, 120)})`);
    const chat = await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer sk-x', 'x-edge-persona-identity': jeff, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'running shoes in my size' }] }) });
    check(chat.status === 200 && /^items=[1-9]/.test(chat.headers.get('x-edge-persona')), `chat proxy (${chat.headers.get('x-edge-persona')})`);
    const html = await (await fetch(`${base}/persona-demo`, { headers: { cookie: `ep_id=${token('jeff-lawson-1138', { secret: SECRET, format: 'cookie' })}` } })).text();
    check(/>Jeff<\/span>/.test(html) && html.includes('RUNNING PROMO') && !html.includes('LOANS PROMO'), 'HTML slots filled through the origin proxy');
    if (existsSync(path.join(ROOT, 'www', 'index.html'))) {
      const store = await (await fetch(`${base}/`, { headers: { cookie: `ep_id=${token('jeff-lawson-1138', { secret: SECRET, format: 'cookie' })}` } })).text();
      check(/data-persona="trait:firstName"[^>]*>Jeff</.test(store), 'storefront demo (www/) personalized at the edge');
    }
    const snap = await fetch(`${base}/v1/snapshot`, { headers: { authorization: `Bearer ${jeff}` } });
    check(snap.status === 200 && snap.headers.get('etag'), 'GET /v1/snapshot');
    const inspector = await fetch(`${base}/inspect/`, { headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN}`).toString('base64')}` } });
    const refused = await fetch(`${base}/inspect/`);
    check(inspector.status === 200 && /content="worker"/.test(await inspector.text()) && refused.status === 401
      && /default-src 'none'/.test(inspector.headers.get('content-security-policy')), '/inspect: the inspector for the admin secret only');
  } catch (err) {
    console.error(devLog.split('\n').slice(-30).join('\n'));
    throw err;
  } finally {
    await stop();
  }
} else {
  console.log(`
edge-persona Worker on local workerd: ${base}
  origin proxied: ${originUrl}
  slots page:     ${base}/persona-demo   (filled at the edge when the ep_id cookie is set)
  storefront:     ${base}/?snapshot=/v1/snapshot   (in the browser's console first:
                  document.cookie = 'ep_id=${token('jeff-lawson-1138', { secret: SECRET, format: 'cookie', ttl: 86400 })}; path=/')
  inspector:      ${base}/inspect/?user=jeff-lawson-1138&q=${encodeURIComponent('Where is my order?')}
                  (log in with any user name and the admin secret '${ADMIN}' as the password;
                  the same page on the person's browser snapshot, with the cookie above:
                  ${base}/inspect.html?snapshot=/v1/snapshot)
  LLM upstream:   ${llmUrl}
  KV (local):     ${persist}   seeded: jeff-lawson-1138, maria-gonzalez-77

Identity token for jeff-lawson-1138 (${cliShown} token --secret '${SECRET}' --user jeff-lawson-1138):
  TOKEN=${jeff}

curl -s ${base}/v1/context -H "authorization: Bearer $TOKEN" -d '{"query":"running shoes in my size"}'
curl -si ${base}/v1/chat/completions -H 'authorization: Bearer sk-your-llm-key' -H "x-edge-persona-identity: $TOKEN" \\
     -H 'content-type: application/json' -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"running shoes in my size?"}]}'
curl -s ${base}/persona-demo -H "cookie: ep_id=$(${cliShown} token --secret '${SECRET}' --user jeff-lawson-1138 --format cookie)"
curl -sI ${base}/v1/snapshot -H "authorization: Bearer $TOKEN"
curl -s '${base}/inspect/api/inspect?user=jeff-lawson-1138' -H 'authorization: Bearer ${ADMIN}' -H 'x-edge-persona-inspect: 1' \\
     -d '{"query":"Where is my order?","budget_tokens":200}'
Ctrl-C to stop.`);
}
