import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveProducts } from './helpers/products.js';
import { refusedUrl, startReplayServer, type ReplayServer } from './helpers/replay-server.js';

const repo = resolve(__dirname, '..');
const tmp = mkdtempSync(join(tmpdir(), 'alma-examples-'));
let server: ReplayServer;

beforeAll(async () => {
  server = await startReplayServer();
  serveProducts(server, {
    count: 12,
    seed: 9,
    size: 64,
    keyword: 'Outflows, jets and ionized winds',
  });
});
afterAll(async () => {
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Run an example with tsx (`env.argv`: its one argument); resolve with its exit code and output. */
function runExample(
  file: string,
  env: Record<string, string>,
): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    const { argv, ...vars } = env;
    const child = spawn(
      process.execPath,
      [join(repo, 'node_modules', 'tsx', 'dist', 'cli.mjs'), file, ...(argv ? [argv] : [])],
      {
        cwd: repo,
        env: { ...process.env, ...vars },
      },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => done({ code, out }));
  });
}

describe('examples run', () => {
  it('dust-in-wind.ts: search → download → dataset → train → classify → report (replay server)', async () => {
    const out = join(tmp, 'dust');
    const r = await runExample('examples/dust-in-wind.ts', {
      ALMA_MIRROR: server.url,
      SAMPLE: '8',
      EPOCHS: '1',
      OUT: out,
    });
    expect(r.out).toContain('8 files downloaded');
    expect(r.code).toBe(0);
    const report = join(out, 'report', 'index.html');
    expect(existsSync(report)).toBe(true);
    expect(readFileSync(report, 'utf8')).toContain('Dust in winds');
  }, 240_000);

  it('offline: search-archive.ts and dust-in-wind.ts say the archive cannot be reached, exit 1, no stack trace', async () => {
    const nowhere = await refusedUrl();
    const [search, dust] = await Promise.all([
      runExample(join('examples', 'search-archive.ts'), { argv: nowhere }),
      runExample('examples/dust-in-wind.ts', { ALMA_MIRROR: nowhere, OUT: join(tmp, 'offline') }),
    ]);
    for (const r of [search, dust]) {
      expect(r.code, r.out).toBe(1);
      expect(r.out).toMatch(/The ALMA archive cannot be reached: .*127\.0\.0\.1/);
      expect(r.out).toMatch(/choose another mirror/);
      expect(r.out).not.toMatch(/\n\s+at /);
    }
  }, 120_000);

  it('spiral-galaxies/run.ts: a second profile end to end with no edit to src/', async () => {
    const r = await runExample('examples/spiral-galaxies/run.ts', {});
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/accuracy/i);
  }, 240_000);
});
