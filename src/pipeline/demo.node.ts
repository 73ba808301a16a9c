/**
 * The demo: the whole flow on bundled data, offline. Three real ALMA images (two known positives
 * and a negative) and a domain-randomised set of synthetic scenes (`synthesizeScene`: disks with
 * and without dust carried out by winds, and hard negatives that are not round) are written as
 * FITS files; the synthetic sources are split by source into training, validation and test
 * parts; the default network is trained with early stopping on validation, calibrated and
 * thresholded on validation, and evaluated per source on the test part beside a model-free
 * baseline; the real images are scored apart from the synthetic ones; and the held-out files are
 * classified into an HTML report with uncertainties and saliency maps. Each step writes its
 * output folder and is skipped when that output is already there and was made for the same run
 * (scenes of the same seed and options, a dataset of the same preparation, a model of the same
 * seed, epochs and scoring), so a second run resumes; a step made for another run is redone.
 */
import type { Progress } from '../core/progress.js';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AlmaArchive, type AlmaArchiveOptions } from '../archive/archive.js';
import type { SearchCriteria } from '../archive/adql.js';
import type { DataProduct } from '../archive/datalink.js';
import { writeFileAtomic } from '../core/atomic.node.js';
import type { Image2D } from '../core/image2d.js';
import { createRng, shuffleInPlace } from '../core/random.js';
import { readFits } from '../fits/index.node.js';
import { requireImage } from '../fits/read.js';
import { concatDatasets, subsetDataset, type Dataset } from '../dataset/dataset.js';
import {
  buildNegativeSetFromFiles,
  buildPositiveSetFromFiles,
  preprocessFile,
} from '../dataset/files.node.js';
import { loadDataset, saveDataset } from '../dataset/persist.node.js';
import { dustInWind, profileHash, resolveProfile, type TargetProfile } from '../dataset/profile.js';
import { splitDataset } from '../dataset/split.js';
import type { SynthesizeSceneOptions } from '../dataset/synthesize-scene.js';
import { baselineWindScore } from '../model/baseline.js';
import { applyTemperature } from '../model/calibration.js';
import type { EpochLog } from '../model/config.js';
import { loadModel } from '../model/io.node.js';
import type { LoadedModel } from '../model/io.js';
import { bootstrapMetrics, computeMetrics } from '../model/metrics.js';
import { predict } from '../model/predict.js';
import { describeTta, scoreWithModel, type TestTimeAugmentation } from '../model/tta.js';
import { occlusionSaliency } from '../model/saliency.js';
import { describeTrainer } from '../model/train.js';
import { predictWithUncertainty } from '../model/uncertainty.js';
import { renderSaliencyOverlay } from '../report/saliency-png.js';
import { writeReport } from '../report/report.node.js';
import type { ReportCandidate, ReportData, ReportRealImage } from '../report/types.js';
import { classify } from './classify.node.js';
import { classifyArchive } from './classify-archive.node.js';
import type { Candidate } from './classify.js';
import { formatSourceEvaluation, type SourceEvaluation } from './evaluation.js';
import { writeCandidateFiles } from './candidate-files.node.js';
import { mergeResults, productReportData } from './merge.node.js';
import { toReportData, toReportEvaluation } from './report-data.js';
import { trainFromDataset } from './train.node.js';
import { writeScenes } from './demo-scenes.node.js';
import { pathExists } from '../core/files.node.js';

/** A real ALMA image bundled with the repository and its role in the demo. */
export interface BundledImage {
  /** File name in the bundled folder. */
  file: string;
  /** Its class. */
  label: 'positive' | 'negative';
  /** Whether the demo trains on it or classifies it as held-out data. */
  role: 'train' | 'held-out';
}

/**
 * The real ALMA images shipped with the package (`data/`) and their role in the demo: B335 and
 * Serpens South C7, known positives of the thesis, and COS850.0005, a distant galaxy.
 */
export const BUNDLED_IMAGES: readonly BundledImage[] = [
  { file: 'b335_2017_band6_0.fits', label: 'positive', role: 'train' },
  { file: 'serpenssouthc7_2019_band6_0.fits', label: 'positive', role: 'held-out' },
  {
    file: 'member.uid___A001_X12a2_X10d._COS850.0005__sci.spw5_7_9_11.cont.I.pbcor.fits',
    label: 'negative',
    role: 'held-out',
  },
];

/**
 * The original thesis's archive query: protostellar outflows and low-mass star formation,
 * released from 2016 on, angular resolution below 0.4 arcsec (public science targets).
 */
export const THESIS_CRITERIA: SearchCriteria = {
  scienceKeyword: ['Outflows, jets and ionized winds', 'Low-mass star formation'],
  releasedAfter: '2016-01-01',
  maxResolutionArcsec: 0.4,
};

