import type { Image2D } from '../core/image2d.js';
import { createImage2D } from '../core/image2d.js';
import { DatasetError } from '../core/errors.js';
import type { TensorData } from '../model/config.js';
import type { TargetProfile } from './profile.js';

/** Which part of a split a sample belongs to. */
export type SplitName = 'train' | 'validation' | 'test';

/**
 * Where one sample came from: enough to find the source pixels again and to keep every sample
 * derived from one source file on the same side of a split.
 */
export interface SampleInfo {
  /** Identifier within the dataset, built from the source file name and the transforms (e.g. `b335.fits[1]:flip-lr`); see {@link SampleInfo.contentId} for the one that survives renames. */
  id: string;
  /** Class index (into `classNames`). */
  label: number;
  /** The source file (path or name as given) of the sample, or of its first parent. */
  source: string;
  /** Every source file the pixels derive from (two for the geometric mean of two sources). */
  sources: string[];
  /** HDU index the image was read from, when it came from a FITS file. */
  hdu?: number;
  /** Brightest pixel found in the source image, `[row, col]`, before any rotation. */
  peak?: [number, number];
  /** Transforms applied, in order, e.g. `['rotate:-12.50', 'crop:400', 'center-crop:100', 'normalize:minmax', 'flip:lr']`. */
  transforms: string[];
  /** Ids of the samples this one was made from (two for a geometric mean, one for a flip). */
  parents?: string[];
  /** Split membership, once {@link splitDataset} has placed the sample. */
  split?: SplitName;
  /**
   * Stable identifier by content, as the label store names samples: `<hash>:<hdu>:<row>,<col>`
   * of the source image and the object's peak, then `:flip-lr`, `:linear-0`, ... for an
   * augmented sample, or `gm(<id>|<id>)` for a geometric mean (see `labelId`). The same for
   * the same pixels whatever the file's name, folder or working folder. Absent when the
   * source's content was not known (an image read a window at a time without a hash).
   */
  contentId?: string;
  /** Content hash of the source image (`fitsDataHash` or `pixelHash`), when known. */
  hash?: string;
  /** Weight of the sample in the training loss (a reviewed hard negative's). Absent: 1. */
  weight?: number;
  /**
   * The review decision that brought the sample in: `'keep'` for a candidate confirmed as the
   * target (a positive), `'reject'` for a candidate confirmed as not (a hard negative).
   */
  reviewed?: 'keep' | 'reject';
}

/** Which profile a dataset was prepared with. */
export interface ProfileRef {
  /** The profile's name. */
  name: string;
  /** Its {@link profileHash}. */
  hash: string;
  /**
   * The profile itself, when the dataset was built from it (`saveDataset` keeps it in the
   * manifest), so that training prepares and scores images as the dataset was prepared.
   */
  settings?: TargetProfile;
}

/** A source that a builder could not use, and why. */
export interface SkippedSource {
  /** The file path or name. */
  source: string;
  /** What was wrong (an unreadable FITS file, an image smaller than the crop with `pad: 'skip'`, ...). */
  reason: string;
  /** True when a person rejected it (an `exclude` list), rather than it being unusable. */
  excluded?: boolean;
}

/**
 * A labelled set of model inputs with provenance: float32 `images` `[n, h, w, 1]`, `labels`,
 * `classNames` by label, and one {@link SampleInfo} per image. Images never contain NaN.
 */
export interface Dataset extends TensorData {
  /** Class names by label index. */
  classNames: string[];
  /** Provenance of each image, in image order. */
  samples: SampleInfo[];
  /** Sources the builders skipped, with the reason. */
  skipped: SkippedSource[];
  /** Name and {@link profileHash} of the profile the dataset was prepared with, when known. */
  profile?: ProfileRef;
}

/** Number of samples per class name, in class order. */
export function classCounts(ds: Dataset): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of ds.classNames) out[name] = 0;
  for (const l of ds.labels)
    out[ds.classNames[l] ?? String(l)] = (out[ds.classNames[l] ?? String(l)] ?? 0) + 1;
  return out;
}

/**
 * The `i`-th image of a dataset as an {@link Image2D} `[h, w]` (a copy).
 *
 * @throws RangeError when `i` is outside the dataset
 */
export function sampleImage(ds: Dataset, i: number): Image2D {
  const [n, h, w] = ds.shape;
  if (!Number.isInteger(i) || i < 0 || i >= n)
    throw new RangeError(`sample index ${i} outside [0, ${n})`);
  return createImage2D(h, w, ds.images.slice(i * h * w, (i + 1) * h * w));
}

/**
 * Collects samples one at a time and packs them into a {@link Dataset}; builders keep only the
 * small model inputs here, never the source images.
 */
export class DatasetBuilder {
  private readonly pixels: Float32Array[] = [];
  private readonly infos: SampleInfo[] = [];
  private readonly ids = new Set<string>();
  /** Sources skipped so far. */
  readonly skipped: SkippedSource[] = [];

  /**
   * @param size - side of the square images, in pixels
   * @param classNames - class names by label
   */
  constructor(
    readonly size: number,
    readonly classNames: string[],
  ) {}

  /** Number of samples added. */
  get length(): number {
    return this.infos.length;
  }

  /** Whether a sample id is already taken. */
  has(id: string): boolean {
    return this.ids.has(id);
  }

