/**
 * What `classify` leaves on disk and `report` reads back (Node): `candidates.json`, the four
 * catalogues beside it, and `thumbs/` with each candidate's model input (PNG) and its crop on
 * the sky (FITS, north up, with its own WCS).
 */
import { readFile, mkdir } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { writeFileAtomic } from '../core/atomic.node.js';
import { AlmaClassifierError, PipelineError } from '../core/errors.js';
import { writeFits } from '../fits/write.js';
import { readNpy, writeNpy } from '../fits/npy.js';
import ndarray from 'ndarray';
import { createImage2D, toContiguous, type Image2D } from '../core/image2d.js';
import { readFits } from '../fits/read.node.js';
import type { FitsHeader } from '../fits/header.js';
import type { CatalogueVotableMeta } from '../report/catalogue.js';
import { renderPng } from '../report/render.js';
import type { ReportData } from '../report/types.js';
import { northUpCutout } from '../wcs/north-up.js';
import { parseWcs } from '../wcs/parse.js';
import { writeCandidateCatalogues, type WrittenCatalogues } from './catalogue.node.js';
import type { Candidate } from './classify.js';
import { positionLabel, skyViewOf, toReportData, type SkyViewExtras } from './report-data.js';

/** One entry of `candidates.json`: a {@link Candidate} without its pixels, with where they went. */
export interface CandidateRecord extends Omit<Candidate, 'input' | 'skyCutout'> {
  /** The model input as a PNG, relative to the JSON file's folder. */
  thumbnail?: string;
  /** The crop on the sky, north up, as FITS with its own WCS, relative to the JSON file's folder. */
  skyFits?: string;
  /** Whether that crop was resampled to north up (not a plain cut). */
  skyResampled?: boolean;
  /** Whether the candidate is labelled with the target class (when the writer knew it). */
  positive?: boolean;
  /**
   * Index of the candidate's model input in `inputs.npy` beside the JSON file (float32
   * `[n, size, size]`, exactly what the model scored), for `review` and `retrain`.
   */
  inputIndex?: number;
}

/** File name of the model inputs {@link writeCandidateFiles} writes beside `candidates.json`. */
export const CANDIDATE_INPUTS_FILE = 'inputs.npy';

/** Options of {@link writeCandidateFiles}. */
export interface WriteCandidateFilesOptions {
  /**
   * Write `thumbs/` (each candidate's model input as PNG and its sky crop as FITS) for the
   * candidates that kept them (`keepInputs`). Default true.
   */
  thumbnails?: boolean;
  /** VOTable metadata of `candidates.vot`. */
  meta?: CatalogueVotableMeta;
  /** The target class's label: records get `positive` from it (`report --positives-only` uses it). */
  positiveLabel?: string;
}

/** What {@link writeCandidateFiles} wrote. */
export interface WrittenCandidateFiles {
  /** `candidates.json`. */
  json: string;
  /** The catalogues beside it. */
  catalogues: WrittenCatalogues['paths'];
  /** Files written in `thumbs/`. */
  thumbnails: string[];
  /** `inputs.npy`, when some candidate kept its input. */
  inputs?: string;
  /** Positions the catalogues converted or left out. */
  warnings: string[];
}

