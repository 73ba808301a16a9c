import type { Image2D } from '../core/image2d.js';
import { createImage2D } from '../core/image2d.js';
import type { Rng } from '../core/random.js';
import { gaussianBlur, robustStd } from '../image/index.js';

/** What {@link synthesize} draws. */
export type SyntheticKind = 'disk' | 'wind' | 'spiral' | 'noise';

/** Options of {@link synthesize}; defaults in {@link SYNTHESIZE_DEFAULTS}. */
export interface SynthesizeOptions {
  /**
   * `'disk'`: an inclined protoplanetary disk (a negative for dust-in-wind); `'wind'`: the disk
   * plus dust lifted along its minor axis, as bipolar cones or lobes (a positive); `'spiral'`: a
   * galaxy with logarithmic spiral arms; `'noise'`: noise and point sources only. Default `'disk'`.
   */
  kind?: SyntheticKind;
  /** Side of the square image in pixels. Default 256. */
  size?: number;
  /** Beam FWHM in pixels (ALMA images sample the beam with about 5 pixels). Default 5. */
  beamFwhm?: number;
  /** RMS of the beam-correlated noise, Jy/beam. Default 5e-5 (50 µJy/beam). */
  rms?: number;
  /** Peak signal-to-noise range of the main source. Default `[30, 300]`. */
  snrRange?: [number, number];
  /** Range of the disk's major-axis FWHM as a fraction of `size`. Default `[0.04, 0.12]`. */
  diskFraction?: [number, number];
  /** Largest inclination in degrees (0 face-on). Default 75. */
  maxInclination?: number;
  /** Inclination in degrees instead of a random one up to `maxInclination`. Default random. */
  inclination?: number;
  /**
   * Angle of the major axis in degrees instead of a random one, in the convention of
   * `principalAngle`: counter-clockwise from the column axis with row 0 displayed at the top.
   * Default random.
   */
  positionAngle?: number;
  /** Extra unresolved sources, each with SNR 5–30: `[min, max]` count. Default `[0, 3]`. */
  pointSources?: [number, number];
  /**
   * Primary-beam correction as in `.pbcor` products: noise grows towards the edge and pixels
   * beyond the given radius (fraction of half the side) are NaN. `false`: none. Default false.
   */
  primaryBeam?: false | number;
}

/** Defaults of {@link SynthesizeOptions}. */
export const SYNTHESIZE_DEFAULTS: Required<
  Omit<SynthesizeOptions, 'inclination' | 'positionAngle'>
> = {
  kind: 'disk',
  size: 256,
  beamFwhm: 5,
  rms: 5e-5,
  snrRange: [30, 300],
  diskFraction: [0.04, 0.12],
  maxInclination: 75,
  pointSources: [0, 3],
  primaryBeam: false,
};

const FWHM_TO_SIGMA = 1 / (2 * Math.sqrt(2 * Math.LN2));

/**
 * A seeded ALMA-like continuum image (Jy/beam) for tests, demos and examples: an **offline
 * stand-in** for real archive images, not a physical model. The sky (an elliptical Gaussian disk
 * of random size, inclination and position angle near the centre, optional wind or spiral
 * structure, random point sources) is convolved with a Gaussian beam, and white noise convolved
 * with the same beam is added at `rms`; with `primaryBeam`, noise rises towards the edge and the
 * corners are NaN like a `.pbcor` product.
 *
 * Wind: two cones (opening 20–50°) or two Gaussian lobes leave the disk along its minor axis,
 * at 5–25 % of the disk's peak. Spiral: a bulge and 2–4 logarithmic arms (pitch 12–30°) in an
 * exponential disk. The same `rng` state gives the same image.
 *
 * @param rng - the seeded generator (advanced)
 * @param opts - see {@link SynthesizeOptions}
 * @returns a new `size x size` float32 image; NaN only outside the primary beam
 * @throws RangeError when `size` is not an integer >= 16 or a range is inverted
 */
