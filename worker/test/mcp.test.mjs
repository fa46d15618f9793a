// The MCP server at /mcp on workerd (Miniflare), driven by the official TypeScript SDK's Client
// over StreamableHTTPClientTransport: initialize, tools/list with schemas, every tool called
// (remember → get_user_context shows it → forget → gone), identity only from the Bearer token
// (none → 401 with RFC 9728 metadata), isolation between people, personal data withheld, and the
// JSON-RPC errors of malformed calls.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Miniflare } from 'miniflare';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { SECRET, signWebhook, WEBHOOK_SECRET, token, workerOptions } from './helpers.mjs';
import { freePort } from './governance-helpers.mjs';

const AUTH_SERVER = 'https://auth.example.com';

describe('MCP server (/mcp, official SDK client)', () => {
  let mf; let base;
  const clients = [];
  /** A connected SDK client; `bearer`: the Authorization header's token (none when null). */
  const connect = async (bearer) => {
    const headers = bearer === null ? {} : { authorization: `Bearer ${bearer}` };
    const transport = new StreamableHTTPClientTransport(new URL('/mcp', base), { requestInit: { headers } });
    const client = new Client({ name: 'edge-persona-test', version: '1.0.0' });
    await client.connect(transport);
    clients.push(client);
    return client;
  };
  const post = (body, headers = {}) => fetch(new URL('/mcp', base), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token('ana')}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

  before(async () => {
    const port = await freePort();
    mf = new Miniflare({
      ...workerOptions({
        IDENTITY_SECRET: SECRET,
        SEGMENT_WEBHOOK_SECRET: WEBHOOK_SECRET,
        MCP_AUTHORIZATION_SERVER: AUTH_SERVER,
        PUBLIC_URL: `http://127.0.0.1:${port}`,
      }),
      host: '127.0.0.1',
      port,
    });
    base = (await mf.ready).toString();
    // Ana has a profile from Segment as well: a trait and an event.
    const body = JSON.stringify({
      type: 'identify', userId: 'ana', messageId: 'ana-identify-1', timestamp: new Date().toISOString(),
      traits: { favorite_sport: 'trail running', shoe_size: '39' },
    });
    const res = await fetch(new URL('/v1/webhooks/segment', base), {
      method: 'POST', body, headers: { 'content-type': 'application/json', 'x-signature': signWebhook(body) },
    });
    assert.equal(res.status, 200);
  });
  after(async () => {
    for (const c of clients) await c.close().catch(() => {});
    await mf?.dispose();
  });

  test('initialize negotiates the SDK\'s revision; tools/list gives every tool with both schemas', async () => {
    const client = await connect(token('ana'));
    assert.equal(client.getServerVersion().name, 'edge-persona');
    assert.equal(client.getServerCapabilities().tools.listChanged, false);
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name), ['get_user_context', 'search_profile', 'remember', 'forget']);
    for (const t of tools) {
      assert.equal(t.inputSchema.type, 'object', t.name);
      assert.equal(t.outputSchema.type, 'object', t.name);
    }
    assert.deepEqual(await client.ping(), {});
    const init = await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'old', version: '0' } } });
    assert.equal((await init.json()).result.protocolVersion, '2024-11-05');
    const newer = await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2099-01-01', capabilities: {}, clientInfo: { name: 'new', version: '0' } } });
    assert.equal((await newer.json()).result.protocolVersion, LATEST_PROTOCOL_VERSION);
  });

  test('remember → get_user_context shows it → forget → gone; search_profile explains', async () => {
    const client = await connect(token('ana'));
    const remembered = await client.callTool({ name: 'remember', arguments: { text: 'prefers aisle seats on flights', key: 'seat_preference', category: 'travel' } });
    assert.notEqual(remembered.isError, true);
    const { memory } = remembered.structuredContent;
    assert.equal(memory.text, 'prefers aisle seats on flights');
    assert.equal(memory.source, 'mcp');
    assert.deepEqual(JSON.parse(remembered.content[0].text), remembered.structuredContent);

    const ctx = await client.callTool({ name: 'get_user_context', arguments: { query: 'which seat should I book on my flight?' } });
    const out = ctx.structuredContent;
    assert.equal(out.personalized, true);
    assert.ok(out.context.startsWith('<user_profile_context>'), out.context);
    assert.match(out.context, /Noted .* \(seat preference\): "prefers aisle seats on flights"/);
    assert.equal(out.items[0].id, memory.item_id);
    assert.equal(out.items[0].kind, 'memory');

    const search = await client.callTool({ name: 'search_profile', arguments: { query: 'trail running shoes', limit: 5 } });
    const items = search.structuredContent.items;
    assert.ok(items.length >= 1 && items.length <= 5);
    assert.equal(items[0].id, 'trait:favorite_sport');
    assert.ok(items[0].explain.terms.length > 0);
    assert.ok(items[0].score > 0);

    const forgot = await client.callTool({ name: 'forget', arguments: { id: memory.item_id } });
    assert.deepEqual(forgot.structuredContent, { forgotten: memory.item_id });
    const after = await client.callTool({ name: 'get_user_context', arguments: { query: 'which seat should I book on my flight?' } });
    assert.ok(!after.structuredContent.context.includes('aisle'), after.structuredContent.context);
    assert.ok(after.structuredContent.items.every((i) => i.kind !== 'memory'));
    const again = await client.callTool({ name: 'forget', arguments: { id: memory.id } });
    assert.equal(again.isError, true);
    assert.match(again.content[0].text, /no memory/);
  });

  test('get_user_context reads earlier turns: a follow-up keeps its topic, ranked as /v1/context ranks the same turns', async () => {
    const client = await connect(token('ana'));
    const earlier = ['what size are my trail running shoes?'];
    const alone = await client.callTool({ name: 'get_user_context', arguments: { query: 'and in blue?' } });
    assert.ok(alone.structuredContent.items.every((i) => i.id !== 'trait:shoe_size'), JSON.stringify(alone.structuredContent.items));
    const followUp = await client.callTool({ name: 'get_user_context', arguments: { query: 'and in blue?', earlier_turns: earlier } });
    const ids = followUp.structuredContent.items.map((i) => i.id);
    assert.ok(ids.includes('trait:shoe_size'), JSON.stringify(ids));
    const rest = await fetch(new URL('/v1/context', base), {
      method: 'POST', headers: { authorization: `Bearer ${token('ana')}` }, body: JSON.stringify({ query: [...earlier, 'and in blue?'] }),
    });
    assert.equal(rest.status, 200);
    const restIds = (await rest.json()).context.items;
    assert.deepEqual(ids, restIds);
    const bad = await client.callTool({ name: 'get_user_context', arguments: { query: 'q', earlier_turns: [1] } }).catch((e) => e);
    assert.match(String(bad.message ?? bad.content?.[0]?.text), /earlier_turns must be strings/);
  });

  test('tool failures are isError results; bad calls are JSON-RPC errors', async () => {
    const client = await connect(token('ana'));
    const long = await client.callTool({ name: 'remember', arguments: { text: 'x'.repeat(600) } });
    assert.equal(long.isError, true);
    assert.match(long.content[0].text, /600 characters long \(at most 500\)/);
    await assert.rejects(client.callTool({ name: 'nope', arguments: {} }), (e) => e.code === -32602 && /unknown tool/.test(e.message));
    await assert.rejects(client.callTool({ name: 'search_profile', arguments: { query: 'q', limit: 500 } }), (e) => e.code === -32602);
    await assert.rejects(client.request({ method: 'resources/list' }, (await import('@modelcontextprotocol/sdk/types.js')).ListResourcesResultSchema), (e) => e.code === -32601);
    const bad = await post('{not json');
    assert.equal((await bad.json()).error.code, -32700);
    const batch = await post([{ jsonrpc: '2.0', id: 1, method: 'ping' }]);
    assert.equal((await batch.json()).error.code, -32600);
    const note = await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    assert.equal(note.status, 202);
    assert.equal(note.headers.get('cache-control'), 'no-store');
    const wrongVersion = await post({ jsonrpc: '2.0', id: 1, method: 'ping' }, { 'mcp-protocol-version': '2001-01-01' });
    assert.equal(wrongVersion.status, 400);
    const get = await fetch(new URL('/mcp', base), { headers: { authorization: `Bearer ${token('ana')}` } });
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
  });

  test('no token, a forged or an expired one: the SDK sees 401, with the protected-resource metadata', async () => {
    for (const bearer of [null, 'not-a-token', token('ana', { secret: 'another-secret-0123456789abcdef' }), token('ana', { ttl: 60, now: '2020-01-01T00:00:00Z' })]) {
      await assert.rejects(connect(bearer), (e) => e.code === 401 || /401/.test(String(e)), String(bearer));
    }
    // A cookie is not an identity here.
    const cookie = await fetch(new URL('/mcp', base), {
      method: 'POST', headers: { 'content-type': 'application/json', cookie: `ep_id=${token('ana', { format: 'cookie' })}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    assert.equal(cookie.status, 401);
    const challenge = cookie.headers.get('www-authenticate');
    const origin = new URL(base).origin;
    assert.equal(challenge, `Bearer resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp"`);
    assert.equal(cookie.headers.get('cache-control'), 'no-store');
    const meta = await (await fetch(new URL('/.well-known/oauth-protected-resource', base))).json();
    assert.deepEqual(meta, {
      resource: `${origin}/mcp`,
      authorization_servers: [AUTH_SERVER],
      bearer_methods_supported: ['header'],
      resource_name: 'edge-persona',
    });
  });

  test('another person\'s token sees none of the first person\'s data; an e-mail memory never appears', async () => {
    const ana = await connect(token('ana'));
    const refused = await ana.callTool({ name: 'remember', arguments: { text: 'ana.private@example.com' } });
    assert.equal(refused.isError, true);
    await ana.callTool({ name: 'remember', arguments: { text: 'allergic to peanuts' } });
    const own = await ana.callTool({ name: 'get_user_context', arguments: { query: 'email address peanuts allergy' } });
    assert.match(own.structuredContent.context, /peanuts/);
    assert.ok(!JSON.stringify(own).includes('ana.private'), own.structuredContent.context);
    const found = await ana.callTool({ name: 'search_profile', arguments: { query: 'email example.com' } });
    assert.ok(!JSON.stringify(found).includes('ana.private'));

    const bob = await connect(token('bob'));
    for (const query of ['peanuts allergy', 'trail running', 'seat flights']) {
      const ctx = await bob.callTool({ name: 'get_user_context', arguments: { query } });
      assert.deepEqual(ctx.structuredContent, { personalized: false, context: '', estimated_tokens: 0, items: [], reason: 'no_profile' });
      const s = await bob.callTool({ name: 'search_profile', arguments: { query } });
      assert.deepEqual(s.structuredContent.items, []);
    }
    const anaMemories = await (await fetch(new URL('/v1/memories', base), { headers: { authorization: `Bearer ${token('ana')}` } })).json();
    const theirs = anaMemories.memories.find((m) => m.text === 'allergic to peanuts');
    const stolen = await bob.callTool({ name: 'forget', arguments: { id: theirs.id } });
    assert.equal(stolen.isError, true);
    const still = await (await fetch(new URL('/v1/memories', base), { headers: { authorization: `Bearer ${token('ana')}` } })).json();
    assert.ok(still.memories.some((m) => m.id === theirs.id));
  });
});
