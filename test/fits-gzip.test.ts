/**
 * `.fits.gz` read by every reader (`readFits` on bytes, `readFitsFile`, `openFits`,
 * `readFits` on a path) with one gzip reader and one size guard, giving the answers astropy gives on
 * the same files (test/fixtures/gzip, made and answered by scripts/make-gzip-fixtures.py).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FitsError } from '../src/core/errors.js';
import { createRng } from '../src/core/random.js';
import type { Image2D } from '../src/core/image2d.js';
import { readFits, requireImage } from '../src/fits/read.js';
import { openFits, readFits as readFitsNode, readFitsFile } from '../src/fits/index.node.js';

const DIR = join(__dirname, 'fixtures', 'gzip');
type Answer =
  | { ok: true; shape: number[]; nansum: number; first: number; last: number }
  | { ok: false; error: string };
const ASTROPY = JSON.parse(readFileSync(join(DIR, 'astropy.json'), 'utf8')) as Record<
  string,
  Answer
>;

/** What one reader made of a file: the image's figures, or the FitsError's message. */
type Outcome =
  | { ok: true; shape: number[]; nansum: number; first: number; last: number }
  | { ok: false; error: string };

function figures(img: Image2D): Outcome {
  let nansum = 0;
  const data = img.data as Float32Array;
  for (const v of data) if (!Number.isNaN(v)) nansum += v;
  return { ok: true, shape: [...img.shape], nansum, first: data[0], last: data[data.length - 1] };
}

async function outcome(read: () => Promise<Image2D> | Image2D): Promise<Outcome> {
  try {
    return figures(await read());
  } catch (err) {
    if (!(err instanceof FitsError)) throw err;
    return { ok: false, error: err.message };
  }
}

const READERS: [string, (path: string) => Promise<Image2D> | Image2D][] = [
  ['readFits', (p) => requireImage(readFits(readFileSync(p), { name: p }))],
  ['readFitsFile', async (p) => requireImage(await readFitsFile(p))],
  [
    'openFits',
    async (p) => {
      const f = await openFits(p);
      try {
        return await f.read();
      } finally {
        await f.close();
      }
    },
  ],
  [
    'openFits (a window)',
    async (p) => {
      const f = await openFits(p);
      try {
        return await f.read({ region: { rows: [0, f.shape?.[0] ?? 0] } });
      } finally {
        await f.close();
      }
    },
  ],
  ['readFits (a path)', async (p) => requireImage(await readFitsNode(p))],
];

describe('.fits.gz: every reader gives astropy’s answer', () => {
  const cases = readdirSync(DIR).filter((f) => f.endsWith('.fits.gz'));
  it('has the fixtures and their answers', () => {
    expect(cases.length).toBeGreaterThanOrEqual(12);
    for (const c of cases) expect(ASTROPY[c.replace('.fits.gz', '')], c).toBeDefined();
  });
  for (const file of cases) {
    const name = file.replace('.fits.gz', '');
    it(name, async () => {
      const want = ASTROPY[name];
      const path = join(DIR, file);
      for (const [reader, read] of READERS) {
        const got = await outcome(() => read(path));
        expect(got.ok, `${reader}: ${JSON.stringify(got)}`).toBe(want.ok);
        if (got.ok && want.ok) {
          expect(got.shape).toEqual(want.shape);
          expect(got.nansum).toBeCloseTo(want.nansum, 6);
          expect(got.first).toBe(want.first);
          expect(got.last).toBeCloseTo(want.last, 5);
        } else if (!got.ok) {
          expect(got.error, reader).toMatch(
            new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `),
          );
        }
      }
    });
  }
});

describe('.fits.gz under fuzzing', () => {
  it('1000 seeded mutations: readFits and readFitsFile give the same image or both a FitsError', async () => {
    const rng = createRng(15);
    const sources = ['single', 'two-members'].map((n) => readFileSync(join(DIR, `${n}.fits.gz`)));
    const dir = mkdtempSync(join(tmpdir(), 'gz-fuzz-'));
    let same = 0;
    let errors = 0;
    let slowest = 0;
    try {
      for (let i = 0; i < 1000; i++) {
        const src = sources[i % sources.length];
        const b = Uint8Array.from(src);
        // Flip bytes anywhere (header, deflate data, trailer), or cut the stream.
        if (rng.next() < 0.3) {
          const cut = b.subarray(0, rng.int(2, b.length));
          b.set(cut);
        }
        const flips = rng.int(1, 4);
        for (let k = 0; k < flips; k++) b[rng.int(2, b.length - 1)] = rng.int(0, 255);
        const bytes = rng.next() < 0.3 ? b.subarray(0, rng.int(2, b.length)) : b;
        const path = join(dir, `m${i}.fits.gz`);
        writeFileSync(path, bytes);
        const t0 = performance.now();
        const a = await outcome(() => requireImage(readFits(bytes, { name: path })));
        const f = await outcome(async () => requireImage(await readFitsFile(path)));
        slowest = Math.max(slowest, performance.now() - t0);
        expect(f, `mutant ${i}`).toEqual(a);
        if (a.ok) same++;
        else errors++;
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    console.log(
      `fuzz .fits.gz (seed 15): 1000 mutations, ${same} read alike, ${errors} clean errors alike, 0 crashes, slowest ${slowest.toFixed(1)} ms`,
    );
    expect(errors).toBeGreaterThan(100);
    expect(slowest).toBeLessThan(2000);
  }, 60_000);
});

describe('one size guard', () => {
  it('a doubly gzipped bomb is refused without inflating the inner stream', async () => {
    // 64 MB of zeros compress to ~64 kB, then to ~200 bytes: inflated twice it would be 64 MB.
    const inner = gzipSync(new Uint8Array(64 * 1024 * 1024), { level: 9 });
    const outer = gzipSync(inner, { level: 9 });
    expect(outer.length).toBeLessThan(1024);
    expect(() => readFits(outer, { name: 'bomb.fits.gz' })).toThrow(
      /^bomb\.fits\.gz: not a FITS file: the gzip stream holds another gzip stream/,
    );
  });

  it('the messages of a corrupt stream name the file', () => {
    const bytes = new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff]);
    expect(() => readFits(bytes, { name: 'x.fits.gz' })).toThrow(
      /^x\.fits\.gz: corrupt gzip stream/,
    );
  });
});
