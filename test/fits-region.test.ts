import { readFileSync } from 'node:fs';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FitsError, createImage2D, createRng, toContiguous } from '../src/core/index.js';
import type { Image2D, Rng } from '../src/core/index.js';
import { FitsHeader, readFits, requireImage, writeFits } from '../src/fits/index.js';
import type { FitsRegion } from '../src/fits/index.js';
import { openFits, readFits as readFitsNode, readFitsFile } from '../src/fits/index.node.js';
import {
  FITS_DIR,
  REAL_FITS,
  bigEndian,
  buildFits,
  card,
  cubeHdu,
  imageHdu,
  EMPTY_PRIMARY,
  SMALL_BINTABLE,
} from './helpers/fits-fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fits-region-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The pixels of `img` as bytes, so NaN payloads and signed zeros compare too. */
function bytesOf(img: Image2D): Buffer {
  const d = toContiguous(img);
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
}

/** Assert that two images hold the same bytes (a byte compare: `toEqual` is slow on megabytes). */
function expectSame(got: Image2D, want: Image2D): void {
  expect(got.shape).toEqual(want.shape);
  const a = bytesOf(got);
  const b = bytesOf(want);
  if (!a.equals(b)) {
    let i = 0;
    while (i < a.length && a[i] === b[i]) i++;
    expect.fail(`bytes differ from byte ${i} of ${b.length}`);
  }
}

/** `img[r0:r1, c0:c1]` as a new contiguous image. */
function slice(img: Image2D, rows: [number, number], cols: [number, number]): Image2D {
  return createImage2D(
    rows[1] - rows[0],
    cols[1] - cols[0],
    toContiguous(img.hi(rows[1], cols[1]).lo(rows[0], cols[0])),
  );
}

/** Windows worth checking in an image of `rows x cols`: corners, edges, single rows and columns, random ones. */
function regions(rows: number, cols: number, rng: Rng): [[number, number], [number, number]][] {
  const out: [[number, number], [number, number]][] = [
    [
      [0, rows],
      [0, cols],
    ],
    [
      [0, 1],
      [0, 1],
    ],
    [
      [rows - 1, rows],
      [cols - 1, cols],
    ],
    [
      [0, rows],
      [cols - 1, cols],
    ],
    [
      [rows >> 1, (rows >> 1) + 1],
      [0, cols],
    ],
  ];
  for (let i = 0; i < 6; i++) {
    const r0 = rng.int(0, rows - 1);
    const c0 = rng.int(0, cols - 1);
    out.push([
      [r0, rng.int(r0 + 1, rows)],
      [c0, rng.int(c0 + 1, cols)],
    ]);
  }
  return out;
}

/** Pixels `value(r, c)` of a `rows x cols` float64 image. */
function pattern(rows: number, cols: number, value: (r: number, c: number) => number): Image2D {
  const img = createImage2D(rows, cols, new Float64Array(rows * cols));
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) img.set(r, c, value(r, c));
  return img;
}

interface Case {
  name: string;
  bytes: Uint8Array;
  opts?: { plane?: number[]; hdu?: number };
}

