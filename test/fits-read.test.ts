import { readFileSync } from 'node:fs';
import { gzipSync as nodeGzip } from 'node:zlib';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { FitsError, toContiguous } from '../src/core/index.js';
import { FitsHeader, readFits, requireImage, scanFitsLayout } from '../src/fits/index.js';
import {
  openFits,
  readFits as readFitsNode,
  readFitsFile,
  readNpyFile,
} from '../src/fits/index.node.js';
import {
  FITS_DIR,
  REAL_FITS,
  bigEndian,
  buildFits,
  card,
  imageHdu,
  EMPTY_PRIMARY,
} from './helpers/fits-fixtures.js';

// What astropy reads from each fixture (test/fixtures/reference/fits-stats.json, made by
// make_reference.py with astropy 5.2).
interface Stats {
  header: Record<string, string | number>;
  rawShape: number[];
  squeezedShape: number[];
  nanCount: number;
  nanMin: number;
  nanMax: number;
  nanSum: number;
  nanArgMax: [number, number];
  samples: [number, number, number | null][];
  headerCardCount: number;
}
const reference = JSON.parse(
  readFileSync(new URL('./fixtures/reference/fits-stats.json', import.meta.url), 'utf8'),
) as Record<string, Stats>;
const tmp = mkdtempSync(join(tmpdir(), 'fits-read-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('readFitsFile matches astropy on the real ALMA files', () => {
  for (const file of Object.values(REAL_FITS)) {
    it(`${file}: shape, NaN count, min, max, sum, argmax, samples and header cards`, async () => {
      const ref = reference[file];
      const fits = await readFitsFile(join(FITS_DIR, file));
      const img = requireImage(fits);
      expect(fits.name).toBe(join(FITS_DIR, file));
      expect(fits.imageHdu).toBe(0);
      expect(fits.hdus[0].axes).toEqual([...ref.rawShape].reverse());
      expect(img.shape).toEqual(ref.squeezedShape);
      const d = toContiguous(img);
      let nan = 0;
      let min = Infinity;
      let max = -Infinity;
      let sum = 0;
      let arg = -1;
      for (let i = 0; i < d.length; i++) {
        const v = d[i];
        if (Number.isNaN(v)) {
          nan++;
          continue;
        }
        sum += v;
        if (v < min) min = v;
        if (v > max) {
          max = v;
          arg = i;
        }
      }
      expect(nan).toBe(ref.nanCount);
      expect(min).toBe(ref.nanMin);
      expect(max).toBe(ref.nanMax);
      // numpy sums pairwise, we sum in order: same float32 inputs, float64 accumulators.
      expect(Math.abs(sum - ref.nanSum)).toBeLessThanOrEqual(1e-9 * Math.abs(ref.nanSum));
      expect([Math.floor(arg / img.shape[1]), arg % img.shape[1]]).toEqual(ref.nanArgMax);
      for (const [r, c, v] of ref.samples) {
        if (v === null) expect(img.get(r, c)).toBeNaN();
        else expect(img.get(r, c)).toBe(v);
      }
      for (const [k, v] of Object.entries(ref.header)) expect(fits.header.get(k), k).toBe(v);
      expect(fits.header.cards.length).toBe(ref.headerCardCount);
    });
  }

  it('B335 middle 50 % equals the golden b335_cropMiddle50.npy pixel for pixel', async () => {
    const img = requireImage(await readFitsFile(join(FITS_DIR, REAL_FITS.b335)));
    const golden = await readNpyFile(
      new URL('./fixtures/reference/golden/b335_cropMiddle50.npy', import.meta.url).pathname,
    );
    expect(golden.shape).toEqual([500, 500]);
    let diff = 0;
    for (let r = 0; r < 500; r++)
      for (let c = 0; c < 500; c++) if (img.get(r + 250, c + 250) !== golden.get(r, c)) diff++;
    expect(diff).toBe(0);
  });

  it('keeps COMMENT and HISTORY cards in file order with their text', async () => {
    const { header } = await readFitsFile(join(FITS_DIR, REAL_FITS.cos850));
    const history = header.cards.filter((c) => c.key === 'HISTORY').map((c) => c.value);
    expect(history[0]).toBe('CASA START LOGTABLE');
    expect(history).toContain("2018-05-19T09:03:09 INFO SRCCODE='::setmiscinfo'");
    expect(history.at(-1)).toBe('CASA END LOGTABLE');
    expect(header.get('COMMENT')).toBe('casacore non-standard usage: 4 LSD, 5 GEO, 6 SOU, 7 GAL');
    expect(header.cards.find((c) => c.key === 'BUNIT')?.comment).toBe('Brightness (pixel) unit');
  });

  it('reads .fits.gz (Node zlib) with the same pixels as the plain file', async () => {
    const plain = readFileSync(join(FITS_DIR, REAL_FITS.serpens));
    const gz = join(tmp, 'serpens.fits.gz');
    writeFileSync(gz, nodeGzip(plain));
    const a = toContiguous(requireImage(await readFitsFile(gz)));
    const b = toContiguous(requireImage(readFits(plain)));
    expect(a).toEqual(b);
  });
});

