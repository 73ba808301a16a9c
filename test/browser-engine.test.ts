// The training engine in a browser: the browser entry point trains with it on the calling
// thread and scores like TensorFlow.js, in headless Chromium.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBrowserExample } from '../examples/browser/build.js';
import { hasChromium, launchChromium, openFile, serveDirectory } from './helpers/browser.js';

describe.skipIf(!hasChromium)('training engine in headless Chromium', () => {
  let browser: Browser;
  let root: string;
  let server: { url: string; close: () => Promise<void> };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'browser-engine-'));
    await buildBrowserExample(root, 'test/helpers/engine-page.ts');
    await writeFile(
      join(root, 'index.html'),
      '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module" src="app.js"></script>',
    );
    server = await serveDirectory(root);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('trains on the calling thread and scores as TensorFlow.js does', async () => {
    const { page, problems, network } = await openFile(browser, server.url);
    try {
      await page.waitForFunction(
        () => {
          const w = window as unknown as { engineResult?: unknown; engineError?: string };
          return w.engineResult !== undefined || w.engineError !== undefined;
        },
        undefined,
        { timeout: 60_000 },
      );
      const { engineResult, engineError } = (await page.evaluate(() => {
        const w = window as unknown as { engineResult?: unknown; engineError?: string };
        return { engineResult: w.engineResult, engineError: w.engineError };
      })) as {
        engineResult?: {
          backend: string;
          engineThreads: number;
          finalAcc: number;
          maxDiff: number;
        };
        engineError?: string;
      };
      expect(engineError).toBeUndefined();
      // Chromium has relaxed SIMD (V8 11.4+), so the fused multiply-add build runs here.
      expect(engineResult).toMatchObject({
        backend: 'wasm',
        engineThreads: 1,
        engineSimd: 'relaxed',
      });
      expect(engineResult?.finalAcc).toBeGreaterThanOrEqual(0.9);
      expect(engineResult?.maxDiff).toBeLessThan(1e-5);
      expect(problems.filter((p) => !/tfjs-node|Hi, looks/.test(p))).toEqual([]);
      expect(network).toEqual([]);
    } finally {
      await page.context().close();
    }
  }, 90_000);
});
