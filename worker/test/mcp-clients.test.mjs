// /mcp on workerd with the official clients of both protocol generations: the TypeScript SDK 1.x
// (`@modelcontextprotocol/sdk` 1.32.2, initialize revisions), the TypeScript SDK 2.x
// (`@modelcontextprotocol/client` 2.4, pinned to 2026-07-28, auto, legacy) and the Python SDK 2.x
// (`mcp` 2.3.0: legacy, auto, pinned 2026-07-28, from the venv `./dev setup` makes). Then the
// transport as an attacker sees it: origins, headers that contradict the body, Host, oversized
// and malformed messages of both revisions, replays.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { Miniflare } from 'miniflare';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from '@modelcontextprotocol/client';
import { ROOT, SECRET, WEBHOOK_SECRET, token, workerOptions } from './helpers.mjs';
import { freePort, pythonPath, sendWebhook } from './governance-helpers.mjs';

const run = promisify(execFile);
const MODERN = '2026-07-28';
const ALLOWED_ORIGIN = 'https://app.example.com';
const QUERY = 'which seat should I book on my flight?';
const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '0' },
};

describe('/mcp with the official clients of both generations', () => {
  let mf; let base; let publicUrl;
  const open = [];

  before(async () => {
    const port = await freePort();
    publicUrl = `http://127.0.0.1:${port}`;
    mf = new Miniflare({
      ...workerOptions({
        IDENTITY_SECRET: SECRET,
        SEGMENT_WEBHOOK_SECRET: WEBHOOK_SECRET,
        PUBLIC_URL: publicUrl,
        MCP_ALLOWED_ORIGINS: ALLOWED_ORIGIN,
        MCP_AUTHORIZATION_SERVER: 'https://auth.example.com',
        MCP_SCOPES: 'persona',
      }),
      host: '127.0.0.1',
      port,
    });
    base = (await mf.ready).toString();
    for (const user of ['ts1', 'ts2-pin', 'ts2-auto', 'ts2-legacy', 'py-legacy', 'py-auto', 'py-pin', 'raw']) {
      const res = await sendWebhook(base, {
        type: 'identify', userId: user, messageId: `${user}-1`, timestamp: new Date().toISOString(),
        traits: { favorite_sport: 'trail running', loyalty_tier: 'gold' },
      });
      assert.equal(res.status, 200);
    }
  });
  after(async () => {
    for (const c of open) await c.close().catch(() => {});
    await mf?.dispose();
  });

  /** The checks every client's session must pass, whatever its revision. */
  async function exercise(client, user) {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name), ['get_user_context', 'search_profile', 'remember', 'forget']);
    const r = await client.callTool({ name: 'remember', arguments: { text: 'prefers aisle seats on flights', key: 'seat_preference' } });
    assert.notEqual(r.isError, true, JSON.stringify(r));
    assert.equal(r.structuredContent.outcome, 'stored');
    const again = await client.callTool({ name: 'remember', arguments: { text: 'Prefers aisle seats on flights.' } });
    assert.equal(again.structuredContent.outcome, 'duplicate');
    assert.equal(again.structuredContent.memory.id, r.structuredContent.memory.id);
    const ctx = await client.callTool({ name: 'get_user_context', arguments: { query: QUERY } });
    assert.equal(ctx.structuredContent.personalized, true);
    assert.match(ctx.structuredContent.context, /prefers aisle seats/);
    const found = await client.callTool({ name: 'search_profile', arguments: { query: 'trail running', limit: 3 } });
    assert.equal(found.structuredContent.items[0].id, 'trait:favorite_sport');
    const refused = await client.callTool({ name: 'remember', arguments: { text: `my email is ${user}.private@example.com` } });
    assert.equal(refused.isError, true);
    assert.match(refused.content[0].text, /personal data \(email\)/);
    assert.ok(!refused.content[0].text.includes('private@'));
    const forgot = await client.callTool({ name: 'forget', arguments: { id: r.structuredContent.memory.item_id } });
    assert.deepEqual(forgot.structuredContent, { forgotten: r.structuredContent.memory.item_id });
    const gone = await client.callTool({ name: 'get_user_context', arguments: { query: QUERY } });
    assert.ok(!gone.structuredContent.context.includes('aisle'));
  }

  test('@modelcontextprotocol/sdk 1.32.2 speaks the initialize revision it offers', async () => {
    const transport = new TransportV1(new URL('/mcp', base), { requestInit: { headers: { authorization: `Bearer ${token('ts1')}` } } });
    const client = new ClientV1({ name: 'ts1', version: '1.0.0' });
    await client.connect(transport);
    open.push(client);
    assert.equal(transport.protocolVersion, '2025-11-25');
    await exercise(client, 'ts1');
  });

  for (const [mode, options, expected] of [
    ['pinned 2026-07-28', { versionNegotiation: { mode: { pin: MODERN } } }, MODERN],
    ['auto', { versionNegotiation: { mode: 'auto' } }, MODERN],
    ['legacy', { versionNegotiation: { mode: 'legacy' } }, '2025-11-25'],
  ]) {
    test(`@modelcontextprotocol/client 2.4, ${mode}: ${expected}`, async () => {
      const user = { 'pinned 2026-07-28': 'ts2-pin', auto: 'ts2-auto', legacy: 'ts2-legacy' }[mode];
      const transport = new TransportV2(new URL('/mcp', base), { requestInit: { headers: { authorization: `Bearer ${token(user)}` } } });
      const client = new ClientV2({ name: user, version: '1.0.0' }, options);
      await client.connect(transport);
      open.push(client);
      assert.equal(client.getNegotiatedProtocolVersion(), expected);
      await exercise(client, user);
    });
  }

  for (const [mode, user, expected] of [['legacy', 'py-legacy', '2025-11-25'], ['auto', 'py-auto', MODERN], [MODERN, 'py-pin', MODERN]]) {
    test(`Python mcp 2.3.0, mode=${mode}: ${expected}`, async () => {
      const python = pythonPath();
      const script = path.join(ROOT, 'worker', 'test', 'python', 'mcp_client.py');
      const { stdout } = await run(python, [script, new URL('/mcp', base).toString(), token(user), mode, QUERY], { timeout: 60_000 })
        .catch((e) => ({ stdout: e.stdout || JSON.stringify({ error: String(e) }) }));
      const out = JSON.parse(stdout.trim().split('\n').pop());
      assert.equal(out.error, undefined, out.error);
      assert.equal(out.protocol_version, expected);
      assert.deepEqual(out.tools, ['get_user_context', 'search_profile', 'remember', 'forget']);
      assert.equal(out.remember.is_error, false);
      assert.equal(out.remember.structured.outcome, 'stored');
      assert.equal(out.remember_again.outcome, 'duplicate');
      assert.equal(out.context.personalized, true);
      assert.match(out.context.context, /prefers aisle seats/);
      assert.ok(out.search.items.some((i) => i.id === out.remember.structured.memory.item_id), JSON.stringify(out.search));
      assert.equal(out.refused.is_error, true);
      assert.match(out.refused.text, /personal data \(email\)/);
      assert.equal(out.forget.forgotten, out.remember.structured.memory.id);
      assert.equal(out.forget_again.is_error, true);
    });
  }

  const post = (body, headers = {}, user = 'raw') => fetch(new URL('/mcp', base), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token(user)}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const modern = (method, params = {}, id = 1) => ({ jsonrpc: '2.0', id, method, params: { ...params, _meta: ENVELOPE } });
  const memoriesOf = async (user) => (await (await fetch(new URL('/v1/memories', base), { headers: { authorization: `Bearer ${token(user)}` } })).json()).memories;

  test('2026-07-28 on the wire: discover, resultType, cache hints; the headers must match the body', async () => {
    const d = await post(modern('server/discover'), { 'mcp-protocol-version': MODERN, 'mcp-method': 'server/discover' });
    assert.equal(d.status, 200);
    const { result } = await d.json();
    assert.equal(result.resultType, 'complete');
    assert.deepEqual(result.supportedVersions.slice(0, 3), [MODERN, '2025-11-25', '2025-06-18']);
    assert.equal(typeof result.ttlMs, 'number');
    assert.equal(result.cacheScope, 'public');
    assert.equal(result._meta['io.modelcontextprotocol/serverInfo'].name, 'edge-persona');
    const call = modern('tools/call', { name: 'remember', arguments: { text: 'likes green tea' } });
    // A body that runs remember under Mcp-Method: tools/list, or a wrong Mcp-Name: refused, nothing stored.
    for (const headers of [
      { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list', 'mcp-name': 'remember' },
      { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': 'forget' },
      { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call' },
      { 'mcp-method': 'tools/call', 'mcp-name': 'remember' },
      { 'mcp-protocol-version': '2025-11-25', 'mcp-method': 'tools/call', 'mcp-name': 'remember' },
    ]) {
      const res = await post(call, headers);
      assert.equal(res.status, 400, JSON.stringify(headers));
      assert.equal((await res.json()).error.code, -32020, JSON.stringify(headers));
    }
    // The same under a handshake revision.
    const legacy = await post({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'remember', arguments: { text: 'likes green tea' } } },
      { 'mcp-protocol-version': '2025-06-18', 'mcp-method': 'tools/list' });
    assert.equal(legacy.status, 400);
    assert.deepEqual(await memoriesOf('raw'), []);
    // With the right headers it runs, once: a replay is a duplicate, stored once.
    const ok = { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': 'remember' };
    const first = await (await post(call, ok)).json();
    assert.equal(first.result.resultType, 'complete');
    assert.equal(first.result.structuredContent.outcome, 'stored');
    const replay = await (await post(call, ok)).json();
    assert.equal(replay.result.structuredContent.outcome, 'duplicate');
    assert.equal((await memoriesOf('raw')).length, 1);
  });

  test('malformed, oversized and wrongly typed messages of both revisions: typed errors', async () => {
    const std = { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list' };
    for (const [body, headers, status, code] of [
      ['{not json', {}, 400, -32700],
      [[{ jsonrpc: '2.0', id: 1, method: 'ping' }], {}, 400, -32600],
      [{ jsonrpc: '2.0', id: 1, method: 7 }, {}, 400, -32600],
      [{ jsonrpc: '2.0', id: { x: 1 }, method: 'ping' }, {}, 400, -32600],
      [{ jsonrpc: '2.0', id: 1, method: 'tools/list', params: 'x' }, {}, 400, -32600],
      [{ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: { ...ENVELOPE, 'io.modelcontextprotocol/protocolVersion': 2026 } } }, std, 400, -32602],
      [{ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN } } }, std, 400, -32602],
      [{ jsonrpc: '2.0', id: 1, method: 'tools/list' }, std, 400, -32602],
      [{ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: { ...ENVELOPE, 'io.modelcontextprotocol/protocolVersion': '2099-01-01' } } },
        { 'mcp-protocol-version': '2099-01-01', 'mcp-method': 'tools/list' }, 400, -32022],
      [modern('ping'), { 'mcp-protocol-version': MODERN, 'mcp-method': 'ping' }, 404, -32601],
      [modern('tools/call', { name: 'search_profile', arguments: { query: 'q', limit: 500 } }), { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': 'search_profile' }, 200, -32602],
      [{ jsonrpc: '2.0', id: 1, method: 'resources/list' }, { 'mcp-protocol-version': '2025-11-25' }, 200, -32601],
      [{ jsonrpc: '2.0', id: 1, method: 'ping' }, { 'mcp-protocol-version': '2001-01-01' }, 400, -32600],
    ]) {
      const res = await post(body, headers);
      assert.equal(res.status, status, JSON.stringify(body));
      assert.equal((await res.json()).error.code, code, JSON.stringify(body));
      assert.equal(res.headers.get('cache-control'), 'no-store');
    }
    const unsupported = await (await post({ jsonrpc: '2.0', id: 9, method: 'tools/list', params: { _meta: { ...ENVELOPE, 'io.modelcontextprotocol/protocolVersion': '2099-01-01' } } },
      { 'mcp-protocol-version': '2099-01-01', 'mcp-method': 'tools/list' })).json();
    assert.equal(unsupported.error.data.requested, '2099-01-01');
    assert.ok(unsupported.error.data.supported.includes(MODERN));
    const huge = await post(modern('tools/call', { name: 'remember', arguments: { text: 'x'.repeat(1 << 20) } }),
      { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': 'remember' });
    assert.equal(huge.status, 413);
    const note = await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    assert.equal(note.status, 202);
    assert.equal((await fetch(new URL('/mcp', base), { headers: { authorization: `Bearer ${token('raw')}` } })).status, 405);
  });

  test('DNS rebinding: a foreign or null Origin is 403; an allowed one gets CORS', async () => {
    for (const origin of ['https://evil.example', 'null', 'http://127.0.0.1.evil.example', 'https://app.example.com.evil.example']) {
      const res = await post(modern('tools/list'), { origin, 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list' });
      assert.equal(res.status, 403, origin);
      assert.ok(!(await res.text()).includes('trail'), origin);
    }
    const ok = await post(modern('tools/list'), { origin: ALLOWED_ORIGIN, 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list' });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('access-control-allow-origin'), ALLOWED_ORIGIN);
    const own = await post(modern('tools/list'), { origin: publicUrl, 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list' });
    assert.equal(own.status, 200);
    const preflight = await fetch(new URL('/mcp', base), { method: 'OPTIONS', headers: { origin: ALLOWED_ORIGIN, 'access-control-request-method': 'POST' } });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get('access-control-allow-headers'), /mcp-method/);
    assert.match(preflight.headers.get('access-control-allow-headers'), /authorization/);
    const evilPreflight = await fetch(new URL('/mcp', base), { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
    assert.equal(evilPreflight.status, 403);
  });

  /** A raw HTTP request with a chosen Host header (fetch does not let one set it). */
  const rawRequest = (pathname, { method = 'GET', headers = {}, body } = {}) => new Promise((resolve, reject) => {
    const u = new URL(pathname, base);
    const all = body ? { ...headers, 'content-length': Buffer.byteLength(body) } : headers;
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method, headers: all, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });

  test('every advertised URL comes from PUBLIC_URL, whatever the Host; the metadata answers a foreign Host', async () => {
    const res = await rawRequest('/mcp', { method: 'POST', headers: { host: 'attacker.example', 'content-type': 'application/json' }, body: '{}' });
    assert.equal(res.status, 401);
    assert.equal(res.headers['www-authenticate'],
      `Bearer resource_metadata="${publicUrl}/.well-known/oauth-protected-resource/mcp", scope="persona"`);
    const forged = await rawRequest('/mcp', { method: 'POST', headers: { host: 'attacker.example', authorization: 'Bearer forged.token.x' }, body: '{}' });
    assert.equal(forged.status, 401);
    assert.match(forged.headers['www-authenticate'], /^Bearer error="invalid_token", resource_metadata="http:\/\/127\.0\.0\.1:\d+\//);
    for (const p of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
      const meta = await rawRequest(p, { headers: { host: 'attacker.example' } });
      assert.equal(meta.status, 200, p);
      assert.deepEqual(JSON.parse(meta.body), {
        resource: `${publicUrl}/mcp`,
        authorization_servers: ['https://auth.example.com'],
        bearer_methods_supported: ['header'],
        resource_name: 'edge-persona',
        scopes_supported: ['persona'],
      });
    }
  });
});
