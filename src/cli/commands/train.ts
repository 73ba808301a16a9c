import { Option, type Command } from 'commander';
import { dirname, resolve } from 'node:path';
import { datasetProfile, loadProfile } from '../profile.js';
import { loadDataset } from '../../dataset/persist.node.js';
import { classCounts, type Dataset } from '../../dataset/dataset.js';
import { readLabels } from '../../dataset/labels.node.js';
import type { TargetProfile } from '../../dataset/profile.js';
import { datasetWithLabels } from '../../pipeline/labelled-dataset.node.js';
import { DatasetError } from '../../core/errors.js';
import {
  LOSS_NAMES,
  lossName,
  OPTIMIZER_NAMES,
  optimizerName,
  type LossName,
  type OptimizerName,
  type TrainConfig,
} from '../../model/config.js';
import { trainFromDataset } from '../../pipeline/train.node.js';
import { describeTrainer } from '../../model/train.js';
import { hardNegativeWeightOption, imagesOption, numberOption } from '../options.js';
import { createProgressBar } from '../progress.js';
import { printEvaluation } from './evaluate.js';
import { formatSourceEvaluation } from '../../pipeline/evaluation.js';

interface TrainFlags {
  data: string;
  out: string;
  profile?: string;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  optimizer?: OptimizerName;
  loss?: LossName;
  seed?: number;
  labels?: string[];
  images?: string[];
  hardNegativeWeight: number;
}

/**
 * The dataset with a label store's decisions applied (`--labels`), printing what changed;
 * shared by `train` and `retrain`.
 */
export async function applyLabelFiles(
  dataset: Dataset,
  files: readonly string[],
  profile: TargetProfile,
  opts: { images?: readonly string[]; hardNegativeWeight: number; seed?: number },
): Promise<Dataset> {
  const read = await readLabels(files);
  for (const t of read.torn)
    process.stderr.write(`warning: ${t}: its last line was cut short and is ignored\n`);
  const r = await datasetWithLabels(dataset, read.labels, profile, {
    dirs: opts.images ?? [],
    base: dirname(resolve(files[0])),
    hardNegativeWeight: opts.hardNegativeWeight,
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
  });
  const kept = [...r.changed, ...r.added].filter((s) => s.reviewed === 'keep' && !s.parents);
  const hard = [...r.changed, ...r.added].filter((s) => s.reviewed === 'reject' && !s.parents);
  console.log(
    `labels (${read.labels.length} lines): ${kept.length} confirmed positive(s), ${hard.length} hard negative(s) ` +
      `(weight ${opts.hardNegativeWeight}), ${r.dropped.length} sample(s) left out, ${r.unsure} unsure`,
  );
  for (const m of r.missing) {
    process.stderr.write(
      `warning: label ${m.id} (${m.label}): its image (hash ${m.object.hash}${m.object.path ? `, last seen at ${m.object.path}` : ''}) was not found; pass its folder with --images\n`,
    );
  }
  return r.dataset;
}

