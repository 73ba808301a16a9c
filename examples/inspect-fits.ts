/**
 * Read the bundled real ALMA images the way `alma-classifier inspect` does, then round-trip
 * one through `writeFits` and `.npy`:
 *
 *   npx tsx examples/inspect-fits.ts [file.fits ...]
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import {
  readFits,
  readNpyFile,
  requireImage,
  toContiguous,
  writeFitsFile,
  writeNpyFile,
} from '../src/index.node.js';

const dir = new URL('../test/fixtures/fits/', import.meta.url).pathname;
const paths =
  process.argv.length > 2
    ? process.argv.slice(2)
    : readdirSync(dir)
        .filter((f) => f.endsWith('.fits'))
        .map((f) => join(dir, f));

for (const path of paths) {
  const file = await readFits(path);
  const img = requireImage(file); // squeezed to [rows, cols]; NaN = outside the primary beam
  const pixels = toContiguous(img);
  let nan = 0;
  let max = -Infinity;
  for (const v of pixels) {
    if (Number.isNaN(v)) nan++;
    else if (v > max) max = v;
  }
  const beam = ['BMAJ', 'BMIN'].map((k) => ((file.header.get(k) as number) * 3600).toFixed(3));
  console.log(
    `${file.header.get('OBJECT')}: ${img.shape.join('x')} px, beam ${beam.join('" x ')}", ` +
      `${nan} NaN, peak ${max.toExponential(3)} ${file.header.get('BUNIT')}`,
  );
}

// Write the first image back out with its header (WCS and beam carried over), and as .npy.
const out = await mkdtemp(join(tmpdir(), 'alma-fits-'));
const first = await readFits(paths[0]);
await writeFitsFile(join(out, 'copy.fits'), requireImage(first), first.header);
await writeNpyFile(join(out, 'copy.npy'), requireImage(first));
const again = await readFits(join(out, 'copy.fits'));
const npy = await readNpyFile(join(out, 'copy.npy'));
console.log(
  `wrote ${out}/copy.fits (CRVAL1 ${again.header.get('CRVAL1')}) and copy.npy [${npy.shape.join(', ')}]`,
);
