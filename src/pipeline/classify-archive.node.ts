/**
 * Archive-scale classification (Node): stream every product of a search through download →
 * classify → delete, with bounded memory and disk, a journal that makes a killed run resumable,
 * and deterministic sharding so many machines (Slurm array tasks) split one search.
 */
import { skyScaleFromHeader } from '../dataset/sky-scale.js';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { makeDirectory } from '../core/files.node.js';
import { join, resolve } from 'node:path';
import type { SearchCriteria } from '../archive/adql.js';
import { AlmaArchive, type AlmaArchiveOptions } from '../archive/archive.js';
import type { DataProduct, DataProductOptions } from '../archive/datalink.js';
import { downloadProducts } from '../archive/download.node.js';
import type { FetchLike } from '../archive/http.js';
import type { Observation } from '../archive/observation.js';
import { PipelineError } from '../core/errors.js';
import type { Image2D } from '../core/image2d.js';
import type { TargetProfile } from '../dataset/profile.js';
import { readFits } from '../fits/read.node.js';
import { requireImage } from '../fits/read.js';
import { renderPng } from '../report/render.js';
import {
  classifyImages,
  modelThreshold,
  profileForModel,
  type Candidate,
  type ClassifierModel,
} from './classify.js';
import {
  Journal,
  JsonLinesWriter,
  filterJsonLines,
  readJsonLines,
  writeTextAtomic,
} from './journal.node.js';
import { RUN_FILES, type RunInfo } from './merge.node.js';
import type { CandidateSkyKey, ProductInfo, ProductResult, SourceScore } from './results.js';
import { rankResults } from './results.js';
import type { CatalogueCandidate } from './catalogue.js';
import { writeCandidateCatalogues, type WrittenCatalogues } from './catalogue.node.js';
import { safeStem } from './candidate-files.node.js';
import { writeFits } from '../fits/write.js';
import { selectShard, shardFromEnv, stableHash, type ShardSpec } from './shard.js';

/** Progress of {@link classifyArchive}, reported after every product. */
export interface ArchiveProgress {
  /** Products in this run's share (its shard). */
  total: number;
  /** Products finished: done by an earlier run, classified now, or failed now. */
  done: number;
  /** Products an earlier run had already classified (skipped now). */
  skipped: number;
  /** Products classified by this run. */
  classified: number;
  /** Products that failed in this run (retried by the next one). */
  failed: number;
  /** Products at or above the threshold so far, earlier runs included. */
  positives: number;
  /** Products classified per second by this run (0 before the first). */
  rate: number;
  /** Estimated seconds until the share is done; `NaN` before the first product. */
  etaSeconds: number;
  /** File name of the product that just finished. */
  file?: string;
}

