// Candidates on the sky: `classify` on the bundled real ALMA images writes candidates.json and
// the four catalogues beside it; astropy places the candidates where we do and reads the
// VOTable and CSV with the same values; the DS9 and CRTF files parse back to the same rows.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { almaFileInfo } from '../src/archive/index.js';
import { main } from '../src/cli/main.js';
import { createModel } from '../src/model/index.js';
import { loadModel, saveModel } from '../src/model/index.node.js';
import {
  candidateCatalogueRows,
  type Candidate,
  type ProductResult,
} from '../src/pipeline/index.js';
import { resultCatalogueCandidates } from '../src/pipeline/index.node.js';
import { classify } from '../src/pipeline/classify.node.js';
import { angularSeparation, fk5J2000ToIcrs } from '../src/wcs/index.js';
import { FITS_DIR, REAL_FITS } from './helpers/fits-fixtures.js';
import { astropyWorld, pythonHas, pythonJson } from './helpers/python.js';
import { runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'catalogue-pipeline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const astropy = pythonHas('astropy.wcs', 'astropy.table', 'astropy.io.votable');
const MAS = 1 / 3.6e6;
const modelDir = join(dir, 'model');
const out = join(dir, 'run', 'candidates.json');
let candidates: Candidate[];
let cli: { code: number; out: string; err: string };

beforeAll(async () => {
  // An untrained model: the scores do not matter here, the positions and fluxes do.
  const model = await createModel({
    inputShape: [32, 32, 1],
    convBlocks: [{ filters: 2, kernelSize: 3, poolSize: 2, activation: 'relu' }],
    denseUnits: 4,
    seed: 3,
  });
  await saveModel(model, modelDir, {
    profileName: 'tiny-test',
    profile: { name: 'tiny-test', preprocess: { inputSize: 32, cropSize: 64 } },
    classNames: ['negative', 'positive'],
  });
  candidates = await classify(await loadModel(modelDir), [FITS_DIR], { maxSources: 3 });
  const lines: string[] = [];
  const errors: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => void lines.push(a.join(' ')));
  const err = vi
    .spyOn(process.stderr, 'write')
    .mockImplementation((chunk: string | Uint8Array) => (errors.push(String(chunk)), true));
  try {
    const code = await main([
      'node',
      'alma-classifier',
      'classify',
      '--model',
      modelDir,
      '--max-sources',
      '3',
      '--out',
      out,
      FITS_DIR,
    ]);
    cli = { code, out: lines.join('\n'), err: errors.join('') };
  } finally {
    log.mockRestore();
    err.mockRestore();
    process.exitCode = undefined;
  }
}, 120_000);

const byFile = (name: string) => candidates.filter((c) => c.file.endsWith(name));

describe('classify places every candidate on the sky', () => {
  it('gives RA/Dec in the header frame, object, beam, pixel scale, fluxes, rms and S/N', () => {
    expect(candidates.length).toBeGreaterThanOrEqual(3);
    for (const c of candidates) {
      expect(c.ra).toBeGreaterThanOrEqual(0);
      expect(Math.abs(c.dec!)).toBeLessThanOrEqual(90);
      expect(c.raHms).toMatch(/^\d\dh\d\dm\d\d\.\d{3}s$/);
      expect(c.decDms).toMatch(/^[+-]\d\dd\d\dm\d\d\.\d\ds$/);
      expect(c.beam?.majorArcsec).toBeGreaterThan(0);
      expect(c.pixelScaleArcsec).toBeGreaterThan(0);
      expect(c.rmsJyBeam).toBeGreaterThan(0);
      expect(c.snr).toBeCloseTo(c.peakJyBeam! / c.rmsJyBeam!, 9);
    }
    const b335 = byFile(REAL_FITS.b335)[0];
    expect(b335).toMatchObject({ frame: 'FK5 J2000', object: 'B335' });
    expect(byFile(REAL_FITS.serpens)[0]).toMatchObject({
      frame: 'ICRS',
      object: 'Serpens_South_C7',
    });
    const cos = byFile(REAL_FITS.cos850)[0];
    expect(cos).toMatchObject({
      frame: 'ICRS',
      object: 'COS850.0005',
      memberOus: 'uid://A001/X12a2/X10d',
    });
    // The brightest object of Serpens South C7 is its protostar, detected at high S/N.
    const serpens = byFile(REAL_FITS.serpens).find((c) => c.sourceIndex === 0)!;
    expect(serpens.snr).toBeGreaterThan(50);
    expect(serpens.integratedJy).toBeGreaterThan(serpens.peakJyBeam!);
  });

  it.skipIf(!astropy)('at the positions astropy.wcs gives for the same pixels (≤ 1 mas)', () => {
    const world = astropyWorld(candidates.map((c) => [c.file, c.peak[0], c.peak[1]] as const));
    candidates.forEach((c, i) => {
      expect(angularSeparation([c.ra!, c.dec!], world[i]!) / MAS).toBeLessThan(1);
    });
  });
});

