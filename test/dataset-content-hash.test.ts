// Content hashes (the label store's ids) on the calling thread and on the builders' hashing
// thread: the same 16 hex digits as before the thread existed (golden values from the commit
// before it), typed errors for files that vanish or shrink after they were opened, and no thread
// left behind by a build that ends or is abandoned.
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FitsError } from '../src/core/errors.js';
import { openFits } from '../src/fits/index.node.js';
import type { FitsHdu } from '../src/fits/read.js';
import { FITS_DIR, REAL_FITS } from './helpers/fits-fixtures.js';
import {
  fitsDataHash,
  hashOfOpenImage,
  startContentHasher,
  type ContentHasher,
} from '../src/dataset/content-hash.node.js';
import {
  buildNegativeSet,
  originalDustInWind,
  resolveProfile,
  type WindowedSource,
} from '../src/dataset/index.js';
import { buildNegativeSetFromFiles, readSourceImages } from '../src/dataset/index.node.js';

const run = promisify(execFile);
const repo = resolve(__dirname, '..');
const B335 = join(FITS_DIR, REAL_FITS.b335);
/** fitsDataHash of the fixtures as computed before the hashing thread (commit aeea1ff). */
const GOLDEN: Record<string, string> = {
  'b335_2017_band6_0.fits': '5d81912097cb9afc',
  'member.uid___A001_X12a2_X10d._COS850.0005__sci.spw5_7_9_11.cont.I.pbcor.fits':
    'afeab24133361649',
  'serpenssouthc7_2019_band6_0.fits': '5f9ea06772980951',
};
const plain = resolveProfile({ positive: { align: 'none' } }, originalDustInWind);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'alma-content-hash-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** The image HDU's layout, as a builder has it after opening the file. */
async function imageHdu(path: string): Promise<FitsHdu> {
  const reader = await openFits(path);
  try {
    return reader.hdus[reader.imageHdu ?? 0];
  } finally {
    await reader.close();
  }
}

/** A hasher whose thread has started (waited for, so the test exercises the thread). */
async function threadHasher(): Promise<ContentHasher> {
  const hasher = startContentHasher();
  for (let i = 0; i < 2000 && !hasher.onThread; i++) await new Promise((r) => setTimeout(r, 10));
  expect(hasher.onThread).toBe(true);
  return hasher;
}

describe('content hashes', () => {
  it('are the same 16 hex digits on the calling thread, on the hashing thread and in a build', async () => {
    const hasher = await threadHasher();
    try {
      for (const [name, hash] of Object.entries(GOLDEN)) {
        const path = join(FITS_DIR, name);
        const hdu = await imageHdu(path);
        expect((await fitsDataHash(path)).hash).toBe(hash);
        expect((await hashOfOpenImage(path, hdu)).hash).toBe(hash);
        expect(await hasher.hash(path, hdu)).toBe(hash);
      }
      // A .fits.gz: the thread leaves it to the calling thread, which inflates it.
      const gz = join(dir, 'b335.fits.gz');
      await writeFile(gz, gzipSync(await readFile(B335)));
      expect(await hasher.hash(gz, await imageHdu(gz))).toBe(GOLDEN['b335_2017_band6_0.fits']);
    } finally {
      await hasher.close();
    }
    const paths = Object.keys(GOLDEN).map((n) => join(FITS_DIR, n));
    const ds = await buildNegativeSetFromFiles([...paths, ...paths, ...paths], plain);
    expect(ds.samples.map((s) => s.hash)).toEqual(
      [...paths, ...paths, ...paths].map((p) => GOLDEN[basename(p)]),
    );
    const images: string[] = [];
    for await (const item of readSourceImages(paths))
      if ('hash' in item && typeof item.hash === 'string') images.push(item.hash);
    expect(images).toEqual(Object.values(GOLDEN));
  });

  it('a gzip stream the readers accept (bad CRC) hashes as its pixels do, not as a zlib error', async () => {
    const single = join(repo, 'test', 'fixtures', 'gzip', 'single.fits.gz');
    const badCrc = join(repo, 'test', 'fixtures', 'gzip', 'bad-crc.fits.gz');
    expect((await fitsDataHash(badCrc)).hash).toBe((await fitsDataHash(single)).hash);
  });

  it('a file that vanished after it was opened is a FitsError naming it, on either thread', async () => {
    const path = join(dir, 'vanishing.fits');
    await copyFile(B335, path);
    const hdu = await imageHdu(path);
    await unlink(path);
    await expect(hashOfOpenImage(path, hdu)).rejects.toThrow(FitsError);
    await expect(hashOfOpenImage(path, hdu)).rejects.toThrow(`${path}: cannot read (no such file)`);
    const hasher = await threadHasher();
    try {
      const err = await hasher.hash(path, hdu).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FitsError);
      expect((err as FitsError).message).toBe(`${path}: cannot read (no such file)`);
    } finally {
      await hasher.close();
    }
  });

  it('a file that shrank after it was opened is a FitsError naming it, on either thread', async () => {
    const path = join(dir, 'shrinking.fits');
    await copyFile(B335, path);
    const hdu = await imageHdu(path);
    await truncate(path, hdu.dataOffset + 1000);
    const why = `${path}: file shrank while open: its image data is ${hdu.dataBytes} bytes at offset ${hdu.dataOffset}, 1000 read`;
    await expect(hashOfOpenImage(path, hdu)).rejects.toThrow(why);
    const hasher = await threadHasher();
    try {
      const err = await hasher.hash(path, hdu).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FitsError);
      expect((err as FitsError).message).toBe(why);
    } finally {
      await hasher.close();
    }
  });
});

