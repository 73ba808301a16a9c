import type { Image2D } from '../core/image2d.js';
import type { Rng } from '../core/random.js';
import { synthesizeScene, type SynthesizeSceneOptions } from './synthesize-scene.js';

export * from './synthesize-scene.js';

/** What {@link synthesize} draws. */
export type SyntheticKind = 'disk' | 'wind' | 'spiral' | 'noise';

/** Options of {@link synthesize}; defaults in {@link DEFAULT_SYNTHESIZE_OPTIONS}. */
export interface SynthesizeOptions {
  /**
   * `'disk'`: a protoplanetary disk at any inclination (a negative for dust-in-wind); `'wind'`:
   * a disk with dust along its minor axis, one of the positive kinds of
   * {@link SYNTHETIC_SCENE_KINDS} (cone, walls, lobes, arcs); `'spiral'`: a disk with spiral arms;
   * `'noise'`: noise and point sources only. Default `'disk'`.
   */
  kind?: SyntheticKind;
  /** Side of the square image in pixels. Default 256. */
  size?: number;
  /**
   * Beam FWHM in pixels. A number gives a circular beam of that FWHM; a range draws the major
   * axis from it, with a random axis ratio (1–1.8) and angle. Default `[2.5, 9]`.
   */
  beamFwhm?: number | [number, number];
  /** RMS of the beam-correlated noise, Jy/beam. Default 5e-5 (50 µJy/beam). */
  rms?: number;
  /** Peak signal-to-noise range of the disk after the beam, log-uniform. Default `[10, 500]`. */
  snrRange?: [number, number];
  /**
   * Range of the disk's outer radius as a fraction of `size` (about its major-axis FWHM for a
   * Gaussian disk). Default: 1.5–25 beams across, as {@link synthesizeScene}'s `diskSize`.
   */
  diskFraction?: [number, number];
  /** Largest inclination in degrees (0 face-on); orientations are isotropic. Default 90. */
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
export const DEFAULT_SYNTHESIZE_OPTIONS: Required<
  Omit<SynthesizeOptions, 'inclination' | 'positionAngle' | 'diskFraction'>
> = {
  kind: 'disk',
  size: 256,
  beamFwhm: [2.5, 9],
  rms: 5e-5,
  snrRange: [10, 500],
  maxInclination: 90,
  pointSources: [0, 3],
  primaryBeam: false,
};

/**
 * A seeded ALMA-like continuum image (Jy/beam) for tests, demos and examples: an **offline
 * stand-in** for real archive images, not a physical model. The image of
 * {@link synthesizeScene} for the matching kind (`'wind'` draws one of the positive kinds),
 * with these defaults: a fixed rms, no primary-beam cut and no sidelobe stripes unless asked for.
 * Disks vary in size (1.5–25 beams), inclination (to edge-on), angle, radial profile and SNR;
 * beams are elliptical unless `beamFwhm` is pinned. Use {@link synthesizeScene} for training
 * data: it also varies the observation and draws the hard negatives, and returns the label,
 * parameters and FITS cards.
 *
 * @param rng - the seeded generator (advanced)
 * @param opts - see {@link SynthesizeOptions}
 * @returns a new `size x size` float32 image; NaN only outside the primary beam
 * @throws RangeError when `size` is not an integer >= 16 or a range is inverted
 */
export function synthesize(rng: Rng, opts: SynthesizeOptions = {}): Image2D {
  const o = { ...DEFAULT_SYNTHESIZE_OPTIONS, ...opts };
  const n = o.size;
  if (!Number.isInteger(n) || n < 16)
    throw new RangeError(`synthesize: option 'size' must be an integer >= 16, got ${n}`);
  const beam = o.beamFwhm;
  if (typeof beam === 'number' ? !(beam > 0) : !(beam[0] > 0 && beam[0] <= beam[1]))
    throw new RangeError(`synthesize: option 'beamFwhm' must be > 0, got ${JSON.stringify(beam)}`);
  for (const [name, r] of [
    ['snrRange', o.snrRange],
    ['diskFraction', o.diskFraction ?? [0, 0]],
    ['pointSources', o.pointSources],
  ] as const) {
    if (!(r[0] <= r[1]))
      throw new RangeError(`synthesize: option '${name}' must be [min, max] with min <= max`);
  }
  const scene: SynthesizeSceneOptions = {
    size: n,
    rms: o.rms,
    snr: o.snrRange,
    beamMajor: beam,
    beamAxisRatio: typeof beam === 'number' ? 1 : undefined,
    diskRadius:
      o.diskFraction === undefined ? undefined : [o.diskFraction[0] * n, o.diskFraction[1] * n],
    inclination: o.inclination ?? [0, o.maxInclination],
    positionAngle: o.positionAngle,
    pointSources: o.pointSources,
    primaryBeam: o.primaryBeam,
    sidelobes: false,
  };
  if (o.kind === 'wind') scene.label = 'positive';
  else scene.kind = o.kind;
  return synthesizeScene(rng, scene).image;
}