/** A file name's stem, safe in any file system. @internal */
export function safeStem(name: string): string {
  return name
    .replace(/\.fits(\.gz)?$/i, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .slice(0, 120);
}

/**
 * Write what `classify` produces: `candidates.json` (the candidates without their pixels, each
 * with the paths of its thumbnails), the four catalogues beside it (`candidates.csv`, `.vot`,
 * `.reg`, `.crtf`) and `thumbs/`: per candidate that kept its input, the input as PNG and its
 * crop on the sky as FITS with the crop's own WCS (`northUpCutout` with the header), which
 * `report` draws. Every file lands as `name.part` and is renamed.
 *
 * @param candidates - from `classify` (with `keepInputs` for thumbnails)
 * @param jsonPath - where `candidates.json` goes; its folder is created
 * @param opts - see {@link WriteCandidateFilesOptions}
 */
export async function writeCandidateFiles(
  candidates: readonly Candidate[],
  jsonPath: string,
  opts: WriteCandidateFilesOptions = {},
): Promise<WrittenCandidateFiles> {
  const dir = dirname(jsonPath);
  await mkdir(dir, { recursive: true });
  const thumbnails: string[] = [];
  const records: CandidateRecord[] = [];
  const thumbsDir = join(dir, 'thumbs');
  const inputs: Image2D[] = [];
  for (const [i, c] of candidates.entries()) {
    const { input, skyCutout, ...rest } = c;
    const record: CandidateRecord = {
      ...rest,
      ...(opts.positiveLabel !== undefined ? { positive: c.label === opts.positiveLabel } : {}),
    };
    if (input !== undefined && (inputs.length === 0 || sameShape(inputs[0], input))) {
      record.inputIndex = inputs.length;
      inputs.push(input);
    }
    if ((opts.thumbnails ?? true) && (input !== undefined || skyCutout !== undefined)) {
      await mkdir(thumbsDir, { recursive: true });
      const stem = `${String(i + 1).padStart(4, '0')}-${safeStem(basename(c.file))}-${c.sourceIndex}`;
      if (input !== undefined) {
        const path = join(thumbsDir, `${stem}-input.png`);
        await writeFileAtomic(path, renderPng(input));
        record.thumbnail = relative(dir, path);
        thumbnails.push(path);
      }
      if (skyCutout?.header !== undefined) {
        const path = join(thumbsDir, `${stem}-sky.fits`);
        await writeFileAtomic(path, writeFits(skyCutout.image, skyCutout.header));
        record.skyFits = relative(dir, path);
        record.skyResampled = skyCutout.resampled;
        thumbnails.push(path);
      }
    }
    records.push(record);
  }
  let inputsPath: string | undefined;
  if (inputs.length > 0) {
    const [h, w] = inputs[0].shape;
    const data = new Float32Array(inputs.length * h * w);
    inputs.forEach((img, k) => data.set(toContiguous(img), k * h * w));
    inputsPath = join(dir, CANDIDATE_INPUTS_FILE);
    await writeFileAtomic(inputsPath, writeNpy(ndarray(data, [inputs.length, h, w])));
  }
  await writeFileAtomic(jsonPath, JSON.stringify(records, null, 2) + '\n');
  const catalogues = await writeCandidateCatalogues(records, jsonPath, opts.meta);
  return {
    json: jsonPath,
    catalogues: catalogues.paths,
    thumbnails,
    ...(inputsPath !== undefined ? { inputs: inputsPath } : {}),
    warnings: catalogues.warnings,
  };
}

function sameShape(a: Image2D, b: Image2D): boolean {
  return a.shape[0] === b.shape[0] && a.shape[1] === b.shape[1];
}

/**
 * The model inputs saved beside a `candidates.json` (`inputs.npy`), by record: the entry of
 * each record with an `inputIndex`; empty when the file is absent (an older run, or one
 * written without inputs).
 *
 * @param records - the records of the JSON file
 * @param dir - the JSON file's folder
 * @throws PipelineError naming the file when it exists but is not a float32 `[n, h, w]` array
 *   holding every index the records name
 */
export async function readCandidateInputs(
  records: readonly CandidateRecord[],
  dir: string,
): Promise<Map<CandidateRecord, Image2D>> {
  const out = new Map<CandidateRecord, Image2D>();
  const path = join(dir, CANDIDATE_INPUTS_FILE);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch {
    return out;
  }
  let arr;
  try {
    arr = readNpy(bytes);
  } catch (err) {
    throw new PipelineError(`${path}: ${(err as Error).message}`, path, { cause: err });
  }
  const [n, h, w] = arr.shape;
  if (arr.shape.length !== 3 || !(arr.data instanceof Float32Array)) {
    throw new PipelineError(`${path}: expected float32 [n, h, w] model inputs`, path);
  }
  const data = arr.data;
  for (const r of records) {
    if (r.inputIndex === undefined) continue;
    if (!(r.inputIndex >= 0 && r.inputIndex < n)) {
      throw new PipelineError(`${path}: no input ${r.inputIndex} (${n} saved)`, path);
    }
    out.set(r, createImage2D(h, w, data.slice(r.inputIndex * h * w, (r.inputIndex + 1) * h * w)));
  }
  return out;
}

/**
 * Read a `candidates.json` that `classify` wrote.
 *
 * @param path - the file
 * @throws PipelineError naming the file when it cannot be read or is not a list of candidates
 */
export async function readCandidateFile(path: string): Promise<CandidateRecord[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new PipelineError(`${path}: cannot read candidates (${(err as Error).message})`, path, {
      cause: err,
    });
  }
  const ok = (x: unknown): x is CandidateRecord =>
    typeof x === 'object' &&
    x !== null &&
    typeof (x as CandidateRecord).file === 'string' &&
    typeof (x as CandidateRecord).score === 'number' &&
    Array.isArray((x as CandidateRecord).peak);
  if (!Array.isArray(parsed) || !parsed.every(ok)) {
    throw new PipelineError(
      `${path}: not a candidates.json written by classify (a list of {file, score, label, sourceIndex, peak, ...})`,
      path,
    );
  }
  return parsed;
}

