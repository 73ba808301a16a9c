/**
 * One product's path through `classifyArchive`: wait for room on disk, download it through the
 * archive client (with its mirror fail-over), read and classify it, and make its result line
 * and thumbnails; its file is deleted afterwards unless downloads are kept.
 */
import { rm, writeFile } from 'node:fs/promises';
import type { AlmaArchive } from '../archive/archive.js';
import type { DataProduct } from '../archive/datalink.js';
import type { DownloadOptions } from '../archive/download.js';
import type { Observation } from '../archive/observation.js';
import type { Image2D } from '../core/image2d.js';
import type { TargetProfile } from '../dataset/profile.js';
import { skyScaleFromHeader } from '../dataset/sky-scale.js';
import { readFits } from '../fits/read.node.js';
import { hashOfOpenImage } from '../dataset/content-hash.node.js';
import { requireImage } from '../fits/read.js';
import { writeFits } from '../fits/write.js';
import { renderPng } from '../report/render.js';
import type { ArchiveRun } from './archive-run.node.js';
import { classifyImages, type Candidate } from './classify.js';
import type { LoadedModel } from '../model/io.js';
import type { CandidateSkyKey, ProductInfo, ProductResult, SourceScore } from './results.js';
import type { ShardSpec } from './shard.js';

/** @internal Why a product failed, and whether before or after its file was on disk. */
export interface ProductFailure {
  /** The reason; it names the file or URL. */
  error: string;
  /** `download`: the file never arrived whole; `classify`: it did, but could not be classified. */
  stage: 'download' | 'classify';
}

/** @internal Waits until a byte budget can hold a file; frees it when the file is gone. */
export class DiskBudget {
  private used = 0;
  /** Most bytes reserved at once. */
  peak = 0;
  private waiters: (() => void)[] = [];

  /** @param limit - the budget in bytes (`Infinity` for none) */
  constructor(readonly limit: number) {}

  /** Wait for room for `bytes`, then hold it. */
  async reserve(bytes: number): Promise<void> {
    // With nothing reserved a file always starts, so one that fits the budget cannot starve.
    while (this.used > 0 && this.used + bytes > this.limit) {
      await new Promise<void>((wake) => this.waiters.push(wake));
    }
    this.used += bytes;
    this.peak = Math.max(this.peak, this.used);
  }

