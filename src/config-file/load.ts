// Finds and reads the config file: MB_CONFIG_FILE_PATH, else ./config.yml when present (curation-notes.md
// section 2). The whole file is validated before any template is expanded and before the database is touched.
import { existsSync, readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { ConfigFileError, formatPath, parseConfigText, type KeyPath } from './parse.ts';
import { expandTemplates, templateFormProblems, type Env } from './templates.ts';
import { checkConfig, type ConfigFilePlan } from './validate.ts';

/** The file start-up applies: the explicit path (which must exist), else `./config.yml` if present, else null. */
export function configFileToApply(explicitPath: string | null, cwd = process.cwd()): string | null {
  if (explicitPath !== null) {
    if (!existsSync(explicitPath)) throw new ConfigFileError([`MB_CONFIG_FILE_PATH names no file: ${explicitPath}`]);
    return explicitPath;
  }
  const fallback = resolve(cwd, 'config.yml');
  return existsSync(fallback) ? fallback : null;
}

/** Parses, validates, expands `{{ env VAR }}` and validates again; throws ConfigFileError with every problem. */
export function readConfigFile(file: string, env: Env): ConfigFilePlan {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigFileError([`${basename(file)}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  return planOf(text, file, env);
}

export function planOf(text: string, file: string, env: Env): ConfigFilePlan {
  const parsed = parseConfigText(text, file);
  const before = checkConfig(parsed.value, parsed.problem, true);
  const forms = templateFormProblems(parsed.value, [], parsed.problem);
  if (before.problems.length > 0 || forms.length > 0) throw new ConfigFileError([...before.problems, ...forms]);
  const missing: string[] = [];
  const onMissing = (path: KeyPath, variable: string) =>
    void missing.push(
      `${basename(file)}:${parsed.lineOf(path)}: ${formatPath(path)} uses {{ env ${variable} }}, but ${variable} is not set`,
    );
  const expanded = expandTemplates(parsed.value, env, [], onMissing);
  if (missing.length > 0) throw new ConfigFileError(missing);
  const after = checkConfig(expanded, parsed.problem, false);
  if (after.problems.length > 0 || after.plan === null) throw new ConfigFileError(after.problems);
  return after.plan;
}
