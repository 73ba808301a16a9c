// The spherical rotation between native (φ, θ) and celestial (α, δ) coordinates, FITS WCS
// Paper II §2, written after WCSLIB's cel.c (celset) and sph.c (sphx2s, sphs2x), including
// their alternative formulas near the poles, where asin loses half its digits.
import { WcsError } from '../core/errors.js';
import { acosd, asind, atan2d, cosd, sind } from './internal.js';

/**
 * The Euler angles of the rotation: celestial longitude and latitude of the native pole
 * (αp, δp) and native longitude of the celestial pole φp (`LONPOLE`), all degrees.
 */
export interface SphericalRotation {
  /** Celestial longitude of the native pole αp, degrees. */
  alphaP: number;
  /** Celestial latitude of the native pole δp, degrees (`LATPOLE` once resolved). */
  deltaP: number;
  /** Native longitude of the celestial pole φp, degrees (`LONPOLE`). */
  phiP: number;
}

const TOL = 1e-10;

/**
 * The rotation for a fiducial point (α0, δ0) at native (φ0 = 0, θ0), with `LONPOLE` and
 * `LATPOLE` as given (undefined: the defaults of Paper II, φp = 0 when δ0 ≥ θ0 else 180°, and
 * LATPOLE = +90°). WCSLIB's celset.
 *
 * @throws WcsError when the parameters place no celestial pole (named with `source`)
 */
export function sphericalRotation(
  alpha0: number,
  delta0: number,
  theta0: number,
  lonpole: number | undefined,
  latpole: number | undefined,
  source: string,
): SphericalRotation {
  const phi0 = 0;
  let phiP = lonpole ?? (delta0 < theta0 ? 180 : 0) + phi0;
  if (lonpole === undefined && phiP > 180) phiP -= 360;
  let deltaP = latpole ?? 90;
  let alphaP: number;
  if (theta0 === 90) {
    return { alphaP: alpha0, deltaP: delta0, phiP };
  }
  const sinD0 = sind(delta0);
  const cosD0 = cosd(delta0);
  const sinT0 = sind(theta0);
  const cosT0 = cosd(theta0);
  let sinPhiP: number;
  let u: number;
  let v: number;
  let solved = true;
  if (phiP === phi0) {
    sinPhiP = 0;
    u = theta0;
    v = 90 - delta0;
  } else {
    sinPhiP = sind(phiP - phi0);
    const x = cosT0 * cosd(phiP - phi0);
    const y = sinT0;
    const z = Math.hypot(x, y);
    u = 0;
    v = 0;
    if (z === 0) {
      if (sinD0 !== 0) {
        throw new WcsError(
          `${source}: LONPOLE ${phiP} and the reference point place no celestial pole`,
          source,
        );
      }
      solved = false;
      deltaP = Math.max(-90, Math.min(90, deltaP));
    } else {
      let slz = sinD0 / z;
      if (Math.abs(slz) > 1) {
        if (Math.abs(slz) - 1 < TOL) slz = Math.sign(slz);
        else {
          throw new WcsError(
            `${source}: LONPOLE ${phiP} is impossible for a reference latitude of ${delta0}°`,
            source,
          );
        }
      }
      u = atan2d(y, x);
      v = acosd(slz);
    }
  }
  if (solved) {
    const wrap = (a: number) => (a > 180 ? a - 360 : a < -180 ? a + 360 : a);
    const p1 = wrap(u + v);
    const p2 = wrap(u - v);
    // Of the two solutions, the one nearer LATPOLE, if it is a latitude.
    if (Math.abs(deltaP - p1) < Math.abs(deltaP - p2)) {
      deltaP = Math.abs(p1) < 90 + TOL ? p1 : p2;
    } else {
      deltaP = Math.abs(p2) < 90 + TOL ? p2 : p1;
    }
    if (Math.abs(deltaP) < 90 + TOL) deltaP = Math.max(-90, Math.min(90, deltaP));
  }
  const z = cosd(deltaP) * cosD0;
  if (Math.abs(z) < TOL) {
    if (Math.abs(cosD0) < TOL) alphaP = alpha0;
    else if (deltaP > 0) alphaP = alpha0 + phiP - phi0 - 180;
    else alphaP = alpha0 - phiP + phi0;
  } else {
    const x = (sinT0 - sind(deltaP) * sinD0) / z;
    const y = (sinPhiP * cosT0) / cosD0;
    if (x === 0 && y === 0) {
      throw new WcsError(
        `${source}: the reference point and LONPOLE/LATPOLE place no celestial pole`,
        source,
      );
    }
    alphaP = alpha0 - atan2d(y, x);
  }
  // The pole's longitude takes the sign of the reference point's.
  if (alpha0 >= 0) {
    if (alphaP < 0) alphaP += 360;
    else if (alphaP > 360) alphaP -= 360;
  } else if (alphaP > 0) alphaP -= 360;
  else if (alphaP < -360) alphaP += 360;
  return { alphaP, deltaP, phiP };
}

