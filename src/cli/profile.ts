import { readFile } from 'node:fs/promises';
import { DatasetError } from '../core/errors.js';
import { join } from 'node:path';
import type { Dataset } from '../dataset/dataset.js';
import {
  dustInWind,
  originalDustInWind,
  profileHash,
  resolveProfile,
  type TargetProfile,
  type TargetProfileInput,
} from '../dataset/profile.js';

/**
 * The profile of a `--profile FILE.json` flag: the file's fields over dust-in-wind's, validated;
 * dust-in-wind itself when no file is given.
 *
 * @throws DatasetError naming the file when it cannot be read, is not JSON, or is not a valid profile
 */
export async function loadProfile(path: string | undefined): Promise<TargetProfile> {
  if (path === undefined) return dustInWind;
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new DatasetError(`${path}: cannot read the profile (${(err as Error).message})`, path, {
      cause: err,
    });
  }
  try {
    return resolveProfile(parsed as TargetProfileInput);
  } catch (err) {
    throw new DatasetError(`${path}: ${(err as Error).message}`, path, { cause: err });
  }
}

/**
 * The profile a dataset in `dir` was prepared with, for training on it: the settings its
 * manifest holds; for a manifest that holds only a name and hash, the built-in profile with that
 * hash; dust-in-wind for a dataset that names no profile.
 *
 * @throws DatasetError naming the manifest when it names a profile it does not hold and that is
 *   not built in (pass that profile with `--profile`)
 */
export function datasetProfile(ds: Dataset, dir: string): TargetProfile {
  const ref = ds.profile;
  if (ref === undefined) return dustInWind;
  if (ref.settings !== undefined) return ref.settings;
  const builtIn = [dustInWind, originalDustInWind].find((p) => profileHash(p) === ref.hash);
  if (builtIn !== undefined) return builtIn;
  const manifest = join(dir, 'manifest.json');
  throw new DatasetError(
    `${manifest}: prepared with profile ${ref.name} (hash ${ref.hash}), whose settings it does not hold; pass that profile with --profile`,
    manifest,
  );
}
