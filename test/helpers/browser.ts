// Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by playwright-core.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Where Debian's `chromium` package puts the browser (CI installs it with apt-get). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Whether the browser tests can run here. */
export const hasChromium = existsSync(CHROMIUM_PATH);

/** Launch headless Chromium with no network side channels (updates, sync, QUIC). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A page plus everything that went wrong while it loaded and ran. */
export interface WatchedPage {
  page: Page;
  /** Console errors, uncaught exceptions and failed requests, as text. */
  problems: string[];
  /** URLs the page requested that were not `file:` or `data:`/`blob:` (should stay empty). */
  network: string[];
}

/**
 * Open a local file (or an `http://127.0.0.1` URL) in a fresh context, recording console errors
 * and warnings, page errors, failed requests and requests that leave the machine.
 */
export async function openFile(browser: Browser, path: string): Promise<WatchedPage> {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  const problems: string[] = [];
  const network: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning')
      problems.push(`console ${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()}`));
  page.on('request', (req) => {
    if (!/^(file:|data:|blob:|http:\/\/127\.0\.0\.1[:/])/.test(req.url())) network.push(req.url());
  });
  const url = /^https?:/.test(path) ? path : pathToFileURL(path).href;
  await page.goto(url, { waitUntil: 'load' });
  return { page, problems, network };
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.bin': 'application/octet-stream',
  '.fits': 'application/fits',
};

/** A static file server on 127.0.0.1 (random port) for pages that fetch, e.g. WASM binaries. */
export async function serveDirectory(
  root: string,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const path = normalize(
      join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)),
    );
    if (!path.startsWith(normalize(root))) {
      res.writeHead(403).end();
      return;
    }
    const file = path.endsWith(sep) ? join(path, 'index.html') : path;
    readFile(file).then(
      (body) => {
        res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' });
        res.end(body);
      },
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
