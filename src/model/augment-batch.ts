/**
 * Random transforms of each training batch, drawn afresh every step and applied to every image
 * whatever its class: the model sees each source in many orientations and noise draws without
 * the dataset growing, and no transform can tell it the class. Browser-safe, no TensorFlow.js.
 */
import type { Rng } from '../core/random.js';
import { ModelError } from '../core/errors.js';
import { medianInPlace } from '../core/order-stats.js';

/**
 * Transforms `trainModel` applies to each training image at every step (both classes alike;
 * the draw never looks at the label). Defaults in {@link DEFAULT_TRAIN_AUGMENT_OPTIONS}.
 */
export interface TrainAugmentOptions {
  /**
   * One of the eight flips and 90° rotations (the dihedral group of the square), uniformly:
   * a sky image has no preferred orientation. Square inputs only. `'flips'`: only the four that
   * keep the axes (none, left-right, up-down, both), for inputs aligned to an axis (a profile's
   * `align: 'principal-axis'` puts each source's major axis along the columns, which a 90°
   * rotation would undo). Default true.
   */
  dihedral: boolean | 'flips';
  /**
   * Largest extra rotation in degrees (uniform in ±`rotation`, bilinear, the corners filled
   * with the image's median so no border marks the copy). 0 turns it off. Default 15.
   */
  rotation: number;
  /**
   * Gaussian noise added at a multiple of the image's own noise (its robust standard deviation,
   * measured once per image), the multiple uniform in [0, `noise`]; the noise is smoothed over
   * `noiseCorrelation` pixels like a beam's. 0 turns it off. Default 0.5.
   */
  noise: number;
  /** Gaussian smoothing (sigma, pixels) of the added noise; 0 for white noise. Default 1. */
  noiseCorrelation: number;
  /**
   * Largest shift in pixels along each axis (uniform in ±`shift`, bilinear, the uncovered edge
   * filled with the image's median), so the object need not sit exactly on the centre pixel.
   * 0 turns it off. Default 0.
   */
  shift?: number;
  /**
   * Largest zoom as a fraction: the image is magnified by a factor drawn log-uniformly in
   * [1 / (1 + `scale`), 1 + `scale`] about its centre (bilinear, edges filled with the median).
   * 0 turns it off. Default 0.
   */
  scale?: number;
}

/** Defaults of {@link TrainAugmentOptions}. */
export const DEFAULT_TRAIN_AUGMENT_OPTIONS: TrainAugmentOptions = {
  dihedral: true,
  rotation: 15,
  noise: 0.5,
  noiseCorrelation: 1,
  shift: 0,
  scale: 0,
};

/** No augmentation: what `augment: false` means. */
export const NO_TRAIN_AUGMENT: TrainAugmentOptions = {
  dihedral: false,
  rotation: 0,
  noise: 0,
  noiseCorrelation: 0,
  shift: 0,
  scale: 0,
};

/** Whether the options change any pixel. */
export function augmentsAnything(o: TrainAugmentOptions): boolean {
  return (
    o.dihedral !== false ||
    o.rotation > 0 ||
    o.noise > 0 ||
    (o.shift ?? 0) > 0 ||
    (o.scale ?? 0) > 0
  );
}

/**
 * Fills in and checks augmentation options (`true`: the defaults, `false`/`undefined`: none).
 *
 * @throws ModelError naming the bad field
 */
export function resolveTrainAugment(
  a: boolean | Partial<TrainAugmentOptions> | undefined,
): TrainAugmentOptions {
  // Off unless asked for, as TrainConfig documents (the original pipeline trained on fixed images).
  if (a === false || a === undefined) return { ...NO_TRAIN_AUGMENT };
  const o = { ...DEFAULT_TRAIN_AUGMENT_OPTIONS, ...(a === true ? {} : a) };
  if (typeof o.dihedral !== 'boolean' && o.dihedral !== 'flips') {
    throw new ModelError(
      `augment.dihedral must be true, false or 'flips', got ${String(o.dihedral)}`,
    );
  }
  for (const k of ['rotation', 'noise', 'noiseCorrelation', 'shift', 'scale'] as const) {
    if (typeof o[k] !== 'number' || !(o[k] >= 0) || !Number.isFinite(o[k])) {
      throw new ModelError(`augment.${k} must be a finite number >= 0, got ${String(o[k])}`);
    }
  }
  return o;
}

/**
 * Median and robust standard deviation (1.4826 × MAD) of one image's pixels: the values of a
 * full sort (a typed array's, NaN last), found by selection when every pixel is finite.
 */
