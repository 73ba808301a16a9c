import { lineChart, TRAIN_COLOR, VALIDATION_COLOR } from './charts.js';
import { escapeHtml, fmt, page, pngDataUri } from './html.js';
import type { RenderOptions } from './render.js';
import { skyFigureSvg, type SkyFigureOptions } from './sky-figure.js';
import type {
  JsonValue,
  ReportCandidate,
  ReportData,
  ReportEvaluation,
  ReportEpoch,
  ReportImage,
  ReportRealImage,
  ReportReliabilityBin,
} from './types.js';

/** Options of {@link buildReportHtml}. Defaults in {@link DEFAULT_REPORT_HTML_OPTIONS}. */
export interface ReportHtmlOptions {
  /** How `Image2D` thumbnails are rendered. Default: {@link renderPng}'s defaults (CMRmap_r, linear). */
  render?: RenderOptions;
  /** List at most this many candidates (the highest scores); the page says how many were left out. Default 1000. */
  maxCandidates?: number;
  /** Displayed thumbnail edge in CSS pixels (the PNG keeps its own size). Default 96. */
  thumbnailSize?: number;
  /** Link target for a "Review" button (e.g. `'review.html'`); no button when omitted. */
  reviewHref?: string;
  /**
   * The archive page of a member OUS. Default {@link almaArchiveUrl} (the ALMA Science Archive
   * query page, `https://almascience.org/aq/?result_view=observation&mous=<uid>`).
   */
  archiveUrl?: (memberOus: string) => string;
  /**
   * Where a candidate's image comes from: by default a `data:` URI of its PNG (the page is one
   * self-contained file). `writeReport` passes a function returning a relative file name when
   * images are written beside the page.
   */
  imageSrc?: (image: ReportImage, candidate: ReportCandidate) => string;
  /** How a candidate's crop on the sky ({@link ReportCandidate.sky}) is drawn. Default: {@link DEFAULT_SKY_FIGURE_OPTIONS}. */
  skyFigure?: SkyFigureOptions;
  /**
   * Draw the crop on the sky ({@link ReportCandidate.sky}) for at most this many candidates, the
   * highest scores; the rest keep their model input, position and figures, and the page says so.
   * Each sky figure is about 20 kB of the page (its image and contours): the demo's report of 954
   * candidates is 8.4 MB with the default, 26 MB with every figure drawn. Default 100.
   */
  maxSkyFigures?: number;
}

/** Defaults of {@link ReportHtmlOptions}. */
export const DEFAULT_REPORT_HTML_OPTIONS: Readonly<
  Required<Pick<ReportHtmlOptions, 'maxCandidates' | 'thumbnailSize' | 'maxSkyFigures'>>
> = Object.freeze({ maxCandidates: 1000, thumbnailSize: 96, maxSkyFigures: 100 });

/**
 * The ALMA Science Archive query page listing one member OUS, the link astronomers share
 * (`https://almascience.org/aq/?result_view=observation&mous=uid:%2F%2FA001%2F...`).
 *
 * @param memberOus - a member OUS UID such as `uid://A001/X879/X8f1`
 */
export function almaArchiveUrl(memberOus: string): string {
  return `https://almascience.org/aq/?result_view=observation&mous=${encodeURIComponent(memberOus)}`;
}

/**
 * Candidates ordered for display: score descending, NaN scores last, ties kept in input order.
 * Returns a new array; the input is not modified.
 *
 * @param candidates - candidates in any order
 */
export function rankCandidates<T extends Pick<ReportCandidate, 'score'>>(
  candidates: readonly T[],
): T[] {
  const key = (s: number): number => (Number.isNaN(s) ? -Infinity : s);
  return candidates
    .map((c, i) => ({ c, i }))
    .sort((a, b) => {
      const d = key(b.c.score) - key(a.c.score);
      if (d !== 0 && !Number.isNaN(d)) return d;
      const nanA = Number.isNaN(a.c.score) ? 1 : 0;
      const nanB = Number.isNaN(b.c.score) ? 1 : 0;
      return nanA - nanB || a.i - b.i;
    })
    .map(({ c }) => c);
}

