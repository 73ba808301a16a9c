// Draw each image operation applied to B335 for docs/image-operations.md:
//   npx tsx scripts/render-image-ops.ts [outDir]      (default docs/images)
// Writes docs/images/ops-*.png. Pictures are drawn with row 0 at the top (matplotlib's imshow
// default), the frame in which rotate()'s angle sense and principalAngle() are stated.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cloneImage, createRng, type Image2D } from '../src/core/index.js';
import { requireImage } from '../src/fits/index.js';
import { readFitsFile } from '../src/fits/index.node.js';
import {
  addNoise,
  cropAroundMax,
  cropCenter,
  cropCenterFraction,
  findSources,
  flip,
  geometricMean,
  normalize,
  principalAngle,
  randomLinearTransform,
  resize,
  rotate,
} from '../src/image/index.js';
import { renderPng, type RenderOptions } from '../src/report/index.js';

const OUT = process.argv[2] ?? 'docs/images';
const B335 = 'test/fixtures/fits/b335_2017_band6_0.fits';
/** Largest side of a picture, in screen pixels. */
const SIDE = 200;

const full = requireImage(await readFitsFile(B335));
const c400 = cropAroundMax(cropCenterFraction(full)).image;
// One colour scale for every B335 picture, so brightness compares across them.
const look: RenderOptions = {
  colormap: 'CMRmap_r',
  stretch: 'log',
  vmin: 0,
  vmax: maxOf(c400),
  flipY: false,
};

function maxOf(img: Image2D): number {
  let m = -Infinity;
  for (let i = 0; i < img.size; i++) m = Math.max(m, img.data[img.offset + i]);
  return m;
}

/** Shrink to at most SIDE pixels (anti-aliased) or magnify small images by an integer factor. */
function forDisplay(img: Image2D): { img: Image2D; scale: number } {
  const [rows, cols] = img.shape;
  const side = Math.max(rows, cols);
  if (side > SIDE) {
    const f = SIDE / side;
    return { img: resize(img, [Math.round(rows * f), Math.round(cols * f)]), scale: 1 };
  }
  return { img, scale: Math.max(1, Math.floor(SIDE / side)) };
}

async function save(name: string, img: Image2D, opts: RenderOptions = look): Promise<void> {
  const shown = forDisplay(img);
  const png = renderPng(shown.img, { ...opts, scale: shown.scale });
  await writeFile(join(OUT, `ops-${name}.png`), png);
  console.log(`ops-${name}.png  [${img.shape.join(' x ')}]  ${(png.length / 1024).toFixed(1)} KiB`);
}

await mkdir(OUT, { recursive: true });
await save('original', full);
await save('crop-center-fraction', cropCenterFraction(full));
await save('crop-around-max', c400);
await save('crop-center', cropCenter(c400, { size: 100 }));
await save('flip-lr', flip(c400, 'lr'));
await save('flip-ud', flip(c400, 'ud'));
await save('rotate', rotate(c400, 30, { order: 3 }));
await save('rotate-reshape', rotate(c400, 30, { order: 1, reshape: true }));
await save('resize', resize(c400, [50, 50]));
await save('geometric-mean', geometricMean(c400, flip(c400, 'ud')));
const unit = normalize(c400, { method: 'percentile', percentiles: [1, 99.9] });
await save('normalize', unit, { ...look, vmin: 0, vmax: 1 });
await save('noise-gaussian', addNoise(c400, createRng(1), { kind: 'gaussian', scale: 3 }));
await save(
  'random-linear-transform',
  randomLinearTransform(cropCenterFraction(full), createRng(7)),
);

// Sources: outline each bounding box with NaN, drawn in cyan.
const centre = cropCenter(c400, { size: 200 });
const boxed = cloneImage(centre);
for (const s of findSources(centre, { threshold: 5 })) {
  const { rowMin, rowMax, colMin, colMax } = s.bbox;
  for (let r = rowMin - 1; r <= rowMax + 1; r++) {
    for (let c = colMin - 1; c <= colMax + 1; c++) {
      const onEdge = r === rowMin - 1 || r === rowMax + 1 || c === colMin - 1 || c === colMax + 1;
      if (onEdge && r >= 0 && c >= 0 && r < 200 && c < 200) boxed.set(r, c, NaN);
    }
  }
}
await save('find-sources', boxed, { ...look, nanColor: '#00c8ff' });

const angle = principalAngle(centre);
await save('principal-angle', rotate(centre, -angle, { order: 3 }));
console.log(`principal angle of B335's brightest source: ${angle.toFixed(1)}°`);