function robustLevel(px: Float32Array): { median: number; std: number } {
  const n = px.length;
  const values = Float32Array.from(px);
  // NaN, infinities and -0 keep the sort, whose order (NaN last, -0 before 0) selection by
  // comparison does not reproduce.
  let plain = true;
  for (let i = 0; i < n && plain; i++) {
    const v = values[i];
    plain = Number.isFinite(v) && !(v === 0 && 1 / v < 0);
  }
  const middle = (a: Float32Array): number => {
    if (plain) return medianInPlace(a);
    a.sort();
    return n % 2 === 1 ? a[(n - 1) / 2] : 0.5 * (a[n / 2 - 1] + a[n / 2]);
  };
  const median = middle(values);
  for (let i = 0; i < n; i++) values[i] = Math.abs(values[i] - median);
  return { median, std: 1.4826 * middle(values) };
}

/**
 * Per-image background level and noise of a set of images (`[n, h, w, 1]` row-major), measured
 * once before training so a step only draws.
 */
export function imageLevels(
  pixels: Float32Array,
  n: number,
  per: number,
): {
  /** Median of each image. */
  median: Float32Array;
  /** Robust standard deviation (1.4826 × MAD) of each image. */
  std: Float32Array;
} {
  const median = new Float32Array(n);
  const std = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const l = robustLevel(pixels.subarray(i * per, (i + 1) * per));
    median[i] = l.median;
    std[i] = l.std;
  }
  return { median, std };
}

/** Separable Gaussian smoothing in place (reflecting edges), `sigma` in pixels. */
function smooth(a: Float32Array, h: number, w: number, sigma: number, tmp: Float32Array): void {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += k[i + r] = Math.exp((-0.5 * i * i) / (sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  const reflect = (i: number, n: number): number =>
    i < 0 ? Math.min(-i - 1, n - 1) : i >= n ? Math.max(2 * n - i - 1, 0) : i;
  // Each output sums its taps in the same order (j from -r to r, from 0) at the edges, where the
  // index reflects, and inside, where it does not: the interior loops only skip the reflection.
  const taps = 2 * r + 1;
  // Seven taps (sigma 1, the default) unrolled, the same sums in the same order: about 40 % less
  // time than the loop.
  const seven = taps === 7;
  const [k0, k1, k2, k3, k4, k5, k6] = seven ? k : [0, 0, 0, 0, 0, 0, 0];
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      let s = 0;
      if (x >= r && x < w - r) {
        const at = row + x - r;
        if (seven) {
          s += k0 * a[at];
          s += k1 * a[at + 1];
          s += k2 * a[at + 2];
          s += k3 * a[at + 3];
          s += k4 * a[at + 4];
          s += k5 * a[at + 5];
          s += k6 * a[at + 6];
        } else for (let t = 0; t < taps; t++) s += k[t] * a[at + t];
      } else {
        for (let j = -r; j <= r; j++) s += k[j + r] * a[row + reflect(x + j, w)];
      }
      tmp[row + x] = s;
    }
  }
  const acc = new Float64Array(w);
  for (let y = 0; y < h; y++) {
    if (seven && y >= r && y < h - r) {
      const s0 = (y - 3) * w;
      for (let x = 0; x < w; x++) {
        let v = 0;
        v += k0 * tmp[s0 + x];
        v += k1 * tmp[s0 + w + x];
        v += k2 * tmp[s0 + 2 * w + x];
        v += k3 * tmp[s0 + 3 * w + x];
        v += k4 * tmp[s0 + 4 * w + x];
        v += k5 * tmp[s0 + 5 * w + x];
        v += k6 * tmp[s0 + 6 * w + x];
        a[y * w + x] = v;
      }
    } else if (y >= r && y < h - r) {
      acc.fill(0);
      for (let t = 0; t < taps; t++) {
        const kt = k[t];
        const src = (y - r + t) * w;
        for (let x = 0; x < w; x++) acc[x] += kt * tmp[src + x];
      }
      for (let x = 0; x < w; x++) a[y * w + x] = acc[x];
    } else {
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let j = -r; j <= r; j++) s += k[j + r] * tmp[reflect(y + j, h) * w + x];
        a[y * w + x] = s;
      }
    }
  }
}

/**
 * Standard deviation of unit white noise after {@link smooth} with `sigma`: the 2-D kernel is
 * the outer product of the 1-D one, so its squared L2 norm is the square of the 1-D one's and
 * the standard deviation is the 1-D kernel's squared norm.
 */
