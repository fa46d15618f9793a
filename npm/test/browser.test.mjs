// playwright-core + Debian's Chromium (headless) against the www/ demo served on 127.0.0.1, and the
// Vite build made by package.test.mjs. Screenshots go to npm/test/artifacts/.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, startDemo } from './chromium.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const artifacts = join(here, 'artifacts');
mkdirSync(artifacts, { recursive: true });
const NOW = '2026-11-20T12:00:00Z';
// Personal data of the jeff profile that the browser policy must keep out of the page.
const SECRETS = ['jeff@example.com', '+1 415 555 0142', '555 0142', '101 Spear Street', '94105', '1977-12-04'];

function serveDir(dir) {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const file = resolve(dir, `.${path === '/' ? '/index.html' : path}`);
    if (!file.startsWith(dir + sep) || !existsSync(file)) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok({ server, url: `http://127.0.0.1:${server.address().port}/` })));
}

const { url, child } = await startDemo();
const browser = await launchChromium();

async function open(query, { javaScriptEnabled = true } = {}) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, javaScriptEnabled });
  const page = await context.newPage();
  const consoleErrors = [];
  const pageErrors = [];
  const received = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('response', async (r) => { try { received.push({ url: r.url(), body: await r.body() }); } catch { /* redirects have no body */ } });
  await page.goto(`${url}${query}`);
  if (javaScriptEnabled) await page.waitForSelector('html[data-persona]', { timeout: 15000 });
  return { page, context, consoleErrors, pageErrors, received };
}

const visible = (page, sel) => page.locator(sel).isVisible();
const failures = [];
async function check(name, fn) {
  try { await fn(); console.log(`  ok  ${name}`); } catch (e) { failures.push(name); console.log(`  FAIL ${name}\n${e.stack}`); }
}

