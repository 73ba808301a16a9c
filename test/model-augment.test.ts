import { describe, expect, it } from 'vitest';
import { createRng } from '../src/core/random.js';
import { ModelError } from '../src/core/errors.js';
import {
  DEFAULT_TRAIN_AUGMENT_OPTIONS,
  NO_TRAIN_AUGMENT,
  augmentBatch,
  createModel,
  createNoiseField,
  imageLevels,
  predict,
  trainModel,
  type ModelConfig,
  type TensorData,
} from '../src/model/index.js';
import { resolveTrainAugment } from '../src/model/augment-batch.js';

const N = 16;

/** An asymmetric test pattern: every pixel a distinct value, so each transform is recognisable. */
function pattern(): Float32Array {
  const px = new Float32Array(N * N);
  for (let i = 0; i < px.length; i++) px[i] = i;
  return px;
}

/** The 8 dihedral images of `px` made by hand (numpy: rot90 k times, optionally transposed). */
function dihedralSet(px: Float32Array): string[] {
  const at = (a: Float32Array, r: number, c: number): number => a[r * N + c];
  const rot90 = (a: Float32Array): Float32Array => {
    const o = new Float32Array(N * N);
    for (let r = 0; r < N; r++) for (let c = 0; c < N; c++) o[r * N + c] = at(a, c, N - 1 - r);
    return o;
  };
  const transpose = (a: Float32Array): Float32Array => {
    const o = new Float32Array(N * N);
    for (let r = 0; r < N; r++) for (let c = 0; c < N; c++) o[r * N + c] = at(a, c, r);
    return o;
  };
  const out: string[] = [];
  let a = px;
  for (let k = 0; k < 4; k++) {
    out.push(a.join(','), transpose(a).join(','));
    a = rot90(a);
  }
  return out;
}

