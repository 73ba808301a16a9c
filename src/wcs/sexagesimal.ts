/** Options of {@link formatSexagesimal}, {@link formatRa} and {@link formatDec}. */
export interface SexagesimalOptions {
  /** Decimal places of the seconds. Default 3 for right ascension, 2 for declination. */
  precision?: number;
  /**
   * Separators: `'letters'` (`18h30m04.129s`, `-02d03m02.72s`, as astropy's `to_string()`),
   * `':'` (`18:30:04.129`, as DS9 and CASA print), or `' '`. Default `'letters'`.
   */
  separator?: 'letters' | ':' | ' ';
  /** Write `+` before a non-negative value. Default: true for declination, false for RA. */
  alwaysSign?: boolean;
}

/** What {@link formatSexagesimal} formats: hours (of right ascension) or degrees. */
export type SexagesimalUnit = 'hour' | 'degree';

/** Defaults of {@link SexagesimalOptions}, for right ascension and declination. */
export const DEFAULT_SEXAGESIMAL_OPTIONS: Readonly<{
  /** Right ascension: milliseconds of time, letters, no sign. */
  ra: Required<SexagesimalOptions>;
  /** Declination: centiarcseconds, letters, always signed. */
  dec: Required<SexagesimalOptions>;
}> = {
  ra: { precision: 3, separator: 'letters', alwaysSign: false },
  dec: { precision: 2, separator: 'letters', alwaysSign: true },
};

/**
 * An angle as sexagesimal text: `value` (degrees) shown in hours (÷ 15) or degrees, with two
 * digits for minutes and seconds; rounding carries (59.9996 s → 1 m 00.000 s), so the text
 * always reads back within half a unit of the last digit.
 *
 * @param degrees - the angle, degrees
 * @param unit - `'hour'` (right ascension) or `'degree'`
 * @param opts - see {@link SexagesimalOptions}; defaults by unit in {@link DEFAULT_SEXAGESIMAL_OPTIONS}
 * @returns the text; `'NaN'` for a non-finite value
 * @throws RangeError for a precision that is not an integer in 0–12
 */
export function formatSexagesimal(
  degrees: number,
  unit: SexagesimalUnit,
  opts: SexagesimalOptions = {},
): string {
  const o = {
    ...(unit === 'hour' ? DEFAULT_SEXAGESIMAL_OPTIONS.ra : DEFAULT_SEXAGESIMAL_OPTIONS.dec),
    ...opts,
  };
  if (!Number.isInteger(o.precision) || o.precision < 0 || o.precision > 12) {
    throw new RangeError(
      `formatSexagesimal: precision must be an integer in 0-12, got ${o.precision}`,
    );
  }
  if (!Number.isFinite(degrees)) return 'NaN';
  const value = unit === 'hour' ? degrees / 15 : degrees;
  const negative = value < 0 || Object.is(value, -0);
  // Work in integer units of the last digit, so that rounding carries into minutes and hours.
  const scale = 10 ** o.precision;
  const units = Math.round(Math.abs(value) * 3600 * scale);
  const perMinute = 60 * scale;
  const perWhole = 3600 * scale;
  const whole = Math.floor(units / perWhole);
  const minutes = Math.floor((units % perWhole) / perMinute);
  const seconds = (units % perMinute) / scale;
  const sec = seconds.toFixed(o.precision).padStart(o.precision > 0 ? o.precision + 3 : 2, '0');
  const mm = String(minutes).padStart(2, '0');
  const hh = String(whole).padStart(2, '0');
  const sign = negative && units > 0 ? '-' : o.alwaysSign ? '+' : '';
  if (o.separator === 'letters') {
    return unit === 'hour' ? `${sign}${hh}h${mm}m${sec}s` : `${sign}${hh}d${mm}m${sec}s`;
  }
  return `${sign}${hh}${o.separator}${mm}${o.separator}${sec}`;
}

/**
 * Right ascension as sexagesimal hours, `18h30m04.129s` by default (see {@link formatSexagesimal}).
 *
 * @param degrees - right ascension, degrees; taken modulo 360
 * @param opts - see {@link SexagesimalOptions}
 */
export function formatRa(degrees: number, opts: SexagesimalOptions = {}): string {
  const ra = ((degrees % 360) + 360) % 360;
  const text = formatSexagesimal(ra, 'hour', opts);
  // 23h59m59.9999s rounds to 24h: write it as 0h, the same position.
  return text.replace(/^(\+?)24(h|:| )00/, '$100$200');
}

/**
 * Declination as sexagesimal degrees, `-02d03m02.72s` by default (see {@link formatSexagesimal}).
 *
 * @param degrees - declination, degrees
 * @param opts - see {@link SexagesimalOptions}
 */
export function formatDec(degrees: number, opts: SexagesimalOptions = {}): string {
  return formatSexagesimal(degrees, 'degree', opts);
}

/**
 * Read sexagesimal text back: `18h30m04.129s`, `18:30:04.129`, `18 30 04.129`, `-02d03m02.72s`,
 * `-00:30:00` (the sign applies to the whole angle, also when the first field is 0), or a plain
 * decimal number.
 *
 * @param text - the text
 * @param unit - what the first field counts: `'hour'` (the result is × 15) or `'degree'`
 * @returns degrees
 * @throws RangeError when the text is not sexagesimal, or minutes or seconds are 60 or more
 */
export function parseSexagesimal(text: string, unit: SexagesimalUnit): number {
  const t = text.trim();
  const m =
    /^([+-]?)\s*(\d+(?:\.\d*)?)\s*(?:[hHdD:°\s]\s*(\d+(?:\.\d*)?)\s*(?:[mM:'′\s]\s*(\d+(?:\.\d*)?)\s*[sS"″]?)?)?$/.exec(
      t,
    );
  if (m === null) throw new RangeError(`parseSexagesimal: cannot read ${JSON.stringify(text)}`);
  const whole = Number(m[2]);
  const minutes = m[3] === undefined ? 0 : Number(m[3]);
  const seconds = m[4] === undefined ? 0 : Number(m[4]);
  if (minutes >= 60 || seconds >= 60) {
    throw new RangeError(
      `parseSexagesimal: minutes and seconds must be below 60 in ${JSON.stringify(text)}`,
    );
  }
  const value = whole + minutes / 60 + seconds / 3600;
  const signed = m[1] === '-' ? -value : value;
  return unit === 'hour' ? signed * 15 : signed;
}
