import type { Image2D } from '../core/image2d.js';
import { createImage2D } from '../core/image2d.js';
import type { Rng } from '../core/random.js';
import type { FitsCard } from '../fits/header.js';
import {
  FWHM_PER_SIGMA,
  MAX_BEAM_AXIS_RATIO,
  beamCorrelatedNoise,
  beamCovariance,
  beamResponse,
  planBeamConvolution,
  type PixelBeam,
} from './synthesize-beam.js';
import {
  SkyLayer,
  convolveLayer,
  modulateLayer,
  paintArcs,
  paintCone,
  paintDisk,
  paintEnvelope,
  paintKnots,
  paintLobes,
  paintWalls,
  type AxisShape,
  type DiskProfile,
  type DiskShape,
  type Frame,
} from './synthesize-sky.js';

export type { DiskProfile } from './synthesize-sky.js';

/** The class of a scene for the dust-in-wind target: dust carried out of the disk, or not. */
export type DustInWindLabel = 'positive' | 'negative';

/** What {@link synthesizeScene} can draw; see {@link SYNTHETIC_SCENE_KINDS}. */
export type SyntheticSceneKind =
  | 'wind-cone'
  | 'wind-walls'
  | 'wind-lobes'
  | 'wind-arcs'
  | 'disk'
  | 'edge-on'
  | 'binary'
  | 'rings'
  | 'envelope'
  | 'jet-knots'
  | 'sidelobes'
  | 'pbcor-edge'
  | 'point-sources'
  | 'noise'
  | 'spiral';

/** One entry of {@link SYNTHETIC_SCENE_KINDS}. */
export interface SyntheticSceneKindInfo {
  /** The kind's name, as `synthesizeScene(rng, { kind })` takes it. */
  readonly kind: SyntheticSceneKind;
  /** Its class for dust-in-wind. */
  readonly label: DustInWindLabel;
  /** Default mixing weight among the kinds of its label (the weights of a label sum to 1). */
  readonly weight: number;
  /** What the scene shows. */
  readonly description: string;
}

/**
 * Every kind of scene {@link synthesizeScene} draws, with its dust-in-wind label and its default
 * mixing weight when only a label is asked for. Positives are a disk with dust along its minor
 * axis in one of four shapes; negatives are chosen to be *not round and still not winds*, so a
 * classifier cannot get by on "elongated" or "has structure" (80 % of negatives are hard ones,
 * 20 % plain disks).
 */
export const SYNTHETIC_SCENE_KINDS: readonly SyntheticSceneKindInfo[] = Object.freeze([
  {
    kind: 'wind-cone',
    label: 'positive',
    weight: 0.3,
    description: 'disk + filled cone(s) of dust along the minor axis, bipolar or one-sided',
  },
  {
    kind: 'wind-walls',
    label: 'positive',
    weight: 0.25,
    description: 'disk + limb-brightened walls of hollow cone(s) along the minor axis (V/X shape)',
  },
  {
    kind: 'wind-lobes',
    label: 'positive',
    weight: 0.25,
    description:
      'disk + Gaussian lobe(s) of dust along the minor axis, on a faint stem or detached',
  },
  {
    kind: 'wind-arcs',
    label: 'positive',
    weight: 0.2,
    description: 'disk + 1–4 arcs (shell segments) across the minor axis inside the wind cone',
  },
  { kind: 'disk', label: 'negative', weight: 0.2, description: 'a plain disk, any inclination' },
  {
    kind: 'edge-on',
    label: 'negative',
    weight: 0.1,
    description: 'a disk seen within 10° of edge-on: thin, resolved vertically, very elongated',
  },
  {
    kind: 'binary',
    label: 'negative',
    weight: 0.1,
    description: 'two disks, 1–2.5 disk diameters apart, in any direction, flux ratio 0.1–1',
  },
  {
    kind: 'rings',
    label: 'negative',
    weight: 0.1,
    description: 'a resolved disk with dark gaps, bright rings, or an inner cavity',
  },
  {
    kind: 'envelope',
    label: 'negative',
    weight: 0.1,
    description: 'a disk inside a smooth, roundish extended halo (3–25 % of the disk peak)',
  },
  {
    kind: 'jet-knots',
    label: 'negative',
    weight: 0.1,
    description: 'a disk + a chain of compact knots along the minor axis, no extended cone',
  },
  {
    kind: 'sidelobes',
    label: 'negative',
    weight: 0.06,
    description: 'a disk + faint periodic stripes at a random angle (imaging sidelobes)',
  },
  {
    kind: 'pbcor-edge',
    label: 'negative',
    weight: 0.06,
    description: 'a disk in a primary-beam-corrected field: noise rising outwards, NaN beyond',
  },
  {
    kind: 'point-sources',
    label: 'negative',
    weight: 0.06,
    description: 'no disk: noise and 2–6 unresolved sources, the brightest at the disk SNR',
  },
  {
    kind: 'noise',
    label: 'negative',
    weight: 0.02,
    description: 'an empty field: noise and only the background point sources',
  },
  {
    kind: 'spiral',
    label: 'negative',
    weight: 0.1,
    description: 'a resolved disk with 1–3 logarithmic spiral arms',
  },
] satisfies SyntheticSceneKindInfo[]);

/**
 * A randomised parameter: a number pins it; `[min, max]` draws it from that range (how, linear,
 * logarithmic or isotropic, is said per option). Either way the generator consumes the same
 * random numbers, so pinning one parameter leaves the rest of the scene as it was.
 */
export type SceneRange = number | readonly [min: number, max: number];

/** Options of {@link synthesizeScene}; defaults in {@link DEFAULT_SYNTHESIZE_SCENE_OPTIONS}. */
export interface SynthesizeSceneOptions {
  /** The kind to draw. Default: one drawn by `label` and `weights`. */
  kind?: SyntheticSceneKind;
  /** Draw a kind of this label (by `weights`). Default: positive with `positiveFraction`. */
  label?: DustInWindLabel;
  /** Probability of a positive when neither `kind` nor `label` is given. Default 0.5. */
  positiveFraction?: number;
  /**
   * Mixing weights of the kinds within each label (relative; need not sum to 1). Kinds left out
   * keep their weight from {@link SYNTHETIC_SCENE_KINDS}; weight 0 never draws a kind.
   */
  weights?: Partial<Record<SyntheticSceneKind, number>>;

