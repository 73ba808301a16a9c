import { Option } from 'commander';
import { DEFAULT_HARD_NEGATIVE_WEIGHT } from '../dataset/apply-labels.js';

/**
 * What a number option accepts. The message for a value it refuses is built from it, e.g.
 * `--concurrency must be a whole number ≥ 1, got "0"`.
 */
export interface NumberRule {
  /** Accept only whole numbers. */
  integer?: boolean;
  /** Smallest value accepted. */
  min?: number;
  /** Largest value accepted. */
  max?: number;
  /** Accept only values above 0. */
  positive?: boolean;
  /**
   * What one value is, for the message (`score`, `number of seconds`). Default `whole number`
   * for integers with a `min` of 0 or more, `integer` for other integers, else `number`.
   */
  noun?: string;
}

function accepts(rule: NumberRule, v: number): boolean {
  return (
    Number.isFinite(v) &&
    (!rule.integer || Number.isInteger(v)) &&
    (rule.min === undefined || v >= rule.min) &&
    (rule.max === undefined || v <= rule.max) &&
    (!rule.positive || v > 0)
  );
}

/** `a whole number ≥ 1`, `a score in [0, 1]`; plural: `whole numbers ≥ 0`. */
function describe(rule: NumberRule, plural = false): string {
  const noun =
    rule.noun ??
    (rule.integer
      ? rule.min !== undefined && rule.min >= 0
        ? 'whole number'
        : 'integer'
      : 'number');
  const adjective = rule.positive ? 'positive ' : '';
  const what = plural
    ? `${adjective}${noun}s`
    : `${/^[aeiou]/.test(adjective || noun) ? 'an' : 'a'} ${adjective}${noun}`;
  if (rule.min !== undefined && rule.max !== undefined)
    return `${what} in [${rule.min}, ${rule.max}]`;
  if (rule.min !== undefined) return `${what} ≥ ${rule.min}`;
  if (rule.max !== undefined) return `${what} ≤ ${rule.max}`;
  return what;
}

/**
 * The number `text` writes in decimal (`12`, `-0.5`, `1e-3`), else NaN: `Number()` would also
 * read `0x10`, `0b11`, `0o7` and `''` as numbers.
 */
function decimal(text: string): number {
  const t = text.trim();
  return /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i.test(t) ? Number(t) : NaN;
}

/**
 * The number `text` says, checked against `rule`.
 *
 * @param name - the option (`--concurrency`), for the message
 * @param text - the value as typed
 * @param rule - see {@link NumberRule}
 * @throws RangeError naming the option, what it takes and the text given, e.g.
 *   `--threshold must be a score in [0, 1], got "2"`
 */
export function checkNumber(name: string, text: string, rule: NumberRule = {}): number {
  const v = decimal(text);
  if (!accepts(rule, v)) {
    throw new RangeError(`${name} must be ${describe(rule)}, got ${JSON.stringify(text)}`);
  }
  return v;
}

/**
 * The numbers of a comma-separated list (`0,12`), each checked against `rule`.
 *
 * @param name - the option (`--plane`), for the message
 * @param text - the list as typed
 * @param rule - see {@link NumberRule}
 * @throws RangeError naming the option, e.g. `--plane must be whole numbers ≥ 0 separated by
 *   commas, got "0,x"`
 */
export function checkNumberList(name: string, text: string, rule: NumberRule = {}): number[] {
  const values = text.split(',').map(decimal);
  if (!values.every((v) => accepts(rule, v))) {
    throw new RangeError(
      `${name} must be ${describe(rule, true)} separated by commas, got ${JSON.stringify(text)}`,
    );
  }
  return values;
}

/**
 * A commander option whose value is a number checked by {@link checkNumber} as it is parsed,
 * before the command runs: a bad value ends the command with the message and exit code 1.
 *
 * @param flags - commander flags, e.g. `'--concurrency <n>'`
 * @param description - the help text
 * @param rule - what it accepts
 * @param defaultValue - the value when the option is not given (shown in `--help`)
 */
export function numberOption(
  flags: string,
  description: string,
  rule: NumberRule = {},
  defaultValue?: number,
): Option {
  const option = new Option(flags, description);
  option.argParser((text: string) => checkNumber(option.long ?? option.name(), text, rule));
  return defaultValue === undefined ? option : option.default(defaultValue);
}

/**
 * A commander option whose value is a comma-separated list of numbers checked by
 * {@link checkNumberList}. A `repeatable` option collects the numbers of every use
 * (`--band 6 --band 7,8` is `[6, 7, 8]`, and `[]` when not given).
 *
 * @param flags - commander flags, e.g. `'--plane <i,j>'`
 * @param description - the help text
 * @param rule - what each number accepts
 * @param repeatable - collect the lists of repeated uses; default `false` (the last use wins)
 */
export function numberListOption(
  flags: string,
  description: string,
  rule: NumberRule = {},
  repeatable = false,
): Option {
  const option = new Option(flags, description);
  option.argParser((text: string, previous: number[] | undefined) => {
    const values = checkNumberList(option.long ?? option.name(), text, rule);
    return repeatable ? [...(previous ?? []), ...values] : values;
  });
  return repeatable ? option.default([]) : option;
}

/** `--images`, for the commands that learn from review decisions (`prepare`, `train`, `retrain`). */
export function imagesOption(): Option {
  return new Option(
    '--images <dir...>',
    'folders to look in for the FITS files of labelled candidates (found by content hash)',
  );
}

/** `--hard-negative-weight`, for the commands that learn from review decisions. */
export function hardNegativeWeightOption(): Option {
  return numberOption(
    '--hard-negative-weight <w>',
    'loss weight of a rejected candidate',
    { positive: true },
    DEFAULT_HARD_NEGATIVE_WEIGHT,
  );
}
