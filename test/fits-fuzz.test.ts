import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { FitsError, createRng } from '../src/core/index.js';
import type { Rng } from '../src/core/index.js';
import { readFits, scanFitsLayout } from '../src/fits/index.js';
import {
  FITS_DIR,
  REAL_FITS,
  bigEndian,
  buildFits,
  card,
  imageHdu,
  EMPTY_PRIMARY,
  SMALL_BINTABLE,
} from './helpers/fits-fixtures.js';

const real = [REAL_FITS.b335, REAL_FITS.serpens, REAL_FITS.cos850].map(
  (f) => new Uint8Array(readFileSync(join(FITS_DIR, f))),
);
const lastImage = imageHdu(
  -64,
  4,
  4,
  Array.from({ length: 16 }, (_, i) => i / 3),
);
const multi = buildFits([
  EMPTY_PRIMARY,
  {
    cards: [
      ['XTENSION', "'IMAGE   '"],
      ['BITPIX', '16'],
      ['NAXIS', '3'],
      ['NAXIS1', '20'],
      ['NAXIS2', '10'],
      ['NAXIS3', '1'],
      ['PCOUNT', '0'],
      ['GCOUNT', '1'],
      ['BZERO', '32768'],
      ['BLANK', '-32768'],
    ],
    data: bigEndian(
      16,
      Array.from({ length: 200 }, (_, i) => i - 100),
    ),
  },
  SMALL_BINTABLE,
  {
    cards: [
      ['XTENSION', "'IMAGE   '"],
      ...lastImage.cards.slice(1),
      ['PCOUNT', '0'],
      ['GCOUNT', '1'],
    ],
    data: lastImage.data,
  },
]);
// Weighted towards the small files; B335 (4 MB) is decoded whole whenever a mutant parses.
const [b335, serpens, cos850] = real;
const sources = [cos850, cos850, cos850, cos850, serpens, serpens, b335, multi, multi, multi];
// Compressed once: the gzip mutations damage copies of these.
const gzipped = new Map(sources.map((src) => [src, gzipSync(src, { level: 1 })]));

const STRUCTURAL = [
  'SIMPLE',
  'BITPIX',
  'NAXIS',
  'NAXIS1',
  'NAXIS2',
  'NAXIS3',
  'NAXIS4',
  'PCOUNT',
  'GCOUNT',
  'BZERO',
  'BSCALE',
  'BLANK',
  'XTENSION',
  'END',
];
const GARBAGE = [
  '-1',
  '0',
  '1e30',
  '999999999999',
  '9007199254740993',
  "'text'",
  'T',
  '',
  '64',
  '-64',
  '3.5',
  'NaN',
  '1000',
  '2147483648',
];

/** The header region of `bytes`: where edits find structure to break. */
function headerSpan(bytes: Uint8Array): number {
  return Math.min(bytes.length, 2880 * 4);
}

function mutate(src: Uint8Array, rng: Rng): Uint8Array {
  const kind = rng.int(0, 5);
  if (kind === 0) {
    // truncation, mostly inside headers or just past them
    const cut = rng.next() < 0.6 ? rng.int(0, headerSpan(src)) : rng.int(0, src.length);
    return src.slice(0, cut);
  }
  const out = src.slice();
  if (kind === 1 || kind === 2) {
    const n = rng.int(1, 12);
    const span = kind === 1 ? headerSpan(out) : out.length;
    for (let i = 0; i < n; i++) out[rng.int(0, span - 1)] ^= 1 << rng.int(0, 7);
    return out;
  }
  if (kind === 3) {
    // rewrite a structural card with a garbage value, wherever such a card is
    const text = new TextDecoder('latin1').decode(out.subarray(0, headerSpan(out)));
    const key = STRUCTURAL[rng.int(0, STRUCTURAL.length - 1)];
    const hits: number[] = [];
    for (let at = 0; at + 80 <= text.length; at += 80)
      if (text.slice(at, at + 8).trimEnd() === key) hits.push(at);
    const at =
      hits.length > 0
        ? hits[rng.int(0, hits.length - 1)]
        : rng.int(0, Math.floor(text.length / 80) - 1) * 80;
    const line = card([key === 'END' ? 'COMMENT' : key, GARBAGE[rng.int(0, GARBAGE.length - 1)]]);
    for (let i = 0; i < 80; i++) out[at + i] = line.charCodeAt(i);
    return out;
  }
  if (kind === 4) {
    // random bytes over a whole card or block
    const at = rng.int(0, out.length - 1);
    const len = rng.int(1, 2880);
    for (let i = at; i < Math.min(out.length, at + len); i++) out[i] = rng.int(0, 255);
    return out;
  }
  // a damaged gzip of the file
  const gz = gzipped.get(src)!.slice();
  if (rng.next() < 0.5) return gz.slice(0, rng.int(0, gz.length));
  gz[rng.int(10, gz.length - 1)] ^= 1 << rng.int(0, 7);
  return gz;
}

describe('readFits under fuzzing', () => {
  it('3000 seeded mutations of the fixtures each parse or throw FitsError, quickly and within the file size', async () => {
    const rng = createRng(20240611);
    const started = performance.now();
    let parsed = 0;
    let rejected = 0;
    let slowest = 0;
    for (let i = 0; i < 3000; i++) {
      const src = sources[rng.int(0, sources.length - 1)];
      const bytes = mutate(src, rng);
      const t = performance.now();
      try {
        const f = readFits(bytes, { name: `mutant-${i}` });
        parsed++;
        if (f.image) {
          // never more pixels than the (decompressed) file has bytes
          expect(f.image.size).toBeLessThanOrEqual(Math.max(bytes.length, src.length));
        }
      } catch (err) {
        if (!(err instanceof FitsError)) {
          throw new Error(`mutation ${i} threw ${String(err)} instead of FitsError`, {
            cause: err,
          });
        }
        expect(err.message.startsWith(`mutant-${i}: `)).toBe(true);
        rejected++;
      }
      slowest = Math.max(slowest, performance.now() - t);
      // the layout scanner must also terminate and never throw on the same bytes
      const layout = await scanFitsLayout(
        async (o, n) => bytes.subarray(o, o + n),
        bytes.length,
        'm',
      );
      expect(typeof layout.complete).toBe('boolean');
    }
    console.log(
      `fuzz FitsError (seed 20240611): 3000 mutations, ${parsed} parsed, ${rejected} clean errors, 0 crashes, slowest ${slowest.toFixed(1)} ms`,
    );
    expect(parsed).toBeGreaterThan(100);
    expect(rejected).toBeGreaterThan(100);
    expect(slowest).toBeLessThan(2000);
    expect(performance.now() - started).toBeLessThan(60_000);
  });
});
