import { appendFile, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import { mapConcurrent } from '../core/concurrency.js';
import { ArchiveError } from '../core/errors.js';
import { scanFitsLayout } from '../fits/layout.js';
import type { DataProduct } from './datalink.js';
import {
  contentDispositionName,
  DEFAULT_DOWNLOAD_OPTIONS,
  DOWNLOAD_RECORD_FILE,
  formatBytes,
  planDownload,
  safeFileName,
  type DownloadedFile,
  type DownloadOptions,
  type DownloadProgress,
  type DownloadReport,
} from './download.js';
import {
  bodyChunks,
  defaultFetch,
  httpError,
  isTransient,
  networkError,
  sleep,
  startDeadline,
  transferError,
  type FetchLike,
} from './http.js';

async function fileSize(path: string): Promise<number | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
}

/** Resolve `name` inside `dir`, refusing anything that would land outside it. */
function inside(dir: string, name: string): string {
  const path = resolve(dir, name);
  if (!path.startsWith(dir + sep)) {
    throw new ArchiveError(`refusing to write ${JSON.stringify(name)} outside ${dir}`, name);
  }
  return path;
}

/** Check that a finished `.fits` download is FITS and holds every byte its headers declare. */
async function verifyFits(path: string, size: number, label: string): Promise<string | undefined> {
  const fh = await open(path, 'r');
  try {
    const layout = await scanFitsLayout(
      async (offset, length) => {
        const buf = new Uint8Array(length);
        const { bytesRead } = await fh.read(buf, 0, length, offset);
        return buf.subarray(0, bytesRead);
      },
      size,
      label,
    );
    return layout.complete ? undefined : layout.reason;
  } finally {
    await fh.close();
  }
}

/**
 * The same file's URL on the other mirrors: for a URL under one of `mirrors` (or on a generic
 * `almascience.*` host), the path moved onto each other mirror; `[]` for any other host.
 */
function mirrorAlternatives(url: string, mirrors: readonly string[]): string[] {
  const own = mirrors.find((b) => url.startsWith(`${b}/`));
  let rest: string | undefined;
  if (own !== undefined) {
    rest = url.slice(own.length);
  } else {
    try {
      const u = new URL(url);
      if (/^almascience\./i.test(u.hostname)) rest = u.pathname + u.search;
    } catch {
      return [];
    }
  }
  if (rest === undefined) return [];
  return mirrors.filter((b) => b !== own).map((b) => b + rest);
}

interface FileJob {
  product: DataProduct;
  name: string;
  path: string;
  part: string;
  /** The size recorded when an earlier run saved this product as `name`. */
  savedBytes?: number;
}

/** Where an earlier run saved a product, as {@link DOWNLOAD_RECORD_FILE} says. */
interface SavedFile {
  file: string;
  bytes: number;
}

/**
 * The record of earlier runs: URL → the file it was saved as (a later line wins). Lines that do
 * not parse (a torn last line) or name an unsafe file are ignored; no record is an empty map.
 */
async function readRecord(path: string): Promise<Map<string, SavedFile>> {
  const saved = new Map<string, SavedFile>();
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return saved;
  }
  for (const line of text.split('\n')) {
    let entry: Partial<Record<'url' | 'file' | 'bytes', unknown>>;
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    const { url, file, bytes } = entry ?? {};
    if (
      typeof url === 'string' &&
      typeof file === 'string' &&
      file === safeFileName(file) &&
      typeof bytes === 'number'
    ) {
      saved.set(url, { file, bytes });
    }
  }
  return saved;
}

/** Outcome of one HTTP attempt at a file. */
type Attempt = { kind: 'complete'; finalName?: string } | { kind: 'unauthorized'; status: number };

/**
 * Download data products into `opts.dir` (Node). For each file: skip it if a complete copy is
 * already there; otherwise stream the body to `name.part` (never held in memory), resume with
 * an HTTP Range request after a dropped connection or stall, retry 5xx answers with exponential
 * backoff, check the size against DataLink's `content_length`, check a `.fits` file's structure
 * (a FITS header and all the data it declares), and only then rename it to `name`. File names
 * come from the URL or `Content-Disposition`, reduced to a safe basename, so nothing is written
 * outside `dir`; each file's name is recorded in `dir/.alma-downloads.jsonl`
 * ({@link DOWNLOAD_RECORD_FILE}), so a rerun finds a file saved under another name than its
 * URL's (and never gives that name to another product). A 401/403 skips the file (or throws
 * when `skipUnauthorized` is false). Files that still fail are reported with status `failed`
 * and leave only their `.part` behind.
 *
 * @throws ArchiveError on a 401/403 with `skipUnauthorized: false`, or when `dir` cannot be created
 */
