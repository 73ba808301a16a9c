/**
 * `alma-classifier review <run>` (Node): the candidates of a `classify` or `classify-archive`
 * run, re-scored with a model (with MC-dropout uncertainty), the ones to review next chosen
 * (highest scores, most uncertain, a few at random; anything already in the label store left
 * out), saliency for those, and one review page that decides, exports label-store lines and,
 * with the model's weights in it, retrains in the browser.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../core/atomic.node.js';
import { toContiguous, type Image2D } from '../core/image2d.js';
import { PipelineError } from '../core/errors.js';
import { fitsDataHash } from '../dataset/content-hash.node.js';
import type { Dataset } from '../dataset/dataset.js';
import { preprocessFile } from '../dataset/files.node.js';
import { labelId, latestLabels, type LabelRecord } from '../dataset/labels.js';
import type { TargetProfile } from '../dataset/profile.js';
import { applyTemperature } from '../model/calibration.js';
import { centralLevel, compareToInputRange } from '../model/input-range.js';
import type { LoadedModel } from '../model/io.js';
import { describeTta, scoreWithModel } from '../model/tta.js';
import { occlusionSaliency } from '../model/saliency.js';
import { predictWithUncertainty } from '../model/uncertainty.js';
import { toBase64 } from '../report/html.js';
import {
  buildRunReviewHtml,
  type RunReviewCandidate,
  type RunReviewRetrain,
} from '../report/run-review-html.js';
import { renderSaliencyOverlay } from '../report/saliency-png.js';
import {
  readCandidateFile,
  readCandidateInputs,
  type CandidateRecord,
} from './candidate-files.node.js';
import { modelThreshold, profileForModel } from './classify.js';
import { mergeResults, RUN_FILES } from './merge.node.js';
import {
  DEFAULT_REVIEW_SELECTION_OPTIONS,
  replayIndices,
  selectForReview,
  type ReviewPick,
  type ReviewReason,
  type ReviewSelectionOptions,
} from './retrain.js';
import type { ReviewPayload } from './review-payload.js';

/** One candidate of a run, as `review` and `retrain` use it. */
export interface RunCandidate {
  /** The object's stable id (`<hash>:<hdu>:<row>,<col>`), or `<file>#<object>` when its image's content is unknown. */
  id: string;
  /** Content hash of the image, when known. */
  hash?: string;
  /** The file as the run named it. */
  file: string;
  /** The FITS file found for it (hash-checked), when it is at hand. */
  path?: string;
  /** HDU of the image. */
  hdu: number;
  /** The object's peak, `[row, col]`. */
  peak: [number, number];
  /** Index of the object within its image. */
  sourceIndex: number;
  /** The run's score. */
  score: number;
  /** Position on the sky as text. */
  position?: string;
  /** Peak signal-to-noise. */
  snr?: number;
  /** The object's name. */
  objectName?: string;
  /** The model input (saved by the run, or prepared again from the file). */
  input?: Image2D;
  /** The run's thumbnail (PNG), when it saved one. */
  thumbnail?: Uint8Array;
}

/** What {@link readRunCandidates} found. */
export interface RunCandidates {
  /** `classify` output (`candidates.json`) or a `classify-archive` run directory. */
  kind: 'classify' | 'archive';
  /** The file or folder read. */
  path: string;
  /** Every scored object of the run, the run's order (highest score first). */
  candidates: RunCandidate[];
  /** What could not be recovered (a file gone, a hash that no longer matches). */
  warnings: string[];
}

/** `candidates.json` of a classify output named by `path` (the file or its folder), else undefined. */
function classifyJson(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  if (statSync(path).isFile()) return path;
  const archive =
    existsSync(join(path, RUN_FILES.candidates)) || existsSync(join(path, RUN_FILES.run));
  return !archive && existsSync(join(path, 'candidates.json'))
    ? join(path, 'candidates.json')
    : undefined;
}

