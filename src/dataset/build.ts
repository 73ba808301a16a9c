import type { Progress } from '../core/progress.js';
import type { Image2D } from '../core/image2d.js';
import { DatasetError, FitsError } from '../core/errors.js';
import { createRng } from '../core/random.js';
import type { Rng } from '../core/random.js';
import { addNoise, flip, geometricMean, normalize, randomLinearTransform } from '../image/index.js';
import { DatasetBuilder } from './dataset.js';
import type { Dataset, SampleInfo, SkippedSource } from './dataset.js';
import { baseName } from './internal.js';
import { preprocessImage, preprocessSource } from './preprocess-steps.js';
import type { PreprocessOutput } from './preprocess-steps.js';
import type { ImageWindows } from './preprocess.js';
import type { TargetProfile } from './profile.js';
import { profileRef } from './profile.js';
import type { ImageSkyScale } from './sky-scale.js';
import { labelId, pixelHash } from './labels.js';

/** One image handed to a builder, with where it came from. */
export interface SourceImage {
  /** The pixels `[rows, cols]`. */
  image: Image2D;
  /** File path or name (recorded in provenance, matched by `exclude` and hand-typed angles). */
  source: string;
  /** HDU index, when read from a FITS file. */
  hdu?: number;
  /** How the image samples the sky (from its header), for profiles with `preprocess.sky`. */
  sky?: ImageSkyScale;
  /**
   * Content hash of the image (`fitsDataHash` of its file), from which each sample gets its
   * stable {@link SampleInfo.contentId}. Default: {@link pixelHash} of an image in memory; none
   * for a window reader.
   */
  hash?: string;
  /**
   * Crop around this pixel `[row, col]` instead of the brightest one in the search region: an
   * object a reviewer labelled that is not its image's brightest.
   */
  center?: [row: number, col: number];
  /** Weight of the source's samples in the training loss ({@link SampleInfo.weight}). Default 1. */
  weight?: number;
  /** The review decision that brought this source in ({@link SampleInfo.reviewed}). */
  reviewed?: 'keep' | 'reject';
}

/**
 * One image handed to a builder as a window reader rather than as pixels: the builder reads only
 * the windows preprocessing needs ({@link preprocessWindows}). The `*FromFiles` builders hand
 * over FITS files this way (`openFitsImage`), so a 1000x1000 image costs the read of its central
 * half, not of the whole file.
 */
export interface WindowedSource extends Omit<SourceImage, 'image' | 'hash'> {
  /** The image's shape and window reader. */
  windows: ImageWindows;
  /**
   * Content hash of the image, as {@link SourceImage.hash}, or a promise of it: the builders
   * await it after reading the windows, so it can be computed meanwhile (the `*FromFiles`
   * builders hash each file on a second thread). A rejection with a FitsError or DatasetError
   * skips the source with its message.
   */
  hash?: string | Promise<string>;
}

/**
 * What builders consume: bare images (named `image-0`, `image-1`, ...), images with their
 * source, images to read a window at a time, or sources that could not be read (recorded as
 * skipped). Node's {@link readSourceImages} yields these from file paths, one file at a time.
 */
export type ImageInput = Image2D | SourceImage | WindowedSource | SkippedSource;

/** Sync or async sequence of {@link ImageInput}; async lets builders stream files. */
export type ImageInputs = Iterable<ImageInput> | AsyncIterable<ImageInput>;

/** Options of {@link buildPositiveSet} and {@link buildNegativeSet}. */
export interface BuildOptions {
  /** Label of the samples. Default: the last class for positives, 0 for negatives. */
  label?: number;
  /**
   * Sample ids a person rejected (content ids, {@link SampleInfo.contentId}, as the label store
   * and review pages name them, or the older name-based ids), or file names and paths: a
   * matching image drops its source with every sample made from it; a matching augmented sample
   * drops that sample and the geometric means made from it, nothing else. Default none.
   */
  exclude?: Iterable<string>;
  /** Seed of the random transforms and of the pair subset when capped. Default 0. */
  seed?: number;
  /** Called once per skipped source with a message naming it, and the source. Default: none. */
  onWarning?: (message: string, source?: string) => void;
  /**
   * Called after each source is handled (used, skipped or excluded), for progress bars: sources
   * done, sources in all (when the inputs are an array) and the source.
   */
  onProgress?: (progress: Progress) => void;
}

