/**
 * A header card's value: a FITS logical (`boolean`), integer or float (`number`), character
 * string (`string`, quotes removed, `''` unescaped, trailing blanks dropped as astropy does), or
 * `null` for a keyword with `= ` but no value. Commentary cards (`COMMENT`, `HISTORY`, blank
 * keyword) carry their text as a string.
 */
export type FitsValue = string | number | boolean | null;

/** One header card, as read from (or to be written to) a FITS header. */
export interface FitsCard {
  /** The keyword, upper case, without padding (`''` for a blank-keyword commentary card). */
  key: string;
  /** The value; absent on a card that has none. See {@link FitsValue}. */
  value?: FitsValue;
  /** The text after the `/` separator, trimmed; absent when the card has none. */
  comment?: string;
}

/** Keywords whose cards hold free text instead of `= value`. */
const COMMENTARY = new Set(['COMMENT', 'HISTORY', '']);

/**
 * The cards of one FITS header, in file order. `COMMENT` and `HISTORY` cards keep their order,
 * and a long string split over `CONTINUE` cards is one card here (as in astropy).
 */
export class FitsHeader {
  /** Every card in file order (commentary cards included, `END` excluded). */
  readonly cards: readonly FitsCard[];
  private readonly index: Map<string, FitsCard>;

  /**
   * @param cards - the cards, in order; copied, so later changes to the array do not show
   */
  constructor(cards: FitsCard[] = []) {
    this.cards = cards.map((c) => ({ ...c }));
    this.index = new Map();
    for (const c of this.cards) if (!this.index.has(c.key)) this.index.set(c.key, c);
  }

  /**
   * The value of the first card with `key` (case-insensitive), `null` when that card has no
   * value, `undefined` when there is no such card. For `COMMENT`/`HISTORY` this is the first
   * card's text; read {@link FitsHeader.cards} for all of them.
   *
   * @param key - the keyword
   */
  get(key: string): FitsValue | undefined {
    const card = this.index.get(key.toUpperCase());
    return card === undefined ? undefined : (card.value ?? null);
  }

  /**
   * Whether a card with `key` (case-insensitive) exists.
   *
   * @param key - the keyword
   */
  has(key: string): boolean {
    return this.index.has(key.toUpperCase());
  }

  /**
   * The value of `key` when it is a finite number, else `undefined`.
   *
   * @param key - the keyword
   */
  number(key: string): number | undefined {
    const v = this.get(key);
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  }
}

/**
 * Parse the text of a header (80-character cards, up to but not including `END`) into cards.
 * Unparseable values are kept as their raw text rather than rejected, as astropy defers such
 * errors until the value is used; the structural keywords are checked where the layout is read.
 */
export function parseHeaderText(text: string): FitsCard[] {
  const cards: FitsCard[] = [];
  let pendingLong: FitsCard | undefined;
  for (let at = 0; at + 80 <= text.length; at += 80) {
    const line = text.slice(at, at + 80);
    const key = line.slice(0, 8).trimEnd().toUpperCase();
    if (key === 'END') break;
    if (key === 'CONTINUE' && pendingLong !== undefined && line.slice(8, 10) !== '= ') {
      const part = parseValue(line.slice(8));
      if (typeof part.value === 'string') {
        const prev = pendingLong.value as string;
        pendingLong.value = prev.slice(0, -1) + part.value;
        if (part.comment !== undefined) {
          pendingLong.comment =
            pendingLong.comment === undefined
              ? part.comment
              : `${pendingLong.comment} ${part.comment}`;
        }
        if (!part.value.endsWith('&')) pendingLong = undefined;
        continue;
      }
    }
    pendingLong = undefined;
    let card: FitsCard;
    if (key === 'HIERARCH' && line.includes('=')) {
      const eq = line.indexOf('=');
      card = { key: line.slice(9, eq).trim().toUpperCase(), ...parseValue(line.slice(eq + 1)) };
    } else if (COMMENTARY.has(key) || line.slice(8, 10) !== '= ') {
      card = { key, value: line.slice(8).trimEnd() };
    } else {
      card = { key, ...parseValue(line.slice(10)) };
    }
    if (typeof card.value === 'string' && card.value.endsWith('&') && !COMMENTARY.has(card.key)) {
      pendingLong = card;
    }
    cards.push(card);
  }
  // A long string whose chain ended without a CONTINUE keeps its '&', as astropy does.
  return cards;
}