const REPORT_CSS = `
nav.toc { display: flex; gap: 14px; flex-wrap: wrap; margin-top: 8px; }
.review-link { display: inline-block; margin-left: 8px; padding: 3px 10px; border-radius: 6px;
  background: var(--accent); color: #fff; text-decoration: none; font-weight: 600; }
table.candidates { border-collapse: collapse; width: 100%; }
table.candidates th, table.candidates td { border-bottom: 1px solid var(--line); padding: 6px 8px;
  text-align: left; vertical-align: middle; }
table.candidates th { background: var(--panel); position: sticky; top: 0; z-index: 1; font-weight: 600; }
td.rank { color: var(--muted); width: 3em; }
td.score { white-space: nowrap; font-variant-numeric: tabular-nums; }
.bar { height: 5px; background: #eaeef2; border-radius: 3px; margin-top: 3px; width: 80px; }
.bar > span { display: block; height: 100%; background: var(--accent); border-radius: 3px; }
td.file { word-break: break-all; min-width: 200px; max-width: 360px; }
.table-scroll { overflow-x: auto; }
td.thumbs { white-space: nowrap; } td.thumbs img + img { margin-left: 4px; }
td.thumbs .views { display: flex; gap: 6px; align-items: flex-start; }
td.thumbs figure { margin: 0; }
td.thumbs figcaption { font-size: 11px; color: var(--muted); text-align: center; }
td.thumbs .rotated { color: #9a6700; }
td.num, td.ra, td.dec { font-variant-numeric: tabular-nums; white-space: nowrap; }
.outside { font-size: 12px; margin-top: 2px; color: #9a6700; font-weight: 600; }
.known { font-size: 12px; margin-top: 2px; } .known.agree { color: #1a7f37; } .known.disagree { color: #cf222e; font-weight: 600; }
.provenance-note { margin-top: 6px; padding: 6px 10px; background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px; font-size: 13px; }
.eval-block { margin-bottom: 28px; } .eval-block h3 { margin: 8px 0; }
table.real td, table.real th { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left; }
td.ok { color: #1a7f37; font-weight: 600; } td.wrong { color: #cf222e; font-weight: 600; }
dl.prov { margin: 4px 0 0; font-size: 12px; color: var(--muted); display: grid;
  grid-template-columns: auto 1fr; gap: 0 8px; }
dl.prov dt { font-weight: 600; } dl.prov dd { margin: 0; word-break: break-all; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.chart { background: #fff; border: 1px solid var(--line); border-radius: 6px; }
table.confusion { border-collapse: collapse; font-variant-numeric: tabular-nums; }
table.confusion th, table.confusion td { border: 1px solid var(--line); padding: 8px 14px; text-align: center; }
table.confusion td { font-size: 18px; font-weight: 600; min-width: 84px; }
table.metrics td, table.metrics th { padding: 3px 12px 3px 0; text-align: left; font-variant-numeric: tabular-nums; }
.eval { display: flex; gap: 28px; flex-wrap: wrap; align-items: flex-start; }
`;

/**
 * The HTML of a candidate report: one document, no network access, no external files unless
 * `imageSrc` points at some. Sections: candidates ranked by score (thumbnail, score, label,
 * file, target, project code, link to the member OUS's archive page, provenance), training
 * curves, confusion matrix and metrics, ROC and precision–recall curves, and the profile.
 * Sections without data are left out. All text from `data` is HTML-escaped. Browser-safe.
 *
 * NaN scores and metrics are shown as `–` and ranked last.
 *
 * @param data - what to show (not modified)
 * @param opts - presentation options; defaults in {@link DEFAULT_REPORT_HTML_OPTIONS}
 * @returns the HTML text
 * @throws RangeError when an image given as bytes is not a PNG, or rendering options are invalid
 */