/** The run's file for a record, if it is still there with the same content. */
async function findRunFile(
  file: string,
  dirs: readonly string[],
  hash: string | undefined,
): Promise<string | undefined> {
  const places = [
    resolve(file),
    ...dirs.flatMap((d) => [resolve(d, file), resolve(d, basename(file))]),
  ];
  for (const p of [...new Set(places)]) {
    if (!existsSync(p)) continue;
    if (hash === undefined) return p;
    const found = await fitsDataHash(p).catch(() => undefined);
    if (found?.hash === hash) return p;
  }
  return undefined;
}

function position(r: { raHms?: string; decDms?: string; frame?: string }): string | undefined {
  return r.raHms !== undefined && r.decDms !== undefined
    ? `${r.raHms} ${r.decDms}${r.frame ? ` ${r.frame}` : ''}`
    : undefined;
}

/**
 * The candidates of a run with their model inputs: from `inputs.npy` when `classify` saved it,
 * else prepared again from the candidate's FITS file (found where the run named it, from the
 * working folder or the run's folder, or in a `classify-archive` run's `files/`; used only when
 * its data hash matches the run's), cropped around the candidate's peak with the model's
 * profile. A candidate whose image content is unknown gets a file-name id and no input.
 *
 * @param path - a `candidates.json`, its folder, or a `classify-archive` output folder
 * @param profile - the profile that prepares inputs (the model's)
 * @throws PipelineError naming the path when it is no run
 */
export async function readRunCandidates(
  path: string,
  profile: TargetProfile,
): Promise<RunCandidates> {
  const warnings: string[] = [];
  const json = classifyJson(path);
  const out: RunCandidate[] = [];
  if (json !== undefined) {
    const dir = dirname(resolve(json));
    const records = await readCandidateFile(json);
    const inputs = await readCandidateInputs(records, dir);
    for (const r of records)
      out.push(await fromRecord(r, inputs.get(r), dir, [dir], profile, warnings));
    return { kind: 'classify', path: json, candidates: out, warnings };
  }
  if (!existsSync(path) || !statSync(path).isDirectory()) {
    throw new PipelineError(
      `${path}: not a classify output (candidates.json) or a classify-archive run directory`,
      path,
    );
  }
  const merged = await mergeResults([path]);
  warnings.push(...merged.warnings);
  const filesDir = join(path, 'files');
  for (const r of merged.results) {
    let thumbnail: Uint8Array | undefined;
    if (r.thumbnail !== undefined) {
      thumbnail = await readFile(join(path, r.thumbnail)).then(
        (b) => new Uint8Array(b),
        () => undefined,
      );
    }
    for (const s of r.sources) {
      const rec = {
        ...s,
        file: r.file,
        ...(s.object === undefined && r.product.target !== undefined
          ? { object: r.product.target }
          : {}),
      } as CandidateRecord;
      const c = await fromRecord(rec, undefined, path, [filesDir, path], profile, warnings);
      if (thumbnail !== undefined && s.sourceIndex === r.sources[0]?.sourceIndex)
        c.thumbnail = thumbnail;
      out.push(c);
    }
  }
  return { kind: 'archive', path, candidates: out, warnings };
}

async function fromRecord(
  r: CandidateRecord,
  saved: Image2D | undefined,
  baseDir: string,
  dirs: readonly string[],
  profile: TargetProfile,
  warnings: string[],
): Promise<RunCandidate> {
  const hdu = r.provenance?.hdu ?? 0;
  const peak: [number, number] = [r.peak[0], r.peak[1]];
  let hash = r.hash;
  let input = saved;
  let path: string | undefined;
  if (input === undefined || hash === undefined) {
    path = await findRunFile(r.file, dirs, hash);
    if (path !== undefined && hash === undefined) hash = (await fitsDataHash(path, hdu)).hash;
    if (path !== undefined && input === undefined) {
      try {
        input = (await preprocessFile(path, profile, { hdu, center: peak })).input;
      } catch (err) {
        warnings.push(
          `${r.file} object ${r.sourceIndex}: cannot prepare its input (${(err as Error).message})`,
        );
      }
    } else if (path === undefined && input === undefined) {
      warnings.push(
        `${r.file} object ${r.sourceIndex}: no saved input and its FITS file is not here${r.hash ? ' with the same data' : ''}: shown without uncertainty or saliency`,
      );
    }
  }
  const c: RunCandidate = {
    id: hash !== undefined ? labelId({ hash, hdu, peak }) : `${r.file}#${r.sourceIndex}`,
    file: r.file,
    hdu,
    peak,
    sourceIndex: r.sourceIndex,
    score: r.score,
  };
  if (hash !== undefined) c.hash = hash;
  if (path !== undefined) c.path = path;
  const pos = position(r);
  if (pos !== undefined) c.position = pos;
  if (r.snr !== undefined) c.snr = r.snr;
  if (r.object !== undefined) c.objectName = r.object;
  if (input !== undefined) c.input = input;
  if (r.thumbnail !== undefined) {
    const png = await readFile(resolve(baseDir, r.thumbnail)).then(
      (b) => new Uint8Array(b),
      () => undefined,
    );
    if (png !== undefined) c.thumbnail = png;
  }
  return c;
}

