/**
 * Saliency (src/model/saliency.ts) and its overlay PNG (src/report/saliency-png.ts): a model
 * that can only see one corner must light up that corner under both methods; occlusion values
 * are the mean score drops of the patches covering each pixel; the overlay decodes to the right
 * size and leaves saliency-free pixels as the grey input.
 */
import * as tf from '@tensorflow/tfjs';
import { decode } from 'fast-png';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../src/core/random.js';
import { ModelError } from '../src/core/errors.js';
import { createImage2D, type Image2D } from '../src/core/image2d.js';
import { createModel } from '../src/model/factory.js';
import { planModel } from '../src/model/engine/plan.js';
import { predict } from '../src/model/predict.js';
import { gradientSaliency, occlusionSaliency } from '../src/model/saliency.js';
import { renderRgba } from '../src/report/render.js';
import { renderSaliencyOverlay, renderSaliencyRgba } from '../src/report/saliency-png.js';

const H = 100;

function noiseImage(rows: number, cols: number, seed: number): Image2D {
  const rng = createRng(seed);
  return createImage2D(
    rows,
    cols,
    Float32Array.from({ length: rows * cols }, () => rng.normal()),
  );
}

/**
 * The default network (so the engine scores it) with the hidden dense layer's weights zeroed
 * except for the rows fed by the final 23x23 feature cells `[r0, r1) x [c0, c1)`: cell r sees
 * input rows 4r .. 4r + 9 (two 3x3 convolutions, two 2x2 pools), so cells 0..2 see only rows and
 * columns 0..17 and cells 20..22 only 80..97.
 */
async function cornerModel(
  [r0, r1]: [number, number],
  [c0, c1]: [number, number],
): Promise<tf.LayersModel> {
  const model = await createModel({ seed: 2 });
  const dense = model.getLayer('dense');
  const [kernel, bias] = dense.getWeights();
  const [rows, units] = kernel.shape;
  const k = kernel.dataSync().slice();
  const channels = 64;
  const grid = 23;
  for (let row = 0; row < rows; row++) {
    const ch = row % channels;
    const cell = (row - ch) / channels;
    const r = Math.floor(cell / grid);
    const c = cell % grid;
    const inside = r >= r0 && r < r1 && c >= c0 && c < c1;
    if (!inside) k.fill(0, row * units, (row + 1) * units);
  }
  dense.setWeights([tf.tensor(k, kernel.shape), bias]);
  // Larger output weights so the corner's features move the score visibly.
  const out = model.getLayer('output');
  const [ok, ob] = out.getWeights();
  out.setWeights([ok.mul(8), ob]);
  return model;
}

/** Share of the saliency mass (sum of |s|) in rows [r0, r1) and columns [c0, c1). */
function massShare(s: Image2D, r0: number, r1: number, c0: number, c1: number): number {
  let inside = 0;
  let total = 0;
  for (let r = 0; r < s.shape[0]; r++) {
    for (let c = 0; c < s.shape[1]; c++) {
      const v = Math.abs(s.get(r, c));
      total += v;
      if (r >= r0 && r < r1 && c >= c0 && c < c1) inside += v;
    }
  }
  return inside / total;
}

let topLeft: tf.LayersModel;
let bottomRight: tf.LayersModel;
let topRight: tf.LayersModel;
const input = noiseImage(H, H, 1);

beforeAll(async () => {
  topLeft = await cornerModel([0, 3], [0, 3]);
  bottomRight = await cornerModel([20, 23], [20, 23]);
  topRight = await cornerModel([0, 3], [20, 23]);
});

