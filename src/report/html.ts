// Shared pieces of the report and review pages: escaping, inlined images, the page shell.
import { renderPng, type RenderOptions } from './render.js';
import type { ReportImage } from './types.js';

/**
 * Escape text for HTML element content and quoted attribute values: `& < > " '`. File names,
 * targets and labels are user data and always go through this.
 *
 * @param text - any text
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/**
 * FNV-1a of the ids of a page's items (a separator after each), as hex: the key under which a
 * review page saves its progress, so saved decisions belong to one set of items.
 *
 * @internal
 */
export function pageKey(items: Iterable<{ id: string }>): string {
  let h = 0x811c9dc5;
  for (const { id } of items) {
    for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 0x1f, 0x01000193);
  }
  return (h >>> 0).toString(16);
}

/**
 * Inline-script helpers both review pages share (plain script, no modules: the pages work opened from
 * disk): `rememberWho(input)` keeps the reviewer's name across pages, `saveDecisions(key, items)`
 * and `loadDecisions(key, items, allowed)` keep each item's `data-decision` in `localStorage`
 * under the page's key, so a reload resumes the review.
 *
 * @internal
 */
export const DECISION_STORE_SCRIPT = String.raw`
  function rememberWho(who) {
    if (!who) return;
    try { who.value = localStorage.getItem('alma-classifier-review:who') || ''; } catch (e) { /* none */ }
    who.addEventListener('change', function () {
      try { localStorage.setItem('alma-classifier-review:who', who.value); } catch (e) { /* none */ }
    });
  }
  function saveDecisions(key, items) {
    try {
      var saved = {};
      items.forEach(function (it) {
        var d = it.getAttribute('data-decision');
        if (d) saved[it.getAttribute('data-id')] = d;
      });
      localStorage.setItem(key, JSON.stringify(saved));
    } catch (e) { /* storage may be disabled; decisions still export */ }
  }
  function loadDecisions(key, items, allowed) {
    try {
      var saved = JSON.parse(localStorage.getItem(key) || '{}');
      items.forEach(function (it) {
        var d = saved[it.getAttribute('data-id')];
        if (allowed.indexOf(d) >= 0) it.setAttribute('data-decision', d);
      });
    } catch (e) { /* nothing saved */ }
  }
`;

/**
 * Base64 of bytes without Node's `Buffer` (browser-safe; `btoa` exists in Node ≥ 16 too).
 *
 * @internal
 */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

/**
 * The PNG bytes of a page image: rendered from an `Image2D`, or passed through after checking
 * the PNG signature.
 *
 * @internal
 */
export function pngOf(
  image: ReportImage,
  id: string,
  render: RenderOptions | undefined,
): Uint8Array {
  if (image instanceof Uint8Array) {
    if (!PNG_SIGNATURE.every((b, i) => image[i] === b)) {
      throw new RangeError(`image of '${id}' is bytes but not a PNG file`);
    }
    return image;
  }
  return renderPng(image, render);
}

/**
 * A `data:` URI holding the PNG of a page image.
 *
 * @internal
 */
export function pngDataUri(image: ReportImage, id: string, render?: RenderOptions): string {
  return `data:image/png;base64,${toBase64(pngOf(image, id, render))}`;
}

/**
 * Format a number for display: up to `digits` significant decimals, `–` for NaN/undefined.
 *
 * @internal
 */
export function fmt(value: number | undefined, digits = 3): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  return Number.isInteger(value) ? String(value) : value.toFixed(digits);
}

// Pages load nothing from the network: the policy allows inline code and styles, and images
// that are inlined or sit beside the page.
const CSP =
  "default-src 'none'; img-src 'self' data: blob:; style-src 'unsafe-inline'; script-src 'unsafe-inline'";

const BASE_CSS = `
:root { color-scheme: light; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg: #ffffff;
  --panel: #f6f8fa; --accent: #0969da; --keep: #1a7f37; --reject: #cf222e; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--fg); background: var(--bg); }
header { padding: 18px 24px 10px; border-bottom: 1px solid var(--line); }
h1 { margin: 0 0 4px; font-size: 22px; }
h2 { font-size: 17px; margin: 28px 0 10px; }
main { padding: 0 24px 32px; }
.muted { color: var(--muted); }
a { color: var(--accent); }
code, pre { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: var(--panel); border: 1px solid var(--line); padding: 10px; overflow: auto;
  max-height: 420px; }
img.thumb { image-rendering: pixelated; background: repeating-conic-gradient(#ddd 0 25%, #fff 0 50%) 0 0 / 12px 12px;
  display: block; }
.placeholder { display: flex; align-items: center; justify-content: center; color: var(--muted);
  background: var(--panel); font-size: 11px; }
`;

/**
 * The HTML document around a page body.
 *
 * @internal
 */
export function page(
  title: string,
  css: string,
  body: string,
  script = '',
  bodyAttrs = '',
  opts: { wasm?: boolean } = {},
): string {
  // A page that trains in the browser compiles the library's WebAssembly engine.
  const csp = opts.wasm
    ? CSP.replace("script-src 'unsafe-inline'", "script-src 'unsafe-inline' 'wasm-unsafe-eval'")
    : CSP;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="generator" content="alma-classifier">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
<style>${BASE_CSS}${css}</style>
</head>
<body${bodyAttrs}>
${body}
${script ? `<script>\n${script}\n</script>` : ''}
</body>
</html>
`;
}