/** Defaults of {@link BuildOptions} that do not depend on the profile. */
export const DEFAULT_BUILD_OPTIONS = {
  /** Seed of the random transforms. */
  seed: 0,
} as const;

function isSkipped(x: ImageInput): x is SkippedSource {
  return typeof x === 'object' && x !== null && 'reason' in x && !('image' in x) && !('shape' in x);
}

function isSource(x: ImageInput): x is SourceImage | WindowedSource {
  return typeof x === 'object' && x !== null && ('image' in x || 'windows' in x) && 'source' in x;
}

/** Lets a builder walk sync and async inputs alike. */
async function* iterate(inputs: ImageInputs): AsyncGenerator<ImageInput> {
  if (Symbol.asyncIterator in inputs) yield* inputs as AsyncIterable<ImageInput>;
  else yield* inputs as Iterable<ImageInput>;
}

/** A base sample of one source: the pieces later steps derive from. */
interface Base {
  id: string;
  /** The content id, when the source's content is known. */
  cid: string | undefined;
  info: SampleInfo;
  /** The crop; made only when `usesLinear` (no other step reads it). */
  crop: Image2D | undefined;
  /** Transforms that made `crop` (those of the input minus the last two: input cut, normalise). */
  cropTransforms: string[];
  rng: Rng;
}

/**
 * Walks the inputs once: preprocesses each usable image, records skipped and excluded sources,
 * and hands each base sample (input + crop) to `use` before the next file is read, so only
 * crops stay in memory.
 */
async function walk(
  inputs: ImageInputs,
  profile: TargetProfile,
  label: number,
  opts: BuildOptions,
  exclude: Set<string>,
  builder: DatasetBuilder,
  use: (base: Base) => void,
): Promise<void> {
  const rng = createRng(opts.seed ?? DEFAULT_BUILD_OPTIONS.seed);
  let done = 0;
  const total = Array.isArray(inputs) ? inputs.length : undefined;
  const progress = (file: string): void =>
    opts.onProgress?.(total === undefined ? { done, file } : { done, total, file });
  for await (const item of iterate(inputs)) {
    const index = done;
    done += 1;
    if (isSkipped(item)) {
      builder.skipped.push({ source: item.source, reason: item.reason });
      opts.onWarning?.(`skipped ${item.source}: ${item.reason}`, item.source);
      progress(item.source);
      continue;
    }
    const src: SourceImage | WindowedSource = isSource(item)
      ? item
      : { image: item, source: `image-${index}` };
    // Each source draws from its own stream, so one skipped file does not reshuffle the rest.
    const sourceRng = rng.fork();
    if (exclude.has(src.source) || exclude.has(baseName(src.source))) {
      builder.skipped.push({ source: src.source, reason: 'excluded', excluded: true });
      progress(src.source);
      continue;
    }
    let pre: PreprocessOutput;
    let hash: string | undefined;
    // The crop is made only for the linear transforms; without them the input is cut directly.
    const withCrop = usesLinear(profile, label);
    try {
      const popts = {
        source: src.source,
        ...(src.sky ? { sky: src.sky } : {}),
        ...(src.center ? { center: src.center } : {}),
      };
      pre =
        'windows' in src
          ? await preprocessSource(src.windows, profile, popts, withCrop)
          : preprocessImage(src.image, profile, popts, withCrop);
      // A hash still being computed (on another thread) is awaited after the reads.
      hash = (await src.hash) ?? ('image' in src ? pixelHash(src.image) : undefined);
    } catch (err) {
      // A file that cannot be read (FitsError) is skipped like an image that cannot be used.
      if (!(err instanceof DatasetError || err instanceof FitsError)) throw err;
      builder.skipped.push({ source: src.source, reason: err.message });
      opts.onWarning?.(`skipped ${src.source}: ${err.message}`, src.source);
      progress(src.source);
      continue;
    }
    // The HDU joins the id only when it is not the usual first one, so ids read as file names;
    // an object chosen by its position (a labelled candidate) names it.
    const name =
      baseName(src.source) +
      (src.hdu ? `[${src.hdu}]` : '') +
      (src.center ? `@${pre.peak[0]},${pre.peak[1]}` : '');
    let id = name;
    for (let k = 2; builder.has(id); k++) id = `${name}#${k}`;
    const cid =
      hash === undefined ? undefined : labelId({ hash, hdu: src.hdu ?? 0, peak: pre.peak });
    const info: SampleInfo = {
      id,
      label,
      source: src.source,
      sources: [src.source],
      peak: pre.peak,
      transforms: pre.transforms,
    };
    if (src.hdu !== undefined) info.hdu = src.hdu;
    if (cid !== undefined && hash !== undefined) {
      info.contentId = cid;
      info.hash = hash;
    }
    if (src.weight !== undefined && src.weight !== 1) info.weight = src.weight;
    if (src.reviewed !== undefined) info.reviewed = src.reviewed;
    if (!exclude.has(id) && (cid === undefined || !exclude.has(cid))) {
      builder.add(pre.input, info);
      use({
        id,
        cid,
        info,
        crop: pre.crop,
        cropTransforms: pre.transforms.slice(0, -2),
        rng: sourceRng,
      });
    } else {
      builder.skipped.push({
        source: src.source,
        reason: `sample ${cid ?? id} excluded`,
        excluded: true,
      });
    }
    progress(src.source);
  }
}