describe('saliency of a model that looks at one corner', () => {
  it('the corner models run on the engine and ignore the rest of the image', async () => {
    expect(typeof planModel(topLeft)).toBe('object');
    const changed = input.data.slice();
    for (let r = 30; r < H; r++) changed.fill(5, r * H, (r + 1) * H);
    const [a, b] = await predict(topLeft, Float32Array.from([...input.data, ...changed]));
    expect(b).toBeCloseTo(a, 6);
  });

  for (const [name, method] of [
    ['occlusion', (m: tf.LayersModel) => occlusionSaliency(m, input)],
    ['gradient', (m: tf.LayersModel) => gradientSaliency(m, input)],
  ] as const) {
    it(`${name} saliency lights up the top-left corner for the top-left model`, async () => {
      const s = await method(topLeft);
      expect(s.shape).toEqual([H, H]);
      expect(massShare(s, 0, H / 2, 0, H / 2)).toBeGreaterThanOrEqual(0.9);
    });
    it(`${name} saliency lights up the bottom-right corner for the bottom-right model`, async () => {
      const s = await method(bottomRight);
      expect(massShare(s, H / 2, H, H / 2, H)).toBeGreaterThanOrEqual(0.9);
    });
    it(`${name} saliency keeps rows and columns apart (the top-right model)`, async () => {
      const s = await method(topRight);
      expect(massShare(s, 0, H / 2, H / 2, H)).toBeGreaterThanOrEqual(0.9);
    });
  }
});

describe('occlusionSaliency', () => {
  const small = () =>
    createModel({
      inputShape: [12, 12, 1],
      convBlocks: [{ filters: 8, kernelSize: 3, poolSize: 2, activation: 'relu' }],
      denseUnits: 16,
      seed: 4,
    });

  it('is the mean score drop over the patches covering each pixel', async () => {
    const model = await small();
    const img = noiseImage(12, 12, 2);
    const s = await occlusionSaliency(model, img, { patch: 4, stride: 4, fill: 0 });
    // Stride = patch: each pixel is covered once, by the patch of its 4x4 block.
    const base = (await predict(model, img.data as Float32Array))[0];
    const copy = (img.data as Float32Array).slice();
    for (let r = 4; r < 8; r++) copy.fill(0, r * 12 + 8, r * 12 + 12);
    const hidden = (await predict(model, copy))[0];
    expect(s.get(5, 9)).toBeCloseTo(base - hidden, 6);
    // Overlapping patches: pixel (0, 0) lies in one patch, pixel (2, 2) in four.
    const o = await occlusionSaliency(model, img, { patch: 4, stride: 2, fill: 'mean' });
    const mean = (img.data as Float32Array).reduce((a, v) => a + v, 0) / 144;
    const drop = async (y0: number, x0: number): Promise<number> => {
      const c = (img.data as Float32Array).slice();
      for (let r = y0; r < y0 + 4; r++) c.fill(mean, r * 12 + x0, r * 12 + x0 + 4);
      return base - (await predict(model, c))[0];
    };
    expect(o.get(0, 0)).toBeCloseTo(await drop(0, 0), 5);
    const four = [await drop(0, 0), await drop(0, 2), await drop(2, 0), await drop(2, 2)];
    expect(o.get(2, 2)).toBeCloseTo(four.reduce((a, b) => a + b) / 4, 5);
    model.dispose();
  });

  it('names bad shapes and options', async () => {
    const model = await small();
    await expect(occlusionSaliency(model, noiseImage(10, 12, 1))).rejects.toThrow(ModelError);
    await expect(
      occlusionSaliency(model, noiseImage(12, 12, 1), { stride: 5, patch: 4 }),
    ).rejects.toThrow(/stride/);
    const nan = noiseImage(12, 12, 1);
    nan.set(3, 4, NaN);
    await expect(gradientSaliency(model, nan)).rejects.toThrow(/\[3, 4\]/);
    model.dispose();
  });
});