/** Options of {@link classifyArchive}. `model` and `out` are required. */
export interface ClassifyArchiveOptions {
  /** The classifier, as `loadModel(dir)` returns it. */
  model: ClassifierModel;
  /** Output directory: `candidates.jsonl`, `journal.jsonl`, `run.json`, `thumbs/`, `files/`. */
  out: string;
  /**
   * The target profile images are prepared with. Default: the profile saved with the model
   * (`model.meta.profile`, completed from `dustInWind`).
   */
  profile?: TargetProfile;
  /**
   * Score at or above which a product is a positive. Default: the model's threshold chosen on
   * validation data (`meta.threshold`), else `profile.threshold`.
   */
  threshold?: number;
  /** Products in flight at once (downloading or classifying). Default 4. */
  concurrency?: number;
  /** Keep the downloaded FITS files in `out/files/` instead of deleting each once classified. Default `false`. */
  keepFiles?: boolean;
  /**
   * Most bytes of downloaded files on disk at once. A product whose size DataLink does not give
   * is counted as the whole budget; a product larger than the budget fails without being
   * downloaded. Default `Infinity` (bounded by `concurrency` x the largest file).
   */
  maxDiskBytes?: number;
  /**
   * This run's share of the product list. Default: from the Slurm array variables
   * ({@link shardFromEnv}), else the whole list. `null` forces the whole list.
   */
  shard?: ShardSpec | null;
  /** Save a PNG of the model input of each positive in `out/thumbs/` for the report. Default `true`. */
  thumbnails?: boolean;
  /** Archive client used for a search. Default: `new AlmaArchive(archiveOptions)`. */
  archive?: AlmaArchive;
  /** Options of the default archive client (mirror, retries, timeouts). */
  archiveOptions?: AlmaArchiveOptions;
  /** DataLink options for a search (`include`, `fitsOnly`, ...); the archive's defaults otherwise. */
  dataProducts?: DataProductOptions;
  /** HTTP layer for downloads (and the default archive client). Default `defaultFetch` (the platform's `fetch`). */
  fetch?: FetchLike;
  /** Download retries per product after a 5xx or dropped connection. Default 5. */
  retries?: number;
  /** First retry wait, ms (doubles each time). Default 1000. */
  backoffMs?: number;
  /** Longest silence from the server, ms. Default 60000. */
  timeoutMs?: number;
  /** Called after each product. */
  onProgress?: (progress: ArchiveProgress) => void;
  /** Called with warnings (search warnings, failed products). */
  onWarning?: (message: string) => void;
  /**
   * Stops the run gracefully: no new product is started, those in flight finish and are
   * journaled, and the promise resolves with `aborted: true`. A later run resumes.
   */
  signal?: AbortSignal;
}

/** Defaults of {@link ClassifyArchiveOptions}. */
export const DEFAULT_CLASSIFY_ARCHIVE_OPTIONS: Readonly<
  Required<
    Pick<
      ClassifyArchiveOptions,
      | 'concurrency'
      | 'keepFiles'
      | 'maxDiskBytes'
      | 'thumbnails'
      | 'retries'
      | 'backoffMs'
      | 'timeoutMs'
    >
  >
> = {
  concurrency: 4,
  keepFiles: false,
  maxDiskBytes: Infinity,
  thumbnails: true,
  retries: 5,
  backoffMs: 1000,
  timeoutMs: 60_000,
};

/** A product that failed in a run (journaled as `failed`, retried by the next run). */
export interface FailedProduct {
  /** The product's URL. */
  url: string;
  /** Why it failed; the message names the URL. */
  error: string;
}

/** What {@link classifyArchive} did. */
export interface ClassifyArchiveSummary {
  /** The output directory (absolute). */
  out: string;
  /** The share that was processed, when sharded. */
  shard?: ShardSpec;
  /** Products the search (or the list given) held, before sharding. */
  listed: number;
  /** Products in this run's share. */
  total: number;
  /** Products already done by an earlier run. */
  skipped: number;
  /** Products classified by this run. */
  classified: number;
  /** Products that failed in this run, with the reason. A later run retries them. */
  failed: FailedProduct[];
  /** Positives in `candidates.jsonl` (earlier runs included). */
  positives: number;
  /** Whether every product of the share is now done. */
  complete: boolean;
  /** Whether the run stopped early because `signal` aborted. */
  aborted: boolean;
  /** Wall time of this run, seconds. */
  seconds: number;
  /** Most bytes of downloaded files that were on disk at once (reserved sizes). */
  peakDiskBytes: number;
  /** Path of `candidates.jsonl`. */
  candidatesPath: string;
  /**
   * Paths of the catalogues beside it (`candidates.csv`, `.vot`, `.reg`, `.crtf`): every source
   * of every product done, on the sky.
   */
  catalogues: WrittenCatalogues['paths'];
}

/** Waits until a byte budget can hold a file; frees it when the file is gone. */
class DiskBudget {
  private used = 0;
  peak = 0;
  private waiters: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  async reserve(bytes: number): Promise<void> {
    // With nothing reserved a file always starts, so one that fits the budget cannot starve.
    while (this.used > 0 && this.used + bytes > this.limit) {
      await new Promise<void>((wake) => this.waiters.push(wake));
    }
    this.used += bytes;
    this.peak = Math.max(this.peak, this.used);
  }

