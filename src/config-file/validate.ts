// The config file's shape (curation-notes.md section 2, in catalog-sync's terms): `version` 1.x, `config.settings`
// (the settings a file may set) and `config.databases[]` (the columns of a Database row). Checked twice: before the
// templates are expanded (a templated string stands for any scalar), and after, strictly, with the details rules of
// POST /api/database. Pure: problems are returned, one line each, naming the key path and the line, never a value.
import { compilePatterns } from '../catalog/cruft.ts';
import { DETAIL_KEYS, normalizeDetails } from '../catalog/databases.ts';
import { ENGINES, type Engine } from '../drivers/driver.ts';
import { HttpError } from '../errors.ts';
import { readDetails } from '../http/database-details.ts';
import { ValidationErrors } from '../http/validation.ts';
import { validateQuartz } from '../jobs/quartz.ts';
import type { KeyPath } from './parse.ts';
import { hasTemplate } from './templates.ts';

/** Settings a file may set, with what each accepts. Stored in the `setting` table. */
export const FILE_SETTINGS = {
  /** Metabase's setting: false registers new databases without their initial sync. */
  'config-from-file-sync-databases': 'boolean',
} as const;

export type FileSettingName = keyof typeof FILE_SETTINGS;

export interface DatabaseEntry {
  /** Position in `config.databases`, for messages. */
  readonly index: number;
  readonly name: string;
  readonly engine: Engine;
  /** `delete: DELETE_WITH_DEPENDENTS:<name>`: the database with this engine and name goes, with its catalog and jobs. */
  readonly delete: boolean;
  /** Normalized as POST /api/database stores them (defaults filled); empty for a delete entry. */
  readonly details: Readonly<Record<string, unknown>>;
  /** The optional columns the entry sets; a key absent from the file is left as stored. */
  readonly columns: Readonly<DatabaseColumns>;
}

export interface DatabaseColumns {
  description?: string | null;
  caveats?: string | null;
  points_of_interest?: string | null;
  is_full_sync?: boolean;
  is_attached_dwh?: boolean;
  metadata_sync_schedule?: string | null;
  cache_field_values_schedule?: string | null;
  /** Kebab-case keys, as the sync reads them (`auto-cruft-tables`, `auto-cruft-columns`). */
  settings?: Record<string, unknown>;
}

export interface ConfigFilePlan {
  readonly settings: Readonly<Partial<Record<FileSettingName, boolean>>>;
  readonly databases: readonly DatabaseEntry[];
}

type Problem = (path: KeyPath, message: string) => string;

type Check = 'string-or-null' | 'boolean' | 'schedule' | 'settings';

const OPTIONAL_COLUMNS: Readonly<Record<string, Check>> = {
  description: 'string-or-null',
  caveats: 'string-or-null',
  points_of_interest: 'string-or-null',
  is_full_sync: 'boolean',
  is_attached_dwh: 'boolean',
  metadata_sync_schedule: 'schedule',
  cache_field_values_schedule: 'schedule',
  settings: 'settings',
};

const DATABASE_SETTINGS = ['auto_cruft_tables', 'auto_cruft_columns'] as const;

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function list(values: readonly string[]): string {
  return values.join(', ');
}

