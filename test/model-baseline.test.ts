/**
 * The model-free wind baseline (src/model/baseline.ts): it separates the library's synthetic
 * winds from disks with no training, is blind to intensity scaling and 90° rotations, and
 * scores images without a source near 0 without throwing.
 */
import { describe, expect, it } from 'vitest';
import { createImage2D, type Image2D } from '../src/core/image2d.js';
import { ModelError } from '../src/core/errors.js';
import { createRng } from '../src/core/random.js';
import { synthesize } from '../src/dataset/synthesize.js';
import { renderGaussian2D, type Gaussian2D } from '../src/image/fit-gaussian.js';
import { gaussianBlur } from '../src/image/gaussian-blur.js';
import { normalize } from '../src/image/normalize.js';
import { resize } from '../src/image/resize.js';
import {
  baselineScores,
  baselineWindScore,
  DEFAULT_BASELINE_OPTIONS,
} from '../src/model/baseline.js';
import { computeMetrics } from '../src/model/metrics.js';

/** `synthesize` images, alternating disk (label 0) and wind (label 1), `n` of each. */
function synthetic(seed: number, n: number, size: number): { images: Image2D[]; labels: number[] } {
  const rng = createRng(seed);
  const images: Image2D[] = [];
  const labels: number[] = [];
  for (let i = 0; i < 2 * n; i++) {
    const wind = i % 2 === 1;
    images.push(synthesize(rng, { kind: wind ? 'wind' : 'disk', size }));
    labels.push(wind ? 1 : 0);
  }
  return { images, labels };
}

/** What the model sees: resized to 100x100, min-max scaled, NaN as 0. */
function modelInput(img: Image2D): Image2D {
  return normalize(resize(img, [100, 100], { order: 1, antiAlias: true }), {
    method: 'minmax',
    nan: 0,
  });
}

/** A beam-blurred noise field (sigma 2 px) of unit robust std, plus `sky`. */
function observe(sky: Image2D, seed: number, rms: number): Image2D {
  const [R, C] = sky.shape as [number, number];
  const rng = createRng(seed);
  const white = createImage2D(R, C);
  for (let i = 0; i < white.data.length; i++) white.data[i] = rng.normal();
  const noise = gaussianBlur(white, 2);
  let ss = 0;
  for (let i = 0; i < noise.data.length; i++) ss += noise.data[i] ** 2;
  const scale = rms / Math.sqrt(ss / noise.data.length);
  const out = createImage2D(R, C);
  for (let i = 0; i < out.data.length; i++) out.data[i] = sky.data[i] + noise.data[i] * scale;
  return out;
}

const rot90 = (img: Image2D): Image2D => img.transpose(1, 0).step(-1, 1);

