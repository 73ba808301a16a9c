/**
 * The label store on disk (Node): reading and appending `labels.jsonl`, and finding a labelled
 * file again by the hash of its data wherever it has moved.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { DatasetError, PipelineError } from '../core/errors.js';
import { JsonLinesWriter, readJsonLines } from '../core/jsonl.node.js';
import type { Image2D } from '../core/image2d.js';
import {
  DEFAULT_HARD_NEGATIVE_WEIGHT,
  labelledInputDataset,
  planLabels,
  type LabelledInput,
} from './apply-labels.js';
import { fitsDataHash } from './content-hash.node.js';
import { concatDatasets, type Dataset } from './dataset.js';
import {
  buildNegativeSetFromFiles,
  buildPositiveSetFromFiles,
  listFitsFiles,
  preprocessFile,
  type FileSource,
} from './files.node.js';
import {
  formatLabelLine,
  LABEL_PEAK_TOLERANCE,
  latestLabels,
  parseLabel,
  sameObject,
  type LabelRecord,
} from './labels.js';
import type { TargetProfile } from './profile.js';

/** What {@link readLabels} found. */
export interface ReadLabelsResult {
  /** Every label, in file order (files in the order given). */
  labels: LabelRecord[];
  /** Files whose last line was torn (a write cut short) and was ignored. */
  torn: string[];
}

/**
 * Read one or more label stores (`labels.jsonl`, as `appendLabels` and the review page write
 * them). A torn last line (a crash mid-write) is ignored and reported in `torn`; every other
 * line must be a valid label.
 *
 * @param paths - the files, read in this order (a later decision about an id wins)
 * @throws DatasetError naming the file (and line) when one is missing, damaged before its last
 *   line, or holds a line that is not a label
 */
export async function readLabels(paths: string | readonly string[]): Promise<ReadLabelsResult> {
  const labels: LabelRecord[] = [];
  const torn: string[] = [];
  for (const path of typeof paths === 'string' ? [paths] : paths) {
    try {
      await stat(path);
    } catch (err) {
      throw new DatasetError(
        `${path}: cannot read the label store (${(err as Error).message})`,
        path,
        { cause: err },
      );
    }
    let read;
    try {
      read = await readJsonLines(path);
    } catch (err) {
      if (!(err instanceof PipelineError)) throw err;
      throw new DatasetError(err.message, path, { cause: err });
    }
    read.records.forEach((r, i) => labels.push(parseLabel(r, `${path}:${i + 1}`)));
    if (read.torn) torn.push(path);
  }
  return { labels, torn };
}

/**
 * Append labels to a store (created when absent), one line each, each fsync'd: an earlier
 * torn last line is cut off first so the new lines never glue onto it.
 *
 * @param path - the label store
 * @param labels - the labels to append, in order
 * @throws DatasetError naming the file when it cannot be written
 */
export async function appendLabels(path: string, labels: readonly LabelRecord[]): Promise<void> {
  let writer: JsonLinesWriter | undefined;
  try {
    writer = await JsonLinesWriter.open(path);
    for (const l of labels) await writer.append(JSON.parse(formatLabelLine(l)));
  } catch (err) {
    if (!(err instanceof PipelineError)) throw err;
    throw new DatasetError(err.message, path, { cause: err });
  } finally {
    await writer?.close();
  }
}

/** Options of {@link locateLabelledFiles}. */
export interface LocateOptions {
  /** Folders whose FITS files are hashed to find labelled images that moved. Default none. */
  dirs?: readonly string[];
  /** Folder that relative `object.path` hints start from, besides the working folder (the label store's). */
  base?: string;
}

/**
 * Find the FITS file of each labelled object by its content hash: first where the label says it
 * was (`object.path`, from `base` or the working folder), then among the FITS files of `dirs`.
 * A file counts only when its data hashes to the label's hash, so a path that now holds other
 * pixels is never used.
 *
 * @param labels - the labels whose files are wanted
 * @param opts - see {@link LocateOptions}
 * @returns the path of each hash found; hashes absent from the map were not found
 */
