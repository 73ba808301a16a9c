// Running the Python peers (astropy, numpy) from tests; tests skip when they are missing.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's Python, the one with python3-astropy. */
export const PYTHON = '/usr/bin/python3';

/** Whether `PYTHON` can import every module named (e.g. `'astropy.wcs'`). */
export function pythonHas(...modules: string[]): boolean {
  if (!existsSync(PYTHON)) return false;
  try {
    execFileSync(PYTHON, ['-c', modules.map((m) => `import ${m}`).join('; ')], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Run a Python script with arguments and parse what it prints as JSON. */
export function pythonJson<T>(script: string, ...args: string[]): T {
  const out = execFileSync(PYTHON, ['-c', script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONWARNINGS: 'ignore' },
  }).toString();
  return JSON.parse(out) as T;
}
