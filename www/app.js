// The storefront demo: fetch the signed-in user's snapshot, personalize the page with the package's
// DOM module, and show in the chat box the exact request that would go to the LLM.
import { Personalizer } from '/pkg/web/index.js';
import { personalize } from '/pkg/dom.js';

const params = new URLSearchParams(location.search);
const meta = document.querySelector('meta[name="edge-persona-snapshot"]');
// ?snapshot=URL (e.g. the Worker's /v1/snapshot), ?user=NAME (a static demo file), or the <meta> default.
const snapshotUrl = params.get('snapshot')
  ?? (params.get('user') ? `snapshots/${encodeURIComponent(params.get('user'))}.snap` : meta.content);
// ?now=ISO-time pins the clock (the fixtures' "now" is 2026-11-20T12:00:00Z); default: the real time.
const nowParam = params.get('now');
const now = nowParam ? Date.parse(nowParam) : undefined;
const status = document.getElementById('status');

const SYSTEM_PROMPT = 'You are the Stride & Co. shop assistant. Be brief and helpful.';

async function load() {
  const t0 = performance.now();
  const res = await fetch(snapshotUrl, { credentials: 'include' });
  if (!res.ok) {
    const err = new Error(`snapshot ${snapshotUrl}: HTTP ${res.status}`);
    err.code = 'E_SNAPSHOT_FETCH';
    throw err;
  }
  const bytes = new Uint8Array(await res.arrayBuffer());
  const p = await Personalizer.fromSnapshot(bytes);
  const report = personalize(document.body, p, now === undefined ? undefined : { now });
  const ms = performance.now() - t0;
  return { p, report, ms, size: bytes.length };
}

function showChat(p, text) {
  const body = { model: 'gpt-4o-mini', messages: [{ role: 'system', content: SYSTEM_PROMPT }, { role: 'user', content: text }] };
  const out = document.getElementById('chat-context');
  const bodyOut = document.getElementById('chat-body');
  const metaOut = document.getElementById('chat-meta');
  if (!p) {
    out.textContent = '(no personalization: the request goes out unchanged)';
    bodyOut.textContent = JSON.stringify(body, null, 2);
    return;
  }
  try {
    const t0 = performance.now();
    const result = p.injectChat(body, { budgetTokens: 200, ...(now === undefined ? {} : { now }) });
    const ms = performance.now() - t0;
    out.textContent = result.context.text || '(nothing in the profile is relevant to this message)';
    bodyOut.textContent = JSON.stringify(result.body, null, 2);
    metaOut.textContent = `${result.context.items.length} items, ~${result.context.estimatedTokens} tokens, ${ms.toFixed(2)} ms`;
  } catch (err) {
    out.textContent = `${err.code}: ${err.message}`;
  }
}

let personalizer = null;
const input = document.getElementById('chat-input');
document.getElementById('chat-form').addEventListener('submit', (event) => {
  event.preventDefault();
  showChat(personalizer, input.value);
});

load().then(
  ({ p, report, ms, size }) => {
    personalizer = p;
    status.textContent = `Personalized in your browser from ${snapshotUrl} (${size} bytes) in ${ms.toFixed(1)} ms: ${report.slots} slots, ${report.conditions} conditions, ${report.variants} variant groups.`;
    document.documentElement.dataset.persona = 'ready';
    showChat(p, input.value);
  },
  (err) => {
    // 401/404 from the snapshot URL: an anonymous visitor, not an error.
    const anonymous = err.code === 'E_SNAPSHOT_FETCH' && / HTTP (401|404)$/.test(err.message);
    (anonymous ? console.info : console.error)(`edge-persona: ${err.code ?? 'E_UNKNOWN'}: ${err.message}`);
    status.textContent = 'Default page (not personalized).';
    document.documentElement.dataset.persona = 'failed';
    showChat(null, input.value);
  },
);
