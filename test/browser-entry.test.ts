import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = resolve(__dirname, '..', 'src');
const pkg = JSON.parse(readFileSync(resolve(__dirname, '..', 'package.json'), 'utf8')) as {
  imports: Record<string, Record<'node' | 'default', Record<'alma-source' | 'default', string>>>;
};

/**
 * Every module reachable from `entry` through relative imports and package.json `imports`
 * (`#name`, taken under `condition`), with its bare imports.
 */
function importGraph(
  entry: string,
  condition: 'node' | 'default' = 'default',
): Map<string, string[]> {
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
      else if (spec.startsWith('#'))
        visit(resolve(src, '..', pkg.imports[spec][condition]['alma-source']));
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
    const graph = importGraph(join(src, 'index.node.ts'), 'node');
    const nodeFiles = [...graph.keys()].filter((f) => f.endsWith('.node.ts'));
    expect(nodeFiles.length).toBeGreaterThan(5);
    // The engine's worker threads arrive as a value through #model-platform.
    expect(nodeFiles).toContain(join(src, 'model', 'platform.node.ts'));
    expect(nodeFiles).toContain(join(src, 'model', 'engine', 'team.node.ts'));
  });

  it('maps #model-platform to the same file in src and dist, per condition', () => {
    for (const [name, byCondition] of Object.entries(pkg.imports)) {
      for (const targets of Object.values(byCondition)) {
        const fromSource = targets['alma-source'].replace(/^\.\/src\//, '').replace(/\.ts$/, '');
        const fromDist = targets.default.replace(/^\.\/dist\//, '').replace(/\.js$/, '');
        expect(fromDist, name).toBe(fromSource);
      }
    }
    const browser = importGraph(join(src, 'model', 'engine', 'engine.ts'));
    expect([...browser.keys()]).toContain(join(src, 'model', 'platform.ts'));
  });
});