export function buildReportHtml(data: ReportData, opts: ReportHtmlOptions = {}): string {
  const o = { ...DEFAULT_REPORT_HTML_OPTIONS, ...opts };
  const archiveUrl = o.archiveUrl ?? almaArchiveUrl;
  const imageSrc =
    o.imageSrc ?? ((image: ReportImage, c: ReportCandidate) => pngDataUri(image, c.id, o.render));
  const ranked = rankCandidates(data.candidates);
  const shown = ranked.slice(0, Math.max(0, o.maxCandidates));

  const sections: string[] = [];
  const toc: string[] = [];
  // Counts per label, in order of first appearance among the ranked candidates.
  const labels = new Map<string, number>();
  for (const c of ranked) labels.set(c.label, (labels.get(c.label) ?? 0) + 1);
  const labelSummary = [...labels].map(([l, n]) => `${n} ${escapeHtml(l)}`).join(', ');

  toc.push('<a href="#candidates">Candidates</a>');
  sections.push(
    candidatesSection(
      shown,
      ranked.length,
      o.thumbnailSize,
      archiveUrl,
      imageSrc,
      o.skyFigure,
      Math.max(0, o.maxSkyFigures),
    ),
  );
  if (data.history && data.history.length > 0) {
    toc.push('<a href="#training">Training</a>');
    sections.push(trainingSection(data.history));
  }
  if (data.evaluation || (data.extraEvaluations?.length ?? 0) > 0) {
    toc.push('<a href="#evaluation">Evaluation</a>');
    const blocks = [data.evaluation, ...(data.extraEvaluations ?? [])].filter(
      (e): e is ReportEvaluation => e !== undefined,
    );
    sections.push(
      `<section id="evaluation"><h2>Evaluation</h2>${blocks.map((e) => evaluationBlock(e)).join('\n')}</section>`,
    );
  }
  if (data.realImages && data.realImages.length > 0) {
    toc.push('<a href="#real">Real images</a>');
    sections.push(realImagesSection(data.realImages, o.thumbnailSize, o.render));
  }
  if (data.profile !== undefined) {
    toc.push('<a href="#profile">Profile</a>');
    sections.push(
      `<section id="profile"><h2>Profile</h2><pre class="profile">${escapeHtml(
        JSON.stringify(data.profile, null, 2) ?? 'null',
      )}</pre></section>`,
    );
  }

  const review = o.reviewHref
    ? `<a class="review-link" href="${escapeHtml(o.reviewHref)}">Review candidates</a>`
    : '';
  const header = `<header>
<h1>${escapeHtml(data.title)}</h1>
${data.description ? `<div class="muted description">${escapeHtml(data.description)}</div>` : ''}
${data.provenanceNote ? `<div class="provenance-note">${escapeHtml(data.provenanceNote)}</div>` : ''}
<div class="muted summary">${ranked.length} candidate${ranked.length === 1 ? '' : 's'}${
    labelSummary ? ` (${labelSummary})` : ''
  }${data.generatedAt ? ` · ${escapeHtml(data.generatedAt)}` : ''}${review}</div>
<nav class="toc">${toc.join('')}</nav>
</header>`;
  return page(data.title, REPORT_CSS, `${header}\n<main>\n${sections.join('\n')}\n</main>`);
}

/** Milli-units of a Jy figure, 3 significant digits; `–` when absent. */
function milli(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  return String(Number((v * 1000).toPrecision(3)));
}

