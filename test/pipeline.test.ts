import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_REAL_WEIGHT, runDemo, type DemoResult } from '../src/pipeline/demo.node.js';
import { classify } from '../src/pipeline/classify.node.js';
import { readCandidateFile, readCandidateInputs } from '../src/pipeline/candidate-files.node.js';
import { loadModel } from '../src/model/io.node.js';
import { loadDataset } from '../src/dataset/persist.node.js';
import { createImage2D, toContiguous } from '../src/core/image2d.js';
import { startReplayServer } from './helpers/replay-server.js';
import { serveProducts } from './helpers/products.js';

const out = mkdtempSync(join(tmpdir(), 'alma-demo-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const small = {
  out,
  realDir: join(__dirname, 'fixtures', 'fits'),
  syntheticSources: 40,
  epochs: 1,
  saliency: 2,
  log: () => undefined,
};

describe('runDemo (the whole flow on bundled data)', () => {
  let first: DemoResult;
  it('prepares, trains, evaluates, classifies the held-out files and writes a report', async () => {
    first = await runDemo(small);
    expect(existsSync(first.reportPath)).toBe(true);
    expect(existsSync(join(out, 'dataset', 'manifest.json'))).toBe(true);
    expect(existsSync(join(out, 'model', 'meta.json'))).toBe(true);
    expect(first.history).toHaveLength(1);
    expect(first.evaluation?.metrics.n).toBeGreaterThan(0);
    // one score per held-out source file, at the threshold chosen on validation
    expect(first.evaluation?.sources.length).toBe(first.evaluation?.metrics.n);
    // the real images are scored apart: every flip of the trained-on B335, the two held out once
    expect(first.realImages.map((r) => `${r.file.slice(0, 4)} ${r.transform}`)).toEqual([
      'b335 none',
      'b335 flip-lr',
      'b335 flip-ud',
      'b335 flip-both',
      'serp none',
      'memb none',
    ]);
    // scored as the default profile scores, the mean over the four flips: B335's four flips
    // are one score; each flip's one pass is reported beside it
    const b335 = first.realImages.filter((r) => r.file.startsWith('b335'));
    for (const r of b335) expect(r.score).toBeCloseTo(b335[0].score, 6);
    expect(first.realImages.every((r) => r.onePass !== undefined)).toBe(true);
    expect(new Set(b335.map((r) => r.onePass)).size).toBeGreaterThan(1);
    const b335Mean = b335.reduce((a, r) => a + r.onePass!, 0) / 4;
    // (one-pass scores are calibrated one by one, so their mean is near, not equal to, the score)
    expect(Math.abs(b335Mean - b335[0].score)).toBeLessThan(0.1);
    expect(JSON.parse(readFileSync(join(out, 'model', 'meta.json'), 'utf8')).tta).toBe('flips');
    // both held-out real images are classified, every object scored, ranked by score
    const files = new Set(first.candidates.map((c) => c.file.split('/').pop()));
    expect(files.has('serpenssouthc7_2019_band6_0.fits')).toBe(true);
    expect([...files].some((f) => f?.includes('COS850'))).toBe(true);
    const scores = first.candidates.map((c) => c.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    // candidates.json as `classify` writes it: records without pixels (the inputs in
    // inputs.npy, for `review`), with the catalogues beside it
    const written = JSON.parse(readFileSync(join(out, 'candidates.json'), 'utf8')) as Record<
      string,
      unknown
    >[];
    expect(written).toHaveLength(first.candidates.length);
    expect(written.every((c) => !('skyCutout' in c) && !('input' in c))).toBe(true);
    expect(written.map((c) => c.inputIndex)).toEqual(written.map((_, i) => i));
    expect(written.filter((c) => c.positive === true).length).toBe(
      first.candidates.filter((c) => c.label === 'positive').length,
    );
    for (const f of ['inputs.npy', 'candidates.csv', 'candidates.vot', 'candidates.reg'])
      expect(existsSync(join(out, f))).toBe(true);
    const records = await readCandidateFile(join(out, 'candidates.json'));
    const runInputs = await readCandidateInputs(records, out);
    expect(runInputs.size).toBe(records.length);
    expect(Array.from(toContiguous(runInputs.get(records[0])!))).toEqual(
      Array.from(toContiguous(first.candidates[0].input!)),
    );
    const html = readFileSync(first.reportPath, 'utf8');
    expect(html).toContain('serpenssouthc7_2019_band6_0.fits');
    // the page says where its figures come from, reports the real images apart, per source
    expect(html).toContain('comes from one run of');
    expect(html).toContain('Real images');
    expect(html).toContain('sources');
    expect(html).toContain('<th>One pass</th>');
    expect(html).toContain('Scores: the mean over the four axis flips of each input');
    // B335's loss weight is on the page.
    expect(html).toContain(`one real ALMA image, which weighs ${DEMO_REAL_WEIGHT} in the loss`);
  });

  it('resumes: a second run reuses the dataset and the model', async () => {
    const lines: string[] = [];
    const again = await runDemo({ ...small, log: (l) => lines.push(l) });
    expect(lines.some((l) => l.includes('dataset: resumed'))).toBe(true);
    expect(lines.some((l) => l.includes('model: resumed'))).toBe(true);
    expect(again.candidates.map((c) => c.score)).toEqual(first.candidates.map((c) => c.score));
  });

  it('another seed in the same folder draws its own scenes and trains again; other epochs retrain only', async () => {
    const other = mkdtempSync(join(tmpdir(), 'alma-demo-seed-'));
    try {
      await runDemo({ ...small, out: other, syntheticSources: 20 });
      const lines: string[] = [];
      await runDemo({
        ...small,
        out: other,
        syntheticSources: 20,
        seed: 2,
        log: (l) => lines.push(l),
      });
      expect(lines.some((l) => l.includes('drawn again with seed 2'))).toBe(true);
      expect(lines.some((l) => l.includes('prepared from other scenes'))).toBe(true);
      expect(lines.some((l) => l.startsWith('[3/6] training'))).toBe(true);
      const scene = join(other, 'data', 'synthetic', 'positive', 'scene-0001.fits');
      expect(readFileSync(scene, 'latin1')).toContain('(seed 2)');
      const record = JSON.parse(readFileSync(join(other, 'training.json'), 'utf8'));
      expect(record.requested).toEqual({ seed: 2, epochs: 1 });

      const more: string[] = [];
      await runDemo({
        ...small,
        out: other,
        syntheticSources: 20,
        seed: 2,
        epochs: 2,
        log: (l) => more.push(l),
      });
      expect(more.some((l) => l.includes('drawn again'))).toBe(false);
      expect(more.some((l) => l.includes('dataset: resumed'))).toBe(true);
      expect(more.some((l) => l.includes('trained with seed 2 for up to 1 epochs'))).toBe(true);
      expect(more.some((l) => l.startsWith('[3/6] training'))).toBe(true);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('trains again over a model that scores another way (saved before the flips were averaged)', async () => {
    const other = mkdtempSync(join(tmpdir(), 'alma-demo-tta-'));
    try {
      await runDemo({ ...small, out: other });
      const metaPath = join(other, 'model', 'meta.json');
      const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
      delete meta.tta;
      writeFileSync(metaPath, JSON.stringify(meta));
      const lines: string[] = [];
      await runDemo({ ...small, out: other, log: (l) => lines.push(l) });
      expect(lines.some((l) => l.includes('dataset: resumed'))).toBe(true);
      expect(lines.some((l) => l.includes("test-time augmentation 'none'"))).toBe(true);
      expect(lines.some((l) => l.startsWith('[3/6] training'))).toBe(true);
      expect(JSON.parse(readFileSync(metaPath, 'utf8')).tta).toBe('flips');
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('prepares the dataset and trains again over an output another run left (another source count)', async () => {
    const other = mkdtempSync(join(tmpdir(), 'alma-demo-other-'));
    try {
      await runDemo({ ...small, out: other, syntheticSources: 20 });
      const lines: string[] = [];
      await runDemo({ ...small, out: other, log: (l) => lines.push(l) });
      expect(lines.some((l) => l.includes('was prepared for another run (21 samples'))).toBe(true);
      expect(lines.some((l) => l.includes('model: resumed'))).toBe(false);
      expect(lines.some((l) => l.startsWith('[3/6] training'))).toBe(true);
      // 40 synthetic sources and B335, as a fresh run of these settings would have.
      const ds = await loadDataset(join(other, 'dataset'));
      expect(ds.labels).toHaveLength(41);
      // B335, the one real training image, weighs DEMO_REAL_WEIGHT in the loss; the rest 1.
      const weights = ds.samples.map((sm) => `${sm.source.includes('b335')} ${sm.weight ?? 1}`);
      expect(weights.filter((w) => w.startsWith('true'))).toEqual([`true ${DEMO_REAL_WEIGHT}`]);
      expect(weights.filter((w) => w !== 'false 1')).toHaveLength(1);
      // Another weight prepares the dataset and trains again.
      const reweighed: string[] = [];
      await runDemo({ ...small, out: other, realWeight: 2, log: (l) => reweighed.push(l) });
      expect(reweighed.some((l) => l.includes('real images not weighted 2'))).toBe(true);
      expect(reweighed.some((l) => l.startsWith('[3/6] training'))).toBe(true);
      const again = await loadDataset(join(other, 'dataset'));
      expect(again.samples.filter((sm) => sm.weight === 2)).toHaveLength(1);
      await expect(runDemo({ ...small, out: other, realWeight: 0 })).rejects.toThrow(/realWeight/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('classify scores in-memory images and reports unreadable files without failing', async () => {
    const loaded = await loadModel(join(out, 'model'));
    const warnings: string[] = [];
    const img = createImage2D(300, 300);
    img.set(150, 150, 1);
    const candidates = await classify(
      loaded,
      [
        { name: 'dot', image: img, sky: { pixelArcsec: 0.05, beamArcsec: 0.2 } },
        join(out, 'missing.fits'),
      ],
      {
        onWarning: (_message, file) => warnings.push(file ?? ''),
      },
    );
    expect(warnings).toEqual([join(out, 'missing.fits')]);
    expect(candidates.length).toBeGreaterThan(0);
    expect(candidates.every((c) => c.file === 'dot' && c.score >= 0 && c.score <= 1)).toBe(true);
  });

  it('demo --archive: the same model classifies products from an archive query (local replay server)', async () => {
    const server = await startReplayServer();
    try {
      serveProducts(server, { count: 30, seed: 4, keyword: 'Outflows, jets and ionized winds' });
      const lines: string[] = [];
      const r = await runDemo({
        ...small,
        archive: { mirror: server.url, limit: 12, client: { retries: 1, backoffMs: 10 } },
        log: (l) => lines.push(l),
      });
      expect(lines.some((l) => l.includes('model: resumed'))).toBe(true);
      expect(lines.some((l) => /30 matching FITS products; classifying 12/.test(l))).toBe(true);
      expect(r.candidates).toHaveLength(12);
      expect(new Set(r.candidates.map((c) => c.file)).size).toBe(12);
      expect(readFileSync(r.reportPath, 'utf8')).toContain('archive candidates');
    } finally {
      await server.close();
    }
  });
});
