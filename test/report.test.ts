import { decode } from 'fast-png';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImage2D, DatasetError, type Image2D } from '../src/core/index.js';
import {
  almaArchiveUrl,
  buildReportHtml,
  buildReviewHtml,
  parseDecisions,
  rankCandidates,
  renderPng,
  type ReportCandidate,
  type ReportData,
} from '../src/report/index.js';
import { escapeHtml } from '../src/report/html.js';
import { readDecisions, writeReport, writeReviewPage } from '../src/report/index.node.js';

function gaussian(size: number, cx: number, cy: number, sigma: number): Image2D {
  const img = createImage2D(size, size);
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      img.set(r, c, Math.exp(-((c - cx) ** 2 + (r - cy) ** 2) / (2 * sigma ** 2)));
    }
  }
  return img;
}

const EVIL = '<img src=x onerror="alert(1)">&\'.fits';

function candidates(): ReportCandidate[] {
  return [
    { id: 'a', file: 'a.fits', score: 0.2, label: 'negative', image: gaussian(20, 10, 10, 3) },
    {
      id: 'b',
      file: EVIL,
      score: 0.9,
      label: 'positive',
      image: gaussian(20, 5, 12, 2),
      target: 'HD 163296',
      projectCode: '2016.1.00484.L',
      memberOus: 'uid://A001/X879/X8f1',
      provenance: { peak: [5, 12], note: '<b>bold</b>' },
    },
    { id: 'c', file: 'c.fits', score: NaN, label: 'negative' },
    {
      id: 'd',
      file: 'd.fits',
      score: 0.9,
      label: 'positive',
      image: renderPng(gaussian(8, 4, 4, 2)),
    },
    { id: 'e', file: 'e.fits', score: 0.55, label: 'positive', image: gaussian(20, 14, 6, 4) },
  ];
}

const data = (): ReportData => ({
  title: 'Test <report>',
  description: 'unit test',
  candidates: candidates(),
  history: [
    { epoch: 1, loss: 0.7, acc: 0.5, valLoss: 0.72, valAcc: 0.48 },
    { epoch: 2, loss: 0.5, acc: 0.7, valLoss: 0.6, valAcc: 0.65 },
    { epoch: 3, loss: 0.3, acc: 0.88, valLoss: 0.45, valAcc: 0.8 },
  ],
  evaluation: {
    confusion: { tp: 43, fp: 3, tn: 47, fn: 7 },
    accuracy: 0.9,
    precision: 0.935,
    recall: 0.86,
    f1: 0.896,
    rocAuc: 0.93,
    roc: [
      { fpr: 0, tpr: 0 },
      { fpr: 0.1, tpr: 0.8 },
      { fpr: 1, tpr: 1 },
    ],
    pr: [
      { recall: 0.5, precision: 1 },
      { recall: 1, precision: 0.5 },
    ],
    threshold: 0.5,
  },
  profile: { name: 'dust-in-wind', note: '</pre><script>alert(1)</script>' },
});

const rowIds = (html: string): string[] =>
  [...html.matchAll(/<tr class="candidate" data-id="([^"]*)"/g)].map((m) => m[1]);