/**
 * How the demo draws its synthetic scenes (`synthesizeScene` options, module `dataset`): 96x96 images with
 * beams of 2.5–3.2 pixels, so each image spans 30–38 beams and the profile's 24-beam crop fits
 * inside; winds from 5σ at their peak up (the faintest the demo claims to find; fainter ones are
 * measured apart by `npm run bench -- quality`). Every other parameter keeps its randomised
 * default: disk size, inclination, angle, signal-to-noise, beam shape, noise, primary beam,
 * sidelobes, and the eleven negative kinds.
 */
export const DEMO_SCENE_OPTIONS: Readonly<SynthesizeSceneOptions> = Object.freeze({
  size: 96,
  beamMajor: [2.5, 3.2] as const,
  windMinSnr: 5,
});

/**
 * Synthetic sources the demo draws by default: 8,000 independent scenes, half with a wind. The
 * number of independent scenes is the lever measured to move the model most (`docs/model.md`,
 * "Fourth round"); 8,000 fit the demo's three minutes with the 48x48 input.
 */
export const DEMO_SOURCES = 8000;

/**
 * Fraction of the demo's synthetic sources held out for test, and again for validation: 0.1
 * each, 800 sources apiece at the default {@link DEMO_SOURCES}, enough for the bootstrap
 * intervals and the threshold, leaving 6,400 to train on.
 */
export const DEMO_HOLD_OUT = 0.1;

/**
 * Most training epochs of the demo (early stopping may stop sooner): 18 over its 6,400 training
 * scenes, the learning rate falling along a cosine. 14 until training drew its noise from one
 * field (`createNoiseField`), which made a step fast enough for 18 in the same time; 18 scored
 * 0.973 on 2,000 fixed scenes against 0.969 for 14 (`docs/model.md`, "Fifth round").
 */
export const DEMO_EPOCHS = 18;

/**
 * Loss weight of each real training image (B335) among the demo's thousands of synthetic
 * sources: 8. With weight 1 the one real positive is 1 of 6,401 training sources, and whether
 * the model scores it above the threshold varied with the seed (seed 2 scored it 0.239 against
 * a threshold of 0.376); with 8 it is above in seeds 1–3 and the held-out synthetic figures
 * are unchanged (ROC AUC 0.969, 0.970, 0.967 against 0.969 for each with weight 1;
 * `docs/model.md`).
 */
export const DEMO_REAL_WEIGHT = 8;

/** Where `demo --archive` gets its images: a live archive query instead of the held-out files. */
export interface DemoArchiveOptions {
  /** Mirror name (`ESO`, `NRAO`, `NAOJ`) or base URL. Default `ESO`. */
  mirror?: AlmaArchiveOptions['mirror'];
  /** The query. Default {@link THESIS_CRITERIA}. */
  criteria?: SearchCriteria;
  /** Products (files) classified, sampled reproducibly from all that match. Default 20. */
  limit?: number;
  /** Archive client options (timeouts, retries, `fetch`). */
  client?: Omit<AlmaArchiveOptions, 'mirror'>;
}

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Output folder. Default `demo-output`. */
  out?: string;
  /**
   * Folder holding the real FITS files of {@link BUNDLED_IMAGES}. Default: the package's `data/`
   * (cutouts of the three images around their sources, shipped with the package).
   */
  realDir?: string;
  /** Seed of the synthetic scenes, the split, training and the bootstrap. Default 1. */
  seed?: number;
  /** Synthetic sources (independent scenes, half of them with a wind). Default {@link DEMO_SOURCES}, 8000. */
  syntheticSources?: number;
  /** Side of the synthetic images, pixels. Default 96 ({@link DEMO_SCENE_OPTIONS}). */
  imageSize?: number;
  /** Most training epochs (early stopping may stop sooner). Default {@link DEMO_EPOCHS}, 18. */
  epochs?: number;
  /**
   * Fraction of the synthetic sources held out for test, and for validation. Default
   * {@link DEMO_HOLD_OUT}, 0.1 each.
   */
  holdOut?: number;
  /**
   * Loss weight of the real training images among the synthetic sources. Default
   * {@link DEMO_REAL_WEIGHT}, 8.
   */
  realWeight?: number;
  /** Candidates of the report that get an occlusion saliency map. Default 24. */
  saliency?: number;
  /**
   * Redo every step even when its output exists (scenes are kept when drawn with the same seed
   * and options: they would come out the same). Default false.
   */
  fresh?: boolean;
  /**
   * Classify images from a live archive query (streamed: download, classify, delete) instead of
   * the held-out files. Needs network access to an ALMA mirror. Default: off.
   */
  archive?: DemoArchiveOptions;
  /** Where progress lines go. Default: stdout. */
  log?: (line: string) => void;
  /** Per-file and per-epoch progress, for progress bars. */
  onProgress?: (progress: DemoProgress) => void;
}

/** What {@link DemoOptions.onProgress} receives: the step, and how far it is. */
export interface DemoProgress extends Progress {
  /** The step: `'data'`, `'dataset'`, `'epoch'`, `'classify'` or `'archive'`. */
  step: string;
  /** Files or epochs in the step. */
  total: number;
}

