// Fake upstreams that misbehave the way real ones do, on 127.0.0.1, for worker/test/safety.test.mjs
// and worker/cpu.mjs: an LLM provider and an origin that hang before or after their headers, reset
// the connection mid-stream or trickle forever; pages in deflate, an unknown encoding, windows-1252
// and Shift_JIS; slots inside raw-text elements; oversized and unclosed variants groups; CDN cache
// headers; and a Segment Profile API whose pages take 900 ms each.
import { brotliCompressSync, deflateRawSync, deflateSync } from 'node:zlib';
import { listen } from './helpers.mjs';

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

/** Caching headers a CDN or a shared cache would act on. */
export const CDN_HEADERS = {
  'cache-control': 'public, max-age=600',
  'cdn-cache-control': 'max-age=600',
  'cloudflare-cdn-cache-control': 'max-age=600',
  'surrogate-control': 'max-age=600',
  'surrogate-key': 'page',
  expires: 'Wed, 01 Jan 2099 00:00:00 GMT',
  etag: '"origin-etag"',
  'last-modified': 'Mon, 01 Jan 2024 00:00:00 GMT',
  age: '10',
};

/** Ends the stream's behaviour after the head: hang, reset mid-stream, or trickle a byte every 100 ms. */
function misbehave(res, mode, first) {
  res.write(first);
  if (mode === 'reset') setTimeout(() => res.socket.destroy(), 50);
  if (mode === 'trickle') {
    const t = setInterval(() => { if (!res.destroyed) res.write(' '); }, 100);
    res.on('close', () => clearInterval(t));
  }
  // 'hang': nothing more, ever (until the test closes the server).
}

/**
 * A fake LLM provider whose behaviour is the request's `model`: `hang-head` (never answers),
 * `hang-body` / `reset` / `trickle` (SSE head and a first event, then hangs / resets the connection
 * / sends a byte every 100 ms forever), `sse` (a complete SSE answer), anything else a JSON answer.
 * Every answer carries caching headers a CDN would act on.
 */
export async function hostileLlm() {
  const seen = [];
  const srv = await listen(async (req, res) => {
    const raw = await readBody(req);
    let body = {};
    try { body = JSON.parse(raw.toString('utf8')); } catch { /* not JSON */ }
    seen.push({ url: req.url, headers: req.headers, body });
    const model = body.model ?? '';
    if (model === 'hang-head') return;
    const event = (content) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
    if (['hang-body', 'reset', 'trickle'].includes(model)) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      misbehave(res, model, event('Hello'));
      return;
    }
    if (model === 'sse') {
      res.writeHead(200, { 'content-type': 'text/event-stream', ...CDN_HEADERS, 'cache-control': 'no-cache' });
      res.end(`${event('Hi')}data: [DONE]\n\n`);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', ...CDN_HEADERS });
    res.end(JSON.stringify({ id: 'c2', object: 'chat.completion', created: 1, model,
      choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }] }));
  });
  return { ...srv, seen, last: () => seen[seen.length - 1], close: () => { srv.server.closeAllConnections(); return srv.close(); } };
}

// windows-1252: "Café" (é = 0xE9) and "€ 5" (€ = 0x80).
const CP1252_PAGE = Buffer.concat([
  Buffer.from('<!doctype html><html><head><title>t</title></head><body><h1>Hi <span id="name" data-persona="trait:firstName">x</span></h1>'),
  Buffer.from('<section id="g" data-persona-variants><p data-persona-variant="golf clubs">Caf'), Buffer.from([0xe9]),
  Buffer.from(' golf</p><p data-persona-variant="running trail shoes" hidden>Caf'), Buffer.from([0xe9]), Buffer.from(' '), Buffer.from([0x80]),
  Buffer.from(' 5 running</p></section></body></html>'),
]);
// Shift_JIS, declared only by <meta charset>: 日本 (93 FA 96 7B), 表 (95 5C: an ASCII-range trail byte).
const SJIS = { nihon: [0x93, 0xfa, 0x96, 0x7b], hyou: [0x95, 0x5c] };
const SJIS_PAGE = Buffer.concat([
  Buffer.from('<!doctype html><html><head><meta charset="shift_jis"><title>t</title></head><body><h1>Hi <span id="name" data-persona="trait:firstName">x</span></h1>'),
  Buffer.from('<section id="g" data-persona-variants><p data-persona-variant="golf clubs">'), Buffer.from(SJIS.nihon),
  Buffer.from(' golf</p><p data-persona-variant="running trail shoes" hidden>'), Buffer.from(SJIS.nihon), Buffer.from(SJIS.hyou),
  Buffer.from(' running</p></section></body></html>'),
]);

/** Slots where a value would be code or markup rather than text, and one ordinary slot. */
export const RAW_TEXT_PAGE = `<!doctype html><html><head>
<title data-persona="trait:firstName">authored title</title>
<style data-persona="trait:inline_css">/* authored css */</style>
<script data-persona="trait:inline_js">/* authored js */</script>
</head><body>
<p id="plain" data-persona="trait:firstName">x</p>
<textarea data-persona="trait:firstName">authored textarea</textarea>
<noscript data-persona="trait:firstName">authored noscript</noscript>
<iframe data-persona="trait:firstName">authored iframe</iframe>
<xmp data-persona="trait:firstName">authored xmp</xmp>
<noembed data-persona="trait:firstName">authored noembed</noembed>
<template><b id="in-template" data-persona="trait:firstName">authored template</b></template>
<svg><style><tspan data-persona="trait:inline_css">authored svg style</tspan></style></svg>
<button id="btn" onclick="return 1" data-persona="trait:quote">authored button</button>
</body></html>`;

