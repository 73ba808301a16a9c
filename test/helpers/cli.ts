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

/** Runs `alma-classifier ...args` in this process, capturing its output. */
export async function runCli(...args: string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const log = vi
    .spyOn(console, 'log')
    .mockImplementation((...a: unknown[]) => void (out += `${a.join(' ')}\n`));
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => ((out += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((err += String(c)), true));
  process.exitCode = undefined;
  try {
    return { code: await main(['node', 'alma-classifier', ...args]), out, err };
  } finally {
    log.mockRestore();
    o.mockRestore();
    e.mockRestore();
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
  let out = '';
  let err = '';
  const log = vi
    .spyOn(console, 'log')
    .mockImplementation((...a: unknown[]) => void (out += `${a.join(' ')}\n`));
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => ((out += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((err += String(c)), true));
  const program = new Command('alma-classifier').exitOverride();
  register(program);
  try {
    await program.parseAsync(['node', 'alma-classifier', ...args]);
    return { out, err };
  } catch (error) {
    return { out, err, error: error as Error };
  } finally {
    log.mockRestore();
    o.mockRestore();
    e.mockRestore();
  }
}
