// End-to-end tests of the Worker on workerd (Miniflare), with the official `openai` client, a fake
// origin, a fake LLM provider and a fake Segment Profile API on 127.0.0.1.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Miniflare } from 'miniflare';
import OpenAI from 'openai';
import {
  FIXTURES, SECRET, SEGMENT_SPACE, SEGMENT_TOKEN, WEBHOOK_SECRET,
  bundleFile, compileSeeds, fakeLlm, fakeOrigin, fakeSegment, jwt, readFixture, seedKv,
  signWebhook, token, workerOptions,
} from './helpers.mjs';

const JEFF = 'jeff-lawson-1138';
const MARIA = 'maria-gonzalez-77';
const XSS = 'xss-tester-1';
const SEGMENT_ONLY = 'sam-segment-only';
// Strings that only Maria's profile holds: none may reach anyone else.
const MARIA_MARKERS = ['Maria', 'Gonzalez', 'Unlimited Plus', 'Pixel 10', 'maria-gonzalez'];

let mf; let base; let llm; let origin; let segment; let kv;

function assertNoMaria(text) {
  for (const m of MARIA_MARKERS) assert.ok(!text.includes(m), `found ${JSON.stringify(m)} in ${text.slice(0, 300)}`);
}

before(async () => {
  llm = await fakeLlm();
  origin = await fakeOrigin();
  const small = readFixture('profile-retail-small.json');
  small.traits.traits.firstName = 'Samira';
  segment = await fakeSegment({ [SEGMENT_ONLY]: small, 'rate-limited-once': small, 'snapshot-first': small });
  const xss = bundleFile({
    profile_id: `user_id:${XSS}`,
    traits: { traits: { firstName: '<script>alert(1)</script>', nickname: '<b>bold</b> & "quoted"', email_opt_in: false, sms_opt_in: true } },
    events: { data: [] },
  });
  const entries = compileSeeds([
    path.join(FIXTURES, 'profile-retail-jeff.json'),
    path.join(FIXTURES, 'profile-telecom-maria.json'),
    xss,
  ]);
  mf = new Miniflare(workerOptions({
    IDENTITY_SECRET: SECRET,
    LLM_UPSTREAM_URL: llm.url,
    ORIGIN_URL: origin.url,
    SEGMENT_SPACE_ID: SEGMENT_SPACE,
    SEGMENT_ACCESS_TOKEN: SEGMENT_TOKEN,
    SEGMENT_API_BASE: segment.url,
    SEGMENT_TIMEOUT_MS: '1000',
    // The rate-limited profile waits 1 s on each of its six pages: more than the default 3 s budget.
    SEGMENT_BUDGET_MS: '10000',
    SEGMENT_WEBHOOK_SECRET: WEBHOOK_SECRET,
    SNAPSHOT_CACHE_SECONDS: '0',
  }));
  base = (await mf.ready).toString();
  kv = await mf.getKVNamespace('PROFILES');
  await seedKv(kv, entries);
});

after(async () => {
  await mf?.dispose();
  await Promise.all([llm?.close(), origin?.close(), segment?.close()]);
});

const post = (p, body, headers = {}) => fetch(new URL(p, base), {
  method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body),
});

