// Runs inside the scratch project, against the package installed from its tarball (Node ESM): on
// every question of the three labelled sets, each item's score is what its explanation recomputes,
// `(base + thread) · repeat`, as the declarations document (the native test does the same in Rust).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { Personalizer, init, loadKnowledge } from 'edge-persona';

const [fixtures] = process.argv.slice(2);
await init();
// The native test ranks with the embedded knowledge pack; this one with the package's.
await loadKnowledge();

const profileText = (path) => (existsSync(path) ? readFileSync(path, 'utf8') : gunzipSync(readFileSync(`${path}.gz`)).toString('utf8'));

/** The documented formula, from the explanation alone. */
function recompute(e) {
  const relevance = e.lexical * e.coverage * e.recency * e.frequency;
  const base = e.salience ? relevance / e.salience.relevanceScale + e.salience.weight * e.salience.value : relevance;
  return (base + e.thread) * e.repeat;
}

let items = 0;
const seen = { salience: 0, thread: 0, repeat: 0, via: 0 };
for (const file of ['relevance-dev.json', 'dev2/relevance-dev2.json', 'dev3/relevance-dev3.json']) {
  const set = JSON.parse(readFileSync(join(fixtures, file), 'utf8'));
  const now = Date.parse(set.now);
  const personalizers = new Map();
  for (const c of set.cases) {
    const path = join(fixtures, dirname(file), `${c.profile}.json`);
    if (!personalizers.has(path)) personalizers.set(path, Personalizer.fromProfileSync(profileText(path), { target: 'server' }));
    const query = c.query ?? c.turns.at(-1);
    for (const item of personalizers.get(path).rank(query, { limit: 30, now })) {
      const e = item.explain;
      const again = recompute(e);
      assert.ok(Math.abs(again - item.score) <= 1e-4 * Math.max(1, Math.abs(item.score)), `${file} ${c.id} ${item.id}: score ${item.score}, explanation gives ${again}`);
      const lexical = e.terms.reduce((sum, t) => sum + t.score, 0);
      assert.ok(Math.abs(lexical - e.lexical) <= 1e-3 * Math.max(1, e.lexical), `${c.id} ${item.id}: terms sum to ${lexical}, lexical ${e.lexical}`);
      items += 1;
      if (e.salience) seen.salience += 1;
      if (e.thread > 0) seen.thread += 1;
      if (e.repeat < 1) seen.repeat += 1;
      if (e.terms.some((t) => t.via)) seen.via += 1;
    }
  }
}
assert.ok(items > 1000 && Object.values(seen).every((n) => n > 0), `every factor was exercised: ${JSON.stringify(seen)}`);
console.log(`ESM: ${items} items on the labelled sets, each score recomputed from its explanation (${JSON.stringify(seen)})`);
