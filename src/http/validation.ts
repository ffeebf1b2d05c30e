// Parameter validation of notify-api.md sections 3.5 to 3.8: rules with their exact description strings, and the
// collector that renders every failing key of one stage as the 400 body.
import { HttpError } from '../errors.ts';

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly received: unknown };

/** A JSON-schema fragment (draft 2020-12, as OpenAPI 3.1 uses) describing what a rule accepts, for the API docs. */
export type JsonSchema = Readonly<Record<string, unknown>>;

export interface Rule<T> {
  readonly description: string;
  /** What the rule accepts, for the OpenAPI document (openapi.ts); requests are validated by `parse`, not by it. */
  readonly schema?: JsonSchema;
  /** A required key that is absent or null fails with `missing required key`; an optional one reads as undefined. */
  readonly required: boolean;
  parse(value: unknown): Parsed<T>;
}

export type JsonObject = Readonly<Record<string, unknown>>;

const MISSING = 'missing required key, received: null';

/** The received value as compact JSON; one nested deeper than JSON.stringify can recurse (found by fuzzing) is named. */
function receivedText(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return Array.isArray(value) ? '[…nested too deeply to show…]' : '{…nested too deeply to show…}';
  }
}

/** Collects the failures of one validation stage (route parameters, then body). */
export class ValidationErrors {
  readonly #errors: Record<string, string> = {};
  readonly #specific: Record<string, string[]> = {};

