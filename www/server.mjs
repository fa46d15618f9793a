// A tiny static server for the demo: www/ at /, the built package (npm/dist) at /pkg/.
// 127.0.0.1 only. PORT (default 5180; 0 picks a free port). Prints the URL on its first line.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const roots = [['/pkg/', resolve(here, '../npm/dist')], ['/', here]];
const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.wasm': 'application/wasm',
  '.snap': 'application/octet-stream', '.png': 'image/png', '.svg': 'image/svg+xml',
};

function locate(pathname) {
  for (const [prefix, dir] of roots) {
    if (!pathname.startsWith(prefix)) continue;
    const rel = normalize(decodeURIComponent(pathname.slice(prefix.length)) || 'index.html');
    const file = resolve(dir, rel);
    if (file !== dir && !file.startsWith(dir + sep)) return null;
    return file;
  }
  return null;
}

const server = createServer(async (req, res) => {
  try {
    const url = new URL(req.url, 'http://localhost');
    let file = locate(url.pathname);
    if (file && (await stat(file).catch(() => null))?.isDirectory()) file = join(file, 'index.html');
    const body = file ? await readFile(file) : null;
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(body);
  } catch {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  }
});

const port = Number(process.env.PORT ?? 5180);
server.listen(port, '127.0.0.1', () => {
  const { port: actual } = server.address();
  console.log(`edge-persona demo: http://127.0.0.1:${actual}/`);
  console.log(`  other users: http://127.0.0.1:${actual}/?user=maria   pinned clock: ?now=2026-11-20T12:00:00Z   snapshot URL: ?snapshot=/v1/snapshot`);
});
