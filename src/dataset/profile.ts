import type { AddNoiseOptions, NormalizeMethod } from '../image/index.js';
import type { EarlyStoppingConfig, ModelConfig, TrainConfig } from '../model/config.js';
import type { TestTimeAugmentation } from '../model/tta.js';
import type { ProfileRef } from './dataset.js';

/**
 * How a source image becomes the model's input. Sizes are in pixels of the source image (after
 * the optional alignment rotation).
 */
export interface PreprocessConfig {
  /**
   * Fraction of each axis, centred, in which the brightest pixel is looked for (the original
   * searched the middle 50 %: `0.5`). `1` searches the whole image.
   */
  searchFraction: number;
  /** Side of the square crop cut around the brightest pixel (the original: 400). */
  cropSize: number;
  /** Side of the square model input made from the crop (the original: 100). */
  inputSize: number;
  /**
   * How the input is made from the crop: `'center-crop'` keeps the central `inputSize` pixels at
   * full resolution (the original); `'resize'` shrinks the whole crop to `inputSize` (more
   * context, less detail).
   */
  inputMode: 'center-crop' | 'resize';
  /**
   * What to do when the crop reaches past the image edge (small images, peaks near an edge):
   * `'constant'` pads with `padValue` (ours; the original dropped every image under 500 px),
   * `'edge'` / `'reflect'` extend the image as numpy's `pad` modes do, `'skip'` drops the image
   * with a warning.
   */
  pad: 'constant' | 'edge' | 'reflect' | 'skip';
  /** Value used for padding (before normalisation). */
  padValue: number;
  /**
   * Scaling of the input by `normalize`: `'minmax'` maps the finite pixels to [0, 1],
   * `'zscore'` / `'percentile'` as `normalize` defines them, `'none'` keeps Jy/beam. NaN becomes
   * 0 in every case, so no NaN reaches the model.
   */
  normalize: NormalizeMethod;
  /**
   * The crop defined on the sky rather than in pixels: `inputSize` input pixels span `width`
   * arcsec, or `width` beams (FWHM, geometric mean of `BMAJ` and `BMIN`), and each image is
   * resampled to that (pixel scale from `CDELT`/`CD`), so images at 0.01″/px and 0.1″/px reach
   * the network at comparable scales. `cropSize` is then measured in input pixels too. `null`:
   * sizes in the image's own pixels (the original). Images without the header cards the unit
   * needs are refused with a `DatasetError`.
   */
  sky: SkyCropConfig | null;
}

/** A crop width on the sky (see {@link PreprocessConfig.sky}). */
export interface SkyCropConfig {
  /** `'arcsec'` or `'beam'` (beam FWHMs). */
  unit: 'arcsec' | 'beam';
  /** What the model input spans, in `unit`. */
  width: number;
}

/**
 * Orientation applied before cropping: `'principal-axis'` rotates each image so its brightest
 * source's major axis lies along the columns (found automatically), `{ angles }` rotates by
 * hand-typed degrees keyed by file name (the original's way), `'none'` leaves images as they are.
 */
export type AlignConfig = 'principal-axis' | HandAngles | 'none';

/** Hand-typed alignment angles, the original pipeline's way. */
export interface HandAngles {
  /** Degrees (`rotate` sense) by file name or path. */
  angles: Record<string, number>;
}

/** How the positives are multiplied (the original: align, 4 flips, all pairwise geometric means). */
export interface PositiveAugmentConfig {
  /**
   * Alignment of every image preprocessed with the profile. It is applied to negatives and to
   * images being classified as well, so orientation never becomes a cue the model can learn.
   */
  align: AlignConfig;
  /** Interpolation order of the alignment rotation (1 bilinear, 3 cubic as the original). */
  rotationOrder: 1 | 3;
  /** Add the left-right, up-down and both-ways flips of each positive (4 images from 1). */
  flips: boolean;
  /** Add the geometric mean `sqrt|A·B|` of every pair of (flipped) positives. */
  geometricMeanPairs: boolean;
  /**
   * Most geometric-mean pairs to keep; when all pairs exceed it, a seeded random subset is kept.
   * `Infinity` keeps all (8 positives → 4·8 + C(32, 2) = 528 samples); the count grows as the
   * square of the positives, so cap it beyond a few dozen.
   */
  maxPairs: number;
}

