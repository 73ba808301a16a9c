// The script of docs/getting-started.md: read a FITS file, crop around its peak, render it, and
// score it with the model the demo trained. Run `npm run demo` first, then:
//   npx tsx examples/getting-started.ts
// In your own project, import from 'alma-classifier' instead of '../src/index.node.js'.
import { writeFile } from 'node:fs/promises';
import {
  classify,
  cropAroundMax,
  loadModel,
  readFits,
  renderPng,
  requireImage,
} from '../src/index.node.js';

const dir = process.argv[2] ?? 'demo-output';

// Read an ALMA continuum image (degenerate Stokes/frequency axes are squeezed away).
const fits = await readFits(`${dir}/data/real/serpenssouthc7_2019_band6_0.fits`);
const image = requireImage(fits); // ndarray [rows, cols], NaN outside the primary beam
console.log(fits.header.get('OBJECT'), image.shape);

// Cut 400x400 around the brightest pixel of the central half, as the original pipeline did.
const { image: crop, center } = cropAroundMax(image, { size: 400, searchFraction: 0.5 });
console.log('peak at', center);
await writeFile('crop.png', renderPng(crop, { stretch: 'asinh' }));

// Score it with the model the demo trained: every object in the image gets a score.
const model = await loadModel(`${dir}/model`);
for (const c of await classify(model, [fits.name])) {
  console.log(c.score.toFixed(3), c.label, c.peak);
}
