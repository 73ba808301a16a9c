/**
 * A run's journal of finished products, over append-only JSON-lines files that survive a kill
 * (`readJsonLines`, `JsonLinesWriter`: a torn last line is ignored on read and cut off before
 * the next append, so a line either exists complete or not at all).
 */
import { JsonLinesWriter, readJsonLines } from '../core/jsonl.node.js';

/** One line of a run's journal: a product finished, one way or the other. */
export interface JournalEntry {
  /** The product's URL: the identity a product is journaled, sharded and merged by. */
  url: string;
  /** `done`: classified and its result line is in `candidates.jsonl`; `failed`: to be retried. */
  status: 'done' | 'failed';
  /** ISO-8601 time the line was written. */
  at: string;
  /** Why the product failed (status `failed`). */
  error?: string;
}

/**
 * The record of which products a run has finished. A product is done when its `done` line is
 * complete on disk; `failed` products are not done and are tried again by the next run.
 */
export class Journal {
  /** The journal file (`journal.jsonl` in a run's output directory). */
  readonly path: string;
  private readonly doneUrls: Set<string>;
  private readonly writer: JsonLinesWriter;

  private constructor(path: string, done: Set<string>, writer: JsonLinesWriter) {
    this.path = path;
    this.doneUrls = done;
    this.writer = writer;
  }

  /**
   * Open (or create) the journal at `path`, reading which products are already done.
   *
   * @throws PipelineError when the file is damaged before its last line or cannot be opened
   */
  static async open(path: string): Promise<Journal> {
    const { records, completeBytes } = await readJsonLines<Partial<JournalEntry>>(path);
    const done = new Set<string>();
    for (const r of records) {
      if (r && r.status === 'done' && typeof r.url === 'string') done.add(r.url);
    }
    return new Journal(path, done, await JsonLinesWriter.open(path, completeBytes));
  }

  /** The URLs of the products done so far (a live view; do not mutate). */
  get done(): ReadonlySet<string> {
    return this.doneUrls;
  }

  /** Whether the product at `url` is done. */
  isDone(url: string): boolean {
    return this.doneUrls.has(url);
  }

  /** Record that `url` is done; resolves once the line is on disk. */
  async markDone(url: string): Promise<void> {
    await this.writer.append({
      url,
      status: 'done',
      at: new Date().toISOString(),
    } satisfies JournalEntry);
    this.doneUrls.add(url);
  }

  /** Record that `url` failed with `error` (it stays not done). */
  async markFailed(url: string, error: string): Promise<void> {
    await this.writer.append({
      url,
      status: 'failed',
      at: new Date().toISOString(),
      error,
    } satisfies JournalEntry);
  }

  /** Close the journal file after pending lines are written. */
  close(): Promise<void> {
    return this.writer.close();
  }
}
