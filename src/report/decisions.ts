import { DatasetError } from '../core/index.js';
import type { Decision, DecisionEntry, Decisions } from './types.js';

const DECISIONS: readonly Decision[] = ['keep', 'reject'];

/**
 * Read and check the contents of a `decisions.json` exported by a review page.
 *
 * @param input - the JSON text, or the value already parsed
 * @param source - file name or URL for error messages. Default `'decisions.json'`
 * @returns the decisions, as a new object
 * @throws DatasetError naming `source` when the text is not JSON, the version is not 1, or an
 *   entry lacks a string `id`/`file` or has a decision other than `'keep'`/`'reject'`
 */
export function parseDecisions(input: string | unknown, source = 'decisions.json'): Decisions {
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (err) {
      throw new DatasetError(`${source}: not valid JSON (${(err as Error).message})`, source, {
        cause: err,
      });
    }
  }
  if (typeof value !== 'object' || value === null) {
    throw new DatasetError(`${source}: expected an object with version and decisions`, source);
  }
  const obj = value as { version?: unknown; decisions?: unknown };
  if (obj.version !== 1) {
    throw new DatasetError(
      `${source}: unsupported decisions version ${JSON.stringify(obj.version)}, expected 1`,
      source,
    );
  }
  if (!Array.isArray(obj.decisions)) {
    throw new DatasetError(`${source}: 'decisions' must be an array`, source);
  }
  const decisions: DecisionEntry[] = obj.decisions.map((entry: unknown, i: number) => {
    const e = (entry ?? {}) as Partial<Record<keyof DecisionEntry, unknown>>;
    if (typeof e.id !== 'string' || typeof e.file !== 'string') {
      throw new DatasetError(`${source}: decisions[${i}] needs string 'id' and 'file'`, source);
    }
    if (!DECISIONS.includes(e.decision as Decision)) {
      throw new DatasetError(
        `${source}: decisions[${i}] has decision ${JSON.stringify(e.decision)}, expected 'keep' or 'reject'`,
        source,
      );
    }
    return { id: e.id, file: e.file, decision: e.decision as Decision };
  });
  return { version: 1, decisions };
}
