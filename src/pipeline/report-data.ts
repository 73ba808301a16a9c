/**
 * Turns pipeline results (candidates, training history, evaluation) into the report module's
 * plain {@link ReportData}.
 */
import type { EpochLog } from '../model/config.js';
import type { Evaluation } from '../model/metrics.js';
import type {
  JsonValue,
  ReportCandidate,
  ReportData,
  ReportEvaluation,
  ReportSkyView,
} from '../report/types.js';
import type { Candidate } from './classify.js';
import type { Image2D } from '../core/image2d.js';
import type { FitsHeader } from '../fits/header.js';
import { parseWcs } from '../wcs/parse.js';
import { pixelScale } from '../wcs/scale.js';
import { beamFromHeader } from '../wcs/beam.js';
import type { SourceEvaluation } from './evaluation.js';

/** Archive facts about a file, when it came from the archive (keyed by file path or name). */
export interface CandidateContext {
  /** Target (source) name. */
  target?: string;
  /** ALMA project code. */
  projectCode?: string;
  /** Member OUS UID. */
  memberOus?: string;
}

/** Inputs of {@link toReportData}. */
export interface ReportInputs {
  /** Page title. */
  title: string;
  /** A line under the title. */
  description?: string;
  /** Scored candidates (with `input` kept, for thumbnails). */
  candidates: readonly Candidate[];
  /** Per-epoch training log. */
  history?: readonly EpochLog[];
  /** Evaluation on held-out data: per source file (`evaluateSources`) or per sample. */
  evaluation?: Evaluation | SourceEvaluation;
  /** The profile used, shown verbatim. */
  profile?: unknown;
  /** Archive facts per file. */
  context?: ReadonlyMap<string, CandidateContext>;
}

function isSourceEvaluation(e: Evaluation | SourceEvaluation): e is SourceEvaluation {
  return 'metrics' in e;
}

/**
 * The report module's view of an evaluation. A per-source evaluation (`evaluateSources`) keeps
 * its unit, bootstrap intervals, precision in the top k and recall within the review budget.
 */
export function toReportEvaluation(ev: Evaluation | SourceEvaluation): ReportEvaluation {
  if (isSourceEvaluation(ev)) {
    const intervals: Record<string, { lower: number; upper: number }> = {};
    for (const [name, ci] of Object.entries(ev.intervals?.metrics ?? {})) {
      if (Number.isFinite(ci.lower)) intervals[name] = { lower: ci.lower, upper: ci.upper };
    }
    return {
      ...toReportEvaluation(ev.metrics),
      unit: 'source',
      ...(Object.keys(intervals).length > 0 ? { intervals } : {}),
      ...(Number.isFinite(ev.precisionAtK)
        ? { precisionAtK: { k: ev.k, value: ev.precisionAtK } }
        : {}),
      ...(Number.isFinite(ev.recallAtBudget)
        ? { recallAtBudget: { budget: ev.budget, value: ev.recallAtBudget } }
        : {}),
    };
  }
  const e = ev;
  return {
    confusion: { ...e.confusion },
    accuracy: e.accuracy,
    precision: e.precision,
    recall: e.recall,
    f1: e.f1,
    ...(Number.isFinite(e.rocAuc) ? { rocAuc: e.rocAuc } : {}),
    roc: e.roc.map((p) => ({ fpr: p.x, tpr: p.y })),
    pr: e.pr.map((p) => ({ recall: p.x, precision: p.y })),
    threshold: e.threshold,
  };
}

/**
 * The report's sky fields of a candidate: position, object, fluxes, S/N, the angle its input
 * was rotated by, the archive names from its file name (when the context gives none), and its
 * crop on the sky as a {@link ReportSkyView} when `skyCutout` was kept.
 *
 * @param c - the candidate
 */
export function reportSkyFields(
  c: Omit<Candidate, 'provenance'> & {
    provenance?: Candidate['provenance'];
  },
): Partial<ReportCandidate> {
  const out: Partial<ReportCandidate> = {};
  for (const key of [
    'ra',
    'dec',
    'raHms',
    'decDms',
    'frame',
    'object',
    'peakJyBeam',
    'integratedJy',
    'integratedErrJy',
    'rmsJyBeam',
    'snr',
    'outsideTraining',
    'projectCode',
    'memberOus',
  ] as const) {
    if (c[key] !== undefined) Object.assign(out, { [key]: c[key] });
  }
  if (c.provenance !== undefined) out.inputAngle = c.provenance.angle;
  const cut = c.skyCutout;
  if (cut !== undefined) {
    const view: ReportSkyView = {
      image: cut.image,
      pixelArcsec: cut.pixelArcsec,
      resampled: cut.resampled,
      ...(c.unit !== undefined ? { unit: c.unit } : {}),
      ...(c.rmsJyBeam !== undefined ? { rms: c.rmsJyBeam } : {}),
      ...(c.beam !== undefined
        ? {
            beam: {
              majorArcsec: c.beam.majorArcsec,
              minorArcsec: c.beam.minorArcsec,
              paDeg: c.beam.paDeg,
            },
          }
        : {}),
      ...(c.raHms !== undefined ? { centerLabel: positionLabel(c) } : {}),
    };
    out.sky = view;
  }
  return out;
}