/** Whether samples of class `label` get random linear transforms (of their crop). */
function usesLinear(profile: TargetProfile, label: number): boolean {
  const lin = profile.linear;
  const className = profile.classes[label];
  return lin.factor > 0 && (lin.classes.length === 0 || lin.classes.includes(className));
}

/** Add `profile.linear.factor` random linear transforms of a base sample's crop. */
function addLinear(
  builder: DatasetBuilder,
  base: Base,
  profile: TargetProfile,
  exclude: Set<string>,
): void {
  const lin = profile.linear;
  if (!usesLinear(profile, base.info.label) || base.crop === undefined) return;
  const clean = normalize(base.crop, { method: 'none', nan: 0 });
  for (let k = 0; k < lin.factor; k++) {
    const id = `${base.id}:linear-${k}`;
    const cid = base.cid === undefined ? undefined : `${base.cid}:linear-${k}`;
    let img = randomLinearTransform(clean, base.rng, {
      sizeRange: lin.sizeRange,
      angleRange: lin.angleRange,
      flip: lin.flip,
      output: profile.preprocess.inputSize,
      jitter: lin.jitter,
    });
    img = finishAugmented(img, profile, base.rng);
    if (exclude.has(id) || (cid !== undefined && exclude.has(cid))) continue;
    builder.add(img, {
      ...base.info,
      id,
      ...(cid !== undefined ? { contentId: cid } : {}),
      transforms: [...base.cropTransforms, 'linear', `normalize:${profile.preprocess.normalize}`],
      parents: [base.id],
    });
  }
}

/** Normalise an augmented image like the base inputs and add the profile's noise. */
function finishAugmented(img: Image2D, profile: TargetProfile, rng: Rng): Image2D {
  let out = normalize(img, { method: profile.preprocess.normalize, nan: 0 });
  if (profile.noise.kind !== 'none') out = addNoise(out, rng, profile.noise);
  return out;
}

const FLIPS = ['lr', 'ud', 'both'] as const;

/** A place in the pool of positives that geometric means pair: a sample, or a rejected one. */
interface PoolEntry {
  /** The sample's index in the builder; undefined for a rejected sample. */
  index: number | undefined;
  /** Its id. */
  id: string;
  /** Its content id, when known. */
  cid: string | undefined;
}

/**
 * The indices of `k` pairs out of `total`, chosen with `rng` and returned in increasing order,
 * so a capped positive set is a seeded subset of the full one.
 */
function choosePairs(total: number, k: number, rng: Rng): number[] {
  const chosen = new Set<number>();
  while (chosen.size < k) chosen.add(Math.floor(rng.next() * total));
  return [...chosen].sort((a, b) => a - b);
}

/**
 * The positive set the original way: preprocess each image (which aligns it per the profile),
 * add its 3 flips, then the geometric mean `sqrt|A·B|` of every pair of those: n images give
 * `4n + C(4n, 2)` samples (2 → 36, 8 → 528), fewer when `positive.maxPairs` caps the pairs
 * (a seeded subset) or flips / pairs are turned off. Random linear transforms are added per
 * `profile.linear`. Every sample records its source files and parents.
 *
 * Means are taken of the normalised inputs, not of the 400 px crops as the original did: the
 * mean is pixel-wise, so the central crop of a mean equals the mean of central crops, at a
 * sixteenth of the cost. Sources are read one at a time; a source that cannot be used is
 * skipped, reported through `onWarning` and listed in `skipped`.
 *
 * @param images - the positive images (or sources, or skipped sources)
 * @param profile - a resolved profile ({@link resolveProfile})
 * @param opts - see {@link BuildOptions}
 */
