// The report and review pages in real headless Chromium (Debian's /usr/bin/chromium).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { decode } from 'fast-png';
import { readFitsFile } from '../src/fits/index.node.js';
import { measureOnSky, northUpCutout, parseWcs } from '../src/wcs/index.js';
import { FITS_DIR, REAL_FITS } from './helpers/fits-fixtures.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImage2D, createRng, type Image2D } from '../src/core/index.js';
import { rankCandidates, type ReportCandidate, type ReportData } from '../src/report/index.js';
import { writeReport, writeReviewPage } from '../src/report/index.node.js';
import { hasChromium, launchChromium, openFile } from './helpers/browser.js';

function blob(seed: number): Image2D {
  const rng = createRng(seed);
  const img = createImage2D(32, 32);
  const cx = rng.uniform(10, 22);
  const cy = rng.uniform(10, 22);
  for (let r = 0; r < 32; r++) {
    for (let c = 0; c < 32; c++) {
      img.set(r, c, Math.exp(-((c - cx) ** 2 + (r - cy) ** 2) / 18) + 0.05 * rng.normal());
    }
  }
  img.set(0, 0, NaN);
  return img;
}

function reportData(): ReportData {
  const rng = createRng(3);
  const candidates: ReportCandidate[] = Array.from({ length: 9 }, (_, i) => ({
    id: `cand-${i}`,
    file: i === 4 ? '<script>window.__pwned = 1</script>.fits' : `image-${i}.fits`,
    score: rng.next(),
    label: i % 2 ? 'positive' : 'negative',
    image: i === 7 ? undefined : blob(i),
    target: `T${i}`,
    projectCode: '2016.1.00484.L',
    memberOus: `uid://A001/X1/X${i}`,
  }));
  return {
    title: 'Browser test report',
    candidates,
    history: [1, 2, 3, 4].map((epoch) => ({
      epoch,
      loss: 1 / epoch,
      acc: 1 - 0.5 / epoch,
      valLoss: 1.2 / epoch,
      valAcc: 1 - 0.6 / epoch,
    })),
    evaluation: {
      confusion: { tp: 4, fp: 1, tn: 3, fn: 1 },
      accuracy: 7 / 9,
      precision: 0.8,
      recall: 0.8,
      f1: 0.8,
      roc: [
        { fpr: 0, tpr: 0 },
        { fpr: 0.25, tpr: 0.8 },
        { fpr: 1, tpr: 1 },
      ],
      pr: [
        { recall: 0.8, precision: 0.8 },
        { recall: 1, precision: 5 / 9 },
      ],
      threshold: 0.5,
    },
    profile: { name: 'test' },
  };
}

