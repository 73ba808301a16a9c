import { DECISION_STORE_SCRIPT, escapeHtml, fmt, page, pageKey, pngDataUri } from './html.js';
import type { RenderOptions } from './render.js';
import type { ReportImage, ReviewItem } from './types.js';

/** Options of {@link buildReviewHtml}. Defaults in {@link DEFAULT_REVIEW_HTML_OPTIONS}. */
export interface ReviewHtmlOptions {
  /** Page title. Default `'Review'`. */
  title?: string;
  /** How `Image2D` items are rendered. Default: {@link renderPng}'s defaults. */
  render?: RenderOptions;
  /** Displayed image edge in CSS pixels. Default 160. */
  imageSize?: number;
  /** Link back to the report (e.g. `'index.html'`); none when omitted. */
  reportHref?: string;
  /**
   * Where an item's image comes from: by default a `data:` URI (one self-contained file);
   * `writeReviewPage` passes a function returning a relative file name when images are
   * written beside the page.
   */
  imageSrc?: (image: ReportImage, item: ReviewItem) => string;
  /**
   * What "Export" downloads: `'decisions'` a `decisions.json` of keep/reject (the default), or
   * `'labels'` a `labels.jsonl` of label-store lines (keep, reject or unsure, with who and when,
   * for the items that carry an `object`), to append to a project's label store.
   */
  exportFormat?: 'decisions' | 'labels';
  /** With `exportFormat: 'labels'`: whether the items are dataset `sample`s or `candidate`s. Default `'sample'`. */
  labelKind?: 'sample' | 'candidate';
}

/** Defaults of {@link ReviewHtmlOptions}. */
export const DEFAULT_REVIEW_HTML_OPTIONS: Readonly<
  Required<Pick<ReviewHtmlOptions, 'title' | 'imageSize'>>
> = Object.freeze({ title: 'Review', imageSize: 160 });

/** Section heading of items without a `group`. */
export const DEFAULT_REVIEW_GROUP = 'Images';

const REVIEW_CSS = `
.toolbar { position: sticky; top: 0; z-index: 2; background: #fff; border-bottom: 1px solid var(--line);
  padding: 8px 24px; display: flex; gap: 16px; align-items: center; flex-wrap: wrap; }
.toolbar button#export { background: var(--accent); color: #fff; border: 0; border-radius: 6px;
  padding: 6px 14px; font-weight: 600; cursor: pointer; }
kbd { border: 1px solid var(--line); border-bottom-width: 2px; border-radius: 4px; padding: 0 4px;
  font: 11px ui-monospace, monospace; background: var(--panel); }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(var(--size), 1fr)); gap: 12px; }
.item { border: 2px solid var(--line); border-radius: 8px; padding: 8px; outline: none; background: #fff; }
.item.current { box-shadow: 0 0 0 3px rgba(9,105,218,.45); }
.item[data-decision="keep"] { border-color: var(--keep); background: #dafbe1; }
.item[data-decision="reject"] { border-color: var(--reject); background: #ffebe9; }
.item[data-decision="reject"] img { opacity: .45; }
.item[data-decision="unsure"] { border-color: #9a6700; background: #fff8c5; }
.item[data-decision="unsure"] button.unsure { background: #9a6700; color: #fff; }
.item .details { font-size: 11px; }
.toolbar input#who { width: 9em; }
.item img, .item .placeholder { width: 100%; height: auto; aspect-ratio: 1; }
.item .meta { font-size: 12px; margin: 6px 0; word-break: break-all; }
.item .buttons { display: flex; gap: 6px; }
.item button { flex: 1; border: 1px solid var(--line); border-radius: 6px; padding: 4px; cursor: pointer;
  background: var(--panel); font-weight: 600; }
.item[data-decision="keep"] button.keep { background: var(--keep); color: #fff; }
.item[data-decision="reject"] button.reject { background: var(--reject); color: #fff; }
`;

