import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgressBar } from '../src/cli/progress.js';

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
});
