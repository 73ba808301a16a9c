import type { Command } from 'commander';
import { ArchiveError } from '../../core/errors.js';
import {
  explainFilters,
  parseBytes,
  type DataProduct,
  type DownloadReport,
} from '../../archive/index.js';
import { formatBytes } from '../../archive/download.js';
import { numberOption } from '../options.js';
import { createProgressBar } from '../progress.js';
import { listProducts, productOptions, type ProductFlags } from './files.js';
import { archiveFromFlags, readFromFile } from './search.js';

interface DownloadFlags extends ProductFlags {
  dir: string;
  sample?: number;
  seed: number;
  maxSize?: string;
  dryRun?: boolean;
  concurrency: number;
  failUnauthorized?: boolean;
}

/** Summary lines of a download run, ALminer-style. */
export function formatDownload(r: DownloadReport): string {
  const out = [
    `Download location = ${r.dir}`,
    `Number of files to download = ${r.planned}`,
    `Needed disk space = ${r.plannedSize}${r.unknownSizes ? ` (+${r.unknownSizes} of unknown size)` : ''}`,
  ];
  const removed = explainFilters(r.filtered);
  if (removed) out.push(`Skipped before download: ${removed}`);
  if (r.dryRun) {
    out.push('This is a dry run; nothing was downloaded.');
  } else {
    const count = (s: string) => r.files.filter((f) => f.status === s).length;
    const bytes = r.files.reduce((n, f) => n + f.bytes, 0);
    out.push(
      `Downloaded ${count('downloaded')}, already present ${count('present')}, unauthorised ${count('unauthorized')}, failed ${count('failed')} (${formatBytes(bytes)} on disk)`,
    );
    for (const f of r.files.filter((x) => x.status === 'failed'))
      out.push(`  failed: ${f.product.fileName}: ${f.error}`);
  }
  return out.join('\n') + '\n';
}

/** Registers the `download` command: fetch data products to a directory with a progress bar. */
export function register(program: Command): void {
  const cmd = program
    .command('download')
    .description('Download data products (streamed, resumable, verified) to a directory')
    .argument('[uids...]', 'member OUS uids (or use --from)')
    .requiredOption('--dir <dir>', 'directory to write into')
    .addOption(
      numberOption('--sample <n>', 'download a reproducible random sample of n files', {
        integer: true,
        min: 0,
      }),
    )
    .addOption(numberOption('--seed <n>', 'seed of the sample', { integer: true, min: 0 }, 1))
    .option('--max-size <size>', 'skip files larger than this, e.g. 30MB')
    .option('--dry-run', 'only report the number of files and the disk space needed')
    .addOption(
      numberOption('--concurrency <n>', 'files downloaded at once', { integer: true, min: 1 }, 4),
    )
    .option('--fail-unauthorized', 'stop at a 401/403 instead of skipping the file');
  productOptions(cmd).action(async (uids: string[], flags: DownloadFlags) => {
    const archive = archiveFromFlags(flags);
    let products: DataProduct[];
    const fromProducts = flags.from ? (await readFromFile(flags.from)).products : undefined;
    if (fromProducts) {
      products = fromProducts;
    } else {
      const list = await listProducts(archive, uids, flags);
      if (list.products.length === 0) {
        const why = explainFilters(list.filtered);
        process.stdout.write(
          `Nothing to download: ${list.listed} files listed${why ? `; ${why}` : ''}. Try --include "" or --all-types.\n`,
        );
        return;
      }
      products = list.products;
    }
    const bar = createProgressBar({ unit: 'files' });
    let report: DownloadReport;
    try {
      report = await archive.download(products, {
        dir: flags.dir,
        concurrency: flags.concurrency,
        ...(flags.sample !== undefined ? { sample: { n: flags.sample, seed: flags.seed } } : {}),
        ...(flags.maxSize !== undefined ? { maxBytes: parseBytes(flags.maxSize) } : {}),
        dryRun: Boolean(flags.dryRun),
        skipUnauthorized: !flags.failUnauthorized,
        onProgress: (p) =>
          bar.update({
            done: p.done,
            total: p.total,
            bytes: p.bytesDone,
            totalBytes: p.bytesTotal,
          }),
        onEvent: (e) => {
          if (e.type !== 'retry' || flags.verbose)
            process.stderr.write(`alma-classifier: ${e.message}\n`);
        },
      });
    } finally {
      bar.stop();
    }
    process.stdout.write(formatDownload(report));
    const failed = report.files.filter((f) => f.status === 'failed');
    if (failed.length > 0) {
      throw new ArchiveError(
        `${failed.length} of ${report.planned} files failed to download (their .part files are kept for a resume)`,
      );
    }
  });
}
