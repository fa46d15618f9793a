// The person state on workerd (Miniflare, Durable Objects on SQLite): concurrent, duplicated and
// out-of-order webhooks; KV writes per key per second (observed outside the Worker); erasure by
// Segment message and admin route; partial Profile API answers retried; bounds; retention.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Miniflare } from 'miniflare';
import {
  SECRET, SEGMENT_SPACE, SEGMENT_TOKEN, WEBHOOK_SECRET,
  bundleFile, cli, compileSeeds, fakeSegment, readFixture, seedKv, signWebhook, token,
} from './helpers.mjs';
import { filesUnder, maxWritesPerSecond, observedWorkerOptions, writesPerKey } from './state-helpers.mjs';

const ADMIN = 'test-admin-secret-0123456789';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A running Worker with observed KV; `writes` collects every KV write the Worker makes. */
async function start(bindings, { persist, profiles = {}, failEvents = {} } = {}) {
  const segment = await fakeSegment(profiles, { failEvents });
  const writes = [];
  const mf = new Miniflare(observedWorkerOptions({
    IDENTITY_SECRET: SECRET,
    SEGMENT_WEBHOOK_SECRET: WEBHOOK_SECRET,
    SEGMENT_SPACE_ID: SEGMENT_SPACE,
    SEGMENT_ACCESS_TOKEN: SEGMENT_TOKEN,
    SEGMENT_API_BASE: segment.url,
    SEGMENT_TIMEOUT_MS: '1000',
    ADMIN_SECRET: ADMIN,
    SNAPSHOT_CACHE_SECONDS: '0',
    ...bindings,
  }, { writes, persist }));
  const base = (await mf.ready).toString();
  const kv = await mf.getKVNamespace('PROFILES_RAW');
  const send = (payload) => {
    const body = JSON.stringify(payload);
    return fetch(new URL('/v1/webhooks/segment', base), {
      method: 'POST', body, headers: { 'content-type': 'application/json', 'x-signature': signWebhook(body) },
    });
  };
  const context = async (user, query, extra = {}) => {
    const res = await fetch(new URL('/v1/context', base), {
      method: 'POST', headers: { authorization: `Bearer ${token(user)}` },
      body: JSON.stringify({ query, limit: 1000, budget_tokens: 4000, ...extra }),
    });
    assert.equal(res.status, 200);
    return res.json();
  };
  const admin = (method, p, secret = ADMIN) => fetch(new URL(p, base), {
    method, headers: secret ? { authorization: `Bearer ${secret}` } : {},
  });
  const stats = async (user) => (await admin('GET', `/v1/profiles/${encodeURIComponent(user)}`)).json();
  /** Waits until KV holds the person's current version (their object has published it). */
  const published = async (user) => {
    for (let i = 0; i < 100; i += 1) {
      const s = await stats(user);
      const got = await kv.getWithMetadata(`snap:v1:${user}`);
      if (got.value !== null && got.metadata?.v === s.version) return s;
      await sleep(100);
    }
    throw new Error(`${user}: not published`);
  };
  const close = async () => { await mf.dispose(); await segment.close(); };
  return { mf, base, kv, segment, writes, send, context, admin, stats, published, close };
}

const iso = (ms) => new Date(ms).toISOString();
const eventIds = (out) => out.items.filter((i) => i.kind === 'event').map((i) => i.id.replace(/^event:/, '')).sort();

