import { createRng } from '../core/random.js';
import { addNoise, normalize, randomLinearTransform } from '../image/index.js';
import type { Dataset, SampleInfo } from './dataset.js';
import { DatasetBuilder, sampleImage } from './dataset.js';
import type { NoiseAugmentConfig } from './profile.js';

/** Options of {@link augment}; defaults in {@link DEFAULT_AUGMENT_OPTIONS}. */
export interface AugmentOptions {
  /** Transformed copies per sample. Default 1. */
  factor?: number;
  /** Seed of the transforms. Default 0. */
  seed?: number;
  /** Labels whose samples are copied; empty: every class. Default empty. */
  labels?: number[];
  /**
   * Range of the side, as a multiple of the image side, the image is resized to before the
   * central window of the original size is cut: below 1 zooms out (zero border), above 1 zooms
   * in. Default `[1, 1.25]`.
   */
  sizeFraction?: [number, number];
  /** Rotation range in degrees. Default `[0, 360]`. */
  angleRange?: [number, number];
  /** Flip at random. Default true. */
  flip?: boolean;
  /** Largest random shift of the cut's centre, in pixels. Default 2. */
  jitter?: number;
  /** Noise to add to each copy. Default none. */
  noise?: NoiseAugmentConfig;
  /** Re-normalise each copy to [0, 1] (match min-max-normalised datasets). Default true. */
  normalize?: boolean;
}

/** Defaults of {@link AugmentOptions}. */
export const DEFAULT_AUGMENT_OPTIONS: Required<AugmentOptions> = {
  factor: 1,
  seed: 0,
  labels: [],
  sizeFraction: [1, 1.25],
  angleRange: [0, 360],
  flip: true,
  jitter: 2,
  noise: { kind: 'none' },
  normalize: true,
};

/**
 * The dataset followed by `factor` random linear transforms (zoom, rotation, flip, shift) of
 * each selected sample, made from the stored model inputs with `randomLinearTransform`. Copies
 * keep their parent's sources, so {@link splitDataset} keeps them on the parent's side; their
 * ids are `<parent id>:aug-<k>`. Builders make richer transforms from the larger crop (see
 * `TargetProfile.linear`); this works on a dataset alone, e.g. one loaded from disk.
 * Seeded: the same seed gives the same copies. The input is not mutated.
 *
 * @param ds - the dataset
 * @param opts - see {@link AugmentOptions}
 * @throws RangeError when `factor` is not a non-negative integer or `sizeFraction` is not `0 < min <= max`
 */
export function augment(ds: Dataset, opts: AugmentOptions = {}): Dataset {
  const o = { ...DEFAULT_AUGMENT_OPTIONS, ...opts };
  if (!Number.isInteger(o.factor) || o.factor < 0) {
    throw new RangeError(
      `augment: option 'factor' must be a non-negative integer, got ${o.factor}`,
    );
  }
  const [lo, hi] = o.sizeFraction;
  if (!(lo > 0 && lo <= hi && Number.isFinite(hi))) {
    throw new RangeError(
      `augment: option 'sizeFraction' must satisfy 0 < min <= max, got [${lo}, ${hi}]`,
    );
  }
  const [n, h, w] = ds.shape;
  if (h !== w) throw new RangeError(`augment: images must be square, got ${h}x${w}`);
  const builder = new DatasetBuilder(h, ds.classNames);
  builder.skipped.push(...ds.skipped);
  for (let i = 0; i < n; i++) builder.add(sampleImage(ds, i), { ...ds.samples[i] });
  const rng = createRng(o.seed);
  for (let i = 0; i < n; i++) {
    const parent: SampleInfo = ds.samples[i];
    if (o.labels.length > 0 && !o.labels.includes(ds.labels[i])) continue;
    const img = sampleImage(ds, i);
    for (let k = 0; k < o.factor; k++) {
      let out = randomLinearTransform(img, rng, {
        sizeRange: [Math.max(1, Math.round(lo * h)), Math.round(hi * h)],
        angleRange: o.angleRange,
        flip: o.flip,
        output: h,
        jitter: o.jitter,
      });
      if (o.normalize) out = normalize(out, { method: 'minmax', nan: 0 });
      if (o.noise.kind !== 'none') out = addNoise(out, rng, o.noise);
      builder.add(out, {
        ...parent,
        id: `${parent.id}:aug-${k}`,
        transforms: [...parent.transforms, 'linear'],
        parents: [parent.id],
      });
    }
  }
  return builder.build(ds.profile);
}