  get empty(): boolean {
    return Object.keys(this.#errors).length === 0;
  }

  /** The descriptions by key, as in the 400 body's `errors`. */
  get errors(): Readonly<Record<string, string>> {
    return { ...this.#errors };
  }

  add(key: string, description: string, received: unknown): void {
    this.#errors[key] = description;
    this.#specific[key] = [`${description}, received: ${receivedText(received)}`];
  }

  addMissing(key: string, description: string): void {
    this.#errors[key] = description;
    this.#specific[key] = [MISSING];
  }

  /** Ends the stage: throws the 400 answer when any key failed. */
  check(): void {
    if (!this.empty) {
      throw new HttpError(400, { errors: { ...this.#errors }, 'specific-errors': { ...this.#specific } }, 'json');
    }
  }
}

/** Reads one key of `source` with `rule`; failures are recorded under `reportKey` (dotted keys for nested maps). */
export function read<T>(
  errors: ValidationErrors,
  source: JsonObject,
  key: string,
  rule: Rule<T>,
  reportKey = key,
): T | undefined {
  const value = Object.hasOwn(source, key) ? source[key] : undefined;
  if (value === undefined || value === null) {
    if (rule.required) errors.addMissing(reportKey, rule.description);
    return undefined;
  }
  const parsed = rule.parse(value);
  if (parsed.ok) return parsed.value;
  errors.add(reportKey, rule.description, parsed.received);
  return undefined;
}

/** A route's `:id` matches ASCII digits only; anything else is no route (404 "API endpoint does not exist."). */
export const ROUTE_ID = ':id(^[0-9]+$)';

/** The first validation stage: the route id, alone. */
export function routeIdOf(params: unknown): number {
  const errors = new ValidationErrors();
  const id = read(errors, params as JsonObject, 'id', routeId);
  errors.check();
  return id!;
}

/** The request body as an object: empty, `null` and non-JSON bodies are `{}`; other non-objects fail on `body`. */
export function bodyObject(body: unknown): JsonObject {
  if (body === undefined || body === null) return {};
  if (typeof body === 'object' && !Array.isArray(body)) return body as JsonObject;
  const errors = new ValidationErrors();
  errors.add('body', 'value must be a JSON object.', body);
  errors.check();
  return {};
}

/** Section 3.6: a string of ASCII digits counts as that integer. */
function numericString(value: unknown): unknown {
  return typeof value === 'string' && /^[0-9]+$/.test(value) ? Number(value) : value;
}

function isInteger(value: unknown): value is number {
  // Infinity stands for a digit string or JSON number beyond the double range: still a (huge) integer.
  return typeof value === 'number' && (Number.isInteger(value) || value === Number.POSITIVE_INFINITY);
}

function isNonBlank(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

/** `null` joins the accepted types of an optional rule (an optional key may be null or absent). */
function nullable(schema: JsonSchema, required: boolean): JsonSchema {
  return required ? schema : { anyOf: [schema, { type: 'null' }] };
}

function positiveIntegerRule(description: string, required: boolean): Rule<number> {
  return {
    description,
    required,
    schema: nullable({ anyOf: [{ type: 'integer', minimum: 1 }, { type: 'string', pattern: '^[0-9]+$' }] }, required),
    parse(value) {
      const converted = numericString(value);
      const ok = isInteger(converted) && converted >= 1;
      return ok ? { ok: true, value: converted } : { ok: false, received: converted };
    },
  };
}

function nonBlankRule(description: string, required: boolean): Rule<string> {
  return {
    description,
    required,
    schema: nullable({ type: 'string', pattern: '\\S' }, required),
    parse: (value) => (isNonBlank(value) ? { ok: true, value } : { ok: false, received: value }),
  };
}

function enumRule<T extends string>(values: readonly T[], required: boolean): Rule<T> {
  return {
    description: `${required ? '' : 'nullable '}enum of ${values.join(', ')}`,
    required,
    schema: nullable({ enum: [...values] }, required),
    parse: (value) =>
      typeof value === 'string' && (values as readonly string[]).includes(value)
        ? { ok: true, value: value as T }
        : { ok: false, received: value },
  };
}

export const routeId = positiveIntegerRule('value must be an integer greater than zero.', true);
export const optionalId = positiveIntegerRule('nullable value must be an integer greater than zero.', false);
export const requiredNonBlank = nonBlankRule('value must be a non-blank string.', true);
export const optionalNonBlank = nonBlankRule('nullable value must be a non-blank string.', false);
export const optionalEnum = <T extends string>(values: readonly T[]): Rule<T> => enumRule(values, false);
export const requiredEnum = <T extends string>(values: readonly T[]): Rule<T> => enumRule(values, true);

export const optionalString: Rule<string> = {
  description: 'nullable string.',
  required: false,
  schema: { type: ['string', 'null'] },
  parse: (value) => (typeof value === 'string' ? { ok: true, value } : { ok: false, received: value }),
};

export const optionalBoolean: Rule<boolean> = {
  description: 'nullable boolean.',
  required: false,
  schema: { type: ['boolean', 'null'] },
  parse: (value) => (typeof value === 'boolean' ? { ok: true, value } : { ok: false, received: value }),
};

export const requiredMap: Rule<JsonObject> = {
  description: 'value must be a map.',
  required: true,
  schema: { type: 'object' },
  parse: (value) =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? { ok: true, value: value as JsonObject }
      : { ok: false, received: value },
};

export const optionalPort: Rule<number> = {
  description: 'nullable value must be an integer between 1 and 65535.',
  required: false,
  schema: nullable({ anyOf: [{ type: 'integer', minimum: 1, maximum: 65535 }, { type: 'string', pattern: '^[0-9]+$' }] }, false),
  parse(value) {
    const converted = numericString(value);
    return typeof converted === 'number' && Number.isInteger(converted) && converted >= 1 && converted <= 65535
      ? { ok: true, value: converted }
      : { ok: false, received: converted };
  },
};

/** A route's tables of rules, keyed by parameter or body key; turned into the route's schema by routeSchema(). */
export interface RouteRules {
  readonly params?: Readonly<Record<string, Rule<unknown>>>;
  readonly querystring?: Readonly<Record<string, Rule<unknown>>>;
  readonly body?: Readonly<Record<string, Rule<unknown>>>;
}

function objectSchema(rules: Readonly<Record<string, Rule<unknown>>>): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const [key, rule] of Object.entries(rules)) properties[key] = { ...(rule.schema ?? {}), description: rule.description };
  const required = Object.entries(rules).filter(([, rule]) => rule.required).map(([key]) => key);
  return { type: 'object', properties, ...(required.length > 0 ? { required } : {}) };
}

/** The Fastify `schema` of a route (params, querystring, body) from its rules: documentation only, see openapi.ts. */
export function routeSchema(rules: RouteRules): Record<string, JsonSchema> {
  const schema: Record<string, JsonSchema> = {};
  for (const part of ['params', 'querystring', 'body'] as const) {
    const table = rules[part];
    if (table) schema[part] = objectSchema(table);
  }
  return schema;
}
