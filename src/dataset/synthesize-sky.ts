import type { BeamConvolution } from './synthesize-beam.js';

// Sky components of synthesizeScene, drawn before the beam: brightness in arbitrary units, since
// every layer is scaled afterwards to the brightness it must show after convolution.

/**
 * A grid for one sky layer: the `n x n` image plus `pad` pixels on every side (the beam's reach),
 * so emission just outside the image still spills into it. Remembers the rectangle painted.
 *
 * @internal
 */
export class SkyLayer {
  /** Row-major `side x side` brightness. */
  readonly data: Float32Array;
  /** `n + 2 * pad`. */
  readonly side: number;
  /** Painted rows `[r0, r1)` and columns `[c0, c1)` of the padded grid. */
  r0 = Number.POSITIVE_INFINITY;
  r1 = Number.NEGATIVE_INFINITY;
  c0 = Number.POSITIVE_INFINITY;
  c1 = Number.NEGATIVE_INFINITY;

  constructor(
    readonly n: number,
    readonly pad: number,
  ) {
    this.side = n + 2 * pad;
    this.data = new Float32Array(this.side * this.side);
  }

  /** Whether nothing has been painted. */
  get empty(): boolean {
    return !(this.r1 > this.r0);
  }
}

/**
 * A source's own axes on the image: centre `(cy, cx)` in pixels (row, column) and the angle
 * `theta` of its `u` axis in radians, counter-clockwise from +column with row 0 at the top (the
 * sense of `principalAngle`); `v` is `u` turned by +90° in that picture, so for pixel offsets
 * `(dy, dx)`: `u = dx cos θ − dy sin θ`, `v = dx sin θ + dy cos θ`.
 *
 * @internal
 */
export interface Frame {
  cy: number;
  cx: number;
  theta: number;
}

/**
 * Add `f(u, v)` to every pixel of `layer` whose frame coordinates may fall in the box
 * `[u0, u1] x [v0, v1]` (the box's bounding rectangle on the grid, clipped).
 *
 * @internal
 */
export function paint(
  layer: SkyLayer,
  frame: Frame,
  box: readonly [u0: number, u1: number, v0: number, v1: number],
  f: (u: number, v: number) => number,
): void {
  const cos = Math.cos(frame.theta);
  const sin = Math.sin(frame.theta);
  let rMin = Infinity;
  let rMax = -Infinity;
  let cMin = Infinity;
  let cMax = -Infinity;
  for (const u of [box[0], box[1]]) {
    for (const v of [box[2], box[3]]) {
      const dx = u * cos + v * sin;
      const dy = -u * sin + v * cos;
      rMin = Math.min(rMin, frame.cy + dy);
      rMax = Math.max(rMax, frame.cy + dy);
      cMin = Math.min(cMin, frame.cx + dx);
      cMax = Math.max(cMax, frame.cx + dx);
    }
  }
  const { pad, side, data } = layer;
  const r0 = Math.max(0, Math.floor(rMin) + pad);
  const r1 = Math.min(side, Math.ceil(rMax) + pad + 1);
  const c0 = Math.max(0, Math.floor(cMin) + pad);
  const c1 = Math.min(side, Math.ceil(cMax) + pad + 1);
  if (!(r1 > r0 && c1 > c0)) return;
  for (let R = r0; R < r1; R++) {
    const dy = R - pad - frame.cy;
    const o = R * side;
    for (let C = c0; C < c1; C++) {
      const dx = C - pad - frame.cx;
      data[o + C] += f(dx * cos - dy * sin, dx * sin + dy * cos);
    }
  }
  layer.r0 = Math.min(layer.r0, r0);
  layer.r1 = Math.max(layer.r1, r1);
  layer.c0 = Math.min(layer.c0, c0);
  layer.c1 = Math.max(layer.c1, c1);
}

/**
 * The layer convolved with the beam, cut to the `n x n` image: only the painted rectangle (and
 * the beam's reach around it) is convolved.
 *
 * @internal
 */