// The page's behaviour. Plain ES2017 so any current browser runs it without a build step.
const REVIEW_SCRIPT =
  DECISION_STORE_SCRIPT +
  String.raw`
(function () {
  'use strict';
  var items = Array.prototype.slice.call(document.querySelectorAll('.item'));
  var storeKey = 'alma-classifier-review:' + document.body.getAttribute('data-key');
  var labels = document.body.getAttribute('data-export') === 'labels';
  var labelKind = document.body.getAttribute('data-label-kind') || 'sample';
  var who = document.getElementById('who');
  rememberWho(who);
  var current = 0;

  function counts() {
    var keep = 0, reject = 0, unsure = 0;
    items.forEach(function (it) {
      var d = it.getAttribute('data-decision');
      if (d === 'keep') keep++; else if (d === 'reject') reject++; else if (d === 'unsure') unsure++;
    });
    document.getElementById('count-keep').textContent = String(keep);
    document.getElementById('count-reject').textContent = String(reject);
    var u = document.getElementById('count-unsure');
    if (u) u.textContent = String(unsure);
    document.getElementById('count-open').textContent = String(items.length - keep - reject - unsure);
  }
  function save() { saveDecisions(storeKey, items); }
  function load() { loadDecisions(storeKey, items, labels ? ['keep', 'reject', 'unsure'] : ['keep', 'reject']); }
  function select(i, focus) {
    if (items.length === 0) return;
    current = Math.max(0, Math.min(items.length - 1, i));
    items.forEach(function (it, k) { it.classList.toggle('current', k === current); });
    if (focus) { items[current].focus({ preventScroll: true }); items[current].scrollIntoView({ block: 'nearest' }); }
  }
  function decide(i, decision, toggle) {
    var it = items[i];
    if (!it) return;
    if (decision && !(toggle && it.getAttribute('data-decision') === decision)) {
      it.setAttribute('data-decision', decision);
    } else {
      it.removeAttribute('data-decision');
    }
    counts();
    save();
  }
  // One label-store line (the field order of formatLabelLine in src/dataset/labels.ts).
  function labelLine(it, when) {
    var o = JSON.parse(it.getAttribute('data-object'));
    var line = { v: 1, id: it.getAttribute('data-id'), kind: labelKind,
      label: it.getAttribute('data-decision'), who: (who && who.value) || 'anonymous', when: when,
      object: o };
    var t = it.getAttribute('data-transform');
    if (t) line.transform = t;
    return JSON.stringify(line) + '\n';
  }
  function exportDecisions() {
    var decided = items.filter(function (it) { return it.hasAttribute('data-decision'); });
    var text, name, type;
    if (labels) {
      var when = new Date().toISOString();
      text = decided.filter(function (it) { return it.hasAttribute('data-object'); })
        .map(function (it) { return labelLine(it, when); }).join('');
      name = 'labels.jsonl';
      type = 'application/x-ndjson';
    } else {
      var decisions = decided.map(function (it) {
        return { id: it.getAttribute('data-id'), file: it.getAttribute('data-file'),
          decision: it.getAttribute('data-decision') };
      });
      text = JSON.stringify({ version: 1, decisions: decisions }, null, 2) + '\n';
      name = 'decisions.json';
      type = 'application/json';
    }
    var url = URL.createObjectURL(new Blob([text], { type: type }));
    var a = document.createElement('a');
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  }

  items.forEach(function (it, i) {
    it.addEventListener('click', function (ev) {
      var action = ev.target && ev.target.getAttribute && ev.target.getAttribute('data-action');
      select(i, false);
      if (action) decide(i, action === 'clear' ? null : action, true);
    });
  });
  document.getElementById('export').addEventListener('click', exportDecisions);
  document.addEventListener('keydown', function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var tag = ev.target && ev.target.tagName;
    if (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT') return;
    switch (ev.key) {
      case 'k': case 'K': decide(current, 'keep', false); select(current + 1, true); break;
      case 'r': case 'R': decide(current, 'reject', false); select(current + 1, true); break;
      case 's': case 'S': if (!labels) return; decide(current, 'unsure', false); select(current + 1, true); break;
      case 'u': case 'U': decide(current, null, false); break;
      case 'ArrowRight': case 'ArrowDown': case 'j': select(current + 1, true); break;
      case 'ArrowLeft': case 'ArrowUp': select(current - 1, true); break;
      case 'Home': select(0, true); break;
      case 'End': select(items.length - 1, true); break;
      default: return;
    }
    ev.preventDefault();
  });
  load();
  counts();
  select(0, false);
})();
`;

/**
 * The HTML of a review page: every item's image with Keep and Reject buttons, grouped into
 * sections by `group`, and an "Export decisions" button that downloads `decisions.json`
 * (`{ version: 1, decisions: [{ id, file, decision: 'keep' | 'reject' }] }`, decided items only,
 * in page order). Keyboard: `k` keep and `r` reject the current image and move on, `u` clears
 * its decision, arrow keys (and `j`) move. Progress is kept in the browser's local storage, so
 * a reload resumes. One self-contained document unless `imageSrc` says otherwise; all text is
 * HTML-escaped. Browser-safe.
 *
 * @param items - the images to review, in display order within each group (not modified)
 * @param opts - presentation options; defaults in {@link DEFAULT_REVIEW_HTML_OPTIONS}
 * @returns the HTML text
 * @throws RangeError when ids repeat, an image given as bytes is not a PNG, or rendering options are invalid
 */
