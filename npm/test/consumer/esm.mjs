// Runs inside the scratch project, against the package installed from its tarball (Node ESM).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Personalizer, compileSnapshot, init, loadKnowledge } from 'edge-persona';

const [fixtures, cliSnapshot] = process.argv.slice(2);
const now = Date.parse('2026-11-20T12:00:00Z');
const jeff = readFileSync(`${fixtures}/profile-retail-jeff.json`, 'utf8');
await init();

// compileSnapshot (default browser policy) makes the same bytes as `edge-persona compile --policy browser`.
const bytes = compileSnapshot(jeff);
assert.ok(bytes instanceof Uint8Array);
assert.deepEqual(Buffer.from(bytes), readFileSync(cliSnapshot), 'compileSnapshot equals the CLI output');
for (const secret of ['jeff@example.com', '555 0142', '101 Spear Street', '94105', '1977-12-04']) {
  assert.ok(!Buffer.from(bytes).includes(secret), `browser snapshot carries no ${secret}`);
}

// Without the knowledge pack a query's own words match; with it, words it relates to as well.
const couch = compileSnapshot({ profile_id: 'user_id:k', traits: { traits: { favorite_furniture: 'sofa' } } });
const beforePack = await Personalizer.fromSnapshot(couch);
assert.deepEqual(beforePack.rank('my couch', { now }), [], 'no knowledge pack loaded yet');
await loadKnowledge();
const reached = beforePack.rank('my couch', { now });
assert.deepEqual(reached.map((i) => i.id), ['trait:favorite_furniture']);
assert.equal(reached[0].explain.terms[0].via, 'couch');
await loadKnowledge(); // once is enough; a second call is a no-op
assert.equal(await loadKnowledge(new Uint8Array([1, 2, 3])).then(() => 'loaded', (e) => e.code), 'loaded', 'the first pack stays');

const p = await Personalizer.fromSnapshot(bytes.buffer);
const items = p.rank('Can you recommend some running shoes in my size?', { limit: 5, now });
assert.equal(items.length, 5);
assert.ok(items.slice(0, 3).some((i) => i.id === 'trait:shoe_size'), items.map((i) => i.id).join());
assert.equal(Object.getPrototypeOf(items[0]), Object.prototype, 'plain objects, not Maps');
assert.equal(typeof items[0].explain.lexical, 'number');
assert.ok(items.some((i) => i.kind === 'event' && typeof i.explain.ageSeconds === 'number'));

const ctx = p.context('running shoes in my size', { budgetTokens: 200, now });
assert.match(ctx.text, /^<user_profile_context>/);
assert.match(ctx.text, /Shoe size: "10\.5"/);
assert.ok(ctx.estimatedTokens <= 200 && ctx.items.length > 0);
const json = p.context('running shoes', { format: 'json', now });
assert.doesNotThrow(() => JSON.parse(json.text.replace(/^[^{[]*/, '').replace(/[^}\]]*$/, '')));

// injectChat: the three APIs; nothing else in the body changes; the input is not mutated.
const chat = { model: 'gpt-4o-mini', temperature: 0.2, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'running shoes in my size?' }] };
const before = JSON.stringify(chat);
const c = p.injectChat(chat, { now });
assert.equal(JSON.stringify(chat), before, 'input body not mutated');
assert.equal(c.api, 'openai-chat');
assert.equal(c.body.messages.length, 3);
assert.deepEqual(c.body.messages[0], chat.messages[0], 'existing system prompt kept');
assert.equal(c.body.messages[1].role, 'system');
assert.match(c.body.messages[1].content, /Shoe size/);
assert.equal(c.body.temperature, 0.2);
assert.deepEqual(c.context.items, p.context('running shoes in my size?', { now }).items);
const resp = p.injectChat({ model: 'gpt-5', instructions: 'Be brief.', input: 'where is my order?' }, { now });
assert.equal(resp.api, 'openai-responses');
assert.match(resp.body.instructions, /^Be brief\.[\s\S]*user_profile_context[\s\S]*Order/);
const anth = p.injectChat({ model: 'claude', system: 'Be brief.', max_tokens: 100, messages: [{ role: 'user', content: [{ type: 'text', text: 'loyalty points?' }] }] }, { now });
assert.equal(anth.api, 'anthropic-messages');
assert.match(anth.body.system, /Loyalty points/);
const q = p.injectChat({ messages: [{ role: 'user', content: 'hello' }] }, { query: 'shoe size', now, api: 'openai-chat' });
assert.deepEqual(q.context.items.slice(0, 1), ['trait:shoe_size']);

