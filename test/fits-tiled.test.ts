/**
 * Tile-compressed images (ZIMAGE tables: RICE_1, GZIP_1, GZIP_2, PLIO_1, HCOMPRESS_1, quantised
 * floats with and without dithering) read like astropy reads them, by every reader: the
 * fixtures and astropy's answers come from scripts/make-tiled-fixtures.py (astropy 5.2, whose
 * compressor is cfitsio's), plus astropy's own three compressed test files.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FitsError } from '../src/core/errors.js';
import { createRng } from '../src/core/random.js';
import type { Image2D } from '../src/core/image2d.js';
import { readFits, requireImage } from '../src/fits/read.js';
import { readNpy } from '../src/fits/npy.js';
import { openFits, readFitsFile } from '../src/fits/index.node.js';

const DIR = join(__dirname, 'fixtures', 'tiled');
interface Case {
  what: string;
  dtype: string;
  shape: number[];
  sum: number;
  sha256: string;
}
const CASES = JSON.parse(readFileSync(join(DIR, 'cases.json'), 'utf8')) as Record<string, Case>;
const fixture = (name: string): string => join(DIR, `${name}.fits`);

/** Every plane of a file's image (one for a 2-D image), as float64, through one reader. */
type Reader = (path: string, planes: number) => Promise<Float64Array[]>;

const READERS: [string, Reader][] = [
  [
    'readFits',
    async (path, planes) =>
      Array.from({ length: planes }, (_, k) =>
        values(
          requireImage(
            readFits(readFileSync(path), {
              name: path,
              dtype: 'float64',
              ...(planes > 1 ? { plane: [k] } : {}),
            }),
          ),
        ),
      ),
  ],
  [
    'readFitsFile',
    async (path, planes) => {
      const out: Float64Array[] = [];
      for (let k = 0; k < planes; k++)
        out.push(
          values(
            requireImage(
              await readFitsFile(path, { dtype: 'float64', ...(planes > 1 ? { plane: [k] } : {}) }),
            ),
          ),
        );
      return out;
    },
  ],
  [
    'openFits',
    async (path, planes) => {
      const f = await openFits(path, { dtype: 'float64' });
      try {
        const out: Float64Array[] = [];
        for (let k = 0; k < planes; k++)
          out.push(values(await f.read(planes > 1 ? { plane: [k] } : {})));
        return out;
      } finally {
        await f.close();
      }
    },
  ],
  [
    'openFits with a plane (two windows)',
    async (path, planes) => {
      const out: Float64Array[] = [];
      for (let k = 0; k < planes; k++) {
        const f = await openFits(path, {
          dtype: 'float64',
          ...(planes > 1 ? { plane: [k] } : {}),
        });
        try {
          const [rows, cols] = f.shape ?? [0, 0];
          const half = Math.max(1, rows >> 1);
          const top = values(await f.read({ region: { rows: [0, half] } }));
          const rest =
            rows > half
              ? values(await f.read({ region: { rows: [half, rows] } }))
              : new Float64Array(0);
          const all = new Float64Array(rows * cols);
          all.set(top);
          all.set(rest, top.length);
          out.push(all);
        } finally {
          await f.close();
        }
      }
      return out;
    },
  ],
];

function values(img: Image2D): Float64Array {
  return Float64Array.from(img.data as ArrayLike<number>);
}

/** astropy's image, flattened, one array per plane. */
function astropyPlanes(name: string, planes: number): Float64Array[] {
  const a = readNpy(readFileSync(join(DIR, `${name}.npy`)));
  const all = Float64Array.from(a.data as ArrayLike<number>);
  const per = all.length / planes;
  return Array.from({ length: planes }, (_, k) => all.subarray(k * per, (k + 1) * per));
}

/**
 * Equal value for value, NaN for NaN. astropy returns an unscaled integer image's BLANK pixels
 * as the BLANK value, where this library returns NaN (its convention for every FITS reader).
 */
function expectSame(
  got: Float64Array,
  want: Float64Array,
  blank: number | undefined,
  what: string,
) {
  expect(got.length, what).toBe(want.length);
  let bad = 0;
  let first = -1;
  for (let i = 0; i < want.length; i++) {
    const w = want[i];
    const g = got[i];
    const same =
      (Number.isNaN(w) && Number.isNaN(g)) || w === g || (w === blank && Number.isNaN(g));
    if (!same) {
      bad++;
      if (first < 0) first = i;
    }
  }
  expect(
    bad,
    `${what}: ${bad} pixels differ, first at ${first}: ${want[first]} vs ${got[first]}`,
  ).toBe(0);
}

