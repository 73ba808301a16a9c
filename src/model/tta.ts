/**
 * Test-time augmentation: a model's score averaged over the eight flips and 90° rotations of
 * each image (the dihedral group of the square). A sky image has no preferred orientation, so a
 * trained model should not care; the spread of the eight scores shows how much it still does.
 * Browser-safe.
 */
import type * as tf from '@tensorflow/tfjs';
import { ModelError } from '../core/errors.js';
import type { TensorData } from './config.js';
import { checkImages } from './data.js';
import { DEFAULT_PREDICT_OPTIONS, predict, withThreads, type PredictOptions } from './predict.js';

/**
 * The eight symmetries of the square, in the order {@link predictTTA} reports them, with numpy's
 * meaning on a `[rows, cols]` image `a`:
 * `identity` (a), `rot90` (`np.rot90(a)`, counter-clockwise as an array is printed), `rot180`,
 * `rot270` (`np.rot90(a, 3)`), `flipLR` (`a[:, ::-1]`), `flipUD` (`a[::-1, :]`), `transpose`
 * (`a.T`) and `antitranspose` (`a[::-1, ::-1].T`).
 */
export const DIHEDRAL_TRANSFORMS = [
  'identity',
  'rot90',
  'rot180',
  'rot270',
  'flipLR',
  'flipUD',
  'transpose',
  'antitranspose',
] as const;

/** One of {@link DIHEDRAL_TRANSFORMS}. */
export type DihedralTransform = (typeof DIHEDRAL_TRANSFORMS)[number];

/**
 * The four symmetries that keep the axes (none, left-right, up-down, both): the test-time
 * counterpart of training with `augment.dihedral: 'flips'`, for inputs aligned to an axis.
 */
export const AXIS_FLIPS: readonly DihedralTransform[] = ['identity', 'flipLR', 'flipUD', 'rot180'];

/**
 * Which symmetries a model's scores average over (test-time augmentation), by name, as a
 * profile (`TargetProfile.tta`) and a saved model (`ModelMeta.tta`) record it:
 * - `none`: one pass on the image as it is;
 * - `flips`: the mean over the four {@link AXIS_FLIPS}, for inputs aligned to an axis (the
 *   default profile's), whose training flipped them but never turned them by 90°;
 * - `dihedral`: the mean over all eight {@link DIHEDRAL_TRANSFORMS}, for models trained with
 *   every flip and 90° rotation.
 *
 * A score averaged over a set of symmetries is the same for every image that set maps onto each
 * other: with `flips`, an image and its mirror images score alike.
 */
export type TestTimeAugmentation = 'none' | 'flips' | 'dihedral';

/** The names {@link TestTimeAugmentation} takes. */
export const TEST_TIME_AUGMENTATIONS: readonly TestTimeAugmentation[] = [
  'none',
  'flips',
  'dihedral',
];

/**
 * The symmetries a {@link TestTimeAugmentation} averages over: `['identity']`,
 * {@link AXIS_FLIPS} or {@link DIHEDRAL_TRANSFORMS}.
 *
 * @throws ModelError for another name
 */
export function ttaTransforms(tta: TestTimeAugmentation): readonly DihedralTransform[] {
  switch (tta) {
    case 'none':
      return ['identity'];
    case 'flips':
      return AXIS_FLIPS;
    case 'dihedral':
      return DIHEDRAL_TRANSFORMS;
    default:
      throw new ModelError(
        `test-time augmentation must be one of ${TEST_TIME_AUGMENTATIONS.join(', ')}, got ${String(tta)}`,
      );
  }
}

/**
 * Where output pixel (y, x) of an `s x s` image reads from: source pixel
 * `base + y * dy + x * dx` (in pixels, row-major).
 */
