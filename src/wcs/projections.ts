// The map projections of FITS WCS Paper II (Calabretta & Greisen 2002), written after WCSLIB's
// prj.c: between projection-plane coordinates (x, y), degrees, and native spherical
// coordinates (φ, θ), degrees.
import { acosd, asind, atan2d, atand, cosd, R0, sind } from './internal.js';

/**
 * A celestial projection this module computes, by its FITS code (the last three letters of
 * `CTYPEi`): the zenithal SIN (orthographic; with `PV2_1`/`PV2_2` the slant form, of which NCP
 * is a case), TAN (gnomonic), ARC (zenithal equidistant), ZEA (zenithal equal area) and STG
 * (stereographic); the cylindrical CAR (plate carrée); the all-sky AIT (Hammer–Aitoff) and MOL
 * (Mollweide).
 */
export type ProjectionCode = 'SIN' | 'TAN' | 'ARC' | 'ZEA' | 'STG' | 'CAR' | 'AIT' | 'MOL';

/** Every {@link ProjectionCode}. */
export const PROJECTION_CODES: readonly ProjectionCode[] = [
  'SIN',
  'TAN',
  'ARC',
  'ZEA',
  'STG',
  'CAR',
  'AIT',
  'MOL',
];

/** A projection's two directions; a position it cannot represent comes out as NaN. */
export interface Projection {
  /** Native latitude of the fiducial point: 90° for zenithal projections, 0° for the others. */
  theta0: number;
  /** Projection plane (x, y) → native (φ, θ), degrees. */
  toNative(x: number, y: number): [phi: number, theta: number];
  /** Native (φ, θ) → projection plane (x, y), degrees. */
  fromNative(phi: number, theta: number): [x: number, y: number];
}

const BAD: [number, number] = [NaN, NaN];
/** WCSLIB's tolerance for positions just beyond a projection's boundary (prj.c). */
const TOL = 1e-13;

/**
 * The native longitude and latitude limits of WCSLIB's `prjbchk`: a φ or θ just beyond the
 * limits (rounding) is pulled back, one further out is not a position.
 */
function bounded(phi: number, theta: number): [number, number] {
  if (phi < -180) {
    if (phi < -180 - TOL) return BAD;
    phi = -180;
  } else if (phi > 180) {
    if (phi > 180 + TOL) return BAD;
    phi = 180;
  }
  if (theta < -90) {
    if (theta < -90 - TOL) return BAD;
    theta = -90;
  } else if (theta > 90) {
    if (theta > 90 + TOL) return BAD;
    theta = 90;
  }
  return [phi, theta];
}

/** A zenithal projection from its radius function R(θ) and its inverse θ(R). */
function zenithal(radius: (theta: number) => number, latitude: (r: number) => number): Projection {
  return {
    theta0: 90,
    toNative(x, y) {
      const r = Math.hypot(x, y);
      const theta = latitude(r);
      if (Number.isNaN(theta)) return BAD;
      return [r === 0 ? 0 : atan2d(x, -y), theta];
    },
    fromNative(phi, theta) {
      const r = radius(theta);
      if (Number.isNaN(r)) return BAD;
      return [r * sind(phi), -r * cosd(phi)];
    },
  };
}

/**
 * SIN with the slant parameters ξ = `PV2_1`, η = `PV2_2` (both 0: the orthographic projection
 * of synthesis images; ξ = 0, η = cot δ0: the old NCP). WCSLIB's sinx2s/sins2x.
 */
function sin(xi: number, eta: number): Projection {
  const w1 = xi * xi + eta * eta;
  return {
    theta0: 90,
    toNative(x, y) {
      const x0 = x / R0;
      const y0 = y / R0;
      const r2 = x0 * x0 + y0 * y0;
      if (w1 === 0) {
        const phi = r2 === 0 ? 0 : atan2d(x0, -y0);
        if (r2 < 0.5) return [phi, acosd(Math.sqrt(r2))];
        if (r2 <= 1) return [phi, asind(Math.sqrt(1 - r2))];
        return BAD;
      }
      const xy = x0 * xi + y0 * eta;
      let theta: number;
      let z: number;
      if (r2 < 1e-10) {
        z = r2 / 2;
        theta = 90 - (180 / Math.PI) * Math.sqrt(r2 / (1 + xy));
      } else {
        const a = w1 + 1;
        const b = xy - w1;
        const c = r2 - xy - xy + w1 - 1;
        let d = b * b - a * c;
        if (d < 0) return BAD;
        d = Math.sqrt(d);
        const s1 = (-b + d) / a;
        const s2 = (-b - d) / a;
        // The solution nearer the pole.
        let s = Math.max(s1, s2);
        if (s > 1) s = s - 1 < TOL ? 1 : Math.min(s1, s2);
        if (s < -1 && s + 1 > -TOL) s = -1;
        if (s > 1 || s < -1) return BAD;
        theta = asind(s);
        z = 1 - s;
      }
      const x1 = -y0 + eta * z;
      const y1 = x0 - xi * z;
      return [x1 === 0 && y1 === 0 ? 0 : atan2d(y1, x1), theta];
    },
    fromNative(phi, theta) {
      const t = ((90 - Math.abs(theta)) * Math.PI) / 180;
      let z: number;
      let cosTheta: number;
      if (t < 1e-5) {
        z = theta > 0 ? (t * t) / 2 : 2 - (t * t) / 2;
        cosTheta = t;
      } else {
        z = 1 - sind(theta);
        cosTheta = cosd(theta);
      }
      const r = R0 * cosTheta;
      const sinPhi = sind(phi);
      const cosPhi = cosd(phi);
      // The far side of the sphere is not in the image.
      const limit = w1 === 0 ? 0 : -atand(xi * sinPhi - eta * cosPhi);
      if (theta < limit) return BAD;
      return [r * sinPhi + R0 * xi * z, -r * cosPhi + R0 * eta * z];
    },
  };
}

