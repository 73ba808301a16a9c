/**
 * The review page of a classification run: the candidates to look at next (the highest scores,
 * the most uncertain, a few at random), each with its model input, saliency, place on the sky and
 * score ± uncertainty, decided with the keyboard and exported as label-store lines. With a
 * retraining payload the page also retrains the model in the browser from the decisions so far
 * and re-ranks the rest (the script that does it is passed in; see `alma-classifier review`).
 * Browser-safe; the page loads nothing from the network.
 */
import { DECISION_STORE_SCRIPT, escapeHtml, fmt, page, pageKey, pngDataUri } from './html.js';
import type { RenderOptions } from './render.js';
import type { ReportImage, ReviewObject } from './types.js';

/** One candidate on a run's review page. */
export interface RunReviewCandidate {
  /** The object's stable id (`<hash>:<hdu>:<row>,<col>`), what its label line names. */
  id: string;
  /** The image's file, as the run named it. */
  file: string;
  /** The object by content, written to its label line; without it the candidate is not exported. */
  object?: ReviewObject;
  /** Index of the object within its image (0 = brightest). */
  sourceIndex: number;
  /** Calibrated score. */
  score: number;
  /** Spread of the score (MC dropout standard deviation), when measured. */
  std?: number;
  /** Why it is among the candidates to review now; absent for the rest of the run. */
  reason?: 'top' | 'uncertain' | 'random';
  /** The model input, as the model saw it. */
  thumbnail?: ReportImage;
  /** Its saliency overlay (what drove the score). */
  saliency?: ReportImage;
  /** Position on the sky as text (`18h30m04.1s -02d03m02s ICRS`). */
  position?: string;
  /** Peak signal-to-noise. */
  snr?: number;
  /**
   * `'fainter'` or `'brighter'` when the model input lies outside the range of the model's
   * training inputs (its score is an extrapolation; `Candidate.outsideTraining`).
   */
  outsideTraining?: 'fainter' | 'brighter';
  /** The object's name (FITS `OBJECT`). */
  objectName?: string;
  /** Index of its model input in the retraining payload's `inputs`, when it carries one. */
  inputIndex?: number;
}

/** What the page needs to retrain in the browser (see {@link RunReviewData.retrain}). */
export interface RunReviewRetrain {
  /**
   * The script that retrains: a self-contained bundle (no imports, no network) that reads the
   * payload from the element `#alma-review-payload` and drives the page's `window.almaReview`.
   */
  script: string;
  /** JSON-serialisable data for the script (model, inputs, replay samples, options). */
  payload: unknown;
}

/** Everything a run's review page shows. */
export interface RunReviewData {
  /** Page title. */
  title: string;
  /** A line under the title (the run, the model). */
  description?: string;
  /** The model's threshold, shown on each card. */
  threshold: number;
  /** The candidates to review now (in pick order), then the rest of the run by score. */
  candidates: RunReviewCandidate[];
  /** Retraining in the browser; without it the page decides and exports only. */
  retrain?: RunReviewRetrain;
}

/** Options of {@link buildRunReviewHtml}. */
export interface RunReviewHtmlOptions {
  /** How `Image2D` pictures are rendered. Default: `renderPng`'s defaults. */
  render?: RenderOptions;
  /** Displayed image edge in CSS pixels. Default 150. */
  imageSize?: number;
}

const CSS = `
.toolbar { position: sticky; top: 0; z-index: 2; background: #fff; border-bottom: 1px solid var(--line);
  padding: 8px 24px; display: flex; gap: 14px; align-items: center; flex-wrap: wrap; }
.toolbar button { border: 0; border-radius: 6px; padding: 6px 14px; font-weight: 600; cursor: pointer;
  background: var(--accent); color: #fff; }
.toolbar button:disabled { opacity: .5; cursor: default; }
.toolbar input { width: 9em; }
kbd { border: 1px solid var(--line); border-bottom-width: 2px; border-radius: 4px; padding: 0 4px;
  font: 11px ui-monospace, monospace; background: var(--panel); }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(calc(2 * var(--size) + 24px), 1fr)); gap: 12px; }
.item { border: 2px solid var(--line); border-radius: 8px; padding: 8px; outline: none; background: #fff; }
.item.current { box-shadow: 0 0 0 3px rgba(9,105,218,.45); }
.item[data-decision="keep"] { border-color: var(--keep); background: #dafbe1; }
.item[data-decision="reject"] { border-color: var(--reject); background: #ffebe9; }
.item[data-decision="unsure"] { border-color: #9a6700; background: #fff8c5; }
.pics { display: flex; gap: 4px; }
.pics img, .pics .placeholder { width: var(--size); height: var(--size); }
.item .meta { font-size: 12px; margin: 6px 0; word-break: break-all; }
.item .score { font-weight: 600; font-size: 13px; }
.item .was { color: var(--muted); font-weight: 400; }
.badge { display: inline-block; border-radius: 10px; padding: 0 7px; font-size: 11px; font-weight: 600;
  background: var(--panel); border: 1px solid var(--line); }
.badge.top { background: #ddf4ff; } .badge.uncertain { background: #fff8c5; } .badge.random { background: #fbefff; }
.item .buttons { display: flex; gap: 6px; }
.item button { flex: 1; border: 1px solid var(--line); border-radius: 6px; padding: 4px; cursor: pointer;
  background: var(--panel); font-weight: 600; }
.item[data-decision="keep"] button.keep { background: var(--keep); color: #fff; }
.item[data-decision="reject"] button.reject { background: var(--reject); color: #fff; }
.item[data-decision="unsure"] button.unsure { background: #9a6700; color: #fff; }
#status { font-size: 12px; }
#moves { font-size: 12px; margin: 8px 0; }
`;

