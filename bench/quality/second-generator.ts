/**
 * A second, independent generator of ALMA-like continuum images, for evaluation only: disks with
 * and without dust carried out by winds, and hard negatives that are not round. It is written
 * apart from the training generator (`synthesize`) and shares none of its code or shapes, so a
 * classifier that scores well here has learnt the concept rather than the other generator's
 * habits. Every piece of physics and image maths lives in this file: the disk and wind models,
 * the projection, the elliptical beam (an FFT convolution of our own), the noise and the header.
 *
 * Conventions: images are `[rows, cols]` Float32, row 0 = FITS y = 1; x = column, y = row. The
 * header is a SIN projection with `CDELT1 < 0`, so on the sky north is +row and east is −column;
 * every position angle (disk, beam, stripes) is measured from north through east, as BPA is.
 * Pixel values are Jy/beam: the sky (Jy/pixel) is convolved with the beam normalised to a peak
 * of 1, so a point source of S Jy sitting on a pixel centre peaks at S Jy/beam.
 *
 * Disks are tapered power laws `Σ ∝ (R/Rc)^-γ exp(-(R/Rc)^(2-γ))` (the self-similar viscous
 * profile) or truncated power laws with a soft edge, or narrow rings, with Gaussian gaps and
 * rings carved in and sometimes a crescent, projected with a flared Gaussian vertical profile
 * (optically thin line-of-sight integral, so edge-on disks are thick and flare at the ends).
 * Winds are 3-D emitting surfaces or volumes around the disk's axis — a hollow limb-brightened
 * cone, a parabolic cavity shell, or a wide-angle filled cone with clumps — launched from a
 * footpoint radius on the disk, possibly one-sided, with a fainter far lobe, asymmetric walls,
 * a small misalignment and an S- or C-shaped bend; they are sampled on a dense (z, φ) lattice
 * and projected with the disk's inclination, so they lie along the projected minor axis.
 */
import { createImage2D, type Image2D } from '../../src/core/image2d.js';
import { createRng, type Rng } from '../../src/core/random.js';
import type { FitsCard } from '../../src/fits/header.js';

// ---------------------------------------------------------------------------------------------
// Kinds and options
// ---------------------------------------------------------------------------------------------

/** One kind of scene: its name, its label (1 = wind) and what it shows. */
export interface SecondGeneratorKind {
  /** Name, used in `OBJECT` and `SecondScene.kind`. */
  readonly kind: string;
  /** 1 when the scene holds dust carried out by a wind, 0 otherwise. */
  readonly label: 0 | 1;
  /** What the scene shows. */
  readonly description: string;
}

/**
 * Every kind this generator makes, positives first. Each scene of a kind may in addition carry
 * the observational extras every kind shares at the same rates (stripes 10 %, primary-beam
 * correction 15 %, field point sources 20 %, an envelope 12 %), so none of them predicts the
 * label; the confuser kinds below always carry theirs.
 */
export const SECOND_GENERATOR_KINDS = [
  {
    kind: 'wind-cone',
    label: 1,
    description:
      'disk with an X-/disk-wind: hollow cone with limb-brightened walls from a footpoint radius',
  },
  {
    kind: 'wind-shell',
    label: 1,
    description: 'disk with a parabolic outflow-cavity shell along its axis',
  },
  {
    kind: 'wind-clumpy',
    label: 1,
    description: 'disk with a wide-angle filled outflow made of clumps over faint diffuse dust',
  },
  {
    kind: 'disk',
    label: 0,
    description: 'disk alone, any inclination, sometimes rings or a crescent',
  },
  {
    kind: 'ringed-disk',
    label: 0,
    description: 'resolved disk with gaps and rings, sometimes a crescent',
  },
  {
    kind: 'edge-on-disk',
    label: 0,
    description: 'flared, vertically thick disk at 75–88° with no wind',
  },
  { kind: 'binary', label: 0, description: 'two disks 1–10 beams apart with a flux ratio' },
  {
    kind: 'circumbinary-ring',
    label: 0,
    description: 'inclined ring (sometimes lopsided) around one or two compact sources',
  },
  { kind: 'envelope', label: 0, description: 'disk inside an extended, flattened 1/r^p halo' },
  {
    kind: 'knot-jet',
    label: 0,
    description: 'disk with a chain of compact knots along its minor axis and no cone',
  },
  {
    kind: 'stripes',
    label: 0,
    description: 'disk with sinusoidal sidelobe stripes across the field (poor deconvolution)',
  },
  {
    kind: 'pbcor-edge',
    label: 0,
    description: 'disk in a primary-beam-corrected image: noise rising outwards, NaN beyond PB 0.2',
  },
  { kind: 'point-sources', label: 0, description: 'noise with a few point sources and no disk' },
] as const satisfies readonly SecondGeneratorKind[];

/** Name of a kind in {@link SECOND_GENERATOR_KINDS}. */
export type SecondSceneKind = (typeof SECOND_GENERATOR_KINDS)[number]['kind'];

/** The ranges every scene draws from; defaults in {@link DEFAULT_SECOND_GENERATOR_RANGES}. */
export interface SecondGeneratorRanges {
  /** Pixel scale, arcsec per pixel (log-uniform). */
  pixelScaleArcsec: readonly [number, number];
  /** Beam FWHM along the major axis, pixels. */
  beamMajorPx: readonly [number, number];
  /** Beam major / minor axis ratio. */
  beamAxisRatio: readonly [number, number];
  /** Noise rms, Jy/beam (log-uniform). */
  rmsJyBeam: readonly [number, number];
  /** Peak of the (convolved) disk over the noise rms (log-uniform). */
  diskSnr: readonly [number, number];
  /** Disk radius (enclosing 90 % of a tapered disk's flux; the edge of a truncated one), in beam majors (log-uniform). */
  diskRadiusBeams: readonly [number, number];
  /** Disk inclination, degrees (isotropic orientations within the range). */
  inclinationDeg: readonly [number, number];
  /** Wind opening half-angle, degrees. */
  windOpeningDeg: readonly [number, number];
  /** Wind length along its axis, in disk radii (at least 2.5 beams; shortened to fit the image). */
  windLengthRadii: readonly [number, number];
  /** Lowest peak of the wind outside the disk, in noise rms. */
  windPeakMinSigma: number;
  /** Highest peak of the wind outside the disk, as a fraction of the disk peak. */
  windPeakMaxFraction: number;
}

/** Defaults of {@link SecondGeneratorRanges}. */
export const DEFAULT_SECOND_GENERATOR_RANGES: Readonly<SecondGeneratorRanges> = Object.freeze({
  pixelScaleArcsec: [0.005, 0.15] as const,
  beamMajorPx: [3, 8] as const,
  beamAxisRatio: [1, 2] as const,
  rmsJyBeam: [1e-5, 1e-3] as const,
  diskSnr: [15, 1500] as const,
  diskRadiusBeams: [0.5, 10] as const,
  inclinationDeg: [0, 88] as const,
  windOpeningDeg: [10, 45] as const,
  windLengthRadii: [1, 6] as const,
  windPeakMinSigma: 3,
  windPeakMaxFraction: 0.3,
});

/** Options of {@link generateSecondScene}; defaults in {@link DEFAULT_SECOND_SCENE_OPTIONS}. */
export interface SecondSceneOptions {
  /** Image side in pixels, or `[rows, cols]`. Default 400. */
  size?: number | readonly [number, number];
  /** The kind to make. Default: drawn uniformly among the kinds of `label`. */
  kind?: SecondSceneKind;
  /** The label to make when `kind` is absent. Default: 1 with probability `windFraction`. */
  label?: 0 | 1;
  /** Probability of a wind when neither `kind` nor `label` is given. Default 0.37. */
  windFraction?: number;
  /** Index written into `OBJECT`. Default 0. */
  index?: number;
  /** Add noise. Default `true`; `false` renders the noise-free model (same geometry). */
  noise?: boolean;
  /** Also return the noise-free image (`model`). Default `false`. */
  includeModel?: boolean;
  /** Also return the noise-free disk, wind and other components (`components`). Default `false`. */
  includeComponents?: boolean;
  /** Ranges to draw from; missing entries take {@link DEFAULT_SECOND_GENERATOR_RANGES}. */
  ranges?: Partial<SecondGeneratorRanges>;
}

/** Defaults of {@link SecondSceneOptions} (`kind` and `label` default to a random draw). */
export const DEFAULT_SECOND_SCENE_OPTIONS: Readonly<
  Required<Omit<SecondSceneOptions, 'kind' | 'label' | 'ranges'>>
> = Object.freeze({
  size: 400,
  windFraction: 0.37,
  index: 0,
  noise: true,
  includeModel: false,
  includeComponents: false,
});

/** Options of {@link generateSecondSet}; defaults in {@link DEFAULT_SECOND_SET_OPTIONS}. */
export interface SecondSetOptions extends Omit<SecondSceneOptions, 'kind' | 'label' | 'index'> {
  /** Number of scenes. Default 100. */
  count?: number;
}

/** Defaults of {@link SecondSetOptions}; the scene options default as in {@link DEFAULT_SECOND_SCENE_OPTIONS}. */
export const DEFAULT_SECOND_SET_OPTIONS: Readonly<{ count: number; windFraction: number }> =
  Object.freeze({ count: 100, windFraction: 0.37 });

/** Noise-free parts of a scene in Jy/beam, before stripes, primary-beam correction and noise. */
export interface SecondSceneComponents {
  /** The disk(s), rings and compact companions. */
  disk: Image2D;
  /** The wind (zero for negatives). */
  wind: Image2D;
  /** Envelopes, knots and point sources. */
  other: Image2D;
}

/** One generated scene. */
export interface SecondScene {
  /** The observed image, Jy/beam, `[rows, cols]` Float32; NaN outside the primary beam when corrected. */
  image: Image2D;
  /** 1 when a wind is present. */
  label: 0 | 1;
  /** The kind, one of {@link SECOND_GENERATOR_KINDS}. */
  kind: SecondSceneKind;
  /** Every drawn and measured value (pixels, arcsec, degrees, Jy/beam, ratios). */
  params: Record<string, number | string>;
  /** FITS header cards with a celestial SIN WCS and the beam; no structural cards. */
  cards: FitsCard[];
  /** The noise-free image, when `includeModel`. */
  model?: Image2D;
  /** The noise-free components, when `includeComponents`. */
  components?: SecondSceneComponents;
}

