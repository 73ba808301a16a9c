/**
 * Classification of whole images: every object that {@link findSources} finds in the central
 * search region is cut out the way the model's profile says and scored, so an image with several
 * objects is not reduced to its brightest one. Browser-safe: images come in as {@link Image2D}s
 * (read FITS bytes with `readFits`); the Node entry point adds file paths and folders.
 */
import { toContiguous, type Image2D } from '../core/image2d.js';
import { cropCenterFraction, findSources } from '../image/index.js';
import { centerFractionRange } from '../image/crop-center-fraction.js';
import { preprocess } from '../dataset/preprocess.js';
import {
  resolveProfile,
  resolveSavedProfile,
  type TargetProfile,
  type TargetProfileInput,
} from '../dataset/profile.js';
import type { LoadedModel } from '../model/io.js';
import { scoreWithModel } from '../model/tta.js';
import { applyTemperature } from '../model/calibration.js';
import { centralLevel, compareToInputRange } from '../model/input-range.js';
import type { ImageSkyScale } from '../dataset/sky-scale.js';
import type { FitsHeader } from '../fits/header.js';
import { almaFileInfo } from '../archive/file-name.js';
import { measureOnSky, type SkySource } from '../wcs/sky-source.js';
import { northUpCutout, type NorthUpCutout } from '../wcs/north-up.js';
import { parseWcs } from '../wcs/parse.js';
import { WcsError } from '../core/errors.js';
import { skyResampleFactor } from '../dataset/sky-scale.js';
import { labelId, pixelHash } from '../dataset/labels.js';

/** One image to classify, with the name its candidates will carry. */
export interface NamedImage {
  /** File path or name, recorded in each candidate. */
  name: string;
  /** The image, `[rows, cols]`. */
  image: Image2D;
  /** HDU the image was read from, when it came from a FITS file. */
  hdu?: number;
  /** How the image samples the sky (`skyScaleFromHeader`), for profiles with `preprocess.sky`. */
  sky?: ImageSkyScale;
  /**
   * Content hash of the image (`fitsDataHash` of its file), from which each candidate gets its
   * stable {@link Candidate.id}. Default: `pixelHash` of the image.
   */
  hash?: string;
  /**
   * The image's FITS header: with it each candidate is placed on the sky (RA/Dec, frame,
   * object, beam, pixel scale) and measured (peak, integrated flux, rms, S/N); see
   * {@link ClassifyOptions.measure}.
   */
  header?: FitsHeader;
}

/** Options of {@link classifyImages} and `classify`. */
export interface ClassifyOptions {
  /**
   * The target profile that prepares each image. Default: the profile saved with the model
   * (`meta.json`), so images are prepared exactly as the training set was.
   */
  profile?: TargetProfile | TargetProfileInput;
  /**
   * Score at or above which a candidate is labelled with the target class. Default: the
   * threshold chosen on validation data when the model was trained (`meta.threshold`), else the
   * profile's.
   */
  threshold?: number;
  /**
   * Calibrate the scores with the temperature fitted on validation data when the model was
   * trained (`meta.calibration`), so a score reads as a probability. Default true.
   */
  calibrate?: boolean;
  /** Images per forward pass. Default 32. */
  batchSize?: number;
  /**
   * Score every object found by `findSources` (up to `maxSources` per image), not only the
   * brightest. Default true.
   */
  allSources?: boolean;
  /** Most objects scored per image, brightest first. Default 5. */
  maxSources?: number;
  /** Detection level of `findSources`, in robust standard deviations. Default 5. */
  detectionThreshold?: number;
  /**
   * Keep the model input of each candidate in {@link Candidate.input}, and its crop on the sky
   * (north up, east left) in {@link Candidate.skyCutout} when the header has a WCS: what the
   * report draws. Default false.
   */
  keepInputs?: boolean;
  /**
   * Place each candidate of an image with a header on the sky and measure it (`measureOnSky`:
   * RA/Dec, beam, peak, integrated flux, robust rms, S/N). Default true.
   */
  measure?: boolean;
}

/** Defaults of {@link ClassifyOptions}. */
export const DEFAULT_CLASSIFY_OPTIONS = {
  /** Images per forward pass. */
  batchSize: 32,
  /** Score every object found, not only the brightest. */
  allSources: true,
  /** Objects scored per image. */
  maxSources: 5,
  /** Detection level, robust standard deviations. */
  detectionThreshold: 5,
  /** Inputs are not kept. */
  keepInputs: false,
  /** Candidates of images with a header are placed on the sky and measured. */
  measure: true,
} as const;