describe('tile-compressed images read like astropy reads them', () => {
  it('has every algorithm among its fixtures', async () => {
    const algorithms = new Set<string | undefined>();
    for (const n of Object.keys(CASES)) {
      const f = await openFits(fixture(n));
      algorithms.add(f.hdus[1].compression);
      await f.close();
    }
    expect([...algorithms].sort()).toEqual(['GZIP_1', 'GZIP_2', 'HCOMPRESS_1', 'PLIO_1', 'RICE_1']);
  });

  for (const [name, c] of Object.entries(CASES)) {
    it(`${name}: ${c.what}`, async () => {
      const path = fixture(name);
      const opened = await openFits(path);
      const hdu = opened.hdus[1];
      await opened.close();
      expect(hdu.kind).toBe('image');
      expect(hdu.axes).toEqual([...c.shape].reverse());
      const planes = c.shape.length > 2 ? c.shape[0] : 1;
      const blank = hdu.header.get('BLANK');
      for (const [reader, read] of READERS) {
        const got = await read(path, planes);
        if (existsSync(join(DIR, `${name}.npy`))) {
          const want = astropyPlanes(name, planes);
          got.forEach((g, k) =>
            expectSame(
              g,
              want[k],
              typeof blank === 'number' ? blank : undefined,
              `${reader} plane ${k}`,
            ),
          );
        } else {
          // comp.fits (300 x 440 int16): astropy's sum and the SHA-256 of its int16 data.
          const g = got[0];
          expect(g.reduce((a, b) => a + b, 0)).toBe(c.sum);
          const ints = Int16Array.from(g);
          const sha = createHash('sha256').update(new Uint8Array(ints.buffer)).digest('hex');
          expect(sha, reader).toBe(c.sha256);
        }
      }
    });
  }

  it('presents the image header (BITPIX, NAXISn, BUNIT) without the table and compression keywords', () => {
    const f = readFits(readFileSync(fixture('rice_f32_dither1')));
    const h = f.header;
    expect(f.imageHdu).toBe(1);
    expect(h.get('XTENSION')).toBe('IMAGE');
    expect(h.get('BITPIX')).toBe(-32);
    expect([h.get('NAXIS'), h.get('NAXIS1'), h.get('NAXIS2')]).toEqual([2, 33, 21]);
    expect(h.get('BUNIT')).toBe('Jy/beam');
    for (const k of ['ZIMAGE', 'ZCMPTYPE', 'ZBITPIX', 'TFIELDS', 'TTYPE1', 'ZQUANTIZ', 'ZDITHER0'])
      expect(h.has(k), k).toBe(false);
  });
});

describe('damaged tile-compressed images', () => {
  it('an unknown algorithm is a FitsError naming it when the image is read', () => {
    const bytes = new Uint8Array(readFileSync(fixture('rice_i16')));
    const at = new TextDecoder('latin1').decode(bytes).indexOf("ZCMPTYPE= 'RICE_1  '");
    expect(at).toBeGreaterThan(0);
    bytes.set(new TextEncoder().encode("ZCMPTYPE= 'BOGUS_1 '"), at);
    expect(() => readFits(bytes, { name: 'x.fits' })).toThrow(
      /^x\.fits: HDU 1: tile-compressed image: ZCMPTYPE "BOGUS_1" is not one of RICE_1/,
    );
  });

  it('500 seeded mutations: FitsError or an image, the same from memory and from disk, quickly', async () => {
    const rng = createRng(31);
    const sources = ['rice_i16_tiles', 'hcomp_f32_dither1', 'plio_i16', 'gzip2_f32_dither2'].map(
      (n) => new Uint8Array(readFileSync(fixture(n))),
    );
    const dir = mkdtempSync(join(tmpdir(), 'tiled-fuzz-'));
    let ok = 0;
    let rejected = 0;
    let slowest = 0;
    try {
      for (let i = 0; i < 500; i++) {
        const src = sources[i % sources.length];
        const b = src.slice();
        // Flip bytes of the table and heap (after the two header blocks of each HDU).
        const flips = rng.int(1, 6);
        for (let k = 0; k < flips; k++) b[rng.int(5760, b.length - 1)] = rng.int(0, 255);
        const path = join(dir, `m${i}.fits`);
        writeFileSync(path, b);
        const t0 = performance.now();
        let a: string;
        try {
          a = JSON.stringify(
            Array.from(values(requireImage(readFits(b, { name: path }))).slice(0, 50)),
          );
          ok++;
        } catch (err) {
          if (!(err instanceof FitsError)) throw new Error(`mutant ${i}: ${String(err)}`);
          a = err.message;
          rejected++;
        }
        let f: string;
        try {
          f = JSON.stringify(
            Array.from(values(requireImage(await readFitsFile(path))).slice(0, 50)),
          );
        } catch (err) {
          if (!(err instanceof FitsError)) throw new Error(`mutant ${i}: ${String(err)}`);
          f = err.message;
        }
        slowest = Math.max(slowest, performance.now() - t0);
        expect(f, `mutant ${i}`).toBe(a);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    console.log(
      `fuzz tile-compressed (seed 31): 500 mutations, ${ok} read, ${rejected} clean errors, 0 crashes, slowest ${slowest.toFixed(1)} ms`,
    );
    expect(rejected).toBeGreaterThan(20);
    expect(slowest).toBeLessThan(2000);
  }, 60_000);
});
