// The CLI run in-process for tests: its exit code and everything it printed.
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
