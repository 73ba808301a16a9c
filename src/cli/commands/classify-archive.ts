import type { Command } from 'commander';
import { numberOption } from '../options.js';
import { loadProfile } from '../profile.js';
import { createProgressBar, formatDuration } from '../progress.js';
import { parseBytes, type DataProduct, type SearchCriteria } from '../../archive/index.js';
import { loadModel } from '../../model/io.node.js';
import {
  classifyArchive,
  type ArchiveProgress,
  type ClassifyArchiveSummary,
} from '../../pipeline/classify-archive.node.js';
import { parseShard, shardFromEnv, type ShardSpec } from '../../pipeline/shard.js';
import { productOptions, productOptionsFromFlags, type ProductFlags } from './files.js';
import {
  addSearchCriteriaOptions,
  archiveFromFlags,
  criteriaFromFlags,
  readFromFile,
  type SearchCriteriaFlags,
} from './search.js';

interface ClassifyArchiveFlags extends ProductFlags, SearchCriteriaFlags {
  model: string;
  profile?: string;
  out: string;
  shard?: string;
  concurrency: number;
  keepFiles?: boolean;
  maxDisk?: string;
  threshold?: number;
  thumbnails: boolean;
  progress?: boolean;
  json?: boolean;
}

/** One status line: products done / total, rate, ETA, positives so far. */
export function formatArchiveProgress(p: ArchiveProgress): string {
  const extra = [p.skipped ? `${p.skipped} done before` : '', p.failed ? `${p.failed} failed` : '']
    .filter(Boolean)
    .join(', ');
  return (
    `${p.done}/${p.total} products | ${p.rate.toFixed(2)}/s | ETA ${formatDuration(p.etaSeconds)} | ` +
    `${p.positives} positive${extra ? ` | ${extra}` : ''}`
  );
}

function formatSummary(s: ClassifyArchiveSummary): string {
  const lines = [
    `Output: ${s.out}`,
    `Shard: ${s.shard ? `${s.shard.index}/${s.shard.count}` : 'none (all products)'}`,
    `Products listed = ${s.listed}, in this share = ${s.total}`,
    `Classified now = ${s.classified}, done before = ${s.skipped}, failed = ${s.failed.length}`,
    `Positives = ${s.positives}`,
    `Time = ${formatDuration(s.seconds)}${s.classified > 0 ? ` (${(s.classified / s.seconds).toFixed(2)} products/s)` : ''}`,
    `Results: ${s.candidatesPath}`,
    `Catalogues: ${s.catalogues.csv}, ${s.catalogues.votable}, ${s.catalogues.ds9}, ${s.catalogues.crtf}`,
  ];
  for (const f of s.failed.slice(0, 10)) lines.push(`  failed: ${f.error}`);
  if (s.failed.length > 10)
    lines.push(`  ... and ${s.failed.length - 10} more (see journal.jsonl)`);
  if (s.aborted) lines.push('Stopped early; run the same command again to resume.');
  else if (!s.complete)
    lines.push('Incomplete; run the same command again to retry the failed products.');
  return `${lines.join('\n')}\n`;
}

/**
 * Registers `classify-archive`: search the archive (or read `--from`), take this shard's share,
 * and stream each product through download → classify → delete, journaling as it goes.
 */
export function register(program: Command): void {
  const cmd = program
    .command('classify-archive')
    .description(
      'Classify every product of an archive search, streaming (download, classify, delete), resumable and shardable',
    )
    .requiredOption('--model <dir>', 'model directory written by train')
    .requiredOption(
      '--out <dir>',
      'output directory (candidates.jsonl; candidates.csv, .vot, .reg, .crtf; journal.jsonl, thumbs/)',
    );
  addSearchCriteriaOptions(cmd)
    .option('--profile <file.json>', 'target profile (default: the one saved with the model)')
    .option(
      '--shard <i/n>',
      'process share i of n (0-based); default from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT',
    )
    .addOption(
      numberOption('--concurrency <n>', 'products in flight at once', { integer: true, min: 1 }, 4),
    )
    .option('--keep-files', 'keep the downloaded FITS files in OUT/files/')
    .option('--max-disk <size>', 'most bytes of downloads on disk at once, e.g. 20GB')
    .addOption(
      numberOption(
        '--threshold <score>',
        'score counted as positive (default: the profile threshold)',
        { min: 0, max: 1, noun: 'score' },
      ),
    )
    .option('--no-thumbnails', 'do not save PNG thumbnails of positives')
    .option('--no-progress', 'no progress output')
    .option('--json', 'print the summary as JSON');
  productOptions(cmd).action(async (flags: ClassifyArchiveFlags) => {
    let source: SearchCriteria | DataProduct[];
    if (flags.from) {
      const from = await readFromFile(flags.from);
      if (from.products) source = from.products;
      else {
        const archive = archiveFromFlags(flags);
        source = (
          await archive.dataProducts(from.observations ?? [], productOptionsFromFlags(flags))
        ).products;
      }
    } else {
      source = criteriaFromFlags(flags);
    }
    const shard: ShardSpec | undefined = flags.shard ? parseShard(flags.shard) : shardFromEnv();
    const [loaded, profile] = await Promise.all([
      loadModel(flags.model),
      flags.profile ? loadProfile(flags.profile) : Promise.resolve(undefined),
    ]);
    // A bar on a terminal; in a batch job's log a line every 30 s, and the last one.
    const progress = createProgressBar<ArchiveProgress>({
      enabled: flags.progress !== false,
      status: formatArchiveProgress,
      logEverySeconds: 30,
    });
    const stop = new AbortController();
    const onSignal = (sig: NodeJS.Signals) => {
      process.stderr.write(
        `\nalma-classifier: ${sig}: finishing the products in flight, then stopping\n`,
      );
      process.exitCode = sig === 'SIGINT' ? 130 : 143;
      stop.abort();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let summary: ClassifyArchiveSummary;
    try {
      summary = await classifyArchive(source, {
        model: loaded,
        out: flags.out,
        ...(profile ? { profile } : {}),
        ...(flags.threshold !== undefined ? { threshold: flags.threshold } : {}),
        concurrency: flags.concurrency,
        keepFiles: Boolean(flags.keepFiles),
        ...(flags.maxDisk !== undefined ? { maxDiskBytes: parseBytes(flags.maxDisk) } : {}),
        shard: shard ?? null,
        thumbnails: flags.thumbnails,
        archive: archiveFromFlags(flags),
        dataProducts: productOptionsFromFlags(flags),
        onProgress: (p) => progress.update(p),
        onWarning: (m) => process.stderr.write(`alma-classifier: warning: ${m}\n`),
        signal: stop.signal,
      });
    } finally {
      progress.stop();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    process.stdout.write(
      flags.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary),
    );
    if (!summary.aborted && !summary.complete) process.exitCode = 1;
  });
}
