// The inspector at /inspect on workerd (Miniflare): only the admin secret gets in (Bearer, or Basic
// as a browser's login prompt sends it), every answer carries the strict Content-Security-Policy,
// the API answers what the CLI's rank answers on the same server snapshot, withheld values are never
// sent, and the HTML-injection corpus (npm/test/profile-hostile.json and the <script>/<b> profile of
// worker.test.mjs) never comes back as markup: not in the API's bytes, not in the page, and not
// run when the page draws it in headless Chromium (playwright-core, as npm/test uses it).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import path from 'node:path';
import { Miniflare } from 'miniflare';
import { launchChromium } from '../../npm/test/chromium.mjs';
import {
  FIXTURES, ROOT, SECRET, bundleFile, cli, compileSeeds, seedKv, token, workerOptions,
} from './helpers.mjs';

const ADMIN = 'test-admin-secret-0123456789';
const JEFF = 'jeff-lawson-1138';
const HOSTILE = 'hostile-1';
const XSS = 'xss-tester-1';
const NOW = '2026-11-20T12:00:00Z';
const JEFF_SECRETS = ['jeff@example.com', '+1 415 555 0142', '555 0142', '101 Spear Street', '94105', '1977-12-04'];
const HOSTILE_SECRETS = ['mallory@example.com', '+1 212 555 0199', '555 0199', '1 Hostile Way'];
const HOSTILE_PROFILE = path.join(ROOT, 'npm/test/profile-hostile.json');
// A page with a slot for every value of the corpus, a condition and a variants group.
const SLOTS = ['firstName', 'title', 'quote', 'inline_js', 'inline_css', 'nickname', 'email', 'favorite_category'];
const PAGE_REQUEST = {
  slots: SLOTS.map((k) => `trait:${k}`),
  conditions: ['running_enthusiasts'],
  groups: [{ variants: ['running shoes', '<b>golf</b> clubs'], earlier: 0 }],
};

let mf; let base;
const basic = (user, password) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const get = (p, headers = {}) => fetch(new URL(p, base), { headers, redirect: 'manual' });
const api = (p, { auth = `Bearer ${ADMIN}`, body, header = true } = {}) => fetch(new URL(`/inspect/api/${p}`, base), {
  method: body === undefined ? 'GET' : 'POST',
  headers: {
    ...(auth ? { authorization: auth } : {}),
    ...(header ? { 'x-edge-persona-inspect': '1' } : {}),
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
  },
  body: body === undefined ? undefined : JSON.stringify(body),
});

function assertStrictHeaders(res, what) {
  const csp = res.headers.get('content-security-policy') ?? '';
  for (const part of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'", "require-trusted-types-for 'script'"]) {
    assert.ok(csp.includes(part), `${what}: ${part} in ${csp}`);
  }
  assert.ok(!/unsafe|\*|https?:/.test(csp), `${what}: nothing unsafe, no wildcard, no other origin: ${csp}`);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff', what);
  assert.equal(res.headers.get('cache-control'), 'no-store', what);
  assert.equal(res.headers.get('x-frame-options'), 'DENY', what);
}

before(async () => {
  const xss = bundleFile({
    profile_id: `user_id:${XSS}`,
    traits: { traits: { firstName: '<script>alert(1)</script>', nickname: '<b>bold</b> & "quoted"', email_opt_in: false, sms_opt_in: true } },
    events: { data: [] },
  });
  const entries = compileSeeds([path.join(FIXTURES, 'profile-retail-jeff.json'), HOSTILE_PROFILE, xss]);
  mf = new Miniflare(workerOptions({ IDENTITY_SECRET: SECRET, ADMIN_SECRET: ADMIN, SNAPSHOT_CACHE_SECONDS: '0', CONTEXT_BUDGET_TOKENS: '350' }));
  base = (await mf.ready).toString();
  await seedKv(await mf.getKVNamespace('PROFILES'), entries);
});

after(async () => {
  await mf?.dispose();
});

