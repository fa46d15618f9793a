// Runs inside the scratch project (Node CommonJS).
const assert = require('node:assert/strict');
const { readFileSync } = require('node:fs');
const { Personalizer, compileSnapshot, loadKnowledge } = require('edge-persona');
const { personalize } = require('edge-persona/dom');

const now = Date.parse('2026-11-20T12:00:00Z');
const bytes = compileSnapshot(readFileSync(`${process.argv[2]}/profile-retail-small.json`, 'utf8'));
const p = Personalizer.fromSnapshotSync(bytes);
assert.equal(p.rank('running shoes in my size', { limit: 1, now })[0].id, 'trait:shoe_size');
assert.equal(p.slotValue('trait:firstName'), 'Jeff');
assert.equal(typeof personalize, 'function');
assert.equal(personalize(null, p).applied, false);
loadKnowledge(new Uint8Array([1, 2, 3])).then(
  () => assert.fail('garbage accepted as a knowledge pack'),
  async (err) => {
    assert.equal(err.code, 'E_KNOWLEDGE_INVALID');
    await loadKnowledge();
    console.log('CommonJS: ok');
  },
);