const tan = zenithal(
  (theta) => {
    const s = sind(theta);
    return s <= 0 ? NaN : (R0 * cosd(theta)) / s;
  },
  (r) => atan2d(R0, r),
);

const arc = zenithal(
  (theta) => 90 - theta,
  (r) => (r > 180 + TOL ? NaN : 90 - Math.min(r, 180)),
);

const zea = zenithal(
  (theta) => 2 * R0 * sind((90 - theta) / 2),
  (r) => {
    const s = r / (2 * R0);
    if (s > 1) return s - 1 < TOL ? -90 : NaN;
    return 90 - 2 * asind(s);
  },
);

const stg = zenithal(
  (theta) => {
    const s = 1 + sind(theta);
    return s === 0 ? NaN : (2 * R0 * cosd(theta)) / s;
  },
  (r) => 90 - 2 * atand(r / (2 * R0)),
);

const car: Projection = {
  theta0: 0,
  toNative: (x, y) => bounded(x, y),
  fromNative: (phi, theta) => [phi, theta],
};

/** Hammer–Aitoff (WCS Paper II §5.3.4): equal-area, all-sky. */
const ait: Projection = {
  theta0: 0,
  toNative(x, y) {
    const u = x / (4 * R0);
    const v = y / (2 * R0);
    const s = 1 - u * u - v * v;
    // The map is the ellipse where Z² = s ≥ ½.
    if (s < 0.5) {
      if (s < 0.5 - TOL) return BAD;
    }
    const z = Math.sqrt(Math.max(s, 0.5));
    const phi = 2 * atan2d((z * x) / (2 * R0), 2 * z * z - 1);
    return bounded(phi, asind((z * y) / R0));
  },
  fromNative(phi, theta) {
    const cosTheta = cosd(theta);
    const w = Math.sqrt(2 / (1 + cosTheta * cosd(phi / 2)));
    const gamma = R0 * w;
    return [2 * gamma * cosTheta * sind(phi / 2), gamma * sind(theta)];
  },
};

/** Mollweide (WCS Paper II §5.3.3): equal-area, all-sky; the auxiliary angle by Newton steps. */
const mol: Projection = {
  theta0: 0,
  toNative(x, y) {
    const s = y / (Math.SQRT2 * R0);
    if (Math.abs(s) > 1 + TOL) return BAD;
    const gamma = Math.asin(Math.max(-1, Math.min(1, s)));
    const cosGamma = Math.cos(gamma);
    let phi: number;
    if (cosGamma < 1e-15) {
      // At a pole every x is the same point, but only x = 0 lies on the map.
      if (Math.abs(x) > TOL) return BAD;
      phi = 0;
    } else {
      phi = (Math.PI * x) / (2 * Math.SQRT2 * cosGamma);
    }
    const z = (2 * gamma + Math.sin(2 * gamma)) / Math.PI;
    if (Math.abs(z) > 1 + TOL) return BAD;
    return bounded(phi, asind(z));
  },
  fromNative(phi, theta) {
    if (Math.abs(theta) === 90) return [0, Math.sign(theta) * Math.SQRT2 * R0];
    const target = Math.PI * sind(theta);
    // Solve 2γ + sin 2γ = π sin θ: Newton from the equal-area guess, bisection if it strays.
    let lo = -Math.PI / 2;
    let hi = Math.PI / 2;
    let gamma = (((Math.PI / 2) * theta) / 90) * 0.9;
    for (let i = 0; i < 100; i++) {
      const f = 2 * gamma + Math.sin(2 * gamma) - target;
      if (f > 0) hi = gamma;
      else lo = gamma;
      const df = 2 + 2 * Math.cos(2 * gamma);
      let next = gamma - f / df;
      if (!(next > lo && next < hi)) next = (lo + hi) / 2;
      if (Math.abs(next - gamma) < 1e-16) {
        gamma = next;
        break;
      }
      gamma = next;
    }
    return [
      ((2 * Math.SQRT2) / Math.PI) * phi * Math.cos(gamma),
      Math.SQRT2 * R0 * Math.sin(gamma),
    ];
  },
};

/**
 * The projection for a code, with the SIN slant parameters ξ, η (`PV2_1`, `PV2_2`; ignored by
 * the other projections).
 */
export function projection(code: ProjectionCode, xi = 0, eta = 0): Projection {
  switch (code) {
    case 'SIN':
      return sin(xi, eta);
    case 'TAN':
      return tan;
    case 'ARC':
      return arc;
    case 'ZEA':
      return zea;
    case 'STG':
      return stg;
    case 'CAR':
      return car;
    case 'AIT':
      return ait;
    case 'MOL':
      return mol;
  }
}
