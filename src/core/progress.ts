/**
 * What a long operation reports through its `onProgress` callback: one shape across the archive,
 * dataset and pipeline modules (downloads, dataset builds, `classify`, `classifyArchive`, the
 * demo). Operations add their own fields (bytes, rates, the current step) to it.
 */
export interface Progress {
  /** Items finished so far: files, sources or products, whether done, skipped or failed. */
  done: number;
  /**
   * Items in all; undefined when not known in advance (a dataset built from a stream of
   * inputs).
   */
  total?: number;
  /** The file (or source name) that last made progress. */
  file?: string;
}
