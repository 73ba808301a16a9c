/**
 * fitsjs 0.6.6 measured against our reader on the same bytes: header values, HDU structure and
 * pixels, case by case, and the time to decode the B335 image. `scripts/fitsjs-defects.ts`
 * prints the table that docs/fits.md quotes; `test/fits-fitsjs.test.ts` keeps it true.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFits, requireImage, writeFits } from '../../src/fits/index.js';
import { FitsHeader } from '../../src/fits/header.js';
import { walkHdus } from '../../src/fits/layout.js';
import { readFitsBytes, readStructure } from '../../src/fits/read.js';
import { swapInPlace } from '../../src/fits/file.node.js';
import { createImage2D } from '../../src/core/image2d.js';
import { FITS_DIR, REAL_FITS, buildFits, card, headerBlock, imageHdu } from './fits-fixtures.js';
import type { RawCard } from './fits-fixtures.js';
import { fitsjsHeader, fitsjsPixels, fitsjsWalk } from './fitsjs.js';

/** One case: what fitsjs gives beside what our reader gives. */
export interface FitsjsCase {
  /** `header`, `structure` or `pixels`. */
  part: 'header' | 'structure' | 'pixels';
  /** What is read. */
  name: string;
  /** Our reader's answer, in words. */
  ours: string;
  /** fitsjs's answer, in words. */
  fitsjs: string;
  /** Whether fitsjs's answer is ours (astropy's: our reader is checked against astropy). */
  agrees: boolean;
}

const show = (v: unknown): string =>
  typeof v === 'string' ? `'${v}'` : v === null || v === undefined ? String(v) : String(v);

const latin1 = new TextDecoder('latin1');
const PRIMARY: RawCard[] = [
  ['SIMPLE', 'T'],
  ['BITPIX', '8'],
  ['NAXIS', '0'],
];

/** fitsjs's value of `key` in the header `text`, in words (or what it threw). */
function theirValue(text: string, key: string): string {
  try {
    return show(fitsjsHeader(text).get(key));
  } catch (err) {
    return `throws: ${String(err)}`;
  }
}

/** The header bytes of a file's first HDU as text. */
function firstHeader(bytes: Uint8Array): string {
  return latin1.decode(bytes.subarray(0, readFits(bytes).hdus[0].dataOffset));
}

function headerCase(name: string, cards: RawCard[], key: string): FitsjsCase {
  const bytes = buildFits([{ cards: [...PRIMARY, ...cards] }]);
  const ours = show(readFits(bytes).header.get(key));
  const theirs = theirValue(latin1.decode(headerBlock([...PRIMARY, ...cards])), key);
  return { part: 'header', name, ours, fitsjs: theirs, agrees: ours === theirs };
}

/** The header cases: string escapes, long strings, HIERARCH, D exponents, long headers, BITPIX 64. */
export function headerCases(): FitsjsCase[] {
  const long = 'a long OBJECT name that needs more than one card to hold it, '.repeat(2).trim();
  const written = writeFits(createImage2D(1, 1), new FitsHeader([{ key: 'OBJECT', value: long }]));
  const continued = show(readFits(written).header.get('OBJECT'));
  const continuedTheirs = theirValue(firstHeader(written), 'OBJECT');
  const many: RawCard[] = Array.from({ length: 640 }, (_, i): RawCard => [`KEY${i}`, String(i)]);
  const bitpix64 = latin1.decode(
    headerBlock([
      ['SIMPLE', 'T'],
      ['BITPIX', '64'],
      ['NAXIS', '0'],
    ]),
  );
  const bitpix64Theirs = theirValue(bitpix64, 'BITPIX');
  return [
    headerCase("a quote inside a string ('')", [['OBSERVER', "'O''Brien'"]], 'OBSERVER'),
    headerCase("' /' inside a string", [['OBJECT', "'NGC 1333 / IRAS 4A'"]], 'OBJECT'),
    {
      part: 'header',
      name: 'a string continued over CONTINUE cards',
      ours: continued,
      fitsjs: continuedTheirs,
      agrees: continued === continuedTheirs,
    },
    headerCase('a HIERARCH keyword', [card('HIERARCH ESO DET CHIP ID = 7')], 'ESO DET CHIP ID'),
    headerCase('a D exponent', [['EXPTIME', '1.5D+03']], 'EXPTIME'),
    headerCase('card 640 of a long header', many, 'KEY636'),
    {
      part: 'header',
      name: 'BITPIX = 64 (FITS 3.0, 2008)',
      ours: '64',
      fitsjs: bitpix64Theirs,
      agrees: bitpix64Theirs === '64',
    },
  ];
}

