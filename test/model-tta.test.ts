/**
 * Test-time augmentation (src/model/tta.ts): the eight symmetries of the square against numpy's
 * definitions written out index by index, and predictTTA against the mean of eight `predict`
 * calls on images transformed by hand.
 */
import { describe, expect, it } from 'vitest';
import { createRng } from '../src/core/random.js';
import { ModelError } from '../src/core/errors.js';
import { createModel } from '../src/model/factory.js';
import { predict } from '../src/model/predict.js';
import {
  AXIS_FLIPS,
  DIHEDRAL_TRANSFORMS,
  dihedralTransform,
  predictTTA,
} from '../src/model/tta.js';

const S = 24;

/** numpy's definitions of the eight transforms: output (y, x) reads a[row, col]. */
const BY_HAND: Record<string, (y: number, x: number, s: number) => [number, number]> = {
  identity: (y, x) => [y, x],
  rot90: (y, x, s) => [x, s - 1 - y], // np.rot90(a)
  rot180: (y, x, s) => [s - 1 - y, s - 1 - x],
  rot270: (y, x, s) => [s - 1 - x, y], // np.rot90(a, 3)
  flipLR: (y, x, s) => [y, s - 1 - x], // a[:, ::-1]
  flipUD: (y, x, s) => [s - 1 - y, x], // a[::-1, :]
  transpose: (y, x) => [x, y], // a.T
  antitranspose: (y, x, s) => [s - 1 - x, s - 1 - y], // a[::-1, ::-1].T
};

function byHand(px: Float32Array, n: number, s: number, c: number, t: string): Float32Array {
  const out = new Float32Array(px.length);
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < s; y++) {
      for (let x = 0; x < s; x++) {
        const [r, q] = BY_HAND[t](y, x, s);
        for (let k = 0; k < c; k++) {
          out[((i * s + y) * s + x) * c + k] = px[((i * s + r) * s + q) * c + k];
        }
      }
    }
  }
  return out;
}

function noise(count: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: count }, () => rng.normal());
}

const smallModel = () =>
  createModel({
    inputShape: [S, S, 1],
    convBlocks: [{ filters: 8, kernelSize: 3, poolSize: 2, activation: 'relu' }],
    convDropout: 0.25,
    denseUnits: 16,
    denseDropout: 0.5,
    seed: 5,
  });

describe('dihedralTransform', () => {
  it('matches numpy (rot90, flips, transposes) on 1 and 3 channels', () => {
    expect(DIHEDRAL_TRANSFORMS).toHaveLength(8);
    for (const c of [1, 3]) {
      const px = noise(2 * 5 * 5 * c, 1);
      for (const t of DIHEDRAL_TRANSFORMS) {
        expect(dihedralTransform(px, [2, 5, 5, c], t)).toEqual(byHand(px, 2, 5, c, t));
      }
    }
  });

  it('gives eight different images of an asymmetric one, each a permutation of its pixels', () => {
    const px = Float32Array.from({ length: 16 }, (_, i) => i);
    const seen = new Set<string>();
    for (const t of DIHEDRAL_TRANSFORMS) {
      const out = dihedralTransform(px, [1, 4, 4, 1], t);
      expect([...out].sort((a, b) => a - b)).toEqual([...px]);
      seen.add(out.join(','));
    }
    expect(seen.size).toBe(8);
  });

  it('refuses non-square images and in-place use', () => {
    expect(() => dihedralTransform(new Float32Array(6), [1, 2, 3, 1], 'rot90')).toThrow(ModelError);
    const px = new Float32Array(4);
    expect(() => dihedralTransform(px, [1, 2, 2, 1], 'rot90', px)).toThrow(ModelError);
  });
});

describe('predictTTA', () => {
  it('equals the mean of the eight transformed predictions made by hand with predict', async () => {
    const model = await smallModel();
    const n = 5;
    const px = noise(n * S * S, 2);
    const perTransform = await Promise.all(
      Object.keys(BY_HAND).map((t) => predict(model, byHand(px, n, S, 1, t))),
    );
    const tta = await predictTTA(model, px);
    const all = await predictTTA(
      model,
      { images: px, shape: [n, S, S, 1], labels: new Int32Array(n) },
      {
        all: true,
        chunk: 2,
      },
    );
    expect(tta).toHaveLength(n);
    expect(all).toHaveLength(8 * n);
    for (let i = 0; i < n; i++) {
      const eight = perTransform.map((s) => s[i]);
      // The model is not invariant, so the mean is not just one of the eight.
      expect(Math.max(...eight) - Math.min(...eight)).toBeGreaterThan(1e-4);
      expect(tta[i]).toBeCloseTo(eight.reduce((a, b) => a + b, 0) / 8, 6);
      eight.forEach((s, d) => expect(all[i * 8 + d]).toBeCloseTo(s, 6));
    }
    model.dispose();
  });

  it('averages only the transforms asked for: AXIS_FLIPS is the mean of the four axis flips', async () => {
    const model = await smallModel();
    const n = 3;
    const px = noise(n * S * S, 4);
    const four = await Promise.all(AXIS_FLIPS.map((t) => predict(model, byHand(px, n, S, 1, t))));
    const tta = await predictTTA(model, px, { transforms: AXIS_FLIPS });
    const all = await predictTTA(model, px, { transforms: AXIS_FLIPS, all: true });
    expect(all).toHaveLength(4 * n);
    for (let i = 0; i < n; i++) {
      expect(tta[i]).toBeCloseTo(four.reduce((a, s) => a + s[i], 0) / 4, 6);
      four.forEach((s, d) => expect(all[i * 4 + d]).toBeCloseTo(s[i], 6));
    }
    await expect(predictTTA(model, px, { transforms: [] })).rejects.toThrow(ModelError);
    model.dispose();
  });

  it('scores an image the eight symmetries leave unchanged as predict does', async () => {
    const model = await smallModel();
    const c = (S - 1) / 2;
    const px = new Float32Array(S * S);
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        const r2 = (y - c) ** 2 + (x - c) ** 2;
        // Radial, plus a term symmetric under swaps and sign changes of (y - c, x - c).
        px[y * S + x] = Math.exp(-r2 / 30) + 0.1 * Math.cos((y - c) * (x - c));
      }
    }
    const plain = await predict(model, px);
    const tta = await predictTTA(model, px);
    expect(tta[0]).toBeCloseTo(plain[0], 6);
    model.dispose();
  });

  it('refuses a non-square model input', async () => {
    const model = await createModel({
      inputShape: [20, 24, 1],
      convBlocks: [{ filters: 8, kernelSize: 3, poolSize: 2, activation: 'relu' }],
      denseUnits: 8,
    });
    await expect(predictTTA(model, new Float32Array(20 * 24))).rejects.toThrow(/square/);
    model.dispose();
  });
});
