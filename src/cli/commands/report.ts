import { existsSync, statSync } from 'node:fs';
import { makeDirectory } from '../../core/files.node.js';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { PipelineError } from '../../core/errors.js';
import { mergeResults, productReportData, writeMergedResults } from '../../pipeline/merge.node.js';
import { writeCandidateCatalogues } from '../../pipeline/catalogue.node.js';
import type { CatalogueCandidate } from '../../pipeline/catalogue.js';
import { resultCatalogueCandidates } from '../../pipeline/classify-archive.node.js';
import { candidateFileReportData, readCandidateFile } from '../../pipeline/candidate-files.node.js';
import type { ReportCandidate } from '../../report/types.js';
import { writeReport } from '../../report/report.node.js';
import { numberOption } from '../options.js';

interface ReportFlags {
  merge: string[];
  out: string;
  title?: string;
  positivesOnly?: boolean;
  max: number;
  skyFigures: number;
  images: string;
  review: boolean;
}

/**
 * The `candidates.json` of a `classify` run named by `path` (the file, or a folder that holds one
 * and is no `classify-archive` run), else undefined: `path` is then a run directory.
 */
function classifyOutput(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  if (statSync(path).isFile()) return path;
  const json = join(path, 'candidates.json');
  const archiveRun =
    existsSync(join(path, 'candidates.jsonl')) || existsSync(join(path, 'run.json'));
  return !archiveRun && existsSync(json) ? json : undefined;
}

/**
 * Registers `report`: an HTML report of what `classify` wrote (`candidates.json`, with its
 * thumbnails) and of `classify-archive` output directories (the shards of a job array,
 * `--merge shard-*\/`, merged into one ranked list and written as `candidates.jsonl` and
 * `candidates.json`), with the catalogues of everything listed.
 */
export function register(program: Command): void {
  program
    .command('report')
    .description(
      'An HTML report (candidates on the sky: model input, crop with beam, scale bar and colour ' +
        'bar, RA/Dec, fluxes, S/N) of classify output (candidates.json, or its folder) and of ' +
        'classify-archive output directories (shards), merged into one ranked list; the ' +
        'catalogues (candidates.csv, .vot, .reg, .crtf) of everything listed go beside it',
    )
    .argument(
      '[paths...]',
      'classify outputs (candidates.json or its folder) and classify-archive output directories',
    )
    .option('--merge <dirs...>', 'classify-archive output directories to merge, e.g. shard-*/', [])
    .option(
      '--out <dir>',
      'where to write index.html, review.html, the catalogues (and, for classify-archive runs, candidates.jsonl and candidates.json)',
      'report',
    )
    .option(
      '--title <text>',
      'report title (default: "ALMA archive candidates", or "Candidates" for classify output alone)',
    )
    .option('--positives-only', 'keep only products at or above their run threshold')
    .addOption(
      numberOption(
        '--max <n>',
        'candidates listed in the HTML page (all are in candidates.json)',
        { integer: true, min: 1 },
        1000,
      ),
    )
    .addOption(
      numberOption(
        '--sky-figures <n>',
        'candidates, highest scores first, drawn with their crop on the sky (about 20 kB each)',
        { integer: true, min: 0 },
        100,
      ),
    )
    .option(
      '--images <inline|files>',
      'thumbnails inside index.html or beside it in images/',
      'inline',
    )
    .option('--no-review', 'do not write review.html')
    .action(async (positional: string[], flags: ReportFlags) => {
      const paths = [...positional, ...flags.merge];
      if (paths.length === 0) {
        throw new PipelineError(
          'report: name classify outputs (candidates.json) or classify-archive output directories (e.g. --merge shard-*/)',
        );
      }
      const max = flags.max;
      if (flags.images !== 'inline' && flags.images !== 'files') {
        throw new RangeError(`--images must be inline or files, got ${flags.images}`);
      }
      const jsonFiles: string[] = [];
      const runDirs: string[] = [];
      for (const p of positional) {
        const json = classifyOutput(p);
        if (json !== undefined) jsonFiles.push(json);
        else runDirs.push(p);
      }
      runDirs.push(...flags.merge);
      await makeDirectory(flags.out);

      const listed: ReportCandidate[] = [];
      const catalogue: CatalogueCandidate[] = [];
      const lines: string[] = [];
      const written: string[] = [];
      let products = 0;
      let positives = 0;
      if (runDirs.length > 0) {
        const merged = await mergeResults(runDirs, {
          positivesOnly: Boolean(flags.positivesOnly),
        });
        for (const w of merged.warnings) process.stderr.write(`alma-classifier: warning: ${w}\n`);
        await writeMergedResults(merged.results, flags.out);
        written.push(join(flags.out, 'candidates.jsonl'), join(flags.out, 'candidates.json'));
        products = merged.results.length;
        positives = merged.results.filter((r) => r.positive).length;
        listed.push(
          ...(await productReportData(merged.results.slice(0, max), { title: '' })).candidates,
        );
        catalogue.push(...resultCatalogueCandidates(merged.results));
        lines.push(
          `Merged ${runDirs.length} run director${runDirs.length === 1 ? 'y' : 'ies'}: ${products} products, ${positives} positive` +
            (merged.duplicates ? ` (${merged.duplicates} duplicates dropped)` : ''),
          ...merged.runs.map(
            (r) =>
              `  ${r.dir}: ${r.results}${r.total !== undefined ? ` of ${r.total}` : ''} products` +
              `${r.shard ? ` (shard ${r.shard.index}/${r.shard.count})` : ''}${r.complete ? '' : ', incomplete'}`,
          ),
        );
      }
      let scored = 0;
      for (const json of jsonFiles) {
        const records = await readCandidateFile(json);
        const known = records.every((r) => r.positive !== undefined);
        if (flags.positivesOnly && !known) {
          process.stderr.write(
            `alma-classifier: warning: ${json} does not say which candidates are positive; all are listed\n`,
          );
        }
        const kept = flags.positivesOnly && known ? records.filter((r) => r.positive) : records;
        scored += kept.length;
        const data = await candidateFileReportData(kept, {
          title: '',
          baseDir: dirname(resolve(json)),
        });
        listed.push(...data.candidates);
        catalogue.push(...kept);
        lines.push(`Read ${json}: ${kept.length} candidates`);
      }
      const catalogues = await writeCandidateCatalogues(
        catalogue,
        join(flags.out, 'candidates.json'),
      );
      for (const w of catalogues.warnings) process.stderr.write(`alma-classifier: warning: ${w}\n`);
      const parts = [
        ...(runDirs.length > 0
          ? [
              `${products} products from ${runDirs.length} run director${runDirs.length === 1 ? 'y' : 'ies'}, ${positives} positive`,
            ]
          : []),
        ...(jsonFiles.length > 0
          ? [
              `${scored} candidates from ${jsonFiles.length} classify output${jsonFiles.length === 1 ? '' : 's'}`,
            ]
          : []),
      ];
      const total = listed.length;
      const report = await writeReport(
        {
          title: flags.title ?? (runDirs.length > 0 ? 'ALMA archive candidates' : 'Candidates'),
          description: `${parts.join('; ')}${total > max ? `; the ${max} highest scores shown` : ''}`,
          generatedAt: new Date().toISOString(),
          candidates: listed,
        },
        flags.out,
        {
          images: flags.images,
          review: flags.review,
          maxCandidates: max,
          maxSkyFigures: flags.skyFigures,
        },
      );
      written.push(...Object.values(catalogues.paths), report.index);
      process.stdout.write([...lines, `Wrote ${written.join(', ')}`].join('\n') + '\n');
    });
}