// Slots.
assert.equal(p.slotValue('trait:firstName'), 'Jeff');
assert.equal(p.slotValue('trait:email'), undefined);
assert.equal(p.conditionHolds('audience:running_enthusiasts'), true);
assert.equal(p.conditionHolds('audience:winter_jacket_intenders'), false);
assert.equal(p.chooseVariant(['golf clubs', 'running trail shoes', 'yoga mats'], { now }), 1);
assert.equal(p.chooseVariant(['zebra quartz'], { now }), undefined);

// fromProfile with the server policy keeps personal-data keys but withholds values.
const server = await Personalizer.fromProfile(JSON.parse(jeff), { target: 'server' });
assert.match(server.context('what is my phone number', { now }).text, /Phone: on file \(withheld\)/);

// Errors: stable codes, messages naming the problem.
const code = (fn) => { try { fn(); } catch (e) { assert.ok(e instanceof Error); assert.ok(e.message.length > 8, e.message); return e.code; } return 'no error'; };
const flipped = Uint8Array.from(bytes); flipped[100] ^= 1;
const version = Uint8Array.from(bytes); version[4] = 99;
assert.equal(code(() => Personalizer.fromSnapshotSync(new Uint8Array([1, 2, 3]))), 'E_SNAPSHOT_CORRUPT');
assert.equal(code(() => Personalizer.fromSnapshotSync(bytes.subarray(0, 200))), 'E_SNAPSHOT_CORRUPT');
assert.equal(code(() => Personalizer.fromSnapshotSync(new TextEncoder().encode('not a snapshot at all'))), 'E_SNAPSHOT_CORRUPT');
assert.equal(code(() => Personalizer.fromSnapshotSync(flipped)), 'E_SNAPSHOT_CORRUPT');
assert.equal(code(() => Personalizer.fromSnapshotSync(version)), 'E_SNAPSHOT_VERSION');
assert.equal(code(() => Personalizer.fromSnapshotSync('nope')), 'E_OPTIONS_INVALID');
assert.equal(code(() => Personalizer.fromProfileSync('{"traits": 5')), 'E_PROFILE_INVALID');
assert.equal(code(() => Personalizer.fromProfileSync('{"traits": 5}')), 'E_PROFILE_INVALID');
assert.equal(code(() => p.injectChat({ foo: 1 })), 'E_REQUEST_INVALID');
assert.equal(code(() => p.injectChat({ messages: 'x' })), 'E_REQUEST_INVALID');
assert.equal(code(() => p.injectChat({ messages: [] }, { api: 'gemini' })), 'E_OPTIONS_INVALID');
assert.equal(code(() => p.rank('x', { limit: -1 })), 'E_OPTIONS_INVALID');
assert.equal(code(() => p.rank('x', { limti: 3 })), 'E_OPTIONS_INVALID');
assert.equal(code(() => p.rank('x', { now: Infinity })), 'E_OPTIONS_INVALID');
assert.equal(code(() => p.rank('x', 'opts')), 'E_OPTIONS_INVALID');
assert.equal(code(() => p.context('x', { format: 'xml' })), 'E_OPTIONS_INVALID');
assert.equal(code(() => p.context('x', { budgetTokens: 1e9 })), 'E_OPTIONS_INVALID');
assert.equal(code(() => p.chooseVariant('x')), 'E_OPTIONS_INVALID');
assert.equal(code(() => compileSnapshot(jeff, { target: 'moon' })), 'E_OPTIONS_INVALID');

