import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = resolve(__dirname, '..', 'src');

/** Every module reachable from `entry` through relative imports, with its bare imports. */
function importGraph(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    const text = readFileSync(file, 'utf8');
    const bare: string[] = [];
    seen.set(file, bare);
    // Static imports and re-exports; `import type` is erased and cannot reach the browser.
    const re = /^(?:import|export)\s+(?!type\b)[^'"]*?from\s+'([^']+)'|^import\s+'([^']+)'/gm;
    for (const m of text.matchAll(re)) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith('.')) visit(join(dirname(file), spec.replace(/\.js$/, '.ts')));
      else bare.push(spec);
    }
  };
  visit(entry);
  return seen;
}

describe('browser entry point', () => {
  it('src/index.ts reaches no node: module and no *.node.ts file', () => {
    const graph = importGraph(join(src, 'index.ts'));
    expect(graph.size).toBeGreaterThan(50);
    const offenders = [...graph.entries()].flatMap(([file, bare]) => [
      ...(file.endsWith('.node.ts') ? [file] : []),
      ...bare
        .filter(
          (b) =>
            b.startsWith('node:') ||
            ['fs', 'path', 'os', 'zlib', 'worker_threads', 'child_process'].includes(b),
        )
        .map((b) => `${file} imports ${b}`),
    ]);
    expect(offenders).toEqual([]);
  });

  it('every browser subpath entry (src/<module>/index.ts) reaches no node: module either', () => {
    for (const m of ['fits', 'wcs', 'image', 'archive', 'dataset', 'model', 'report', 'pipeline']) {
      const graph = importGraph(join(src, m, 'index.ts'));
      const offenders = [...graph.entries()].flatMap(([file, bare]) => [
        ...(file.endsWith('.node.ts') ? [file] : []),
        ...bare.filter((b) => b.startsWith('node:')).map((b) => `${file} imports ${b}`),
      ]);
      expect(offenders, m).toEqual([]);
    }
  });

  it('src/index.node.ts adds the Node-only functions', () => {
    const graph = importGraph(join(src, 'index.node.ts'));
    const nodeFiles = [...graph.keys()].filter((f) => f.endsWith('.node.ts'));
    expect(nodeFiles.length).toBeGreaterThan(5);
  });
});
