// Contact sheet of the evaluation-only second generator (bench/quality/second-generator.ts):
//   npx tsx scripts/render-second-generator.ts [out.png] [seed]
// (default docs/images/second-generator.png, seed 2024). Draws 24 scenes of 400x400 (every kind
// at least once, each wind geometry three times). Each scene is a pair of panels: the whole
// image shrunk 2.5x, and a zoom on the source (a window of 3 disk radii, or the wind's extent).
// North is up and east left (row 0 at the bottom, as DS9 shows FITS). The stretch is
// asinh(v / rms) / asinh(peak / rms) in 24 levels, so the noise takes the lowest tenth of the colours and a
// 3-sigma wind stays visible beside a bright disk. Grey is NaN (outside the primary beam). A tick
// at the lower left of the zoom marks the disk's projected minor axis. The caption gives index,
// kind, label and, for winds, inclination (i) and the wind's peak outside the disk in rms (w).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createImage2D } from '../src/core/image2d.js';
import { createRng } from '../src/core/random.js';
import { renderPng } from '../src/report/render.js';
import {
  generateSecondScene,
  SECOND_GENERATOR_KINDS,
  type SecondScene,
  type SecondSceneKind,
} from '../bench/quality/second-generator.js';

const OUT = process.argv[2] ?? 'docs/images/second-generator.png';
const SEED = Number(process.argv[3] ?? 2024);
const SIZE = 400;
/** Panel side in screen pixels (the whole 400-pixel image is shrunk 2.5x into it). */
const TILE = 160;
/** Scenes per row of the sheet (each two panels wide). */
const COLS = 4;
const ROWS = 6;
const GAP = 6;
const CAPTION = 22;
/** Value drawn black (the colormap's end), white (its start) and grey (NaN). */
const INK = 1;
const PAPER = 0;

// 5x7 glyphs, one string of 7 rows of 5 bits per character.
const GLYPHS: Record<string, string> = {
  a: '00000 00000 01110 00001 01111 10001 01111',
  b: '10000 10000 10110 11001 10001 10001 11110',
  c: '00000 00000 01110 10000 10000 10001 01110',
  d: '00001 00001 01101 10011 10001 10001 01111',
  e: '00000 00000 01110 10001 11111 10000 01110',
  f: '00110 01001 01000 11100 01000 01000 01000',
  g: '00000 01111 10001 10001 01111 00001 01110',
  h: '10000 10000 10110 11001 10001 10001 10001',
  i: '00100 00000 01100 00100 00100 00100 01110',
  j: '00010 00000 00110 00010 00010 10010 01100',
  k: '10000 10000 10010 10100 11000 10100 10010',
  l: '01100 00100 00100 00100 00100 00100 01110',
  m: '00000 00000 11010 10101 10101 10001 10001',
  n: '00000 00000 10110 11001 10001 10001 10001',
  o: '00000 00000 01110 10001 10001 10001 01110',
  p: '00000 00000 11110 10001 11110 10000 10000',
  q: '00000 00000 01101 10011 01111 00001 00001',
  r: '00000 00000 10110 11001 10000 10000 10000',
  s: '00000 00000 01110 10000 01110 00001 11110',
  t: '01000 01000 11100 01000 01000 01001 00110',
  u: '00000 00000 10001 10001 10001 10011 01101',
  v: '00000 00000 10001 10001 10001 01010 00100',
  w: '00000 00000 10001 10001 10101 10101 01010',
  x: '00000 00000 10001 01010 00100 01010 10001',
  y: '00000 00000 10001 10001 01111 00001 01110',
  z: '00000 00000 11111 00010 00100 01000 11111',
  '0': '01110 10001 10011 10101 11001 10001 01110',
  '1': '00100 01100 00100 00100 00100 00100 01110',
  '2': '01110 10001 00001 00010 00100 01000 11111',
  '3': '11111 00010 00100 00010 00001 10001 01110',
  '4': '00010 00110 01010 10010 11111 00010 00010',
  '5': '11111 10000 11110 00001 00001 10001 01110',
  '6': '00110 01000 10000 11110 10001 10001 01110',
  '7': '11111 00001 00010 00100 01000 01000 01000',
  '8': '01110 10001 10001 01110 10001 10001 01110',
  '9': '01110 10001 10001 01111 00001 00010 01100',
  '-': '00000 00000 00000 11111 00000 00000 00000',
  '=': '00000 00000 11111 00000 11111 00000 00000',
  '.': '00000 00000 00000 00000 00000 01100 01100',
  ' ': '00000 00000 00000 00000 00000 00000 00000',
  '#': '01010 01010 11111 01010 11111 01010 01010',
};

/** Which scenes to draw: every kind once, then each wind geometry twice more, then negatives. */
function sheetKinds(): SecondSceneKind[] {
  const all = SECOND_GENERATOR_KINDS.map((k) => k.kind);
  const winds = SECOND_GENERATOR_KINDS.filter((k) => k.label === 1).map((k) => k.kind);
  const list: SecondSceneKind[] = [...all, ...winds, ...winds];
  const extra: SecondSceneKind[] = ['edge-on-disk', 'binary', 'knot-jet', 'stripes', 'disk'];
  return [...list, ...extra].slice(0, COLS * ROWS);
}

/** Stretch to [0, 1]: asinh in units of the rms, clipped below at 0. */
function stretchOf(scene: SecondScene): (v: number) => number {
  const img = scene.image;
  const rms = Number(scene.params.rmsJyBeam);
  let peak = -Infinity;
  for (let k = 0; k < img.size; k++) if (img.data[k] > peak) peak = img.data[k];
  const norm = Math.asinh(peak / rms);
  // 24 levels: hardly distinguishable on screen, and far fewer PNG bytes than a smooth ramp.
  return (v) =>
    Number.isFinite(v) ? Math.round(24 * Math.max(0, Math.asinh(v / rms) / norm)) / 24 : NaN;
}