  // ---- observation: drawn alike for every kind, so it never tells the class ----
  /** Side of the square image, px (a range draws an integer uniformly). Default 256. */
  size?: SceneRange;
  /** Pixel scale, arcsec/px, log-uniform. Default `[0.005, 0.15]`. */
  pixelScale?: SceneRange;
  /** Beam major-axis FWHM, px, uniform. Default `[2.5, 9]`. */
  beamMajor?: SceneRange;
  /** Beam major over minor FWHM, uniform, at most 2.4. Default `[1, 1.8]`. */
  beamAxisRatio?: SceneRange;
  /** Beam position angle, degrees east of north (FITS `BPA`), uniform. Default `[0, 180]`. */
  beamPositionAngle?: SceneRange;
  /** Noise rms at the image centre, Jy/beam, log-uniform. Default `[1e-5, 1e-3]`. */
  rms?: SceneRange;
  /**
   * Sky position of the image centre (`CRVAL1`, `CRVAL2`), degrees. Default random: RA uniform,
   * Dec uniform in sin δ over [−80°, +45°] (ALMA's sky).
   */
  position?: readonly [ra: number, dec: number];
  /**
   * Primary-beam correction as in `.pbcor` products: noise grows as 1/pb towards the edge and
   * pixels beyond the cut radius (a fraction of half the side; 1 blanks only the corners) are NaN.
   * `false`: never (even for `pbcor-edge`); a number or range: always, at that radius. Default:
   * with probability `primaryBeamFraction` (always for `pbcor-edge`), radius from
   * `primaryBeamRadius`.
   */
  primaryBeam?: false | SceneRange;
  /**
   * Probability of a primary-beam cut when `primaryBeam` is not given. Default 0.3. Positives
   * drawn by label get it more often, as often as the negatives' mixture (where `pbcor-edge`
   * always has it), so the cut does not tell the class.
   */
  primaryBeamFraction?: number;
  /** Cut radius range (fraction of half the side), uniform. Default `[0.6, 1]`. */
  primaryBeamRadius?: readonly [number, number];
  /** Primary-beam response at the cut (ALMA's `pblimit`). Default 0.2. */
  primaryBeamEdge?: number;
  /**
   * Imaging-sidelobe stripes: `true` always, `false` never (even for `sidelobes`). Default: with
   * `sidelobeFraction` (always for `sidelobes`).
   */
  sidelobes?: boolean;
  /**
   * Probability of sidelobe stripes when `sidelobes` is not given. Default 0.1; matched between
   * the labels as `primaryBeamFraction` is.
   */
  sidelobeFraction?: number;
  /**
   * Brightest sidelobe stripes as a fraction of the disk's peak (their amplitude is drawn
   * log-uniformly from 1σ up to this, at least 1.5σ). Default 0.02.
   */
  sidelobeMaxFraction?: number;
  /** Add beam-correlated noise. `false` renders the noise-free sky (for tests). Default true. */
  noise?: boolean;
  /** Unrelated background point sources (SNR 5–30), `[min, max]` count. Default `[0, 2]`. */
  pointSources?: readonly [number, number];

  // ---- the disk: drawn alike for every kind ----
  /** Peak signal-to-noise of the disk after the beam, log-uniform. Default `[10, 500]`. */
  snr?: SceneRange;
  /**
   * Disk diameter (twice the outer radius, where the profile is down to ~10 %) in beam major
   * FWHMs, log-uniform; capped at `maxDiskFraction` of the side. Default `[1.5, 25]` (`[8, 25]`
   * for `rings` and `spiral`, whose pattern must be resolved).
   */
  diskSize?: SceneRange;
  /** Outer radius in pixels instead of `diskSize`. Default: from `diskSize`. */
  diskRadius?: SceneRange;
  /** Largest disk diameter as a fraction of the image side. Default 0.5. */
  maxDiskFraction?: number;
  /**
   * Inclination, degrees (0 face-on), isotropic (cos i uniform) within the range. Default
   * `[0, 90]` (`[80, 90]` for `edge-on`, `[0, 70]` for `rings` and `spiral`).
   */
  inclination?: SceneRange;
  /**
   * Angle of the major axis, degrees, counter-clockwise from the column axis with row 0 shown at
   * the top (the sense of `principalAngle`), uniform. Default `[-90, 90]`.
   */
  positionAngle?: SceneRange;
  /** Radial profile. Default: each of the three equally often. */
  diskProfile?: DiskProfile;
  /** Vertical thickness over the radius: an edge-on disk is this thin, not a line. Default `[0.05, 0.2]`. */
  diskThickness?: SceneRange;
  /** Largest offset of the disk from the image centre, fraction of the side. Default 0.05. */
  centreOffset?: number;

  // ---- winds (and, sharing them, jet knots) ----
  /** Intrinsic half-opening angle of the cone, degrees, uniform. Default `[10, 50]`. */
  windOpening?: SceneRange;
  /** Length along the axis in disk radii (before projection), uniform. Default `[1, 6]`. */
  windLength?: SceneRange;
  /**
   * Peak brightness of the wind (or knots) after the beam, outside the disk, in units of the
   * noise rms, log-uniform. Default: from `windMinSnr` to `windMaxFraction` of the disk's peak.
   */
  windSnr?: SceneRange;
  /** Faintest default wind peak, in noise rms. Default 3. */
  windMinSnr?: number;
  /** Brightest default wind peak, as a fraction of the disk peak. Default 0.3. */
  windMaxFraction?: number;
  /** Knots per side of `jet-knots`, `[min, max]` (integers, min >= 1), uniform. Default `[2, 7]`. */
  jetKnots?: readonly [number, number];
  /** Probability that only one side has a wind. Default 0.3. */
  oneSidedFraction?: number;
  /** Probability that, of two sides, one is fainter (by `fainterSide`). Default 0.5. */
  fainterSideFraction?: number;
  /** Brightness of the fainter side relative to the other, uniform. Default `[0.2, 0.8]`. */
  fainterSide?: SceneRange;
  /** Angle between the wind axis and the disk's minor axis, degrees, uniform. Default `[-4, 4]`. */
  windMisalignment?: SceneRange;
  /**
   * Probability that the scene's own structure beside the disk (a wind, jet knots, a companion,
   * an envelope: whatever the kind paints apart from its disk) is clumpy: multiplied by a smooth
   * random field of mean 1 (knots and voids), drawn alike whatever the kind. Default 0 (smooth).
   */
  clumpyFraction?: number;
  /** Strength of the clumps (the field's log standard deviation), uniform. Default `[0.4, 1.2]`. */
  clumpiness?: SceneRange;
  /** Size of the clumps (smoothing sigma) in beam major FWHMs, log-uniform. Default `[0.3, 1.5]`. */
  clumpScale?: SceneRange;
  /** Optional name for `OBJECT`. Default: a J-name from the sky position (no hint of the class). */
  object?: string;
}