describe('/inspect: the admin secret only', () => {
  const paths = ['/inspect', '/inspect/', '/inspect/index.html', '/inspect/inspect.js', '/inspect/inspect.css', '/inspect/dom.js',
    '/inspect/api/people', `/inspect/api/overview?user=${JEFF}`, `/inspect/api/audit?user=${JEFF}`, '/inspect/nothing-here'];
  const wrong = [
    ['no credentials', {}],
    ['a wrong Bearer secret', { authorization: `Bearer ${ADMIN}x` }],
    ['a prefix of the secret', { authorization: `Bearer ${ADMIN.slice(0, -1)}` }],
    ['an empty Bearer', { authorization: 'Bearer ' }],
    ['the person\'s own valid identity token', { authorization: `Bearer ${token(JEFF)}` }],
    ['the identity secret', { authorization: `Bearer ${SECRET}` }],
    ['Basic with a wrong password', { authorization: basic('admin', 'nope') }],
    ['Basic with the secret as the user name', { authorization: basic(ADMIN, '') }],
    ['Basic that is not base64', { authorization: 'Basic %%%' }],
    ['the secret in a cookie and a query', { cookie: `ep_id=${ADMIN}; admin=${ADMIN}` }],
  ];
  for (const [name, headers] of wrong) {
    test(`${name}: 401 on every path, nothing of anyone, the strict policy all the same`, async () => {
      for (const p of paths) {
        const res = await get(p.includes('?') ? `${p}&secret=${ADMIN}` : p, { ...headers, 'x-edge-persona-inspect': '1' });
        assert.equal(res.status, 401, `${name}: ${p}`);
        const text = await res.text();
        for (const s of [...JEFF_SECRETS, 'Jeff', 'jeff-lawson', 'Lawson', 'inspect.js']) assert.ok(!text.includes(s), `${s} in ${p}`);
        assertStrictHeaders(res, p);
        if (!p.startsWith('/inspect/api/')) assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm="edge-persona inspector"/, p);
      }
      const post = await api(`inspect?user=${JEFF}`, { auth: headers.authorization ?? null, body: { query: 'email phone address' } });
      assert.equal(post.status, 401);
    });
  }

  test('other routes know nothing of the secret: /v1/context with it is not personalized', async () => {
    const res = await fetch(new URL('/v1/context', base), {
      method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ query: 'shoes' }),
    });
    assert.equal((await res.json()).personalized, false);
  });

  test('the secret as Bearer or as a Basic password: the page, in the Worker\'s mode, with its own files only', async () => {
    for (const auth of [`Bearer ${ADMIN}`, basic('anyone', ADMIN), basic('', ADMIN)]) {
      const redirect = await get('/inspect', { authorization: auth });
      assert.equal(redirect.status, 308);
      assert.equal(redirect.headers.get('location'), '/inspect/');
      const res = await get('/inspect/', { authorization: auth });
      assert.equal(res.status, 200, auth);
      assert.match(res.headers.get('content-type'), /^text\/html/);
      assertStrictHeaders(res, 'the page');
      const html = await res.text();
      assert.ok(html.includes('<meta name="edge-persona-inspect" content="worker">'));
      assert.match(html, /<input id="budget"[^>]* value="350">/, 'the deployment\'s budget');
      assert.ok(!/<script>|\sstyle=|\son[a-z]+=/i.test(html), 'nothing inline');
      for (const src of html.matchAll(/(?:src|href)="([^"]+)"/g)) assert.ok(!/^(https?:)?\/\//.test(src[1]), `loads ${src[1]}`);
    }
    for (const [file, type] of [['inspect.js', /^text\/javascript/], ['inspect.css', /^text\/css/], ['dom.js', /^text\/javascript/]]) {
      const res = await get(`/inspect/${file}`, { authorization: `Bearer ${ADMIN}` });
      assert.equal(res.status, 200, file);
      assert.match(res.headers.get('content-type'), type, file);
      assertStrictHeaders(res, file);
    }
    for (const p of ['/inspect/www/index.html', '/inspect/api/', '/inspect/api/snapshot?user=jeff-lawson-1138', '/inspect//etc/passwd']) {
      assert.equal((await get(p, { authorization: `Bearer ${ADMIN}`, 'x-edge-persona-inspect': '1' })).status, 404, p);
    }
    assert.equal((await fetch(new URL('/inspect/', base), { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } })).status, 405);
  });

  test('the API needs its header too (a cross-site page cannot send it without a preflight)', async () => {
    const res = await api(`overview?user=${JEFF}`, { header: false });
    assert.equal(res.status, 400);
    assert.match((await res.json()).error.message, /x-edge-persona-inspect/);
    assertStrictHeaders(res, 'a 400');
  });
});

