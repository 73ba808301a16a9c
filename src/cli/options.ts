import { InvalidArgumentError } from 'commander';

/** Commander parser for an integer option; rejects anything else with a clear message. */
export function parseInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`expected an integer, got '${value}'`);
  return n;
}

/** Commander parser for a finite number option. */
export function parseNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`expected a number, got '${value}'`);
  return n;
}
