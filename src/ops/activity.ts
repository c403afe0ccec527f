/**
 * Activity: the audit log as the dashboard shows it — filtered, newest first, a page at a time (keyset
 * on the entry id, so page 1,000 costs what page 1 costs), the full SQL and error of each entry, a CSV
 * export of the filtered set, and the overview (calls per day per source, error rate, p95 latency).
 * Admins see the whole organization; members see their own calls.
 */
import { TOOL_ERROR_CODES } from '../errors.js';
import { TOOLS } from '../mcp/server.js';
import type { AuditDay, AuditFilter, AuditRecord } from '../store/audit.js';
import { currentRole, isAdmin, userIdOf, type OpsActor, type OpsDeps } from './access.js';
import { listKeys, type KeyView } from './keys.js';

export interface ActivityFilter {
  sourceId?: string | undefined;
  userId?: string | undefined;
  credentialId?: string | undefined;
  tool?: string | undefined;
  /** `ok`, `error` (any failure) or a failure code. */
  outcome?: string | undefined;
  /** ISO times; `until` is exclusive. */
  since?: string | undefined;
  until?: string | undefined;
}

export interface ActivityEntry {
  id: number;
  at: string;
  user: { id: string; label: string } | null;
  credential: { kind: string; id: string; label: string };
  source: string | null;
  tool: string;
  sql: string | null;
  rowCount: number | null;
  durationMs: number;
  outcome: string;
  error: string | null;
}

export interface ActivityPage {
  entries: ActivityEntry[];
  /** Pass as `before` for the next (older) page; null at the end. */
  nextCursor: number | null;
}

const ID = /^[A-Za-z0-9_.:-]{1,100}$/;
const TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z?)?$/;

/** Drops filter values that cannot match anything well-formed (they came from a URL). */
function sanitize(f: ActivityFilter): ActivityFilter {
  const id = (v: string | undefined) => (v && ID.test(v) ? v : undefined);
  const time = (v: string | undefined) => (v && TIME.test(v) && !Number.isNaN(Date.parse(v)) ? new Date(v).toISOString() : undefined);
  return {
    sourceId: id(f.sourceId),
    userId: id(f.userId),
    credentialId: id(f.credentialId),
    tool: id(f.tool),
    outcome: id(f.outcome),
    since: time(f.since),
    until: time(f.until),
  };
}

async function scope(deps: OpsDeps, actor: OpsActor, f: ActivityFilter): Promise<AuditFilter> {
  const role = await currentRole(deps, actor);
  const clean = sanitize(f);
  return {
    orgId: actor.orgId,
    sourceId: clean.sourceId,
    // Members see only their own calls, whatever the URL says.
    userId: isAdmin(role) ? clean.userId : (userIdOf(actor) ?? '\u0000'),
    credentialId: clean.credentialId,
    tool: clean.tool,
    outcome: clean.outcome,
    since: clean.since,
    until: clean.until,
  };
}

/**
 * The person an audit filter names by email (`sequel audit --user`), as the actor may name them: the
 * operator anyone with an account (former members' calls stay in the log), an admin the organization's
 * members, a member only themselves. Undefined when there is no such person for this actor.
 */
export async function activityUserByEmail(deps: OpsDeps, actor: OpsActor, email: string): Promise<string | undefined> {
  const role = await currentRole(deps, actor);
  const user = await deps.store.users.byEmail(email);
  if (!user) return undefined;
  if (actor.kind === 'operator') return user.id;
  if (!isAdmin(role)) return user.id === actor.userId ? user.id : undefined;
  return (await deps.store.users.membership(actor.orgId, user.id)) ? user.id : undefined;
}

/**
 * The live keys an audit filter may name by id or displayed prefix (`sequel audit --key`), among those
 * the actor may see (members their own, admins and the operator every key of the organization).
 */
export async function activityKeysMatching(deps: OpsDeps, actor: OpsActor, text: string): Promise<KeyView[]> {
  await currentRole(deps, actor);
  const needle = text.replace(/…$/, '');
  return (await listKeys(deps, actor)).filter((k) => k.id === needle || k.prefix === needle || k.prefix.startsWith(needle));
}

async function userLabels(deps: OpsDeps, orgId: string, records: AuditRecord[]): Promise<Map<string, string>> {
  const labels = new Map((await deps.store.users.members(orgId)).map((m) => [m.id, m.name ? `${m.name} <${m.email}>` : m.email]));
  for (const r of records) {
    if (r.user_id && !labels.has(r.user_id)) {
      const u = await deps.store.users.get(r.user_id);
      labels.set(r.user_id, u ? `${u.email} (former member)` : 'deleted user');
    }
  }
  return labels;
}

function toEntry(r: AuditRecord, labels: Map<string, string>): ActivityEntry {
  return {
    id: r.id,
    at: r.at,
    user: r.user_id ? { id: r.user_id, label: labels.get(r.user_id) ?? 'deleted user' } : null,
    credential: { kind: r.credential_kind, id: r.credential_id, label: r.credential_label },
    source: r.source_name ?? null,
    tool: r.tool,
    sql: r.sql ?? null,
    rowCount: r.row_count ?? null,
    durationMs: r.duration_ms,
    outcome: r.outcome,
    error: r.error ?? null,
  };
}

