/**
 * Which functions, operators and types a PostgreSQL statement may use, and why: the hand review that
 * `npm run allowlists:postgres` (scripts/allowlists/postgres.ts) applies to the server's own catalog.
 *
 * PostgreSQL runs a function in many syntactic forms (an ordinary call, named or mixed notation, VARIADIC,
 * a table function in FROM / ROWS FROM / LATERAL, the functional attribute notation `t.f` = `f(t)`, an
 * operator, a cast or a type's input function, a TABLESAMPLE method…); the guard (./guard.ts) collects
 * every one of them and judges each with `judgeFunction`/`judgeOperator`/`judgeType` below.
 *
 * The generated list (./functions.generated.ts) holds every function name of `pg_catalog` and
 * `information_schema` with its verdict. A name is read-only when *every* overload is:
 *   1. not denied here (POSTGRES_DENIED_FUNCTIONS — PostgreSQL docs §9.27 System Administration Functions,
 *      files, large objects, locks, sequences, session state, SQL given as text, sleeps…), whatever its
 *      volatility;
 *   2. IMMUTABLE or STABLE in `pg_proc.provolatile` (PostgreSQL promises such a function does not modify
 *      the database, §38.7 Function Volatility Categories), or VOLATILE but reviewed one by one in
 *      REVIEWED_VOLATILE_READ_ONLY;
 *   3. callable from SQL at all (not a trigger, handler or other pseudo-typed support function).
 * Anything else — a name the list does not know, a function of another schema — is a user-defined
 * function: refused unless the source's policy sets `allowUserFunctions`, and never when it is denied.
 */
import { DenyList } from '../guard/deny.js';

/**
 * Refused wherever and however they appear, whatever the policy (even `allowUserFunctions` and even when
 * an extension or a user function of the same name is meant). Names match on the function's last name
 * part, case-insensitively.
 */
export const POSTGRES_DENIED_FUNCTIONS = new DenyList([
  {
    reason: 'it reads, lists or writes files on the database server',
    names: [
      'pg_stat_file',
      'pg_logdir_ls',
      'pg_hba_file_rules',
      'pg_ident_file_mappings',
      'pg_show_all_file_settings',
      'pg_current_logfile',
    ],
    prefixes: ['pg_read_', 'pg_ls_', 'pg_file_'],
  },
  {
    reason: 'it uses large objects, which import, export and write server files and data',
    names: ['loread', 'lowrite'],
    prefixes: ['lo_'],
  },
  { reason: 'it opens connections to other databases', prefixes: ['dblink', 'postgres_fdw_'] },
  { reason: 'it changes session settings, which would outlive the call', names: ['set_config', 'setseed'] },
  { reason: 'it takes advisory locks, which can outlive the query', prefixes: ['pg_advisory', 'pg_try_advisory'] },
  { reason: "it advances or sets a sequence, or reads the session's sequence state", names: ['nextval', 'setval', 'currval', 'lastval'] },
  { reason: 'it assigns a transaction ID (a write to the server state)', names: ['txid_current', 'pg_current_xact_id'] },
  { reason: 'it sends a notification to other sessions', names: ['pg_notify'] },
  {
    // query_to_xml('DELETE …', …) and friends run SQL given as a string, which no guard can see.
    reason: 'it runs SQL given as text, out of reach of this check',
    names: ['ts_stat', 'ts_rewrite', 'current_query'],
    patterns: [/^(query|cursor|table|schema|database)_to_xml/],
  },
  {
    // Not a write, but it only holds a pooled connection and a backend busy until the statement timeout:
    // one call per pool slot would make the source unavailable to everyone (denial of service).
    reason: 'it only waits, holding a connection and a server process busy (denial of service)',
    prefixes: ['pg_sleep'],
  },
  {
    reason: 'it signals or administers the server',
    names: [
      'pg_terminate_backend',
      'pg_cancel_backend',
      'pg_signal_backend',
      'pg_reload_conf',
      'pg_promote',
      'pg_switch_wal',
      'pg_switch_xlog',
      'pg_start_backup',
      'pg_stop_backup',
      'pg_import_system_collations',
      'pg_extension_config_dump',
      'pg_nextoid',
      'pg_export_snapshot',
      'pg_prewarm',
      'autoprewarm_start_worker',
      'autoprewarm_dump_now',
      'pg_stat_statements_reset',
      'pg_truncate_visibility_map',
      'brin_summarize_new_values',
      'brin_summarize_range',
      'brin_desummarize_range',
      'gin_clean_pending_list',
      'pg_sync_replication_slots',
      'pg_stat_clear_snapshot',
      'pg_stat_force_next_flush',
      'pg_stop_making_pinned_objects',
      'pg_isolation_test_session_is_blocked',
      'amvalidate',
      'currtid2',
    ],
    prefixes: [
      'pg_rotate_logfile',
      'pg_log_',
      'pg_backup_',
      'pg_wal_replay_',
      'pg_xlog_replay_',
      'pg_stat_reset',
      'binary_upgrade_',
      'pg_create_',
      'pg_drop_',
      'pg_copy_',
      'pg_replication_',
      'pg_logical_',
    ],
  },
]);

