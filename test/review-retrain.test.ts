// The review loop in Node: choosing what to review, the run's review page, and `retrain`.
import { statSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from './helpers/cli.js';
import { appendLabels, readLabels } from '../src/dataset/index.node.js';
import type { LabelRecord } from '../src/dataset/labels.js';
import { loadModel } from '../src/model/index.node.js';
import { readCandidateFile } from '../src/pipeline/candidate-files.node.js';
import { rankMoves, selectForReview } from '../src/pipeline/retrain.js';
import { readRunCandidates } from '../src/pipeline/review.node.js';
import { register as registerRetrain } from '../src/cli/commands/retrain.js';
import { register as registerReview } from '../src/cli/commands/review.js';
import { makeReviewFixture, reviewProfile, type ReviewFixture } from './helpers/review-fixture.js';

let dir: string;
let fx: ReviewFixture;

const cli = runCommand;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'alma-review-'));
  fx = await makeReviewFixture(dir);
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('selectForReview', () => {
  const items = [0.9, 0.2, 0.55, 0.48, 0.99, 0.05, 0.7, 0.51, 0.3, 0.1].map((score, i) => ({
    score,
    std: i === 6 ? 0.3 : 0.05,
  }));
  it('picks the top scores, then the fewest deviations from the threshold, then at random', () => {
    const picks = selectForReview(items, {
      top: 2,
      uncertain: 3,
      random: 2,
      threshold: 0.5,
      seed: 4,
    });
    expect(picks.slice(0, 2)).toEqual([
      { index: 4, reason: 'top' },
      { index: 0, reason: 'top' },
    ]);
    // 0.51 (0.2 sd), 0.48 (0.4 sd), 0.7 with sd 0.3 (0.67 sd) before 0.55 (1 sd)
    expect(picks.slice(2, 5).map((p) => p.index)).toEqual([7, 3, 6]);
    expect(picks.slice(5).every((p) => p.reason === 'random')).toBe(true);
    expect(new Set(picks.map((p) => p.index)).size).toBe(picks.length);
    expect(
      selectForReview(items, { top: 2, uncertain: 3, random: 2, threshold: 0.5, seed: 4 }),
    ).toEqual(picks);
  });
  it('rankMoves says how far each candidate moved, largest first', () => {
    const moves = rankMoves(
      [
        { id: 'a', score: 0.9 },
        { id: 'b', score: 0.5 },
        { id: 'c', score: 0.1 },
      ],
      [
        { id: 'a', score: 0.2 },
        { id: 'b', score: 0.6 },
        { id: 'c', score: 0.7 },
      ],
    );
    expect(moves.map((m) => [m.id, m.before, m.after])).toEqual([
      ['a', 1, 3],
      ['c', 3, 1],
      ['b', 2, 2],
    ]);
  });
});