/** One real image of known class as the demo scored it (each flip of a trained-on image). */
export interface DemoRealImage {
  /** File name. */
  file: string;
  /** `'trained on'` or `'held out'`. */
  role: 'trained on' | 'held out';
  /** Its known class. */
  knownLabel: 'positive' | 'negative';
  /** The transform scored: `none`, `flip-lr`, `flip-ud` or `flip-both`. */
  transform: string;
  /**
   * Calibrated score, made as the model scores every image: averaged over the symmetries its
   * `meta.tta` names (with the default's four flips, the four flips of one image score alike).
   */
  score: number;
  /**
   * With test-time augmentation: the calibrated score of one pass over this transform of the
   * image alone, to show how much the network itself still depends on orientation.
   */
  onePass?: number;
  /** The model's threshold (chosen on validation). */
  threshold: number;
  /** Whether the call (score ≥ threshold) agrees with the known class. */
  right: boolean;
}

/** A model-free scorer's figures on the demo's test sources. */
export interface DemoBaseline {
  /** What it is. */
  name: string;
  /** ROC AUC on the test sources. */
  rocAuc: number;
  /** Its 95 % bootstrap interval (sources resampled). */
  lower: number;
  /** See {@link DemoBaseline.lower}. */
  upper: number;
}

/** What {@link runDemo} produced. */
export interface DemoResult {
  /** Path of the HTML report. */
  reportPath: string;
  /** Evaluation per source on the held-out synthetic sources (the test part). */
  evaluation?: SourceEvaluation;
  /** The model-free baseline on the same sources. */
  baseline?: DemoBaseline;
  /** The real images, scored apart from the synthetic ones. */
  realImages: DemoRealImage[];
  /** Candidates from the held-out files, highest score first. */
  candidates: Candidate[];
  /** Per-epoch log of the run kept. */
  history: EpochLog[];
  /** The profile the demo used. */
  profile: TargetProfile;
  /** Wall time of each step, seconds. */
  seconds: Record<string, number>;
}

/** What `training.json` keeps, so a resumed run reports the same figures. */
interface TrainingRecord {
  /** The run's seed and most epochs, which a resumed run must share. */
  requested?: { seed: number; epochs: number };
  history: EpochLog[];
  evaluation?: SourceEvaluation;
  baseline?: DemoBaseline;
  trainer: string;
  seed: number;
  validation: {
    temperature: number;
    threshold: number;
    rule?: string;
    logLossBefore?: number;
    logLossAfter?: number;
    ece?: number;
    bins?: {
      lower: number;
      upper: number;
      count: number;
      meanPredicted: number;
      observed: number;
    }[];
  };
  sizes: Record<string, number>;
  bestEpoch: number;
}

/**
 * The demo's profile: {@link dustInWind} (the library's default recipe) with the demo's seed and
 * epoch budget.
 */
export function demoProfile(opts: { seed: number; epochs?: number }): TargetProfile {
  return resolveProfile({
    name: 'dust-in-wind-demo',
    train: { ...dustInWind.train, seed: opts.seed, epochs: opts.epochs ?? DEMO_EPOCHS },
  });
}

/**
 * Where the package keeps the demo's real images: `data/` at the package root, in the repository
 * and in an installed package alike (`scripts/make-demo-data.ts` cuts them from the test
 * fixtures around the part the demo reads, with their WCS shifted; the model's inputs are the
 * same, pixel for pixel).
 */
function bundledRealDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // src/pipeline or dist/pipeline → package root
  return resolve(here, '..', '..', 'data');
}

const FLIPS: readonly [string, (img: Image2D) => Image2D][] = [
  ['none', (img) => img],
  ['flip-lr', (img) => img.step(1, -1)],
  ['flip-ud', (img) => img.step(-1, 1)],
  ['flip-both', (img) => img.step(-1, -1)],
];

/** Pixels of images of one size, row-major, as `predict` takes them. */
function stack(images: readonly Image2D[], size: number): Float32Array {
  const out = new Float32Array(images.length * size * size);
  images.forEach((img, i) => {
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) out[i * size * size + r * size + c] = img.get(r, c);
    }
  });
  return out;
}

/**
 * Run the demo end to end. See the module description for the steps; every step prints what it
 * did. Nothing needs the network.
 *
 * @param opts - see {@link DemoOptions}
 */
