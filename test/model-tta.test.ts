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
  scoreWithModel,
  ttaTransforms,
} from '../src/model/tta.js';
import { predictWithUncertainty } from '../src/model/uncertainty.js';

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

describe('named test-time augmentation (profile.tta, meta.tta)', () => {
  it('names the sets: none is one pass, flips the four axis flips, dihedral all eight', () => {
    expect(ttaTransforms('none')).toEqual(['identity']);
    expect(ttaTransforms('flips')).toEqual(AXIS_FLIPS);
    expect(ttaTransforms('dihedral')).toEqual(DIHEDRAL_TRANSFORMS);
    expect(() => ttaTransforms('sideways' as never)).toThrow(ModelError);
  });

  it("one pass (['identity']) is predict itself, for non-square inputs too", async () => {
    const model = await createModel({
      inputShape: [20, 24, 1],
      convBlocks: [{ filters: 8, kernelSize: 3, poolSize: 2, activation: 'relu' }],
      denseUnits: 8,
      seed: 2,
    });
    const px = noise(3 * 20 * 24, 6);
    const plain = await predict(model, px);
    expect(Array.from(await predictTTA(model, px, { transforms: ['identity'] }))).toEqual(
      Array.from(plain),
    );
    model.dispose();
  });

  it("scoreWithModel averages over the flips a model's meta names, one pass without", async () => {
    const model = await smallModel();
    const n = 4;
    const px = noise(n * S * S, 8);
    const four = await Promise.all(AXIS_FLIPS.map((t) => predict(model, byHand(px, n, S, 1, t))));
    const flips = await scoreWithModel({ model, meta: { tta: 'flips' } }, px);
    const none = await scoreWithModel({ model, meta: {} }, px);
    const plain = await predict(model, px);
    for (let i = 0; i < n; i++) {
      expect(flips[i]).toBeCloseTo(four.reduce((a, s) => a + s[i], 0) / 4, 6);
      expect(none[i]).toBe(plain[i]);
    }
    // Averaged over the flips, an image and its mirror images score alike.
    const mirrored = await scoreWithModel(
      { model, meta: { tta: 'flips' } },
      byHand(px, n, S, 1, 'flipLR'),
    );
    for (let i = 0; i < n; i++) expect(mirrored[i]).toBeCloseTo(flips[i], 6);
    model.dispose();
  });

  it('MC dropout with tta: each sample is the mean over the flips of that seed’s passes', async () => {
    const model = await smallModel();
    const n = 3;
    const px = noise(n * S * S, 9);
    const opts = { samples: 6, seed: 4, returnSamples: true } as const;
    const withTta = await predictWithUncertainty(model, px, { ...opts, tta: 'flips' });
    const per = await Promise.all(
      AXIS_FLIPS.map((t) => predictWithUncertainty(model, byHand(px, n, S, 1, t), opts)),
    );
    expect(withTta.samples).toHaveLength(6 * n);
    for (let j = 0; j < 6 * n; j++) {
      expect(withTta.samples![j]).toBeCloseTo(per.reduce((a, u) => a + u.samples![j], 0) / 4, 6);
    }
    // The model has dropout, so the samples spread.
    expect(Math.max(...withTta.std)).toBeGreaterThan(0);
    model.dispose();
  });

  it('MC dropout with tta on a model without dropout: std 0, mean the flips-averaged score', async () => {
    const model = await createModel({
      inputShape: [S, S, 1],
      convBlocks: [{ filters: 8, kernelSize: 3, poolSize: 2, activation: 'relu' }],
      denseUnits: 16,
      convDropout: 0,
      denseDropout: 0,
      seed: 7,
    });
    const px = noise(2 * S * S, 10);
    const u = await predictWithUncertainty(model, px, { samples: 3, tta: 'flips' });
    const tta = await predictTTA(model, px, { transforms: AXIS_FLIPS });
    for (let i = 0; i < 2; i++) {
      expect(u.std[i]).toBeCloseTo(0, 6);
      expect(u.mean[i]).toBeCloseTo(tta[i], 6);
    }
    model.dispose();
  });
});
