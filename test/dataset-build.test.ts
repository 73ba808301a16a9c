import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../src/core/random.js';
import type { Image2D } from '../src/core/image2d.js';
import { createImage2D } from '../src/core/image2d.js';
import { flip, geometricMean } from '../src/image/index.js';
import { readFitsFile, writeFitsFile } from '../src/fits/index.node.js';
import { requireImage } from '../src/fits/index.js';
import {
  augment,
  buildNegativeSet,
  buildPositiveSet,
  dustInWind,
  originalDustInWind,
  preprocess,
  resolveProfile,
  sampleImage,
  synthesize,
} from '../src/dataset/index.js';
import type { Dataset, ImageInput, SourceImage } from '../src/dataset/index.js';
import {
  buildNegativeSetFromFiles,
  buildPositiveSetFromFiles,
  readSourceImages,
} from '../src/dataset/index.node.js';

const fixtures = new URL('./fixtures/fits/', import.meta.url).pathname;
const B335 = join(fixtures, 'b335_2017_band6_0.fits');
const SERPENS = join(fixtures, 'serpenssouthc7_2019_band6_0.fits');
const SMALL = join(
  fixtures,
  'member.uid___A001_X12a2_X10d._COS850.0005__sci.spw5_7_9_11.cont.I.pbcor.fits',
);

/** A quick profile for synthetic images: 64 px crops, 32 px inputs. */
const small = resolveProfile(
  { name: 'small', preprocess: { cropSize: 64, inputSize: 32 } },
  originalDustInWind,
);

function synthetic(
  count: number,
  seed: number,
  kind: 'disk' | 'wind' = 'disk',
  size = 128,
): SourceImage[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, (_, i) => ({
    image: synthesize(rng.fork(), { kind, size }),
    source: `/data/${kind}-${i}.fits`,
  }));
}

/** Orientation (degrees from the column axis, towards increasing rows) from second moments of the pixels above 0.2. */
function momentAngle(img: Image2D): number {
  const [rows, cols] = img.shape;
  let sum = 0;
  let mr = 0;
  let mc = 0;
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const v = img.get(r, c) > 0.2 ? img.get(r, c) : 0;
      sum += v;
      mr += v * r;
      mc += v * c;
    }
  mr /= sum;
  mc /= sum;
  let srr = 0;
  let scc = 0;
  let src = 0;
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const v = img.get(r, c) > 0.2 ? img.get(r, c) : 0;
      srr += v * (r - mr) ** 2;
      scc += v * (c - mc) ** 2;
      src += v * (r - mr) * (c - mc);
    }
  return (0.5 * Math.atan2(2 * src, scc - srr) * 180) / Math.PI;
}

let fixtureImages: SourceImage[];
let smallImage: Image2D;
beforeAll(async () => {
  smallImage = requireImage(await readFitsFile(SMALL));
  fixtureImages = [];
  for (const path of [B335, SERPENS]) {
    fixtureImages.push({ image: requireImage(await readFitsFile(path)), source: path });
  }
});