export async function runDemo(opts: DemoOptions = {}): Promise<DemoResult> {
  const out = resolve(opts.out ?? 'demo-output');
  const seed = opts.seed ?? 1;
  const log = opts.log ?? ((line: string) => console.log(line));
  const progress = (step: string, done: number, total: number): void =>
    opts.onProgress?.({ step, done, total });
  const fresh = opts.fresh ?? false;
  const size = opts.imageSize ?? DEMO_SCENE_OPTIONS.size;
  if (typeof size !== 'number') throw new RangeError('imageSize must be a number');
  const holdOut = opts.holdOut ?? DEMO_HOLD_OUT;
  const realWeight = opts.realWeight ?? DEMO_REAL_WEIGHT;
  if (!(realWeight > 0) || !Number.isFinite(realWeight)) {
    throw new RangeError(`runDemo: realWeight must be a finite number > 0, got ${realWeight}`);
  }
  const profile = demoProfile({
    seed,
    ...(opts.epochs !== undefined ? { epochs: opts.epochs } : {}),
  });
  const seconds: Record<string, number> = {};
  let clock = performance.now();
  const lap = (name: string): void => {
    const now = performance.now();
    seconds[name] = (now - clock) / 1000;
    clock = now;
  };
  const dataDir = join(out, 'data');
  const synthPosDir = join(dataDir, 'synthetic', 'positive');
  const synthNegDir = join(dataDir, 'synthetic', 'negative');
  const realDir = join(dataDir, 'real');

  // 1. Data: real bundled images + synthetic scenes, as FITS files.
  log(`[1/6] data → ${dataDir}`);
  const fromDir = opts.realDir ?? bundledRealDir();
  const real: { path: string; label: 'positive' | 'negative'; role: 'train' | 'held-out' }[] = [];
  if (fromDir !== undefined) {
    for (const b of BUNDLED_IMAGES) {
      const from = join(fromDir, b.file);
      if (!(await pathExists(from))) continue;
      const to = join(realDir, b.file);
      await mkdir(realDir, { recursive: true });
      if (fresh || !(await pathExists(to))) await copyFile(from, to);
      real.push({ path: to, label: b.label, role: b.role });
    }
  }
  if (real.length === 0) log('      bundled real images not found: synthetic data only');
  else
    log(
      `      ${real.length} real ALMA images: ${real.map((r) => `${basename(r.path).slice(0, 32)} (${r.label}, ${r.role})`).join('; ')}`,
    );
  const count = opts.syntheticSources ?? DEMO_SOURCES;
  const synth = await writeScenes(
    synthPosDir,
    synthNegDir,
    count,
    seed,
    { ...DEMO_SCENE_OPTIONS, size },
    (d) => progress('data', d, count),
  );
  if (synth.redrawn) {
    log(
      `      the scenes in ${join(dataDir, 'synthetic')} were drawn with another seed, other options or by an earlier version: drawn again with seed ${seed}`,
    );
  }
  log(
    `      ${count} synthetic scenes (${synth.positives.length} with a wind, ${synth.negatives.length} without: plain, edge-on, binary, ringed, spiral, enveloped disks, jet knots, sidelobes, pbcor edges, point sources, noise), ${size}x${size}`,
  );
  lap('data');

  // 2. Dataset: prepare, split the synthetic sources three ways, add the real training image.
  const datasetDir = join(out, 'dataset');
  const realTrain = real.filter((r) => r.role === 'train');
  const total = count + realTrain.length;
  let dataset: Dataset | undefined;
  let stale = false;
  if (synth.redrawn && (await pathExists(join(datasetDir, 'manifest.json')))) {
    // Prepared from the scenes just replaced.
    stale = true;
    log(
      `[2/6] dataset → ${datasetDir}: the one there was prepared from other scenes: preparing it again`,
    );
  } else if (!fresh && (await pathExists(join(datasetDir, 'manifest.json')))) {
    const saved = await loadDataset(datasetDir);
    // A dataset another run prepared (with an earlier version's preparation, or from another
    // number of sources) is prepared again, and the model trained again, rather than mixed
    // with this run. The training and scoring settings are left out of the comparison: a run
    // with other epochs reuses the dataset, as it always did.
    const settings = saved.profile?.settings;
    const alike =
      settings !== undefined &&
      profileHash({ ...settings, name: profile.name, train: profile.train, tta: profile.tta }) ===
        profileHash(profile);
    // The real training images' loss weight is part of the dataset (`SampleInfo.weight`).
    const weighted = realTrain.every((r) =>
      saved.samples.some(
        (sm) =>
          sm.split === 'train' &&
          basename(sm.source) === basename(r.path) &&
          (sm.weight ?? 1) === realWeight,
      ),
    );
    if (alike && saved.labels.length === total && weighted) {
      dataset = saved;
      log(`[2/6] dataset: resumed from ${datasetDir} (${dataset.labels.length} samples)`);
    } else {
      stale = true;
      log(
        `[2/6] dataset → ${datasetDir}: the one there was prepared for another run ` +
          `(${saved.labels.length} samples of ${saved.shape[1]}x${saved.shape[2]}` +
          `${alike ? '' : ', other preparation settings'}` +
          `${weighted ? '' : `, real images not weighted ${realWeight}`}; this run: ${total}): preparing it again`,
      );
    }
  }
  const rebuilt = dataset === undefined;
  if (dataset === undefined) {
    if (!stale) log(`[2/6] dataset → ${datasetDir}`);
    const warn = (message: string): void => log(`      warning: ${message}`);
    let done = 0;
    const onSource = (): void => progress('dataset', ++done, total);
    const positives = await buildPositiveSetFromFiles(synth.positives, profile, {
      seed,
      onWarning: warn,
      onProgress: onSource,
    });
    const negatives = await buildNegativeSetFromFiles(synth.negatives, profile, {
      seed: seed + 1,
      onWarning: warn,
      onProgress: onSource,
    });
    const parts = splitDataset(concatDatasets([negatives, positives]), {
      test: holdOut,
      validation: holdOut,
      seed,
      groupBy: 'source',
    });
    for (const w of parts.warnings) warn(w);
    const trainParts = [parts.train];
    for (const r of realTrain) {
      const build = r.label === 'positive' ? buildPositiveSetFromFiles : buildNegativeSetFromFiles;
      const ds = await build([r.path], profile, { seed, onWarning: warn, onProgress: onSource });
      if (ds.labels.length > 0) {
        const sub = subsetDataset(ds, [...ds.labels.keys()], 'train');
        trainParts.push({
          ...sub,
          samples: sub.samples.map((s) => (realWeight === 1 ? s : { ...s, weight: realWeight })),
        });
      }
    }
    const built = concatDatasets([...trainParts, parts.validation, parts.test]);
    await saveDataset(built, datasetDir);
    dataset = built;
    const n = (name: string): number => built.samples.filter((s) => s.split === name).length;
    log(
      `      ${built.labels.length} samples, one per source, split by source: ${n('train')} train ` +
        `(with ${realTrain.length} real${realWeight === 1 ? '' : `, weighing ${realWeight} each`}), ${n('validation')} validation, ${n('test')} test`,
    );
  }
  lap('dataset');

  // 3. Train, calibrate and threshold on validation, evaluate per source on test.
  const modelDir = join(out, 'model');
  const trainingPath = join(out, 'training.json');
  let record: TrainingRecord;
  const savedMeta = join(modelDir, 'meta.json');
  // A model an earlier version trained with other scoring (one pass where the profile now
  // averages over flips) has its threshold fitted on other scores: trained again.
  const savedTta = await readFile(savedMeta, 'utf8')
    .then(
      (text) => ((JSON.parse(text) as { tta?: string } | null)?.tta ?? 'none') as string,
      () => undefined,
    )
    .catch(() => undefined);
  const sameScoring = savedTta === (profile.tta ?? 'none');
  const epochs = profile.train.epochs ?? 1;
  const saved = await readFile(trainingPath, 'utf8')
    .then((text) => JSON.parse(text) as TrainingRecord)
    .catch(() => undefined);
  const sameRun = saved?.requested?.seed === seed && saved.requested.epochs === epochs;
  // sameScoring implies the model's meta.json was read.
  if (!fresh && !rebuilt && sameScoring && sameRun) {
    log(`[3/6] model: resumed from ${modelDir}`);
    record = saved;
  } else {
    if (!fresh && !rebuilt && savedTta !== undefined && !sameScoring) {
      log(
        `[3/6] model: the one in ${modelDir} scores with test-time augmentation '${savedTta}', this run's profile with '${profile.tta ?? 'none'}': training again`,
      );
    } else if (!fresh && !rebuilt && saved !== undefined && !sameRun) {
      const was = saved.requested;
      log(
        `[3/6] model: the one in ${modelDir} was trained ${was ? `with seed ${was.seed} for up to ${was.epochs} epochs` : 'by an earlier version'}; this run: seed ${seed}, ${epochs} epochs: training again`,
      );
    }
    log(
      `[3/6] training the default CNN (up to ${epochs} epochs, batch ${profile.train.batchSize}, early stopping on validation loss) → ${modelDir}`,
    );
    const result = await trainFromDataset(dataset, {
      profile,
      out: modelDir,
      evaluation: { seed },
      onWarning: (m) => log(`      warning: ${m}`),
      onEpochEnd: (e) => {
        progress('epoch', e.epoch + 1, epochs);
        log(
          `      epoch ${e.epoch + 1}/${e.epochs}: loss ${e.loss.toFixed(4)} acc ${e.acc.toFixed(3)}` +
            (e.valAcc !== undefined
              ? ` | validation loss ${e.valLoss?.toFixed(4)} acc ${e.valAcc.toFixed(3)}`
              : '') +
            ` (${(e.ms / 1000).toFixed(1)} s)`,
        );
      },
    });
    const v = result.validation;
    record = {
      requested: { seed, epochs },
      history: result.history.epochs,
      ...(result.evaluation ? { evaluation: result.evaluation } : {}),
      trainer: `${describeTrainer(result.history)}, ${result.history.imagesPerSecond.toFixed(0)} images/s`,
      seed: result.seed,
      validation: {
        temperature: result.meta.calibration?.temperature ?? 1,
        threshold: result.meta.threshold ?? profile.threshold,
        ...(v.threshold ? { rule: v.threshold.rule } : {}),
        ...(v.calibration
          ? { logLossBefore: v.calibration.logLossBefore, logLossAfter: v.calibration.logLossAfter }
          : {}),
        ...(v.reliability ? { ece: v.reliability.ece, bins: v.reliability.bins } : {}),
      },
      sizes: result.sizes,
      bestEpoch: result.history.bestEpoch,
    };
    log(
      `      ${record.trainer}; kept epoch ${record.bestEpoch + 1}; validation: temperature ${record.validation.temperature.toFixed(3)}, threshold ${record.validation.threshold.toFixed(3)}`,
    );
    record.baseline = await baselineOnTest(record.evaluation, seed);
    await writeFileAtomic(trainingPath, JSON.stringify(record, null, 2));
  }
  lap('train');
  const evaluation = record.evaluation;
  if (evaluation) {
    const c = evaluation.metrics.confusion;
    log(`[4/6] evaluation per source on ${evaluation.metrics.n} held-out synthetic sources`);
    log('                    predicted +   predicted -');
    log(`      actual +      ${String(c.tp).padStart(11)}   ${String(c.fn).padStart(11)}`);
    log(`      actual -      ${String(c.fp).padStart(11)}   ${String(c.tn).padStart(11)}`);
    log(`      ${formatSourceEvaluation(evaluation)}`);
    log(`      scores: ${describeTta(profile.tta ?? 'none')}`);
    if (record.baseline) {
      log(
        `      model-free baseline (${record.baseline.name}): ROC AUC ${record.baseline.rocAuc.toFixed(3)} [${record.baseline.lower.toFixed(3)}, ${record.baseline.upper.toFixed(3)}]`,
      );
    }
  }

  const loaded = await loadModel(modelDir);
  if (opts.archive !== undefined) {
    const archived = await classifyFromArchive(loaded, out, seed, opts.archive, log, progress);
    return {
      ...archived,
      history: record.history,
      profile,
      realImages: [],
      seconds,
      ...(evaluation ? { evaluation } : {}),
      ...(record.baseline ? { baseline: record.baseline } : {}),
    };
  }

  // 5. Real images, scored apart from the synthetic ones: each flip of the trained-on image.
  log('[5/6] real ALMA images (never mixed into the synthetic figures)');
  const threshold = record.validation.threshold;
  const temperature = record.validation.temperature;
  const realImages: DemoRealImage[] = [];
  const realThumbs: ReportRealImage[] = [];
  const S = profile.preprocess.inputSize;
  for (const r of real) {
    try {
      const prepared = await preprocessFile(r.path, profile);
      const transforms = r.role === 'train' ? FLIPS : FLIPS.slice(0, 1);
      const inputs = transforms.map(([, f]) => f(prepared.input));
      const pixels = stack(inputs, S);
      const scores = applyTemperature(await scoreWithModel(loaded, pixels), temperature);
      const onePass =
        (loaded.meta.tta ?? 'none') === 'none'
          ? undefined
          : applyTemperature(await predict(loaded.model, pixels), temperature);
      transforms.forEach(([name], i) => {
        const score = scores[i];
        const entry: DemoRealImage = {
          file: basename(r.path),
          role: r.role === 'train' ? 'trained on' : 'held out',
          knownLabel: r.label,
          transform: name,
          score,
          ...(onePass ? { onePass: onePass[i] } : {}),
          threshold,
          right: score >= threshold === (r.label === 'positive'),
        };
        realImages.push(entry);
        realThumbs.push({
          file: name === 'none' ? entry.file : `${entry.file} (${name})`,
          role: entry.role,
          knownLabel: r.label,
          score,
          ...(entry.onePass !== undefined ? { onePass: entry.onePass } : {}),
          threshold,
          image: inputs[i],
        });
        log(
          `      ${score.toFixed(3)} ${score >= threshold ? '≥' : '<'} ${threshold.toFixed(3)}  ${r.label.padEnd(8)} ${entry.role.padEnd(10)} ${name.padEnd(9)} ${entry.file.slice(0, 48)}  ${entry.right ? 'right' : 'WRONG'}` +
            (entry.onePass !== undefined ? ` (one pass ${entry.onePass.toFixed(3)})` : ''),
        );
      });
    } catch (err) {
      log(`      could not score ${basename(r.path)}: ${(err as Error).message}`);
    }
  }
  lap('real');

  // 6. Classify the held-out files: the test sources and the held-out real images.
  const testSources = new Set(
    dataset.samples.filter((s) => s.split === 'test').flatMap((s) => s.sources),
  );
  const synthetic = [...synth.positives, ...synth.negatives].filter(
    (p) => testSources.has(p) || testSources.has(basename(p)),
  );
  const known = new Map<string, string>([
    ...synth.positives.map((p) => [p, 'positive'] as const),
    ...synth.negatives.map((p) => [p, 'negative'] as const),
    ...real.map((r) => [r.path, r.label] as const),
  ]);
  const files = [...real.filter((r) => r.role === 'held-out').map((r) => r.path), ...synthetic];
  log(`[6/6] classifying ${files.length} held-out files (every object in each)`);
  let n = 0;
  const candidates = await classify(loaded, files, {
    keepInputs: true,
    onWarning: (message, file) => log(`      skipped ${file}: ${message}`),
    onProgress: () => progress('classify', ++n, files.length),
  });
  const extras = await candidateExtras(loaded, candidates, temperature, opts.saliency ?? 24, seed);
  const rel = (p: string): string => (p.startsWith(out) ? p.slice(out.length + 1) : p);
  for (const c of candidates.slice(0, 10)) {
    log(
      `      ${c.score.toFixed(3)}  ${c.label.padEnd(8)}  known ${known.get(c.file) ?? '?'}  ${rel(c.file)}  object ${c.sourceIndex} at [${c.peak.join(', ')}]`,
    );
  }
  // As `classify` writes them (without the pixels: the report draws the pictures), so that
  // `report`, `review` and the catalogue tools read the demo's run like any other.
  const written = await writeCandidateFiles(candidates, join(out, 'candidates.json'), {
    thumbnails: false,
    positiveLabel: loaded.meta.classNames[loaded.meta.classNames.length - 1],
    meta: { info: { model: join(out, 'model'), threshold: String(threshold) } },
  });
  for (const w of written.warnings) log(`      ${w}`);
  const data = reportData({
    profile,
    record,
    candidates,
    extras,
    known,
    rel,
    realThumbs,
    tta: loaded.meta.tta ?? 'none',
    files: files.length,
    samples: dataset.labels.length,
    seed,
    realWeight,
  });
  const report = await writeReport(data, join(out, 'report'));
  lap('classify');
  return {
    reportPath: report.index,
    candidates,
    history: record.history,
    profile,
    realImages,
    seconds,
    ...(evaluation ? { evaluation } : {}),
    ...(record.baseline ? { baseline: record.baseline } : {}),
  };
}

