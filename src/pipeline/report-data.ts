/**
 * Turns pipeline results (candidates, training history, evaluation) into the report module's
 * plain {@link ReportData}.
 */
import type { EpochLog } from '../model/config.js';
import type { Evaluation } from '../model/metrics.js';
import type { JsonValue, ReportCandidate, ReportData, ReportEvaluation } from '../report/types.js';
import type { Candidate } from './classify.js';
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