/** The whole image shrunk to TILE pixels: mean of the pixels whose centres fall in each box (NaN if any is NaN). */
function wholePanel(scene: SecondScene, stretch: (v: number) => number): Float32Array {
  const f = SIZE / TILE;
  const out = new Float32Array(TILE * TILE);
  for (let r = 0; r < TILE; r++) {
    for (let c = 0; c < TILE; c++) {
      let sum = 0;
      let n = 0;
      for (let y = Math.ceil(r * f - 0.5); y < (r + 1) * f - 0.5; y++) {
        for (let x = Math.ceil(c * f - 0.5); x < (c + 1) * f - 0.5; x++) {
          sum += scene.image.get(y, x);
          n++;
        }
      }
      out[r * TILE + c] = stretch(sum / n);
    }
  }
  return out;
}

/** A square window around the source, nearest-neighbour resampled to TILE pixels. */
function zoomPanel(scene: SecondScene, stretch: (v: number) => number): Float32Array {
  const p = scene.params;
  const cx = Number(p.diskCentreX ?? (SIZE - 1) / 2);
  const cy = Number(p.diskCentreY ?? (SIZE - 1) / 2);
  const radius = Number(p.diskRadiusPx ?? 10);
  const wind = Number(p.windProjectedLengthPx ?? 0) + radius;
  const beam = Number(p.beamMajorPx);
  const half = Math.min(SIZE / 2, Math.max(6 * beam, 3 * radius, 1.15 * wind));
  const out = new Float32Array(TILE * TILE);
  for (let r = 0; r < TILE; r++) {
    for (let c = 0; c < TILE; c++) {
      const y = Math.round(cy + ((r + 0.5) / TILE - 0.5) * 2 * half);
      const x = Math.round(cx + ((c + 0.5) / TILE - 0.5) * 2 * half);
      const inside = x >= 0 && y >= 0 && x < SIZE && y < SIZE;
      out[r * TILE + c] = inside ? stretch(scene.image.get(y, x)) : NaN;
    }
  }
  return out;
}

function caption(scene: SecondScene, i: number): string {
  const p = scene.params;
  let text = `#${i} ${scene.kind} ${scene.label}`;
  if (scene.label === 1) {
    text += ` i${Math.round(Number(p.diskInclinationDeg))} w${Number(p.windPeakSigma).toFixed(0)}`;
  }
  return text;
}

const width = COLS * (2 * TILE + 2) + (COLS + 1) * GAP;
const height = ROWS * (TILE + CAPTION) + (ROWS + 1) * GAP;
const sheet = createImage2D(height, width);
sheet.data.fill(PAPER);

function drawText(text: string, x0: number, y0: number, scale: number): void {
  let x = x0;
  for (const ch of text) {
    const glyph = GLYPHS[ch] ?? GLYPHS[' '];
    const rowsOfGlyph = glyph.split(' ');
    for (let gy = 0; gy < 7; gy++) {
      for (let gx = 0; gx < 5; gx++) {
        if (rowsOfGlyph[gy][gx] !== '1') continue;
        for (let sy = 0; sy < scale; sy++) {
          for (let sx = 0; sx < scale; sx++) {
            const yy = y0 + gy * scale + sy;
            const xx = x + gx * scale + sx;
            if (yy < height && xx < width) sheet.data[yy * width + xx] = INK;
          }
        }
      }
    }
    x += 6 * scale;
  }
}

const rng = createRng(SEED);
const kinds = sheetKinds();
const started = performance.now();
for (let i = 0; i < kinds.length; i++) {
  const scene = generateSecondScene(rng.fork(), { kind: kinds[i], index: i, size: SIZE });
  const col = i % COLS;
  const row = Math.floor(i / COLS);
  const x0 = GAP + col * (2 * TILE + 2 + GAP);
  const y0 = GAP + row * (TILE + CAPTION + GAP);
  const stretch = stretchOf(scene);
  const panels = [wholePanel(scene, stretch), zoomPanel(scene, stretch)];
  // Sheet row 0 is the top of the picture; panel row 0 is the image's first row (south), so flip.
  panels.forEach((panel, k) => {
    const px = x0 + k * (TILE + 2);
    for (let r = 0; r < TILE; r++) {
      for (let c = 0; c < TILE; c++)
        sheet.data[(y0 + TILE - 1 - r) * width + px + c] = panel[r * TILE + c];
    }
  });
  // Minor-axis tick at the lower left of the zoom, in the disk's minor-axis direction.
  const pa = Number(scene.params.diskMinorAxisPaDeg ?? NaN);
  if (Number.isFinite(pa)) {
    const dx = -Math.sin((pa * Math.PI) / 180);
    const dy = Math.cos((pa * Math.PI) / 180);
    for (let t = -9; t <= 9; t += 0.25) {
      const xx = Math.round(x0 + TILE + 2 + 14 + t * dx);
      const yy = Math.round(y0 + TILE - 14 - t * dy);
      sheet.data[yy * width + xx] = INK;
    }
  }
  drawText(caption(scene, i), x0, y0 + TILE + 5, 2);
  console.log(caption(scene, i));
}
console.log(
  `${kinds.length} scenes of ${SIZE}x${SIZE} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);

await mkdir(dirname(OUT), { recursive: true });
await writeFile(
  OUT,
  renderPng(sheet, { vmin: 0, vmax: 1, flipY: false, colormap: 'CMRmap_r', nanColor: '#9a9a9a' }),
);
console.log(`wrote ${OUT}`);