describe('POST /v1/context', () => {
  test('ranks the caller\'s own profile', async () => {
    const res = await post('/v1/context', { query: 'running shoes in my size' }, { authorization: `Bearer ${token(JEFF)}` });
    assert.equal(res.status, 200);
    const out = await res.json();
    assert.equal(out.personalized, true);
    assert.ok(out.items.some((i) => i.id === 'trait:shoe_size'), JSON.stringify(out.items));
    assert.match(out.context.text, /Shoe size: "10\.5"/);
    assert.ok(out.context.estimated_tokens > 0 && out.context.estimated_tokens <= 200);
    assert.ok(!out.context.text.includes('jeff@example.com'), 'personal data withheld');
    assert.equal(res.headers.get('cache-control'), 'private, no-store');
  });

  test('cookie identity works too', async () => {
    const res = await post('/v1/context', { query: 'data plan' }, { cookie: `a=b; ep_id=${token(MARIA, { format: 'cookie' })}` });
    const out = await res.json();
    assert.equal(out.personalized, true);
    assert.match(out.context.text, /Unlimited Plus/);
  });

  for (const [name, headers] of [
    ['no token', {}],
    ['forged token (wrong secret)', { authorization: `Bearer ${token(MARIA, { secret: 'another-secret-0123456789' })}` }],
    ['expired token', { authorization: `Bearer ${token(MARIA, { ttl: 60, now: '2020-01-01T00:00:00Z' })}` }],
    ['alg=none token', { authorization: `Bearer ${jwt({ sub: MARIA, exp: 9999999999 }, { alg: 'none' })}` }],
    ['plain user id in headers', { 'x-edge-persona-identity': MARIA, 'x-user-id': MARIA, authorization: `Bearer ${MARIA}`, cookie: `ep_id=${MARIA}; user_id=${MARIA}` }],
    ['payload swapped under a valid signature', { authorization: `Bearer ${(() => {
      const [h, , s] = token(JEFF).split('.');
      const p = Buffer.from(JSON.stringify({ sub: MARIA, exp: 9999999999 })).toString('base64url');
      return `${h}.${p}.${s}`;
    })()}` }],
  ]) {
    test(`${name} → unpersonalized, no data of anyone`, async () => {
      const res = await post('/v1/context', { query: 'my plan and my device' }, headers);
      assert.equal(res.status, 200);
      const text = await res.text();
      assert.deepEqual(JSON.parse(text).personalized, false);
      assertNoMaria(text);
    });
  }

  test('a conversation\'s user turns as the query: the follow-up keeps the topic', async () => {
    const auth = { authorization: `Bearer ${token(JEFF)}` };
    const turns = ['Can you recommend some running shoes in my size?', 'and in blue?'];
    const conv = await (await post('/v1/context', { query: turns }, auth)).json();
    const alone = await (await post('/v1/context', { query: turns[1] }, auth)).json();
    const ids = (out) => out.items.map((i) => i.id);
    assert.ok(ids(conv).slice(0, 5).includes('trait:shoe_size'), ids(conv).join());
    assert.ok(!ids(alone).includes('trait:shoe_size'));
    // (Scores are compared by item: each request ranks at its own `now`.)
    const one = await (await post('/v1/context', { query: [turns[0]] }, auth)).json();
    const plain = await (await post('/v1/context', { query: turns[0] }, auth)).json();
    assert.deepEqual(ids(one), ids(plain), 'one turn is the plain query');
    assert.deepEqual(one.context.items, plain.context.items);
    for (const bad of [[1], ['a', null], {}]) {
      assert.equal((await post('/v1/context', { query: bad }, auth)).status, 400, JSON.stringify(bad));
    }
  });

  test('a JWT minted by another HS256 implementation is accepted', async () => {
    const t = jwt({ sub: JEFF, exp: Math.floor(Date.now() / 1000) + 60 });
    const out = await (await post('/v1/context', { query: 'shoes' }, { authorization: `Bearer ${t}` })).json();
    assert.equal(out.personalized, true);
  });

  test('bad input gets a 4xx with no internals', async () => {
    let res = await fetch(new URL('/v1/context', base), { method: 'POST', body: '{not json' });
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.equal(body.error.status, 400);
    assert.ok(!JSON.stringify(body).match(/serde|panic|rust|line \d/i));
    res = await fetch(new URL('/v1/context', base));
    assert.equal(res.status, 405);
    res = await post('/v1/context', ['array']);
    assert.equal(res.status, 400);
  });

  test('options outside the core\'s bounds are refused by name, as in the npm package', async () => {
    const auth = { authorization: `Bearer ${token(JEFF)}` };
    for (const [args, setting] of [[{ limit: 0 }, 'limit'], [{ limit: 1001 }, 'limit'], [{ budget_tokens: 100001 }, 'budget_tokens']]) {
      const res = await post('/v1/context', { query: 'shoes', ...args }, auth);
      assert.equal(res.status, 400, JSON.stringify(args));
      assert.match((await res.json()).error.message, new RegExp(`setting ${setting} `));
    }
    const res = await post('/v1/context', { query: 'shoes', limit: -3 }, auth);
    assert.equal(res.status, 400);
    const ok = await post('/v1/context', { query: 'running shoes', limit: 1000, budget_tokens: 0 }, auth);
    assert.equal(ok.status, 200);
    assert.equal((await ok.json()).context.text, '', 'a zero budget renders nothing');
  });
});