/**
 * Random linear transforms (zoom, rotation, flip, jitter) of the crop, made by the builders
 * with `randomLinearTransform`; each yields one more model input from the same source.
 */
export interface LinearAugmentConfig {
  /** Extra transformed samples per source crop; 0 turns this off. */
  factor: number;
  /** Class names whose samples get the extra transforms (empty: all classes). */
  classes: string[];
  /**
   * Range of the side, in pixels, the crop is resized to before the central `inputSize` window
   * is cut (as `randomLinearTransform` does): with a 400 px crop and a 100 px input, the
   * original's 150–350 shows 1.1 to 2.7 times the field of the plain input.
   */
  sizeRange: [number, number];
  /** Rotation range in degrees. */
  angleRange: [number, number];
  /** Flip at random as well. */
  flip: boolean;
  /** Largest random shift of the cut's centre, in crop pixels. */
  jitter: number;
}

/**
 * Noise added to augmented samples (never to the base sample of a source): `{ kind: 'none' }`
 * or the options of `addNoise` (Gaussian, jitter or neighbour noise), applied after
 * normalisation.
 */
export type NoiseAugmentConfig = NoNoise | AddNoiseOptions;

/** No noise added. */
export interface NoNoise {
  /** `'none'`. */
  kind: 'none';
}

/**
 * What is looked for and how images are prepared for it: one plain, JSON-serialisable object,
 * so a profile can live in a `.json` file (`prepare --profile FILE.json`). A new target
 * phenomenon is a new profile, not an edit to the library. Fill a partial profile with
 * {@link resolveProfile}.
 */
export interface TargetProfile {
  /** Short name, recorded in saved datasets and models. */
  name: string;
  /** Class names by label index, e.g. `['negative', 'positive']`; the last is the target. */
  classes: string[];
  /** Preprocessing of every image. */
  preprocess: PreprocessConfig;
  /** Positive-set multiplication. */
  positive: PositiveAugmentConfig;
  /** Random linear transforms made by the builders. */
  linear: LinearAugmentConfig;
  /** Noise added to augmented samples. */
  noise: NoiseAugmentConfig;
  /** Model settings to use (the rest from the model defaults; `inputShape` follows `inputSize`). */
  model: Partial<ModelConfig>;
  /** Training settings to use (the rest from the training defaults). */
  train: Partial<TrainConfig>;
  /** Score at or above which an image counts as the target. */
  threshold: number;
  /**
   * Test-time augmentation: the symmetries every score of a model trained with this profile
   * averages over (`'flips'`: the four axis flips; `'dihedral'`: all eight flips and 90°
   * rotations; absent or `'none'`: one pass). Training fits the threshold and the calibration
   * on scores made this way, records the choice in the model (`ModelMeta.tta`), and every
   * command that scores with the model follows it. It does not change how datasets are
   * prepared.
   */
  tta?: TestTimeAugmentation;
}

/**
 * A profile with any part left out, e.g. a parsed profile `.json` file; {@link resolveProfile}
 * fills it from {@link dustInWind}, one level deep.
 */
export interface TargetProfileInput {
  /** See {@link TargetProfile.name}. */
  name?: string;
  /** See {@link TargetProfile.classes}. */
  classes?: string[];
  /** Fields of {@link TargetProfile.preprocess} to change. */
  preprocess?: Partial<PreprocessConfig>;
  /** Fields of {@link TargetProfile.positive} to change (`maxPairs: null` means no cap). */
  positive?: Partial<PositiveAugmentConfig>;
  /** Fields of {@link TargetProfile.linear} to change. */
  linear?: Partial<LinearAugmentConfig>;
  /** Replaces {@link TargetProfile.noise} whole. */
  noise?: NoiseAugmentConfig;
  /** See {@link TargetProfile.model}. */
  model?: Partial<ModelConfig>;
  /** Fields of {@link TargetProfile.train} to change. */
  train?: Partial<TrainConfig>;
  /** See {@link TargetProfile.threshold}. */
  threshold?: number;
  /** See {@link TargetProfile.tta}. */
  tta?: TestTimeAugmentation;
}

