import type { Progress } from '../core/progress.js';
import { ArchiveError } from '../core/errors.js';
import { createRng, shuffleInPlace } from '../core/random.js';
import { FilterLog, type DataProduct, type FilterStat } from './datalink.js';
import type { FetchLike, RetryOptions } from './http.js';

/** Progress of a download run, reported after every chunk written and every file finished. */
export interface DownloadProgress extends Progress {
  /** Files finished (downloaded, already present, skipped or failed). */
  done: number;
  /** Files to process. */
  total: number;
  /** Bytes on disk so far for the files to process (resumed bytes included). */
  bytesDone: number;
  /** Sum of the known sizes of the files to process. */
  bytesTotal: number;
  /** The file that last made progress. */
  file?: string;
}

/** A retry, a mirror switch or a warning during downloads. */
export interface DownloadEvent {
  /** `retry` before another attempt, `mirror-switch` when a file is fetched from another mirror, `warning` otherwise. */
  type: 'retry' | 'mirror-switch' | 'warning';
  /** What happened, naming the file or URL. */
  message: string;
}

/** Options of `downloadProducts` / `AlmaArchive.download`. Defaults: {@link DEFAULT_DOWNLOAD_OPTIONS}. */
export interface DownloadOptions extends RetryOptions {
  /** Directory to write into (created if missing). Nothing is ever written outside it. */
  dir: string;
  /** Files downloaded at the same time. */
  concurrency?: number;
  /** Skip products whose DataLink size exceeds this many bytes (before downloading them). */
  maxBytes?: number;
  /** Pick `n` products reproducibly with the seeded generator (the original sampled 500). */
  sample?: {
    /** How many products to keep. */
    n: number;
    /** Seed of the generator. */
    seed: number;
  };
  /** Only report what would be downloaded (count and total size); touch neither disk nor network. */
  dryRun?: boolean;
  /** Called with progress; see {@link DownloadProgress}. */
  onProgress?: (progress: DownloadProgress) => void;
  /** Called on retries and warnings. */
  onEvent?: (event: DownloadEvent) => void;
  /** `true`: a 401/403 skips that file; `false`: it throws `ArchiveError`. */
  skipUnauthorized?: boolean;
  /** Check that a `.fits` file holds a FITS header and all the data it declares before renaming it. */
  verifyFits?: boolean;
  /** HTTP layer (default `defaultFetch`: the platform's `fetch`). */
  fetch?: FetchLike;
  /**
   * Archive mirror base URLs, in order of preference. A file whose URL lies under one of them
   * (or on a generic `almascience.*` host) is fetched from the next one when its own fails
   * (connection refused, 5xx after retries). Default none; `AlmaArchive.download` passes its
   * mirror chain starting at the mirror in use.
   */
  mirrors?: readonly string[];
}

/** Defaults of {@link DownloadOptions}; retries default to 5 (downloads are long). */
export const DEFAULT_DOWNLOAD_OPTIONS = {
  /** Four files at a time. */
  concurrency: 4,
  /** Download for real. */
  dryRun: false,
  /** A 401/403 skips the file. */
  skipUnauthorized: true,
  /** Check FITS structure before renaming. */
  verifyFits: true,
  /** Five retries per file. */
  retries: 5,
  /** First retry after one second, doubling. */
  backoffMs: 1000,
  /** A minute of silence from the server is a failure. */
  timeoutMs: 60_000,
} as const;

/**
 * The file in a download directory that records under which name each product's URL was saved
 * (JSON lines `{"url", "file", "bytes"}`), so that a rerun finds a file saved under a
 * `Content-Disposition` name or a de-duplicating suffix, and no other product takes that name;
 * and which `.part` a download began for which URL (`{"url", "part", "total"}`, `total` the
 * file's size as the answer that began it said, or null), so that a `.part` is only ever
 * resumed by its own product, and not from an answer of another size. A hidden name, which
 * `safeFileName` never gives a product.
 */
export const DOWNLOAD_RECORD_FILE = '.alma-downloads.jsonl';

/** What happened to one product. */
export type DownloadStatus = 'downloaded' | 'present' | 'unauthorized' | 'failed';

/** The outcome for one product. */
export interface DownloadedFile {
  /** The product. */
  product: DataProduct;
  /** Final path (for `failed`/`unauthorized`: where it would have gone). */
  path: string;
  /** Outcome. */
  status: DownloadStatus;
  /** Bytes of the final file (0 when none). */
  bytes: number;
  /** Why it failed or was skipped. */
  error?: string;
}