// The preprocess tests pin pixel-crop behaviour (peak, alignment, centre, hand angles, padding)
// with the original's sizes and min-max scaling; crops on the sky are tested in dataset-sky.
describe('preprocess', () => {
  it('records the peak of the search region and gives a NaN-free input in [0, 1]', () => {
    const serpens = fixtureImages[1];
    const out = preprocess(
      serpens.image,
      resolveProfile({ positive: { align: 'none' } }, originalDustInWind),
      { source: serpens.source },
    );
    // The peak lies in the middle half and no finite pixel there is brighter.
    const [r, c] = out.peak;
    const peakValue = serpens.image.get(r, c);
    for (let i = 120; i < 360; i++)
      for (let j = 120; j < 360; j++) {
        const v = serpens.image.get(i, j);
        if (!Number.isNaN(v)) expect(v).toBeLessThanOrEqual(peakValue);
      }
    expect(out.input.shape).toEqual([100, 100]);
    expect(out.crop.shape).toEqual([400, 400]);
    let min = Infinity;
    let max = -Infinity;
    for (const v of out.input.data) {
      expect(Number.isNaN(v)).toBe(false);
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect(min).toBe(0);
    expect(max).toBe(1);
    // Unrotated, the input's centre pixel is the peak.
    expect(out.input.get(50, 50)).toBe(1);
  });
  it('turns a disk of known position angle so its major axis lies along the columns', () => {
    for (const pa of [30, -60, 80]) {
      const img = synthesize(createRng(11), {
        kind: 'disk',
        size: 160,
        positionAngle: pa,
        inclination: 65,
        pointSources: [0, 0],
        snrRange: [400, 400],
      });
      const plain = preprocess(
        img,
        resolveProfile(
          { preprocess: { cropSize: 96, inputSize: 64 }, positive: { align: 'none' } },
          originalDustInWind,
        ),
      );
      const aligned = preprocess(
        img,
        resolveProfile({ preprocess: { cropSize: 96, inputSize: 64 } }, originalDustInWind),
      );
      expect(Math.abs(momentAngle(plain.input) + pa)).toBeLessThan(8);
      expect(Math.abs(momentAngle(aligned.input))).toBeLessThan(8);
      expect(aligned.transforms[0]).toMatch(/^rotate:/);
    }
  });
  it('crops around a given centre instead of the brightest pixel, and rejects one outside', () => {
    const img = createImage2D(200, 200);
    img.set(100, 100, 10);
    img.set(30, 170, 5);
    const p = resolveProfile(
      { preprocess: { cropSize: 40, inputSize: 20 }, positive: { align: 'none' } },
      originalDustInWind,
    );
    const out = preprocess(img, p, { center: [30, 170] });
    expect(out.peak).toEqual([30, 170]);
    expect(out.input.get(10, 10)).toBe(1);
    expect(preprocess(img, p).peak).toEqual([100, 100]);
    expect(() => preprocess(img, p, { source: 'x.fits', center: [250, 0] })).toThrow(
      /x\.fits.*center/,
    );
  });
  it("uses a hand-typed angle by file name and refuses small images with pad: 'skip'", () => {
    const p = resolveProfile(
      { positive: { align: { angles: { 'b335_2017_band6_0.fits': -15 } } } },
      originalDustInWind,
    );
    expect(preprocess(fixtureImages[0].image, p, { source: B335 }).angle).toBe(-15);
    expect(preprocess(fixtureImages[1].image, p, { source: SERPENS }).angle).toBe(0);
    // The original's 400 px crop does not fit in the 192 px image.
    const skip = resolveProfile({ preprocess: { pad: 'skip' } }, originalDustInWind);
    expect(() => preprocess(smallImage, skip, { source: SMALL })).toThrow(/COS850.*too small/);
  });
});

describe('buildPositiveSet', () => {
  let ds: Dataset;
  beforeAll(async () => {
    ds = await buildPositiveSet(fixtureImages, originalDustInWind);
  });
  it('makes 4n + C(4n, 2) samples: 2 fixture images give 8 + 28 = 36', () => {
    expect(ds.shape).toEqual([36, 100, 100, 1]);
    expect(ds.images.length).toBe(36 * 100 * 100);
    expect([...ds.labels].every((l) => l === 1)).toBe(true);
    expect(ds.samples.filter((s) => s.transforms[0] === 'geometric-mean')).toHaveLength(28);
    expect(ds.profile?.name).toBe('dust-in-wind-original');
  });
  it('records provenance: sources, peaks, transforms, and parents that exist', () => {
    const ids = new Set(ds.samples.map((s) => s.id));
    expect(ids.size).toBe(36);
    const base = ds.samples[0];
    expect(base.id).toBe('b335_2017_band6_0.fits');
    expect(base.source).toBe(B335);
    expect(base.peak).toHaveLength(2);
    expect(base.transforms.some((t) => t.startsWith('crop:400'))).toBe(true);
    for (const s of ds.samples) {
      for (const p of s.parents ?? []) expect(ids.has(p)).toBe(true);
      if (s.transforms[0] === 'geometric-mean') expect(s.parents).toHaveLength(2);
    }
    const cross = ds.samples.find((s) => s.sources.length === 2);
    expect(cross?.sources.sort()).toEqual([B335, SERPENS].sort());
  });
  it('stores flips and geometric means of the stored base inputs', () => {
    const at = (id: string): Image2D =>
      sampleImage(
        ds,
        ds.samples.findIndex((s) => s.id === id),
      );
    const a = at('b335_2017_band6_0.fits');
    const b = at('serpenssouthc7_2019_band6_0.fits:flip-ud');
    expect(Array.from(at('b335_2017_band6_0.fits:flip-lr').data)).toEqual(
      Array.from(flip(a, 'lr').data),
    );
    const gm = at('gm(b335_2017_band6_0.fits|serpenssouthc7_2019_band6_0.fits:flip-ud)');
    expect(Array.from(gm.data)).toEqual(Array.from(geometricMean(a, b).data));
    expect(ds.images.some((v) => Number.isNaN(v))).toBe(false);
  });
  it('gives 528 samples from 8 images, and a seeded subset when the pairs are capped', async () => {
    const eight = synthetic(8, 3, 'wind');
    expect((await buildPositiveSet(eight, small)).shape[0]).toBe(528);
    const capped = resolveProfile({ ...small, positive: { maxPairs: 50 } }, originalDustInWind);
    const a = await buildPositiveSet(eight, capped, { seed: 4 });
    const b = await buildPositiveSet(eight, capped, { seed: 4 });
    const c = await buildPositiveSet(eight, capped, { seed: 5 });
    expect(a.shape[0]).toBe(32 + 50);
    expect(a.samples.map((s) => s.id)).toEqual(b.samples.map((s) => s.id));
    expect(a.samples.map((s) => s.id)).not.toEqual(c.samples.map((s) => s.id));
  });
  it('drops excluded files and sample ids, and the means made from them', async () => {
    const four = synthetic(4, 8, 'wind');
    const ds2 = await buildPositiveSet(four, small, {
      exclude: ['wind-0.fits', 'wind-1.fits:flip-lr'],
    });
    // 3 files, 12 flips minus one = 11, plus C(11, 2) = 55.
    expect(ds2.shape[0]).toBe(11 + 55);
    expect(ds2.samples.some((s) => s.sources.includes('/data/wind-0.fits'))).toBe(false);
    expect(ds2.samples.some((s) => s.id.includes('wind-1.fits:flip-lr'))).toBe(false);
    expect(ds2.skipped.filter((s) => s.excluded)).toHaveLength(1);
  });
});

describe('buildNegativeSet and augment', () => {
  it('labels negatives 0 and adds linear transforms per the profile, recording the parent', async () => {
    const p = resolveProfile({ ...small, linear: { factor: 2, sizeRange: [40, 80] } });
    const ds = await buildNegativeSet(synthetic(3, 1), p, { seed: 2 });
    expect(ds.shape).toEqual([9, 32, 32, 1]);
    expect([...ds.labels].every((l) => l === 0)).toBe(true);
    const lin = ds.samples.filter((s) => s.id.includes(':linear-'));
    expect(lin).toHaveLength(6);
    expect(lin[0].parents).toEqual(['disk-0.fits']);
    const again = await buildNegativeSet(synthetic(3, 1), p, { seed: 2 });
    expect(again.images).toEqual(ds.images);
  });
  it('augment adds seeded copies that keep their parent source', async () => {
    const ds = await buildNegativeSet(synthetic(3, 1), small);
    const aug = augment(ds, { factor: 2, seed: 1 });
    expect(aug.shape[0]).toBe(9);
    expect(aug.samples[3].id).toBe('disk-0.fits:aug-0');
    expect(aug.samples[3].sources).toEqual(['/data/disk-0.fits']);
    expect(aug.images.subarray(0, 3 * 32 * 32)).toEqual(ds.images);
    expect(augment(ds, { factor: 2, seed: 1 }).images).toEqual(aug.images);
    expect(augment(ds, { factor: 2, seed: 2 }).images).not.toEqual(aug.images);
  });
});

describe('building from files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'alma-dataset-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  it('skips a corrupt FITS among good ones, names it in a warning and counts it', async () => {
    const good = synthetic(3, 5);
    const paths: string[] = [];
    for (const [i, g] of good.entries()) {
      paths.push(join(dir, `good-${i}.fits`));
      await writeFitsFile(paths[i], g.image);
    }
    const corrupt = join(dir, 'corrupt.fits');
    await writeFile(corrupt, 'SIMPLE  =                    T / not really'.padEnd(200, ' '));
    paths.splice(1, 0, corrupt, join(dir, 'missing.fits'));
    const warnings: string[] = [];
    const ds = await buildNegativeSetFromFiles(paths, small, {
      onWarning: (m) => warnings.push(m),
    });
    expect(ds.shape[0]).toBe(3);
    expect(ds.skipped.map((s) => s.source)).toEqual([corrupt, join(dir, 'missing.fits')]);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('corrupt.fits');
    expect(ds.samples.map((s) => s.id)).toEqual(['good-0.fits', 'good-1.fits', 'good-2.fits']);
    expect(ds.samples[0].hdu).toBe(0);
  });
  it('streams: opens one file ahead, the next only after the previous one is reduced to its input', async () => {
    const events: string[] = [];
    const images = synthetic(4, 6);
    const paths: string[] = [];
    for (const [i, g] of images.entries()) {
      paths.push(join(dir, `s-${i}.fits`));
      await writeFitsFile(paths[i], g.image);
    }
    async function* lazyPaths(): AsyncGenerator<string> {
      for (const p of paths) {
        events.push(`read ${p.slice(-8)}`);
        yield p;
      }
    }
    const ds = await buildPositiveSetFromFiles(lazyPaths(), small, {
      onProgress: (p) => events.push(`done ${p.file?.slice(-8)}`),
    });
    expect(ds.shape[0]).toBe(16 + 120);
    // The file after the current one is opened (its header; its hash started) ahead of time.
    const name = (i: number): string => paths[i].slice(-8);
    expect(events).toEqual([
      `read ${name(0)}`,
      ...paths.flatMap((_, i) => [
        ...(i + 1 < paths.length ? [`read ${name(i + 1)}`] : []),
        `done ${name(i)}`,
      ]),
    ]);
  });
  it('readSourceImages with minSize skips small images from their headers (the original rule)', async () => {
    const items: ImageInput[] = [];
    for await (const item of readSourceImages([B335, SERPENS, SMALL], { minSize: 501 }))
      items.push(item);
    expect(items.map((i) => ('reason' in i ? 'skipped' : 'read'))).toEqual([
      'read',
      'skipped',
      'skipped',
    ]);
    expect((items[1] as { reason: string }).reason).toMatch(/480x480 is smaller than minSize 501/);
    expect((items[2] as { reason: string }).reason).toMatch(/192x192/);
  });

  it('readSourceImages yields images with source and HDU, or a skipped record', async () => {
    const items = [];
    for await (const item of readSourceImages([B335, join(dir, 'nope.fits')])) items.push(item);
    expect('image' in items[0] && items[0].source).toBe(B335);
    expect('reason' in items[1] && items[1].reason).toMatch(/nope\.fits/);
  });
  it('pads the 192 px pipeline product the original discarded', async () => {
    // The original's 400 px crop reaches past the 192 px image; 24 beams of the default fit in it.
    const ds = await buildNegativeSetFromFiles([SMALL], originalDustInWind);
    expect(ds.shape[0]).toBe(1);
    expect(ds.samples[0].transforms.some((t) => t.endsWith(':padded'))).toBe(true);
    const onSky = await buildNegativeSetFromFiles([SMALL], dustInWind);
    expect(onSky.shape).toEqual([1, 48, 48, 1]);
    expect(onSky.samples[0].transforms.some((t) => t.endsWith(':padded'))).toBe(false);
  });
});

it('createImage2D-backed bare images get generated names', async () => {
  const img = createImage2D(40, 40);
  img.set(20, 20, 1);
  const ds = await buildNegativeSet(
    [img],
    resolveProfile(
      { preprocess: { cropSize: 32, inputSize: 16 }, positive: { align: 'none' } },
      originalDustInWind,
    ),
  );
  expect(ds.skipped).toEqual([]);
  expect(ds.samples[0].id).toBe('image-0');
});