/** Validates the whole document; `lenient` (before expansion) lets a templated string stand for any scalar. */
export function checkConfig(
  value: unknown,
  problem: Problem,
  lenient: boolean,
): { readonly problems: readonly string[]; readonly plan: ConfigFilePlan | null } {
  const problems: string[] = [];
  const report = (path: KeyPath, message: string) => void problems.push(problem(path, message));
  const templated = (v: unknown) => lenient && hasTemplate(v);
  if (!isMap(value)) {
    report([], 'the file must be a map with the keys version and config');
    return { problems, plan: null };
  }
  for (const key of Object.keys(value)) if (key !== 'version' && key !== 'config') report([key], 'is not a known key (version, config)');
  const version = value.version;
  if (version === undefined || version === null) report(['version'], 'is required');
  else if (!templated(version) && !(typeof version === 'number' && version >= 1 && version < 2)) {
    report(['version'], 'must be a number from 1.0 to 1.999');
  }
  const config = value.config;
  const settings: Partial<Record<FileSettingName, boolean>> = {};
  const databases: DatabaseEntry[] = [];
  if (!isMap(config)) {
    report(['config'], config === undefined || config === null ? 'is required' : 'must be a map');
    return { problems, plan: null };
  }
  for (const key of Object.keys(config)) {
    if (key === 'settings' || key === 'databases') continue;
    const why = key === 'users' || key === 'api-keys' ? 'is a Metabase section that catalog-sync does not have' : 'is not a known section';
    report(['config', key], `${why} (settings, databases)`);
  }
  if (config.settings !== undefined && config.settings !== null) {
    if (!isMap(config.settings)) report(['config', 'settings'], 'must be a map');
    else {
      for (const [name, setting] of Object.entries(config.settings)) {
        const path = ['config', 'settings', name];
        if (!Object.hasOwn(FILE_SETTINGS, name)) report(path, `is not a setting a file may set (${list(Object.keys(FILE_SETTINGS))})`);
        else if (templated(setting)) continue;
        else {
          const parsed = booleanOf(setting);
          if (parsed === undefined) report(path, 'must be true or false');
          else settings[name as FileSettingName] = parsed;
        }
      }
    }
  }
  if (config.databases !== undefined && config.databases !== null) {
    if (!Array.isArray(config.databases)) report(['config', 'databases'], 'must be a list');
    else {
      config.databases.forEach((entry, index) => {
        const checked = checkDatabase(entry, ['config', 'databases', index], index, report, templated);
        if (checked) databases.push(checked);
      });
      const seen = new Map<string, number>();
      for (const entry of databases) {
        const key = `${entry.engine}\u0000${entry.name}`;
        const first = seen.get(key);
        if (first !== undefined) {
          report(['config', 'databases', entry.index, 'name'], `repeats config.databases[${first}] (same engine and name)`);
        }
        seen.set(key, entry.index);
      }
    }
  }
  return { problems, plan: problems.length === 0 && !lenient ? { settings, databases } : null };
}