function parseValue(field: string): { value: FitsValue; comment?: string } {
  let i = 0;
  while (i < field.length && field[i] === ' ') i++;
  let value: FitsValue;
  let rest: string;
  if (field[i] === "'") {
    let s = '';
    let j = i + 1;
    for (; j < field.length; j++) {
      if (field[j] === "'") {
        if (field[j + 1] === "'") {
          s += "'";
          j++;
        } else break;
      } else s += field[j];
    }
    value = s.trimEnd();
    rest = field.slice(j + 1);
  } else {
    const slash = field.indexOf('/', i);
    const raw = (slash < 0 ? field.slice(i) : field.slice(i, slash)).trim();
    rest = slash < 0 ? '' : field.slice(slash);
    value = raw === '' ? null : parseScalar(raw);
  }
  const slash = rest.indexOf('/');
  const comment = slash < 0 ? undefined : rest.slice(slash + 1).trim();
  return comment === undefined || comment === '' ? { value } : { value, comment };
}

function parseScalar(raw: string): FitsValue {
  if (raw === 'T') return true;
  if (raw === 'F') return false;
  if (/^[+-]?\d+$/.test(raw)) return Number(raw);
  if (/^[+-]?(\d+\.?\d*|\.\d+)([EeDd][+-]?\d+)?$/.test(raw))
    return Number(raw.replace(/[Dd]/, 'E'));
  return raw;
}

/**
 * Format one card as exactly 80 ASCII characters, following the FITS standard's fixed format
 * (values right-aligned to column 30, strings quoted with `''` escapes). Strings too long for
 * one card are split over `CONTINUE` cards, so the result may be several cards long.
 *
 * @param card - the card to format
 * @throws RangeError when the keyword is longer than 8 characters or a character is not ASCII
 */
export function formatCard(card: FitsCard): string {
  const key = card.key.toUpperCase();
  if (key.length > 8 || /[^\x20-\x7e]/.test(key))
    throw new RangeError(`bad FITS keyword '${card.key}'`);
  const ascii = (s: string): string => {
    if (/[^\x20-\x7e]/.test(s)) throw new RangeError(`non-ASCII text in FITS card ${key}`);
    return s;
  };
  const pad = (s: string): string => s.padEnd(80, ' ');
  if (COMMENTARY.has(key) || card.value === undefined) {
    const text = ascii(String(card.value ?? card.comment ?? ''));
    const out: string[] = [];
    for (let i = 0; i === 0 || i < text.length; i += 72)
      out.push(pad(key.padEnd(8) + text.slice(i, i + 72)));
    return out.join('');
  }
  const comment = card.comment === undefined ? '' : ascii(card.comment);
  const v = card.value;
  if (typeof v === 'string') return formatString(key, ascii(v), comment);
  let text: string;
  if (v === null) text = '';
  else if (typeof v === 'boolean') text = v ? 'T' : 'F';
  else text = formatNumber(v);
  let line = `${key.padEnd(8)}= ${text.padStart(20)}`;
  if (comment !== '') line += ` / ${comment}`;
  return pad(line.slice(0, 80));
}

function formatNumber(v: number): string {
  if (!Number.isFinite(v)) throw new RangeError(`FITS cannot store the number ${v} in a header`);
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  // Shortest representation that reads back to the same double, with a FITS-style exponent.
  let s = String(v).toUpperCase();
  if (!s.includes('.') && !s.includes('E')) s += '.0';
  if (s.includes('E') && !s.slice(0, s.indexOf('E')).includes('.')) s = s.replace('E', '.0E');
  return s;
}

function formatString(key: string, v: string, comment: string): string {
  const quote = (s: string): string => `'${s.replace(/'/g, "''").padEnd(8)}'`;
  const single = `${key.padEnd(8)}= ${quote(v)}`;
  if (single.length <= 80) {
    const line = comment === '' ? single : `${single} / ${comment}`;
    return line.length <= 80 ? line.padEnd(80) : single.padEnd(80);
  }
  // Long string: chunks end in '&' and continue on CONTINUE cards (the FITS 4.0 convention).
  const chunks: string[] = [];
  let rest = v;
  const room = 67; // 80 - 10 - two quotes - '&', with '' escapes counted below
  while (rest.length > 0) {
    let n = Math.min(rest.length, room);
    while (rest.slice(0, n).replace(/'/g, "''").length > room) n--;
    if (rest[n - 1] === "'" && rest.slice(0, n).replace(/'/g, "''").length === room) n--;
    chunks.push(rest.slice(0, n));
    rest = rest.slice(n);
  }
  return chunks
    .map((c, i) => {
      const body =
        i < chunks.length - 1 ? `'${c.replace(/'/g, "''")}&'` : `'${c.replace(/'/g, "''")}'`;
      const head = i === 0 ? `${key.padEnd(8)}= ` : 'CONTINUE  ';
      let line = head + body;
      if (i === chunks.length - 1 && comment !== '' && line.length + 3 + comment.length <= 80) {
        line += ` / ${comment}`;
      }
      return line.padEnd(80);
    })
    .join('');
}