describe('LLM proxy with the official openai client', () => {
  const client = (identity, apiKey = 'sk-caller-key-123') => new OpenAI({
    apiKey, baseURL: new URL('/v1', base).toString(), maxRetries: 0,
    defaultHeaders: identity ? { 'x-edge-persona-identity': identity } : {},
  });
  const messages = [
    { role: 'system', content: 'You are a helpful shop assistant.' },
    { role: 'user', content: 'Can you recommend some running shoes in my size?' },
  ];

  test('non-streaming: context injected, messages intact, caller key forwarded', async () => {
    const { data, response } = await client(token(JEFF)).chat.completions
      .create({ model: 'gpt-test', messages }).withResponse();
    assert.equal(data.choices[0].message.content, 'Try the Trail Runner 5 in 10.5.');
    assert.match(response.headers.get('x-edge-persona'), /^items=[1-9]\d*; tokens=[1-9]\d*$/);
    const seen = llm.last();
    assert.equal(seen.headers.authorization, 'Bearer sk-caller-key-123');
    assert.equal(seen.headers['x-edge-persona-identity'], undefined, 'identity token not forwarded');
    const sent = seen.body.messages;
    assert.equal(sent.length, 3);
    assert.deepEqual(sent[0], messages[0]);
    assert.equal(sent[1].role, 'system');
    assert.match(sent[1].content, /<user_profile_context>[\s\S]*Shoe size: "10\.5"[\s\S]*<\/user_profile_context>/);
    assert.ok(!sent[1].content.includes('jeff@example.com'));
    assert.deepEqual(sent[2], messages[1]);
    assert.equal(seen.body.model, 'gpt-test');
  });

  test('a follow-up turn is personalized from the conversation\'s user turns', async () => {
    const conversation = [
      ...messages,
      { role: 'assistant', content: 'The Trail Runner 5 comes in 10.5. Want to check your loyalty points?' },
      { role: 'user', content: 'and in blue?' },
    ];
    await client(token(JEFF)).chat.completions.create({ model: 'gpt-test', messages: conversation });
    const sent = llm.last().body.messages;
    assert.equal(sent.length, conversation.length + 1);
    assert.match(sent[1].content, /Shoe size: "10\.5"/);
    assert.match(sent[1].content, /blue/);
    assert.ok(!/Loyalty points/.test(sent[1].content), 'assistant turns are not query text');
    assert.deepEqual(sent.slice(2), conversation.slice(1));
    const ctx = await (await post('/v1/context', { query: [messages[1].content, 'and in blue?'] }, { authorization: `Bearer ${token(JEFF)}` })).json();
    // The same block as /v1/context of the user turns (ages aside: each request has its own `now`).
    const ageless = (text) => text.replace(/, last [^:]* ago/g, '');
    assert.equal(ageless(sent[1].content), ageless(ctx.context.text), 'the same context as /v1/context of the user turns');
  });

  test('streaming SSE passes through unchanged', async () => {
    const stream = await client(token(JEFF)).chat.completions.create({ model: 'gpt-test', messages, stream: true });
    let text = '';
    let chunks = 0;
    for await (const chunk of stream) {
      chunks += 1;
      text += chunk.choices[0]?.delta?.content ?? '';
    }
    assert.equal(text, 'Try the Trail Runner 5.');
    assert.equal(chunks, 7);
    assert.equal(llm.last().body.stream, true);
    assert.match(llm.last().body.messages[1].content, /user_profile_context/);
  });

  test('raw SSE bytes and content-type are exactly the upstream\'s', async () => {
    const res = await post('/v1/chat/completions', { model: 'm', stream: true, messages }, { authorization: 'Bearer sk-x' });
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    assert.equal(res.headers.get('x-edge-persona'), 'items=0; tokens=0');
    const body = await res.text();
    assert.match(body, /^data: \{.*\n\n/);
    assert.ok(body.endsWith('data: [DONE]\n\n'));
  });

  for (const [name, identity] of [
    ['no identity', null],
    ['forged identity', token(MARIA, { secret: 'another-secret-0123456789' })],
    ['expired identity', token(MARIA, { ttl: 1, now: '2021-06-01T00:00:00Z' })],
    ['plain user id', MARIA],
  ]) {
    test(`${name}: forwarded byte for byte, unpersonalized`, async () => {
      const body = JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'my plan and my device' }] });
      const res = await fetch(new URL('/v1/chat/completions', base), {
        method: 'POST', body,
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-a', ...(identity ? { 'x-edge-persona-identity': identity } : {}) },
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-edge-persona'), 'items=0; tokens=0');
      assert.equal(llm.last().raw, body);
      const text = await res.text();
      assertNoMaria(text);
      assertNoMaria(llm.last().raw);
    });
  }

  test('on the chat routes Authorization is the LLM key, never an identity', async () => {
    await client(null, token(MARIA)).chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'my plan' }] });
    assertNoMaria(JSON.stringify(llm.last().body));
  });

  test('Responses and Messages APIs', async () => {
    const r = await client(token(JEFF)).responses.create({ model: 'gpt-test', input: 'running shoes in my size' });
    assert.equal(r.status, 'completed');
    assert.match(llm.last().body.instructions, /Shoe size/);
    const res = await post('/v1/messages', { model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'running shoes in my size' }] },
      { 'x-api-key': 'anthropic-key', 'anthropic-version': '2023-06-01', 'x-edge-persona-identity': token(JEFF, { format: 'cookie' }) });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('x-edge-persona'), /^items=[1-9]/);
    assert.equal(llm.last().headers['x-api-key'], 'anthropic-key');
    assert.match(llm.last().body.system, /Shoe size/);
  });

  test('a body the core cannot read is forwarded unchanged', async () => {
    const res = await fetch(new URL('/v1/chat/completions', base), {
      method: 'POST', body: 'not json at all', headers: { 'x-edge-persona-identity': token(JEFF), authorization: 'Bearer k' },
    });
    assert.equal(res.status, 200);
    assert.equal(llm.last().raw, 'not json at all');
  });
});