/**
 * The original pipeline's recipe for dust lifted from protoplanetary disks by winds: middle 50 %
 * search, 400 px crop around the maximum, 100x100 input, 4 flips and all pairwise geometric
 * means of the positives, batch 2, 30 epochs, Adam 1e-3. Improvements over the original: small
 * images are padded rather than dropped, inputs are min-max normalised (no NaN), and alignment
 * is automatic (principal axis) instead of hand-typed angles, and applied to every image.
 *
 * Kept to reproduce the original, not to train with: it multiplies the positives alone, so the
 * flips and geometric means mark the positive class (`transformShortcuts` reports them) and a
 * network can learn those marks instead of the target. {@link dustInWind} is the default.
 */
export const originalDustInWind: TargetProfile = {
  name: 'dust-in-wind-original',
  classes: ['negative', 'positive'],
  preprocess: {
    searchFraction: 0.5,
    cropSize: 400,
    inputSize: 100,
    inputMode: 'center-crop',
    pad: 'constant',
    padValue: 0,
    normalize: 'minmax',
    sky: null,
  },
  positive: {
    align: 'principal-axis',
    rotationOrder: 1,
    flips: true,
    geometricMeanPairs: true,
    maxPairs: Infinity,
  },
  linear: {
    factor: 0,
    classes: [],
    sizeRange: [150, 350],
    angleRange: [0, 360],
    flip: true,
    jitter: 5,
  },
  noise: { kind: 'none' },
  model: { inputShape: [100, 100, 1], classes: 2 },
  train: { optimizer: 'adam', learningRate: 1e-3, batchSize: 2, epochs: 30 },
  threshold: 0.5,
};

/**
 * The default target, dust lifted from protoplanetary disks by winds, with a recipe chosen by
 * measurement on sources the model never saw (`docs/model.md` has the figures and the runs):
 *
 * - **Crops on the sky**: the 48x48 input spans 24 beams (geometric-mean FWHM), 2 pixels per
 *   beam, so images at 0.01″/px and 0.1″/px reach the network at the same resolution in beams;
 *   24 beams frames disks up to ~10 beams across with room for their winds (crops of 12 and 48
 *   beams scored as well on held-out scenes but transferred worse to an independent
 *   generator). 48x48 scored as 64x64 did on the same scenes in a third less training time, which
 *   buys more scenes. Needs `CDELT`/`CD` and `BMAJ`/`BMIN` in the header.
 * - **Signal-to-noise scaling** (`normalize: 'snr'`): a 5σ wind reads the same beside a 20σ or
 *   a 500σ disk; min-max scaling hid faint winds under bright disks.
 * - **Aligned**: every image is rotated so its source's major axis lies along the columns, so a
 *   wind (along the minor axis) is always vertical; training flips it (left-right, up-down)
 *   and turns it by up to 5°, never by 90°, which would undo the alignment.
 * - **Both classes alike**: no copies of one class only (the flips and geometric means of
 *   {@link originalDustInWind} are off); the random flips, small turns and noise at the image's
 *   own level are drawn at every step for every image.
 * - **A deeper, smaller network**: four 3x3 convolution blocks (16, 32, 64, 128 filters) and a
 *   64-unit dense layer (106k weights instead of 4.3M), Adam 2e-3 falling along a cosine to
 *   5 % of it over 20 epochs, batch 32, early stopping on the validation loss, best weights
 *   restored.
 * - **Many independent sources**: the recipe is limited by how many independent scenes it
 *   learns from more than by anything else measured, so the demo trains on 6,400 of 8,000
 *   (was 2,400 of 4,000 at 64x64, and 900 of 1,500 before that) for 18 epochs, to stay within
 *   its three minutes.
 * - **Scores averaged over the four flips** (`tta: 'flips'`): +0.006 held-out ROC AUC and
 *   +0.009 F1 on average over three demo seeds, with the threshold and calibration fitted on
 *   such scores; an image and its mirror images score alike. Not the eight flips and
 *   rotations: a 90° turn shows the aligned network a pose it never trained on (−0.013).
 */
