// The crop on the sky: northUpCutout (north up, east left, its own WCS), the figure drawn from
// it (beam, scale bar, colour bar, contours), and `report` on what `classify` writes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createImage2D } from '../src/core/index.js';
import { FitsHeader, type FitsCard } from '../src/fits/index.js';
import { readFitsFile, writeFitsFile } from '../src/fits/index.node.js';
import {
  contourSegments,
  noiseContourLevels,
  buildReportHtml,
  skyFigureSvg,
  type ReportSkyView,
} from '../src/report/index.js';
import {
  angularSeparation,
  northUpCutout,
  parseWcs,
  pixelToWorld,
  positionAngle,
} from '../src/wcs/index.js';
import { FITS_DIR, REAL_FITS } from './helpers/fits-fixtures.js';
import { astropyWorld, pythonHas } from './helpers/python.js';

const tmp = mkdtempSync(join(tmpdir(), 'report-sky-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const MAS = 1 / 3.6e6;
const SERPENS = `${FITS_DIR}${REAL_FITS.serpens}`;

/** Serpens South C7's header with its pixel grid turned by CROTA2 and its pixels kept. */
function rotated(header: FitsHeader, deg: number): FitsHeader {
  const cards: FitsCard[] = header.cards.filter((c) => !/^PC\d_\d$/.test(c.key));
  cards.push({ key: 'CROTA2', value: deg });
  return new FitsHeader(cards);
}

describe('northUpCutout', () => {
  it('cuts an ALMA image (north up already) without resampling: the pixels are the parent’s', async () => {
    const f = await readFitsFile(SERPENS);
    const wcs = parseWcs(f.header);
    const cut = northUpCutout(f.image!, wcs, [241, 242], { size: 40, header: f.header });
    expect(cut.resampled).toBe(false);
    expect(cut.window).toEqual({ rows: [221, 261], cols: [222, 262] });
    expect(cut.image.get(20, 20)).toBe(f.image!.get(241, 242));
    expect(cut.image.get(0, 39)).toBe(f.image!.get(221, 261));
    expect(cut.header?.number('CRPIX1')).toBe(241 - 222);
  });

  it('turns a rotated image north up, east left, with a header that puts each pixel on the sky', async () => {
    const f = await readFitsFile(SERPENS);
    const header = rotated(f.header, 35);
    const wcs = parseWcs(header);
    const size = 41;
    const cut = northUpCutout(f.image!, wcs, [241, 242], { size, header });
    expect(cut.resampled).toBe(true);
    expect(cut.rotationDeg).toBeCloseTo(35, 5);
    const own = parseWcs(cut.header!);
    const mid = (size - 1) / 2;
    const centre = pixelToWorld(own, [mid, mid]);
    expect(angularSeparation(centre, pixelToWorld(wcs, [241, 242])) / MAS).toBeLessThan(0.5);
    // One row up is north, one column left is east, each one pixel (0.093") away.
    const up = pixelToWorld(own, [mid + 10, mid]);
    const left = pixelToWorld(own, [mid, mid - 10]);
    expect(positionAngle(centre, up)).toBeCloseTo(0, 3);
    expect(positionAngle(centre, left)).toBeCloseTo(90, 3);
    expect(angularSeparation(centre, up) * 3600).toBeCloseTo(0.93, 4);
    // The peak of the rotated parent is the peak of the cutout, at the centre.
    expect(cut.image.get(mid, mid)).toBeCloseTo(f.image!.get(241, 242), 5);
  });

  it.skipIf(!pythonHas('astropy.wcs'))(
    'astropy reads the resampled cutout with the same sky position for every pixel',
    async () => {
      const f = await readFitsFile(SERPENS);
      const header = rotated(f.header, -50);
      const parent = join(tmp, 'rotated-parent.fits');
      await writeFitsFile(parent, f.image!, header);
      const cut = northUpCutout(f.image!, parseWcs(header), [241, 242], { size: 31, header });
      const path = join(tmp, 'north-up.fits');
      await writeFitsFile(path, cut.image, cut.header!);
      const [a, b] = astropyWorld([
        [parent, 241, 242],
        [path, 15, 15],
      ]);
      expect(angularSeparation(a!, b!) / MAS).toBeLessThan(1);
    },
  );
});

describe('contours', () => {
  it('a Gaussian’s contour is a closed ring at the right radius', () => {
    const img = createImage2D(41, 41);
    for (let r = 0; r < 41; r++)
      for (let c = 0; c < 41; c++) img.set(r, c, Math.exp(-((r - 20) ** 2 + (c - 20) ** 2) / 50));
    // Radius √(50 ln(1/0.36)) = 7.15, off the pixel centres (a crossing at a centre is shared by 4 cells).
    const segs = contourSegments(img, 0.36);
    expect(segs.length).toBeGreaterThan(20);
    const radius = Math.sqrt(50 * Math.log(1 / 0.36));
    for (const [x0, y0] of segs)
      expect(Math.abs(Math.hypot(x0 - 20, y0 - 20) - radius)).toBeLessThan(0.15);
    // Closed: every end point is the start of another segment.
    const key = (x: number, y: number) => `${x.toFixed(6)},${y.toFixed(6)}`;
    const starts = new Map<string, number>();
    for (const [x0, y0, x1, y1] of segs) {
      starts.set(key(x0, y0), (starts.get(key(x0, y0)) ?? 0) + 1);
      starts.set(key(x1, y1), (starts.get(key(x1, y1)) ?? 0) + 1);
    }
    expect([...starts.values()].every((n) => n === 2)).toBe(true);
  });

  it('levels run ±3, 5, 10, 20, 50 … × rms within the data', () => {
    expect(noiseContourLevels(1, -4, 120)).toEqual([-3, 3, 5, 10, 20, 50, 100]);
    expect(noiseContourLevels(0, -4, 120)).toEqual([]);
    expect(noiseContourLevels(2, -1, 5)).toEqual([]);
  });
});

describe('skyFigureSvg', () => {
  const view = (over: Partial<ReportSkyView> = {}): ReportSkyView => {
    const img = createImage2D(40, 40);
    for (let r = 0; r < 40; r++)
      for (let c = 0; c < 40; c++)
        img.set(
          r,
          c,
          0.05 * Math.exp(-((r - 20) ** 2 + (c - 20) ** 2) / 8) + 1e-4 * Math.sin(r * c),
        );
    img.set(0, 0, NaN);
    return {
      image: img,
      pixelArcsec: 0.1,
      unit: 'Jy/beam',
      beam: { majorArcsec: 0.6, minorArcsec: 0.3, paDeg: 30 },
      rms: 1e-3,
      centerLabel: '18h30m04.117s -02d03m02.63s <ICRS>',
      ...over,
    };
  };
  const hrefs: string[] = [];
  const svg = skyFigureSvg(view(), (png, part) => {
    hrefs.push(part);
    expect([...png.slice(1, 4)].map((b) => String.fromCharCode(b)).join('')).toBe('PNG');
    return `data:${part}`;
  });

  it('draws the beam as its FWHM ellipse at its position angle (counter-clockwise from north)', () => {
    // 200 px for 40 pixels of 0.1": 50 px per arcsec.
    const m =
      /<ellipse class="beam" cx="([\d.]+)" cy="([\d.]+)" rx="([\d.]+)" ry="([\d.]+)" transform="rotate\((-?[\d.]+) /.exec(
        svg,
      );
    expect(m).not.toBeNull();
    expect(Number(m![3])).toBeCloseTo(7.5, 2);
    expect(Number(m![4])).toBeCloseTo(15, 2);
    expect(Number(m![5])).toBe(-30);
  });

  it('has a scale bar in arcsec, axes in arcsec offsets with east left, a compass and a colour bar with unit and stretch', () => {
    expect(svg).toMatch(/<g class="scale-bar">.*>1″<\/text><\/g>/);
    expect(svg).toContain('ΔRA (″), east ←');
    expect(svg).toContain('ΔDec (″), north ↑');
    // East (positive ΔRA) is on the left: the tick "1" lies left of the centre.
    const tick = (t: string) =>
      Number(new RegExp(`<text class="tick x" x="([\\d.]+)"[^>]*>${t}</text>`).exec(svg)![1]);
    expect(tick('1')).toBeLessThan(tick('0'));
    expect(tick('-1')).toBeGreaterThan(tick('0'));
    expect(svg).toContain('<g class="compass"');
    expect(svg).toContain('mJy/beam, asinh');
    expect(svg).toMatch(/<text class="tick bar"[^>]*>40<\/text>/);
    expect(hrefs).toEqual(['image', 'colorbar']);
  });

  it('draws noise contours and escapes text', () => {
    const levels = [...svg.matchAll(/<path class="contour" data-level="([-\d.]+)"/g)].map((m) =>
      Number(m[1]),
    );
    // The peak is 49.9 mJy/beam, the rms 1 mJy/beam: no 50σ contour.
    expect(levels).toEqual([3, 5, 10, 20]);
    expect(svg).toContain('&#60;ICRS&#62;');
    expect(svg).not.toContain('<ICRS>');
    const plain = skyFigureSvg(view({ rms: undefined }), () => 'x', { contours: true });
    expect(plain).not.toContain('class="contour"');
    expect(skyFigureSvg(view(), () => 'x', { contours: false })).not.toContain('class="contour"');
    expect(skyFigureSvg(view({ resampled: true }), () => 'x')).toContain('resampled N up');
  });

  it('a report draws the crop on the sky for the highest scores only (maxSkyFigures)', () => {
    const candidates = [0.2, 0.9, 0.5, 0.7].map((score, i) => ({
      id: `c${i}`,
      file: `f${i}.fits`,
      score,
      label: 'positive',
      sky: view(),
    }));
    const figures = (html: string): number => html.match(/<svg class="sky-figure"/g)?.length ?? 0;
    const data = { title: 't', candidates };
    expect(figures(buildReportHtml(data))).toBe(4);
    const two = buildReportHtml(data, { maxSkyFigures: 2 });
    expect(figures(two)).toBe(2);
    expect(two).toContain('drawn for the 2 highest-scoring candidates; 2 below them');
    // the two drawn are the two highest scores (ranks 1 and 2: 0.9 and 0.7)
    const rows = two.split('<tr class="candidate"').slice(1);
    expect(rows.map((r) => r.includes('sky-figure'))).toEqual([true, true, false, false]);
    expect(rows.map((r) => /data-score="([\d.]+)"/.exec(r)?.[1])).toEqual([
      '0.9',
      '0.7',
      '0.5',
      '0.2',
    ]);
    expect(figures(buildReportHtml(data, { maxSkyFigures: 0 }))).toBe(0);
    expect(buildReportHtml(data)).not.toContain('highest-scoring candidates;');
  });
});

describe('`report` reads what `classify` writes', () => {
  it('candidates.json with thumbs/ becomes a page with sky figures, positions and fluxes', async () => {
    // Written by test/pipeline-catalogue.test.ts's CLI run shape, made here directly.
    const { createModel } = await import('../src/model/index.js');
    const { saveModel, loadModel } = await import('../src/model/index.node.js');
    const { classify } = await import('../src/pipeline/classify.node.js');
    const { writeCandidateFiles } = await import('../src/pipeline/index.node.js');
    const { main } = await import('../src/cli/main.js');
    const model = await createModel({
      inputShape: [32, 32, 1],
      convBlocks: [{ filters: 2, kernelSize: 3, poolSize: 2, activation: 'relu' }],
      denseUnits: 4,
      seed: 2,
    });
    await saveModel(model, join(tmp, 'model'), {
      profileName: 'tiny',
      profile: { name: 'tiny', preprocess: { inputSize: 32, cropSize: 64 } },
      classNames: ['negative', 'positive'],
    });
    const candidates = await classify(await loadModel(join(tmp, 'model')), [SERPENS], {
      maxSources: 2,
      keepInputs: true,
    });
    const written = await writeCandidateFiles(candidates, join(tmp, 'run', 'candidates.json'), {
      positiveLabel: 'positive',
    });
    expect(written.thumbnails.filter((p) => p.endsWith('-sky.fits'))).toHaveLength(2);
    /** `alma-classifier report run/ --out <out> ...more`, quietly; its exit code. */
    const report = async (out: string, ...more: string[]): Promise<number> => {
      const log = console.log;
      try {
        console.log = () => undefined;
        return await main([
          'node',
          'alma-classifier',
          'report',
          join(tmp, 'run'),
          '--out',
          out,
          ...more,
        ]);
      } finally {
        console.log = log;
        process.exitCode = undefined;
      }
    };
    expect(await report(join(tmp, 'report'))).toBe(0);
    const html = readFileSync(join(tmp, 'report', 'index.html'), 'utf8');
    expect(html.match(/<svg class="sky-figure"/g)).toHaveLength(2);
    expect(await report(join(tmp, 'report-1'), '--sky-figures', '1')).toBe(0);
    const one = readFileSync(join(tmp, 'report-1', 'index.html'), 'utf8');
    expect(one.match(/<svg class="sky-figure"/g)).toHaveLength(1);
    expect(html).toContain('<ellipse class="beam"');
    expect(html).toContain(candidates[0].raHms!);
    expect(html).toContain('Serpens_South_C7');
    expect(html).toMatch(/rotated by -?\d+(\.\d)?° for the model/);
    expect(readFileSync(join(tmp, 'report', 'candidates.csv'), 'utf8').split('\r\n')).toHaveLength(
      4,
    );
  }, 60_000);
});
