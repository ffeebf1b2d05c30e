// Fingerprints (sync-engine.md 5.3): per-field accumulators that sampled values are folded into as they arrive, and
// the exact JSON shape they produce. Pure.
import { isa } from '../../drivers/types.ts';
import { isEmail, isJsonLike, isState, isUrl } from './text-predicates.ts';

export const FINGERPRINT_VERSION = 5;

export interface NumberFingerprint {
  readonly min: number | null;
  readonly max: number | null;
  readonly avg: number | null;
  readonly sd: number | null;
  readonly q1: number | null;
  readonly q3: number | null;
}

export interface TextFingerprint {
  readonly 'percent-json': number | null;
  readonly 'percent-url': number | null;
  readonly 'percent-email': number | null;
  readonly 'percent-state': number | null;
  readonly 'average-length': number | null;
}

export interface DateTimeFingerprint {
  readonly earliest: string | null;
  readonly latest: string | null;
}

export interface Fingerprint {
  readonly global: { readonly 'distinct-count': number; readonly 'nil%': number };
  readonly type?: {
    readonly 'type/Number'?: NumberFingerprint;
    readonly 'type/Text'?: TextFingerprint;
    readonly 'type/DateTime'?: DateTimeFingerprint;
  };
}

/** What chooses the fingerprinter: the effective type (base type without coercion), its coercion, FK-ness. */
export interface FingerprintTarget {
  readonly effectiveType: string;
  readonly coercionStrategy: string | null;
  readonly semanticType: string | null;
}

/** NaN and infinities are never written (5.3). */
function finite(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

/** A 64-bit hash of a string: two 32-bit multiply-xorshift lanes (collisions negligible at 10,000 values). */
export function hash64(text: string): bigint {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (BigInt(h2 >>> 0) << 32n) | BigInt(h1 >>> 0);
}

/** The normalized value with its JS type, so that 1 and '1' stay distinct. */
function distinctKey(value: unknown): string {
  return `${typeof value}:${String(value)}`;
}

const NUMERIC_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Numbers, and decimal strings (big integers and decimals that are not exact as numbers, 4.5). */
function numericValue(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && NUMERIC_TEXT.test(value)) return finite(Number(value));
  return null;
}

/** The R-7 quantile of sorted values (5.3). */
export function quantile(sorted: Float64Array, p: number): number {
  const h = (sorted.length - 1) * p;
  const lower = Math.floor(h);
  if (lower >= sorted.length - 1) return sorted[sorted.length - 1];
  return sorted[lower] + (h - lower) * (sorted[lower + 1] - sorted[lower]);
}

class NumberAccumulator {
  #values = new Float64Array(64);
  #count = 0;
  #sum = 0;

  add(value: unknown): void {
    const number = numericValue(value);
    if (number === null) return;
    if (this.#count === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#count++] = number;
    this.#sum += number;
  }

  /** Mean, then the population standard deviation in a second pass over the values. */
  result(): NumberFingerprint {
    const n = this.#count;
    if (n === 0) return { min: null, max: null, avg: null, sd: null, q1: null, q3: null };
    const values = this.#values.subarray(0, n);
    const avg = this.#sum / n;
    let squares = 0;
    for (const value of values) squares += (value - avg) * (value - avg);
    const sorted = Float64Array.from(values).sort();
    return {
      min: finite(sorted[0]),
      max: finite(sorted[n - 1]),
      avg: finite(avg),
      sd: finite(Math.sqrt(squares / n)),
      q1: finite(quantile(sorted, 0.25)),
      q3: finite(quantile(sorted, 0.75)),
    };
  }
}

class TextAccumulator {
  #count = 0;
  #json = 0;
  #url = 0;
  #email = 0;
  #state = 0;
  #length = 0;

  add(value: unknown): void {
    const text = String(value);
    this.#count++;
    this.#length += text.length;
    if (isJsonLike(text)) this.#json++;
    if (isUrl(text)) this.#url++;
    if (isEmail(text)) this.#email++;
    if (isState(text)) this.#state++;
  }