describe('readFits decodes every BITPIX', () => {
  const values = [0, 1, -2, 100, -100, 7];
  for (const bitpix of [16, 32, 64, -32, -64] as const) {
    it(`BITPIX ${bitpix}: stored values come back exactly, row 0 first`, () => {
      const img = requireImage(readFits(buildFits([imageHdu(bitpix, 2, 3, values)])));
      expect(img.shape).toEqual([2, 3]);
      expect(Array.from(toContiguous(img))).toEqual(values);
      expect(img.get(1, 0)).toBe(100);
    });
  }
  it('BITPIX 8: unsigned bytes 0..255', () => {
    const img = requireImage(readFits(buildFits([imageHdu(8, 1, 4, [0, 1, 128, 255])])));
    expect(Array.from(toContiguous(img))).toEqual([0, 1, 128, 255]);
  });
  it('BITPIX -64 keeps float64 precision with dtype float64 and NaN stays NaN', () => {
    const v = [Math.PI, NaN, -1e-300, 1e300];
    const img = requireImage(readFits(buildFits([imageHdu(-64, 2, 2, v)]), { dtype: 'float64' }));
    expect(img.data).toBeInstanceOf(Float64Array);
    expect(Array.from(img.data)).toEqual(v);
  });
  it('BITPIX 64: large integers, and unsigned 64-bit through BZERO = 2^63', () => {
    const big = [-(2n ** 62n), 2n ** 40n + 1n, 0n];
    const img = requireImage(readFits(buildFits([imageHdu(64, 1, 3, big)]), { dtype: 'float64' }));
    expect(Array.from(img.data)).toEqual(big.map(Number));
    const u = requireImage(
      readFits(
        buildFits([imageHdu(64, 1, 2, [-(2n ** 63n), 0n], [['BZERO', '9223372036854775808']])]),
        {
          dtype: 'float64',
        },
      ),
    );
    expect(Array.from(u.data)).toEqual([0, 2 ** 63]);
  });
  it('unsigned 16-bit through BZERO = 32768', () => {
    const img = requireImage(
      readFits(
        buildFits([
          imageHdu(
            16,
            1,
            3,
            [-32768, 0, 32767],
            [
              ['BSCALE', '1'],
              ['BZERO', '32768'],
            ],
          ),
        ]),
      ),
    );
    expect(Array.from(toContiguous(img))).toEqual([0, 32768, 65535]);
  });
  it('BSCALE and BZERO give physical = BZERO + BSCALE * stored (float data too)', () => {
    const ints = requireImage(
      readFits(
        buildFits([
          imageHdu(
            32,
            1,
            2,
            [10, -4],
            [
              ['BSCALE', '0.5'],
              ['BZERO', '-1.0D0'],
            ],
          ),
        ]),
      ),
    );
    expect(Array.from(toContiguous(ints))).toEqual([4, -3]);
    const floats = requireImage(
      readFits(
        buildFits([
          imageHdu(
            -32,
            1,
            2,
            [2, 3],
            [
              ['BSCALE', '2.0'],
              ['BZERO', '1.0'],
            ],
          ),
        ]),
      ),
    );
    expect(Array.from(toContiguous(floats))).toEqual([5, 7]);
  });
  it('BLANK pixels become NaN, compared before scaling', () => {
    const img = requireImage(
      readFits(
        buildFits([
          imageHdu(
            16,
            1,
            3,
            [-32768, 5, -32768],
            [
              ['BZERO', '10'],
              ['BLANK', '-32768'],
            ],
          ),
        ]),
      ),
    );
    const d = toContiguous(img);
    expect(d[0]).toBeNaN();
    expect(d[1]).toBe(15);
    expect(d[2]).toBeNaN();
    const b8 = requireImage(readFits(buildFits([imageHdu(8, 1, 2, [255, 3], [['BLANK', '255']])])));
    expect(toContiguous(b8)[0]).toBeNaN();
  });
});