/** Defaults of {@link SynthesizeSceneOptions} (options without a default are left out). */
export const DEFAULT_SYNTHESIZE_SCENE_OPTIONS: Readonly<
  Required<
    Pick<
      SynthesizeSceneOptions,
      | 'positiveFraction'
      | 'size'
      | 'pixelScale'
      | 'beamMajor'
      | 'beamAxisRatio'
      | 'beamPositionAngle'
      | 'rms'
      | 'primaryBeamFraction'
      | 'primaryBeamRadius'
      | 'primaryBeamEdge'
      | 'sidelobeFraction'
      | 'noise'
      | 'pointSources'
      | 'snr'
      | 'diskSize'
      | 'maxDiskFraction'
      | 'inclination'
      | 'positionAngle'
      | 'diskThickness'
      | 'centreOffset'
      | 'windOpening'
      | 'windLength'
      | 'windMinSnr'
      | 'windMaxFraction'
      | 'oneSidedFraction'
      | 'fainterSideFraction'
      | 'fainterSide'
      | 'windMisalignment'
      | 'clumpyFraction'
      | 'sidelobeMaxFraction'
      | 'jetKnots'
      | 'clumpiness'
      | 'clumpScale'
    >
  >
> = Object.freeze({
  positiveFraction: 0.5,
  size: 256,
  pixelScale: [0.005, 0.15],
  beamMajor: [2.5, 9],
  beamAxisRatio: [1, 1.8],
  beamPositionAngle: [0, 180],
  rms: [1e-5, 1e-3],
  primaryBeamFraction: 0.3,
  primaryBeamRadius: [0.6, 1],
  primaryBeamEdge: 0.2,
  sidelobeFraction: 0.1,
  noise: true,
  pointSources: [0, 2],
  snr: [10, 500],
  diskSize: [1.5, 25],
  maxDiskFraction: 0.5,
  inclination: [0, 90],
  positionAngle: [-90, 90],
  diskThickness: [0.05, 0.2],
  centreOffset: 0.05,
  windOpening: [10, 50],
  windLength: [1, 6],
  windMinSnr: 3,
  windMaxFraction: 0.3,
  oneSidedFraction: 0.3,
  fainterSideFraction: 0.5,
  fainterSide: [0.2, 0.8],
  windMisalignment: [-4, 4],
  clumpyFraction: 0,
  sidelobeMaxFraction: 0.02,
  jetKnots: [2, 7],
  clumpiness: [0.4, 1.2],
  clumpScale: [0.3, 1.5],
} as const);

/** What {@link synthesizeScene} returns. */
export interface SyntheticScene {
  /** The image, Jy/beam, `[size, size]` float32; NaN only outside the primary beam. */
  image: Image2D;
  /** The kind drawn. */
  kind: SyntheticSceneKind;
  /** Its dust-in-wind label. */
  label: DustInWindLabel;
  /**
   * Every parameter drawn (after pinning): observation (`size`, `pixelScale` ″/px, `beamMajor`,
   * `beamMinor` px, `beamPositionAngle` °, `rms`, `ra`, `dec`, `primaryBeam` radius fraction or
   * false, `sidelobes`), the disk (`snr`, `peak` Jy/beam, `centreRow`, `centreCol`,
   * `diskRadius` px, `diskSize` beams, `inclination`, `positionAngle` in the principalAngle sense,
   * `positionAngleSky` east of north, `diskProfile`, `diskThickness`) and the kind's own
   * (`wind*`, `companion*`, `rings*`, ...).
   */
  params: Record<string, number | string | boolean>;
  /** FITS cards: celestial SIN WCS, beam, units, `OBJECT`, `ORIGIN`. Pass to `writeFits`. */
  cards: FitsCard[];
}

type Resolved = typeof DEFAULT_SYNTHESIZE_SCENE_OPTIONS & SynthesizeSceneOptions;

const DEG = Math.PI / 180;
const FN = 'synthesizeScene';

function checkRange(name: string, r: SceneRange | undefined, min = -Infinity): void {
  if (r === undefined) return;
  const [a, b] = typeof r === 'number' ? [r, r] : r;
  if (!Number.isFinite(a) || !Number.isFinite(b) || a > b || a < min) {
    throw new RangeError(
      `${FN}: option '${name}' must be a number or [min, max] with min <= max` +
        (min > -Infinity ? ` and min >= ${min}` : '') +
        `, got ${JSON.stringify(r)}`,
    );
  }
}

function checkFraction(name: string, v: number): void {
  if (!(v >= 0 && v <= 1))
    throw new RangeError(`${FN}: option '${name}' must be in [0, 1], got ${v}`);
}

/** One draw in [0, 1), consumed whether or not the value is pinned. */
type Draw = () => number;

function linear(u: number, r: SceneRange): number {
  return typeof r === 'number' ? r : r[0] + (r[1] - r[0]) * u;
}

function logUniform(u: number, r: SceneRange): number {
  return typeof r === 'number' ? r : r[0] * (r[1] / r[0]) ** u;
}

/** Inclination in degrees with cos i uniform between the range's ends. */
function isotropic(u: number, r: SceneRange): number {
  if (typeof r === 'number') return r;
  const c0 = Math.cos(r[0] * DEG);
  const c1 = Math.cos(r[1] * DEG);
  return Math.acos(c0 + (c1 - c0) * u) / DEG;
}

function kindInfo(kind: SyntheticSceneKind): SyntheticSceneKindInfo {
  const info = SYNTHETIC_SCENE_KINDS.find((k) => k.kind === kind);
  if (info === undefined) {
    throw new RangeError(
      `${FN}: unknown kind '${String(kind)}'; expected one of ${SYNTHETIC_SCENE_KINDS.map((k) => k.kind).join(', ')}`,
    );
  }
  return info;
}

function pickKind(
  label: DustInWindLabel,
  weights: Partial<Record<SyntheticSceneKind, number>> | undefined,
  u: number,
): SyntheticSceneKind {
  const pool = SYNTHETIC_SCENE_KINDS.filter((k) => k.label === label).map(
    (k) => [k.kind, weights?.[k.kind] ?? k.weight] as const,
  );
  const total = pool.reduce((s, [, w]) => s + w, 0);
  if (!(total > 0) || pool.some(([, w]) => !(w >= 0)))
    throw new RangeError(`${FN}: option 'weights' gives the ${label} kinds no positive weight`);
  let acc = 0;
  let last = pool[0][0];
  for (const [kind, w] of pool) {
    if (w === 0) continue;
    acc += w / total;
    last = kind;
    if (u < acc) return kind;
  }
  return last;
}

