import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, appendFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PipelineError } from '../src/core/errors.js';
import { JsonLinesWriter, filterJsonLines, readJsonLines } from '../src/core/jsonl.node.js';
import { Journal } from '../src/pipeline/journal.node.js';
import { mergeResults, productReportData, writeMergedResults } from '../src/pipeline/merge.node.js';
import { rankResults, type ProductResult } from '../src/pipeline/results.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'alma-journal-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function result(url: string, score: number, extra: Partial<ProductResult> = {}): ProductResult {
  return {
    url,
    file: url.split('/').pop() ?? url,
    score,
    label: score >= 0.5 ? 'dust-in-wind' : 'other',
    positive: score >= 0.5,
    sources: [],
    product: {},
    at: '2026-01-01T00:00:00.000Z',
    ...extra,
  };
}

describe('readJsonLines', () => {
  it('reads a missing file as empty', async () => {
    expect(await readJsonLines(join(dir, 'none.jsonl'))).toEqual({
      records: [],
      completeBytes: 0,
      torn: false,
    });
  });

  it('ignores a torn last line (no newline) and reports where the complete lines end', async () => {
    const p = join(dir, 'a.jsonl');
    await writeFile(p, '{"url":"a"}\n{"url":"b"}\n{"url":"c"');
    const r = await readJsonLines<{ url: string }>(p);
    expect(r.records.map((x) => x.url)).toEqual(['a', 'b']);
    expect(r.torn).toBe(true);
    expect(r.completeBytes).toBe('{"url":"a"}\n{"url":"b"}\n'.length);
  });

  it('throws naming file and line when a line before the last is damaged', async () => {
    const p = join(dir, 'bad.jsonl');
    await writeFile(p, '{"url":"a"}\n{"url":\n{"url":"c"}\n');
    await expect(readJsonLines(p)).rejects.toThrow(PipelineError);
    await expect(readJsonLines(p)).rejects.toThrow(`${p}:2`);
  });
  it("skips a damaged line with damaged: 'skip' (a record that can be redone)", async () => {
    const p = join(dir, 'skip.jsonl');
    await writeFile(p, '{"url":"a"}\n{"url":\n{"url":"c"}\n{"url":"d');
    const r = await readJsonLines(p, { damaged: 'skip' });
    expect(r.records).toEqual([{ url: 'a' }, { url: 'c' }]);
    expect(r.torn).toBe(true);
    expect(r.completeBytes).toBe('{"url":"a"}\n{"url":\n{"url":"c"}\n'.length);
  });
});