describe('baselineWindScore', () => {
  // Seed 12 was not among those (1001-1003) the defaults were chosen on. Since `synthesize` draws
  // domain-randomised scenes (faint winds down to a few sigma, narrow cones, edge-on disks), the
  // baseline's AUC over seeds 12-16 of this set is 0.79-0.88; the bound sits below that spread.
  const data = synthetic(12, 40, 128);
  const results = data.images.map((img) => baselineWindScore(img));

  it('separates synthesize winds from disks: ROC AUC >= 0.75 on 40 + 40 images of 128 px', () => {
    const auc = computeMetrics(
      results.map((r) => r.score),
      data.labels,
    ).rocAuc;
    expect(auc).toBeGreaterThanOrEqual(0.75);
  });

  it('keeps every score in [0, 1] and finite, with a fit for every image', () => {
    for (const r of results) {
      expect(r.score).toBeGreaterThanOrEqual(0);
      expect(r.score).toBeLessThanOrEqual(1);
      expect(r.fit).not.toBeNull();
      expect(r.parts.source).toBe(true);
    }
  });

  it('scores min-max-normalised 100x100 model inputs about as well (AUC >= 0.75)', () => {
    const scores = data.images.map((img) => baselineWindScore(modelInput(img)).score);
    expect(computeMetrics(scores, data.labels).rocAuc).toBeGreaterThanOrEqual(0.75);
  });

  it('is blind to intensity scaling: a·image + b scores the same', () => {
    for (const img of data.images.slice(0, 6)) {
      const scaled = createImage2D(128, 128);
      for (let i = 0; i < scaled.data.length; i++) scaled.data[i] = 3e4 * img.data[i] + 0.7;
      expect(baselineWindScore(scaled).parts.statistic).toBeCloseTo(
        baselineWindScore(img).parts.statistic,
        3,
      );
    }
  });

  it('is rotation invariant: rot90 of the input gives nearly the same score', () => {
    for (let i = 0; i < 10; i++) {
      const a = results[i];
      const b = baselineWindScore(rot90(data.images[i]));
      expect(Math.abs(a.score - b.score)).toBeLessThan(0.02);
      expect(Math.abs(a.parts.statistic - b.parts.statistic)).toBeLessThan(0.1);
    }
  });

  const disk: Gaussian2D = {
    amplitude: 1,
    row: 50,
    col: 50,
    sigmaMajor: 6,
    sigmaMinor: 3,
    angleDeg: 30,
    offset: 0,
  };

  /** The disk plus two round lobes 14 px out along `along` (its minor axis, 120°), `lobe` of its peak. */
  function withLobes(lobe: number, along = disk.angleDeg + 90): Image2D {
    const sky = renderGaussian2D(disk, 100, 100);
    const t = (along * Math.PI) / 180;
    for (const side of [1, -1]) {
      const blob = renderGaussian2D(
        {
          ...disk,
          amplitude: lobe,
          // Display "up" is -row.
          row: disk.row - side * 14 * Math.sin(t),
          col: disk.col + side * 14 * Math.cos(t),
          sigmaMajor: 4,
          sigmaMinor: 4,
        },
        100,
        100,
      );
      for (let i = 0; i < sky.data.length; i++) sky.data[i] += blob.data[i];
    }
    return sky;
  }

  it('scores an elliptical Gaussian below the same Gaussian with minor-axis lobes added by hand', () => {
    const plain = baselineWindScore(observe(renderGaussian2D(disk, 100, 100), 3, 0.01));
    const lobes = baselineWindScore(observe(withLobes(0.15), 3, 0.01));
    expect(plain.score).toBeLessThan(0.3);
    expect(lobes.score).toBeGreaterThan(0.9);
    expect(lobes.parts.minorAxisExcess).toBeGreaterThan(plain.parts.minorAxisExcess + 5);
    // The fitted disk is the disk, not disk plus lobes: the core fit keeps the lobes out.
    expect(lobes.fit!.angleDeg).toBeCloseTo(30, 0);
    expect(lobes.fit!.sigmaMinor).toBeCloseTo(3, 0);
    // The cones' axis is the minor axis, 120° (= -60°).
    expect(lobes.parts.axisDeg).toBeCloseTo(-60, 0);
  });

  it('does not mistake the same lobes along the major axis for a wind', () => {
    const major = baselineWindScore(observe(withLobes(0.15, disk.angleDeg), 3, 0.01));
    expect(major.score).toBeLessThan(0.05);
    expect(major.parts.majorAxisSnr).toBeGreaterThan(5);
  });

  it('sees a one-sided lobe through oneSidedExcess and asymmetry', () => {
    const sky = renderGaussian2D(disk, 100, 100);
    const t = ((disk.angleDeg + 90) * Math.PI) / 180;
    const blob = renderGaussian2D(
      {
        ...disk,
        amplitude: 0.15,
        row: 50 - 14 * Math.sin(t),
        col: 50 + 14 * Math.cos(t),
        sigmaMajor: 4,
        sigmaMinor: 4,
      },
      100,
      100,
    );
    for (let i = 0; i < sky.data.length; i++) sky.data[i] += blob.data[i];
    const r = baselineWindScore(observe(sky, 3, 0.01));
    expect(r.parts.asymmetry).toBeGreaterThan(0.5);
    expect(r.parts.oneSidedExcess).toBeGreaterThan(r.parts.minorAxisExcess);
    expect(r.score).toBeGreaterThan(0.9);
  });

  it('scores pure noise (no source) 0, finite, without throwing', () => {
    for (let seed = 1; seed <= 3; seed++) {
      const r = baselineWindScore(observe(createImage2D(100, 100), seed, 1e-4));
      expect(Number.isFinite(r.score)).toBe(true);
      expect(r.score).toBeLessThan(0.05);
    }
  });

  it('scores an all-zero image (all NaN set to 0) and an all-NaN image 0 without throwing', () => {
    const zero = baselineWindScore(createImage2D(100, 100));
    expect(zero.score).toBe(0);
    expect(zero.parts.source).toBe(false);
    const nan = baselineWindScore(createImage2D(100, 100, new Float32Array(1e4).fill(NaN)));
    expect(nan.score).toBe(0);
    expect(nan.fit).toBeNull();
    const blank = baselineWindScore(createImage2D(100, 100), { blank: 0 });
    expect(blank.score).toBe(0);
  });

  it('leaves NaN out: a NaN-cornered (pbcor-like) image still scores finite', () => {
    const rng = createRng(9);
    const img = synthesize(rng, { kind: 'wind', size: 128, primaryBeam: 0.9 });
    const r = baselineWindScore(img);
    expect(Number.isFinite(r.score)).toBe(true);
    expect(r.parts.source).toBe(true);
  });

  it('rejects invalid options with RangeError', () => {
    const img = createImage2D(20, 20);
    expect(() => baselineWindScore(img, { openingDeg: 120 })).toThrow(RangeError);
    expect(() => baselineWindScore(img, { outerSigma: 1 })).toThrow(/outerSigma/);
    expect(() => baselineWindScore(img, { width: 0 })).toThrow(RangeError);
    expect(DEFAULT_BASELINE_OPTIONS.center).toBe(3);
  });
});

describe('baselineScores', () => {
  it('scores a [n, h, w, 1] batch as baselineWindScore scores each image', () => {
    const { images } = synthetic(5, 3, 64);
    const batch = new Float32Array(6 * 64 * 64);
    images.forEach((img, i) => batch.set(img.data as Float32Array, i * 64 * 64));
    const scores = baselineScores(batch, [6, 64, 64, 1]);
    expect(scores).toHaveLength(6);
    images.forEach((img, i) => expect(scores[i]).toBeCloseTo(baselineWindScore(img).score, 6));
  });

  it('throws ModelError for a shape that is not [n, h, w, 1] or does not match the pixels', () => {
    expect(() => baselineScores(new Float32Array(8), [2, 2, 2, 1])).not.toThrow();
    expect(() => baselineScores(new Float32Array(16), [2, 2, 2, 2])).toThrow(ModelError);
    expect(() => baselineScores(new Float32Array(7), [2, 2, 2, 1])).toThrow(/needs 8/);
  });
});