describe('origin proxy with streaming HTML rewriting', () => {
  const page = (headers = {}) => fetch(new URL('/page?x=1', base), { headers });

  test('slots filled, conditions applied, one variant chosen', async () => {
    const res = await page({ cookie: `ep_id=${token(JEFF, { format: 'cookie' })}` });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /text\/html/);
    const html = await res.text();
    assert.match(html, /<span id="name"[^>]*>Jeff<\/span>/);
    assert.match(html, /<p id="nick"[^>]*>Tom &amp; Jerry<\/p>/, 'default decoded once, escaped once');
    assert.match(html, /<p id="missing"[^>]*>fallback text<\/p>/);
    assert.match(html, /id="gold"/, 'email_opt_in is true');
    assert.ok(!html.includes('id="nosms"'), 'sms_opt_in is true: removed');
    assert.ok(html.includes('RUNNING PROMO'));
    assert.ok(!html.includes('LOANS PROMO') && !html.includes('KNITTING PROMO'));
    assert.match(html, /data-persona-chosen="1"/);
    assert.ok(!html.includes('ep-hold') && !html.includes('ep-unhold'));
    assert.ok(html.endsWith('end</footer>\n</body></html>'));
    assert.equal(origin.seen.at(-1).url, '/page?x=1');
  });

  test('values go in as text: <script> in a trait arrives escaped', async () => {
    const html = await (await page({ cookie: `ep_id=${token(XSS, { format: 'cookie' })}` })).text();
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), html.slice(0, 400));
    assert.ok(!html.includes('<script>alert(1)'));
    assert.ok(html.includes('&lt;b&gt;bold&lt;/b&gt; &amp; "quoted"') || html.includes('&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;'));
    assert.ok(!html.includes('id="gold"'), 'email_opt_in false: removed');
    assert.ok(html.includes('LOANS PROMO') && html.includes('RUNNING PROMO'), 'no relevant variant: group as authored');
  });

  for (const [name, headers] of [
    ['no identity', {}],
    ['forged cookie', { cookie: `ep_id=${token(MARIA, { format: 'cookie', secret: 'another-secret-0123456789' })}` }],
    ['plain user id', { cookie: `ep_id=${MARIA}`, 'x-edge-persona-identity': MARIA }],
  ]) {
    test(`${name}: the page as authored`, async () => {
      const res = await page(headers);
      const html = await res.text();
      assert.ok(html.includes('>friend</span>'));
      assertNoMaria(html);
    });
  }

  test('a gzip-encoded origin page is personalized too', async () => {
    const res = await fetch(new URL('/gz', base), { headers: { cookie: `ep_id=${token(JEFF, { format: 'cookie' })}` } });
    const html = await res.text();
    assert.match(html, /<span id="name"[^>]*>Jeff<\/span>/);
    assert.ok(html.includes('RUNNING PROMO'));
  });

  test('the page streams: personalized head before the origin has finished', async () => {
    // The origin holds its tail until the test has read the head: a Worker that buffered the page
    // would never show the head, and the read below would end the test by its timeout.
    // identity: the local runtime gzips for clients that accept it, and gzip holds small chunks back.
    const res = await fetch(new URL('/gated', base), { headers: { 'accept-encoding': 'identity', cookie: `ep_id=${token(JEFF, { format: 'cookie' })}` } });
    const reader = res.body.getReader();
    let head = '';
    while (!head.includes('</h1>')) {
      const { value, done } = await reader.read();
      if (done) break;
      head += Buffer.from(value).toString('utf8');
    }
    assert.match(head, />Jeff<\/span>/);
    assert.ok(!head.includes('tail'));
    origin.release();
    let rest = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += Buffer.from(value).toString('utf8');
    }
    assert.ok(rest.includes('<p>tail</p>'));
  });

  test('other content types and redirects are untouched', async () => {
    const css = await (await fetch(new URL('/style.css', base), { headers: { cookie: `ep_id=${token(JEFF, { format: 'cookie' })}` } })).text();
    assert.equal(css, '/* data-persona="trait:firstName" stays as is */ body{color:green}');
    const res = await fetch(new URL('/old', base), { redirect: 'manual' });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), '/page');
    assert.equal((await fetch(new URL('/nope', base))).status, 404);
  });
});