export async function locateLabelledFiles(
  labels: readonly LabelRecord[],
  opts: LocateOptions = {},
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const wanted = new Set(labels.map((l) => l.object.hash));
  const tryPath = async (path: string, hdu?: number): Promise<void> => {
    try {
      const { hash } = await fitsDataHash(path, hdu);
      if (wanted.has(hash) && !found.has(hash)) found.set(hash, path);
    } catch {
      // not a readable FITS image: not the file
    }
  };
  for (const l of labels) {
    const hint = l.object.path;
    if (hint === undefined || found.has(l.object.hash)) continue;
    const places = isAbsolute(hint)
      ? [hint]
      : [...(opts.base !== undefined ? [resolve(opts.base, hint)] : []), resolve(hint)];
    for (const p of places) {
      await tryPath(p, l.object.hdu);
      if (found.has(l.object.hash)) break;
    }
  }
  for (const dir of opts.dirs ?? []) {
    if ([...wanted].every((h) => found.has(h))) break;
    let files: string[];
    try {
      files = await listFitsFiles(dir);
    } catch {
      continue;
    }
    for (const f of files) await tryPath(f);
  }
  return found;
}

/** Options of {@link planLabelledSources} and {@link buildLabelledCandidates}. */
export interface LabelledSourceOptions extends LocateOptions {
  /** Loss weight of a rejected candidate. Default {@link DEFAULT_HARD_NEGATIVE_WEIGHT}. */
  hardNegativeWeight?: number;
  /** Pixels within which two peaks are one object. Default {@link LABEL_PEAK_TOLERANCE}. */
  tolerance?: number;
}

/** What `prepare` builds after the decisions: file lists for the builders and ids to leave out. */
export interface LabelledSources {
  /** The positive files, then the kept candidates (cropped around their peaks). */
  positives: FileSource[];
  /** The negative files (rejected ones weighted), then the rejected candidates. */
  negatives: FileSource[];
  /** Sample ids to leave out (`BuildOptions.exclude`): rejected and unsure samples, and images that changed class. */
  exclude: string[];
  /** Candidate decisions whose image was not found (by content hash) in the folders searched. */
  missing: LabelRecord[];
  /** Candidates marked unsure: left out. */
  unsure: LabelRecord[];
}

/**
 * Turn a label store's decisions into what `prepare` builds from: the positive and negative file
 * lists with each kept candidate added to the positives (cropped around its own peak, so it is
 * augmented as they are) and each rejected candidate to the negatives with the hard-negative
 * weight; a decision about the brightest object of a file already listed changes that entry
 * instead (a negative kept moves to the positives, a positive rejected moves to the negatives,
 * a negative rejected gets the weight). Rejected and unsure samples go to `exclude`. Labelled
 * images are found by content hash: among the listed files, then where the label says the file
 * was, then in `dirs`. Decisions come in id order, so one store gives one dataset.
 *
 * @param labels - every label read
 * @param files - the positive and negative file paths (e.g. from `listFitsFiles`)
 * @param profile - the profile the dataset is prepared with (finds each listed file's peak)
 * @param opts - see {@link LabelledSourceOptions}
 */
export async function planLabelledSources(
  labels: readonly LabelRecord[],
  files: { positives: readonly string[]; negatives: readonly string[] },
  profile: TargetProfile,
  opts: LabelledSourceOptions = {},
): Promise<LabelledSources> {
  const plan = planLabels(labels);
  const weight = opts.hardNegativeWeight ?? DEFAULT_HARD_NEGATIVE_WEIGHT;
  const tolerance = opts.tolerance ?? LABEL_PEAK_TOLERANCE;
  const positives: FileSource[] = files.positives.map((path) => ({ path }));
  const negatives: FileSource[] = files.negatives.map((path) => ({ path }));
  const exclude = [...plan.exclude];
  const decided = [...plan.keep, ...plan.reject];
  // Listed files by content hash, with the peak the builders will find in each.
  const listed = new Map<string, { entry: FileSource; list: FileSource[] }[]>();
  for (const list of [positives, negatives]) {
    for (const entry of list) {
      try {
        const { hash } = await fitsDataHash(entry.path);
        if (!decided.some((l) => l.object.hash === hash)) continue;
        const group = listed.get(hash) ?? [];
        group.push({ entry, list });
        listed.set(hash, group);
      } catch {
        // unreadable: the builder reports it
      }
    }
  }
  const unlisted: LabelRecord[] = [];
  for (const l of decided) {
    let matched = false;
    for (const { entry, list } of listed.get(l.object.hash) ?? []) {
      const pre = await preprocessFile(entry.path, profile, { hdu: l.object.hdu }).catch(
        () => undefined,
      );
      if (pre === undefined || !sameObject({ ...l.object, peak: pre.peak }, l.object, tolerance))
        continue;
      matched = true;
      const isPositive = list === positives;
      if (l.label === 'keep' && !isPositive) {
        negatives.splice(negatives.indexOf(entry), 1);
        positives.push({ path: entry.path, reviewed: 'keep' });
      } else if (l.label === 'reject' && isPositive) {
        positives.splice(positives.indexOf(entry), 1);
        negatives.push({ path: entry.path, reviewed: 'reject', weight });
      } else if (l.label === 'reject') {
        entry.reviewed = 'reject';
        entry.weight = weight;
      } else entry.reviewed = 'keep';
      break;
    }
    if (!matched) unlisted.push(l);
  }
  const located = await locateLabelledFiles(unlisted, opts);
  const missing: LabelRecord[] = [];
  for (const l of unlisted) {
    const path = located.get(l.object.hash);
    if (path === undefined) {
      missing.push(l);
      continue;
    }
    const center: [number, number] = [l.object.peak[0], l.object.peak[1]];
    if (l.label === 'keep') positives.push({ path, center, reviewed: 'keep' });
    else negatives.push({ path, center, reviewed: 'reject', weight });
  }
  return { positives, negatives, exclude, missing, unsure: plan.unsure };
}