/** An elliptical Gaussian beam in pixels: FWHM along the axes, position angle east of north. */
export interface PixelBeam {
  /** FWHM along the major axis, pixels. */
  majorPx: number;
  /** FWHM along the minor axis, pixels. */
  minorPx: number;
  /** Position angle of the major axis, degrees east of north (north = +row, east = −column). */
  paDeg: number;
}

const KIND_LABEL = new Map<string, 0 | 1>(SECOND_GENERATOR_KINDS.map((k) => [k.kind, k.label]));
const WIND_KINDS = SECOND_GENERATOR_KINDS.filter((k) => k.label === 1).map((k) => k.kind);
const NEGATIVE_KINDS = SECOND_GENERATOR_KINDS.filter((k) => k.label === 0).map((k) => k.kind);
const ORIGIN = 'alma-classifier bench/quality second-generator';
const FWHM_TO_SIGMA = 1 / (2 * Math.sqrt(2 * Math.LN2));
const DEG = Math.PI / 180;

// ---------------------------------------------------------------------------------------------
// Public functions
// ---------------------------------------------------------------------------------------------

/**
 * Make one scene. All geometry comes from a generator forked from `rng` and the noise from a
 * second fork, so `noise: false` renders the same sky without noise (equal to `model` to float
 * rounding: the noise shares an FFT with the envelopes and knots).
 *
 * @param rng - the seeded generator (advanced by two forks)
 * @param opts - options; defaults in {@link DEFAULT_SECOND_SCENE_OPTIONS}
 * @returns the image, its label, kind, every drawn value and a FITS header
 * @throws RangeError for a size under 32 pixels, an unknown kind or a fraction outside [0, 1]
 */
export function generateSecondScene(rng: Rng, opts: SecondSceneOptions = {}): SecondScene {
  const o = { ...DEFAULT_SECOND_SCENE_OPTIONS, ...opts };
  const ranges = { ...DEFAULT_SECOND_GENERATOR_RANGES, ...opts.ranges };
  const [rows, cols] = typeof o.size === 'number' ? [o.size, o.size] : [o.size[0], o.size[1]];
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 32 || cols < 32) {
    throw new RangeError(`second-generator: size must be integers >= 32, got [${rows}, ${cols}]`);
  }
  if (!(o.windFraction >= 0 && o.windFraction <= 1)) {
    throw new RangeError(`second-generator: windFraction must be in [0, 1], got ${o.windFraction}`);
  }
  if (opts.kind !== undefined && !KIND_LABEL.has(opts.kind)) {
    throw new RangeError(`second-generator: unknown kind '${String(opts.kind)}'`);
  }
  const geo = rng.fork();
  const noiseRng = rng.fork();
  const label: 0 | 1 =
    opts.kind !== undefined
      ? (KIND_LABEL.get(opts.kind) as 0 | 1)
      : (opts.label ?? (geo.next() < o.windFraction ? 1 : 0));
  const pool = label === 1 ? WIND_KINDS : NEGATIVE_KINDS;
  const kind: SecondSceneKind =
    opts.kind ?? pool[Math.min(pool.length - 1, Math.floor(geo.next() * pool.length))];

  const obs = drawObservation(geo, rows, cols, ranges);
  const content = buildContent(geo, kind, obs, ranges);
  const rendered = render(obs, content, o.noise ? noiseRng : undefined);

  const params: Record<string, number | string> = {
    kind,
    label,
    index: o.index,
    rows,
    cols,
    pixelScaleArcsec: obs.scale,
    beamMajorPx: obs.beam.majorPx,
    beamMinorPx: obs.beam.minorPx,
    beamPaDeg: obs.beam.paDeg,
    beamMajorArcsec: obs.beam.majorPx * obs.scale,
    beamMinorArcsec: obs.beam.minorPx * obs.scale,
    rmsJyBeam: obs.rms,
    crval1Deg: obs.ra,
    crval2Deg: obs.dec,
    ...content.params,
    ...rendered.params,
  };
  const scene: SecondScene = {
    image: rendered.image,
    label,
    kind,
    params,
    cards: headerCards(obs, kind, o.index),
  };
  if (o.includeModel) scene.model = rendered.model;
  if (o.includeComponents) scene.components = rendered.components;
  return scene;
}

/**
 * Make `count` scenes from one seed. Scene `i` draws from the `i`-th fork of `createRng(seed)`,
 * so it depends only on `(seed, i)` and the options, never on `count`. Labels are spread evenly:
 * scene `i` is a wind when `floor((i + 1)·f) > floor(i·f)`, so any first `n` scenes hold
 * `floor(n·f)` winds exactly.
 *
 * @param seed - any integer
 * @param opts - options; defaults in {@link DEFAULT_SECOND_SET_OPTIONS} and {@link DEFAULT_SECOND_SCENE_OPTIONS}
 * @returns the scenes, in index order
 * @throws RangeError for a negative or non-integer count, or as {@link generateSecondScene}
 */
export function generateSecondSet(seed: number, opts: SecondSetOptions = {}): SecondScene[] {
  const { count, windFraction } = { ...DEFAULT_SECOND_SET_OPTIONS, ...opts };
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`second-generator: count must be a non-negative integer, got ${count}`);
  }
  const master = createRng(seed);
  const scenes: SecondScene[] = [];
  for (let i = 0; i < count; i++) {
    const label: 0 | 1 = Math.floor((i + 1) * windFraction) > Math.floor(i * windFraction) ? 1 : 0;
    scenes.push(generateSecondScene(master.fork(), { ...opts, windFraction, label, index: i }));
  }
  return scenes;
}

/**
 * Convolve an image with an elliptical Gaussian beam normalised to a peak of 1 (Jy/pixel in,
 * Jy/beam out), by FFT over a zero-padded grid; the sky beyond the edges is taken as zero. NaN
 * pixels count as zero. The kernel is the Gaussian sampled at pixel offsets, so a unit point on
 * a pixel centre gives exactly `exp(-½·dᵀΣ⁻¹d)` around it.
 *
 * @param image - `[rows, cols]` image (not modified)
 * @param beam - FWHM and position angle in pixels and degrees
 * @returns a new Float32 image of the same shape
 */