/** The model-free baseline on the test sources' own files, with a bootstrap interval. */
async function baselineOnTest(
  evaluation: SourceEvaluation | undefined,
  seed: number,
): Promise<DemoBaseline | undefined> {
  if (!evaluation) return undefined;
  const scores: number[] = [];
  const labels: number[] = [];
  for (const s of evaluation.sources) {
    try {
      const image = requireImage(await readFits(s.source));
      scores.push(baselineWindScore(image).score);
      labels.push(s.label);
    } catch {
      // A source that is not a file of its own (none in the demo) has no baseline score.
    }
  }
  if (!labels.includes(0) || !labels.includes(1)) return undefined;
  const ci = bootstrapMetrics(scores, labels, { resamples: 2000, seed });
  return {
    name: 'elliptical-Gaussian residual along the minor axis (no training)',
    rocAuc: computeMetrics(scores, labels).rocAuc,
    lower: ci.metrics.rocAuc.lower,
    upper: ci.metrics.rocAuc.upper,
  };
}

/** Uncertainty (MC dropout, calibrated) of every candidate and saliency of the top `top`. */
async function candidateExtras(
  loaded: LoadedModel,
  candidates: readonly Candidate[],
  temperature: number,
  top: number,
  seed: number,
): Promise<{ std: Float32Array; saliency: Map<number, Uint8Array> }> {
  const withInput = candidates.filter((c) => c.input !== undefined);
  const std = new Float32Array(candidates.length).fill(NaN);
  const saliency = new Map<number, Uint8Array>();
  if (withInput.length === 0) return { std, saliency };
  const S = withInput[0].input!.shape[0];
  const u = await predictWithUncertainty(
    loaded.model,
    stack(
      withInput.map((c) => c.input!),
      S,
    ),
    {
      samples: 20,
      seed,
      returnSamples: true,
      tta: loaded.meta.tta ?? 'none',
    },
  );
  const m = withInput.length;
  let k = 0;
  for (let i = 0; i < candidates.length; i++) {
    if (candidates[i].input === undefined) continue;
    // The spread of the calibrated samples: the score shown is calibrated too.
    const samples = new Float64Array(20);
    for (let t = 0; t < 20; t++) samples[t] = u.samples![t * m + k];
    const cal = applyTemperature(samples, temperature);
    let mean = 0;
    for (const v of cal) mean += v / cal.length;
    let ss = 0;
    for (const v of cal) ss += (v - mean) ** 2;
    std[i] = Math.sqrt(ss / (cal.length - 1));
    k++;
  }
  for (let i = 0; i < Math.min(top, candidates.length); i++) {
    const input = candidates[i].input;
    if (!input) continue;
    const map = await occlusionSaliency(loaded.model, input, {
      patch: 8,
      stride: 4,
      tta: loaded.meta.tta ?? 'none',
    });
    saliency.set(i, renderSaliencyOverlay(input, map));
  }
  return { std, saliency };
}

