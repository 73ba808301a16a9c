/**
 * Every golden in test/fixtures/reference/ops.json (numpy, scipy.ndimage.rotate and
 * skimage.transform.resize 0.19 on the real fixtures, made by shared/reference/make_reference.py)
 * is checked here with the tolerance it states.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Image2D } from '../src/core/image2d.js';
import { readNpy } from '../src/fits/npy.js';
import { requireImage } from '../src/fits/read.js';
import { readFitsFile } from '../src/fits/index.node.js';
import {
  cropAroundMax,
  cropCenter,
  cropCenterFraction,
  flip,
  geometricMean,
  resize,
  rotate,
  type FlipAxis,
  type InterpolationOrder,
} from '../src/image/index.js';

const reference = new URL('./fixtures/reference/', import.meta.url);
const fitsDir = new URL('./fixtures/fits/', import.meta.url);

interface Golden {
  name: string;
  file: string;
  shape: [number, number];
  input: string;
  op: string;
  params: Record<string, unknown>;
  tolerance: string;
}

const goldens = JSON.parse(readFileSync(new URL('ops.json', reference), 'utf8')) as Golden[];

function loadGolden(name: string): Image2D {
  const g = goldens.find((x) => x.name === name);
  if (!g) throw new Error(`no golden named ${name}`);
  const a = readNpy(new Uint8Array(readFileSync(new URL(g.file, reference))), { name: g.file });
  if (!(a.data instanceof Float32Array || a.data instanceof Float64Array)) {
    throw new Error(`${g.file}: expected float pixels`);
  }
  return a as Image2D;
}

async function loadInput(input: string): Promise<Image2D> {
  if (input.endsWith('.fits')) {
    return requireImage(await readFitsFile(new URL(input, fitsDir).pathname));
  }
  return loadGolden(input);
}

function apply(g: Golden, input: Image2D): Image2D {
  const p = g.params;
  switch (g.op) {
    case 'cropCenterFraction':
      return cropCenterFraction(input, { fraction: p.fraction as number });
    case 'cropAroundMax':
      return cropAroundMax(input, { size: p.size as number }).image;
    case 'cropCenter':
      return cropCenter(input, { size: p.size as number });
    case 'flip':
      return flip(input, p.axis as FlipAxis);
    case 'geometricMean':
      return geometricMean(input, loadGolden(p.with as string));
    case 'rotate':
      return rotate(input, p.degrees as number, {
        order: p.order as InterpolationOrder,
        reshape: p.reshape as boolean,
        cval: (p.cval as number | undefined) ?? 0,
      });
    case 'resize':
      return resize(input, p.shape as [number, number], {
        order: p.order as InterpolationOrder,
        antiAlias: p.antiAlias as boolean,
      });
    default:
      throw new Error(`golden ${g.name}: unknown op ${g.op}`);
  }
}

type Tolerance =
  | { kind: 'exact' }
  | { kind: 'rtol'; rtol: number }
  | { kind: 'relmax'; factor: number; border: number };

/** Read the tolerance sentence; "as above" refers to the previous golden's. */
function parseTolerance(text: string, previous: Tolerance | undefined): Tolerance {
  if (/^exact/.test(text)) return { kind: 'exact' };
  const rtol = /^rtol ([\d.e+-]+)$/.exec(text);
  if (rtol) return { kind: 'rtol', rtol: Number(rtol[1]) };
  const rel = /max abs diff <= ([\d.e+-]+) \* max\|input\|/.exec(text);
  if (rel) {
    const border = /away from a (\d+)-pixel border/.exec(text);
    return { kind: 'relmax', factor: Number(rel[1]), border: border ? Number(border[1]) : 0 };
  }
  if (/as above/.test(text) && previous) return previous;
  throw new Error(`unrecognised tolerance "${text}"`);
}

function maxAbs(img: Image2D): number {
  let m = 0;
  for (let i = 0; i < img.size; i++) {
    const v = Math.abs(img.data[img.offset + i]);
    if (v > m) m = v;
  }
  return m;
}

describe('image operations match the numpy/scipy/skimage goldens (ops.json)', () => {
  let previous: Tolerance | undefined;
  const cases = goldens.map((g) => {
    previous = parseTolerance(g.tolerance, previous);
    return { g, tol: previous };
  });

  it('lists every operation of the original pipeline', () => {
    expect(new Set(goldens.map((g) => g.op))).toEqual(
      new Set([
        'cropCenterFraction',
        'cropAroundMax',
        'cropCenter',
        'flip',
        'geometricMean',
        'rotate',
        'resize',
      ]),
    );
  });

  it.each(cases)('$g.name ($g.op, $g.tolerance)', async ({ g, tol }) => {
    const input = await loadInput(g.input);
    const want = loadGolden(g.name);
    const got = apply(g, input);
    expect([...got.shape]).toEqual(g.shape);
    expect([...want.shape]).toEqual(g.shape);
    const [R, C] = g.shape;
    const scale = maxAbs(input);
    let worst = 0;
    let where = '';
    for (let r = 0; r < R; r++) {
      for (let c = 0; c < C; c++) {
        const a = got.get(r, c);
        const b = want.get(r, c);
        if (Number.isNaN(b) || Number.isNaN(a)) {
          if (Number.isNaN(a) !== Number.isNaN(b))
            throw new Error(`NaN mismatch at [${r}, ${c}]: ${a} vs ${b}`);
          continue;
        }
        let bad: number;
        if (tol.kind === 'exact') bad = Math.fround(a) === b ? 0 : Math.abs(a - b);
        else if (tol.kind === 'rtol')
          bad = Math.abs(a - b) / (tol.rtol * Math.abs(b)) > 1 ? Math.abs(a - b) : 0;
        else {
          if (r < tol.border || c < tol.border || r >= R - tol.border || c >= C - tol.border)
            continue;
          bad = Math.abs(a - b) > tol.factor * scale ? Math.abs(a - b) : 0;
        }
        if (bad > worst) {
          worst = bad;
          where = `[${r}, ${c}]: got ${a}, want ${b}`;
        }
      }
    }
    expect(where, `worst violation ${where}`).toBe('');
  });
});
