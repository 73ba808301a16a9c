/**
 * Prints how many values and types each entry point of the package exports: the root (Node and
 * browser conditions) and every subpath in package.json's `exports`. Reads the TypeScript sources
 * the entries are built from, through the compiler API, so it needs no build.
 *
 * A name counts as a value when it has a runtime binding (function, constant, class, enum), and
 * as a type otherwise (interface, type alias). Run: `npx tsx scripts/export-counts.ts` (add
 * `--json` for machine-readable output).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));

/** One row of the table: an import specifier under one condition, and its source file. */
interface Entry {
  specifier: string;
  condition: string;
  source: string;
}

/** The `.ts` source a `./dist/...js` target is built from. */
function sourceOf(target: string): string {
  return target.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts');
}

/** The condition's `default` target, following nested conditions. */
function targetOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return targetOf(record.default);
  }
  return undefined;
}

/** Every (specifier, condition) pair in package.json's `exports` that resolves to JavaScript. */
function entries(): Entry[] {
  const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as {
    name: string;
    exports: Record<string, unknown>;
  };
  const out: Entry[] = [];
  for (const [key, value] of Object.entries(pkg.exports)) {
    const specifier = key === '.' ? pkg.name : `${pkg.name}/${key.slice(2)}`;
    if (typeof value === 'string') {
      if (value.endsWith('.js')) out.push({ specifier, condition: '-', source: sourceOf(value) });
      continue;
    }
    const record = value as Record<string, unknown>;
    const seen = new Set<string>();
    for (const condition of ['node', 'browser', 'default']) {
      const target = targetOf(record[condition]);
      if (!target || !target.endsWith('.js')) continue;
      const source = sourceOf(target);
      if (seen.has(source)) continue;
      seen.add(source);
      out.push({ specifier, condition, source });
    }
    if (seen.size === 0) {
      const target = targetOf(record);
      if (target?.endsWith('.js'))
        out.push({ specifier, condition: '-', source: sourceOf(target) });
    }
  }
  return out;
}

/** The counts for one entry: values, types and the names of each. */
interface Counts {
  values: string[];
  types: string[];
}

const list = entries();
const config = ts.getParsedCommandLineOfConfigFile(`${root}/tsconfig.build.json`, undefined, {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: (d) => {
    throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  },
});
if (!config) throw new Error('cannot read tsconfig.build.json');
const program = ts.createProgram({
  rootNames: list.map((e) => `${root}/${e.source}`),
  options: { ...config.options, noEmit: true },
});
const checker = program.getTypeChecker();

function count(source: string): Counts {
  const file = program.getSourceFile(`${root}/${source}`);
  if (!file) throw new Error(`no source file ${source}`);
  const moduleSymbol = checker.getSymbolAtLocation(file);
  if (!moduleSymbol) return { values: [], types: [] };
  const values: string[] = [];
  const types: string[] = [];
  for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    (target.flags & ts.SymbolFlags.Value ? values : types).push(symbol.getName());
  }
  return { values: values.sort(), types: types.sort() };
}

const rows = list.map((e) => ({ ...e, ...count(e.source) }));
if (process.argv.includes('--json')) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  const width = Math.max(...rows.map((r) => r.specifier.length));
  console.log(`${'entry'.padEnd(width)}  condition  values  types  total`);
  for (const r of rows) {
    const n = r.values.length + r.types.length;
    console.log(
      `${r.specifier.padEnd(width)}  ${r.condition.padEnd(9)}  ${String(r.values.length).padStart(6)}  ${String(r.types.length).padStart(5)}  ${String(n).padStart(5)}`,
    );
  }
}