/** Files of every BITPIX, with scaling, BLANK, NaN, degenerate axes, a cube and an extension. */
function cases(): Case[] {
  const rows = 37;
  const cols = 53;
  const img = pattern(rows, cols, (r, c) =>
    (r * 7 + c) % 11 === 0 ? NaN : Math.sin(r * 0.3) * 1000 + c * 3.25 - 500,
  );
  const ints = pattern(rows, cols, (r, c) => ((r * 31 + c * 17) % 400) - 200);
  const scaled = new FitsHeader([
    { key: 'BSCALE', value: 0.5 },
    { key: 'BZERO', value: 10 },
  ]);
  const out: Case[] = [
    { name: 'BITPIX -32', bytes: writeFits(img) },
    { name: 'BITPIX -64', bytes: writeFits(img, undefined, { bitpix: -64 }) },
    { name: 'BITPIX 16 (BSCALE, BZERO, BLANK)', bytes: writeFits(img, scaled, { bitpix: 16 }) },
    { name: 'BITPIX 32 (BSCALE, BZERO, BLANK)', bytes: writeFits(img, scaled, { bitpix: 32 }) },
    { name: 'BITPIX 16 plain', bytes: writeFits(ints, undefined, { bitpix: 16 }) },
  ];
  // BITPIX 8 and 64 and the layouts writeFits does not make, laid out by hand.
  const n = rows * cols;
  const u8 = Array.from({ length: n }, (_, i) => (i * 37) % 256);
  out.push({
    name: 'BITPIX 8 (BLANK 7, BZERO)',
    bytes: buildFits([
      imageHdu(8, rows, cols, u8, [
        ['BZERO', '-3'],
        ['BLANK', '7'],
      ]),
    ]),
  });
  const i64 = Array.from({ length: n }, (_, i) => BigInt(i * 1_000_003) - 9_000_000n);
  out.push({
    name: 'BITPIX 64 (BLANK)',
    bytes: buildFits([imageHdu(64, rows, cols, i64, [['BLANK', String(i64[5])]])]),
  });
  const f32 = Array.from({ length: n }, (_, i) => (i % 13 === 0 ? NaN : i / 7));
  out.push({
    name: 'BITPIX -32 scaled',
    bytes: buildFits([
      imageHdu(-32, rows, cols, f32, [
        ['BSCALE', '2.5'],
        ['BZERO', '1'],
      ]),
    ]),
  });
  // 53 x 37 x 1 x 1, as ALMA writes continuum images
  out.push({
    name: 'degenerate axes',
    bytes: buildFits([
      {
        cards: [
          ['SIMPLE', 'T'],
          ['BITPIX', '-32'],
          ['NAXIS', '4'],
          ['NAXIS1', String(cols)],
          ['NAXIS2', String(rows)],
          ['NAXIS3', '1'],
          ['NAXIS4', '1'],
        ],
        data: bigEndian(-32, f32),
      },
    ]),
  });
  // a cube 53 x 37 x 3 x 2: planes [stokes, channel]
  const cube = Array.from({ length: n * 6 }, (_, i) => Math.cos(i) * 100);
  const cubeBytes = buildFits([
    {
      cards: [
        ['SIMPLE', 'T'],
        ['BITPIX', '-64'],
        ['NAXIS', '4'],
        ['NAXIS1', String(cols)],
        ['NAXIS2', String(rows)],
        ['NAXIS3', '3'],
        ['NAXIS4', '2'],
      ],
      data: bigEndian(-64, cube),
    },
  ]);
  out.push({ name: 'cube plane [1, 2]', bytes: cubeBytes, opts: { plane: [1, 2] } });
  out.push({ name: 'cube plane [0, 1]', bytes: cubeBytes, opts: { plane: [0, 1] } });
  // the image in an extension after an empty primary HDU, followed by a table
  const ext = imageHdu(16, rows, cols, u8);
  out.push({
    name: 'image extension',
    opts: { hdu: 1 },
    bytes: buildFits([
      EMPTY_PRIMARY,
      {
        cards: [
          ['XTENSION', "'IMAGE   '"],
          ...ext.cards.slice(1),
          ['PCOUNT', '0'],
          ['GCOUNT', '1'],
        ],
        data: ext.data,
      },
      SMALL_BINTABLE,
    ]),
  });
  return out;
}

describe('region reads equal the slice of a full read', () => {
  for (const c of cases()) {
    it(`${c.name}: readFits (bytes and path), readFitsFile, openFits with a plane and with a plane per read, float32 and float64`, async () => {
      const path = join(dir, `${c.name.replace(/\W+/g, '-')}.fits`);
      await writeFile(path, c.bytes);
      const rng = createRng(c.bytes.length);
      for (const dtype of ['float32', 'float64'] as const) {
        const opts = { ...c.opts, dtype };
        const memFull = requireImage(readFits(c.bytes, opts));
        const fileFull = await readFitsFile(path, opts);
        expect(toContiguous(requireImage(await readFitsNode(path, opts)))).toEqual(
          toContiguous(requireImage(fileFull)),
        );
        const full = requireImage(fileFull);
        // the same values whichever way the whole file is read
        expect(toContiguous(full)).toEqual(toContiguous(memFull));
        const [rows, cols] = full.shape;
        const reader = await openFits(path, opts);
        const { plane, ...fileOpts } = opts;
        const opened = await openFits(path, fileOpts);
        const fromOpened = (region?: FitsRegion) =>
          opened.read({ ...(plane ? { plane } : {}), ...(region ? { region } : {}) });
        try {
          expect(opened.imageHdu).toBe(fileFull.imageHdu);
          expect(opened.header.cards).toEqual(fileFull.header.cards);
          expect(opened.planeAxes?.length).toBe(plane?.length);
          expect(reader.shape).toEqual([rows, cols]);
          expect(reader.imageHdu).toBe(fileFull.imageHdu);
          expect(reader.header.cards).toEqual(fileFull.header.cards);
          for (const [r, cl] of regions(rows, cols, rng)) {
            const region = { rows: r, cols: cl };
            const want = slice(full, r, cl);
            const viaFile = await readFitsFile(path, { ...opts, region });
            expect(viaFile.region).toEqual(region);
            expect(viaFile.header.cards).toEqual(fileFull.header.cards);
            expect(viaFile.image?.data.constructor).toBe(full.data.constructor);
            expectSame(requireImage(viaFile), want);
            expectSame(await reader.read({ region }), want);
            expectSame(await fromOpened(region), want);
            const viaMemory = requireImage(readFits(c.bytes, { ...opts, region }));
            expectSame(viaMemory, slice(memFull, r, cl));
          }
          // defaults: every row, every column
          expectSame(
            await reader.read({ region: { rows: [2, 5] } }),
            slice(full, [2, 5], [0, cols]),
          );
          expectSame(
            await reader.read({ region: { cols: [3, 4] } }),
            slice(full, [0, rows], [3, 4]),
          );
          expectSame(await reader.read(), full);
          expectSame(await fromOpened(), full);
        } finally {
          await reader.close();
          await opened.close();
        }
      }
    });
  }
});

