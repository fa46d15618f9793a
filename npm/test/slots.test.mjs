// The DOM module's copy of the slot language's raw-text list (npm/src/dom.js) equals the core's
// (src/slots.rs, RAW_TEXT_ELEMENTS), which the Worker's rewriter uses: a slot that one of them
// leaves alone, the other must leave alone too. The caps are the core's own (chooseVariant).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const list = (text) => text.split(',').map((s) => s.trim()).filter(Boolean);

test('dom.js RAW_TEXT equals src/slots.rs RAW_TEXT_ELEMENTS', () => {
  const rust = readFileSync(join(root, 'src/slots.rs'), 'utf8').match(/pub const RAW_TEXT_ELEMENTS: &str =\s*"([^"]*)";/);
  const js = readFileSync(join(root, 'npm/src/dom.js'), 'utf8').match(/const RAW_TEXT = '([^']*)';/);
  assert.ok(rust, 'src/slots.rs defines RAW_TEXT_ELEMENTS');
  assert.ok(js, 'npm/src/dom.js defines RAW_TEXT');
  assert.deepEqual(list(js[1]), list(rust[1]));
  assert.ok(list(rust[1]).includes('script') && list(rust[1]).length >= 10);
});
