// PUT /api/database/:id (curation-notes.md section 1.3): edits a database row. Details are merged over the stored
// ones ("**MetabasePass**" keeps the stored secret) and connection-tested when they or the engine change; schedules
// come as Metabase's schedule maps or as Quartz strings. Every instance's scheduler reads the schedules on each tick,
// and every job reads the row when it starts, so an edit takes effect without a restart anywhere.
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.ts';
import { MASKED_PASSWORD, databaseObject } from '../catalog/api-objects.ts';
import { updateDatabase, type DatabaseUpdate } from '../catalog/database-edits.ts';
import { decodeDetails, getDatabase, normalizeDetails, type DatabaseRecord } from '../catalog/databases.ts';
import { parseJson } from '../db/schema.ts';
import { ENGINES, type Engine } from '../drivers/driver.ts';
import { validateQuartz } from '../jobs/quartz.ts';
import {
  SCHEDULE_DAYS,
  SCHEDULE_FRAMES,
  SCHEDULE_KEYS,
  SCHEDULE_TYPES,
  quartzToScheduleMap,
  scheduleMapToQuartz,
  type ScheduleMap,
} from '../jobs/schedule-map.ts';
import { readDetails, testConnection } from './database-details.ts';
import { notFound, sendJson } from './replies.ts';
import {
  ValidationErrors,
  bodyObject,
  optionalBoolean,
  optionalEnum,
  optionalId,
  optionalNonBlank,
  optionalString,
  read,
  requiredEnum,
  ROUTE_ID,
  routeIdOf,
  type JsonObject,
  type Rule,
} from './validation.ts';

const isMap = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const optionalMap: Rule<JsonObject> = {
  description: 'nullable value must be a map.',
  required: false,
  parse: (value) => (isMap(value) ? { ok: true, value } : { ok: false, received: value }),
};

const SCHEDULES_MAP = 'nullable value must be a valid map of schedule maps for a DB.';
const SCHEDULE_MAP = 'value must be a valid schedule map. See schema in metabase.util.cron for details.';

function integerBetween(min: number, max: number): Rule<number> {
  return {
    description: `nullable value must be an integer between ${min} and ${max}.`,
    required: false,
    parse: (value) =>
      typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
        ? { ok: true, value }
        : { ok: false, received: value },
  };
}

/** A Quartz string (W, LW and L-n refused, sync-engine.md 8.8) or "never", stored as NULL. */
const quartzOrNever: Rule<string | null> = {
  description: 'nullable value must be a valid Quartz cron schedule string, or "never".',
  required: false,
  parse(value) {
    if (value === 'never') return { ok: true, value: null };
    return typeof value === 'string' && validateQuartz(value) === null
      ? { ok: true, value }
      : { ok: false, received: value };
  },
};

/** auto-cruft-tables and auto-cruft-columns (sync-engine.md 2.3): arrays of regular-expression strings. */
const patternList: Rule<readonly string[]> = {
  description: 'nullable sequence of regular-expression strings.',
  required: false,
  parse(value) {
    const ok = Array.isArray(value) && value.every((p) => typeof p === 'string' && compiles(p));
    return ok ? { ok: true, value: value as string[] } : { ok: false, received: value };
  },
};

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

const SCHEDULE_RULES: Readonly<Record<string, Rule<unknown>>> = {
  schedule_type: requiredEnum(SCHEDULE_TYPES),
  schedule_day: optionalEnum(SCHEDULE_DAYS),
  schedule_frame: optionalEnum(SCHEDULE_FRAMES),
  schedule_hour: integerBetween(0, 23),
  schedule_minute: integerBetween(0, 59),
};

/** One schedule map as a Quartz string; failures under `<key>.<field>`, or `<key>` for a combination with no string. */
function readScheduleMap(errors: ValidationErrors, value: unknown, key: string): string | undefined {
  if (!isMap(value)) {
    errors.add(key, SCHEDULE_MAP, value);
    return undefined;
  }
  let failed = false;
  const map: Record<string, unknown> = {};
  for (const [field, rule] of Object.entries(SCHEDULE_RULES)) {
    map[field] = read(errors, value, field, rule, `${key}.${field}`);
    const sent = value[field] !== undefined && value[field] !== null;
    if (map[field] === undefined && (rule.required || sent)) failed = true;
  }
  if (failed) return undefined;
  const expression = scheduleMapToQuartz(map as unknown as ScheduleMap);
  if (expression === null) errors.add(key, SCHEDULE_MAP, value);
  return expression ?? undefined;
}