describe('the CLI writes candidates.json and the four catalogues beside it', () => {
  it('writes candidates.json, .csv, .vot, .reg and .crtf and says so', () => {
    expect(cli.code).toBe(0);
    for (const ext of ['json', 'csv', 'vot', 'reg', 'crtf']) {
      expect(existsSync(join(dir, 'run', `candidates.${ext}`))).toBe(true);
    }
    expect(cli.out).toMatch(
      /candidates\.csv, .*candidates\.vot, .*candidates\.reg, .*candidates\.crtf/,
    );
    expect(cli.out).toMatch(/\d\dh\d\dm\d\d\.\d{3}s [+-]\d\dd\d\dm\d\d\.\d\ds ICRS, S\/N \d/);
    // B335 is FK5, the others ICRS: the catalogues say that FK5 positions were moved to ICRS.
    expect(cli.err).toMatch(/FK5 J2000 positions? converted to ICRS/);
    const json = JSON.parse(readFileSync(out, 'utf8')) as Candidate[];
    expect(json.map((c) => [c.file, c.sourceIndex, c.ra, c.dec])).toEqual(
      candidates.map((c) => [c.file, c.sourceIndex, c.ra, c.dec]),
    );
  });

  it('the catalogue rows are in ICRS, with B335 moved from FK5 J2000 by the frame bias', () => {
    const { rows, frame } = candidateCatalogueRows(candidates);
    expect(frame).toEqual({ frame: 'ICRS' });
    const i = candidates.findIndex((c) => c.file.endsWith(REAL_FITS.b335));
    const c = candidates[i];
    expect([rows[i].raDeg, rows[i].decDeg]).toEqual(fk5J2000ToIcrs([c.ra!, c.dec!]));
    const shift = angularSeparation([rows[i].raDeg!, rows[i].decDeg!], [c.ra!, c.dec!]) / MAS;
    expect(shift).toBeGreaterThan(10);
    expect(shift).toBeLessThan(40);
    const j = candidates.findIndex((x) => x.file.endsWith(REAL_FITS.serpens));
    expect([rows[j].raDeg, rows[j].decDeg]).toEqual([candidates[j].ra, candidates[j].dec]);
  });

  it.skipIf(!astropy)(
    'astropy reads the VOTable and the CSV with the same values and units',
    () => {
      const read = pythonJson<{
        vot: Record<string, unknown>[];
        csv: Record<string, unknown>[];
        units: Record<string, string | null>;
        ucds: Record<string, string | null>;
        icrs: [number, number];
      }>(
        `
import json, sys, warnings, math
import numpy as np
from astropy.table import Table
from astropy.coordinates import SkyCoord, FK5
import astropy.units as u
warnings.simplefilter('ignore')
base, ra, dec = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
def rows(t):
    out = []
    for r in t:
        d = {}
        for k in t.colnames:
            v = r[k]
            if np.ma.is_masked(v): v = None
            elif isinstance(v, (np.floating, float)): v = None if math.isnan(v) else float(v)
            elif isinstance(v, (np.integer,)): v = int(v)
            else: v = str(v)
            d[k] = v
        out.append(d)
    return out
vot = Table.read(base + '.vot', format='votable')
csv = Table.read(base + '.csv', format='ascii.csv')
c = SkyCoord(ra * u.deg, dec * u.deg, frame=FK5(equinox='J2000')).icrs
print(json.dumps({
  'vot': rows(vot), 'csv': rows(csv),
  'units': {k: (str(vot[k].unit) if vot[k].unit is not None else None) for k in vot.colnames},
  'ucds': {k: vot[k].meta.get('ucd') if hasattr(vot[k], 'meta') else None for k in vot.colnames},
  'icrs': [float(c.ra.deg), float(c.dec.deg)],
}))
`,
        join(dir, 'run', 'candidates'),
        String(byFile(REAL_FITS.b335)[0].ra),
        String(byFile(REAL_FITS.b335)[0].dec),
      );
      const { rows } = candidateCatalogueRows(JSON.parse(readFileSync(out, 'utf8')) as Candidate[]);
      expect(read.vot).toHaveLength(rows.length);
      expect(read.csv).toHaveLength(rows.length);
      rows.forEach((row, i) => {
        for (const table of [read.vot[i], read.csv[i]]) {
          expect(table.file).toBe(row.file);
          expect(table.object).toBe(row.object);
          expect(table.source_index).toBe(row.sourceIndex);
          expect(table.ra_deg).toBe(row.raDeg);
          expect(table.dec_deg).toBe(row.decDeg);
          expect(table.frame).toBe('ICRS');
          expect(table.peak_row_pix).toBe(row.peakRow);
          expect(table.peak_col_pix).toBe(row.peakCol);
          expect(table.score).toBe(row.score);
          expect(table.peak_jy_beam).toBe(row.peakJyBeam);
          expect(table.integrated_jy).toBe(row.integratedJy ?? null);
          expect(table.rms_jy_beam).toBe(row.rmsJyBeam);
          expect(table.snr).toBe(row.snr);
          expect(table.beam_major_arcsec).toBe(row.beamMajorArcsec);
          expect(table.pixel_scale_arcsec).toBe(row.pixelScaleArcsec);
        }
      });
      expect(read.units).toMatchObject({
        ra_deg: 'deg',
        dec_deg: 'deg',
        peak_jy_beam: 'Jy / beam',
        integrated_jy: 'Jy',
        beam_major_arcsec: 'arcsec',
      });
      expect(read.ucds).toMatchObject({
        ra_deg: 'pos.eq.ra;meta.main',
        dec_deg: 'pos.eq.dec;meta.main',
        snr: 'stat.snr',
      });
      // astropy's own FK5 J2000 → ICRS for B335 agrees with the catalogue's.
      const b = rows.find((r) => r.file.endsWith(REAL_FITS.b335))!;
      expect(angularSeparation([b.raDeg!, b.decDeg!], read.icrs) / MAS).toBeLessThan(1e-3);
    },
  );

  it('the DS9 and CRTF region files parse back to the same positions, beams and scores', () => {
    const { rows } = candidateCatalogueRows(JSON.parse(readFileSync(out, 'utf8')) as Candidate[]);
    const ds9 = readFileSync(join(dir, 'run', 'candidates.reg'), 'utf8').split('\n');
    expect(ds9[0]).toBe('# Region file format: DS9 version 4.1');
    expect(ds9).toContain('icrs');
    const shapes = ds9.filter((l) => l.startsWith('ellipse('));
    expect(shapes).toHaveLength(rows.length);
    shapes.forEach((line, i) => {
      const m =
        /^ellipse\(([\d.]+),([-\d.]+),([\d.]+)",([\d.]+)",([\d.]+)\) # text=\{([^}]*)\}/.exec(line);
      expect(m).not.toBeNull();
      const [, ra, dec, a, b, angle, text] = m!;
      expect(Number(ra)).toBeCloseTo(rows[i].raDeg!, 8);
      expect(Number(dec)).toBeCloseTo(rows[i].decDeg!, 8);
      expect(Number(a)).toBeCloseTo(rows[i].beamMajorArcsec! / 2, 4);
      expect(Number(b)).toBeCloseTo(rows[i].beamMinorArcsec! / 2, 4);
      // DS9 measures from the RA axis: angle = PA + 90.
      expect(Number(angle)).toBeCloseTo((((rows[i].beamPaDeg! + 90) % 360) + 360) % 360, 3);
      expect(text).toBe(rows[i].score.toFixed(3));
    });
    const crtf = readFileSync(join(dir, 'run', 'candidates.crtf'), 'utf8').split('\n');
    expect(crtf[0]).toBe('#CRTFv0 CASA Region Text Format version 0');
    const ellipses = crtf.filter((l) => l.startsWith('ellipse'));
    expect(ellipses).toHaveLength(rows.length);
    ellipses.forEach((line, i) => {
      const m =
        /^ellipse \[\[([\d.]+)deg, ([-\d.]+)deg\], \[([\d.]+)arcsec, ([\d.]+)arcsec\], ([-\d.]+)deg\] coord=ICRS, color=green, label="([^"]*)"$/.exec(
          line,
        );
      expect(m).not.toBeNull();
      expect(Number(m![1])).toBeCloseTo(rows[i].raDeg!, 8);
      expect(Number(m![2])).toBeCloseTo(rows[i].decDeg!, 8);
      expect(Number(m![5])).toBeCloseTo(rows[i].beamPaDeg!, 3);
      expect(m![6]).toBe(rows[i].score.toFixed(3));
    });
  });
});

