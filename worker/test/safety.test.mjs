// Issue 11 on workerd (Miniflare): what reaches the LLM provider and the origin, caching of personal
// responses (Chromium's own cache included), deadlines against hung and resetting upstreams, and the
// HTML rewriter on hostile pages. The fakes (worker/test/hostile.mjs) run on 127.0.0.1.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { existsSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Miniflare } from 'miniflare';
import OpenAI from 'openai';
import {
  COMPATIBILITY_DATE, FIXTURES, ROOT, SECRET, SEGMENT_SPACE, SEGMENT_TOKEN, bundleFile, compileSeeds, listen, seedKv, token,
  workerOptions,
} from './helpers.mjs';
import { CDN_HEADERS, ENCODED, hostileLlm, hostileOrigin, slowPagesSegment } from './hostile.mjs';

const JEFF = 'jeff-lawson-1138';
const MARIA = 'maria-gonzalez-77';
const SAFETY = 'safety-user';
const OFF_HOST = 'http://127.0.0.1:9/offhost.css';
// The deadlines of this test Worker (its settings; the defaults are in wrangler.toml).
const DEADLINE_MS = 600;
const TOTAL_MS = 1500;

// The visitor's IP and location, as Cloudflare's edge and other proxies add them.
const VISITOR = {
  'x-forwarded-for': '203.0.113.7, 10.0.0.1', 'x-forwarded-host': 'shop.example', 'x-real-ip': '203.0.113.7',
  'true-client-ip': '203.0.113.7', forwarded: 'for=203.0.113.7', 'cf-connecting-ip': '203.0.113.7',
  'cf-connecting-ipv6': '2001:db8::7', 'cf-ipcountry': 'FR', 'cf-ipcity': 'Paris', 'cf-ipcontinent': 'EU',
  'cf-postal-code': '75001', 'cf-iplatitude': '48.86', 'cf-iplongitude': '2.35', 'cf-region': 'Ile-de-France',
  'cf-timezone': 'Europe/Paris',
};

// A Worker calling edge-persona through a service binding, as an app Worker would: it reads the
// body and says whether it ended cleanly or failed. (Over HTTP, workerd's server ends a failed
// chunked body as if complete: cloudflare/workerd#6818; inside the runtime the failure is visible.)
const PROBE = `export default { async fetch(req, env) {
  const { path, method = 'GET', headers = {}, body } = await req.json();
  const r = await env.EDGE.fetch(new Request(new URL(path, 'http://edge'), { method, headers, body }));
  let text = ''; let errored = null;
  const reader = r.body.getReader(); const dec = new TextDecoder();
  try { for (;;) { const { done, value } = await reader.read(); if (done) break; text += dec.decode(value, { stream: true }); } }
  catch (e) { errored = String(e); }
  return Response.json({ status: r.status, body: text, errored });
} }`;

let mf; let base; let llm; let origin; let kv; let probe;

/** npm/test/chromium.mjs, once its prerequisites are there; else a failure naming what to install. */
async function chromium() {
  const browser = process.env.CHROMIUM ?? '/usr/bin/chromium';
  assert.ok(existsSync(path.join(ROOT, 'npm/node_modules/playwright-core')), 'npm/node_modules/playwright-core is missing: run scripts/npm.sh build (npm ci in npm/)');
  assert.ok(existsSync(browser), `no Chromium at ${browser} (CHROMIUM): run ./dev setup, which installs Debian's chromium, or set CHROMIUM`);
  return import(path.join(ROOT, 'npm/test/chromium.mjs'));
}

