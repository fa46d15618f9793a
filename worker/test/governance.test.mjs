// Governance on workerd: the audit of what each prompt was told (context, chat, MCP, page),
// memory rules through REST, consent from Segment webhooks (given, withdrawn, never sent), and an
// erasure that reaches Segment's Public API (a fake on 127.0.0.1 that fails once). Hostile audit
// queries and consent objects are refused with a 400 naming them, nothing half-written.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Miniflare } from 'miniflare';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import {
  PAGE, SECRET, SEGMENT_WRITE_KEY, WEBHOOK_SECRET, fakeLlm, fakeOrigin, fakeTracking, token, workerOptions,
} from './helpers.mjs';
import { eventually, fakeRegulations, sendWebhook } from './governance-helpers.mjs';

const ADMIN = 'test-admin-secret-0123456789';
const REG_TOKEN = 'test-public-api-token';
const now = () => new Date().toISOString();

function worker(base) {
  const call = (method, path, { user, auth, body, headers = {} } = {}) => fetch(new URL(path, base), {
    method,
    headers: {
      ...(user ? { authorization: `Bearer ${token(user)}` } : {}),
      ...(auth ? { authorization: auth } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)),
  });
  return {
    call,
    context: async (user, query) => (await call('POST', '/v1/context', { user, body: { query } })).json(),
    audit: async (user, query = '') => {
      const res = await call('GET', `/v1/audit${query}`, { user });
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal(res.headers.get('cache-control'), 'no-store');
      return (await res.json()).records;
    },
    stats: async (user) => (await call('GET', `/v1/profiles/${user}`, { auth: `Bearer ${ADMIN}` })).json(),
  };
}

