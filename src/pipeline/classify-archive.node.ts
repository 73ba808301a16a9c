/**
 * Archive-scale classification (Node): stream every product of a search through download →
 * classify → delete, with bounded memory and disk, a journal that makes a killed run resumable,
 * and deterministic sharding so many machines (Slurm array tasks) split one search.
 *
 * Three parts, one file each: the work list (`archive-work.ts`: search, DataLink, shard), the
 * run folder (`archive-run.node.ts`: run.json, journal, candidates, leftovers) and one product's
 * path (`archive-product.node.ts`: download, classify, result). This file runs them.
 */
import type { SearchCriteria } from '../archive/adql.js';
import { AlmaArchive, type AlmaArchiveOptions } from '../archive/archive.js';
import type { DataProduct, DataProductOptions } from '../archive/datalink.js';
import { DEFAULT_DOWNLOAD_OPTIONS } from '../archive/download.js';
import type { FetchLike } from '../archive/http.js';
import { mapConcurrent } from '../core/concurrency.js';
import { PipelineError } from '../core/errors.js';
import type { TargetProfile } from '../dataset/profile.js';
import { classifyProduct, DiskBudget, type ProductFailure } from './archive-product.node.js';
import { ArchiveRun } from './archive-run.node.js';
import { archiveWorkList } from './archive-work.js';
import { modelThreshold, profileForModel } from './classify.js';
import type { Progress } from '../core/progress.js';
import type { LoadedModel } from '../model/io.js';
import type { WrittenCatalogues } from './catalogue.node.js';
import type { ShardSpec } from './shard.js';

export { resultCatalogueCandidates } from './archive-run.node.js';

/** Progress of {@link classifyArchive}, reported after every product. */
export interface ArchiveProgress extends Progress {
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
  model: LoadedModel;
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
  /**
   * The archive client that searches, lists the products through DataLink and downloads them
   * (with its mirror fail-over, retries and timeouts), or the options of one. Default: an
   * `AlmaArchive` with five retries (downloads are long), i.e. `{ retries: 5 }`.
   */
  archive?: AlmaArchive | AlmaArchiveOptions;
  /** DataLink options for a search (`include`, `fitsOnly`, ...); the archive's defaults otherwise. */
  dataProducts?: DataProductOptions;
  /** @deprecated Since 0.2; give the options as `archive` instead. Options of the default archive client. */
  archiveOptions?: AlmaArchiveOptions;
  /** @deprecated Since 0.2; use `archive: { fetch }`. HTTP layer for downloads (and the default archive client). */
  fetch?: FetchLike;
  /** @deprecated Since 0.2; use `archive: { retries }`. Download retries per product, over the client's. */
  retries?: number;
  /** @deprecated Since 0.2; use `archive: { backoffMs }`. First download retry wait, ms, over the client's. */
  backoffMs?: number;
  /** @deprecated Since 0.2; use `archive: { timeoutMs }`. Longest silence from the server in a download, ms, over the client's. */
  timeoutMs?: number;
  /** Called after each product. */
  onProgress?: (progress: ArchiveProgress) => void;
  /** Called with warnings (search warnings, failed products). */
  onWarning?: (message: string, source?: string) => void;
  /**
   * Stops the run gracefully: no new product is started, those in flight finish and are
   * journaled, and the promise resolves with `aborted: true`. A later run resumes.
   */
  signal?: AbortSignal;
}

/** Defaults of {@link ClassifyArchiveOptions}. */
export const DEFAULT_CLASSIFY_ARCHIVE_OPTIONS: Readonly<
  Required<
    Pick<ClassifyArchiveOptions, 'concurrency' | 'keepFiles' | 'maxDiskBytes' | 'thumbnails'>
  >
