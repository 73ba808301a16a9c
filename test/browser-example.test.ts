// examples/browser: the static page that scores a dropped FITS file, bundled and run in Chromium.
import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBrowserExample } from '../examples/browser/build.js';
import { createModel } from '../src/model/index.js';
import { saveModel } from '../src/model/index.node.js';
import { hasChromium, launchChromium, openFile, serveDirectory } from './helpers/browser.js';

const FITS = 'test/fixtures/fits/b335_2017_band6_0.fits';

describe.skipIf(!hasChromium)('examples/browser in headless Chromium', () => {
  let browser: Browser;
  let root: string;
  let server: { url: string; close: () => Promise<void> };
  let modelDir: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'browser-example-'));
    await buildBrowserExample(join(root, 'dist'));
    await copyFile('examples/browser/index.html', join(root, 'index.html'));
    // A tiny untrained model for 32 x 32 inputs; its profile says so, and the page must follow it.
    modelDir = join(root, 'model');
    await mkdir(modelDir);
    const model = await createModel({
      inputShape: [32, 32, 1],
      convBlocks: [{ filters: 2, kernelSize: 3, poolSize: 2, activation: 'relu' }],
      denseUnits: 4,
    });
    await saveModel(model, modelDir, {
      profileName: 'tiny-test',
      profile: { name: 'tiny-test', preprocess: { inputSize: 32 } },
      classNames: ['negative', 'positive'],
    });
    server = await serveDirectory(root);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('shows a picked FITS image and its crop, then scores it once a model is loaded', async () => {
    const { page, problems, network } = await openFile(browser, server.url);
    try {
      await page.setInputFiles('#fits-file', FITS);
      await page.waitForFunction(() => !(document.getElementById('result') as HTMLElement).hidden);
      const sizes = await page.$$eval('#result img', (imgs) =>
        Promise.all(
          (imgs as HTMLImageElement[]).map(async (img) => {
            await img.decode();
            return [img.naturalWidth, img.naturalHeight];
          }),
        ),
      );
      // The default profile's input: 48 x 48 pixels spanning 24 beams (scale and beam from the header).
      expect(sizes).toEqual([
        [1000, 1000],
        [48, 48],
      ]);
      expect(await page.textContent('#score')).toBe('–');

      const files = (await readdir(modelDir)).map((f) => join(modelDir, f));
      await page.setInputFiles('#model-files', files);
      // The image already shown is scored as soon as the model has loaded.
      await page
        .waitForFunction(
          () => /^\d\.\d{3}$/.test(document.getElementById('score')?.textContent ?? ''),
          undefined,
          { timeout: 20_000 },
        )
        .catch(async (err: Error) => {
          const shown = [
            await page.textContent('#error'),
            await page.textContent('#score'),
            await page.textContent('#label'),
            await page.textContent('#full-caption'),
          ].join(' | ');
          throw new Error(`${err.message}\npage error text: ${shown}\n${problems.join('\n')}`);
        });
      const score = Number(await page.textContent('#score'));
      expect(score).toBeGreaterThanOrEqual(0);
      expect(score).toBeLessThanOrEqual(1);
      // The crop now follows the model's profile (32 x 32), not the default 64 x 64.
      expect(await page.$eval('#crop', (img) => (img as HTMLImageElement).naturalWidth)).toBe(32);
      expect(await page.textContent('#error')).toBe('');
      expect(problems).toEqual([]);
      expect(network).toEqual([]);
    } finally {
      await page.context().close();
    }
  });
});
