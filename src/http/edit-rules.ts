// Validation of the curation bodies (curation-notes.md 1.1, 1.2): one Rule per accepted key, plus whether a JSON
// null in that key writes NULL (a deliberate clear, recorded as user-set) or counts as absent (notify-api.md 3.5).
import { COERCIONS, SEMANTIC_TYPES } from '../catalog/field-edits.ts';
import { read, requiredMap, ValidationErrors, type JsonObject, type Rule } from './validation.ts';

export interface EditKey {
  readonly rule: Rule<unknown>;
  /** `null` writes NULL; otherwise null is the same as leaving the key out. */
  readonly nullWrites: boolean;
  /** Validated, then not stored (Metabase keys this catalog has no column for). */
  readonly ignored?: boolean;
}

/** Validates every declared key of `body` (all failures in one 400) and returns the edit: written keys only. */
export function readEdit<E>(
  body: JsonObject,
  keys: Readonly<Record<string, EditKey>>,
  errors = new ValidationErrors(),
): E {
  const edit: Record<string, unknown> = {};
  for (const [key, { rule, nullWrites, ignored }] of Object.entries(keys)) {
    const value = read(errors, body, key, rule);
    if (ignored) continue;
    if (value !== undefined) edit[key] = value;
    else if (nullWrites && Object.hasOwn(body, key) && body[key] === null) edit[key] = null;
  }
  errors.check();
  return edit as E;
}

/** The plain Rule of each key, for a reader that only needs the rules (the OpenAPI document). */
export function editRules(keys: Readonly<Record<string, EditKey>>): Record<string, Rule<unknown>> {
  return Object.fromEntries(Object.entries(keys).map(([key, { rule }]) => [key, rule]));
}

/** A keyword given as a string: Metabase accepts `"type/PK"` and `":type/PK"` alike. */
function keyword(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return value.startsWith(':') ? value.slice(1) : value;
}

function keywordRule(description: string, accepts: (name: string) => boolean): Rule<string> {
  return {
    description,
    required: false,
    parse(value) {
      const name = keyword(value);
      return name !== undefined && accepts(name) ? { ok: true, value: name } : { ok: false, received: value };
    },
  };
}

export const entityType = keywordRule('nullable value must be an entity type such as entity/GenericTable.', (name) =>
  /^entity\/\S+$/.test(name),
);
export const semanticType = keywordRule(
  'nullable value must be a semantic or relation type such as type/Category.',
  (name) => SEMANTIC_TYPES.has(name),
);
export const coercionStrategy = keywordRule(
  `nullable enum of ${[...COERCIONS.keys()].join(', ')}`,
  (name) => COERCIONS.has(name),
);

export const optionalMap: Rule<JsonObject> = {
  ...requiredMap,
  description: 'nullable value must be a map.',
  required: false,
};

export const nfcPath: Rule<string[]> = {
  description: 'nullable value must be an array of non-blank strings.',
  required: false,
  parse: (value) =>
    Array.isArray(value) && value.every((v) => typeof v === 'string' && v.trim() !== '')
      ? { ok: true, value: value as string[] }
      : { ok: false, received: value },
};

/** A JSON array of positive integers (numeric strings accepted, as for every id). */
function idArray(description: string, required: boolean): Rule<number[]> {
  return {
    description,
    required,
    parse(value) {
      if (!Array.isArray(value)) return { ok: false, received: value };
      const ids = value.map((v) => (typeof v === 'string' && /^[0-9]+$/.test(v) ? Number(v) : v));
      const ok = ids.every((id) => typeof id === 'number' && (Number.isInteger(id) || id === Infinity) && id >= 1);
      return ok ? { ok: true, value: ids as number[] } : { ok: false, received: value };
    },
  };
}

export const requiredIds = idArray('value must be an array of integers greater than zero.', true);
