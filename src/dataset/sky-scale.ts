import { DatasetError } from '../core/errors.js';
import type { FitsHeader } from '../fits/header.js';
import type { SkyCropConfig, TargetProfile } from './profile.js';

/**
 * How an image samples the sky: what a profile whose crop is given in arcsec or beams
 * ({@link SkyCropConfig}) needs to know of each image.
 */
export interface ImageSkyScale {
  /** Pixel side in arcsec (the geometric mean of the two axes when they differ). */
  pixelArcsec: number;
  /** Beam FWHM in arcsec (geometric mean of major and minor axis), when the header has one. */
  beamArcsec?: number;
}

/**
 * The sky sampling of an image from its FITS header: the pixel side from `CDi_j` or
 * `CDELTi` (with `PCi_j`) of the first two axes, in degrees unless `CUNITi` says arcsec or
 * rad, and the beam from `BMAJ`/`BMIN` (degrees). `undefined` when the header gives no pixel
 * scale.
 *
 * @param header - the image HDU's header
 */
export function skyScaleFromHeader(header: FitsHeader): ImageSkyScale | undefined {
  const unit = (i: number): number => {
    const u = header.get(`CUNIT${i}`);
    const s = typeof u === 'string' ? u.trim().toLowerCase() : 'deg';
    return s === 'arcsec' ? 1 : s === 'rad' ? (180 / Math.PI) * 3600 : 3600;
  };
  // Column lengths of the pixel-to-world matrix: the sky length of one pixel step per axis.
  const step = (j: number): number | undefined => {
    const cd1 = header.number(`CD1_${j}`);
    const cd2 = header.number(`CD2_${j}`);
    if (cd1 !== undefined || cd2 !== undefined) {
      return Math.hypot((cd1 ?? 0) * unit(1), (cd2 ?? 0) * unit(2));
    }
    const cdelt1 = header.number('CDELT1');
    const cdelt2 = header.number('CDELT2');
    if (cdelt1 === undefined || cdelt2 === undefined) return undefined;
    const pc1 = header.number(`PC1_${j}`) ?? (j === 1 ? 1 : 0);
    const pc2 = header.number(`PC2_${j}`) ?? (j === 2 ? 1 : 0);
    return Math.hypot(cdelt1 * unit(1) * pc1, cdelt2 * unit(2) * pc2);
  };
  const sx = step(1);
  const sy = step(2);
  if (sx === undefined || sy === undefined || !(sx > 0) || !(sy > 0)) return undefined;
  const out: ImageSkyScale = { pixelArcsec: Math.sqrt(sx * sy) };
  const bmaj = header.number('BMAJ');
  const bmin = header.number('BMIN') ?? bmaj;
  if (bmaj !== undefined && bmin !== undefined && bmaj > 0 && bmin > 0) {
    out.beamArcsec = Math.sqrt(bmaj * bmin) * 3600;
  }
  return out;
}

/**
 * Source pixels per model-input pixel for an image under a sky-scaled crop: the input's
 * `inputSize` pixels span `width` arcsec or beams.
 *
 * @throws DatasetError naming the source when the image lacks the scale the profile needs
 */
export function skyResampleFactor(
  sky: SkyCropConfig,
  inputSize: number,
  scale: ImageSkyScale | undefined,
  source: string | undefined,
): number {
  const name = source ?? 'image';
  if (scale === undefined || !(scale.pixelArcsec > 0)) {
    throw new DatasetError(
      `${name}: the profile's crop is given in ${sky.unit === 'beam' ? 'beams' : 'arcsec'} but the image has no pixel scale (CDELT or CD in its header)`,
      source,
    );
  }
  let widthArcsec = sky.width;
  if (sky.unit === 'beam') {
    if (!(scale.beamArcsec !== undefined && scale.beamArcsec > 0)) {
      throw new DatasetError(
        `${name}: the profile's crop is given in beams but the image has no beam (BMAJ/BMIN in its header)`,
        source,
      );
    }
    widthArcsec = sky.width * scale.beamArcsec;
  }
  return widthArcsec / (inputSize * scale.pixelArcsec);
}

/**
 * The profile in source pixels for one image, and whether its input still has to be resampled
 * to the profile's `inputSize`. `cropSize` is scaled by `factor` (source pixels per input
 * pixel). With `inputMode: 'resize'` the crop is resized straight to `inputSize` and nothing is
 * left to do; with `'center-crop'` the input window is scaled too and normalisation is deferred
 * (`'none'`) until it has been resampled.
 */
export function nativeProfile(
  profile: TargetProfile,
  factor: number,
): { profile: TargetProfile; resample: boolean } {
  const pp = profile.preprocess;
  let cropSize = Math.max(1, Math.round(pp.cropSize * factor));
  if (pp.inputMode === 'resize') {
    return {
      profile: {
        ...profile,
        preprocess: { ...pp, cropSize: Math.max(cropSize, pp.inputSize), sky: null },
      },
      resample: false,
    };
  }
  const inputSize = Math.max(2, Math.round(pp.inputSize * factor));
  cropSize = Math.max(cropSize, inputSize);
  // Keep the crop and the input centred on the same pixel, as cropCenter cuts it.
  if ((cropSize - inputSize) % 2 !== 0) cropSize += 1;
  return {
    profile: {
      ...profile,
      preprocess: { ...pp, inputSize, cropSize, normalize: 'none', sky: null },
    },
    resample: true,
  };
}