describe('readFits structure: HDUs, squeeze, planes', () => {
  const cube = (): Uint8Array =>
    buildFits([
      {
        cards: [
          ['SIMPLE', 'T'],
          ['BITPIX', '-32'],
          ['NAXIS', '4'],
          ['NAXIS1', '3'],
          ['NAXIS2', '2'],
          ['NAXIS3', '4'],
          ['NAXIS4', '2'],
        ],
        data: bigEndian(
          -32,
          Array.from({ length: 48 }, (_, i) => i),
        ),
      },
    ]);

  it('refuses to squeeze a real cube silently and lists its axes', () => {
    expect(() => readFits(cube(), { name: 'cube.fits' })).toThrow(FitsError);
    expect(() => readFits(cube(), { name: 'cube.fits' })).toThrow(
      /cube\.fits: HDU 0 is a cube \(NAXIS1\.\.4 = 3 x 2 x 4 x 2\)/,
    );
  });

  it('reads the plane [stokes, channel] a caller picks, numpy order', () => {
    const img = requireImage(readFits(cube(), { plane: [1, 2] }));
    // numpy data[1, 2] starts at element (1 * 4 + 2) * 6 = 36
    expect(img.shape).toEqual([2, 3]);
    expect(Array.from(toContiguous(img))).toEqual([36, 37, 38, 39, 40, 41]);
    expect(() => readFits(cube(), { plane: [2, 0] })).toThrow(
      /plane index 2 out of range for NAXIS4 = 2/,
    );
    expect(() => readFits(cube(), { plane: [0] })).toThrow(/plane needs 2 indices/);
  });

  it('readFitsFile reads planes of a cube file, and scaled float data, like readFits', async () => {
    const path = join(tmp, 'cube.fits');
    writeFileSync(path, cube());
    const plane = requireImage(await readFitsFile(path, { plane: [0, 1] }));
    expect(Array.from(toContiguous(plane))).toEqual([6, 7, 8, 9, 10, 11]);
    const scaledPath = join(tmp, 'scaled.fits');
    writeFileSync(scaledPath, buildFits([imageHdu(-32, 1, 2, [1, 2], [['BSCALE', '2.0']])]));
    expect(Array.from(toContiguous(requireImage(await readFitsFile(scaledPath))))).toEqual([2, 4]);
  });

  it('uses the first image HDU after an empty primary, and hdu picks another', () => {
    const file = buildFits([
      EMPTY_PRIMARY,
      {
        cards: [
          ['XTENSION', "'IMAGE   '"],
          ['BITPIX', '-32'],
          ['NAXIS', '2'],
          ['NAXIS1', '2'],
          ['NAXIS2', '1'],
          ['PCOUNT', '0'],
          ['GCOUNT', '1'],
          ['EXTNAME', "'SCI'"],
        ],
        data: bigEndian(-32, [1, 2]),
      },
      {
        cards: [
          ['XTENSION', "'BINTABLE'"],
          ['BITPIX', '8'],
          ['NAXIS', '2'],
          ['NAXIS1', '4'],
          ['NAXIS2', '2'],
          ['PCOUNT', '0'],
          ['GCOUNT', '1'],
          ['TFIELDS', '1'],
          ['TFORM1', "'1J'"],
        ],
        data: new Uint8Array(8),
      },
      {
        cards: [
          ['XTENSION', "'IMAGE   '"],
          ['BITPIX', '16'],
          ['NAXIS', '2'],
          ['NAXIS1', '1'],
          ['NAXIS2', '1'],
          ['PCOUNT', '0'],
          ['GCOUNT', '1'],
        ],
        data: bigEndian(16, [9]),
      },
    ]);
    const f = readFits(file, { name: 'multi.fits' });
    expect(f.hdus.map((h) => h.kind)).toEqual(['empty', 'image', 'bintable', 'image']);
    expect(f.hdus[2].axes).toEqual([4, 2]);
    expect(f.hdus[1].dataOffset).toBe(2880 * 2);
    expect(f.imageHdu).toBe(1);
    expect(f.header.get('EXTNAME')).toBe('SCI');
    expect(Array.from(toContiguous(requireImage(f)))).toEqual([1, 2]);
    expect(toContiguous(requireImage(readFits(file, { hdu: 3 })))[0]).toBe(9);
    expect(() => readFits(file, { hdu: 2, name: 'multi.fits' })).toThrow(
      /multi\.fits: HDU 2 is a bintable, not an image/,
    );
    expect(() => readFits(file, { hdu: 0 })).toThrow(/HDU 0 is empty \(no data\), not an image/);
    expect(() => readFits(file, { hdu: 7 })).toThrow(/no HDU 7 \(the file has 4\)/);
  });

  it('requireImage names the file and its HDUs when there is no image', () => {
    const f = readFits(
      buildFits([
        {
          cards: [
            ['SIMPLE', 'T'],
            ['BITPIX', '8'],
            ['NAXIS', '0'],
          ],
        },
      ]),
      { name: 'e.fits' },
    );
    expect(f.image).toBeUndefined();
    expect(() => requireImage(f)).toThrow(/e\.fits: no image HDU \(HDUs: 0 empty\)/);
  });

  it('reads a file whose last data unit lacks its final padding', () => {
    const img = requireImage(
      readFits(buildFits([imageHdu(-32, 1, 3, [1, 2, 3])], { padLast: false })),
    );
    expect(Array.from(toContiguous(img))).toEqual([1, 2, 3]);
  });

  it('recognises gzip bytes in readFits (fflate, browser-safe)', () => {
    const raw = buildFits([imageHdu(16, 1, 2, [3, 4])]);
    expect(Array.from(toContiguous(requireImage(readFits(gzipSync(raw)))))).toEqual([3, 4]);
  });

  it('never modifies its input', () => {
    const raw = buildFits([imageHdu(-32, 1, 2, [3, 4])]);
    const copy = raw.slice();
    readFits(raw);
    expect(raw).toEqual(copy);
  });

  it('in a browser bundle, a path given to the bytes-only readFits is a FitsError naming it', () => {
    const bytesOnly = readFits as (src: unknown, opts?: object) => unknown;
    expect(() => bytesOnly('b335.fits')).toThrow(
      /^b335\.fits: readFits takes the file's bytes .*a path is read only in Node/,
    );
  });
});

