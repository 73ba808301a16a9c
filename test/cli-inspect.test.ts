import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { angularSeparation, type SkySource } from '../src/wcs/index.js';
import { FITS_DIR, REAL_FITS, buildFits, cubeHdu } from './helpers/fits-fixtures.js';

const main = new URL('../src/cli/main.ts', import.meta.url).pathname;
const reference = JSON.parse(
  readFileSync(new URL('./fixtures/reference/fits-stats.json', import.meta.url), 'utf8'),
) as Record<
  string,
  {
    nanCount: number;
    nanMin: number;
    nanMax: number;
    nanSum: number;
    nanArgMax: number[];
    squeezedShape: number[];
  }
>;

const wcsReference = JSON.parse(
  readFileSync(new URL('./fixtures/wcs/fixtures.json', import.meta.url), 'utf8'),
) as { headers: { file: string; samples: { pixel: number[]; world: number[] }[] }[] };
const measureReference = JSON.parse(
  readFileSync(new URL('./fixtures/reference/measure-source.json', import.meta.url), 'utf8'),
) as {
  beamAreaPixels: number;
  cases: { expected: Record<'rmsJyBeam' | 'snr' | 'peakJyBeam' | 'integratedJy', number> }[];
};

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}
function run(args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', main, ...args],
      { timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        done({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
  });
}

const dir = mkdtempSync(join(tmpdir(), 'inspect-'));
const b335 = join(FITS_DIR, REAL_FITS.b335);
let jsonRun: Run;
let textRun: Run;
beforeAll(async () => {
  copyFileSync(join(FITS_DIR, REAL_FITS.serpens), join(dir, 'serpens.fits'));
  copyFileSync(join(FITS_DIR, REAL_FITS.cos850), join(dir, 'cos850.fits'));
  writeFileSync(
    join(dir, 'broken.fits'),
    'SIMPLE  =                    T'.padEnd(80) + 'NOT A HEADER',
  );
  [jsonRun, textRun] = await Promise.all([
    run(['inspect', '--json', dir, b335]),
    run(['inspect', b335]),
  ]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('alma-classifier inspect', () => {
  it("--json prints one object per good file, with exactly the named fields and astropy's values", () => {
    const lines = jsonRun.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.map((r) => r.file)).toEqual([
      join(dir, 'cos850.fits'),
      join(dir, 'serpens.fits'),
      b335,
    ]);
    for (const r of records) {
      expect(Object.keys(r)).toEqual([
        'file',
        'shape',
        'nanCount',
        'nanMin',
        'nanMax',
        'nanSum',
        'nanArgMax',
        'header',
        'sky',
      ]);
    }
    const ref = reference[REAL_FITS.b335];
    const b = records[2];
    expect(b.shape).toEqual(ref.squeezedShape);
    expect(b.nanCount).toBe(ref.nanCount);
    expect(b.nanMin).toBe(ref.nanMin);
    expect(b.nanMax).toBe(ref.nanMax);
    expect(Math.abs((b.nanSum as number) - ref.nanSum)).toBeLessThan(1e-12);
    expect(b.nanArgMax).toEqual(ref.nanArgMax);
    expect(b.header).toMatchObject({
      OBJECT: 'B335',
      BUNIT: 'Jy/beam',
      BMAJ: 8.79294756386e-6,
      CTYPE1: 'RA---SIN',
      CRPIX1: 501,
    });
    expect(records[1].nanCount).toBe(reference[REAL_FITS.serpens].nanCount);
  });

  it('--json sky: the peak on the sky as astropy places it, beam and pixel scale in arcsec, the robust rms', () => {
    const serpens = JSON.parse(jsonRun.stdout.trim().split('\n')[1]) as { sky: SkySource };
    const sky = serpens.sky;
    // astropy.wcs at the peak pixel (test/fixtures/wcs/fixtures.json).
    const ref = wcsReference.headers
      .find((h) => h.file === REAL_FITS.serpens)
      ?.samples.find((s) => s.pixel[0] === 241 && s.pixel[1] === 242)?.world as [number, number];
    expect(sky.pixel).toEqual([241, 242]);
    expect(angularSeparation([sky.ra!, sky.dec!], ref) * 3.6e6).toBeLessThan(1e-3);
    expect(sky).toMatchObject({
      frame: 'ICRS',
      radesys: 'ICRS',
      raHms: '18h30m04.117s',
      decDms: '-02d03m02.63s',
      object: 'Serpens_South_C7',
      unit: 'Jy/beam',
      notes: [],
    });
    expect(sky.pixelScaleArcsec).toBeCloseTo(0.093, 9);
    expect(sky.beam?.majorArcsec).toBeCloseTo(0.0001944611801041 * 3600, 12);
    expect(sky.beam?.paDeg).toBe(-60.88540649414);
    // measureSource's astropy-checked figures for this image and beam area
    // (test/fixtures/reference/measure-source.json, "defaults with the beam area").
    const m = measureReference.cases[0].expected;
    expect(sky.beam?.areaPixels).toBeCloseTo(measureReference.beamAreaPixels, 6);
    expect(sky.rmsJyBeam! / m.rmsJyBeam).toBeCloseTo(1, 9);
    expect(sky.snr! / m.snr).toBeCloseTo(1, 9);
    expect(sky.peakJyBeam).toBe(m.peakJyBeam);
    expect(sky.integratedJy! / m.integratedJy).toBeCloseTo(1, 6);
  });

  it('reports a bad file on stderr without a stack trace, inspects the rest, and exits 1', () => {
    expect(jsonRun.code).toBe(1);
    expect(jsonRun.stderr.trim()).toBe(
      `alma-classifier: ${join(dir, 'broken.fits')}: HDU 0: header has no END card (truncated header or not FITS)`,
    );
    expect(jsonRun.stderr).not.toMatch(/\n\s+at /);
  });

  it('prints HDUs, key cards and statistics as text, exit 0 when all files are good', () => {
    expect(textRun.code).toBe(0);
    expect(textRun.stderr).toBe('');
    const out = textRun.stdout;
    expect(out).toContain(`${b335}\n`);
    expect(out).toMatch(/ {2}0 +image +-32 {2}1000 x 1000 x 1 x 1/);
    expect(out).toContain('OBJECT = B335');
    expect(out).toContain('BMAJ = 8.792948e-6');
    expect(out).toContain('CTYPE1 = RA---SIN');
    expect(out).toContain('shape [1000, 1000], NaN 0, min -1.117377e-4, max 0.004764785');
    expect(out).toContain('argmax [493, 491]');
    expect(out).toMatch(
      /\n {2}sky {5}FK5 J2000, pixel 0\.01", beam 0\.0317" x 0\.0229" PA -55\.8° \(8\.2 pixels\), rms 1\.758\d+e-5 Jy\/beam\n/,
    );
    expect(out).toContain(
      '  peak    [493, 491] = 0.004764785 Jy/beam at 19h37m00.900s +07d34m09.52s (294.253750°, 7.569311°), S/N 271.0',
    );
  });
});

describe('alma-classifier inspect on a cube', () => {
  // An ALMA-like line cube, NAXIS1..4 = 5 x 4 x 3 x 1 (numpy [stokes, channel, row, col] =
  // [1, 3, 4, 5]), float32 with NaN pixels and a FREQ/STOKES WCS.
  const [cols, rows, channels] = [5, 4, 3];
  const values = Array.from({ length: cols * rows * channels }, (_, i) =>
    i % 7 === 0 ? NaN : Math.fround(Math.sin(i) * 10),
  );
  const cubeDir = mkdtempSync(join(tmpdir(), 'inspect-cube-'));
  afterAll(() => rmSync(cubeDir, { recursive: true, force: true }));
  const cubePath = join(cubeDir, 'line-cube.fits');
  writeFileSync(
    cubePath,
    buildFits([
      cubeHdu(-32, [cols, rows, channels, 1], values, [
        ['OBJECT', "'TESTCUBE'"],
        ['BUNIT', "'Jy/beam'"],
        ['CTYPE3', "'FREQ'"],
        ['CRVAL3', '2.305E+11'],
        ['CDELT3', '1.0E+6'],
        ['CRPIX3', '2.0'],
        ['CUNIT3', "'Hz'"],
        ['CTYPE4', "'STOKES'"],
        ['CRVAL4', '1.0'],
        ['CDELT4', '1.0'],
        ['CRPIX4', '1.0'],
      ]),
    ]),
  );
  /** numpy's nanmin, nanmax, nansum, NaN count and unravelled nanargmax of `v` in `shape`. */
  function expected(v: number[], shape: number[]) {
    const finite = v.filter((x) => !Number.isNaN(x));
    const max = Math.max(...finite);
    let flat = v.indexOf(max);
    const arg = shape.map(() => 0);
    for (let k = shape.length - 1; k >= 0; k--) {
      arg[k] = flat % shape[k];
      flat = Math.floor(flat / shape[k]);
    }
    return {
      shape,
      nanCount: v.length - finite.length,
      nanMin: Math.min(...finite),
      nanMax: max,
      nanSum: finite.reduce((a, b) => a + b, 0),
      nanArgMax: arg,
    };
  }
  const plane = (c: number) => values.slice(c * rows * cols, (c + 1) * rows * cols);

  it('without --plane, --json gives the whole cube in numpy order and every plane with its world coordinates', async () => {
    const r = await run(['inspect', '--json', cubePath]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const record = JSON.parse(r.stdout) as Record<string, unknown> & {
      planes: Record<string, unknown>[];
    };
    const { nanSum, ...whole } = expected(values, [1, channels, rows, cols]);
    expect(record).toMatchObject({ file: cubePath, ...whole });
    expect(record.nanSum as number).toBeCloseTo(nanSum, 4);
    expect(record.header).toMatchObject({ OBJECT: 'TESTCUBE', CTYPE3: 'FREQ', CUNIT3: 'Hz' });
    expect(record.planes).toHaveLength(channels);
    record.planes.forEach((p, c) => {
      const { nanSum: sum, ...stats } = expected(plane(c), [rows, cols]);
      expect(p).toMatchObject({
        plane: [0, c],
        // CRPIX3 = 2: channel 0 lies one CDELT3 below CRVAL3
        world: { STOKES: 'I', FREQ: 2.305e11 + (c - 1) * 1e6 },
        ...stats,
      });
      expect(p.nanSum as number).toBeCloseTo(sum, 4);
    });
  });

  it('without --plane, prints the cube, how to pick a plane, and a table of the planes', async () => {
    const r = await run(['inspect', cubePath]);
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toContain('axis 3  CTYPE3 = FREQ, CRVAL3 = 2.305000e+11, CDELT3 = 1000000');
    expect(out).toContain(
      '  image   HDU 0, a cube of shape [1, 3, 4, 5]: 3 planes of [4, 5] (one alone: --plane 0,0 to --plane 0,2)',
    );
    const whole = expected(values, [1, channels, rows, cols]);
    expect(out).toMatch(
      new RegExp(`  cube    NaN ${whole.nanCount}, .*argmax \\[${whole.nanArgMax.join(', ')}\\]`),
    );
    const table = out.slice(out.indexOf('    plane')).trimEnd().split('\n');
    expect(table[0]).toMatch(/^ {4}plane +world +NaN +min +max +mean +sum +argmax$/);
    expect(
      table.slice(1).map((l) =>
        l
          .trim()
          .split(/\s{2,}/)
          .slice(0, 3),
      ),
    ).toEqual([
      ['[0, 0]', 'STOKES I, FREQ 2.304990e+11 Hz', String(expected(plane(0), [4, 5]).nanCount)],
      ['[0, 1]', 'STOKES I, FREQ 2.305000e+11 Hz', String(expected(plane(1), [4, 5]).nanCount)],
      ['[0, 2]', 'STOKES I, FREQ 2.305010e+11 Hz', String(expected(plane(2), [4, 5]).nanCount)],
    ]);
  });

  it('with --plane, shows that plane alone', async () => {
    const [text, json] = await Promise.all([
      run(['inspect', '--plane', '0,2', cubePath]),
      run(['inspect', '--plane', '0,2', '--json', cubePath]),
    ]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('  image   HDU 0, plane [0, 2], shape [4, 5], NaN ');
    expect(text.stdout).not.toContain('    plane');
    const record = JSON.parse(json.stdout) as Record<string, unknown>;
    const { nanSum, ...stats } = expected(plane(2), [rows, cols]);
    expect(record).toMatchObject(stats);
    expect(record.nanSum as number).toBeCloseTo(nanSum, 4);
    expect(record).not.toHaveProperty('planes');
    const bad = await run(['inspect', '--plane', '0,3', cubePath]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/line-cube\.fits: HDU 0: plane index 3 out of range for NAXIS3 = 3/);
  });
});