/** Where a candidate's pixels came from and how they were prepared. */
export interface CandidateProvenance {
  /** HDU index, when read from a FITS file. */
  hdu?: number;
  /** Name of the profile that prepared the input. */
  profile: string;
  /** Transforms applied, in order (as in dataset provenance). */
  transforms: string[];
  /** Rotation applied for alignment, degrees. */
  angle: number;
  /** Whether the crop reached past the image edge and was padded. */
  padded: boolean;
}

/** One scored object of one image. */
export interface Candidate {
  /**
   * Stable id of the object, `<hash>:<hdu>:<row>,<col>` (`labelId`): what the label store names
   * it by, whatever the file's name or folder.
   */
  id?: string;
  /** Content hash of the image ({@link NamedImage.hash}). */
  hash?: string;
  /** The image's file path or name. */
  file: string;
  /** Model score of the target class, in [0, 1]. */
  score: number;
  /** Class name: the target class when `score >= threshold`, else the other. */
  label: string;
  /**
   * Set when the object's model input is unlike the inputs the model trained on, so its score is
   * an extrapolation: `'fainter'` when the input's centre (the object's peak) is fainter than
   * 99 % of the training inputs' (with signal-to-noise scaling: a lower peak S/N than nearly
   * every training source), `'brighter'` when brighter than 99 % of them. Absent inside that
   * range, and for models that do not record their training inputs (`ModelMeta.trainingInputs`,
   * which `trainAndCalibrate` writes; models saved before it existed have none).
   */
  outsideTraining?: 'fainter' | 'brighter';
  /** Index of the object within its image (0 = brightest). */
  sourceIndex: number;
  /** `[row, col]` of the object's peak in the source image. */
  peak: [number, number];
  /** How the input was made. */
  provenance: CandidateProvenance;
  /** The model input (normalised crop), when `keepInputs` was set. */
  input?: Image2D;
  /** Right ascension of {@link Candidate.peak}, degrees, in {@link Candidate.frame} (equatorial headers). */
  ra?: number;
  /** Declination of {@link Candidate.peak}, degrees, in {@link Candidate.frame}. */
  dec?: number;
  /** The header's frame of `ra`/`dec`: `'ICRS'`, `'FK5 J2000'`, `'FK4 B1950'`, ... */
  frame?: string;
  /** Right ascension as sexagesimal hours, `18h30m04.117s`. */
  raHms?: string;
  /** Declination as sexagesimal degrees, `-02d03m02.63s`. */
  decDms?: string;
  /** The header's `OBJECT`, else the target in the ALMA file name. */
  object?: string;
  /** Member OUS UID from the ALMA file name (`member.uid___A001_X12a2_X10d…`). */
  memberOus?: string;
  /** ALMA project code, when the file's path holds one. */
  projectCode?: string;
  /** Pixel side at the candidate, arcsec. */
  pixelScaleArcsec?: number;
  /** The restoring beam: FWHM axes in arcsec, position angle in degrees east of north. */
  beam?: CandidateBeam;
  /** Brightest pixel of the object, image units (Jy/beam for ALMA). */
  peakJyBeam?: number;
  /** Integrated flux density over the object, Jy (sum over its pixels / beam area). */
  integratedJy?: number;
  /** 1σ noise error of `integratedJy`, Jy. */
  integratedErrJy?: number;
  /** Image noise near the candidate, robust (sigma-clipped) and away from the source, Jy/beam. */
  rmsJyBeam?: number;
  /** Peak signal-to-noise ratio, `peakJyBeam / rmsJyBeam`. */
  snr?: number;
  /** Why a sky figure is missing (no WCS, no beam, ...), when one is. */
  skyNotes?: string[];
  /** The header's `BUNIT`, the unit of `peakJyBeam` and `rmsJyBeam` (Jy/beam for ALMA). */
  unit?: string;
  /**
   * The field the model saw, cut from the image with north up and east left (`northUpCutout`),
   * when `keepInputs` was set and the header has a WCS.
   */
  skyCutout?: NorthUpCutout;
}

/** The beam of a {@link Candidate}. */
export interface CandidateBeam {
  /** FWHM along the major axis, arcsec. */
  majorArcsec: number;
  /** FWHM along the minor axis, arcsec. */
  minorArcsec: number;
  /** Position angle of the major axis, degrees east of north. */
  paDeg: number;
  /** Beam area in pixels, what turns Jy/beam summed over pixels into Jy. */
  areaPixels?: number;
}

/**
 * The sky fields of a candidate at `peak` of an image with `header` ({@link measureOnSky}),
 * named as {@link Candidate} names them, with the member OUS, target and project code that an
 * ALMA file name holds (`almaFileInfo`).
 *
 * @param image - the image the candidate was found in
 * @param header - its FITS header
 * @param peak - the candidate's peak, `[row, col]`
 * @param name - the file, for its ALMA name and for notes
 */
