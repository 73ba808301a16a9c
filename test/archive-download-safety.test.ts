/**
 * Downloads never lose or replace a file: server-chosen names that clash with anything in the
 * folder, short writes and a full disk, bodies cut short of their Content-Length, and download
 * folders that cannot be made. Against the replay server on 127.0.0.1.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ArchiveError } from '../src/core/errors.js';
import type { DataProduct } from '../src/archive/datalink.js';
import { DOWNLOAD_RECORD_FILE } from '../src/archive/download.js';
import { downloadProducts } from '../src/archive/download.node.js';
import { startReplayServer, type ReplayServer } from './helpers/replay-server.js';

const FITS_NAME = 'member.uid___A001_X12a2_X10d._COS850.0005__sci.spw5_7_9_11.cont.I.pbcor.fits';
const FITS = new Uint8Array(readFileSync(new URL(`./fixtures/fits/${FITS_NAME}`, import.meta.url)));
/** A product that is not FITS (no structure check to catch a short file). */
const BLOB = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7919) % 251);

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

const fast = { retries: 2, backoffMs: 5, timeoutMs: 2000 };

let server: ReplayServer;
let root: string;
let dir: string;
let n = 0;
beforeAll(async () => {
  server = await startReplayServer();
  root = mkdtempSync(join(tmpdir(), 'alma-dl-safe-'));
});
afterAll(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});
beforeEach(() => {
  dir = join(root, `run${++n}`);
  mkdirSync(dir, { recursive: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** The folder's entries but the download record, sorted. */
const listing = (d = dir): string[] =>
  readdirSync(d)
    .filter((f) => f !== DOWNLOAD_RECORD_FILE)
    .sort();
const bytesOf = (name: string): Buffer => readFileSync(join(dir, name));

/** `FileHandle#write(buffer, offset, length)`, the form the downloader calls. */
type WriteBytes = (
  this: FileHandle,
  buffer: Uint8Array,
  offset: number,
  length: number,
) => Promise<{ bytesWritten: number; buffer: Uint8Array }>;

/** The buffer, offset and length of a `write(buffer[, offset[, length]])` call. */
function bytesArgs(args: unknown[]): [Uint8Array, number, number] {
  const buffer = args[0] as Uint8Array;
  const offset = typeof args[1] === 'number' ? args[1] : 0;
  const length = typeof args[2] === 'number' ? args[2] : buffer.length - offset;
  return [buffer, offset, length];
}

/** The prototype every `FileHandle` shares, and its own `write`, to stand in for a failing disk. */
async function fileHandlePrototype(): Promise<[FileHandle, WriteBytes]> {
  const fh = await open(join(root, 'probe'), 'w');
  await fh.close();
  const proto = Object.getPrototypeOf(fh) as FileHandle;
  return [proto, proto.write as unknown as WriteBytes];
}

describe('server-chosen names never replace a file', () => {
  it('a Content-Disposition name of an unrelated file, a .part, or a folder gets a suffix', async () => {
    writeFileSync(join(dir, 'notes.txt'), 'my notes');
    writeFileSync(join(dir, 'other.fits.part'), 'half of another product');
    mkdirSync(join(dir, 'folder.fits'));
    const serve = (name: string, cd: string) =>
      product(
        server.addFile(name, FITS, {
          headers: { 'Content-Disposition': `attachment; filename="${cd}"` },
        }),
        name,
        FITS.length,
      );
    const r = await downloadProducts(
      [
        serve('cd-a.fits', 'notes.txt'),
        serve('cd-b.fits', 'other.fits.part'),
        serve('cd-c.fits', 'folder.fits'),
      ],
      { dir, ...fast },
    );
    expect(r.files.map((f) => f.status)).toEqual(['downloaded', 'downloaded', 'downloaded']);
    expect(bytesOf('notes.txt').toString()).toBe('my notes');
    expect(bytesOf('other.fits.part').toString()).toBe('half of another product');
    expect(readdirSync(join(dir, 'folder.fits'))).toEqual([]);
    const saved = r.files.map((f) => f.path.slice(dir.length + 1));
    expect(saved).toEqual(['notes_1.txt', 'other.fits_part', 'folder_1.fits']);
    for (const f of saved) expect(bytesOf(f).equals(Buffer.from(FITS))).toBe(true);
  });

  it('two products named alike by the server both land, each under its own name', async () => {
    const urls = ['twin-x.fits', 'twin-y.fits'].map((name) =>
      server.addFile(name, FITS, {
        headers: { 'Content-Disposition': 'attachment; filename="same.fits"' },
      }),
    );
    const r = await downloadProducts(
      urls.map((u, i) => product(u, `twin-${i}.fits`, null)),
      { dir, ...fast, concurrency: 2 },
    );
    expect(r.files.map((f) => f.status)).toEqual(['downloaded', 'downloaded']);
    expect(new Set(r.files.map((f) => f.path)).size).toBe(2);
    expect(listing()).toEqual(['same.fits', 'same_1.fits']);
  });

  it("a product's own name held by an unrelated file of another size is not replaced", async () => {
    writeFileSync(join(dir, 'mine.fits'), 'a file the user keeps');
    const url = server.addFile('mine.fits', FITS);
    const r = await downloadProducts([product(url, 'mine.fits', FITS.length)], { dir, ...fast });
    expect(r.files[0]).toMatchObject({ status: 'downloaded', path: join(dir, 'mine_1.fits') });
    expect(bytesOf('mine.fits').toString()).toBe('a file the user keeps');
    expect(server.hits('/files/mine.fits')).toHaveLength(1);
  });

  it('a folder with the name of a product does not abort the run', async () => {
    mkdirSync(join(dir, 'dirname.fits'));
    mkdirSync(join(dir, 'dirpart.fits.part'));
    const a = server.addFile('dirname.fits', FITS);
    const b = server.addFile('dirpart.fits', FITS);
    const r = await downloadProducts(
      [product(a, 'dirname.fits', null), product(b, 'dirpart.fits', null)],
      { dir, ...fast },
    );
    expect(r.files.map((f) => [f.status, f.path.slice(dir.length + 1)])).toEqual([
      ['downloaded', 'dirname_1.fits'],
      ['downloaded', 'dirpart_1.fits'],
    ]);
  });
});

describe('every write is checked', () => {
  it('a disk that takes a few bytes per write still gets the whole file', async () => {
    const [proto, write] = await fileHandlePrototype();
    vi.spyOn(proto, 'write').mockImplementation(function (
      this: FileHandle,
      ...args: unknown[]
    ): never {
      const [buffer, offset, length] = bytesArgs(args);
      return write.call(this, buffer, offset, Math.min(length, 777)) as never;
    });
    const url = server.addFile('slow-disk.bin', BLOB);
    const r = await downloadProducts([product(url, 'slow-disk.bin', null)], { dir, ...fast });
    expect(r.files[0]).toMatchObject({ status: 'downloaded', bytes: BLOB.length });
    expect(bytesOf('slow-disk.bin').equals(Buffer.from(BLOB))).toBe(true);
  });

  it('a disk that drops bytes leaves only the .part, and a rerun does not call it present', async () => {
    const [proto, write] = await fileHandlePrototype();
    const spy = vi.spyOn(proto, 'write').mockImplementation(function (
      this: FileHandle,
      ...args: unknown[]
    ): never {
      const [buffer, offset, length] = bytesArgs(args);
      // Writes half, claims all: what a failing disk or a broken FUSE mount can do.
      return write
        .call(this, buffer, offset, Math.ceil(length / 2))
        .then(() => ({ bytesWritten: length, buffer })) as never;
    });
    const url = server.addFile('lossy.bin', BLOB);
    const r = await downloadProducts([product(url, 'lossy.bin', null)], { dir, ...fast });
    expect(r.files[0].status).toBe('failed');
    expect(r.files[0].error).toMatch(/lossy\.bin\.part: .*bytes written but the file holds/);
    expect(listing()).toEqual(['lossy.bin.part']);
    spy.mockRestore();
    const again = await downloadProducts([product(url, 'lossy.bin', null)], { dir, ...fast });
    expect(again.files[0].status).toBe('downloaded');
    expect(bytesOf('lossy.bin').equals(Buffer.from(BLOB))).toBe(true);
  });

  it('a full disk (ENOSPC) fails the file at once, says so, and keeps its .part', async () => {
    const [proto, write] = await fileHandlePrototype();
    let budget = 30_000;
    vi.spyOn(proto, 'write').mockImplementation(function (
      this: FileHandle,
      ...args: unknown[]
    ): never {
      const [buffer, offset, length] = bytesArgs(args);
      if (budget <= 0) {
        const err = Object.assign(new Error('ENOSPC: no space left on device, write'), {
          code: 'ENOSPC',
        });
        return Promise.reject(err) as never;
      }
      const n = Math.min(length, budget);
      budget -= n;
      return write.call(this, buffer, offset, n) as never;
    });
    const url = server.addFile('full.fits', FITS);
    const r = await downloadProducts([product(url, 'full.fits', FITS.length)], {
      dir,
      ...fast,
      retries: 5,
    });
    expect(r.files[0].status).toBe('failed');
    expect(r.files[0].error).toMatch(
      /full\.fits\.part: cannot write: no space left on the device \(ENOSPC\); the \.part is kept/,
    );
    expect(server.hits('/files/full.fits')).toHaveLength(1);
    expect(listing()).toEqual(['full.fits.part']);
    expect(readFileSync(join(dir, 'full.fits.part')).length).toBe(30_000);
  });
});

describe('a body cut short is noticed as it ends', () => {
  it('resumes at once, without waiting for the inactivity timeout or the backoff', async () => {
    const url = server.addFile('cutshort.bin', BLOB, {
      faults: [{ kind: 'short', after: 40_000 }],
    });
    const t0 = Date.now();
    const r = await downloadProducts([product(url, 'cutshort.bin', null)], {
      dir,
      retries: 2,
      backoffMs: 20_000,
      timeoutMs: 20_000,
    });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(r.files[0].status).toBe('downloaded');
    expect(bytesOf('cutshort.bin').equals(Buffer.from(BLOB))).toBe(true);
    const hits = server.hits('/files/cutshort.bin');
    expect(hits).toHaveLength(2);
    expect(hits[1].headers.range).toBe('bytes=40000-');
  });
});

describe('download folders that cannot be made', () => {
  it('a file in the way is an ArchiveError naming the folder', async () => {
    writeFileSync(join(dir, 'plain'), 'x');
    const target = join(dir, 'plain', 'data');
    const p = downloadProducts([product(`${server.url}/files/x.fits`, 'x.fits', 1)], {
      dir: target,
      ...fast,
    });
    await expect(p).rejects.toThrow(ArchiveError);
    await expect(p).rejects.toThrow(
      `${target}: cannot create the download folder: a file is in the way where a folder should be (ENOTDIR)`,
    );
  });

  it.runIf(process.platform === 'linux' && existsSync('/proc/self'))(
    'a place where mkdir -p would loop forever (/proc) fails at once',
    async () => {
      const target = '/proc/self/alma-classifier-test/data';
      const t0 = Date.now();
      await expect(
        downloadProducts([product(`${server.url}/files/x.fits`, 'x.fits', 1)], {
          dir: target,
          ...fast,
        }),
      ).rejects.toThrow(
        /\/proc\/self\/alma-classifier-test\/data: cannot create the download folder/,
      );
      expect(Date.now() - t0).toBeLessThan(2000);
    },
  );
});
