import cliProgress from 'cli-progress';
import { formatBytes } from '../archive/download.js';

/** What a progress bar shows: items (files, images, shards) and optionally bytes. */
export interface ProgressState {
  /** Items finished. */
  done: number;
  /** Items in total. */
  total: number;
  /** Bytes so far, when the work moves bytes. */
  bytes?: number;
  /** Bytes in total, when known. */
  totalBytes?: number;
}

/** Options of {@link createProgressBar}. */
export interface ProgressBarOptions<S extends ProgressState = ProgressState> {
  /** What the items are called (`files`, `images`) in the default status. Default `'files'`. */
  unit?: string;
  /** Stream to write on. Default `process.stderr`. */
  stream?: NodeJS.WriteStream;
  /** `false`: no output at all (a `--no-progress` flag). Default `true`. */
  enabled?: boolean;
  /**
   * The status text after the bar (and of logged lines). Default: items done of total, bytes,
   * transfer rate and ETA.
   */
  status?: (state: S) => string;
  /**
   * When `stream` is not a terminal (a batch job's log), write `alma-classifier: <status>` at
   * the first update, then at most once every this many seconds, and the last state on
   * `stop()` when it was not written yet. Default: no output off a terminal, so logs and piped
   * output stay clean.
   */
  logEverySeconds?: number;
}

/** A progress display that can be updated and stopped; a no-op when disabled. */
export interface ProgressBar<S extends ProgressState = ProgressState> {
  /** Show the new state. */
  update(state: S): void;
  /** Finish: release the terminal line, or log the last state not yet written. */
  stop(): void;
}

/** Seconds as `42s`, `3m05s`, `2h07m`; `?` when not finite (an unknown ETA). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** The bar's value and length: bytes when their total is known, else items. */
function barPosition(s: ProgressState): { value: number; total: number } {
  if (s.totalBytes !== undefined && s.totalBytes > 0 && s.bytes !== undefined)
    return { value: Math.min(s.bytes, s.totalBytes), total: s.totalBytes };
  return { value: s.done, total: Math.max(s.total, 1) };
}

/** The default status: `1/3 files | 1.5 MB of 3.0 MB | 2.0 MB/s | ETA 1s`, rate and ETA since `start`. */
function defaultStatus(unit: string, start: number): (s: ProgressState) => string {
  return (s) => {
    const { value, total } = barPosition(s);
    const secs = (Date.now() - start) / 1000;
    const parts = [`${s.done}/${s.total} ${unit}`];
    if (s.bytes !== undefined) {
      parts.push(
        `${formatBytes(s.bytes)}${s.totalBytes ? ` of ${formatBytes(s.totalBytes)}` : ''}`,
      );
      if (secs > 0) parts.push(`${formatBytes(s.bytes / secs)}/s`);
    }
    const remaining =
      value >= total ? 0 : value > 0 && secs > 0 ? ((total - value) * secs) / value : NaN;
    parts.push(`ETA ${formatDuration(remaining)}`);
    return parts.join(' | ');
  };
}

/**
 * Progress on stderr. On a terminal: a bar with a status text (by default items, bytes,
 * transfer rate and ETA, from bytes when their total is known, else from items). Off a terminal:
 * nothing, or with `logEverySeconds` a status line now and then for batch logs.
 */
export function createProgressBar<S extends ProgressState = ProgressState>(
  opts: ProgressBarOptions<S> = {},
): ProgressBar<S> {
  const stream = opts.stream ?? process.stderr;
  const off: ProgressBar<S> = { update: () => undefined, stop: () => undefined };
  if (opts.enabled === false) return off;
  const status = opts.status ?? defaultStatus(opts.unit ?? 'files', Date.now());
  if (!stream.isTTY) {
    const every = opts.logEverySeconds;
    return every === undefined ? off : logLines(stream, status, every);
  }
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: '{bar} {percentage}% | {status}',
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(s) {
      const { value, total } = barPosition(s);
      const payload = { status: status(s) };
      if (!started) {
        bar.start(total, value, payload);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(value, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** Status lines at most every `seconds`, and the last state on stop when it was not written. */
function logLines<S extends ProgressState>(
  stream: NodeJS.WriteStream,
  status: (s: S) => string,
  seconds: number,
): ProgressBar<S> {
  let last = -Infinity;
  let pending: S | undefined;
  const write = (s: S) => stream.write(`alma-classifier: ${status(s)}\n`);
  return {
    update(s) {
      pending = s;
      const now = Date.now();
      if (now - last >= seconds * 1000) {
        last = now;
        pending = undefined;
        write(s);
      }
    },
    stop() {
      if (pending) write(pending);
      pending = undefined;
    },
  };
}