/** The report's data: per-source evaluation, baseline, calibration, real images, candidates. */
function reportData(r: {
  profile: TargetProfile;
  record: TrainingRecord;
  candidates: readonly Candidate[];
  extras: { std: Float32Array; saliency: Map<number, Uint8Array> };
  known: ReadonlyMap<string, string>;
  rel: (p: string) => string;
  realThumbs: ReportRealImage[];
  tta: TestTimeAugmentation;
  files: number;
  samples: number;
  seed: number;
  realWeight: number;
}): ReportData {
  const base = toReportData({
    title: 'alma-classifier demo: dust in winds',
    description:
      `The default CNN trained on ${r.record.sizes.train ?? '?'} sources (synthetic scenes and one real ALMA image` +
      `${r.realWeight === 1 ? '' : `, which weighs ${r.realWeight} in the loss`}), ` +
      `threshold and calibration fitted on ${r.record.sizes.validation ?? '?'} validation sources, ` +
      `candidates from ${r.files} held-out files.`,
    candidates: r.candidates.map((c) => ({ ...c, file: r.rel(c.file) })),
    history: r.record.history,
    ...(r.record.evaluation ? { evaluation: r.record.evaluation } : {}),
    profile: r.profile,
  });
  const candidates: ReportCandidate[] = base.candidates.map((c, i) => {
    const original = r.candidates[i];
    const known = r.known.get(original.file);
    const sal = r.extras.saliency.get(i);
    const std = r.extras.std[i];
    return {
      ...c,
      ...(known ? { knownLabel: known } : {}),
      ...(Number.isFinite(std) ? { scoreStd: std } : {}),
      ...(sal ? { saliency: sal } : {}),
    };
  });
  const v = r.record.validation;
  const evaluation = r.record.evaluation
    ? {
        ...toReportEvaluation(r.record.evaluation),
        dataset: `Held-out synthetic sources (test part, ${r.record.evaluation.metrics.n} sources, one score per source file)`,
        thresholdFrom: `${v.rule === 'recall' ? 'a recall target' : 'maximum F1'} on the validation sources`,
        scoring: describeTta(r.tta),
        calibration: {
          temperature: v.temperature,
          ...(v.logLossBefore !== undefined ? { logLossBefore: v.logLossBefore } : {}),
          ...(v.logLossAfter !== undefined ? { logLossAfter: v.logLossAfter } : {}),
          ...(v.ece !== undefined ? { ece: v.ece } : {}),
          ...(v.bins ? { bins: v.bins } : {}),
        },
        ...(r.record.baseline
          ? {
              baselines: [
                {
                  name: r.record.baseline.name,
                  rocAuc: r.record.baseline.rocAuc,
                  rocAucInterval: {
                    lower: r.record.baseline.lower,
                    upper: r.record.baseline.upper,
                  },
                },
              ],
            }
          : {}),
      }
    : undefined;
  return {
    ...base,
    candidates,
    ...(evaluation ? { evaluation } : {}),
    ...(r.realThumbs.length > 0 ? { realImages: r.realThumbs } : {}),
    provenanceNote:
      `Every figure and image on this page comes from one run of \`npm run demo\` (seed ${r.seed}, ${r.record.trainer}). ` +
      'The synthetic scenes are made by synthesizeScene, not observed; the real images are ALMA archive data. ' +
      `Each score is ${describeTta(r.tta)}, calibrated on the validation sources; ± is its spread over 20 MC-dropout passes.`,
  };
}