describe('GET /v1/snapshot', () => {
  test('the caller\'s own browser snapshot, with ETag and 304', async () => {
    const t = token(JEFF);
    const res = await fetch(new URL('/v1/snapshot', base), { headers: { authorization: `Bearer ${t}` } });
    assert.equal(res.status, 200);
    const etag = res.headers.get('etag');
    assert.match(etag, /^"[0-9a-f]{32}"$/);
    assert.match(res.headers.get('cache-control'), /private/);
    const bytes = Buffer.from(await res.arrayBuffer());
    const expected = Buffer.from(await kv.get(`snapb:v1:${JEFF}`, 'arrayBuffer'));
    assert.ok(bytes.equals(expected));
    assert.ok(!bytes.toString('latin1').includes('jeff@example.com'), 'browser policy drops personal data');
    const again = await fetch(new URL('/v1/snapshot', base), { headers: { authorization: `Bearer ${t}`, 'if-none-match': etag } });
    assert.equal(again.status, 304);
    // A new version of the same bytes, then other bytes: each a new ETag, the old one a full answer.
    const key = `snapb:v1:${JEFF}`;
    const original = expected.buffer.slice(expected.byteOffset, expected.byteOffset + expected.byteLength);
    const revalidate = async (tag) => fetch(new URL('/v1/snapshot', base), { headers: { authorization: `Bearer ${t}`, 'if-none-match': tag } });
    try {
      await kv.put(key, original, { metadata: { v: 7 } });
      const newer = await revalidate(etag);
      assert.equal(newer.status, 200);
      const etag7 = newer.headers.get('etag');
      assert.notEqual(etag7, etag);
      // Another snapshot (the server policy's), its header's length and checksum its own.
      const other = await kv.get(`snap:v1:${JEFF}`, 'arrayBuffer');
      await kv.put(key, other, { metadata: { v: 7 } });
      const changed = await revalidate(etag7);
      assert.equal(changed.status, 200);
      assert.notEqual(changed.headers.get('etag'), etag7);
    } finally {
      await kv.put(key, original);
    }
  });

  test('no identity → 401 and nothing else', async () => {
    const res = await fetch(new URL('/v1/snapshot', base), { headers: { 'x-edge-persona-identity': MARIA } });
    assert.equal(res.status, 401);
    assertNoMaria(await res.text());
  });
});

