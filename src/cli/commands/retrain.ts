import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadModel } from '../../model/io.node.js';
import { readLabels } from '../../dataset/labels.node.js';
import { retrainWithLabels } from '../../pipeline/retrain.node.js';
import { formatSourceEvaluation } from '../../pipeline/evaluation.js';
import { hardNegativeWeightOption, imagesOption, numberOption } from '../options.js';
import { createProgressBar } from '../progress.js';
import { modelDataset } from './review.js';

interface RetrainFlags {
  labels: string[];
  model: string;
  out: string;
  run?: string;
  data?: string;
  images?: string[];
  epochs: number;
  lr?: number;
  seed?: number;
  hardNegativeWeight: number;
  show: number;
}

/** Registers `retrain`: one round of the review loop. */
export function register(program: Command): void {
  program
    .command('retrain')
    .description(
      "Retrain a model with a label store's decisions: the model's dataset loses the samples " +
        'rejected or marked unsure and gains the candidates kept (positives) and rejected (weighted ' +
        'hard negatives); the model is fine-tuned from its own weights, calibrated and thresholded ' +
        "on validation, evaluated on test and saved; a run's candidates are re-ranked and what " +
        'moved is printed.',
    )
    .requiredOption('--labels <labels.jsonl...>', 'label stores (review decisions)')
    .requiredOption('--model <dir>', 'the model to start from')
    .requiredOption('--out <dir>', 'folder of the new model')
    .option(
      '--run <path>',
      'a classify output or classify-archive run to re-rank (default: candidates.json beside the first label store, if any)',
    )
    .option('--data <dir>', "the model's dataset (default: the one it was trained on)")
    .addOption(imagesOption())
    .addOption(numberOption('--epochs <n>', 'epochs of fine-tuning', { integer: true, min: 1 }, 5))
    .addOption(
      numberOption('--lr <rate>', "learning rate (default: half the model's)", { positive: true }),
    )
    .addOption(numberOption('--seed <n>', "seed (default: the model's)", { integer: true }))
    .addOption(hardNegativeWeightOption())
    .addOption(numberOption('--show <n>', 'largest moves printed', { integer: true, min: 0 }, 10))
    .action(async (o: RetrainFlags) => {
      const loaded = await loadModel(o.model);
      const dataset = await modelDataset(o.model, loaded, o.data);
      if (dataset === undefined) {
        throw new RangeError(
          `retrain: the dataset ${o.model} was trained on was not found; pass it with --data`,
        );
      }
      const datasetDir =
        o.data ??
        (loaded.meta.dataset !== undefined
          ? resolve(o.model, loaded.meta.dataset)
          : join(dirname(resolve(o.model)), 'dataset'));
      const read = await readLabels(o.labels);
      for (const t of read.torn)
        process.stderr.write(`warning: ${t}: its last line was cut short and is ignored\n`);
      const base = dirname(resolve(o.labels[0]));
      const run =
        o.run ??
        (existsSync(join(base, 'candidates.json')) ? join(base, 'candidates.json') : undefined);
      const bar = createProgressBar({ unit: 'epochs' });
      const t0 = performance.now();
      const r = await retrainWithLabels({
        model: loaded,
        modelDir: o.model,
        dataset,
        datasetDir,
        labels: read.labels,
        out: o.out,
        ...(run !== undefined ? { run } : {}),
        ...(o.images ? { images: o.images } : {}),
        labelBase: base,
        epochs: o.epochs,
        ...(o.lr !== undefined ? { learningRate: o.lr } : {}),
        ...(o.seed !== undefined ? { seed: o.seed } : {}),
        hardNegativeWeight: o.hardNegativeWeight,
        onEpochEnd: (e) => bar.update({ done: e.epoch + 1, total: e.epochs }),
        onWarning: (m) => process.stderr.write(`warning: ${m}\n`),
      });
      bar.stop();
      const a = r.applied;
      const kept = [...a.changed, ...a.added].filter((s) => s.reviewed === 'keep' && !s.parents);
      const hard = [...a.changed, ...a.added].filter((s) => s.reviewed === 'reject' && !s.parents);
      console.log(
        `labels (${read.labels.length} lines): ${kept.length} confirmed positive(s), ${hard.length} hard negative(s) ` +
          `(weight ${o.hardNegativeWeight}), ${a.dropped.length} sample(s) left out, ${a.unsure} unsure; ` +
          `${a.missing.length} not found`,
      );
      const t = r.trained;
      console.log(
        `fine-tuned from ${o.model} on ${t.sizes.train} samples, kept epoch ${t.history.bestEpoch + 1} of ${t.history.epochs.length}; ` +
          `threshold ${(t.meta.threshold ?? 0.5).toFixed(3)} (was ${(loaded.meta.threshold ?? 0.5).toFixed(3)}), ` +
          `${((performance.now() - t0) / 1000).toFixed(0)} s`,
      );
      if (t.evaluation) {
        const was = loaded.meta.metrics;
        console.log(
          `test, per source: ${formatSourceEvaluation(t.evaluation)}` +
            (was?.rocAuc !== undefined ? ` (ROC AUC was ${was.rocAuc.toFixed(3)})` : ''),
        );
      }
      if (r.moves !== undefined && r.candidates !== undefined) {
        const byId = new Map(r.candidates.map((c) => [c.candidate.id, c]));
        const moved = r.moves.filter((m) => m.after !== m.before);
        console.log(`re-ranked ${r.candidates.length} candidates of ${run}: ${moved.length} moved`);
        for (const m of moved.slice(0, o.show)) {
          const c = byId.get(m.id)!.candidate;
          console.log(
            `  ${String(m.before).padStart(4)} → ${String(m.after).padEnd(4)} ${m.scoreBefore.toFixed(3)} → ${m.scoreAfter.toFixed(3)}  ${c.file} object ${c.sourceIndex}`,
          );
        }
        const th0 = loaded.meta.threshold ?? 0.5;
        const th1 = t.meta.threshold ?? 0.5;
        const up = r.candidates.filter((c) => c.before < th0 && c.after >= th1).length;
        const down = r.candidates.filter((c) => c.before >= th0 && c.after < th1).length;
        console.log(`  ${up} became positive, ${down} no longer positive`);
      }
      console.log(`model: ${o.out}`);
    });
}
