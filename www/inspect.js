// The inspector (www/inspect.html): why the engine chose what it chose for a question, drawn. The
// answers come as JSON from the Rust core's `inspect` module (src/inspect/), either through the wasm
// Inspector of the npm package's web build (a snapshot loaded in this browser) or from the Worker's
// /inspect/api/ (a person's server snapshot); this file only asks and draws.
//
// Profile values are data: every one becomes a text node (textContent, createTextNode) or an SVG
// attribute set to a number; nothing is ever parsed as HTML into this page. A pasted page is parsed
// into a separate, inert document (DOMParser: no script runs, nothing loads) that only the DOM
// module reads and writes.

const $ = (id) => document.getElementById(id);
const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.content ?? '';
const MODE = meta('edge-persona-inspect') === 'worker' ? 'worker' : 'file';
const PKG = meta('edge-persona-pkg') || '/pkg/';
const params = new URLSearchParams(location.search);
const SVG = 'http://www.w3.org/2000/svg';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

// ---------------------------------------------------------------------------------------------
// Building DOM without HTML: elements, text and SVG.

/** An element; `attrs` are attributes (strings or numbers), children are nodes or texts. */
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null && v !== false) e.setAttribute(k, String(v));
  e.append(...children.flat().filter((c) => c !== undefined && c !== null && c !== false).map((c) => (typeof c === 'string' || typeof c === 'number' ? String(c) : c)));
  return e;
}

/** An SVG element with numeric or class attributes. */
function svg(tag, attrs = {}, ...children) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  e.append(...children.filter(Boolean));
  return e;
}

/** An SVG tooltip. */
const tip = (text) => svg('title', {}, document.createTextNode(text));

const fmt = (x, digits = 3) => (Number.isFinite(x) ? Number(x.toPrecision(digits)).toString() : String(x));
const plural = (n, word) => `${n.toLocaleString('en')} ${word}${n === 1 ? '' : 's'}`;

function fmtAge(ms) {
  const a = Math.abs(ms);
  const s = a < HOUR ? `${Math.round(a / 60000)} min` : a < 2 * DAY ? `${Math.round(a / HOUR)} h`
    : a < 60 * DAY ? `${Math.round(a / DAY)} d` : a < 730 * DAY ? `${Math.round(a / (30 * DAY))} mo` : `${(a / (365 * DAY)).toFixed(1)} y`;
  return ms < 0 ? `in ${s}` : `${s} ago`;
}

const iso = (ms) => new Date(ms).toISOString().replace('.000Z', 'Z');

// ---------------------------------------------------------------------------------------------
// The score's factors as parts that add up to it.

/**
 * Splits a score into additive parts, following the formula of src/rank/explain.rs:
 * `score = (lexical·coverage·recency·frequency / relevanceScale + salience + thread) · repeat`.
 * The lexical score is split by term; each multiplier is applied in turn to the parts so far: a
 * multiplier above 1 adds a part of its own (recency of a trait, frequency), one below 1 shrinks
 * every part and what it took away is returned in `lost` (not part of the score). Then salience and
 * thread are added, and repeat applies to all. So the parts sum to the score.
 */
export function factorParts(e) {
  const terms = e.terms ?? [];
  const termSum = terms.reduce((a, t) => a + t.score, 0);
  let parts = [];
  if (e.lexical > 0) {
    parts = terms.length && termSum > 0
      ? terms.map((t) => ({ kind: 'term', term: t.term, via: t.via, value: (t.score * e.lexical) / termSum }))
      : [{ kind: 'lexical', value: e.lexical }];
  }
  const lost = [];
  const total = () => parts.reduce((a, p) => a + p.value, 0);
  const scale = (m) => { for (const p of [...parts, ...lost]) p.value *= m; };
  const apply = (kind, m) => {
    const t = total();
    if (!(t > 0) || m === 1 || !Number.isFinite(m)) return;
    if (m > 1) parts.push({ kind, value: t * (m - 1) });
    else { for (const p of parts) p.value *= m; lost.push({ kind, value: t * (1 - m) }); }
  };
  apply('coverage', e.coverage);
  apply('recency', e.recency);
  apply('frequency', e.frequency);
  const rs = e.salience?.relevance_scale;
  if (rs > 0 && rs !== 1) scale(1 / rs);
  if (e.salience) parts.push({ kind: 'salience', value: e.salience.weight * e.salience.value });
  if (e.thread > 0) parts.push({ kind: 'thread', value: e.thread });
  apply('repeat', e.repeat);
  return { parts: parts.filter((p) => p.value > 0), lost: lost.filter((p) => p.value > 0) };
}

const PART_NAMES = {
  lexical: 'lexical', coverage: 'coverage', recency: 'recency', frequency: 'frequency', salience: 'salience',
  thread: 'thread', repeat: 'repeat',
};

function partLabel(p) {
  if (p.kind === 'term') return p.via ? `${p.term} (via ${p.via})` : p.term;
  return PART_NAMES[p.kind] ?? p.kind;
}

