// The run's review page in headless Chromium, opened from disk: decisions with the keyboard,
// the label-store export, and retraining in the page with the library's WebAssembly engine,
// whose weights equal Node's for the same decisions and seed.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLabels } from '../src/dataset/index.node.js';
import type { LabelDecision, LabelObject } from '../src/dataset/labels.js';
import { buildReviewApp } from '../src/pipeline/review-app-script.node.js';
import { retrainFromPayload, type ReviewPayload } from '../src/pipeline/review-payload.js';
import { writeRunReview } from '../src/pipeline/review.node.js';
import { hasChromium, launchChromium, openFile } from './helpers/browser.js';
import { makeReviewFixture, type ReviewFixture } from './helpers/review-fixture.js';

describe.skipIf(!hasChromium)('run review page in headless Chromium', () => {
  let browser: Browser;
  let dir: string;
  let fx: ReviewFixture;
  let pagePath: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'alma-browser-review-'));
    fx = await makeReviewFixture(dir);
    const script = await readFile(await buildReviewApp(join(dir, 'review-app.js')), 'utf8');
    const written = await writeRunReview(fx.runJson, {
      model: fx.loaded,
      out: join(dir, 'page'),
      selection: { top: 4, uncertain: 2, random: 1, seed: 2 },
      retrain: { script, dataset: fx.dataset, replay: 12, epochs: 3, seed: 7 },
    });
    pagePath = written.page;
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('decisions retrain the model in the page, change the ranking, and match Node', async () => {
    const { page, problems, network } = await openFile(browser, pagePath);
    try {
      const order = (): Promise<string[]> =>
        page.evaluate(() =>
          (window as unknown as { almaReview: { order(): string[] } }).almaReview.order(),
        );
      const before = await order();
      // keep, keep, reject, reject the first four cards with the keyboard; mark one unsure
      for (const key of ['k', 'k', 'r', 'r', 's']) await page.keyboard.press(key);
      expect(await page.locator('#count-keep').textContent()).toBe('2');
      expect(await page.locator('#count-reject').textContent()).toBe('2');
      expect(await page.locator('#count-unsure').textContent()).toBe('1');

      // the export is label-store lines the Node reader accepts
      await page.locator('#who').fill('tester');
      await page.locator('#who').dispatchEvent('change');
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.locator('#export').click(),
      ]);
      expect(download.suggestedFilename()).toBe('labels.jsonl');
      const saved = join(dir, 'exported.jsonl');
      await download.saveAs(saved);
      const exported = (await readLabels(saved)).labels;
      expect(exported.map((l) => l.label)).toEqual(['keep', 'keep', 'reject', 'reject', 'unsure']);
      expect(exported.every((l) => l.who === 'tester' && l.kind === 'candidate')).toBe(true);
      expect(exported.map((l) => l.id)).toEqual(before.slice(0, 5));

      const result = (await page.evaluate(() =>
        (
          window as unknown as { almaReviewApp: { retrain(): Promise<unknown> } }
        ).almaReviewApp.retrain(),
      )) as { trainedOn: number; decisions: number; seconds: number };
      expect(result.decisions).toBe(5);
      const html = await readFile(pagePath, 'utf8');
      const json =
        /<script type="application\/json" id="alma-review-payload">([\s\S]*?)<\/script>/.exec(
          html,
        )![1];
      const payload = JSON.parse(json.replace(/<\\\//g, '</')) as ReviewPayload;
      const replay = payload.replay.labels.length;
      expect(replay).toBeGreaterThan(0);
      // the replay, then the kept and rejected candidates (not the unsure one)
      expect(result.trainedOn).toBe(replay + 4);
      const after = await order();
      expect(after).not.toEqual(before);
      // the decided cards moved to the end, the rest re-ranked
      expect(new Set(after.slice(-5))).toEqual(new Set(before.slice(0, 5)));
      expect(await page.locator('#moves').textContent()).toContain(
        `Retrained on ${replay + 4} samples (5 decisions)`,
      );

      // Node, same payload, same decisions, same seed: the same weights
      const cards = await page.evaluate(() =>
        Array.from(document.querySelectorAll('.item[data-decision]')).map((it) => ({
          id: it.getAttribute('data-id') as string,
          label: it.getAttribute('data-decision') as string,
          object: JSON.parse(it.getAttribute('data-object') as string) as unknown,
          inputIndex: Number(it.getAttribute('data-input')),
        })),
      );
      const decisions = cards.map((c) => ({
        ...c,
        label: c.label as LabelDecision,
        object: c.object as LabelObject,
      }));
      // the page's decisions in page order, as the app reads them
      const pageOrder = await page.evaluate(() =>
        (window as unknown as { almaReview: { decisions(): { id: string }[] } }).almaReview
          .decisions()
          .map((d) => d.id),
      );
      decisions.sort((a, b) => pageOrder.indexOf(a.id) - pageOrder.indexOf(b.id));
      const node = await retrainFromPayload(payload, decisions);
      const nodeWeights = node.model.getWeights().map((t) => Array.from(t.dataSync()));
      const pageWeights = (await page.evaluate(() =>
        (window as unknown as { almaReviewApp: { weights(): number[][] } }).almaReviewApp.weights(),
      )) as number[][];
      expect(pageWeights.map((w) => w.length)).toEqual(nodeWeights.map((w) => w.length));
      let maxDiff = 0;
      let maxAbs = 0;
      nodeWeights.forEach((w, i) =>
        w.forEach((v, j) => {
          maxDiff = Math.max(maxDiff, Math.abs(v - pageWeights[i][j]));
          maxAbs = Math.max(maxAbs, Math.abs(v));
        }),
      );
      // Node 20 runs the engine's baseline SIMD build, Chromium the relaxed (fused multiply-add)
      // one: the same arithmetic up to float rounding.
      expect(maxDiff).toBeLessThan(1e-4 * Math.max(1, maxAbs));
      // and the weights did move from the page's model
      const start = fx.loaded.model.getWeights().map((t) => Array.from(t.dataSync()));
      expect(nodeWeights[0]).not.toEqual(start[0]);
      const pageScores = (await page.evaluate(() =>
        (
          window as unknown as { almaReviewApp: { scores(): Record<string, number> } }
        ).almaReviewApp.scores(),
      )) as Record<string, number>;
      const ids = await page.evaluate(() =>
        Array.from(document.querySelectorAll('.item[data-input]')).map((it) => [
          it.getAttribute('data-id') as string,
          Number(it.getAttribute('data-input')),
        ]),
      );
      for (const [id, k] of ids as [string, number][]) {
        expect(pageScores[id]).toBeCloseTo(node.scores[k], 4);
      }
      expect(problems).toEqual([]);
      expect(network).toEqual([]);
      console.log(
        `page retrain: ${result.seconds.toFixed(1)} s; max weight difference from Node ${maxDiff.toExponential(2)}`,
      );
    } finally {
      await page.context().close();
    }
  }, 180_000);

  it('keeps decisions and the reviewer across a reload (local storage)', async () => {
    const { page, problems } = await openFile(browser, pagePath);
    try {
      for (const key of ['k', 'r', 's']) await page.keyboard.press(key);
      await page.locator('#who').fill('tester');
      await page.locator('#who').dispatchEvent('change');
      const decided = await page.evaluate(() =>
        Array.from(document.querySelectorAll('.item[data-decision]')).map((it) => [
          it.getAttribute('data-id'),
          it.getAttribute('data-decision'),
        ]),
      );
      expect(decided.map((d) => d[1])).toEqual(['keep', 'reject', 'unsure']);
      await page.reload({ waitUntil: 'load' });
      for (const [id, decision] of decided) {
        expect(await page.locator(`.item[data-id="${id}"]`).getAttribute('data-decision')).toBe(
          decision,
        );
      }
      expect(await page.locator('#count-keep').textContent()).toBe('1');
      expect(await page.locator('#count-unsure').textContent()).toBe('1');
      expect(await page.locator('#who').inputValue()).toBe('tester');
      expect(problems).toEqual([]);
    } finally {
      await page.context().close();
    }
  });
});
