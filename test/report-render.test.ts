import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { createImage2D } from '../src/core/index.js';
import {
  colormapColor,
  colormapTable,
  parseColor,
  renderPng,
  renderRgba,
  zscaleLimits,
  type RenderOptions,
} from '../src/report/index.js';

// A 4 x 5 test image with a NaN, a value below the others and one above.
const PIXELS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, NaN, -1, 20, 15, 2.5, 7.25];
const image = () => createImage2D(4, 5, Float32Array.from(PIXELS));

// Expected RGBA per pixel (row-major, row 0 first) from matplotlib 3.6.3 + astropy 5.2.1:
//   x = clip((img - vmin) / (vmax - vmin), 0, 1); y = Stretch()(x);
//   matplotlib.colormaps[cmap](y, bytes=True)
// with vmin/vmax = nanmin/nanmax unless given.
const EXPECTED: Record<string, { opts: RenderOptions; rgba: number[][] }> = {
  'CMRmap_r linear': {
    opts: {},
    rgba: [
      [245, 245, 207, 255],
      [235, 235, 159, 255],
      [229, 224, 114, 255],
      [229, 210, 75, 255],
      [229, 195, 37, 255],
      [229, 172, 18, 255],
      [229, 148, 8, 255],
      [230, 124, 1, 255],
      [240, 100, 16, 255],
      [249, 76, 30, 255],
      [234, 61, 56, 255],
      [195, 56, 90, 255],
      [157, 51, 123, 255],
      [127, 46, 148, 255],
      [0, 0, 0, 0],
      [255, 255, 255, 255],
      [0, 0, 0, 255],
      [72, 38, 183, 255],
      [229, 217, 95, 255],
      [233, 118, 5, 255],
    ],
  },
  'viridis sqrt': {
    opts: { colormap: 'viridis', stretch: 'sqrt' },
    rgba: [
      [62, 72, 136, 255],
      [51, 97, 141, 255],
      [44, 114, 142, 255],
      [38, 128, 142, 255],
      [33, 140, 141, 255],
      [30, 152, 138, 255],
      [31, 162, 134, 255],
      [38, 172, 129, 255],
      [48, 180, 122, 255],
      [62, 188, 115, 255],
      [79, 195, 105, 255],
      [96, 201, 96, 255],
      [114, 207, 85, 255],
      [134, 212, 73, 255],
      [0, 0, 0, 0],
      [68, 1, 84, 255],
      [253, 231, 36, 255],
      [170, 219, 50, 255],
      [40, 122, 142, 255],
      [40, 174, 127, 255],
    ],
  },
  'rainbow log': {
    opts: { colormap: 'rainbow', stretch: 'log' },
    rgba: [
      [158, 250, 162, 255],
      [210, 222, 128, 255],
      [240, 195, 108, 255],
      [255, 174, 93, 255],
      [255, 154, 81, 255],
      [255, 136, 71, 255],
      [255, 120, 62, 255],
      [255, 106, 54, 255],
      [255, 95, 48, 255],
      [255, 83, 42, 255],
      [255, 71, 36, 255],
      [255, 62, 31, 255],
      [255, 53, 26, 255],
      [255, 46, 23, 255],
      [0, 0, 0, 0],
      [127, 0, 255, 255],
      [255, 0, 0, 255],
      [255, 31, 15, 255],
      [250, 185, 100, 255],
      [255, 103, 53, 255],
    ],
  },
  'gray asinh': {
    opts: { colormap: 'gray', stretch: 'asinh' },
    rgba: [
      [39, 39, 39, 255],
      [72, 72, 72, 255],
      [97, 97, 97, 255],
      [119, 119, 119, 255],
      [136, 136, 136, 255],
      [151, 151, 151, 255],
      [163, 163, 163, 255],
      [174, 174, 174, 255],
      [184, 184, 184, 255],
      [193, 193, 193, 255],
      [201, 201, 201, 255],
      [208, 208, 208, 255],
      [215, 215, 215, 255],
      [221, 221, 221, 255],
      [0, 0, 0, 0],
      [0, 0, 0, 255],
      [255, 255, 255, 255],
      [232, 232, 232, 255],
      [109, 109, 109, 255],
      [177, 177, 177, 255],
    ],
  },
  'CMRmap_r linear vmin 0 vmax 10': {
    opts: { vmin: 0, vmax: 10 },
    rgba: [
      [255, 255, 255, 255],
      [235, 235, 155, 255],
      [229, 206, 66, 255],
      [229, 166, 15, 255],
      [234, 114, 7, 255],
      [253, 63, 39, 255],
      [173, 53, 109, 255],
      [105, 43, 166, 255],
      [61, 38, 165, 255],
      [30, 30, 100, 255],
      [0, 0, 0, 255],
      [0, 0, 0, 255],
      [0, 0, 0, 255],
      [0, 0, 0, 255],
      [0, 0, 0, 0],
      [255, 255, 255, 255],
      [0, 0, 0, 255],
      [0, 0, 0, 255],
      [229, 190, 25, 255],
      [91, 40, 178, 255],
    ],
  },
};

