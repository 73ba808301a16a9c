import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ArchiveError } from '../src/core/errors.js';
import { AlmaArchive } from '../src/archive/archive.js';
import type { DataProduct } from '../src/archive/datalink.js';
import {
  contentDispositionName,
  DOWNLOAD_RECORD_FILE,
  formatBytes,
  parseBytes,
  planDownload,
  safeFileName,
  type DownloadEvent,
  type DownloadProgress,
} from '../src/archive/download.js';
import { downloadProducts } from '../src/archive/download.node.js';
import { startReplayServer, type ReplayServer } from './helpers/replay-server.js';

const FITS_NAME = 'member.uid___A001_X12a2_X10d._COS850.0005__sci.spw5_7_9_11.cont.I.pbcor.fits';
const FITS = new Uint8Array(readFileSync(new URL(`./fixtures/fits/${FITS_NAME}`, import.meta.url)));

function product(url: string, fileName: string, sizeBytes: number | null): DataProduct {
  return {
    url,
    fileName,
    sizeBytes,
    contentType: 'application/octet-stream',
    semantics: '#this',
    description: '',
    memberOus: 'uid://A001/X12a2/X10d',
    readable: true,
  };
}

/** Options that keep fault tests fast: short backoff and timeout. */
const fast = { retries: 3, backoffMs: 5, timeoutMs: 400 };

let server: ReplayServer;
let root: string;
let dir: string;
beforeAll(async () => {
  server = await startReplayServer();
  root = mkdtempSync(join(tmpdir(), 'alma-dl-'));
});
afterAll(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});
let n = 0;
beforeEach(() => {
  dir = join(root, `run${++n}`, 'data');
});

/** The files in `dir` a user asked for: everything but the record of what was saved where. */
function listDir(d: string): string[] {
  return readdirSync(d).filter((f) => f !== DOWNLOAD_RECORD_FILE);
}

/** The lines of `dir`'s download record that say where a file was saved. */
function recordOf(d: string, skip = 0): { url: string; file: string; bytes: number }[] {
  const path = join(d, DOWNLOAD_RECORD_FILE);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .slice(skip)
    .map((l) => JSON.parse(l) as { url: string; file?: string; bytes: number })
    .filter((e): e is { url: string; file: string; bytes: number } => e.file !== undefined);
}

/** Every file under `root`, relative to it: proves nothing escaped `dir`. */
function allFiles(base = root): string[] {
  return readdirSync(base, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath ?? d.path, d.name).slice(base.length + 1));
}

