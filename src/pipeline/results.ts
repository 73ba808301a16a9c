/**
 * The result record of an archive-scale run (one line of `candidates.jsonl` per data product)
 * and the pure ranking used to merge shards. Browser-safe: a web page can rank the JSON too.
 */
import type { Candidate } from './classify.js';
import type { ShardSpec } from './shard.js';

/** The fields of a {@link Candidate} that place it on the sky and measure it. */
export type CandidateSkyKey =
  | 'ra'
  | 'dec'
  | 'frame'
  | 'raHms'
  | 'decDms'
  | 'object'
  | 'pixelScaleArcsec'
  | 'beam'
  | 'peakJyBeam'
  | 'integratedJy'
  | 'integratedErrJy'
  | 'rmsJyBeam'
  | 'snr';

/**
 * One source the classifier scored inside a product's image, with its place on the sky and
 * its fluxes when the header had them (the {@link CandidateSkyKey} fields of a candidate).
 */
export interface SourceScore extends Partial<Pick<Candidate, CandidateSkyKey>> {
  /** Positive-class score in [0, 1]. */
  score: number;
  /** The class name the score maps to under the run's threshold. */
  label: string;
  /** Which source of the image (0 = the brightest) the crop was centred on. */
  sourceIndex: number;
  /** The crop centre, `[row, col]` in the full image (row 0 = FITS y = 1). */
  peak: [number, number];
  /** Stable id of the object (`<hash>:<hdu>:<row>,<col>`), what the label store names it by. */
  id?: string;
  /** Content hash of the product's image data (`fitsDataHash`). */
  hash?: string;
  /** Set when the source's model input is unlike the model's training inputs ({@link Candidate.outsideTraining}). */
  outsideTraining?: Candidate['outsideTraining'];
}

/** What is known about a product apart from its score: where it came from in the archive. */
export interface ProductInfo {
  /** File size in bytes, when the archive reported it. */
  size?: number;
  /** Member OUS uid (`uid://A001/X12a2/X10d`), the archive's unit of data products. */
  memberOus?: string;
  /** ObsCore `obs_id`. */
  obsId?: string;
  /** Target (source) name. */
  target?: string;
  /** ALMA project code (`2017.1.00123.S`). */
  projectCode?: string;
}

/**
 * One line of `candidates.jsonl`: a product of the archive and what the classifier made of it.
 * Written once per product by `classifyArchive`; merged across shards by `mergeResults`.
 */
export interface ProductResult {
  /** The product's download URL: its identity for journaling, sharding and merging. */
  url: string;
  /** The product's file name. */
  file: string;
  /** The highest score over the image's sources (0 when no source was found). */
  score: number;
  /** The label of that best source (the negative class name when no source was found). */
  label: string;
  /** Whether `score` reached the run's threshold. */
  positive: boolean;
  /** Every source scored in the image, best first. */
  sources: SourceScore[];
  /** Archive metadata of the product. */
  product: ProductInfo;
  /** The shard that classified it, when the run was sharded. */
  shard?: ShardSpec;
  /** ISO-8601 time it was classified. */
  at: string;
  /** Path of a PNG thumbnail of the classified crop, relative to the run directory, if saved. */
  thumbnail?: string;
  /**
   * Path of the best source's crop on the sky (FITS, north up, with its own WCS), relative to
   * the run directory, when a thumbnail was saved and the header had a WCS.
   */
  skyFits?: string;
  /** Whether that crop was resampled to north up rather than cut. */
  skyResampled?: boolean;
}

/** Options of {@link rankResults}. */
export interface RankResultsOptions {
  /** Keep only results with `positive` true. Default `false`. */
  positivesOnly?: boolean;
}

/** What {@link rankResults} returns. */
export interface RankedResults {
  /** Each URL once, by score descending, ties broken by URL so the order is reproducible. */
  results: ProductResult[];
  /** How many records repeated a URL already seen (the first occurrence is kept). */
  duplicates: number;
}

/**
 * Rank result records into one list: each URL once (its first occurrence wins), highest score
 * first. A NaN score (a hand-edited or foreign record) ranks last. The input is not mutated.
 */
export function rankResults(
  records: Iterable<ProductResult>,
  opts: RankResultsOptions = {},
): RankedResults {
  const byUrl = new Map<string, ProductResult>();
  let duplicates = 0;
  for (const r of records) {
    if (byUrl.has(r.url)) duplicates += 1;
    else byUrl.set(r.url, r);
  }
  let results = [...byUrl.values()];
  if (opts.positivesOnly) results = results.filter((r) => r.positive);
  const key = (s: number): number => (Number.isNaN(s) ? -Infinity : s);
  results.sort(
    (a, b) => key(b.score) - key(a.score) || (a.url < b.url ? -1 : a.url > b.url ? 1 : 0),
  );
  return { results, duplicates };
}