/** What a sky crop read from FITS is drawn with, besides its pixels and header. */
export interface SkyViewExtras {
  /** Image noise, for the colour scale and contours. */
  rms?: number;
  /** Whether the crop was resampled to north up. */
  resampled?: boolean;
  /** The candidate's position as text (RA, Dec, frame). */
  centerLabel?: string;
}

/**
 * A {@link ReportSkyView} of a north-up crop and its own header (as `northUpCutout` makes
 * them and `classify` writes them to `thumbs/`): the pixel scale from its WCS at the centre,
 * the beam and unit from its cards.
 *
 * @param image - the crop, north up, east left
 * @param header - its header, with its WCS
 * @param extras - see {@link SkyViewExtras}
 * @throws WcsError when the header has no usable WCS
 */
export function skyViewOf(
  image: Image2D,
  header: FitsHeader,
  extras: SkyViewExtras = {},
): ReportSkyView {
  const wcs = parseWcs(header);
  const scale = pixelScale(wcs, { at: [(image.shape[0] - 1) / 2, (image.shape[1] - 1) / 2] });
  const beam = beamFromHeader(header);
  const unit = header.get('BUNIT');
  return {
    image,
    pixelArcsec: scale.arcsec,
    resampled: extras.resampled ?? false,
    ...(typeof unit === 'string' && unit.trim() !== '' ? { unit: unit.trim() } : {}),
    ...(extras.rms !== undefined ? { rms: extras.rms } : {}),
    ...(beam !== undefined
      ? {
          beam: { majorArcsec: beam.majorArcsec, minorArcsec: beam.minorArcsec, paDeg: beam.paDeg },
        }
      : {}),
    ...(extras.centerLabel !== undefined ? { centerLabel: extras.centerLabel } : {}),
  };
}

/** `18h30m04.117s -02d03m02.63s ICRS` for a candidate with a position, else undefined. */
export function positionLabel(
  c: Pick<Candidate, 'raHms' | 'decDms' | 'frame'>,
): string | undefined {
  return c.raHms === undefined ? undefined : `${c.raHms} ${c.decDms ?? ''} ${c.frame ?? ''}`.trim();
}

/**
 * Build the report's data from pipeline results.
 *
 * @param r - see {@link ReportInputs}
 */
export function toReportData(r: ReportInputs): ReportData {
  const candidates: ReportCandidate[] = r.candidates.map((c) => {
    const ctx = r.context?.get(c.file);
    return {
      id: `${c.file}#${c.sourceIndex}`,
      file: c.file,
      score: c.score,
      label: c.label,
      ...(c.input ? { image: c.input } : {}),
      ...reportSkyFields(c),
      ...(ctx?.target ? { target: ctx.target } : {}),
      ...(ctx?.projectCode ? { projectCode: ctx.projectCode } : {}),
      ...(ctx?.memberOus ? { memberOus: ctx.memberOus } : {}),
      provenance: {
        object: c.sourceIndex,
        peak: [c.peak[0], c.peak[1]],
        transforms: c.provenance.transforms.join(', '),
        ...(c.provenance.hdu !== undefined ? { hdu: c.provenance.hdu } : {}),
      },
    };
  });
  return {
    title: r.title,
    ...(r.description ? { description: r.description } : {}),
    generatedAt: new Date().toISOString(),
    candidates,
    ...(r.history
      ? {
          history: r.history.map((h) => ({
            epoch: h.epoch + 1,
            loss: h.loss,
            acc: h.acc,
            ...(h.valLoss !== undefined ? { valLoss: h.valLoss } : {}),
            ...(h.valAcc !== undefined ? { valAcc: h.valAcc } : {}),
          })),
        }
      : {}),
    ...(r.evaluation ? { evaluation: toReportEvaluation(r.evaluation) } : {}),
    ...(r.profile !== undefined
      ? { profile: JSON.parse(JSON.stringify(r.profile)) as JsonValue }
      : {}),
  };
}
