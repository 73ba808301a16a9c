import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetError, createImage2D, createRng, toContiguous } from '../src/core/index.js';
import type { Image2D } from '../src/core/index.js';
import { FitsHeader, requireImage, writeFits } from '../src/fits/index.js';
import type { FitsCard } from '../src/fits/index.js';
import { openFits, readFitsFile, writeFitsFile } from '../src/fits/index.node.js';
import {
  buildNegativeSet,
  buildPositiveSet,
  dustInWind,
  originalDustInWind,
  preprocess,
  preprocessWindows,
  resolveProfile,
  skyScaleFromHeader,
  synthesize,
} from '../src/dataset/index.js';
import type {
  Dataset,
  ImageWindow,
  ImageWindows,
  PreprocessResult,
  TargetProfile,
  TargetProfileInput,
} from '../src/dataset/index.js';
import {
  buildNegativeSetFromFiles,
  buildPositiveSetFromFiles,
  preprocessFile,
  readSourceImages,
} from '../src/dataset/index.node.js';
import { cropAround, cropAroundMax, cropCenter, normalize } from '../src/image/index.js';
import { FITS_DIR, REAL_FITS, bigEndian, buildFits } from './helpers/fits-fixtures.js';

const REAL = Object.values(REAL_FITS).map((f) => join(FITS_DIR, f));

/**
 * A pixel scale (0.05″) and a round beam (0.15″, 3 pixels) for the synthetic files, so that the
 * profiles with crops on the sky are compared on them too; the pixel profiles ignore the cards.
 */
const SKY_CARDS: FitsCard[] = [
  { key: 'CDELT1', value: -0.05 / 3600 },
  { key: 'CDELT2', value: 0.05 / 3600 },
  { key: 'BMAJ', value: 0.15 / 3600 },
  { key: 'BMIN', value: 0.15 / 3600 },
];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dataset-windows-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Byte-level equality of two images (`toEqual` would also pass NaN payload changes by). */
function sameBytes(a: Image2D, b: Image2D): boolean {
  const x = toContiguous(a);
  const y = toContiguous(b);
  return (
    a.shape[0] === b.shape[0] &&
    a.shape[1] === b.shape[1] &&
    x.constructor === y.constructor &&
    Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(
      Buffer.from(y.buffer, y.byteOffset, y.byteLength),
    )
  );
}

function expectSameResult(got: PreprocessResult, want: PreprocessResult, what: string): void {
  expect(got.peak, what).toEqual(want.peak);
  expect(got.angle, what).toBe(want.angle);
  expect(got.padded, what).toBe(want.padded);
  expect(got.transforms, what).toEqual(want.transforms);
  expect(sameBytes(got.input, want.input), `${what}: input`).toBe(true);
  expect(sameBytes(got.crop, want.crop), `${what}: crop`).toBe(true);
}

/** What a call gives: its result, or the DatasetError message it throws. */
async function outcome<T>(fn: () => T | Promise<T>): Promise<T | string> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof DatasetError)) throw err;
    return `DatasetError: ${err.message}`;
  }
}

