import type { Command } from 'commander';
import { loadDataset } from '../../dataset/persist.node.js';
import { loadModel } from '../../model/io.node.js';
import { evaluateModel } from '../../model/evaluate.js';
import type { Evaluation } from '../../model/metrics.js';
import { datasetParts } from '../../pipeline/train.node.js';
import { numberOption } from '../options.js';

/** Print a confusion matrix and the headline metrics (thesis equations 2.1–2.4, ROC AUC). */
export function printEvaluation(e: Evaluation): void {
  const c = e.confusion;
  const w = 12;
  console.log(`confusion matrix at threshold ${e.threshold} (${e.n} samples):`);
  console.log(`${''.padEnd(12)}${'predicted +'.padStart(w)}${'predicted -'.padStart(w)}`);
  console.log(`${'actual +'.padEnd(12)}${String(c.tp).padStart(w)}${String(c.fn).padStart(w)}`);
  console.log(`${'actual -'.padEnd(12)}${String(c.fp).padStart(w)}${String(c.tn).padStart(w)}`);
  console.log(
    `accuracy ${e.accuracy.toFixed(3)}  precision ${e.precision.toFixed(3)}  recall ${e.recall.toFixed(3)}  ` +
      `F1 ${e.f1.toFixed(3)}  ROC AUC ${Number.isFinite(e.rocAuc) ? e.rocAuc.toFixed(3) : 'n/a'}  ` +
      `best-F1 threshold ${e.bestF1.threshold.toFixed(3)} (F1 ${e.bestF1.f1.toFixed(3)})`,
  );
}

/** Registers `evaluate`: metrics of a saved model on a dataset's held-out part. */
export function register(program: Command): void {
  program
    .command('evaluate')
    .description(
      'Print the confusion matrix, recall, precision, accuracy, F1 and ROC AUC of a saved model ' +
        'on a dataset (its test part when the dataset is split, else all of it).',
    )
    .requiredOption('--model <dir>', 'model folder (from `train`)')
    .requiredOption('--data <dir>', 'dataset folder (from `prepare`)')
    .addOption(
      numberOption('--threshold <t>', "score threshold (default: the model profile's)", {
        min: 0,
        max: 1,
        noun: 'score',
      }),
    )
    .option('--all', 'evaluate on every sample, not only the test part', false)
    .option('--json', 'print the metrics as JSON', false)
    .action(
      async (o: {
        model: string;
        data: string;
        threshold?: number;
        all: boolean;
        json: boolean;
      }) => {
        const loaded = await loadModel(o.model);
        const dataset = await loadDataset(o.data);
        const test = datasetParts(dataset).test;
        const data = o.all || test.labels.length === 0 ? dataset : test;
        const profileThreshold = (loaded.meta.profile as { threshold?: number } | undefined)
          ?.threshold;
        const e = await evaluateModel(loaded.model, data, {
          threshold: o.threshold ?? profileThreshold ?? 0.5,
        });
        if (o.json) console.log(JSON.stringify(e));
        else printEvaluation(e);
      },
    );
}