describe('builders hashing on a second thread', () => {
  it('skip a source whose hash fails after its windows were read, with the reason', async () => {
    const path = join(dir, 'gone.fits');
    await copyFile(B335, path);
    const reader = await openFits(path);
    const hdu = reader.hdus[reader.imageHdu ?? 0];
    await unlink(path);
    const hasher = await threadHasher();
    try {
      const hash = hasher.hash(path, hdu);
      hash.catch(() => undefined);
      const source: WindowedSource = {
        source: path,
        hdu: hdu.index,
        windows: {
          shape: reader.shape as [number, number],
          read: (window) => reader.read({ region: window }),
        },
        hash,
      };
      const ds = await buildNegativeSet([source, { source: 'x.fits', reason: 'other' }], plain);
      expect(ds.shape[0]).toBe(0);
      expect(ds.skipped).toEqual([
        { source: path, reason: `${path}: cannot read (no such file)` },
        { source: 'x.fits', reason: 'other' },
      ]);
    } finally {
      await hasher.close();
      await reader.close();
    }
  });

  it('skip files deleted or cut short while a build runs, and finish the build', async () => {
    const paths: string[] = [];
    for (let i = 0; i < 12; i++) {
      paths.push(join(dir, `busy-${i}.fits`));
      await copyFile(B335, paths[i]);
    }
    const hdu = await imageHdu(B335);
    const ds = await buildNegativeSetFromFiles(paths, plain, {
      // After each file, spoil one three files on: it may be caught opening or hashing. (The
      // next-but-one was sometimes open before the unlink, running on libuv's pool, got to it.)
      onProgress: ({ done }) => {
        const victim = paths[done + 3];
        if (victim === undefined || done % 3 !== 0) return;
        void (done % 2 === 0 ? unlink(victim) : truncate(victim, hdu.dataOffset + 100));
      },
    });
    expect(ds.shape[0] + ds.skipped.length).toBe(paths.length);
    expect(ds.skipped.length).toBeGreaterThan(0);
    for (const s of ds.skipped) expect(s.reason).toMatch(/no such file|shrank|truncated/);
  });

  it('stop the hashing thread a second after a for-await loop breaks or the last build ends', async () => {
    const terminate = vi.spyOn(Worker.prototype, 'terminate');
    const paths = Object.keys(GOLDEN).map((n) => join(FITS_DIR, n));
    for await (const item of readSourceImages(paths)) {
      expect('image' in item).toBe(true);
      break;
    }
    await vi.waitFor(() => expect(terminate).toHaveBeenCalledTimes(1), { timeout: 10_000 });
    // Consecutive builds share one thread, stopped once after the last.
    await buildNegativeSetFromFiles(paths, plain);
    await buildNegativeSetFromFiles(paths, plain);
    expect(terminate).toHaveBeenCalledTimes(1);
    await vi.waitFor(() => expect(terminate).toHaveBeenCalledTimes(2), { timeout: 10_000 });
    // Without content ids there is no thread at all.
    await buildNegativeSetFromFiles(paths, plain, { contentIds: false });
    await new Promise((r) => setTimeout(r, 1500));
    expect(terminate).toHaveBeenCalledTimes(2);
  });

  it('do not keep the process alive when an iteration is abandoned without being closed', async () => {
    const script = join(dir, 'abandon.mts');
    await writeFile(
      script,
      `import { readSourceImages } from ${JSON.stringify(join(repo, 'src', 'dataset', 'index.node.ts'))};
const it = readSourceImages(${JSON.stringify(Object.keys(GOLDEN).map((n) => join(FITS_DIR, n)))})[Symbol.asyncIterator]();
await it.next();
await new Promise((r) => setTimeout(r, 300));
await it.next();
console.log('abandoned');
`,
    );
    const { stdout } = await run(process.execPath, ['--import', 'tsx', script], {
      cwd: repo,
      timeout: 30_000,
    });
    expect(stdout.trim()).toBe('abandoned');
  });
});