export async function downloadProducts(
  products: readonly DataProduct[],
  opts: DownloadOptions,
): Promise<DownloadReport> {
  const o = { ...DEFAULT_DOWNLOAD_OPTIONS, ...opts };
  const fetchImpl: FetchLike = opts.fetch ?? defaultFetch;
  const dir = resolve(o.dir);
  const { selected, filtered } = planDownload(products, o);
  const plannedBytes = selected.reduce((n, p) => n + (p.sizeBytes ?? 0), 0);
  const report: DownloadReport = {
    dir,
    dryRun: o.dryRun,
    planned: selected.length,
    plannedBytes,
    plannedSize: formatBytes(plannedBytes),
    unknownSizes: selected.filter((p) => p.sizeBytes === null).length,
    filtered,
    files: [],
  };
  if (o.dryRun || selected.length === 0) return report;
  await mkdir(dir, { recursive: true });

  // A product saved by an earlier run keeps the name it was saved under, and no other product
  // takes it. Two products can share a basename (same file name in two OUSs): suffix later ones.
  const recordPath = join(dir, DOWNLOAD_RECORD_FILE);
  const saved = await readRecord(recordPath);
  const taken = new Set([...saved.values()].map((f) => f.file));
  const claimed = new Set<string>();
  const jobs: FileJob[] = selected.map((product) => {
    const before = saved.get(product.url);
    let name: string;
    if (before !== undefined && !claimed.has(before.file)) {
      name = before.file;
    } else {
      const base = safeFileName(product.fileName || product.url);
      name = base;
      for (let k = 1; taken.has(name); k++) name = base.replace(/^([^.]*)/, `$1_${k}`);
      taken.add(name);
    }
    claimed.add(name);
    const path = inside(dir, name);
    const job: FileJob = { product, name, path, part: `${path}.part` };
    if (name === before?.file) job.savedBytes = before.bytes;
    return job;
  });

  // One line per file saved; appends one at a time so lines never interleave.
  let recording = Promise.resolve();
  const record = (job: FileJob, path: string, bytes: number): Promise<void> => {
    const line = `${JSON.stringify({ url: job.product.url, file: basename(path), bytes })}\n`;
    recording = recording.then(() =>
      appendFile(recordPath, line).catch((err: unknown) => {
        throw new ArchiveError(
          `${recordPath}: cannot record the download of ${job.name} (${(err as Error).message})`,
          recordPath,
          undefined,
          { cause: err },
        );
      }),
    );
    return recording;
  };

  // Bytes done = finished files + what each running transfer has in its .part so far.
  let filesDone = 0;
  let completedBytes = 0;
  const inflight = new Map<string, number>();
  const emitProgress = (file?: string) => {
    if (!o.onProgress) return;
    let bytesDone = completedBytes;
    for (const n of inflight.values()) bytesDone += n;
    const p: DownloadProgress = {
      filesDone,
      filesTotal: jobs.length,
      bytesDone,
      bytesTotal: plannedBytes,
    };
    o.onProgress(file ? { ...p, file } : p);
  };

  async function downloadOne(job: FileJob): Promise<DownloadedFile> {
    const { product } = job;
    const expected = product.sizeBytes ?? job.savedBytes ?? null;
    const existing = await fileSize(job.path);
    if (existing !== undefined && (expected === null || existing === expected)) {
      if (job.savedBytes === undefined) await record(job, job.path, existing);
      completedBytes += existing;
      return { product, path: job.path, status: 'present', bytes: existing };
    }
    const urls = [product.url, ...mirrorAlternatives(product.url, o.mirrors ?? [])];
    let lastError = '';
    for (let m = 0; m < urls.length; m++) {
      const url = urls[m];
      if (m > 0) {
        o.onEvent?.({
          type: 'mirror-switch',
          message: `${job.name}: ${urls[m - 1]} failed (${lastError}); trying ${url}`,
        });
      }
      let transient = true;
      for (let attempt = 0; attempt <= o.retries; attempt++) {
        if (attempt > 0) {
          o.onEvent?.({
            type: 'retry',
            message: `${job.name}: retry ${attempt} after: ${lastError}`,
          });
          await sleep(o.backoffMs * 2 ** (attempt - 1));
        }
        let outcome: Attempt;
        try {
          outcome = await fetchToPart(job, url);
        } catch (err) {
          const e = networkError(url, err);
          lastError = e.message;
          transient = isTransient(e);
          if (!transient) break;
          continue;
        }
        if (outcome.kind === 'unauthorized') {
          const msg = `${url}: HTTP ${outcome.status}: not authorised to download ${job.name}`;
          if (!o.skipUnauthorized) throw new ArchiveError(msg, url, outcome.status);
          o.onEvent?.({ type: 'warning', message: `skipped ${msg}` });
          await rm(job.part, { force: true });
          return { product, path: job.path, status: 'unauthorized', bytes: 0, error: msg };
        }
        const size = (await fileSize(job.part)) ?? 0;
        if (o.verifyFits && /\.fits$/i.test(job.name)) {
          const problem = await verifyFits(job.part, size, job.name);
          if (problem !== undefined) {
            // Not a partial download (sizes matched): the server sent something else, e.g. an
            // HTML error page under a .fits name. Start over rather than resume from it.
            lastError = problem;
            await rm(job.part, { force: true });
            continue;
          }
        }
        let finalPath = job.path;
        const wanted =
          outcome.finalName !== undefined
            ? safeFileName(outcome.finalName, { fallback: job.name })
            : job.name;
        if (wanted !== job.name && !taken.has(wanted)) {
          taken.add(wanted);
          finalPath = inside(dir, wanted);
        }
        await rename(job.part, finalPath);
        await record(job, finalPath, size);
        completedBytes += size;
        return { product, path: finalPath, status: 'downloaded', bytes: size };
      }
      // A 4xx other than 401/403 (e.g. 404) would be the same on every mirror.
      if (!transient) break;
    }
    return { product, path: job.path, status: 'failed', bytes: 0, error: lastError };
  }

  /** One HTTP attempt at `url`, appending to `job.part` from its current size. */
  async function fetchToPart(job: FileJob, url: string): Promise<Attempt> {
    const { product } = job;
    const expected = product.sizeBytes;
    let offset = (await fileSize(job.part)) ?? 0;
    if (expected !== null && offset > expected) {
      await rm(job.part, { force: true });
      offset = 0;
    }
    if (expected !== null && offset === expected && offset > 0) return { kind: 'complete' };
    inflight.set(job.name, offset);
    const deadline = startDeadline(o.timeoutMs);
    try {
      const headers: Record<string, string> = { 'Accept-Encoding': 'identity' };
      if (offset > 0) headers.Range = `bytes=${offset}-`;
      const res = await fetchImpl(url, { method: 'GET', headers, signal: deadline.signal });
      if (res.status === 401 || res.status === 403) {
        await res.body?.cancel?.().catch(() => undefined);
        return { kind: 'unauthorized', status: res.status };
      }
      if (res.status === 416 && offset > 0) {
        // The server has nothing past our offset; if sizes agree the file is whole.
        if (expected === null || offset === expected) return { kind: 'complete' };
        await rm(job.part, { force: true });
        throw transferError(url, `HTTP 416 at offset ${offset}; restarting from 0`);
      }
      if (!res.ok) throw await httpError(url, res);
      let append = offset > 0 && res.status === 206;
      if (append) {
        const start = /bytes\s+(\d+)-/i.exec(res.headers.get('content-range') ?? '');
        if (!start || Number(start[1]) !== offset) append = false;
      }
      if (!append && offset > 0) {
        // Range ignored (200) or answered from elsewhere: take the body from byte 0.
        offset = 0;
        inflight.set(job.name, 0);
      }
      const declared = Number(res.headers.get('content-length') ?? NaN);
      const fh = await open(job.part, append ? 'a' : 'w');
      let received = 0;
      try {
        for await (const chunk of bodyChunks(res)) {
          deadline.touch();
          await fh.write(chunk);
          received += chunk.length;
          inflight.set(job.name, offset + received);
          emitProgress(job.name);
        }
      } finally {
        await fh.close();
      }
      const total = offset + received;
      if (Number.isFinite(declared) && received < declared) {
        throw transferError(url, `body ended after ${received} of ${declared} bytes`);
      }
      if (expected !== null && total !== expected) {
        if (total > expected) await rm(job.part, { force: true });
        throw transferError(url, `got ${total} bytes, DataLink says ${expected}`);
      }
      const finalName = contentDispositionName(res.headers.get('content-disposition'));
      return finalName !== undefined ? { kind: 'complete', finalName } : { kind: 'complete' };
    } catch (err) {
      throw networkError(url, err, deadline, o.timeoutMs);
    } finally {
      deadline.clear();
      inflight.delete(job.name);
    }
  }

  report.files = await mapConcurrent(jobs, o.concurrency, async (job) => {
    const result = await downloadOne(job);
    filesDone++;
    emitProgress(job.name);
    return result;
  });
  return report;
}