/** Scores (calibrated) of the candidates with inputs, with the model; others keep the run's. */
export async function rescoreCandidates(
  loaded: LoadedModel,
  candidates: readonly RunCandidate[],
): Promise<Float64Array> {
  const scores = Float64Array.from(candidates, (c) => c.score);
  const withInput = candidates.flatMap((c, i) => (c.input ? [i] : []));
  if (withInput.length === 0) return scores;
  const [h, w] = candidates[withInput[0]].input!.shape;
  const pixels = new Float32Array(withInput.length * h * w);
  withInput.forEach((i, k) => pixels.set(toContiguous(candidates[i].input!), k * h * w));
  const raw = await scoreWithModel(loaded, {
    images: pixels,
    shape: [withInput.length, h, w, 1],
    labels: new Int32Array(withInput.length),
  });
  const cal = applyTemperature(raw, loaded.meta.calibration?.temperature ?? 1);
  withInput.forEach((i, k) => (scores[i] = cal[k]));
  return scores;
}

/** Options of {@link writeRunReview}. */
export interface RunReviewOptions {
  /** The model that scores (and, in the page, is retrained). */
  model: LoadedModel;
  /** Folder of the page (`review.html` in it), or the page's own path when it ends in `.html`. */
  out: string;
  /** The label store's labels: candidates decided already are left out. Default none. */
  labels?: readonly LabelRecord[];
  /** How many of each sort to pick. Default {@link DEFAULT_REVIEW_SELECTION_OPTIONS} with the model's threshold. */
  selection?: Partial<ReviewSelectionOptions>;
  /** MC-dropout passes for the uncertainty. Default 20. */
  uncertaintySamples?: number;
  /**
   * Occlusion saliency for the picks and the best-ranked of the rest, this many cards in all (0:
   * none), so the cards a retrain in the page brings forward mostly have one too. Default 40.
   */
  saliency?: number;
  /** Most candidates on the page besides the picks (the rest of the run, by score). Default 200. */
  maxCandidates?: number;
  /**
   * Retraining in the browser: the bundled script (`review-app.js`) and a replay of the model's
   * dataset to carry. Default: off.
   */
  retrain?: {
    /** The bundled retraining script. */
    script: string;
    /** The model's dataset, from which a replay is drawn; without it the page trains on the decisions alone. */
    dataset?: Dataset;
    /** Replay samples carried. Default 256. */
    replay?: number;
    /** Epochs of each retraining. Default 4. */
    epochs?: number;
    /** Seed of the retraining. Default 1. */
    seed?: number;
    /** Loss weight of a rejected candidate. Default 2. */
    hardNegativeWeight?: number;
  };
  /** Page title. */
  title?: string;
}

/** What {@link writeRunReview} did. */
export interface WrittenRunReview {
  /** The page. */
  page: string;
  /** The candidates picked, best reason first, with their new scores. */
  picks: (ReviewPick & {
    /** The candidate's id. */
    id: string;
    /** Its new score. */
    score: number;
    /** Its spread, when measured. */
    std?: number;
  })[];
  /** Candidates in the run. */
  total: number;
  /** Candidates left out because the label store decides them already. */
  decided: number;
  /** Warnings of reading the run. */
  warnings: string[];
}