// Decisions, keyboard, export and re-ordering. Plain ES2017 so any current browser runs it
// without a build step; the retraining script (when there is one) calls `almaReview.render`.
const SCRIPT =
  DECISION_STORE_SCRIPT +
  String.raw`
(function () {
  'use strict';
  var all = Array.prototype.slice.call(document.querySelectorAll('.item'));
  var byId = {};
  all.forEach(function (it) { byId[it.getAttribute('data-id')] = it; });
  var storeKey = 'alma-classifier-run-review:' + document.body.getAttribute('data-key');
  var who = document.getElementById('who');
  var current = 0;
  function visible() {
    return Array.prototype.slice.call(document.querySelectorAll('#next-grid .item, #more-grid .item'));
  }
  rememberWho(who);
  function counts() {
    var n = { keep: 0, reject: 0, unsure: 0 };
    all.forEach(function (it) { var d = it.getAttribute('data-decision'); if (d) n[d]++; });
    ['keep', 'reject', 'unsure'].forEach(function (k) {
      document.getElementById('count-' + k).textContent = String(n[k]);
    });
    document.getElementById('count-open').textContent = String(all.length - n.keep - n.reject - n.unsure);
  }
  function save() { saveDecisions(storeKey, all); }
  function load() { loadDecisions(storeKey, all, ['keep', 'reject', 'unsure']); }
  function select(i, focus) {
    var list = visible();
    if (list.length === 0) return;
    current = Math.max(0, Math.min(list.length - 1, i));
    all.forEach(function (it) { it.classList.remove('current'); });
    list[current].classList.add('current');
    if (focus) { list[current].focus({ preventScroll: true }); list[current].scrollIntoView({ block: 'nearest' }); }
  }
  function decide(it, decision, toggle) {
    if (!it) return;
    if (decision && !(toggle && it.getAttribute('data-decision') === decision)) it.setAttribute('data-decision', decision);
    else it.removeAttribute('data-decision');
    counts();
    save();
  }
  function labelLine(it, when) {
    var line = { v: 1, id: it.getAttribute('data-id'), kind: 'candidate', label: it.getAttribute('data-decision'),
      who: who.value || 'anonymous', when: when, object: JSON.parse(it.getAttribute('data-object')) };
    var s = Number(it.getAttribute('data-score'));
    if (isFinite(s)) line.score = s;
    return JSON.stringify(line) + '\n';
  }
  function exportLabels() {
    var when = new Date().toISOString();
    var text = all.filter(function (it) { return it.hasAttribute('data-decision') && it.hasAttribute('data-object'); })
      .map(function (it) { return labelLine(it, when); }).join('');
    var url = URL.createObjectURL(new Blob([text], { type: 'application/x-ndjson' }));
    var a = document.createElement('a');
    a.href = url;
    a.download = 'labels.jsonl';
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  }
  function fmt(v) { return isFinite(v) ? v.toFixed(3) : '–'; }
  all.forEach(function (it) {
    it.addEventListener('click', function (ev) {
      var action = ev.target && ev.target.getAttribute && ev.target.getAttribute('data-action');
      var list = visible();
      var k = list.indexOf(it);
      if (k >= 0) select(k, false);
      if (action) decide(it, action === 'clear' ? null : action, true);
    });
  });
  document.getElementById('export').addEventListener('click', exportLabels);
  document.addEventListener('keydown', function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var tag = ev.target && ev.target.tagName;
    if (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT') return;
    var list = visible();
    var it = list[current];
    switch (ev.key) {
      case 'k': case 'K': decide(it, 'keep', false); select(current + 1, true); break;
      case 'r': case 'R': decide(it, 'reject', false); select(current + 1, true); break;
      case 's': case 'S': decide(it, 'unsure', false); select(current + 1, true); break;
      case 'u': case 'U': decide(it, null, false); break;
      case 'ArrowRight': case 'ArrowDown': case 'j': select(current + 1, true); break;
      case 'ArrowLeft': case 'ArrowUp': select(current - 1, true); break;
      case 'Home': select(0, true); break;
      case 'End': select(list.length - 1, true); break;
      default: return;
    }
    ev.preventDefault();
  });
  var reasons = { top: 'top score', uncertain: 'uncertain', random: 'random' };
  window.almaReview = {
    // Decisions so far: [{ id, label }], in page order.
    decisions: function () {
      return all.filter(function (it) { return it.hasAttribute('data-decision'); })
        .map(function (it) { return { id: it.getAttribute('data-id'), label: it.getAttribute('data-decision') }; });
    },
    // New scores and the next picks: undecided picks go to "Review next" in order, the other
    // undecided cards to "More" by score, decided ones to "Decided".
    render: function (scores, picks) {
      var next = document.getElementById('next-grid');
      var more = document.getElementById('more-grid');
      var done = document.getElementById('decided-grid');
      var picked = {};
      all.forEach(function (it) {
        var id = it.getAttribute('data-id');
        if (scores[id] === undefined) return;
        var was = Number(it.getAttribute('data-score'));
        it.setAttribute('data-score', String(scores[id]));
        it.querySelector('.score-value').textContent = fmt(scores[id]);
        it.querySelector('.std').textContent = '';
        it.querySelector('.was').textContent = ' (was ' + fmt(was) + ')';
      });
      picks.forEach(function (p) {
        var it = byId[p.id];
        if (!it || it.hasAttribute('data-decision')) return;
        picked[p.id] = true;
        it.querySelector('.badge').className = 'badge ' + p.reason;
        it.querySelector('.badge').textContent = reasons[p.reason];
        next.appendChild(it);
      });
      all.filter(function (it) { return !picked[it.getAttribute('data-id')]; })
        .sort(function (a, b) { return Number(b.getAttribute('data-score')) - Number(a.getAttribute('data-score')); })
        .forEach(function (it) {
          if (it.hasAttribute('data-decision')) { done.appendChild(it); return; }
          it.querySelector('.badge').className = 'badge';
          it.querySelector('.badge').textContent = 'ranked';
          more.appendChild(it);
        });
      ['next', 'more', 'decided'].forEach(function (s) {
        document.getElementById(s + '-count').textContent = String(document.getElementById(s + '-grid').children.length);
      });
      select(0, false);
    },
    // The ids in page order (review next, more, decided), for tests.
    order: function () {
      return Array.prototype.slice.call(document.querySelectorAll('.item')).map(function (it) { return it.getAttribute('data-id'); });
    },
    status: function (text) { document.getElementById('status').textContent = text; }
  };
  load();
  counts();
  select(0, false);
})();
`;