describe('no global state', () => {
  it('a read leaves globalThis.astro, globalThis.FileReader and console.warn as they were, also while it throws', async () => {
    const g = globalThis as Record<string, unknown>;
    const had = {
      astro: Object.getOwnPropertyDescriptor(g, 'astro'),
      FileReader: Object.getOwnPropertyDescriptor(g, 'FileReader'),
      warn: Object.getOwnPropertyDescriptor(console, 'warn'),
    };
    // Sentinels behind accessors that record every write, so a swap put back later still shows.
    const writes: string[] = [];
    const sentinel = { astro: { mine: 1 }, FileReader: class Mine {}, warn: () => undefined };
    for (const [target, key, value] of [
      [g, 'astro', sentinel.astro],
      [g, 'FileReader', sentinel.FileReader],
      [console, 'warn', sentinel.warn],
    ] as const) {
      Object.defineProperty(target, key, {
        configurable: true,
        get: () => value,
        set: () => void writes.push(key),
      });
    }
    const dir = mkdtempSync(join(tmpdir(), 'fits-globals-'));
    try {
      const real = join(FITS_DIR, REAL_FITS.serpens);
      const bytes = new Uint8Array(readFileSync(real));
      const gz = join(dir, 'serpens.fits.gz');
      writeFileSync(gz, nodeGzip(bytes));
      const broken = join(dir, 'broken.fits');
      writeFileSync(broken, bytes.subarray(0, 3000));
      const reads: (() => unknown)[] = [
        () => readFits(bytes),
        () => readFits(gzipSync(bytes), { region: { rows: [0, 10] } }),
        () => readFitsNode(real),
        () => readFitsNode(gz, { region: { rows: [5, 9] } }),
        async () => {
          const reader = await openFits(real);
          try {
            return await reader.read({ region: { rows: [100, 200] } });
          } finally {
            await reader.close();
          }
        },
        // and reads that throw
        () => readFits(bytes.subarray(0, 3000)),
        () => readFits(new TextEncoder().encode('not FITS')),
        () => readFitsNode(broken),
        () => readFitsNode(join(dir, 'missing.fits')),
        () => openFits(broken),
      ];
      let threw = 0;
      for (const read of reads) {
        try {
          await read();
        } catch (err) {
          expect(err).toBeInstanceOf(FitsError);
          threw++;
        }
        expect(g.astro).toBe(sentinel.astro);
        expect(g.FileReader).toBe(sentinel.FileReader);
        expect(console.warn).toBe(sentinel.warn);
      }
      expect(threw).toBe(5);
      expect(writes).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      for (const [target, key, d] of [
        [g, 'astro', had.astro],
        [g, 'FileReader', had.FileReader],
        [console, 'warn', had.warn],
      ] as const) {
        if (d === undefined) delete (target as Record<string, unknown>)[key];
        else Object.defineProperty(target, key, d);
      }
    }
  });
});