export const dustInWind: TargetProfile = {
  ...originalDustInWind,
  name: 'dust-in-wind',
  preprocess: {
    ...originalDustInWind.preprocess,
    cropSize: 48,
    inputSize: 48,
    inputMode: 'resize',
    normalize: 'snr',
    sky: { unit: 'beam', width: 24 },
  },
  positive: { ...originalDustInWind.positive, flips: false, geometricMeanPairs: false },
  model: {
    inputShape: [48, 48, 1],
    classes: 2,
    convBlocks: [
      { filters: 16, kernelSize: 3, poolSize: 2, activation: 'relu' },
      { filters: 32, kernelSize: 3, poolSize: 2, activation: 'relu' },
      { filters: 64, kernelSize: 3, poolSize: 2, activation: 'relu' },
      { filters: 128, kernelSize: 3, poolSize: 2, activation: 'relu' },
    ],
    denseUnits: 64,
    convDropout: 0.1,
    denseDropout: 0.3,
  },
  train: {
    optimizer: 'adam',
    learningRate: 2e-3,
    batchSize: 32,
    epochs: 20,
    learningRateSchedule: 'cosine',
    augment: { dihedral: 'flips', rotation: 5, noise: 0.5 },
    earlyStopping: { monitor: 'valLoss', patience: 8, minDelta: 0, restoreBestWeights: true },
  },
  tta: 'flips',
};

/**
 * The profile a saved model or dataset recorded, resolved. A profile saved before crops on the
 * sky existed (its `preprocess` has no `sky` key; the library's default then cut pixel crops) is
 * resolved over {@link originalDustInWind}, so the model's images are prepared as they were when
 * it was trained, not by today's default. Likewise a profile whose `train` has no
 * `learningRateSchedule` (saved before the default's learning rate fell along a cosine) keeps a
 * constant rate, and its {@link profileHash}; and one saved before scores were averaged over
 * flips (no `tta` key) keeps one pass per score.
 *
 * @param saved - the recorded profile (e.g. `meta.profile`), or nothing for the default
 * @throws TypeError or RangeError as {@link resolveProfile} does
 */
export function resolveSavedProfile(saved: unknown): TargetProfile {
  if (saved === undefined || saved === null) return resolveProfile({});
  const pre = isRecord(saved) ? saved.preprocess : undefined;
  const beforeSky = isRecord(pre) && !('sky' in pre);
  const resolved = resolveProfile(
    saved as TargetProfileInput,
    beforeSky ? originalDustInWind : dustInWind,
  );
  // Saved before the default learnt a schedule: it trained at a constant rate, and its hash
  // (which leaves out absent keys) stays the one it was saved with.
  const train = isRecord(saved) ? saved.train : undefined;
  let out = resolved;
  if (isRecord(train) && !('learningRateSchedule' in train)) {
    const { learningRateSchedule: _schedule, ...rest } = resolved.train;
    out = { ...out, train: rest };
  }
  // Saved before scores were averaged over flips: one pass, and the same hash.
  if (isRecord(saved) && !('tta' in saved)) {
    const { tta: _tta, ...rest } = out;
    out = rest;
  }
  return out;
}

/** A base profile's model settings without the fields that follow the profile's own sizes. */
function baseArchitecture(model: Partial<ModelConfig>): Partial<ModelConfig> {
  const { inputShape: _shape, classes: _classes, ...rest } = model;
  return rest;
}