export function convolveLayer(layer: SkyLayer, conv: BeamConvolution): Float32Array {
  const { n, pad, side } = layer;
  const out = new Float32Array(n * n);
  if (layer.empty) return out;
  const reach = conv.reach;
  const r0 = Math.max(0, layer.r0 - reach);
  const r1 = Math.min(side, layer.r1 + reach);
  const c0 = Math.max(0, layer.c0 - reach);
  const c1 = Math.min(side, layer.c1 + reach);
  const h = r1 - r0;
  const w = c1 - c0;
  const sub = new Float32Array(h * w);
  for (let r = 0; r < h; r++) {
    const o = (r + r0) * side + c0;
    sub.set(layer.data.subarray(o, o + w), r * w);
  }
  const smooth = conv.apply(sub, h, w);
  for (let r = Math.max(r0, pad); r < Math.min(r1, pad + n); r++) {
    const o = (r - pad) * n;
    const so = (r - r0) * w;
    for (let c = Math.max(c0, pad); c < Math.min(c1, pad + n); c++) {
      out[o + c - pad] = smooth[so + c - c0];
    }
  }
  return out;
}

/**
 * Multiply the painted part of `layer` by a smooth random field `exp(a g - a²/2)`, `g` Gaussian
 * noise smoothed over `scale` pixels and scaled to unit variance: knots and voids of size
 * ~`scale` with mean 1, so the layer keeps its overall shape and brightness but loses its
 * smoothness (`a` = 0 leaves it as it was). `normal` draws standard normal numbers.
 *
 * @internal
 */
export function modulateLayer(
  layer: SkyLayer,
  amplitude: number,
  scale: number,
  normal: () => number,
): void {
  if (layer.empty || !(amplitude > 0)) return;
  const { side, data } = layer;
  const r0 = layer.r0;
  const c0 = layer.c0;
  const h = layer.r1 - r0;
  const w = layer.c1 - c0;
  const g = new Float32Array(h * w);
  for (let i = 0; i < g.length; i++) g[i] = normal();
  const sigma = Math.max(0.5, scale);
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float32Array(2 * r + 1);
  for (let i = -r; i <= r; i++) k[i + r] = Math.exp(-0.5 * (i / sigma) ** 2);
  const tmp = new Float32Array(h * w);
  // Separable smoothing, edges clamped.
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let i = -r; i <= r; i++) s += k[i + r] * g[y * w + Math.min(w - 1, Math.max(0, x + i))];
      tmp[y * w + x] = s;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let i = -r; i <= r; i++)
        s += k[i + r] * tmp[Math.min(h - 1, Math.max(0, y + i)) * w + x];
      g[y * w + x] = s;
    }
  }
  let ss = 0;
  for (let i = 0; i < g.length; i++) ss += g[i] * g[i];
  const norm = ss > 0 ? 1 / Math.sqrt(ss / g.length) : 0;
  for (let y = 0; y < h; y++) {
    const o = (y + r0) * side + c0;
    for (let x = 0; x < w; x++) {
      data[o + x] *= Math.exp(amplitude * g[y * w + x] * norm - 0.5 * amplitude * amplitude);
    }
  }
}

/** A disk's radial brightness profile, as a function of radius over the outer radius. */
export type DiskProfile = 'gaussian' | 'exponential' | 'tapered-power-law';

/**
 * Geometry and profile of one disk.
 *
 * @internal
 */
export interface DiskShape {
  frame: Frame;
  /** Outer radius in pixels: the profile is down to about 10 % of the centre there. */
  radius: number;
  /** Apparent axis ratio, `√(cos² i + h² sin² i)` (`h` the thickness over the radius). */
  axisRatio: number;
  profile: DiskProfile;
  /** Tapered power law: `Σ ∝ (x/xc)^-γ exp(-(x/xc)^(2-γ))`. */
  gamma: number;
  /** Tapered power law's characteristic radius over the outer radius. */
  core: number;
  /** Brightness at the centre (before any ring pattern). */
  amplitude: number;
  /** Multiplies the profile at deprojected radius `x` (over `radius`) and azimuth `phi`. */
  pattern?: (x: number, phi: number) => number;
}

/** Radial profile, 1 at the centre and about 0.1 at `x = 1`, of `x` = radius / outer radius. */
function profileFunction(d: DiskShape): (x: number) => number {
  switch (d.profile) {
    case 'gaussian':
      return (x) => Math.exp(-Math.LN10 * x * x);
    case 'exponential': {
      // Softened at the centre over a tenth of the radius (or half a pixel), so no one pixel spikes.
      const c = Math.max(0.1, 0.5 / d.radius);
      const scale = Math.LN10 / (Math.sqrt(1 + c * c) - c);
      return (x) => Math.exp(-scale * (Math.sqrt(x * x + c * c) - c));
    }
    case 'tapered-power-law': {
      const g = d.gamma;
      const c = Math.max(0.1, 0.5 / d.radius);
      const at = (x: number): number => {
        const y = Math.sqrt(x * x + c * c) / d.core;
        return y ** -g * Math.exp(-(y ** (2 - g)));
      };
      const centre = at(0);
      return (x) => at(x) / centre;
    }
  }
}

