import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ArchiveError } from '../../core/errors.js';
import {
  AlmaArchive,
  summarizeObservations,
  type ArchiveEvent,
  type DataProduct,
  type Observation,
  type SearchCriteria,
  type SearchResult,
} from '../../archive/index.js';
import { numberListOption, numberOption } from '../options.js';

/** Flags shared by the commands that talk to the archive. */
export interface ArchiveFlags {
  mirror: string;
  /** Seconds. */
  timeout: number;
  retries: number;
  verbose?: boolean;
}

/** Add `--mirror`, `--timeout`, `--retries`, `--verbose` to a command. */
export function archiveOptions(cmd: Command): Command {
  return cmd
    .option(
      '--mirror <name|url>',
      'ESO, NRAO, NAOJ, or a base URL (other named mirrors are tried if it fails)',
      'ESO',
    )
    .addOption(
      numberOption(
        '--timeout <seconds>',
        'give up on a silent connection after this long',
        { positive: true, noun: 'number of seconds' },
        60,
      ),
    )
    .addOption(
      numberOption(
        '--retries <n>',
        'retries after a 5xx answer or dropped connection',
        { integer: true, min: 0 },
        3,
      ),
    )
    .option('--verbose', 'report every retry');
}

/** An `AlmaArchive` configured from the shared flags, reporting mirror switches on stderr. */
export function archiveFromFlags(flags: ArchiveFlags): AlmaArchive {
  return new AlmaArchive({
    mirror: flags.mirror,
    timeoutMs: flags.timeout * 1000,
    retries: flags.retries,
    onEvent: (e: ArchiveEvent) => {
      if (e.type === 'mirror-switch') {
        process.stderr.write(
          `alma-classifier: mirror ${e.from} failed (${e.reason}); switching to ${e.to}\n`,
        );
      } else if (e.type === 'warning') {
        process.stderr.write(`alma-classifier: warning: ${e.message}\n`);
      } else if (flags.verbose) {
        process.stderr.write(`alma-classifier: retry ${e.attempt} of ${e.url}: ${e.reason}\n`);
      }
    },
  });
}

/** What `--from FILE` held: observations (from `search --json`) or products (from `files --json`). */
export interface FromFile {
  observations?: Observation[];
  products?: DataProduct[];
}

/** Read the JSON written by `search --json` or `files --json` (or a bare array of either). */
export async function readFromFile(path: string): Promise<FromFile> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new ArchiveError(`${path}: cannot read JSON: ${(err as Error).message}`, path);
  }
  const obj = (typeof data === 'object' && data !== null ? data : {}) as {
    observations?: unknown;
    products?: unknown;
  };
  const list = Array.isArray(data) ? data : undefined;
  if (Array.isArray(obj.products)) return { products: obj.products as DataProduct[] };
  if (Array.isArray(obj.observations)) return { observations: obj.observations as Observation[] };
  if (list && list.every((x) => typeof x === 'object' && x !== null && 'url' in x)) {
    return { products: list as DataProduct[] };
  }
  if (list && list.every((x) => typeof x === 'object' && x !== null && 'memberOusUid' in x)) {
    return { observations: list as Observation[] };
  }
  throw new ArchiveError(
    `${path}: expected the JSON of 'search --json' (observations) or 'files --json' (products)`,
    path,
  );
}

