// A bundled app: the package from node_modules, its wasm emitted by Vite as an asset.
import { Personalizer } from 'edge-persona';
import { personalize } from 'edge-persona/dom';

const now = Date.parse('2026-11-20T12:00:00Z');
async function main() {
  const bytes = new Uint8Array(await (await fetch('./jeff.snap')).arrayBuffer());
  const p = await Personalizer.fromSnapshot(bytes);
  personalize(document.body, p, { now });
  // The on-demand compiler module, from a profile in the page.
  const small = await Personalizer.fromProfile(await (await fetch('./profile-small.json')).text());
  const out = {
    top: p.rank('running shoes in my size', { limit: 1, now })[0].id,
    compiled: small.slotValue('trait:firstName'),
  };
  document.getElementById('out').textContent = JSON.stringify(out);
  document.documentElement.dataset.done = 'ok';
}
main().catch((err) => {
  console.error(`edge-persona: ${err.code}: ${err.message}`);
  document.documentElement.dataset.done = 'failed';
});