/** Every keyword of the three real ALMA files' headers: how many fitsjs reads as we do. */
export function realHeaderCases(): FitsjsCase[] {
  return Object.values(REAL_FITS).map((f) => {
    const bytes = new Uint8Array(readFileSync(join(FITS_DIR, f)));
    const ours = readFits(bytes).header;
    const theirs = fitsjsHeader(firstHeader(bytes));
    const keys = [...new Set(ours.cards.map((c) => c.key))].filter(
      (k) => k !== '' && k !== 'COMMENT' && k !== 'HISTORY',
    );
    const differ = keys.filter((k) => {
      const a = ours.get(k);
      const b = theirs.get(k);
      if (typeof a === 'boolean') return b !== (a ? 'T' : 'F') && b !== a;
      return a !== b;
    });
    return {
      part: 'header',
      name: `${f.slice(0, 24)}… (${keys.length} keywords)`,
      ours: `${keys.length} values`,
      fitsjs:
        differ.length === 0 ? 'the same values' : `${differ.length} differ: ${differ.join(', ')}`,
      agrees: differ.length === 0,
    };
  });
}

/**
 * fitsjs's HDU walk beside ours: the real files, the tile-compressed fixtures (one row per
 * algorithm), and a header with a card after END.
 */
export function structureCases(): FitsjsCase[] {
  const tiledDir = fileURLToPath(new URL('../fixtures/tiled/', import.meta.url));
  const real = Object.entries(REAL_FITS).map(([k, f]): [string, Uint8Array[]] => [
    `real ALMA image (${k})`,
    [new Uint8Array(readFileSync(join(FITS_DIR, f)))],
  ]);
  const tiled = new Map<string, Uint8Array[]>();
  for (const f of readdirSync(tiledDir)
    .filter((n) => n.endsWith('.fits'))
    .sort()) {
    const bytes = new Uint8Array(readFileSync(join(tiledDir, f)));
    const algorithm = readStructure(bytes, f).find((h) => h.compression)?.compression ?? '?';
    tiled.set(algorithm, [...(tiled.get(algorithm) ?? []), bytes]);
  }
  const endThenCard = buildFits([imageHdu(-32, 100, 100, new Array(10_000).fill(0))]);
  endThenCard.set(new TextEncoder().encode('COMMENT after END'), 80 * 20);
  const groups: [string, Uint8Array[]][] = [
    ...real,
    ...[...tiled].map(([algorithm, files]): [string, Uint8Array[]] => [
      `tile-compressed ${algorithm} (${files.length} files)`,
      files,
    ]),
    ['a card after END in the same block', [endThenCard]],
  ];
  const describe = (h: {
    bitpix: number;
    axes: number[];
    dataOffset: number;
    dataBytes: number;
  }) =>
    h.dataBytes === 0
      ? `${h.bitpix} no data`
      : `${h.bitpix} [${h.axes.join('x')}] @${h.dataOffset}+${h.dataBytes}`;
  return groups.map(([name, files]) => {
    const results = files.map((bytes) => {
      const ours = walkHdus(bytes, name);
      const oursText = ours.map(describe).join('; ');
      try {
        return { ours: oursText, theirs: fitsjsWalk(bytes, ours, name).map(describe).join('; ') };
      } catch (err) {
        const why = err instanceof Error ? err.message.replace(`${name}: `, '') : String(err);
        return { ours: oursText, theirs: `throws: ${why}` };
      }
    });
    const differ = results.filter((r) => r.ours !== r.theirs);
    const shown = differ[0] ?? results[0];
    return {
      part: 'structure',
      name,
      ours: files.length === 1 ? shown.ours : `${files.length} files walked`,
      fitsjs:
        files.length === 1 || differ.length === 0
          ? files.length === 1
            ? shown.theirs
            : 'the same HDUs'
          : `${differ.length} differ (${shown.theirs})`,
      agrees: differ.length === 0,
    };
  });
}