describe.skipIf(!hasChromium)('report in headless Chromium', () => {
  let browser: Browser;
  let dir: string;
  beforeAll(async () => {
    browser = await launchChromium();
    dir = await mkdtemp(join(tmpdir(), 'browser-report-'));
  });
  afterAll(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  for (const images of ['inline', 'files'] as const) {
    it(`loads without console errors or network, and every image decodes (${images} images)`, async () => {
      const data = reportData();
      const { index } = await writeReport(data, join(dir, images), { images });
      const { page, problems, network } = await openFile(browser, index);
      try {
        const imgs = await page.$$eval('img', (els) =>
          Promise.all(
            (els as HTMLImageElement[]).map(async (img) => {
              img.loading = 'eager';
              await img.decode().catch(() => undefined);
              return { w: img.naturalWidth, h: img.naturalHeight };
            }),
          ),
        );
        expect(imgs).toHaveLength(8);
        for (const { w, h } of imgs) expect([w, h]).toEqual([32, 32]);
        expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
        expect(problems).toEqual([]);
        expect(network).toEqual([]);
      } finally {
        await page.context().close();
      }
    });
  }

  it('shows the candidates in score order with their files and archive links', async () => {
    const data = reportData();
    const { index } = await writeReport(data, join(dir, 'order'));
    const { page, problems } = await openFile(browser, index);
    try {
      const rows = await page.$$eval('tr.candidate', (trs) =>
        trs.map((tr) => ({
          id: tr.getAttribute('data-id'),
          file: tr.querySelector('td.file')?.firstChild?.textContent,
          link: tr.querySelector('a.archive')?.getAttribute('href'),
        })),
      );
      const ranked = rankCandidates(data.candidates);
      expect(rows.map((r) => r.id)).toEqual(ranked.map((c) => c.id));
      expect(rows.map((r) => r.file)).toEqual(ranked.map((c) => c.file));
      const first = ranked[0];
      expect(rows[0].link).toBe(
        `https://almascience.org/aq/?result_view=observation&mous=${encodeURIComponent(first.memberOus as string)}`,
      );
      expect(await page.locator('svg.chart').count()).toBe(4);
      expect(problems).toEqual([]);
    } finally {
      await page.context().close();
    }
  });

  for (const images of ['inline', 'files'] as const) {
    it(`draws a candidate on the sky: north-up crop, beam, scale bar, axes, colour bar, contours (${images} images)`, async () => {
      const f = await readFitsFile(join(FITS_DIR, REAL_FITS.serpens));
      const wcs = parseWcs(f.header);
      const sky = measureOnSky(f.image!, f.header, [241, 242]);
      const cut = northUpCutout(f.image!, wcs, [241, 242], { size: 60 });
      const data: ReportData = {
        title: 'Sky figure',
        candidates: [
          {
            id: 'serpens#0',
            file: REAL_FITS.serpens,
            score: 0.91,
            scoreStd: 0.04,
            label: 'positive',
            knownLabel: 'positive',
            image: blob(1),
            inputAngle: -23.4,
            ra: sky.ra,
            dec: sky.dec,
            raHms: sky.raHms,
            decDms: sky.decDms,
            frame: sky.frame,
            object: sky.object,
            peakJyBeam: sky.peakJyBeam,
            integratedJy: sky.integratedJy,
            integratedErrJy: sky.integratedErrJy,
            snr: sky.snr,
            sky: {
              image: cut.image,
              pixelArcsec: cut.pixelArcsec,
              unit: sky.unit,
              beam: sky.beam,
              rms: sky.rmsJyBeam,
              centerLabel: `${sky.raHms} ${sky.decDms} ${sky.frame}`,
            },
          },
        ],
      };
      const { index } = await writeReport(data, join(dir, `sky-${images}`), { images });
      const { page, problems, network } = await openFile(browser, index);
      try {
        const figure = page.locator('svg.sky-figure');
        await expect(figure.count()).resolves.toBe(1);
        const box = await figure.boundingBox();
        expect(box?.width).toBeGreaterThan(250);
        // The beam, 0.70" x 0.45" at PA -60.9°, at 200 CSS px per 60 x 0.093": its FWHM ellipse.
        const perArcsec = 200 / (60 * cut.pixelArcsec);
        const beam = page.locator('ellipse.beam');
        expect(Number(await beam.getAttribute('ry'))).toBeCloseTo((0.70006 / 2) * perArcsec, 1);
        expect(Number(await beam.getAttribute('rx'))).toBeCloseTo((0.45411 / 2) * perArcsec, 1);
        expect(await beam.getAttribute('transform')).toMatch(/^rotate\(60\.89 /);
        const drawn = await beam.boundingBox();
        expect(drawn!.width).toBeGreaterThan(15);
        expect(await page.locator('g.scale-bar text').textContent()).toBe('1″');
        expect(await page.locator('text.axis.x').textContent()).toBe('ΔRA (″), east ←');
        expect(await page.locator('text.axis.bar').textContent()).toBe('mJy/beam, asinh');
        expect(await page.locator('path.contour').count()).toBeGreaterThan(3);
        // Both raster parts decode, in either image mode.
        const decoded = await page.$$eval('svg.sky-figure image', (els) =>
          Promise.all(
            els.map(
              (el) =>
                new Promise<number>((done) => {
                  const img = new Image();
                  img.onload = () => done(img.naturalWidth);
                  img.onerror = () => done(0);
                  img.src = el.getAttribute('href') ?? '';
                }),
            ),
          ),
        );
        expect(decoded).toEqual([60, 1]);
        const row = page.locator('tr.candidate');
        await expect(row.locator('td.ra').textContent()).resolves.toContain(sky.raHms!);
        await expect(row.locator('td.dec').textContent()).resolves.toBe(sky.decDms);
        await expect(row.locator('td.target').textContent()).resolves.toBe('Serpens_South_C7');
        await expect(row.locator('td.snr').textContent()).resolves.toBe(sky.snr!.toFixed(1));
        await expect(row.locator('td.score').textContent()).resolves.toMatch(/^0\.910 ± 0\.040/);
        await expect(row.locator('.rotated').textContent()).resolves.toBe(
          'rotated by -23.4° for the model',
        );
        const shot = await figure.screenshot();
        await writeFile(join(dir, `sky-${images}.png`), shot);
        // The picture is drawn: many colours, not a blank box.
        const png = decode(shot);
        const colours = new Set<number>();
        for (let i = 0; i < png.data.length; i += 4 * 7) {
          colours.add((png.data[i] << 16) | (png.data[i + 1] << 8) | png.data[i + 2]);
        }
        expect(colours.size).toBeGreaterThan(50);
        expect(problems).toEqual([]);
        expect(network).toEqual([]);
      } finally {
        await page.context().close();
      }
    });
  }

  it('review page: clicks and keys produce the expected decisions.json download', async () => {
    const items = [
      { id: 'gen-1', file: 'positives/gen-1.npy', group: 'Generated positives', image: blob(11) },
      { id: 'gen-2', file: 'positives/gen-2.npy', group: 'Generated positives', image: blob(12) },
      { id: 'cand-"3"', file: 'c<3>.fits', group: 'Candidates', image: blob(13), score: 0.7 },
      { id: 'cand-4', file: 'c4.fits', group: 'Candidates', image: blob(14), score: 0.6 },
    ];
    const path = await writeReviewPage(items, join(dir, 'review'), { title: 'Review test' });
    const { page, problems } = await openFile(browser, path);
    try {
      // Reject gen-2 by clicking; keep gen-1 and reject cand-"3" with the keyboard; toggle
      // cand-4 on and off again so it stays undecided.
      await page.locator('.item[data-id="gen-2"] button.reject').click();
      await page.locator('.item[data-id="gen-1"]').click();
      await page.keyboard.press('k'); // keep gen-1, move to gen-2
      await page.keyboard.press('ArrowRight'); // to cand-"3"
      await page.keyboard.press('r');
      await page.locator('.item[data-id="cand-4"] button.keep').click();
      await page.locator('.item[data-id="cand-4"] button.keep').click();
      expect(await page.locator('#count-keep').textContent()).toBe('1');
      expect(await page.locator('#count-reject').textContent()).toBe('2');
      expect(await page.locator('#count-open').textContent()).toBe('1');

      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.locator('#export').click(),
      ]);
      expect(download.suggestedFilename()).toBe('decisions.json');
      const saved = join(dir, 'decisions.json');
      await download.saveAs(saved);
      expect(JSON.parse(await readFile(saved, 'utf8'))).toEqual({
        version: 1,
        decisions: [
          { id: 'gen-1', file: 'positives/gen-1.npy', decision: 'keep' },
          { id: 'gen-2', file: 'positives/gen-2.npy', decision: 'reject' },
          { id: 'cand-"3"', file: 'c<3>.fits', decision: 'reject' },
        ],
      });

      // Progress survives a reload (local storage).
      await page.reload({ waitUntil: 'load' });
      expect(await page.locator('.item[data-id="gen-2"]').getAttribute('data-decision')).toBe(
        'reject',
      );
      expect(problems).toEqual([]);
    } finally {
      await page.context().close();
    }
  });
});