describe('header cards', () => {
  it("parses logical, integer, float (E and D exponents), null, '' escapes, CONTINUE and HIERARCH", () => {
    const file = buildFits([
      imageHdu(
        8,
        1,
        1,
        [0],
        [
          ['FLAG', 'F'],
          ['COUNT', '-42'],
          ['RATIO', '1.5E-3'],
          ['DRATIO', '2.0D2'],
          'NOVAL   =                      / no value here',
          "QUOTE   = 'it''s a / slash' / the comment",
          "LONG    = 'first part &'",
          "CONTINUE  'second part'",
          'HIERARCH ESO DET CHIP = 3 / hierarchical',
          'HISTORY   two leading blanks',
          '        blank keyword text',
        ],
      ),
    ]);
    const h = readFits(file).header;
    expect(h.get('FLAG')).toBe(false);
    expect(h.get('SIMPLE')).toBe(true);
    expect(h.get('COUNT')).toBe(-42);
    expect(h.get('RATIO')).toBe(0.0015);
    expect(h.get('DRATIO')).toBe(200);
    expect(h.get('NOVAL')).toBeNull();
    expect(h.cards.find((c) => c.key === 'NOVAL')?.comment).toBe('no value here');
    expect(h.get('QUOTE')).toBe("it's a / slash");
    expect(h.cards.find((c) => c.key === 'QUOTE')?.comment).toBe('the comment');
    expect(h.get('LONG')).toBe('first part second part');
    expect(h.has('CONTINUE')).toBe(false);
    expect(h.get('ESO DET CHIP')).toBe(3);
    expect(h.get('HISTORY')).toBe('  two leading blanks');
    expect(h.get('')).toBe('blank keyword text');
    expect(h.get('missing')).toBeUndefined();
    expect(h.get('count')).toBe(-42);
  });

  it('FitsHeader copies the cards it is given', () => {
    const cards = [{ key: 'A', value: 1 }];
    const h = new FitsHeader(cards);
    cards[0].value = 2;
    expect(h.get('A')).toBe(1);
  });
});