function candidatesSection(
  shown: ReportCandidate[],
  total: number,
  size: number,
  archiveUrl: (mous: string) => string,
  imageSrc: (image: ReportImage, c: ReportCandidate) => string,
  skyFigure: SkyFigureOptions | undefined,
  maxSkyFigures: number,
): string {
  const rows = shown.map((c, i) => {
    const angle = c.inputAngle !== undefined && Math.abs(c.inputAngle) > 1e-9 ? c.inputAngle : 0;
    const caption = `model input${angle !== 0 ? `<br><span class="rotated">rotated by ${escapeHtml(String(Number(angle.toFixed(1))))}° for the model</span>` : ''}`;
    const input = c.image
      ? `<img class="thumb" src="${escapeHtml(imageSrc(c.image, c))}" width="${size}" height="${size}" alt="${escapeHtml(c.file)}" loading="lazy">`
      : `<div class="thumb placeholder" style="width:${size}px;height:${size}px">no image</div>`;
    const sky =
      c.sky && i < maxSkyFigures
        ? `<figure class="sky-view">${skyFigureSvg(
            c.sky,
            (png, part) => imageSrc(png, { ...c, id: `${c.id}#sky-${part}` }),
            { ...skyFigure, id: `${i}` },
          )}</figure>`
        : '';
    const thumb = `<figure class="input">${input}<figcaption>${caption}</figcaption></figure>`;
    const sal = c.saliency
      ? `<figure class="saliency"><img class="thumb saliency" src="${escapeHtml(imageSrc(c.saliency, { ...c, id: `${c.id}#saliency` }))}" width="${size}" height="${size}" alt="saliency of ${escapeHtml(c.file)}" title="what drove the score (occlusion saliency)" loading="lazy"><figcaption>saliency</figcaption></figure>`
      : '';
    const pct = Number.isFinite(c.score) ? Math.max(0, Math.min(1, c.score)) * 100 : 0;
    const std =
      c.scoreStd !== undefined && Number.isFinite(c.scoreStd) ? ` ± ${fmt(c.scoreStd)}` : '';
    const known =
      c.knownLabel !== undefined
        ? `<div class="known ${c.knownLabel === c.label ? 'agree' : 'disagree'}">known: ${escapeHtml(c.knownLabel)}</div>`
        : '';
    const outside =
      c.outsideTraining !== undefined
        ? `<div class="outside" title="The model input is ${escapeHtml(c.outsideTraining)} at its centre than 99 % of the inputs the model trained on: the score is an extrapolation.">${c.outsideTraining === 'fainter' ? 'fainter' : 'brighter'} than training</div>`
        : '';
    const mous = c.memberOus
      ? `<a class="archive" href="${escapeHtml(archiveUrl(c.memberOus))}" rel="noopener">${escapeHtml(c.memberOus)}</a>`
      : '';
    const prov = c.provenance
      ? Object.entries(c.provenance)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(provText(v))}</dd>`)
          .join('')
      : '';
    return `<tr class="candidate" data-id="${escapeHtml(c.id)}" data-score="${escapeHtml(String(c.score))}">
<td class="rank">${i + 1}</td>
<td class="thumbs"><div class="views">${thumb}${sal}${sky}</div></td>
<td class="score">${fmt(c.score)}${std}<div class="bar"><span style="width:${pct.toFixed(1)}%"></span></div></td>
<td class="label">${escapeHtml(c.label)}${known}${outside}</td>
<td class="ra">${escapeHtml(c.raHms ?? '')}${c.frame ? `<div class="muted">${escapeHtml(c.frame)}</div>` : ''}</td>
<td class="dec">${escapeHtml(c.decDms ?? '')}</td>
<td class="target">${escapeHtml(c.target ?? c.object ?? '')}</td>
<td class="num peak">${milli(c.peakJyBeam)}</td>
<td class="num flux">${milli(c.integratedJy)}${c.integratedErrJy !== undefined && c.integratedJy !== undefined ? ` ± ${milli(c.integratedErrJy)}` : ''}</td>
<td class="num snr">${c.snr !== undefined && Number.isFinite(c.snr) ? c.snr.toFixed(1) : '–'}</td>
<td class="file">${escapeHtml(c.file)}${prov ? `<dl class="prov">${prov}</dl>` : ''}</td>
<td class="project">${escapeHtml(c.projectCode ?? '')}</td>
<td class="mous">${mous}</td>
</tr>`;
  });
  const withoutSky = shown.slice(maxSkyFigures).filter((c) => c.sky !== undefined).length;
  const note =
    (total > shown.length
      ? `<p class="muted">Showing the ${shown.length} highest-scoring of ${total} candidates.</p>`
      : '') +
    (withoutSky > 0
      ? `<p class="muted">The crop on the sky is drawn for the ${maxSkyFigures} highest-scoring candidates; ${withoutSky} below them show their model input only.</p>`
      : '');
  const body =
    shown.length > 0
      ? `<div class="table-scroll"><table class="candidates"><thead><tr><th>#</th><th>Image</th><th>Score</th><th>Label</th><th>RA</th><th>Dec</th><th>Object</th><th title="peak intensity">Peak (mJy/beam)</th><th title="integrated flux density ± 1σ noise">Flux (mJy)</th><th title="peak signal-to-noise">S/N</th><th>File</th><th>Project</th><th>Member OUS</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table></div>`
      : '<p class="muted">No candidates.</p>';
  return `<section id="candidates"><h2>Candidates</h2>${note}${body}</section>`;
}

function provText(v: JsonValue | undefined): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function trainingSection(history: ReportEpoch[]): string {
  const pts = (f: (e: ReportEpoch) => number | undefined): [number, number][] =>
    history.map((e) => [e.epoch, f(e) ?? NaN]);
  const hasVal = (f: (e: ReportEpoch) => number | undefined): boolean =>
    history.some((e) => f(e) !== undefined && Number.isFinite(f(e)));
  const markers = history.length <= 40;
  const loss = lineChart({
    title: 'Loss',
    xLabel: 'epoch',
    yLabel: 'loss',
    markers,
    series: [
      { name: 'training', points: pts((e) => e.loss), color: TRAIN_COLOR },
      ...(hasVal((e) => e.valLoss)
        ? [{ name: 'validation', points: pts((e) => e.valLoss), color: VALIDATION_COLOR }]
        : []),
    ],
  });
  const acc = lineChart({
    title: 'Accuracy',
    xLabel: 'epoch',
    yLabel: 'accuracy',
    markers,
    series: [
      { name: 'training', points: pts((e) => e.acc), color: TRAIN_COLOR },
      ...(hasVal((e) => e.valAcc)
        ? [{ name: 'validation', points: pts((e) => e.valAcc), color: VALIDATION_COLOR }]
        : []),
    ],
  });
  const last = history[history.length - 1];
  const summary = `<p class="muted">${history.length} epoch${history.length === 1 ? '' : 's'}; last: loss ${fmt(last.loss)}, accuracy ${fmt(last.acc)}${
    last.valLoss !== undefined ? `, validation loss ${fmt(last.valLoss)}` : ''
  }${last.valAcc !== undefined ? `, validation accuracy ${fmt(last.valAcc)}` : ''}.</p>`;
  return `<section id="training"><h2>Training</h2>${summary}<div class="charts">${loss}${acc}</div></section>`;
}