export function convolveEllipticalBeam(image: Image2D, beam: PixelBeam): Image2D {
  const [rows, cols] = image.shape as [number, number];
  const margin = beamMargin(beam);
  const nr = goodFftSize(rows + 2 * margin);
  const nc = goodFftSize(cols + 2 * margin);
  const re = new Float64Array(nr * nc);
  const im = new Float64Array(nr * nc);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = image.get(r, c);
      re[(r + margin) * nc + c + margin] = Number.isFinite(v) ? v : 0;
    }
  }
  convolvePair(re, im, nr, nc, beamTransfer(beam, nr, nc));
  const out = createImage2D(rows, cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out.data[r * cols + c] = re[(r + margin) * nc + c + margin];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Observation
// ---------------------------------------------------------------------------------------------

interface Observation {
  rows: number;
  cols: number;
  /** arcsec per pixel */
  scale: number;
  beam: PixelBeam;
  /** beam solid angle in pixels, 2π σmaj σmin */
  beamAreaPx: number;
  rms: number;
  ra: number;
  dec: number;
  /** target convolved disk peak, Jy/beam */
  diskPeak: number;
  /** scene centre (disk centre), image coordinates */
  cx: number;
  cy: number;
}

function drawObservation(
  geo: Rng,
  rows: number,
  cols: number,
  ranges: SecondGeneratorRanges,
): Observation {
  const scale = logUniform(geo, ranges.pixelScaleArcsec);
  const majorPx = geo.uniform(ranges.beamMajorPx[0], ranges.beamMajorPx[1]);
  const minorPx = majorPx / geo.uniform(ranges.beamAxisRatio[0], ranges.beamAxisRatio[1]);
  const paDeg = geo.uniform(0, 180);
  const rms = logUniform(geo, ranges.rmsJyBeam);
  const ra = geo.uniform(0, 360);
  // ALMA's sky: declinations below about +47°, uniform on the sphere.
  const dec = Math.asin(geo.uniform(-1, Math.sin(47 * DEG))) / DEG;
  const diskPeak = logUniform(geo, ranges.diskSnr) * rms;
  const side = Math.min(rows, cols);
  const cx = (cols - 1) / 2 + geo.uniform(-0.04, 0.04) * side;
  const cy = (rows - 1) / 2 + geo.uniform(-0.04, 0.04) * side;
  const beam = { majorPx, minorPx, paDeg };
  const beamAreaPx = 2 * Math.PI * majorPx * minorPx * FWHM_TO_SIGMA ** 2;
  return { rows, cols, scale, beam, beamAreaPx, rms, ra, dec, diskPeak, cx, cy };
}

function headerCards(obs: Observation, kind: string, index: number): FitsCard[] {
  const cdelt = obs.scale / 3600;
  return [
    { key: 'BUNIT', value: 'Jy/beam', comment: 'brightness unit' },
    { key: 'BMAJ', value: (obs.beam.majorPx * obs.scale) / 3600, comment: '[deg] beam FWHM major' },
    { key: 'BMIN', value: (obs.beam.minorPx * obs.scale) / 3600, comment: '[deg] beam FWHM minor' },
    { key: 'BPA', value: obs.beam.paDeg, comment: '[deg] beam position angle, east of north' },
    { key: 'BTYPE', value: 'Intensity' },
    { key: 'OBJECT', value: `second-generator ${kind} ${index}` },
    { key: 'ORIGIN', value: ORIGIN },
    { key: 'TELESCOP', value: 'ALMA', comment: 'simulated' },
    { key: 'RADESYS', value: 'ICRS' },
    { key: 'EQUINOX', value: 2000 },
    { key: 'CTYPE1', value: 'RA---SIN' },
    { key: 'CRVAL1', value: obs.ra, comment: '[deg]' },
    { key: 'CDELT1', value: -cdelt, comment: '[deg] per pixel' },
    { key: 'CRPIX1', value: (obs.cols + 1) / 2 },
    { key: 'CUNIT1', value: 'deg' },
    { key: 'CTYPE2', value: 'DEC--SIN' },
    { key: 'CRVAL2', value: obs.dec, comment: '[deg]' },
    { key: 'CDELT2', value: cdelt, comment: '[deg] per pixel' },
    { key: 'CRPIX2', value: (obs.rows + 1) / 2 },
    { key: 'CUNIT2', value: 'deg' },
    { key: 'COMMENT', value: 'synthetic image from the evaluation-only second generator' },
  ];
}

// ---------------------------------------------------------------------------------------------
// Scene content
// ---------------------------------------------------------------------------------------------

interface DiskModel {
  cx: number;
  cy: number;
  paDeg: number;
  incDeg: number;
  radiusPx: number;
  rMax: number;
  hOverR: number;
  flaring: number;
  minFeaturePx: number;
  surface: (x: number, y: number) => number;
}

interface WindModel {
  geometry: 'cone' | 'shell' | 'clumpy';
  cx: number;
  cy: number;
  /** axis position angle on the sky (disk minor axis + misalignment), degrees */
  axisPaDeg: number;
  incDeg: number;
  footPx: number;
  openingDeg: number;
  /** shell only: end radius over the cone's, r(L) = r0 + shellEnd·L·tan α */
  shellEnd: number;
  lengthPx: number;
  thickness: number;
  onsetPx: number;
  decay: number;
  /** brightness factors of the +z (near) and −z (far) lobes */
  lobes: readonly [number, number];
  azAsym: number;
  azPhase: number;
  bend: 'none' | 'S' | 'C';
  bendAmp: number;
  knots: number;
  knotSigmaPx: number;
  diffuseFraction: number;
  /** seed of the clump positions */
  knotSeed: number;
}

interface Gaussian {
  x: number;
  y: number;
  sigmaPx: number;
  /** flux, Jy (sum over pixels of the sky) */
  flux: number;
}

interface Envelope {
  cx: number;
  cy: number;
  paDeg: number;
  axisRatio: number;
  corePx: number;
  slope: number;
  outerPx: number;
  /** peak surface brightness, Jy/beam */
  peak: number;
}

interface Stripe {
  amplitude: number;
  wavelengthPx: number;
  angleDeg: number;
  phase: number;
  envelopePx: number;
}

interface Content {
  disks: { model: DiskModel; flux: number }[];
  wind?: WindModel;
  windPeak?: number;
  gaussians: Gaussian[];
  points: { x: number; y: number; flux: number }[];
  envelope?: Envelope;
  stripes: Stripe[];
  pbRadiusPx?: number;
  params: Record<string, number | string>;
}

type DiskStyle = 'general' | 'ringed' | 'edge-on' | 'compact';

function buildContent(
  geo: Rng,
  kind: SecondSceneKind,
  obs: Observation,
  ranges: SecondGeneratorRanges,
): Content {
  const c: Content = { disks: [], gaussians: [], points: [], stripes: [], params: {} };
  const side = Math.min(obs.rows, obs.cols);
  const p = c.params;
  let main: DiskModel | undefined;
  switch (kind) {
    case 'wind-cone':
    case 'wind-shell':
    case 'wind-clumpy':
    case 'disk':
    case 'envelope':
    case 'knot-jet':
    case 'stripes':
    case 'pbcor-edge':
      main = drawDisk(geo, obs, ranges, 'general', obs.cx, obs.cy, 0.2 * side, p, 'disk');
      break;
    case 'ringed-disk':
      main = drawDisk(geo, obs, ranges, 'ringed', obs.cx, obs.cy, 0.2 * side, p, 'disk');
      break;
    case 'edge-on-disk':
      main = drawDisk(geo, obs, ranges, 'edge-on', obs.cx, obs.cy, 0.2 * side, p, 'disk');
      break;
    case 'binary':
      main = drawBinary(geo, obs, ranges, c);
      break;
    case 'circumbinary-ring':
      main = drawCircumbinary(geo, obs, ranges, c);
      break;
    case 'point-sources':
      break;
  }
  if (main !== undefined && kind !== 'binary' && kind !== 'circumbinary-ring') {
    c.disks.push({ model: main, flux: 1 });
  }
  if (
    main !== undefined &&
    (kind === 'wind-cone' || kind === 'wind-shell' || kind === 'wind-clumpy')
  ) {
    const geometry = kind === 'wind-cone' ? 'cone' : kind === 'wind-shell' ? 'shell' : 'clumpy';
    c.wind = drawWind(geo, obs, ranges, main, geometry, p);
    const lo = ranges.windPeakMinSigma * obs.rms;
    const hi = Math.max(lo, ranges.windPeakMaxFraction * obs.diskPeak);
    c.windPeak = logUniform(geo, [lo, hi]);
    p.windPeakTargetSigma = c.windPeak / obs.rms;
  }
  if (kind === 'knot-jet' && main !== undefined) drawKnotJet(geo, obs, main, c);
  if (kind === 'point-sources') drawPointSources(geo, obs, c);

  // Extras shared by every kind at the same rates, so that none predicts the label.
  const envelope = kind === 'envelope' || (main !== undefined && geo.next() < 0.12);
  if (envelope && main !== undefined) drawEnvelope(geo, obs, main, c);
  const stripes = kind === 'stripes' || geo.next() < 0.1;
  if (stripes) {
    const peak = main !== undefined ? obs.diskPeak : Math.max(...c.points.map((s) => s.flux));
    drawStripes(geo, obs, peak, c);
  }
  const pbcor = kind === 'pbcor-edge' || geo.next() < 0.15;
  if (pbcor) {
    c.pbRadiusPx = geo.uniform(0.38, 0.68) * side;
    p.pbRadiusPx = c.pbRadiusPx;
    // PB(r) = exp(-4 ln2 r² / FWHM²) falls to 0.2 (ALMA's pblimit) at pbRadiusPx.
    p.pbFwhmPx = c.pbRadiusPx * Math.sqrt((4 * Math.LN2) / Math.log(5));
  }
  p.pbcor = pbcor ? 1 : 0;
  const field = geo.next() < 0.2 ? geo.int(1, 3) : 0;
  for (let k = 0; k < field; k++) {
    const r = geo.uniform(0.22, 0.45) * side;
    const t = geo.uniform(0, 2 * Math.PI);
    c.points.push({
      x: Math.round(obs.cx + r * Math.cos(t)),
      y: Math.round(obs.cy + r * Math.sin(t)),
      flux: logUniform(geo, [5, 30]) * obs.rms,
    });
  }
  p.fieldSources = field;
  return c;
}

/** Isotropic inclination within [lo, hi] degrees: cos i uniform. */
function drawInclination(geo: Rng, lo: number, hi: number): number {
  return Math.acos(geo.uniform(Math.cos(hi * DEG), Math.cos(lo * DEG))) / DEG;
}

function drawDisk(
  geo: Rng,
  obs: Observation,
  ranges: SecondGeneratorRanges,
  style: DiskStyle,
  cx: number,
  cy: number,
  maxRadiusPx: number,
  p: Record<string, number | string>,
  prefix: string,
): DiskModel {
  const bmaj = obs.beam.majorPx;
  // Rings and edge-on shapes need a resolved disk to be what they are.
  const floor = style === 'ringed' ? 2 : style === 'edge-on' ? 1.5 : 0;
  const [lo, hi] = ranges.diskRadiusBeams;
  const radiusBeams =
    style === 'compact'
      ? logUniform(geo, [0.25, 0.8])
      : logUniform(geo, [Math.max(floor, lo), Math.max(floor, hi)]);
  const radiusPx = Math.max(0.8, Math.min(radiusBeams * bmaj, maxRadiusPx));
  const incDeg =
    style === 'edge-on'
      ? geo.uniform(75, 88)
      : drawInclination(geo, ranges.inclinationDeg[0], ranges.inclinationDeg[1]);
  const paDeg = geo.uniform(0, 360);
  const profileDraw = geo.next();
  const profile = style === 'compact' || profileDraw < 0.6 ? 'nuker' : 'powerlaw';
  const gamma = geo.uniform(0.3, 1.2);
  const slope = geo.uniform(0.3, 1.4);
  const edge = geo.uniform(0.04, 0.2);
  const hOverR = style === 'edge-on' ? geo.uniform(0.05, 0.2) : geo.uniform(0.02, 0.1);
  const flaring = style === 'edge-on' ? geo.uniform(0.05, 0.3) : geo.uniform(0, 0.25);

  const rc = profile === 'nuker' ? radiusPx / Math.pow(Math.LN10, 1 / (2 - gamma)) : radiusPx;
  const base = (R: number): number => {
    const r = Math.max(R, 0.5);
    if (profile === 'nuker') {
      const q = r / rc;
      return Math.pow(q, -gamma) * Math.exp(-Math.pow(q, 2 - gamma));
    }
    return Math.pow(r / radiusPx, -slope) / (1 + Math.exp((R - radiusPx) / (edge * radiusPx)));
  };

  const ringsWanted = style === 'ringed' || (style === 'general' && geo.next() < 0.25);
  const gaps: { r: number; w: number; depth: number }[] = [];
  const rings: { r: number; w: number; amp: number }[] = [];
  if (ringsWanted) {
    const nGaps = style === 'ringed' ? geo.int(1, 3) : geo.int(0, 2);
    const nRings = style === 'ringed' ? geo.int(1, 2) : geo.int(1, 2);
    for (let k = 0; k < nGaps; k++) {
      gaps.push({
        r: geo.uniform(0.2, 0.85) * radiusPx,
        w: Math.max(0.4, geo.uniform(0.03, 0.1) * radiusPx),
        depth: geo.uniform(0.4, 1),
      });
    }
    for (let k = 0; k < nRings; k++) {
      rings.push({
        r: geo.uniform(0.3, 0.95) * radiusPx,
        w: Math.max(0.4, geo.uniform(0.03, 0.1) * radiusPx),
        amp: geo.uniform(0.3, 1.5),
      });
    }
  }
  const crescentP = style === 'ringed' ? 0.35 : style === 'general' ? 0.08 : 0;
  const crescent =
    geo.next() < crescentP
      ? {
          r: geo.uniform(0.4, 0.9) * radiusPx,
          w: Math.max(0.5, geo.uniform(0.05, 0.15) * radiusPx),
          amp: geo.uniform(1, 4),
          phi0: geo.uniform(0, 2 * Math.PI),
          kappa: geo.uniform(1, 4),
        }
      : undefined;
  const ringBase = rings.map((g) => g.amp * base(g.r));
  const crescentBase = crescent === undefined ? 0 : crescent.amp * base(crescent.r);
  const surface = (x: number, y: number): number => {
    const R = Math.sqrt(x * x + y * y);
    let s = base(R);
    for (const g of gaps) s *= 1 - g.depth * Math.exp(-((R - g.r) ** 2) / (2 * g.w * g.w));
    for (let k = 0; k < rings.length; k++) {
      const g = rings[k];
      s += ringBase[k] * Math.exp(-((R - g.r) ** 2) / (2 * g.w * g.w));
    }
    if (crescent !== undefined) {
      const phi = Math.atan2(y, x);
      s +=
        crescentBase *
        Math.exp(crescent.kappa * (Math.cos(phi - crescent.phi0) - 1)) *
        Math.exp(-((R - crescent.r) ** 2) / (2 * crescent.w * crescent.w));
    }
    return s;
  };
  const widths = [...gaps.map((g) => g.w), ...rings.map((g) => g.w), crescent?.w ?? Infinity];
  const minFeaturePx = Math.min(0.1 * radiusPx, ...widths);
  const rTail =
    profile === 'nuker'
      ? rc * Math.pow(Math.log(1000), 1 / (2 - gamma))
      : radiusPx * (1 + 6 * edge);
  const rMax = Math.min(
    Math.max(rTail, radiusPx * 1.05),
    3 * radiusPx,
    0.75 * Math.min(obs.rows, obs.cols),
  );

  p[`${prefix}Profile`] = profile;
  if (profile === 'nuker') p[`${prefix}Gamma`] = gamma;
  else {
    p[`${prefix}Slope`] = slope;
    p[`${prefix}EdgeWidth`] = edge;
  }
  p[`${prefix}RadiusPx`] = radiusPx;
  p[`${prefix}RadiusArcsec`] = radiusPx * obs.scale;
  p[`${prefix}RadiusBeams`] = radiusPx / bmaj;
  p[`${prefix}InclinationDeg`] = incDeg;
  p[`${prefix}PaDeg`] = paDeg;
  p[`${prefix}MinorAxisPaDeg`] = (paDeg + 90) % 360;
  p[`${prefix}HOverR`] = hOverR;
  p[`${prefix}Flaring`] = flaring;
  p[`${prefix}Gaps`] = gaps.length;
  p[`${prefix}Rings`] = rings.length;
  p[`${prefix}Crescent`] = crescent === undefined ? 0 : 1;
  p[`${prefix}CentreX`] = cx;
  p[`${prefix}CentreY`] = cy;
  return { cx, cy, paDeg, incDeg, radiusPx, rMax, hOverR, flaring, minFeaturePx, surface };
}

function drawBinary(
  geo: Rng,
  obs: Observation,
  ranges: SecondGeneratorRanges,
  c: Content,
): DiskModel {
  const side = Math.min(obs.rows, obs.cols);
  const bmaj = obs.beam.majorPx;
  const sep = Math.min(geo.uniform(1, 10) * bmaj, 0.6 * side);
  const angle = geo.uniform(0, 2 * Math.PI);
  const ratio = geo.uniform(0.1, 1);
  const share = 1 / (1 + ratio);
  const dx = Math.cos(angle) * sep;
  const dy = Math.sin(angle) * sep;
  const small: SecondGeneratorRanges = { ...ranges, diskRadiusBeams: [0.5, 4] };
  const a = drawDisk(
    geo,
    obs,
    small,
    'general',
    obs.cx + dx * (1 - share),
    obs.cy + dy * (1 - share),
    0.15 * side,
    c.params,
    'disk',
  );
  const b = drawDisk(
    geo,
    obs,
    small,
    'general',
    obs.cx - dx * share,
    obs.cy - dy * share,
    0.15 * side,
    c.params,
    'companion',
  );
  c.disks.push({ model: a, flux: 1 }, { model: b, flux: ratio });
  c.params.binarySeparationPx = sep;
  c.params.binarySeparationBeams = sep / bmaj;
  c.params.binarySeparationArcsec = sep * obs.scale;
  c.params.binaryFluxRatio = ratio;
  return a;
}

function drawCircumbinary(
  geo: Rng,
  obs: Observation,
  ranges: SecondGeneratorRanges,
  c: Content,
): DiskModel {
  const side = Math.min(obs.rows, obs.cols);
  const bmaj = obs.beam.majorPx;
  const ringR = Math.min(geo.uniform(2.5, 9) * bmaj, 0.3 * side);
  const ringW = Math.max(0.6, geo.uniform(0.08, 0.3) * ringR);
  const incDeg = drawInclination(geo, 0, 80);
  const paDeg = geo.uniform(0, 360);
  const lopsided = geo.next() < 0.4;
  const asym = geo.uniform(0.3, 0.9);
  const phi0 = geo.uniform(0, 2 * Math.PI);
  const ring: DiskModel = {
    cx: obs.cx,
    cy: obs.cy,
    paDeg,
    incDeg,
    radiusPx: ringR + 2 * ringW,
    rMax: ringR + 4 * ringW,
    hOverR: geo.uniform(0.02, 0.08),
    flaring: 0,
    minFeaturePx: ringW,
    surface: (x, y) => {
      const R = Math.sqrt(x * x + y * y);
      const az = lopsided ? 1 + asym * Math.cos(Math.atan2(y, x) - phi0) : 1;
      return az * Math.exp(-((R - ringR) ** 2) / (2 * ringW * ringW));
    },
  };
  c.disks.push({ model: ring, flux: 1 });
  const n = geo.int(1, 2);
  const u = dirPA(paDeg);
  const v = dirPA(paDeg + 90);
  const cosI = Math.cos(incDeg * DEG);
  const t = geo.uniform(0, 2 * Math.PI);
  const orbit = geo.uniform(0.1, 0.35) * ringR;
  for (let k = 0; k < n; k++) {
    const phi = t + k * Math.PI;
    const rr = n === 1 ? geo.uniform(0, 0.15) * ringR : orbit;
    const a = rr * Math.cos(phi);
    const b = rr * Math.sin(phi) * cosI;
    const inner = drawDisk(
      geo,
      obs,
      ranges,
      'compact',
      obs.cx + a * u.x + b * v.x,
      obs.cy + a * u.y + b * v.y,
      0.05 * side,
      c.params,
      `inner${k}`,
    );
    c.disks.push({ model: inner, flux: logUniform(geo, [0.05, 0.6]) });
  }
  c.params.ringRadiusPx = ringR;
  c.params.ringRadiusArcsec = ringR * obs.scale;
  c.params.ringWidthPx = ringW;
  c.params.diskInclinationDeg = incDeg;
  c.params.diskPaDeg = paDeg;
  c.params.diskRadiusPx = ringR;
  c.params.diskRadiusArcsec = ringR * obs.scale;
  c.params.diskRadiusBeams = ringR / bmaj;
  c.params.diskMinorAxisPaDeg = (paDeg + 90) % 360;
  c.params.diskCentreX = obs.cx;
  c.params.diskCentreY = obs.cy;
  c.params.ringLopsided = lopsided ? asym : 0;
  c.params.innerSources = n;
  return ring;
}

/**
 * Wall radius at height z. Cone: r0 + z·tan α. Shell: r0 + A·(√(1 + z/zs) − 1), a parabola
 * (ρ ∝ √z far out) whose wall leaves the disk at the opening angle α and then closes in, ending
 * at r0 + q·L·tan α; (√(1+x) − 1)/x = q/2 with x = L/zs gives x = (2/q − 1)² − 1.
 */
function windProfileRadius(w: WindModel, z: number): number {
  const tanA = Math.tan(w.openingDeg * DEG);
  if (w.geometry !== 'shell') return w.footPx + z * tanA;
  const x = (2 / w.shellEnd - 1) ** 2 - 1;
  const zs = w.lengthPx / x;
  return w.footPx + 2 * zs * tanA * (Math.sqrt(1 + z / zs) - 1);
}

/** Brightness along a lobe: onset above the disk surface, power-law decline, taper to the end. */
function windAlong(w: WindModel, z: number): number {
  if (z <= 0 || z >= w.lengthPx) return 0;
  const onset = 1 - Math.exp(-((z / w.onsetPx) ** 2));
  const decline = Math.pow(1 + z / (0.3 * w.lengthPx), -w.decay);
  const taper = Math.pow(1 - (z / w.lengthPx) ** 2, 1.5);
  return onset * decline * taper;
}

function windBend(w: WindModel, zSigned: number): number {
  const q = zSigned / w.lengthPx;
  if (w.bend === 'S') return w.bendAmp * w.lengthPx * Math.sign(q) * q * q;
  if (w.bend === 'C') return w.bendAmp * w.lengthPx * q * q;
  return 0;
}

function drawWind(
  geo: Rng,
  obs: Observation,
  ranges: SecondGeneratorRanges,
  disk: DiskModel,
  geometry: WindModel['geometry'],
  p: Record<string, number | string>,
): WindModel {
  const bmaj = obs.beam.majorPx;
  const side = Math.min(obs.rows, obs.cols);
  const openLo =
    geometry === 'clumpy' ? Math.max(ranges.windOpeningDeg[0], 25) : ranges.windOpeningDeg[0];
  const openingDeg = geo.uniform(
    Math.min(openLo, ranges.windOpeningDeg[1]),
    ranges.windOpeningDeg[1],
  );
  const lengthRadii = geo.uniform(ranges.windLengthRadii[0], ranges.windLengthRadii[1]);
  const footPx = Math.max(0.5, geo.uniform(0.1, 0.6) * disk.radiusPx);
  const oneSided = geo.next() < 0.3;
  const farFactor = oneSided ? 0 : geo.uniform(0.2, 1);
  const misalignDeg = geo.uniform(-5, 5);
  const bendDraw = geo.next();
  const bend: WindModel['bend'] = bendDraw < 0.5 ? 'none' : bendDraw < 0.75 ? 'S' : 'C';
  const w: WindModel = {
    geometry,
    cx: disk.cx,
    cy: disk.cy,
    axisPaDeg: disk.paDeg + 90 + misalignDeg,
    incDeg: disk.incDeg,
    footPx,
    openingDeg,
    shellEnd: geo.uniform(0.45, 0.75),
    lengthPx: Math.max(lengthRadii * disk.radiusPx, 2.5 * bmaj),
    thickness: geo.uniform(0.08, 0.25),
    onsetPx: Math.max(0.5, geo.uniform(0.1, 0.5) * disk.radiusPx),
    decay: geo.uniform(0, 1.5),
    lobes: [1, farFactor],
    azAsym: geo.next() < 0.5 ? geo.uniform(0.2, 0.8) : 0,
    azPhase: geo.uniform(0, 2 * Math.PI),
    bend,
    bendAmp: bend === 'none' ? 0 : geo.uniform(0.05, 0.3),
    knots: geometry === 'clumpy' ? geo.int(15, 60) : 0,
    knotSigmaPx: Math.max(0.6, geo.uniform(0.15, 0.4) * obs.beam.minorPx),
    diffuseFraction: geo.uniform(0.15, 0.5),
    knotSeed: geo.int(0, 0x7fffffff),
  };
  // Keep the whole wind inside the image: shorten it until its projected extent fits.
  const sinI = Math.sin(w.incDeg * DEG);
  const cosI = Math.cos(w.incDeg * DEG);
  const off = Math.hypot(disk.cx - (obs.cols - 1) / 2, disk.cy - (obs.rows - 1) / 2);
  const room = 0.47 * side - off;
  const extent = (L: number): number => {
    const t = { ...w, lengthPx: L };
    const rho = windProfileRadius(t, L) * (1 + 2 * w.thickness);
    return Math.max(L * sinI + rho * cosI, rho) + w.bendAmp * L;
  };
  if (extent(w.lengthPx) > room) {
    let lo = 0;
    let hi = w.lengthPx;
    for (let k = 0; k < 40; k++) {
      const mid = (lo + hi) / 2;
      if (extent(mid) > room) hi = mid;
      else lo = mid;
    }
    w.lengthPx = Math.max(lo, 1);
  }
  p.windGeometry = geometry;
  p.windOpeningDeg = openingDeg;
  if (geometry === 'shell') p.windShellEndFraction = w.shellEnd;
  p.windLengthPx = w.lengthPx;
  p.windLengthArcsec = w.lengthPx * obs.scale;
  p.windLengthRadii = w.lengthPx / disk.radiusPx;
  p.windProjectedLengthPx = w.lengthPx * sinI;
  p.windFootRadiusPx = footPx;
  p.windWallThickness = w.thickness;
  p.windOnsetPx = w.onsetPx;
  p.windDecay = w.decay;
  p.windLobes = oneSided ? 'one-sided' : 'bipolar';
  p.windFarLobeFactor = farFactor;
  p.windMisalignDeg = misalignDeg;
  p.windAxisPaDeg = ((w.axisPaDeg % 360) + 360) % 360;
  p.windAzimuthalAsymmetry = w.azAsym;
  p.windBend = bend;
  p.windBendAmplitude = w.bendAmp;
  if (geometry === 'clumpy') {
    p.windKnots = w.knots;
    p.windKnotSigmaPx = w.knotSigmaPx;
    p.windDiffuseFraction = w.diffuseFraction;
  }
  return w;
}

function drawKnotJet(geo: Rng, obs: Observation, disk: DiskModel, c: Content): void {
  const bmaj = obs.beam.majorPx;
  const side = Math.min(obs.rows, obs.cols);
  const bipolar = geo.next() < 0.6;
  const perSide = geo.int(2, 6);
  const spacing = geo.uniform(1, 3) * bmaj;
  const axis = dirPA(disk.paDeg + 90 + geo.uniform(-5, 5));
  const normal = { x: -axis.y, y: axis.x };
  const first = logUniform(geo, [5, 40]);
  const fade = geo.uniform(0.6, 0.95);
  const start = disk.radiusPx * Math.max(0.3, Math.sin(disk.incDeg * DEG)) + 0.5 * spacing;
  const sb = obs.beam.majorPx * FWHM_TO_SIGMA;
  const ss = obs.beam.minorPx * FWHM_TO_SIGMA;
  let n = 0;
  for (const sgn of bipolar ? [1, -1] : [1]) {
    let peak = first * (sgn === 1 ? 1 : geo.uniform(0.4, 1));
    for (let k = 0; k < perSide; k++) {
      const d = start + k * spacing * geo.uniform(0.8, 1.2);
      if (d > 0.46 * side) break;
      const wiggle = geo.normal() * 0.3 * bmaj;
      const sigmaPx = Math.max(0.5, geo.uniform(0.15, 0.35) * obs.beam.minorPx);
      // Flux that peaks at `peak` σ after convolution with the beam.
      const gain = (sb * ss) / Math.sqrt((sb * sb + sigmaPx ** 2) * (ss * ss + sigmaPx ** 2));
      c.gaussians.push({
        x: disk.cx + sgn * d * axis.x + wiggle * normal.x,
        y: disk.cy + sgn * d * axis.y + wiggle * normal.y,
        sigmaPx,
        flux: (peak * obs.rms) / gain,
      });
      peak *= fade;
      n++;
    }
  }
  c.params.jetKnots = n;
  c.params.jetLobes = bipolar ? 'bipolar' : 'one-sided';
  c.params.jetKnotSpacingPx = spacing;
  c.params.jetFirstKnotSigma = first;
  c.params.jetFade = fade;
}

function drawPointSources(geo: Rng, obs: Observation, c: Content): void {
  const side = Math.min(obs.rows, obs.cols);
  const n = geo.int(1, 8);
  let brightest = 0;
  for (let k = 0; k < n; k++) {
    const r = k === 0 ? geo.uniform(0, 0.05) * side : geo.uniform(0, 0.42) * side;
    const t = geo.uniform(0, 2 * Math.PI);
    const snr = logUniform(geo, [5, 100]);
    brightest = Math.max(brightest, snr);
    c.points.push({
      x: Math.round(obs.cx + r * Math.cos(t)),
      y: Math.round(obs.cy + r * Math.sin(t)),
      flux: snr * obs.rms,
    });
  }
  c.params.pointSources = n;
  c.params.brightestPointSigma = brightest;
}

function drawEnvelope(geo: Rng, obs: Observation, disk: DiskModel, c: Content): void {
  const side = Math.min(obs.rows, obs.cols);
  const flattened = geo.next() < 0.6;
  const env: Envelope = {
    cx: disk.cx,
    cy: disk.cy,
    paDeg: flattened ? disk.paDeg + geo.uniform(-10, 10) : geo.uniform(0, 180),
    axisRatio: flattened ? geo.uniform(1.2, 1.8) : geo.uniform(1, 1.2),
    corePx: geo.uniform(1, 2) * obs.beam.majorPx,
    slope: geo.uniform(0.5, 2),
    outerPx: geo.uniform(0.25, 0.45) * side,
    peak: logUniform(geo, [5, 60]) * obs.rms,
  };
  c.envelope = env;
  c.params.envelopePeakSigma = env.peak / obs.rms;
  c.params.envelopeSlope = env.slope;
  c.params.envelopeCorePx = env.corePx;
  c.params.envelopeOuterPx = env.outerPx;
  c.params.envelopeAxisRatio = env.axisRatio;
  c.params.envelopePaDeg = env.paDeg;
}

function drawStripes(geo: Rng, obs: Observation, peak: number, c: Content): void {
  const side = Math.min(obs.rows, obs.cols);
  const sets = geo.next() < 0.6 ? 1 : 2;
  for (let k = 0; k < sets; k++) {
    c.stripes.push({
      amplitude: obs.rms * geo.uniform(1, 3) + peak * logUniform(geo, [0.0005, 0.004]),
      wavelengthPx: geo.uniform(2, 8) * obs.beam.majorPx,
      angleDeg: geo.uniform(0, 180),
      phase: geo.uniform(0, 2 * Math.PI),
      envelopePx: geo.uniform(0.15, 0.5) * side,
    });
  }
  c.params.stripeSets = sets;
  c.params.stripeAmplitudeSigma = c.stripes[0].amplitude / obs.rms;
  c.params.stripeWavelengthPx = c.stripes[0].wavelengthPx;
  c.params.stripeAngleDeg = c.stripes[0].angleDeg;
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

/** The padded sky grid: image pixel (x, y) is grid cell (x + off, y + off) of an nr × nc FFT grid. */
interface Grid {
  nr: number;
  nc: number;
  off: number;
  /** rows and columns of sky actually filled (image plus margins) */
  rows: number;
  cols: number;
}

function render(
  obs: Observation,
  c: Content,
  noiseRng: Rng | undefined,
): {
  image: Image2D;
  model: Image2D;
  components: SecondSceneComponents;
  params: Record<string, number>;
} {
  const { rows, cols } = obs;
  const off = beamMargin(obs.beam);
  const g: Grid = {
    nr: goodFftSize(rows + 2 * off),
    nc: goodFftSize(cols + 2 * off),
    off,
    rows: rows + 2 * off,
    cols: cols + 2 * off,
  };
  const n = g.nr * g.nc;
  const diskSky = new Float64Array(n);
  for (const d of c.disks) {
    const one = renderDisk(d.model, g);
    let sum = 0;
    for (let k = 0; k < n; k++) sum += one[k];
    if (sum > 0) for (let k = 0; k < n; k++) diskSky[k] += (d.flux / sum) * one[k];
  }
  const windSky = new Float64Array(n);
  if (c.wind !== undefined) renderWind(c.wind, obs, g, windSky);
  const otherSky = new Float64Array(n);
  for (const s of c.gaussians) addGaussian(otherSky, g, s.x, s.y, s.sigmaPx, s.flux);
  for (const s of c.points) {
    const gx = Math.round(s.x) + off;
    const gy = Math.round(s.y) + off;
    if (gx >= 0 && gy >= 0 && gx < g.cols && gy < g.rows) otherSky[gy * g.nc + gx] += s.flux;
  }
  if (c.envelope !== undefined) addEnvelope(otherSky, g, c.envelope, obs.beamAreaPx);
  const noise = new Float64Array(n);
  if (noiseRng !== undefined) for (let k = 0; k < n; k++) noise[k] = noiseRng.normal();

  const transfer = beamTransfer(obs.beam, g.nr, g.nc);
  convolvePair(diskSky, windSky, g.nr, g.nc, transfer);
  convolvePair(otherSky, noise, g.nr, g.nc, transfer);

  const at = (r: number, col: number): number => (r + off) * g.nc + col + off;
  let diskMax = 0;
  for (let r = 0; r < rows; r++)
    for (let col = 0; col < cols; col++) diskMax = Math.max(diskMax, diskSky[at(r, col)]);
  const sDisk = diskMax > 0 ? obs.diskPeak / diskMax : 0;
  const params: Record<string, number> = {};
  if (diskMax > 0) {
    params.diskPeakJyBeam = obs.diskPeak;
    params.diskSnr = obs.diskPeak / obs.rms;
  }
  let sWind = 0;
  if (c.wind !== undefined && c.windPeak !== undefined) {
    let outside = 0;
    let any = 0;
    for (let r = 0; r < rows; r++) {
      for (let col = 0; col < cols; col++) {
        const k = at(r, col);
        any = Math.max(any, windSky[k]);
        if (diskSky[k] < 0.05 * diskMax) outside = Math.max(outside, windSky[k]);
      }
    }
    const ref = outside > 0 ? outside : any;
    sWind = ref > 0 ? c.windPeak / ref : 0;
    params.windPeakJyBeam = c.windPeak;
    params.windPeakSigma = c.windPeak / obs.rms;
    params.windContrast = diskMax > 0 ? c.windPeak / obs.diskPeak : 0;
    params.windPeakOutsideDisk = outside > 0 ? 1 : 0;
    params.windPeakTotalJyBeam = any * sWind;
  }
  let sNoise = 0;
  if (noiseRng !== undefined) {
    let ss = 0;
    for (let r = 0; r < rows; r++)
      for (let col = 0; col < cols; col++) ss += noise[at(r, col)] ** 2;
    sNoise = obs.rms / Math.sqrt(ss / (rows * cols));
  }

  const image = createImage2D(rows, cols);
  const model = createImage2D(rows, cols);
  const components: SecondSceneComponents = {
    disk: createImage2D(rows, cols),
    wind: createImage2D(rows, cols),
    other: createImage2D(rows, cols),
  };
  const pbFwhm =
    c.pbRadiusPx === undefined ? 0 : c.pbRadiusPx * Math.sqrt((4 * Math.LN2) / Math.log(5));
  const pcx = (cols - 1) / 2;
  const pcy = (rows - 1) / 2;
  const stripeDirs = c.stripes.map((s) => {
    const d = dirPA(s.angleDeg);
    return {
      ...s,
      kx: (2 * Math.PI * d.x) / s.wavelengthPx,
      ky: (2 * Math.PI * d.y) / s.wavelengthPx,
    };
  });
  for (let r = 0; r < rows; r++) {
    for (let col = 0; col < cols; col++) {
      const k = at(r, col);
      const i = r * cols + col;
      const d = sDisk * diskSky[k];
      const w = sWind * windSky[k];
      const o = otherSky[k];
      components.disk.data[i] = d;
      components.wind.data[i] = w;
      components.other.data[i] = o;
      let artefact = 0;
      for (const s of stripeDirs) {
        const rr2 = (col - obs.cx) ** 2 + (r - obs.cy) ** 2;
        const env = 0.3 + 0.7 * Math.exp(-rr2 / (2 * s.envelopePx * s.envelopePx));
        artefact +=
          s.amplitude * env * Math.cos(s.kx * (col - obs.cx) + s.ky * (r - obs.cy) + s.phase);
      }
      let gain = 1;
      if (c.pbRadiusPx !== undefined) {
        const r2 = (col - pcx) ** 2 + (r - pcy) ** 2;
        if (r2 > c.pbRadiusPx * c.pbRadiusPx) {
          image.data[i] = NaN;
          model.data[i] = NaN;
          continue;
        }
        gain = Math.exp((4 * Math.LN2 * r2) / (pbFwhm * pbFwhm));
      }
      const sky = d + w + o + artefact * gain;
      model.data[i] = sky;
      image.data[i] = sky + sNoise * noise[k] * gain;
    }
  }
  params.fftRows = g.nr;
  params.fftCols = g.nc;
  return { image, model, components, params };
}

/**
 * Render a disk into a fresh grid-sized array: the optically thin line-of-sight integral of a
 * surface brightness with a Gaussian vertical profile, computed in the disk's own frame (a along
 * the major axis, b along the minor axis, half-pixel cells): for each a, the thin projection is
 * the integral of Σ(a, y) over the y that project into each b cell, then it is blurred along b
 * by the projected scale height H(R)·sin i; the frame is then resampled onto the sky pixels
 * (2×2 samples per pixel, bilinear).
 */
function renderDisk(d: DiskModel, g: Grid): Float64Array {
  const out = new Float64Array(g.nr * g.nc);
  const h = 0.5;
  const inc = d.incDeg * DEG;
  const cosI = Math.max(Math.cos(inc), 1e-3);
  const sinI = Math.sin(inc);
  const height = (R: number): number =>
    d.hOverR * d.radiusPx * Math.pow(Math.max(R, 1e-3) / d.radiusPx, 1 + d.flaring);
  const sigmaB = (a: number): number => height(Math.sqrt(a * a + (0.5 * d.radiusPx) ** 2)) * sinI;
  const amax = d.rMax;
  const bmax = d.rMax * cosI + 4 * sigmaB(d.rMax) + 2 * h;
  const na = 2 * Math.ceil(amax / h) + 1;
  const nb = 2 * Math.ceil(bmax / h) + 1;
  const ca = (na - 1) / 2;
  const cb = (nb - 1) / 2;
  const frame = new Float64Array(na * nb);
  const column = new Float64Array(nb);
  const blurred = new Float64Array(nb);
  const dyTarget = Math.min(0.25, Math.max(0.05, d.minFeaturePx / 4));
  for (let j = 0; j < na; j++) {
    const a = (j - ca) * h;
    if (Math.abs(a) >= d.rMax) continue;
    const ymax = Math.sqrt(d.rMax * d.rMax - a * a);
    const ns = Math.min(20000, Math.ceil((2 * ymax) / dyTarget) + 1);
    const step = (2 * ymax) / (ns - 1);
    const cum = new Float64Array(ns);
    let prev = d.surface(a, -ymax);
    for (let s = 1; s < ns; s++) {
      const cur = d.surface(a, -ymax + s * step);
      cum[s] = cum[s - 1] + 0.5 * (prev + cur) * step;
      prev = cur;
    }
    const cumAt = (y: number): number => {
      const f = (y + ymax) / step;
      if (f <= 0) return 0;
      if (f >= ns - 1) return cum[ns - 1];
      const i0 = Math.floor(f);
      return cum[i0] + (f - i0) * (cum[i0 + 1] - cum[i0]);
    };
    for (let k = 0; k < nb; k++) {
      const b = (k - cb) * h;
      column[k] = (cumAt((b + h / 2) / cosI) - cumAt((b - h / 2) / cosI)) / h;
    }
    const sc = sigmaB(a) / h;
    if (sc > 0.25) {
      gaussianBlur1d(column, blurred, sc);
      frame.set(blurred, j * nb);
    } else {
      frame.set(column, j * nb);
    }
  }
  const u = dirPA(d.paDeg);
  const v = dirPA(d.paDeg + 90);
  const reach = Math.hypot(amax, bmax) + 1;
  const x0 = Math.max(-g.off, Math.floor(d.cx - reach));
  const x1 = Math.min(g.cols - g.off - 1, Math.ceil(d.cx + reach));
  const y0 = Math.max(-g.off, Math.floor(d.cy - reach));
  const y1 = Math.min(g.rows - g.off - 1, Math.ceil(d.cy + reach));
  const sample = (x: number, y: number): number => {
    const dx = x - d.cx;
    const dy = y - d.cy;
    const fa = (dx * u.x + dy * u.y) / h + ca;
    const fb = (dx * v.x + dy * v.y) / h + cb;
    if (fa < 0 || fb < 0 || fa >= na - 1 || fb >= nb - 1) return 0;
    const ia = Math.floor(fa);
    const ib = Math.floor(fb);
    const ta = fa - ia;
    const tb = fb - ib;
    const p = ia * nb + ib;
    return (
      (1 - ta) * ((1 - tb) * frame[p] + tb * frame[p + 1]) +
      ta * ((1 - tb) * frame[p + nb] + tb * frame[p + nb + 1])
    );
  };
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const v4 =
        sample(x - 0.25, y - 0.25) +
        sample(x + 0.25, y - 0.25) +
        sample(x - 0.25, y + 0.25) +
        sample(x + 0.25, y + 0.25);
      out[(y + g.off) * g.nc + x + g.off] = v4 / 4;
    }
  }
  return out;
}