function pixelsTopDown(data: ArrayLike<number>, width: number, height: number): number[][] {
  const out: number[][] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = 4 * (y * width + x);
      out.push([data[p], data[p + 1], data[p + 2], data[p + 3]]);
    }
  }
  return out;
}

describe('colormaps', () => {
  it('CMRmap interpolates linearly between its nine nodes', () => {
    // Node x = 0.5 is (1, 0.25, 0.15); entry 128 sits at x = 128/255, 1/255 past the node
    // toward (0.9, 0.5, 0.0) at x = 0.625, i.e. distance (128/255 - 0.5) / 0.125.
    const d = (128 / 255 - 0.5) / 0.125;
    const expected = [1 + d * (0.9 - 1), 0.25 + d * (0.5 - 0.25), 0.15 + d * (0 - 0.15)];
    const lut = colormapTable('CMRmap');
    expect([lut[3 * 128], lut[3 * 128 + 1], lut[3 * 128 + 2]]).toEqual(
      expected.map((v) => Math.floor(v * 255)),
    );
    expect(colormapColor('CMRmap', 0)).toEqual([0, 0, 0]);
    expect(colormapColor('CMRmap', 1)).toEqual([255, 255, 255]);
  });

  it('CMRmap_r runs from white to black (the thesis colormap)', () => {
    expect(colormapColor('CMRmap_r', 0)).toEqual([255, 255, 255]);
    expect(colormapColor('CMRmap_r', 1)).toEqual([0, 0, 0]);
  });

  it('rainbow follows the gnuplot formulae |2x - 0.5|, sin(pi x), cos(pi x / 2)', () => {
    for (const i of [0, 37, 64, 128, 200, 255]) {
      const x = i / 255;
      const want = [Math.abs(2 * x - 0.5), Math.sin(x * Math.PI), Math.cos((x * Math.PI) / 2)].map(
        (v) => Math.floor(Math.min(1, Math.max(0, v)) * 255),
      );
      expect(colormapColor('rainbow', (i + 0.5) / 256)).toEqual(want);
    }
  });

  it('viridis uses the published table (ends and middle)', () => {
    // _viridis_data[0], [128] and [255] times 255, truncated.
    expect(colormapColor('viridis', 0)).toEqual([68, 1, 84]);
    expect(colormapColor('viridis', 128 / 256)).toEqual([32, 144, 140]);
    expect(colormapColor('viridis', 1)).toEqual([253, 231, 36]);
  });

  it('gray is a black-to-white ramp, truncated to bytes as matplotlib does', () => {
    const lut = colormapTable('gray');
    for (let i = 0; i < 256; i++) {
      expect(i - lut[3 * i]).toBeGreaterThanOrEqual(0);
      expect(i - lut[3 * i]).toBeLessThanOrEqual(1);
      expect(lut[3 * i + 1]).toBe(lut[3 * i]);
    }
    // 33 * (1 / 255) * 255 falls just short of 33 in binary floating point; matplotlib gives 32 too.
    expect(lut[3 * 33]).toBe(32);
    expect([lut[0], lut[765]]).toEqual([0, 255]);
  });

  it('values outside [0, 1] take the end colours', () => {
    expect(colormapColor('viridis', -3)).toEqual(colormapColor('viridis', 0));
    expect(colormapColor('viridis', 7)).toEqual(colormapColor('viridis', 1));
  });

  it('rejects unknown colormap names', () => {
    expect(() => colormapTable('jet' as never)).toThrow(/unknown colormap 'jet'/);
  });
});