/** A variants group of about `bytes` bytes, with `after` following it. */
export function bigGroupPage(bytes) {
  const variant = (i) => `<div data-persona-variant="${i % 2 ? 'running trail shoes' : 'golf clubs'} ${i}">variant ${i} ${'x'.repeat(80)}</div>\n`;
  const parts = ['<!doctype html><html><body><h1>Hi <span id="name" data-persona="trait:firstName">x</span></h1><section id="g" data-persona-variants>\n'];
  let size = parts[0].length;
  for (let i = 0; size < bytes; i += 1) { const v = variant(i); parts.push(v); size += v.length; }
  parts.push('</section><p id="after">after</p></body></html>');
  return parts.join('');
}

/**
 * A fake origin. Routes: `/echo` (records the request headers), `/cached` (a personalizable page
 * with CDN caching headers), `/hang-head`, `/hang-body`, `/reset`, `/trickle`, `/deflate` (zlib),
 * `/deflate-raw` (raw deflate, as some servers send it), `/deflate-broken` (a truncated stream),
 * `/x-custom` (an encoding nobody knows), `/br`, `/cp1252`, `/sjis`, `/raw-text`, `/big-group`
 * (a 2 MB variants group), `/unclosed-group` (a group that never closes, then `#mark`, then the
 * end only once the test calls `releaseUnclosed()`).
 */
export async function hostileOrigin() {
  const seen = [];
  let releaseUnclosed = () => {};
  const srv = await listen(async (req, res) => {
    await readBody(req);
    seen.push({ url: req.url, headers: req.headers });
    const html = (extra = {}) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...extra });
    const slot = '<html><body><h1>Hi <span id="name" data-persona="trait:firstName">x</span></h1>';
    const route = new URL(req.url, 'http://x').pathname;
    switch (route) {
      case '/echo': html(); res.end(`${slot}</body></html>`); return;
      case '/cached': html(CDN_HEADERS); res.end(`${slot}</body></html>`); return;
      case '/hang-head': return;
      case '/hang-body': case '/reset': case '/trickle':
        html(); misbehave(res, route.slice(1), slot); return;
      case '/deflate': case '/deflate-raw': case '/deflate-broken': {
        res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'deflate' });
        const page = Buffer.from(`${slot}<p>${'padding '.repeat(2000)}</p></body></html>`);
        const body = route === '/deflate-raw' ? deflateRawSync(page) : deflateSync(page);
        // In three writes, so that the Worker decodes across chunk boundaries.
        const cut = route === '/deflate-broken' ? body.length - 20 : body.length;
        const third = Math.ceil(cut / 3);
        res.write(body.subarray(0, third));
        setImmediate(() => { res.write(body.subarray(third, 2 * third)); setImmediate(() => res.end(body.subarray(2 * third, cut))); });
        return;
      }
      case '/x-custom':
        res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'x-custom' });
        res.end(Buffer.from([0x01, 0x02, 0xfa, 0xfb, 0x3c])); return;
      case '/br':
        res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'br' });
        res.end(brotliCompressSync(Buffer.from(`${slot}</body></html>`))); return;
      case '/cp1252': res.writeHead(200, { 'content-type': 'text/html; charset=windows-1252' }); res.end(CP1252_PAGE); return;
      case '/sjis': res.writeHead(200, { 'content-type': 'text/html' }); res.end(SJIS_PAGE); return;
      case '/raw-text': html(); res.end(RAW_TEXT_PAGE); return;
      case '/big-group': {
        html();
        const bytes = Buffer.from(bigGroupPage(2 << 20));
        for (let at = 0; at < bytes.length; at += 16384) res.write(bytes.subarray(at, at + 16384));
        res.end();
        return;
      }
      case '/unclosed-group': {
        html();
        res.write('<html><body><div id="g" data-persona-variants><p data-persona-variant="running trail shoes">R</p><p data-persona-variant="golf">G</p>');
        for (let i = 0; i < 200; i += 1) res.write(`<p>filler ${i} ${'y'.repeat(500)}</p>\n`);
        res.write('<p id="mark">mark</p>');
        const done = new Promise((r) => { releaseUnclosed = r; });
        await done;
        res.end('</body></html>');
        return;
      }
      default: res.writeHead(404, { 'content-type': 'text/plain' }); res.end('origin 404');
    }
  });
  return {
    ...srv, seen, last: () => seen[seen.length - 1], releaseUnclosed: () => releaseUnclosed(),
    close: () => { srv.server.closeAllConnections(); return srv.close(); },
  };
}

/** Byte strings of the encoded pages, for assertions. */
export const ENCODED = {
  cafe: Buffer.from([0x43, 0x61, 0x66, 0xe9]),
  euro: Buffer.from([0x80]),
  nihonHyou: Buffer.from([...SJIS.nihon, ...SJIS.hyou]),
};

/**
 * A Segment Profile API whose every page takes `delayMs` and always has another page after it:
 * only a budget across pages and retries bounds how long a KV miss waits.
 */
export async function slowPagesSegment(delayMs) {
  const seen = [];
  const srv = await listen((req, res) => {
    seen.push(req.url);
    const url = new URL(req.url, 'http://x');
    const next = Number(url.searchParams.get('next') || 0) + 1;
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const list = url.pathname.endsWith('/traits') ? { traits: { [`t${next}`]: 'v' } } : { data: [] };
      res.end(JSON.stringify({ ...list, cursor: { url: url.pathname, has_more: true, next: String(next) } }));
    }, delayMs);
  });
  return { ...srv, seen, close: () => { srv.server.closeAllConnections(); return srv.close(); } };
}
