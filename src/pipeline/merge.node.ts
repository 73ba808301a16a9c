/**
 * Merge the output directories of several `classifyArchive` runs (typically the shards of one
 * Slurm job array) into one ranked list, each product exactly once.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PipelineError } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic.node.js';
import { readJsonLines } from '../core/jsonl.node.js';
import type { JournalEntry } from './journal.node.js';
import {
  rankResults,
  type ProductResult,
  type RankedResults,
  type SourceScore,
} from './results.js';
import { positionLabel, reportSkyFields, skyViewOf } from './report-data.js';
import { readFits } from '../fits/read.node.js';
import type { ReportCandidate, ReportData } from '../report/types.js';
import type { ShardSpec } from './shard.js';

/** File names inside a run's output directory. */
export const RUN_FILES = {
  /** One {@link ProductResult} per line, appended as products finish. */
  candidates: 'candidates.jsonl',
  /** One `JournalEntry` per line: which products are done (the truth on restart). */
  journal: 'journal.jsonl',
  /** The run's parameters and product count ({@link RunInfo}), written when it starts. */
  run: 'run.json',
} as const;

/** What a run records about itself in `run.json`. */
export interface RunInfo {
  /** Format version of this file, `1`. */
  version: 1;
  /** The shard this run covered, when sharded. */
  shard?: ShardSpec;
  /** How many products the run's share held. */
  total: number;
  /** The score at or above which a product counts as positive. */
  threshold: number;
  /** When the run (its latest restart) began, ISO-8601. */
  startedAt: string;
}

/** Options of {@link mergeResults}. */
export interface MergeOptions {
  /** Keep only positive results. Default `false`. */
  positivesOnly?: boolean;
}

/** How complete one merged run directory was. */
export interface RunStatus {
  /** The directory read. */
  dir: string;
  /** Its shard, from `run.json`. */
  shard?: ShardSpec;
  /** Products in its share, from `run.json` (undefined without one). */
  total?: number;
  /** Results taken from it (journaled done, first time seen). */
  results: number;
  /** Whether every product of its share is done (`results === total`). */
  complete: boolean;
}

/** What {@link mergeResults} returns. */
export interface MergeResult extends RankedResults {
  /** One entry per input directory, in input order. */
  runs: RunStatus[];
  /** Problems that do not stop a merge: missing shards, incomplete runs, mixed shard counts. */
  warnings: string[];
}

async function readRunInfo(dir: string): Promise<RunInfo | undefined> {
  const path = join(dir, RUN_FILES.run);
  try {
    return JSON.parse(await readFile(path, 'utf8')) as RunInfo;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PipelineError(`cannot read ${path}: ${(err as Error).message}`, path, { cause: err });
  }
}

/**
 * Read each run directory's `candidates.jsonl` and combine them into one ranked list in which
 * every product URL appears once. Within a directory the journal is the truth: a result line
 * whose product the journal does not list as done (the run was killed between the two writes)
 * is left out; a directory without a journal contributes all its lines. A torn last line is
 * ignored. Across directories the first occurrence of a URL wins (and is counted in
 * `duplicates`), so overlapping runs never double-count. A result's `thumbnail` (relative to its
 * run directory) is returned joined to that directory, so it can be read from where the merge
 * runs.
 *
 * @param dirs - run output directories (e.g. `shard-0/ .. shard-3/`), at least one
 * @throws PipelineError when a directory has no `candidates.jsonl`, or a file is damaged
 */
