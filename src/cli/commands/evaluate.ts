import { Option, type Command } from 'commander';
import { loadDataset } from '../../dataset/persist.node.js';
import { resolveSavedProfile } from '../../dataset/profile.js';
import { loadModel } from '../../model/io.node.js';
import type { Evaluation } from '../../model/metrics.js';
import {
  TEST_TIME_AUGMENTATIONS,
  describeTta,
  ttaTransforms,
  type TestTimeAugmentation,
} from '../../model/tta.js';
import { crossValidate, formatCrossValidation } from '../../pipeline/cross-validate.js';
import { evaluateSources, formatSourceEvaluation } from '../../pipeline/evaluation.js';
import { datasetParts } from '../../pipeline/train.node.js';
import { numberOption } from '../options.js';

/** Print a confusion matrix and the headline metrics (thesis equations 2.1–2.4, ROC AUC). */
export function printEvaluation(e: Evaluation): void {
  const c = e.confusion;
  const w = 12;
  console.log(`confusion matrix at threshold ${e.threshold.toFixed(3)} (${e.n} sources):`);
  console.log(`${''.padEnd(12)}${'predicted +'.padStart(w)}${'predicted -'.padStart(w)}`);
  console.log(`${'actual +'.padEnd(12)}${String(c.tp).padStart(w)}${String(c.fn).padStart(w)}`);
  console.log(`${'actual -'.padEnd(12)}${String(c.fp).padStart(w)}${String(c.tn).padStart(w)}`);
  console.log(
    `accuracy ${e.accuracy.toFixed(3)}  precision ${e.precision.toFixed(3)}  recall ${e.recall.toFixed(3)}  ` +
      `F1 ${e.f1.toFixed(3)}  ROC AUC ${Number.isFinite(e.rocAuc) ? e.rocAuc.toFixed(3) : 'n/a'}`,
  );
}

/** `evaluateSources`' `tta` for a named set: `false` for one pass. */
function ttaOption(tta: TestTimeAugmentation): false | ReturnType<typeof ttaTransforms> {
  return tta === 'none' ? false : ttaTransforms(tta);
}

interface EvaluateFlags {
  model: string;
  data: string;
  threshold?: number;
  all: boolean;
  json: boolean;
  tta?: TestTimeAugmentation;
  cv?: number;
  seed?: number;
}

/** Registers `evaluate`: per-source metrics of a saved model, or grouped k-fold cross-validation. */
export function register(program: Command): void {
  program
    .command('evaluate')
    .description(
      "Figures per source file of a saved model on a dataset's test part (its held-out sources), " +
        'at the threshold and calibration fitted on validation data when the model was trained: ' +
        'confusion matrix, precision, recall, F1, ROC AUC, precision in the top 10 and recall ' +
        'within the top 10 %, each with a bootstrap 95 % interval. With --cv k, a grouped k-fold ' +
        "cross-validation of the model's recipe on the whole dataset instead (one model per fold).",
    )
    .requiredOption('--model <dir>', 'model folder (from `train`)')
    .requiredOption('--data <dir>', 'dataset folder (from `prepare`)')
    .addOption(
      numberOption(
        '--threshold <t>',
        'score threshold (default: the one chosen on validation data at training)',
        { min: 0, max: 1, noun: 'score' },
      ),
    )
    .option('--all', 'evaluate on every source, not only the test part (the model saw most)', false)
    .addOption(
      new Option(
        '--tta [set]',
        "average each image's score over these symmetries: none, flips (the four axis flips) " +
          "or dihedral (the eight flips and 90° rotations; --tta alone) (default: the model's " +
          'own, fitted with its threshold)',
      )
        .argParser((text: string): TestTimeAugmentation => {
          if (!(TEST_TIME_AUGMENTATIONS as readonly string[]).includes(text)) {
            throw new RangeError(
              `--tta must be one of ${TEST_TIME_AUGMENTATIONS.join(', ')}, got ${JSON.stringify(text)}`,
            );
          }
          return text as TestTimeAugmentation;
        })
        .preset('dihedral'),
    )
    .addOption(
      numberOption('--cv <k>', 'grouped k-fold cross-validation with k folds (trains k models)', {
        integer: true,
        min: 2,
      }),
    )
    .addOption(numberOption('--seed <n>', 'seed of the folds and the bootstrap', { integer: true }))
    .option('--json', 'print the figures as JSON', false)
    .action(async (o: EvaluateFlags) => {
      const loaded = await loadModel(o.model);
      const dataset = await loadDataset(o.data);
      if (o.cv !== undefined) {
        const profile = resolveSavedProfile(loaded.meta.profile);
        const cv = await crossValidate(dataset, {
          profile,
          k: o.cv,
          seed: o.seed ?? 0,
          ...(loaded.meta.modelConfig ? { model: loaded.meta.modelConfig } : {}),
          ...(o.tta !== undefined ? { evaluation: { tta: ttaOption(o.tta) } } : {}),
          onFold: (f) =>
            process.stderr.write(
              `fold ${f.fold + 1}/${o.cv}: ${f.evaluation ? formatSourceEvaluation(f.evaluation) : 'no test sources'}\n`,
            ),
          onWarning: (m) => process.stderr.write(`warning: ${m}\n`),
        });
        if (o.json) console.log(JSON.stringify(cv));
        else console.log(formatCrossValidation(cv));
        return;
      }
      const test = datasetParts(dataset).test;
      const data = o.all || test.labels.length === 0 ? dataset : test;
      if (!o.all && test.labels.length === 0) {
        process.stderr.write(
          'warning: the dataset has no test part: evaluating on every source, most of which the model trained on\n',
        );
      }
      const profileThreshold = (loaded.meta.profile as { threshold?: number } | undefined)
        ?.threshold;
      const own = loaded.meta.tta ?? 'none';
      const tta = o.tta ?? own;
      const e = await evaluateSources(loaded.model, data, {
        threshold: o.threshold ?? loaded.meta.threshold ?? profileThreshold ?? 0.5,
        temperature: loaded.meta.calibration?.temperature ?? 1,
        tta: ttaOption(tta),
        seed: o.seed ?? 0,
      });
      for (const w of e.warnings) process.stderr.write(`warning: ${w}\n`);
      if (tta !== own && loaded.meta.threshold !== undefined) {
        process.stderr.write(
          `warning: the model's threshold and calibration were fitted on scores made as ${describeTta(own)}; these are ${describeTta(tta)}\n`,
        );
      }
      if (o.json) console.log(JSON.stringify(e));
      else {
        printEvaluation(e.metrics);
        console.log(formatSourceEvaluation(e));
        console.log(`scores: ${describeTta(tta)}`);
      }
    });
}
