import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../src/core/version.js';
import { createRng, mix32, shuffleInPlace } from '../src/core/random.js';
import { cloneImage, createImage2D, toContiguous } from '../src/core/image2d.js';

describe('package', () => {
  it('VERSION equals package.json version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(VERSION).toBe(pkg.version);
  });
});

describe('createRng', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const sa = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(sa);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(sa);
  });
  it('draws uniform values in [0, 1) with mean near 0.5 and normals with unit variance', () => {
    const r = createRng(1);
    let sum = 0;
    let sq = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      sum += u;
      const g = r.normal();
      sq += g * g;
    }
    expect(sum / n).toBeCloseTo(0.5, 1);
    expect(sq / n).toBeCloseTo(1, 1);
  });
  it('int covers both ends', () => {
    const r = createRng(7);
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) seen.add(r.int(0, 3));
    expect([...seen].sort()).toEqual([0, 1, 2, 3]);
  });
  it('keeps the sequences and seed mixing of earlier versions (seeded runs stay reproducible)', () => {
    // Values from the code before mix32 and fmix32 moved into core/random.ts.
    const r = createRng(42);
    expect([r.next(), r.next()]).toEqual([0.23955312534235418, 0.5859209857881069]);
    expect(mix32(42, 7)).toBe(3035858295);
    expect(mix32(0, 0)).toBe(2037038050);
    // FNV-1a of the float64 bits of 100,000 draws of next, normal, int and a fork's normal,
    // recorded with the code before the generator's state moved into typed arrays.
    const g = createRng(12345);
    const f = new Float64Array(1);
    const u = new Uint32Array(f.buffer);
    let h = 0x811c9dc5;
    for (let i = 0; i < 100000; i++) {
      const k = i % 4;
      f[0] =
        k === 0 ? g.next() : k === 1 ? g.normal() : k === 2 ? g.int(-5, 1000) : g.fork().normal();
      h = Math.imul(h ^ u[0], 0x01000193) >>> 0;
      h = Math.imul(h ^ u[1], 0x01000193) >>> 0;
    }
    expect(h.toString(16)).toBe('76293017');
  });
  it('shuffleInPlace is a seeded permutation', () => {
    const x = shuffleInPlace([1, 2, 3, 4, 5, 6], createRng(3));
    expect([...x].sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(shuffleInPlace([1, 2, 3, 4, 5, 6], createRng(3))).toEqual(x);
  });
});

describe('Image2D helpers', () => {
  it('createImage2D rejects a wrong data length', () => {
    expect(() => createImage2D(2, 2, new Float32Array(3))).toThrow(RangeError);
  });
  it('toContiguous copies a strided view in row-major order', () => {
    const img = createImage2D(2, 3, Float32Array.from([1, 2, 3, 4, 5, 6]));
    expect(Array.from(toContiguous(img.transpose(1, 0)))).toEqual([1, 4, 2, 5, 3, 6]);
    const c = cloneImage(img.step(-1, 1));
    expect(Array.from(c.data)).toEqual([4, 5, 6, 1, 2, 3]);
  });
});
