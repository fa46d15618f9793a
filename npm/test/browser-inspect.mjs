// The inspector (www/inspect.html) in headless Chromium (playwright-core), on snapshots compiled by
// the CLI: the first item and the factor bars of five dev questions against `edge-persona rank`,
// withheld items listed by key and class and never by value, hostile values drawn as text, the
// large fixture's load and render times (reported, not asserted), and keyboard-only use.
// Screenshots: npm/test/artifacts/ (full pages) and docs/images/ (the two the docs show).
// Needs the npm package built (scripts/npm.sh build) and the CLI (EDGE_PERSONA_CLI, or the release
// binary of CARGO_TARGET_DIR); scripts/npm.sh test runs it after both.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { launchChromium, startDemo } from './chromium.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const artifacts = join(here, 'artifacts');
const images = join(root, 'docs/images');
const snapshots = join(root, 'www/snapshots');
for (const d of [artifacts, images, snapshots]) mkdirSync(d, { recursive: true });

const cliPath = process.env.EDGE_PERSONA_CLI
  ?? join(resolve(root, process.env.CARGO_TARGET_DIR ?? 'target'), 'release/edge-persona');
if (!existsSync(cliPath)) {
  console.error(`no CLI at ${cliPath}: build it (cargo build --release --features cli) or set EDGE_PERSONA_CLI`);
  process.exit(1);
}
if (!existsSync(join(root, 'npm/dist/web/compiler/edge_persona.js'))) {
  console.error('no npm/dist: build the package first (scripts/npm.sh build)');
  process.exit(1);
}
const cli = (...args) => execFileSync(cliPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const dev = JSON.parse(readFileSync(join(root, 'fixtures/relevance-dev.json'), 'utf8'));
const NOW = dev.now.replace('.000Z', 'Z');
// Five dev questions of the jeff profile, and personal data of it that must never be shown.
const QUESTIONS = dev.cases.filter((c) => c.profile === 'profile-retail-jeff').slice(0, 5);
const SECRETS = ['jeff@example.com', '+1 415 555 0142', '555 0142', '101 Spear Street', '94105', '1977-12-04'];
const HOSTILE_SECRETS = ['mallory@example.com', '+1 212 555 0199', '555 0199', '1 Hostile Way'];

// The snapshots, compiled with the server policy (which keeps withheld keys and classes).
function compile(input, name, policy) {
  cli('compile', input, '-o', join(snapshots, name), '--policy', policy);
  return `/snapshots/${name}`;
}
const jeffServer = compile(join(root, 'fixtures/profile-retail-jeff.json'), 'inspect-jeff-server.snap', 'server');
const jeffBrowser = compile(join(root, 'fixtures/profile-retail-jeff.json'), 'inspect-jeff-browser.snap', 'browser');
const hostileServer = compile(join(here, 'profile-hostile.json'), 'inspect-hostile-server.snap', 'server');
const scratch = mkdtempSync(join(tmpdir(), 'ep-inspect-'));
const largeJson = join(scratch, 'profile-retail-large.json');
writeFileSync(largeJson, gunzipSync(readFileSync(join(root, 'fixtures/profile-retail-large.json.gz'))));
const large = compile(largeJson, 'inspect-large-server.snap', 'server');
rmSync(scratch, { recursive: true, force: true });

/** What `edge-persona rank` answers (the inspector's defaults: limit 10). */
function rank(snapshot, query) {
  return JSON.parse(cli('rank', '--profile', join(root, 'www', snapshot), '--query', query, '--now', NOW, '--format', 'json', '--limit', '10')).items;
}

const { url, child } = await startDemo();
const browser = await launchChromium();
const failures = [];
async function check(name, fn) {
  try { await fn(); console.log(`  ok  ${name}`); } catch (e) { failures.push(name); console.log(`  FAIL ${name}\n${e.stack}`); }
}

async function open(snapshot, { q = '', width = 1280 } = {}) {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${url}inspect.html?snapshot=${encodeURIComponent(snapshot)}&now=${NOW}&q=${encodeURIComponent(q)}`);
  await page.waitForSelector('html[data-state]', { timeout: 30000 });
  return { page, context, errors };
}

/** Types a question into the page (as a user would) and waits for the answer to be drawn. */
async function ask(page, question) {
  const before = Number(await page.getAttribute('html', 'data-run'));
  await page.fill('#query', question);
  await page.click('#run');
  await page.waitForFunction((n) => Number(document.documentElement.dataset.run) > n, before, { timeout: 30000 });
}

/** The rows as drawn: id, shown score, and the values of the bar's parts. */
const drawnRows = (page) => page.$$eval('li.row', (rows) => rows.map((li) => ({
  index: Number(li.id.replace('row-', '')),
  id: li.dataset.id,
  score: Number(li.dataset.score),
  shown: li.querySelector('.score').textContent,
  parts: [...li.querySelectorAll('svg.bar rect[data-part]')].map((r) => Number(r.dataset.value)),
  placement: li.dataset.placement,
})).sort((a, b) => a.index - b.index));

const domText = (page) => page.evaluate(() => document.documentElement.outerHTML + document.body.innerText);
const close = (a, b) => Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b));

try {
  // 1. Five dev questions on the jeff server snapshot: the order, the first item and the bars.
  const jeff = await open(jeffServer);
  await check('jeff (server policy): the snapshot loads without errors', async () => {
    assert.equal(await jeff.page.getAttribute('html', 'data-state'), 'ready', await jeff.page.textContent('#status'));
    assert.match(await jeff.page.textContent('#status'), /server policy, 132 traits, 2,114 events/);
  });
  for (const c of QUESTIONS) {
    await check(`${c.id}: the first item and each bar's parts sum to the score rank gives`, async () => {
      await ask(jeff.page, c.query);
      const want = rank(jeffServer, c.query);
      const rows = await drawnRows(jeff.page);
      assert.ok(want.length > 0, 'rank found something');
      assert.equal(rows[0].id, want[0].id, 'the first item');
      // The ranked rows (the ones past the limit follow them) are rank's items in rank's order.
      assert.deepEqual(rows.slice(0, want.length).map((r) => r.id), want.map((i) => i.id));
      for (const [k, item] of want.entries()) {
        const row = rows[k];
        const sum = row.parts.reduce((a, v) => a + v, 0);
        assert.ok(row.parts.length > 0, `${item.id} has a bar`);
        assert.ok(close(sum, item.score), `${item.id}: parts sum to ${sum}, rank says ${item.score}`);
        assert.ok(close(Number(row.shown), Number(item.score.toPrecision(4))), `${item.id}: shows ${row.shown}`);
      }
      // Every row in the block is one of the context's item lines.
      const inBlock = rows.filter((r) => r.placement === 'context').map((r) => r.id);
      const lines = await jeff.page.$$eval('#context-lines tbody tr[data-item]', (trs) => trs.map((tr) => tr.dataset.item));
      assert.deepEqual(lines, inBlock);
    });
  }
  await check('jeff: the context block\'s token counts add up, within the budget', async () => {
    await ask(jeff.page, QUESTIONS[0].query);
    const cells = await jeff.page.$$eval('#context-lines tbody tr', (trs) => trs.map((tr) => Number(tr.cells[2].textContent)));
    const summary = await jeff.page.textContent('#context-summary');
    const [, tokens, budget] = summary.match(/(\d+) of (\d+) tokens/).map(Number);
    assert.ok(tokens <= budget, summary);
    // --limit 10: the page's and the engine's default (the CLI's context says 12).
    const block = cli('context', '--profile', join(root, 'www', jeffServer), '--query', QUESTIONS[0].query, '--now', NOW, '--budget', '200', '--limit', '10');
    const drawn = await jeff.page.$$eval('#context-lines tbody code.line', (c) => c.map((x) => x.textContent).join('\n'));
    assert.equal(drawn, block.replace(/\n$/, ''), 'the block exactly as the CLI renders it');
    assert.ok(Math.abs(cells.reduce((a, n) => a + n, 0) - tokens) <= cells.length, 'per-line tokens add up to the block (each rounded up)');
  });
  await check('jeff: withheld items are listed by key and class, never by value', async () => {
    const withheld = await jeff.page.$$eval('#withheld tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent)));
    const ids = withheld.map((r) => r[0]).sort();
    assert.deepEqual(ids, ['trait:address', 'trait:birthday', 'trait:email', 'trait:phone']);
    assert.ok(withheld.every((r) => r[3] && r[4].length > 0), 'each with its class and rule');
    // Questions that rank the withheld traits themselves.
    const ranked = new Set();
    for (const q of ['What is my email, phone number and home address?', 'Where is my order? It still hasn\'t arrived.', 'Please stop sending me SMS messages']) {
      await ask(jeff.page, q);
      for (const d of await jeff.page.$$('details')) await d.evaluate((e) => { e.open = true; });
      const dom = await domText(jeff.page);
      for (const s of SECRETS) assert.ok(!dom.includes(s), `${JSON.stringify(s)} in the DOM after ${JSON.stringify(q)}`);
      for (const r of await drawnRows(jeff.page)) ranked.add(r.id);
    }
    const shown = ids.filter((id) => ranked.has(id));
    assert.ok(shown.length >= 2, `withheld traits were ranked and drawn without their values (${shown.join(', ')})`);
  });
  await check('jeff: a ranking setting changed in the form reaches the engine (no thread weight, no thread part)', async () => {
    await ask(jeff.page, QUESTIONS[1].query);
    const parts = async () => jeff.page.$$eval('li.row', (rows) => rows.flatMap((li) => [...li.querySelectorAll('svg.bar rect[data-part]')].map((r) => r.dataset.part)));
    assert.ok((await parts()).includes('thread'), 'by default a thread lifts an item');
    await jeff.page.$eval('#settings-panel', (d) => { d.open = true; });
    assert.equal(await jeff.page.isChecked('input[data-setting="thread_adds_unmatched"]'), true, 'a boolean setting is a checkbox');
    await jeff.page.fill('input[data-setting="thread_weight"]', '0');
    await jeff.page.dispatchEvent('input[data-setting="thread_weight"]', 'change');
    await ask(jeff.page, QUESTIONS[1].query);
    assert.ok(!(await parts()).includes('thread'), 'no thread part once thread_weight is 0');
    await jeff.page.click('#reset-settings');
    await jeff.page.$eval('#settings-panel', (d) => { d.open = false; });
  });
  await ask(jeff.page, QUESTIONS[1].query);
  await jeff.page.mouse.move(0, 0); // no row highlighted under the pointer
  await jeff.page.screenshot({ path: join(artifacts, 'inspect-jeff.png'), fullPage: true });
  await jeff.page.locator('#results').screenshot({ path: join(images, 'inspector-ranked.png') });
  await jeff.page.locator('#withheld-section').screenshot({ path: join(images, 'inspector-withheld.png') });
  await check('jeff: no console errors', async () => assert.deepEqual(jeff.errors, []));
  await jeff.context.close();

  // 2. A browser-policy snapshot: nothing withheld is left, and the page says so.
  const jb = await open(jeffBrowser, { q: QUESTIONS[0].query });
  await check('jeff (browser policy): says withheld items were removed at compile time', async () => {
    assert.equal(await jb.page.getAttribute('html', 'data-state'), 'ready');
    assert.match(await jb.page.textContent('#withheld-note'), /removed when it was compiled[\s\S]*--policy server/);
    assert.equal(await jb.page.locator('#withheld tbody tr').count(), 0);
    const dom = await domText(jb.page);
    for (const s of SECRETS) assert.ok(!dom.includes(s), s);
  });
  await jb.context.close();

  // 3. Hostile values: markup in values is text; personal data never shown.
  const hostile = await open(hostileServer, { q: 'what is my name and title?' });
  await check('hostile profile: markup in values is drawn as text, never run; personal data not shown', async () => {
    assert.equal(await hostile.page.getAttribute('html', 'data-state'), 'ready');
    for (const d of await hostile.page.$$('details')) await d.evaluate((e) => { e.open = true; });
    await ask(hostile.page, 'first name title quote inline js css');
    assert.equal(await hostile.page.evaluate(() => window.__pwned), undefined);
    assert.equal(await hostile.page.locator('main img, main script, main style, main [onerror], main [onmouseover]').count(), 0);
    const text = await hostile.page.textContent('#results');
    assert.ok(text.includes('firstName'), 'the hostile trait was ranked');
    const dom = await domText(hostile.page);
    for (const s of HOSTILE_SECRETS) assert.ok(!dom.includes(s), s);
    assert.deepEqual(hostile.errors, []);
  });
  await check('hostile profile: a pasted page\'s slots are resolved in an inert document', async () => {
    await hostile.page.fill('#page-html', '<p data-persona="trait:firstName">x</p><p data-persona="trait:email" data-persona-default="you">y</p><script>window.__pwned="pasted"</script><img src=x onerror="window.__pwned=\'pasted-img\'">');
    await hostile.page.click('#resolve-page');
    await hostile.page.waitForSelector('#page-report table');
    const report = await hostile.page.textContent('#page-report');
    assert.ok(report.includes('<img src=x onerror="window.__pwned=\'img\'">'), 'the value, as text');
    assert.match(report, /withheld \(email\)/);
    await hostile.page.waitForTimeout(200); // a script or an image error would have run by now
    assert.equal(await hostile.page.evaluate(() => window.__pwned), undefined);
    assert.equal(await hostile.page.locator('main img, main script').count(), 0);
    const dom = await domText(hostile.page);
    for (const s of HOSTILE_SECRETS) assert.ok(!dom.includes(s), s);
  });
  await hostile.context.close();

  // 4. The large fixture: load and render times, reported (never asserted).
  const t0 = performance.now();
  const big = await open(large);
  const wall = performance.now() - t0;
  await check('large profile: loads and answers the dev questions', async () => {
    assert.equal(await big.page.getAttribute('html', 'data-state'), 'ready', await big.page.textContent('#status'));
    const times = [];
    for (const c of QUESTIONS) {
      await ask(big.page, c.query);
      times.push(Number(await big.page.getAttribute('html', 'data-render-ms')));
      assert.ok((await drawnRows(big.page)).length > 0, c.query);
    }
    const sorted = [...times].sort((a, b) => a - b);
    const load = Number(await big.page.getAttribute('html', 'data-load-ms'));
    const status = await big.page.textContent('#status');
    console.log(`  (measured, not asserted) large fixture: ${status.replace(/^.*?: /, '')}`);
    console.log(`  (measured, not asserted) navigation to ready ${wall.toFixed(0)} ms (wasm, knowledge pack, snapshot fetched); decode + overview + first answer drawn ${load.toFixed(0)} ms; answer + draw per question: median ${sorted[2].toFixed(1)} ms, max ${sorted[4].toFixed(1)} ms (${times.map((t) => t.toFixed(1)).join(', ')})`);
  });
  await big.context.close();

  // 5. Keyboard only: reach the question, ask, open a row's explanation, follow a block line.
  const kb = await open(jeffServer);
  await check('keyboard only: Tab to the question, Enter asks, Enter opens a row, a block line jumps to its row', async () => {
    const { page } = kb;
    const focusedId = () => page.evaluate(() => document.activeElement?.id ?? '');
    let presses = 0;
    while ((await focusedId()) !== 'query' && presses < 40) { await page.keyboard.press('Tab'); presses += 1; }
    assert.equal(await focusedId(), 'query', 'the question is reachable by Tab');
    const before = Number(await page.getAttribute('html', 'data-run'));
    await page.keyboard.type(QUESTIONS[3].query);
    await page.keyboard.press('Enter');
    await page.waitForFunction((n) => Number(document.documentElement.dataset.run) > n, before);
    assert.equal(await page.getAttribute('#row-0', 'data-id'), rank(jeffServer, QUESTIONS[3].query)[0].id);
    // On to the first row's summary.
    presses = 0;
    while (!(await page.evaluate(() => document.activeElement?.closest('#row-0') !== null && document.activeElement?.tagName === 'SUMMARY')) && presses < 80) {
      await page.keyboard.press('Tab'); presses += 1;
    }
    assert.ok(presses < 80, 'the first row is reachable by Tab');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.querySelector('#row-0 details').open), true, 'Enter opens it');
    assert.match(await page.textContent('#row-0 .explain'), /repeat = /);
    // The focus is visible (an outline), not only there.
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.notEqual(outline, 'none');
    // A line of the context block links to its row.
    presses = 0;
    while (!(await page.evaluate(() => document.activeElement?.closest('#context-lines') !== null)) && presses < 120) {
      await page.keyboard.press('Tab'); presses += 1;
    }
    assert.ok(presses < 120, 'the block\'s lines are reachable by Tab');
    const href = await page.evaluate(() => document.activeElement.getAttribute('href'));
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => location.hash), href);
    await page.screenshot({ path: join(artifacts, 'inspect-keyboard.png') });
    assert.deepEqual(kb.errors, []);
  });
  await kb.context.close();
} finally {
  await browser.close();
  child.kill();
}
if (failures.length) {
  console.log(`inspector in Chromium: ${failures.length} check(s) failed: ${failures.join('; ')}`);
  process.exit(1);
}
console.log(`inspector in Chromium: all checks passed; screenshots in ${artifacts} and ${images}`);
