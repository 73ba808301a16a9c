/**
 * Append-only JSON-lines files that survive a kill: every line is written whole and fsync'd
 * before the call returns, a torn last line (the process died mid-write) is ignored on read and
 * cut off before the next append, so a line either exists complete or not at all. The one
 * JSON-lines reader and writer of the package: the archive run's journal and results, the label
 * store (`labels.jsonl`) and the downloads' record of saved files all go through it.
 */
import { open, readFile, truncate, type FileHandle } from 'node:fs/promises';
import { writeFileAtomic } from './atomic.node.js';
import { PipelineError } from './errors.js';

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

/** Options of {@link readJsonLines}. */
export interface ReadJsonLinesOptions {
  /**
   * What an unparsable line before the last one means: `'throw'` (the default) that the file was
   * damaged, so reading throws; `'skip'` that the line is left out, for files that are a cache
   * of what can be redone (the downloads' record).
   */
  damaged?: 'throw' | 'skip';
}

/**
 * Read a JSON-lines file written by {@link JsonLinesWriter}. A missing file reads as empty. The
 * last line is dropped when it has no newline or does not parse (a write cut short by a kill);
 * an unparsable line before the last one means the file was damaged otherwise and throws (or is
 * skipped, see {@link ReadJsonLinesOptions.damaged}).
 *
 * @throws PipelineError naming the file and line number of a damaged line
 */
export async function readJsonLines<T = unknown>(
  path: string,
  opts: ReadJsonLinesOptions = {},
): Promise<JsonLines<T>> {
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
        if (opts.damaged === 'skip') {
          start = nl + 1;
          continue;
        }
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
        // appendFile loops until the whole line is written (a bare write may write part of it).
        await handle.appendFile(line);
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

/**
 * Rewrite the JSON-lines file `path` keeping only the records `keep` accepts (atomically:
 * `path.part`, fsync, rename). Returns how many records were dropped; the file is left untouched
 * when none are.
 *
 * @param path - the JSON-lines file
 * @param keep - whether to keep a record
 */
export async function filterJsonLines<T>(
  path: string,
  keep: (record: T, index: number) => boolean,
): Promise<number> {
  const { records, torn } = await readJsonLines<T>(path);
  const kept = records.filter(keep);
  const dropped = records.length - kept.length;
  if (dropped === 0 && !torn) return 0;
  await writeFileAtomic(path, kept.map((r) => `${JSON.stringify(r)}\n`).join(''), { sync: true });
  return dropped;
}
