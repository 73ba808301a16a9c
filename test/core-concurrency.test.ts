import { describe, expect, it } from 'vitest';
import { mapConcurrent } from '../src/core/concurrency.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('mapConcurrent', () => {
  it('keeps the input order whatever order the calls end in, with at most `concurrency` in flight', async () => {
    let now = 0;
    let peak = 0;
    const out = await mapConcurrent([5, 4, 3, 2, 1, 0], 3, async (ms, i) => {
      peak = Math.max(peak, ++now);
      await sleep(ms * 4);
      now--;
      return `${i}:${ms}`;
    });
    expect(out).toEqual(['0:5', '1:4', '2:3', '3:2', '4:1', '5:0']);
    expect(peak).toBe(3);
    expect(await mapConcurrent([], 2, async () => 1)).toEqual([]);
  });

  it('after a failure starts nothing new, lets the calls in flight end, then throws the first error', async () => {
    const started: number[] = [];
    const ended: number[] = [];
    const run = mapConcurrent([0, 1, 2, 3, 4, 5], 2, async (i) => {
      started.push(i);
      await sleep(i === 0 ? 5 : 20);
      ended.push(i);
      if (i === 0) throw new Error('first');
      if (i === 1) throw new Error('second');
      return i;
    });
    await expect(run).rejects.toThrow('first');
    expect(started).toEqual([0, 1]);
    expect(ended).toEqual([0, 1]);
  });

  it('an aborted signal starts nothing new, lets the calls in flight end, then rejects with its reason', async () => {
    const stop = new AbortController();
    const started: number[] = [];
    const ended: number[] = [];
    const run = mapConcurrent(
      [0, 1, 2, 3, 4, 5],
      2,
      async (i) => {
        started.push(i);
        if (i === 1) stop.abort();
        await sleep(10);
        ended.push(i);
        return i;
      },
      { signal: stop.signal },
    );
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(started).toEqual([0, 1]);
    expect(ended).toEqual([0, 1]);
    // aborted before it starts: no call; aborted once every item started: the results
    const calls: number[] = [];
    const reason = new Error('stopped');
    await expect(
      mapConcurrent([1, 2], 1, async (x) => void calls.push(x), {
        signal: AbortSignal.abort(reason),
      }),
    ).rejects.toBe(reason);
    expect(calls).toEqual([]);
    const late = new AbortController();
    const all = await mapConcurrent(
      [1, 2],
      2,
      async (x) => {
        if (x === 2) late.abort(); // the last item has started
        await sleep(1);
        return x * 10;
      },
      { signal: late.signal },
    );
    expect(all).toEqual([10, 20]);
  });

  it('refuses a concurrency that is not a whole number ≥ 1', async () => {
    for (const c of [0, 1.5, NaN]) {
      await expect(mapConcurrent([1], c, async (x) => x)).rejects.toThrow(RangeError);
    }
  });
});