/** The file-level path against the in-memory one on the same file, for one profile. */
async function compareOnFile(
  path: string,
  profile: TargetProfile,
  opts: { center?: [number, number]; plane?: number[]; angle?: number } = {},
): Promise<void> {
  const file = await readFitsFile(path, opts.plane ? { plane: opts.plane } : {});
  const image = requireImage(file);
  const pre = { source: path, center: opts.center, angle: opts.angle };
  // The whole image gets the sky scale of its header by hand; preprocessFile reads it itself.
  const sky = skyScaleFromHeader(file.header);
  const want = await outcome(() => preprocess(image, profile, { ...pre, ...(sky ? { sky } : {}) }));
  const got = await outcome(() => preprocessFile(path, profile, { ...pre, plane: opts.plane }));
  const what = `${path.split('/').pop()} ${profile.name} ${JSON.stringify(opts)}`;
  if (typeof want === 'string' || typeof got === 'string') {
    expect(got, what).toEqual(want);
    return;
  }
  expectSameResult(got, want, what);
  expect(got.shape).toEqual(image.shape);
  compared++;
  // Anchored to the image module: without rotation and in pixels, the crop is cropAroundMax's
  // (or cropAround's) window and the input its normalised centre.
  const pp = profile.preprocess;
  if (profile.positive.align === 'none' && !opts.angle && pp.sky === null) {
    const o = {
      size: pp.cropSize,
      pad: pp.pad === 'skip' ? 'constant' : pp.pad,
      padValue: pp.padValue,
    } as const;
    const cut = opts.center
      ? cropAround(image, opts.center, o)
      : cropAroundMax(image, { ...o, searchFraction: pp.searchFraction });
    expect(want.peak).toEqual(cut.center);
    expect(sameBytes(want.crop, cut.image), `${what}: crop vs cropAroundMax`).toBe(true);
    if (pp.inputMode === 'center-crop') {
      const input = normalize(cropCenter(cut.image, { size: pp.inputSize }), {
        method: pp.normalize,
        nan: 0,
      });
      expect(sameBytes(want.input, input), `${what}: input`).toBe(true);
    }
  }
}

/** {@link compareOnFile} with windows centred on the corners, for every padding. */
async function compareCorners(path: string): Promise<void> {
  const reader = await openFits(path);
  const [rows, cols] = reader.shape ?? [0, 0];
  await reader.close();
  const corners: [number, number][] = [
    [0, 0],
    [rows - 1, cols - 1],
    [0, cols - 1],
    [rows >> 1, 0],
  ];
  for (const center of corners)
    for (const profile of profiles.filter((p) => p.positive.align === 'none'))
      await compareOnFile(path, profile, { center });
}

/** Comparisons made where both paths gave a result (not an error). */
let compared = 0;

/** A profile in the image's own pixels, over the original's (400 px crop, 100 px input). */
const inPixels = (p: TargetProfileInput): TargetProfile => resolveProfile(p, originalDustInWind);

const plain = inPixels({ name: 'plain', positive: { align: 'none' } });
const profiles: TargetProfile[] = [
  originalDustInWind,
  plain,
  inPixels({ name: 'edge', positive: { align: 'none' }, preprocess: { pad: 'edge' } }),
  inPixels({ name: 'reflect', preprocess: { pad: 'reflect', padValue: -1 } }),
  inPixels({
    name: 'reflect-plain',
    positive: { align: 'none' },
    preprocess: { pad: 'reflect' },
  }),
  inPixels({ name: 'skip', positive: { align: 'none' }, preprocess: { pad: 'skip' } }),
  inPixels({
    name: 'resize-zscore',
    positive: { align: 'none' },
    preprocess: { inputMode: 'resize', normalize: 'zscore', searchFraction: 0.9 },
  }),
  inPixels({
    name: 'small-crop',
    positive: { align: 'none' },
    preprocess: { cropSize: 64, inputSize: 30, searchFraction: 1, pad: 'reflect' },
  }),
  inPixels({
    name: 'hand-angle',
    positive: { align: { angles: { 'b335_2017_band6_0.fits': 17, 'edge.fits': -40 } } },
    preprocess: { cropSize: 120, inputSize: 50, pad: 'edge' },
  }),
  // Crops on the sky, from the header's pixel scale and beam: the default (24 beams, resized,
  // aligned), it unaligned, and a central cut in arcsec (resampled after the cut).
  dustInWind,
  resolveProfile({ name: 'sky-plain', positive: { align: 'none' } }),
  resolveProfile({
    name: 'sky-center-crop',
    positive: { align: 'none' },
    preprocess: {
      sky: { unit: 'arcsec', width: 2 },
      inputMode: 'center-crop',
      cropSize: 96,
      inputSize: 48,
      pad: 'reflect',
    },
  }),
];

