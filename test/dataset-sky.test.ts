import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createImage2D } from '../src/core/image2d.js';
import { DatasetError } from '../src/core/errors.js';
import { FitsHeader } from '../src/fits/index.js';
import { openFits, readFitsFile } from '../src/fits/index.node.js';
import { requireImage } from '../src/fits/index.js';
import { normalize } from '../src/image/index.js';
import {
  buildNegativeSet,
  buildPositiveSet,
  preprocess,
  preprocessWindows,
  resolveProfile,
  skyScaleFromHeader,
  transformShortcuts,
  dustInWind,
  originalDustInWind,
} from '../src/dataset/index.js';
import { preprocessFile } from '../src/dataset/index.node.js';
import type { ImageWindow } from '../src/dataset/index.js';

const fixtures = new URL('./fixtures/fits/', import.meta.url).pathname;
const B335 = join(fixtures, 'b335_2017_band6_0.fits');
const SERPENS = join(fixtures, 'serpenssouthc7_2019_band6_0.fits');

describe('skyScaleFromHeader', () => {
  it('reads the pixel side and beam of the real fixtures in arcsec (astropy: 0.01″ and 0.093″ pixels)', async () => {
    const b335 = skyScaleFromHeader((await readFitsFile(B335)).header);
    expect(b335?.pixelArcsec).toBeCloseTo(0.01, 9);
    // BMAJ 8.79294756386e-06 deg, BMIN 6.368255449666e-06 deg.
    expect(b335?.beamArcsec).toBeCloseTo(Math.sqrt(8.79294756386e-6 * 6.368255449666e-6) * 3600, 9);
    const serpens = skyScaleFromHeader((await readFitsFile(SERPENS)).header);
    expect(serpens?.pixelArcsec).toBeCloseTo(2.583333330859e-5 * 3600, 9);
  });

  it('takes CD matrices, rotated PC and CUNIT into account, and gives undefined without a scale', () => {
    const rot = (30 * Math.PI) / 180;
    const cd = new FitsHeader([
      { key: 'CD1_1', value: -1e-5 * Math.cos(rot) },
      { key: 'CD1_2', value: 1e-5 * Math.sin(rot) },
      { key: 'CD2_1', value: 1e-5 * Math.sin(rot) },
      { key: 'CD2_2', value: 1e-5 * Math.cos(rot) },
    ]);
    expect(skyScaleFromHeader(cd)?.pixelArcsec).toBeCloseTo(0.036, 12);
    const arcsec = new FitsHeader([
      { key: 'CDELT1', value: -0.05 },
      { key: 'CDELT2', value: 0.05 },
      { key: 'CUNIT1', value: 'arcsec' },
      { key: 'CUNIT2', value: 'arcsec' },
      { key: 'PC1_1', value: Math.cos(rot) },
      { key: 'PC1_2', value: -Math.sin(rot) },
      { key: 'PC2_1', value: Math.sin(rot) },
      { key: 'PC2_2', value: Math.cos(rot) },
    ]);
    expect(skyScaleFromHeader(arcsec)?.pixelArcsec).toBeCloseTo(0.05, 12);
    expect(skyScaleFromHeader(arcsec)?.beamArcsec).toBeUndefined();
    expect(skyScaleFromHeader(new FitsHeader([{ key: 'OBJECT', value: 'x' }]))).toBeUndefined();
  });
});