describe('person state (Durable Objects)', () => {
  let w; let persist;
  /** A profile whose every personal string carries `marker`, to look for after erasure. */
  const erasable = (user, marker) => ({
    profile_id: `user_id:${user}`,
    traits: { traits: { firstName: 'Erin', favorite_animal: `zebra-${marker}`, email: `${marker}@example.com`, address: `${marker} Street 9` } },
    events: { data: [{ message_id: `${marker}-ev-1`, event: 'Zebra Watched', timestamp: '2026-11-20T10:00:00Z', properties: { note: `zebra-${marker}` } }] },
  });
  before(async () => {
    persist = mkdtempSync(path.join(tmpdir(), 'ep-state-'));
    const partial = readFixture('profile-retail-small.json');
    partial.traits.traits.firstName = 'Parsifal';
    w = await start({ STATE_MAX_EVENTS: '20', STATE_MAX_TRAITS: '60', PROFILE_API_RETRY_SECONDS: '1' }, {
      persist,
      profiles: { 'partial-user': partial, 'erase-admin': erasable('erase-admin', 'mark-admin') },
      failEvents: { 'partial-user': 2 },
    });
    await seedKv(w.kv, compileSeeds([bundleFile(erasable('erase-me', 'mark-segment'))]));
  });
  after(async () => { await w?.close(); });

  test('200 concurrent webhooks over 10 people, with duplicates and out-of-order retries: each event once, the newest traits', async () => {
    const people = Array.from({ length: 10 }, (_, i) => `conc-${i}`);
    const t0 = Date.parse('2026-11-20T00:00:00Z');
    const distinct = [];
    for (const p of people) {
      for (let j = 0; j < 15; j += 1) {
        distinct.push({ type: 'track', userId: p, messageId: `${p}-e${j}`, event: 'Conc Event',
          timestamp: iso(t0 + j * 1000), properties: { seq: `s${j}`, who: p } });
      }
      for (let k = 0; k < 5; k += 1) {
        distinct.push({ type: 'identify', userId: p, messageId: `${p}-i${k}`, timestamp: iso(t0 + k * 1000 + 500),
          traits: { tier: `tier${k}x` } });
      }
    }
    assert.equal(distinct.length, 200);
    // Retries: every person's oldest identify again (out of order: after the newer ones), and 30 more.
    const retries = [...people.map((p) => distinct.find((m) => m.messageId === `${p}-i0`)),
      ...Array.from({ length: 30 }, (_, i) => distinct[(i * 37) % distinct.length])];
    const all = [...distinct, ...retries];
    for (let i = all.length - 1; i > 0; i -= 1) { // a fixed shuffle
      const j = (i * 7919) % (i + 1);
      [all[i], all[j]] = [all[j], all[i]];
    }
    const before = w.writes.length;
    const started = Date.now();
    const responses = await Promise.all(all.map((m) => w.send(m)));
    const bodies = await Promise.all(responses.map((r) => r.json()));
    assert.deepEqual([...new Set(responses.map((r) => r.status))], [200], JSON.stringify(bodies.find((b) => !b.version)));
    const duplicates = bodies.filter((b) => b.reason === 'duplicate').length;
    assert.equal(duplicates, retries.length);
    for (const p of people) {
      const s = await w.published(p);
      assert.equal(s.events, 15, p);
      assert.equal(s.counters.duplicates, retries.filter((m) => m.userId === p).length, p);
      const out = await w.context(p, 'conc event seq');
      assert.deepEqual(eventIds(out), Array.from({ length: 15 }, (_, j) => `${p}-e${j}`).sort(), p);
      const tier = await w.context(p, 'tier');
      assert.match(tier.context.text, /Tier: "tier4x"/, p);
      // The browser snapshot holds each event once.
      const res = await fetch(new URL('/v1/snapshot', w.base), { headers: { authorization: `Bearer ${token(p)}` } });
      const file = path.join(persist, `${p}.snap`);
      writeFileSync(file, Buffer.from(await res.arrayBuffer()));
      const inspected = JSON.parse(cli('inspect', file, '--format', 'json'));
      assert.equal(inspected.events, 15);
      assert.equal(inspected.event_groups, 15);
    }
    // KV, observed outside the Worker: at most one write per key per second.
    const ours = w.writes.slice(before).filter((x) => people.some((p) => x.key.endsWith(`:${p}`)));
    const perKey = writesPerKey(ours);
    assert.equal(perKey.size, 20, 'both snapshots of 10 people');
    for (const [key, { count, minGap }] of perKey) {
      assert.ok(count >= 1 && minGap >= 1000, `${key}: ${count} writes, ${minGap} ms apart`);
    }
    assert.equal(maxWritesPerSecond(ours), 1);
    console.log(`# 240 webhooks in ${Date.now() - started} ms; KV writes per key: ${[...perKey.values()].map((v) => v.count).join(',')}`);
  });

  test('a person\'s own next request sees an update at once (read through their object while KV is older)', async () => {
    const user = 'ryw-user';
    await w.send({ type: 'identify', userId: user, messageId: 'ryw-1', timestamp: iso(Date.now()), traits: { favorite_color: 'amber' } });
    await w.published(user);
    for (const [i, color] of ['teal', 'violet', 'ochre'].entries()) {
      const res = await w.send({ type: 'identify', userId: user, messageId: `ryw-${i + 2}`, timestamp: iso(Date.now() + i + 1), traits: { favorite_color: color } });
      assert.equal(res.status, 200);
      const out = await w.context(user, 'favorite color');
      assert.match(out.context.text, new RegExp(`Favorite color: "${color}"`));
    }
  });

  test('Segment deletion erases every copy and suppresses the person', async () => {
    const user = 'erase-me';
    // A webhook first: the object takes the legacy source bundle over from KV.
    assert.equal((await w.send({ type: 'identify', userId: user, messageId: 'er-1', traits: { nickname: 'zebra-mark-segment' } })).status, 200);
    let out = await w.context(user, 'favorite animal zebra');
    assert.equal(out.personalized, true);
    assert.match(out.context.text, /zebra-mark-segment/);
    await w.published(user);
    assert.equal(await w.kv.get(`src:v1:${user}`), null, 'legacy source migrated, then deleted');
    const res = await w.send({ type: 'delete', userId: user, messageId: 'del-1' });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { erased: true });
    await assertErased(user, 'mark-segment');
  });

  test('the admin route erases too, needs the secret, and lifting the suppression lets the Profile API bring the person back', async () => {
    const user = 'erase-admin';
    let out = await w.context(user, 'favorite animal zebra');
    assert.equal(out.personalized, true, 'fetched from the Profile API');
    await w.published(user);
    assert.equal((await w.admin('DELETE', `/v1/profiles/${user}`, null)).status, 401);
    assert.equal((await w.admin('DELETE', `/v1/profiles/${user}`, `${ADMIN}x`)).status, 401);
    assert.equal((await w.admin('POST', `/v1/profiles/${user}`)).status, 405);
    const res = await w.admin('DELETE', `/v1/profiles/${user}`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { erased: true, kv_deleted: true });
    await assertErased(user, 'mark-admin');
    // Lifted: the next read fetches again.
    const lifted = await w.admin('DELETE', `/v1/profiles/${user}/suppression`);
    assert.equal(lifted.status, 200);
    out = await w.context(user, 'favorite animal zebra');
    assert.equal(out.personalized, true);
    assert.equal((await w.stats(user)).suppressed, false);
  });

  async function assertErased(user, marker) {
    for (const key of [`snap:v1:${user}`, `snapb:v1:${user}`, `src:v1:${user}`]) {
      assert.equal(await w.kv.get(key), null, key);
    }
    const calls = w.segment.seen.length;
    const out = await w.context(user, 'favorite animal zebra');
    assert.equal(out.personalized, false);
    assert.equal((await fetch(new URL('/v1/snapshot', w.base), { headers: { authorization: `Bearer ${token(user)}` } })).status, 404);
    // Neither a webhook nor the Profile API fallback brings them back.
    const again = await w.send({ type: 'identify', userId: user, messageId: `${user}-after`, traits: { favorite_animal: `zebra-${marker}` } });
    assert.equal(again.status, 202);
    assert.equal((await w.context(user, 'favorite animal zebra')).personalized, false);
    assert.equal(w.segment.seen.length, calls, 'no Profile API call for a suppressed person');
    const s = await w.stats(user);
    assert.equal(s.suppressed, true);
    assert.deepEqual([s.traits, s.events, s.kv_erase_pending], [0, 0, false]);
    // Nothing of them in any stored file (the objects' SQLite files, KV's files).
    for (const file of filesUnder(persist)) {
      const bytes = readFileSync(file).toString('latin1');
      assert.ok(!bytes.includes(marker), `${marker} in ${file}`);
    }
  }

  test('a partial Profile API answer (events failed) is stored as partial and retried', async () => {
    const user = 'partial-user';
    const first = await w.context(user, 'first name');
    assert.equal(first.personalized, true);
    assert.match(first.context.text, /Parsifal/);
    let s = await w.stats(user);
    assert.equal(s.events, 0);
    assert.equal(s.pending_fetch?.partial, true);
    let events = 0;
    for (let i = 0; i < 60 && events === 0; i += 1) {
      await sleep(200);
      s = await w.stats(user);
      events = s.events;
    }
    assert.ok(events > 0, 'events fetched on the retry');
    assert.equal(s.pending_fetch, null);
    await w.published(user);
    const out = await w.context(user, 'order shipped');
    assert.ok(out.items.some((i) => i.kind === 'event'), JSON.stringify(out.items));
  });

  test('past its bounds the state evicts the oldest and keeps the newest, and counts it', async () => {
    const user = 'limits-user';
    const t0 = Date.parse('2026-11-01T00:00:00Z');
    for (let j = 0; j < 25; j += 1) {
      const res = await w.send({ type: 'track', userId: user, messageId: `lim-e${j}`, event: 'Bound Event', timestamp: iso(t0 + j * 60000), properties: { seq: `q${j}` } });
      assert.equal(res.status, 200);
    }
    const traits = Object.fromEntries(Array.from({ length: 59 }, (_, k) => [`pref_${k}`, `v${k}`]));
    await w.send({ type: 'identify', userId: user, messageId: 'lim-i1', timestamp: iso(t0), traits: { ...traits, email_opt_in: true } });
    // Full (60 traits): an identify with new keys and an opt-out still applies.
    const res = await w.send({ type: 'identify', userId: user, messageId: 'lim-i2', timestamp: iso(t0 + 1000), traits: { email_opt_in: false, loyalty_tier: 'Gold', shoe_size: '11' } });
    assert.equal(res.status, 200);
    const s = await w.published(user);
    assert.deepEqual([s.events, s.traits], [20, 60]);
    assert.equal(s.counters.events_evicted, 5);
    assert.equal(s.counters.traits_evicted, 2);
    const out = await w.context(user, 'bound event');
    assert.deepEqual(eventIds(out), Array.from({ length: 20 }, (_, j) => `lim-e${j + 5}`).sort());
    const t = await w.context(user, 'email opt in loyalty tier shoe size');
    assert.match(t.context.text, /Email opt in: "false"/);
    assert.match(t.context.text, /Loyalty tier: "Gold"/);
    assert.match(t.context.text, /Shoe size: "11"/);
  });
});

