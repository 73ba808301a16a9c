// Trigonometry in degrees, as WCSLIB's wcstrig: exact at multiples of 90°, so that a reference
// point on a pole or the equator is not nudged by a rounding of π.
const D2R = Math.PI / 180;
const R2D = 180 / Math.PI;

/** Sine of an angle in degrees, exact at multiples of 90°. */
export function sind(deg: number): number {
  if (deg % 90 === 0) {
    const q = Math.round(deg / 90) % 4;
    const k = q < 0 ? q + 4 : q;
    return k === 1 ? 1 : k === 3 ? -1 : 0;
  }
  return Math.sin(deg * D2R);
}

/** Cosine of an angle in degrees, exact at multiples of 90°. */
export function cosd(deg: number): number {
  if (deg % 90 === 0) {
    const q = Math.round(deg / 90) % 4;
    const k = q < 0 ? q + 4 : q;
    return k === 0 ? 1 : k === 2 ? -1 : 0;
  }
  return Math.cos(deg * D2R);
}

/** Tangent of an angle in degrees. */
export function tand(deg: number): number {
  return Math.tan(deg * D2R);
}

/** `atan2(y, x)` in degrees. */
export function atan2d(y: number, x: number): number {
  return Math.atan2(y, x) * R2D;
}

/** `asin(v)` in degrees, `v` clamped to [-1, 1] against rounding. */
export function asind(v: number): number {
  return Math.asin(Math.max(-1, Math.min(1, v))) * R2D;
}

/** `acos(v)` in degrees, `v` clamped to [-1, 1] against rounding. */
export function acosd(v: number): number {
  return Math.acos(Math.max(-1, Math.min(1, v))) * R2D;
}

/** `atan(v)` in degrees. */
export function atand(v: number): number {
  return Math.atan(v) * R2D;
}

/** Degrees per radian, the scale of projection planes in WCS Paper II (`r0 = 180/π`). */
export const R0 = R2D;

/** Radians per degree. */
export const DEG_TO_RAD = D2R;
