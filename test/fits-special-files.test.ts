/**
 * FITS inputs that used to hang, crash or mislead: a FIFO (opening it for a blocking read waits
 * for a writer forever), an image whose NAXIS1 is 0 (no pixels, whatever PCOUNT says), and
 * `inspect` on a cube of 130,000 planes (its table overflowed the call stack).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FitsError } from '../src/core/errors.js';
import { runCli as cli } from './helpers/cli.js';
import { readFits } from '../src/fits/read.js';
import { openFits, readFitsFile } from '../src/fits/index.node.js';
import { EMPTY_PRIMARY, buildFits, cubeHdu, type RawHdu } from './helpers/fits-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'fits-special-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a FIFO is refused, not waited on', () => {
  it.runIf(process.platform !== 'win32')(
    'readFitsFile, openFits and inspect on a FIFO return at once (in a child process, so a hang cannot stall the suite)',
    async () => {
      const fifo = join(dir, 'pipe.fits');
      execFileSync('mkfifo', [fifo]);
      const script = `
        import { readFitsFile, openFits } from ${JSON.stringify(new URL('../src/fits/index.node.ts', import.meta.url).pathname)};
        for (const read of [readFitsFile, openFits]) {
          try { await read(${JSON.stringify(fifo)}); console.log('read it'); }
          catch (e) { console.log(e.constructor.name + ': ' + e.message); }
        }`;
      const run = (args: string[]) =>
        new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
          execFile(process.execPath, args, { timeout: 20_000 }, (err, stdout, stderr) =>
            done({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
          );
        });
      const lib = await run(['--import', 'tsx', '--input-type=module', '-e', script]);
      expect(lib.stdout.trim().split('\n')).toEqual([
        `FitsError: ${fifo}: cannot read (not a regular file (a FIFO, device or socket))`,
        `FitsError: ${fifo}: cannot read (not a regular file (a FIFO, device or socket))`,
      ]);
      const mainTs = new URL('../src/cli/main.ts', import.meta.url).pathname;
      const insp = await run(['--import', 'tsx', mainTs, 'inspect', fifo]);
      expect(insp.code).toBe(1);
      expect(insp.stderr).toContain(`${fifo}: cannot read (not a regular file`);
    },
    60_000,
  );
});

describe('an image with an axis of length 0 has no data', () => {
  const zeroAxis = (first: boolean): RawHdu => ({
    cards: [
      first ? ['SIMPLE', 'T'] : ['XTENSION', "'IMAGE   '"],
      ['BITPIX', '-32'],
      ['NAXIS', '2'],
      ['NAXIS1', '0'],
      ['NAXIS2', '5'],
      // A PCOUNT in an image header (not standard) gave it a data size, and a [5, 0] image.
      ['PCOUNT', '10'],
      ['GCOUNT', '1'],
    ],
    data: new Uint8Array(40),
  });
  for (const [what, hdus] of [
    ['primary', [zeroAxis(true)]],
    ['extension', [EMPTY_PRIMARY, zeroAxis(false)]],
  ] as const) {
    it(`NAXIS1 = 0 in the ${what} HDU: kind empty, no image`, async () => {
      const bytes = buildFits([...hdus]);
      const file = readFits(bytes, { name: 'zero.fits' });
      expect(file.hdus.at(-1)?.kind).toBe('empty');
      expect(file.image).toBeUndefined();
      const path = join(dir, `zero-${what}.fits`);
      writeFileSync(path, bytes);
      expect((await readFitsFile(path)).image).toBeUndefined();
      const reader = await openFits(path);
      await expect(reader.read()).rejects.toThrow(FitsError);
      await reader.close();
      expect(() => readFits(bytes, { hdu: hdus.length - 1 })).toThrow(/is empty \(no data\)/);
      const r = await cli('inspect', path);
      expect(r.out).toMatch(/image {3}none/);
    });
  }
});

describe('inspect on a cube of 130,000 planes', () => {
  it('prints the cube and every plane instead of overflowing the call stack', async () => {
    const n = 130_000;
    const path = join(dir, 'tall-cube.fits');
    writeFileSync(
      path,
      buildFits([
        cubeHdu(
          -32,
          [2, 2, n],
          Array.from({ length: 4 * n }, (_, i) => i % 97),
        ),
      ]),
    );
    const r = await cli('inspect', path);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`a cube of shape [${n}, 2, 2]: ${n} planes of [2, 2]`);
    expect(r.out).toContain(`[${n - 1}]`);
  }, 60_000);
});