// Conversations: context() of the user turns, the last weighing most; one turn is the plain query;
// injectChat reads the body's user turns (not the assistant's).
const turns = ['Can you recommend some running shoes in my size?', 'and in blue?'];
const conv = p.context(turns, { now });
const alone = p.context('and in blue?', { now });
assert.ok(conv.items.slice(0, 5).includes('trait:shoe_size'), conv.items.join());
assert.ok(!alone.items.includes('trait:shoe_size'), 'the follow-up alone has lost the topic');
assert.deepEqual(p.context(['running shoes'], { now }), p.context('running shoes', { now }));
const followUp = p.injectChat({ messages: [{ role: 'user', content: turns[0] }, { role: 'assistant', content: 'Try the Trail Runner 5 in green, or loyalty points?' }, { role: 'user', content: turns[1] }] }, { now });
assert.deepEqual(followUp.context, conv, 'user turns only');
assert.equal(code(() => p.context(['ok', 3])), 'E_OPTIONS_INVALID');
assert.equal(code(() => p.context({ turns })), 'E_OPTIONS_INVALID');
assert.equal(code(() => p.rank(turns)), 'E_OPTIONS_INVALID');

// No input traps the instance: mutated and random snapshots only ever throw coded errors.
let seed = 7;
const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const codes = new Set();
for (let i = 0; i < 300; i++) {
  const m = Uint8Array.from(bytes.subarray(0, i % 3 === 0 ? Math.floor(rnd() * bytes.length) : bytes.length));
  for (let k = 0; k < 1 + (i % 5); k++) if (m.length) m[Math.floor(rnd() * m.length)] = Math.floor(rnd() * 256);
  try { Personalizer.fromSnapshotSync(m).free(); } catch (e) { assert.ok(typeof e.code === 'string' && e.code.startsWith('E_SNAPSHOT_'), String(e)); codes.add(e.code); }
}
for (const junk of [undefined, null, 42, [], { messages: [{ role: 'user', content: 5 }] }, { input: [{ role: 'user', content: null }] }]) {
  try { p.injectChat(junk); } catch (e) { assert.ok(e.code, String(e)); }
}
assert.equal(p.rank('running shoes', { now }).length, 10, 'the instance still works');

// free() and Symbol.dispose.
const tmp = Personalizer.fromSnapshotSync(bytes);
tmp.free();
tmp.free();
console.log(`ESM: ok (${bytes.length}-byte snapshot equals the CLI's; ${[...codes].join(', ')} on 300 mutated snapshots)`);

// Request bodies go through JSON semantics: undefined members dropped, BigInt rejected with a code.
const withUndefined = p.injectChat({ model: 'm', stream: undefined, messages: [{ role: 'user', content: 'shoe size', name: undefined }] }, { now });
assert.ok(!('stream' in withUndefined.body) && !('name' in withUndefined.body.messages.at(-1)));
assert.equal(code(() => p.injectChat({ model: 1n, messages: [{ role: 'user', content: 'x' }] })), 'E_REQUEST_INVALID');
let deep = { role: 'user', content: 'x' };
for (let i = 0; i < 100; i++) deep = { nested: deep };
assert.equal(code(() => p.injectChat({ messages: [{ role: 'user', content: 'x' }], extra: deep })), 'E_REQUEST_INVALID');
assert.equal(typeof withUndefined.body.messages[0].content, 'string');
const big = p.injectChat({ model: 'm', max_tokens: 2 ** 53 + 2, temperature: 0.7, messages: [{ role: 'user', content: 'x' }] }, { now, query: 'shoe size' });
assert.equal(big.body.temperature, 0.7);
assert.equal(big.body.max_tokens, 2 ** 53 + 2);
console.log('ESM: request bodies ok');