describe('renderRgba', () => {
  for (const [name, { opts, rgba }] of Object.entries(EXPECTED)) {
    it(`matches matplotlib + astropy pixel for pixel: ${name}`, () => {
      const out = renderRgba(image(), { ...opts, flipY: false });
      expect(out.width).toBe(5);
      expect(out.height).toBe(4);
      expect(pixelsTopDown(out.data, 5, 4)).toEqual(rgba);
    });
  }

  it('draws row 0 at the bottom by default (flipY)', () => {
    const flipped = renderRgba(image());
    const plain = renderRgba(image(), { flipY: false });
    const rows = (d: Uint8ClampedArray, y: number) => Array.from(d.subarray(20 * y, 20 * y + 20));
    for (let y = 0; y < 4; y++) expect(rows(flipped.data, y)).toEqual(rows(plain.data, 3 - y));
  });

  it('scales by whole pixels with nearest neighbour', () => {
    const one = renderRgba(image(), { flipY: false });
    const three = renderRgba(image(), { flipY: false, scale: 3 });
    expect([three.width, three.height]).toEqual([15, 12]);
    for (const [y, x] of [
      [0, 0],
      [5, 7],
      [11, 14],
      [8, 13],
    ]) {
      const a = Array.from(three.data.subarray(4 * (y * 15 + x), 4 * (y * 15 + x) + 4));
      const sx = Math.floor(x / 3);
      const sy = Math.floor(y / 3);
      expect(a).toEqual(Array.from(one.data.subarray(4 * (sy * 5 + sx), 4 * (sy * 5 + sx) + 4)));
    }
  });

  it('paints NaN and infinities with nanColor and keeps them out of the limits', () => {
    const img = createImage2D(1, 4, Float32Array.from([NaN, 0, Infinity, 1]));
    const out = renderRgba(img, { colormap: 'gray', nanColor: '#ff000080', flipY: false });
    expect(pixelsTopDown(out.data, 4, 1)).toEqual([
      [255, 0, 0, 128],
      [0, 0, 0, 255],
      [255, 0, 0, 128],
      [255, 255, 255, 255],
    ]);
  });

  it('gives a constant image the first colour and an all-NaN image nanColor', () => {
    const flat = renderRgba(createImage2D(2, 2, new Float32Array(4).fill(3)), { colormap: 'gray' });
    expect(Array.from(flat.data.subarray(0, 4))).toEqual([0, 0, 0, 255]);
    const empty = renderRgba(createImage2D(1, 2, new Float32Array(2).fill(NaN)), {
      nanColor: [1, 2, 3],
    });
    expect(Array.from(empty.data)).toEqual([1, 2, 3, 255, 1, 2, 3, 255]);
  });

  it('zscale stretch maps the zscale limits to the ends of the colormap', () => {
    const n = 2000;
    const px = Float32Array.from(
      { length: n },
      (_, i) => Math.sin(i * 0.7) * 10 + (i % 50 ? 0 : 1e3),
    );
    const img = createImage2D(40, 50, px);
    const [lo, hi] = zscaleLimits(img);
    const z = renderRgba(img, { stretch: 'zscale', colormap: 'gray', flipY: false });
    const lin = renderRgba(img, { vmin: lo, vmax: hi, colormap: 'gray', flipY: false });
    expect(Array.from(z.data)).toEqual(Array.from(lin.data));
    // The outliers at 1000 saturate instead of crushing the rest of the image into black.
    expect(z.data[0]).toBe(255);
    expect(z.data[4]).toBeGreaterThan(0);
  });

  it('does not modify its input', () => {
    const img = image();
    const before = Array.from(img.data);
    renderRgba(img, { stretch: 'zscale', scale: 2 });
    expect(Array.from(img.data)).toEqual(before);
  });

  it('reads strided views (e.g. transposes) by logical index', () => {
    const img = image().transpose(1, 0);
    const out = renderRgba(img, { colormap: 'gray', vmin: 0, vmax: 20, flipY: false });
    // Output pixel (y = 2, x = 1) is logical (2, 1) = original (1, 2) = 7.
    expect(out.data[4 * (2 * 4 + 1)]).toBe(Math.floor((Math.floor((7 / 20) * 256) / 255) * 255));
  });

  it('rejects bad options with messages naming the option', () => {
    expect(() => renderRgba(image(), { vmin: 5, vmax: 1 })).toThrow(/vmin \(5\).*vmax \(1\)/);
    expect(() => renderRgba(image(), { scale: 1.5 })).toThrow(/scale/);
    expect(() => renderRgba(image(), { stretch: 'cube' as never })).toThrow(/unknown stretch/);
    expect(() => renderRgba(image(), { nanColor: 'red' })).toThrow(/colour 'red'/);
  });
});