/** Options of {@link candidateFileReportData}. */
export interface CandidateFileReportOptions {
  /** Page title. */
  title: string;
  /** A line under the title. */
  description?: string;
  /** The folder the records' relative paths start from (the JSON file's). */
  baseDir: string;
  /**
   * Side, in pixels, of a sky crop cut from the candidate's own FITS file when its record has
   * none (a `candidates.json` written without thumbnails). Default 64.
   */
  skySize?: number;
}

/** What the sky figure of a record is drawn with besides its crop. */
function extras(r: CandidateRecord, resampled: boolean): SkyViewExtras {
  const label = positionLabel(r);
  return {
    resampled,
    ...(r.rmsJyBeam !== undefined ? { rms: r.rmsJyBeam } : {}),
    ...(label !== undefined ? { centerLabel: label } : {}),
  };
}

/**
 * The report's data for the candidates of a `candidates.json`: thumbnails read from the
 * records' PNGs, crops on the sky from their FITS (or cut afresh from the candidate's own FITS
 * file, a path from the working folder as `classify` was given it, when the record has none and
 * the file is still there), and every sky column. A missing
 * or unreadable picture leaves a placeholder; it never stops the report.
 *
 * @param records - from {@link readCandidateFile}
 * @param opts - see {@link CandidateFileReportOptions}
 */
export async function candidateFileReportData(
  records: readonly CandidateRecord[],
  opts: CandidateFileReportOptions,
): Promise<ReportData> {
  const data = toReportData({
    title: opts.title,
    ...(opts.description !== undefined ? { description: opts.description } : {}),
    candidates: records,
  });
  const at = (p: string) => resolve(opts.baseDir, p);
  await Promise.all(
    records.map(async (r, i) => {
      const c = data.candidates[i];
      if (r.thumbnail !== undefined) {
        try {
          c.image = new Uint8Array(await readFile(at(r.thumbnail)));
        } catch {
          // a thumbnail deleted since leaves a placeholder
        }
      }
      try {
        if (r.skyFits !== undefined) {
          const f = await readFits(at(r.skyFits));
          if (f.image !== undefined) {
            c.sky = skyViewOf(f.image, f.header, extras(r, r.skyResampled ?? false));
          }
        } else if (r.ra !== undefined) {
          // The candidate's file is named as classify was given it: from the working folder.
          const f = await readFits(resolve(r.file));
          if (f.image !== undefined) {
            const cut = northUpCutout(f.image, parseWcs(f.header, { source: r.file }), r.peak, {
              size: opts.skySize ?? 64,
              header: f.header,
            });
            c.sky = skyViewOf(cut.image, cut.header as FitsHeader, extras(r, cut.resampled));
          }
        }
      } catch (err) {
        if (!(err instanceof AlmaClassifierError) && !(err instanceof RangeError)) throw err;
        // no sky picture: the row still lists the position and fluxes
      }
    }),
  );
  return data;
}