describe('preprocessFile equals preprocess of the whole image, byte for byte', () => {
  for (const path of REAL) {
    it(`${path.split('/').pop()}: every profile`, async () => {
      for (const profile of profiles) await compareOnFile(path, profile);
      await compareOnFile(path, plain, { center: [5, 7] });
      await compareCorners(path);
      for (const profile of [originalDustInWind, dustInWind])
        await compareOnFile(path, profile, { center: [100, 150], angle: 12 });
    });
  }

  it('synthetic files: NaN edges, peaks at the borders and corners, small and odd images', async () => {
    const rng = createRng(77);
    const files: string[] = [];
    const add = async (name: string, img: Image2D): Promise<void> => {
      const path = join(dir, name);
      await writeFitsFile(path, img, SKY_CARDS);
      files.push(path);
    };
    // primary-beam NaN edges
    await add('pb.fits', synthesize(rng.fork(), { kind: 'wind', size: 300, primaryBeam: 0.8 }));
    // peaks placed in each corner and on each edge, with the search window covering the image
    const corners: [number, number][] = [
      [0, 0],
      [0, 349],
      [249, 0],
      [249, 349],
      [0, 170],
      [120, 349],
    ];
    for (const [i, [r, c]] of corners.entries()) {
      const img = synthesize(rng.fork(), { kind: 'disk', size: 250 });
      const wide = createImage2D(250, 350);
      for (let y = 0; y < 250; y++)
        for (let x = 0; x < 350; x++) wide.set(y, x, img.get(y, x % 250));
      wide.set(r, c, 1e3);
      await add(i === 0 ? 'edge.fits' : `corner-${i}.fits`, wide);
    }
    // small images that get padded, odd sizes, a single row
    await add('small.fits', synthesize(rng.fork(), { kind: 'disk', size: 37 }));
    const odd = createImage2D(61, 23);
    for (let i = 0; i < odd.size; i++) odd.data[i] = Math.sin(i * 0.37);
    await add('odd.fits', odd);
    const row = createImage2D(1, 90);
    for (let i = 0; i < 90; i++) row.data[i] = (i * 7) % 13;
    await add('row.fits', row);
    // a search window that is all NaN
    const holes = synthesize(rng.fork(), { kind: 'disk', size: 120 });
    for (let r = 25; r < 95; r++) for (let c = 25; c < 95; c++) holes.set(r, c, NaN);
    await add('nan-middle.fits', holes);
    // a peak near the edge of a large image: the crop reaches outside the search window
    const big = synthesize(rng.fork(), { kind: 'disk', size: 900 });
    big.set(230, 660, 1e3);
    await add('peak-off-centre.fits', big);
    const before = compared;
    for (const path of files) {
      for (const profile of profiles) await compareOnFile(path, profile);
      await compareCorners(path);
    }
    // most of them are results, not errors both ways
    expect(compared - before).toBeGreaterThan(70);
  }, 60_000);

  it('other BITPIX, scaled integers, and a plane of a cube', async () => {
    const img = synthesize(createRng(5), { kind: 'wind', size: 180, primaryBeam: 0.9 });
    const scaled = (bscale: number): FitsHeader =>
      new FitsHeader([
        { key: 'BSCALE', value: bscale },
        { key: 'BZERO', value: 1e-4 },
        ...SKY_CARDS,
      ]);
    const paths = [join(dir, 'i16.fits'), join(dir, 'i32.fits'), join(dir, 'f64.fits')];
    await writeFile(paths[0], writeFits(img, scaled(4e-6), { bitpix: 16 }));
    await writeFile(paths[1], writeFits(img, scaled(1e-10), { bitpix: 32 }));
    await writeFile(paths[2], writeFits(img, SKY_CARDS, { bitpix: -64 }));
    for (const path of paths) for (const profile of profiles) await compareOnFile(path, profile);
    const cols = 90;
    const rows = 70;
    const cube = Array.from({ length: cols * rows * 3 }, (_, i) =>
      i % 97 === 0 ? NaN : Math.sin(i * 0.01) * (1 + (i % 5)),
    );
    const cubePath = join(dir, 'cube.fits');
    await writeFile(
      cubePath,
      buildFits([
        {
          cards: [
            ['SIMPLE', 'T'],
            ['BITPIX', '-32'],
            ['NAXIS', '3'],
            ['NAXIS1', String(cols)],
            ['NAXIS2', String(rows)],
            ['NAXIS3', '3'],
          ],
          data: bigEndian(-32, cube),
        },
      ]),
    );
    for (const plane of [[0], [2]]) {
      for (const profile of profiles.slice(0, 4)) await compareOnFile(cubePath, profile, { plane });
    }
  });

  it('reads only the windows it needs: the middle half and the crop of a 1000 px image', async () => {
    const reader = await openFits(REAL[0]);
    const asked: ImageWindow[] = [];
    const counting: ImageWindows = {
      shape: reader.shape as [number, number],
      read: (w) => {
        asked.push(w);
        return reader.read({ region: w });
      },
    };
    try {
      const got = await preprocessWindows(counting, plain, { source: REAL[0] });
      const want = preprocess(requireImage(await readFitsFile(REAL[0])), plain, {
        source: REAL[0],
      });
      expectSameResult(got, want, 'b335');
      // the crop lies inside the search window, so one window is read
      expect(asked).toEqual([{ rows: [250, 750], cols: [250, 750] }]);
      asked.length = 0;
      await preprocessWindows(counting, plain, { center: [10, 990] });
      expect(asked).toEqual([{ rows: [0, 210], cols: [790, 1000] }]);
    } finally {
      await reader.close();
    }
  });

  it('a window reader that returns the wrong shape is reported', async () => {
    const bad: ImageWindows = { shape: [50, 50], read: () => createImage2D(3, 3) };
    await expect(preprocessWindows(bad, plain, { source: 'bad' })).rejects.toThrow(
      /bad: window read returned \[3, 3\], expected \[25, 25\]/,
    );
    const empty: ImageWindows = { shape: [0, 5], read: () => createImage2D(1, 1) };
    await expect(preprocessWindows(empty, plain, { source: 'e' })).rejects.toThrow(
      /e: cannot crop: cropAroundMax: image is empty/,
    );
  });
});