describe('crops on the sky', () => {
  // The original's central input cut and min-max scaling, with the crop in arcsec: these tests
  // compare pixel values of noiseless sources, which S/N scaling (noise measured in the image)
  // puts on no common scale.
  const arcsec = resolveProfile(
    {
      preprocess: { cropSize: 120, inputSize: 60, sky: { unit: 'arcsec', width: 6 } },
      positive: { align: 'none' },
    },
    originalDustInWind,
  );

  it('resamples B335 (0.01″/px) and Serpens (0.093″/px) to the same 0.1″ per input pixel', async () => {
    for (const path of [B335, SERPENS]) {
      const file = await readFitsFile(path);
      const sky = skyScaleFromHeader(file.header);
      const out = preprocess(requireImage(file), arcsec, { source: path, ...(sky ? { sky } : {}) });
      expect(out.input.shape).toEqual([60, 60]);
      const factor = 0.1 / (sky?.pixelArcsec ?? NaN);
      expect(out.transforms[0]).toBe(`sky-scale:${factor.toFixed(4)}`);
      expect(out.transforms.at(-2)).toBe('resize:60');
      // The peak stays at the centre of the input after resampling (within a pixel).
      let best = -Infinity;
      let at = [0, 0];
      for (let r = 0; r < 60; r++)
        for (let c = 0; c < 60; c++)
          if (out.input.get(r, c) > best) [best, at] = [out.input.get(r, c), [r, c]];
      expect(Math.abs(at[0] - 29.5)).toBeLessThanOrEqual(1.5);
      expect(Math.abs(at[1] - 29.5)).toBeLessThanOrEqual(1.5);
    }
  });

  it('a source twice as far away in pixels looks the same once the crop is in arcsec', () => {
    // One Gaussian source drawn at 0.02″/px and at 0.04″/px: in arcsec they are the same.
    const draw = (scale: number, n: number) => {
      const px = new Float32Array(n * n);
      const sigma = 0.3 / scale;
      for (let r = 0; r < n; r++)
        for (let c = 0; c < n; c++)
          px[r * n + c] = Math.exp(
            -0.5 * (((r - n / 2) / sigma) ** 2 + ((c - n / 2) / (2 * sigma)) ** 2),
          );
      return createImage2D(n, n, px);
    };
    const a = preprocess(draw(0.02, 400), arcsec, { sky: { pixelArcsec: 0.02 } }).input;
    const b = preprocess(draw(0.04, 200), arcsec, { sky: { pixelArcsec: 0.04 } }).input;
    let diff = 0;
    for (let r = 0; r < 60; r++)
      for (let c = 0; c < 60; c++) diff = Math.max(diff, Math.abs(a.get(r, c) - b.get(r, c)));
    expect(diff).toBeLessThan(0.03);
  });

  it('in beams: Serpens (beam 0.56″) spans 20 beams in the input', async () => {
    const beams = resolveProfile({
      preprocess: { cropSize: 100, inputSize: 50, sky: { unit: 'beam', width: 20 } },
      positive: { align: 'none' },
    });
    const file = await readFitsFile(SERPENS);
    const sky = skyScaleFromHeader(file.header);
    if (sky?.beamArcsec === undefined) throw new Error('no beam');
    const out = preprocess(requireImage(file), beams, { sky });
    const factor = (20 * sky.beamArcsec) / (50 * sky.pixelArcsec);
    expect(out.transforms[0]).toBe(`sky-scale:${factor.toFixed(4)}`);
  });

  it('refuses an image without the header cards the unit needs, naming the file', () => {
    const img = createImage2D(64, 64, new Float32Array(64 * 64).fill(1));
    expect(() => preprocess(img, arcsec, { source: 'a.fits' })).toThrow(DatasetError);
    expect(() => preprocess(img, arcsec, { source: 'a.fits' })).toThrow(/a\.fits.*no pixel scale/);
    const beams = resolveProfile({ preprocess: { sky: { unit: 'beam', width: 10 } } });
    expect(() => preprocess(img, beams, { source: 'b.fits', sky: { pixelArcsec: 0.1 } })).toThrow(
      /b\.fits.*no beam/,
    );
  });

  it('the window reader and preprocessFile give the same input as the whole image', async () => {
    const file = await readFitsFile(SERPENS);
    const sky = skyScaleFromHeader(file.header);
    const whole = preprocess(requireImage(file), arcsec, {
      source: SERPENS,
      ...(sky ? { sky } : {}),
    });
    const reader = await openFits(SERPENS);
    try {
      const windows = {
        shape: reader.shape as [number, number],
        read: (region: ImageWindow) => reader.read({ region }),
      };
      const win = await preprocessWindows(windows, arcsec, {
        source: SERPENS,
        ...(sky ? { sky } : {}),
      });
      expect(Array.from(win.input.data)).toEqual(
        Array.from(normalize(whole.input, { method: 'none' }).data),
      );
    } finally {
      await reader.close();
    }
    const viaFile = await preprocessFile(SERPENS, arcsec);
    expect(viaFile.transforms).toEqual(whole.transforms);
  });

  it('rejects a bad sky config', () => {
    expect(() =>
      resolveProfile({ preprocess: { sky: { unit: 'parsec' as 'arcsec', width: 1 } } }),
    ).toThrow(/preprocess\.sky\.unit/);
    expect(() => resolveProfile({ preprocess: { sky: { unit: 'beam', width: 0 } } })).toThrow(
      /preprocess\.sky\.width/,
    );
  });
});

describe('transformShortcuts: no transform predicts the class', () => {
  // 0.1″ pixels and a 0.1″ beam, for the default's crop of 24 beams.
  const images = (n: number) =>
    Array.from({ length: n }, (_, i) => {
      const px = new Float32Array(48 * 48);
      for (let k = 0; k < px.length; k++)
        px[k] = Math.sin(k * (i + 1) * 0.37) + (k === 24 * 48 + 24 ? 5 : 0);
      return {
        image: createImage2D(48, 48, px),
        source: `img-${i}.fits`,
        sky: { pixelArcsec: 0.1, beamArcsec: 0.1 },
      };
    });

  it('the default profile multiplies both classes alike: the same sources give the same transforms', async () => {
    const p = resolveProfile({ preprocess: { cropSize: 32, inputSize: 16 } });
    const pos = await buildPositiveSet(images(4), p);
    const neg = await buildNegativeSet(images(4), p);
    expect(pos.skipped).toEqual([]);
    expect(pos.shape).toEqual([4, 16, 16, 1]);
    expect(pos.samples.map((s) => s.transforms)).toEqual(neg.samples.map((s) => s.transforms));
    const both = {
      ...pos,
      labels: Int32Array.from([...neg.labels, ...pos.labels]),
      samples: [...neg.samples, ...pos.samples],
    };
    expect(transformShortcuts(both)).toEqual([]);
    expect(dustInWind.positive.geometricMeanPairs || dustInWind.positive.flips).toBe(false);
  });

  it("flags the original recipe's geometric means and the old demo's negatives-only zooms", async () => {
    const orig = resolveProfile(
      { preprocess: { cropSize: 32, inputSize: 16 } },
      originalDustInWind,
    );
    const pos = await buildPositiveSet(images(3), orig);
    const neg = await buildNegativeSet(
      images(3),
      resolveProfile(
        {
          preprocess: { cropSize: 32, inputSize: 16 },
          linear: { factor: 2, classes: ['negative'], sizeRange: [24, 40] },
        },
        originalDustInWind,
      ),
    );
    const ds = {
      ...pos,
      labels: Int32Array.from([...neg.labels, ...pos.labels]),
      samples: [...neg.samples, ...pos.samples],
    };
    const found = transformShortcuts(ds).map((s) => s.transform);
    expect(found).toContain('geometric-mean');
    expect(found).toContain('linear');
    expect(found).toContain('flip');
    expect(transformShortcuts(ds)[0].message).toMatch(/predicts the class/);
  });
});
