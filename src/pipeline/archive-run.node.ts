/**
 * The run folder of `classifyArchive`: `run.json`, the journal, `candidates.jsonl` and its
 * catalogues, the downloads in `files/` and the thumbnails in `thumbs/`. It makes a killed run
 * resumable: the journal says what is done, and result lines it does not vouch for are dropped.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { DataProduct } from '../archive/datalink.js';
import { PipelineError } from '../core/errors.js';
import { makeDirectory } from '../core/files.node.js';
import type { CatalogueCandidate } from './catalogue.js';
import { writeCandidateCatalogues, type WrittenCatalogues } from './catalogue.node.js';
import { safeStem } from './candidate-files.node.js';
import { writeFileAtomic } from '../core/atomic.node.js';
import { JsonLinesWriter, filterJsonLines, readJsonLines } from '../core/jsonl.node.js';
import { Journal } from './journal.node.js';
import { RUN_FILES, type RunInfo } from './merge.node.js';
import { rankResults, type ProductResult } from './results.js';
import { stableHash, type ShardSpec } from './shard.js';

/**
 * The catalogue candidates of result lines: every scored source of every product, with the
 * archive's member OUS and project code, best products first.
 *
 * @param results - lines of `candidates.jsonl`
 */
export function resultCatalogueCandidates(results: readonly ProductResult[]): CatalogueCandidate[] {
  return results.flatMap((r) =>
    r.sources.map((s): CatalogueCandidate => ({
      ...s,
      file: r.file,
      peak: [s.peak[0], s.peak[1]],
      ...(r.product.memberOus !== undefined ? { memberOus: r.product.memberOus } : {}),
      ...(r.product.projectCode !== undefined ? { projectCode: r.product.projectCode } : {}),
      ...(s.object === undefined && r.product.target !== undefined
        ? { object: r.product.target }
        : {}),
    })),
  );
}

/** A short, stable directory name per product, so equal file names of two OUSs never collide. */
function productKey(url: string): string {
  return stableHash(url).toString(16).padStart(8, '0');
}

const shardText = (s: ShardSpec | undefined) => (s ? `${s.index}/${s.count}` : 'unsharded');

/** @internal What {@link ArchiveRun.open} needs to know about the run. */
export interface ArchiveRunOptions {
  /** This run's shard, or undefined for the whole list. */
  shard: ShardSpec | undefined;
  /** This run's share of the products. */
  products: readonly DataProduct[];
  /** The threshold, recorded in `run.json` and the catalogues. */
  threshold: number;
  /** Keep the downloads in `files/`; otherwise a killed run's leftovers are removed. */
  keepFiles: boolean;
}

/** @internal An open run folder (see the module comment). Close it when done. */
export class ArchiveRun {
  /** Path of `candidates.jsonl`. */
  readonly candidatesPath: string;
  /** Positives among the result lines, earlier runs included. */
  positives: number;

  private constructor(
    /** The folder (absolute). */
    readonly out: string,
    /** Products of the share not done by an earlier run, in list order. */
    readonly todo: readonly DataProduct[],
    private readonly journal: Journal,
    private readonly results: JsonLinesWriter,
    private readonly keepFiles: boolean,
    positives: number,
  ) {
    this.candidatesPath = join(out, RUN_FILES.candidates);
    this.positives = positives;
  }

  /**
   * Open (or resume) the run in `out`: check it holds a run of the same shard, write
   * `run.json`, drop result lines the journal does not vouch for (a kill between the two writes)
   * and repeated ones, and remove what a killed run left in `files/` (but partial downloads of
   * products still to do, which resume).
   *
   * @throws PipelineError when `out` holds a run of another shard or cannot be written
   */
  static async open(out: string, opts: ArchiveRunOptions): Promise<ArchiveRun> {
    const dir = resolve(out);
    await makeDirectory(dir);
    await checkSameShard(dir, opts.shard);
    const info: RunInfo = {
      version: 1,
      ...(opts.shard ? { shard: opts.shard } : {}),
      total: opts.products.length,
      threshold: opts.threshold,
      startedAt: new Date().toISOString(),
    };
    await writeFileAtomic(join(dir, RUN_FILES.run), `${JSON.stringify(info, null, 2)}\n`, {
      sync: true,
    });
    // The journal is the truth. A journaled product whose result line is gone (a hand-edited
    // file) is simply done again.
    const journal = await Journal.open(join(dir, RUN_FILES.journal));
    const candidatesPath = join(dir, RUN_FILES.candidates);
    const done = new Set<string>();
    await filterJsonLines<ProductResult>(candidatesPath, (r) => {
      if (!journal.isDone(r.url) || done.has(r.url)) return false;
      done.add(r.url);
      return true;
    });
    const existing = await readJsonLines<ProductResult>(candidatesPath);
    const results = await JsonLinesWriter.open(candidatesPath, existing.completeBytes);
    const todo = opts.products.filter((p) => !done.has(p.url));
    const run = new ArchiveRun(
      dir,
      todo,
      journal,
      results,
      opts.keepFiles,
      existing.records.filter((r) => r.positive).length,
    );
    if (!opts.keepFiles) await run.removeLeftovers(new Set(todo.map((p) => productKey(p.url))));
    return run;
  }