describe('rankCandidates', () => {
  it('orders by score descending, keeps ties in input order and puts NaN last', () => {
    expect(rankCandidates(candidates()).map((c) => c.id)).toEqual(['b', 'd', 'e', 'a', 'c']);
  });

  it('does not reorder its input', () => {
    const list = candidates();
    rankCandidates(list);
    expect(list.map((c) => c.id)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
});

describe('buildReportHtml', () => {
  const html = buildReportHtml(data());

  it('lists every candidate once, ranked by score', () => {
    expect(rowIds(html)).toEqual(['b', 'd', 'e', 'a', 'c']);
  });

  it('escapes file names, provenance, title and profile (no HTML injection)', () => {
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<b>bold</b>');
    expect(html).toContain(escapeHtml(EVIL));
    expect(html).toContain('<title>Test &#60;report&#62;</title>');
  });

  it('links the member OUS to its ALMA archive page', () => {
    const url = almaArchiveUrl('uid://A001/X879/X8f1');
    expect(url).toBe(
      'https://almascience.org/aq/?result_view=observation&mous=uid%3A%2F%2FA001%2FX879%2FX8f1',
    );
    expect(html).toContain(`href="${escapeHtml(url)}"`);
  });

  it('inlines thumbnails as PNG data URIs and loads nothing from the network', () => {
    const srcs = [...html.matchAll(/<img[^>]* src="([^"]*)"/g)].map((m) => m[1]);
    expect(srcs).toHaveLength(4); // 'c' has no image
    for (const src of srcs) expect(src).toMatch(/^data:image\/png;base64,/);
    expect(html).not.toMatch(/<(script|link)[^>]+(src|href)="https?:/);
    expect(html).toContain("default-src 'none'");
  });

  it('draws the training curves, ROC and PR curves, confusion matrix and metrics', () => {
    expect(html).toContain('aria-label="Loss"');
    expect(html).toContain('aria-label="Accuracy"');
    expect(html).toContain('aria-label="ROC curve (AUC 0.930)"');
    expect(html).toContain('aria-label="Precision–recall curve"');
    expect(html).toMatch(/<td class="tp"[^>]*>43<\/td>/);
    expect(html).toMatch(/<td class="fn"[^>]*>7<\/td>/);
    expect(html).toContain('<tr><th>F1</th><td>0.896</td></tr>');
    expect((html.match(/data-series="validation"/g) ?? []).length).toBe(2);
  });

  it('summarises the candidate count per label, whatever the class names', () => {
    expect(html).toContain('5 candidates (3 positive, 2 negative)');
  });

  it('leaves out sections it has no data for', () => {
    const bare = buildReportHtml({ title: 't', candidates: [] });
    expect(bare).toContain('No candidates.');
    expect(bare).not.toContain('id="training"');
    expect(bare).not.toContain('id="evaluation"');
    expect(bare).not.toContain('id="profile"');
  });

  it('lists only the top maxCandidates and says how many there were', () => {
    const top = buildReportHtml(data(), { maxCandidates: 2 });
    expect(rowIds(top)).toEqual(['b', 'd']);
    expect(top).toContain('Showing the 2 highest-scoring of 5 candidates.');
  });

  it('rejects image bytes that are not a PNG, naming the candidate', () => {
    const bad: ReportData = {
      title: 't',
      candidates: [{ id: 'x1', file: 'x', score: 1, label: 'p', image: new Uint8Array([1, 2, 3]) }],
    };
    expect(() => buildReportHtml(bad)).toThrow(/'x1'.*not a PNG/);
  });
});

describe('buildReviewHtml', () => {
  it('groups items, keeps initial decisions and escapes ids and files', () => {
    const html = buildReviewHtml([
      { id: 'p1', file: 'pos1.npy', group: 'Generated positives', image: gaussian(10, 5, 5, 2) },
      { id: 'c"1', file: EVIL, group: 'Candidates', score: 0.8, decision: 'reject' },
      { id: 'p2', file: 'pos2.npy', group: 'Generated positives', decision: 'keep' },
    ]);
    const groups = [...html.matchAll(/<h2>([^<]*) <span class="muted">\((\d+)\)/g)].map((m) => [
      m[1],
      m[2],
    ]);
    expect(groups).toEqual([
      ['Generated positives', '2'],
      ['Candidates', '1'],
    ]);
    expect(html).toContain('data-id="c&#34;1"');
    expect(html).not.toContain('<img src=x');
    expect(html).toMatch(/data-id="p2" data-file="pos2.npy" data-decision="keep"/);
  });

  it('rejects repeated ids', () => {
    expect(() =>
      buildReviewHtml([
        { id: 'x', file: 'a' },
        { id: 'x', file: 'b' },
      ]),
    ).toThrow(/'x' appears more than once/);
  });
});

describe('parseDecisions', () => {
  it('accepts the documented format', () => {
    const text = JSON.stringify({
      version: 1,
      decisions: [
        { id: 'a', file: 'a.fits', decision: 'keep' },
        { id: 'b', file: 'b.fits', decision: 'reject' },
      ],
    });
    expect(parseDecisions(text).decisions.map((d) => d.decision)).toEqual(['keep', 'reject']);
  });

  it('throws DatasetError naming the source for malformed input', () => {
    expect(() => parseDecisions('{', 'x/decisions.json')).toThrow(
      /x\/decisions.json: not valid JSON/,
    );
    expect(() => parseDecisions({ version: 2, decisions: [] })).toThrow(/version 2/);
    expect(() =>
      parseDecisions({ version: 1, decisions: [{ id: 'a', file: 'a', decision: 'maybe' }] }),
    ).toThrow(DatasetError);
  });
});

describe('writeReport / writeReviewPage (Node)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'report-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes index.html and review.html with no .part files left', async () => {
    const out = join(dir, 'inline');
    const written = await writeReport(data(), out);
    expect(written.index).toBe(join(out, 'index.html'));
    expect(written.review).toBe(join(out, 'review.html'));
    expect((await readdir(out)).sort()).toEqual(['index.html', 'review.html']);
    const html = await readFile(written.index, 'utf8');
    expect(rowIds(html)).toEqual(['b', 'd', 'e', 'a', 'c']);
    expect(html).toContain('href="review.html"');
    const review = await readFile(written.review as string, 'utf8');
    expect(
      [...review.matchAll(/class="item" tabindex="0" data-id="([^"]*)"/g)].map((m) => m[1]),
    ).toEqual(['b', 'd', 'e', 'a', 'c']);
  });

  it("writes decodable PNGs beside the page in 'files' mode, one per image", async () => {
    const out = join(dir, 'files');
    const written = await writeReport(data(), out, { images: 'files' });
    expect(written.images).toHaveLength(4);
    for (const path of written.images) {
      const png = decode(await readFile(path));
      expect(png.width).toBeGreaterThan(0);
    }
    const html = await readFile(written.index, 'utf8');
    expect(html).toContain('src="images/00001.png"');
    expect(html).not.toContain('data:image/png');
    expect(existsSync(join(out, 'images', '00001.png.part'))).toBe(false);
  });

  it('writes a standalone review page and reads back decisions', async () => {
    const out = join(dir, 'review');
    const path = await writeReviewPage(
      [{ id: 'g1', file: 'g1.npy', image: gaussian(12, 6, 6, 2) }],
      out,
      {
        title: 'Generated positives',
      },
    );
    expect(path).toBe(join(out, 'review.html'));
    const decisionsPath = join(out, 'decisions.json');
    await writeFile(
      decisionsPath,
      JSON.stringify({ version: 1, decisions: [{ id: 'g1', file: 'g1.npy', decision: 'reject' }] }),
    );
    expect(await readDecisions(decisionsPath)).toEqual({
      version: 1,
      decisions: [{ id: 'g1', file: 'g1.npy', decision: 'reject' }],
    });
    await expect(readDecisions(join(out, 'missing.json'))).rejects.toThrow(
      /missing.json: cannot read/,
    );
  });
});