/** Rows as an aligned text table. */
export function textTable(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  // A loop, not Math.max(...column): a cube's table of planes can have 100,000s of rows.
  const widths = header.map((_, j) => {
    let w = 0;
    for (const r of cells) w = Math.max(w, r[j].length);
    return w;
  });
  return cells
    .map((r) =>
      r
        .map((c, j) => c.padEnd(widths[j]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const CSV_COLUMNS: [string, (o: Observation) => string | number][] = [
  ['project_code', (o) => o.projectCode],
  ['ALMA_source_name', (o) => o.sourceName],
  ['obs_id', (o) => o.obsId],
  ['member_ous_uid', (o) => o.memberOusUid],
  ['RAJ2000', (o) => o.ra],
  ['DEJ2000', (o) => o.dec],
  ['band', (o) => o.bands.join(' ')],
  ['ang_res_arcsec', (o) => o.angResArcsec],
  ['FoV_arcsec', (o) => o.fovArcsec],
  ['min_freq_GHz', (o) => o.minFreqGHz],
  ['max_freq_GHz', (o) => o.maxFreqGHz],
  ['obs_release_date', (o) => o.releaseDate],
  ['data_rights', (o) => o.dataRights],
  ['science_keyword', (o) => o.scienceKeyword],
];

function csvCell(v: string | number): string {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The observations as CSV with ALminer's column names. */
export function observationsCsv(obs: readonly Observation[]): string {
  const lines = [CSV_COLUMNS.map(([h]) => h).join(',')];
  for (const o of obs) lines.push(CSV_COLUMNS.map(([, f]) => csvCell(f(o))).join(','));
  return lines.join('\n') + '\n';
}

/** ALminer-like summary and table of a search result. */
export function formatSearch(res: SearchResult): string {
  const s = summarizeObservations(res.observations);
  const removed = res.filtered
    .filter((f) => f.removed > 0)
    .map((f) => `${f.filter} ${f.removed}`)
    .join(', ');
  const out = [
    `Query: ${res.query}`,
    `Mirror: ${res.mirror}`,
    `Rows returned = ${res.returned}${removed ? ` (removed: ${removed})` : ''}`,
    '--------------------------------',
    `Number of projects = ${s.projects}`,
    `Number of observations = ${s.observations}`,
    `Number of unique target names = ${s.targets}`,
    `Target names: ${s.targetNames.join(', ')}`,
  ];
  for (const v of res.perValue)
    out.push(`  ${v.field} ${JSON.stringify(v.value)}: ${v.returned} returned, ${v.kept} kept`);
  out.push('--------------------------------');
  if (res.observations.length > 0) {
    out.push(
      textTable(
        [
          'Obs',
          'project_code',
          'ALMA_source_name',
          'band',
          'ang_res_arcsec',
          'min_freq_GHz',
          'max_freq_GHz',
          'released',
          'member_ous_uid',
        ],
        res.observations.map((o, i) => [
          i + 1,
          o.projectCode,
          o.sourceName,
          o.bands.join(' '),
          o.angResArcsec,
          o.minFreqGHz,
          o.maxFreqGHz,
          o.releaseDate.slice(0, 10),
          o.memberOusUid,
        ]),
      ),
    );
  } else {
    out.push('No observations found.');
  }
  return out.join('\n') + '\n';
}

/** The flags that say what to search for, shared by `search` and `classify-archive`. */
export interface SearchCriteriaFlags {
  keyword: string[];
  category: string[];
  target: string[];
  field: string[];
  ra?: number;
  dec?: number;
  radius: number;
  point?: boolean;
  releasedAfter?: string;
  maxResolution?: number;
  band: number[];
  rights: string;
  published?: boolean;
  unpublished?: boolean;
}

interface SearchFlags extends ArchiveFlags, SearchCriteriaFlags {
  json?: boolean;
  csv?: string;
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** Turn the flags into search criteria. */
export function criteriaFromFlags(f: SearchCriteriaFlags): SearchCriteria {
  // No prototype: a column named __proto__ or constructor is an unknown column, not a crash.
  const fields = Object.create(null) as Record<string, string[]>;
  for (const kv of f.field) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new ArchiveError(`--field expects column=value, got ${JSON.stringify(kv)}`);
    (fields[kv.slice(0, i)] ??= []).push(kv.slice(i + 1));
  }
  const c: SearchCriteria = { fields };
  if (f.keyword.length) c.scienceKeyword = f.keyword;
  if (f.category.length) c.scientificCategory = f.category;
  if (f.target.length) c.target = f.target;
  if (f.ra !== undefined || f.dec !== undefined) {
    if (f.ra === undefined || f.dec === undefined)
      throw new ArchiveError('--ra and --dec go together');
    c.cone = { ra: f.ra, dec: f.dec, radiusArcmin: f.radius, point: Boolean(f.point) };
  }
  if (f.releasedAfter !== undefined) c.releasedAfter = f.releasedAfter;
  if (f.maxResolution !== undefined) c.maxResolutionArcsec = f.maxResolution;
  if (f.band.length) c.bands = f.band;
  const rights: Record<string, boolean | null> = { public: true, proprietary: false, any: null };
  if (!(f.rights in rights))
    throw new ArchiveError(`--rights must be public, proprietary or any, got ${f.rights}`);
  c.public = rights[f.rights];
  if (f.published && f.unpublished)
    throw new ArchiveError('--published and --unpublished exclude each other');
  if (f.published) c.published = true;
  if (f.unpublished) c.published = false;
  const anything =
    Object.keys(fields).length || c.scienceKeyword || c.scientificCategory || c.target || c.cone;
  if (!anything)
    throw new ArchiveError(
      'say what to search for: --keyword, --category, --target, --field or --ra/--dec',
    );
  return c;
}

/** Add the search-criteria options ({@link SearchCriteriaFlags}) to `cmd`. */
export function addSearchCriteriaOptions(cmd: Command): Command {
  return cmd
    .option('--keyword <text>', 'science_keyword (repeatable; values are ORed)', collect, [])
    .option('--category <text>', 'scientific_category (repeatable)', collect, [])
    .option(
      '--target <name>',
      'ALMA source name; _ and spaces match anything (repeatable)',
      collect,
      [],
    )
    .option('--field <column=value>', 'any ObsCore text column (repeatable)', collect, [])
    .addOption(
      numberOption('--ra <deg>', 'cone centre right ascension, degrees ICRS', { min: 0, max: 360 }),
    )
    .addOption(
      numberOption('--dec <deg>', 'cone centre declination, degrees ICRS', { min: -90, max: 90 }),
    )
    .addOption(numberOption('--radius <arcmin>', 'cone radius, arcminutes', { positive: true }, 1))
    .option('--point', 'only footprints containing the point')
    .option('--released-after <YYYY-MM-DD>', 'released on or after this date')
    .addOption(
      numberOption('--max-resolution <arcsec>', 'angular resolution below this, arcseconds', {
        positive: true,
      }),
    )
    .addOption(
      numberListOption(
        '--band <n>',
        'ALMA band(s), e.g. 6 or 6,7 (repeatable)',
        { integer: true, min: 1, max: 10 },
        true,
      ),
    )
    .option('--rights <public|proprietary|any>', 'data rights', 'public')
    .option('--published', 'published data only')
    .option('--unpublished', 'unpublished data only');
}

/** Registers the `search` command: query the ALMA archive (ALminer keysearch semantics). */
export function register(program: Command): void {
  const cmd = program
    .command('search')
    .description(
      'Search the ALMA archive (ObsCore via TAP) by science keyword, target, field or position',
    );
  addSearchCriteriaOptions(cmd)
    .option('--json', 'print the result as JSON (input for files/download --from)')
    .option('--csv <file>', 'also write the table as CSV');
  archiveOptions(cmd).action(async (flags: SearchFlags) => {
    const criteria = criteriaFromFlags(flags);
    const res = await archiveFromFlags(flags).search(criteria);
    if (flags.csv) await writeFile(flags.csv, observationsCsv(res.observations));
    process.stdout.write(flags.json ? JSON.stringify(res, null, 2) + '\n' : formatSearch(res));
  });
}