export async function buildPositiveSet(
  images: ImageInputs,
  profile: TargetProfile,
  opts: BuildOptions = {},
): Promise<Dataset> {
  const label = opts.label ?? profile.classes.length - 1;
  const exclude = new Set(opts.exclude ?? []);
  const builder = new DatasetBuilder(profile.preprocess.inputSize, profile.classes);
  // Rejected flips keep their place in the pool (without a sample), so that rejecting one
  // leaves the pairs chosen among the others, and so every other geometric mean, unchanged.
  const pool: PoolEntry[] = [];
  await walk(images, profile, label, opts, exclude, builder, (base) => {
    const at = builder.length - 1;
    pool.push({ index: at, id: base.id, cid: base.cid });
    if (profile.positive.flips) {
      const input = builder.image(at);
      for (const how of FLIPS) {
        const id = `${base.id}:flip-${how}`;
        const cid = base.cid === undefined ? undefined : `${base.cid}:flip-${how}`;
        if (exclude.has(id) || (cid !== undefined && exclude.has(cid))) {
          pool.push({ index: undefined, id, cid });
          continue;
        }
        builder.add(flip(input, how), {
          ...base.info,
          id,
          ...(cid !== undefined ? { contentId: cid } : {}),
          transforms: [...base.info.transforms, `flip:${how}`],
          parents: [base.id],
        });
        pool.push({ index: builder.length - 1, id, cid });
      }
    }
    addLinear(builder, base, profile, exclude);
  });
  if (profile.positive.geometricMeanPairs && pool.length > 1) {
    const total = (pool.length * (pool.length - 1)) / 2;
    const rng = createRng((opts.seed ?? DEFAULT_BUILD_OPTIONS.seed) ^ 0x5eed);
    const wanted =
      total > profile.positive.maxPairs
        ? choosePairs(total, profile.positive.maxPairs, rng)
        : undefined;
    let pairIndex = 0;
    let next = 0;
    for (let a = 0; a < pool.length; a++) {
      for (let b = a + 1; b < pool.length; b++, pairIndex++) {
        if (wanted) {
          if (wanted[next] !== pairIndex) continue;
          next++;
        }
        const pa = pool[a];
        const pb = pool[b];
        if (pa.index === undefined || pb.index === undefined) continue;
        const ia = builder.info(pa.index);
        const ib = builder.info(pb.index);
        const id = `gm(${ia.id}|${ib.id})`;
        const cid =
          pa.cid !== undefined && pb.cid !== undefined ? `gm(${pa.cid}|${pb.cid})` : undefined;
        if (exclude.has(id) || (cid !== undefined && exclude.has(cid))) continue;
        const sources = [...new Set([...ia.sources, ...ib.sources])];
        const info: SampleInfo = {
          id,
          label,
          source: ia.source,
          sources,
          transforms: ['geometric-mean'],
          parents: [ia.id, ib.id],
        };
        if (cid !== undefined) info.contentId = cid;
        if (ia.hash !== undefined) info.hash = ia.hash;
        builder.add(geometricMean(builder.image(pa.index), builder.image(pb.index)), info);
      }
    }
  }
  return builder.build(profileRef(profile));
}

/**
 * The negative set: each usable image preprocessed once with `profile` (label 0 unless
 * `opts.label` says otherwise), plus random linear transforms per `profile.linear`. Sources
 * are read one at a time and only model inputs are kept; unusable ones are skipped and
 * reported.
 *
 * @param images - the negative images (or sources, or skipped sources)
 * @param profile - a resolved profile ({@link resolveProfile})
 * @param opts - see {@link BuildOptions}
 */
export async function buildNegativeSet(
  images: ImageInputs,
  profile: TargetProfile,
  opts: BuildOptions = {},
): Promise<Dataset> {
  const exclude = new Set(opts.exclude ?? []);
  const builder = new DatasetBuilder(profile.preprocess.inputSize, profile.classes);
  await walk(images, profile, opts.label ?? 0, opts, exclude, builder, (base) =>
    addLinear(builder, base, profile, exclude),
  );
  return builder.build(profileRef(profile));
}