export function synthesize(rng: Rng, opts: SynthesizeOptions = {}): Image2D {
  const o = { ...SYNTHESIZE_DEFAULTS, ...opts };
  const n = o.size;
  if (!Number.isInteger(n) || n < 16)
    throw new RangeError(`synthesize: option 'size' must be an integer >= 16, got ${n}`);
  if (!(o.beamFwhm > 0))
    throw new RangeError(`synthesize: option 'beamFwhm' must be > 0, got ${o.beamFwhm}`);
  for (const [name, r] of [
    ['snrRange', o.snrRange],
    ['diskFraction', o.diskFraction],
    ['pointSources', o.pointSources],
  ] as const) {
    if (!(r[0] <= r[1]))
      throw new RangeError(`synthesize: option '${name}' must be [min, max] with min <= max`);
  }
  const sky = new Float32Array(n * n);
  const beamSigma = o.beamFwhm * FWHM_TO_SIGMA;
  const peak = rng.uniform(o.snrRange[0], o.snrRange[1]) * o.rms;
  const cy = (n - 1) / 2 + rng.uniform(-0.05, 0.05) * n;
  const cx = (n - 1) / 2 + rng.uniform(-0.05, 0.05) * n;
  // Always draw, so pinning one parameter leaves the rest of the scene unchanged.
  const paDrawn = rng.uniform(0, Math.PI);
  const incDrawn = rng.uniform(0, o.maxInclination);
  // The sky is drawn with rows growing downwards, the opposite sense of principalAngle.
  const pa = o.positionAngle === undefined ? paDrawn : (-o.positionAngle * Math.PI) / 180;
  const inc = ((o.inclination ?? incDrawn) * Math.PI) / 180;
  const major = rng.uniform(o.diskFraction[0], o.diskFraction[1]) * n * FWHM_TO_SIGMA;
  const minor = Math.max(major * Math.cos(inc), 0.5);
  const cosPa = Math.cos(pa);
  const sinPa = Math.sin(pa);
  // u runs along the major axis, v along the minor axis.
  const forEachPixel = (f: (u: number, v: number, k: number) => number): void => {
    for (let r = 0, k = 0; r < n; r++) {
      for (let c = 0; c < n; c++, k++) {
        const dy = r - cy;
        const dx = c - cx;
        sky[k] += f(dx * cosPa + dy * sinPa, -dx * sinPa + dy * cosPa, k);
      }
    }
  };

  if (o.kind === 'spiral') {
    const arms = rng.int(2, 4);
    const pitch = (rng.uniform(12, 30) * Math.PI) / 180;
    const scale = major * 1.5;
    const phase = rng.uniform(0, 2 * Math.PI);
    const cosInc = Math.max(Math.cos(inc), 0.3);
    forEachPixel((u, v) => {
      const y = v / cosInc;
      const rad = Math.hypot(u, y);
      const theta = Math.atan2(y, u);
      const arm = Math.cos(arms * (theta - Math.log(rad / scale + 1e-3) / Math.tan(pitch)) + phase);
      const disk = Math.exp(-rad / (1.5 * scale));
      const bulge = Math.exp(-0.5 * (rad / (0.35 * scale)) ** 2);
      return peak * (0.8 * bulge + 0.5 * disk * Math.max(arm, 0) ** 3);
    });
  } else if (o.kind === 'disk' || o.kind === 'wind') {
    forEachPixel((u, v) => peak * Math.exp(-0.5 * ((u / major) ** 2 + (v / minor) ** 2)));
  }
  if (o.kind === 'wind') {
    const amp = peak * rng.uniform(0.05, 0.25);
    const length = major * rng.uniform(2, 5);
    if (rng.next() < 0.5) {
      const opening = (rng.uniform(20, 50) * Math.PI) / 180;
      const start = minor;
      forEachPixel((u, v) => {
        const d = Math.abs(v);
        if (d < start * 0.5) return 0;
        const off = Math.atan2(Math.abs(u), d);
        const rise = 1 - Math.exp(-(((d - start * 0.5) / start) ** 2));
        return amp * rise * Math.exp(-d / length) * Math.exp(-0.5 * (off / (opening / 2)) ** 2);
      });
    } else {
      const dist = minor + length * 0.5;
      const lobe = Math.max(major * rng.uniform(0.6, 1.2), beamSigma);
      forEachPixel((u, v) => {
        const up = Math.exp(-0.5 * ((u / lobe) ** 2 + ((v - dist) / lobe) ** 2));
        const down = Math.exp(-0.5 * ((u / lobe) ** 2 + ((v + dist) / lobe) ** 2));
        return amp * (up + down);
      });
    }
  }
  const points = rng.int(o.pointSources[0], o.pointSources[1]);
  for (let i = 0; i < points; i++) {
    const r = rng.int(0, n - 1);
    const c = rng.int(0, n - 1);
    // Flux of a point source lands as beam peak after convolution: scale by the beam area.
    sky[r * n + c] += rng.uniform(5, 30) * o.rms * 2 * Math.PI * beamSigma * beamSigma;
  }
  const observed = gaussianBlur(createImage2D(n, n, sky), beamSigma);
  const white = new Float32Array(n * n);
  for (let k = 0; k < white.length; k++) white[k] = rng.normal();
  const noise = gaussianBlur(createImage2D(n, n, white), beamSigma);
  const noiseScale = o.rms / (robustStd(noise) || 1);
  const out = new Float32Array(n * n);
  const edge = o.primaryBeam === false ? Infinity : o.primaryBeam * (n / 2);
  // Gaussian primary beam falling to 0.2 at the edge, as ALMA's pbcor cut-off.
  const pbSigma = edge / Math.sqrt(2 * Math.log(1 / 0.2));
  for (let r = 0, k = 0; r < n; r++) {
    for (let c = 0; c < n; c++, k++) {
      const rad = Math.hypot(r - (n - 1) / 2, c - (n - 1) / 2);
      if (rad > edge) {
        out[k] = NaN;
        continue;
      }
      const pb = Number.isFinite(edge) ? Math.exp(-0.5 * (rad / pbSigma) ** 2) : 1;
      out[k] = observed.get(r, c) + (noise.get(r, c) * noiseScale) / pb;
    }
  }
  return createImage2D(n, n, out);
}
