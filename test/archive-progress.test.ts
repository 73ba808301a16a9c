import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { formatArchiveProgress } from '../src/cli/commands/classify-archive.js';
import { createProgressBar, formatDuration } from '../src/cli/progress.js';
import type { ArchiveProgress } from '../src/pipeline/classify-archive.node.js';

/** A stream that claims to be a terminal, collecting what is drawn on it. */
function fakeTty(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  const s = new PassThrough() as unknown as NodeJS.WriteStream & Record<string, unknown>;
  let out = '';
  Object.assign(s, {
    isTTY,
    columns: 160,
    cursorTo: () => true,
    clearLine: () => true,
    moveCursor: () => true,
  });
  (s as unknown as PassThrough).on('data', (d: Buffer) => (out += d.toString()));
  return { stream: s, text: () => out };
}

describe('createProgressBar', () => {
  it('draws files, bytes, rate and ETA on a terminal', async () => {
    const t = fakeTty(true);
    const bar = createProgressBar({ stream: t.stream });
    bar.update({ done: 0, total: 3, bytes: 0, totalBytes: 3e6 });
    await new Promise((r) => setTimeout(r, 50));
    bar.update({ done: 1, total: 3, bytes: 1.5e6, totalBytes: 3e6 });
    bar.stop();
    const last = t.text().split('\u001b[1G').at(-1)!;
    expect(last).toMatch(
      /50% \| 1\/3 files \| 1\.5 MB of 3\.0 MB \| [\d.]+ [KMG]?B\/s \| ETA \d+s/,
    );
  });
  it('stays silent when the stream is not a terminal', () => {
    const t = fakeTty(false);
    const bar = createProgressBar({ stream: t.stream });
    bar.update({ done: 1, total: 2 });
    bar.stop();
    expect(t.text()).toBe('');
  });
  it('draws a custom status after the bar', () => {
    const t = fakeTty(true);
    const bar = createProgressBar<ArchiveProgress>({
      stream: t.stream,
      status: formatArchiveProgress,
    });
    bar.update(progress(5, 10));
    bar.stop();
    expect(t.text().split('\u001b[1G').at(-1)).toMatch(
      /50% \| 5\/10 products \| 0\.50\/s \| ETA 10s \| 1 positive \| 2 done before/,
    );
  });
  it('is silent everywhere when disabled', () => {
    for (const isTTY of [true, false]) {
      const t = fakeTty(isTTY);
      const bar = createProgressBar({ stream: t.stream, enabled: false, logEverySeconds: 1 });
      bar.update({ done: 1, total: 2 });
      bar.stop();
      expect(t.text()).toBe('');
    }
  });
});

/** A classify-archive progress report with `done` of `total` products. */
function progress(done: number, total: number): ArchiveProgress {
  return {
    done,
    total,
    skipped: 2,
    classified: done - 2,
    failed: 0,
    positives: 1,
    rate: 0.5,
    etaSeconds: (total - done) / 0.5,
  };
}

describe('createProgressBar off a terminal with logEverySeconds (batch logs)', () => {
  afterEach(() => vi.useRealTimers());

  it('logs the first state at once, then at most one line per interval, and the last on stop', () => {
    vi.useFakeTimers({ now: 0 });
    const t = fakeTty(false);
    const bar = createProgressBar<ArchiveProgress>({
      stream: t.stream,
      status: formatArchiveProgress,
      logEverySeconds: 30,
    });
    bar.update(progress(2, 10)); // t = 0: written
    vi.setSystemTime(10_000);
    bar.update(progress(3, 10)); // too soon
    vi.setSystemTime(30_000);
    bar.update(progress(4, 10)); // 30 s after the last line: written
    vi.setSystemTime(31_000);
    bar.update(progress(5, 10)); // too soon, written by stop()
    bar.stop();
    const lines = t.text().trimEnd().split('\n');
    expect(lines).toEqual([
      'alma-classifier: 2/10 products | 0.50/s | ETA 16s | 1 positive | 2 done before',
      'alma-classifier: 4/10 products | 0.50/s | ETA 12s | 1 positive | 2 done before',
      'alma-classifier: 5/10 products | 0.50/s | ETA 10s | 1 positive | 2 done before',
    ]);
  });

  it('does not repeat a line already written when stopped', () => {
    vi.useFakeTimers({ now: 0 });
    const t = fakeTty(false);
    const bar = createProgressBar({ stream: t.stream, unit: 'files', logEverySeconds: 5 });
    bar.update({ done: 1, total: 1 });
    bar.stop();
    expect(t.text()).toBe('alma-classifier: 1/1 files | ETA 0s\n');
  });
});

describe('formatDuration', () => {
  it('writes seconds, minutes and hours the way a log reader scans them', () => {
    expect(formatDuration(42.4)).toBe('42s');
    expect(formatDuration(185)).toBe('3m05s');
    expect(formatDuration(7620)).toBe('2h07m');
    expect(formatDuration(NaN)).toBe('?');
  });
});