function evaluationBlock(ev: ReportEvaluation): string {
  const { tp, fp, tn, fn } = ev.confusion;
  const max = Math.max(tp, fp, tn, fn, 1);
  const cell = (v: number, cls: string): string =>
    `<td class="${cls}" style="background:rgba(9,105,218,${(0.08 + 0.6 * (v / max)).toFixed(3)})">${v}</td>`;
  const confusion = `<table class="confusion" aria-label="confusion matrix">
<tr><th></th><th>predicted positive</th><th>predicted negative</th></tr>
<tr><th>actual positive</th>${cell(tp, 'tp')}${cell(fn, 'fn')}</tr>
<tr><th>actual negative</th>${cell(fp, 'fp')}${cell(tn, 'tn')}</tr>
</table>`;
  const interval = (name: string): string => {
    const i = ev.intervals?.[name];
    return i !== undefined && Number.isFinite(i.lower)
      ? ` <span class="muted">[${fmt(i.lower)}, ${fmt(i.upper)}]</span>`
      : '';
  };
  const metric = (label: string, name: string, v: number | undefined): string =>
    `<tr><th>${label}</th><td>${fmt(v)}${interval(name)}</td></tr>`;
  const unit = ev.unit === 'source' ? 'sources' : 'images';
  const rows = [
    metric('accuracy', 'accuracy', ev.accuracy),
    metric('precision', 'precision', ev.precision),
    metric('recall', 'recall', ev.recall),
    metric('F1', 'f1', ev.f1),
    ev.rocAuc !== undefined ? metric('ROC AUC', 'rocAuc', ev.rocAuc) : '',
    ev.precisionAtK
      ? metric(`precision in top ${ev.precisionAtK.k}`, 'precisionAtK', ev.precisionAtK.value)
      : '',
    ev.recallAtBudget
      ? metric(
          `recall within top ${Math.round(100 * ev.recallAtBudget.budget)} %`,
          'recallAtBudget',
          ev.recallAtBudget.value,
        )
      : '',
    `<tr><th>threshold</th><td>${fmt(ev.threshold)}${ev.thresholdFrom ? ` <span class="muted">(${escapeHtml(ev.thresholdFrom)})</span>` : ''}</td></tr>`,
    `<tr><th>${unit}</th><td>${tp + fp + tn + fn}</td></tr>`,
  ];
  const metrics = `<table class="metrics">${rows.join('')}</table>`;
  const note = ev.intervals
    ? '<p class="muted">Brackets: 95 % bootstrap intervals, resampling sources.</p>'
    : '';
  const charts: string[] = [];
  if (ev.roc && ev.roc.length > 0) {
    const pts = [...ev.roc]
      .sort((a, b) => a.fpr - b.fpr || a.tpr - b.tpr)
      .map((p) => [p.fpr, p.tpr] as const);
    charts.push(
      lineChart({
        title: `ROC curve${ev.rocAuc !== undefined ? ` (AUC ${fmt(ev.rocAuc)})` : ''}`,
        xLabel: 'false-positive rate',
        yLabel: 'true-positive rate',
        xDomain: [0, 1],
        yDomain: [0, 1.02],
        diagonal: true,
        series: [{ name: 'model', points: pts, color: TRAIN_COLOR }],
      }),
    );
  }
  if (ev.pr && ev.pr.length > 0) {
    const pts = [...ev.pr]
      .sort((a, b) => a.recall - b.recall || b.precision - a.precision)
      .map((p) => [p.recall, p.precision] as const);
    charts.push(
      lineChart({
        title: 'Precision–recall curve',
        xLabel: 'recall',
        yLabel: 'precision',
        xDomain: [0, 1],
        yDomain: [0, 1.02],
        series: [{ name: 'model', points: pts, color: VALIDATION_COLOR }],
      }),
    );
  }
  const cal = ev.calibration;
  if (cal?.bins && cal.bins.length > 0) charts.push(reliabilityChart(cal.bins));
  const calText = cal
    ? `<p>Calibration (fitted on validation data): temperature ${fmt(cal.temperature)}${
        cal.logLossBefore !== undefined && cal.logLossAfter !== undefined
          ? `, validation log-loss ${fmt(cal.logLossBefore)} → ${fmt(cal.logLossAfter)}`
          : ''
      }${cal.ece !== undefined ? `, expected calibration error ${fmt(cal.ece)}` : ''}.</p>`
    : '';
  const baselines =
    ev.baselines && ev.baselines.length > 0
      ? `<table class="metrics baselines"><tr><th>scorer</th><th>ROC AUC</th></tr>${
          ev.rocAuc !== undefined
            ? `<tr><td>this model</td><td>${fmt(ev.rocAuc)}${interval('rocAuc')}</td></tr>`
            : ''
        }${ev.baselines
          .map(
            (b) =>
              `<tr><td>${escapeHtml(b.name)}</td><td>${fmt(b.rocAuc)}${
                b.rocAucInterval
                  ? ` <span class="muted">[${fmt(b.rocAucInterval.lower)}, ${fmt(b.rocAucInterval.upper)}]</span>`
                  : ''
              }</td></tr>`,
          )
          .join('')}</table>`
      : '';
  const title = ev.dataset ? `<h3>${escapeHtml(ev.dataset)}</h3>` : '';
  const scoring = ev.scoring ? `<p>Scores: ${escapeHtml(ev.scoring)}.</p>` : '';
  return `<div class="eval-block">${title}<div class="eval"><div>${confusion}</div><div>${metrics}${note}</div>${
    baselines ? `<div>${baselines}</div>` : ''
  }</div>${scoring}${calText}${
    charts.length > 0 ? `<div class="charts" style="margin-top:16px">${charts.join('')}</div>` : ''
  }</div>`;
}

