import type { Command } from 'commander';
import { ArchiveError } from '../../core/errors.js';
import {
  DEFAULT_DATA_PRODUCT_OPTIONS,
  explainFilters,
  type AlmaArchive,
  type DataProductList,
  type DataProductOptions,
  type Observation,
} from '../../archive/index.js';
import { formatBytes } from '../../archive/download.js';
import {
  archiveFromFlags,
  archiveOptions,
  readFromFile,
  textTable,
  type ArchiveFlags,
} from './search.js';

/** Flags that choose data products, shared by `files` and `download`. */
export interface ProductFlags extends ArchiveFlags {
  from?: string;
  include: string;
  allTypes?: boolean;
  expand: boolean;
  auxiliary?: boolean;
}

/** Add the product-selection flags to a command. */
export function productOptions(cmd: Command): Command {
  return archiveOptions(
    cmd
      .option('--from <file>', "JSON written by 'search --json' (or 'files --json' for download)")
      .option(
        '--include <list>',
        'keep files whose URL contains every one of these comma-separated strings ("" for all)',
        DEFAULT_DATA_PRODUCT_OPTIONS.include.join(','),
      )
      .option('--all-types', 'keep every file type, not only .fits')
      .option('--no-expand', 'list tarballs instead of the files inside them')
      .option('--auxiliary', 'keep auxiliary products (scripts, QA reports)'),
  );
}

/** DataLink options from the flags. */
export function productOptionsFromFlags(f: ProductFlags): DataProductOptions {
  return {
    include: f.include
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
    fitsOnly: !f.allTypes,
    expandTarfiles: f.expand,
    auxiliary: Boolean(f.auxiliary),
  };
}

/** The member OUSs to list: positional uids and/or the observations of `--from`. */
export async function observationsOrUids(
  uids: string[],
  f: ProductFlags,
): Promise<(string | Observation)[]> {
  const out: (string | Observation)[] = [...uids];
  if (f.from) {
    const from = await readFromFile(f.from);
    if (!from.observations) {
      throw new ArchiveError(
        `${f.from}: holds data products already; pass it to 'download --from'`,
        f.from,
      );
    }
    const proprietary = from.observations.filter((o) => o.dataRights === 'Proprietary').length;
    if (proprietary > 0) {
      process.stderr.write(
        `alma-classifier: warning: ${proprietary} observations are proprietary; their files may be refused\n`,
      );
    }
    out.push(...from.observations);
  }
  if (out.length === 0) throw new ArchiveError('give member OUS uids or --from results.json');
  return out;
}

/** List products for the flags through `archive`. */
export async function listProducts(
  archive: AlmaArchive,
  uids: string[],
  f: ProductFlags,
): Promise<DataProductList> {
  return archive.dataProducts(await observationsOrUids(uids, f), productOptionsFromFlags(f));
}

/** Human-readable listing of products, with the reason when none are left. */
export function formatProducts(list: DataProductList): string {
  const total = list.products.reduce((n, p) => n + (p.sizeBytes ?? 0), 0);
  const out: string[] = [];
  if (list.products.length > 0) {
    out.push(
      textTable(
        ['file', 'size', 'member_ous'],
        list.products.map((p) => [
          p.fileName,
          p.sizeBytes === null ? '?' : formatBytes(p.sizeBytes),
          p.memberOus,
        ]),
      ),
      '--------------------------------',
    );
  }
  out.push(
    `Number of files = ${list.products.length} (of ${list.listed} listed)`,
    `Needed disk space = ${formatBytes(total)}`,
  );
  if (list.products.length === 0) {
    const why = explainFilters(list.filtered);
    out.push(`Nothing left to download: ${why || 'DataLink listed no downloadable files'}`);
  }
  return out.join('\n') + '\n';
}

interface FilesFlags extends ProductFlags {
  json?: boolean;
}

/** Registers the `files` command: list the data products (DataLink) of observations. */
export function register(program: Command): void {
  const cmd = program
    .command('files')
    .description(
      'List the files of member OUSs through DataLink, expanding tarballs and filtering by name',
    )
    .argument('[uids...]', 'member OUS uids, e.g. uid://A001/X12a3/Xe9')
    .option('--json', 'print the products as JSON (input for download --from)');
  productOptions(cmd).action(async (uids: string[], flags: FilesFlags) => {
    const list = await listProducts(archiveFromFlags(flags), uids, flags);
    process.stdout.write(flags.json ? JSON.stringify(list, null, 2) + '\n' : formatProducts(list));
  });
}
