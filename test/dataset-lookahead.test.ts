// The file builders open the next file and ask for its hash while the consumer works on the
// current one: when that happens, that no file is left open when the consumer stops early, and
// that the order of sources and skipped records is as before.
import { readdirSync, readlinkSync } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createImage2D } from '../src/core/image2d.js';
import { writeFitsFile } from '../src/fits/index.node.js';
import { originalDustInWind, resolveProfile } from '../src/dataset/index.js';
import { buildNegativeSetFromFiles, readSourceImages } from '../src/dataset/index.node.js';
import type { SkippedSource, SourceImage } from '../src/dataset/index.js';
import { FITS_DIR, REAL_FITS } from './helpers/fits-fixtures.js';

/** readSourceImages' items are sources or skipped records. */
type Item = SourceImage | SkippedSource;

/** What happened, in order: paths pulled, hashes asked for, files finished by the consumer. */
const events: string[] = [];

vi.mock('../src/dataset/content-hash.node.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/dataset/content-hash.node.js')>();
  return {
    ...real,
    startContentHasher: () => {
      const hasher = real.startContentHasher();
      return {
        hash: (path: string, hdu: Parameters<typeof hasher.hash>[1]) => {
          events.push(`hash ${basename(path)}`);
          return hasher.hash(path, hdu);
        },
        get onThread() {
          return hasher.onThread;
        },
        close: () => hasher.close(),
      };
    },
  };
});

const B335 = join(FITS_DIR, REAL_FITS.b335);
const plain = resolveProfile({ positive: { align: 'none' } }, originalDustInWind);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'alma-lookahead-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  events.length = 0;
});

/** `n` copies of B335 in `dir`, named `${prefix}-${i}.fits`. */
async function copies(prefix: string, n: number): Promise<string[]> {
  const paths: string[] = [];
  for (let i = 1; i <= n; i++) {
    paths.push(join(dir, `${prefix}-${i}.fits`));
    await copyFile(B335, paths[i - 1]);
  }
  return paths;
}

/** The paths as an async source that records each pull. */
async function* pulled(paths: string[]): AsyncGenerator<string> {
  for (const p of paths) {
    events.push(`pull ${basename(p)}`);
    yield p;
  }
}

/** Files under `dir` this process has open (Linux; [] where /proc is missing). */
function openFiles(): string[] {
  let fds: string[];
  try {
    fds = readdirSync('/proc/self/fd');
  } catch {
    return [];
  }
  return fds
    .map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return '';
      }
    })
    .filter((target) => target.startsWith(dir));
}

describe('file builders looking ahead', () => {
  it("ask for the next file's hash before the consumer has finished the current one", async () => {
    const paths = await copies('ahead', 3);
    const ds = await buildNegativeSetFromFiles(pulled(paths), plain, {
      onProgress: ({ file }) => events.push(`done ${basename(file ?? '')}`),
    });
    expect(ds.shape[0]).toBe(3);
    expect(events.indexOf('hash ahead-2.fits')).toBeGreaterThan(-1);
    expect(events.indexOf('hash ahead-2.fits')).toBeLessThan(events.indexOf('done ahead-1.fits'));
    expect(events.indexOf('hash ahead-3.fits')).toBeLessThan(events.indexOf('done ahead-2.fits'));
    // One file ahead, not more: file 3 is pulled only once file 1 was handed on.
    expect(events.indexOf('pull ahead-3.fits')).toBeGreaterThan(
      events.indexOf('hash ahead-2.fits'),
    );
    // readSourceImages too: file 2 is open and hashing when file 1 arrives.
    events.length = 0;
    for await (const item of readSourceImages(pulled(paths))) {
      events.push(`got ${basename((item as Item).source)}`);
    }
    expect(events.indexOf('hash ahead-2.fits')).toBeLessThan(events.indexOf('got ahead-1.fits'));
  });

  it('leave no file open when the consumer breaks or throws', async () => {
    const paths = await copies('early', 4);
    for await (const item of readSourceImages(pulled(paths))) {
      expect('image' in item).toBe(true);
      // This one and the one ahead are open now.
      expect(openFiles().length).toBeGreaterThan(0);
      break;
    }
    // The hashing thread may still be reading the file ahead (its own handle) for a moment.
    await vi.waitFor(() => expect(openFiles()).toEqual([]), { timeout: 5000 });
    const build = buildNegativeSetFromFiles(pulled(paths), plain, {
      onProgress: () => {
        throw new Error('stop');
      },
    });
    await expect(build).rejects.toThrow('stop');
    await vi.waitFor(() => expect(openFiles()).toEqual([]), { timeout: 5000 });
    // The paths were not read past the file ahead.
    expect(events.filter((e) => e.startsWith('pull')).length).toBe(4);
  });

  it('yield sources and skipped records in the order of the paths', async () => {
    const [good1, good2] = await copies('mix', 2);
    const missing = join(dir, 'missing.fits');
    const corrupt = join(dir, 'corrupt.fits');
    await writeFile(corrupt, 'SIMPLE  =                    T / not really FITS');
    const small = join(dir, 'small.fits');
    await writeFitsFile(small, createImage2D(20, 20));
    const order = [missing, good1, corrupt, small, missing, good2, corrupt];
    const want = [
      ['missing.fits', /no such file/],
      ['mix-1.fits', 'image'],
      ['corrupt.fits', /corrupt\.fits/],
      ['small.fits', /smaller than minSize 100/],
      ['missing.fits', /no such file/],
      ['mix-2.fits', 'image'],
      ['corrupt.fits', /corrupt\.fits/],
    ] as const;
    for (const input of [order, pulled(order)]) {
      const got: [string, string][] = [];
      for await (const item of readSourceImages(input, { minSize: 100 })) {
        const it = item as Item;
        got.push([basename(it.source), 'image' in it ? 'image' : it.reason]);
      }
      expect(got.map(([name]) => name)).toEqual(want.map(([name]) => name));
      got.forEach(([, what], i) => expect(what).toMatch(want[i][1]));
    }
    const ds = await buildNegativeSetFromFiles(order, plain, { minSize: 100 });
    expect(ds.samples.map((s) => s.source)).toEqual([good1, good2]);
    expect(ds.skipped.map((s) => basename(s.source))).toEqual(
      want.filter(([, w]) => w !== 'image').map(([name]) => name),
    );
  });

  it('hand on the files before a path source that throws, then its error', async () => {
    const paths = await copies('throw', 2);
    async function* failing(): AsyncGenerator<string> {
      yield* paths;
      throw new Error('listing failed');
    }
    const got: string[] = [];
    await expect(
      (async () => {
        for await (const item of readSourceImages(failing()))
          got.push(basename((item as Item).source));
      })(),
    ).rejects.toThrow('listing failed');
    expect(got).toEqual(['throw-1.fits', 'throw-2.fits']);
    await vi.waitFor(() => expect(openFiles()).toEqual([]), { timeout: 5000 });
  });
});