function realImagesSection(
  real: ReportRealImage[],
  size: number,
  render: RenderOptions | undefined,
): string {
  const anyOnePass = real.some((r) => r.onePass !== undefined);
  const rows = real.map((r) => {
    const called = r.score >= r.threshold;
    const right = called === (r.knownLabel !== 'negative');
    const thumb = r.image
      ? `<img class="thumb" src="${escapeHtml(pngDataUri(r.image, `real-${r.file}`, render))}" width="${size}" height="${size}" alt="${escapeHtml(r.file)}">`
      : '';
    const onePass = anyOnePass
      ? `<td class="score muted">${r.onePass !== undefined ? fmt(r.onePass) : ''}</td>`
      : '';
    return `<tr><td>${thumb}</td><td class="file">${escapeHtml(r.file)}</td><td>${escapeHtml(r.role)}</td><td>${escapeHtml(r.knownLabel)}</td><td class="score">${fmt(r.score)}</td>${onePass}<td>${fmt(r.threshold)}</td><td class="${right ? 'ok' : 'wrong'}">${called ? 'called positive' : 'called negative'} (${right ? 'right' : 'wrong'})</td></tr>`;
  });
  const onePassNote = anyOnePass
    ? ' Score: the mean over symmetries of the input (test-time augmentation), as the model scores every image, so the flips of one image score alike; one pass: the network on this orientation alone, for comparison.'
    : '';
  return `<section id="real"><h2>Real images</h2><p class="muted">Real ALMA images of known class, scored apart from the synthetic ones and never mixed into their figures.${onePassNote}</p><table class="real"><thead><tr><th>Input</th><th>File</th><th>Role</th><th>Known</th><th>Score</th>${anyOnePass ? '<th>One pass</th>' : ''}<th>Threshold</th><th>Verdict</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

/** A reliability diagram: observed positive fraction against mean predicted score per bin. */
function reliabilityChart(bins: readonly ReportReliabilityBin[]): string {
  const pts = bins
    .filter((b) => b.count > 0 && Number.isFinite(b.meanPredicted) && Number.isFinite(b.observed))
    .map((b) => [b.meanPredicted, b.observed] as const);
  return lineChart({
    title: 'Reliability (validation)',
    xLabel: 'mean predicted score',
    yLabel: 'observed fraction positive',
    xDomain: [0, 1],
    yDomain: [0, 1.02],
    diagonal: true,
    markers: true,
    series: [{ name: 'calibrated', points: pts, color: TRAIN_COLOR }],
  });
}