describe('region reads of the real ALMA files', () => {
  for (const file of Object.values(REAL_FITS)) {
    it(`${file}: windows, one after another, equal the full read byte for byte`, async () => {
      const path = join(FITS_DIR, file);
      const full = requireImage(await readFitsFile(path));
      const [rows, cols] = full.shape;
      const rng = createRng(rows);
      const reader = await openFits(path);
      try {
        // the middle half (as the peak search reads it), then windows inside and outside it
        const q = (n: number): [number, number] => [Math.trunc(n * 0.25), Math.trunc(n * 0.75)];
        const wins: [[number, number], [number, number]][] = [
          [q(rows), q(cols)],
          [
            [q(rows)[0] + 3, q(rows)[1] - 3],
            [5, cols - 5],
          ],
          [
            [0, 7],
            [0, cols],
          ],
          ...regions(rows, cols, rng),
        ];
        for (const [r, c] of wins) {
          const want = slice(full, r, c);
          expectSame(await reader.read({ region: { rows: r, cols: c } }), want);
          expectSame(
            requireImage(await readFitsFile(path, { region: { rows: r, cols: c } })),
            want,
          );
        }
        expectSame(await reader.read(), full);
      } finally {
        await reader.close();
      }
    });
  }

  it('windows just inside and just outside the rows read last', async () => {
    const path = join(FITS_DIR, REAL_FITS.b335);
    const full = requireImage(await readFitsFile(path));
    const reader = await openFits(path);
    try {
      const seq: [number, number][] = [
        [0, 600],
        [100, 200],
        [650, 700],
        [650, 701],
        [649, 700],
        [660, 690],
        [599, 600],
        [600, 601],
        [0, 1000],
        [999, 1000],
      ];
      for (const rows of seq) {
        const cols: [number, number] = [rows[0] % 300, 1000 - (rows[1] % 200)];
        expectSame(await reader.read({ region: { rows, cols } }), slice(full, rows, cols));
      }
    } finally {
      await reader.close();
    }
  });

  it('reads too large to hold the event loop go through the thread pool, and close waits for them', async () => {
    // 3000 x 3000 float32: 36 MB, over the 32 MB read synchronously
    const img = pattern(3000, 3000, (r, c) => (r === c ? NaN : r * 3000 + c));
    const path = join(dir, 'large.fits');
    await writeFile(path, writeFits(img, undefined, { bitpix: -32 }));
    const full = requireImage(await readFitsFile(path));
    const reader = await openFits(path);
    try {
      expectSame(await reader.read(), full);
      expectSame(
        await reader.read({ region: { rows: [10, 2990], cols: [1, 2999] } }),
        slice(full, [10, 2990], [1, 2999]),
      );
      // a window inside the rows just read: served from them
      expectSame(
        await reader.read({ region: { rows: [20, 30] } }),
        slice(full, [20, 30], [0, 3000]),
      );
      const reading = reader.read({ region: { rows: [0, 2995] } });
      await reader.close();
      expectSame(await reading, slice(full, [0, 2995], [0, 3000]));
    } finally {
      await reader.close();
    }
  });

  it('a .fits.gz file: the same windows', async () => {
    const path = join(dir, 'serpens.fits.gz');
    const plain = readFileSync(join(FITS_DIR, REAL_FITS.serpens));
    await writeFile(path, gzipSync(plain, { level: 1 }));
    const full = requireImage(await readFitsFile(join(FITS_DIR, REAL_FITS.serpens)));
    const region: FitsRegion = { rows: [100, 300], cols: [17, 460] };
    const got = await readFitsFile(path, { region });
    expectSame(requireImage(got), slice(full, [100, 300], [17, 460]));
    const reader = await openFits(path);
    expectSame(await reader.read({ region }), slice(full, [100, 300], [17, 460]));
    await reader.close();
  });

  it('readers used at the same time do not mix their windows up', async () => {
    const paths = [REAL_FITS.b335, REAL_FITS.serpens, REAL_FITS.cos850].map((f) =>
      join(FITS_DIR, f),
    );
    const fulls = await Promise.all(paths.map(async (p) => requireImage(await readFitsFile(p))));
    const readers = await Promise.all(paths.map((p) => openFits(p)));
    try {
      for (let round = 0; round < 3; round++) {
        const wins = fulls.map((f): [[number, number], [number, number]] => [
          [round * 10, f.shape[0] - round * 20],
          [round * 5, f.shape[1] - round * 7],
        ]);
        const got = await Promise.all(
          readers.map((r, i) => r.read({ region: { rows: wins[i][0], cols: wins[i][1] } })),
        );
        got.forEach((g, i) => expectSame(g, slice(fulls[i], wins[i][0], wins[i][1])));
      }
    } finally {
      await Promise.all(readers.map((r) => r.close()));
    }
  });
});