before(async () => {
  llm = await hostileLlm();
  origin = await hostileOrigin();
  const safety = bundleFile({
    profile_id: `user_id:${SAFETY}`,
    traits: { traits: {
      firstName: 'José さくら €',
      inline_css: `@import url("${OFF_HOST}"); body{background:red}`,
      inline_js: "window.__pwned='slot-in-script'",
      quote: '" onmouseover="window.__pwned=1',
      favorite_category: 'Running Shoes',
    } },
    events: { data: [{ message_id: 'm1', event: 'Product Viewed', timestamp: '2026-11-20T11:00:00Z',
      properties: { name: 'Trail Runner 5', category: 'Running Shoes trail' } }] },
  });
  mf = new Miniflare({ workers: [
    { name: 'edge', ...workerOptions({
      IDENTITY_SECRET: SECRET, LLM_UPSTREAM_URL: llm.url, ORIGIN_URL: origin.url, SNAPSHOT_CACHE_SECONDS: '0',
      LLM_FIRST_BYTE_TIMEOUT_MS: String(DEADLINE_MS), LLM_IDLE_TIMEOUT_MS: String(DEADLINE_MS), LLM_TOTAL_TIMEOUT_MS: String(TOTAL_MS),
      ORIGIN_FIRST_BYTE_TIMEOUT_MS: String(DEADLINE_MS), ORIGIN_IDLE_TIMEOUT_MS: String(DEADLINE_MS), ORIGIN_TOTAL_TIMEOUT_MS: String(TOTAL_MS),
      HTML_MAX_GROUP_BYTES: '65536',
    }) },
    { name: 'probe', modules: true, script: PROBE, serviceBindings: { EDGE: 'edge' }, compatibilityDate: COMPATIBILITY_DATE },
  ] });
  base = (await mf.ready).toString();
  const probeWorker = await mf.getWorker('probe');
  probe = async (req) => (await probeWorker.fetch('http://probe/', { method: 'POST', body: JSON.stringify(req) })).json();
  kv = await mf.getKVNamespace('PROFILES');
  await seedKv(kv, compileSeeds([
    path.join(FIXTURES, 'profile-retail-jeff.json'), path.join(FIXTURES, 'profile-telecom-maria.json'), safety,
  ]));
});

after(async () => {
  await mf?.dispose();
  await Promise.all([llm?.close(), origin?.close()]);
});

/** A raw HTTP/1.1 exchange (Node's http module sends only the headers given): status, headers, body, and whether the body ended cleanly. */
function raw(p, { method = 'GET', headers = {}, body, timeoutMs = 8000 } = {}) {
  return new Promise((resolve) => {
    const req = http.request(new URL(p, base), { method, agent: false, headers: { 'accept-encoding': 'identity', ...headers } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), clean: res.complete }));
      res.on('error', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), clean: false }));
    });
    // A request still unanswered after timeoutMs: the Worker has no deadline.
    req.setTimeout(timeoutMs, () => { req.destroy(); resolve({ status: 'client gave up', clean: false, body: Buffer.alloc(0), headers: {} }); });
    req.on('error', (e) => resolve({ status: `error ${e.code}`, clean: false, body: Buffer.alloc(0), headers: {} }));
    req.end(body);
  });
}
const chat = (model, headers = {}) => raw('/v1/chat/completions', {
  method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-caller', ...headers },
  body: JSON.stringify({ model, stream: model !== 'json', messages: [{ role: 'user', content: 'running shoes in my size?' }] }),
});
const cookie = (user) => ({ cookie: `ep_id=${token(user, { format: 'cookie' })}` });

describe('headers upstream', () => {
  test('no visitor IP or location, cookie or identity reaches the LLM provider; its own headers do', async () => {
    const provider = {
      'x-api-key': 'anthropic-key', 'anthropic-version': '2023-06-01', 'anthropic-beta': 'tools-2024',
      'openai-organization': 'org-1', 'openai-project': 'proj-1', 'user-agent': 'OpenAI/JS 6.49.0', accept: 'application/json',
    };
    const extra = { cookie: 'session=s1; ep_id=x', referer: 'https://shop.example/cart', 'accept-language': 'fr-FR',
      origin: 'https://shop.example', 'x-stainless-os': 'Linux', 'cf-ray': '8f-CDG', 'cf-visitor': '{"scheme":"https"}' };
    const res = await chat('json', { ...VISITOR, ...extra, ...provider, 'x-edge-persona-identity': token(JEFF) });
    assert.equal(res.status, 200);
    const got = llm.last().headers;
    const leaked = Object.keys(VISITOR).filter((h) => h in got);
    console.log(`  visitor IP/geo headers reaching the LLM provider: ${leaked.length}/${Object.keys(VISITOR).length} ${leaked.join(' ')}`);
    assert.deepEqual(leaked, []);
    for (const h of Object.keys(extra)) assert.ok(!(h in got), `${h} reached the LLM provider`);
    assert.ok(!('x-edge-persona-identity' in got));
    for (const [h, v] of Object.entries(provider)) assert.equal(got[h], v, h);
    assert.equal(got.authorization, 'Bearer sk-caller');
    assert.equal(got['content-type'], 'application/json');
    assert.match(llm.last().body.messages[0].content, /user_profile_context/, 'still personalized');
  });

  test('the origin gets what a site needs and one x-forwarded-for set from cf-connecting-ip', async () => {
    const site = { cookie: 'session=s1', accept: 'text/html', 'accept-language': 'fr-FR', 'user-agent': 'Mozilla/5.0',
      referer: 'https://shop.example/', 'if-none-match': '"v1"', 'x-requested-with': 'XMLHttpRequest' };
    const res = await raw('/echo?q=1', { headers: { ...VISITOR, ...site, 'x-edge-persona-identity': 'tok', 'x-custom-tracking': 'z' } });
    assert.equal(res.status, 200);
    const got = origin.last().headers;
    for (const [h, v] of Object.entries(site)) assert.equal(got[h], v, h);
    assert.equal(got['x-forwarded-for'], '203.0.113.7', 'the visitor IP, once, from cf-connecting-ip');
    assert.equal(got['x-forwarded-proto'], 'http');
    assert.equal(got['x-forwarded-host'], new URL(base).host);
    for (const h of Object.keys(VISITOR).filter((k) => !k.startsWith('x-forwarded-'))) assert.ok(!(h in got), `${h} reached the origin`);
    assert.ok(!('x-edge-persona-identity' in got) && !('x-custom-tracking' in got));
  });

  test('an identified page request is not conditional: the origin sends the full page to personalize', async () => {
    await raw('/echo', { headers: { ...cookie(JEFF), accept: 'text/html', 'if-none-match': '"v1"', 'if-modified-since': 'Mon, 01 Jan 2024 00:00:00 GMT' } });
    const got = origin.last().headers;
    assert.ok(!('if-none-match' in got) && !('if-modified-since' in got), JSON.stringify(got));
  });
});