describe('KV miss → Segment Profile API', () => {
  test('fetched with pagination, compiled, served, then stored', async () => {
    const before = segment.seen.length;
    const out = await (await post('/v1/context', { query: 'running shoes in my size' }, { authorization: `Bearer ${token(SEGMENT_ONLY)}` })).json();
    assert.equal(out.personalized, true);
    assert.match(out.context.text, /Shoe size/);
    const calls = segment.seen.slice(before).map((s) => s.url);
    assert.ok(calls.filter((u) => u.includes('/traits')).length >= 2, `traits paginated: ${calls}`);
    assert.ok(calls.filter((u) => u.includes('/events')).length >= 2, `events paginated: ${calls}`);
    assert.ok(calls.some((u) => u.includes('next=')));
    let stored = null;
    for (let i = 0; i < 50 && !stored; i += 1) {
      stored = await kv.get(`snap:v1:${SEGMENT_ONLY}`, 'arrayBuffer');
      if (!stored) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(stored, 'snapshot stored in KV');
    assert.ok(await kv.get(`snapb:v1:${SEGMENT_ONLY}`, 'arrayBuffer'));
    // The fetched source stays in the person's object (bounded, with retention), not in KV.
    assert.equal(await kv.get(`src:v1:${SEGMENT_ONLY}`), null);
    // Now served from KV: no new Profile API calls.
    const n = segment.seen.length;
    const html = await (await fetch(new URL('/page', base), { headers: { cookie: `ep_id=${token(SEGMENT_ONLY, { format: 'cookie' })}` } })).text();
    assert.match(html, />Samira<\/span>/);
    assert.equal(segment.seen.length, n);
  });

  test('GET /v1/snapshot on a miss builds the browser snapshot from the Profile API', async () => {
    const res = await fetch(new URL('/v1/snapshot', base), { headers: { authorization: `Bearer ${token('snapshot-first')}` } });
    assert.equal(res.status, 200);
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.ok(bytes.length > 100);
    assert.ok(!bytes.toString('latin1').includes('jeff@example.com'), 'browser policy');
    let stored = null;
    for (let i = 0; i < 50 && !stored; i += 1) {
      stored = await kv.get('snapb:v1:snapshot-first', 'arrayBuffer');
      if (!stored) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(stored && Buffer.from(stored).equals(bytes));
  });

  test('a snapshot of an older format in KV is rebuilt from the stored source bundle', async () => {
    // fixtures/golden/profile-retail-small.v1.snap: written by snapshot format 1.
    const user = 'format-one';
    const old = readFileSync(path.join(FIXTURES, 'golden/profile-retail-small.v1.snap'));
    const source = readFixture('profile-retail-small.json');
    source.traits.traits.firstName = 'Olde';
    await kv.put(`snap:v1:${user}`, old.buffer.slice(old.byteOffset, old.byteOffset + old.byteLength));
    await kv.put(`src:v1:${user}`, JSON.stringify(source));
    const before = segment.seen.length;
    const out = await (await post('/v1/context', { query: 'first name' }, { authorization: `Bearer ${token(user)}` })).json();
    assert.equal(out.personalized, true);
    assert.match(out.context.text, /Olde/);
    assert.equal(segment.seen.length, before, 'rebuilt from the stored source, not the Profile API');
    let stored = old;
    for (let i = 0; i < 50 && Buffer.from(stored).equals(old); i += 1) {
      stored = await kv.get(`snap:v1:${user}`, 'arrayBuffer');
      if (Buffer.from(stored).equals(old)) await new Promise((r) => setTimeout(r, 50));
    }
    const bytes = Buffer.from(stored);
    const current = readFileSync(path.join(FIXTURES, 'golden/profile-retail-small.snap')).readUInt16LE(4);
    assert.equal(bytes.subarray(0, 4).toString('latin1'), 'EPSN');
    assert.notEqual(current, 1);
    assert.equal(bytes.readUInt16LE(4), current, 'stored again in the current format');
  });

  test('a 429 is retried once (the pause Retry-After asks for: profile_api.rs unit tests)', async () => {
    const out = await (await post('/v1/context', { query: 'shoes' }, { authorization: `Bearer ${token('rate-limited-once')}` })).json();
    assert.equal(out.personalized, true);
    const calls = segment.seen.filter((c) => c.url.includes('user_id:rate-limited-once/traits'));
    assert.ok(calls.length >= 2, 'the throttled call was made again');
  });

  for (const user of ['server-error', 'nobody-404', 'slow-user']) {
    test(`${user}: served unpersonalized`, async () => {
      const res = await post('/v1/context', { query: 'shoes' }, { authorization: `Bearer ${token(user)}` });
      assert.equal(res.status, 200);
      assert.equal((await res.json()).personalized, false);
      if (user === 'slow-user') assert.ok(segment.pending() > 0, 'answered while the Profile API was still holding its answer');
      assert.equal(await kv.get(`snap:v1:${user}`), null);
    });
  }
});

describe('POST /v1/webhooks/segment', () => {
  const send = (payload, signature) => {
    const body = JSON.stringify(payload);
    return fetch(new URL('/v1/webhooks/segment', base), {
      method: 'POST', body, headers: { 'content-type': 'application/json', 'x-signature': signature ?? signWebhook(body) },
    });
  };

  test('unsigned or badly signed → 401, nothing stored', async () => {
    const payload = { type: 'identify', userId: 'hook-user', traits: { favorite_sport: 'curling' } };
    assert.equal((await send(payload, 'deadbeef')).status, 401);
    assert.equal((await send(payload, signWebhook(JSON.stringify(payload), 'wrong'))).status, 401);
    assert.equal(await kv.get('snap:v1:hook-user'), null);
  });

  test('identify then track update the person\'s snapshot', async () => {
    let res = await send({ type: 'identify', userId: JEFF, messageId: 'w1', traits: { favorite_sport: 'curling stones' } });
    assert.equal(res.status, 200);
    let out = await (await post('/v1/context', { query: 'curling' }, { authorization: `Bearer ${token(JEFF)}` })).json();
    assert.ok(out.items.some((i) => i.id === 'trait:favorite_sport'), JSON.stringify(out.items));
    res = await send({ type: 'track', userId: JEFF, messageId: 'w2', event: 'Kayak Rented', timestamp: new Date().toISOString(), properties: { river: 'Colorado' } });
    assert.equal(res.status, 200);
    out = await (await post('/v1/context', { query: 'kayak river' }, { authorization: `Bearer ${token(JEFF)}` })).json();
    assert.match(out.context.text, /Kayak Rented/);
    assert.match(out.context.text, /Colorado/);
  });
});

describe('robustness', () => {
  test('malformed input on every route: a 4xx or an unpersonalized answer, never a 5xx, and the Worker keeps working', async () => {
    const garbage = [
      '', 'null', '[]', '"x"', '{"query": 5}', '{"messages": "x"}', '{"messages": [{"role": "user", "content": {"deep": [1, 2]}}]}',
      '{"input": [null, 3, {"role": "user"}]}', '\u0000\uffff', '{'.repeat(5000), Buffer.from([0xff, 0xfe, 0x00, 0xc3]),
    ];
    const tokens = [token(JEFF), 'x.y.z', 'v1.a.b.c', '.'.repeat(3000), `${'eyJ'.repeat(600)}.e.e`, 'Bearer', ''];
    const statuses = new Set();
    for (const p of ['/v1/context', '/v1/chat/completions', '/v1/responses', '/v1/messages', '/v1/webhooks/segment', '/v1/snapshot']) {
      for (const body of garbage) {
        for (const t of tokens.slice(0, 3)) {
          const method = p === '/v1/snapshot' ? 'GET' : 'POST';
          const res = await fetch(new URL(p, base), {
            method, body: method === 'GET' ? undefined : body,
            headers: { authorization: `Bearer ${t}`, 'x-edge-persona-identity': t, cookie: `ep_id=${t}`, 'x-signature': 'zz' },
          });
          const text = await res.text();
          statuses.add(res.status);
          assert.ok(res.status < 500, `${p} ${JSON.stringify(String(body).slice(0, 40))}: ${res.status} ${text.slice(0, 200)}`);
          assertNoMaria(text);
        }
      }
    }
    for (const t of tokens) {
      const res = await fetch(new URL('/v1/context', base), { method: 'POST', body: '{"query":"shoes"}', headers: { authorization: `Bearer ${t}`, cookie: `ep_id=${t}` } });
      assert.equal(res.status, 200);
    }
    // Too large: a 413 (the runtime may also reset the connection while the client is still sending).
    try {
      const res = await fetch(new URL('/v1/context', base), { method: 'POST', body: 'x'.repeat(9 << 20) });
      assert.equal(res.status, 413);
    } catch (err) {
      assert.match(String(err.cause?.code ?? err), /ECONNRESET|EPIPE/);
    }
    const ok = await (await post('/v1/context', { query: 'running shoes' }, { authorization: `Bearer ${token(JEFF)}` })).json();
    assert.equal(ok.personalized, true);
    assert.ok(statuses.has(400) && statuses.has(200));
  });
});