const REASONS = { top: 'top score', uncertain: 'uncertain', random: 'random' } as const;

/** Text safe inside a `<script>` element (no `</script>` or `<!--`). */
function scriptText(text: string): string {
  return text.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/**
 * The HTML of a run's review page: the candidates to review now (with why each was picked),
 * then the rest of the run by score (folded), each card with the model input, its saliency, the
 * file, object index and peak (so objects and transforms of one file are told apart), position,
 * S/N and score ± uncertainty; Keep / Reject / Unsure buttons and keys (`k`, `r`, `s`; `u`
 * clears; arrows or `j` move), a name field, and an "Export labels.jsonl" button that downloads
 * the decisions as label-store lines (`formatLabelLine`'s fields) to append to the project's
 * store. Decisions are kept in the browser's local storage, so a reload resumes. With
 * `data.retrain`, a "Retrain" button runs the given script (the model retrained from the
 * decisions in the browser, the rest re-ranked). One self-contained file: it loads nothing,
 * and works opened from disk.
 *
 * @param data - what to show (not modified)
 * @param opts - presentation options
 * @returns the HTML text
 * @throws RangeError when ids repeat or a picture given as bytes is not a PNG
 */
export function buildRunReviewHtml(data: RunReviewData, opts: RunReviewHtmlOptions = {}): string {
  const size = opts.imageSize ?? 150;
  const seen = new Set<string>();
  for (const c of data.candidates) {
    if (seen.has(c.id))
      throw new RangeError(`review candidate id '${c.id}' appears more than once`);
    seen.add(c.id);
  }
  const card = (c: RunReviewCandidate): string => {
    const pic = (img: ReportImage | undefined, what: string): string =>
      img
        ? `<img class="thumb" src="${pngDataUri(img, `${c.id}-${what}`, opts.render)}" alt="${what} of ${escapeHtml(c.file)}">`
        : `<div class="thumb placeholder">no ${what}</div>`;
    const std = c.std !== undefined && Number.isFinite(c.std) ? ` ± ${fmt(c.std)}` : '';
    const peak = c.object?.peak;
    const lines = [
      `object ${c.sourceIndex}${peak ? ` at row ${peak[0]}, col ${peak[1]}` : ''}${c.object?.hdu ? `, HDU ${c.object.hdu}` : ''}`,
      ...(c.objectName ? [c.objectName] : []),
      ...(c.position ? [c.position] : []),
      ...(c.snr !== undefined ? [`S/N ${fmt(c.snr, 1)}`] : []),
      ...(c.outsideTraining !== undefined
        ? [
            `input ${c.outsideTraining} than the model's training inputs: the score is an extrapolation`,
          ]
        : []),
    ];
    const object = c.object ? ` data-object="${escapeHtml(JSON.stringify(c.object))}"` : '';
    const input = c.inputIndex !== undefined ? ` data-input="${c.inputIndex}"` : '';
    return `<article class="item" tabindex="0" data-id="${escapeHtml(c.id)}" data-score="${c.score}"${object}${input}>
<div class="pics">${pic(c.thumbnail, 'input')}${pic(c.saliency, 'saliency')}</div>
<div class="meta"><span class="badge${c.reason ? ` ${c.reason}` : ''}">${c.reason ? REASONS[c.reason] : 'ranked'}</span>
<div class="score">score <span class="score-value">${fmt(c.score)}</span><span class="std">${std}</span><span class="was"></span> <span class="muted">(threshold ${fmt(data.threshold)})</span></div>
<div class="file">${escapeHtml(c.file)}</div>${lines.map((l) => `<div class="muted">${escapeHtml(l)}</div>`).join('')}</div>
<div class="buttons"><button type="button" class="keep" data-action="keep">Keep</button><button type="button" class="reject" data-action="reject">Reject</button><button type="button" class="unsure" data-action="unsure">Unsure</button></div>
</article>`;
  };
  const next = data.candidates.filter((c) => c.reason !== undefined);
  const rest = data.candidates.filter((c) => c.reason === undefined);
  const retrain = data.retrain
    ? '<button type="button" id="retrain">Retrain on my decisions</button>'
    : '<span class="muted">retraining in the page is off (no model payload)</span>';
  const body = `<header><h1>${escapeHtml(data.title)}</h1>${
    data.description ? `<div class="muted">${escapeHtml(data.description)}</div>` : ''
  }</header>
<div class="toolbar">
<button type="button" id="export">Export labels.jsonl</button>
${retrain}
<span><b id="count-keep">0</b> kept · <b id="count-reject">0</b> rejected · <b id="count-unsure">0</b> unsure · <b id="count-open">${data.candidates.length}</b> undecided</span>
<span class="muted"><kbd>k</kbd> keep · <kbd>r</kbd> reject · <kbd>s</kbd> unsure · <kbd>u</kbd> undo · <kbd>←</kbd> <kbd>→</kbd> move</span>
<label class="muted">who <input id="who" type="text" placeholder="your name"></label>
<span id="status" class="muted"></span>
</div>
<main style="--size:${size}px">
<div id="moves" class="muted"></div>
<section><h2>Review next <span class="muted">(<span id="next-count">${next.length}</span>)</span></h2><div class="grid" id="next-grid">${next.map(card).join('\n')}</div></section>
<details><summary><h2 style="display:inline">More candidates, by score <span class="muted">(<span id="more-count">${rest.length}</span>)</span></h2></summary><div class="grid" id="more-grid">${rest.map(card).join('\n')}</div></details>
<section><h2>Decided <span class="muted">(<span id="decided-count">0</span>)</span></h2><div class="grid" id="decided-grid"></div></section>
</main>
${
  data.retrain
    ? `<script type="application/json" id="alma-review-payload">${scriptText(JSON.stringify(data.retrain.payload))}</script>`
    : ''
}`;
  const script = data.retrain ? `${SCRIPT}\n${scriptText(data.retrain.script)}` : SCRIPT;
  return page(data.title, CSS, body, script, ` data-key="${pageKey(data.candidates)}"`, {
    wasm: data.retrain !== undefined,
  });
}