function gaussianBlur1d(src: Float64Array, dst: Float64Array, sigma: number): void {
  const radius = Math.ceil(3.5 * sigma);
  const kernel = new Float64Array(2 * radius + 1);
  let norm = 0;
  for (let t = -radius; t <= radius; t++) {
    kernel[t + radius] = Math.exp(-(t * t) / (2 * sigma * sigma));
    norm += kernel[t + radius];
  }
  const n = src.length;
  for (let k = 0; k < n; k++) {
    let acc = 0;
    const lo = Math.max(0, k - radius);
    const hi = Math.min(n - 1, k + radius);
    for (let s = lo; s <= hi; s++) acc += src[s] * kernel[s - k + radius];
    dst[k] = acc / norm;
  }
}

/** Golden-ratio sequence: evenly spread quantiles without a random draw per point. */
const GOLDEN = 0.6180339887498949;

/**
 * Sample the wind on a (z, φ) lattice fine enough that neighbouring samples land within
 * `spacing` pixels on the sky, give each a quasi-random offset across the wall (logistic
 * profile, unit variance) and deposit it bilinearly. Surface density ∝ f(z)/ρ (mass flux
 * conserved along the flow), so a sample's weight is f(z)·dz/nφ; the walls brighten where they
 * run along the line of sight because more samples project there.
 */