/**
 * Rotate (a, b) by the Euler angles (e0, e1 = 90° − δp, e2): native → celestial with
 * (e0, e1, e2) = (αp, 90° − δp, φp), celestial → native with (φp, 90° − δp, αp) and the
 * result's longitude taken about e0. WCSLIB's sphx2s/sphs2x share this form.
 */
function rotate(
  lon: number,
  lat: number,
  fromPole: number,
  e1: number,
  toPole: number,
): [number, number] {
  const cosE1 = cosd(e1);
  const sinE1 = sind(e1);
  const dLon = lon - fromPole;
  const sinLat = sind(lat);
  const cosLat = cosd(lat);
  const sinD = sind(dLon);
  const cosD = cosd(dLon);
  let x = sinLat * sinE1 - cosLat * cosE1 * cosD;
  if (Math.abs(x) < 1e-5) {
    // The alternative form keeps the digits that the subtraction above loses.
    x = -cosd(lat + e1) + cosLat * cosE1 * (1 - cosD);
  }
  const y = -cosLat * sinD;
  const dOut = x !== 0 || y !== 0 ? atan2d(y, x) : e1 < 90 ? dLon + 180 : -dLon;
  const outLon = toPole + dOut;
  let outLat: number;
  if (dLon % 180 === 0) {
    outLat = lat + cosD * e1;
    if (outLat > 90) outLat = 180 - outLat;
    if (outLat < -90) outLat = -180 - outLat;
  } else {
    const z = sinLat * cosE1 + cosLat * sinE1 * cosD;
    outLat = Math.abs(z) > 0.99 ? Math.sign(z) * acosd(Math.hypot(x, y)) : asind(z);
  }
  return [outLon, outLat];
}

/**
 * Native (φ, θ) → celestial (α, δ), degrees; α in [0°, 360°).
 *
 * @param r - the rotation
 * @param phi - native longitude
 * @param theta - native latitude
 */
export function nativeToCelestial(
  r: SphericalRotation,
  phi: number,
  theta: number,
): [alpha: number, delta: number] {
  const [lon, lat] = rotate(phi, theta, r.phiP, 90 - r.deltaP, r.alphaP);
  let alpha = lon % 360;
  if (alpha < 0) alpha += 360;
  if (alpha >= 360) alpha -= 360;
  return [alpha, lat];
}

/**
 * Celestial (α, δ) → native (φ, θ), degrees; φ in [-180°, 180°].
 *
 * @param r - the rotation
 * @param alpha - celestial longitude
 * @param delta - celestial latitude
 */
export function celestialToNative(
  r: SphericalRotation,
  alpha: number,
  delta: number,
): [phi: number, theta: number] {
  const [lon, lat] = rotate(alpha, delta, r.alphaP, 90 - r.deltaP, r.phiP);
  let phi = lon % 360;
  if (phi > 180) phi -= 360;
  else if (phi < -180) phi += 360;
  return [phi, lat];
}
