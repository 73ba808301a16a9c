import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FITS_DIR, REAL_FITS } from './helpers/fits-fixtures.js';

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
  });
});