export function buildReviewHtml(
  items: readonly ReviewItem[],
  opts: ReviewHtmlOptions = {},
): string {
  const o = { ...DEFAULT_REVIEW_HTML_OPTIONS, ...opts };
  const labels = o.exportFormat === 'labels';
  const imageSrc =
    o.imageSrc ?? ((image: ReportImage, it: ReviewItem) => pngDataUri(image, it.id, o.render));
  const seen = new Set<string>();
  for (const it of items) {
    if (seen.has(it.id)) throw new RangeError(`review item id '${it.id}' appears more than once`);
    seen.add(it.id);
  }
  const groups = new Map<string, ReviewItem[]>();
  for (const it of items) {
    const g = it.group ?? DEFAULT_REVIEW_GROUP;
    const list = groups.get(g) ?? [];
    list.push(it);
    groups.set(g, list);
  }
  const sections = [...groups].map(([name, list]) => {
    const cards = list.map((it) => {
      const img = it.image
        ? `<img class="thumb" src="${escapeHtml(imageSrc(it.image, it))}" alt="${escapeHtml(it.file)}" loading="lazy">`
        : '<div class="thumb placeholder">no image</div>';
      const meta = [
        it.score !== undefined ? `score ${fmt(it.score)}` : '',
        it.label !== undefined ? escapeHtml(it.label) : '',
      ]
        .filter(Boolean)
        .join(' · ');
      const decision = it.decision ? ` data-decision="${it.decision}"` : '';
      const object =
        labels && it.object ? ` data-object="${escapeHtml(JSON.stringify(it.object))}"` : '';
      const transform =
        labels && it.transform ? ` data-transform="${escapeHtml(it.transform)}"` : '';
      const details = (it.details ?? [])
        .map((d) => `<div class="details muted">${escapeHtml(d)}</div>`)
        .join('');
      const unsure = labels
        ? '<button type="button" class="unsure" data-action="unsure">Unsure</button>'
        : '';
      return `<article class="item" tabindex="0" data-id="${escapeHtml(it.id)}" data-file="${escapeHtml(it.file)}"${decision}${object}${transform}>
${img}
<div class="meta"><div class="file">${escapeHtml(it.file)}</div>${details}${meta ? `<div class="muted">${meta}</div>` : ''}</div>
<div class="buttons"><button type="button" class="keep" data-action="keep">Keep</button><button type="button" class="reject" data-action="reject">Reject</button>${unsure}</div>
</article>`;
    });
    return `<section class="group"><h2>${escapeHtml(name)} <span class="muted">(${list.length})</span></h2><div class="grid">${cards.join('\n')}</div></section>`;
  });
  const back = o.reportHref
    ? ` · <a href="${escapeHtml(o.reportHref)}">back to the report</a>`
    : '';
  const body = `<header><h1>${escapeHtml(o.title)}</h1><div class="muted">${items.length} image${
    items.length === 1 ? '' : 's'
  }${back}</div></header>
<div class="toolbar">
<button type="button" id="export">${labels ? 'Export labels.jsonl' : 'Export decisions'}</button>
<span><b id="count-keep">0</b> kept · <b id="count-reject">0</b> rejected${labels ? ' · <b id="count-unsure">0</b> unsure' : ''} · <b id="count-open">${items.length}</b> undecided</span>
<span class="muted"><kbd>k</kbd> keep · <kbd>r</kbd> reject${labels ? ' · <kbd>s</kbd> unsure' : ''} · <kbd>u</kbd> undo · <kbd>←</kbd> <kbd>→</kbd> move</span>
${labels ? '<label class="muted">who <input id="who" type="text" placeholder="your name"></label>' : ''}
</div>
<main style="--size:${o.imageSize}px">
${sections.join('\n')}
</main>`;
  const attrs =
    ` data-key="${pageKey(items)}"` +
    (labels ? ` data-export="labels" data-label-kind="${o.labelKind ?? 'sample'}"` : '');
  return page(o.title, REVIEW_CSS, body, REVIEW_SCRIPT, attrs);
}
