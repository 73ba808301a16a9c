// Contact sheet of every synthesizeScene kind for docs/datasets.md:
//   npx tsx scripts/render-synthetic.ts [out.png] [draws per kind] [seed]
// (default docs/images/synthetic-kinds.png, 6 draws, seed 1). One row per kind (label in
// brackets: + wind, − not), several random draws each: the central 128 px of a 192 px scene at
// full resolution, north up and east left as on the sky.
// Each tile is stretched on its own: asinh with its knee at 5 σ of the noise, from −2 σ to the
// disk's peak, so a wind a few σ bright shows faintly and a bright one clearly. Under each tile:
// the disk's peak SNR, and for winds (and jet knots) the wind's peak in σ; grey is NaN.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createImage2D, createRng, type Image2D } from '../src/core/index.js';
import { SYNTHETIC_SCENE_KINDS, synthesizeScene } from '../src/dataset/index.js';
import { cropCenter } from '../src/image/index.js';
import { renderPng } from '../src/report/index.js';

const OUT = process.argv[2] ?? 'docs/images/synthetic-kinds.png';
const DRAWS = Number(process.argv[3] ?? 6);
const SEED = Number(process.argv[4] ?? 1);
/** Scene side in pixels and the side of its central crop shown as a tile. */
const SCENE = 192;
const TILE = 128;
const GAP = 6;
const CAPTION = 11;
const HEADER = 132;