function sourceMap(t: DihedralTransform, s: number): { base: number; dy: number; dx: number } {
  const last = s - 1;
  switch (t) {
    case 'identity':
      return { base: 0, dy: s, dx: 1 };
    case 'rot90': // out[y][x] = a[x][s-1-y]
      return { base: last, dy: -1, dx: s };
    case 'rot180': // a[s-1-y][s-1-x]
      return { base: last * s + last, dy: -s, dx: -1 };
    case 'rot270': // a[s-1-x][y]
      return { base: last * s, dy: 1, dx: -s };
    case 'flipLR': // a[y][s-1-x]
      return { base: last, dy: s, dx: -1 };
    case 'flipUD': // a[s-1-y][x]
      return { base: last * s, dy: -s, dx: 1 };
    case 'transpose': // a[x][y]
      return { base: 0, dy: 1, dx: s };
    case 'antitranspose': // a[s-1-x][s-1-y]
      return { base: last * s + last, dy: -1, dx: -s };
  }
}

/**
 * Applies one symmetry of the square to every image of `[n, s, s, c]` row-major pixels, in one
 * pass: `out` (a new array unless given, of the same length) receives the transformed images.
 * Channels move together.
 *
 * @param pixels - `n * s * s * c` values (not modified)
 * @param shape - `[n, s, s, c]`; rows and columns must be equal
 * @param transform - which symmetry (see {@link DIHEDRAL_TRANSFORMS})
 * @param out - where to write (must not be `pixels`), default a new array
 * @throws ModelError for a non-square shape or a wrong length
 */
export function dihedralTransform(
  pixels: Float32Array,
  shape: readonly [number, number, number, number],
  transform: DihedralTransform,
  out: Float32Array = new Float32Array(pixels.length),
): Float32Array {
  const [n, h, w, c] = shape;
  if (h !== w) throw new ModelError(`the eight flips/rotations need square images, got ${h}x${w}`);
  const per = h * w * c;
  if (pixels.length !== n * per || out.length < n * per) {
    throw new ModelError(
      `dihedralTransform: ${pixels.length} values for shape [${shape.join(', ')}]`,
    );
  }
  if (out === pixels) throw new ModelError('dihedralTransform cannot transform in place');
  const { base, dy, dx } = sourceMap(transform, h);
  for (let i = 0; i < n; i++) {
    const o0 = i * per;
    if (c === 1) {
      let o = o0;
      for (let y = 0; y < h; y++) {
        let p = o0 + base + y * dy;
        for (let x = 0; x < w; x++, p += dx) out[o++] = pixels[p];
      }
    } else {
      let o = o0;
      for (let y = 0; y < h; y++) {
        let p = base + y * dy;
        for (let x = 0; x < w; x++, p += dx) {
          const src = o0 + p * c;
          for (let k = 0; k < c; k++) out[o++] = pixels[src + k];
        }
      }
    }
  }
  return out;
}

/** Options of {@link predictTTA}: those of `predict`, and what to return. */
export interface TTAOptions extends PredictOptions {
  /**
   * `false`: one score per image, the mean over the transforms. `true`: every transform's score
   * per image, `[n, T]` row-major in the order of `transforms`, for their spread. Default false.
   */
  all: boolean;
  /**
   * The symmetries averaged over. Default all eight ({@link DIHEDRAL_TRANSFORMS}); for inputs
   * aligned to an axis (the default profile aligns each source's major axis with the columns),
   * {@link AXIS_FLIPS}, since a 90° turn would show the model a pose it never trained on.
   */
  transforms: readonly DihedralTransform[];
  /**
   * Images transformed together: each chunk's eight copies go to `predict` in one call, so
   * memory stays at `8 * chunk` images whatever `n`. Default 64.
   */
  chunk: number;
}

/** Defaults of {@link TTAOptions} (those of `predict`, one mean per image, chunks of 64). */
export const DEFAULT_TTA_OPTIONS: TTAOptions = {
  ...DEFAULT_PREDICT_OPTIONS,
  all: false,
  transforms: DIHEDRAL_TRANSFORMS,
  chunk: 64,
};