function smoothedNoiseStd(sigma: number): number {
  if (sigma <= 0) return 1;
  const r = Math.max(1, Math.ceil(3 * sigma));
  let sum = 0;
  let sq = 0;
  for (let i = -r; i <= r; i++) {
    const v = Math.exp((-0.5 * i * i) / (sigma * sigma));
    sum += v;
    sq += v * v;
  }
  return sq / (sum * sum);
}

/**
 * A field of beam-smoothed unit Gaussian noise, drawn once, from which {@link augmentBatch} cuts
 * each image's added noise at a random offset: a window of a stationary smoothed field is
 * distributed as a freshly smoothed draw (without the reflected edges a per-image draw has),
 * and cutting it costs two draws instead of one normal deviate and fourteen multiplications per
 * pixel (the fresh draws were three quarters of a training step's augmentation time).
 */
export interface NoiseField {
  /** Side of the square field, pixels. */
  readonly size: number;
  /** Smoothing sigma (pixels) the field was drawn with; 0 for white noise. */
  readonly correlation: number;
  /** `size * size` values, row-major, each of unit standard deviation. */
  readonly values: Float32Array;
}

/** Largest side of a {@link NoiseField} (4M float32 values, 16 MB); larger images draw fresh noise. */
export const MAX_NOISE_FIELD_SIDE = 2048;

/**
 * Draws a {@link NoiseField} for images of `h x w` pixels: a square of side 16 times the larger
 * of the two (at least 256, at most 2,048 pixels), so windows rarely repeat: a 48x48 image has
 * about 520,000 offsets to fall on. The field is drawn on a margin of three sigmas more on
 * every side and smoothed there, then cut to its interior, so no window sees a reflected edge.
 *
 * @param correlation - Gaussian smoothing sigma in pixels (`noiseCorrelation`); 0 for white
 * @throws ModelError when an image is larger than the field can hold
 */
export function createNoiseField(h: number, w: number, correlation: number, rng: Rng): NoiseField {
  const size = Math.min(MAX_NOISE_FIELD_SIDE, Math.max(256, 16 * Math.max(h, w)));
  if (h > size || w > size) {
    throw new ModelError(`augment: images of ${h}x${w} are too large for a noise field`);
  }
  const r = correlation > 0 ? Math.max(1, Math.ceil(3 * correlation)) : 0;
  const side = size + 2 * r;
  const raw = new Float32Array(side * side);
  for (let k = 0; k < raw.length; k++) raw[k] = rng.normal();
  if (r > 0) smooth(raw, side, side, correlation, new Float32Array(raw.length));
  const norm = r > 0 ? 1 / smoothedNoiseStd(correlation) : 1;
  const values = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    const from = (y + r) * side + r;
    for (let x = 0; x < size; x++) values[y * size + x] = norm * raw[from + x];
  }
  return { size, correlation, values };
}

/**
 * Draws one augmentation per image of a batch and writes the transformed images into `out`
 * (`m` images of `h x w`, single channel). The draws come from `rng` alone: the same rng state
 * and images give the same output, and labels never enter, so both classes get the same
 * distribution of transforms.
 *
 * @param x - the batch's images, `m * h * w` values
 * @param out - where the augmented images go (may not alias `x`)
 * @param levels - background median and noise of each batch image (from {@link imageLevels})
 * @param field - where the added noise comes from: windows of this field (from
 *   {@link createNoiseField} with `o.noiseCorrelation`; what `trainModel` passes), or, when
 *   absent, a fresh draw smoothed per image (a batch takes about four times as long)
 * @throws ModelError for non-square images with `dihedral: true`, or a field drawn with
 *   another correlation or smaller than the images
 */
