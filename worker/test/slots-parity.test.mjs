// The slot language gives the same page in the browser and at the edge: each test page is
// personalized by the Worker on workerd (streaming, lol_html) and by the npm package's DOM module
// in headless Chromium (from the same person's browser snapshot), and the two results, rendered by
// Chromium, must show the same text and choose the same variants — slots, conditions, raw-text
// elements, entities in variant words, nesting, and the caps (64 variants a group, 256 a page, 512
// bytes of words). Needs npm/dist (scripts/npm.sh build) and Chromium (./dev setup): it fails,
// naming them, when they are missing.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Miniflare } from 'miniflare';
import { FIXTURES, PAGE, ROOT, SECRET, compileSeeds, listen, seedKv, token, workerOptions } from './helpers.mjs';

const JEFF = 'jeff-lawson-1138';
const DIST = path.join(ROOT, 'npm/dist');

const variants = (n, relevantAt, words = 'knitting yarn') => Array.from({ length: n }, (_, i) => `<p data-persona-variant="${i === relevantAt ? 'running trail shoes' : `${words} ${i}`}">V${i}</p>`).join('');

/** The test pages: name → HTML. */
const PAGES = {
  storefront: PAGE,
  'group cap: 64 ranked, 65 as authored': `<!doctype html><html><body>
<section id="g64" data-persona-variants>${variants(64, 63)}</section>
<section id="g65" data-persona-variants>${variants(65, 64)}</section></body></html>`,
  'page cap: 256 variants': `<!doctype html><html><body>${[0, 1, 2, 3, 4].map((g) => `<section id="p${g}" data-persona-variants>${variants(60, 59)}</section>`).join('\n')}</body></html>`,
  'nesting, a group that is a variant, entities, long words': `<!doctype html><html><head><title data-persona="trait:firstName">T</title></head><body>
<div id="outer" data-persona-variants>
  <div data-persona-variant="knitting yarn">K<div id="inner" data-persona-variants><i data-persona-variant="golf">G</i><i data-persona-variant="running &amp; trail shoes">R</i></div></div>
  <div data-persona-variant="running &amp; marathon">M</div>
</div>
<div id="self" data-persona-variants data-persona-variant="running"><b data-persona-variant="golf">g</b><b data-persona-variant="running shoes">r</b></div>
<div id="long" data-persona-variants><p data-persona-variant="golf clubs">short</p><p data-persona-variant="${'x '.repeat(300)}running trail shoes">past the byte cap</p></div>
<textarea data-persona="trait:firstName">authored textarea</textarea><noscript data-persona="trait:firstName">ns</noscript>
<p id="plain" data-persona="trait:firstName" data-persona-default="there">x</p>
<p data-persona-if="audience:no_such_audience">IF</p><p data-persona-unless="trait:no_such_trait">UNLESS</p>
</body></html>`,
};

let mf; let base; let origin; let pkg; let browser;
const workerOut = new Map();

before(async () => {
  assert.ok(existsSync(path.join(DIST, 'web/index.js')) && existsSync(path.join(DIST, 'dom.js')), 'npm/dist is missing: run scripts/npm.sh build');
  assert.ok(existsSync(path.join(ROOT, 'npm/node_modules/playwright-core')), 'npm/node_modules/playwright-core is missing: run scripts/npm.sh build (npm ci in npm/)');
  const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
  assert.ok(existsSync(chromiumPath), `no Chromium at ${chromiumPath} (CHROMIUM): run ./dev setup, which installs Debian's chromium`);
  const seeds = compileSeeds([path.join(FIXTURES, 'profile-retail-jeff.json')]);
  const snap = seeds.find((e) => e.key === `snapb:v1:${JEFF}`).value;
  origin = await listen((req, res) => {
    const name = decodeURIComponent(new URL(req.url, 'http://x').pathname.slice(1));
    if (!(name in PAGES)) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(PAGES[name]);
  });
  // What Chromium loads: the package, the snapshot, the pages personalized by the DOM module, and
  // the Worker's output as it came.
  const types = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.cjs': 'text/javascript' };
  pkg = await listen((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname.startsWith('/pkg/')) {
      const file = path.join(DIST, url.pathname.slice(5));
      if (!file.startsWith(DIST) || !existsSync(file)) { res.writeHead(404); res.end(); return; }
      res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
      res.end(readFileSync(file));
      return;
    }
    if (url.pathname === '/snap') { res.writeHead(200, { 'content-type': 'application/octet-stream' }); res.end(snap); return; }
    const name = url.searchParams.get('page');
    if (!['/worker', '/browser'].includes(url.pathname) || !(name in PAGES)) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    if (url.pathname === '/worker') { res.end(workerOut.get(name)); return; }
    const script = `<script type="module">
import { Personalizer } from '/pkg/web/index.js';
import { personalize } from '/pkg/dom.js';
const bytes = new Uint8Array(await (await fetch('/snap')).arrayBuffer());
personalize(document.documentElement, await Personalizer.fromSnapshot(bytes), { now: Date.now() });
document.documentElement.dataset.done = '1';
</script>`;
    res.end(PAGES[name].replace('</body>', `${script}</body>`));
  });
  mf = new Miniflare(workerOptions({ IDENTITY_SECRET: SECRET, ORIGIN_URL: origin.url, SNAPSHOT_CACHE_SECONDS: '600' }));
  base = (await mf.ready).toString();
  await seedKv(await mf.getKVNamespace('PROFILES'), seeds);
  const { launchChromium } = await import(path.join(ROOT, 'npm/test/chromium.mjs'));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await mf?.dispose();
  await origin?.close();
  pkg?.server.closeAllConnections();
  await pkg?.close();
});

/**
 * What a reader sees: the visible text, and the variant each visible group chose. (A group inside a
 * variant not chosen is dropped at the edge and hidden in the browser: neither is seen.)
 */
async function rendering(url, waitForScript) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(url);
    if (waitForScript) await page.waitForSelector('html[data-done]', { timeout: 15000 });
    assert.deepEqual(errors, []);
    return await page.evaluate(() => ({
      text: document.body.innerText.replace(/\s+/g, ' ').trim(),
      chosen: Array.from(document.querySelectorAll('[data-persona-chosen]')).filter((g) => g.checkVisibility())
        .map((g) => `${g.id}:${g.getAttribute('data-persona-chosen')}`),
    }));
  } finally {
    await context.close();
  }
}

for (const name of Object.keys(PAGES)) {
  test(`same result in Chromium (npm package) and the Worker (workerd): ${name}`, async () => {
    const res = await fetch(new URL(`/${encodeURIComponent(name)}`, base), {
      headers: { cookie: `ep_id=${token(JEFF, { format: 'cookie' })}`, 'accept-encoding': 'identity' },
    });
    assert.equal(res.status, 200);
    workerOut.set(name, await res.text());
    const q = `?page=${encodeURIComponent(name)}`;
    const edge = await rendering(`${pkg.url}/worker${q}`, false);
    const dom = await rendering(`${pkg.url}/browser${q}`, true);
    assert.deepEqual(dom, edge);
    if (name.startsWith('group cap')) assert.deepEqual(edge.chosen, ['g64:63'], 'the 65-variant group stays as authored');
    if (name.startsWith('page cap')) assert.deepEqual(edge.chosen, ['p0:59', 'p1:59', 'p2:59', 'p3:59'], 'past 256 variants, as authored');
  });
}