function renderWind(w: WindModel, obs: Observation, g: Grid, out: Float64Array): void {
  const inc = w.incDeg * DEG;
  const sinI = Math.sin(inc);
  const cosI = Math.cos(inc);
  const tanA = Math.tan(w.openingDeg * DEG);
  const axis = dirPA(w.axisPaDeg);
  const major = dirPA(w.axisPaDeg - 90);
  const diffuse = w.geometry === 'clumpy' ? new Float64Array(out.length) : out;
  const filled = w.geometry === 'clumpy';
  let spacing = Math.min(1, Math.max(0.35, 0.3 * obs.beam.minorPx));
  // Keep the sample count bounded for the largest winds.
  const estimate = (s: number): number => {
    const dz = s / (sinI + tanA + 0.05);
    let count = 0;
    for (let z = dz / 2; z < w.lengthPx; z += dz) {
      count += Math.ceil((2 * Math.PI * windProfileRadius(w, z) * (1 + 2 * w.thickness)) / s) + 4;
    }
    return count * (w.lobes[1] > 0 ? 2 : 1);
  };
  const budget = 2.5e6;
  const est = estimate(spacing);
  if (est > budget) spacing *= Math.sqrt(est / budget);
  const dz = spacing / (sinI + tanA + 0.05);
  const project = (x: number, y: number, z: number, weight: number): void => {
    const a = x;
    const b = y * cosI + z * sinI;
    const px = w.cx + a * major.x + b * axis.x;
    const py = w.cy + a * major.y + b * axis.y;
    deposit(diffuse, g, px, py, weight);
  };
  let seq = 0;
  for (let lobe = 0; lobe < 2; lobe++) {
    const factor = w.lobes[lobe];
    if (factor <= 0) continue;
    const sgn = lobe === 0 ? 1 : -1;
    for (let z = dz / 2; z < w.lengthPx; z += dz) {
      const f = windAlong(w, z) * factor;
      if (f <= 0) continue;
      const rho = windProfileRadius(w, z);
      const wall = Math.max(0.3, w.thickness * rho);
      const bend = windBend(w, sgn * z);
      const nphi = Math.max(8, Math.ceil((2 * Math.PI * (rho + 2 * wall)) / spacing));
      const weight = (f * dz) / nphi;
      const phase = frac(z * 0.7548776662) * 2 * Math.PI;
      for (let k = 0; k < nphi; k++) {
        const phi = phase + (2 * Math.PI * k) / nphi;
        const az = 1 + w.azAsym * Math.cos(phi - w.azPhase);
        const q = frac(seq++ * GOLDEN + 0.5);
        let r: number;
        if (filled) r = rho * Math.sqrt(q);
        else {
          const qq = Math.min(0.995, Math.max(0.005, q));
          r = rho + wall * (Math.sqrt(3) / Math.PI) * Math.log(qq / (1 - qq));
          if (r < 0) continue;
        }
        project(r * Math.cos(phi) + bend, r * Math.sin(phi), sgn * z, weight * az);
      }
    }
  }
  if (!filled) return;
  // Clumps in the wide-angle flow: positions drawn from the flow's own brightness along z and
  // spread over its cross-section, each a 3-D Gaussian that projects to a 2-D one.
  const knotRng = createRng(w.knotSeed);
  const knots = new Float64Array(out.length);
  const lobeShare = w.lobes[1] / (w.lobes[0] + w.lobes[1]);
  for (let k = 0; k < w.knots; k++) {
    let z = 0;
    for (let tries = 0; tries < 200; tries++) {
      z = knotRng.uniform(0, w.lengthPx);
      if (knotRng.next() < windAlong(w, z)) break;
    }
    const sgn = knotRng.next() < lobeShare ? -1 : 1;
    const rho = windProfileRadius(w, z) * Math.sqrt(knotRng.next());
    const phi = knotRng.uniform(0, 2 * Math.PI);
    const x = rho * Math.cos(phi) + windBend(w, sgn * z);
    const y = rho * Math.sin(phi);
    const b = y * cosI + sgn * z * sinI;
    const flux = Math.exp(0.6 * knotRng.normal()) * (1 + w.azAsym * Math.cos(phi - w.azPhase));
    addGaussian(
      knots,
      g,
      w.cx + x * major.x + b * axis.x,
      w.cy + x * major.y + b * axis.y,
      w.knotSigmaPx * knotRng.uniform(0.7, 1.3),
      flux,
    );
  }
  let dSum = 0;
  let kSum = 0;
  for (let k = 0; k < out.length; k++) {
    dSum += diffuse[k];
    kSum += knots[k];
  }
  const fd = dSum > 0 ? w.diffuseFraction / dSum : 0;
  const fk = kSum > 0 ? (1 - w.diffuseFraction) / kSum : 0;
  for (let k = 0; k < out.length; k++) out[k] += fd * diffuse[k] + fk * knots[k];
}

