import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dataLinkDocument,
  refusedUrl,
  startReplayServer,
  type ReplayServer,
} from './helpers/replay-server.js';

const ROOT = new URL('..', import.meta.url).pathname;
const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/archive/${name}`, import.meta.url), 'utf8');
const FITS_NAME = 'member.uid___A001_X12a2_X10d._COS850.0005__sci.spw5_7_9_11.cont.I.pbcor.fits';
const FITS = new Uint8Array(readFileSync(new URL(`./fixtures/fits/${FITS_NAME}`, import.meta.url)));

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('npx', ['tsx', 'src/cli/main.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

let server: ReplayServer;
let tmp: string;
beforeAll(async () => {
  server = await startReplayServer({ tap: fixture('obscore-keysearch.binary2.xml') });
  tmp = mkdtempSync(join(tmpdir(), 'alma-cli-'));
  // The two observations the thesis query keeps each list one pipeline product and a README.
  for (const [uid, name] of [
    [
      'uid://A001/X1465/X16a',
      `member.uid___A001_X1465_X16a._CrAus_09__sci.spw25.cont.I.pbcor.fits`,
    ],
    ['uid://A001/X133d/X3486', `member.uid___A001_X133d_X3486._G328__sci.spw31.cont.I.pbcor.fits`],
  ]) {
    const url = server.addFile(name, FITS);
    server.dataLink(
      uid,
      dataLinkDocument([
        { id: uid, accessUrl: url, contentLength: FITS.length },
        {
          id: uid,
          accessUrl: `${server.url}/files/README.txt`,
          contentLength: 10,
          semantics: '#documentation',
        },
        {
          id: uid,
          accessUrl: `${server.url}/files/${name.replace('.cont.', '.line.')}`,
          contentLength: 99,
        },
      ]),
    );
  }
});
afterAll(async () => {
  await server.close();
  rmSync(tmp, { recursive: true, force: true });
});

const thesis = [
  '--keyword',
  'Outflows, jets and ionized winds',
  '--keyword',
  'Low-mass star formation',
];
const filters = ['--released-after', '2016-01-01', '--max-resolution', '0.4'];

describe('alma-classifier search / files / download', () => {
  it('search prints an ALminer-like summary and table, writes CSV, and --json feeds files and download', async () => {
    const csv = join(tmp, 'results.csv');
    const text = await cli(['search', ...thesis, ...filters, '--mirror', server.url, '--csv', csv]);
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Number of projects = 2');
    expect(text.stdout).toContain('Number of observations = 2');
    expect(text.stdout).toMatch(/CrAus_09.*\n.*G328\.2551-0\.5321_A/);
    expect(readFileSync(csv, 'utf8').split('\n')[0]).toBe(
      'project_code,ALMA_source_name,obs_id,member_ous_uid,RAJ2000,DEJ2000,band,ang_res_arcsec,FoV_arcsec,min_freq_GHz,max_freq_GHz,obs_release_date,data_rights,science_keyword',
    );

    const json = await cli(['search', ...thesis, ...filters, '--mirror', server.url, '--json']);
    const results = join(tmp, 'results.json');
    writeFileSync(results, json.stdout);
    expect(JSON.parse(json.stdout).observations).toHaveLength(2);

    const files = await cli(['files', '--from', results, '--mirror', server.url, '--json']);
    expect(files.code).toBe(0);
    const list = JSON.parse(files.stdout);
    expect(list.products.map((p: { fileName: string }) => p.fileName)).toEqual([
      'member.uid___A001_X1465_X16a._CrAus_09__sci.spw25.cont.I.pbcor.fits',
      'member.uid___A001_X133d_X3486._G328__sci.spw31.cont.I.pbcor.fits',
    ]);
    const productsFile = join(tmp, 'products.json');
    writeFileSync(productsFile, files.stdout);

    const dry = await cli([
      'download',
      '--from',
      productsFile,
      '--dir',
      join(tmp, 'data'),
      '--dry-run',
    ]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('Number of files to download = 2');
    expect(dry.stdout).toContain('Needed disk space = 316.8 KB');
    expect(existsSync(join(tmp, 'data'))).toBe(false);

    const dl = await cli([
      'download',
      '--from',
      results,
      '--dir',
      join(tmp, 'data'),
      '--mirror',
      server.url,
      '--sample',
      '1',
      '--seed',
      '3',
    ]);
    expect(dl.code).toBe(0);
    expect(dl.stdout).toMatch(/Downloaded 1, already present 0, unauthorised 0, failed 0/);
    // The one file sampled, and the record of what was saved where.
    expect(readdirSync(join(tmp, 'data')).sort()).toEqual([
      '.alma-downloads.jsonl',
      expect.stringMatching(/\.pbcor\.fits$/),
    ]);
    expect(dl.stderr).toBe(''); // no progress bar when stderr is not a terminal
  }, 120_000);

  it('files explains which filter removed everything', async () => {
    const r = await cli([
      'files',
      'uid://A001/X1465/X16a',
      '--include',
      '.pbcor,_sci,.cont,.nothing',
      '--mirror',
      server.url,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /Nothing left to download: fitsOnly removed 1 \(e\.g\. README\.txt\); include "\.cont" removed 1 \(e\.g\. .*\.line\.I\.pbcor\.fits\); include "\.nothing" removed 1/,
    );
  }, 90_000);

  it('prints the ArchiveError message without a stack trace and exits 1', async () => {
    const bad = await cli([
      'search',
      '--keyword',
      'Low mass star formaton',
      '--mirror',
      server.url,
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /^alma-classifier: unknown science_keyword "Low mass star formaton".*closest are "Low-mass star formation"/,
    );
    expect(bad.stderr).not.toMatch(/\n\s+at /);

    const dead = await refusedUrl();
    const down = await cli(['search', ...thesis, '--mirror', dead, '--retries', '0']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(new RegExp(`^alma-classifier: ${dead}/tap/sync: request failed`));
    expect(down.stderr).not.toMatch(/\n\s+at /);
  }, 90_000);
});
