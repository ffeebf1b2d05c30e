// Row types of the application database, snake_case, mirroring the tables of sync-engine.md section 2.
// Booleans read back as boolean (PostgreSQL) or 0/1 (SQLite): use toBool(). Timestamps read back as ISO strings on
// both (the PostgreSQL pool parses timestamptz to ISO, see connect.ts). JSON columns hold text: use parseJson().
import type { ColumnType, Generated } from 'kysely';

type Bool = ColumnType<boolean | number, boolean | undefined, boolean>;
type Ts = ColumnType<string, string | undefined, string>;
type NullableTs = ColumnType<string | null, string | null | undefined, string | null>;

export interface DatabaseRow {
  id: Generated<number>;
  created_at: Ts;
  updated_at: Ts;
  name: string;
  description: string | null;
  engine: string;
  details: string;
  is_full_sync: Bool;
  is_on_demand: Bool;
  is_attached_dwh: Bool;
  metadata_sync_schedule: string | null;
  cache_field_values_schedule: string | null;
  timezone: string | null;
  dbms_version: string | null;
  initial_sync_status: ColumnType<string, string | undefined, string>;
  settings: ColumnType<string, string | undefined, string>;
  caveats: string | null;
  points_of_interest: string | null;
  metadata_sync_fired_at: NullableTs;
  field_values_fired_at: NullableTs;
}

export interface TableRow {
  id: Generated<number>;
  created_at: Ts;
  updated_at: Ts;
  db_id: number;
  schema: string | null;
  name: string;
  display_name: string;
  description: string | null;
  database_comment: string | null;
  kind: ColumnType<string, string | undefined, string>;
  entity_type: string | null;
  active: Bool;
  deactivated_at: NullableTs;
  visibility_type: string | null;
  field_order: ColumnType<string, string | undefined, string>;
  initial_sync_status: ColumnType<string, string | undefined, string>;
  estimated_row_count: number | null;
  database_object_id: string | null;
  database_foreign_keys: ColumnType<string, string | undefined, string>;
  database_indexes: ColumnType<string, string | undefined, string>;
  /** Hashes of what sync-fields, sync-fks and sync-indexes last reconciled; cleared by triggers (migration 004). */
  fields_hash: ColumnType<string | null, string | null | undefined, string | null>;
  fks_hash: ColumnType<string | null, string | null | undefined, string | null>;
  indexes_hash: ColumnType<string | null, string | null | undefined, string | null>;
  caveats: string | null;
  points_of_interest: string | null;
  user_set: ColumnType<string, string | undefined, string>;
}

export interface FieldRow {
  id: Generated<number>;
  created_at: Ts;
  updated_at: Ts;
  table_id: number;
  parent_id: number | null;
  name: string;
  display_name: string;
  description: string | null;
  database_comment: string | null;
  database_type: string;
  base_type: string;
  effective_type: string;
  coercion_strategy: string | null;
  semantic_type: string | null;
  active: Bool;
  visibility_type: ColumnType<string, string | undefined, string>;
  preview_display: Bool;
  position: ColumnType<number, number | undefined, number>;
  custom_position: ColumnType<number, number | undefined, number>;
  database_position: ColumnType<number, number | undefined, number>;
  nfc_path: string | null;
  json_unfolding: Bool;
  fk_target_field_id: number | null;
  fingerprint: string | null;
  fingerprint_version: ColumnType<number, number | undefined, number>;
  last_analyzed: NullableTs;
  has_field_values: string | null;
  database_is_pk: Bool;
  database_is_nullable: Bool;
  database_required: Bool;
  database_is_auto_increment: Bool;
  database_is_generated: Bool;
  database_default: string | null;
  database_indexed: Bool;
  database_object_id: string | null;
  settings: string | null;
  caveats: string | null;
  points_of_interest: string | null;
  user_set: ColumnType<string, string | undefined, string>;
}

export interface FieldValuesRow {
  id: Generated<number>;
  created_at: Ts;
  updated_at: Ts;
  field_id: number;
  values: ColumnType<string, string | undefined, string>;
  human_readable_values: ColumnType<string, string | undefined, string>;
  has_more_values: Bool;
  type: ColumnType<string, string | undefined, string>;
  hash_key: string | null;
}

export interface TaskHistoryRow {
  id: Generated<number>;
  task: string;
  db_id: number | null;
  job_id: number | null;
  parent_id: number | null;
  started_at: string;
  ended_at: string | null;
  duration: number | null;
  status: ColumnType<string, string | undefined, string>;
  task_details: string | null;
  logs: string | null;
}

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'interrupted' | 'skipped';

export interface SyncJobRow {
  id: Generated<number>;
  database_id: number;
  state: ColumnType<JobState, JobState | undefined, JobState>;
  plan: string;
  triggers: string;
  trigger_count: ColumnType<number, number | undefined, number>;
  priority: ColumnType<number, number | undefined, number>;
  enqueued_at: Ts;
  started_at: NullableTs;
  finished_at: NullableTs;
  lease_owner: string | null;
  lease_expires_at: NullableTs;
  heartbeat_at: NullableTs;
  attempt: ColumnType<number, number | undefined, number>;
  retried_as: number | null;
  error: string | null;
  result: string | null;
  updated_at: Ts;
  /** A running job's progress, JSON (migration 003). */
  progress: ColumnType<string | null, string | null | undefined, string | null>;
}

/** The change webhooks' outbox (migration 003). */
export interface WebhookDeliveryRow {
  id: Generated<number>;
  delivery_id: string;
  job_id: number;
  url: string;
  payload: string;
  state: ColumnType<'pending' | 'delivered' | 'failed', 'pending' | undefined, 'pending' | 'delivered' | 'failed'>;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: Ts;
  lease_owner: string | null;
  lease_expires_at: NullableTs;
  last_status: number | null;
  last_error: string | null;
  delivered_at: NullableTs;
  created_at: Ts;
}

/** A stored setting (migration 002): `encryption-check` and the settings applied from the config file. */
export interface SettingRow {
  key: string;
  value: string;
}

export interface AppSchema {
  metabase_database: DatabaseRow;
  metabase_table: TableRow;
  metabase_field: FieldRow;
  metabase_fieldvalues: FieldValuesRow;
  task_history: TaskHistoryRow;
  sync_job: SyncJobRow;
  webhook_delivery: WebhookDeliveryRow;
  setting: SettingRow;
}

export function toBool(v: boolean | number | null | undefined): boolean {
  return v === true || v === 1;
}

export function parseJson<T>(text: string | null | undefined, fallback: T): T {
  if (text == null || text === '') return fallback;
  return JSON.parse(text) as T;
}
