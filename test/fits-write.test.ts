import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FitsError, createImage2D, toContiguous } from '../src/core/index.js';
import { FitsHeader, formatCard, readFits, requireImage, writeFits } from '../src/fits/index.js';
import { readFitsFile, writeFitsFile } from '../src/fits/index.node.js';
import { FITS_DIR, REAL_FITS } from './helpers/fits-fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'fits-write-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function hasAstropy(): boolean {
  if (!existsSync('/usr/bin/python3')) return false;
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import astropy.io.fits'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const astropy = hasAstropy();

const sample = (): ReturnType<typeof createImage2D> =>
  createImage2D(
    3,
    4,
    new Float32Array([0, 1.5, -2.25, NaN, 3.4e38, -1e-45, 7, 8, 9, 10, 11, 1e-30]),
  );

describe('writeFits', () => {
  it('round-trips float32 pixels exactly (NaN included) with BITPIX -32 by default', () => {
    const img = sample();
    const bytes = writeFits(img);
    const back = readFits(bytes);
    expect(back.hdus[0].bitpix).toBe(-32);
    expect(back.hdus[0].axes).toEqual([4, 3]);
    expect(Array.from(toContiguous(requireImage(back)))).toEqual(Array.from(img.data));
  });

  it('round-trips float64 pixels exactly with BITPIX -64', () => {
    const img = createImage2D(1, 3, new Float64Array([Math.PI, NaN, -1e-300]));
    const back = requireImage(readFits(writeFits(img, [], { bitpix: -64 }), { dtype: 'float64' }));
    expect(Array.from(back.data)).toEqual([Math.PI, NaN, -1e-300]);
  });

  it('lays out 80-character cards, END, and 2880-byte blocks', () => {
    const bytes = writeFits(sample());
    expect(bytes.length % 2880).toBe(0);
    expect(bytes.length).toBe(2880 * 2);
    const text = new TextDecoder('latin1').decode(bytes.subarray(0, 2880));
    expect(text.slice(0, 80)).toBe(
      'SIMPLE  =                    T / conforms to FITS standard'.padEnd(80),
    );
    expect(text.slice(80, 160).startsWith('BITPIX  =                  -32')).toBe(true);
    const endAt = text.indexOf('END     ');
    expect(endAt % 80).toBe(0);
    expect(text.slice(endAt + 3).trim()).toBe('');
    // data padding is zeros
    expect(bytes.subarray(2880 + 48).every((b) => b === 0)).toBe(true);
  });

  it('writes strided views in logical order and leaves the input untouched', () => {
    const base = createImage2D(2, 3, new Float32Array([1, 2, 3, 4, 5, 6]));
    const t = base.transpose(1, 0);
    const before = Float32Array.from(base.data);
    const back = requireImage(readFits(writeFits(t)));
    expect(back.shape).toEqual([3, 2]);
    expect(Array.from(toContiguous(back))).toEqual([1, 4, 2, 5, 3, 6]);
    expect(base.data).toEqual(before);
  });

  it('keeps WCS, beam, COMMENT/HISTORY and long-string cards of a real header, replacing structural ones', async () => {
    const real = await readFitsFile(join(FITS_DIR, REAL_FITS.serpens));
    const back = readFits(writeFits(requireImage(real), real.header)).header;
    for (const k of [
      'CTYPE1',
      'CRVAL1',
      'CDELT2',
      'CRPIX2',
      'BMAJ',
      'BMIN',
      'BPA',
      'OBJECT',
      'BUNIT',
      'TELESCOP',
    ]) {
      expect(back.get(k), k).toBe(real.header.get(k));
    }
    expect(back.get('NAXIS')).toBe(2);
    expect(back.has('NAXIS3')).toBe(false);
    const hist = (h: FitsHeader) => h.cards.filter((c) => c.key === 'HISTORY').map((c) => c.value);
    expect(hist(back)).toEqual(hist(real.header));
    const long = 'x'.repeat(100) + "it's" + 'y'.repeat(60);
    const h2 = readFits(
      writeFits(sample(), [{ key: 'LONGSTR', value: long, comment: 'long' }]),
    ).header;
    expect(h2.get('LONGSTR')).toBe(long);
  });

  it('stores integers honouring BSCALE/BZERO from the header, and NaN as BLANK', () => {
    const u16 = createImage2D(1, 3, new Float32Array([0, 65535, 32768]));
    const f = readFits(writeFits(u16, [{ key: 'BZERO', value: 32768 }], { bitpix: 16 }));
    expect(f.hdus[0].bitpix).toBe(16);
    expect(f.header.has('BLANK')).toBe(false);
    expect(Array.from(toContiguous(requireImage(f)))).toEqual([0, 65535, 32768]);
    const withNaN = readFits(
      writeFits(createImage2D(1, 3, new Float32Array([-3, NaN, 4])), [], { bitpix: 16 }),
    );
    expect(withNaN.header.get('BLANK')).toBe(-32768);
    const d = toContiguous(requireImage(withNaN));
    expect([d[0], d[2]]).toEqual([-3, 4]);
    expect(d[1]).toBeNaN();
    const i32 = requireImage(
      readFits(writeFits(createImage2D(1, 2, new Float32Array([-5, 1e6])), [], { bitpix: 32 })),
    );
    expect(Array.from(i32.data)).toEqual([-5, 1e6]);
  });

  it('refuses pixels that do not fit the integer type, naming the pixel', () => {
    expect(() =>
      writeFits(createImage2D(1, 2, new Float32Array([0, 40000])), [], { bitpix: 16 }),
    ).toThrow(/pixel \[0, 1\] = 40000 does not fit BITPIX 16/);
    expect(() => writeFits(sample(), [{ key: 'WAYTOOLONGKEY', value: 1 }])).toThrow(FitsError);
  });

  it('formatCard writes fixed-format values and escapes quotes', () => {
    expect(formatCard({ key: 'A', value: true })).toBe('A       =                    T'.padEnd(80));
    expect(formatCard({ key: 'B', value: -42, comment: 'c' })).toBe(
      'B       =                  -42 / c'.padEnd(80),
    );
    // astropy pads the escaped text to 8 characters
    expect(formatCard({ key: 'S', value: "it's" })).toBe("S       = 'it''s   '".padEnd(80));
    expect(formatCard({ key: 'F', value: 2.5e-7 })).toBe(
      'F       =               2.5E-7'.padEnd(80),
    );
    expect(formatCard({ key: 'HISTORY', value: 'did a thing' })).toBe(
      'HISTORY did a thing'.padEnd(80),
    );
  });
});

describe('writeFitsFile', () => {
  it('writes through path.part and leaves only the final file', async () => {
    const path = join(tmp, 'out.fits');
    await writeFitsFile(path, sample(), [{ key: 'OBJECT', value: 'test' }]);
    expect(readdirSync(tmp).filter((f) => f.startsWith('out.fits'))).toEqual(['out.fits']);
    const f = await readFitsFile(path);
    expect(f.header.get('OBJECT')).toBe('test');
  });

  it('names the path when it cannot write', async () => {
    await expect(writeFitsFile(join(tmp, 'no', 'such', 'dir.fits'), sample())).rejects.toThrow(
      /dir\.fits: cannot write/,
    );
  });

  it.skipIf(!astropy)(
    'astropy opens what we write: data, header and no verification errors',
    async () => {
      const real = await readFitsFile(join(FITS_DIR, REAL_FITS.cos850));
      const path = join(tmp, 'cos850-copy.fits');
      const long = 'L'.repeat(90);
      await writeFitsFile(path, requireImage(real), [
        ...real.header.cards,
        { key: 'LONGSTR', value: long },
      ]);
      const i16 = join(tmp, 'i16.fits');
      await writeFitsFile(i16, createImage2D(1, 3, new Float32Array([-7, NaN, 300])), [], {
        bitpix: 16,
      });
      const script = `
import sys, json, warnings, numpy as np
from astropy.io import fits
warnings.simplefilter('error')
with fits.open(sys.argv[1]) as h:
    h.verify('exception')
    d = h[0].data
    out = {'shape': list(d.shape), 'dtype': str(d.dtype), 'nan': int(np.isnan(d).sum()),
           'max': float(np.nanmax(d)), 'bmaj': h[0].header['BMAJ'], 'object': h[0].header['OBJECT'],
           'long': h[0].header['LONGSTR'], 'history': len(h[0].header['HISTORY'])}
with fits.open(sys.argv[2]) as h:
    h.verify('exception')
    out['i16'] = [None if np.isnan(v) else float(v) for v in h[0].data[0]]
print(json.dumps(out))`;
      const got = JSON.parse(
        execFileSync('/usr/bin/python3', ['-c', script, path, i16]).toString(),
      );
      expect(got).toEqual({
        shape: [192, 192],
        dtype: '>f4',
        nan: 14395,
        max: 0.005667448043823242,
        bmaj: real.header.get('BMAJ'),
        object: 'COS850.0005',
        long,
        history: real.header.cards.filter((c) => c.key === 'HISTORY').length,
        i16: [-7, null, 300],
      });
    },
  );
});