  release(bytes: number): void {
    this.used -= bytes;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

function isProductList(x: SearchCriteria | readonly DataProduct[]): x is readonly DataProduct[] {
  return Array.isArray(x);
}

/** `error`, prefixed with `url` unless it names it already. */
function named(url: string, error: string): string {
  return error.includes(url) ? error : `${url}: ${error}`;
}

/** Why a product failed, and whether before or after its file was on disk. */
interface Failure {
  error: string;
  stage: 'download' | 'classify';
}

/** A short, stable directory name per product, so equal file names of two OUSs never collide. */
function productKey(url: string): string {
  return stableHash(url).toString(16).padStart(8, '0');
}

/** The sky fields a result line keeps of a candidate. */
const SKY_KEYS: readonly CandidateSkyKey[] = [
  'ra',
  'dec',
  'frame',
  'raHms',
  'decDms',
  'object',
  'pixelScaleArcsec',
  'beam',
  'peakJyBeam',
  'integratedJy',
  'integratedErrJy',
  'rmsJyBeam',
  'snr',
];

function toSourceScore(c: Candidate): SourceScore {
  const out: SourceScore = {
    score: c.score,
    label: c.label,
    sourceIndex: c.sourceIndex,
    peak: [c.peak[0], c.peak[1]],
  };
  for (const key of SKY_KEYS) if (c[key] !== undefined) Object.assign(out, { [key]: c[key] });
  return out;
}

/**
 * The catalogue candidates of result lines: every scored source of every product, with the
 * archive's member OUS and project code, best products first.
 *
 * @param results - lines of `candidates.jsonl`
 */
export function resultCatalogueCandidates(results: readonly ProductResult[]): CatalogueCandidate[] {
  return results.flatMap((r) =>
    r.sources.map((s): CatalogueCandidate => ({
      ...s,
      file: r.file,
      peak: [s.peak[0], s.peak[1]],
      ...(r.product.memberOus !== undefined ? { memberOus: r.product.memberOus } : {}),
      ...(r.product.projectCode !== undefined ? { projectCode: r.product.projectCode } : {}),
      ...(s.object === undefined && r.product.target !== undefined
        ? { object: r.product.target }
        : {}),
    })),
  );
}

/**
 * Classify every product of an archive search (or a given product list) without keeping the
 * archive on disk: each product is downloaded into `out/files/`, classified with `model`, its
 * result appended to `out/candidates.jsonl` (one {@link ProductResult} line), recorded as done in
 * `out/journal.jsonl`, and its file deleted (unless `keepFiles`). At most `concurrency` products
 * are in flight, so memory and disk stay bounded by `concurrency` x the largest file however
 * many products there are.
 *
 * Resuming: a run killed at any point and started again with the same `out` skips the products
 * its journal lists as done and redoes the rest; a result line written just before the kill
 * without its journal line is removed first, so `candidates.jsonl` ends with every product
 * exactly once. Failed products (download or FITS errors) are journaled as failed, reported,
 * and tried again by the next run.
 *
 * Sharding: with `shard` (or the Slurm array variables) only the products whose URL hashes to
 * this shard are processed; `mergeResults` combines the shards' directories.
 *
 * @param source - search criteria (searched with `archive`, then listed through DataLink), or
 *   the data products themselves
 * @param opts - see {@link ClassifyArchiveOptions}; defaults {@link DEFAULT_CLASSIFY_ARCHIVE_OPTIONS}
 * @throws ArchiveError when the search fails; PipelineError when the output files cannot be
 *   written, when `out` holds a run of another shard, or when the first 10 downloaded products
 *   all fail to classify (a wrong model or profile; the message quotes the first error)
 */
export async function classifyArchive(
  source: SearchCriteria | readonly DataProduct[],
  opts: ClassifyArchiveOptions,
): Promise<ClassifyArchiveSummary> {
  const started = performance.now();
  const o = { ...DEFAULT_CLASSIFY_ARCHIVE_OPTIONS, ...opts };
  if (!Number.isInteger(o.concurrency) || o.concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${o.concurrency}`);
  }
  if (!(o.maxDiskBytes > 0))
    throw new RangeError(`maxDiskBytes must be positive, got ${o.maxDiskBytes}`);
  const profile = profileForModel(o.model, o.profile);
  const threshold =
    o.threshold ?? (o.profile !== undefined ? profile.threshold : modelThreshold(o.model));
  const negativeLabel = profile.classes[0] ?? 'negative';
  const warn = (m: string) => o.onWarning?.(m);
  const out = resolve(o.out);
  const filesDir = join(out, 'files');
  const thumbsDir = join(out, 'thumbs');
  await makeDirectory(out);

  // The work list: given, or searched. Observations give products their target and project.
  let products: readonly DataProduct[];
  const observations = new Map<string, Observation>();
  if (isProductList(source)) {
    products = source;
  } else {
    const archive =
      o.archive ?? new AlmaArchive({ ...(o.fetch ? { fetch: o.fetch } : {}), ...o.archiveOptions });
    const found = await archive.search(source);
    for (const w of found.warnings) warn(w);
    for (const ob of found.observations) observations.set(ob.obsId, ob);
    const list = await archive.dataProducts(found.observations, o.dataProducts);
    for (const w of list.warnings) warn(w);
    products = list.products;
  }
  const unique = new Map<string, DataProduct>();
  for (const p of products) if (!unique.has(p.url)) unique.set(p.url, p);
  const asked = o.shard === null ? undefined : (o.shard ?? shardFromEnv());
  // One shard of one is the whole list; naming it so keeps resumes of either form compatible.
  const shard = asked && asked.count > 1 ? asked : undefined;
  const share = shard ? selectShard([...unique.values()], shard) : [...unique.values()];

  await checkSameShard(out, shard);
  const info: RunInfo = {
    version: 1,
    ...(shard ? { shard } : {}),
    total: share.length,
    threshold,
    startedAt: new Date().toISOString(),
  };
  await writeTextAtomic(join(out, RUN_FILES.run), `${JSON.stringify(info, null, 2)}\n`);

  // The journal is the truth: drop result lines it does not vouch for (kill between the two
  // writes) and repeated ones, then append after what remains. A journaled product whose result
  // line is gone (a hand-edited file) is simply done again.
  const journal = await Journal.open(join(out, RUN_FILES.journal));
  const candidatesPath = join(out, RUN_FILES.candidates);
  const done = new Set<string>();
  await filterJsonLines<ProductResult>(candidatesPath, (r) => {
    if (!journal.isDone(r.url) || done.has(r.url)) return false;
    done.add(r.url);
    return true;
  });
  const existing = await readJsonLines<ProductResult>(candidatesPath);
  let positives = existing.records.filter((r) => r.positive).length;
  const results = await JsonLinesWriter.open(candidatesPath, existing.completeBytes);

  const todo = share.filter((p) => !done.has(p.url));
  const skipped = share.length - todo.length;
  if (!o.keepFiles) await removeLeftovers(filesDir, new Set(todo.map((p) => productKey(p.url))));

  const budget = new DiskBudget(o.maxDiskBytes);
  const failed: FailedProduct[] = [];
  const unreadable: Failure[] = [];
  let classified = 0;
  let next = 0;
  let fatal: unknown;
  const report = (file?: string) => {
    if (!o.onProgress) return;
    const seconds = (performance.now() - started) / 1000;
    const rate = classified > 0 ? classified / seconds : 0;
    const remaining = todo.length - classified - failed.length;
    o.onProgress({
      total: share.length,
      done: skipped + classified + failed.length,
      skipped,
      classified,
      failed: failed.length,
      positives,
      rate,
      etaSeconds: rate > 0 ? remaining / rate : remaining === 0 ? 0 : NaN,
      ...(file !== undefined ? { file } : {}),
    });
  };
  report();

  const processOne = async (product: DataProduct): Promise<void> => {
    const dir = join(filesDir, productKey(product.url));
    // An unknown size takes the whole budget (when there is one), so the bound still holds.
    const size = product.sizeBytes ?? (Number.isFinite(o.maxDiskBytes) ? o.maxDiskBytes : 0);
    let outcome: ProductResult | Failure;
    if (product.sizeBytes !== null && product.sizeBytes > o.maxDiskBytes) {
      outcome = {
        error: `${product.fileName}: ${product.sizeBytes} bytes exceed maxDiskBytes ${o.maxDiskBytes}`,
        stage: 'download',
      };
    } else {
      await budget.reserve(size);
      try {
        outcome = await downloadAndClassify(product, dir);
      } finally {
        if (!o.keepFiles) await rm(dir, { recursive: true, force: true });
        budget.release(size);
      }
    }
    if ('error' in outcome) {
      failed.push({ url: product.url, error: named(product.url, outcome.error) });
      warn(`product failed: ${named(product.url, outcome.error)}`);
      await journal.markFailed(product.url, outcome.error);
      // Downloaded files that all fail to classify point at the model or profile, not at the
      // data: stop before a whole allocation is spent failing. Download failures never stop a run.
      if (outcome.stage === 'classify') unreadable.push(outcome);
      if (classified === 0 && unreadable.length >= 10) {
        throw new PipelineError(
          `the first ${unreadable.length} downloaded products all failed to classify; stopping. ` +
            `First error: ${unreadable[0].error}`,
          o.out,
        );
      }
    } else {
      // Result line first, journal second: a kill in between leaves a line the next run drops.
      await results.append(outcome);
      await journal.markDone(product.url);
      classified += 1;
      if (outcome.positive) positives += 1;
    }
    report(product.fileName);
  };

  const downloadAndClassify = async (
    product: DataProduct,
    dir: string,
  ): Promise<ProductResult | Failure> => {
    let path: string;
    try {
      const got = await downloadProducts([product], {
        dir,
        concurrency: 1,
        retries: o.retries,
        backoffMs: o.backoffMs,
        timeoutMs: o.timeoutMs,
        ...(o.fetch ? { fetch: o.fetch } : {}),
      });
      const file = got.files[0];
      if (!file || (file.status !== 'downloaded' && file.status !== 'present')) {
        return {
          error:
            file?.error ?? `${product.fileName}: not downloaded (${file?.status ?? 'filtered'})`,
          stage: 'download',
        };
      }
      path = file.path;
    } catch (err) {
      return { error: (err as Error).message, stage: 'download' };
    }
    // Read here rather than through the Node `classify`, which skips unreadable files: a bad
    // download must count as a failed product, to be retried.
    let candidates: Candidate[];
    try {
      const fits = await readFits(path);
      const image = requireImage(fits);
      const sky = skyScaleFromHeader(fits.header);
      candidates = await classifyImages(
        o.model,
        [
          {
            name: product.fileName,
            image,
            ...(fits.imageHdu !== undefined ? { hdu: fits.imageHdu } : {}),
            ...(sky ? { sky } : {}),
            header: fits.header,
          },
        ],
        { profile, threshold, keepInputs: o.thumbnails },
      );
    } catch (err) {
      return { error: (err as Error).message, stage: 'classify' };
    }
    const sources = candidates.map(toSourceScore).sort((a, b) => b.score - a.score);
    const best = sources[0];
    const score = best?.score ?? 0;
    const positive = score >= threshold;
    const obs = product.obsId !== undefined ? observations.get(product.obsId) : undefined;
    const productInfo: ProductInfo = {
      ...(product.sizeBytes !== null ? { size: product.sizeBytes } : {}),
      memberOus: product.memberOus,
      ...(product.obsId !== undefined ? { obsId: product.obsId } : {}),
      ...(obs ? { target: obs.sourceName, projectCode: obs.projectCode } : {}),
    };
    const result: ProductResult = {
      url: product.url,
      file: product.fileName,
      score,
      label: best?.label ?? negativeLabel,
      positive,
      sources,
      product: productInfo,
      ...(shard ? { shard } : {}),
      at: new Date().toISOString(),
    };
    const bestCandidate = candidates.find((c) => c.sourceIndex === best?.sourceIndex);
    const bestInput = bestCandidate?.input;
    if (positive && bestInput) {
      try {
        result.thumbnail = await writeThumbnail(bestInput, product);
        const cut = bestCandidate?.skyCutout;
        if (cut?.header !== undefined) {
          const name = `${productKey(product.url)}-${safeStem(product.fileName)}-sky.fits`;
          await writeFile(join(thumbsDir, name), writeFits(cut.image, cut.header));
          result.skyFits = `thumbs/${name}`;
          result.skyResampled = cut.resampled;
        }
      } catch (err) {
        warn(`no thumbnail for ${product.fileName}: ${(err as Error).message}`);
      }
    }
    return result;
  };

  const writeThumbnail = async (input: Image2D, product: DataProduct): Promise<string> => {
    await makeDirectory(thumbsDir);
    const name = `${productKey(product.url)}-${safeStem(product.fileName)}.png`;
    await writeFile(join(thumbsDir, name), renderPng(input));
    return `thumbs/${name}`;
  };

  const worker = async () => {
    while (fatal === undefined && !o.signal?.aborted && next < todo.length) {
      const product = todo[next++];
      try {
        await processOne(product);
      } catch (err) {
        fatal ??= err;
      }
    }
  };
  try {
    await Promise.all(
      Array.from({ length: Math.min(o.concurrency, Math.max(1, todo.length)) }, worker),
    );
  } finally {
    await results.close();
    await journal.close();
    if (!o.keepFiles) await rm(filesDir, { recursive: true, force: true });
  }
  if (fatal !== undefined) throw fatal;
  // The catalogues cover every product done so far, earlier runs included.
  const all = rankResults((await readJsonLines<ProductResult>(candidatesPath)).records).results;
  let catalogues: WrittenCatalogues;
  try {
    catalogues = await writeCandidateCatalogues(
      resultCatalogueCandidates(all),
      join(out, RUN_FILES.candidates),
      { info: { threshold: String(threshold) } },
    );
  } catch (err) {
    throw new PipelineError(
      `cannot write the catalogues in ${out}: ${(err as Error).message}`,
      out,
      {
        cause: err,
      },
    );
  }
  for (const w of catalogues.warnings) warn(w);
  const aborted = o.signal?.aborted === true && next < todo.length;
  return {
    out,
    ...(shard ? { shard } : {}),
    listed: unique.size,
    total: share.length,
    skipped,
    classified,
    failed,
    positives,
    complete: skipped + classified === share.length,
    aborted,
    seconds: (performance.now() - started) / 1000,
    peakDiskBytes: budget.peak,
    candidatesPath,
    catalogues: catalogues.paths,
  };
}

const shardText = (s: ShardSpec | undefined) => (s ? `${s.index}/${s.count}` : 'unsharded');

/**
 * Refuse to resume a directory with another shard than the one it was started with (a lone
 * resubmitted array task sees an array of one): its journal would not match its product list.
 */
async function checkSameShard(out: string, shard: ShardSpec | undefined): Promise<void> {
  const path = join(out, RUN_FILES.run);
  let before: RunInfo;
  try {
    before = JSON.parse(await readFile(path, 'utf8')) as RunInfo;
  } catch {
    return;
  }
  if (shardText(before.shard) !== shardText(shard)) {
    throw new PipelineError(
      `${out} holds a run of shard ${shardText(before.shard)}, but this run is ${shardText(shard)}; ` +
        `pass --shard ${shardText(before.shard)} to resume it, or use another output directory`,
      path,
    );
  }
}

/** Remove what a killed run left in `files/`, except partial downloads still to be resumed. */
async function removeLeftovers(filesDir: string, resumable: ReadonlySet<string>): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(filesDir);
  } catch {
    return;
  }
  await Promise.all(
    entries
      .filter((e) => !resumable.has(e))
      .map((e) => rm(join(filesDir, e), { recursive: true, force: true })),
  );
}