/** `schedules` (Metabase's shape), then the Quartz keys, which win for their schedule when both are sent. */
function readSchedules(errors: ValidationErrors, body: JsonObject): Partial<Record<ScheduleColumn, string | null>> {
  const out: Partial<Record<ScheduleColumn, string | null>> = {};
  const schedules = body.schedules;
  if (schedules !== undefined && schedules !== null) {
    if (!isMap(schedules)) errors.add('schedules', schedulesMap.description, schedules);
    else {
      for (const [kind, column] of Object.entries(SCHEDULE_KEYS)) {
        const value = schedules[kind];
        if (value === undefined || value === null) continue;
        const expression = readScheduleMap(errors, value, `schedules.${kind}`);
        if (expression !== undefined) out[column] = expression;
      }
    }
  }
  for (const column of Object.values(SCHEDULE_KEYS)) {
    const expression = read(errors, body, column, DATABASE_UPDATE_BODY[column]);
    if (expression !== undefined) out[column] = expression;
  }
  return out;
}

type ScheduleColumn = (typeof SCHEDULE_KEYS)[keyof typeof SCHEDULE_KEYS];

/** A string, or null when the body holds null (it clears the column); undefined when absent. */
function readClearable(
  errors: ValidationErrors,
  body: JsonObject,
  key: 'description' | 'caveats' | 'points_of_interest',
): string | null | undefined {
  if (Object.hasOwn(body, key) && body[key] === null) return null;
  return read(errors, body, key, DATABASE_UPDATE_BODY[key]);
}

/** Sent settings, checked; merged over the stored ones when applied. */
function readSettings(errors: ValidationErrors, body: JsonObject): JsonObject | undefined {
  const sent = read(errors, body, 'settings', DATABASE_UPDATE_BODY.settings);
  if (sent === undefined) return undefined;
  for (const key of ['auto-cruft-tables', 'auto-cruft-columns']) read(errors, sent, key, patternList, `settings.${key}`);
  return sent;
}

/** `schedules`: a map of Metabase schedule maps by kind (readSchedules checks each map). */
const schedulesMap: Rule<JsonObject> = { ...optionalMap, description: SCHEDULES_MAP };

/**
 * Every key of the body with its rule: what readBody reads and what the OpenAPI document shows (openapi.ts). Keys
 * Metabase has and this catalog has no column for (refingerprint, auto_run_queries, cache_ttl) are validated and not
 * stored (README, Departures).
 */
export const DATABASE_UPDATE_BODY = {
  name: optionalNonBlank,
  engine: optionalEnum(ENGINES),
  details: optionalMap,
  is_full_sync: optionalBoolean,
  is_on_demand: optionalBoolean,
  is_attached_dwh: optionalBoolean,
  // A string, or null, which clears the column (readClearable).
  description: optionalString,
  caveats: optionalString,
  points_of_interest: optionalString,
  schedules: schedulesMap,
  [SCHEDULE_KEYS.metadata_sync]: quartzOrNever,
  [SCHEDULE_KEYS.cache_field_values]: quartzOrNever,
  refingerprint: optionalBoolean,
  auto_run_queries: optionalBoolean,
  cache_ttl: optionalId,
  settings: optionalMap,
} as const satisfies Readonly<Record<string, Rule<unknown>>>;

/** The body's keys, validated without the stored row (notify-api.md 3.1: validation before lookups). */
interface Sent {
  readonly name?: string;
  readonly engine?: Engine;
  readonly details?: JsonObject;
  readonly settings?: JsonObject;
  /** Flags, clearable texts and changed schedules as columns; undefined values are absent keys. */
  readonly columns: Readonly<Record<string, unknown>>;
}