/** The outcome of a download run. */
export interface DownloadReport {
  /** Target directory. */
  dir: string;
  /** True for a dry run (nothing fetched). */
  dryRun: boolean;
  /** Products selected for download after `sample` and `maxBytes`. */
  planned: number;
  /** Sum of their known sizes, bytes. */
  plannedBytes: number;
  /** `plannedBytes` human-readable, as ALminer prints it (`1.9 GB`). */
  plannedSize: string;
  /** Selected products whose size DataLink did not give. */
  unknownSizes: number;
  /** What `sample` and `maxBytes` removed. */
  filtered: FilterStat[];
  /** Per selected product (empty for a dry run). */
  files: DownloadedFile[];
}

/** Bytes as ALminer prints them: powers of 1000, one decimal (`1.9 GB`). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let size = bytes;
  let n = 0;
  while (size >= 1000 && n < units.length - 1) {
    size /= 1000;
    n++;
  }
  return `${size.toFixed(1)} ${units[n]}`;
}

/**
 * Parse a size such as `30MB`, `1.5 GB`, `500k` or `1024` (bytes) into bytes; powers of 1000,
 * `KiB`/`MiB`/`GiB` powers of 1024.
 *
 * @throws ArchiveError for text that is not a size
 */
export function parseBytes(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?)b?\s*$/i.exec(text);
  if (!m) throw new ArchiveError(`${JSON.stringify(text)} is not a size (e.g. 30MB, 1.5GB, 1024)`);
  const exp = ' kmgtp'.indexOf(m[2].toLowerCase() || ' ');
  return Math.round(Number(m[1]) * (m[3] ? 1024 : 1000) ** exp);
}

/** Options of {@link safeFileName}. */
export interface SafeFileNameOptions {
  /** Name to use when nothing usable is left. Default `'download'`. */
  fallback?: string;
}

/**
 * Reduce a file name from a URL or a `Content-Disposition` header to a safe basename: the part
 * after the last `/` or `\`, without control characters, never `.`/`..`, a leading dot replaced
 * (no hidden files), at most 200 characters.
 */
export function safeFileName(name: string, opts: SafeFileNameOptions = {}): string {
  const fallback = opts.fallback ?? 'download';
  let base = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
  base = [...base]
    .filter((ch) => ch.charCodeAt(0) > 0x1f && ch !== '\u007f')
    .join('')
    .replace(/[<>:"|?*]/g, '_')
    .trim();
  base = base.replace(/^\.+/, (dots) => (dots.length === base.length ? '' : '_'));
  if (base.length > 200) base = base.slice(0, 200);
  return base === '' ? fallback : base;
}

/**
 * The file name a `Content-Disposition` header asks for (RFC 6266: `filename*` preferred over
 * `filename`), not yet made safe; `undefined` when the header names none.
 */
export function contentDispositionName(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  const star = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(header);
  if (star) {
    try {
      return decodeURIComponent(star[2].trim());
    } catch {
      return star[2].trim();
    }
  }
  const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]+))/i.exec(header);
  if (!plain) return undefined;
  return plain[1] !== undefined ? plain[1].replace(/\\(.)/g, '$1') : plain[2].trim();
}

/**
 * The products to download: those within `maxBytes` (unknown sizes kept), then a reproducible
 * sample of `n` of them; with what each step removed. Input order is kept.
 */
export function planDownload(
  products: readonly DataProduct[],
  opts: Pick<DownloadOptions, 'sample' | 'maxBytes'> = {},
): {
  /** The products to download. */
  selected: DataProduct[];
  /** What `maxBytes` and `sample` removed. */
  filtered: FilterStat[];
} {
  const log = new FilterLog();
  let list = [...products];
  // Size first, so a sample of n is n files that will actually be fetched.
  if (opts.maxBytes !== undefined) {
    const max = opts.maxBytes;
    if (!(max >= 0)) throw new ArchiveError(`maxBytes must be ≥ 0, got ${max}`);
    list = log.apply(
      list,
      `maxBytes ${formatBytes(max)}`,
      (p) => p.sizeBytes === null || p.sizeBytes <= max,
      (p) => p.fileName,
    );
  }
  if (opts.sample) {
    const { n, seed } = opts.sample;
    if (!Number.isInteger(n) || n < 0)
      throw new ArchiveError(`sample.n must be a whole number ≥ 0, got ${n}`);
    const order = shuffleInPlace(
      list.map((_, i) => i),
      createRng(seed),
    );
    const keep = new Set(order.slice(0, n));
    list = log
      .apply(
        list.map((p, i) => ({ p, i })),
        `sample ${n} (seed ${seed})`,
        (x) => keep.has(x.i),
        (x) => x.p.fileName,
      )
      .map((x) => x.p);
  }
  return { selected: list, filtered: log.stats };
}
