// Shared by the browser tests and the benchmark: the www/ demo server and Debian's Chromium, headless.
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export const CHROMIUM_PATH = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Starts www/server.mjs on a free port of 127.0.0.1; resolves to its URL and the child process. */
export function startDemo() {
  return new Promise((resolveUrl, reject) => {
    const child = spawn(process.execPath, [join(root, 'www/server.mjs')], { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      const m = chunk.match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (m) resolveUrl({ url: m[0], child });
    });
    child.on('exit', (code) => reject(new Error(`demo server exited with ${code}`)));
  });
}

/** Headless Chromium with the flags this sandbox needs (no sandbox as root, no background network). */
export function launchChromium() {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