function deposit(arr: Float64Array, g: Grid, x: number, y: number, weight: number): void {
  const gx = x + g.off;
  const gy = y + g.off;
  const ix = Math.floor(gx);
  const iy = Math.floor(gy);
  if (ix < 0 || iy < 0 || ix + 1 >= g.cols || iy + 1 >= g.rows) return;
  const tx = gx - ix;
  const ty = gy - iy;
  const p = iy * g.nc + ix;
  arr[p] += weight * (1 - tx) * (1 - ty);
  arr[p + 1] += weight * tx * (1 - ty);
  arr[p + g.nc] += weight * (1 - tx) * ty;
  arr[p + g.nc + 1] += weight * tx * ty;
}

/** Add a circular Gaussian of total `flux`, integrated over each pixel (exact for tiny sigmas). */
function addGaussian(
  arr: Float64Array,
  g: Grid,
  x: number,
  y: number,
  sigma: number,
  flux: number,
): void {
  const reach = Math.ceil(4 * sigma + 1);
  const x0 = Math.max(-g.off, Math.floor(x - reach));
  const x1 = Math.min(g.cols - g.off - 1, Math.ceil(x + reach));
  const y0 = Math.max(-g.off, Math.floor(y - reach));
  const y1 = Math.min(g.rows - g.off - 1, Math.ceil(y + reach));
  if (x0 > x1 || y0 > y1) return;
  const wx = new Float64Array(x1 - x0 + 1);
  for (let c = x0; c <= x1; c++)
    wx[c - x0] = normalCdf((c + 0.5 - x) / sigma) - normalCdf((c - 0.5 - x) / sigma);
  for (let r = y0; r <= y1; r++) {
    const wy = normalCdf((r + 0.5 - y) / sigma) - normalCdf((r - 0.5 - y) / sigma);
    if (wy === 0) continue;
    const row = (r + g.off) * g.nc + g.off;
    for (let c = x0; c <= x1; c++) arr[row + c] += flux * wy * wx[c - x0];
  }
}

