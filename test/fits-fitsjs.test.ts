/**
 * fitsjs 0.6.6, measured against our reader (test/helpers/fitsjs-measure.ts): where it reads as
 * we (and astropy) do, and the defects docs/fits.md gives as the reason the library decodes FITS
 * itself. A new fitsjs that fixes one fails here, so the docs get revisited.
 */
import { describe, expect, it } from 'vitest';
import {
  headerCases,
  pixelCases,
  realHeaderCases,
  structureCases,
} from './helpers/fitsjs-measure.js';

const cases = () => [...headerCases(), ...realHeaderCases(), ...structureCases(), ...pixelCases()];

describe('fitsjs beside our reader', () => {
  it('reads the real ALMA files (headers, HDUs), RICE tiles and plain pixels as we do', () => {
    const same = cases()
      .filter((c) => c.agrees)
      .map((c) => c.name);
    expect(same).toEqual([
      'b335_2017_band6_0.fits… (76 keywords)',
      'serpenssouthc7_2019_band… (120 keywords)',
      'member.uid___A001_X12a2_… (92 keywords)',
      'real ALMA image (b335)',
      'real ALMA image (serpens)',
      'real ALMA image (cos850)',
      'tile-compressed RICE_1 (14 files)',
      'BITPIX 8',
      'BITPIX 16',
      'BITPIX 16, BSCALE 0.5, BZERO 10',
      'BITPIX 32',
      'BITPIX -32 with NaN',
    ]);
  });

  it('has the defects docs/fits.md lists', () => {
    const differ = Object.fromEntries(
      cases()
        .filter((c) => !c.agrees)
        .map((c) => [c.name, c.fitsjs]),
    );
    expect(differ).toEqual({
      "a quote inside a string ('')": "'O''Brien'",
      "' /' inside a string": "'NGC 133'",
      'a string continued over CONTINUE cards': expect.stringMatching(/&'$/),
      'a HIERARCH keyword': 'null',
      'a D exponent': '1.5',
      'card 640 of a long header': 'null',
      'BITPIX = 64 (FITS 3.0, 2008)': 'throws: BITPIX value 64 is not permitted',
      'tile-compressed GZIP_1 (6 files)': expect.stringMatching(/not yet implement/),
      'tile-compressed GZIP_2 (5 files)': expect.stringMatching(/not permitted/),
      'tile-compressed HCOMPRESS_1 (6 files)': expect.stringMatching(/not yet implement/),
      'tile-compressed PLIO_1 (2 files)': expect.stringMatching(/not yet implement/),
      'a card after END in the same block': expect.stringMatching(/read outside the headers/),
      'BITPIX 16, BZERO 32768 (unsigned)': '0, 32767, -32768, -32767, -1',
      'BITPIX 16, BLANK -32768': '-32768, 5, 7',
      'BITPIX 32, BZERO 2147483648 (unsigned)': '0, -2147483648, -1',
      'BITPIX 64': expect.stringMatching(/^throws: TypeError/),
      'BITPIX -64': expect.stringMatching(/^1\.9375, 0, NaN/),
    });
  });
});