/** Share of `kind` among the negatives' mixing weights. */
function negativeShare(
  kind: SyntheticSceneKind,
  weights: Partial<Record<SyntheticSceneKind, number>> | undefined,
): number {
  let total = 0;
  let own = 0;
  for (const k of SYNTHETIC_SCENE_KINDS) {
    if (k.label !== 'negative') continue;
    const w = weights?.[k.kind] ?? k.weight;
    total += w;
    if (k.kind === kind) own += w;
  }
  return total > 0 ? own / total : 0;
}

function validate(o: Resolved): void {
  for (const name of [
    'size',
    'pixelScale',
    'beamMajor',
    'beamAxisRatio',
    'rms',
    'snr',
    'diskSize',
    'diskRadius',
    'windLength',
    'windSnr',
    'clumpScale',
  ] as const) {
    checkRange(name, o[name], Number.MIN_VALUE);
  }
  for (const name of ['beamPositionAngle', 'positionAngle', 'windMisalignment'] as const) {
    checkRange(name, o[name]);
  }
  checkRange('inclination', o.inclination, 0);
  const inc = o.inclination;
  if ((typeof inc === 'number' ? inc : inc[1]) > 90)
    throw new RangeError(`${FN}: option 'inclination' must lie in [0, 90]`);
  checkRange('windOpening', o.windOpening, 0);
  if ((typeof o.windOpening === 'number' ? o.windOpening : o.windOpening[1]) >= 90)
    throw new RangeError(`${FN}: option 'windOpening' must be below 90 degrees`);
  checkRange('beamAxisRatio', o.beamAxisRatio, 1);
  const ratio = o.beamAxisRatio;
  if ((typeof ratio === 'number' ? ratio : ratio[1]) > MAX_BEAM_AXIS_RATIO)
    throw new RangeError(`${FN}: option 'beamAxisRatio' must be at most ${MAX_BEAM_AXIS_RATIO}`);
  checkRange('diskThickness', o.diskThickness, Number.MIN_VALUE);
  checkRange('fainterSide', o.fainterSide, 0);
  checkRange('clumpiness', o.clumpiness, 0);
  checkRange('primaryBeamRadius', o.primaryBeamRadius, Number.MIN_VALUE);
  if (o.primaryBeam !== undefined && o.primaryBeam !== false)
    checkRange('primaryBeam', o.primaryBeam, Number.MIN_VALUE);
  checkRange('pointSources', o.pointSources, 0);
  if (
    !Number.isInteger(o.jetKnots[0]) ||
    !Number.isInteger(o.jetKnots[1]) ||
    o.jetKnots[0] < 1 ||
    o.jetKnots[1] < o.jetKnots[0]
  )
    throw new RangeError(
      `${FN}: option 'jetKnots' must be integers [min, max] with 1 <= min <= max, got ${JSON.stringify(o.jetKnots)}`,
    );
  if (!(o.sidelobeMaxFraction > 0))
    throw new RangeError(`${FN}: option 'sidelobeMaxFraction' must be > 0`);
  for (const name of [
    'positiveFraction',
    'primaryBeamFraction',
    'sidelobeFraction',
    'oneSidedFraction',
    'fainterSideFraction',
    'maxDiskFraction',
    'centreOffset',
    'clumpyFraction',
  ] as const) {
    checkFraction(name, o[name]);
  }
  if (!(o.primaryBeamEdge > 0 && o.primaryBeamEdge < 1))
    throw new RangeError(`${FN}: option 'primaryBeamEdge' must be in (0, 1)`);
  if (!(o.windMinSnr > 0) || !(o.windMaxFraction > 0))
    throw new RangeError(`${FN}: options 'windMinSnr' and 'windMaxFraction' must be > 0`);
  const sizes = typeof o.size === 'number' ? [o.size] : o.size;
  if (sizes.some((s) => !Number.isInteger(s) || s < 16))
    throw new RangeError(
      `${FN}: option 'size' must be integers >= 16, got ${JSON.stringify(o.size)}`,
    );
}

function resolveOptions(opts: SynthesizeSceneOptions): Resolved {
  const o: Record<string, unknown> = { ...DEFAULT_SYNTHESIZE_SCENE_OPTIONS };
  for (const [k, v] of Object.entries(opts)) if (v !== undefined) o[k] = v;
  return o as unknown as Resolved;
}

/** `SYNTH Jhhmmss.s±ddmmss`, a source name from the position. */
function jName(ra: number, dec: number): string {
  const h = (((ra % 360) + 360) % 360) / 15;
  const hh = Math.floor(h);
  const mm = Math.floor((h - hh) * 60);
  const ss = ((h - hh) * 60 - mm) * 60;
  const d = Math.abs(dec);
  const dd = Math.floor(d);
  const dm = Math.floor((d - dd) * 60);
  const ds = Math.floor(((d - dd) * 60 - dm) * 60);
  const p2 = (v: number): string => String(v).padStart(2, '0');
  return `SYNTH J${p2(hh)}${p2(mm)}${ss.toFixed(1).padStart(4, '0')}${dec < 0 ? '-' : '+'}${p2(dd)}${p2(dm)}${p2(ds)}`;
}

function sceneCards(
  n: number,
  scale: number,
  beam: PixelBeam,
  ra: number,
  dec: number,
  object: string,
): FitsCard[] {
  const deg = scale / 3600;
  return [
    { key: 'OBJECT', value: object },
    { key: 'TELESCOP', value: 'ALMA', comment: 'simulated' },
    { key: 'BUNIT', value: 'Jy/beam', comment: 'Brightness (pixel) unit' },
    { key: 'BTYPE', value: 'Intensity' },
    { key: 'BMAJ', value: beam.major * deg, comment: 'beam major axis FWHM (deg)' },
    { key: 'BMIN', value: beam.minor * deg, comment: 'beam minor axis FWHM (deg)' },
    { key: 'BPA', value: beam.positionAngle, comment: 'beam position angle (deg, E of N)' },
    { key: 'RADESYS', value: 'ICRS' },
    { key: 'CTYPE1', value: 'RA---SIN' },
    { key: 'CRVAL1', value: ra, comment: 'deg' },
    { key: 'CDELT1', value: -deg, comment: 'deg/pixel' },
    { key: 'CRPIX1', value: (n + 1) / 2 },
    { key: 'CUNIT1', value: 'deg' },
    { key: 'CTYPE2', value: 'DEC--SIN' },
    { key: 'CRVAL2', value: dec, comment: 'deg' },
    { key: 'CDELT2', value: deg, comment: 'deg/pixel' },
    { key: 'CRPIX2', value: (n + 1) / 2 },
    { key: 'CUNIT2', value: 'deg' },
    { key: 'ORIGIN', value: 'alma-classifier synthesizeScene()' },
  ];
}

