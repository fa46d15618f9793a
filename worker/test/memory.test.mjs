// Memories on workerd (Miniflare, person objects on SQLite): /v1/memories through the person's
// object, read-your-writes in /v1/context and /v1/snapshot, forwarding to a fake Segment Tracking
// API on 127.0.0.1 (auth, body, a 500 retried, each memory once), the webhook echo recognised,
// validation, forget, erasure, and personal data withheld.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Miniflare } from 'miniflare';
import {
  SECRET, SEGMENT_WRITE_KEY, WEBHOOK_SECRET, fakeLlm, fakeTracking, signWebhook, token, workerOptions,
} from './helpers.mjs';

const ADMIN = 'test-admin-secret-0123456789';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function start({ fail = 0, bindings = {} } = {}) {
  const tracking = await fakeTracking({ fail });
  const llm = await fakeLlm();
  const mf = new Miniflare(workerOptions({
    LLM_UPSTREAM_URL: llm.url,
    IDENTITY_SECRET: SECRET,
    SEGMENT_WEBHOOK_SECRET: WEBHOOK_SECRET,
    SEGMENT_WRITE_KEY,
    SEGMENT_TRACKING_URL: `${tracking.url}/v1/track`,
    MEMORY_FORWARD_RETRY_SECONDS: '1',
    ADMIN_SECRET: ADMIN,
    ...bindings,
  }));
  const base = (await mf.ready).toString();
  const call = (method, p, { user, body, auth } = {}) => fetch(new URL(p, base), {
    method,
    headers: {
      ...(user ? { authorization: `Bearer ${token(user)}` } : {}),
      ...(auth ? { authorization: auth } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)),
  });
  const remember = async (user, body) => {
    const res = await call('POST', '/v1/memories', { user, body });
    assert.equal(res.status, 201, await res.clone().text());
    assert.equal(res.headers.get('cache-control'), 'no-store');
    return (await res.json()).memory;
  };
  const list = async (user) => {
    const res = await call('GET', '/v1/memories', { user });
    assert.equal(res.status, 200);
    return (await res.json()).memories;
  };
  const context = async (user, query) => {
    const res = await call('POST', '/v1/context', { user, body: { query, limit: 50, budget_tokens: 4000 } });
    assert.equal(res.status, 200);
    return res.json();
  };
  const send = (payload) => {
    const body = JSON.stringify(payload);
    return fetch(new URL('/v1/webhooks/segment', base), {
      method: 'POST', body, headers: { 'content-type': 'application/json', 'x-signature': signWebhook(body) },
    });
  };
  /** Waits until the fake Tracking API has answered `n` calls with `status`. */
  const tracked = async (n, status = 200) => {
    for (let i = 0; i < 100; i += 1) {
      if (tracking.calls.filter((c) => c.status === status).length >= n) return;
      await sleep(100);
    }
    throw new Error(`tracking: ${tracking.calls.length} calls, wanted ${n} × ${status}`);
  };
  /** The system text the fake LLM provider received for a chat request of `user`. */
  const chat = async (user, content) => {
    const res = await fetch(new URL('/v1/chat/completions', base), {
      method: 'POST',
      headers: { authorization: 'Bearer sk-test', 'x-edge-persona-identity': token(user), 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] }),
    });
    assert.equal(res.status, 200);
    await res.json();
    const sent = llm.last().body;
    assert.equal(sent.messages.at(-1).content, content, 'the prompt is intact');
    return sent.messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n');
  };
  const close = async () => { await mf.dispose(); await tracking.close(); await llm.close(); };
  return { base, call, remember, list, context, chat, send, tracking, tracked, close };
}