function readBody(body: JsonObject): Sent {
  const errors = new ValidationErrors();
  const rules = DATABASE_UPDATE_BODY;
  const name = read(errors, body, 'name', rules.name);
  const engine = read(errors, body, 'engine', rules.engine);
  const details = read(errors, body, 'details', rules.details);
  const columns = {
    is_full_sync: read(errors, body, 'is_full_sync', rules.is_full_sync),
    is_on_demand: read(errors, body, 'is_on_demand', rules.is_on_demand),
    is_attached_dwh: read(errors, body, 'is_attached_dwh', rules.is_attached_dwh),
    description: readClearable(errors, body, 'description'),
    caveats: readClearable(errors, body, 'caveats'),
    points_of_interest: readClearable(errors, body, 'points_of_interest'),
    ...readSchedules(errors, body),
  };
  // Metabase's keys without a column here: validated, then not stored (README, Departures).
  read(errors, body, 'refingerprint', rules.refingerprint);
  read(errors, body, 'auto_run_queries', rules.auto_run_queries);
  read(errors, body, 'cache_ttl', rules.cache_ttl);
  const settings = readSettings(errors, body);
  errors.check();
  return { name, engine, details, settings, columns };
}

interface Edit {
  readonly update: DatabaseUpdate;
  readonly engine: Engine;
  /** Set when the details or the engine change: they are connection-tested before the update. */
  readonly test: Readonly<Record<string, unknown>> | null;
}

/**
 * The sent keys applied to the stored row. Details: `**MetabasePass**` stands for the stored value of its key, other
 * values replace the stored ones, null removes an optional key (or restores its default); the result is validated
 * for the (new) engine under `details.<key>`. Settings: PATCH-merged, a null value removes its key.
 */
function planEdit(appDb: AppDeps['appDb'], sent: Sent, row: DatabaseRecord): Edit {
  const storedEngine = row.engine as Engine;
  const engine = sent.engine ?? storedEngine;
  const stored = decodeDetails(appDb, row.details);
  let details: Record<string, unknown> | null = null;
  if (sent.details !== undefined || engine !== storedEngine) {
    const merged: Record<string, unknown> = { ...stored };
    for (const [key, value] of Object.entries(sent.details ?? {})) {
      if (value !== MASKED_PASSWORD) merged[key] = value;
    }
    const errors = new ValidationErrors();
    const values = readDetails(errors, engine, merged, 'details.');
    errors.check();
    details = normalizeDetails(engine, values);
    const same = JSON.stringify(details) === JSON.stringify(normalizeDetails(storedEngine, stored));
    if (same && engine === storedEngine) details = null;
  }
  let settings: Record<string, unknown> | undefined;
  if (sent.settings !== undefined) {
    settings = { ...parseJson<Record<string, unknown>>(row.settings, {}), ...sent.settings };
    for (const [key, value] of Object.entries(settings)) if (value === null) delete settings[key];
  }
  const columns = Object.entries(sent.columns).filter(([column, value]) => {
    if (value === undefined) return false;
    // An unchanged schedule keeps its claimed fire time (database-edits.ts updateDatabase).
    return !(column.endsWith('_schedule') && row[column as ScheduleColumn] === value);
  });
  const update: DatabaseUpdate = {
    ...(sent.name === undefined ? {} : { name: sent.name }),
    ...(sent.engine === undefined ? {} : { engine: sent.engine }),
    ...(details === null ? {} : { details }),
    ...(settings === undefined ? {} : { settings }),
    ...Object.fromEntries(columns),
  };
  return { update, engine, test: details };
}

/** The Database object with the curated keys a PUT may write and Metabase's expanded `schedules`. */
export function databaseWithSchedules(row: DatabaseRecord) {
  return {
    ...databaseObject(row),
    description: row.description,
    caveats: row.caveats,
    points_of_interest: row.points_of_interest,
    settings: parseJson<Record<string, unknown>>(row.settings, {}),
    schedules: {
      metadata_sync: quartzToScheduleMap(row.metadata_sync_schedule),
      cache_field_values: quartzToScheduleMap(row.cache_field_values_schedule),
    },
  };
}

export function registerDatabaseUpdateRoute(app: FastifyInstance, deps: AppDeps): void {
  app.put(`/api/database/${ROUTE_ID}`, async (request, reply) => {
    const id = routeIdOf(request.params);
    const sent = readBody(bodyObject(request.body));
    const row = await getDatabase(deps.appDb, id);
    if (!row) throw notFound();
    const edit = planEdit(deps.appDb, sent, row);
    if (edit.test !== null) await testConnection(deps, edit.engine, edit.test);
    const updated = await updateDatabase(deps.appDb, id, edit.update);
    if (!updated) throw notFound();
    request.log.info({ databaseId: id, keys: Object.keys(edit.update) }, 'database updated');
    return sendJson(reply, 200, databaseWithSchedules(updated));
  });
}