describe('/inspect/api: the server snapshot, withheld values never sent', () => {
  test('people lists who has a snapshot', async () => {
    const res = await api('people');
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.deepEqual([...body.people].sort(), [HOSTILE, JEFF, XSS].sort());
    assert.equal(body.cursor, null);
  });

  test('overview: counts and the withheld keys and classes, no value', async () => {
    const res = await api(`overview?user=${JEFF}`);
    assert.equal(res.status, 200);
    assertStrictHeaders(res, 'overview');
    assert.match(res.headers.get('content-type'), /^application\/json/);
    const text = await res.text();
    for (const s of JEFF_SECRETS) assert.ok(!text.includes(s), s);
    const o = JSON.parse(text);
    assert.equal(o.target, 'server');
    assert.equal(o.traits, 132);
    assert.equal(o.events, 2114);
    assert.deepEqual(o.withheld.map((w) => w.id).sort(), ['trait:address', 'trait:birthday', 'trait:email', 'trait:phone']);
    assert.ok(o.withheld.every((w) => w.class && w.rule), JSON.stringify(o.withheld));
  });

  test('inspect answers what edge-persona rank answers on the same server snapshot', async () => {
    for (const query of ['Where is my order? It still hasn\'t arrived.', 'Can you recommend some running shoes in my size?']) {
      const res = await api(`inspect?user=${JEFF}`, { body: { query, now: NOW, budget_tokens: 200 } });
      assert.equal(res.status, 200);
      const answer = await res.json();
      const snap = path.join(ROOT, 'fixtures/profile-retail-jeff.json');
      const want = JSON.parse(cli('rank', '--profile', snap, '--query', query, '--now', NOW, '--format', 'json', '--limit', '10')).items;
      const ranked = answer.rows.filter((r) => r.placement !== 'limit');
      assert.deepEqual(ranked.map((r) => r.id), want.map((i) => i.id), query);
      for (const [k, item] of want.entries()) assert.ok(Math.abs(ranked[k].score - item.score) <= 1e-4 * item.score, item.id);
      // --limit 10: the engine's default, which the Worker and the page use (the CLI's context says 12).
      const block = cli('context', '--profile', snap, '--query', query, '--now', NOW, '--budget', '200', '--limit', '10').replace(/\n$/, '');
      assert.equal(answer.context.text, block);
    }
  });

  test('a question about the withheld traits ranks them, without their values', async () => {
    const res = await api(`inspect?user=${JEFF}`, { body: { query: 'What is my email, phone number and home address? When is my birthday?', now: NOW, below: 10 } });
    const text = await res.text();
    for (const s of JEFF_SECRETS) assert.ok(!text.includes(s), s);
    const rows = JSON.parse(text).rows;
    const withheld = rows.filter((r) => r.withheld);
    assert.ok(withheld.length >= 2, JSON.stringify(rows.map((r) => r.id)));
  });

  test('bad requests are 400s naming what is wrong; unknown people 404', async () => {
    let res = await api(`inspect?user=${JEFF}`, { body: { query: 'x', budget_tokens: 'many' } });
    assert.equal(res.status, 400);
    assert.match((await res.json()).error.message, /budget_tokens/);
    res = await api('inspect', { body: { query: 'x' } });
    assert.equal(res.status, 400);
    res = await api('overview?user=nobody-here');
    assert.equal(res.status, 404);
    res = await fetch(new URL(`/inspect/api/inspect?user=${JEFF}`, base), {
      method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'x-edge-persona-inspect': '1' }, body: '{"query": "x"',
    });
    assert.equal(res.status, 400);
  });
});