function b64(data: Float32Array): string {
  return toBase64(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

/**
 * The review page of a run: reads its candidates ({@link readRunCandidates}), leaves out those
 * the label store decides already, re-scores the rest with the model (calibrated) and measures
 * their uncertainty (MC dropout), picks the ones to review next ({@link selectForReview}), draws
 * their saliency (occlusion), and writes `out/review.html` with the picks first and the rest of
 * the run by score (up to `maxCandidates`). With `retrain`, the page carries the model's weights,
 * the candidates' inputs and a replay of its dataset, and retrains in the browser.
 *
 * @param runPath - the run (see {@link readRunCandidates})
 * @param opts - see {@link RunReviewOptions}
 */
export async function writeRunReview(
  runPath: string,
  opts: RunReviewOptions,
): Promise<WrittenRunReview> {
  const loaded = opts.model;
  const profile = profileForModel(loaded);
  const threshold = modelThreshold(loaded);
  const run = await readRunCandidates(runPath, profile);
  const decidedIds = new Set(latestLabels(opts.labels ?? []).map((l) => l.id));
  const open = run.candidates.filter((c) => !decidedIds.has(c.id));
  const scores = await rescoreCandidates(loaded, open);
  // Spread: every candidate with an input when there are few, else those nearest the threshold.
  const std = new Float64Array(open.length).fill(NaN);
  const withInput = open.flatMap((c, i) => (c.input ? [i] : []));
  const shortlist =
    withInput.length <= 1000
      ? withInput
      : [...withInput]
          .sort(
            (a, b) => Math.abs(scores[a] - threshold) - Math.abs(scores[b] - threshold) || a - b,
          )
          .slice(0, 1000);
  if (shortlist.length > 0) {
    const S = open[shortlist[0]].input!.shape[0];
    const pixels = new Float32Array(shortlist.length * S * S);
    shortlist.forEach((i, k) => pixels.set(toContiguous(open[i].input!), k * S * S));
    const T = opts.uncertaintySamples ?? 20;
    const u = await predictWithUncertainty(loaded.model, pixels, {
      samples: T,
      seed: 1,
      returnSamples: true,
      tta: loaded.meta.tta ?? 'none',
    });
    const temperature = loaded.meta.calibration?.temperature ?? 1;
    shortlist.forEach((i, k) => {
      const samples = new Float64Array(T);
      for (let t = 0; t < T; t++) samples[t] = u.samples![t * shortlist.length + k];
      const cal = applyTemperature(samples, temperature);
      const mean = cal.reduce((a, b) => a + b, 0) / T;
      std[i] = Math.sqrt(cal.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, T - 1));
    });
  }
  const selection = { ...DEFAULT_REVIEW_SELECTION_OPTIONS, threshold, ...opts.selection };
  const picks = selectForReview(
    open.map((c, i) => ({ score: scores[i], ...(Number.isFinite(std[i]) ? { std: std[i] } : {}) })),
    selection,
  );
  const picked = new Set(picks.map((p) => p.index));
  const rest = open
    .map((_, i) => i)
    .filter((i) => !picked.has(i))
    .sort((a, b) => scores[b] - scores[a] || a - b)
    .slice(0, opts.maxCandidates ?? 200);
  const shown = [...picks.map((p) => p.index), ...rest];
  const salient = new Set(shown.slice(0, opts.saliency ?? 40));
  // Inputs carried for retraining: every shown candidate that has one.
  const inputIndex = new Map<number, number>();
  for (const i of shown) if (open[i].input !== undefined) inputIndex.set(i, inputIndex.size);
  const reason = new Map(picks.map((p) => [p.index, p.reason]));
  const items: RunReviewCandidate[] = [];
  for (const i of shown) {
    const c = open[i];
    const item: RunReviewCandidate = {
      id: c.id,
      file: c.file,
      sourceIndex: c.sourceIndex,
      score: scores[i],
    };
    if (c.hash !== undefined)
      item.object = { hash: c.hash, hdu: c.hdu, peak: c.peak, path: c.path ?? c.file };
    if (Number.isFinite(std[i])) item.std = std[i];
    const why = reason.get(i);
    if (why !== undefined) item.reason = why;
    if (c.input !== undefined) item.thumbnail = c.input;
    else if (c.thumbnail !== undefined) item.thumbnail = c.thumbnail;
    if (salient.has(i) && c.input !== undefined) {
      const map = await occlusionSaliency(loaded.model, c.input, {
        patch: 8,
        stride: 4,
        tta: loaded.meta.tta ?? 'none',
      });
      item.saliency = renderSaliencyOverlay(c.input, map);
    }
    if (c.position !== undefined) item.position = c.position;
    if (c.snr !== undefined) item.snr = c.snr;
    if (c.input !== undefined && loaded.meta.trainingInputs !== undefined) {
      const [rows, cols] = c.input.shape;
      const outside = compareToInputRange(
        centralLevel(toContiguous(c.input), 0, rows, cols),
        loaded.meta.trainingInputs,
      );
      if (outside !== undefined) item.outsideTraining = outside;
    }
    if (c.objectName !== undefined) item.objectName = c.objectName;
    const k = inputIndex.get(i);
    if (k !== undefined && opts.retrain !== undefined) item.inputIndex = k;
    items.push(item);
  }
  let retrain: RunReviewRetrain | undefined;
  if (opts.retrain !== undefined && inputIndex.size > 0) {
    const r = opts.retrain;
    const S = profile.preprocess.inputSize;
    const inputs = new Float32Array(inputIndex.size * S * S);
    for (const [i, k] of inputIndex) inputs.set(toContiguous(open[i].input!), k * S * S);
    const ds = r.dataset;
    const idx = ds !== undefined ? replayIndices(ds, r.replay ?? 256, r.seed ?? 1) : [];
    const per = S * S;
    const replay = new Float32Array(idx.length * per);
    idx.forEach((j, k) => replay.set(ds!.images.subarray(j * per, (j + 1) * per), k * per));
    const weights = loaded.model.getWeights();
    const total = weights.reduce((a, t) => a + t.size, 0);
    const flat = new Float32Array(total);
    let at = 0;
    for (const t of weights) {
      flat.set(t.dataSync() as Float32Array, at);
      at += t.size;
    }
    const payload: ReviewPayload = {
      version: 1,
      meta: loaded.meta,
      weightShapes: weights.map((t) => [...t.shape]),
      weights: b64(flat),
      size: S,
      inputs: b64(inputs),
      replay: {
        images: b64(replay),
        labels: idx.map((j) => ds!.labels[j]),
        weights: idx.map((j) => ds!.samples[j].weight ?? 1),
      },
      classNames: [...loaded.meta.classNames],
      options: {
        epochs: r.epochs ?? 4,
        seed: r.seed ?? 1,
        hardNegativeWeight: r.hardNegativeWeight ?? 2,
        threshold,
        selection,
      },
    };
    retrain = { script: r.script, payload };
  }
  // What was picked for each reason (fewer than asked for when the run has fewer candidates).
  const pickedFor = (why: ReviewReason): number => picks.filter((p) => p.reason === why).length;
  const html = buildRunReviewHtml({
    title: opts.title ?? `Review: ${basename(run.path)}`,
    description:
      `${run.candidates.length} candidates in ${run.path}` +
      (decidedIds.size > 0 ? `, ${run.candidates.length - open.length} decided already` : '') +
      `; scored by the model, threshold ${threshold.toFixed(3)}, each score ` +
      `${describeTta(loaded.meta.tta ?? 'none')}; ${picks.length} to review next ` +
      `(${pickedFor('top')} top, ${pickedFor('uncertain')} uncertain, ${pickedFor('random')} random)`,
    threshold,
    candidates: items,
    ...(retrain ? { retrain } : {}),
  });
  const page = /\.html?$/i.test(opts.out) ? opts.out : join(opts.out, 'review.html');
  await mkdir(dirname(page), { recursive: true });
  await writeFileAtomic(page, html);
  return {
    page,
    picks: picks.map((p) => ({
      ...p,
      id: open[p.index].id,
      score: scores[p.index],
      ...(Number.isFinite(std[p.index]) ? { std: std[p.index] } : {}),
    })),
    total: run.candidates.length,
    decided: run.candidates.length - open.length,
    warnings: run.warnings,
  };
}
