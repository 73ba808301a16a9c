import { makeDirectory } from '../../core/files.node.js';
import type { Command } from 'commander';
import { PipelineError } from '../../core/errors.js';
import { mergeResults, productReportData, writeMergedResults } from '../../pipeline/merge.node.js';
import { writeReport } from '../../report/report.node.js';
import { numberOption } from '../options.js';

interface ReportFlags {
  merge: string[];
  out: string;
  title: string;
  positivesOnly?: boolean;
  max: number;
  images: string;
  review: boolean;
}

/**
 * Registers `report`: merge the output directories of `classify-archive` runs (the shards of a
 * job array, `--merge shard-*\/`) into one ranked list, written as `candidates.jsonl`,
 * `candidates.json` and an HTML report with thumbnails of the positives.
 */
export function register(program: Command): void {
  program
    .command('report')
    .description('Merge classify-archive output directories (shards) into one ranked HTML report')
    .argument('[dirs...]', 'classify-archive output directories (same as --merge)')
    .option('--merge <dirs...>', 'output directories to merge, e.g. shard-*/', [])
    .option(
      '--out <dir>',
      'where to write candidates.jsonl, candidates.json and index.html',
      'report',
    )
    .option('--title <text>', 'report title', 'ALMA archive candidates')
    .option('--positives-only', 'keep only products at or above their run threshold')
    .addOption(
      numberOption(
        '--max <n>',
        'candidates listed in the HTML page (all are in candidates.json)',
        { integer: true, min: 1 },
        1000,
      ),
    )
    .option(
      '--images <inline|files>',
      'thumbnails inside index.html or beside it in images/',
      'inline',
    )
    .option('--no-review', 'do not write review.html')
    .action(async (positional: string[], flags: ReportFlags) => {
      const dirs = [...positional, ...flags.merge];
      if (dirs.length === 0) {
        throw new PipelineError(
          'report: name the classify-archive output directories (e.g. --merge shard-*/)',
        );
      }
      const max = flags.max;
      if (flags.images !== 'inline' && flags.images !== 'files') {
        throw new RangeError(`--images must be inline or files, got ${flags.images}`);
      }
      const merged = await mergeResults(dirs, { positivesOnly: Boolean(flags.positivesOnly) });
      for (const w of merged.warnings) process.stderr.write(`alma-classifier: warning: ${w}\n`);
      await makeDirectory(flags.out);
      await writeMergedResults(merged.results, flags.out);
      const positives = merged.results.filter((r) => r.positive).length;
      const written = await writeReport(
        await productReportData(merged.results.slice(0, max), {
          title: flags.title,
          description:
            `${merged.results.length} products from ${dirs.length} run director${dirs.length === 1 ? 'y' : 'ies'}, ` +
            `${positives} positive${merged.results.length > max ? `; the ${max} highest scores shown` : ''}`,
        }),
        flags.out,
        { images: flags.images, review: flags.review, maxCandidates: max },
      );
      process.stdout.write(
        [
          `Merged ${dirs.length} run director${dirs.length === 1 ? 'y' : 'ies'}: ${merged.results.length} products, ${positives} positive` +
            (merged.duplicates ? ` (${merged.duplicates} duplicates dropped)` : ''),
          ...merged.runs.map(
            (r) =>
              `  ${r.dir}: ${r.results}${r.total !== undefined ? ` of ${r.total}` : ''} products` +
              `${r.shard ? ` (shard ${r.shard.index}/${r.shard.count})` : ''}${r.complete ? '' : ', incomplete'}`,
          ),
          `Wrote ${flags.out}/candidates.jsonl, ${flags.out}/candidates.json, ${written.index}`,
        ].join('\n') + '\n',
      );
    });
}
