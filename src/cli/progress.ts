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
export interface ProgressBarOptions {
  /** What the items are called (`files`, `images`). Default `'files'`. */
  unit?: string;
  /** Stream to draw on. Default `process.stderr`. */
  stream?: NodeJS.WriteStream;
  /** Force the bar on or off; default: on only when `stream` is a TTY. */
  enabled?: boolean;
}

/** A progress bar that can be updated and stopped; a no-op when disabled. */
export interface ProgressBar {
  /** Redraw with the new state. */
  update(state: ProgressState): void;
  /** Finish and release the terminal line. */
  stop(): void;
}

/**
 * A progress bar on stderr showing items, bytes, transfer rate and ETA (from bytes when the
 * total is known, else from items). Quiet (no output at all) when stderr is not a terminal, so
 * logs and piped output stay clean.
 */
export function createProgressBar(opts: ProgressBarOptions = {}): ProgressBar {
  const stream = opts.stream ?? process.stderr;
  const enabled = opts.enabled ?? Boolean(stream.isTTY);
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  const unit = opts.unit ?? 'files';
  const start = Date.now();
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `{bar} {percentage}% | {done}/{items_total} ${unit} | {bytes} | {rate} | ETA {eta_text}`,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(s) {
      const byBytes = s.totalBytes !== undefined && s.totalBytes > 0 && s.bytes !== undefined;
      const total = byBytes ? s.totalBytes! : Math.max(s.total, 1);
      const value = byBytes ? Math.min(s.bytes!, s.totalBytes!) : s.done;
      const secs = (Date.now() - start) / 1000;
      const rate = s.bytes !== undefined && secs > 0 ? `${formatBytes(s.bytes / secs)}/s` : '';
      const remaining = value > 0 && secs > 0 ? ((total - value) * secs) / value : NaN;
      const payload = {
        done: s.done,
        items_total: s.total,
        bytes:
          s.bytes !== undefined
            ? `${formatBytes(s.bytes)}${s.totalBytes ? ` of ${formatBytes(s.totalBytes)}` : ''}`
            : '',
        rate,
        eta_text: Number.isFinite(remaining) ? `${Math.round(remaining)}s` : '?',
      };
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