describe('renderSaliencyOverlay', () => {
  it('decodes to the image size (times scale) and leaves saliency-free pixels grey', () => {
    const img = noiseImage(30, 40, 3);
    const sal = createImage2D(30, 40);
    for (let r = 0; r < 10; r++) for (let c = 0; c < 10; c++) sal.set(r, c, 1 + r);
    const png = decode(renderSaliencyOverlay(img, sal, { scale: 2 }));
    expect([png.width, png.height, png.channels]).toEqual([80, 60, 4]);
    // The default grey: zscale, white dimmed to 0.8.
    const grey = renderRgba(img, { colormap: 'gray', stretch: 'zscale', scale: 2 });
    grey.data.forEach((v, i) => {
      if (i % 4 !== 3) grey.data[i] = Math.round(v * 0.8);
    });
    const data = png.data as Uint8Array;
    // Row 0 is drawn at the bottom: image rows 0..9 are display rows 40..59 (scale 2).
    let same = 0;
    let tinted = 0;
    for (let y = 0; y < 60; y++) {
      for (let x = 0; x < 80; x++) {
        const p = 4 * (y * 80 + x);
        const r = 29 - Math.floor(y / 2);
        const c = Math.floor(x / 2);
        const px = [0, 1, 2, 3].map((k) => data[p + k]);
        const g = [0, 1, 2, 3].map((k) => grey.data[p + k]);
        expect(g[0]).toBe(g[1]);
        if (r >= 10 || c >= 10) {
          expect(px).toEqual(g);
          same++;
        } else if (r > 0) {
          // Above the threshold: coloured, not grey.
          expect(px[0] === px[1] && px[1] === px[2]).toBe(false);
          tinted++;
        }
      }
    }
    expect(same).toBe(80 * 60 - 20 * 20);
    expect(tinted).toBe(9 * 10 * 4);
  });

  it('shows only positive values when asked, and refuses mismatched shapes', () => {
    const img = noiseImage(8, 8, 4);
    const sal = createImage2D(8, 8);
    sal.set(1, 1, -1);
    sal.set(6, 6, 1);
    const grey = renderRgba(img, { colormap: 'gray', flipY: false });
    const rgba = renderSaliencyRgba(img, sal, {
      values: 'positive',
      flipY: false,
      stretch: 'linear',
      brightness: 1,
    });
    const at = (r: number, c: number, d: Uint8ClampedArray) => [
      ...d.slice(4 * (r * 8 + c), 4 * (r * 8 + c) + 4),
    ];
    expect(at(1, 1, rgba.data)).toEqual(at(1, 1, grey.data));
    expect(at(6, 6, rgba.data)).not.toEqual(at(6, 6, grey.data));
    expect(() => renderSaliencyOverlay(img, createImage2D(8, 9))).toThrow(RangeError);
  });
});

describe('occlusion saliency of a score averaged over flips (tta)', () => {
  it("equals the mean of the flips' maps, each turned back", async () => {
    const S = 24;
    const model = await createModel({
      inputShape: [S, S, 1],
      convBlocks: [{ filters: 8, kernelSize: 3, poolSize: 2, activation: 'relu' }],
      denseUnits: 16,
      seed: 3,
    });
    const x = noiseImage(S, S, 11);
    const opts = { patch: 8, stride: 4 } as const;
    const tta = await occlusionSaliency(model, x, { ...opts, tta: 'flips' });
    // The four axis flips as (row, col) maps; each is its own inverse.
    const flips: ((r: number, c: number) => [number, number])[] = [
      (r, c) => [r, c],
      (r, c) => [r, S - 1 - c],
      (r, c) => [S - 1 - r, c],
      (r, c) => [S - 1 - r, S - 1 - c],
    ];
    const mean = new Float64Array(S * S);
    for (const g of flips) {
      const moved = createImage2D(S, S);
      for (let r = 0; r < S; r++) {
        for (let c = 0; c < S; c++) moved.set(r, c, x.get(...g(r, c)));
      }
      const map = await occlusionSaliency(model, moved, opts);
      for (let r = 0; r < S; r++) {
        for (let c = 0; c < S; c++) {
          const [gr, gc] = g(r, c);
          mean[r * S + c] += map.get(gr, gc) / 4;
        }
      }
    }
    let largest = 0;
    for (let r = 0; r < S; r++) {
      for (let c = 0; c < S; c++) {
        expect(tta.get(r, c)).toBeCloseTo(mean[r * S + c], 5);
        largest = Math.max(largest, Math.abs(mean[r * S + c]));
      }
    }
    expect(largest).toBeGreaterThan(1e-4);
    model.dispose();
  });
});