describe('caching of personal responses', () => {
  test('personalized HTML: private, no-store, and none of the origin\'s CDN cache headers', async () => {
    const res = await raw('/cached', { headers: cookie(JEFF) });
    assert.match(res.body.toString(), />Jeff<\/span>/);
    assert.equal(res.headers['cache-control'], 'private, no-store');
    for (const h of Object.keys(CDN_HEADERS).filter((k) => k !== 'cache-control')) assert.ok(!(h in res.headers), `${h}: ${res.headers[h]}`);
    for (const id of ['cookie', 'authorization', 'x-edge-persona-identity']) assert.match(res.headers.vary ?? '', new RegExp(id, 'i'));
    const anon = await raw('/cached');
    assert.equal(anon.headers.etag, '"origin-etag"', 'an unpersonalized page keeps them');
  });

  test('chat answers are no-store, JSON and SSE, personalized or not, without CDN headers', async () => {
    for (const [model, headers] of [['json', { 'x-edge-persona-identity': token(JEFF) }], ['json', {}], ['sse', { 'x-edge-persona-identity': token(JEFF) }]]) {
      const res = await chat(model, headers);
      assert.equal(res.status, 200);
      assert.equal(res.headers['cache-control'], 'private, no-store', model);
      for (const h of Object.keys(CDN_HEADERS).filter((k) => k !== 'cache-control')) assert.ok(!(h in res.headers), `${model}: ${h}`);
    }
  });

  test('/v1/snapshot varies on every identity source', async () => {
    const res = await raw('/v1/snapshot', { headers: { 'x-edge-persona-identity': token(JEFF) } });
    assert.equal(res.status, 200);
    for (const id of ['cookie', 'authorization', 'x-edge-persona-identity']) assert.match(res.headers.vary, new RegExp(id, 'i'));
    assert.match(res.headers['cache-control'], /private/);
    assert.match(res.headers['cache-control'], /no-cache/);
    const again = await raw('/v1/snapshot', { headers: { 'x-edge-persona-identity': token(JEFF), 'if-none-match': res.headers.etag } });
    assert.equal(again.status, 304, 'the browser\'s own cache still revalidates');
  });

  test('Chromium\'s cache behind a proxy that adds Date never serves one person\'s snapshot to another', async () => {
    const { launchChromium } = await chromium();
    // The proxy: the test page at /, everything else to the Worker, a Date header on every answer.
    const proxy = await listen((req, res) => {
      if (req.url === '/') { res.writeHead(200, { 'content-type': 'text/html', date: new Date().toUTCString() }); res.end('<p>test</p>'); return; }
      const up = http.request(new URL(req.url, base), { method: req.method, headers: { ...req.headers, host: new URL(base).host } }, (r) => {
        res.writeHead(r.statusCode, { ...r.headers, date: new Date().toUTCString() });
        r.pipe(res);
      });
      req.pipe(up);
    });
    const browser = await launchChromium();
    try {
      const page = await (await browser.newContext()).newPage();
      await page.goto(proxy.url + '/');
      const got = await page.evaluate(async ([jeff, maria]) => {
        const get = async (h) => {
          const r = await fetch('/v1/snapshot', { headers: h });
          const digest = await crypto.subtle.digest('SHA-256', await r.arrayBuffer());
          return { status: r.status, bytes: Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('') };
        };
        return [await get({ 'x-edge-persona-identity': jeff }), await get({ 'x-edge-persona-identity': maria }), await get({})];
      }, [token(JEFF), token(MARIA)]);
      const bytes = async (user) => createHash('sha256').update(Buffer.from(await kv.get(`snapb:v1:${user}`, 'arrayBuffer'))).digest('hex');
      assert.equal(got[0].bytes, await bytes(JEFF));
      assert.equal(got[1].status, 200);
      assert.equal(got[1].bytes, await bytes(MARIA), 'maria got her own snapshot, not jeff\'s from the cache');
      assert.equal(got[2].status, 401, 'no token: no snapshot from the cache');
    } finally {
      await browser.close();
      proxy.server.closeAllConnections();
      await proxy.close();
    }
  });
});