describe('region and reader errors', () => {
  const path = join(FITS_DIR, REAL_FITS.serpens);
  const bad: [unknown, RegExp][] = [
    [{ rows: [0, 481] }, /region rows \[0, 481\) is outside the 480x480 image of HDU 0/],
    [{ rows: [-1, 10] }, /region rows \[-1, 10\) is outside/],
    [{ cols: [10, 10] }, /region cols \[10, 10\) is empty/],
    [{ cols: [20, 10] }, /region cols \[20, 10\) is empty/],
    [{ rows: [0.5, 10] }, /region rows must be \[start, end\] integers, got \[0.5,10\]/],
    [{ rows: [0, 1, 2] }, /region rows must be \[start, end\] integers/],
    [{ cols: '0:10' }, /region cols must be \[start, end\] integers/],
    [7, /region must be \{ rows\?, cols\? \}/],
  ];
  it('a region outside the image, empty or malformed throws FitsError naming the file', async () => {
    const bytes = readFileSync(path);
    const reader = await openFits(path);
    try {
      for (const [region, message] of bad) {
        const r = region as FitsRegion;
        for (const attempt of [
          () => readFitsFile(path, { region: r }),
          () => reader.read({ region: r }),
          async () => readFits(bytes, { name: path, region: r }),
        ]) {
          const err = await attempt().then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(err, JSON.stringify(region)).toBeInstanceOf(FitsError);
          expect((err as FitsError).message).toMatch(message);
          expect((err as FitsError).message.startsWith(`${path}: `)).toBe(true);
          expect((err as FitsError).source).toBe(path);
        }
      }
    } finally {
      await reader.close();
    }
  });

  it('missing files, directories, files without an image, cubes without a plane, reads after close', async () => {
    await expect(openFits(join(dir, 'nope.fits'))).rejects.toThrow(
      /nope\.fits: cannot read \(no such file\)/,
    );
    await expect(openFits(dir)).rejects.toThrow(/cannot read \(is a directory\)/);
    await expect(readFitsFile(dir, { region: { rows: [0, 1] } })).rejects.toThrow(FitsError);
    const table = join(dir, 'no-image.fits');
    await writeFile(
      table,
      buildFits([
        {
          cards: [
            ['SIMPLE', 'T'],
            ['BITPIX', '8'],
            ['NAXIS', '0'],
          ],
        },
      ]),
    );
    // a file without an image opens (its headers are there); reading its image says why not
    const opened = await openFits(table);
    expect(opened.shape).toBeUndefined();
    await expect(opened.read()).rejects.toThrow(/no-image\.fits: no image HDU \(HDUs: 0 empty\)/);
    await opened.close();
    // readFitsFile with a region, like without, returns a file with no image
    const noImage = await readFitsFile(table, { region: { rows: [0, 1] } });
    expect(noImage.image).toBeUndefined();
    expect(noImage.hdus).toHaveLength(1);
    const cube = join(dir, 'cube.fits');
    await writeFile(
      cube,
      buildFits([
        {
          cards: [
            ['SIMPLE', 'T'],
            ['BITPIX', '-32'],
            ['NAXIS', '3'],
            ['NAXIS1', '4'],
            ['NAXIS2', '3'],
            ['NAXIS3', '2'],
          ],
          data: bigEndian(
            -32,
            Array.from({ length: 24 }, (_, i) => i),
          ),
        },
      ]),
    );
    const whole = await openFits(cube);
    expect(whole.shape).toEqual([3, 4]); // each plane's
    await expect(whole.read()).rejects.toThrow(/cube\.fits: HDU 0 is a cube/);
    await whole.close();
    await expect(openFits(cube, { plane: [2] })).rejects.toThrow(/plane index 2 out of range/);
    await expect(openFits(table, { hdu: 3 })).rejects.toThrow(/no HDU 3/);
    const reader = await openFits(cube, { plane: [1] });
    expect(toContiguous(await reader.read({ region: { rows: [1, 2] } }))).toEqual(
      Float32Array.from([16, 17, 18, 19]),
    );
    await reader.close();
    await reader.close(); // idempotent
    await expect(reader.read()).rejects.toThrow(/cube\.fits: read after close/);
  });

  it('openFits reads each plane of a cube in turn (.fits and .fits.gz); files without an image; errors', async () => {
    // 4 x 3 x 5 x 2: planes [stokes, channel], numpy data[s, c] = values from (s * 5 + c) * 12
    const values = Array.from({ length: 120 }, (_, i) => i - 60);
    const bytes = buildFits([cubeHdu(-32, [4, 3, 5, 2], values)]);
    const plain = join(dir, 'open-cube.fits');
    const gz = join(dir, 'open-cube.fits.gz');
    await writeFile(plain, bytes);
    await writeFile(gz, gzipSync(bytes));
    for (const path of [plain, gz]) {
      const cube = await openFits(path);
      try {
        expect(cube.planeAxes).toEqual([2, 5]);
        expect(cube.imageHdu).toBe(0);
        for (let s = 0; s < 2; s++) {
          for (let c = 0; c < 5; c++) {
            const at = (s * 5 + c) * 12;
            const image = await cube.read({ plane: [s, c] });
            expect(image.shape).toEqual([3, 4]);
            expect(Array.from(toContiguous(image))).toEqual(values.slice(at, at + 12));
            expectSame(image, requireImage(await readFitsFile(path, { plane: [s, c] })));
          }
        }
        expect(
          Array.from(toContiguous(await cube.read({ plane: [1, 4], region: { rows: [2, 3] } }))),
        ).toEqual(values.slice(116, 120));
        await expect(cube.read()).rejects.toThrow(/open-cube\.fits(\.gz)?: HDU 0 is a cube/);
        await expect(cube.read({ plane: [2, 0] })).rejects.toThrow(/plane index 2 out of range/);
        await expect(cube.read({ plane: [0] })).rejects.toThrow(/plane needs 2 indices/);
      } finally {
        await cube.close();
      }
      await cube.close(); // idempotent
      await expect(cube.read({ plane: [0, 0] })).rejects.toThrow(/read after close/);
    }
    const b335 = await openFits(join(FITS_DIR, REAL_FITS.b335));
    expect(b335.planeAxes).toBeUndefined(); // 1000 x 1000 x 1 x 1 squeezes to an image
    expectSame(await b335.read(), requireImage(await readFitsFile(join(FITS_DIR, REAL_FITS.b335))));
    await b335.close();
    const empty = join(dir, 'open-empty.fits');
    await writeFile(empty, buildFits([cubeHdu(8, [], [])])); // a primary HDU without data
    const none = await openFits(empty);
    expect(none.imageHdu).toBeUndefined();
    expect(none.planeAxes).toBeUndefined();
    expect(none.hdus.map((h) => h.kind)).toEqual(['empty']);
    await expect(none.read()).rejects.toThrow(/open-empty\.fits: no image HDU \(HDUs: 0 empty\)/);
    await none.close();
    await expect(openFits(empty, { hdu: 0 })).rejects.toThrow(
      /HDU 0 is empty \(no data\), not an image/,
    );
    await expect(openFits(join(dir, 'nope.fits'))).rejects.toThrow(/nope\.fits: cannot read/);
  });

  it('a file that shrinks while open gives FitsError, not short pixels', async () => {
    const path2 = join(dir, 'shrinking.fits');
    await writeFile(path2, readFileSync(path));
    const reader = await openFits(path2);
    try {
      await truncate(path2, 20_000);
      await expect(reader.read({ region: { rows: [400, 480] } })).rejects.toThrow(
        /shrinking\.fits: file shrank while open/,
      );
    } finally {
      await reader.close();
    }
  });
});