/** Step 5 of `demo --archive`: search, sample, stream-classify, report. */
async function classifyFromArchive(
  loaded: LoadedModel,
  out: string,
  seed: number,
  a: DemoArchiveOptions,
  log: (line: string) => void,
  progress: (step: string, done: number, total: number) => void,
): Promise<{ reportPath: string; candidates: Candidate[] }> {
  const archive = new AlmaArchive({ ...a.client, mirror: a.mirror ?? 'ESO' });
  const criteria = a.criteria ?? THESIS_CRITERIA;
  log(`[5/6] searching the archive at ${archive.mirror}`);
  const found = await archive.search(criteria);
  for (const w of found.warnings) log(`      warning: ${w}`);
  log(`      ${found.observations.length} observations after filters and de-duplication`);
  const listed = await archive.dataProducts(found.observations);
  for (const w of listed.warnings) log(`      warning: ${w}`);
  const limit = a.limit ?? 20;
  const products: DataProduct[] = shuffleInPlace([...listed.products], createRng(seed)).slice(
    0,
    limit,
  );
  log(
    `[6/6] ${listed.products.length} matching FITS products; classifying ${products.length} (streamed, files deleted after use)`,
  );
  const runDir = join(out, 'archive');
  const summary = await classifyArchive(products, {
    model: loaded,
    out: runDir,
    shard: null,
    archive,
    onProgress: (p) => progress('archive', p.done, p.total),
    onWarning: (m) => log(`      warning: ${m}`),
  });
  log(
    `      ${summary.classified} classified, ${summary.failed.length} failed, ${summary.positives} positives`,
  );
  const merged = await mergeResults([runDir]);
  const data = await productReportData(merged.results, {
    title: 'alma-classifier demo: dust in winds, archive candidates',
    description: `${products.length} products sampled from the query ${found.query}`,
  });
  const report = await writeReport(data, join(out, 'report'));
  const candidates: Candidate[] = merged.results.map((r) => ({
    file: r.file,
    score: r.score,
    label: r.label,
    sourceIndex: 0,
    peak: r.sources[0]?.peak ?? [0, 0],
    provenance: { profile: loaded.meta.profileName, transforms: [], angle: 0, padded: false },
  }));
  return { reportPath: report.index, candidates };
}
