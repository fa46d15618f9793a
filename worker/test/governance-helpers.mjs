// Fakes and helpers of the agent and governance tests (MCP clients, identity providers, audit,
// consent, erasure reaching Segment): a free port, a fake identity provider on 127.0.0.1 with keys
// generated here, a fake Segment Public API, the Python SDK's venv, signed webhooks.
import { generateKeyPairSync, createSign, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { homedir } from 'node:os';
import path from 'node:path';
import { listen, signWebhook } from './helpers.mjs';

/** A TCP port free on 127.0.0.1 now (for a Worker whose PUBLIC_URL must be known beforehand). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

const b64url = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** A signing key of the fake issuer: RS256 (RSA 2048) or ES256 (P-256), with its public JWK. */
export function makeKey(alg, kid = randomUUID()) {
  const { privateKey, publicKey } = alg === 'RS256'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
  return { alg, kid, privateKey, jwk };
}

/** A JWT signed with `key` (header overrides in `header`). */
export function signJwt(key, claims, header = {}) {
  const head = b64url({ alg: key.alg, typ: 'at+jwt', kid: key.kid, ...header });
  const body = b64url(claims);
  const input = `${head}.${body}`;
  const signer = createSign('SHA256');
  signer.update(input);
  const sig = key.alg === 'RS256'
    ? signer.sign(key.privateKey)
    : signer.sign({ key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${sig.toString('base64url')}`;
}

/**
 * A fake identity provider on 127.0.0.1: `GET /.well-known/jwks.json` answers the public keys of
 * `keys` (replace them to rotate), or whatever `override` says (a status, a body, a delay).
 * `fetches` counts the JWKS requests.
 */
export async function fakeIssuer() {
  const state = { keys: [], override: null, fetches: 0 };
  const srv = await listen(async (req, res) => {
    await readBody(req);
    if (!req.url.endsWith('/jwks.json')) {
      res.writeHead(404);
      res.end();
      return;
    }
    state.fetches += 1;
    const o = state.override;
    if (o?.delayMs) await new Promise((r) => setTimeout(r, o.delayMs));
    res.writeHead(o?.status ?? 200, { 'content-type': 'application/json' });
    res.end(o?.body ?? JSON.stringify({ keys: state.keys.map((k) => k.jwk) }));
  });
  const issuer = `${srv.url}/`;
  return {
    ...srv,
    issuer,
    state,
    /** Claims valid for `audience` now, for `sub`, with `extra` merged in (null deletes). */
    claims(sub, audience, extra = {}) {
      const now = Math.floor(Date.now() / 1000);
      const c = { iss: issuer, aud: audience, sub, iat: now, nbf: now, exp: now + 600, scope: 'openid persona' };
      for (const [k, v] of Object.entries(extra)) {
        if (v === null) delete c[k]; else c[k] = v;
      }
      return c;
    },
  };
}

/**
 * A fake Segment Public API regulations endpoint (`POST /regulations`): Bearer token, the v1
 * media type, a body with `regulationType`, `subjectType: "USER_ID"` and `subjectIds`, else 422
 * as Segment answers a validation failure; the first `fail` valid calls answer 500. `calls`
 * records every request.
 */
export async function fakeRegulations({ token, fail = 0 } = {}) {
  const calls = [];
  const state = { fail };
  const srv = await listen(async (req, res) => {
    const raw = (await readBody(req)).toString('utf8');
    const reply = (status, body) => {
      calls.push({ url: req.url, method: req.method, auth: req.headers.authorization, type: req.headers['content-type'], body: raw, status });
      res.writeHead(status, { 'content-type': 'application/vnd.segment.v1+json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || req.url !== '/regulations') return reply(404, { errors: [{ type: 'not-found' }] });
    if (req.headers.authorization !== `Bearer ${token}`) return reply(401, { errors: [{ type: 'unauthorized' }] });
    let body;
    try { body = JSON.parse(raw); } catch { return reply(422, { errors: [{ type: 'validation', message: 'invalid JSON' }] }); }
    const ok = ['SUPPRESS_WITH_DELETE', 'DELETE_ONLY', 'SUPPRESS_ONLY', 'DELETE_INTERNAL', 'UNSUPPRESS', 'SUPPRESS_WITH_DELETE_INTERNAL'].includes(body.regulationType)
      && body.subjectType === 'USER_ID' && Array.isArray(body.subjectIds) && body.subjectIds.length >= 1 && body.subjectIds.length <= 5000;
    if (!ok) return reply(422, { errors: [{ type: 'validation' }] });
    if (state.fail > 0) { state.fail -= 1; return reply(500, { errors: [{ type: 'internal' }] }); }
    return reply(200, { data: { regulateId: randomUUID() } });
  });
  return { ...srv, calls, state };
}

/** The Python venv `./dev setup` makes; the test fails, naming the set-up step, when it is missing. */
export function pythonPath() {
  const venv = process.env.EDGE_PERSONA_PY_VENV || path.join(homedir(), '.cache', 'edge-persona', 'py-venv');
  const python = path.join(venv, 'bin', 'python');
  if (!existsSync(python)) {
    throw new Error(`no Python venv with the MCP SDK at ${venv}: run ./dev setup (it installs worker/test/python/requirements.txt there), or set EDGE_PERSONA_PY_VENV`);
  }
  return python;
}

/** Sends a signed Segment webhook; the response. */
export function sendWebhook(base, message) {
  const body = JSON.stringify(message);
  return fetch(new URL('/v1/webhooks/segment', base), {
    method: 'POST', body, headers: { 'content-type': 'application/json', 'x-signature': signWebhook(body) },
  });
}

/** Polls `check` (an async predicate) until it holds or `ms` pass; whether it held. */
export async function eventually(check, ms = 5000) {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}