describe('JsonLinesWriter', () => {
  it('cuts off a torn line before appending, so the next line stands alone', async () => {
    const p = join(dir, 'w.jsonl');
    await writeFile(p, '{"n":1}\n{"n":2,"tor');
    const w = await JsonLinesWriter.open(p);
    await w.append({ n: 3 });
    await w.close();
    expect(await readFile(p, 'utf8')).toBe('{"n":1}\n{"n":3}\n');
  });

  it('never interleaves lines of concurrent appends', async () => {
    const p = join(dir, 'c.jsonl');
    const w = await JsonLinesWriter.open(p);
    const big = 'x'.repeat(10_000);
    await Promise.all(Array.from({ length: 200 }, (_, n) => w.append({ n, big })));
    await w.close();
    const { records, torn } = await readJsonLines<{ n: number; big: string }>(p);
    expect(torn).toBe(false);
    expect(records.map((r) => r.n)).toEqual([...Array(200).keys()]);
    expect(records.every((r) => r.big === big)).toBe(true);
    await expect(w.append({ n: 0 })).rejects.toThrow(/closed/);
  });

  it('leaves only complete lines when the writing process is SIGKILLed mid-stream', async () => {
    const p = join(dir, 'killed.jsonl');
    const script = join(dir, 'writer.mts');
    const mod = resolve('src/core/jsonl.node.ts');
    await writeFile(
      script,
      `import { JsonLinesWriter } from ${JSON.stringify(mod)};\n` +
        `const w = await JsonLinesWriter.open(${JSON.stringify(p)});\n` +
        `const pad = 'y'.repeat(5000);\n` +
        `for (let n = 0; ; n++) { await w.append({ n, pad }); if (n === 20) process.stdout.write('go\\n'); }\n`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((done, fail) => {
      child.stdout.on('data', () => done());
      child.on('exit', (code) => fail(new Error(`writer exited early (${code})`)));
    });
    await new Promise((r) => setTimeout(r, 150));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const before = await readJsonLines<{ n: number }>(p);
    expect(before.records.length).toBeGreaterThan(20);
    expect(before.records.map((r) => r.n)).toEqual([...Array(before.records.length).keys()]);
    // Reopening and appending continues the sequence with no fragment in between.
    const w = await JsonLinesWriter.open(p);
    await w.append({ n: -1 });
    await w.close();
    const after = await readJsonLines<{ n: number }>(p);
    expect(after.torn).toBe(false);
    expect(after.records.at(-1)?.n).toBe(-1);
    expect(after.records.length).toBe(before.records.length + 1);
  }, 30_000);
});

describe('Journal', () => {
  it('remembers done products across reopen; failed ones stay not done', async () => {
    const p = join(dir, 'journal.jsonl');
    const j = await Journal.open(p);
    await j.markDone('u1');
    await j.markFailed('u2', 'HTTP 500');
    await j.close();
    const k = await Journal.open(p);
    expect(k.isDone('u1')).toBe(true);
    expect(k.isDone('u2')).toBe(false);
    await k.markDone('u2');
    await k.close();
    expect([...(await Journal.open(p)).done].sort()).toEqual(['u1', 'u2']);
  });

  it('does not count a product whose done line was torn', async () => {
    const p = join(dir, 'journal.jsonl');
    await writeFile(p, '{"url":"u1","status":"done","at":"t"}\n{"url":"u2","status":"do');
    const j = await Journal.open(p);
    expect(j.isDone('u1')).toBe(true);
    expect(j.isDone('u2')).toBe(false);
    await j.close();
  });
});

describe('filterJsonLines', () => {
  it('rewrites the file without the rejected records and leaves a clean file untouched', async () => {
    const p = join(dir, 'f.jsonl');
    await writeFile(p, '{"u":1}\n{"u":2}\n{"u":3}\n');
    expect(await filterJsonLines<{ u: number }>(p, (r) => r.u !== 2)).toBe(1);
    expect(await readFile(p, 'utf8')).toBe('{"u":1}\n{"u":3}\n');
    expect(await filterJsonLines<{ u: number }>(p, () => true)).toBe(0);
  });
});

describe('rankResults', () => {
  it('keeps the first record of each URL, ranks by score, breaks ties by URL, NaN last', () => {
    const r = rankResults([
      result('b', 0.5),
      result('a', 0.9),
      result('c', Number.NaN),
      result('a', 0.1),
      result('d', 0.5),
    ]);
    expect(r.results.map((x) => x.url)).toEqual(['a', 'b', 'd', 'c']);
    expect(r.results[0].score).toBe(0.9);
    expect(r.duplicates).toBe(1);
    expect(
      rankResults([result('a', 0.9), result('b', 0.2)], { positivesOnly: true }).results,
    ).toHaveLength(1);
  });
});

describe('mergeResults', () => {
  async function run(
    name: string,
    shard: { index: number; count: number } | undefined,
    rows: ProductResult[],
    doneUrls: string[],
    total = rows.length,
  ): Promise<string> {
    const d = join(dir, name);
    await mkdir(d);
    await writeFile(
      join(d, 'candidates.jsonl'),
      rows.map((r) => JSON.stringify(r) + '\n').join(''),
    );
    await writeFile(
      join(d, 'journal.jsonl'),
      doneUrls.map((url) => JSON.stringify({ url, status: 'done', at: 't' }) + '\n').join(''),
    );
    await writeFile(
      join(d, 'run.json'),
      JSON.stringify({ version: 1, shard, total, threshold: 0.5, startedAt: 't' }),
    );
    return d;
  }

  it('takes each product once, trusting each journal, and ranks them', async () => {
    const a = await run(
      'shard-0',
      { index: 0, count: 2 },
      [result('u1', 0.2), result('u2', 0.8), result('u3', 0.9)],
      ['u1', 'u2'],
    );
    // u3's result line was written but the kill came before its journal line: not merged.
    await appendFile(join(a, 'candidates.jsonl'), '{"url":"u9","sco');
    const b = await run(
      'shard-1',
      { index: 1, count: 2 },
      [result('u4', 0.6), result('u2', 0.8)],
      ['u4', 'u2'],
    );
    const m = await mergeResults([a, b]);
    expect(m.results.map((r) => r.url)).toEqual(['u2', 'u4', 'u1']);
    expect(m.duplicates).toBe(1);
    expect(m.runs.map((r) => [r.results, r.total, r.complete])).toEqual([
      [2, 3, false],
      [2, 2, true],
    ]);
    expect(m.warnings.join('\n')).toMatch(/shard-0: 2 of 3 products done/);
    expect(m.warnings.join('\n')).toMatch(/shard-1: 1 products already merged/);
  });

  it('warns when a shard of the array is missing', async () => {
    const a = await run('s0', { index: 0, count: 3 }, [result('u1', 0.2)], ['u1']);
    const c = await run('s2', { index: 2, count: 3 }, [result('u3', 0.2)], ['u3']);
    const m = await mergeResults([a, c]);
    expect(m.warnings).toContain('shards 1/3 missing from the merge');
  });

  it('rejects a directory that is not a run output', async () => {
    await mkdir(join(dir, 'empty'));
    await expect(mergeResults([join(dir, 'empty')])).rejects.toThrow(
      /not a classify-archive output/,
    );
    await expect(mergeResults([])).rejects.toThrow(PipelineError);
  });

  it('resolves thumbnails against their run directory and puts them in the report data', async () => {
    const a = await run(
      'with-thumbs',
      undefined,
      [
        result('u1', 0.9, {
          thumbnail: 'thumbs/u1.png',
          product: { memberOus: 'uid://A001/X1/X2', target: 'HD 1' },
        }),
        result('u2', 0.7, { thumbnail: 'thumbs/gone.png' }),
      ],
      ['u1', 'u2'],
    );
    await mkdir(join(a, 'thumbs'));
    const png = new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]);
    await writeFile(join(a, 'thumbs', 'u1.png'), png);
    const m = await mergeResults([a]);
    expect(m.results[0].thumbnail).toBe(join(a, 'thumbs/u1.png'));
    const data = await productReportData(m.results, { title: 'T' });
    expect(data.candidates.map((c) => c.id)).toEqual(['u1', 'u2']);
    expect(data.candidates[0].image).toEqual(png);
    expect(data.candidates[0].memberOus).toBe('uid://A001/X1/X2');
    expect(data.candidates[0].target).toBe('HD 1');
    expect(data.candidates[1].image).toBeUndefined();
  });

  it('writes the merged list as JSON lines and as one JSON array', async () => {
    const out = join(dir, 'merged');
    await mkdir(out);
    await writeMergedResults([result('u2', 0.8), result('u1', 0.2)], out);
    const lines = await readJsonLines<ProductResult>(join(out, 'candidates.jsonl'));
    expect(lines.records.map((r) => r.url)).toEqual(['u2', 'u1']);
    const json = JSON.parse(
      await readFile(join(out, 'candidates.json'), 'utf8'),
    ) as ProductResult[];
    expect(json.map((r) => r.score)).toEqual([0.8, 0.2]);
  });
});