describe('deadlines', () => {
  const chatBody = (model) => JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'running shoes in my size?' }] });
  test('LLM provider hangs before its headers: 504 after the first-byte deadline', async () => {
    const res = await chat('hang-head', { 'x-edge-persona-identity': token(JEFF) });
    assert.equal(res.status, 504);
    assert.match(res.body.toString(), /"status":504/);
  });
  for (const model of ['hang-body', 'reset', 'trickle']) {
    test(`LLM provider ${model} after its headers: the answer ends in an error, never a clean end`, async () => {
      const res = await chat(model, { 'x-edge-persona-identity': token(JEFF) });
      assert.equal(res.status, 200);
      const text = res.body.toString();
      assert.match(text, /Hello/, 'what came before the failure was relayed');
      assert.match(text, /\n\nevent: error\ndata: \{"type":"error","error":\{"type":"upstream_error"/);
      const through = await probe({ path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer k' }, body: chatBody(model) });
      assert.match(through.errored ?? 'clean end', /upstream/, 'a caller inside the runtime sees the body fail');
      // The official client raises it.
      const client = new OpenAI({ apiKey: 'k', baseURL: new URL('/v1', base).toString(), maxRetries: 0 });
      const stream = await client.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content: 'hi' }] });
      await assert.rejects(async () => { for await (const _ of stream) { /* reads to the end */ } }, /upstream/);
    });
  }
  test('origin hangs before its headers: 504', async () => {
    for (const headers of [{}, cookie(JEFF)]) {
      const res = await raw('/hang-head', { headers });
      assert.equal(res.status, 504);
    }
  });
  for (const route of ['/hang-body', '/reset', '/trickle']) {
    test(`origin ${route.slice(1)} after its headers: the page fails within the deadlines (personalized and not)`, async () => {
      for (const headers of [{}, cookie(JEFF)]) {
        const res = await raw(route, { headers });
        assert.equal(res.status, 200, 'answered, not hung');
        const through = await probe({ path: route, headers });
        assert.equal(through.status, 200);
        assert.match(through.body, /<h1>Hi/);
        assert.match(through.errored ?? 'clean end', /upstream|rewrite/, JSON.stringify(headers));
      }
    });
  }

  test('the Profile API fallback is bounded in total, across pages and retries', async () => {
    const segment = await slowPagesSegment(900);
    const w = new Miniflare(workerOptions({
      IDENTITY_SECRET: SECRET, SEGMENT_SPACE_ID: SEGMENT_SPACE, SEGMENT_ACCESS_TOKEN: SEGMENT_TOKEN, SEGMENT_API_BASE: segment.url,
      SEGMENT_TIMEOUT_MS: '1000', SEGMENT_MAX_PAGES: '10', SEGMENT_BUDGET_MS: '1500', SNAPSHOT_CACHE_SECONDS: '0',
    }));
    try {
      const res = await fetch(new URL('/v1/context', (await w.ready).toString()), {
        method: 'POST', headers: { authorization: `Bearer ${token('many-pages')}` }, body: '{"query":"shoes"}',
        signal: AbortSignal.timeout(30000),
      });
      assert.equal((await res.json()).personalized, false);
      // Ten pages of 900 ms each, within a 1.5 s budget: the fetch gives up after the first pages.
      assert.ok(segment.seen.length < 10, `${segment.seen.length} Profile API calls: the budget did not end the fetch`);
      assert.equal(await (await w.getKVNamespace('PROFILES')).get('snap:v1:many-pages'), null, 'nothing half-fetched stored');
    } finally {
      await w.dispose();
      await segment.close();
    }
  });
});