  result(): TextFingerprint {
    const share = (n: number) => (this.#count === 0 ? null : n / this.#count);
    return {
      'percent-json': share(this.#json),
      'percent-url': share(this.#url),
      'percent-email': share(this.#email),
      'percent-state': share(this.#state),
      'average-length': share(this.#length),
    };
  }
}

/** A temporal value read for comparison: `key` orders it, `text` is its 4.5 form. */
export interface TemporalReading {
  readonly key: number;
  readonly text: string;
}

const DATE_TIME =
  /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(\.\d+)?)?\s*(Z|z|[+-]\d\d(?::?\d\d)?)?)?$/;
const TIME = /^(\d\d):(\d\d)(?::(\d\d)(\.\d+)?)?(Z|[+-]\d\d(?::?\d\d)?)?$/;

function utcMillis(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second));
  date.setUTCFullYear(year);
  return date.getTime();
}

function offsetMinutes(offset: string): number {
  if (offset === 'Z' || offset === 'z') return 0;
  const digits = offset.slice(1).replace(':', '');
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
  return offset.startsWith('-') ? -minutes : minutes;
}

/** ISO-8601 text → its order key and 4.5 form: date, time, timestamp without zone, or instant in UTC. */
export function readTemporalText(text: string): TemporalReading | null {
  const trimmed = text.trim();
  const dateTime = DATE_TIME.exec(trimmed);
  if (dateTime) {
    const [, y, mo, d, h, mi, s = '00', fraction = '', offset] = dateTime;
    const date = `${y}-${mo}-${d}`;
    const fractionMs = fraction === '' ? 0 : Number(`0${fraction}`) * 1000;
    if (h === undefined) return { key: utcMillis(+y, +mo, +d, 0, 0, 0), text: date };
    const local = utcMillis(+y, +mo, +d, +h, +mi, +s);
    if (Number.isNaN(local)) return null;
    if (offset === undefined) return { key: local + fractionMs, text: `${date}T${h}:${mi}:${s}${fraction}` };
    const instant = local - offsetMinutes(offset) * 60_000;
    const iso = new Date(instant).toISOString();
    if (iso.length !== 24) return null;
    return { key: instant + fractionMs, text: `${iso.slice(0, 19)}${fraction}Z` };
  }
  const time = TIME.exec(trimmed);
  if (time) {
    const [, h, mi, s = '00', fraction = ''] = time;
    const key = ((+h * 60 + +mi) * 60 + +s) * 1000 + (fraction === '' ? 0 : Number(`0${fraction}`) * 1000);
    return { key, text: trimmed };
  }
  return null;
}

const UNIX_SCALE: Readonly<Record<string, number>> = {
  'Coercion/UNIXSeconds->DateTime': 1000,
  'Coercion/UNIXMilliSeconds->DateTime': 1,
  'Coercion/UNIXMicroSeconds->DateTime': 1e-3,
  'Coercion/UNIXNanoSeconds->DateTime': 1e-6,
};

/** A number read under a UNIX coercion → the instant in UTC, milliseconds shown only when there are some. */
export function readUnixInstant(value: unknown, scale: number): TemporalReading | null {
  const number = numericValue(value);
  if (number === null) return null;
  const millis = number * scale;
  const date = new Date(Math.floor(millis));
  if (Number.isNaN(date.getTime())) return null;
  const iso = date.toISOString();
  if (iso.length !== 24) return null;
  return { key: millis, text: iso.endsWith('.000Z') ? `${iso.slice(0, 19)}Z` : iso };
}

class TemporalAccumulator {
  readonly #scale: number | undefined;
  #earliest: TemporalReading | null = null;
  #latest: TemporalReading | null = null;

  constructor(coercionStrategy: string | null) {
    this.#scale = coercionStrategy === null ? undefined : UNIX_SCALE[coercionStrategy];
  }

  add(value: unknown): void {
    const unix = this.#scale === undefined ? null : readUnixInstant(value, this.#scale);
    const reading = unix ?? (typeof value === 'string' ? readTemporalText(value) : null);
    if (reading === null) return;
    if (this.#earliest === null || reading.key < this.#earliest.key) this.#earliest = reading;
    if (this.#latest === null || reading.key > this.#latest.key) this.#latest = reading;
  }

  result(): DateTimeFingerprint {
    return { earliest: this.#earliest?.text ?? null, latest: this.#latest?.text ?? null };
  }
}

/** One field's accumulators: the global section always; one type section chosen by the effective type. */
export class FieldFingerprinter {
  readonly #hashes = new Set<bigint>();
  #nulls = 0;
  #rows = 0;
  readonly #number: NumberAccumulator | null = null;
  readonly #text: TextAccumulator | null = null;
  readonly #temporal: TemporalAccumulator | null = null;

  constructor(target: FingerprintTarget) {
    const isFk = target.semanticType !== null && isa(target.semanticType, 'type/FK');
    if (isFk) return;
    const type = target.effectiveType;
    if (isa(type, 'type/Number')) this.#number = new NumberAccumulator();
    else if (isa(type, 'type/Text')) this.#text = new TextAccumulator();
    else if (isa(type, 'type/Temporal')) this.#temporal = new TemporalAccumulator(target.coercionStrategy);
  }

  add(value: unknown): void {
    this.#rows++;
    if (value === null || value === undefined) {
      this.#nulls++;
      return;
    }
    this.#hashes.add(hash64(distinctKey(value)));
    this.#number?.add(value);
    this.#text?.add(value);
    this.#temporal?.add(value);
  }

  get rows(): number {
    return this.#rows;
  }

  /** The fingerprint JSON of 5.3, keys in the spec's order; the `type` key only when a type section applies. */
  result(): Fingerprint {
    const global = { 'distinct-count': this.#hashes.size, 'nil%': this.#rows === 0 ? 0 : this.#nulls / this.#rows };
    if (this.#number) return { global, type: { 'type/Number': this.#number.result() } };
    if (this.#text) return { global, type: { 'type/Text': this.#text.result() } };
    if (this.#temporal) return { global, type: { 'type/DateTime': this.#temporal.result() } };
    return { global };
  }
}

/** The fingerprint of a list of sampled values (one per row). */
export function fingerprintValues(target: FingerprintTarget, values: Iterable<unknown>): Fingerprint {
  const fingerprinter = new FieldFingerprinter(target);
  for (const value of values) fingerprinter.add(value);
  return fingerprinter.result();
}