/** Early stopping's monitor as earlier versions spelled it, and as profile hashes record it. */
const LEGACY_MONITORS: Record<string, string> = { valLoss: 'val_loss', valAcc: 'val_acc' };

/**
 * `train` with a saved profile's snake_case monitor (`val_loss`, `val_acc`, the spelling before
 * the log keys and monitors agreed) read as the log key it names (`valLoss`, `valAcc`).
 */
function withMonitorName(train: Partial<TrainConfig>): Partial<TrainConfig> {
  const es = train.earlyStopping as { monitor?: unknown } | undefined;
  if (!isRecord(es) || typeof es.monitor !== 'string') return train;
  const current = Object.keys(LEGACY_MONITORS).find((k) => LEGACY_MONITORS[k] === es.monitor);
  if (current === undefined) return train;
  return {
    ...train,
    earlyStopping: { ...(es as unknown as EarlyStoppingConfig), monitor: current as 'valLoss' },
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function merge<T extends object>(base: T, over: unknown, field: string): T {
  if (over === undefined) return { ...base };
  if (!isRecord(over)) throw new TypeError(`profile.${field} must be an object`);
  return { ...base, ...(over as Partial<T>) };
}

function checkNumber(
  v: unknown,
  field: string,
  {
    min,
    max,
    integer = false,
    minExclusive = false,
  }: { min?: number; max?: number; integer?: boolean; minExclusive?: boolean },
): void {
  if (typeof v !== 'number' || Number.isNaN(v)) {
    throw new TypeError(`profile.${field} must be a number, got ${JSON.stringify(v)}`);
  }
  if (integer && !Number.isInteger(v))
    throw new RangeError(`profile.${field} must be an integer, got ${v}`);
  if (min !== undefined && (minExclusive ? v <= min : v < min)) {
    throw new RangeError(`profile.${field} must be ${minExclusive ? '>' : '>='} ${min}, got ${v}`);
  }
  if (max !== undefined && v > max)
    throw new RangeError(`profile.${field} must be <= ${max}, got ${v}`);
}

function checkOneOf(v: unknown, field: string, allowed: readonly string[]): void {
  if (typeof v !== 'string' || !allowed.includes(v)) {
    throw new RangeError(
      `profile.${field} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(v)}`,
    );
  }
}

function checkRange(v: unknown, field: string, min: number): void {
  if (
    !Array.isArray(v) ||
    v.length !== 2 ||
    v.some((x) => typeof x !== 'number' || !Number.isFinite(x))
  ) {
    throw new TypeError(
      `profile.${field} must be a [min, max] pair of numbers, got ${JSON.stringify(v)}`,
    );
  }
  if (v[0] > v[1] || v[0] < min)
    throw new RangeError(
      `profile.${field} must satisfy ${min} <= min <= max, got [${v[0]}, ${v[1]}]`,
    );
}

/**
 * A complete, validated profile: `partial` over `base` ({@link dustInWind} unless given), one level deep (a given
 * `preprocess` object replaces only the fields it names). `model.inputShape` defaults to
 * `[inputSize, inputSize, 1]` and `model.classes` to the number of classes. JSON has no
 * `Infinity`, so `positive.maxPairs: null` means "no cap". The input is not mutated.
 *
 * @param partial - the fields to override (for example a parsed profile `.json` file)
 * @param base - the profile the fields are taken from otherwise. Default {@link dustInWind}.
 * @throws TypeError when a field has the wrong type, RangeError when a value is out of range
 *   or inconsistent (both name the field, e.g. `profile.preprocess.inputSize`)
 */
export function resolveProfile(
  partial: TargetProfileInput = {},
  base: TargetProfile = dustInWind,
): TargetProfile {
  if (!isRecord(partial as unknown)) throw new TypeError('profile must be an object');
  const positiveIn = isRecord(partial.positive) ? { ...partial.positive } : partial.positive;
  if (isRecord(positiveIn) && positiveIn.maxPairs === null) positiveIn.maxPairs = Infinity;
  const p: TargetProfile = {
    name: partial.name ?? base.name,
    classes: partial.classes ? [...partial.classes] : [...base.classes],
    preprocess: merge(base.preprocess, partial.preprocess, 'preprocess'),
    positive: merge(base.positive, positiveIn, 'positive'),
    linear: merge(base.linear, partial.linear, 'linear'),
    // A noise config is one of several shapes, so a given one replaces the default whole.
    noise: merge(base.noise, partial.noise, 'noise'),
    // The base's architecture carries over; inputShape and classes follow preprocess and
    // classes unless given, so they are dropped from the base.
    model: merge<Partial<ModelConfig>>(baseArchitecture(base.model), partial.model, 'model'),
    train: withMonitorName(merge(base.train, partial.train, 'train')),
    threshold: partial.threshold ?? base.threshold,
  };
  const tta = 'tta' in partial ? partial.tta : base.tta;
  if (tta !== undefined) p.tta = tta;

  if (typeof p.name !== 'string' || p.name.trim() === '')
    throw new TypeError('profile.name must be a non-empty string');
  if (!Array.isArray(p.classes) || p.classes.some((c) => typeof c !== 'string' || c === '')) {
    throw new TypeError('profile.classes must be an array of non-empty strings');
  }
  if (p.classes.length < 2)
    throw new RangeError(`profile.classes needs at least 2 classes, got ${p.classes.length}`);
  if (new Set(p.classes).size !== p.classes.length)
    throw new RangeError('profile.classes must not repeat a name');

  const pp = p.preprocess;
  checkNumber(pp.searchFraction, 'preprocess.searchFraction', {
    min: 0,
    max: 1,
    minExclusive: true,
  });
  checkNumber(pp.cropSize, 'preprocess.cropSize', { min: 1, integer: true });
  checkNumber(pp.inputSize, 'preprocess.inputSize', { min: 1, integer: true });
  checkOneOf(pp.inputMode, 'preprocess.inputMode', ['center-crop', 'resize']);
  checkOneOf(pp.pad, 'preprocess.pad', ['constant', 'edge', 'reflect', 'skip']);
  checkNumber(pp.padValue, 'preprocess.padValue', {});
  checkOneOf(pp.normalize, 'preprocess.normalize', [
    'minmax',
    'zscore',
    'percentile',
    'asinh',
    'snr',
    'none',
  ]);
  if (pp.sky !== null) {
    if (!isRecord(pp.sky)) throw new TypeError('profile.preprocess.sky must be an object or null');
    checkOneOf(pp.sky.unit, 'preprocess.sky.unit', ['arcsec', 'beam']);
    checkNumber(pp.sky.width, 'preprocess.sky.width', { min: 0, minExclusive: true });
  }
  if (pp.inputSize > pp.cropSize) {
    throw new RangeError(
      `profile.preprocess.inputSize (${pp.inputSize}) must not exceed cropSize (${pp.cropSize}); set preprocess.cropSize too`,
    );
  }

  const pos = p.positive;
  if (isRecord(pos.align)) {
    const angles = (pos.align as { angles?: unknown }).angles;
    if (
      !isRecord(angles) ||
      Object.values(angles).some((a) => typeof a !== 'number' || !Number.isFinite(a))
    ) {
      throw new TypeError('profile.positive.align.angles must map file names to finite degrees');
    }
  } else {
    checkOneOf(pos.align, 'positive.align', ['principal-axis', 'none']);
  }
  if (pos.rotationOrder !== 1 && pos.rotationOrder !== 3) {
    throw new RangeError(
      `profile.positive.rotationOrder must be 1 or 3, got ${JSON.stringify(pos.rotationOrder)}`,
    );
  }
  if (typeof pos.flips !== 'boolean')
    throw new TypeError('profile.positive.flips must be a boolean');
  if (typeof pos.geometricMeanPairs !== 'boolean')
    throw new TypeError('profile.positive.geometricMeanPairs must be a boolean');
  checkNumber(pos.maxPairs, 'positive.maxPairs', { min: 0 });
  if (pos.maxPairs !== Infinity && !Number.isInteger(pos.maxPairs)) {
    throw new RangeError(
      `profile.positive.maxPairs must be an integer or Infinity, got ${pos.maxPairs}`,
    );
  }

  const lin = p.linear;
  checkNumber(lin.factor, 'linear.factor', { min: 0, integer: true });
  if (!Array.isArray(lin.classes) || lin.classes.some((c) => !p.classes.includes(c))) {
    throw new RangeError(
      `profile.linear.classes must name classes of the profile (${p.classes.join(', ')})`,
    );
  }
  checkRange(lin.sizeRange, 'linear.sizeRange', 1);
  checkRange(lin.angleRange, 'linear.angleRange', -Infinity);
  if (typeof lin.flip !== 'boolean') throw new TypeError('profile.linear.flip must be a boolean');
  checkNumber(lin.jitter, 'linear.jitter', { min: 0 });

  checkOneOf(p.noise.kind, 'noise.kind', ['none', 'gaussian', 'jitter', 'neighbour']);
  for (const key of ['sigma', 'scale', 'fraction'] as const) {
    const v = (p.noise as unknown as Record<string, unknown>)[key];
    if (v !== undefined)
      checkNumber(v, `noise.${key}`, { min: 0, max: key === 'fraction' ? 1 : undefined });
  }
  checkNumber(p.threshold, 'threshold', { min: 0, max: 1 });
  if (p.tta !== undefined) checkOneOf(p.tta, 'tta', ['none', 'flips', 'dihedral']);

  const shape = p.model.inputShape ?? [pp.inputSize, pp.inputSize, 1];
  if (
    !Array.isArray(shape) ||
    shape[0] !== pp.inputSize ||
    shape[1] !== pp.inputSize ||
    shape[2] !== 1
  ) {
    throw new RangeError(
      `profile.model.inputShape ${JSON.stringify(shape)} must be [${pp.inputSize}, ${pp.inputSize}, 1] to match preprocess.inputSize`,
    );
  }
  p.model.inputShape = [pp.inputSize, pp.inputSize, 1];
  const classes = p.model.classes ?? p.classes.length;
  if (classes !== p.classes.length) {
    throw new RangeError(
      `profile.model.classes (${classes}) must equal the number of profile.classes (${p.classes.length})`,
    );
  }
  p.model.classes = classes;
  return p;
}

/**
 * A short stable fingerprint (16 hex digits) of a profile's content, recorded in saved datasets
 * and models so a dataset is never silently used with a different preparation. Key order does
 * not matter; any changed value changes the hash. Not cryptographic.
 *
 * @param profile - a resolved profile
 */
export function profileHash(profile: TargetProfile): string {
  // The monitor is hashed in its earlier spelling, so a spelling change is no content change:
  // datasets and models saved before it keep their hash.
  const es = profile.train.earlyStopping;
  const legacy = es !== undefined ? LEGACY_MONITORS[es.monitor] : undefined;
  const text = canonicalJson(
    legacy === undefined
      ? profile
      : { ...profile, train: { ...profile.train, earlyStopping: { ...es, monitor: legacy } } },
  );
  // Two independent 32-bit FNV-1a-style lanes give 64 bits without BigInt or node:crypto.
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  const hex = (h: number): string => (h >>> 0).toString(16).padStart(8, '0');
  return hex(h1) + hex(h2);
}

/** The {@link ProfileRef} of a dataset built with `profile`: its name, hash and settings. */
export function profileRef(profile: TargetProfile): ProfileRef {
  return { name: profile.name, hash: profileHash(profile), settings: profile };
}

/**
 * JSON with object keys sorted at every level (undefined values left out), and `Infinity`
 * written as a string: equal content, equal text.
 *
 * @internal
 */
export function canonicalJson(value: unknown): string {
  if (typeof value === 'number')
    return Number.isFinite(value) ? JSON.stringify(value) : JSON.stringify(String(value));
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