describe('HTML edge cases', () => {
  test('no slot is filled inside script, style, title, textarea, template and other raw-text elements', async () => {
    const res = await raw('/raw-text', { headers: cookie(SAFETY) });
    const html = res.body.toString();
    assert.match(html, /<p id="plain"[^>]*>José さくら €<\/p>/, 'an ordinary slot is filled');
    for (const authored of ['authored title', '/* authored css */', '/* authored js */', 'authored textarea', 'authored noscript',
      'authored iframe', 'authored xmp', 'authored noembed', 'authored template', 'authored svg style']) {
      assert.ok(html.includes(authored), `${authored} replaced: ${html}`);
    }
    assert.ok(!html.includes('slot-in-script') && !html.includes('offhost.css'), html);
    assert.match(html, /<button id="btn" onclick="return 1"[^>]*>" onmouseover="window.__pwned=1<\/button>/, 'values never become attributes');
  });

  test('a 2 MB variants group is released as authored, and the page is complete', async () => {
    const res = await raw('/big-group', { headers: cookie(JEFF), timeoutMs: 20000 });
    const html = res.body.toString();
    assert.equal(res.clean, true);
    assert.match(html, />Jeff<\/span>/);
    assert.ok(html.endsWith('<p id="after">after</p></body></html>'));
    assert.ok(!html.includes('data-persona-chosen') && !html.includes('ep-hold'), 'over the limit: as authored');
    assert.ok(html.includes('variant 0 ') && html.includes('variant 1 '));
  });

  test('an unclosed variants group does not hold back the page', async () => {
    const req = http.get(new URL('/unclosed-group', base), { headers: { 'accept-encoding': 'identity', ...cookie(JEFF) } });
    const text = await new Promise((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => resolve(seen), 5000);
      req.on('response', (res) => res.on('data', (c) => {
        seen += c.toString();
        if (seen.includes('id="mark"')) { clearTimeout(timer); resolve(seen); }
      }));
      req.on('error', reject);
    });
    origin.releaseUnclosed();
    req.destroy();
    assert.ok(text.includes('id="mark"'), `held back: ${text.length} bytes released before the origin ended`);
    assert.ok(text.includes('>R</p>') && text.includes('>G</p>'), 'released as authored');
    assert.ok(!text.includes('ep-hold'));
  });

  test('deflate pages (zlib and raw) are personalized like gzip; unknown encodings pass through with their header; br is decoded', async () => {
    for (const route of ['/deflate', '/deflate-raw']) {
      const d = await raw(route, { headers: cookie(JEFF) });
      assert.equal(d.headers['content-encoding'], undefined, route);
      assert.match(d.body.toString(), /<span id="name" data-persona="trait:firstName">Jeff<\/span>/, route);
      assert.ok(d.body.toString().endsWith('</p></body></html>'), route);
    }
    const anonymous = await raw('/deflate', {});
    assert.equal(anonymous.headers['content-encoding'], 'deflate', 'not personalized: relayed as it came');
    assert.match(inflateSync(anonymous.body).toString(), /data-persona="trait:firstName">x<\/span>/);
    const broken = await raw('/deflate-broken', { headers: cookie(JEFF) });
    assert.ok(!broken.body.toString().endsWith('</html>'), 'a truncated stream is not completed');
    const x = await raw('/x-custom', { headers: cookie(JEFF) });
    assert.equal(x.headers['content-encoding'], 'x-custom');
    assert.ok(x.body.equals(Buffer.from([0x01, 0x02, 0xfa, 0xfb, 0x3c])));
    const b = await raw('/br', { headers: cookie(JEFF) });
    assert.equal(b.headers['content-encoding'], undefined);
    assert.match(b.body.toString(), />Jeff<\/span>/);
  });

  const ncr = (s) => s.replace(/&#(\d+);/g, (_, n) => String.fromCodePoint(Number(n)));
  for (const [route, encoding, bytes] of [['/cp1252', 'windows-1252', ENCODED.cafe], ['/sjis', 'shift_jis', ENCODED.nihonHyou]]) {
    test(`a ${encoding} page: slots and variants in its own encoding, bytes outside them intact`, async () => {
      const res = await raw(route, { headers: cookie(SAFETY) });
      // (Node's TextDecoder reads windows-1252 as Latin-1: 0x80 is the euro sign there.)
      const text = ncr(new TextDecoder(encoding).decode(res.body)).replaceAll('\x80', '€');
      assert.match(text, /<span id="name"[^>]*>José さくら €<\/span>/, text);
      assert.match(text, /data-persona-chosen="1"/, text);
      assert.ok(!text.includes('golf</p>'), 'the other variant removed');
      assert.ok(res.body.includes(bytes), `${encoding} bytes of the chosen variant intact`);
      assert.ok(!res.body.includes(Buffer.from('\ufffd')), 'no replacement characters');
    });
  }
});