describe('alma-classifier review', () => {
  it('reads a run: saved inputs, content ids, objects of one file told apart', async () => {
    const run = await readRunCandidates(fx.runJson, reviewProfile);
    const records = await readCandidateFile(fx.runJson);
    expect(run.kind).toBe('classify');
    expect(run.candidates).toHaveLength(records.length);
    expect(run.candidates.every((c) => c.input !== undefined && c.hash !== undefined)).toBe(true);
    expect(run.candidates.map((c) => c.id)).toEqual(records.map((r) => r.id));
    expect(new Set(run.candidates.map((c) => c.id)).size).toBe(run.candidates.length);
    // the ids survive moving the run's FITS files: the saved inputs and ids do not need them
    expect(records.every((r) => /^[0-9a-f]{16}:0:\d+,\d+$/.test(r.id ?? ''))).toBe(true);
  });
  it('writes one offline page: the picks with their reasons, decided candidates left out', async () => {
    const records = await readCandidateFile(fx.runJson);
    const decided: LabelRecord = {
      v: 1,
      id: records[0].id!,
      kind: 'candidate',
      label: 'reject',
      who: 'tester',
      when: '2025-01-01T00:00:00Z',
      object: { hash: records[0].hash!, hdu: 0, peak: records[0].peak },
    };
    const store = join(dir, 'labels.jsonl');
    await appendLabels(store, [decided]);
    const r = await cli(registerReview, [
      'review',
      fx.runJson,
      '--model',
      fx.modelDir,
      '--labels',
      store,
      '--out',
      join(dir, 'page'),
      '--top',
      '3',
      '--uncertain',
      '2',
      '--random',
      '1',
      '--no-retrain',
    ]);
    expect(r.error).toBeUndefined();
    expect(r.out).toMatch(
      new RegExp(`${records.length} candidates, 1 decided already; 6 to review next`),
    );
    const html = await readFile(join(dir, 'page', 'review.html'), 'utf8');
    expect(html).not.toContain(`data-id="${decided.id}"`);
    for (const reason of ['top score', 'uncertain', 'random']) expect(html).toContain(reason);
    expect(html).toContain('Export labels.jsonl');
    expect(html).not.toMatch(/src="(?!data:)/); // everything inline
    expect(html).toMatch(/object \d at row \d+, col \d+/);
    expect(html).toMatch(
      /score <span class="score-value">[\d.]+<\/span><span class="std"> ± [\d.]+/,
    );
    expect(html).toContain('retraining in the page is off');
    // The page says how its scores were made (the model's meta.tta).
    expect(html).toMatch(/each score (one pass per image|the mean over the (four|eight))/);
    // and what was picked for each reason
    expect(html).toContain('6 to review next (3 top, 2 uncertain, 1 random)');
    // --out naming the page itself writes that file, not a folder of that name.
    const named = await cli(registerReview, [
      'review',
      fx.runJson,
      '--model',
      fx.modelDir,
      '--out',
      join(dir, 'pages', 'round-1.html'),
      '--no-retrain',
    ]);
    expect(named.error).toBeUndefined();
    expect(statSync(join(dir, 'pages', 'round-1.html')).isFile()).toBe(true);
  });
  it('retrain: fine-tunes on the labels, saves provenance, re-ranks the run', async () => {
    const records = await readCandidateFile(fx.runJson);
    // keep the two highest-scored winds, reject two negatives (by the known file names)
    const winds = records.filter((r) => fx.runFiles.indexOf(r.file) < 4).slice(0, 2);
    const others = records.filter((r) => fx.runFiles.indexOf(r.file) >= 4).slice(0, 2);
    const labels: LabelRecord[] = [...winds, ...others].map((r, i) => ({
      v: 1,
      id: r.id!,
      kind: 'candidate',
      label: i < winds.length ? 'keep' : 'reject',
      who: 'tester',
      when: '2025-01-01T00:00:00Z',
      object: { hash: r.hash!, hdu: 0, peak: r.peak, path: r.file },
    }));
    const store = join(dir, 'round1.jsonl');
    await appendLabels(store, labels);
    // The run's files moved away: the labels still find the inputs the run saved.
    await rename(join(dir, 'run'), join(dir, 'run-moved'));
    try {
      const r = await cli(registerRetrain, [
        'retrain',
        '--labels',
        store,
        '--model',
        fx.modelDir,
        '--out',
        join(dir, 'model-2'),
        '--run',
        join(dir, 'run-moved', 'candidates.json'),
        '--epochs',
        '2',
      ]);
      expect(r.error).toBeUndefined();
      expect(r.out).toMatch(/2 confirmed positive\(s\), 2 hard negative\(s\) \(weight 2\)/);
      expect(r.out).toMatch(/re-ranked \d+ candidates/);
      expect(r.out).toContain('model: ');
      const m2 = await loadModel(join(dir, 'model-2'));
      expect(m2.meta.retrainedFrom).toEqual({
        model: '../model',
        labels: { keep: 2, reject: 2, leftOut: 0 },
      });
      expect(m2.meta.dataset).toBe('../dataset');
      const w1 = fx.loaded.model.getWeights()[0].dataSync();
      const w2 = m2.model.getWeights()[0].dataSync();
      expect(Array.from(w2)).not.toEqual(Array.from(w1));
    } finally {
      await rename(join(dir, 'run-moved'), join(dir, 'run'));
    }
    expect((await readLabels(store)).labels).toHaveLength(4);
  }, 120_000);
});
