/**
 * Migrations, in order. Each is written once with Kysely's schema builder so it runs on both dialects;
 * where the dialects differ (auto-increment) the migration asks which one it is on. Applied migrations
 * are recorded by Kysely's Migrator in `kysely_migration`, under a lock, so replicas starting together
 * migrate once.
 */
import type { Kysely, Migration, MigrationProvider } from 'kysely';
import type { Dialect } from '../db.js';
import { m001Initial } from './001_initial.js';
import { m002OAuth } from './002_oauth.js';
import { m003HardenOpsAuditEntryId } from './003_harden_ops_audit_entry_id.js';
import { m004DashDataAuditIndexes } from './004_dash_data_audit_indexes.js';
import { m005DashDataSourceChecks } from './005_dash_data_source_checks.js';
import { m006SpeedChangeEpoch } from './006_speed_change_epoch.js';
import { m007DashFrameSessions } from './007_dash_frame_sessions.js';
import { m008GovernanceAudit } from './008_governance_audit.js';
import { m009Prod2RateCounters } from './009_prod2_rate_counters.js';
import { m010ResetPasswordLinks } from './010_reset_password_links.js';
import { m011AnswersDescriptionsEpoch } from './011_answers_descriptions_epoch.js';
import { m012Presets } from './012_presets.js';
import { m013ActivityRangeIndexes } from './013_activity_range_indexes.js';
import { m014RotateKeyIdsSizing } from './014_rotate_key_ids_sizing.js';

export type DialectMigration = (db: Kysely<unknown>, dialect: Dialect) => Promise<void>;

const ALL: Array<[string, DialectMigration]> = [
  ['001_initial', m001Initial],
  ['002_oauth', m002OAuth],
  ['003_harden_ops_audit_entry_id', m003HardenOpsAuditEntryId],
  ['004_dash_data_audit_indexes', m004DashDataAuditIndexes],
  ['005_dash_data_source_checks', m005DashDataSourceChecks],
  ['006_speed_change_epoch', m006SpeedChangeEpoch],
  ['007_dash_frame_sessions', m007DashFrameSessions],
  ['008_governance_audit', m008GovernanceAudit],
  ['009_prod2_rate_counters', m009Prod2RateCounters],
  ['010_reset_password_links', m010ResetPasswordLinks],
  ['011_answers_descriptions_epoch', m011AnswersDescriptionsEpoch],
  ['012_presets', m012Presets],
  ['013_activity_range_indexes', m013ActivityRangeIndexes],
  ['014_rotate_key_ids_sizing', m014RotateKeyIdsSizing],
];

export class StaticMigrationProvider implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    const out: Record<string, Migration> = {};
    for (const [name, up] of ALL) out[name] = { up: (db) => up(db, this.dialect) };
    return out;
  }
}