/**
 * Paint an inclined, vertically thin disk (and its ring or spiral pattern).
 *
 * @internal
 */
export function paintDisk(layer: SkyLayer, d: DiskShape): void {
  const f = profileFunction(d);
  const R = d.radius;
  const q = d.axisRatio;
  // Out to where the profile is below ~1e-4 of its centre (a Gaussian gets there soonest).
  const xMax = d.profile === 'gaussian' ? 2 : 3.5;
  const ext = xMax * R + 1;
  const pattern = d.pattern;
  paint(layer, d.frame, [-ext, ext, -ext * q - 1, ext * q + 1], (u, v) => {
    const y = v / q;
    const x = Math.sqrt(u * u + y * y) / R;
    if (x > xMax) return 0;
    const base = d.amplitude * f(x);
    return pattern === undefined ? base : base * pattern(x, Math.atan2(y, u));
  });
}

/**
 * Geometry of emission along a disk's minor axis (winds and jets): coordinates `s` along the
 * axis (from the disk centre outwards, per side) and `a` across it.
 *
 * @internal
 */
export interface AxisShape {
  /** The frame whose `+v` (side +1) and `−v` (side −1) directions the emission follows. */
  frame: Frame;
  /** Relative brightness of side +1 and side −1 (0 for a side without emission). */
  sides: readonly [plus: number, minus: number];
  /** Where the disk ends along the axis, px: emission fades in over this distance. */
  start: number;
  /** How far the emission reaches along the axis, px. */
  length: number;
  /** Half-width at the base, px. */
  baseWidth: number;
  /** Tangent of the apparent half-opening angle. */
  tanOpening: number;
  /** e-folding length of the brightness along the axis, px. */
  decay: number;
  /** Exponent of the cross profile `exp(-(|a|/w)^k)`: 2 soft, 6 sharp-edged. */
  edge: number;
}

function axisPaint(
  layer: SkyLayer,
  shape: AxisShape,
  halfWidth: number,
  f: (a: number, s: number) => number,
): void {
  const reach = shape.length * 1.3 + 2;
  paint(layer, shape.frame, [-halfWidth, halfWidth, -reach, reach], (u, v) => {
    const side = v >= 0 ? shape.sides[0] : shape.sides[1];
    if (side === 0) return 0;
    return side * f(u, Math.abs(v));
  });
}

function fadeIn(s: number, start: number): number {
  const t = Math.min(Math.max((s - 0.2 * start) / (0.8 * start + 1e-9), 0), 1);
  return t * t * (3 - 2 * t);
}

function fadeOut(s: number, length: number): number {
  return Math.exp(-((s / length) ** 6));
}

function halfWidthAt(shape: AxisShape, s: number): number {
  return shape.baseWidth + s * shape.tanOpening;
}

/**
 * A filled cone (or a bipolar pair) of dust along the axis.
 *
 * @internal
 */
export function paintCone(layer: SkyLayer, shape: AxisShape): void {
  const wMax = halfWidthAt(shape, shape.length * 1.3) * 1.6 + 2;
  const sMax = shape.length * 1.4;
  axisPaint(layer, shape, wMax, (a, s) => {
    const w = halfWidthAt(shape, s);
    const x = Math.abs(a) / w;
    if (s > sMax || x > 3) return 0;
    const across = Math.exp(-(x ** shape.edge));
    return across * fadeIn(s, shape.start) * Math.exp(-s / shape.decay) * fadeOut(s, shape.length);
  });
}

/**
 * Limb-brightened walls of a hollow cone: bright edges at `|a| = w(s)`, a fainter interior.
 *
 * @internal
 */
export function paintWalls(
  layer: SkyLayer,
  shape: AxisShape,
  thickness: number,
  interior: number,
): void {
  const wMax = halfWidthAt(shape, shape.length * 1.3) * 1.5 + 3;
  const sMax = shape.length * 1.4;
  axisPaint(layer, shape, wMax, (a, s) => {
    const w = halfWidthAt(shape, s);
    const tau = thickness * w + 0.5;
    if (s > sMax || Math.abs(a) > Math.max(3 * w, w + 5 * tau)) return 0;
    const wall = Math.exp(-0.5 * ((Math.abs(a) - w) / tau) ** 2);
    const fill = interior * Math.exp(-((Math.abs(a) / w) ** shape.edge));
    // The limbs brighten away from the disk (a longer path through the wall), so they read as
    // the edges of a cone along the axis rather than as knots beside the disk.
    const limb = 1 - Math.exp(-((s / (shape.start + 0.3 * shape.length)) ** 2));
    return (
      (wall + fill) *
      limb *
      fadeIn(s, shape.start) *
      Math.exp(-s / shape.decay) *
      fadeOut(s, shape.length)
    );
  });
}