try {
  // 1. jeff: personalized.
  const jeff = await open(`?user=jeff&now=${NOW}`);
  await check('jeff: personalization ran without errors', async () => {
    assert.equal(await jeff.page.getAttribute('html', 'data-persona'), 'ready');
    assert.deepEqual(jeff.pageErrors, []);
    assert.deepEqual(jeff.consoleErrors, []);
  });
  await check('jeff: greeting slot', async () => {
    assert.equal(await jeff.page.textContent('#greeting [data-persona]'), 'Jeff');
  });
  await check('jeff: the running-shoes hero variant is chosen, the others hidden', async () => {
    assert.ok(await visible(jeff.page, '[data-hero="running"]'));
    for (const h of ['default', 'golf', 'yoga']) assert.ok(!(await visible(jeff.page, `[data-hero="${h}"]`)), h);
    assert.equal(await jeff.page.getAttribute('#hero', 'data-persona-chosen'), '1');
  });
  await check('jeff: recommendations strip variants', async () => {
    assert.ok(await visible(jeff.page, '#rec-shoes [data-persona-variant="trail running shoes"]'));
    assert.ok(!(await visible(jeff.page, '#rec-shoes [data-persona-variant="sandals flip flops"]')));
    assert.ok(await visible(jeff.page, '#rec-apparel [data-persona-variant="rain jacket storm shell"]'));
    assert.ok(await visible(jeff.page, '#rec-gear [data-persona-variant="tennis racket strings"]'));
  });
  await check('jeff: audience blocks shown and hidden', async () => {
    assert.ok(await visible(jeff.page, '#promo-runners'), 'running_enthusiasts');
    assert.ok(await visible(jeff.page, '#promo-vip'), 'high_value_customers');
    assert.equal(await jeff.page.textContent('#promo-vip [data-persona]'), 'Gold');
    assert.ok(!(await visible(jeff.page, '#promo-winter')), 'winter_jacket_intenders is false');
    assert.ok(!(await visible(jeff.page, '#promo-sms')), 'unless sms_opt_in');
  });
  await check('jeff: the chat box shows the exact context and request for what the user types', async () => {
    assert.match(await jeff.page.textContent('#chat-context'), /Shoe size: "10\.5"/);
    await jeff.page.fill('#chat-input', 'How many loyalty points do I have?');
    await jeff.page.click('#chat-form button');
    const ctx = await jeff.page.textContent('#chat-context');
    assert.match(ctx, /^<user_profile_context>[\s\S]*Loyalty points: "18420"[\s\S]*<\/user_profile_context>$/);
    const body = JSON.parse(await jeff.page.textContent('#chat-body'));
    assert.equal(body.messages[1].role, 'system');
    assert.equal(body.messages[1].content, ctx);
    assert.equal(body.messages[2].content, 'How many loyalty points do I have?');
  });
  await check('jeff: no email, phone or address in anything the browser received or shows', async () => {
    await jeff.page.fill('#chat-input', 'What is my email, phone number and home address?');
    await jeff.page.click('#chat-form button');
    const snap = jeff.received.find((r) => r.url.endsWith('/snapshots/jeff.snap'));
    assert.ok(snap && snap.body.length > 1000, 'the snapshot was fetched');
    const dom = await jeff.page.evaluate(() => document.documentElement.outerHTML + document.body.innerText);
    for (const s of SECRETS) {
      for (const r of jeff.received) assert.ok(!r.body.includes(s), `${s} in ${r.url}`);
      assert.ok(!dom.includes(s), `${s} in the DOM`);
    }
  });
  await jeff.page.fill('#chat-input', 'Can you recommend some running shoes in my size?');
  await jeff.page.click('#chat-form button');
  await jeff.page.screenshot({ path: join(artifacts, 'demo-jeff.png'), fullPage: true });
  await jeff.context.close();

  // 2. A hostile profile: markup in trait values renders as text.
  const hostile = await open(`?user=hostile&now=${NOW}`);
  await check('hostile: <img onerror> and <script> values render as text, never run', async () => {
    assert.equal(await hostile.page.getAttribute('html', 'data-persona'), 'ready');
    assert.equal(await hostile.page.textContent('#greeting [data-persona]'), '<img src=x onerror="window.__pwned=\'img\'">');
    assert.equal(await hostile.page.locator('#greeting img').count(), 0);
    await hostile.page.fill('#chat-input', 'what is my title?');
    await hostile.page.click('#chat-form button');
    // The context block neutralizes markup-like text for the LLM too (render::neutralize).
    assert.match(await hostile.page.textContent('#chat-context'), /Title: "‹script›window\.__pwned='script'‹\/script›"/);
    assert.equal(await hostile.page.locator('main script, main img').count(), 0);
    assert.equal(await hostile.page.evaluate(() => window.__pwned), undefined);
    assert.deepEqual(hostile.pageErrors, []);
  });
  await hostile.page.screenshot({ path: join(artifacts, 'demo-hostile.png') });
  await hostile.context.close();

  // 2b. Slots where a value would be code, CSS or markup: never filled (www/hostile-slots.html).
  {
    const context = await browser.newContext();
    const page = await context.newPage();
    const requests = [];
    const pageErrors = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(`${url}hostile-slots.html`);
    await page.waitForSelector('html[data-persona]', { timeout: 15000 });
    await page.waitForTimeout(200); // an @import or a script would have started by now
    await check('hostile slots: nothing filled inside script, style, title, textarea, template, noscript, svg style', async () => {
      assert.equal(await page.textContent('#plain'), 'Running Shoes', 'an ordinary slot is filled');
      assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no trait value ran as a script');
      assert.deepEqual(requests.filter((u) => u.includes('offhost')), [], 'no stylesheet loaded from a trait value');
      assert.equal(await page.title(), 'authored title');
      assert.equal(await page.evaluate(() => document.querySelector('style').textContent), '/* authored css */');
      assert.equal(await page.inputValue('#ta'), 'authored textarea');
      assert.equal(await page.textContent('#svg-style'), '/* authored svg css */');
      assert.equal(await page.evaluate(() => document.querySelector('#tpl').content.textContent), 'authored template');
      assert.equal(await page.evaluate(() => document.querySelector('noscript').textContent), 'authored noscript');
      assert.equal(await page.getAttribute('#btn', 'onclick'), 'window.__clicked = 1', 'attributes untouched');
      assert.equal(await page.textContent('#btn'), "\" onmouseover=\"window.__pwned='attr'", 'a value is text');
      assert.equal(await page.locator('[onmouseover]').count(), 0);
      assert.deepEqual(pageErrors, []);
    });
    await context.close();
  }

  // 3. Corrupt and wrong snapshots: the page stays as authored; the console names the code.
  const authored = await open('', { javaScriptEnabled: false });
  const part = (page) => page.evaluate(() => ['#greeting', '#hero', '.audiences', '.recs'].map((s) => document.querySelector(s).outerHTML).join('\n'));
  const defaults = await part(authored.page);
  await authored.context.close();
  for (const name of ['corrupt', 'garbage']) {
    const bad = await open(`?user=${name}&now=${NOW}`);
    await check(`${name} snapshot: default page and a console error naming the code`, async () => {
      assert.equal(await bad.page.getAttribute('html', 'data-persona'), 'failed');
      assert.equal(await part(bad.page), defaults);
      assert.equal(await bad.page.textContent('#greeting [data-persona]'), 'there');
      assert.ok(await visible(bad.page, '[data-hero="default"]'));
      assert.ok(!(await visible(bad.page, '#promo-runners')));
      assert.ok(bad.consoleErrors.some((m) => m.includes('E_SNAPSHOT_CORRUPT')), bad.consoleErrors.join('\n'));
      assert.deepEqual(bad.pageErrors, []);
    });
    if (name === 'corrupt') await bad.page.screenshot({ path: join(artifacts, 'demo-corrupt.png') });
    await bad.context.close();
  }

  // 4. The benchmark page runs in Chromium and reports its figures (timing is the benchmark's to
  //    measure and judge: scripts/npm.sh bench; nothing here asserts on time).
  {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${url}bench.html`);
    await page.waitForSelector('html[data-result]', { timeout: 30000 });
    const r = JSON.parse(await page.getAttribute('html', 'data-result'));
    console.log(`  Chromium timing (jeff): cold start ${r.coldStartMs.toFixed(1)} ms (instantiate ${r.instantiateMs.toFixed(1)} + first request ${r.firstRequestMs.toFixed(1)}; the import before it ${r.importMs.toFixed(1)}); warm decode + rank + render median ${r.warmMedianMs.toFixed(3)} ms`);
    await check('the benchmark page completes with every figure', async () => {
      for (const k of ['coldStartMs', 'instantiateMs', 'firstRequestMs', 'importMs', 'warmMedianMs']) assert.ok(Number.isFinite(r[k]) && r[k] >= 0, `${k}: ${JSON.stringify(r)}`);
    });
    await context.close();
  }

  // 5. The Vite production build from the tarball (package.test.mjs), in the browser.
  const viteDist = resolve(here, '../.scratch/consumer/dist');
  await check('the Vite build from the tarball exists (package.test.mjs makes it; scripts/npm.sh test runs it first)', async () => assert.ok(existsSync(viteDist), viteDist));
  if (existsSync(viteDist)) {
    const { server, url: viteUrl } = await serveDir(viteDist);
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto(viteUrl);
    await page.waitForSelector('html[data-done]', { timeout: 15000 });
    await check('Vite build in Chromium: snapshot, slots, variants, on-demand compiler', async () => {
      assert.equal(await page.getAttribute('html', 'data-done'), 'ok', errors.join('\n'));
      assert.equal(await page.textContent('[data-persona]'), 'Jeff');
      assert.ok(await page.locator('[data-persona-variant="running shoes"]').isVisible());
      assert.ok(await page.locator('#runners').isVisible());
      assert.deepEqual(JSON.parse(await page.textContent('#out')), { top: 'trait:shoe_size', compiled: 'Jeff' });
    });
    await context.close();
    server.close();
  }
} finally {
  await browser.close();
  child.kill();
}
if (failures.length) {
  console.error(`${failures.length} browser check(s) failed`);
  process.exit(1);
}
console.log(`Chromium: all checks passed; screenshots in ${artifacts}`);