afterEach(() => {
  // Whatever happened, nothing lies outside the run's dir, and every file that carries a final
  // name is whole (every file served here is the FITS fixture); partial data only in .part.
  for (const f of allFiles()) {
    expect(f).toMatch(/^run\d+\/data\//);
    if (!f.endsWith('.part') && !f.endsWith(DOWNLOAD_RECORD_FILE))
      expect(readFileSync(join(root, f)).equals(Buffer.from(FITS))).toBe(true);
  }
});

describe('download helpers', () => {
  it('reduces hostile names to a basename inside dir', () => {
    expect(safeFileName('../../etc/passwd')).toBe('passwd');
    expect(safeFileName('..\\..\\win.ini')).toBe('win.ini');
    expect(safeFileName('..')).toBe('download');
    expect(safeFileName('a\u0000b\nc.fits')).toBe('abc.fits');
    expect(safeFileName('.hidden')).toBe('_hidden');
    expect(safeFileName('/')).toBe('download');
  });
  it('reads Content-Disposition names, preferring filename*', () => {
    expect(contentDispositionName('attachment; filename="a b.fits"')).toBe('a b.fits');
    expect(
      contentDispositionName("attachment; filename=x.fits; filename*=UTF-8''%2E%2E%2Fy.fits"),
    ).toBe('../y.fits');
    expect(contentDispositionName('inline')).toBeUndefined();
  });
  it('formats and parses sizes like ALminer (powers of 1000)', () => {
    expect(formatBytes(1_359_360 + 405_008_640)).toBe('406.4 MB');
    expect(formatBytes(999)).toBe('999.0 B');
    expect(parseBytes('30MB')).toBe(30_000_000);
    expect(parseBytes('1.5 GiB')).toBe(Math.round(1.5 * 1024 ** 3));
    expect(() => parseBytes('lots')).toThrow(ArchiveError);
  });
  it('samples reproducibly after dropping files over maxBytes', () => {
    const ps = Array.from({ length: 20 }, (_, i) =>
      product(`http://x/${i}.fits`, `${i}.fits`, i * 1000),
    );
    const a = planDownload(ps, { sample: { n: 5, seed: 1 }, maxBytes: 9000 });
    const b = planDownload(ps, { sample: { n: 5, seed: 1 }, maxBytes: 9000 });
    const c = planDownload(ps, { sample: { n: 5, seed: 2 }, maxBytes: 9000 });
    expect(a.selected).toEqual(b.selected);
    expect(a.selected).not.toEqual(c.selected);
    expect(a.selected).toHaveLength(5);
    expect(a.selected.every((p) => p.sizeBytes! <= 9000)).toBe(true);
    expect(a.filtered.map((f) => [f.filter, f.removed])).toEqual([
      ['maxBytes 9.0 KB', 10],
      ['sample 5 (seed 1)', 5],
    ]);
  });
});

describe('downloadProducts against the replay server', () => {
  it('dry run reports count and total size without touching disk or network', async () => {
    const before = server.requests.length;
    const url = server.addFile('dry.fits', FITS);
    const r = await downloadProducts(
      [product(url, 'dry.fits', FITS.length), product(url + '2', 'x.fits', null)],
      {
        dir,
        dryRun: true,
      },
    );
    expect(r).toMatchObject({
      planned: 2,
      plannedBytes: FITS.length,
      plannedSize: '158.4 KB',
      unknownSizes: 1,
    });
    expect(server.requests.length).toBe(before);
    expect(existsSync(dir)).toBe(false);
  });

  it('downloads, verifies and renames; a second run skips the complete file', async () => {
    const url = server.addFile(FITS_NAME, FITS);
    const progress: DownloadProgress[] = [];
    const r = await downloadProducts([product(url, FITS_NAME, FITS.length)], {
      dir,
      ...fast,
      onProgress: (p) => progress.push(p),
    });
    expect(r.files[0]).toMatchObject({
      status: 'downloaded',
      bytes: FITS.length,
      path: join(dir, FITS_NAME),
    });
    expect(readFileSync(join(dir, FITS_NAME)).equals(Buffer.from(FITS))).toBe(true);
    expect(progress.at(-1)).toMatchObject({ done: 1, total: 1, bytesDone: FITS.length });
    const hits = server.hits(`/files/${FITS_NAME}`).length;
    const again = await downloadProducts([product(url, FITS_NAME, FITS.length)], { dir, ...fast });
    expect(again.files[0].status).toBe('present');
    expect(server.hits(`/files/${FITS_NAME}`).length).toBe(hits);
  });

  it('cuts a torn last line of the record before appending, so the next line stays readable', async () => {
    const url = server.addFile('torn.fits', FITS);
    mkdirSync(dir, { recursive: true });
    // A run killed mid-append left half a line; a damaged line before it is skipped too.
    writeFileSync(join(dir, DOWNLOAD_RECORD_FILE), 'not json\n{"url":"http://x/a","fi');
    const r = await downloadProducts([product(url, 'torn.fits', FITS.length)], { dir, ...fast });
    expect(r.files[0].status).toBe('downloaded');
    const lines = readFileSync(join(dir, DOWNLOAD_RECORD_FILE), 'utf8').split('\n');
    expect(lines[0]).toBe('not json');
    expect(lines.at(-1)).toBe('');
    expect(recordOf(dir, 1)).toEqual([{ url, file: 'torn.fits', bytes: FITS.length }]);
    // The rerun reads that record and fetches nothing.
    const hits = server.hits('/files/torn.fits').length;
    const again = await downloadProducts([product(url, 'torn.fits', FITS.length)], {
      dir,
      ...fast,
    });
    expect(again.files[0].status).toBe('present');
    expect(server.hits('/files/torn.fits').length).toBe(hits);
  });
  it('retries a 500 then succeeds', async () => {
    const url = server.addFile('f500.fits', FITS, { faults: [{ kind: 'status', status: 500 }] });
    const events: DownloadEvent[] = [];
    const r = await downloadProducts([product(url, 'f500.fits', FITS.length)], {
      dir,
      ...fast,
      onEvent: (e) => events.push(e),
    });
    expect(r.files[0].status).toBe('downloaded');
    expect(server.hits('/files/f500.fits')).toHaveLength(2);
    expect(events[0].message).toMatch(/retry 1 after: .*HTTP 500/);
  });

  it('resumes a connection cut mid-body with a Range request; final bytes identical', async () => {
    const url = server.addFile('cut.fits', FITS, { faults: [{ kind: 'cut', after: 50_000 }] });
    const r = await downloadProducts([product(url, 'cut.fits', FITS.length)], { dir, ...fast });
    expect(r.files[0].status).toBe('downloaded');
    const hits = server.hits('/files/cut.fits');
    expect(hits).toHaveLength(2);
    expect(hits[0].headers.range).toBeUndefined();
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(String(hits[1].headers.range))![1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(50_000);
    expect(readFileSync(join(dir, 'cut.fits')).equals(Buffer.from(FITS))).toBe(true);
    expect(existsSync(join(dir, 'cut.fits.part'))).toBe(false);
  });

  it('restarts from byte 0 when the server ignores Range', async () => {
    const url = server.addFile('norange.fits', FITS, {
      faults: [{ kind: 'cut', after: 30_000 }, { kind: 'ignore-range' }],
    });
    const r = await downloadProducts([product(url, 'norange.fits', FITS.length)], { dir, ...fast });
    expect(r.files[0].status).toBe('downloaded');
    expect(readFileSync(join(dir, 'norange.fits')).equals(Buffer.from(FITS))).toBe(true);
  });

  it('retries a body shorter than its Content-Length and never renames the short file', async () => {
    const url = server.addFile('short.fits', FITS, {
      faults: [
        { kind: 'short', after: 10_000 },
        { kind: 'short', after: 10_000 },
      ],
    });
    const failing = await downloadProducts([product(url, 'short.fits', FITS.length)], {
      dir,
      ...fast,
      retries: 1,
    });
    expect(failing.files[0].status).toBe('failed');
    expect(failing.files[0].error).toMatch(/short\.fits/);
    expect(existsSync(join(dir, 'short.fits'))).toBe(false);
    expect(existsSync(join(dir, 'short.fits.part'))).toBe(true);
    // The next run resumes from the .part and completes.
    const ok = await downloadProducts([product(url, 'short.fits', FITS.length)], { dir, ...fast });
    expect(ok.files[0].status).toBe('downloaded');
    expect(readFileSync(join(dir, 'short.fits')).equals(Buffer.from(FITS))).toBe(true);
    const last = server.hits('/files/short.fits').at(-1)!;
    expect(last.headers.range).toMatch(/^bytes=\d+-$/);
  });

  it('times out a stalled response instead of hanging, then resumes', async () => {
    const url = server.addFile('stall.fits', FITS, { faults: [{ kind: 'stall', after: 20_000 }] });
    const events: DownloadEvent[] = [];
    const t0 = Date.now();
    const r = await downloadProducts([product(url, 'stall.fits', FITS.length)], {
      dir,
      ...fast,
      timeoutMs: 300,
      onEvent: (e) => events.push(e),
    });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(r.files[0].status).toBe('downloaded');
    expect(events[0].message).toMatch(/timed out/);
    expect(readFileSync(join(dir, 'stall.fits')).equals(Buffer.from(FITS))).toBe(true);
  });

  it('skips a 401 by default and throws when asked', async () => {
    const url = server.addFile('secret.fits', FITS, {
      faults: [
        { kind: 'status', status: 401 },
        { kind: 'status', status: 403 },
      ],
    });
    const r = await downloadProducts([product(url, 'secret.fits', FITS.length)], { dir, ...fast });
    expect(r.files[0]).toMatchObject({ status: 'unauthorized' });
    expect(server.hits('/files/secret.fits')).toHaveLength(1);
    await expect(
      downloadProducts([product(url, 'secret.fits', FITS.length)], {
        dir,
        ...fast,
        skipUnauthorized: false,
      }),
    ).rejects.toMatchObject({ status: 403 });
    expect(listDir(dir)).toEqual([]);
  });

  it('keeps a hostile Content-Disposition inside dir', async () => {
    const url = server.addFile('innocent.fits', FITS, {
      headers: { 'Content-Disposition': 'attachment; filename="../../../escaped.fits"' },
    });
    const r = await downloadProducts([product(url, 'innocent.fits', FITS.length)], {
      dir,
      ...fast,
    });
    expect(r.files[0].path).toBe(join(dir, 'escaped.fits'));
    expect(listDir(dir)).toEqual(['escaped.fits']);
  });

  it('a rerun finds a file saved under its Content-Disposition name and fetches nothing', async () => {
    const url = server.addFile('cd-42.fits', FITS, {
      headers: { 'Content-Disposition': 'attachment; filename="member.cd_sci.fits"' },
    });
    for (const size of [FITS.length, null]) {
      const d = join(dir, size === null ? 'unknown-size' : 'known-size');
      const p = product(url, 'cd-42.fits', size);
      const first = await downloadProducts([p], { dir: d, ...fast });
      expect(first.files[0]).toMatchObject({
        status: 'downloaded',
        path: join(d, 'member.cd_sci.fits'),
      });
      const hits = server.hits('/files/cd-42.fits').length;
      const again = await downloadProducts([p], { dir: d, ...fast });
      expect(again.files[0]).toEqual({
        product: p,
        status: 'present',
        path: join(d, 'member.cd_sci.fits'),
        bytes: FITS.length,
      });
      expect(server.hits('/files/cd-42.fits')).toHaveLength(hits);
      expect(listDir(d)).toEqual(['member.cd_sci.fits']);
      expect(recordOf(d)).toEqual([{ url, file: 'member.cd_sci.fits', bytes: FITS.length }]);
    }
  });

  it("a saved name stays its product's: a rerun gives another product of that name a suffix", async () => {
    const cd = server.addFile('cd-7.fits', FITS, {
      headers: { 'Content-Disposition': 'attachment; filename="taken.fits"' },
    });
    const other = server.addFile('taken.fits', FITS);
    const twin = (n: number) =>
      product(server.addFile(`twin${n}/same.fits`, FITS), 'same.fits', null);
    await downloadProducts([product(cd, 'cd-7.fits', FITS.length), twin(1), twin(2)], {
      dir,
      ...fast,
    });
    expect(listDir(dir).sort()).toEqual(['same.fits', 'same_1.fits', 'taken.fits']);
    // A torn last line (a run killed while writing it) is ignored.
    writeFileSync(join(dir, DOWNLOAD_RECORD_FILE), '{"url": "http://x/y.fits", "fi', { flag: 'a' });
    const hits = server.requests.length;
    const r = await downloadProducts(
      [product(other, 'taken.fits', FITS.length), twin(2), product(cd, 'cd-7.fits', FITS.length)],
      { dir, ...fast },
    );
    expect(r.files.map((f) => [f.status, f.path.slice(dir.length + 1)])).toEqual([
      ['downloaded', 'taken_1.fits'],
      ['present', 'same_1.fits'],
      ['present', 'taken.fits'],
    ]);
    expect(server.requests.slice(hits).map((q) => q.path)).toEqual(['/files/taken.fits']);
  });

  it('never resumes a .part no run recorded as this product’s', async () => {
    const url = server.addFile('foreign.fits', FITS);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir, { recursive: true });
    const stranger = FITS.slice(0, 20_000);
    stranger[10_000] ^= 0xff;
    writeFileSync(join(dir, 'foreign.fits.part'), stranger);
    const r = await downloadProducts([product(url, 'foreign.fits', FITS.length)], { dir, ...fast });
    expect(r.files[0]).toMatchObject({ status: 'downloaded', path: join(dir, 'foreign_1.fits') });
    expect(readFileSync(join(dir, 'foreign.fits.part')).equals(Buffer.from(stranger))).toBe(true);
    expect(server.hits('/files/foreign.fits')[0].headers.range).toBeUndefined();
  });

  it('refuses an HTML error page served under a .fits name, leaving no final file', async () => {
    const html = '<html><body>Service temporarily unavailable</body></html>';
    const url = server.addFile('page.fits', FITS, {
      faults: Array.from({ length: 4 }, () => ({ kind: 'body' as const, bytes: html })),
    });
    const r = await downloadProducts([product(url, 'page.fits', null)], { dir, ...fast });
    expect(r.files[0].status).toBe('failed');
    expect(r.files[0].error).toMatch(/not a FITS file/);
    expect(listDir(dir)).toEqual([]);
  });

  it('refuses a truncated FITS whose size DataLink did not give', async () => {
    const url = server.addFile('trunc.fits', FITS.subarray(0, FITS.length - 2880));
    const r = await downloadProducts([product(url, 'trunc.fits', null)], {
      dir,
      ...fast,
      retries: 0,
    });
    expect(r.files[0].status).toBe('failed');
    expect(existsSync(join(dir, 'trunc.fits'))).toBe(false);
  });

  it('treats a .part of the full size as complete after verification, without refetching', async () => {
    const url = server.addFile('done.fits', FITS);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir, { recursive: true });
    // A run that began this .part recorded it as this URL's.
    writeFileSync(join(dir, 'done.fits.part'), FITS);
    writeFileSync(
      join(dir, DOWNLOAD_RECORD_FILE),
      `${JSON.stringify({ url, part: 'done.fits.part', total: FITS.length })}\n`,
    );
    const r = await downloadProducts([product(url, 'done.fits', FITS.length)], { dir, ...fast });
    expect(r.files[0].status).toBe('downloaded');
    expect(server.hits('/files/done.fits')).toHaveLength(0);
  });

  it('works with an injected fetch returning web streams (Node 20 global fetch)', async () => {
    const url = server.addFile('native.fits', FITS, { faults: [{ kind: 'cut', after: 40_000 }] });
    const r = await downloadProducts([product(url, 'native.fits', FITS.length)], {
      dir,
      ...fast,
      fetch: globalThis.fetch,
    });
    expect(r.files[0].status).toBe('downloaded');
    // undici may drop bytes it buffered before the cut, so the retry can start anywhere ≤ the cut.
    expect(server.hits('/files/native.fits')).toHaveLength(2);
    expect(readFileSync(join(dir, 'native.fits')).equals(Buffer.from(FITS))).toBe(true);
  });

  it('fetches a file from the next mirror when its own mirror keeps failing', async () => {
    const bad = `${server.url}/bad`;
    server.route('GET', '/bad/files/mirrored.fits', () => ({ status: 502, body: 'bad gateway' }));
    server.addFile('mirrored.fits', FITS);
    const events: DownloadEvent[] = [];
    const r = await downloadProducts(
      [product(`${bad}/files/mirrored.fits`, 'mirrored.fits', FITS.length)],
      {
        dir,
        ...fast,
        retries: 1,
        mirrors: [bad, server.url],
        onEvent: (e) => events.push(e),
      },
    );
    expect(r.files[0].status).toBe('downloaded');
    expect(server.hits('/bad/files/mirrored.fits')).toHaveLength(2);
    expect(server.hits('/files/mirrored.fits')).toHaveLength(1);
    expect(events.find((e) => e.type === 'mirror-switch')?.message).toMatch(
      new RegExp(
        `${bad}/files/mirrored.fits failed \\(.*HTTP 502.*\\); trying ${server.url}/files/mirrored.fits`,
      ),
    );
  });

  it('does not try other mirrors after a 404', async () => {
    const r = await downloadProducts(
      [product(`${server.url}/files/missing.fits`, 'missing.fits', 10)],
      {
        dir,
        ...fast,
        mirrors: [server.url, `${server.url}/other`],
      },
    );
    expect(r.files[0]).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/HTTP 404/),
    });
    expect(server.hits('/other/files/missing.fits')).toHaveLength(0);
  });

  it('downloads several files concurrently through AlmaArchive.download', async () => {
    const ps = Array.from({ length: 6 }, (_, i) => {
      const bytes = FITS.slice();
      return product(server.addFile(`c${i}.fits`, bytes), `c${i}.fits`, bytes.length);
    });
    const alma = new AlmaArchive({ mirror: server.url, ...fast });
    const r = await alma.download(ps, { dir, concurrency: 3, sample: { n: 4, seed: 7 } });
    expect(r.files.map((f) => f.status)).toEqual([
      'downloaded',
      'downloaded',
      'downloaded',
      'downloaded',
    ]);
    expect(listDir(dir).sort()).toEqual(r.files.map((f) => f.path.slice(dir.length + 1)).sort());
  });
});