/** Registers `train`: train the profile's CNN on a prepared dataset and save it. */
export function register(program: Command): void {
  program
    .command('train')
    .description(
      'Train the CNN on a dataset written by `prepare`, evaluate it on the held-out sources, and ' +
        'save it (model.json, weights.bin, meta.json).',
    )
    .requiredOption('--data <dir>', 'dataset folder (from `prepare`)')
    .requiredOption('--out <dir>', 'model folder to write')
    .option(
      '--profile <file.json>',
      "target profile; must be the one the dataset was prepared with (default: the dataset's own)",
    )
    .addOption(
      numberOption('--epochs <n>', "passes over the training data (default: the profile's)", {
        integer: true,
        min: 1,
      }),
    )
    .addOption(
      numberOption('--batch-size <n>', "samples per step (default: the profile's)", {
        integer: true,
        min: 1,
      }),
    )
    .addOption(
      numberOption('--lr <rate>', "learning rate (default: the profile's)", { positive: true }),
    )
    .addOption(
      new Option(
        '--optimizer <name>',
        `${OPTIMIZER_NAMES.join(' | ')} (any letter case)`,
      ).argParser(optimizerName),
    )
    .addOption(
      new Option(
        '--loss <name>',
        `${LOSS_NAMES.join(' | ')}, or the Keras spelling (binary_crossentropy, mse, ...)`,
      ).argParser(lossName),
    )
    .addOption(numberOption('--seed <n>', 'seed of the split and the shuffles', { integer: true }))
    .option(
      '--labels <labels.jsonl...>',
      'label stores: rejected and unsure samples are left out, kept candidates train as positives, rejected ones as weighted hard negatives',
    )
    .addOption(imagesOption())
    .addOption(hardNegativeWeightOption())
    .action(async (o: TrainFlags) => {
      // The dataset's own profile, so the model prepares images as the dataset was prepared;
      // a --profile must be that profile (loadDataset compares hashes).
      const given = o.profile !== undefined ? await loadProfile(o.profile) : undefined;
      let dataset = await loadDataset(o.data, given !== undefined ? { profile: given } : {});
      const profile = given ?? datasetProfile(dataset, o.data);
      const counts = classCounts(dataset);
      const empty = dataset.classNames.filter((c) => counts[c] === 0);
      if (empty.length > 0) {
        throw new DatasetError(
          `${o.data}: the dataset has no ${empty.join(' or ')} samples (${Object.entries(counts)
            .map(([c, n]) => `${c} ${n}`)
            .join(', ')}); a classifier needs examples of every class`,
          o.data,
        );
      }
      if (o.labels !== undefined && o.labels.length > 0) {
        dataset = await applyLabelFiles(dataset, o.labels, profile, {
          ...(o.images ? { images: o.images } : {}),
          hardNegativeWeight: o.hardNegativeWeight,
        });
      }
      const overrides: Partial<TrainConfig> = {
        ...(o.epochs !== undefined ? { epochs: o.epochs } : {}),
        ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
        ...(o.lr !== undefined ? { learningRate: o.lr } : {}),
        ...(o.optimizer !== undefined ? { optimizer: o.optimizer } : {}),
        ...(o.loss !== undefined ? { loss: o.loss } : {}),
        ...(o.seed !== undefined ? { seed: o.seed } : {}),
      };
      const epochs = overrides.epochs ?? profile.train.epochs ?? 30;
      const bar = createProgressBar({ unit: 'epochs' });
      const result = await trainFromDataset(dataset, {
        profile,
        out: o.out,
        datasetDir: o.data,
        train: overrides,
        onEpochEnd: (e) => {
          bar.update({ done: e.epoch + 1, total: epochs });
          process.stderr.write(
            `epoch ${e.epoch + 1}/${e.epochs}: loss ${e.loss.toFixed(4)} acc ${e.acc.toFixed(3)}` +
              (e.valAcc !== undefined
                ? ` valLoss ${e.valLoss?.toFixed(4)} valAcc ${e.valAcc.toFixed(3)}`
                : '') +
              ` (${(e.ms / 1000).toFixed(1)} s)\n`,
          );
        },
      });
      bar.stop();
      for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
      const h = result.history;
      console.log(
        `trained on ${result.sizes.train} samples (${describeTrainer(h)}, ` +
          `${h.imagesPerSecond.toFixed(1)} images/s), kept epoch ${h.bestEpoch + 1} of ${h.epochs.length}; ` +
          `validation ${result.sizes.validation}, test ${result.sizes.test} samples`,
      );
      const v = result.validation;
      if (v.calibration) {
        console.log(
          `calibration (validation): temperature ${v.calibration.temperature.toFixed(3)}, ` +
            `log-loss ${v.calibration.logLossBefore.toFixed(4)} → ${v.calibration.logLossAfter.toFixed(4)}`,
        );
      }
      if (v.threshold) {
        console.log(
          `threshold (validation, ${v.threshold.rule}): ${v.threshold.threshold.toFixed(3)}`,
        );
      }
      if (result.evaluation) {
        console.log(`test, per source: ${formatSourceEvaluation(result.evaluation)}`);
        printEvaluation(result.evaluation.metrics);
      }
      console.log(`model: ${o.out}`);
    });
}