  /** Give back `bytes` held by {@link DiskBudget.reserve}. */
  release(bytes: number): void {
    this.used -= bytes;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** @internal Everything one product's path needs, the same for every product of a run. */
export interface ProductContext {
  /** The client downloads go through. */
  archive: AlmaArchive;
  /** Download options that override the client's (deprecated per-run HTTP settings). */
  download: Partial<Pick<DownloadOptions, 'fetch' | 'retries' | 'backoffMs' | 'timeoutMs'>>;
  /** The run folder: where files and thumbnails go. */
  run: ArchiveRun;
  /** Room on disk for downloads. */
  budget: DiskBudget;
  /** Keep the downloaded file. */
  keepFiles: boolean;
  model: LoadedModel;
  profile: TargetProfile;
  threshold: number;
  /** Save thumbnails of positives. */
  thumbnails: boolean;
  /** The observations of the search, by `obs_id`. */
  observations: ReadonlyMap<string, Observation>;
  shard: ShardSpec | undefined;
  /** Receives warnings that do not fail the product (a thumbnail that could not be written). */
  onWarning: (message: string, source?: string) => void;
}

/**
 * @internal Download and classify one product: its result line, or why it failed. Never
 * throws for a product's own trouble (download, FITS, model input); its file is removed
 * afterwards unless `ctx.keepFiles`.
 */
export async function classifyProduct(
  product: DataProduct,
  ctx: ProductContext,
): Promise<ProductResult | ProductFailure> {
  const max = ctx.budget.limit;
  if (product.sizeBytes !== null && product.sizeBytes > max) {
    return {
      error: `${product.fileName}: ${product.sizeBytes} bytes exceed maxDiskBytes ${max}`,
      stage: 'download',
    };
  }
  // An unknown size takes the whole budget (when there is one), so the bound still holds.
  const size = product.sizeBytes ?? (Number.isFinite(max) ? max : 0);
  const dir = ctx.run.productDir(product);
  await ctx.budget.reserve(size);
  try {
    const path = await download(product, dir, ctx);
    return typeof path === 'string' ? await classifyFile(product, path, ctx) : path;
  } finally {
    if (!ctx.keepFiles) await rm(dir, { recursive: true, force: true });
    ctx.budget.release(size);
  }
}

/** The downloaded file's path, or why there is none. */
async function download(
  product: DataProduct,
  dir: string,
  ctx: ProductContext,
): Promise<string | ProductFailure> {
  try {
    const got = await ctx.archive.download([product], { dir, concurrency: 1, ...ctx.download });
    const file = got.files[0];
    if (!file || (file.status !== 'downloaded' && file.status !== 'present')) {
      return {
        error: file?.error ?? `${product.fileName}: not downloaded (${file?.status ?? 'filtered'})`,
        stage: 'download',
      };
    }
    return file.path;
  } catch (err) {
    return { error: (err as Error).message, stage: 'download' };
  }
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
    ...(c.id !== undefined ? { id: c.id } : {}),
    ...(c.hash !== undefined ? { hash: c.hash } : {}),
    ...(c.outsideTraining !== undefined ? { outsideTraining: c.outsideTraining } : {}),
  };
  for (const key of SKY_KEYS) if (c[key] !== undefined) Object.assign(out, { [key]: c[key] });
  return out;
}

/** Read and classify a downloaded product: its result line (with thumbnails), or why not. */
async function classifyFile(
  product: DataProduct,
  path: string,
  ctx: ProductContext,
): Promise<ProductResult | ProductFailure> {
  // Read here rather than through the Node `classify`, which skips unreadable files: a bad
  // download must count as a failed product, to be retried.
  let candidates: Candidate[];
  try {
    const fits = await readFits(path);
    const image = requireImage(fits);
    const sky = skyScaleFromHeader(fits.header);
    // The content hash of the data unit, so a review decision on this candidate finds it again.
    const { hash } = await hashOfOpenImage(path, fits.hdus[fits.imageHdu ?? 0]);
    candidates = await classifyImages(
      ctx.model,
      [
        {
          name: product.fileName,
          image,
          hash,
          ...(fits.imageHdu !== undefined ? { hdu: fits.imageHdu } : {}),
          ...(sky ? { sky } : {}),
          header: fits.header,
        },
      ],
      { profile: ctx.profile, threshold: ctx.threshold, keepInputs: ctx.thumbnails },
    );
  } catch (err) {
    return { error: (err as Error).message, stage: 'classify' };
  }
  const sources = candidates.map(toSourceScore).sort((a, b) => b.score - a.score);
  const best = sources[0];
  const score = best?.score ?? 0;
  const positive = score >= ctx.threshold;
  const obs = product.obsId !== undefined ? ctx.observations.get(product.obsId) : undefined;
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
    label: best?.label ?? ctx.profile.classes[0] ?? 'negative',
    positive,
    sources,
    product: productInfo,
    ...(ctx.shard ? { shard: ctx.shard } : {}),
    at: new Date().toISOString(),
  };
  const bestCandidate = candidates.find((c) => c.sourceIndex === best?.sourceIndex);
  if (positive && bestCandidate?.input) {
    try {
      await writeThumbnails(result, product, bestCandidate.input, bestCandidate, ctx.run);
    } catch (err) {
      ctx.onWarning(
        `no thumbnail for ${product.fileName}: ${(err as Error).message}`,
        product.fileName,
      );
    }
  }
  return result;
}

/** The PNG of a positive's model input, and its sky cutout as FITS when it has one, for the report. */
async function writeThumbnails(
  result: ProductResult,
  product: DataProduct,
  input: Image2D,
  best: Candidate,
  run: ArchiveRun,
): Promise<void> {
  const png = await run.thumbPath(product, '.png');
  await writeFile(png.path, renderPng(input));
  result.thumbnail = png.rel;
  const cut = best.skyCutout;
  if (cut?.header !== undefined) {
    const sky = await run.thumbPath(product, '-sky.fits');
    await writeFile(sky.path, writeFits(cut.image, cut.header));
    result.skyFits = sky.rel;
    result.skyResampled = cut.resampled;
  }
}