/** Envelope I ∝ (1 + r²/rc²)^(-p/2) · exp(-(r/rout)²) over elliptical radii, peak in Jy/beam. */
function addEnvelope(arr: Float64Array, g: Grid, e: Envelope, beamAreaPx: number): void {
  const u = dirPA(e.paDeg);
  const v = dirPA(e.paDeg + 90);
  const perPixel = e.peak / beamAreaPx;
  for (let gy = 0; gy < g.rows; gy++) {
    const y = gy - g.off;
    for (let gx = 0; gx < g.cols; gx++) {
      const x = gx - g.off;
      const dx = x - e.cx;
      const dy = y - e.cy;
      const a = dx * u.x + dy * u.y;
      const b = (dx * v.x + dy * v.y) * e.axisRatio;
      const r2 = a * a + b * b;
      arr[gy * g.nc + gx] +=
        perPixel *
        Math.pow(1 + r2 / (e.corePx * e.corePx), -e.slope / 2) *
        Math.exp(-r2 / (e.outerPx * e.outerPx));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Beam and FFT
// ---------------------------------------------------------------------------------------------

/** Margin that holds the beam out to 5 σ of its major axis. */
function beamMargin(beam: PixelBeam): number {
  return Math.ceil(5 * beam.majorPx * FWHM_TO_SIGMA) + 2;
}

/** DFT of the peak-1 sampled beam on an nr × nc periodic grid (real: the kernel is centrosymmetric). */
function beamTransfer(beam: PixelBeam, nr: number, nc: number): Float64Array {
  const re = new Float64Array(nr * nc);
  const im = new Float64Array(nr * nc);
  const m = beamMargin(beam);
  const major = dirPA(beam.paDeg);
  const minor = dirPA(beam.paDeg + 90);
  const sa = beam.majorPx * FWHM_TO_SIGMA;
  const sb = beam.minorPx * FWHM_TO_SIGMA;
  for (let dr = -m; dr <= m; dr++) {
    for (let dc = -m; dc <= m; dc++) {
      const p = dc * major.x + dr * major.y;
      const q = dc * minor.x + dr * minor.y;
      const k = Math.exp(-0.5 * ((p * p) / (sa * sa) + (q * q) / (sb * sb)));
      re[((dr + nr) % nr) * nc + ((dc + nc) % nc)] = k;
    }
  }
  fft2d(re, im, nr, nc, false);
  return re;
}

/** Convolve two real fields at once, one in each part of a complex array (the transfer is real). */
function convolvePair(
  re: Float64Array,
  im: Float64Array,
  nr: number,
  nc: number,
  transfer: Float64Array,
): void {
  fft2d(re, im, nr, nc, false);
  for (let k = 0; k < re.length; k++) {
    re[k] *= transfer[k];
    im[k] *= transfer[k];
  }
  fft2d(re, im, nr, nc, true);
}

/** Smallest n ≥ min whose only prime factors are 2, 3 and 5. */
function goodFftSize(min: number): number {
  for (let n = Math.max(1, Math.ceil(min)); ; n++) {
    let m = n;
    for (const f of [2, 3, 5]) while (m % f === 0) m /= f;
    if (m === 1) return n;
  }
}

interface FftPlan {
  n: number;
  radices: number[];
  cos: Float64Array;
  sin: Float64Array;
  /** scratch buffers */
  ar: Float64Array;
  ai: Float64Array;
  br: Float64Array;
  bi: Float64Array;
}

const plans = new Map<number, FftPlan>();

function planFft(n: number): FftPlan {
  const cached = plans.get(n);
  if (cached !== undefined) return cached;
  const radices: number[] = [];
  let m = n;
  while (m % 4 === 0) {
    radices.push(4);
    m /= 4;
  }
  for (const f of [2, 3, 5]) {
    while (m % f === 0) {
      radices.push(f);
      m /= f;
    }
  }
  if (m !== 1) throw new RangeError(`second-generator: FFT size ${n} has a prime factor above 5`);
  const cos = new Float64Array(n);
  const sin = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    cos[k] = Math.cos((2 * Math.PI * k) / n);
    sin[k] = Math.sin((2 * Math.PI * k) / n);
  }
  const plan: FftPlan = {
    n,
    radices,
    cos,
    sin,
    ar: new Float64Array(n),
    ai: new Float64Array(n),
    br: new Float64Array(n),
    bi: new Float64Array(n),
  };
  plans.set(n, plan);
  return plan;
}

/**
 * Mixed-radix (4, 2, 3, 5) Stockham FFT of plan.ar/ai, unnormalised, sign −1 forward and +1
 * inverse; returns the buffers that hold the result. Each stage splits a length `len` into
 * `r` interleaved sequences of length `len / r`, so the output comes out in natural order.
 */
function fftRun(plan: FftPlan, inverse: boolean): [Float64Array, Float64Array] {
  const { n, cos } = plan;
  const sin = plan.sin;
  const sg = inverse ? 1 : -1;
  let sr = plan.ar;
  let si = plan.ai;
  let dr = plan.br;
  let di = plan.bi;
  let len = n;
  let stride = 1;
  for (const r of plan.radices) {
    const m = len / r;
    const tstep = n / len;
    if (r === 2) {
      for (let p = 0; p < m; p++) {
        const t = p * tstep;
        const wr = cos[t];
        const wi = sg * sin[t];
        for (let q = 0; q < stride; q++) {
          const i0 = q + stride * p;
          const i1 = i0 + stride * m;
          const ar = sr[i0];
          const ai = si[i0];
          const br = sr[i1];
          const bi = si[i1];
          const o0 = q + stride * 2 * p;
          dr[o0] = ar + br;
          di[o0] = ai + bi;
          const cr = ar - br;
          const ci = ai - bi;
          dr[o0 + stride] = cr * wr - ci * wi;
          di[o0 + stride] = cr * wi + ci * wr;
        }
      }
    } else if (r === 4) {
      for (let p = 0; p < m; p++) {
        const t1 = p * tstep;
        const w1r = cos[t1];
        const w1i = sg * sin[t1];
        const w2r = cos[2 * t1];
        const w2i = sg * sin[2 * t1];
        const w3r = cos[3 * t1];
        const w3i = sg * sin[3 * t1];
        for (let q = 0; q < stride; q++) {
          const i0 = q + stride * p;
          const s = stride * m;
          const x0r = sr[i0];
          const x0i = si[i0];
          const x1r = sr[i0 + s];
          const x1i = si[i0 + s];
          const x2r = sr[i0 + 2 * s];
          const x2i = si[i0 + 2 * s];
          const x3r = sr[i0 + 3 * s];
          const x3i = si[i0 + 3 * s];
          const e0r = x0r + x2r;
          const e0i = x0i + x2i;
          const e1r = x0r - x2r;
          const e1i = x0i - x2i;
          const f0r = x1r + x3r;
          const f0i = x1i + x3i;
          // (x1 - x3)·ω₄ with ω₄ = sg·i
          const f1r = -sg * (x1i - x3i);
          const f1i = sg * (x1r - x3r);
          const o = q + stride * 4 * p;
          dr[o] = e0r + f0r;
          di[o] = e0i + f0i;
          const c1r = e1r + f1r;
          const c1i = e1i + f1i;
          dr[o + stride] = c1r * w1r - c1i * w1i;
          di[o + stride] = c1r * w1i + c1i * w1r;
          const c2r = e0r - f0r;
          const c2i = e0i - f0i;
          dr[o + 2 * stride] = c2r * w2r - c2i * w2i;
          di[o + 2 * stride] = c2r * w2i + c2i * w2r;
          const c3r = e1r - f1r;
          const c3i = e1i - f1i;
          dr[o + 3 * stride] = c3r * w3r - c3i * w3i;
          di[o + 3 * stride] = c3r * w3i + c3i * w3r;
        }
      }
    } else if (r === 3) {
      const h = sg * (Math.sqrt(3) / 2);
      for (let p = 0; p < m; p++) {
        const t1 = p * tstep;
        const w1r = cos[t1];
        const w1i = sg * sin[t1];
        const w2r = cos[2 * t1];
        const w2i = sg * sin[2 * t1];
        for (let q = 0; q < stride; q++) {
          const i0 = q + stride * p;
          const s = stride * m;
          const x0r = sr[i0];
          const x0i = si[i0];
          const x1r = sr[i0 + s];
          const x1i = si[i0 + s];
          const x2r = sr[i0 + 2 * s];
          const x2i = si[i0 + 2 * s];
          const ar = x1r + x2r;
          const ai = x1i + x2i;
          const mr = x0r - 0.5 * ar;
          const mi = x0i - 0.5 * ai;
          // i·h·(x1 − x2)
          const nr = -h * (x1i - x2i);
          const ni = h * (x1r - x2r);
          const o = q + stride * 3 * p;
          dr[o] = x0r + ar;
          di[o] = x0i + ai;
          const c1r = mr + nr;
          const c1i = mi + ni;
          dr[o + stride] = c1r * w1r - c1i * w1i;
          di[o + stride] = c1r * w1i + c1i * w1r;
          const c2r = mr - nr;
          const c2i = mi - ni;
          dr[o + 2 * stride] = c2r * w2r - c2i * w2i;
          di[o + 2 * stride] = c2r * w2i + c2i * w2r;
        }
      }
    } else if (r === 5) {
      const k1 = Math.cos((2 * Math.PI) / 5);
      const k2 = Math.cos((4 * Math.PI) / 5);
      const s1 = sg * Math.sin((2 * Math.PI) / 5);
      const s2 = sg * Math.sin((4 * Math.PI) / 5);
      for (let p = 0; p < m; p++) {
        const t1 = p * tstep;
        for (let q = 0; q < stride; q++) {
          const i0 = q + stride * p;
          const s = stride * m;
          const x0r = sr[i0];
          const x0i = si[i0];
          const a1r = sr[i0 + s] + sr[i0 + 4 * s];
          const a1i = si[i0 + s] + si[i0 + 4 * s];
          const b1r = sr[i0 + s] - sr[i0 + 4 * s];
          const b1i = si[i0 + s] - si[i0 + 4 * s];
          const a2r = sr[i0 + 2 * s] + sr[i0 + 3 * s];
          const a2i = si[i0 + 2 * s] + si[i0 + 3 * s];
          const b2r = sr[i0 + 2 * s] - sr[i0 + 3 * s];
          const b2i = si[i0 + 2 * s] - si[i0 + 3 * s];
          const m1r = x0r + k1 * a1r + k2 * a2r;
          const m1i = x0i + k1 * a1i + k2 * a2i;
          const m2r = x0r + k2 * a1r + k1 * a2r;
          const m2i = x0i + k2 * a1i + k1 * a2i;
          // i·(s1 b1 + s2 b2) and i·(s2 b1 − s1 b2)
          const n1r = -(s1 * b1i + s2 * b2i);
          const n1i = s1 * b1r + s2 * b2r;
          const n2r = -(s2 * b1i - s1 * b2i);
          const n2i = s2 * b1r - s1 * b2r;
          const o = q + stride * 5 * p;
          dr[o] = x0r + a1r + a2r;
          di[o] = x0i + a1i + a2i;
          const w1r = cos[t1];
          const w1i = sg * sin[t1];
          const w2r = cos[2 * t1];
          const w2i = sg * sin[2 * t1];
          const w3r = cos[3 * t1];
          const w3i = sg * sin[3 * t1];
          const w4r = cos[4 * t1];
          const w4i = sg * sin[4 * t1];
          const c1r = m1r + n1r;
          const c1i = m1i + n1i;
          const c2r = m2r + n2r;
          const c2i = m2i + n2i;
          const c3r = m2r - n2r;
          const c3i = m2i - n2i;
          const c4r = m1r - n1r;
          const c4i = m1i - n1i;
          dr[o + stride] = c1r * w1r - c1i * w1i;
          di[o + stride] = c1r * w1i + c1i * w1r;
          dr[o + 2 * stride] = c2r * w2r - c2i * w2i;
          di[o + 2 * stride] = c2r * w2i + c2i * w2r;
          dr[o + 3 * stride] = c3r * w3r - c3i * w3i;
          di[o + 3 * stride] = c3r * w3i + c3i * w3r;
          dr[o + 4 * stride] = c4r * w4r - c4i * w4i;
          di[o + 4 * stride] = c4r * w4i + c4i * w4r;
        }
      }
    }
    const tr = sr;
    const ti = si;
    sr = dr;
    si = di;
    dr = tr;
    di = ti;
    len = m;
    stride *= r;
  }
  return [sr, si];
}

/** In-place 2-D FFT of a row-major nr × nc complex array; the inverse is normalised by 1/(nr·nc). */
function fft2d(re: Float64Array, im: Float64Array, nr: number, nc: number, inverse: boolean): void {
  const pc = planFft(nc);
  for (let r = 0; r < nr; r++) {
    const o = r * nc;
    pc.ar.set(re.subarray(o, o + nc));
    pc.ai.set(im.subarray(o, o + nc));
    const [yr, yi] = fftRun(pc, inverse);
    re.set(yr, o);
    im.set(yi, o);
  }
  const pr = planFft(nr);
  for (let c = 0; c < nc; c++) {
    for (let r = 0; r < nr; r++) {
      pr.ar[r] = re[r * nc + c];
      pr.ai[r] = im[r * nc + c];
    }
    const [yr, yi] = fftRun(pr, inverse);
    for (let r = 0; r < nr; r++) {
      re[r * nc + c] = yr[r];
      im[r * nc + c] = yi[r];
    }
  }
  if (inverse) {
    const s = 1 / (nr * nc);
    for (let k = 0; k < re.length; k++) {
      re[k] *= s;
      im[k] *= s;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

/** Unit vector on the pixel grid (dx = column, dy = row) at position angle `paDeg` east of north. */
function dirPA(paDeg: number): { x: number; y: number } {
  const t = paDeg * DEG;
  return { x: -Math.sin(t), y: Math.cos(t) };
}

function logUniform(rng: Rng, [lo, hi]: readonly [number, number]): number {
  return Math.exp(rng.uniform(Math.log(lo), Math.log(hi)));
}

function frac(x: number): number {
  return x - Math.floor(x);
}

/** Standard normal CDF via erf (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly =
    t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}