/**
 * VOLATILE built-ins reviewed one by one and found read-only: they read server state (sizes, the lock
 * table, WAL positions, control data) or produce fresh values (clocks, random numbers, UUIDs) and change
 * nothing a later caller could see. Everything else VOLATILE is refused.
 */
export const REVIEWED_VOLATILE_READ_ONLY: ReadonlySet<string> = new Set([
  'clock_timestamp',
  'timeofday',
  'random',
  'random_normal',
  'gen_random_uuid',
  'uuidv4',
  'uuidv7',
  'pg_relation_size',
  'pg_table_size',
  'pg_indexes_size',
  'pg_total_relation_size',
  'pg_database_size',
  'pg_tablespace_size',
  'pg_partition_tree',
  'pg_partition_ancestors',
  'pg_lock_status',
  'pg_blocking_pids',
  'pg_safe_snapshot_blocking_pids',
  'pg_is_in_recovery',
  'pg_is_wal_replay_paused',
  'pg_get_wal_replay_pause_state',
  'pg_current_wal_lsn',
  'pg_current_wal_insert_lsn',
  'pg_current_wal_flush_lsn',
  'pg_last_wal_receive_lsn',
  'pg_last_wal_replay_lsn',
  'pg_last_xact_replay_timestamp',
  'pg_last_committed_xact',
  'pg_control_checkpoint',
  'pg_control_init',
  'pg_control_recovery',
  'pg_control_system',
  'pg_jit_available',
  'pg_notification_queue_usage',
  'pg_collation_actual_version',
  'pg_database_collation_actual_version',
  'pg_xact_commit_timestamp',
  'pg_xact_commit_timestamp_origin',
  'pg_xact_status',
  'txid_status',
  'pg_sequence_last_value',
  'pg_stat_have_stats',
  'pg_get_wal_resource_managers',
  'pg_get_multixact_members',
  'pg_prepared_xact',
  'pg_show_replication_origin_status',
  'pg_stat_get_recovery_prefetch',
  'pg_get_shmem_allocations',
  'pg_get_backend_memory_contexts',
]);

/** Names that start with these are the xact-local statistics readers (VOLATILE only because they change within a transaction). */
export const REVIEWED_VOLATILE_PREFIXES: readonly string[] = ['pg_stat_get_xact_'];

/**
 * Return types of functions that are not callable from a query (triggers, handlers, support functions
 * for the executor): refused, so that the list holds only what a read can call.
 */
export const NOT_CALLABLE_RETURN_TYPES: ReadonlySet<string> = new Set([
  'trigger',
  'event_trigger',
  'internal',
  'language_handler',
  'fdw_handler',
  'index_am_handler',
  'table_am_handler',
  'tsm_handler',
]);

/** The verdict of one built-in name, as generated: `true` read-only, or the reason it is refused. */
export type Verdict = true | string;

/** The generated module's shape (functions.generated.ts). */
export interface PostgresCatalogList {
  /** `server_version` of the server it was generated from, and its major version. */
  server: string;
  major: number;
  /** Function names of pg_catalog and information_schema (lower-case) → verdict. */
  functions: Readonly<Record<string, Verdict>>;
  /** Operator names of pg_catalog → verdict (read-only when every function behind the name is). */
  operators: Readonly<Record<string, Verdict>>;
  /** Type names of pg_catalog and information_schema (their input functions and casts are built-ins). */
  types: readonly string[];
  /** TABLESAMPLE methods of pg_catalog (functions returning tsm_handler) that are read-only. */
  sampleMethods: readonly string[];
}