/** Largest value of `a` (optionally where `mask(k)` holds); 0 when none is positive. */
function peakOf(a: Float32Array, mask?: (k: number) => boolean): number {
  let m = 0;
  for (let k = 0; k < a.length; k++) if (a[k] > m && (mask === undefined || mask(k))) m = a[k];
  return m;
}

/**
 * A seeded, domain-randomised ALMA-like continuum scene for training a dust-in-wind classifier:
 * the image (Jy/beam), its kind and label, every parameter drawn, and FITS cards with a celestial
 * WCS and the beam. An **offline stand-in** for archive images, not a physical model; see
 * {@link SYNTHETIC_SCENE_KINDS} for what each kind shows and `docs/images/synthetic-kinds.png`
 * for examples.
 *
 * How a scene is made: the sky (a disk with one of three radial profiles, finite thickness, any
 * inclination and angle, plus the kind's own structure) is drawn on a grid padded by the beam's
 * reach, convolved with an elliptical Gaussian beam, and scaled so the disk's peak is `snr` times
 * the noise and the wind's peak outside the disk is `windSnr` times it; point sources are the
 * beam itself; white noise convolved with the same beam is scaled to `rms` exactly; a primary-beam
 * cut then raises the noise outwards and blanks beyond it. Winds run along the disk's minor axis
 * (within `windMisalignment`): their projected length shrinks and their apparent opening widens
 * as sin i (floored at 0.5, i = 30°; apparent half-opening at most 60°, 35° for walls).
 *
 * The observation (image size, pixel scale, beam, rms, primary beam, sidelobes) and the disk are
 * drawn the same way whatever the kind, from their own random streams, so neither says the class,
 * and a wind and a plain disk from the same `rng` state share their disk, noise and observation.
 * Exceptions, by design and documented on the options: `edge-on` maps the inclination draw to
 * [80°, 90°], `rings` and `spiral` map theirs to [0°, 70°] and the size to [8, 25] beams, and
 * `sidelobes` and `pbcor-edge` force their artefact on (drawn as for any scene); positives drawn
 * by label then get those artefacts at the negatives' overall rate.
 *
 * ```ts
 * const scene = synthesizeScene(createRng(7), { label: 'negative', size: 400 });
 * writeFits(scene.image, scene.cards);
 * ```
 *
 * @param rng - the seeded generator (advanced by six draws, whatever the options)
 * @param opts - see {@link SynthesizeSceneOptions}
 * @returns the scene; the same `rng` state gives the same scene
 * @throws RangeError for an unknown kind, a kind that contradicts `label`, an inverted or
 *   out-of-domain range, or weights that leave a label no kind
 */