describe('classify --detection-threshold', () => {
  it('finds objects only down to the level given: the faint peaks beside B335 are left out at 10σ', async () => {
    const faint = join(dir, 'run-10sigma', 'candidates.json');
    const run = await runCli(
      'classify',
      '--model',
      modelDir,
      '--max-sources',
      '3',
      '--detection-threshold',
      '10',
      '--no-thumbnails',
      '--out',
      faint,
      join(FITS_DIR, REAL_FITS.b335),
    );
    expect(run.code).toBe(0);
    const found = JSON.parse(readFileSync(faint, 'utf8')) as Candidate[];
    // At the default 5σ, B335's three objects include faint peaks (S/N about 6) beside the disk.
    const at5 = byFile(REAL_FITS.b335);
    expect(at5).toHaveLength(3);
    expect(Math.min(...at5.map((c) => c.snr!))).toBeLessThan(8);
    expect(found.length).toBeGreaterThan(0);
    expect(found.length).toBeLessThan(at5.length);
    for (const c of found) expect(c.snr).toBeGreaterThan(10);
    expect(found[0].object).toBe('B335');
    const bad = await runCli(
      'classify',
      '--model',
      modelDir,
      '--detection-threshold',
      '0',
      FITS_DIR,
    );
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/--detection-threshold/);
  });
});

