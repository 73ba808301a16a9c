/**
 * Cubes in `classify` and `prepare`: `--plane` picks a plane, `--collapse sum|moment0` collapses
 * the spectral axis with NaN channels skipped (`readFitsCollapsed`).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli as run } from './helpers/cli.js';
import { FitsError } from '../src/core/errors.js';
import { readFitsCollapsed } from '../src/fits/index.node.js';
import { loadDataset } from '../src/dataset/index.node.js';
import { buildFits, cubeHdu } from './helpers/fits-fixtures.js';
import { saveTinyModel } from './helpers/products.js';

const dir = mkdtempSync(join(tmpdir(), 'alma-cube-'));
const [COLS, ROWS, CHANS] = [40, 36, 5];
const CDELT3 = 2e6;

/** Pixel (r, c) of channel k: a blob whose brightness changes with the channel; some NaN. */
function value(r: number, c: number, k: number): number {
  if (r === 3 && c === 4) return NaN; // NaN in every channel
  if ((r + c + k) % 7 === 0) return NaN; // NaN in some channels
  return (
    Math.exp(-((r - 18) ** 2 + (c - 20) ** 2) / 30) * (1 + k) + 0.01 * ((r * 7 + c * 3 + k) % 5)
  );
}

function cube(stokes = 1): Uint8Array {
  const values: number[] = [];
  for (let s = 0; s < stokes; s++)
    for (let k = 0; k < CHANS; k++)
      for (let r = 0; r < ROWS; r++) for (let c = 0; c < COLS; c++) values.push(value(r, c, k));
  return buildFits([
    cubeHdu(-32, [COLS, ROWS, CHANS, stokes], values, [
      // A celestial WCS and a 3-pixel beam, as ALMA cubes have: the default profile crops on the sky.
      ['CTYPE1', "'RA---SIN'"],
      ['CDELT1', '-1E-05'],
      ['CRPIX1', '20'],
      ['CRVAL1', '180'],
      ['CTYPE2', "'DEC--SIN'"],
      ['CDELT2', '1E-05'],
      ['CRPIX2', '18'],
      ['CRVAL2', '-30'],
      ['BMAJ', '3E-05'],
      ['BMIN', '3E-05'],
      ['BPA', '0'],
      ['CTYPE3', "'FREQ    '"],
      ['CDELT3', String(CDELT3)],
      ['CUNIT3', "'Hz      '"],
      ['CTYPE4', "'STOKES  '"],
    ]),
  ]);
}

beforeAll(async () => {
  mkdirSync(join(dir, 'cubes'));
  writeFileSync(join(dir, 'cubes', 'cube.fits'), cube());
  writeFileSync(join(dir, 'stokes.fits'), cube(2));
  await saveTinyModel(join(dir, 'model'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readFitsCollapsed', () => {
  it('sum skips NaN channels (NaN where all are), moment 0 multiplies by |CDELT3|', async () => {
    const path = join(dir, 'cubes', 'cube.fits');
    const sum = (await readFitsCollapsed(path, { method: 'sum' })).image!;
    const m0 = (await readFitsCollapsed(path, { method: 'moment0' })).image!;
    expect(sum.shape).toEqual([ROWS, COLS]);
    for (let r = 0; r < ROWS; r++) {
      for (let c = 0; c < COLS; c++) {
        let want = 0;
        let n = 0;
        for (let k = 0; k < CHANS; k++) {
          const v = Math.fround(value(r, c, k));
          if (Number.isNaN(v)) continue;
          want += v;
          n++;
        }
        if (n === 0) {
          expect(sum.get(r, c)).toBeNaN();
          expect(m0.get(r, c)).toBeNaN();
        } else {
          expect(sum.get(r, c)).toBeCloseTo(want, 5);
          expect(m0.get(r, c) / CDELT3).toBeCloseTo(want, 5);
        }
      }
    }
  });

  it('refuses a cube with another long axis besides the spectral one', async () => {
    await expect(readFitsCollapsed(join(dir, 'stokes.fits'), { method: 'sum' })).rejects.toThrow(
      FitsError,
    );
    await expect(readFitsCollapsed(join(dir, 'stokes.fits'), { method: 'sum' })).rejects.toThrow(
      /cannot collapse: .*NAXIS4 = 2 \(STOKES\)/,
    );
  });
});

describe('classify --plane / --collapse', () => {
  const cubePath = join(dir, 'cubes', 'cube.fits');
  const base = () => ['classify', '--model', join(dir, 'model'), '--out', join(dir, 'c.json')];

  it('without either, a cube is skipped and the message names the plane to pass', async () => {
    const r = await run(...base(), cubePath);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/is a cube .*pass plane/);
  });

  it('--plane 0,2 scores channel 2; --collapse sum and moment0 score the collapsed cube', async () => {
    for (const extra of [
      ['--plane', '0,2'],
      ['--collapse', 'sum'],
      ['--collapse', 'moment0'],
    ]) {
      const r = await run(...base(), ...extra, cubePath);
      expect(r.code, `${extra.join(' ')}: ${r.err}`).toBe(0);
      expect(r.out).toMatch(/\d+ candidates/);
      expect(r.out).toContain(cubePath);
    }
  });

  it('--plane and --collapse together, or an unknown method, are usage errors', async () => {
    expect((await run(...base(), '--plane', '0,1', '--collapse', 'sum', cubePath)).code).toBe(2);
    expect((await run(...base(), '--collapse', 'mean', cubePath)).code).toBe(2);
  });
});

describe('prepare --plane / --collapse', () => {
  it('a cube among the positives is used with --plane or --collapse, and refused without', async () => {
    const base = ['prepare', '--positives', join(dir, 'cubes'), '--synthetic-negatives', '2'];
    const none = await run(...base, '--out', join(dir, 'ds-none'));
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/no usable positives.*is a cube/);
    for (const [name, extra] of [
      ['ds-plane', ['--plane', '0,4']],
      ['ds-m0', ['--collapse', 'moment0']],
    ] as const) {
      const r = await run(...base, ...extra, '--out', join(dir, name));
      expect(r.code, r.err).toBe(0);
      const ds = await loadDataset(join(dir, name));
      expect(ds.samples.some((s) => s.source.endsWith('cube.fits'))).toBe(true);
    }
  });
});
