import { describe, expect, it } from 'vitest';
import { createImage2D } from '../src/core/image2d.js';
import { createRng } from '../src/core/random.js';
import { resolveProfile } from '../src/dataset/index.js';
import {
  centralLevel,
  compareToInputRange,
  isInputRange,
  measureInputRange,
} from '../src/model/index.js';
import { checkModelMeta } from '../src/model/meta.js';
import { blobsAndBars } from './helpers/blobs.js';
import {
  candidateCatalogueRows,
  classifyImages,
  datasetParts,
  trainAndCalibrate,
} from '../src/pipeline/index.js';

const SIZE = 20;

describe('centralLevel / measureInputRange / compareToInputRange', () => {
  it('takes the brightest of the central 4x4 pixels, not a brighter pixel elsewhere', () => {
    const px = new Float32Array(2 * SIZE * SIZE);
    px[9 * SIZE + 11] = 0.7; // inside the centre of the first input
    px[0] = 9; // a bright corner is not the centre
    px[SIZE * SIZE + 10 * SIZE + 10] = 0.4;
    px[SIZE * SIZE + 13 * SIZE + 10] = 3; // just outside the central window
    expect(centralLevel(px, 0, SIZE, SIZE)).toBeCloseTo(0.7, 6);
    expect(centralLevel(px, SIZE * SIZE, SIZE, SIZE)).toBeCloseTo(0.4, 6);
  });

  it('gives the spread of the inputs as NumPy percentiles, and flags what lies outside it', () => {
    const n = 101;
    const px = new Float32Array(n * 16);
    // Central levels 0, 0.01, ..., 1.00 in a scrambled order.
    for (let i = 0; i < n; i++) px[i * 16 + 2 * 4 + 2] = ((i * 37) % n) / 100;
    const r = measureInputRange(px, n, 4, 4);
    expect(r?.count).toBe(n);
    expect(r?.min).toBe(0);
    expect(r?.max).toBeCloseTo(1, 6);
    expect(r?.median).toBeCloseTo(0.5, 6);
    expect(r?.p01).toBeCloseTo(0.01, 6); // np.percentile(np.arange(101) / 100, 1)
    expect(r?.p99).toBeCloseTo(0.99, 6);
    expect(isInputRange(r)).toBe(true);
    expect(compareToInputRange(0.005, r!)).toBe('fainter');
    expect(compareToInputRange(0.995, r!)).toBe('brighter');
    expect(compareToInputRange(0.5, r!)).toBeUndefined();
    expect(measureInputRange(new Float32Array(0), 0, 4, 4)).toBeUndefined();
  });

  it('refuses a meta.json whose trainingInputs are not ordered numbers, naming the file', () => {
    const meta = { profileName: 'x', classNames: ['negative', 'positive'] };
    const range = { count: 3, min: 0, p01: 0.1, median: 0.5, p99: 0.9, max: 1 };
    expect(
      checkModelMeta({ ...meta, trainingInputs: range }, 'm/meta.json').trainingInputs,
    ).toEqual(range);
    expect(() =>
      checkModelMeta({ ...meta, trainingInputs: { ...range, p99: 0.2 } }, 'm/meta.json'),
    ).toThrow(/m\/meta\.json.*trainingInputs/);
    expect(() => checkModelMeta({ ...meta, trainingInputs: 'wide' }, 'm/meta.json')).toThrow(
      /trainingInputs/,
    );
  });

  it('refuses a meta.json whose tta names no set of symmetries, naming the file', () => {
    const meta = { profileName: 'x', classNames: ['negative', 'positive'] };
    expect(checkModelMeta({ ...meta, tta: 'flips' }, 'm/meta.json').tta).toBe('flips');
    expect(() => checkModelMeta({ ...meta, tta: 'sideways' }, 'm/meta.json')).toThrow(
      /m\/meta\.json.*tta must be one of none, flips, dihedral/,
    );
  });
});

// Pixel crops, values as they are: the input's centre is the object's peak in image units.
const profile = resolveProfile({
  name: 'range-test',
  preprocess: {
    searchFraction: 1,
    cropSize: SIZE,
    inputSize: SIZE,
    inputMode: 'center-crop',
    normalize: 'none',
    sky: null,
  },
  positive: { align: 'none' },
  model: {
    convBlocks: [{ filters: 4, kernelSize: 3, poolSize: 2, activation: 'relu' }],
    denseUnits: 8,
  },
  train: { batchSize: 16, epochs: 2, learningRate: 3e-3, seed: 1, augment: false },
});

describe('trainingInputs: what a model learnt from, and candidates outside it', () => {
  it('records the training part only, and flags fainter and brighter objects in classify', async () => {
    // Blobs and bars of peak 0.8-1.2 at the centre.
    const ds = blobsAndBars(120, 4, { size: SIZE, jitter: 0, amplitude: [0.8, 1.2], noise: 0.02 });
    const res = await trainAndCalibrate(ds, { profile });
    const train = datasetParts(ds, { seed: 1 }).train;
    const range = res.meta.trainingInputs;
    expect(range).toEqual(measureInputRange(train.images, train.shape[0], SIZE, SIZE));
    expect(range?.count).toBe(train.shape[0]);
    expect(range!.p01).toBeGreaterThan(0.7);
    expect(range!.p99).toBeLessThan(1.3);

    // Three blobs in one image: as bright as training, five times fainter, five times brighter.
    const r = createRng(9);
    const px = new Float32Array(40 * 120);
    const blob = (cx: number, amp: number) => {
      for (let y = 0; y < 40; y++)
        for (let x = 0; x < 120; x++)
          px[y * 120 + x] += amp * Math.exp(-0.5 * (((x - cx) / 2.2) ** 2 + ((y - 20) / 2.2) ** 2));
    };
    for (let i = 0; i < px.length; i++) px[i] = 0.02 * r.normal();
    blob(25, 1);
    blob(60, 0.2);
    blob(95, 5);
    const candidates = await classifyImages(
      { model: res.model, meta: res.meta },
      [{ name: 'three.fits', image: createImage2D(40, 120, px) }],
      { allSources: true, maxSources: 3 },
    );
    const byCol = new Map(candidates.map((c) => [Math.round(c.peak[1] / 5) * 5, c]));
    expect([...byCol.keys()].sort((a, b) => a - b)).toEqual([25, 60, 95]);
    expect(byCol.get(25)?.outsideTraining).toBeUndefined();
    expect(byCol.get(60)?.outsideTraining).toBe('fainter');
    expect(byCol.get(95)?.outsideTraining).toBe('brighter');
    // The catalogues carry the flag.
    const rows = candidateCatalogueRows(candidates).rows;
    expect(rows.map((row) => row.outsideTraining ?? '').sort()).toEqual([
      '',
      'brighter',
      'fainter',
    ]);
    // A model saved before the record existed flags nothing.
    const { trainingInputs: _r, ...older } = res.meta;
    const plain = await classifyImages(
      { model: res.model, meta: older },
      [{ name: 'three.fits', image: createImage2D(40, 120, px) }],
      { allSources: true, maxSources: 3 },
    );
    expect(plain.every((c) => c.outsideTraining === undefined)).toBe(true);
    res.model.dispose();
  });
});