describe('renderPng', () => {
  it('encodes an 8-bit RGBA PNG that decodes back to the rendered pixels', () => {
    const png = renderPng(image(), { colormap: 'viridis', scale: 2 });
    expect(Array.from(png.subarray(0, 8))).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    const decoded = decode(png);
    expect([decoded.width, decoded.height, decoded.channels, decoded.depth]).toEqual([10, 8, 4, 8]);
    const rgba = renderRgba(image(), { colormap: 'viridis', scale: 2 });
    expect(Array.from(decoded.data)).toEqual(Array.from(rgba.data));
  });
});

describe('parseColor', () => {
  it('reads short, long and alpha hex forms and byte tuples', () => {
    expect(parseColor('#abc')).toEqual([170, 187, 204, 255]);
    expect(parseColor('#102030')).toEqual([16, 32, 48, 255]);
    expect(parseColor('#10203040')).toEqual([16, 32, 48, 64]);
    expect(parseColor([1, 2, 3])).toEqual([1, 2, 3, 255]);
    expect(() => parseColor([1, 2, 300])).toThrow(/0–255/);
  });
});

describe('zscaleLimits', () => {
  // Expected values: astropy 5.2.1 ZScaleInterval().get_limits on the same float64 arrays.
  const idx = (n: number) => Array.from({ length: n }, (_, i) => i);

  it('matches astropy on a sine with sparse bright outliers', () => {
    const a = idx(5000).map((i) => Math.sin(i * 0.7) * 10 + (i % 50 === 0 ? 1000 : 0) + i * 0.001);
    const [lo, hi] = zscaleLimits(a);
    expect(lo).toBeCloseTo(-9.7317328877408, 9);
    expect(hi).toBeCloseTo(59.844404229300686, 9);
  });

  it('matches astropy when the fit is abandoned (limits are the sample extremes), skipping NaN', () => {
    const b = idx(5000).map((i) => (i % 97 === 0 ? NaN : (i * 7919) % 1009));
    expect(zscaleLimits(b)).toEqual([1, 1008]);
  });

  it('matches astropy on a mostly constant sample', () => {
    const c = [...new Array(30).fill(0), 0, 100, 200, 300, 400];
    expect(zscaleLimits(c)).toEqual([0, 0]);
  });

  it('matches astropy with faint outliers, default and custom parameters', () => {
    const d = idx(777).map((i) => Math.cos(i * 0.013) ** 3 * 5 + (i % 13 === 0 ? -50 : 0));
    const [lo, hi] = zscaleLimits(d);
    expect(lo).toBeCloseTo(-21.317919814326423, 9);
    expect(hi).toBeCloseTo(4.999868625371004, 9);
    const [lo2, hi2] = zscaleLimits(d, { contrast: 0.5, nSamples: 300 });
    expect(lo2).toBeCloseTo(-9.967516579738604, 9);
    expect(hi2).toBeCloseTo(4.999417285340355, 9);
  });

  it('samples images in row-major order whatever their strides', () => {
    const px = Float32Array.from({ length: 60 * 70 }, (_, i) => Math.sin(i * 0.37) * (i % 7));
    const img = createImage2D(60, 70, px).transpose(1, 0);
    const flat: number[] = [];
    for (let r = 0; r < 70; r++) for (let c = 0; c < 60; c++) flat.push(img.get(r, c));
    expect(zscaleLimits(img)).toEqual(zscaleLimits(flat));
    expect(zscaleLimits(img)).not.toEqual(zscaleLimits(px));
  });

  it('returns NaN limits when there is no finite value', () => {
    expect(zscaleLimits([NaN, Infinity])).toEqual([NaN, NaN]);
  });
});