export function candidateSkyFields(
  image: Image2D,
  header: FitsHeader,
  peak: readonly [number, number],
  name: string,
): Partial<Candidate> {
  const s: SkySource = measureOnSky(image, header, peak, { source: name });
  const info = almaFileInfo(name);
  const out: Partial<Candidate> = {};
  if (s.ra !== undefined && s.dec !== undefined && s.radesys !== undefined) {
    out.ra = s.ra;
    out.dec = s.dec;
    out.frame = s.frame;
    out.raHms = s.raHms;
    out.decDms = s.decDms;
  } else if (s.ra !== undefined) {
    s.notes.push(`${name}: the image is in ${s.frame} coordinates, not RA/Dec`);
  }
  if (s.unit !== undefined) out.unit = s.unit;
  const object = s.object ?? info.target;
  if (object !== undefined) out.object = object;
  if (info.memberOus !== undefined) out.memberOus = info.memberOus;
  if (info.projectCode !== undefined) out.projectCode = info.projectCode;
  if (s.pixelScaleArcsec !== undefined) out.pixelScaleArcsec = s.pixelScaleArcsec;
  if (s.beam !== undefined) {
    const { majorArcsec, minorArcsec, paDeg, areaPixels } = s.beam;
    out.beam = {
      majorArcsec,
      minorArcsec,
      paDeg,
      ...(areaPixels !== undefined ? { areaPixels } : {}),
    };
  }
  const [pr, pc] = [Math.round(peak[0]), Math.round(peak[1])];
  const own = image.get(pr, pc);
  const at = s.objectPeak;
  if (
    at !== undefined &&
    (at[0] !== pr || at[1] !== pc) &&
    s.peakJyBeam !== undefined &&
    s.rmsJyBeam !== undefined &&
    Number.isFinite(own) &&
    own < s.peakJyBeam
  ) {
    // A peak in the wings of a brighter one: its own peak and S/N; the flux measured over the
    // connected emission is the brighter peak's, so it is named in a note, not given as this
    // object's.
    out.peakJyBeam = own;
    out.rmsJyBeam = s.rmsJyBeam;
    out.snr = own / s.rmsJyBeam;
    s.notes.push(
      `${name}: object at [${pr}, ${pc}] lies in the emission of a brighter peak at [${at[0]}, ${at[1]}] ` +
        `(S/N ${(s.snr ?? NaN).toFixed(1)})` +
        (s.integratedJy !== undefined
          ? `; the integrated flux of that connected emission, ${s.integratedJy.toPrecision(4)} Jy, is not this object's`
          : ''),
    );
  } else {
    for (const key of [
      'peakJyBeam',
      'integratedJy',
      'integratedErrJy',
      'rmsJyBeam',
      'snr',
    ] as const) {
      if (s[key] !== undefined) out[key] = s[key];
    }
  }
  if (s.notes.length > 0) out.skyNotes = s.notes;
  return out;
}

/**
 * Side, in the image's pixels, of the field the model sees: the input window (`center-crop`)
 * or the whole crop (`resize`), scaled for a profile measured on the sky.
 */
function modelField(profile: TargetProfile, item: NamedImage): number {
  const pp = profile.preprocess;
  const side = pp.inputMode === 'resize' ? pp.cropSize : pp.inputSize;
  let factor = 1;
  if (pp.sky) {
    try {
      factor = skyResampleFactor(pp.sky, pp.inputSize, item.sky, item.name);
    } catch {
      factor = 1; // preprocess has said why already
    }
  }
  return Math.max(8, Math.round(side * factor));
}

/** The candidate's field cut north up (empty when the header has no usable WCS). */
function skyCutoutOf(
  item: NamedImage,
  peak: readonly [number, number],
  size: number,
): Pick<Candidate, 'skyCutout'> {
  try {
    const header = item.header as FitsHeader;
    const wcs = parseWcs(header, { source: item.name });
    return { skyCutout: northUpCutout(item.image, wcs, peak, { size, header }) };
  } catch (err) {
    if (err instanceof WcsError) return {};
    throw err;
  }
}

/** The profile a model should be used with: the caller's, else the one saved with it. */
export function profileForModel(
  loaded: LoadedModel,
  profile?: TargetProfile | TargetProfileInput,
): TargetProfile {
  if (profile !== undefined) return resolveProfile(profile as TargetProfileInput);
  return resolveSavedProfile(loaded.meta.profile);
}

/**
 * The threshold a model calls the target at: the one chosen on validation data when it was
 * trained (`meta.threshold`), else its profile's, else 0.5.
 */
export function modelThreshold(loaded: LoadedModel): number {
  if (typeof loaded.meta.threshold === 'number') return loaded.meta.threshold;
  const profileThreshold = (loaded.meta.profile as { threshold?: unknown } | undefined)?.threshold;
  return typeof profileThreshold === 'number' ? profileThreshold : 0.5;
}