export function synthesizeScene(rng: Rng, opts: SynthesizeSceneOptions = {}): SyntheticScene {
  const o = resolveOptions(opts);
  validate(o);
  // One stream per concern, so a parameter of one never shifts the draws of another.
  const kindRng = rng.fork();
  const obsRng = rng.fork();
  const diskRng = rng.fork();
  const featRng = rng.fork();
  const extraRng = rng.fork();
  const noiseRng = rng.fork();

  // ---- kind ----
  const uLabel = kindRng.next();
  const uKind = kindRng.next();
  let kind: SyntheticSceneKind;
  if (o.kind !== undefined) {
    kind = kindInfo(o.kind).kind;
    if (o.label !== undefined && kindInfo(kind).label !== o.label)
      throw new RangeError(`${FN}: kind '${kind}' is not a ${o.label}`);
  } else {
    const label = o.label ?? (uLabel < o.positiveFraction ? 'positive' : 'negative');
    if (label !== 'positive' && label !== 'negative')
      throw new RangeError(`${FN}: option 'label' must be 'positive' or 'negative'`);
    kind = pickKind(label, o.weights, uKind);
  }
  const label = kindInfo(kind).label;

  // ---- observation ----
  const obs: Draw = () => obsRng.next();
  const n = Math.round(linear(obs(), o.size));
  const scale = logUniform(obs(), o.pixelScale);
  const beamMajor = linear(obs(), o.beamMajor);
  const beamRatio = linear(obs(), o.beamAxisRatio);
  const bpa = linear(obs(), o.beamPositionAngle);
  const rms = logUniform(obs(), o.rms);
  const uRa = obs();
  const uDec = obs();
  const ra = o.position?.[0] ?? 360 * uRa;
  const sinLo = Math.sin(-80 * DEG);
  const sinHi = Math.sin(45 * DEG);
  const dec = o.position?.[1] ?? Math.asin(sinLo + (sinHi - sinLo) * uDec) / DEG;
  const uPbOn = obs();
  const uPbRadius = obs();
  const uSideOn = obs();
  const side = Array.from({ length: 10 }, obs);
  // `pbcor-edge` and `sidelobes` negatives always have their artefact. When kinds are drawn by
  // label, positives get each artefact as often as the negatives' mixture has it, so neither
  // the cut nor the stripes say the class.
  const mixed = o.kind === undefined && label === 'positive';
  const rate = (base: number, forcing: SyntheticSceneKind): number =>
    mixed ? base + (1 - base) * negativeShare(forcing, o.weights) : base;
  let pbRadius: number | false;
  if (o.primaryBeam === false) pbRadius = false;
  else if (o.primaryBeam !== undefined) pbRadius = linear(uPbRadius, o.primaryBeam);
  else
    pbRadius =
      kind === 'pbcor-edge' || uPbOn < rate(o.primaryBeamFraction, 'pbcor-edge')
        ? linear(uPbRadius, o.primaryBeamRadius)
        : false;
  const sidelobes =
    o.sidelobes ?? (kind === 'sidelobes' || uSideOn < rate(o.sidelobeFraction, 'sidelobes'));

  const beam: PixelBeam = {
    major: beamMajor,
    minor: beamMajor / beamRatio,
    positionAngle: ((bpa % 180) + 180) % 180,
  };
  const conv = planBeamConvolution(beam);
  const cov = beamCovariance(beam);
  const beamSigma = beamMajor / FWHM_PER_SIGMA;

  // ---- disk ----
  const disk: Draw = () => diskRng.next();
  const uSize = disk();
  const uInc = disk();
  const uPa = disk();
  const uProfile = disk();
  const uThick = disk();
  const uGamma = disk();
  const uCore = disk();
  const uOffR = disk();
  const uOffC = disk();
  const uSnr = disk();
  // Rings and arms must be resolved and seen not too close to edge-on to be what they claim.
  const resolvedKind = kind === 'rings' || kind === 'spiral';
  const sizeRange = opts.diskSize ?? (resolvedKind ? ([8, 25] as const) : o.diskSize);
  const sizeBeams = logUniform(uSize, sizeRange);
  let radius =
    o.diskRadius !== undefined ? logUniform(uSize, o.diskRadius) : (sizeBeams * beamMajor) / 2;
  radius = Math.min(radius, (o.maxDiskFraction * n) / 2);
  const incRange =
    opts.inclination ??
    (kind === 'edge-on' ? ([80, 90] as const) : resolvedKind ? ([0, 70] as const) : o.inclination);
  const inclination = isotropic(uInc, incRange);
  const positionAngle = linear(uPa, o.positionAngle);
  const profiles: DiskProfile[] = ['gaussian', 'exponential', 'tapered-power-law'];
  const profile = o.diskProfile ?? profiles[Math.min(2, Math.floor(uProfile * 3))];
  const thickness = linear(uThick, o.diskThickness);
  const sinI = Math.sin(inclination * DEG);
  const cosI = Math.cos(inclination * DEG);
  const axisRatio = Math.sqrt(cosI * cosI + thickness * thickness * sinI * sinI);
  const cy = (n - 1) / 2 + (2 * uOffR - 1) * o.centreOffset * n;
  const cx = (n - 1) / 2 + (2 * uOffC - 1) * o.centreOffset * n;
  const snr = logUniform(uSnr, o.snr);
  const peak = snr * rms;
  const frame: Frame = { cy, cx, theta: positionAngle * DEG };
  const diskShape: DiskShape = {
    frame,
    radius,
    axisRatio,
    profile,
    gamma: 0.6 * uGamma,
    core: 0.4 + 0.2 * uCore,
    amplitude: 1,
  };

  // ---- wind geometry: drawn for every kind, used by winds and jet knots ----
  const feat: Draw = () => featRng.next();
  const uOneSided = feat();
  const uSign = feat();
  const uFainter = feat();
  const fainter = linear(feat(), o.fainterSide);
  const opening = linear(feat(), o.windOpening);
  const lengthRadii = linear(feat(), o.windLength);
  const misalign = linear(feat(), o.windMisalignment);
  const uWindSnr = feat();
  const baseFrac = 0.25 + 0.45 * feat();
  const decayFrac = 0.4 + 1.1 * feat();
  const edge = 2 + 4 * feat();
  const own = featRng.fork();
  const k: Draw = () => own.next();
  // Clumps have their own stream, so turning them on leaves every other draw as it was.
  const clumpRng = featRng.fork();
  const clumpy = clumpRng.next() < o.clumpyFraction;
  const clumpAmp = linear(clumpRng.next(), o.clumpiness);
  const clumpSigma = logUniform(clumpRng.next(), o.clumpScale) * beamMajor;
  const windSnr = logUniform(
    uWindSnr,
    o.windSnr ?? [o.windMinSnr, Math.max(o.windMinSnr, o.windMaxFraction * snr)],
  );
  const oneSided = uOneSided < o.oneSidedFraction;
  const sign = uSign < 0.5 ? 1 : -1;
  const sides: [number, number] = oneSided
    ? sign > 0
      ? [1, 0]
      : [0, 1]
    : uFainter < o.fainterSideFraction
      ? sign > 0
        ? [1, fainter]
        : [fainter, 1]
      : [1, 1];
  const projection = Math.max(sinI, 0.5);
  const start = Math.max(axisRatio * radius, 0.5 * beamMajor);
  const windLength = Math.max(lengthRadii * radius * projection, start + 2 * beamMajor);
  const axis: AxisShape = {
    frame: { cy, cx, theta: (positionAngle + misalign) * DEG },
    sides,
    start,
    length: windLength,
    baseWidth: Math.max(baseFrac * radius, 1),
    // Projection widens the cone (tan α / sin i); capped so it stays a cone about the axis.
    tanOpening: Math.min(Math.tan(opening * DEG) / projection, Math.tan(60 * DEG)),
    decay: decayFrac * windLength,
    edge,
  };

  const params: Record<string, number | string | boolean> = {
    kind,
    label,
    size: n,
    pixelScale: scale,
    beamMajor: beam.major,
    beamMinor: beam.minor,
    beamPositionAngle: beam.positionAngle,
    rms,
    ra,
    dec,
    primaryBeam: pbRadius,
    sidelobes,
    snr,
    peak,
    centreRow: cy,
    centreCol: cx,
    diskRadius: radius,
    diskSize: (2 * radius) / beamMajor,
    inclination,
    positionAngle,
    positionAngleSky: (((-positionAngle - 90) % 180) + 180) % 180,
    diskProfile: profile,
    diskThickness: thickness,
    // point-sources and noise draw the disk's parameters too (so others stay put) but show none.
    hasDisk: kind !== 'point-sources' && kind !== 'noise',
  };

  const pad = conv.reach;
  const base = new SkyLayer(n, pad);
  const feature = new SkyLayer(n, pad);
  /** How the feature layer is scaled: its peak outside the disk, or anywhere, in Jy/beam. */
  let featureTarget: { peak: number; outsideDisk: boolean } | undefined;
  const stamps: { row: number; col: number; peak: number }[] = [];
  const isWind = label === 'positive';
  if (isWind) {
    params.windShape = kind.slice('wind-'.length);
    params.windSides = oneSided ? 'one-sided' : 'bipolar';
    params.windSidePlus = sides[0];
    params.windSideMinus = sides[1];
    params.windOpening = opening;
    params.windLength = lengthRadii;
    params.windLengthPx = windLength;
    params.windMisalignment = misalign;
    params.windSnr = windSnr;
  }

  switch (kind) {
    case 'wind-cone':
      paintCone(feature, axis);
      break;
    case 'wind-walls': {
      const wall = 0.08 + 0.17 * k();
      const interior = 0.3 * k();
      params.windWallThickness = wall;
      params.windInterior = interior;
      // The walls rise from the inner disk; limbs wider than ±35° would read as emission beside
      // the disk rather than along its axis.
      const walls = {
        ...axis,
        baseWidth: Math.max(0.4 * axis.baseWidth, 1),
        tanOpening: Math.min(axis.tanOpening, Math.tan(35 * DEG)),
        decay: Math.max(axis.decay, 0.7 * windLength),
      };
      paintWalls(feature, walls, wall, interior);
      break;
    }
    case 'wind-lobes': {
      // Lobes are elongated along the axis and mostly sit on a stem of the cone, so they read as
      // outflow rather than as a companion (which `binary` draws in any direction).
      const centre = start + (0.35 + 0.4 * k()) * (windLength - start);
      const across = Math.max(
        (axis.baseWidth + centre * axis.tanOpening) * (0.35 + 0.3 * k()),
        0.4 * beamSigma,
      );
      const along = Math.max((0.15 + 0.15 * k()) * windLength, 1.3 * across);
      const uStem = k();
      const uStemLevel = k();
      const stem = uStem < 0.75 ? 0.15 + 0.25 * uStemLevel : 0;
      params.windLobeDistance = centre;
      params.windLobeStem = stem;
      paintLobes(feature, axis, { centre, along, across, stem });
      break;
    }
    case 'wind-arcs': {
      const count = 1 + Math.min(3, Math.floor(4 * k()));
      const draws = Array.from({ length: 4 }, () => [k(), k(), k(), k()]);
      const arcs = draws.slice(0, count).map(([a, b, c, d], i) => {
        const distance = start + ((i + 0.3 + 0.5 * a) / count) * (windLength - start);
        return {
          distance,
          // Flatter than a circle about the disk, so bipolar arcs never close into a ring.
          radius: distance * (0.8 + 1.2 * b),
          thickness: (0.04 + 0.06 * c) * distance + 0.6,
          amplitude: Math.exp(-(distance - start) / axis.decay) * (0.6 + 0.4 * d),
        };
      });
      params.windArcs = count;
      paintArcs(feature, { ...axis, tanOpening: Math.min(axis.tanOpening, 1) }, arcs);
      break;
    }
    case 'binary': {
      const r2 = radius * (0.3 + 0.7 * k());
      const sepFactor = 1 + 1.5 * k();
      const sepBeams = 0.5 + 2.5 * k();
      const direction = 2 * Math.PI * k();
      const inc2 = isotropic(k(), [0, 90]);
      const pa2 = 180 * k() - 90;
      const profile2 = profiles[Math.min(2, Math.floor(3 * k()))];
      const ratio = logUniform(k(), [0.1, 1]);
      const thick2 = linear(k(), o.diskThickness);
      const separation = Math.min((radius + r2) * sepFactor + sepBeams * beamMajor, 0.42 * n);
      const s2 = Math.sin(inc2 * DEG);
      const c2 = Math.cos(inc2 * DEG);
      paintDisk(feature, {
        frame: {
          cy: cy + separation * Math.sin(direction),
          cx: cx + separation * Math.cos(direction),
          theta: pa2 * DEG,
        },
        radius: r2,
        axisRatio: Math.sqrt(c2 * c2 + thick2 * thick2 * s2 * s2),
        profile: profile2,
        gamma: diskShape.gamma,
        core: diskShape.core,
        amplitude: 1,
      });
      Object.assign(params, {
        companionRadius: r2,
        companionSeparation: separation,
        companionDirection: direction / DEG,
        companionInclination: inc2,
        companionRatio: ratio,
      });
      featureTarget = { peak: ratio * peak, outsideDisk: false };
      break;
    }
    case 'rings': {
      const uMode = k();
      const mode = uMode < 0.4 ? 'gaps' : uMode < 0.75 ? 'rings' : 'cavity';
      const count = 1 + Math.min(2, Math.floor(3 * k()));
      const draws = Array.from({ length: 3 }, () => [k(), k(), k()]);
      const minWidth = (0.35 * beamMajor) / radius;
      const features = draws.slice(0, count).map(([a, b, c]) => ({
        x: 0.2 + 0.65 * a,
        w: 0.03 + 0.05 * b + minWidth,
        depth: 0.6 + 0.4 * c,
      }));
      const floor = 0.05 + 0.25 * k();
      const cavity = 0.2 + 0.3 * k();
      params.ringsMode = mode;
      params.ringsCount = mode === 'cavity' ? 1 : count;
      if (mode === 'gaps') {
        diskShape.pattern = (x) => {
          let m = 1;
          for (const g of features) m *= 1 - g.depth * Math.exp(-0.5 * ((x - g.x) / g.w) ** 2);
          return m;
        };
      } else if (mode === 'rings') {
        // Bright rings on a faint disk: the rings replace the smooth profile's slope.
        diskShape.profile = 'gaussian';
        params.diskProfile = 'gaussian';
        diskShape.pattern = (x) => {
          let s = floor * Math.exp(-((x / 0.3) ** 2));
          for (const g of features) s += g.depth * Math.exp(-0.5 * ((x - g.x) / g.w) ** 2);
          return s * Math.exp(Math.LN10 * x * x - (x / 0.95) ** 8);
        };
      } else {
        diskShape.pattern = (x) => 1 - Math.exp(-((x / cavity) ** 4));
        params.ringsCavity = cavity;
      }
      break;
    }
    case 'spiral': {
      const uArms = k();
      const arms = uArms < 0.2 ? 1 : uArms < 0.8 ? 2 : 3;
      const pitch = (8 + 22 * k()) * DEG;
      const phase = 2 * Math.PI * k();
      const contrast = 0.5 + 0.4 * k();
      params.spiralArms = arms;
      params.spiralPitch = pitch / DEG;
      // Arms on a smooth Gaussian disk (a cusp would leave them too faint to see).
      diskShape.profile = 'gaussian';
      params.diskProfile = 'gaussian';
      diskShape.pattern = (x, phi) => {
        const c = contrast * (1 - Math.exp(-((x / 0.15) ** 2)));
        const wave =
          0.5 * (1 + Math.cos(arms * (phi - Math.log(x / 0.3 + 1e-6) / Math.tan(pitch)) + phase));
        return 1 - c + 2 * c * wave * wave;
      };
      break;
    }
    case 'envelope': {
      const outer = Math.max(radius * (2.5 + 3.5 * k()), 3 * beamMajor);
      const core = radius * (0.3 + 0.7 * k());
      const power = 1 + 1.5 * k();
      const envRatio = 0.6 + 0.4 * k();
      const theta = Math.PI * k();
      const fraction = logUniform(k(), [0.03, 0.25]);
      paintEnvelope(feature, {
        frame: { cy, cx, theta },
        core,
        outer,
        power,
        axisRatio: envRatio,
      });
      params.envelopeRadius = outer;
      params.envelopeFraction = fraction;
      featureTarget = { peak: Math.max(fraction * peak, 3 * rms), outsideDisk: false };
      break;
    }
    case 'jet-knots': {
      const [kMin, kMax] = o.jetKnots;
      const count = kMin + Math.min(kMax - kMin, Math.floor((kMax - kMin + 1) * k()));
      const spacing = (1.2 + 1.8 * k()) * beamMajor;
      const first = start + (0.5 + k()) * beamMajor;
      const size = (0.1 + 0.3 * k()) * beamSigma;
      const knots: { along: number; across: number; size: number; amplitude: number }[] = [];
      for (const [s, weight] of [
        [1, sides[0]],
        [-1, sides[1]],
      ] as const) {
        for (let i = 0; i < Math.max(7, kMax); i++) {
          const jitter = k();
          const lateral = k();
          const amp = k();
          if (i >= count || weight === 0) continue;
          knots.push({
            along: s * (first + (i + 0.4 * (jitter - 0.5)) * spacing),
            across: 0.6 * (lateral - 0.5),
            size,
            amplitude: weight * (0.4 + 0.6 * amp),
          });
        }
      }
      paintKnots(feature, axis.frame, knots);
      Object.assign(params, {
        knots: knots.length,
        knotSpacing: spacing,
        knotSides: oneSided ? 'one-sided' : 'bipolar',
        knotSnr: windSnr,
        windMisalignment: misalign,
      });
      break;
    }
    case 'noise':
      break;
    case 'point-sources': {
      const count = 1 + Math.min(4, Math.floor(5 * k()));
      const draws = Array.from({ length: 5 }, () => [k(), k(), k()]);
      stamps.push({ row: cy, col: cx, peak });
      for (const [a, b, c] of draws.slice(0, count)) {
        stamps.push({
          row: (0.1 + 0.8 * a) * (n - 1),
          col: (0.1 + 0.8 * b) * (n - 1),
          peak: logUniform(c, [5, Math.max(5, snr)]) * rms,
        });
      }
      params.sources = count + 1;
      break;
    }
    default:
      // disk, edge-on, sidelobes, pbcor-edge: the disk alone (plus the observation's artefacts).
      break;
  }
  if (isWind || kind === 'jet-knots') featureTarget = { peak: windSnr * rms, outsideDisk: true };
  if (kind !== 'point-sources' && kind !== 'noise') paintDisk(base, diskShape);

  // ---- background point sources, for every kind ----
  const [pMin, pMax] = o.pointSources;
  const extra = extraRng.int(Math.ceil(pMin), Math.floor(pMax));
  for (let i = 0; i < extra; i++) {
    stamps.push({
      row: extraRng.uniform(0.05, 0.95) * (n - 1),
      col: extraRng.uniform(0.05, 0.95) * (n - 1),
      peak: logUniform(extraRng.next(), [5, 30]) * rms,
    });
  }
  params.pointSources = extra;

  // ---- beam: convolve each layer, scale it to its brightness after the beam ----
  const out = new Float32Array(n * n);
  const diskImage = convolveLayer(base, conv);
  const diskPeak = peakOf(diskImage);
  if (diskPeak > 0) {
    const f = peak / diskPeak;
    for (let i = 0; i < out.length; i++) out[i] = diskImage[i] * f;
  }
  if (clumpy && featureTarget !== undefined && !feature.empty) {
    modulateLayer(feature, clumpAmp, clumpSigma, () => clumpRng.normal());
    params.clumpiness = clumpAmp;
    params.clumpScale = clumpSigma;
  }
  if (featureTarget !== undefined && !feature.empty) {
    const featImage = convolveLayer(feature, conv);
    const cut = 0.2 * diskPeak;
    let featPeak = featureTarget.outsideDisk ? peakOf(featImage, (i) => diskImage[i] < cut) : 0;
    if (!(featPeak > 0)) featPeak = peakOf(featImage);
    if (featPeak > 0) {
      const f = featureTarget.peak / featPeak;
      for (let i = 0; i < out.length; i++) out[i] += featImage[i] * f;
    }
  }
  const response = beamResponse(cov);
  const stampReach = Math.ceil(4 * beamSigma) + 1;
  for (const s of stamps) {
    const r0 = Math.max(0, Math.floor(s.row) - stampReach);
    const r1 = Math.min(n - 1, Math.ceil(s.row) + stampReach);
    const c0 = Math.max(0, Math.floor(s.col) - stampReach);
    const c1 = Math.min(n - 1, Math.ceil(s.col) + stampReach);
    for (let r = r0; r <= r1; r++)
      for (let c = c0; c <= c1; c++) out[r * n + c] += s.peak * response(c - s.col, r - s.row);
  }

  // ---- sidelobe stripes: a faint periodic pattern, strongest near the source ----
  if (sidelobes) {
    const amp = rms * logUniform(side[0], [1, Math.max(1.5, o.sidelobeMaxFraction * snr)]);
    const patterns = side[5] < 0.4 ? 2 : 1;
    const envWidth = side[4] < 0.6 ? (0.15 + 0.35 * side[9]) * n : Infinity;
    const waves = [0, 1].slice(0, patterns).map((j) => ({
      period: (3 + 9 * side[1 + 5 * j]) * beamMajor,
      angle: Math.PI * side[2 + 5 * j],
      phase: 2 * Math.PI * side[3 + 5 * j],
      weight: j === 0 ? 1 : 0.4 + 0.6 * side[8],
    }));
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        const env = Number.isFinite(envWidth)
          ? Math.exp(-0.5 * (((r - cy) ** 2 + (c - cx) ** 2) / envWidth ** 2))
          : 1;
        let s = 0;
        for (const w of waves) {
          const t = (c * Math.cos(w.angle) + r * Math.sin(w.angle)) / w.period;
          s += w.weight * Math.cos(2 * Math.PI * t + w.phase);
        }
        out[r * n + c] += amp * env * s;
      }
    }
    params.sidelobeAmplitude = amp / rms;
    params.sidelobePeriod = waves[0].period;
    params.sidelobeAngle = waves[0].angle / DEG;
  }

  // ---- noise and primary beam ----
  const noise = o.noise ? beamCorrelatedNoise(noiseRng, n, conv, rms) : undefined;
  if (pbRadius !== false || noise !== undefined) {
    const edgePx = pbRadius === false ? Infinity : pbRadius * (n / 2);
    const pbSigma = edgePx / Math.sqrt(2 * Math.log(1 / o.primaryBeamEdge));
    const mid = (n - 1) / 2;
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        const i = r * n + c;
        const rad2 = (r - mid) ** 2 + (c - mid) ** 2;
        if (rad2 > edgePx * edgePx) {
          out[i] = NaN;
          continue;
        }
        if (noise === undefined) continue;
        const pb = pbRadius === false ? 1 : Math.exp((-0.5 * rad2) / (pbSigma * pbSigma));
        out[i] += noise[i] / pb;
      }
    }
  }
  const object = o.object ?? jName(ra, dec);
  params.object = object;
  return {
    image: createImage2D(n, n, out),
    kind,
    label,
    params,
    cards: sceneCards(n, scale, beam, ra, dec, object),
  };
}