export async function listActivity(deps: OpsDeps, actor: OpsActor, f: ActivityFilter, page: { before?: number | undefined; limit?: number | undefined } = {}): Promise<ActivityPage> {
  const filter = await scope(deps, actor, f);
  const limit = Math.min(Math.max(page.limit ?? 50, 1), 500);
  const before = page.before !== undefined && Number.isSafeInteger(page.before) && page.before > 0 ? page.before : undefined;
  // One more than the page tells whether an older page exists.
  const records = await deps.store.audit.list({ ...filter, beforeId: before, limit: limit + 1 });
  const more = records.length > limit;
  const shown = records.slice(0, limit);
  const labels = await userLabels(deps, actor.orgId, shown);
  return { entries: shown.map((r) => toEntry(r, labels)), nextCursor: more ? shown[shown.length - 1]!.id : null };
}

const CSV_COLUMNS = ['time', 'user', 'credential_kind', 'credential', 'source', 'tool', 'sql', 'rows', 'duration_ms', 'outcome', 'error'] as const;

/**
 * One CSV field (RFC 4180 §2: quoted when it holds a comma, quote or line break, quotes doubled). A cell a
 * spreadsheet would run as a formula (OWASP "CSV injection") is prefixed with a quote.
 */
export function csvField(value: unknown): string {
  let s = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The filtered log as CSV lines (header first), read a page at a time so it streams at any size. */
export async function* activityCsv(deps: OpsDeps, actor: OpsActor, f: ActivityFilter, max = 1_000_000): AsyncGenerator<string> {
  const filter = await scope(deps, actor, f);
  yield CSV_COLUMNS.join(',') + '\r\n';
  let before: number | undefined;
  let sent = 0;
  while (sent < max) {
    const records = await deps.store.audit.list({ ...filter, beforeId: before, limit: Math.min(1000, max - sent) });
    if (records.length === 0) return;
    const labels = await userLabels(deps, actor.orgId, records);
    let chunk = '';
    for (const r of records) {
      const e = toEntry(r, labels);
      chunk +=
        [e.at, e.user?.label ?? '', e.credential.kind, e.credential.label, e.source ?? '', e.tool, e.sql ?? '', e.rowCount ?? '', e.durationMs, e.outcome, e.error ?? '']
          .map(csvField)
          .join(',') + '\r\n';
    }
    yield chunk;
    sent += records.length;
    before = records[records.length - 1]!.id;
  }
}

export interface ActivityOverview {
  /** Every day of the window, oldest first, zero-filled. */
  days: AuditDay[];
  /** Sources by calls in the window, most first. */
  sources: string[];
  calls: number;
  errors: number;
  /** Largest daily p95 in the window, ms. */
  p95Ms: number | null;
}

export async function activityOverview(deps: OpsDeps, actor: OpsActor, days = 30): Promise<ActivityOverview> {
  const role = await currentRole(deps, actor);
  const n = Math.min(Math.max(Math.floor(days), 1), 90);
  const start = new Date();
  start.setUTCHours(0, 0, 0, 0);
  start.setUTCDate(start.getUTCDate() - (n - 1));
  const found = await deps.store.audit.overview(actor.orgId, start.toISOString(), isAdmin(role) ? {} : { userId: userIdOf(actor) ?? '\u0000' });
  const byDay = new Map(found.map((d) => [d.day, d]));
  const out: AuditDay[] = [];
  const totals = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const d = new Date(start);
    d.setUTCDate(start.getUTCDate() + i);
    const day = d.toISOString().slice(0, 10);
    const hit = byDay.get(day) ?? { day, calls: 0, errors: 0, p95Ms: null, bySource: [] };
    for (const s of hit.bySource) totals.set(s.source, (totals.get(s.source) ?? 0) + s.calls);
    out.push(hit);
  }
  const p95s = out.map((d) => d.p95Ms).filter((v): v is number => v !== null);
  return {
    days: out,
    sources: [...totals.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([s]) => s),
    calls: out.reduce((a, d) => a + d.calls, 0),
    errors: out.reduce((a, d) => a + d.errors, 0),
    p95Ms: p95s.length ? Math.max(...p95s) : null,
  };
}

export interface ActivityFacets {
  sources: Array<{ id: string; name: string }>;
  /** Admins only (members see their own calls). */
  users: Array<{ id: string; label: string }>;
  credentials: Array<{ id: string; label: string }>;
  tools: string[];
  outcomes: string[];
}

/** The values the filter menus offer. */
export async function activityFacets(deps: OpsDeps, actor: OpsActor): Promise<ActivityFacets> {
  const role = await currentRole(deps, actor);
  const admin = isAdmin(role);
  const [sources, members, keys] = await Promise.all([
    deps.store.sources.list(actor.orgId),
    admin ? deps.store.users.members(actor.orgId) : Promise.resolve([]),
    deps.store.apiKeys.list(actor.orgId, { includeRevoked: true }),
  ]);
  // A key records its creator's email as it was (`created_by`).
  const me = !admin && userIdOf(actor) ? await deps.store.users.get(userIdOf(actor)!) : undefined;
  const myKeys = admin ? keys : keys.filter((k) => me !== undefined && k.created_by === me.email);
  return {
    sources: sources.map((s) => ({ id: s.id, name: s.name })),
    users: members.map((m) => ({ id: m.id, label: m.name ? `${m.name} <${m.email}>` : m.email })),
    credentials: myKeys.map((k) => ({ id: k.id, label: `${k.name} (${k.prefix}…)` })),
    tools: TOOLS.map((t) => t.name),
    outcomes: ['ok', 'error', ...TOOL_ERROR_CODES],
  };
}