export async function mergeResults(
  dirs: readonly string[],
  opts: MergeOptions = {},
): Promise<MergeResult> {
  if (dirs.length === 0) throw new PipelineError('mergeResults: no run directories given');
  const all: ProductResult[] = [];
  const runs: RunStatus[] = [];
  const warnings: string[] = [];
  const seen = new Set<string>();
  for (const dir of dirs) {
    const candidatesPath = join(dir, RUN_FILES.candidates);
    const [candidates, journal, info] = await Promise.all([
      readJsonLines<ProductResult>(candidatesPath),
      readJsonLines<Partial<JournalEntry>>(join(dir, RUN_FILES.journal)),
      readRunInfo(dir),
    ]);
    if (candidates.records.length === 0 && candidates.completeBytes === 0 && !info) {
      throw new PipelineError(
        `${dir} is not a classify-archive output directory (no ${RUN_FILES.candidates} or ${RUN_FILES.run})`,
        dir,
      );
    }
    const done = new Set<string>();
    for (const e of journal.records)
      if (e?.status === 'done' && typeof e.url === 'string') done.add(e.url);
    const trustJournal = journal.records.length > 0;
    const own = new Set<string>();
    for (const r of candidates.records) {
      if (typeof r?.url !== 'string' || own.has(r.url)) continue;
      if (trustJournal && !done.has(r.url)) continue;
      own.add(r.url);
      all.push({
        ...r,
        ...(r.thumbnail ? { thumbnail: join(dir, r.thumbnail) } : {}),
        ...(r.skyFits ? { skyFits: join(dir, r.skyFits) } : {}),
      });
    }
    let fresh = 0;
    for (const url of own) if (!seen.has(url)) fresh += 1;
    for (const url of own) seen.add(url);
    const status: RunStatus = {
      dir,
      shard: info?.shard,
      total: info?.total,
      results: own.size,
      complete: info !== undefined && own.size >= info.total,
    };
    runs.push(status);
    if (info && own.size < info.total) {
      warnings.push(`${dir}: ${own.size} of ${info.total} products done (run incomplete)`);
    }
    if (fresh < own.size) {
      warnings.push(
        `${dir}: ${own.size - fresh} products already merged from an earlier directory`,
      );
    }
  }
  const counts = new Set(
    runs.map((r) => r.shard?.count).filter((c): c is number => c !== undefined),
  );
  if (counts.size > 1) {
    warnings.push(`runs were sharded differently (${[...counts].join(', ')} shards)`);
  } else if (counts.size === 1) {
    const [count] = counts;
    const present = new Set(runs.map((r) => r.shard?.index));
    const missing = [...Array(count).keys()].filter((i) => !present.has(i));
    if (missing.length > 0) {
      warnings.push(
        `shards ${missing.map((i) => `${i}/${count}`).join(', ')} missing from the merge`,
      );
    }
  }
  const ranked = rankResults(all, opts);
  return { ...ranked, runs, warnings };
}

/**
 * Write merged results to `dir`: `candidates.jsonl` (one result per line, ranked) and
 * `candidates.json` (the same as one array), each via `name.part` and rename. `dir` must exist.
 */
export async function writeMergedResults(
  results: readonly ProductResult[],
  dir: string,
): Promise<void> {
  await writeFileAtomic(
    join(dir, RUN_FILES.candidates),
    results.map((r) => `${JSON.stringify(r)}\n`).join(''),
    { sync: true },
  );
  await writeFileAtomic(join(dir, 'candidates.json'), `${JSON.stringify(results, null, 2)}\n`, {
    sync: true,
  });
}

/** Options of {@link productReportData}. */
export interface ProductReportOptions {
  /** Page title. */
  title: string;
  /** A line under the title. */
  description?: string;
}

async function thumbnailBytes(r: ProductResult): Promise<Uint8Array | undefined> {
  if (!r.thumbnail) return undefined;
  try {
    return new Uint8Array(await readFile(r.thumbnail));
  } catch {
    // A thumbnail deleted since (or never copied with the results) leaves a placeholder.
    return undefined;
  }
}

/** The sky columns of a product's best source, and its crop on the sky when one was saved. */
async function productSky(r: ProductResult, best: SourceScore): Promise<Partial<ReportCandidate>> {
  const out = reportSkyFields({ ...best, file: r.file });
  if (r.skyFits === undefined) return out;
  try {
    const f = await readFits(r.skyFits);
    if (f.image === undefined) return out;
    out.sky = skyViewOf(f.image, f.header, {
      resampled: r.skyResampled ?? false,
      ...(best.rmsJyBeam !== undefined ? { rms: best.rmsJyBeam } : {}),
      ...(positionLabel(best) !== undefined ? { centerLabel: positionLabel(best) } : {}),
    });
  } catch {
    // A crop deleted since (or never copied with the results) leaves the row without a picture.
  }
  return out;
}

/**
 * The report module's {@link ReportData} for archive results (as {@link mergeResults} returns
 * them): one candidate per product, with its thumbnail PNG read from `thumbnail` (a path from
 * where the process runs; missing files give a placeholder), target, project code and member
 * OUS for the archive link. Pass it to `writeReport`.
 */
export async function productReportData(
  results: readonly ProductResult[],
  opts: ProductReportOptions,
): Promise<ReportData> {
  const candidates = await Promise.all(
    results.map(async (r): Promise<ReportCandidate> => {
      const image = await thumbnailBytes(r);
      const best = r.sources[0];
      return {
        id: r.url,
        file: r.file,
        score: r.score,
        label: r.label,
        ...(image ? { image } : {}),
        ...(r.product.target ? { target: r.product.target } : {}),
        ...(r.product.projectCode ? { projectCode: r.product.projectCode } : {}),
        ...(r.product.memberOus ? { memberOus: r.product.memberOus } : {}),
        ...(best !== undefined ? await productSky(r, best) : {}),
        provenance: {
          url: r.url,
          obsId: r.product.obsId,
          objects: r.sources.length,
          peak: best ? [best.peak[0], best.peak[1]] : undefined,
          shard: r.shard ? `${r.shard.index}/${r.shard.count}` : undefined,
        },
      };
    }),
  );
  return {
    title: opts.title,
    ...(opts.description ? { description: opts.description } : {}),
    generatedAt: new Date().toISOString(),
    candidates,
  };
}