// A 5x7 bitmap font for the captions ('#' = ink).
const GLYPHS: Record<string, readonly string[]> = {
  '0': ['.###.', '#...#', '#..##', '#.#.#', '##..#', '#...#', '.###.'],
  '1': ['..#..', '.##..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  '2': ['.###.', '#...#', '....#', '...#.', '..#..', '.#...', '#####'],
  '3': ['#####', '...#.', '..#..', '...#.', '....#', '#...#', '.###.'],
  '4': ['...#.', '..##.', '.#.#.', '#..#.', '#####', '...#.', '...#.'],
  '5': ['#####', '#....', '####.', '....#', '....#', '#...#', '.###.'],
  '6': ['..##.', '.#...', '#....', '####.', '#...#', '#...#', '.###.'],
  '7': ['#####', '....#', '...#.', '..#..', '.#...', '.#...', '.#...'],
  '8': ['.###.', '#...#', '#...#', '.###.', '#...#', '#...#', '.###.'],
  '9': ['.###.', '#...#', '#...#', '.####', '....#', '...#.', '.##..'],
  a: ['.....', '.....', '.###.', '....#', '.####', '#...#', '.####'],
  b: ['#....', '#....', '####.', '#...#', '#...#', '#...#', '####.'],
  c: ['.....', '.....', '.###.', '#....', '#....', '#...#', '.###.'],
  d: ['....#', '....#', '.####', '#...#', '#...#', '#...#', '.####'],
  e: ['.....', '.....', '.###.', '#...#', '#####', '#....', '.###.'],
  f: ['..##.', '.#..#', '.#...', '###..', '.#...', '.#...', '.#...'],
  g: ['.....', '.####', '#...#', '#...#', '.####', '....#', '.###.'],
  h: ['#....', '#....', '#.##.', '##..#', '#...#', '#...#', '#...#'],
  i: ['..#..', '.....', '.##..', '..#..', '..#..', '..#..', '.###.'],
  j: ['...#.', '.....', '..##.', '...#.', '...#.', '#..#.', '.##..'],
  k: ['#....', '#....', '#..#.', '#.#..', '##...', '#.#..', '#..#.'],
  l: ['.##..', '..#..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  m: ['.....', '.....', '##.#.', '#.#.#', '#.#.#', '#...#', '#...#'],
  n: ['.....', '.....', '#.##.', '##..#', '#...#', '#...#', '#...#'],
  o: ['.....', '.....', '.###.', '#...#', '#...#', '#...#', '.###.'],
  p: ['.....', '.....', '####.', '#...#', '####.', '#....', '#....'],
  q: ['.....', '.....', '.####', '#...#', '.####', '....#', '....#'],
  r: ['.....', '.....', '#.##.', '##..#', '#....', '#....', '#....'],
  s: ['.....', '.....', '.####', '#....', '.###.', '....#', '####.'],
  t: ['.#...', '.#...', '###..', '.#...', '.#...', '.#..#', '..##.'],
  u: ['.....', '.....', '#...#', '#...#', '#...#', '#..##', '.##.#'],
  v: ['.....', '.....', '#...#', '#...#', '#...#', '.#.#.', '..#..'],
  w: ['.....', '.....', '#...#', '#...#', '#.#.#', '#.#.#', '.#.#.'],
  x: ['.....', '.....', '#...#', '.#.#.', '..#..', '.#.#.', '#...#'],
  y: ['.....', '.....', '#...#', '#...#', '.####', '....#', '.###.'],
  z: ['.....', '.....', '#####', '...#.', '..#..', '.#...', '#####'],
  '-': ['.....', '.....', '.....', '#####', '.....', '.....', '.....'],
  '+': ['.....', '..#..', '..#..', '#####', '..#..', '..#..', '.....'],
  '(': ['...#.', '..#..', '.#...', '.#...', '.#...', '..#..', '...#.'],
  ')': ['.#...', '..#..', '...#.', '...#.', '...#.', '..#..', '.#...'],
  '=': ['.....', '.....', '#####', '.....', '#####', '.....', '.....'],
  '.': ['.....', '.....', '.....', '.....', '.....', '.##..', '.##..'],
  ' ': ['.....', '.....', '.....', '.....', '.....', '.....', '.....'],
};

function glyph(ch: string): boolean[] {
  return Array.from((GLYPHS[ch] ?? GLYPHS[' ']).join(''), (c) => c === '#');
}

/** Write `text` into `sheet` (values in [0, 1]) at its top-left `(row, col)`, in value 1. */
function text(sheet: Image2D, row: number, col: number, s: string): void {
  for (const [i, ch] of Array.from(s.toLowerCase()).entries()) {
    const g = glyph(ch);
    for (let k = 0; k < 35; k++) {
      if (!g[k]) continue;
      const r = row + Math.floor(k / 5);
      const c = col + i * 6 + (k % 5);
      if (r < sheet.shape[0] && c < sheet.shape[1]) sheet.set(r, c, 1);
    }
  }
}

const kinds = SYNTHETIC_SCENE_KINDS;
const rowHeight = TILE + CAPTION + GAP;
const width = HEADER + DRAWS * (TILE + GAP);
const height = kinds.length * rowHeight + GAP;
const sheet = createImage2D(height, width);
const rng = createRng(SEED);

for (const [k, info] of kinds.entries()) {
  const top = GAP + k * rowHeight;
  text(sheet, top + TILE / 2 - 8, 4, info.kind);
  text(sheet, top + TILE / 2 + 2, 4, info.label === 'positive' ? '(+ wind)' : '(- not)');
  for (let d = 0; d < DRAWS; d++) {
    const scene = synthesizeScene(rng.fork(), { kind: info.kind, size: SCENE });
    const rms = Number(scene.params.rms);
    const peak = Number(scene.params.snr) * rms;
    const small = cropCenter(scene.image, { size: TILE });
    // asinh from -2 sigma to the peak, knee at 5 sigma; NaN stays NaN (drawn grey).
    const lo = -2 * rms;
    const a = Math.min(Math.max((5 * rms) / (peak - lo), 0.01), 0.3);
    const norm = Math.asinh(1 / a);
    const left = HEADER + d * (TILE + GAP);
    for (let r = 0; r < TILE; r++) {
      for (let c = 0; c < TILE; c++) {
        // Row 0 of the scene at the bottom: north up.
        const v = small.get(TILE - 1 - r, c);
        const x = Math.min(Math.max((v - lo) / (peak - lo), 0), 1);
        sheet.set(top + r, left + c, Number.isNaN(v) ? NaN : Math.asinh(x / a) / norm);
      }
    }
    const snr = `snr ${Math.round(Number(scene.params.snr))}`;
    const wind = scene.params.windSnr ?? scene.params.knotSnr;
    const caption = wind === undefined ? snr : `${snr} w ${Number(wind).toFixed(1)}`;
    text(sheet, top + TILE + 2, left, caption);
  }
}

await mkdir(dirname(OUT), { recursive: true });
const png = renderPng(sheet, {
  colormap: 'CMRmap_r',
  vmin: 0,
  vmax: 1,
  flipY: false,
  nanColor: '#c8c8c8',
});
await writeFile(OUT, png);
console.log(`${OUT}  ${width} x ${height}  ${(png.length / 1024).toFixed(0)} KiB`);
