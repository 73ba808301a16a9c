/**
 * The demo: the whole flow on bundled data, offline. Real ALMA images (two known positives and a
 * negative) plus seeded synthetic disks with and without winds are written as FITS files,
 * prepared into a dataset grouped by source, used to train the default network, evaluated on
 * the held-out sources, and the held-out files are classified into an HTML report. Each step
 * writes its output folder and is skipped when that output is already there, so a second run
 * resumes where the first stopped.
 */
import { writeFileAtomic } from '../core/atomic.node.js';
import { copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AlmaArchive, type AlmaArchiveOptions } from '../archive/archive.js';
import type { SearchCriteria } from '../archive/adql.js';
import type { DataProduct } from '../archive/datalink.js';
import { createRng, shuffleInPlace } from '../core/random.js';
import { writeFitsFile } from '../fits/index.node.js';
import { concatDatasets, type Dataset } from '../dataset/dataset.js';
import { buildNegativeSetFromFiles, buildPositiveSetFromFiles } from '../dataset/files.node.js';
import { loadDataset, saveDataset } from '../dataset/persist.node.js';
import { resolveProfile, type TargetProfile, type TargetProfileInput } from '../dataset/profile.js';
import { splitDataset } from '../dataset/split.js';
import { synthesize } from '../dataset/synthesize.js';
import type { EpochLog } from '../model/config.js';
import { loadModel } from '../model/io.node.js';
import { describeTrainer } from '../model/train.js';
import type { Evaluation } from '../model/metrics.js';
import { writeReport } from '../report/report.node.js';
import { classify } from './classify.node.js';
import { classifyArchive } from './classify-archive.node.js';
import { mergeResults, productReportData } from './merge.node.js';
import type { Candidate } from './classify.js';
import { toReportData } from './report-data.js';
import { trainFromDataset } from './train.node.js';

/** A real ALMA image bundled with the repository and its role in the demo. */
export interface BundledImage {
  /** File name in the bundled folder. */
  file: string;
  /** Its class. */
  label: 'positive' | 'negative';
  /** Whether the demo trains on it or classifies it as held-out data. */
  role: 'train' | 'held-out';
}

/** The real ALMA images bundled with the repository and their role in the demo. */
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
  /** Folder holding the bundled real FITS files. Default: the repository's `test/fixtures/fits`, when present. */
  realDir?: string;
  /** Seed of the synthetic images, augmentations, split and training. Default 1. */
  seed?: number;
  /** Synthetic positive (disk + wind) sources. Default 24. */
  syntheticPositives?: number;
  /** Synthetic negative (disk, or noise only) sources. Default 48. */
  syntheticNegatives?: number;
  /** Side of the synthetic images, pixels. Default 400. */
  imageSize?: number;
  /** Training epochs. Default 8. */
  epochs?: number;
  /** Redo every step even when its output exists. Default false. */
  fresh?: boolean;
  /**
   * Classify images from a live archive query (streamed: download, classify, delete) instead of
   * the held-out files. Needs network access to an ALMA mirror. Default: off.
   */
  archive?: DemoArchiveOptions;
  /** Where progress lines go. Default: stdout. */
  log?: (line: string) => void;
  /** Per-file and per-epoch progress, for progress bars. */
  onProgress?: (step: string, done: number, total: number) => void;
}

/** What {@link runDemo} produced. */
export interface DemoResult {
  /** Path of the HTML report. */
  reportPath: string;
  /** Evaluation on the held-out sources of the dataset. */
  evaluation?: Evaluation;
  /** Candidates from the held-out files, highest score first. */
  candidates: Candidate[];
  /** Per-epoch log (empty when the model step was resumed). */
  history: EpochLog[];
  /** The profile the demo used. */
  profile: TargetProfile;
}

