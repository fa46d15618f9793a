// Test-only pieces for the person-state tests and the load test: the Worker with its PROFILES KV
// binding wrapped by an observer that reports every write (put, delete) to Node, so that the tests
// count KV writes per key independently of the Worker; the workerd process's CPU time; files.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { workerOptions } from './helpers.mjs';

// A wrapped binding (Miniflare `wrappedBindings`): the real namespace as INNER, every write
// reported to LOG (the test's Node side) with the Worker's clock before it is made.
const OBSERVER = `
export default function (env) {
  const kv = env.INNER;
  const report = (op, key) => env.LOG.fetch('http://log/', { method: 'POST', body: JSON.stringify({ op, key, t: Date.now() }) });
  return {
    get: (key, options) => kv.get(key, options),
    getWithMetadata: (key, options) => kv.getWithMetadata(key, options),
    list: (options) => kv.list(options),
    async put(key, value, options) { await report('put', key); return kv.put(key, value, options); },
    async delete(key) { await report('delete', key); return kv.delete(key); },
  };
}`;

/**
 * Miniflare options: the built Worker (person objects included) whose PROFILES binding is
 * observed; the namespace itself is PROFILES_RAW for the test to seed and read. `writes` collects
 * `{op, key, t}`. `persist`: a directory for the objects' and KV's storage (else in memory).
 */
export function observedWorkerOptions(bindings, { writes, persist } = {}) {
  const main = workerOptions(bindings);
  main.kvNamespaces = { PROFILES_RAW: 'PROFILES' };
  main.wrappedBindings = { PROFILES: { scriptName: 'kv-observer' } };
  const observer = {
    name: 'kv-observer',
    modules: true,
    script: OBSERVER,
    kvNamespaces: { INNER: 'PROFILES' },
    serviceBindings: {
      async LOG(request) {
        writes?.push(JSON.parse(await request.text()));
        return new Response('ok');
      },
    },
  };
  const shared = persist
    ? { durableObjectsPersist: path.join(persist, 'do'), kvPersist: path.join(persist, 'kv') }
    : {};
  return { ...shared, workers: [main, observer] };
}

/** Per key: the number of writes, and the least time between two writes of it (ms, Worker clock). */
export function writesPerKey(writes) {
  const byKey = new Map();
  for (const w of writes) {
    if (!byKey.has(w.key)) byKey.set(w.key, []);
    byKey.get(w.key).push(w.t);
  }
  const out = new Map();
  for (const [key, times] of byKey) {
    times.sort((a, b) => a - b);
    let minGap = Infinity;
    for (let i = 1; i < times.length; i += 1) minGap = Math.min(minGap, times[i] - times[i - 1]);
    out.set(key, { count: times.length, minGap });
  }
  return out;
}

/** The most writes of one key within any one-second window. */
export function maxWritesPerSecond(writes) {
  let most = 0;
  for (const { key, t } of writes) {
    const n = writes.filter((w) => w.key === key && w.t >= t && w.t < t + 1000).length;
    most = Math.max(most, n);
  }
  return most;
}

/** The pids of workerd processes started by this Node process (Miniflare's). */
export function workerdPids() {
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (comm.startsWith('workerd') && Number(fields[1]) === process.pid) out.push(Number(d));
    } catch { /* gone */ }
  }
  return out;
}

/** CPU time (user + system) of a process so far, in ms (clock ticks of 10 ms). */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Every file under a directory, recursively. */
export function filesUnder(dir) {
  const out = [];
  let entries = [];
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}