/** Everything a dataset holds, for byte-level comparison. */
function expectSameDataset(got: Dataset, want: Dataset): void {
  expect(got.shape).toEqual(want.shape);
  expect(got.samples).toEqual(want.samples);
  expect(got.skipped).toEqual(want.skipped);
  expect(Array.from(got.labels)).toEqual(Array.from(want.labels));
  const a = Buffer.from(got.images.buffer, got.images.byteOffset, got.images.byteLength);
  const b = Buffer.from(want.images.buffer, want.images.byteOffset, want.images.byteLength);
  expect(a.equals(b)).toBe(true);
}

describe('builders from files read windows and build the same datasets as from whole images', () => {
  it('negatives and positives, with and without linear transforms, minSize, exclude and bad files', async () => {
    const rng = createRng(3);
    const paths = [...REAL];
    for (let i = 0; i < 3; i++) {
      const p = join(dir, `gen-${i}.fits`);
      await writeFitsFile(
        p,
        synthesize(rng.fork(), {
          kind: i === 1 ? 'wind' : 'disk',
          size: 160 + 70 * i,
          primaryBeam: 0.9,
        }),
        SKY_CARDS,
      );
      paths.push(p);
    }
    // bright pixels on the edge: crops, rotations and padding reach past the image
    for (const [i, at] of [
      [0, 0],
      [150, 75],
      [299, 10],
    ].entries()) {
      const img = synthesize(rng.fork(), { kind: 'disk', size: 300 });
      img.set(at[0], at[1], 1);
      const p = join(dir, `edge-${i}.fits`);
      await writeFitsFile(p, img, SKY_CARDS);
      paths.push(p);
    }
    const corrupt = join(dir, 'corrupt.fits');
    await writeFile(corrupt, 'SIMPLE  =                    T'.padEnd(400, ' '));
    paths.splice(2, 0, corrupt, join(dir, 'missing.fits'));
    const linear = inPixels({
      name: 'linear',
      linear: { factor: 2, classes: [] },
      preprocess: { pad: 'reflect' },
    });
    const skip = inPixels({
      name: 'skip',
      positive: { align: 'none' },
      preprocess: { pad: 'skip' },
    });
    // The default with linear transforms of its (sky-scaled) crops.
    const skyLinear = resolveProfile({
      name: 'sky-linear',
      linear: { factor: 2, classes: [], sizeRange: [40, 80] },
    });
    const settings: [TargetProfile, { minSize?: number; exclude?: string[] }][] = [
      [plain, {}],
      [originalDustInWind, {}],
      [dustInWind, {}],
      [linear, {}],
      [skyLinear, {}],
      [skip, {}],
      [plain, { minSize: 300 }],
      [
        inPixels({
          name: 'order3-hand',
          positive: {
            align: { angles: { 'gen-0.fits': 33, 'edge-0.fits': -71 } },
            rotationOrder: 3,
          },
          preprocess: { pad: 'edge' },
        }),
        {},
      ],
      [
        inPixels({
          name: 'reflect-rot',
          preprocess: { pad: 'reflect', cropSize: 64, inputSize: 41, searchFraction: 1 },
        }),
        {},
      ],
      [originalDustInWind, { exclude: ['gen-1.fits', 'serpenssouthc7_2019_band6_0.fits'] }],
      [dustInWind, { exclude: ['gen-1.fits', 'serpenssouthc7_2019_band6_0.fits'] }],
    ];
    for (const [profile, opts] of settings) {
      const warnings: string[] = [];
      const fromFiles = await buildNegativeSetFromFiles(paths, profile, {
        ...opts,
        seed: 9,
        onWarning: (m) => warnings.push(m),
      });
      const wantWarnings: string[] = [];
      const fromImages = await buildNegativeSet(readSourceImages(paths, opts), profile, {
        ...opts,
        seed: 9,
        onWarning: (m) => wantWarnings.push(m),
      });
      expectSameDataset(fromFiles, fromImages);
      expect(warnings).toEqual(wantWarnings);
      // each input is the public preprocess's (which always makes the crop) of the whole image
      const per = fromFiles.shape[1] * fromFiles.shape[2];
      expect(fromFiles.shape[0], profile.name).toBeGreaterThan(0);
      for (const [i, sample] of fromFiles.samples.entries()) {
        if (sample.parents) continue;
        const file = await readFitsFile(sample.source);
        const sky = skyScaleFromHeader(file.header);
        const want = preprocess(requireImage(file), profile, {
          source: sample.source,
          ...(sky ? { sky } : {}),
        }).input;
        const got = createImage2D(
          fromFiles.shape[1],
          fromFiles.shape[2],
          fromFiles.images.slice(i * per, (i + 1) * per),
        );
        expect(sameBytes(got, want), `${profile.name} ${sample.id}`).toBe(true);
      }
      expect(fromFiles.skipped.map((s) => s.source)).toEqual(
        expect.arrayContaining([corrupt, join(dir, 'missing.fits')]),
      );
    }
    const positives = paths.filter((p) => !p.includes('COS850')).slice(0, 4);
    for (const profile of [originalDustInWind, dustInWind, linear, skyLinear]) {
      const fromFiles = await buildPositiveSetFromFiles(positives, profile, { seed: 2 });
      const fromImages = await buildPositiveSet(readSourceImages(positives), profile, { seed: 2 });
      expectSameDataset(fromFiles, fromImages);
    }
  }, 60_000);

  it('a gzip file smaller than minSize is skipped after inflating (it was kept before)', async () => {
    const { gzipSync } = await import('node:zlib');
    const { readFileSync } = await import('node:fs');
    const gz = join(dir, 'small.fits.gz');
    await writeFile(gz, gzipSync(readFileSync(REAL[2])));
    const ds = await buildNegativeSetFromFiles([gz, REAL[0]], plain, { minSize: 501 });
    expect(ds.shape[0]).toBe(1);
    expect(ds.skipped[0].reason).toMatch(/192x192 is smaller than minSize 501/);
  });
});