/** The dust-in-wind profile with the demo's smaller training budget. */
export function demoProfile(opts: { seed: number; epochs: number }): TargetProfile {
  const input: TargetProfileInput = {
    name: 'dust-in-wind-demo',
    positive: { maxPairs: 400 },
    linear: { factor: 8, classes: ['negative'] },
    train: { batchSize: 32, epochs: opts.epochs, seed: opts.seed, learningRate: 1e-3 },
  };
  return resolveProfile(input);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function bundledRealDir(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  // src/pipeline or dist/pipeline → repository root
  return resolve(here, '..', '..', 'test', 'fixtures', 'fits');
}

async function writeSynthetic(
  dir: string,
  prefix: string,
  count: number,
  kinds: readonly ('disk' | 'wind' | 'noise')[],
  seed: number,
  size: number,
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const rng = createRng(seed);
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const kind = kinds[i % kinds.length];
    const path = join(dir, `${prefix}-${String(i).padStart(3, '0')}.fits`);
    // Fork for every index, written or not, so each file's image depends only on (seed, index).
    const own = rng.fork();
    if (!(await exists(path))) {
      const image = synthesize(own, { kind, size, primaryBeam: i % 3 === 0 ? 0.95 : false });
      await writeFitsFile(path, image, [
        { key: 'OBJECT', value: `synthetic ${kind} ${i}` },
        { key: 'BUNIT', value: 'Jy/beam' },
        { key: 'ORIGIN', value: 'alma-classifier synthesize()' },
      ]);
    }
    paths.push(path);
  }
  return paths;
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
  const progress = opts.onProgress ?? (() => undefined);
  const fresh = opts.fresh ?? false;
  const size = opts.imageSize ?? 400;
  const profile = demoProfile({ seed, epochs: opts.epochs ?? 8 });
  const dataDir = join(out, 'data');
  // Synthetic sources go to positive/ and negative/ (the split decides which are held out);
  // the real images keep their fixed roles.
  const trainPos = join(dataDir, 'positive');
  const trainNeg = join(dataDir, 'negative');
  const heldOut = join(dataDir, 'held-out');

  // 1. Data: real bundled images + synthetic sources, as FITS files.
  log(`[1/5] data → ${dataDir}`);
  const realDir = opts.realDir ?? bundledRealDir();
  const real: { path: string; label: string; role: string }[] = [];
  if (realDir !== undefined) {
    for (const b of BUNDLED_IMAGES) {
      const from = join(realDir, b.file);
      if (!(await exists(from))) continue;
      const to = join(
        b.role === 'train' ? (b.label === 'positive' ? trainPos : trainNeg) : heldOut,
        b.file,
      );
      await mkdir(dirname(to), { recursive: true });
      if (fresh || !(await exists(to))) await copyFile(from, to);
      real.push({ path: to, label: b.label, role: b.role });
    }
  }
  if (real.length === 0) log('      bundled real images not found: synthetic data only');
  else
    log(
      `      ${real.length} real ALMA images (${real.filter((r) => r.role === 'train').length} for training)`,
    );
  const nPos = opts.syntheticPositives ?? 24;
  const nNeg = opts.syntheticNegatives ?? 48;
  const synthPos = await writeSynthetic(
    trainPos,
    'synthetic-wind',
    nPos,
    ['wind'],
    seed * 7919 + 1,
    size,
  );
  const synthNeg = await writeSynthetic(
    trainNeg,
    'synthetic-disk',
    nNeg,
    ['disk', 'disk', 'noise'],
    seed * 7919 + 2,
    size,
  );
  log(
    `      ${synthPos.length} synthetic positives (disk + wind), ${synthNeg.length} synthetic negatives (disk or noise), ${size}x${size}`,
  );

  // 2. Dataset: build, split by source, save.
  const datasetDir = join(out, 'dataset');
  let dataset: Dataset;
  if (!fresh && (await exists(join(datasetDir, 'manifest.json')))) {
    dataset = await loadDataset(datasetDir);
    log(`[2/5] dataset: resumed from ${datasetDir} (${dataset.labels.length} samples)`);
  } else {
    log(`[2/5] dataset → ${datasetDir}`);
    const posFiles = [
      ...real.filter((r) => r.role === 'train' && r.label === 'positive').map((r) => r.path),
      ...synthPos,
    ];
    const negFiles = [
      ...real.filter((r) => r.role === 'train' && r.label === 'negative').map((r) => r.path),
      ...synthNeg,
    ];
    const warn = (message: string): void => log(`      warning: ${message}`);
    let done = 0;
    const total = posFiles.length + negFiles.length;
    const onSource = (): void => progress('dataset', ++done, total);
    const positives = await buildPositiveSetFromFiles(posFiles, profile, {
      seed,
      onWarning: warn,
      onSource,
    });
    const negatives = await buildNegativeSetFromFiles(negFiles, profile, {
      seed: seed + 1,
      onWarning: warn,
      onSource,
    });
    const all = concatDatasets([negatives, positives]);
    const parts = splitDataset(all, { test: 0.25, validation: 0, seed, groupBy: 'source' });
    dataset = concatDatasets([parts.train, parts.test]);
    await saveDataset(dataset, datasetDir);
    log(
      `      ${negatives.labels.length} negative and ${positives.labels.length} positive samples; ` +
        `split by source: ${parts.train.labels.length} train, ${parts.test.labels.length} test` +
        (parts.dropped.length > 0
          ? `, ${parts.dropped.length} cross-split geometric means dropped`
          : ''),
    );
  }

  // 3. Train and evaluate.
  const modelDir = join(out, 'model');
  let history: EpochLog[] = [];
  let evaluation: Evaluation | undefined;
  if (!fresh && (await exists(join(modelDir, 'meta.json')))) {
    log(`[3/5] model: resumed from ${modelDir}`);
    const saved = JSON.parse(
      await readFile(join(out, 'training.json'), 'utf8').catch(() => '{}'),
    ) as {
      history?: EpochLog[];
      evaluation?: Evaluation;
    };
    history = saved.history ?? [];
    evaluation = saved.evaluation;
  } else {
    log(
      `[3/5] training the default CNN (${profile.train.epochs} epochs, batch ${profile.train.batchSize}) → ${modelDir}`,
    );
    const epochs = profile.train.epochs ?? 1;
    const result = await trainFromDataset(dataset, {
      profile,
      out: modelDir,
      onEpochEnd: (e) => {
        progress('epoch', e.epoch + 1, epochs);
        log(
          `      epoch ${e.epoch + 1}/${e.epochs}: loss ${e.loss.toFixed(4)} acc ${e.acc.toFixed(3)}` +
            (e.valAcc !== undefined
              ? ` | held-out loss ${e.valLoss?.toFixed(4)} acc ${e.valAcc.toFixed(3)}`
              : '') +
            ` (${(e.ms / 1000).toFixed(1)} s)`,
        );
      },
    });
    history = result.history.epochs;
    evaluation = result.evaluation?.metrics;
    log(
      `      ${describeTrainer(result.history)}, ${result.history.imagesPerSecond.toFixed(1)} images/s`,
    );
    await writeFileAtomic(
      join(out, 'training.json'),
      JSON.stringify({ history, evaluation }, null, 2),
    );
  }
  if (evaluation) {
    const c = evaluation.confusion;
    log('[4/5] evaluation on the held-out sources');
    log('                    predicted +   predicted -');
    log(`      actual +      ${String(c.tp).padStart(11)}   ${String(c.fn).padStart(11)}`);
    log(`      actual -      ${String(c.fp).padStart(11)}   ${String(c.tn).padStart(11)}`);
    log(
      `      accuracy ${evaluation.accuracy.toFixed(3)}  precision ${evaluation.precision.toFixed(3)}  ` +
        `recall ${evaluation.recall.toFixed(3)}  F1 ${evaluation.f1.toFixed(3)}  ROC AUC ${
          Number.isFinite(evaluation.rocAuc) ? evaluation.rocAuc.toFixed(3) : 'n/a'
        }`,
    );
  }

  const loaded = await loadModel(modelDir);
  if (opts.archive !== undefined) {
    return {
      ...(await classifyFromArchive(loaded, out, seed, opts.archive, log, progress)),
      history,
      profile,
      ...(evaluation ? { evaluation } : {}),
    };
  }

  // 5. Classify the held-out files (real held-out images + the synthetic sources of the test split).
  const testSources = new Set(
    dataset.samples.filter((s) => s.split === 'test').flatMap((s) => s.sources),
  );
  const synthetic = [...synthPos, ...synthNeg].filter(
    (p) => testSources.has(p) || testSources.has(basename(p)),
  );
  const files = [...real.filter((r) => r.role === 'held-out').map((r) => r.path), ...synthetic];
  log(`[5/5] classifying ${files.length} held-out files`);
  let n = 0;
  const candidates = await classify(loaded, files, {
    keepInputs: true,
    onWarning: (file, message) => log(`      skipped ${file}: ${message}`),
    onProgress: () => progress('classify', ++n, files.length),
  });
  const rel = (p: string): string => p.slice(out.length + 1);
  for (const c of candidates.slice(0, 10)) {
    log(
      `      ${c.score.toFixed(3)}  ${c.label.padEnd(8)}  ${rel(c.file)}  object ${c.sourceIndex} at [${c.peak.join(', ')}]`,
    );
  }
  const candidatesPath = join(out, 'candidates.json');
  await writeFileAtomic(
    candidatesPath,
    JSON.stringify(
      candidates.map(({ input: _input, ...c }) => c),
      null,
      2,
    ),
  );
  const report = await writeReport(
    toReportData({
      title: 'alma-classifier demo: dust in winds',
      description: `Default CNN trained on ${dataset.labels.length} samples (real ALMA + synthetic), candidates from ${files.length} held-out files.`,
      candidates: candidates.map((c) => ({ ...c, file: rel(c.file) })),
      history,
      ...(evaluation ? { evaluation } : {}),
      profile,
    }),
    join(out, 'report'),
  );
  return {
    reportPath: report.index,
    candidates,
    history,
    profile,
    ...(evaluation ? { evaluation } : {}),
  };
}

/** Step 5 of `demo --archive`: search, sample, stream-classify, report. */
async function classifyFromArchive(
  loaded: Awaited<ReturnType<typeof loadModel>>,
  out: string,
  seed: number,
  a: DemoArchiveOptions,
  log: (line: string) => void,
  progress: (step: string, done: number, total: number) => void,
): Promise<{ reportPath: string; candidates: Candidate[] }> {
  const archive = new AlmaArchive({ ...a.client, mirror: a.mirror ?? 'ESO' });
  const criteria = a.criteria ?? THESIS_CRITERIA;
  log(`[5/5] searching the archive at ${archive.mirror}`);
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
    `      ${listed.products.length} matching FITS products; classifying ${products.length} (streamed, files deleted after use)`,
  );
  const runDir = join(out, 'archive');
  const summary = await classifyArchive(products, {
    model: loaded,
    out: runDir,
    shard: null,
    ...(a.client?.fetch ? { fetch: a.client.fetch } : {}),
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
