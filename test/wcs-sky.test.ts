// measureOnSky / summarizeImage / planeWorld: a source's sky position, beam and fluxes.
import { describe, expect, it } from 'vitest';
import { createImage2D } from '../src/core/index.js';
import { FitsHeader, type FitsCard } from '../src/fits/index.js';
import { readFitsFile } from '../src/fits/index.node.js';
import { measureSource } from '../src/image/index.js';
import { measureOnSky, planeWorld, summarizeImage } from '../src/wcs/index.js';
import { candidateSkyFields } from '../src/pipeline/index.js';
import { FITS_DIR, REAL_FITS } from './helpers/fits-fixtures.js';

const header = (cards: [string, string | number][]) =>
  new FitsHeader(cards.map(([key, value]): FitsCard => ({ key, value })));

describe('measureOnSky', () => {
  it('gives B335 its FK5 J2000 position, beam, fluxes and S/N', async () => {
    const f = await readFitsFile(`${FITS_DIR}${REAL_FITS.b335}`);
    const s = measureOnSky(f.image!, f.header, [493, 491], { source: 'b335' });
    expect(s).toMatchObject({
      frame: 'FK5 J2000',
      radesys: 'FK5',
      equinox: 2000,
      object: 'B335',
      unit: 'Jy/beam',
      raHms: '19h37m00.900s',
      decDms: '+07d34m09.52s',
      notes: [],
    });
    expect(s.pixelScaleArcsec).toBeCloseTo(0.01, 9);
    expect(s.beam?.areaPixels).toBeCloseTo(
      (Math.PI * 8.79294756386e-6 * 6.368255449666e-6) / (4 * Math.LN2) / 2.777777777778e-6 ** 2,
      6,
    );
    expect(s.snr).toBeGreaterThan(100);
    expect(s.integratedJy).toBeGreaterThan(s.peakJyBeam!);
  });

  it("gives a faint peak in a bright source's wings its own peak and S/N in a candidate, not the source's", async () => {
    const f = await readFitsFile(`${FITS_DIR}${REAL_FITS.b335}`);
    // [481, 505]: a faint peak whose emission connects (above 3σ) to B335's at [493, 491].
    const sky = measureOnSky(f.image!, f.header, [481, 505], { source: 'b335' });
    expect(sky.objectPeak).toEqual([493, 491]);
    expect(sky.snr).toBeGreaterThan(100);
    const faint = candidateSkyFields(f.image!, f.header, [481, 505], 'b335');
    expect(faint.peakJyBeam).toBe(f.image!.get(481, 505));
    expect(faint.snr).toBeCloseTo(f.image!.get(481, 505) / sky.rmsJyBeam!, 12);
    expect(faint.snr).toBeGreaterThan(5);
    expect(faint.snr).toBeLessThan(10);
    expect(faint.integratedJy).toBeUndefined();
    expect(faint.skyNotes?.join(' ')).toMatch(
      /\[481, 505\] lies in the emission of a brighter peak at \[493, 491\].*not this object's/,
    );
    // B335's own peak keeps the connected emission's figures.
    const own = candidateSkyFields(f.image!, f.header, [493, 491], 'b335');
    const m = measureOnSky(f.image!, f.header, [493, 491], { source: 'b335' });
    expect(m.objectPeak).toEqual([493, 491]);
    expect(own.snr).toBe(m.snr);
    expect(own.integratedJy).toBe(m.integratedJy);
    expect(own.skyNotes).toBeUndefined();
  });

  it('measures on the window within rmsRadius exactly as measureSource does on the whole image', async () => {
    const f = await readFitsFile(`${FITS_DIR}${REAL_FITS.serpens}`);
    const s = measureOnSky(f.image!, f.header, [241, 242], { rmsRadius: 60 });
    const m = measureSource(f.image!, [241, 242], {
      beamAreaPixels: s.beam!.areaPixels!,
      annulus: [0, 60],
      maxRadius: 60,
    });
    expect(s.rmsJyBeam).toBe(m.rmsJyBeam);
    expect(s.peakJyBeam).toBe(m.peakJyBeam);
    expect(s.snr).toBe(m.snr);
    expect(s.integratedJy).toBeCloseTo(m.integratedJy!, 12);
  });

  it('says why a figure is missing instead of throwing: no WCS, no beam, a NaN pixel', () => {
    const img = createImage2D(20, 20);
    for (let i = 0; i < 400; i++) img.data[i] = Math.sin(i * 12.9898) * 0.01;
    img.set(10, 10, 1);
    img.set(0, 0, NaN);
    const bare = measureOnSky(img, header([['BUNIT', 'Jy/beam']]), [10, 10], { source: 'a.fits' });
    expect(bare.ra).toBeUndefined();
    expect(bare.integratedJy).toBeUndefined();
    expect(bare.snr).toBeGreaterThan(10);
    expect(bare.notes).toEqual([
      expect.stringMatching(/^a\.fits: no celestial WCS/),
      'a.fits: no beam (BMAJ/BMIN), so no integrated flux',
    ]);
    const nan = measureOnSky(img, header([]), [0, 0], { source: 'a.fits', wcs: null });
    expect(nan.peakJyBeam).toBeUndefined();
    expect(nan.notes.at(-1)).toMatch(/holds NaN, not data/);
  });
});

describe('summarizeImage', () => {
  it('is what inspect prints: statistics and the peak on the sky with the whole-image rms', async () => {
    const f = await readFitsFile(`${FITS_DIR}${REAL_FITS.cos850}`);
    const s = summarizeImage(f.image!, f.header, { source: 'cos850' });
    expect(s.statistics.nanArgMax).toEqual([86, 92]);
    expect(s.peak?.pixel).toEqual([86, 92]);
    expect(s.peak?.frame).toBe('ICRS');
    expect(s.peak?.snr).toBeCloseTo(s.peak!.peakJyBeam! / s.peak!.rmsJyBeam!, 12);
    const empty = summarizeImage(nanImage(), header([]));
    expect(empty.peak).toBeUndefined();
  });
});

function nanImage() {
  const img = createImage2D(2, 2);
  img.data.fill(NaN);
  return img;
}

describe('planeWorld', () => {
  it('gives each plane axis its linear world value, outermost first, Stokes by name', () => {
    const h = header([
      ['NAXIS', 4],
      ['CTYPE3', 'FREQ'],
      ['CRVAL3', 2.3e11],
      ['CDELT3', 1e6],
      ['CRPIX3', 2],
      ['CTYPE4', 'STOKES'],
      ['CRVAL4', 1],
      ['CDELT4', 1],
      ['CRPIX4', 1],
    ]);
    expect(planeWorld(h, [1, 0])).toEqual({ STOKES: 'Q', FREQ: 2.3e11 - 1e6 });
    expect(Object.keys(planeWorld(h, [0, 0]))).toEqual(['STOKES', 'FREQ']);
  });
});
