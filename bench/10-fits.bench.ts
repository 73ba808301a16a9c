/**
 * FITS reading against astropy.io.fits: the 4 MB B335 file (1000x1000x1x1 float32) from disk to
 * an Image2D, beside `python_peers.py`'s `read_fits_ms` (fits.open(memmap=False), squeeze, to
 * native float32) from the same run. Our figure is given twice: right after one warm-up read,
 * as `medianMs` measures everything (the JIT is still compiling the header walk), and in steady
 * state after 30 more reads, which is what a pipeline reading many files sees.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { requireImage, writeFits } from '../src/fits/index.js';
import { readFits } from '../src/fits/index.node.js';
import { fixtures, medianMs, printTable, runPeer, type BenchRow } from './peers.js';

export default async function bench(): Promise<void> {
  const path = resolve(fixtures, 'fits', 'b335_2017_band6_0.fits');
  const peer = await runPeer('python_peers.py', [path]);
  const bytes = readFileSync(path);
  const img = requireImage(readFits(bytes));
  const readOnce = async (): Promise<unknown> => requireImage(await readFits(path));
  const astropy = typeof peer?.read_fits_ms === 'number' ? peer.read_fits_ms : undefined;
  const cold = await medianMs(readOnce, 15);
  for (let i = 0; i < 30; i++) await readOnce();
  const rows: BenchRow[] = [
    {
      name: 'read B335 file → Image2D (first reads)',
      ours: cold,
      peer: astropy,
      unit: 'ms',
      better: 'lower',
    },
    {
      name: 'read B335 file → Image2D (steady)',
      ours: await medianMs(readOnce, 25),
      peer: astropy,
      unit: 'ms',
      better: 'lower',
    },
    // Not in the peer script; printed for scale.
    {
      name: 'readFits from memory (4 MB)',
      ours: await medianMs(() => readFits(bytes), 25),
      peer: undefined,
      unit: 'ms',
      better: 'lower',
    },
    {
      name: 'writeFits 1000x1000 float32',
      ours: await medianMs(() => writeFits(img), 15),
      peer: undefined,
      unit: 'ms',
      better: 'lower',
    },
  ];
  printTable('FITS I/O (astropy.io.fits peer)', rows);
}