describe('audit, memory rules and erasure that reaches Segment', () => {
  let mf; let w; let llm; let origin; let tracking; let regulations; let base;

  before(async () => {
    [llm, origin, tracking] = await Promise.all([fakeLlm(), fakeOrigin(), fakeTracking()]);
    regulations = await fakeRegulations({ token: REG_TOKEN, fail: 1 });
    mf = new Miniflare(workerOptions({
      IDENTITY_SECRET: SECRET,
      SEGMENT_WEBHOOK_SECRET: WEBHOOK_SECRET,
      ADMIN_SECRET: ADMIN,
      LLM_UPSTREAM_URL: llm.url,
      ORIGIN_URL: origin.url,
      SEGMENT_WRITE_KEY,
      SEGMENT_TRACKING_URL: `${tracking.url}/v1/track`,
      SEGMENT_PUBLIC_API_TOKEN: REG_TOKEN,
      SEGMENT_PUBLIC_API_URL: `${regulations.url}/regulations`,
      MEMORY_FORWARD_RETRY_SECONDS: '1',
      AUDIT_MAX_RECORDS: '6',
    }));
    base = (await mf.ready).toString();
    w = worker(base);
    for (const user of ['aud-ana', 'aud-bob', 'mem-cleo', 'del-dan']) {
      const res = await sendWebhook(base, {
        type: 'identify', userId: user, messageId: `${user}-1`, timestamp: now(),
        traits: { favorite_sport: 'sailing', firstName: 'Ana', shoe_size: '39' },
      });
      assert.equal(res.status, 200);
    }
  });
  after(async () => {
    await mf?.dispose();
    await Promise.all([llm, origin, tracking, regulations].map((s) => s?.close()));
  });

  test('each personalized read is audited: route, time, item ids, tokens, never values', async () => {
    const ctx = await w.context('aud-ana', 'sailing shoes');
    assert.equal(ctx.personalized, true);
    const chat = await w.call('POST', '/v1/chat/completions', {
      auth: 'Bearer sk-test', headers: { 'x-edge-persona-identity': token('aud-ana') },
      body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'what shoe size do I wear?' }] },
    });
    assert.equal(chat.status, 200);
    const transport = new StreamableHTTPClientTransport(new URL('/mcp', base), { requestInit: { headers: { authorization: `Bearer ${token('aud-ana')}` } } });
    const client = new Client({ name: 'audit', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(transport);
    await client.callTool({ name: 'get_user_context', arguments: { query: 'sailing' } });
    await client.callTool({ name: 'search_profile', arguments: { query: 'shoe size' } });
    await client.close();
    const page = await w.call('GET', '/page', { headers: { cookie: `ep_id=${token('aud-ana', { format: 'cookie' })}`, accept: 'text/html' } });
    assert.match(await page.text(), /Hello, <span id="name"[^>]*>Ana</);
    const routes = ['page', 'mcp:search_profile', 'mcp:get_user_context', 'chat', 'context'];
    assert.ok(await eventually(async () => (await w.audit('aud-ana')).length >= 5), 'five records');
    const records = await w.audit('aud-ana');
    assert.deepEqual(records.map((r) => r.route), routes);
    const byRoute = Object.fromEntries(records.map((r) => [r.route, r]));
    assert.deepEqual(byRoute.context.items, ctx.context.items);
    assert.ok(byRoute.context.tokens > 0 && byRoute.context.tokens === ctx.context.estimated_tokens);
    assert.ok(byRoute.chat.items.includes('trait:shoe_size'));
    assert.deepEqual(byRoute.page.items, ['trait:firstName']);
    for (const r of records) assert.ok(!Number.isNaN(Date.parse(r.at)), r.at);
    const text = JSON.stringify(records);
    for (const value of ['sailing', 'Ana', '39']) assert.ok(!text.includes(`"${value}"`) && !text.includes(`: ${value}`), value);
    // The admin reads anyone's; a person only their own.
    const admin = await w.call('GET', '/v1/audit?user=aud-ana&limit=2', { auth: `Bearer ${ADMIN}` });
    assert.equal(admin.status, 200);
    assert.deepEqual((await admin.json()).records.map((r) => r.route), routes.slice(0, 2));
    assert.deepEqual(await w.audit('aud-bob'), []);
    assert.equal((await w.call('GET', '/v1/audit?user=aud-ana', { user: 'aud-bob' })).status, 400, 'user= is the admin\'s');
    assert.equal((await w.call('GET', '/v1/audit')).status, 401);
    assert.equal((await w.call('GET', '/v1/audit', { auth: `Bearer ${ADMIN}` })).status, 400);
    // An unpersonalized read records nothing.
    await w.context('aud-nobody', 'sailing');
    assert.deepEqual(await w.audit('aud-nobody'), []);
  });

  test('hostile audit queries are 400s naming the parameter; the audit is bounded', async () => {
    for (const [q, message] of [
      ['?limit=0', 'limit must be an integer from 1 to 1000'],
      ['?limit=1001', 'limit must be an integer from 1 to 1000'],
      ['?limit=1e3', 'limit must be an integer from 1 to 1000'],
      ['?since=yesterday', 'since must be an ISO-8601 time'],
      ['?limit=1&limit=2', 'limit given more than once'],
      ['?x=' + 'y'.repeat(5000), 'unknown parameter x (expected limit, since)'],
      ['?%00=1', 'unknown parameter \u0000 (expected limit, since)'],
    ]) {
      const res = await w.call('GET', `/v1/audit${q}`, { user: 'aud-ana' });
      assert.equal(res.status, 400, q.slice(0, 40));
      assert.equal((await res.json()).error.message, message);
    }
    for (let i = 0; i < 8; i += 1) await w.context('aud-bob', `sailing ${i}`);
    assert.ok(await eventually(async () => (await w.audit('aud-bob')).length === 6 && (await w.stats('aud-bob')).audit_records === 6));
    const since = await w.audit('aud-bob', `?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
    assert.deepEqual(since, []);
  });

  test('/v1/context refuses unknown members and formats, naming them, as the npm package does', async () => {
    for (const [body, message] of [
      [{ query: 'sailing', user: 'aud-bob' }, 'unknown member "user" (expected query, budget_tokens, limit, format)'],
      [{ query: 'sailing', budgetTokens: 10 }, 'unknown member "budgetTokens" (expected query, budget_tokens, limit, format)'],
      [{ query: 'sailing', format: 'xml' }, 'format must be "text" or "json"'],
      [{ query: 'sailing', format: 1 }, 'format must be "text" or "json"'],
    ]) {
      const res = await w.call('POST', '/v1/context', { user: 'aud-ana', body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal((await res.json()).error.message, message);
    }
    const json = await (await w.call('POST', '/v1/context', { user: 'aud-ana', body: { query: 'sailing', format: 'json', limit: 3 } })).json();
    assert.equal(json.personalized, true);
    assert.doesNotThrow(() => JSON.parse(json.context.text));
  });

  test('memory rules: the same fact once, a key supersedes, recalled context refused, reads write nothing', async () => {
    const post = (body) => w.call('POST', '/v1/memories', { user: 'mem-cleo', body });
    const first = await post({ text: 'Prefers aisle seats', key: 'seat_preference' });
    assert.equal(first.status, 201);
    const { memory } = await first.json();
    const dup = await post({ text: '  prefers AISLE seats. ' });
    assert.equal(dup.status, 200);
    const d = await dup.json();
    assert.equal(d.outcome, 'duplicate');
    assert.equal(d.memory.id, memory.id);
    const sup = await post({ text: 'now prefers window seats', key: 'Seat Preference' });
    assert.equal(sup.status, 201);
    const s = await sup.json();
    assert.equal(s.outcome, 'superseded');
    assert.equal(s.superseded, memory.id);
    const list = async () => (await (await w.call('GET', '/v1/memories', { user: 'mem-cleo' })).json()).memories.map((m) => m.text);
    assert.deepEqual(await list(), ['now prefers window seats']);
    const ctx = await w.context('mem-cleo', 'which seat on my flight?');
    assert.ok(!ctx.context.text.includes('aisle'));
    // Feeding the block back is refused; reads wrote nothing.
    const before = (await w.stats('mem-cleo')).version;
    const recalled = await post({ text: ctx.context.text });
    assert.equal(recalled.status, 400);
    assert.match((await recalled.json()).error.message, /recalled context block/);
    for (let i = 0; i < 3; i += 1) await w.context('mem-cleo', 'seat');
    assert.equal((await w.stats('mem-cleo')).version, before);
    assert.deepEqual(await list(), ['now prefers window seats']);
  });

  test('an operator\'s erasure files a deletion with Segment, retried with the forwarding backoff; a Segment delete files none', async () => {
    const m = await w.call('POST', '/v1/memories', { user: 'del-dan', body: { text: 'likes long walks' } });
    assert.equal(m.status, 201);
    assert.ok(await eventually(() => tracking.calls.some((c) => c.body.includes('del-dan') && c.status === 200)), 'forwarded to Segment first');
    await w.context('del-dan', 'walks');
    assert.ok(await eventually(async () => (await w.audit('del-dan')).length === 1));
    const erased = await w.call('DELETE', '/v1/profiles/del-dan', { auth: `Bearer ${ADMIN}` });
    assert.equal(erased.status, 200);
    // The first filing meets a 500; the retry (MEMORY_FORWARD_RETRY_SECONDS = 1 s) succeeds.
    assert.ok(await eventually(() => regulations.calls.filter((c) => c.status === 200).length === 1, 15_000), JSON.stringify(regulations.calls));
    const [failed, filed] = regulations.calls;
    assert.equal(failed.status, 500);
    assert.equal(filed.auth, `Bearer ${REG_TOKEN}`);
    assert.equal(filed.type, 'application/vnd.segment.v1+json');
    assert.deepEqual(JSON.parse(filed.body), { regulationType: 'SUPPRESS_WITH_DELETE', subjectType: 'USER_ID', subjectIds: ['del-dan'] });
    assert.ok(await eventually(async () => (await w.stats('del-dan')).regulation?.filed === 1));
    const stats = await w.stats('del-dan');
    assert.deepEqual(stats.regulation, { pending: false, filed: 1, given_up: 0 });
    assert.equal(stats.audit_records, 0, 'the audit went with the person');
    assert.equal((await w.call('GET', '/v1/audit', { user: 'del-dan' })).status, 200);
    assert.deepEqual(await w.audit('del-dan'), []);
    // Segment's own delete needs no regulation filed back.
    const calls = regulations.calls.length;
    const del = await sendWebhook(base, { type: 'delete', userId: 'aud-bob', messageId: 'del-aud-bob', timestamp: now() });
    assert.equal(del.status, 200);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(regulations.calls.length, calls);
  });
});

describe('consent from Segment: given, withdrawn, never sent', () => {
  let mf; let w; let base; let tracking;

  before(async () => {
    tracking = await fakeTracking();
    mf = new Miniflare(workerOptions({
      IDENTITY_SECRET: SECRET,
      SEGMENT_WEBHOOK_SECRET: WEBHOOK_SECRET,
      ADMIN_SECRET: ADMIN,
      SEGMENT_WRITE_KEY,
      SEGMENT_TRACKING_URL: `${tracking.url}/v1/track`,
      CONSENT_PERSONALIZATION: 'Personalization',
      CONSENT_MEMORY: 'Personalization',
      CONSENT_FORWARDING: 'DataSharing',
      AUDIT_ENABLED: '0',
    }));
    base = (await mf.ready).toString();
    w = worker(base);
  });
  after(async () => {
    await mf?.dispose();
    await tracking?.close();
  });

  const identify = (user, id, at, consent) => sendWebhook(base, {
    type: 'identify', userId: user, messageId: id, timestamp: at, traits: { favorite_sport: 'sailing' },
    ...(consent === undefined ? {} : { context: { consent: { categoryPreferences: consent } } }),
  });

  test('never sent: unpersonalized, saying why; no memory kept', async () => {
    assert.equal((await identify('con-ana', 'c-1', now())).status, 200);
    const ctx = await w.context('con-ana', 'sailing');
    assert.equal(ctx.personalized, false);
    assert.equal(ctx.reason, 'consent_not_granted');
    assert.equal(ctx.missing_consent, 'Personalization');
    assert.deepEqual(ctx.items, []);
    const mem = await w.call('POST', '/v1/memories', { user: 'con-ana', body: { text: 'likes tea' } });
    assert.equal(mem.status, 422);
    assert.match((await mem.json()).error.message, /consent category Personalization/);
    const anon = await (await w.call('POST', '/v1/context', { body: { query: 'x' } })).json();
    assert.equal(anon.reason, 'no_identity');
  });

  test('given: personalized, memories kept, forwarded only with the forwarding category; withdrawn: unpersonalized again', async () => {
    const t0 = Date.now();
    assert.equal((await identify('con-bob', 'b-1', new Date(t0).toISOString(), { Personalization: true, DataSharing: false })).status, 200);
    let ctx = await w.context('con-bob', 'sailing');
    assert.equal(ctx.personalized, true);
    assert.match(ctx.context.text, /sailing/);
    const mem = await w.call('POST', '/v1/memories', { user: 'con-bob', body: { text: 'likes tea' } });
    assert.equal(mem.status, 201);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(tracking.calls.length, 0, 'no forwarding without DataSharing');
    // Withdrawn by a newer message.
    assert.equal((await identify('con-bob', 'b-2', new Date(t0 + 1000).toISOString(), { Personalization: false })).status, 200);
    ctx = await w.context('con-bob', 'sailing tea');
    assert.equal(ctx.personalized, false);
    assert.equal(ctx.reason, 'consent_not_granted');
    const chat = await w.stats('con-bob');
    assert.equal(chat.consent.categories.Personalization, false);
    // An older message retried afterwards does not undo the withdrawal.
    assert.equal((await identify('con-bob', 'b-0', new Date(t0 - 1000).toISOString(), { Personalization: true })).status, 200);
    assert.equal((await w.context('con-bob', 'sailing')).personalized, false);
    // The KV copy went: the browser snapshot is not served either.
    assert.equal((await w.call('GET', '/v1/snapshot', { user: 'con-bob' })).status, 404);
    // Given again, with forwarding.
    assert.equal((await identify('con-bob', 'b-3', new Date(t0 + 2000).toISOString(), { Personalization: true, DataSharing: true })).status, 200);
    assert.equal((await w.context('con-bob', 'sailing')).personalized, true);
    assert.equal((await w.call('POST', '/v1/memories', { user: 'con-bob', body: { text: 'likes coffee' } })).status, 201);
    assert.ok(await eventually(() => tracking.calls.some((c) => c.body.includes('likes coffee'))));
    assert.ok(!tracking.calls.some((c) => c.body.includes('likes tea')));
  });

  test('hostile consent objects are 400s naming the member; nothing of the message is stored', async () => {
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`c${i}`, true]));
    for (const [consent, message] of [
      ['yes', null],
      [['Personalization'], 'context.consent.categoryPreferences: expected an object of booleans'],
      [{ Personalization: 'true' }, 'context.consent.categoryPreferences.Personalization: expected a boolean'],
      [{ Personalization: null }, 'context.consent.categoryPreferences.Personalization: expected a boolean'],
      [many, 'context.consent.categoryPreferences: more than 64 categories'],
      [{ ['x'.repeat(101)]: true }, 'context.consent.categoryPreferences: a category name is empty, longer than 100 characters or holds control characters'],
    ]) {
      const body = consent === 'yes'
        ? { type: 'identify', userId: 'con-eve', messageId: 'e-x', timestamp: now(), traits: { a: 1 }, context: { consent: 'yes' } }
        : { type: 'identify', userId: 'con-eve', messageId: `e-${Math.random()}`, timestamp: now(), traits: { a: 1 }, context: { consent: { categoryPreferences: consent } } };
      const res = await sendWebhook(base, body);
      assert.equal(res.status, 400, JSON.stringify(consent).slice(0, 60));
      const err = await res.json();
      assert.equal(err.error.message, message ?? 'context.consent: expected an object');
    }
    const stats = await w.stats('con-eve');
    assert.equal(stats.traits ?? 0, 0, 'nothing stored');
  });
});
