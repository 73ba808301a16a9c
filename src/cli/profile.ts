import { readFile } from 'node:fs/promises';
import { DatasetError } from '../core/errors.js';
import {
  dustInWind,
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