function booleanOf(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

function checkDatabase(
  entry: unknown,
  path: KeyPath,
  index: number,
  outer: (path: KeyPath, message: string) => void,
  templated: (v: unknown) => boolean,
): DatabaseEntry | null {
  if (!isMap(entry)) {
    outer(path, 'must be a map with name, engine and details');
    return null;
  }
  let failures = 0;
  const report = (at: KeyPath, message: string) => {
    failures += 1;
    outer(at, message);
  };
  const { name, engine, details } = entry;
  if (typeof name !== 'string' || name.trim() === '') report([...path, 'name'], name == null ? 'is required' : 'must be a non-blank string');
  const engineOk = typeof engine === 'string' && (ENGINES as readonly string[]).includes(engine);
  if (!engineOk && !templated(engine)) {
    report([...path, 'engine'], engine == null ? 'is required' : `must be one of ${list(ENGINES)}`);
  }
  const deletion = Object.hasOwn(entry, 'delete');
  if (deletion && !templated(entry.delete) && entry.delete !== `DELETE_WITH_DEPENDENTS:${String(name)}`) {
    report([...path, 'delete'], 'must be DELETE_WITH_DEPENDENTS:<the entry\'s name>');
  }
  if (!deletion && !isMap(details)) report([...path, 'details'], details == null ? 'is required' : 'must be a map');
  const columns: DatabaseColumns = {};
  for (const [key, value] of Object.entries(entry)) {
    if (key === 'name' || key === 'engine' || key === 'details' || key === 'delete') continue;
    const check = OPTIONAL_COLUMNS[key];
    if (!check) {
      report([...path, key], `is not a key catalog-sync stores (name, engine, details, delete, ${list(Object.keys(OPTIONAL_COLUMNS))})`);
    } else if (!templated(value)) {
      checkColumn(check, key, value, [...path, key], columns, report, templated);
    }
  }
  let normalized: Record<string, unknown> = {};
  if (engineOk && isMap(details) && !deletion) normalized = checkDetails(engine as Engine, details, [...path, 'details'], report, templated);
  if (failures > 0) return null;
  return { index, name: name as string, engine: engine as Engine, delete: deletion, details: normalized, columns };
}

function checkColumn(
  check: Check,
  key: string,
  value: unknown,
  path: KeyPath,
  columns: DatabaseColumns,
  report: (path: KeyPath, message: string) => void,
  templated: (v: unknown) => boolean,
): void {
  const set = columns as Record<string, unknown>;
  if (check === 'string-or-null') {
    if (value === null || typeof value === 'string') set[key] = value;
    else report(path, 'must be a string or null');
  } else if (check === 'boolean') {
    const parsed = booleanOf(value);
    if (parsed === undefined) report(path, 'must be true or false');
    else set[key] = parsed;
  } else if (check === 'schedule') {
    if (value === null) set[key] = null;
    else if (typeof value !== 'string') report(path, 'must be a Quartz cron string or null');
    else {
      const reason = validateQuartz(value);
      if (reason === null) set[key] = value;
      else report(path, `is not a supported Quartz cron string: ${reason}`);
    }
  } else if (!isMap(value)) {
    report(path, `must be a map (${list(DATABASE_SETTINGS)})`);
  } else {
    const settings: Record<string, unknown> = {};
    for (const [name, patterns] of Object.entries(value)) {
      const kebab = name.replace(/-/g, '_');
      if (!(DATABASE_SETTINGS as readonly string[]).includes(kebab)) {
        report([...path, name], `is not a database setting (${list(DATABASE_SETTINGS)})`);
      } else if (templated(patterns)) {
        continue;
      } else if (!Array.isArray(patterns) || patterns.some((p) => typeof p !== 'string' && !templated(p))) {
        report([...path, name], 'must be a list of regular expressions');
      } else {
        const bad = patterns.findIndex((p) => !templated(p) && compilePatterns([p]).invalid.length > 0);
        if (bad !== -1) report([...path, name, bad], 'is not a valid regular expression');
        else settings[kebab.replace(/_/g, '-')] = patterns;
      }
    }
    columns.settings = settings;
  }
}

/** A rule's description as a sentence about the key: `nullable enum of a, b` → `must be one of a, b`. */
function mustBe(description: string): string {
  const text = description.replace(/\.$/, '').replace(/^nullable /, '');
  if (text.startsWith('value ')) return text.slice('value '.length);
  if (text.startsWith('enum of ')) return `must be one of ${text.slice('enum of '.length)}`;
  return `must be a ${text}`;
}

/** The engine's details keys with the rules of POST /api/database; other keys are reported, not ignored. */
function checkDetails(
  engine: Engine,
  details: Record<string, unknown>,
  path: KeyPath,
  report: (path: KeyPath, message: string) => void,
  templated: (v: unknown) => boolean,
): Record<string, unknown> {
  const known = DETAIL_KEYS[engine].map((k) => k.key);
  for (const key of Object.keys(details)) {
    if (!known.includes(key)) report([...path, key], `is not a details key of ${engine} (${list(known)})`);
  }
  // Before expansion a templated value stands in for any valid one: it is checked once expanded.
  const checked = Object.fromEntries(Object.entries(details).filter(([, v]) => !templated(v)));
  const errors = new ValidationErrors();
  const values = readDetails(errors, engine, checked, '');
  try {
    errors.check();
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    const failures = (error.body as { errors: Record<string, string> }).errors;
    for (const [key, description] of Object.entries(failures)) {
      const templatedKey = Object.hasOwn(details, key) && templated(details[key]);
      if (!templatedKey) report([...path, key], mustBe(description));
    }
  }
  return normalizeDetails(engine, values);
}