describe('memories (Durable Objects, Segment Tracking API)', () => {
  let w;
  before(async () => { w = await start({ fail: 1 }); });
  after(async () => { await w?.close(); });

  test('no token or a forged one: 401, nothing written', async () => {
    assert.equal((await w.call('POST', '/v1/memories', { body: { text: 'x' } })).status, 401);
    assert.equal((await w.call('GET', '/v1/memories', { auth: 'Bearer not.a.token' })).status, 401);
    const forged = token('mallory', { secret: 'another-secret-0123456789abcdef' });
    assert.equal((await w.call('GET', '/v1/memories', { auth: `Bearer ${forged}` })).status, 401);
    const expired = token('mallory', { ttl: 60, now: '2020-01-01T00:00:00Z' });
    assert.equal((await w.call('DELETE', '/v1/memories/1', { auth: `Bearer ${expired}` })).status, 401);
  });

  test('remember → 201; the next /v1/context and /v1/snapshot have it, ranked as a memory', async () => {
    const m = await w.remember('ana', { text: 'prefers aisle seats on long flights', key: 'seat_preference', category: 'travel' });
    assert.match(m.id, /^[0-9a-f]+$/);
    assert.equal(m.item_id, `memory:${m.id}`);
    assert.equal(m.text, 'prefers aisle seats on long flights');
    assert.equal(m.key, 'seat_preference');
    assert.equal(m.category, 'travel');
    assert.equal(m.source, 'rest');
    assert.ok(Math.abs(Date.parse(m.created_at) - Date.now()) < 60_000);
    // Read-your-writes: no wait for KV.
    const out = await w.context('ana', 'which seat should I book for my flight?');
    assert.equal(out.personalized, true);
    assert.equal(out.items[0].id, `memory:${m.id}`);
    assert.equal(out.items[0].kind, 'memory');
    assert.match(out.context.text, /- Noted just now \(seat preference\): "prefers aisle seats on long flights"|- Noted \d+ seconds? ago \(seat preference\): "prefers aisle seats on long flights"/);
    const snap = await w.call('GET', '/v1/snapshot', { user: 'ana' });
    assert.equal(snap.status, 200);
    assert.ok(Buffer.from(await snap.arrayBuffer()).includes('prefers aisle seats'));
    assert.deepEqual((await w.list('ana')).map((x) => x.id), [m.id]);
  });

  test('each memory reaches the Tracking API once, after a 500 is retried; its echo is not stored twice', async () => {
    const m = (await w.list('ana'))[0];
    await w.tracked(1, 200);
    await sleep(1500);
    const calls = w.tracking.calls.filter((c) => JSON.parse(c.body).properties?.memory_id === m.id);
    assert.deepEqual(calls.map((c) => c.status), [500, 200], 'one failure, one retry, then nothing');
    assert.ok(calls[1].at - calls[0].at >= 900, 'the retry waited for its backoff');
    const expectedAuth = 'Basic ' + Buffer.from(`${SEGMENT_WRITE_KEY}:`).toString('base64');
    for (const c of calls) assert.equal(c.auth, expectedAuth);
    const body = JSON.parse(calls[1].body);
    assert.equal(body.type, 'track');
    assert.equal(body.userId, 'ana');
    assert.equal(body.event, 'Memory Noted');
    assert.match(body.messageId, new RegExp(`^edge-persona-memory-[0-9a-f]{8}-${m.id}$`));
    assert.equal(body.messageId, JSON.parse(calls[0].body).messageId, 'a retry keeps its message id');
    assert.equal(body.properties.text, m.text);
    assert.equal(body.properties.key, 'seat_preference');
    assert.equal(body.timestamp, m.created_at);

    // Segment sends the call back through the webhook (as a track message of its own shape).
    const echo = { ...body, receivedAt: new Date().toISOString(), sentAt: body.timestamp };
    const res = await w.send(echo);
    assert.equal(res.status, 200);
    assert.equal((await res.json()).reason, 'duplicate');
    assert.equal((await w.list('ana')).length, 1);
    const out = await w.context('ana', 'memory noted seats');
    assert.deepEqual(out.items.filter((i) => i.kind === 'event'), [], 'no Memory Noted event');
    assert.equal(out.items.filter((i) => i.kind === 'memory').length, 1);
  });

  test('bad memories are 400 with what is wrong; nothing is stored', async () => {
    const bad = async (body, pattern) => {
      const res = await w.call('POST', '/v1/memories', { user: 'bea', body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match((await res.json()).error.message, pattern);
    };
    await bad({ text: '   ' }, /empty/);
    await bad({ text: 'x'.repeat(501) }, /501 characters long \(at most 500\)/);
    await bad({ text: 'ok', key: 'k'.repeat(65) }, /key is 65 characters/);
    await bad({ text: 'ok', key: 7 }, /expected/);
    await bad({ nope: 1 }, /expected/);
    await bad('not json', /JSON/);
    assert.deepEqual(await w.list('bea'), []);
    const ok = await w.remember('bea', { text: 'é'.repeat(500) });
    assert.equal(ok.text.length, 500);
  });

  test('another person sees none of it', async () => {
    assert.deepEqual(await w.list('carl'), []);
    const out = await w.context('carl', 'aisle seats flights');
    assert.deepEqual(out.items, []);
    const [m] = await w.list('ana');
    assert.equal((await w.call('DELETE', `/v1/memories/${m.id}`, { user: 'carl' })).status, 404);
    assert.equal((await w.list('ana')).length, 1);
  });

  test('a memory holding personal data is refused at write time, naming what it holds; nothing reaches a context or a snapshot', async () => {
    for (const [body, what] of [
      [{ text: 'dora.secret@example.com' }, 'memory text holds personal data (email)'],
      [{ text: 'call me on +1 415 555 0142 about the harbour' }, 'memory text holds personal data (phone)'],
      [{ text: 'works at the harbour', key: 'email' }, 'memory key holds personal data (email)'],
    ]) {
      const res = await w.call('POST', '/v1/memories', { user: 'dora', body });
      assert.equal(res.status, 422, JSON.stringify(body));
      const err = await res.json();
      assert.match(err.error.message, new RegExp(what.replace(/[()]/g, '\\$&')));
      assert.ok(!JSON.stringify(err).includes('dora.secret') && !JSON.stringify(err).includes('555 0142'));
    }
    await w.remember('dora', { text: 'likes harbour walks' });
    assert.deepEqual((await w.list('dora')).map((m) => m.text), ['likes harbour walks']);
    const out = await w.context('dora', 'email address harbour walks');
    assert.ok(!JSON.stringify(out).includes('dora.secret'), out.context.text);
    assert.ok(!JSON.stringify(out).includes('555 0142'), out.context.text);
    const system = await w.chat('dora', 'what is my email address and phone? any harbour walks?');
    assert.ok(!system.includes('dora.secret') && !system.includes('555 0142'), system);
    assert.ok(!out.context.text.includes('works at the harbour'));
    assert.match(out.context.text, /likes harbour walks/);
    const snap = Buffer.from(await (await w.call('GET', '/v1/snapshot', { user: 'dora' })).arrayBuffer());
    assert.ok(!snap.includes('dora.secret'));
    assert.ok(!snap.includes('555 0142'));
    assert.ok(!snap.includes('works at the harbour'));
  });

  test('forget by id: gone from the list, the next context, chat request and snapshot; twice is 404', async () => {
    const m = await w.remember('eve', { text: 'allergic to peanuts' });
    assert.equal((await w.context('eve', 'peanuts')).items[0].id, `memory:${m.id}`);
    assert.match(await w.chat('eve', 'any snack ideas without peanuts?'), /Noted .*: "allergic to peanuts"/);
    const res = await w.call('DELETE', `/v1/memories/${m.id}`, { user: 'eve' });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { forgotten: m.id });
    assert.deepEqual(await w.list('eve'), []);
    assert.deepEqual((await w.context('eve', 'peanuts')).items, []);
    assert.ok(!(await w.chat('eve', 'any snack ideas without peanuts?')).includes('peanuts'));
    const snap = await w.call('GET', '/v1/snapshot', { user: 'eve' });
    assert.ok(snap.status === 404 || !Buffer.from(await snap.arrayBuffer()).includes('peanuts'));
    assert.equal((await w.call('DELETE', `/v1/memories/memory:${m.id}`, { user: 'eve' })).status, 404);
    assert.equal((await w.call('PUT', '/v1/memories', { user: 'eve' })).status, 405);
  });

  test('erasure removes every memory; an erased person cannot remember (409)', async () => {
    await w.remember('finn', { text: 'plays the cello' });
    const res = await w.call('DELETE', '/v1/profiles/finn', { auth: `Bearer ${ADMIN}` });
    assert.equal(res.status, 200);
    assert.deepEqual(await w.list('finn'), []);
    assert.deepEqual((await w.context('finn', 'cello')).items, []);
    const again = await w.call('POST', '/v1/memories', { user: 'finn', body: { text: 'plays the viola' } });
    assert.equal(again.status, 409);
  });
});

describe('memories without a write key', () => {
  let w;
  before(async () => { w = await start({ bindings: { SEGMENT_WRITE_KEY: '' } }); });
  after(async () => { await w?.close(); });

  test('are stored and served, and nothing is sent to Segment', async () => {
    const m = await w.remember('gus', { text: 'vegetarian' });
    assert.equal((await w.context('gus', 'vegetarian')).items[0].id, `memory:${m.id}`);
    await sleep(1500);
    assert.equal(w.tracking.calls.length, 0);
  });
});