describe('readFits rejects bad input with FitsError naming the file and the reason', () => {
  const good = buildFits([imageHdu(-32, 10, 10, new Array(100).fill(1))]);
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty', new Uint8Array(0), /bad\.fits: empty file/],
    [
      'not FITS',
      new TextEncoder().encode('hello world, this is plainly not a FITS file at all'.repeat(60)),
      /not a FITS file/,
    ],
    ['truncated header', good.subarray(0, 400), /header has no END card/],
    [
      'missing END',
      (() => {
        const b = good.slice(0, 2880);
        b.set(new TextEncoder().encode('COMMENT '), 5 * 80);
        return b;
      })(),
      /no END card/,
    ],
    ['truncated data', good.subarray(0, 2880 + 100), /truncated data: header declares 400 bytes/],
    [
      'NAXIS larger than the file',
      buildFits([
        {
          cards: [
            ['SIMPLE', 'T'],
            ['BITPIX', '-64'],
            ['NAXIS', '2'],
            ['NAXIS1', '100000'],
            ['NAXIS2', '100000'],
          ],
        },
      ]),
      /truncated data: header declares 80000000000 bytes/,
    ],
    [
      'bad BITPIX',
      buildFits([
        {
          cards: [
            ['SIMPLE', 'T'],
            ['BITPIX', '12'],
            ['NAXIS', '0'],
          ],
        },
      ]),
      /BITPIX = 12 is not one of/,
    ],
    [
      'missing NAXIS2',
      buildFits([
        {
          cards: [
            ['SIMPLE', 'T'],
            ['BITPIX', '8'],
            ['NAXIS', '2'],
            ['NAXIS1', '1'],
          ],
        },
      ]),
      /missing NAXIS2/,
    ],
    [
      'corrupt gzip',
      new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0]),
      /corrupt gzip stream/,
    ],
  ];
  for (const [what, bytes, message] of cases) {
    it(what, () => {
      let err: unknown;
      try {
        readFits(bytes, { name: 'bad.fits' });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FitsError);
      expect((err as FitsError).message).toMatch(/^bad\.fits: /);
      expect((err as FitsError).message).toMatch(message);
      expect((err as FitsError).source).toBe('bad.fits');
    });
  }

  it('readFitsFile names the path of a missing file', async () => {
    await expect(readFitsFile(join(tmp, 'nope.fits'))).rejects.toThrow(
      /nope\.fits: cannot read \(no such file\)/,
    );
  });
});

describe('scanFitsLayout', () => {
  const reader = (bytes: Uint8Array) => {
    let read = 0;
    return {
      read: async (offset: number, length: number) => {
        read += length;
        return bytes.subarray(offset, offset + length);
      },
      bytesRead: () => read,
    };
  };

  it('finds every HDU of B335 reading only its header block', async () => {
    const bytes = readFileSync(join(FITS_DIR, REAL_FITS.b335));
    const r = reader(bytes);
    const layout = await scanFitsLayout(r.read, bytes.length, 'b335');
    expect(layout).toEqual({
      complete: true,
      hdus: [
        {
          headerOffset: 0,
          dataOffset: 8640,
          dataBytes: 4_000_000,
          paddedEnd: 4_008_960,
          kind: 'image',
          bitpix: -32,
          axes: [1000, 1000, 1, 1],
        },
      ],
    });
    expect(r.bytesRead()).toBe(8640);
  });

  it('reports a truncated download as incomplete with the reason', async () => {
    const bytes = readFileSync(join(FITS_DIR, REAL_FITS.b335)).subarray(0, 1_000_000);
    const layout = await scanFitsLayout(reader(bytes).read, bytes.length, 'part.fits');
    expect(layout.complete).toBe(false);
    expect(layout.hdus).toEqual([]);
    expect(layout.reason).toMatch(
      /^part\.fits: HDU 0: truncated data: header declares 4000000 bytes/,
    );
    const empty = await scanFitsLayout(reader(new Uint8Array(0)).read, 0, 'e');
    expect(empty).toEqual({ hdus: [], complete: false, reason: 'e: empty file' });
    const notFits = new Uint8Array(2880).fill(0x41);
    expect((await scanFitsLayout(reader(notFits).read, 2880, 'n')).reason).toMatch(
      /not a FITS file/,
    );
  });

  it('lists every HDU of a multi-extension file', async () => {
    const bytes = buildFits([
      {
        cards: [
          ['SIMPLE', 'T'],
          ['BITPIX', '8'],
          ['NAXIS', '0'],
        ],
      },
      {
        cards: [
          ['XTENSION', "'IMAGE   '"],
          ['BITPIX', '16'],
          ['NAXIS', '1'],
          ['NAXIS1', '1500'],
          ['PCOUNT', '0'],
          ['GCOUNT', '1'],
        ],
        data: new Uint8Array(3000),
      },
    ]);
    const layout = await scanFitsLayout(reader(bytes).read, bytes.length);
    expect(layout.hdus.map((h) => [h.dataOffset, h.dataBytes, h.paddedEnd])).toEqual([
      [2880, 0, 2880],
      [5760, 3000, 5760 + 5760],
    ]);
    expect(layout.complete).toBe(true);
  });
});

it('card helper lays out 80 columns', () => {
  expect(card(['A', '1'])).toHaveLength(80);
});
