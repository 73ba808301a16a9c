import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadModel } from '../../model/io.node.js';
import { loadDataset } from '../../dataset/persist.node.js';
import { readLabels } from '../../dataset/labels.node.js';
import type { Dataset } from '../../dataset/dataset.js';
import type { LabelRecord } from '../../dataset/labels.js';
import type { LoadedModel } from '../../model/io.js';
import { writeRunReview } from '../../pipeline/review.node.js';
import { reviewAppScript } from '../../pipeline/review-app-script.node.js';
import { DEFAULT_REVIEW_SELECTION_OPTIONS } from '../../pipeline/retrain.js';
import { numberOption } from '../options.js';

interface ReviewFlags {
  model: string;
  labels?: string[];
  out?: string;
  top: number;
  uncertain: number;
  random: number;
  seed: number;
  max: number;
  data?: string;
  replay: number;
  epochs: number;
  retrain: boolean;
  saliency: number;
}

/**
 * The dataset a model was trained on: `--data`, else the folder its `meta.json` records, else a
 * `dataset/` beside the model folder (the demo's layout); undefined when none is there.
 */
export async function modelDataset(
  modelDir: string,
  loaded: LoadedModel,
  data?: string,
): Promise<Dataset | undefined> {
  const recorded =
    loaded.meta.dataset !== undefined ? resolve(modelDir, loaded.meta.dataset) : undefined;
  const sibling = join(dirname(resolve(modelDir)), 'dataset');
  for (const dir of [data, recorded, sibling]) {
    if (dir !== undefined && existsSync(join(dir, 'manifest.json'))) return loadDataset(dir);
  }
  if (data !== undefined) return loadDataset(data); // names the missing file
  return undefined;
}

/** Registers `review`: the next candidates of a run to look at, on one page. */
export function register(program: Command): void {
  program
    .command('review')
    .description(
      'A review page of the candidates of a classify or classify-archive run to look at next: ' +
        'the highest scores, the most uncertain (MC dropout) and a few at random, each with its ' +
        'model input, saliency, position and score ± uncertainty; keys k/r/s decide, the page ' +
        'exports labels.jsonl lines to append to the label store, and retrains the model in the ' +
        'browser from the decisions so far (no server; works opened from disk).',
    )
    .argument(
      '<run>',
      'classify output (candidates.json or its folder) or a classify-archive run folder',
    )
    .requiredOption(
      '--model <dir>',
      'model folder that scores the candidates (and is retrained in the page)',
    )
    .option('--labels <labels.jsonl...>', 'label stores: candidates decided already are left out')
    .option(
      '--out <dir|page.html>',
      'folder of review.html, or the page to write when it ends in .html (default: the run folder)',
    )
    .addOption(
      numberOption(
        '--top <n>',
        'highest scores to review',
        { integer: true, min: 0 },
        DEFAULT_REVIEW_SELECTION_OPTIONS.top,
      ),
    )
    .addOption(
      numberOption(
        '--uncertain <n>',
        'most uncertain to review (fewest standard deviations from the threshold)',
        { integer: true, min: 0 },
        DEFAULT_REVIEW_SELECTION_OPTIONS.uncertain,
      ),
    )
    .addOption(
      numberOption(
        '--random <n>',
        'picked at random, for an unbiased look',
        { integer: true, min: 0 },
        DEFAULT_REVIEW_SELECTION_OPTIONS.random,
      ),
    )
    .addOption(
      numberOption(
        '--seed <n>',
        'seed of the random picks and of retraining',
        { integer: true },
        1,
      ),
    )
    .addOption(
      numberOption(
        '--max <n>',
        'further candidates on the page, by score',
        { integer: true, min: 0 },
        200,
      ),
    )
    .option(
      '--data <dir>',
      "the model's dataset, replayed when retraining in the page (default: the one it was trained on)",
    )
    .addOption(
      numberOption(
        '--replay <n>',
        'samples of the dataset the page carries for retraining',
        { integer: true, min: 0 },
        256,
      ),
    )
    .addOption(
      numberOption('--epochs <n>', 'epochs of a retrain in the page', { integer: true, min: 1 }, 4),
    )
    .option(
      '--no-retrain',
      'leave the model out of the page (decide and export only; a smaller file)',
    )
    .addOption(
      numberOption(
        '--saliency <n>',
        'cards with an occlusion saliency map: the picks, then the best-ranked (0: none, faster)',
        { integer: true, min: 0 },
        40,
      ),
    )
    .action(async (run: string, o: ReviewFlags) => {
      const loaded = await loadModel(o.model);
      let labels: LabelRecord[] = [];
      if (o.labels !== undefined && o.labels.length > 0) {
        const read = await readLabels(o.labels);
        labels = read.labels;
        for (const t of read.torn)
          process.stderr.write(`warning: ${t}: its last line was cut short and is ignored\n`);
      }
      const script = o.retrain ? await reviewAppScript() : undefined;
      if (o.retrain && script === undefined) {
        process.stderr.write(
          'warning: the retraining script (dist/review-app.js) is missing: the page decides and exports only\n',
        );
      }
      const dataset =
        script !== undefined ? await modelDataset(o.model, loaded, o.data) : undefined;
      if (script !== undefined && dataset === undefined) {
        process.stderr.write(
          "warning: the model's dataset was not found (pass --data): the page retrains on the decisions alone\n",
        );
      }
      const out = o.out ?? (existsSync(run) && !run.endsWith('.json') ? run : dirname(run));
      const written = await writeRunReview(run, {
        model: loaded,
        out,
        labels,
        selection: { top: o.top, uncertain: o.uncertain, random: o.random, seed: o.seed },
        maxCandidates: o.max,
        saliency: o.saliency,
        ...(script !== undefined
          ? {
              retrain: {
                script,
                ...(dataset !== undefined ? { dataset } : {}),
                replay: o.replay,
                epochs: o.epochs,
                seed: o.seed,
              },
            }
          : {}),
      });
      for (const w of written.warnings) process.stderr.write(`warning: ${w}\n`);
      console.log(
        `${written.total} candidates, ${written.decided} decided already; ${written.picks.length} to review next:`,
      );
      for (const p of written.picks) {
        console.log(
          `  ${p.reason.padEnd(9)} ${p.score.toFixed(3)}${p.std !== undefined ? ` ± ${p.std.toFixed(3)}` : '        '}  ${p.id}`,
        );
      }
      console.log(`review page: ${written.page}`);
    });
}