/** What {@link buildLabelledCandidates} made. */
export interface LabelledCandidates {
  /** The labelled candidates as samples (kept: positives; rejected: weighted negatives). */
  dataset: Dataset | undefined;
  /** Decisions whose image was found neither as a file nor among the given inputs. */
  missing: LabelRecord[];
}

/**
 * Samples for candidate decisions about objects a dataset does not hold (the `unmatched` of
 * `applyLabelsToDataset`): each labelled image is found by content hash (where the label says it
 * was, then in `dirs`) and built with the profile as the builders build positives (kept) and
 * negatives (rejected, weighted), cropped around the labelled peak; a candidate whose file is
 * gone but whose model input is in `inputs` (a run's saved inputs, by label id) is added as that
 * input. The same labels and files give the same samples.
 *
 * @param labels - candidate decisions (keep or reject)
 * @param profile - the profile of the dataset they join
 * @param opts - see {@link LabelledSourceOptions}; `inputs` by label id; `seed` of the builders
 */
export async function buildLabelledCandidates(
  labels: readonly LabelRecord[],
  profile: TargetProfile,
  opts: LabelledSourceOptions & { inputs?: ReadonlyMap<string, Image2D>; seed?: number } = {},
): Promise<LabelledCandidates> {
  const weight = opts.hardNegativeWeight ?? DEFAULT_HARD_NEGATIVE_WEIGHT;
  const sorted = latestLabels(labels).filter((l) => l.kind === 'candidate' && l.label !== 'unsure');
  const located = await locateLabelledFiles(sorted, opts);
  const pos: FileSource[] = [];
  const neg: FileSource[] = [];
  const fromInputs: LabelledInput[] = [];
  const missing: LabelRecord[] = [];
  for (const l of sorted) {
    const path = located.get(l.object.hash);
    const center: [number, number] = [l.object.peak[0], l.object.peak[1]];
    if (path !== undefined) {
      if (l.label === 'keep') pos.push({ path, center, reviewed: 'keep' });
      else neg.push({ path, center, reviewed: 'reject', weight });
    } else {
      const input = opts.inputs?.get(l.id);
      if (input !== undefined) fromInputs.push({ label: l, input });
      else missing.push(l);
    }
  }
  const seed = opts.seed ?? 0;
  const parts: Dataset[] = [];
  if (neg.length > 0) parts.push(await buildNegativeSetFromFiles(neg, profile, { seed: seed + 1 }));
  if (pos.length > 0) parts.push(await buildPositiveSetFromFiles(pos, profile, { seed }));
  if (fromInputs.length > 0)
    parts.push(labelledInputDataset(fromInputs, profile.classes, { hardNegativeWeight: weight }));
  const nonEmpty = parts.filter((p) => p.labels.length > 0);
  return {
    dataset: nonEmpty.length > 0 ? concatDatasets(nonEmpty) : undefined,
    missing,
  };
}
