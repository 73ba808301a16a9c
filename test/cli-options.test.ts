import { existsSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { buildProgram, main } from '../src/cli/main.js';
import { checkNumber, checkNumberList } from '../src/cli/options.js';

/** Run the CLI in-process; what it wrote on stderr, and its exit code. */
async function run(...args: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const write = vi
    .spyOn(process.stderr, 'write')
    .mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
  process.exitCode = undefined;
  try {
    return { code: await main(['node', 'alma-classifier', ...args]), err };
  } finally {
    write.mockRestore();
    process.exitCode = undefined;
  }
}

describe('checkNumber', () => {
  it('returns the number when the rule accepts it', () => {
    expect(checkNumber('--concurrency', '4', { integer: true, min: 1 })).toBe(4);
    expect(checkNumber('--threshold', '0.25', { min: 0, max: 1, noun: 'score' })).toBe(0.25);
    expect(checkNumber('--seed', '-3', { integer: true })).toBe(-3);
    expect(checkNumber('--timeout', '1e-3', { positive: true })).toBe(0.001);
  });

  it('names the option, what it takes and the text given when it refuses', () => {
    expect(() => checkNumber('--concurrency', '0', { integer: true, min: 1 })).toThrow(
      new RangeError('--concurrency must be a whole number ≥ 1, got "0"'),
    );
    expect(() => checkNumber('--concurrency', '1.5', { integer: true, min: 1 })).toThrow(
      /whole number ≥ 1, got "1\.5"/,
    );
    expect(() => checkNumber('--threshold', '2', { min: 0, max: 1, noun: 'score' })).toThrow(
      '--threshold must be a score in [0, 1], got "2"',
    );
    expect(() =>
      checkNumber('--timeout', '0', { positive: true, noun: 'number of seconds' }),
    ).toThrow('--timeout must be a positive number of seconds, got "0"');
    expect(() => checkNumber('--seed', 'x', { integer: true })).toThrow(
      '--seed must be an integer, got "x"',
    );
    expect(() => checkNumber('--dec', '91', { min: -90, max: 90 })).toThrow(
      '--dec must be a number in [-90, 90], got "91"',
    );
  });

  it('refuses empty text, infinities and NaN, which Number() would let through', () => {
    for (const text of ['', '  ', 'Infinity', 'NaN', '0x']) {
      expect(() => checkNumber('--lr', text), text).toThrow(RangeError);
    }
  });
});

describe('checkNumberList', () => {
  it('reads comma-separated numbers, each checked', () => {
    expect(checkNumberList('--plane', '0,12', { integer: true, min: 0 })).toEqual([0, 12]);
    expect(checkNumberList('--plane', ' 3 ', { integer: true, min: 0 })).toEqual([3]);
  });
  it('refuses the whole list when one number is bad', () => {
    for (const text of ['0,x', '0,,1', '-1', '']) {
      expect(() => checkNumberList('--plane', text, { integer: true, min: 0 }), text).toThrow(
        `--plane must be whole numbers ≥ 0 separated by commas, got ${JSON.stringify(text)}`,
      );
    }
  });
});

describe('number options of the commands', () => {
  it('parse to numbers, with numeric defaults; a repeatable list collects every use', () => {
    const search = buildProgram().commands.find((c) => c.name() === 'search')!;
    search.parseOptions(['--band', '6', '--band', '7,8', '--ra', '10.5', '--dec', '-5']);
    expect(search.opts()).toMatchObject({
      band: [6, 7, 8],
      ra: 10.5,
      dec: -5,
      radius: 1,
      timeout: 60,
      retries: 3,
    });
    const inspect = buildProgram().commands.find((c) => c.name() === 'inspect')!;
    inspect.parseOptions(['--plane', '0,12', '--plane', '1,3', '--hdu', '2']);
    expect(inspect.opts()).toEqual({ plane: [1, 3], hdu: 2 });
  });

  it('a bad value ends any command with one line naming the option, exit code 1, before any work', async () => {
    const cases: [string[], string][] = [
      [
        ['download', '--dir', 'never-created', 'uid://x', '--concurrency', '0'],
        '--concurrency must be a whole number ≥ 1, got "0"',
      ],
      [
        ['search', '--keyword', 'x', '--timeout', '0'],
        '--timeout must be a positive number of seconds, got "0"',
      ],
      [['search', '--keyword', 'x', '--retries', '-1'], '--retries must be a whole number ≥ 0'],
      [['search', '--ra', '1', '--dec', '100'], '--dec must be a number in [-90, 90]'],
      [
        ['search', '--keyword', 'x', '--band', '6', '--band', '7,eleven'],
        '--band must be whole numbers in [1, 10] separated by commas, got "7,eleven"',
      ],
      [
        ['classify-archive', '--model', 'm', '--out', 'o', '--keyword', 'x', '--threshold', '1.5'],
        '--threshold must be a score in [0, 1], got "1.5"',
      ],
      [
        ['train', '--data', 'd', '--out', 'o', '--epochs', 'ten'],
        '--epochs must be a whole number ≥ 1',
      ],
      [['classify', 'x.fits', '--model', 'm', '--batch-size', '0'], '--batch-size must be'],
      [['evaluate', '--model', 'm', '--data', 'd', '--threshold', 'high'], '--threshold must be'],
      [
        ['evaluate', '--model', 'm', '--data', 'd', '--tta', 'sideways'],
        '--tta must be one of none, flips, dihedral, got "sideways"',
      ],
      [['report', 'dir', '--max', '0'], '--max must be a whole number ≥ 1, got "0"'],
      [['prepare', '--out', 'o', '--seed', '1.5'], '--seed must be an integer, got "1.5"'],
      [['prepare', '--out', 'o', '--synthetic-negatives', '-2'], '--synthetic-negatives must be'],
      [['demo', '--limit', '0'], '--limit must be a whole number ≥ 1'],
      [['inspect', 'x.fits', '--hdu', '1,2'], '--hdu must be a whole number ≥ 0, got "1,2"'],
      [['inspect', 'x.fits', '--plane', '0,-1'], '--plane must be whole numbers ≥ 0'],
    ];
    for (const [args, message] of cases) {
      const r = await run(...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err, args.join(' ')).toMatch(/^alma-classifier: /);
      expect(r.err, args.join(' ')).toContain(message);
      expect(r.err.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
    expect(existsSync('never-created')).toBe(false);
  });
});
