/**
 * `alma-classifier/wcs`: FITS celestial world coordinates (the projections ALMA uses), pixel and
 * sky positions, sexagesimal text, beams, cutout headers and north-up cutouts. Browser-safe.
 *
 * @module alma-classifier/wcs
 */
export { WcsError } from '../core/errors.js';
export {
  DEFAULT_PARSE_WCS_OPTIONS,
  parseWcs,
  type CelestialFrame,
  type CelestialSystem,
  type LinearAxis,
  type ParseWcsOptions,
  type RaDecSystem,
  type Wcs,
} from './parse.js';
export { PROJECTION_CODES, type ProjectionCode } from './projections.js';
export type { SphericalRotation } from './sphere.js';
export { pixelToWorld, worldToPixel, type PixelPosition, type SkyPosition } from './transform.js';
export type { LinearStyle } from './linear.js';
export { angularSeparation, positionAngle } from './separation.js';
export {
  DEFAULT_SEXAGESIMAL_OPTIONS,
  formatDec,
  formatRa,
  formatSexagesimal,
  parseSexagesimal,
  type SexagesimalOptions,
  type SexagesimalUnit,
} from './sexagesimal.js';
export { pixelScale, type PixelScale, type PixelScaleOptions } from './scale.js';
export { beamFromHeader, type Beam } from './beam.js';
export {
  cutoutHeader,
  resampledHeader,
  withoutSkyWcs,
  type CutoutWindow,
  type PixelMap,
} from './cutout.js';
export { STOKES_CODES, planeWorld } from './plane-world.js';
export {
  DEFAULT_MEASURE_ON_SKY_OPTIONS,
  measureOnSky,
  type MeasureOnSkyOptions,
  type SkySource,
} from './sky-source.js';
export { summarizeImage, type ImageSummary, type SummarizeImageOptions } from './summary.js';
export { fk5J2000ToIcrs, icrsToFk5J2000 } from './frames.js';
export {
  DEFAULT_NORTH_UP_CUTOUT_OPTIONS,
  northUpCutout,
  type NorthUpCutout,
  type NorthUpCutoutOptions,
} from './north-up.js';