export function augmentBatch(
  x: Float32Array,
  out: Float32Array,
  m: number,
  h: number,
  w: number,
  levels: { median: ArrayLike<number>; std: ArrayLike<number> },
  o: TrainAugmentOptions,
  rng: Rng,
  field?: NoiseField,
): void {
  const per = h * w;
  if (o.dihedral === true && h !== w) {
    throw new ModelError(`augment.dihedral needs square images, got ${h}x${w}`);
  }
  if (field !== undefined && o.noise > 0) {
    if (field.correlation !== o.noiseCorrelation || field.size < h || field.size < w) {
      throw new ModelError(
        `augment: the noise field (${field.size} px, correlation ${field.correlation}) does not ` +
          `fit ${h}x${w} images with noiseCorrelation ${o.noiseCorrelation}`,
      );
    }
  }
  const fresh = field === undefined;
  const noise = o.noise > 0 && fresh ? new Float32Array(per) : undefined;
  const tmp = noise !== undefined && o.noiseCorrelation > 0 ? new Float32Array(per) : undefined;
  const noiseNorm = 1 / smoothedNoiseStd(o.noiseCorrelation);
  const cy = (h - 1) / 2;
  const cx = (w - 1) / 2;
  for (let i = 0; i < m; i++) {
    const src = x.subarray(i * per, (i + 1) * per);
    const dst = out.subarray(i * per, (i + 1) * per);
    // Every draw is made for every image, so one option's setting never shifts another's draws.
    const d4 = rng.int(0, 7);
    const theta = ((rng.uniform(-1, 1) * o.rotation) / 180) * Math.PI;
    const amp = rng.next() * o.noise * levels.std[i];
    // Drawn only when asked for, so recipes without them draw exactly as before.
    const shift = o.shift ?? 0;
    const zoomRange = o.scale ?? 0;
    const ty = shift > 0 ? rng.uniform(-1, 1) * shift : 0;
    const tx = shift > 0 ? rng.uniform(-1, 1) * shift : 0;
    const zoom = zoomRange > 0 ? Math.exp(rng.uniform(-1, 1) * Math.log1p(zoomRange)) : 1;
    // Output pixel (y, x) samples the input at the inverse map: the dihedral element (a
    // transpose when d4 & 4, then flips) composed with a rotation by theta about the centre.
    const cos = Math.cos(theta);
    const sin = Math.sin(theta);
    const fill = levels.median[i];
    const rotating = (o.rotation > 0 && theta !== 0) || ty !== 0 || tx !== 0 || zoom !== 1;
    const dihedral = o.dihedral === 'flips' ? d4 & 3 : o.dihedral ? d4 : 0;
    for (let yy = 0; yy < h; yy++) {
      for (let xx = 0; xx < w; xx++) {
        let sy = yy;
        let sx = xx;
        if (rotating) {
          const dy = yy - cy;
          const dx = xx - cx;
          if (zoom === 1 && ty === 0 && tx === 0) {
            // Summed in this order since before shift and zoom existed: the same rounding, so
            // a recipe without them trains to the same weights.
            sy = cy + cos * dy - sin * dx;
            sx = cx + sin * dy + cos * dx;
          } else {
            sy = cy + (cos * dy - sin * dx) / zoom + ty;
            sx = cx + (sin * dy + cos * dx) / zoom + tx;
          }
        }
        if (dihedral & 1) sx = w - 1 - sx;
        if (dihedral & 2) sy = h - 1 - sy;
        if (dihedral & 4) {
          const t = sx;
          sx = sy;
          sy = t;
        }
        let v: number;
        if (!rotating) v = src[sy * w + sx];
        else {
          const y0 = Math.floor(sy);
          const x0 = Math.floor(sx);
          if (y0 < 0 || x0 < 0 || y0 >= h - 1 || x0 >= w - 1) {
            v =
              y0 >= 0 && x0 >= 0 && y0 <= h - 1 && x0 <= w - 1 && sy === y0 && sx === x0
                ? src[y0 * w + x0]
                : fill;
          } else {
            const fy = sy - y0;
            const fx = sx - x0;
            const k = y0 * w + x0;
            v =
              (1 - fy) * ((1 - fx) * src[k] + fx * src[k + 1]) +
              fy * ((1 - fx) * src[k + w] + fx * src[k + w + 1]);
          }
        }
        dst[yy * w + xx] = v;
      }
    }
    if (field !== undefined && o.noise > 0) {
      // The window's offset is drawn whatever the amplitude, as the fresh draws are.
      const fs = field.size;
      const oy = rng.int(0, fs - h);
      const ox = rng.int(0, fs - w);
      if (amp > 0) {
        const f = field.values;
        for (let y = 0; y < h; y++) {
          const from = (oy + y) * fs + ox;
          const row = y * w;
          for (let x = 0; x < w; x++) dst[row + x] += amp * f[from + x];
        }
      }
    } else if (noise !== undefined) {
      for (let k = 0; k < per; k++) noise[k] = rng.normal();
      if (amp > 0) {
        if (tmp !== undefined) smooth(noise, h, w, o.noiseCorrelation, tmp);
        const s = amp * (tmp !== undefined ? noiseNorm : 1);
        for (let k = 0; k < per; k++) dst[k] += s * noise[k];
      }
    }
  }
}