/** Object peaks to score in `image`: found sources in the central search region, brightest first. */
function peaksToScore(
  image: Image2D,
  profile: TargetProfile,
  opts: ClassifyOptions,
): ([number, number] | undefined)[] {
  const allSources = opts.allSources ?? DEFAULT_CLASSIFY_OPTIONS.allSources;
  if (!allSources) return [undefined];
  const fraction = profile.preprocess.searchFraction;
  const region = cropCenterFraction(image, { fraction });
  const r0 = centerFractionRange(image.shape[0], fraction)[0];
  const c0 = centerFractionRange(image.shape[1], fraction)[0];
  const sources = findSources(region, {
    threshold: opts.detectionThreshold ?? DEFAULT_CLASSIFY_OPTIONS.detectionThreshold,
  });
  if (sources.length === 0) return [undefined];
  const max = opts.maxSources ?? DEFAULT_CLASSIFY_OPTIONS.maxSources;
  return sources.slice(0, max).map((s) => [s.peak[0] + r0, s.peak[1] + c0] as [number, number]);
}

/**
 * Classify images with a loaded model: each image is searched for objects (see
 * {@link ClassifyOptions.allSources}), each object is prepared with the profile (crop around it,
 * alignment, input crop, normalisation: NaN never reaches the model) and scored.
 *
 * @param loaded - a model from `loadModel` / `loadModelFromUrl`
 * @param images - the images, each with its name
 * @param opts - see {@link ClassifyOptions}
 * @returns the candidates of all images, highest score first
 */
export async function classifyImages(
  loaded: LoadedModel,
  images: readonly NamedImage[],
  opts: ClassifyOptions = {},
): Promise<Candidate[]> {
  const profile = profileForModel(loaded, opts.profile);
  const threshold =
    opts.threshold ?? (opts.profile !== undefined ? profile.threshold : modelThreshold(loaded));
  const temperature = opts.calibrate === false ? 1 : (loaded.meta.calibration?.temperature ?? 1);
  const size = profile.preprocess.inputSize;
  const pending: Omit<Candidate, 'score' | 'label'>[] = [];
  const inputs: Image2D[] = [];
  const measure = opts.measure ?? DEFAULT_CLASSIFY_OPTIONS.measure;
  for (const item of images) {
    const peaks = peaksToScore(item.image, profile, opts);
    const hash = item.hash ?? pixelHash(item.image);
    const header = measure ? item.header : undefined;
    peaks.forEach((center, sourceIndex) => {
      const prep = preprocess(item.image, profile, {
        source: item.name,
        center,
        ...(item.sky ? { sky: item.sky } : {}),
      });
      inputs.push(prep.input);
      pending.push({
        id: labelId({ hash, hdu: item.hdu ?? 0, peak: prep.peak }),
        hash,
        file: item.name,
        sourceIndex,
        peak: prep.peak,
        provenance: {
          ...(item.hdu !== undefined ? { hdu: item.hdu } : {}),
          profile: profile.name,
          transforms: prep.transforms,
          angle: prep.angle,
          padded: prep.padded,
        },
        ...(opts.keepInputs ? { input: prep.input } : {}),
        ...(header !== undefined
          ? candidateSkyFields(item.image, header, prep.peak, item.name)
          : {}),
        ...(opts.keepInputs && item.header !== undefined
          ? skyCutoutOf(item, prep.peak, modelField(profile, item))
          : {}),
      });
    });
  }
  if (inputs.length === 0) return [];
  const pixels = new Float32Array(inputs.length * size * size);
  inputs.forEach((img, i) => pixels.set(toContiguous(img), i * size * size));
  // Averaged over the symmetries the model's threshold was fitted with (meta.tta).
  const raw = await scoreWithModel(
    loaded,
    {
      images: pixels,
      shape: [inputs.length, size, size, 1],
      labels: new Int32Array(inputs.length),
    },
    { batchSize: opts.batchSize ?? DEFAULT_CLASSIFY_OPTIONS.batchSize },
  );
  const scores = temperature === 1 ? raw : applyTemperature(raw, temperature);
  const classes = profile.classes;
  const target = classes[classes.length - 1];
  const other = classes.length > 1 ? classes[0] : `not-${target}`;
  const range = loaded.meta.trainingInputs;
  const out: Candidate[] = pending.map((p, i) => {
    const outside =
      range === undefined
        ? undefined
        : compareToInputRange(centralLevel(pixels, i * size * size, size, size), range);
    return {
      ...p,
      score: scores[i],
      label: scores[i] >= threshold ? target : other,
      ...(outside !== undefined ? { outsideTraining: outside } : {}),
    };
  });
  return out.sort(
    (a, b) => b.score - a.score || a.file.localeCompare(b.file) || a.sourceIndex - b.sourceIndex,
  );
}