/** fitsjs's pixel decoder beside ours, one case per BITPIX and scaling. */
export function pixelCases(): FitsjsCase[] {
  type Bitpix = 8 | 16 | 32 | 64 | -32 | -64;
  const cases: [string, Bitpix, (number | bigint)[], RawCard[]][] = [
    ['BITPIX 8', 8, [0, 1, 127, 128, 255], []],
    ['BITPIX 16', 16, [-32768, -1, 0, 1, 32767], []],
    ['BITPIX 16, BZERO 32768 (unsigned)', 16, [-32768, -1, 0, 1, 32767], [['BZERO', '32768']]],
    ['BITPIX 16, BLANK -32768', 16, [-32768, 5, 7], [['BLANK', '-32768']]],
    [
      'BITPIX 16, BSCALE 0.5, BZERO 10',
      16,
      [-3, 0, 3],
      [
        ['BSCALE', '0.5'],
        ['BZERO', '10'],
      ],
    ],
    ['BITPIX 32', 32, [-2147483648, -1, 0, 2147483647], []],
    [
      'BITPIX 32, BZERO 2147483648 (unsigned)',
      32,
      [-2147483648, 0, 2147483647],
      [['BZERO', '2147483648']],
    ],
    ['BITPIX 64', 64, [-5n, 0n, 1n << 40n], []],
    ['BITPIX -32 with NaN', -32, [1.5, NaN, -2.25e-3], []],
    ['BITPIX -64', -64, [1.5, NaN, Math.PI], []],
  ];
  return cases.map(([name, bitpix, values, extra]) => {
    const bytes = buildFits([imageHdu(bitpix, 1, values.length, values, extra)]);
    const file = readFits(bytes, { dtype: 'float64' });
    const ours = Array.from(requireImage(file).data);
    const hdu = file.hdus[0];
    const data = bytes.subarray(hdu.dataOffset, hdu.dataOffset + hdu.dataBytes);
    const got = fitsjsPixels(
      data,
      bitpix,
      hdu.header.number('BZERO') ?? 0,
      hdu.header.number('BSCALE') ?? 1,
    );
    const text = (a: ArrayLike<number>) => Array.from(a, (v) => String(v)).join(', ');
    if (got.error !== undefined)
      return {
        part: 'pixels',
        name,
        ours: text(ours),
        fitsjs: `throws: ${got.error}`,
        agrees: false,
      };
    const theirs = Array.from(got.values);
    // Compared at the precision each keeps: fitsjs returns float32 for float data.
    const same =
      theirs.length === ours.length &&
      theirs.every((v, i) => Object.is(v, ours[i]) || Math.fround(v) === Math.fround(ours[i]));
    return { part: 'pixels', name, ours: text(ours), fitsjs: text(theirs), agrees: same };
  });
}

/**
 * Milliseconds (medians of `runs` interleaved runs, after two warm-up rounds) to decode the
 * 1000x1000 float32 B335 image from bytes in memory: fitsjs's `_getFrame` on a copy of the data
 * unit (it swaps in place); our browser-safe `readFits(bytes)`, headers included, which leaves
 * the bytes alone; and our Node path, which reads into a buffer of its own and swaps it natively
 * (`readFits(path)` less the disk read, timed on a copy of the file).
 */
export function decodeTimes(runs = 25): { fitsjs: number; ours: number; oursNode: number } {
  const bytes = new Uint8Array(readFileSync(join(FITS_DIR, REAL_FITS.b335)));
  const hdu = readFits(bytes).hdus[0];
  const data = bytes.subarray(hdu.dataOffset, hdu.dataOffset + hdu.dataBytes);
  const steps = {
    fitsjs: () => fitsjsPixels(data, -32),
    ours: () => readFits(bytes),
    oursNode: () => readFitsBytes(bytes.slice(), {}, swapInPlace),
  };
  const times = { fitsjs: [] as number[], ours: [] as number[], oursNode: [] as number[] };
  for (let i = -2; i < runs; i++) {
    for (const key of ['fitsjs', 'ours', 'oursNode'] as const) {
      const t = performance.now();
      steps[key]();
      if (i >= 0) times[key].push(performance.now() - t);
    }
  }
  const median = (t: number[]): number => t.sort((a, b) => a - b)[t.length >> 1];
  return {
    fitsjs: median(times.fitsjs),
    ours: median(times.ours),
    oursNode: median(times.oursNode),
  };
}