/**
 * Test-time augmentation: the positive-class score of each square image averaged over its eight
 * flips and 90° rotations ({@link DIHEDRAL_TRANSFORMS}), scored by `predict` (the library's
 * engine when it runs the model), or with `all` every one of the eight. An image that the eight
 * symmetries leave unchanged scores what `predict` gives it. `transforms` picks another set
 * (`ttaTransforms` names them); `['identity']` is `predict` itself, for images of any shape.
 *
 * @param model - the model
 * @param images - as `predict` takes them: `TensorData` (labels ignored) or whole images in the
 *   model's input shape `[n, s, s, c]`; NaN pixels are refused
 * @param opts - see {@link TTAOptions}
 * @returns `n` mean scores, or `T n` with `all` (`T` transforms), in image order
 * @throws ModelError for a non-square input (unless `transforms` is `['identity']`) or images
 *   that do not fit the model
 */
export async function predictTTA(
  model: tf.LayersModel,
  images: TensorData | Float32Array,
  opts: Partial<TTAOptions> = {},
): Promise<Float32Array> {
  const o: TTAOptions = withThreads(DEFAULT_TTA_OPTIONS, opts);
  const { pixels, shape } = checkImages(model, images);
  const [n, h, w, c] = shape;
  const per = h * w * c;
  const list = o.transforms;
  if (list.length === 0 || list.some((t) => !DIHEDRAL_TRANSFORMS.includes(t))) {
    throw new ModelError(
      `transforms must name one or more of ${DIHEDRAL_TRANSFORMS.join(', ')}, got [${list.join(', ')}]`,
    );
  }
  const T = list.length;
  // One pass on the images as they are: `predict` itself, without copying them.
  if (T === 1 && list[0] === 'identity') return predict(model, pixels.subarray(0, n * per), o);
  if (h !== w) throw new ModelError(`test-time augmentation needs square images, got ${h}x${w}`);
  const chunk = Math.max(1, Math.floor(o.chunk));
  const out = new Float32Array(o.all ? n * T : n);
  const buf = new Float32Array(Math.min(chunk, n) * per * T);
  for (let s = 0; s < n; s += chunk) {
    const m = Math.min(chunk, n - s);
    const src = pixels.subarray(s * per, (s + m) * per);
    list.forEach((t, d) =>
      dihedralTransform(src, [m, h, w, c], t, buf.subarray(d * m * per, (d + 1) * m * per)),
    );
    const scores = await predict(model, buf.subarray(0, T * m * per), o);
    for (let i = 0; i < m; i++) {
      if (o.all) {
        for (let d = 0; d < T; d++) out[(s + i) * T + d] = scores[d * m + i];
      } else {
        let sum = 0;
        for (let d = 0; d < T; d++) sum += scores[d * m + i];
        out[s + i] = sum / T;
      }
    }
  }
  return out;
}

/**
 * How a score averaged over `tta` is made, in words for reports and logs: `'one pass per
 * image'`, `'the mean over the four axis flips of each input (test-time augmentation)'` or
 * `'the mean over the eight flips and 90° rotations of each input (test-time augmentation)'`.
 */
export function describeTta(tta: TestTimeAugmentation): string {
  switch (tta) {
    case 'flips':
      return 'the mean over the four axis flips of each input (test-time augmentation)';
    case 'dihedral':
      return 'the mean over the eight flips and 90° rotations of each input (test-time augmentation)';
    default:
      return 'one pass per image';
  }
}

/**
 * A saved model's raw (uncalibrated) positive-class scores, made the way its threshold and
 * temperature were fitted: averaged over the symmetries its `meta.tta` names (one pass for a
 * model without it). Apply `meta.calibration` (`applyTemperature`) to compare them with
 * `meta.threshold`.
 *
 * @param loaded - the model and its meta (`loadModel`, `loadModelFromUrl`)
 * @param images - as `predict` takes them
 * @param opts - `predict`'s options (batch size, threads, engine)
 * @throws ModelError as {@link predictTTA} does
 */
export function scoreWithModel(
  loaded: { model: tf.LayersModel; meta: { tta?: TestTimeAugmentation } },
  images: TensorData | Float32Array,
  opts: Partial<PredictOptions> = {},
): Promise<Float32Array> {
  return predictTTA(loaded.model, images, {
    ...opts,
    transforms: ttaTransforms(loaded.meta.tta ?? 'none'),
  });
}