> = {
  concurrency: 4,
  keepFiles: false,
  maxDiskBytes: Infinity,
  thumbnails: true,
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

/**
 * Classify every product of an archive search (or a given product list) without keeping the
 * archive on disk: each product is downloaded into `out/files/` through the archive client (so a
 * mirror that fails hands the download to the next, as `AlmaArchive.download` does), classified
 * with `model`, its
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
  const warn = (message: string, source?: string): void => o.onWarning?.(message, source);
  const archive = archiveClient(o);

  const work = await archiveWorkList(source, {
    archive,
    ...(o.dataProducts ? { dataProducts: o.dataProducts } : {}),
    ...(o.shard !== undefined ? { shard: o.shard } : {}),
    onWarning: warn,
  });
  const { shard } = work;
  const share = work.products;
  const run = await ArchiveRun.open(o.out, {
    shard,
    products: share,
    threshold,
    keepFiles: o.keepFiles,
  });
  const todo = run.todo;
  const skipped = share.length - todo.length;

  const budget = new DiskBudget(o.maxDiskBytes);
  const failed: FailedProduct[] = [];
  const unreadable: ProductFailure[] = [];
  let classified = 0;
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
      positives: run.positives,
      rate,
      etaSeconds: rate > 0 ? remaining / rate : remaining === 0 ? 0 : NaN,
      ...(file !== undefined ? { file } : {}),
    });
  };
  report();

  const context = {
    archive,
    download: deprecatedDownloadOptions(o),
    run,
    budget,
    keepFiles: o.keepFiles,
    model: o.model,
    profile,
    threshold,
    thumbnails: o.thumbnails,
    observations: work.observations,
    shard,
    onWarning: warn,
  };
  let aborted = false;
  try {
    await mapConcurrent(
      todo,
      o.concurrency,
      async (product) => {
        const outcome = await classifyProduct(product, context);
        if ('error' in outcome) {
          const error = named(product.url, outcome.error);
          failed.push({ url: product.url, error });
          warn(`product failed: ${error}`);
          await run.failed(product.url, outcome.error);
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
          await run.done(outcome);
          classified += 1;
        }
        report(product.fileName);
      },
      o.signal ? { signal: o.signal } : {},
    );
  } catch (err) {
    // Stopped by the signal: the products in flight are done and journaled; a later run resumes.
    if (o.signal === undefined || err !== o.signal.reason) throw err;
    aborted = true;
  } finally {
    await run.close();
  }
  // The catalogues cover every product done so far, earlier runs included.
  const catalogues = await run.writeCatalogues(threshold);
  for (const w of catalogues.warnings) warn(w);
  return {
    out: run.out,
    ...(shard ? { shard } : {}),
    listed: work.listed,
    total: share.length,
    skipped,
    classified,
    failed,
    positives: run.positives,
    complete: skipped + classified === share.length,
    aborted,
    seconds: (performance.now() - started) / 1000,
    peakDiskBytes: budget.peak,
    candidatesPath: run.candidatesPath,
    catalogues: catalogues.paths,
  };
}

/** `error`, prefixed with `url` unless it names it already. */
function named(url: string, error: string): string {
  return error.includes(url) ? error : `${url}: ${error}`;
}

/** The client of `opts.archive` (or the 0.1 options): a given client, or one made from options. */
function archiveClient(o: ClassifyArchiveOptions): AlmaArchive {
  const given = o.archive;
  if (given !== undefined && typeof (given as AlmaArchive).download === 'function')
    return given as AlmaArchive;
  return new AlmaArchive({
    retries: DEFAULT_DOWNLOAD_OPTIONS.retries,
    ...(o.fetch ? { fetch: o.fetch } : {}),
    ...o.archiveOptions,
    ...(given as AlmaArchiveOptions | undefined),
  });
}

/** The deprecated per-run HTTP settings, which override the client's for downloads as they did. */
function deprecatedDownloadOptions(
  o: ClassifyArchiveOptions,
): Partial<Record<'retries' | 'backoffMs' | 'timeoutMs', number>> & { fetch?: FetchLike } {
  return {
    ...(o.fetch !== undefined ? { fetch: o.fetch } : {}),
    ...(o.retries !== undefined ? { retries: o.retries } : {}),
    ...(o.backoffMs !== undefined ? { backoffMs: o.backoffMs } : {}),
    ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
  };
}