// ---------------------------------------------------------------------------------------------
// Engines: the same JSON answers from the browser's wasm or from the Worker.

async function fileEngine(bytes) {
  const m = await import(`${PKG}web/compiler/edge_persona.js`);
  await m.default();
  // The knowledge pack, so that ranking here matches the CLI and the Worker (npm: loadKnowledge).
  if (!fileEngine.knowledge) {
    const res = await fetch(`${PKG}knowledge.bin`);
    if (!res.ok) throw Object.assign(new Error(`knowledge pack: HTTP ${res.status}`), { code: 'E_KNOWLEDGE_INVALID' });
    m.installKnowledge(new Uint8Array(await res.arrayBuffer()));
    fileEngine.knowledge = true;
  }
  const inspector = m.Inspector.fromSnapshot(bytes);
  return {
    label: 'this browser (wasm)',
    overview: async () => JSON.parse(inspector.overview()),
    inspect: async (req) => JSON.parse(inspector.inspect(JSON.stringify(req), Date.now())),
    audit: null,
    dom: () => import(`${PKG}dom.js`),
  };
}

/** The Worker's /inspect/api/ (the admin secret travels as the browser's HTTP credentials). */
async function api(path, init = {}) {
  const res = await fetch(new URL(`api/${path}`, location.href), {
    ...init, credentials: 'same-origin', headers: { 'x-edge-persona-inspect': '1', ...(init.body ? { 'content-type': 'application/json' } : {}) },
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(body?.error?.message ?? `HTTP ${res.status}`), { code: `HTTP_${res.status}` });
  return body;
}

function workerEngine(user) {
  const q = `user=${encodeURIComponent(user)}`;
  return {
    label: 'the Worker (server snapshot)',
    overview: () => api(`overview?${q}`),
    inspect: (req) => api(`inspect?${q}`, { method: 'POST', body: JSON.stringify(req) }),
    audit: () => api(`audit?${q}&limit=50`),
    dom: () => import('./dom.js'),
  };
}

// ---------------------------------------------------------------------------------------------
// State and the request.

let engine = null;
let overview = null;
let defaults = null; // the ranking settings' defaults, from the first answer
let runs = 0;
let pending = null;

function status(text, error = false) {
  const s = $('status');
  s.textContent = text;
  s.classList.toggle('error', error);
  s.setAttribute('role', error ? 'alert' : 'status');
}

/** The user turns of a pasted conversation: a chat request's JSON, or one turn per line. */
function userTurns(text) {
  const content = (c) => (typeof c === 'string' ? c : Array.isArray(c)
    ? c.filter((p) => p && typeof p.text === 'string').map((p) => p.text).join(' ') : '');
  try {
    const v = JSON.parse(text);
    const messages = Array.isArray(v) ? v : (v?.messages ?? v?.input);
    if (Array.isArray(messages)) {
      const turns = messages.filter((m) => m && m.role === 'user').map((m) => content(m.content)).filter(Boolean);
      if (turns.length) return turns;
    }
  } catch { /* not JSON: lines */ }
  return text.split('\n').map((l) => l.trim()).filter((l) => l && !/^(assistant|system|ai|bot|agent)\s*:/i.test(l))
    .map((l) => l.replace(/^(user|me|human|customer)\s*:\s*/i, ''));
}

function intOf(id, fallback) {
  const n = Number.parseInt($(id).value, 10);
  return Number.isFinite(n) ? n : fallback;
}

function settingsChanged() {
  const out = {};
  if (!defaults) return out;
  for (const input of $('settings').querySelectorAll('input')) {
    const key = input.dataset.setting;
    if (input.type === 'checkbox') {
      if (input.checked !== defaults[key]) out[key] = input.checked;
      continue;
    }
    const v = Number(input.value);
    if (!Number.isFinite(v) || input.value.trim() === '') continue;
    if (key === 'field_weights') continue;
    if (v !== defaults[key]) out[key] = v;
  }
  const weights = [...$('settings').querySelectorAll('input[data-setting="field_weights"]')].map((i) => Number(i.value));
  if (weights.length === 4 && weights.some((w, i) => w !== defaults.field_weights[i])) out.field_weights = weights;
  return out;
}

function request() {
  const text = $('query').value;
  const mode = document.querySelector('input[name="mode"]:checked')?.value;
  const turns = mode === 'conversation' ? userTurns(text) : [text];
  const req = {
    query: turns.length ? turns : [''],
    budget_tokens: intOf('budget', 200),
    format: $('format').value,
    below: intOf('below', 5),
    settings: { ...settingsChanged(), limit: intOf('limit', 10) },
  };
  const now = $('now').value.trim();
  if (now) req.now = /^\d+$/.test(now) ? Number(now) : now;
  return req;
}

// ---------------------------------------------------------------------------------------------
// Drawing: rows.

const BAR_W = 320;
const BAR_H = 14;
const LINE_W = 170;

function termClass(termIndex, term) {
  if (!termIndex.has(term)) termIndex.set(term, termIndex.size);
  return `t${termIndex.get(term) % 8}`;
}

function factorBar(row, max, termIndex) {
  const { parts, lost } = factorParts(row.explain);
  const s = svg('svg', { class: 'bar', viewBox: `0 0 ${BAR_W} ${BAR_H}`, width: BAR_W, height: BAR_H, role: 'img',
    'aria-label': `score ${fmt(row.score)}: ${parts.map((p) => `${partLabel(p)} ${fmt(p.value)}`).join(', ')}${lost.length ? `; taken away: ${lost.map((p) => `${p.kind} ${fmt(p.value)}`).join(', ')}` : ''}` });
  let x = 0;
  const w = (v) => (max > 0 ? (v / max) * BAR_W : 0);
  for (const p of parts) {
    const cls = p.kind === 'term' ? `seg ${termClass(termIndex, p.term)}${p.via ? ' via' : ''}` : `seg k-${p.kind}`;
    s.append(svg('rect', { class: cls, x, y: 0, width: Math.max(w(p.value), 0.5), height: BAR_H, 'data-part': p.kind, 'data-value': p.value },
      tip(`${partLabel(p)}: ${fmt(p.value, 4)}`)));
    x += w(p.value);
  }
  for (const p of lost) {
    s.append(svg('rect', { class: 'lost', x, y: 2, width: w(p.value), height: BAR_H - 4, 'data-lost': p.kind, 'data-value': p.value },
      tip(`taken away by ${p.kind}: ${fmt(p.value, 4)}`)));
    x += w(p.value);
  }
  return s;
}

/** x of an age on the logarithmic timeline (newest on the right). */
function ageX(age) {
  const maxH = 2 * 365 * 24;
  const h = Math.max(age / HOUR, 0);
  return LINE_W - 4 - (LINE_W - 8) * Math.min(Math.log1p(h) / Math.log1p(maxH), 1);
}

function timeline(row, now) {
  const times = row.occurrences ?? [];
  const described = row.newest_ms !== undefined
    ? `${row.kind === 'memory' ? 'noted' : 'last'} ${fmtAge(now - row.newest_ms)}${times.length > 1 ? `, ${plural(row.explain.count ?? times.length, 'occurrence')}` : ''}`
    : 'a trait: no time of its own';
  const s = svg('svg', { class: 'timeline', viewBox: `0 0 ${LINE_W} ${BAR_H}`, width: LINE_W, height: BAR_H, role: 'img', 'aria-label': described });
  if (row.newest_ms === undefined && !(row.dates ?? []).length) {
    s.append(svg('text', { class: 'none', x: 6, y: BAR_H - 3 }, document.createTextNode('a trait: no time of its own')));
    return s;
  }
  s.append(svg('line', { class: 'axis', x1: 4, x2: LINE_W - 4, y1: BAR_H / 2, y2: BAR_H / 2 }));
  for (const [label, age] of [['1 h', HOUR], ['1 d', DAY], ['1 w', 7 * DAY], ['1 mo', 30 * DAY], ['1 y', 365 * DAY]]) {
    s.append(svg('line', { class: 'tick', x1: ageX(age), x2: ageX(age), y1: 3, y2: BAR_H - 3 }, tip(label)));
  }
  for (const t of times) s.append(svg('line', { class: 'occ', x1: ageX(now - t), x2: ageX(now - t), y1: 2, y2: BAR_H - 2 }));
  for (const d of row.dates ?? []) {
    const x = d > now ? LINE_W - 3 : ageX(now - d);
    s.append(svg('polygon', { class: d > now ? 'date future' : 'date', points: `${x},2 ${x + 3},${BAR_H / 2} ${x},${BAR_H - 2} ${x - 3},${BAR_H / 2}` }, tip(`date in a value: ${iso(d)} (${fmtAge(now - d)})`)));
  }
  if (row.newest_ms !== undefined) s.append(svg('circle', { class: 'newest', cx: ageX(now - row.newest_ms), cy: BAR_H / 2, r: 3 }, tip(`${iso(row.newest_ms)} (${fmtAge(now - row.newest_ms)})`)));
  return s;
}

const PLACEMENT = { context: 'in the block', budget: 'over the budget', limit: 'past the limit' };

function factorTable(row) {
  const e = row.explain;
  const { parts, lost } = factorParts(e);
  const terms = el('table', { class: 'grid small' },
    el('thead', {}, el('tr', {}, ['term', 'via (the word typed)', 'weight', 'idf', 'lexical share'].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, (e.terms ?? []).map((t) => el('tr', {}, el('td', {}, el('code', {}, t.term)), el('td', {}, t.via ? el('code', {}, t.via) : '—'),
      el('td', {}, fmt(t.weight)), el('td', {}, fmt(t.idf)), el('td', {}, fmt(t.score))))));
  const sal = e.salience;
  const formula = sal
    ? `(${fmt(e.lexical)} lexical × ${fmt(e.coverage)} coverage × ${fmt(e.recency)} recency × ${fmt(e.frequency)} frequency ÷ ${fmt(sal.relevance_scale)} best relevance + ${fmt(sal.weight)} × ${fmt(sal.value)} salience + ${fmt(e.thread)} thread) × ${fmt(e.repeat)} repeat = ${fmt(row.score, 5)}`
    : `(${fmt(e.lexical)} lexical × ${fmt(e.coverage)} coverage × ${fmt(e.recency)} recency × ${fmt(e.frequency)} frequency + ${fmt(e.thread)} thread) × ${fmt(e.repeat)} repeat = ${fmt(row.score, 5)}`;
  return el('div', { class: 'explain' },
    el('p', {}, 'As the context block states it: ', el('code', { class: 'line' }, row.line || '(no line)')),
    el('p', {}, el('code', {}, formula)),
    sal ? el('p', {}, `salience ${fmt(sal.value)}: rarity ${fmt(sal.rarity)}, recent ${fmt(sal.recent)}, open state ${fmt(sal.open)}, upcoming ${fmt(sal.upcoming)}`) : null,
    terms,
    el('p', {}, 'Bar parts: ', parts.map((p) => `${partLabel(p)} ${fmt(p.value, 4)}`).join(' + '), ` = ${fmt(parts.reduce((a, p) => a + p.value, 0), 5)}`,
      lost.length ? `; taken away: ${lost.map((p) => `${p.kind} ${fmt(p.value, 4)}`).join(', ')}` : ''),
    row.withheld ? el('p', {}, `The value is withheld by the privacy policy (${row.withheld}): the block can only say it is on file.`) : null,
    e.count !== undefined ? el('p', {}, `${plural(e.count ?? 1, 'occurrence')}${e.age_seconds !== undefined ? `, the newest ${fmtAge(e.age_seconds * 1000)}` : ''}.`) : null);
}

function rowElement(row, index, max, termIndex, now) {
  const summary = el('summary', {},
    el('span', { class: 'rank' }, `${index + 1}.`),
    el('span', { class: `badge ${row.placement}` }, PLACEMENT[row.placement] ?? row.placement),
    el('span', { class: 'name' }, el('code', {}, row.id), ' ', el('span', { class: 'muted' }, row.name)),
    el('span', { class: 'score' }, fmt(row.score, 4)),
    factorBar(row, max, termIndex),
    timeline(row, now));
  return el('li', { id: `row-${index}`, class: `row ${row.placement}`, 'data-id': row.id, 'data-score': row.score, 'data-placement': row.placement },
    el('details', {}, summary, factorTable(row)));
}

/** The colours of this answer's bars: its terms (with the words typed that reached them), then the other parts. */
function legend(rows, termIndex) {
  const via = new Map();
  const kinds = new Set();
  let lost = false;
  for (const r of rows) {
    for (const t of r.explain.terms ?? []) if (t.via) via.set(t.term, [...new Set([...(via.get(t.term) ?? []), t.via])]);
    const { parts, lost: taken } = factorParts(r.explain);
    for (const p of parts) if (p.kind !== 'term') kinds.add(p.kind);
    lost ||= taken.length > 0;
  }
  const item = (cls, ...label) => el('span', { class: 'key' }, el('span', { class: `swatch ${cls}` }), ...label);
  return [
    ...[...termIndex.keys()].map((term) => item(termClass(termIndex, term), el('code', {}, term), via.has(term) ? ` (via ${via.get(term).join(', ')})` : '')),
    ...[...kinds].map((k) => item(`k-${k}`, PART_NAMES[k] ?? k)),
    lost ? item('lost', 'taken away (coverage, recency, repeat)') : null,
  ].filter(Boolean);
}

function drawRows(answer) {
  const rows = answer.rows;
  const termIndex = new Map();
  const max = Math.max(1e-9, ...rows.map((r) => { const { parts, lost } = factorParts(r.explain); return [...parts, ...lost].reduce((a, p) => a + p.value, 0); }));
  const made = [];
  const missed = [];
  rows.forEach((r, i) => (r.placement === 'context' ? made : missed).push(rowElement(r, i, max, termIndex, answer.now_ms)));
  $('legend').replaceChildren(...legend(rows, termIndex));
  $('rows').replaceChildren(...(made.length ? made : [el('li', { class: 'empty' }, 'Nothing in the profile is relevant to this question: the prompt gets no context block.')]));
  $('below-rows').replaceChildren(...(missed.length ? missed : [el('li', { class: 'empty' }, 'Nothing else matched.')]));
  $('results').hidden = false;
}

// ---------------------------------------------------------------------------------------------
// Drawing: the context block, line by line.

function drawContext(answer) {
  const c = answer.context;
  const rowOf = new Map(answer.rows.map((r, i) => [r.id, i]));
  $('context-summary').textContent = c.text
    ? `${plural(c.items.length, 'item')}, ${c.estimated_tokens} of ${c.budget_tokens} tokens (one token per four characters, rounded up)${c.omitted ? `; ${plural(c.omitted, 'item')} did not fit the budget` : ''}.`
    : `Empty: nothing relevant${c.omitted ? `, or nothing that fits ${c.budget_tokens} tokens` : ''}. The prompt goes out without a block.`;
  const budget = Math.max(c.budget_tokens, 1);
  $('context-lines').tBodies[0].replaceChildren(...c.lines.map((l, i) => {
    const meter = el('div', { class: 'meter', role: 'img', 'aria-label': `${l.cumulative_tokens} of ${c.budget_tokens} tokens so far` }, el('div', { class: 'fill' }));
    meter.firstChild.style.width = `${Math.min(100, (l.cumulative_tokens / budget) * 100)}%`;
    const link = l.item !== undefined && rowOf.has(l.item) ? el('a', { href: `#row-${rowOf.get(l.item)}` }, `${i + 1}`) : `${i + 1}`;
    return el('tr', { 'data-item': l.item }, el('td', {}, link), el('td', {}, el('code', { class: 'line' }, l.text)),
      el('td', { class: 'num' }, `${l.tokens}`), el('td', {}, meter, el('span', { class: 'muted' }, ` ${l.cumulative_tokens}`)));
  }));
  $('context-section').hidden = false;
}

// ---------------------------------------------------------------------------------------------
// Drawing: the overview, and what was withheld.

function barList(list, entries) {
  const max = Math.max(1, ...entries.map((e) => e.count));
  list.replaceChildren(...entries.map((e) => {
    const bar = el('span', { class: 'hbar' });
    bar.style.width = `${(e.count / max) * 100}%`;
    return el('li', {}, el('span', { class: 'label' }, e.label), el('span', { class: 'track' }, bar), el('span', { class: 'num' }, e.count.toLocaleString('en')));
  }));
}

function weeksChart(o) {
  const W = 640;
  const H = 90;
  const n = o.weeks.length;
  if (!n) return el('p', { class: 'muted' }, 'No events.');
  const max = Math.max(1, ...o.weeks.map((w) => w.count));
  const bw = W / n;
  const s = svg('svg', { class: 'weeks', viewBox: `0 0 ${W} ${H + 14}`, width: '100%', role: 'img',
    'aria-label': `events per week from ${iso(o.weeks[0].start_ms).slice(0, 10)} to ${iso(o.weeks[n - 1].start_ms).slice(0, 10)}, at most ${max} in a week` });
  o.weeks.forEach((w, i) => {
    const h = (w.count / max) * H;
    s.append(svg('rect', { class: 'col', x: i * bw + 0.5, y: H - h, width: Math.max(bw - 1, 0.5), height: h }, tip(`week of ${iso(w.start_ms).slice(0, 10)}: ${w.count}`)));
  });
  s.append(svg('text', { class: 'axis-label', x: 0, y: H + 12 }, document.createTextNode(iso(o.weeks[0].start_ms).slice(0, 10))));
  s.append(svg('text', { class: 'axis-label end', x: W, y: H + 12 }, document.createTextNode(iso(o.weeks[n - 1].start_ms).slice(0, 10))));
  return el('div', {}, s, o.earlier_events ? el('p', { class: 'muted' }, `${plural(o.earlier_events, 'event')} before these ${n} weeks.`) : null);
}

function sectionsChart(o) {
  const total = Math.max(1, o.bytes);
  const s = svg('svg', { class: 'sections', viewBox: `0 0 640 18`, width: '100%', role: 'img', 'aria-label': `${o.bytes} bytes by section` });
  let x = 0;
  const list = el('ul', { class: 'legend' });
  o.sections.forEach((sec, i) => {
    const w = (sec.bytes / total) * 640;
    s.append(svg('rect', { class: `sec s${i % 10}`, x, y: 0, width: w, height: 18 }, tip(`${sec.name}: ${sec.bytes} bytes`)));
    x += w;
    list.append(el('li', {}, el('span', { class: `swatch s${i % 10}` }), `${sec.name} `, el('span', { class: 'muted' }, `${sec.bytes.toLocaleString('en')} B`)));
  });
  return el('div', {}, s, list);
}

function drawOverview(o) {
  barList($('kinds'), o.trait_kinds.map((k) => ({ label: k.kind, count: k.count })).concat(o.memories ? [{ label: 'memories', count: o.memories }] : []));
  barList($('names'), o.events_by_name.map((e) => ({ label: e.name, count: e.count })).concat(o.other_events ? [{ label: 'other events', count: o.other_events }] : []));
  $('weeks').replaceChildren(weeksChart(o));
  $('sections').replaceChildren(sectionsChart(o));
  $('overview-section').hidden = false;

  const browser = o.target === 'browser';
  $('withheld-note').textContent = browser
    ? 'A browser-policy snapshot: personal-data traits, properties and memories were removed when it was compiled, so there is nothing withheld left to list here (only values masked inside text). Compile it with --policy server (the Worker keeps that one) to see what the policy withholds.'
    : o.withheld_total
      ? `${plural(o.withheld_total, 'value')} withheld: their keys and classes are kept so the prompt can say "on file (withheld)"; the values themselves are not in the snapshot at all.`
      : 'Nothing withheld: no value of this profile looked like personal data.';
  const why = (w) => (w.rule === 'key' ? 'its key names personal data' : `its value has the shape of ${w.class === 'email' || w.class === 'ip address' ? 'an' : 'a'} ${w.class}`);
  $('withheld').tBodies[0].replaceChildren(...o.withheld.map((w) => el('tr', {},
    el('td', {}, el('code', {}, w.id)), el('td', {}, w.what), el('td', {}, el('code', {}, w.key), w.event ? ` of ${w.event}` : ''),
    el('td', {}, w.class), el('td', {}, why(w)))));
  $('masked').tBodies[0].replaceChildren(...o.masked.map((m) => el('tr', {},
    el('td', {}, el('code', {}, m.id)), el('td', {}, el('code', {}, m.key), m.event ? ` of ${m.event}` : ''), el('td', {}, m.classes.join(', ')))));
  $('withheld').hidden = !o.withheld.length;
  $('masked').tBodies[0].append(...(o.masked.length ? [] : [el('tr', {}, el('td', { colspan: 3 }, 'none'))]));
  $('withheld-section').hidden = false;
}

async function drawAudit() {
  if (!engine.audit) return;
  const body = await engine.audit();
  $('audit').tBodies[0].replaceChildren(...(body.records.length ? body.records.map((r) => el('tr', {},
    el('td', {}, r.at), el('td', {}, r.route), el('td', { class: 'num' }, `${r.tokens}`),
    el('td', {}, r.items.flatMap((id, i) => [i ? ' ' : '', el('code', {}, id)])))) : [el('tr', {}, el('td', { colspan: 4 }, 'No record yet.'))]));
  $('audit-section').hidden = false;
}

// ---------------------------------------------------------------------------------------------
// The settings form, built from the defaults the engine answers.

function drawSettings(settings) {
  defaults = { ...settings };
  const box = $('settings');
  const field = (key, value, i) => el('label', {}, i === undefined ? key : `${key}[${['name', 'keys', 'values', 'initials'][i]}]`,
    typeof value === 'boolean'
      ? el('input', { type: 'checkbox', checked: value, 'data-setting': key })
      : el('input', { type: 'number', step: 'any', value, 'data-setting': key }));
  box.replaceChildren(...Object.entries(settings).filter(([k]) => k !== 'limit').flatMap(([k, v]) => (Array.isArray(v) ? v.map((x, i) => field(k, x, i)) : [field(k, v)])));
}

// ---------------------------------------------------------------------------------------------
// A pasted page: the DOM module asks, the engine answers, the DOM module applies.

let pageParser = null;
function parseInert(html) {
  // The one place text becomes a document: a separate, inert one (no script runs, nothing loads),
  // read and written by the DOM module only, never put into this page.
  if (!pageParser && globalThis.trustedTypes) pageParser = trustedTypes.createPolicy('edge-persona-inspect-page', { createHTML: (s) => s });
  return new DOMParser().parseFromString(pageParser ? pageParser.createHTML(html) : html, 'text/html');
}

/** A variant's words as the slot language ranks them: its first 512 bytes of UTF-8, whole characters. */
function variantWords(s) {
  let bytes = 0;
  let out = '';
  for (const ch of s) {
    const n = new TextEncoder().encode(ch).length;
    if (bytes + n > 512) break;
    bytes += n;
    out += ch;
  }
  return out;
}

function describe(node) {
  const id = node.id ? `#${node.id}` : '';
  return `<${node.localName}${id}>`;
}

async function resolvePage() {
  const html = $('page-html').value;
  const out = $('page-report');
  if (!engine || !html.trim()) { out.replaceChildren(el('p', { class: 'muted' }, 'Paste a page first.')); return; }
  const dom = await engine.dom();
  const asked = { slots: [], conditions: [], groups: [] };
  dom.personalize(parseInert(html).documentElement, {
    slotValue: (spec) => { asked.slots.push(spec); return undefined; },
    conditionHolds: (expr) => { asked.conditions.push(expr); return false; },
    chooseVariant: (variants, o) => { asked.groups.push({ variants: [...variants], earlier: o?.earlier ?? 0 }); return undefined; },
  });
  const answer = await engine.inspect({ ...request(), below: 0, page: asked });
  const report = answer.page;
  const doc = parseInert(html);
  let [si, ci, gi] = [0, 0, 0];
  dom.personalize(doc.documentElement, {
    slotValue: () => report.slots[si++]?.value,
    conditionHolds: () => report.conditions[ci++]?.holds ?? false,
    chooseVariant: () => report.groups[gi++]?.chosen,
  });
  out.replaceChildren(...pageTables(doc, report));
}

function pageTables(doc, report) {
  const slots = [];
  let i = 0;
  for (const node of doc.querySelectorAll('[data-persona]')) {
    const raw = node.parentElement?.closest(report.raw_text_elements) ?? (node.matches(report.raw_text_elements) ? node : null);
    const fallback = node.getAttribute('data-persona-default');
    let result;
    if (raw) result = `not filled: inside <${raw.localName}>, where a value would not be text`;
    else {
      const r = report.slots[i++] ?? {};
      result = r.value !== undefined ? null : r.withheld ? `withheld (${r.withheld}): ${fallback !== null ? 'its default' : 'left as authored'}` : fallback !== null ? 'no value: its default' : 'no value: left as authored';
    }
    slots.push(el('tr', {}, el('td', {}, el('code', {}, describe(node))), el('td', {}, el('code', {}, node.getAttribute('data-persona'))),
      el('td', {}, raw ? '—' : el('span', { class: 'value' }, node.textContent)), el('td', {}, result ?? 'the profile\'s value')));
  }
  const holds = new Map(report.conditions.map((c) => [c.expr, c.holds]));
  const conditions = [...doc.querySelectorAll('[data-persona-if], [data-persona-unless]')].map((node) => {
    const ifx = node.getAttribute('data-persona-if');
    const unless = node.getAttribute('data-persona-unless');
    const said = [ifx !== null ? `if ${ifx}: ${holds.get(ifx) ? 'holds' : 'does not hold'}` : null, unless !== null ? `unless ${unless}: ${holds.get(unless) ? 'holds' : 'does not hold'}` : null].filter(Boolean).join('; ');
    return el('tr', {}, el('td', {}, el('code', {}, describe(node))), el('td', {}, said), el('td', {}, node.hidden ? 'hidden' : 'shown'));
  });
  // The report's groups are in the order the DOM module decided them (inner groups first); match
  // each group of the page to one by its variants' words (cut as the slot language reads them).
  const byWords = new Map();
  report.groups.forEach((g, k) => { const key = JSON.stringify(g.variants.map((v) => v.words)); if (!byWords.has(key)) byWords.set(key, k); });
  const groups = [...doc.querySelectorAll('[data-persona-variants]')].filter((g) => !g.hasAttribute('data-persona-variant')).map((g) => {
    const children = [...g.children].filter((c) => c.hasAttribute('data-persona-variant'));
    const words = children.map((c) => c.getAttribute('data-persona-variant'));
    const chosen = g.getAttribute('data-persona-chosen');
    const k = byWords.get(JSON.stringify(words.map(variantWords)));
    const r = k !== undefined ? report.groups[k] : undefined;
    const verdict = !r || !r.ranked ? 'not ranked (past the slot language\'s caps): stays as authored'
      : chosen === null ? 'no variant matched the profile: stays as authored' : `shows variant ${Number(chosen) + 1}`;
    return el('div', { class: 'group' }, el('p', {}, el('code', {}, describe(g)), ` ${verdict}`),
      el('table', { class: 'grid small' },
        el('thead', {}, el('tr', {}, ['variant', 'words', 'score (sum of its best matches)', 'the items that matched'].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, children.map((c, j) => {
          const v = r?.variants?.[j];
          return el('tr', { class: String(j) === chosen ? 'chosen' : undefined }, el('td', {}, `${j + 1}${String(j) === chosen ? ' ✓' : ''}`),
            el('td', {}, el('code', {}, words[j])), el('td', { class: 'num' }, v ? fmt(v.score, 4) : '—'),
            el('td', {}, v ? v.evidence.flatMap((e, n) => [n ? ', ' : '', el('code', {}, e.id), ` ${fmt(e.score)}`]) : '—'));
        }))));
  });
  const table = (caption, head, body) => el('table', { class: 'grid' }, el('caption', {}, caption),
    el('thead', {}, el('tr', {}, head.map((h) => el('th', { scope: 'col' }, h)))), el('tbody', {}, body.length ? body : el('tr', {}, el('td', { colspan: head.length }, 'none'))));
  return [
    table('Slots', ['element', 'spec', 'text it gets', 'why'], slots),
    table('Conditions', ['element', 'condition', 'result'], conditions),
    el('h3', {}, 'Variants groups'), ...(groups.length ? groups : [el('p', { class: 'muted' }, 'none')]),
  ];
}

// ---------------------------------------------------------------------------------------------
// Running.

async function run() {
  if (!engine) return;
  const t0 = performance.now();
  let answer;
  try {
    answer = await engine.inspect(request());
  } catch (err) {
    status(`${err.code ? `${err.code}: ` : ''}${err.message}`, true);
    return;
  }
  const t1 = performance.now();
  if (!defaults) drawSettings(answer.settings);
  drawRows(answer);
  drawContext(answer);
  const t2 = performance.now();
  runs += 1;
  const ms = t2 - t0;
  $('timing').textContent = `ranked at ${iso(answer.now_ms)}; answered in ${(t1 - t0).toFixed(1)} ms, drawn in ${(t2 - t1).toFixed(1)} ms`;
  document.documentElement.dataset.renderMs = ms.toFixed(2);
  document.documentElement.dataset.run = String(runs);
}

function schedule() {
  clearTimeout(pending);
  pending = setTimeout(run, 250);
}

async function use(newEngine, what) {
  engine = newEngine;
  defaults = null;
  const t0 = performance.now();
  overview = await engine.overview();
  drawOverview(overview);
  $('page-section').hidden = false;
  status(`${what}: ${overview.profile_id}, ${overview.target} policy, ${plural(overview.traits, 'trait')}, ${plural(overview.events, 'event')}, ${overview.bytes.toLocaleString('en')} bytes; ranked by ${engine.label}.`);
  await run();
  await drawAudit().catch((err) => status(`audit: ${err.message}`, true));
  document.documentElement.dataset.loadMs = (performance.now() - t0).toFixed(2);
  document.documentElement.dataset.state = 'ready';
}

async function loadBytes(bytes, what) {
  status(`Loading ${what}…`);
  try {
    await use(await fileEngine(bytes), what);
  } catch (err) {
    status(`${what}: ${err.code ? `${err.code}: ` : ''}${err.message}`, true);
    document.documentElement.dataset.state = 'failed';
  }
}

async function loadPerson(user) {
  status(`Loading ${user}…`);
  try {
    await use(workerEngine(user), user);
    history.replaceState(null, '', `?user=${encodeURIComponent(user)}`);
  } catch (err) {
    status(`${user}: ${err.message}`, true);
    document.documentElement.dataset.state = 'failed';
  }
}

let cursor = null;
async function listPeople() {
  const body = await api(`people${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`);
  $('people').append(...body.people.map((p) => el('option', { value: p })));
  cursor = body.cursor ?? null;
  $('more-people').hidden = !cursor;
  return body.people;
}

function wire() {
  $('ask').addEventListener('submit', (e) => { e.preventDefault(); clearTimeout(pending); run(); });
  $('query').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); $('ask').requestSubmit(); }
  });
  for (const id of ['query', 'now', 'budget', 'limit', 'below', 'format']) $(id).addEventListener('input', schedule);
  for (const r of document.querySelectorAll('input[name="mode"]')) r.addEventListener('change', schedule);
  $('settings').addEventListener('change', schedule);
  $('reset-settings').addEventListener('click', () => { if (defaults) { drawSettings(defaults); schedule(); } });
  $('resolve-page').addEventListener('click', () => resolvePage().catch((err) => status(`page: ${err.message}`, true)));
  if (MODE === 'worker') {
    $('file-source').hidden = true;
    $('person-form').hidden = false;
    $('person-form').addEventListener('submit', (e) => { e.preventDefault(); loadPerson($('person').value.trim()); });
    $('more-people').addEventListener('click', () => listPeople().catch((err) => status(err.message, true)));
    return;
  }
  $('file').addEventListener('change', async () => {
    const f = $('file').files?.[0];
    if (f) await loadBytes(new Uint8Array(await f.arrayBuffer()), f.name);
  });
  document.addEventListener('dragover', (e) => { e.preventDefault(); document.body.classList.add('dragging'); });
  document.addEventListener('dragleave', () => document.body.classList.remove('dragging'));
  document.addEventListener('drop', async (e) => {
    e.preventDefault();
    document.body.classList.remove('dragging');
    const f = e.dataTransfer?.files?.[0];
    if (f) await loadBytes(new Uint8Array(await f.arrayBuffer()), f.name);
  });
}

async function start() {
  wire();
  if (params.has('q')) $('query').value = params.get('q');
  if (params.has('now')) $('now').value = params.get('now');
  if (params.has('budget')) $('budget').value = params.get('budget');
  if (MODE === 'worker') {
    try {
      const people = await listPeople();
      const user = params.get('user') ?? (people.length === 1 ? people[0] : null);
      if (user) { $('person').value = user; await loadPerson(user); }
      else status(`${plural(people.length, 'person')} listed: pick one.`);
    } catch (err) {
      status(err.message, true);
    }
    return;
  }
  const url = params.get('snapshot');
  if (url) {
    try {
      const res = await fetch(url, { credentials: 'same-origin' });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      await loadBytes(new Uint8Array(await res.arrayBuffer()), url);
    } catch (err) {
      status(`${url}: ${err.message}`, true);
      document.documentElement.dataset.state = 'failed';
    }
  }
}

start();
