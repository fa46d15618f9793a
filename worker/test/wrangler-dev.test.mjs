// One smoke test of the real local toolchain: `wrangler dev` (workerd) with KV seeded through
// `wrangler kv bulk put`, checked on the main routes (worker/dev.mjs --smoke).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers.mjs';

test('wrangler dev serves the Worker with seeded KV', { timeout: 180_000 }, () => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'worker', 'dev.mjs'), '--smoke'], { encoding: 'utf8', timeout: 170_000 });
  const out = `${r.stdout}\n${r.stderr}`;
  assert.equal(r.status, 0, out.slice(-3000));
  for (const what of ['POST /v1/context', 'chat proxy', 'HTML slots', 'GET /v1/snapshot', '/inspect']) assert.match(out, new RegExp(`ok - ${what}`));
});
