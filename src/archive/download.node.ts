import { link, lstat, open, rename, rm, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import { makeDirectory } from '../core/files.node.js';
import { JsonLinesWriter, readJsonLines, type JsonLines } from '../core/jsonl.node.js';
import { mapConcurrent } from '../core/concurrency.js';
import { ArchiveError, systemErrorText } from '../core/errors.js';
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

/** What lies at `path`: nothing, a regular file (with its size), or something else (a folder, ...). */
async function entryAt(
  path: string,
): Promise<{ kind: 'none' } | { kind: 'file'; size: number } | { kind: 'other' }> {
  try {
    const s = await lstat(path);
    return s.isFile() ? { kind: 'file', size: s.size } : { kind: 'other' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    return { kind: 'other' };
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

/**
 * A file name as a download may use it: never one ending in `.part`, which would be taken for
 * (and could replace) another product's partial download.
 */
function usableName(name: string): string {
  return /\.part$/i.test(name) ? name.replace(/\.part$/i, '_part') : name;
}

/** `name` with `_k` before its first dot (`a.fits.gz` → `a_1.fits.gz`). */
function suffixed(name: string, k: number): string {
  return name.replace(/^([^.]*)/, `$1_${k}`);
}

/**
 * An `ArchiveError` about the local disk (disk full, a folder where a file should go, ...),
 * naming the file. Never retried: another attempt would meet the same disk.
 */
function diskError(path: string, what: string, err?: unknown, note?: string): ArchiveError {
  return new ArchiveError(
    `${path}: ${what}${err === undefined ? '' : `: ${systemErrorText(err)}`}${note ? `; ${note}` : ''}`,
    path,
    undefined,
    err === undefined ? undefined : { cause: err },
  );
}

const KEPT = 'the .part is kept for a resume';

/**
 * Append `chunk` to a `.part` that holds `good` bytes, however many calls the system takes, and
 * check that the file then holds `good + chunk.length`: a disk that loses bytes (a failing
 * device, a broken network mount) would otherwise leave a `.part` whose resume gives a file of
 * the right size and the wrong content. On a failure the `.part` keeps what the disk took (a
 * full disk), or is cut back to the `good` bytes when it holds other than what was written, so
 * what is kept for a resume is always a true prefix of the file.
 */
async function appendChecked(
  fh: FileHandle,
  chunk: Uint8Array,
  good: number,
  path: string,
): Promise<void> {
  let at = 0;
  try {
    while (at < chunk.length) {
      let written: number;
      try {
        ({ bytesWritten: written } = await fh.write(chunk, at, chunk.length - at));
      } catch (err) {
        throw diskError(path, 'cannot write', err, KEPT);
      }
      if (!(written > 0)) throw diskError(path, 'the disk accepted no more bytes', undefined, KEPT);
      at += written;
    }
    const size = (await fh.stat()).size;
    if (size !== good + at) {
      throw diskError(
        path,
        `${good + at} bytes written but the file holds ${size}`,
        undefined,
        KEPT,
      );
    }
  } catch (err) {
    const size = await fh.stat().then(
      (st) => st.size,
      () => -1,
    );
    if (size !== good + at) await fh.truncate(good).catch(() => undefined);
    throw err;
  }
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
  /** The last attempt added bytes to the `.part` before it failed (resume at once). */
  progressed?: boolean;
}

/** Where an earlier run saved a product, as {@link DOWNLOAD_RECORD_FILE} says. */
interface SavedFile {
  file: string;
  bytes: number;
}

/** A `.part` a run began for a product, and the file's size as the answer that began it said. */
interface PartialFile {
  part: string;
  total: number | null;
}

/** What {@link DOWNLOAD_RECORD_FILE} says about earlier runs (a later line wins). */
interface DownloadRecord {
  /** URL → the file it was saved as. */
  saved: Map<string, SavedFile>;
  /** URL → the `.part` begun for it and not yet completed. */
  partials: Map<string, PartialFile>;
}

/**
 * The record of earlier runs: URL → the file it was saved as, and URL → the `.part` begun for
 * it, and the length of its complete lines (where appending resumes). Lines that do not parse
 * (a torn last line, damage) or name an unsafe file are ignored; a record that cannot be read is
 * an empty one.
 */
async function readRecord(path: string): Promise<DownloadRecord & { completeBytes?: number }> {
  const record: DownloadRecord = { saved: new Map(), partials: new Map() };
  type Entry = Partial<Record<'url' | 'file' | 'bytes' | 'part' | 'total', unknown>> | null;
  let lines: JsonLines<Entry>;
  try {
    lines = await readJsonLines<Entry>(path, { damaged: 'skip' });
  } catch {
    return record;
  }
  for (const entry of lines.records) {
    const { url, file, bytes, part, total } = entry ?? {};
    if (typeof url !== 'string') continue;
    if (typeof file === 'string' && file === safeFileName(file) && typeof bytes === 'number') {
      record.saved.set(url, { file, bytes });
      record.partials.delete(url);
    } else if (
      typeof part === 'string' &&
      part === safeFileName(part) &&
      part.endsWith('.part') &&
      (total === null || typeof total === 'number')
    ) {
      record.partials.set(url, { part, total });
    }
  }
  return { ...record, completeBytes: lines.completeBytes };
}

/** Outcome of one HTTP attempt at a file: the `.part` holds the whole file, verified by size. */
type Attempt =
  { kind: 'complete'; size: number; finalName?: string } | { kind: 'unauthorized'; status: number };

/** The total size a `Content-Range: bytes a-b/N` header gives, or null. */
function rangeTotal(header: string | null): number | null {
  const m = /\/\s*(\d+)\s*$/.exec(header ?? '');
  return m ? Number(m[1]) : null;
}

/**
 * Download data products into `opts.dir` (Node). For each file: skip it if a complete copy is
 * already there; otherwise stream the body to `name.part` (never held in memory, every write
 * checked), resume with an HTTP Range request after a dropped connection or stall (at once when
 * the attempt made progress), retry 5xx answers with exponential backoff, check the size on disk
 * against the response's `Content-Length`/`Content-Range` and DataLink's `content_length`, check
 * a `.fits` file's structure (a FITS header and all the data it declares), and only then rename
 * it to `name`. File names come from the URL or `Content-Disposition`, reduced to a safe
 * basename, so nothing is written outside `dir`; no file the run did not download for that URL
 * is ever replaced (a name that is taken, by another product, a `.part`, a folder or any other
 * file, gets a `_1`, `_2`, ... suffix), and each file's name is recorded in
 * `dir/.alma-downloads.jsonl` ({@link DOWNLOAD_RECORD_FILE}), so a rerun finds a file saved
 * under another name than its URL's (and never gives that name to another product). A 401/403
 * skips the file (or throws when `skipUnauthorized` is false). Files that still fail (a full
 * disk is not retried) are reported with status `failed` and leave only their `.part` behind.
 *
 * @throws ArchiveError on a 401/403 with `skipUnauthorized: false`, or when `dir` cannot be
 *   created or the record cannot be written
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
  await makeDir(dir);

  // A product saved by an earlier run keeps the name it was saved under, and no other product
  // takes it. Two products can share a basename (same file name in two OUSs): suffix later
  // ones. A name whose place holds a folder, or a file that cannot be this product's complete
  // copy, is suffixed too, so that no file the run did not download is replaced.
  // A .part is resumed only by the product whose download began it (the record says which):
  // another product's .part, or one no run recorded, is left alone and its name not used.
  const recordPath = join(dir, DOWNLOAD_RECORD_FILE);
  const { saved, partials, completeBytes } = await readRecord(recordPath);
  const stem = (part: string): string => part.slice(0, -'.part'.length);
  const partOwner = new Map([...partials].map(([url, p]) => [p.part, url]));
  const taken = new Set([
    ...[...saved.values()].map((f) => f.file),
    ...[...partials.values()].map((p) => stem(p.part)),
  ]);
  const claimed = new Set<string>();
  const freeFor = async (name: string, size: number | null, url: string): Promise<boolean> => {
    const at = await entryAt(join(dir, name));
    if (at.kind === 'other') return false;
    // A file no run recorded is taken for this product's copy only when DataLink gives its
    // size and the sizes agree; any other file there is left alone (and the product suffixed).
    if (at.kind === 'file' && (size === null || at.size !== size)) return false;
    const part = await entryAt(join(dir, `${name}.part`));
    return part.kind === 'none' || (part.kind === 'file' && partOwner.get(`${name}.part`) === url);
  };
  const jobs: FileJob[] = [];
  for (const product of selected) {
    const before = saved.get(product.url);
    const partial = partials.get(product.url);
    let name: string;
    if (before !== undefined && !claimed.has(before.file)) {
      name = before.file;
    } else if (
      partial !== undefined &&
      !claimed.has(stem(partial.part)) &&
      (await entryAt(join(dir, partial.part))).kind === 'file'
    ) {
      // Resume where an earlier run left this product.
      name = stem(partial.part);
    } else {
      const base = usableName(safeFileName(product.fileName || product.url));
      name = base;
      for (
        let k = 1;
        taken.has(name) || !(await freeFor(name, product.sizeBytes, product.url));
        k++
      )
        name = suffixed(base, k);
      taken.add(name);
    }
    claimed.add(name);
    const path = inside(dir, name);
    const job: FileJob = { product, name, path, part: `${path}.part` };
    if (name === before?.file) job.savedBytes = before.bytes;
    jobs.push(job);
  }

  // One line per file saved, and per .part begun, through the JSON-lines writer: lines never
  // interleave, and a torn last line an earlier run left is cut off before the first append.
  // The file is opened at the first line, so a run that saves nothing leaves no record.
  let writer: Promise<JsonLinesWriter> | undefined;
  const record = (job: FileJob, path: string, bytes: number): Promise<void> => {
    partials.delete(job.product.url);
    return append(job, { url: job.product.url, file: basename(path), bytes });
  };
  const recordPartial = (job: FileJob, total: number | null): Promise<void> => {
    const entry = { part: basename(job.part), total };
    partials.set(job.product.url, entry);
    return append(job, { url: job.product.url, ...entry });
  };
  const append = (job: FileJob, entry: Record<string, unknown>): Promise<void> => {
    writer ??= JsonLinesWriter.open(recordPath, completeBytes);
    return writer
      .then((w) => w.append(entry))
      .catch((err: unknown) => {
        throw new ArchiveError(
          `${recordPath}: cannot record the download of ${job.name} (${(err as Error).message})`,
          recordPath,
          undefined,
          { cause: err },
        );
      });
  };

  /**
   * Move a verified `.part` to its final name without replacing anything: the server's name
   * when it gave one that is free (else that name with a suffix), else the planned name. A
   * planned name recorded for this URL may replace the earlier copy; any other name is placed
   * with a hard link, which fails rather than overwrite, so a file, `.part` or folder that
   * appeared there meanwhile is never touched and the next suffix is tried.
   */
  async function place(job: FileJob, serverName: string | undefined): Promise<string> {
    const candidates: string[] = [];
    if (serverName !== undefined) {
      const wanted = usableName(safeFileName(serverName, { fallback: job.name }));
      if (wanted !== job.name) {
        candidates.push(wanted);
        for (let k = 1; k <= 20; k++) candidates.push(suffixed(wanted, k));
      }
    }
    candidates.push(job.name);
    for (let k = 1; k <= 1000; k++) candidates.push(suffixed(job.name, k));
    for (const name of candidates) {
      const own = name === job.name;
      if (!own && taken.has(name)) continue;
      taken.add(name);
      const target = inside(dir, name);
      if (own && job.savedBytes !== undefined) {
        // This URL's own earlier copy (of another size): replacing it is what a rerun is for.
        try {
          await rename(job.part, target);
          return target;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw err;
          continue;
        }
      }
      if (await placeNoClobber(job.part, target)) return target;
    }
    throw diskError(job.part, 'no free name to rename it to');
  }

  // Bytes done = finished files + what each running transfer has in its .part so far.
  let filesDone = 0;
  let completedBytes = 0;
  const inflight = new Map<string, number>();
  const emitProgress = (file?: string) => {
    if (!o.onProgress) return;
    let bytesDone = completedBytes;
    for (const n of inflight.values()) bytesDone += n;
    const p: DownloadProgress = {
      done: filesDone,
      total: jobs.length,
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
          // A transfer cut after some progress resumes at once; errors wait with backoff.
          if (!job.progressed) await sleep(o.backoffMs * 2 ** (attempt - 1));
        }
        job.progressed = false;
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
        const size = outcome.size;
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
        let finalPath: string;
        try {
          finalPath = await place(job, outcome.finalName);
        } catch (err) {
          const e = err instanceof ArchiveError ? err : diskError(job.part, 'cannot rename', err);
          return { product, path: job.path, status: 'failed', bytes: 0, error: e.message };
        }
        await record(job, finalPath, size);
        completedBytes += size;
        return { product, path: finalPath, status: 'downloaded', bytes: size };
      }
      // A 4xx other than 401/403 (e.g. 404) would be the same on every mirror, and a full
      // disk the same for every URL.
      if (!transient) break;
    }
    return { product, path: job.path, status: 'failed', bytes: 0, error: lastError };
  }

  /**
   * One HTTP attempt at `url`, appending to `job.part` from its current size. Complete only
   * when the bytes on disk are as many as the server declared (`Content-Length`, or the total
   * of `Content-Range`) and as DataLink says.
   */
  async function fetchToPart(job: FileJob, url: string): Promise<Attempt> {
    const { product } = job;
    const expected = product.sizeBytes;
    const partAt = await entryAt(job.part);
    if (partAt.kind === 'other') throw diskError(job.part, 'is not a regular file');
    let offset = partAt.kind === 'file' ? partAt.size : 0;
    if (expected !== null && offset > expected) {
      await rm(job.part, { force: true });
      offset = 0;
    }
    if (expected !== null && offset === expected && offset > 0)
      return { kind: 'complete', size: offset };
    inflight.set(job.name, offset);
    const deadline = startDeadline(o.timeoutMs);
    // Set once the body streams: how far it got, for the message when the connection drops.
    let body: { received: number; declared: number } | undefined;
    try {
      const headers: Record<string, string> = { 'Accept-Encoding': 'identity' };
      if (offset > 0) headers.Range = `bytes=${offset}-`;
      const res = await fetchImpl(url, { method: 'GET', headers, signal: deadline.signal });
      if (res.status === 401 || res.status === 403) {
        await res.body?.cancel?.().catch(() => undefined);
        return { kind: 'unauthorized', status: res.status };
      }
      if (res.status === 416 && offset > 0) {
        await res.body?.cancel?.().catch(() => undefined);
        // The server has nothing past our offset; if sizes agree the file is whole.
        const total = expected ?? rangeTotal(res.headers.get('content-range'));
        if (total === null || offset === total) return { kind: 'complete', size: offset };
        await rm(job.part, { force: true });
        throw transferError(url, `HTTP 416 at offset ${offset}; restarting from 0`);
      }
      if (!res.ok) throw await httpError(url, res);
      let append: boolean = offset > 0 && res.status === 206;
      if (append) {
        const start = /bytes\s+(\d+)-/i.exec(res.headers.get('content-range') ?? '');
        if (!start || Number(start[1]) !== offset) append = false;
        // The .part began with an answer that gave the file another size: it holds bytes of
        // something else (an error page, an older version). Start over rather than extend it.
        const began = partials.get(product.url);
        const now = rangeTotal(res.headers.get('content-range'));
        if (began?.total != null && now !== null && began.total !== now) append = false;
      }
      if (!append && offset > 0) {
        // Range ignored (200) or answered from elsewhere: take the body from byte 0.
        offset = 0;
        inflight.set(job.name, 0);
      }
      const lengthHeader = res.headers.get('content-length');
      const declared = lengthHeader === null ? NaN : Number(lengthHeader);
      // The whole file's size as this answer gives it.
      const total = append
        ? rangeTotal(res.headers.get('content-range'))
        : Number.isSafeInteger(declared)
          ? declared
          : null;
      // A body that cannot be this file (the whole file would have another size) is not
      // written: it would replace or extend the .part with bytes of something else (an error
      // page, another file), which a resume would then complete into a file of the right size
      // and the wrong content.
      const known = expected ?? job.savedBytes ?? null;
      if (known !== null && total !== null && total !== known) {
        await res.body?.cancel?.().catch(() => undefined);
        throw transferError(
          url,
          `the server sends a file of ${total} bytes, not the ${known} ${expected !== null ? 'DataLink gives' : 'recorded'}`,
        );
      }
      // The record says whose .part this is before the first byte lands in it.
      if (!append) await recordPartial(job, total);
      let fh: FileHandle;
      try {
        fh = await open(job.part, append ? 'a' : 'w');
      } catch (err) {
        throw diskError(job.part, 'cannot open for writing', err);
      }
      let received = 0;
      body = { received, declared };
      try {
        for await (const chunk of bodyChunks(res)) {
          deadline.touch();
          await appendChecked(fh, chunk, offset + received, job.part);
          received += chunk.length;
          body.received = received;
          job.progressed = true;
          inflight.set(job.name, offset + received);
          emitProgress(job.name);
        }
      } finally {
        await fh.close().catch(() => undefined);
      }
      const onDisk = (await fileSize(job.part)) ?? 0;
      if (onDisk !== offset + received) {
        throw diskError(
          job.part,
          `${offset + received} bytes written but the file holds ${onDisk}`,
          undefined,
          KEPT,
        );
      }
      if (Number.isFinite(declared) && received !== declared) {
        throw transferError(url, `body ended after ${received} of ${declared} bytes`);
      }
      if (total !== null && onDisk !== total) {
        if (onDisk > total) await rm(job.part, { force: true });
        throw transferError(url, `got ${onDisk} bytes, the server says the file has ${total}`);
      }
      if (expected !== null && onDisk !== expected) {
        if (onDisk > expected) await rm(job.part, { force: true });
        throw transferError(url, `got ${onDisk} bytes, DataLink says ${expected}`);
      }
      const finalName = contentDispositionName(res.headers.get('content-disposition'));
      return finalName !== undefined
        ? { kind: 'complete', size: onDisk, finalName }
        : { kind: 'complete', size: onDisk };
    } catch (err) {
      if (body !== undefined && !deadline.expired && !(err instanceof ArchiveError)) {
        const of = Number.isFinite(body.declared) ? ` of ${body.declared}` : '';
        const why = err instanceof Error ? err.message : String(err);
        throw transferError(url, `connection lost after ${body.received}${of} bytes (${why})`);
      }
      throw networkError(url, err, deadline, o.timeoutMs);
    } finally {
      deadline.clear();
      inflight.delete(job.name);
    }
  }

  try {
    report.files = await mapConcurrent(jobs, o.concurrency, async (job) => {
      const result = await downloadOne(job);
      filesDone++;
      emitProgress(job.name);
      return result;
    });
  } finally {
    await writer?.then((w) => w.close()).catch(() => undefined);
  }
  return report;
}

/**
 * Rename `from` to `to` unless something is there: a hard link fails with EEXIST rather than
 * replace; where links are not supported, a check just before the rename. False when taken.
 */
async function placeNoClobber(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code === 'ENOENT') throw err;
    if ((await entryAt(to)).kind !== 'none') return false;
    await rename(from, to);
    return true;
  }
  await unlink(from);
  return true;
}

/**
 * Create the download folder (and its parents), as an `ArchiveError` naming it when that
 * fails: a file in the way (ENOTDIR/EEXIST), no permission, a symbolic-link loop (ELOOP).
 */
async function makeDir(dir: string): Promise<void> {
  try {
    await makeDirectory(dir);
  } catch (err) {
    throw diskError(dir, 'cannot create the download folder', err);
  }
}
