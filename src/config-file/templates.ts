// `{{ env VAR }}` in any string of the config file (curation-notes.md section 2): spaces allowed, only `env`, no
// recursive expansion. VAR is looked up as written, then as Metabase's environ does (case and `_`/`-`/`.` ignored).
// A missing variable is a problem naming VAR; a value is never printed. A string that is one template and expands
// to `true` or `false` becomes that boolean.
import type { KeyPath } from './parse.ts';

const TEMPLATE = /\{\{([^{}]*)\}\}/g;
const ENV_FORM = /^\s*env\s+([A-Za-z_][A-Za-z0-9_.-]*)\s*$/;

export type Env = Readonly<Record<string, string | undefined>>;

export function hasTemplate(value: unknown): value is string {
  return typeof value === 'string' && /\{\{[^{}]*\}\}/.test(value);
}

/** Problems of template forms other than `{{ env VAR }}`, before anything is expanded. */
export function templateFormProblems(value: unknown, path: KeyPath, problem: (path: KeyPath, message: string) => string): string[] {
  if (typeof value === 'string') {
    const forms = [...value.matchAll(TEMPLATE)].map((match) => match[1]!);
    return forms.some((form) => !ENV_FORM.test(form))
      ? [problem(path, 'holds a template other than {{ env VAR }}, the only form supported')]
      : [];
  }
  if (Array.isArray(value)) return value.flatMap((item, i) => templateFormProblems(item, [...path, i], problem));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => templateFormProblems(item, [...path, key], problem));
  }
  return [];
}

function lookup(env: Env, name: string): string | undefined {
  if (env[name] !== undefined) return env[name];
  const normal = (key: string) => key.toLowerCase().replace(/[-.]/g, '_');
  const wanted = normal(name);
  const match = Object.keys(env).find((key) => normal(key) === wanted && env[key] !== undefined);
  return match === undefined ? undefined : env[match];
}

/** The value with every template replaced; `missing` collects a problem per unset variable. */
export function expandTemplates(
  value: unknown,
  env: Env,
  path: KeyPath,
  missing: (path: KeyPath, variable: string) => void,
): unknown {
  if (typeof value === 'string') {
    const expanded = value.replace(TEMPLATE, (_whole, form: string) => {
      const variable = ENV_FORM.exec(form)![1]!;
      const found = lookup(env, variable);
      if (found === undefined) missing(path, variable);
      return found ?? '';
    });
    // A value that is one template and nothing else may stand for a boolean (an environment holds only strings).
    const whole = /^\{\{[^{}]*\}\}$/.test(value);
    return whole && (expanded === 'true' || expanded === 'false') ? expanded === 'true' : expanded;
  }
  if (Array.isArray(value)) return value.map((item, i) => expandTemplates(item, env, [...path, i], missing));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, expandTemplates(item, env, [...path, key], missing)]),
    );
  }
  return value;
}
