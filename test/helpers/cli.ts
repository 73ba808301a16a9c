// The CLI run in-process for tests: its exit code and everything it printed.
import { Command } from 'commander';
import { vi } from 'vitest';
import { main } from '../../src/cli/main.js';

/** What one CLI run returned and wrote. */
export interface CliRun {
  /** The exit code `main` returned. */
  code: number;
  /** Standard output (and `console.log`). */
  out: string;
  /** Standard error. */
  err: string;
}

/** Captures `console.log`, standard output and standard error until `restore` is called. */
function capture(): { readonly out: string; readonly err: string; restore(): void } {
  const got = { out: '', err: '' };
  const spies = [
    vi
      .spyOn(console, 'log')
      .mockImplementation((...a: unknown[]) => void (got.out += `${a.join(' ')}\n`)),
    vi.spyOn(process.stdout, 'write').mockImplementation((c) => ((got.out += String(c)), true)),
    vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((got.err += String(c)), true)),
  ];
  return {
    get out() {
      return got.out;
    },
    get err() {
      return got.err;
    },
    restore: () => spies.forEach((s) => s.mockRestore()),
  };
}

/** Runs `alma-classifier ...args` in this process, capturing its output. */
export async function runCli(...args: string[]): Promise<CliRun> {
  const io = capture();
  process.exitCode = undefined;
  try {
    const code = await main(['node', 'alma-classifier', ...args]);
    return { code, out: io.out, err: io.err };
  } finally {
    io.restore();
    process.exitCode = undefined;
  }
}

/** What {@link runCommand} returned: the output and the error the command threw, if any. */
export interface CommandRun {
  /** Standard output (and `console.log`). */
  out: string;
  /** Standard error. */
  err: string;
  /** What the command threw (its typed error), or `undefined` when it succeeded. */
  error?: Error;
}

/**
 * Runs one command that `register` adds to a fresh program, capturing its output and keeping
 * what it throws (so a test can check the error's type, which {@link runCli} prints instead).
 */
export async function runCommand(
  register: (program: Command) => void,
  args: string[],
): Promise<CommandRun> {
  const io = capture();
  const program = new Command('alma-classifier').exitOverride();
  register(program);
  try {
    await program.parseAsync(['node', 'alma-classifier', ...args]);
    return { out: io.out, err: io.err };
  } catch (error) {
    return { out: io.out, err: io.err, error: error as Error };
  } finally {
    io.restore();
  }
}
