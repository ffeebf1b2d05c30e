// Value normalization shared by the drivers' sampleRows and distinctValues (sync-engine.md 4.5): pure functions.

/** An integer in decimal text: a JS number within ±(2^53−1), otherwise the decimal string itself. */
export function normalizeIntegerText(text: string): number | string {
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : text.replace(/^\+/, '');
}

/** A bigint (SQLite's safe-integer mode): a JS number within ±(2^53−1), otherwise its decimal string. */
export function normalizeBigInt(value: bigint): number | string {
  const asNumber = Number(value);
  return Number.isSafeInteger(asNumber) ? asNumber : value.toString();
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** The value of a decimal string as sign, significant digits and exponent: `-12.50` → `-`, `125`, -1. */
function canonicalDecimal(text: string): string | null {
  const match = DECIMAL.exec(text.trim());
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) return null;
  const [, sign, whole, fraction = '', exponent = '0'] = match;
  let digits = `${whole}${fraction}`.replace(/^0+/, '');
  if (digits === '') return '0';
  let scale = Number(exponent) - fraction.length;
  const trailing = /0+$/.exec(digits)?.[0].length ?? 0;
  digits = digits.slice(0, digits.length - trailing);
  scale += trailing;
  return `${sign === '-' ? '-' : ''}${digits}e${scale}`;
}

/** A decimal in text: a JS number when the number has exactly the decimal's value, otherwise the string (4.5). */
export function normalizeDecimalText(text: string): number | string {
  const value = Number(text);
  if (!Number.isFinite(value)) return text;
  const canonical = canonicalDecimal(text);
  if (canonical === null) return text;
  if (value === 0) return 0;
  return canonicalDecimal(String(value)) === canonical ? value : text;
}

/** `2025-11-25 08:30:00[.ffffff]` (a timestamp without zone) → `2025-11-25T08:30:00[.ffffff]`; other text unchanged. */
export function normalizeLocalTimestampText(text: string): string {
  return /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d(?::\d\d(?:\.\d+)?)?$/.test(text) ? text.replace(' ', 'T') : text;
}

/** A timestamp rendered in UTC with a `+00` offset (PostgreSQL in TimeZone UTC) → `2025-11-25T08:30:00Z`. */
export function normalizeUtcTimestampText(text: string): string {
  const match = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d(?:\.\d+)?)(?:\+00(?::?00)?|Z)$/.exec(text);
  return match ? `${match[1]}T${match[2]}Z` : text;
}
