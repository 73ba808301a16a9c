import { writeFileAtomic } from '../core/atomic.node.js';
import { readFile } from 'node:fs/promises';
import { makeDirectory } from '../core/files.node.js';
import { join } from 'node:path';
import ndarray from 'ndarray';
import { DatasetError, systemErrorText } from '../core/errors.js';
import { createImage2D } from '../core/image2d.js';
import { VERSION } from '../core/version.js';
import { readNpyFile, writeNpyFile } from '../fits/index.node.js';
import { cropCenter, normalize, resize } from '../image/index.js';
import type { Dataset, ProfileRef, SampleInfo, SkippedSource } from './dataset.js';
import { classCounts, DatasetBuilder } from './dataset.js';
import { baseName } from './internal.js';
import type { TargetProfile } from './profile.js';
import { profileHash, profileRef, resolveSavedProfile } from './profile.js';

/** The `manifest.json` that {@link saveDataset} writes beside `images.npy` and `labels.npy`. */
export interface DatasetManifest {
  /** Always `'alma-classifier-dataset'`. */
  format: 'alma-classifier-dataset';
  /** Layout version of this manifest (1). */
  formatVersion: 1;
  /** Library version that wrote it. */
  library: string;
  /**
   * Profile name and hash (and, for datasets built from a profile, its settings, which `train`
   * uses), or null when unknown.
   */
  profile: ProfileRef | null;
  /** Class names by label. */
  classNames: string[];
  /** Shape of `images.npy`: `[n, h, w, 1]`. */
  shape: [number, number, number, number];
  /** Samples per class name. */
  counts: Record<string, number>;
  /** Provenance of every sample, in image order (with split membership when split). */
  samples: SampleInfo[];
  /** Sources the builders skipped, and why. */
  skipped: SkippedSource[];
}

const writeAtomic = writeFileAtomic;

/**
 * Save a dataset to `dir` (created if needed): `images.npy` (float32 `[n, h, w, 1]`),
 * `labels.npy` (int32 `[n]`), both as NumPy loads them (`np.load`), and `manifest.json` (profile
 * name and hash, class names, counts, provenance and split membership of every sample, skipped
 * sources, library version). Nothing time-dependent is written, so the same dataset always gives
 * byte-identical files; each file lands as `name.part` and is then renamed.
 *
 * @param ds - the dataset
 * @param dir - the output directory
 * @throws DatasetError when the dataset's arrays disagree with its shape
 */