/**
 * One Gaussian lobe per side at distance `centre` along the axis, `along` x `across` px
 * (standard deviations), on a faint stem of the cone (`stem` of the lobe's brightness).
 *
 * @internal
 */
export function paintLobes(
  layer: SkyLayer,
  shape: AxisShape,
  lobe: { centre: number; along: number; across: number; stem: number },
): void {
  const wMax = Math.max(lobe.across * 4, halfWidthAt(shape, shape.length) * 1.6) + 2;
  axisPaint(layer, shape, wMax, (a, s) => {
    if (s > lobe.centre + 5 * lobe.along) return 0;
    const blob = Math.exp(-0.5 * (((s - lobe.centre) / lobe.along) ** 2 + (a / lobe.across) ** 2));
    if (lobe.stem === 0) return blob;
    // The stem runs from the disk into the lobe and fades beyond the lobe's centre.
    const w = Math.min(halfWidthAt(shape, s), lobe.across);
    const beyond = s > lobe.centre ? Math.exp(-0.5 * ((s - lobe.centre) / lobe.along) ** 2) : 1;
    const stem = Math.exp(-((Math.abs(a) / w) ** 2)) * fadeIn(s, shape.start) * beyond;
    return blob + lobe.stem * stem;
  });
}

/**
 * Arcs (shell segments) across the axis: each a circle of radius `radius` centred on the axis at
 * `distance - radius`, limited to the cone's width there, `thickness` px thick.
 *
 * @internal
 */
export function paintArcs(
  layer: SkyLayer,
  shape: AxisShape,
  arcs: readonly { distance: number; radius: number; thickness: number; amplitude: number }[],
): void {
  const wMax = halfWidthAt(shape, shape.length * 1.3) * 1.6 + 3;
  const sMax = Math.max(...arcs.map((arc) => arc.distance + 5 * arc.thickness), 0);
  axisPaint(layer, shape, wMax, (a, s) => {
    if (s > sMax) return 0;
    let sum = 0;
    for (const arc of arcs) {
      // At most about ±35° of the axis as seen from the disk: an arc, not a ring.
      const w = Math.min(halfWidthAt(shape, arc.distance), 0.7 * arc.distance);
      const d = Math.hypot(a, s - (arc.distance - arc.radius));
      const ring = Math.exp(-0.5 * ((d - arc.radius) / arc.thickness) ** 2);
      sum += arc.amplitude * ring * Math.exp(-((Math.abs(a) / w) ** 4));
    }
    return sum * fadeIn(s, shape.start);
  });
}

/**
 * Compact Gaussian knots at the given positions (pixels along `frame`'s `v` axis, signed, and
 * across it), each `size` px (standard deviation) with its own amplitude.
 *
 * @internal
 */
export function paintKnots(
  layer: SkyLayer,
  frame: Frame,
  knots: readonly { along: number; across: number; size: number; amplitude: number }[],
): void {
  for (const k of knots) {
    const r = 4 * k.size + 1;
    paint(
      layer,
      frame,
      [k.across - r, k.across + r, k.along - r, k.along + r],
      (u, v) =>
        k.amplitude * Math.exp(-0.5 * (((u - k.across) ** 2 + (v - k.along) ** 2) / k.size ** 2)),
    );
  }
}

/**
 * A smooth, centrally concentrated halo: `(1 + (ρ/core)²)^(-p/2) · exp(-(ρ/outer)²)` with `ρ` the
 * elliptical radius (axis ratio `axisRatio` in `frame`).
 *
 * @internal
 */
export function paintEnvelope(
  layer: SkyLayer,
  env: { frame: Frame; core: number; outer: number; power: number; axisRatio: number },
): void {
  const ext = 2.5 * env.outer;
  const core2 = 1 / env.core ** 2;
  const outer2 = 1 / env.outer ** 2;
  const half = env.power / 2;
  const q2 = 1 / env.axisRatio ** 2;
  paint(layer, env.frame, [-ext, ext, -ext, ext], (u, v) => {
    const rho2 = u * u + v * v * q2;
    return Math.exp(-half * Math.log1p(rho2 * core2) - rho2 * outer2);
  });
}
