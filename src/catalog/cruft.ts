// Crufty tables and columns (sync-engine.md sections 3.6.2 and 3.6.3): built-in table patterns plus the database
// settings `auto-cruft-tables` and `auto-cruft-columns`, always tested against the lower-cased name.

/** Anchored patterns of framework tables: Django, Drupal, Rails, PostGIS, nginx, Liquibase, Lobos, MSSQL. */
export const BUILTIN_CRUFT_TABLE_PATTERNS: readonly RegExp[] = [
  // Django
  '^auth_group$', '^auth_group_permissions$', '^auth_permission$', '^django_admin_log$', '^django_content_type$',
  '^django_migrations$', '^django_session$', '^django_site$', '^south_migrationhistory$', '^user_groups$',
  '^user_user_permissions$',
  // Drupal
  '.*_cache$', '.*_revision$', '^advagg_.*', '^apachesolr_.*', '^authmap$', '^autoload_registry.*', '^batch$',
  '^blocked_ips$', '^cache.*', '^captcha_.*', '^config$', '^field_revision_.*', '^flood$', '^node_revision.*',
  '^queue$', '^rate_bot_.*', '^registry.*', '^router.*', '^semaphore$', '^sequences$', '^watchdog$',
  // Rails
  '^schema_migrations$', '^ar_internal_metadata$',
  // PostGIS, nginx, Liquibase, Lobos, MSSQL
  '^spatial_ref_sys$', '^nginx_access_log$', '^databasechangelog$', '^databasechangeloglock$', '^lobos_migrations$',
  '^syncobj_0x.*',
].map((source) => new RegExp(source));

export interface CompiledPatterns {
  readonly patterns: readonly RegExp[];
  /** Sources that are not valid regular expressions; they are ignored. */
  readonly invalid: readonly string[];
}

/** Compiles a settings value (an array of regular-expression strings); anything else counts as no patterns. */
export function compilePatterns(value: unknown): CompiledPatterns {
  const patterns: RegExp[] = [];
  const invalid: string[] = [];
  if (!Array.isArray(value)) return { patterns, invalid };
  for (const source of value) {
    if (typeof source !== 'string' || source === '') continue;
    try {
      patterns.push(new RegExp(source));
    } catch {
      invalid.push(source);
    }
  }
  return { patterns, invalid };
}

function matchesAny(name: string, patterns: readonly RegExp[]): boolean {
  const lower = name.toLowerCase();
  return patterns.some((p) => p.test(lower));
}

/** At creation: the built-in list and the user patterns. */
export function isCruftyNewTable(name: string, userPatterns: readonly RegExp[]): boolean {
  return matchesAny(name, BUILTIN_CRUFT_TABLE_PATTERNS) || matchesAny(name, userPatterns);
}

/** On update and reactivation only the user patterns count (an administrator's un-hiding stays). */
export function isCruftyByUserPatterns(name: string, userPatterns: readonly RegExp[]): boolean {
  return matchesAny(name, userPatterns);
}