export async function saveDataset(ds: Dataset, dir: string): Promise<void> {
  const [n, h, w, c] = ds.shape;
  if (ds.images.length !== n * h * w * c || ds.labels.length !== n || ds.samples.length !== n) {
    throw new DatasetError(
      `${dir}: dataset shape [${ds.shape.join(', ')}] disagrees with ${ds.images.length} pixels, ${ds.labels.length} labels, ${ds.samples.length} samples`,
      dir,
    );
  }
  try {
    await makeDirectory(dir);
  } catch (err) {
    throw new DatasetError(
      `${dir}: cannot create the dataset folder: ${systemErrorText(err)}`,
      dir,
      {
        cause: err,
      },
    );
  }
  await writeNpyFile(join(dir, 'images.npy'), ndarray(ds.images, [n, h, w, c]));
  await writeNpyFile(join(dir, 'labels.npy'), ndarray(ds.labels, [n]));
  const manifest: DatasetManifest = {
    format: 'alma-classifier-dataset',
    formatVersion: 1,
    library: VERSION,
    profile: ds.profile
      ? {
          name: ds.profile.name,
          hash: ds.profile.hash,
          ...(ds.profile.settings ? { settings: ds.profile.settings } : {}),
        }
      : null,
    classNames: ds.classNames,
    shape: [n, h, w, c],
    counts: classCounts(ds),
    samples: ds.samples,
    skipped: ds.skipped,
  };
  await writeAtomic(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Options of {@link loadDataset}. */
export interface LoadDatasetOptions {
  /** When given, refuse a dataset prepared with a different profile (by hash). Default: accept any. */
  profile?: TargetProfile;
}

/**
 * Load a dataset that {@link saveDataset} wrote, checking that the arrays and the manifest agree.
 *
 * @param dir - the dataset directory
 * @param opts - see {@link LoadDatasetOptions}
 * @throws DatasetError naming the file when one is missing, malformed or inconsistent, or when
 *   `opts.profile` does not match the manifest's profile hash
 */
export async function loadDataset(dir: string, opts: LoadDatasetOptions = {}): Promise<Dataset> {
  const manifestPath = join(dir, 'manifest.json');
  let manifest: DatasetManifest;
  try {
    manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as DatasetManifest;
  } catch (err) {
    throw new DatasetError(
      `${manifestPath}: cannot read the dataset manifest (${(err as Error).message})`,
      manifestPath,
      {
        cause: err,
      },
    );
  }
  if (
    manifest.format !== 'alma-classifier-dataset' ||
    !Array.isArray(manifest.samples) ||
    !Array.isArray(manifest.classNames)
  ) {
    throw new DatasetError(
      `${manifestPath}: not an alma-classifier dataset manifest`,
      manifestPath,
    );
  }
  const load = async (name: string): Promise<ndarray.NdArray> => {
    try {
      return await readNpyFile(join(dir, name));
    } catch (err) {
      throw new DatasetError(`${join(dir, name)}: ${(err as Error).message}`, join(dir, name), {
        cause: err,
      });
    }
  };
  const images = await load('images.npy');
  const labels = await load('labels.npy');
  const n = manifest.samples.length;
  if (
    !(images.data instanceof Float32Array) ||
    images.shape.length !== 4 ||
    images.shape[0] !== n ||
    images.shape[3] !== 1
  ) {
    throw new DatasetError(
      `${join(dir, 'images.npy')}: expected float32 [${n}, h, w, 1] to match the manifest, got shape [${images.shape.join(', ')}]`,
      join(dir, 'images.npy'),
    );
  }
  if (!(labels.data instanceof Int32Array) || labels.shape.length !== 1 || labels.shape[0] !== n) {
    throw new DatasetError(
      `${join(dir, 'labels.npy')}: expected int32 [${n}] to match the manifest`,
      join(dir, 'labels.npy'),
    );
  }
  const labelData = labels.data as Int32Array;
  manifest.samples.forEach((s, i) => {
    if (s.label !== labelData[i]) {
      throw new DatasetError(
        `${join(dir, 'labels.npy')}: label ${labelData[i]} of sample ${s.id} disagrees with the manifest (${s.label})`,
        dir,
      );
    }
  });
  const ref = manifest.profile;
  if (ref !== null && ref !== undefined) {
    if (typeof ref !== 'object' || typeof ref.name !== 'string' || typeof ref.hash !== 'string') {
      throw new DatasetError(`${manifestPath}: profile is not { name, hash }`, manifestPath);
    }
    if (ref.settings !== undefined) {
      // JSON wrote Infinity as null; resolveProfile reads it back, and the hash proves it whole.
      // Read as a saved profile: one written before a default changed (crops on the sky, the
      // cosine learning rate) resolves to the settings it was prepared with, and its hash.
      let settings: TargetProfile;
      try {
        settings = resolveSavedProfile(ref.settings);
      } catch (err) {
        throw new DatasetError(
          `${manifestPath}: the profile settings are not a valid profile (${(err as Error).message})`,
          manifestPath,
          { cause: err },
        );
      }
      if (profileHash(settings) !== ref.hash) {
        throw new DatasetError(
          `${manifestPath}: the profile settings do not match the profile hash ${ref.hash} (edited by hand?)`,
          manifestPath,
        );
      }
      ref.settings = settings;
    }
  }
  if (opts.profile && manifest.profile && manifest.profile.hash !== profileHash(opts.profile)) {
    throw new DatasetError(
      `${manifestPath}: prepared with profile ${manifest.profile.name} (hash ${manifest.profile.hash}), not with ${opts.profile.name} (hash ${profileHash(opts.profile)})`,
      manifestPath,
    );
  }
  const ds: Dataset = {
    images: images.data as Float32Array,
    shape: [n, images.shape[1], images.shape[2], 1],
    labels: labelData,
    classNames: manifest.classNames,
    samples: manifest.samples,
    skipped: manifest.skipped ?? [],
  };
  if (manifest.profile) ds.profile = manifest.profile;
  return ds;
}

/** One `.npy` file of crops for {@link importNpyCrops}. */
export interface NpyCropFile {
  /** Path of a `[n, h, w]` (or `[h, w]`) float `.npy`, e.g. the original's 400x400 crops. */
  path: string;
  /** Class index of every crop in the file. */
  label: number;
}

/**
 * Import the original pipeline's saved crops (`.npy` arrays `[n, 400, 400]`, one file per class
 * or several) as a {@link Dataset}: each crop becomes an input the way `profile.preprocess`
 * makes one from a crop (central `inputSize` or resize, then normalisation). Sample ids are
 * `<file name>[i]`; the geometric means in such files cannot be told from their parents, so
 * split such a dataset with care (see the datasets guide).
 *
 * @param files - the `.npy` files and their labels
 * @param profile - a resolved profile (`inputSize`, `inputMode`, `normalize` are used)
 * @throws DatasetError naming the file when it is not a 2-D or 3-D float array
 */
export async function importNpyCrops(
  files: NpyCropFile[],
  profile: TargetProfile,
): Promise<Dataset> {
  const pp = profile.preprocess;
  const builder = new DatasetBuilder(pp.inputSize, profile.classes);
  for (const { path, label } of files) {
    let arr: ndarray.NdArray;
    try {
      arr = await readNpyFile(path);
    } catch (err) {
      throw new DatasetError(`${path}: ${(err as Error).message}`, path, { cause: err });
    }
    const shape = arr.shape.length === 2 ? [1, ...arr.shape] : arr.shape;
    if (
      shape.length !== 3 ||
      !(arr.data instanceof Float32Array || arr.data instanceof Float64Array)
    ) {
      throw new DatasetError(
        `${path}: expected a float [n, h, w] array of crops, got shape [${arr.shape.join(', ')}]`,
        path,
      );
    }
    const [count, h, w] = shape;
    const data = arr.data instanceof Float32Array ? arr.data : Float32Array.from(arr.data);
    for (let i = 0; i < count; i++) {
      const crop = createImage2D(h, w, data.subarray(i * h * w, (i + 1) * h * w));
      let input =
        pp.inputMode === 'resize'
          ? resize(normalize(crop, { method: 'none', nan: 0 }), [pp.inputSize, pp.inputSize], {
              order: 1,
              antiAlias: true,
            })
          : cropCenter(crop, { size: pp.inputSize });
      input = normalize(input, { method: pp.normalize, nan: 0 });
      builder.add(input, {
        id: `${baseName(path)}[${i}]`,
        label,
        source: path,
        // The original saved no provenance, so each crop is its own group when splitting.
        sources: [`${path}[${i}]`],
        transforms: [
          pp.inputMode === 'resize' ? `resize:${pp.inputSize}` : `center-crop:${pp.inputSize}`,
          `normalize:${pp.normalize}`,
        ],
      });
    }
  }
  return builder.build(profileRef(profile));
}