describe('retention', () => {
  let w;
  before(async () => { w = await start({ STATE_RETENTION_SECONDS: '2' }); });
  after(async () => { await w?.close(); });

  test('source data is deleted after STATE_RETENTION_SECONDS, and so are its KV snapshots', async () => {
    const user = 'short-lived';
    await w.send({ type: 'identify', userId: user, messageId: 'r1', traits: { favorite_fruit: 'quince' } });
    await w.send({ type: 'track', userId: user, messageId: 'r2', event: 'Fruit Bought', timestamp: iso(Date.now()), properties: { fruit: 'quince' } });
    assert.match((await w.context(user, 'favorite fruit')).context.text, /quince/);
    await w.published(user);
    let s;
    for (let i = 0; i < 50; i += 1) {
      await sleep(200);
      s = await w.stats(user);
      if (s.traits === 0 && s.events === 0 && (await w.kv.get(`snap:v1:${user}`)) === null) break;
    }
    assert.deepEqual([s.traits, s.events], [0, 0]);
    assert.deepEqual([s.counters.traits_expired, s.counters.events_expired], [1, 1]);
    assert.equal(await w.kv.get(`snap:v1:${user}`), null);
    assert.equal(await w.kv.get(`snapb:v1:${user}`), null);
    assert.equal((await w.context(user, 'favorite fruit')).personalized, false);
  });
});