describe('augmentBatch', () => {
  const levels = { median: [0], std: [1] };
  const d4only = { ...NO_TRAIN_AUGMENT, dihedral: true };

  it('draws each of the eight flips/90° rotations, moving pixels exactly', () => {
    const want = new Set(dihedralSet(pattern()));
    expect(want.size).toBe(8);
    const rng = createRng(3);
    const seen = new Map<string, number>();
    for (let t = 0; t < 800; t++) {
      const out = new Float32Array(N * N);
      augmentBatch(pattern(), out, 1, N, N, levels, d4only, rng);
      const key = out.join(',');
      expect(want.has(key)).toBe(true);
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    expect(seen.size).toBe(8);
    for (const count of seen.values()) expect(count).toBeGreaterThan(60);
  });

  it("'flips' draws only the four transforms that keep the axes (an aligned source stays aligned)", () => {
    const flips = { ...NO_TRAIN_AUGMENT, dihedral: 'flips' as const };
    const p = pattern();
    const at = (r: number, c: number): number => p[r * N + c];
    const want = new Set(
      [
        (r: number, c: number) => at(r, c),
        (r: number, c: number) => at(r, N - 1 - c),
        (r: number, c: number) => at(N - 1 - r, c),
        (r: number, c: number) => at(N - 1 - r, N - 1 - c),
      ].map((f) => Array.from({ length: N * N }, (_, k) => f(Math.floor(k / N), k % N)).join(',')),
    );
    const rng = createRng(5);
    const seen = new Map<string, number>();
    for (let t = 0; t < 400; t++) {
      const out = new Float32Array(N * N);
      augmentBatch(pattern(), out, 1, N, N, levels, flips, rng);
      const key = out.join(',');
      expect(want.has(key)).toBe(true);
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    expect(seen.size).toBe(4);
    for (const count of seen.values()) expect(count).toBeGreaterThan(60);
  });

  it('is a function of the images and the generator alone: the same state gives the same batch', () => {
    const x = new Float32Array(3 * N * N).map((_, i) => Math.sin(i));
    const lv = imageLevels(x, 3, N * N);
    const a = new Float32Array(x.length);
    const b = new Float32Array(x.length);
    augmentBatch(x, a, 3, N, N, lv, DEFAULT_TRAIN_AUGMENT_OPTIONS, createRng(9));
    augmentBatch(x, b, 3, N, N, lv, DEFAULT_TRAIN_AUGMENT_OPTIONS, createRng(9));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(x));
  });

  it('rotates about the centre and fills the corners with the image median, not zero', () => {
    const n = 33;
    const px = new Float32Array(n * n).fill(0.25);
    px[16 * n + 16] = 1; // the centre pixel stays put under any rotation
    const out = new Float32Array(n * n);
    augmentBatch(
      px,
      out,
      1,
      n,
      n,
      { median: [0.25], std: [0] },
      { ...NO_TRAIN_AUGMENT, rotation: 30 },
      createRng(1),
    );
    expect(out[16 * n + 16]).toBeGreaterThan(0.5);
    expect(out[0]).toBeCloseTo(0.25, 6);
    expect(out[n * n - 1]).toBeCloseTo(0.25, 6);
  });

  it("adds noise at a multiple of the image's own noise level, beam-smoothed", () => {
    const per = 64 * 64;
    const x = new Float32Array(per);
    const out = new Float32Array(per);
    const rng = createRng(5);
    let ratio = 0;
    const draws = 200;
    for (let t = 0; t < draws; t++) {
      augmentBatch(
        x,
        out,
        1,
        64,
        64,
        { median: [0], std: [0.2] },
        { ...NO_TRAIN_AUGMENT, noise: 1, noiseCorrelation: 1.5 },
        rng,
      );
      let sq = 0;
      for (let k = 0; k < per; k++) sq += out[k] * out[k];
      ratio += Math.sqrt(sq / per) / 0.2;
    }
    // The multiple is uniform in [0, 1]: its mean is 1/2.
    expect(ratio / draws).toBeGreaterThan(0.44);
    expect(ratio / draws).toBeLessThan(0.56);
    // Smoothed: neighbouring pixels are correlated, as beam-convolved noise is.
    let c = 0;
    let v = 0;
    for (let k = 0; k < per - 1; k++) {
      c += out[k] * out[k + 1];
      v += out[k] * out[k];
    }
    expect(c / v).toBeGreaterThan(0.5);
  });

  it('shifts by up to `shift` pixels and zooms by up to `scale`, and draws as before when both are 0', () => {
    const n = 41;
    const c = 20;
    // A Gaussian spot at the centre: its centroid moves with the shift, its width with the zoom.
    const px = new Float32Array(n * n);
    for (let y = 0; y < n; y++)
      for (let x = 0; x < n; x++)
        px[y * n + x] = Math.exp(-0.5 * (((y - c) / 3) ** 2 + ((x - c) / 3) ** 2));
    const moments = (a: Float32Array): { y: number; x: number; w: number } => {
      let s = 0;
      let sy = 0;
      let sx = 0;
      for (let y = 0; y < n; y++)
        for (let x = 0; x < n; x++) {
          s += a[y * n + x];
          sy += a[y * n + x] * y;
          sx += a[y * n + x] * x;
        }
      const my = sy / s;
      const mx = sx / s;
      let v = 0;
      for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) v += a[y * n + x] * (x - mx) ** 2;
      return { y: my, x: mx, w: Math.sqrt(v / s) };
    };
    const out = new Float32Array(n * n);
    const rng = createRng(3);
    let maxShift = 0;
    let [wMin, wMax] = [Infinity, 0];
    const draw = (opts: Partial<typeof NO_TRAIN_AUGMENT>) => {
      augmentBatch(
        px,
        out,
        1,
        n,
        n,
        { median: [0], std: [0] },
        { ...NO_TRAIN_AUGMENT, ...opts },
        rng,
      );
      return moments(out);
    };
    for (let t = 0; t < 200; t++) {
      const m = draw({ shift: 2 });
      maxShift = Math.max(maxShift, Math.abs(m.y - c), Math.abs(m.x - c));
      const z = draw({ scale: 0.2 });
      expect(Math.abs(z.y - c)).toBeLessThan(1e-3); // zoom about the centre
      wMin = Math.min(wMin, z.w);
      wMax = Math.max(wMax, z.w);
    }
    expect(maxShift).toBeGreaterThan(1.8);
    expect(maxShift).toBeLessThanOrEqual(2 + 1e-3);
    // Width 3 magnified by 1/1.2 to 1.2.
    expect(wMin).toBeGreaterThan(3 / 1.2 - 0.05);
    expect(wMin).toBeLessThan(3 / 1.2 + 0.15);
    expect(wMax).toBeGreaterThan(3 * 1.2 - 0.15);
    expect(wMax).toBeLessThan(3 * 1.2 + 0.05);
    // With shift and scale 0 the draws (and images) are those of the same options without them.
    const x = pattern();
    const a = new Float32Array(N * N);
    const b = new Float32Array(N * N);
    const opts = { dihedral: 'flips' as const, rotation: 5, noise: 0.5, noiseCorrelation: 1 };
    augmentBatch(x, a, 1, N, N, levels, opts, createRng(9));
    augmentBatch(x, b, 1, N, N, levels, { ...opts, shift: 0, scale: 0 }, createRng(9));
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it("without a noise field, draws and resamples the default profile's augmentation bit for bit as before", () => {
    // FNV-1a of the float bits of 300 batches, recorded with the code before shift and zoom
    // existed: a change of draws or of rounding (even the order of a sum) changes the weights
    // a recipe trains to. (trainModel cuts its noise from a field since the field existed.)
    const h = 64;
    const w = 64;
    const m = 8;
    const per = h * w;
    const r0 = createRng(2024);
    const x = new Float32Array(m * per).map(() => r0.normal() * 3);
    const lv = imageLevels(x, m, per);
    const out = new Float32Array(m * per);
    const rng = createRng(7);
    const opts = resolveTrainAugment({ dihedral: 'flips', rotation: 5, noise: 0.5 });
    let hash = 0x811c9dc5;
    for (let rep = 0; rep < 300; rep++) {
      augmentBatch(x, out, m, h, w, lv, opts, rng);
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < u.length; i++) hash = Math.imul(hash ^ u[i], 0x01000193) >>> 0;
    }
    expect(hash.toString(16)).toBe('584aa675');
  });

  it('refuses non-square images for the dihedral group', () => {
    expect(() =>
      augmentBatch(
        new Float32Array(12),
        new Float32Array(12),
        1,
        3,
        4,
        levels,
        d4only,
        createRng(0),
      ),
    ).toThrow(ModelError);
  });
});

describe('createNoiseField and augmentBatch with a field', () => {
  it('draws a field of unit, beam-correlated noise whose windows match fresh smoothed draws', () => {
    const field = createNoiseField(48, 48, 1, createRng(11));
    expect(field.size).toBe(768);
    expect(field.correlation).toBe(1);
    const f = field.values;
    let sq = 0;
    let lag1 = 0;
    let lag3 = 0;
    const s = field.size;
    for (let y = 0; y < s; y++)
      for (let x = 0; x < s - 3; x++) {
        const v = f[y * s + x];
        sq += v * v;
        lag1 += v * f[y * s + x + 1];
        lag3 += v * f[y * s + x + 3];
      }
    const count = s * (s - 3);
    expect(Math.sqrt(sq / count)).toBeGreaterThan(0.98);
    expect(Math.sqrt(sq / count)).toBeLessThan(1.02);
    // Smoothed with sigma 1: correlation exp(-d^2/4) at lag d (0.78 at 1, 0.105 at 3).
    expect(lag1 / sq).toBeCloseTo(Math.exp(-0.25), 1);
    expect(lag3 / sq).toBeCloseTo(Math.exp(-9 / 4), 1);
    // The same generator state gives the same field; white noise is not smoothed.
    expect(createNoiseField(48, 48, 1, createRng(11)).values).toEqual(f);
    const white = createNoiseField(16, 16, 0, createRng(3));
    let w1 = 0;
    let w0 = 0;
    for (let k = 0; k < white.values.length - 1; k++) {
      w0 += white.values[k] ** 2;
      w1 += white.values[k] * white.values[k + 1];
    }
    expect(Math.abs(w1 / w0)).toBeLessThan(0.02);
  });

  it("adds windows of the field at a multiple of the image's own noise, at varying offsets", () => {
    const per = 64 * 64;
    const x = new Float32Array(per);
    const out = new Float32Array(per);
    const opts = { ...NO_TRAIN_AUGMENT, noise: 1, noiseCorrelation: 1.5 };
    const field = createNoiseField(64, 64, 1.5, createRng(2));
    const rng = createRng(5);
    let ratio = 0;
    const draws = 200;
    const firsts = new Set<number>();
    for (let t = 0; t < draws; t++) {
      out.fill(0);
      augmentBatch(x, out, 1, 64, 64, { median: [0], std: [0.2] }, opts, rng, field);
      let sq = 0;
      for (let k = 0; k < per; k++) sq += out[k] * out[k];
      ratio += Math.sqrt(sq / per) / 0.2;
      // Windows at other offsets (and amplitudes) start with other values.
      firsts.add(Math.round(out[0] * 1e6));
    }
    expect(ratio / draws).toBeGreaterThan(0.44);
    expect(ratio / draws).toBeLessThan(0.56);
    expect(firsts.size).toBeGreaterThan(190);
    // The window is the field's pixels times one amplitude, at one offset.
    augmentBatch(x, out, 1, 64, 64, { median: [0], std: [0.2] }, opts, createRng(8), field);
    const s = field.size;
    let found = false;
    for (let oy = 0; oy <= s - 64 && !found; oy++)
      for (let ox = 0; ox <= s - 64 && !found; ox++) {
        const a = out[0] / field.values[oy * s + ox];
        if (!(Math.abs(a) > 0)) continue;
        found = [1, 64, 65, 200, 4095].every(
          (k) =>
            Math.abs(out[k] - a * field.values[(oy + Math.floor(k / 64)) * s + ox + (k % 64)]) <
            1e-6 * Math.abs(a) + 1e-9,
        );
      }
    expect(found).toBe(true);
  });

  it('refuses a field drawn with another correlation, or smaller than the images', () => {
    const opts = { ...NO_TRAIN_AUGMENT, noise: 0.5, noiseCorrelation: 1 };
    const x = new Float32Array(16 * 16);
    const lv = { median: [0], std: [1] };
    expect(() =>
      augmentBatch(
        x,
        x.slice(),
        1,
        16,
        16,
        lv,
        opts,
        createRng(1),
        createNoiseField(16, 16, 2, createRng(1)),
      ),
    ).toThrow(/noise field/);
    // Wider than the largest field: trainModel draws fresh noise for such images instead.
    expect(() => createNoiseField(2049, 16, 1, createRng(1))).toThrow(/too large/);
    const small = { size: 8, correlation: 1, values: new Float32Array(64) };
    expect(() => augmentBatch(x, x.slice(), 1, 16, 16, lv, opts, createRng(1), small)).toThrow(
      ModelError,
    );
  });
});

const SIZE = 20;
const tiny: Partial<ModelConfig> = {
  inputShape: [SIZE, SIZE, 1],
  convBlocks: [
    { filters: 4, kernelSize: 3, poolSize: 2, activation: 'relu' },
    { filters: 8, kernelSize: 3, poolSize: 2, activation: 'relu' },
  ],
  denseUnits: 16,
};

function noiseData(n: number, seed: number): TensorData {
  const r = createRng(seed);
  const images = new Float32Array(n * SIZE * SIZE).map(() => r.normal());
  const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
  return { images, labels, shape: [n, SIZE, SIZE, 1] };
}

describe('trainModel: augmentation, best weights', () => {
  it('augment changes what the model sees, deterministically for one seed', async () => {
    const data = noiseData(32, 1);
    const run = async (augment: boolean): Promise<Float32Array> => {
      const model = await createModel({ ...tiny, seed: 4 });
      await trainModel(model, data, { epochs: 2, batchSize: 8, seed: 2, augment });
      const p = await predict(model, data);
      model.dispose();
      return p;
    };
    const [a1, a2, plain] = [await run(true), await run(true), await run(false)];
    expect(Array.from(a1)).toEqual(Array.from(a2));
    expect(Array.from(a1)).not.toEqual(Array.from(plain));
  });

  it('restoreBestWeights leaves the model with the best epoch of validation loss', async () => {
    // Labels of pure noise: the validation loss wanders and rises as the model memorises.
    const train = noiseData(64, 2);
    const val = noiseData(32, 3);
    const model = await createModel({ ...tiny, seed: 1, convDropout: 0, denseDropout: 0 });
    const h = await trainModel(model, train, {
      epochs: 8,
      batchSize: 8,
      learningRate: 3e-2,
      validationData: val,
      earlyStopping: { monitor: 'valLoss', patience: 100, minDelta: 0, restoreBestWeights: true },
    });
    const losses = h.epochs.map((e) => e.valLoss as number);
    const best = losses.indexOf(Math.min(...losses));
    expect(h.bestEpoch).toBe(best);
    // The final model scores the validation set with the best epoch's loss.
    const p = await predict(model, val);
    let loss = 0;
    for (let i = 0; i < p.length; i++) {
      const q = Math.min(1 - 1e-7, Math.max(1e-7, val.labels[i] === 1 ? p[i] : 1 - p[i]));
      loss -= Math.log(q);
    }
    expect(loss / p.length).toBeCloseTo(losses[best], 3);
    model.dispose();
  });

  it('without restoreBestWeights the model keeps the last epoch', async () => {
    const model = await createModel({ ...tiny, seed: 1 });
    const h = await trainModel(model, noiseData(16, 4), { epochs: 3, batchSize: 8 });
    expect(h.bestEpoch).toBe(2);
    model.dispose();
  });

  it('rejects bad augmentation options with the field named', async () => {
    const model = await createModel(tiny);
    await expect(
      trainModel(model, noiseData(8, 1), { epochs: 1, augment: { rotation: -1 } }),
    ).rejects.toThrow(/augment\.rotation/);
    await expect(
      trainModel(model, noiseData(8, 1), { epochs: 1, augment: { shift: Number.NaN } }),
    ).rejects.toThrow(/augment\.shift/);
    model.dispose();
  });
});

describe('imageLevels', () => {
  /** The definition: median and 1.4826 × MAD from full sorts (a typed array's: NaN last). */
  function bySort(px: Float32Array): { median: number; std: number } {
    const n = px.length;
    const mid = (a: Float32Array): number =>
      n % 2 === 1 ? a[(n - 1) / 2] : 0.5 * (a[n / 2 - 1] + a[n / 2]);
    const sorted = Float32Array.from(px).sort();
    const median = mid(sorted);
    for (let i = 0; i < n; i++) sorted[i] = Math.abs(sorted[i] - median);
    return { median, std: 1.4826 * mid(sorted.sort()) };
  }

  it('finds the values full sorts give, bit for bit, for odd and even sizes, ties, -0, NaN and infinities', () => {
    const rng = createRng(21);
    let checked = 0;
    for (let k = 0; k < 2000; k++) {
      const n = 1 + rng.int(0, 200);
      const kind = k % 4;
      const px = Float32Array.from({ length: n }, () => {
        const u = rng.next();
        if (kind === 1 && u < 0.4) return Math.round(rng.normal() * 2); // ties and -0
        if (kind === 2 && u < 0.02) return NaN;
        if (kind === 3 && u < 0.02) return u < 0.01 ? Infinity : -Infinity;
        return rng.normal() * 3 + 1;
      });
      const want = bySort(px);
      const got = imageLevels(px, 1, n);
      expect(Object.is(got.median[0], Math.fround(want.median))).toBe(true);
      expect(Object.is(got.std[0], Math.fround(want.std))).toBe(true);
      checked++;
    }
    // Several images at once, each measured on its own pixels.
    const many = Float32Array.from({ length: 5 * 49 }, () => rng.normal());
    const levels = imageLevels(many, 5, 49);
    for (let i = 0; i < 5; i++) {
      const want = bySort(many.subarray(i * 49, (i + 1) * 49));
      expect(levels.median[i]).toBe(Math.fround(want.median));
      expect(levels.std[i]).toBe(Math.fround(want.std));
    }
    expect(checked).toBe(2000);
  });
});
