// Access tokens from an identity provider on workerd: a fake issuer on 127.0.0.1 with RS256 and
// ES256 keys generated here; tokens accepted by /mcp (the 2.x SDK client) and /v1/audit, the
// JWKS fetched once and cached, fetched again for a rotated key; every claim checked (iss, aud =
// the resource URL, exp/nbf with bounded skew, scopes, the subject claim); first-party HS256
// tokens still working; hostile tokens and JWKS bodies refused with a 401, nobody identified.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Miniflare } from 'miniflare';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { SECRET, WEBHOOK_SECRET, jwt, token, workerOptions } from './helpers.mjs';
import { fakeIssuer, freePort, makeKey, sendWebhook, signJwt } from './governance-helpers.mjs';

const MODERN = '2026-07-28';
const ENVELOPE = { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} };

describe('tokens from an identity provider (RS256, ES256 against its JWKS)', () => {
  let mf; let base; let issuer; let audience; let rsa; let ec;
  const clients = [];

  const start = async (extra = {}) => {
    const port = await freePort();
    audience = `http://127.0.0.1:${port}/mcp`;
    const m = new Miniflare({
      ...workerOptions({
        IDENTITY_SECRET: SECRET,
        SEGMENT_WEBHOOK_SECRET: WEBHOOK_SECRET,
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        OIDC_ISSUER: issuer.issuer,
        MCP_SCOPES: 'persona',
        ...extra,
      }),
      host: '127.0.0.1',
      port,
    });
    return { m, url: (await m.ready).toString() };
  };

  before(async () => {
    issuer = await fakeIssuer();
    rsa = makeKey('RS256', 'rsa-1');
    ec = makeKey('ES256', 'ec-1');
    issuer.state.keys = [rsa, ec];
    ({ m: mf, url: base } = await start());
    for (const user of ['idp-ana', 'idp-bob']) {
      const res = await sendWebhook(base, {
        type: 'identify', userId: user, messageId: `${user}-1`, timestamp: new Date().toISOString(),
        traits: { favorite_sport: user === 'idp-ana' ? 'sailing' : 'chess' },
      });
      assert.equal(res.status, 200);
    }
  });
  after(async () => {
    for (const c of clients) await c.close().catch(() => {});
    await mf?.dispose();
    await issuer?.close();
  });

  const call = (bearer, body = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_user_context', arguments: { query: 'favorite sport' }, _meta: ENVELOPE } }) =>
    fetch(new URL('/mcp', base), {
      method: 'POST',
      headers: {
        'content-type': 'application/json', accept: 'application/json, text/event-stream',
        'mcp-protocol-version': MODERN, 'mcp-method': body.method, ...(body.params?.name ? { 'mcp-name': body.params.name } : {}),
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      },
      body: JSON.stringify(body),
    });

  test('RS256 and ES256 tokens name the person; the 2.x SDK client connects with one', async () => {
    for (const key of [rsa, ec]) {
      const t = signJwt(key, issuer.claims('idp-ana', audience));
      const res = await call(t);
      assert.equal(res.status, 200, key.alg);
      const out = (await res.json()).result.structuredContent;
      assert.equal(out.personalized, true);
      assert.match(out.context, /sailing/);
      assert.ok(!out.context.includes('chess'));
    }
    const transport = new StreamableHTTPClientTransport(new URL('/mcp', base), {
      requestInit: { headers: { authorization: `Bearer ${signJwt(ec, issuer.claims('idp-bob', audience))}` } },
    });
    const client = new Client({ name: 'idp', version: '1' }, { versionNegotiation: { mode: { pin: MODERN } } });
    await client.connect(transport);
    clients.push(client);
    const ctx = await client.callTool({ name: 'get_user_context', arguments: { query: 'favorite sport' } });
    assert.match(ctx.structuredContent.context, /chess/);
    // The same token reads the person's own audit.
    const audit = await fetch(new URL('/v1/audit', base), { headers: { authorization: `Bearer ${signJwt(rsa, issuer.claims('idp-bob', audience))}` } });
    assert.equal(audit.status, 200);
    assert.equal((await audit.json()).user, 'idp-bob');
    // First-party HS256 tokens keep working beside them.
    assert.equal((await call(token('idp-ana'))).status, 200);
    // The JWKS was fetched once for all of these.
    assert.equal(issuer.state.fetches, 1);
  });

  test('claims: issuer, audience (the resource URL), expiry and not-before with bounded skew, scope, subject', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const [extra, status, what] of [
      [{ iss: 'http://127.0.0.1:1/' }, 401, 'another issuer'],
      [{ aud: 'https://other.example/mcp' }, 401, 'another audience'],
      [{ aud: audience.replace('/mcp', '') }, 401, 'the origin, not the resource'],
      [{ exp: now - 120 }, 401, 'expired beyond the 60 s skew'],
      [{ exp: null }, 401, 'no expiry'],
      [{ nbf: now + 600 }, 401, 'not valid yet'],
      [{ iat: now + 3600 }, 401, 'issued in the future'],
      [{ sub: null }, 401, 'no subject'],
      [{ sub: 'a\u0000b' }, 401, 'a subject with control characters'],
      [{ scope: 'openid' }, 403, 'without the required scope'],
    ]) {
      const res = await call(signJwt(rsa, issuer.claims('idp-ana', audience, extra)));
      assert.equal(res.status, status, what);
      const challenge = res.headers.get('www-authenticate');
      assert.match(challenge, status === 403 ? /error="insufficient_scope"/ : /error="invalid_token"/, what);
      assert.match(challenge, /scope="persona"/, what);
      assert.ok(!(await res.text()).includes('sailing'), what);
    }
    assert.equal((await call(signJwt(rsa, issuer.claims('idp-ana', audience, { exp: now - 30 })))).status, 200, 'within the skew');
    assert.equal((await call(signJwt(rsa, issuer.claims('idp-ana', audience, { aud: ['x', audience] })))).status, 200, 'aud as an array');
  });

  test('forged tokens: another key under a known kid, a tampered payload, alg none, HS256 with the public key, unknown kids', async () => {
    const good = signJwt(rsa, issuer.claims('idp-ana', audience));
    const [h, , s] = good.split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify(issuer.claims('idp-bob', audience))).toString('base64url')}.${s}`;
    const impostor = { ...makeKey('RS256', 'rsa-1') };
    const fetches = issuer.state.fetches;
    for (const [t, what] of [
      [tampered, 'payload swapped'],
      [signJwt(impostor, issuer.claims('idp-ana', audience)), 'another key, same kid'],
      [signJwt(makeKey('ES256', 'ec-1'), issuer.claims('idp-ana', audience)), 'another EC key, same kid'],
      [jwt(issuer.claims('idp-ana', audience), { alg: 'none' }), 'alg none'],
      [jwt(issuer.claims('idp-ana', audience), { secret: JSON.stringify(rsa.jwk), alg: 'HS256' }), 'HS256 keyed with the public JWK'],
      [signJwt(rsa, issuer.claims('idp-ana', audience), { alg: 'ES256' }), 'an RSA signature claiming ES256'],
      [signJwt(rsa, issuer.claims('idp-ana', audience), { kid: 'nobody' }), 'an unknown kid'],
      [signJwt(rsa, issuer.claims('idp-ana', audience), { crit: ['exp'] }), 'a crit header'],
      [`${good}.extra`, 'four parts'],
      ['x'.repeat(5000), 'oversized'],
      [good.replace(/\.[^.]+$/, '.!!!'), 'signature not base64url'],
    ]) {
      const res = await call(t);
      assert.equal(res.status, 401, what);
      assert.ok(!(await res.text()).includes('sailing'), what);
    }
    // Unknown kids made at most one more fetch (then the gap holds further ones back).
    assert.ok(issuer.state.fetches <= fetches + 1, `${issuer.state.fetches - fetches} fetches for unknown kids`);
  });

  test('key rotation: a token of a new key makes the Worker fetch the JWKS again; the retired key stops working', async () => {
    // A fresh Worker (its own isolate cache), so the refetch gap of the previous test does not apply.
    const { m, url } = await start();
    try {
      const send = (t) => fetch(new URL('/mcp', url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${t}`, 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: ENVELOPE } }),
      });
      const before = issuer.state.fetches;
      assert.equal((await send(signJwt(rsa, issuer.claims('idp-ana', audience)))).status, 200);
      assert.equal(issuer.state.fetches, before + 1);
      const rotated = makeKey('RS256', 'rsa-2');
      issuer.state.keys = [rotated, ec];
      assert.equal((await send(signJwt(rotated, issuer.claims('idp-ana', audience)))).status, 200);
      assert.equal(issuer.state.fetches, before + 2, 'fetched again for the new kid');
      assert.equal((await send(signJwt(rsa, issuer.claims('idp-ana', audience)))).status, 401, 'the retired key');
      assert.equal((await send(signJwt(rotated, issuer.claims('idp-ana', audience)))).status, 200);
      assert.equal(issuer.state.fetches, before + 2, 'cached again');
    } finally {
      await m.dispose();
      issuer.state.keys = [rsa, ec];
    }
  });

  test('hostile or failing JWKS endpoints: nobody is identified, the Worker answers 401 and keeps serving', async () => {
    const huge = JSON.stringify({ keys: [rsa.jwk], pad: 'x'.repeat(70_000) });
    for (const [override, what] of [
      [{ body: huge }, 'oversized body'],
      [{ body: '{not json' }, 'not JSON'],
      [{ body: '{"keys": {"a": 1}}' }, 'keys not an array'],
      [{ body: JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'rsa-1' }] }) }, 'only a symmetric key'],
      [{ body: JSON.stringify({ keys: [{ ...rsa.jwk, n: 'AQAB' }] }) }, 'a 24-bit RSA key'],
      [{ body: JSON.stringify({ keys: Array.from({ length: 40 }, () => rsa.jwk) }) }, 'too many keys'],
      [{ status: 500, body: '{"error":"down"}' }, 'a 500'],
      [{ delayMs: 3000 }, 'slower than OIDC_JWKS_TIMEOUT_MS'],
    ]) {
      issuer.state.override = override;
      const { m, url } = await start({ OIDC_JWKS_TIMEOUT_MS: '300' });
      try {
        const res = await fetch(new URL('/mcp', url), {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${signJwt(rsa, issuer.claims('idp-ana', audience))}` },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
        });
        assert.equal(res.status, 401, what);
        // First-party tokens are unaffected by the issuer's trouble.
        const ok = await fetch(new URL('/mcp', url), {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token('idp-ana')}` },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
        });
        assert.equal(ok.status, 200, what);
      } finally {
        issuer.state.override = null;
        await m.dispose();
      }
    }
  });

  test('OIDC_SUBJECT_CLAIM names the claim that is the user id', async () => {
    const { m, url } = await start({ OIDC_SUBJECT_CLAIM: 'https://example.com/user_id' });
    try {
      const claims = issuer.claims('auth0|9f8e', audience, { 'https://example.com/user_id': 'idp-ana' });
      const res = await fetch(new URL('/v1/audit', url), { headers: { authorization: `Bearer ${signJwt(ec, claims)}` } });
      assert.equal(res.status, 200);
      assert.equal((await res.json()).user, 'idp-ana');
      const none = await fetch(new URL('/v1/audit', url), { headers: { authorization: `Bearer ${signJwt(ec, issuer.claims('idp-ana', audience))}` } });
      assert.equal(none.status, 401);
    } finally {
      await m.dispose();
    }
  });
});