describe('the HTML-injection corpus through /inspect', () => {

  for (const user of [HOSTILE, XSS]) {
    test(`${user}: no answer of the API holds markup, and the values come back intact as data`, async () => {
      const bodies = [];
      for (const res of [
        await api(`overview?user=${user}`),
        await api(`inspect?user=${user}`, { body: { query: 'name title quote nickname inline js css running', now: NOW, below: 20, page: PAGE_REQUEST } }),
        await api(`inspect?user=${user}`, { body: { query: ['what do you call me', 'and my title?'], now: NOW, format: 'json', page: PAGE_REQUEST } }),
        await api(`audit?user=${user}`),
        await api('people'),
      ]) {
        assert.equal(res.status, 200, res.url);
        assert.match(res.headers.get('content-type'), /^application\/json/);
        assertStrictHeaders(res, res.url);
        bodies.push(await res.text());
      }
      for (const text of bodies) {
        // (Quotes stay, escaped as JSON escapes them: outside markup they open no attribute.)
        assert.ok(!/[<>&]/.test(text), `markup characters in ${text.slice(0, 200)}`);
        for (const s of HOSTILE_SECRETS) assert.ok(!text.includes(s), s);
      }
      // The values are data: parsed, the slots hold them exactly (the page puts them in text nodes).
      const slots = JSON.parse(bodies[1]).page.slots;
      const first = slots[0];
      if (user === HOSTILE) {
        assert.equal(first.value, '<img src=x onerror="window.__pwned=\'img\'">');
        const email = slots.find((s) => s.spec === 'trait:email');
        assert.equal(email.withheld, 'email');
        assert.equal(email.value, undefined, 'the email is withheld');
      } else {
        assert.equal(first.value, '<script>alert(1)</script>');
      }
    });
  }

  test('the page draws the corpus as text in Chromium under the Worker\'s policy: nothing runs, no violation', async () => {
    const browser = await launchChromium();
    try {
      for (const user of [HOSTILE, XSS]) {
        const context = await browser.newContext({ httpCredentials: { username: 'admin', password: ADMIN }, viewport: { width: 1280, height: 900 } });
        const page = await context.newPage();
        const errors = [];
        page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
        page.on('pageerror', (e) => errors.push(String(e)));
        await page.goto(new URL(`/inspect/?user=${user}&now=${NOW}&q=${encodeURIComponent('name title quote nickname')}`, base).toString());
        await page.waitForSelector('html[data-state]', { timeout: 30000 });
        assert.equal(await page.getAttribute('html', 'data-state'), 'ready', await page.textContent('#status'));
        assert.match(await page.textContent('#status'), /ranked by the Worker/);
        await page.fill('#page-html', `${SLOTS.map((k) => `<p data-persona="trait:${k}">x</p>`).join('')}<div data-persona-variants><p data-persona-variant="running shoes">a</p><p data-persona-variant="golf clubs">b</p></div>`);
        await page.click('#resolve-page');
        await page.waitForSelector('#page-report table');
        for (const d of await page.$$('details')) await d.evaluate((e) => { e.open = true; });
        await page.waitForTimeout(200); // an injected script or image error would have run by now
        assert.equal(await page.evaluate(() => window.__pwned), undefined);
        assert.equal(await page.locator('main img, main script, main style, main b, main [onerror], main [onmouseover]').count(), 0);
        const text = await page.evaluate(() => document.body.innerText);
        assert.ok(text.includes(user === HOSTILE ? 'onerror="window.__pwned' : '<script>alert(1)</script>'), 'the value shown as text');
        const dom = await page.evaluate(() => document.documentElement.outerHTML + document.body.innerText);
        for (const s of HOSTILE_SECRETS) assert.ok(!dom.includes(s), s);
        assert.deepEqual(errors, [], 'no error and no CSP or Trusted Types violation');
        if (user === HOSTILE) await page.screenshot({ path: path.join(ROOT, 'npm/test/artifacts/inspect-worker-hostile.png'), fullPage: true });
        await context.close();
      }
    } finally {
      await browser.close();
    }
  });
});