  /** Where `product` is downloaded: a folder of its own under `files/`. */
  productDir(product: DataProduct): string {
    return join(this.out, 'files', productKey(product.url));
  }

  /**
   * A thumbnail's file name for `product` under `thumbs/` (created on first use), and its path
   * relative to the run folder as result lines record it.
   *
   * @param suffix - what follows the product's name: `.png`, `-sky.fits`
   */
  async thumbPath(product: DataProduct, suffix: string): Promise<{ path: string; rel: string }> {
    const name = `${productKey(product.url)}-${safeStem(product.fileName)}${suffix}`;
    await makeDirectory(join(this.out, 'thumbs'));
    return { path: join(this.out, 'thumbs', name), rel: `thumbs/${name}` };
  }

  /** Record a product as done: its result line first, then the journal's (a kill in between leaves a line the next run drops). */
  async done(result: ProductResult): Promise<void> {
    await this.results.append(result);
    await this.journal.markDone(result.url);
    if (result.positive) this.positives += 1;
  }

  /** Record a product as failed (the next run retries it). */
  async failed(url: string, error: string): Promise<void> {
    await this.journal.markFailed(url, error);
  }

  /** Close the journal and the result file; remove `files/` unless the downloads are kept. */
  async close(): Promise<void> {
    try {
      await this.results.close();
      await this.journal.close();
    } finally {
      if (!this.keepFiles) await rm(join(this.out, 'files'), { recursive: true, force: true });
    }
  }

  /**
   * Write the catalogues beside `candidates.jsonl` (`.csv`, `.vot`, `.reg`, `.crtf`) from every
   * result line, earlier runs included.
   *
   * @throws PipelineError when they cannot be written
   */
  async writeCatalogues(threshold: number): Promise<WrittenCatalogues> {
    const all = rankResults((await readJsonLines<ProductResult>(this.candidatesPath)).records);
    try {
      return await writeCandidateCatalogues(
        resultCatalogueCandidates(all.results),
        this.candidatesPath,
        { info: { threshold: String(threshold) } },
      );
    } catch (err) {
      throw new PipelineError(
        `cannot write the catalogues in ${this.out}: ${(err as Error).message}`,
        this.out,
        { cause: err },
      );
    }
  }

  /** Remove what a killed run left in `files/`, except partial downloads still to be resumed. */
  private async removeLeftovers(resumable: ReadonlySet<string>): Promise<void> {
    const filesDir = join(this.out, 'files');
    let entries: string[];
    try {
      entries = await readdir(filesDir);
    } catch {
      return;
    }
    await Promise.all(
      entries
        .filter((e) => !resumable.has(e))
        .map((e) => rm(join(filesDir, e), { recursive: true, force: true })),
    );
  }
}

/**
 * Refuse to resume a directory with another shard than the one it was started with (a lone
 * resubmitted array task sees an array of one): its journal would not match its product list.
 */
async function checkSameShard(out: string, shard: ShardSpec | undefined): Promise<void> {
  const path = join(out, RUN_FILES.run);
  let before: RunInfo;
  try {
    before = JSON.parse(await readFile(path, 'utf8')) as RunInfo;
  } catch {
    return;
  }
  if (shardText(before.shard) !== shardText(shard)) {
    throw new PipelineError(
      `${out} holds a run of shard ${shardText(before.shard)}, but this run is ${shardText(shard)}; ` +
        `pass --shard ${shardText(before.shard)} to resume it, or use another output directory`,
      path,
    );
  }
}