  /**
   * Add one image (any strides; NaN stored as 0) with its provenance.
   *
   * @throws DatasetError when the image is not `size` x `size` or the id repeats
   */
  add(image: Image2D, info: SampleInfo): void {
    const [rows, cols] = image.shape;
    if (rows !== this.size || cols !== this.size) {
      throw new DatasetError(
        `sample ${info.id} is ${rows}x${cols}, the dataset holds ${this.size}x${this.size} images`,
        info.source,
      );
    }
    if (this.ids.has(info.id))
      throw new DatasetError(`sample id ${info.id} appears twice`, info.source);
    const out = new Float32Array(rows * cols);
    const [s0, s1] = image.stride;
    let k = 0;
    for (let r = 0; r < rows; r++) {
      let p = image.offset + r * s0;
      for (let c = 0; c < cols; c++, p += s1) {
        const v = image.data[p];
        out[k++] = Number.isNaN(v) ? 0 : v;
      }
    }
    this.pixels.push(out);
    this.infos.push(info);
    this.ids.add(info.id);
  }

  /** The image of sample `i` as added (a view on the stored pixels; do not mutate). */
  image(i: number): Image2D {
    return createImage2D(this.size, this.size, this.pixels[i]);
  }

  /** Provenance of sample `i`. */
  info(i: number): SampleInfo {
    return this.infos[i];
  }

  /** Pack everything into one {@link Dataset}. */
  build(profile?: ProfileRef): Dataset {
    return packDataset(this.pixels, this.infos, this.size, this.classNames, this.skipped, profile);
  }
}

function packDataset(
  pixels: Float32Array[],
  samples: SampleInfo[],
  size: number,
  classNames: string[],
  skipped: SkippedSource[],
  profile?: ProfileRef,
): Dataset {
  const per = size * size;
  const images = new Float32Array(pixels.length * per);
  pixels.forEach((p, i) => images.set(p, i * per));
  const ds: Dataset = {
    images,
    shape: [pixels.length, size, size, 1],
    labels: Int32Array.from(samples, (s) => s.label),
    classNames: [...classNames],
    samples,
    skipped: [...skipped],
  };
  if (profile) ds.profile = { ...profile };
  return ds;
}

/**
 * The samples at `indices` (in that order) as a new {@link Dataset}; `mark` sets their split.
 *
 * @throws RangeError when an index is outside the dataset
 */
export function subsetDataset(ds: Dataset, indices: readonly number[], mark?: SplitName): Dataset {
  const [n, h, w, c] = ds.shape;
  const per = h * w * c;
  const images = new Float32Array(indices.length * per);
  const samples: SampleInfo[] = [];
  const labels = new Int32Array(indices.length);
  indices.forEach((i, k) => {
    if (!Number.isInteger(i) || i < 0 || i >= n)
      throw new RangeError(`sample index ${i} outside [0, ${n})`);
    images.set(ds.images.subarray(i * per, (i + 1) * per), k * per);
    labels[k] = ds.labels[i];
    samples.push(mark ? { ...ds.samples[i], split: mark } : { ...ds.samples[i] });
  });
  const out: Dataset = {
    images,
    shape: [indices.length, h, w, c],
    labels,
    classNames: [...ds.classNames],
    samples,
    skipped: [...ds.skipped],
  };
  if (ds.profile) out.profile = { ...ds.profile };
  return out;
}

/**
 * Join datasets of the same image size and classes into one (e.g. negatives and positives, or
 * the parts of a split to save them together with their membership).
 *
 * @throws DatasetError when image shapes or class names differ, or a sample id repeats
 */
export function concatDatasets(parts: readonly Dataset[]): Dataset {
  if (parts.length === 0) throw new DatasetError('concatDatasets needs at least one dataset');
  const [, h, w, c] = parts[0].shape;
  const names = parts[0].classNames;
  let n = 0;
  const ids = new Set<string>();
  for (const p of parts) {
    if (p.shape[1] !== h || p.shape[2] !== w || p.shape[3] !== c) {
      throw new DatasetError(
        `cannot join ${h}x${w}x${c} images with ${p.shape[1]}x${p.shape[2]}x${p.shape[3]} images`,
      );
    }
    if (p.classNames.join('\u0000') !== names.join('\u0000')) {
      throw new DatasetError(
        `cannot join datasets with classes [${names.join(', ')}] and [${p.classNames.join(', ')}]`,
      );
    }
    for (const s of p.samples) {
      if (ids.has(s.id))
        throw new DatasetError(`sample id ${s.id} appears in two datasets`, s.source);
      ids.add(s.id);
    }
    n += p.shape[0];
  }
  const images = new Float32Array(n * h * w * c);
  const labels = new Int32Array(n);
  let at = 0;
  for (const p of parts) {
    images.set(p.images, at * h * w * c);
    labels.set(p.labels, at);
    at += p.shape[0];
  }
  const out: Dataset = {
    images,
    shape: [n, h, w, c],
    labels,
    classNames: [...names],
    samples: parts.flatMap((p) => p.samples.map((s) => ({ ...s }))),
    skipped: parts.flatMap((p) => p.skipped),
  };
  const profile = parts.find((p) => p.profile)?.profile;
  if (profile) out.profile = { ...profile };
  return out;
}
