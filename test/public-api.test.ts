import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '..');
const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as {
  exports: Record<string, unknown>;
};

const SUBPATHS = ['fits', 'wcs', 'image', 'archive', 'dataset', 'model', 'report', 'pipeline'];

/** The `.ts` source a `./dist/...` target is built from. */
const sourceOf = (target: string): string =>
  resolve(root, target.replace(/^\.\/dist\//, 'src/').replace(/\.(d\.ts|js)$/, '.ts'));

/** `{ types, default }` pairs of an export entry, under every condition. */
function targets(entry: unknown): { types?: string; default?: string }[] {
  const e = entry as Record<string, unknown>;
  if ('default' in e && typeof e.default === 'string') {
    return [e as { types?: string; default?: string }];
  }
  return Object.values(e).flatMap((v) => targets(v));
}

/** Runtime names of a module. */
async function names(path: string): Promise<Set<string>> {
  return new Set(Object.keys((await import(path)) as Record<string, unknown>));
}

describe('public API', () => {
  it('package.json exports every module as a subpath, with types for each condition', () => {
    for (const m of SUBPATHS) {
      const entry = pkg.exports[`./${m}`];
      expect(entry, m).toBeDefined();
      for (const t of targets(entry)) {
        expect(t.types, m).toMatch(/\.d\.ts$/);
        expect(t.default, m).toMatch(/\.js$/);
        expect(existsSync(sourceOf(t.types ?? '')), t.types).toBe(true);
        expect(sourceOf(t.types ?? '')).toBe(sourceOf(t.default ?? ''));
      }
    }
  });

  it("entries list their names: no export * but of the same module's browser entry", () => {
    const entries = [
      'src/index.ts',
      'src/index.node.ts',
      ...SUBPATHS.flatMap((m) => [`src/${m}/index.ts`, `src/${m}/index.node.ts`]),
    ].filter((f) => existsSync(resolve(root, f)));
    const allowed = (file: string, spec: string): boolean =>
      // The roots gather the subpaths; a Node entry adds to its browser entry.
      file.startsWith('src/index')
        ? /^\.\/(\w+\/)?index(\.node)?\.js$/.test(spec)
        : file.endsWith('index.node.ts') && spec === './index.js';
    const offenders: string[] = [];
    for (const file of entries) {
      const text = readFileSync(resolve(root, file), 'utf8');
      for (const m of text.matchAll(/^export \* from '([^']+)'/gm)) {
        if (!allowed(file, m[1])) offenders.push(`${file}: export * from '${m[1]}'`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('keeps internals out of every entry', async () => {
    const internals = [
      'registerTrainingKernels',
      'TRAINING_KERNELS',
      'FusedAdamOptimizer',
      'makeOptimizer',
      'fileSystemHandler',
      'formatBytes',
      'safeFileName',
      'JsonLinesWriter',
      'readJsonLines',
      'filterJsonLines',
      'writeTextAtomic',
      'systemErrorText',
      'mix32',
      'escapeHtml',
      'reviewAppScript',
      'REVIEW_APP_FILE',
      'buildReviewApp',
    ];
    for (const path of [
      '../src/index.node.js',
      '../src/model/index.node.js',
      '../src/archive/index.node.js',
      '../src/pipeline/index.node.js',
    ]) {
      const exported = await names(path);
      expect(
        internals.filter((n) => exported.has(n)),
        path,
      ).toEqual([]);
    }
  });

  it('the root entries still export every name of every subpath', async () => {
    const nodeRoot = await names('../src/index.node.js');
    const browserRoot = await names('../src/index.js');
    for (const m of SUBPATHS) {
      const browser = await names(`../src/${m}/index.js`);
      const node = existsSync(resolve(root, `src/${m}/index.node.ts`))
        ? await names(`../src/${m}/index.node.js`)
        : browser;
      expect(
        [...browser].filter((n) => !browserRoot.has(n)),
        m,
      ).toEqual([]);
      expect(
        [...node].filter((n) => !nodeRoot.has(n)),
        m,
      ).toEqual([]);
      // A Node entry adds to its browser entry and drops nothing.
      expect(
        [...browser].filter((n) => !node.has(n)),
        m,
      ).toEqual([]);
    }
    // The Node `readFits` (which also takes a path) stands in for the browser one.
    const fitsNode = (await import('../src/fits/index.node.js')) as Record<string, unknown>;
    const nodeIndex = (await import('../src/index.node.js')) as Record<string, unknown>;
    expect(nodeIndex.readFits).toBe(fitsNode.readFits);
  });
});
