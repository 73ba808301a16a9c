/**
 * Append-only JSON-lines files that survive a kill: every line is written whole and fsync'd
 * before the call returns, a torn last line (the process died mid-write) is ignored on read and
 * cut off before the next append, so a line either exists complete or not at all.
 */
import { writeFileAtomic } from '../core/atomic.node.js';
import { open, readFile, truncate, type FileHandle } from 'node:fs/promises';
import { PipelineError } from '../core/errors.js';

/** What {@link readJsonLines} found in a file. */
export interface JsonLines<T> {
  /** The parsed complete lines, in file order. */
  records: T[];
  /**
   * Byte length of the complete lines: everything after it is a torn line to be cut off before
   * appending (equal to the file size when the file ends cleanly).
   */
  completeBytes: number;
  /** Whether the file ended in a torn line (no final newline, or unparsable last line). */
  torn: boolean;
}

/**
 * Read a JSON-lines file written by {@link JsonLinesWriter}. A missing file reads as empty. The
 * last line is dropped when it has no newline or does not parse (a write cut short by a kill);
 * an unparsable line before the last one means the file was damaged otherwise and throws.
 *
 * @throws PipelineError naming the file and line number of a damaged line
 */
export async function readJsonLines<T = unknown>(path: string): Promise<JsonLines<T>> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return { records: [], completeBytes: 0, torn: false };
    }
    throw new PipelineError(`cannot read ${path}: ${(err as Error).message}`, path, { cause: err });
  }
  const records: T[] = [];
  let start = 0;
  let line = 0;
  while (start < bytes.length) {
    const nl = bytes.indexOf(0x0a, start);
    if (nl < 0) return { records, completeBytes: start, torn: true };
    line += 1;
    const text = bytes.toString('utf8', start, nl).trim();
    if (text !== '') {
      try {
        records.push(JSON.parse(text) as T);
      } catch (err) {
        // A kill can leave a newline-terminated fragment only as the very last line (the OS
        // wrote the line partially, then a later append added nothing); anywhere else it is damage.
        if (nl === bytes.length - 1) return { records, completeBytes: start, torn: true };
        throw new PipelineError(
          `${path}:${line}: not a JSON line (${(err as Error).message}); the file is damaged`,
          path,
          { cause: err },
        );
      }
    }
    start = nl + 1;
  }
  return { records, completeBytes: start, torn: false };
}

/**
 * Appends JSON lines to a file, one `write` plus `fsync` per line, in call order. Open it with
 * {@link JsonLinesWriter.open}, which first cuts off a torn last line so that the next line does
 * not glue onto a fragment.
 */
export class JsonLinesWriter {
  /** The file appended to. */
  readonly path: string;
  private handle: FileHandle | undefined;
  private queue: Promise<void> = Promise.resolve();

  private constructor(path: string, handle: FileHandle) {
    this.path = path;
    this.handle = handle;
  }

  /**
   * Open `path` for appending, creating it if absent and truncating a torn last line.
   *
   * @param path - the JSON-lines file
   * @param completeBytes - length of its complete lines when the caller has just read it with
   *   {@link readJsonLines} (saves a second read); otherwise it is read here
   */
  static async open(path: string, completeBytes?: number): Promise<JsonLinesWriter> {
    const keep = completeBytes ?? (await readJsonLines(path)).completeBytes;
    const handle = await open(path, 'a');
    try {
      const { size } = await handle.stat();
      if (size > keep) {
        await truncate(path, keep);
        await handle.sync();
      }
    } catch (err) {
      await handle.close();
      throw new PipelineError(
        `cannot prepare ${path} for appending: ${(err as Error).message}`,
        path,
        {
          cause: err,
        },
      );
    }
    return new JsonLinesWriter(path, handle);
  }

  /**
   * Append `record` as one line and fsync it. Resolves once the line is on disk; lines of
   * concurrent calls never interleave.
   *
   * @throws PipelineError when the writer is closed or the write fails
   */
  append(record: unknown): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    const next = this.queue.then(async () => {
      const handle = this.handle;
      if (!handle) throw new PipelineError(`${this.path} is closed`, this.path);
      try {
        await handle.write(line);
        await handle.datasync();
      } catch (err) {
        throw new PipelineError(
          `cannot append to ${this.path}: ${(err as Error).message}`,
          this.path,
          {
            cause: err,
          },
        );
      }
    });
    // A failed append must not stop the lines queued after it from being tried.
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Wait for pending appends and close the file. Safe to call twice. */
  async close(): Promise<void> {
    await this.queue;
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }
}

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

/**
 * Rewrite the JSON-lines file `path` keeping only the records `keep` accepts (atomically:
 * `path.part`, fsync, rename). Returns how many records were dropped; the file is left untouched
 * when none are.
 */
export async function filterJsonLines<T>(
  path: string,
  keep: (record: T, index: number) => boolean,
): Promise<number> {
  const { records, torn } = await readJsonLines<T>(path);
  const kept = records.filter(keep);
  const dropped = records.length - kept.length;
  if (dropped === 0 && !torn) return 0;
  await writeTextAtomic(path, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
  return dropped;
}

/** Write `text` to `path` whole or not at all: `path.part`, fsync, rename. */
export async function writeTextAtomic(path: string, text: string): Promise<void> {
  await writeFileAtomic(path, text, { sync: true });
}