describe('catalogue rows of archive results and ALMA file names', () => {
  it('resultCatalogueCandidates lists every source with the archive member OUS and project', () => {
    const result: ProductResult = {
      url: 'https://almascience.org/x.fits',
      file: 'x.fits',
      score: 0.9,
      label: 'positive',
      positive: true,
      sources: [
        {
          score: 0.9,
          label: 'positive',
          sourceIndex: 0,
          peak: [1, 2],
          ra: 10,
          dec: 20,
          frame: 'ICRS',
        },
        { score: 0.1, label: 'negative', sourceIndex: 1, peak: [3, 4] },
      ],
      product: { memberOus: 'uid://A001/X1/X2', projectCode: '2019.1.01234.S', target: 'T' },
      at: '2024-01-01T00:00:00Z',
    };
    const c = resultCatalogueCandidates([result]);
    expect(c).toHaveLength(2);
    expect(c[0]).toMatchObject({
      file: 'x.fits',
      ra: 10,
      memberOus: 'uid://A001/X1/X2',
      projectCode: '2019.1.01234.S',
      object: 'T',
    });
    const { rows } = candidateCatalogueRows(c);
    expect(rows[0].raHms).toBe('00h40m00.000s');
    expect(rows[1].raDeg).toBeUndefined();
  });

  it('almaFileInfo reads the member OUS, target and project code', () => {
    expect(almaFileInfo(`/data/2017.1.00123.S/${REAL_FITS.cos850}`)).toEqual({
      memberOus: 'uid://A001/X12a2/X10d',
      target: 'COS850.0005',
      projectCode: '2017.1.00123.S',
    });
    expect(
      almaFileInfo('member.uid___A001_X1296_X1d3._HD_163296_sci.spw0_1_2_3.cont.I.pbcor.fits'),
    ).toEqual({ memberOus: 'uid://A001/X1296/X1d3', target: 'HD_163296' });
    expect(almaFileInfo('b335_2017_band6_0.fits')).toEqual({});
  });
});