describe('damaged files', () => {
  // Weighted towards the small files; every mutant is written to disk and opened.
  const multi = cases().find((c) => c.name === 'image extension')?.bytes ?? new Uint8Array(0);
  const sources: Uint8Array[] = [
    ...[REAL_FITS.cos850, REAL_FITS.cos850, REAL_FITS.serpens].map(
      (f) => new Uint8Array(readFileSync(join(FITS_DIR, f))),
    ),
    multi,
    multi,
  ];

  function mutate(src: Uint8Array, rng: Rng): Uint8Array {
    const kind = rng.int(0, 4);
    const headerEnd = Math.min(src.length, 2880 * 4);
    if (kind === 0) return src.slice(0, rng.int(0, rng.next() < 0.6 ? headerEnd : src.length));
    const out = src.slice();
    if (kind === 1) {
      for (let i = rng.int(1, 12); i > 0; i--) out[rng.int(0, headerEnd - 1)] ^= 1 << rng.int(0, 7);
    } else if (kind === 2) {
      const keys = ['BITPIX', 'NAXIS', 'NAXIS1', 'NAXIS2', 'NAXIS3', 'END', 'BSCALE', 'BLANK'];
      const values = ['-1', '0', '1e30', '999999999', "'x'", '64', '-64', '3.5', '100000'];
      const line = card([keys[rng.int(0, keys.length - 1)], values[rng.int(0, values.length - 1)]]);
      const at = rng.int(0, Math.floor(headerEnd / 80) - 1) * 80;
      for (let i = 0; i < 80; i++) out[at + i] = line.charCodeAt(i);
    } else if (kind === 3) {
      const at = rng.int(0, out.length - 1);
      for (let i = at; i < Math.min(out.length, at + rng.int(1, 2880)); i++)
        out[i] = rng.int(0, 255);
    } else {
      const gz = gzipSync(src, { level: 1 });
      return gz.slice(0, rng.int(0, gz.length));
    }
    return out;
  }

  it('300 seeded mutations: the reader throws FitsError exactly where readFits does, else reads the same pixels', async () => {
    const rng = createRng(20250101);
    let opened = 0;
    let rejected = 0;
    for (let i = 0; i < 300; i++) {
      const bytes = mutate(sources[rng.int(0, sources.length - 1)], rng);
      const path = join(dir, `mutant-${i}.fits`);
      await writeFile(path, bytes);
      let expected: Image2D | FitsError | undefined;
      try {
        expected = readFits(bytes, { name: path }).image;
      } catch (err) {
        expect(err).toBeInstanceOf(FitsError);
        expected = err as FitsError;
      }
      let reader;
      try {
        reader = await openFits(path);
      } catch (err) {
        if (!(err instanceof FitsError))
          throw new Error(`mutant ${i}: ${String(err)}`, { cause: err });
        expect(err.message.startsWith(`${path}: `)).toBe(true);
        rejected++;
        // readFits refused it too, with the same message
        // (gzip streams are inflated by fflate in memory and by zlib from disk: other words)
        const gz = bytes[0] === 0x1f && bytes[1] === 0x8b;
        if (!gz) expect(err.message).toBe((expected as FitsError).message);
        else expect(expected).toBeInstanceOf(FitsError);
        continue;
      }
      try {
        opened++;
        if (expected === undefined) {
          // no image in it: the reader says so too
          expect(reader.shape).toBeUndefined();
          continue;
        }
        if (expected instanceof FitsError) {
          // refused for its image only (a cube without a plane): the read throws the same
          rejected++;
          await expect(reader.read()).rejects.toThrow(expected.message);
          continue;
        }
        const full = expected;
        const [rows, cols] = reader.shape ?? [0, 0];
        expect([rows, cols]).toEqual(full.shape);
        const r: [number, number] = [rows >> 2, rows - (rows >> 2)];
        const c: [number, number] = [cols >> 3, cols];
        expectSame(await reader.read({ region: { rows: r, cols: c } }), slice(full, r, c));
      } finally {
        await reader.close();
      }
    }
    expect(opened).toBeGreaterThan(20);
    expect(rejected).toBeGreaterThan(20);
  });
});
