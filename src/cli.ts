#!/usr/bin/env node
/**
 * The `sequel` command. Every command uses the same store settings as `serve` (SEQUEL_DATA_DIR,
 * SEQUEL_DATABASE_URL, SEQUEL_SECRET_KEY), prints data as text or, with --json, as JSON on stdout, and
 * exits 1 with one plain sentence on stderr when something is wrong (2 for usage errors).
 */
import net from 'node:net';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { keyLabel, parseExpiry } from './auth/apiKeys.js';
import { loadConfig, type Config } from './config.js';
import { AppError, ValidationError, errorMessage } from './errors.js';
import { createLogger } from './log.js';
import { ensureDefaults, issueSetupToken, openRuntime, type Runtime } from './runtime.js';
import { isWorker, runPrimary, WorkerStartError } from './cluster.js';
import { startServer, type RunningServer } from './server.js';
import { OVERVIEW, helpFor } from './cliHelp.js';
import { intOption, print, readStdin, required, table, UsageError } from './cliUtil.js';
import { auditCommand, describeCommand, descriptionsCommand, operatorIn, setPolicyCommand, sourcesCommand } from './cliData.js';
import { listAuthorizations, revokeAuthorization } from './ops/authorizations.js';
import { createKey, listKeys, revokeKey, setKeyPreset } from './ops/keys.js';
import { createPreset, getPreset, listPresets, removePreset, updatePreset, type PresetView } from './ops/presets.js';
import { addExistingMember, changeRole, createMember, listMembers, memberByEmail, removeMember } from './ops/members.js';
import { createOrg, listAllOrgs, orgsOfPerson } from './ops/orgs.js';
import { createResetLink, RESET_PATH } from './ops/passwordReset.js';
import { rotateServerKey, type RotationCounts, type RotationReport } from './ops/serverKey.js';
import { generateServerKey } from './secrets.js';
import type { Actor } from './ops/permissions.js';
import { identityList, maskList, nameList, type SourcePolicy } from './sources.js';


/** The command being run, so a usage error can show that command's page rather than the overview. */
let currentCommand: string | undefined;

const USAGE = OVERVIEW;

const OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  org: { type: 'string' },
  name: { type: 'string' },
  role: { type: 'string' },
  engine: { type: 'string' },
  url: { type: 'string' },
  description: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  tls: { type: 'string' },
  'tls-ca': { type: 'string' },
  'db-host': { type: 'string' },
  'db-port': { type: 'string' },
  'db-user': { type: 'string' },
  database: { type: 'string' },
  'connect-timeout-ms': { type: 'string' },
  'pool-max': { type: 'string' },
  'max-rows': { type: 'string' },
  'timeout-ms': { type: 'string' },
  'skip-test': { type: 'boolean' },
  'allowed-schemas': { type: 'string' },
  'hide-tables': { type: 'string' },
  'hide-columns': { type: 'string' },
  mask: { type: 'string' },
  'identity-roles': { type: 'string' },
  'identity-required': { type: 'string' },
  sources: { type: 'string' },
  preset: { type: 'string' },
  'no-preset': { type: 'boolean' },
  'new-name': { type: 'string' },
  expires: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  source: { type: 'string' },
  table: { type: 'string' },
  column: { type: 'string' },
  user: { type: 'string' },
  key: { type: 'string' },
  tool: { type: 'string' },
  outcome: { type: 'string' },
  since: { type: 'string' },
  limit: { type: 'string' },
  csv: { type: 'boolean' },
  prune: { type: 'boolean' },
  generate: { type: 'boolean' },
  'max-bytes': { type: 'string' },
  'max-rows-ceiling': { type: 'string' },
} satisfies ParseArgsConfig['options'];

type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };


function yesNo(text: string, what: string): boolean {
  if (['yes', 'true', 'on'].includes(text)) return true;
  if (['no', 'false', 'off'].includes(text)) return false;
  throw new UsageError(`--${what} takes yes or no`);
}

/** The governance flags given (absent flags leave the policy's value as it is). */
function governanceFlags(v: Values): Partial<SourcePolicy> {
  return {
    ...(v['allowed-schemas'] !== undefined ? { allowedSchemas: nameList(v['allowed-schemas']) } : {}),
    ...(v['hide-tables'] !== undefined ? { hiddenTables: nameList(v['hide-tables']) } : {}),
    ...(v['hide-columns'] !== undefined ? { hiddenColumns: nameList(v['hide-columns']) } : {}),
    ...(v.mask !== undefined ? { maskedColumns: maskList(v.mask) } : {}),
    ...(v['identity-roles'] !== undefined ? { identityRoles: identityList(v['identity-roles']) } : {}),
    ...(v['identity-required'] !== undefined ? { identityRequired: yesNo(v['identity-required'], 'identity-required') } : {}),
  };
}

/** The preset flags given: the governance flags a preset can set (absent flags leave its value as it is). */
function presetFlags(v: Values): Partial<SourcePolicy> {
  const { identityRoles: _roles, identityRequired: _required, ...rest } = governanceFlags(v);
  if (v['identity-roles'] !== undefined || v['identity-required'] !== undefined) throw new UsageError('a preset sets schemas, hidden tables and columns and masks; identity roles belong to a source');
  return rest;
}

function presetText(p: PresetView): string {
  const q = p.policy;
  return [
    `preset ${p.name}${p.description ? ` — ${p.description}` : ''}`,
    `  allowed schemas: ${q.allowedSchemas.join(', ') || '(as each source allows)'}`,
    `  hidden tables:   ${q.hiddenTables.join(', ') || '(none)'}`,
    `  hidden columns:  ${q.hiddenColumns.join(', ') || '(none)'}`,
    `  masked columns:  ${q.maskedColumns.map((m) => `${m.column}:${m.mode}`).join(', ') || '(none)'}`,
    `  used by:         ${p.used_by.keys} API key(s), ${p.used_by.authorizations} OAuth authorization(s)`,
  ].join('\n');
}

/** A DSN from separate fields (`--db-host`, `--db-port`, `--db-user`, `--database`) when `--url` is not given. */
function urlFromFields(v: Values): string {
  const engine = required(v, 'engine');
  if (engine === 'sqlite' || engine === 'duckdb') throw new UsageError(`--url (the file path) is required for ${engine}`);
  const host = v['db-host'];
  if (!host) throw new UsageError('give --url, or --db-host with --db-user and --database');
  const u = new URL(`${engine === 'mysql' ? 'mysql' : 'postgres'}://placeholder`);
  u.hostname = host;
  if (v['db-port']) u.port = v['db-port'];
  u.username = required(v, 'db-user');
  u.pathname = `/${required(v, 'database')}`;
  return u.toString();
}




/** The rotation report as text: counts, what could not be done, and what still depends on an old key. */
async function rotationText(rt: Runtime, r: RotationReport): Promise<string> {
  const c = (x: RotationCounts) =>
    `${x.reencrypted} re-encrypted, ${x.alreadyCurrent} already under the current key` + (x.changedMeanwhile ? `, ${x.changedMeanwhile} changed meanwhile (run again)` : '');
  const lines = [
    `server key ring: current ${r.keyId}` + (r.previousKeyIds.length ? `, previous ${r.previousKeyIds.join(', ')}` : ' (no previous keys)'),
    `source credentials: ${c(r.sources)}`,
    `OAuth client secrets and sessions: ${c(r.oauthSecrets)}`,
  ];
  for (const f of r.failed) lines.push(`could not re-encrypt ${f.table} ${f.id}: ${f.reason}`);
  lines.push(
    r.complete
      ? `every stored secret is under ${r.keyId}; the store requires it` + (r.storeKeyBefore !== r.keyId ? ` from now on (it required ${r.storeKeyBefore})` : '')
      : `not finished: the store still requires ${r.storeKeyBefore}`,
  );
  if (r.apiKeysUnderOlderKeys.length === 0) {
    lines.push('API keys: none depends on an older server key');
  } else {
    const slugs = new Map((await listAllOrgs(rt, { kind: 'operator' })).map((o) => [o.id, o.slug]));
    lines.push(
      `API keys still hashed under an older server key: ${r.apiKeysUnderOlderKeys.length}. They work while that key is in SEQUEL_SECRET_KEY_PREVIOUS`,
      'and move to the current key at their next use; any not used by then stop working when you drop it:',
      table([['ORG', 'KEY', 'SERVER KEY'], ...r.apiKeysUnderOlderKeys.map((k) => [slugs.get(k.orgId) ?? k.orgId, keyLabel(k), k.keyId])]),
    );
  }
  lines.push('OAuth tokens and dashboard sessions issued before the new key are not counted (stored as hashes); they keep working while the old key is in the ring.');
  return lines.join('\n');
}

async function withRuntime<T>(config: Config, fn: (rt: Runtime) => Promise<T>): Promise<T> {
  // Administrative commands work on the store directly; they need no OAuth provider (which takes a
  // noticeable moment to load). Authorizations are listed and revoked through the store too.
  const rt = await openRuntime({ ...config, oauth: false }, { logger: createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel) });
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

/**
 * The environment a `sequel` command needs in front of it to reach this server's store: the data
 * directory when it is not the default one (the CLI would otherwise open ./.sequel, and a key created
 * there would not authenticate here). Secrets (database URL, server key) are never printed.
 */
function cliPrefix(config: Config): string {
  if (config.databaseUrl) return '';
  if (path.resolve('.sequel') === config.dataDir) return '';
  const dir = /^[\w@%+=:,./-]+$/.test(config.dataDir) ? config.dataDir : `'${config.dataDir.replace(/'/g, `'\\''`)}'`;
  return `SEQUEL_DATA_DIR=${dir} `;
}

/** A listen failure as one sentence that names the port and what to do. */
function listenError(err: unknown, config: Config): unknown {
  const code = (err as { code?: string }).code;
  const where = `${config.host}:${config.port}`;
  if (code === 'EADDRINUSE') {
    return new ValidationError(
      `port ${config.port} is already in use on ${config.host} (another Sequel, or another program). Stop it, or pick another port: sequel serve --port ${config.port + 1} (or SEQUEL_PORT=${config.port + 1}).`,
    );
  }
  if (code === 'EACCES') return new ValidationError(`not allowed to listen on ${where} (ports below 1024 need privileges); use --port 7070 or another port above 1023.`);
  if (code === 'EADDRNOTAVAIL') return new ValidationError(`cannot listen on ${where}: ${config.host} is not an address of this machine; use --host 127.0.0.1 or 0.0.0.0.`);
  return err;
}

async function serve(config: Config): Promise<void> {
  if (isWorker()) return serveWorker(config);
  if (config.workers > 1) return servePrimary(config);
  const rt = await openRuntime(config);
  const defaults = await ensureDefaults(rt);
  let server: RunningServer;
  try {
    server = await startServer(rt);
  } catch (err) {
    await rt.close();
    throw listenError(err, config);
  }
  const setupToken = await issueSetupToken(rt);
  process.stdout.write(banner(rt, server.url, defaults, setupToken, 1));
  stopOnSignals(rt, server);
}

/** SEQUEL_WORKERS > 1: one-time work here, then one worker process per core on the same port. */
async function servePrimary(config: Config): Promise<void> {
  // Migrations, the server key, first-run defaults and the setup link, once, before any worker starts.
  const rt = await openRuntime({ ...config, oauth: false });
  let defaults: Awaited<ReturnType<typeof ensureDefaults>>;
  let setupToken: string | null;
  try {
    defaults = await ensureDefaults(rt);
    setupToken = await issueSetupToken(rt);
  } finally {
    await rt.close();
  }
  // The port is checked here, once, so that a port in use is one clear message rather than one per worker.
  if (config.port !== 0) {
    await new Promise<void>((resolve, reject) => {
      const probe = net.createServer();
      probe.once('error', (err) => reject(listenError(err, config)));
      probe.listen(config.port, config.host, () => probe.close(() => resolve()));
    });
  }
  await runPrimary({
    workers: config.workers,
    log: rt.log,
    onListening: ({ address, port }) => {
      const host = address.includes(':') ? `[${address}]` : address;
      process.stdout.write(banner(rt, `http://${host}:${port}`, defaults, setupToken, config.workers));
    },
  });
}

async function serveWorker(config: Config): Promise<void> {
  const rt = await openRuntime(config);
  let server: RunningServer;
  try {
    server = await startServer(rt);
  } catch (err) {
    await rt.close();
    throw listenError(err, config);
  }
  stopOnSignals(rt, server);
}

function banner(rt: Runtime, url: string, defaults: { demoCreated: boolean }, setupToken: string | null, workers: number): string {
  const base = rt.config.publicUrl;
  const lines = [
    '',
    `  Sequel is running on ${url} (store: ${rt.store.dialect === 'sqlite' ? rt.store.location : 'PostgreSQL'}${workers > 1 ? `; ${workers} worker processes` : ''})`,
    '',
    `  Dashboard:      ${base}/app  (keys, install instructions for every client, members)`,
    `  MCP endpoint:   ${base}/mcp`,
    `  Get an API key: ${cliPrefix(rt.config)}npx sequel keys create --org default --name my-laptop`,
  ];
  if (rt.config.databaseUrl || rt.config.secretKey) {
    lines.push(`  (run it where SEQUEL_DATABASE_URL and SEQUEL_SECRET_KEY are set as they are for this server)`);
  }
  if (defaults.demoCreated) lines.push(`  A demo data source ("demo", an online shop in SQLite) was added to the default organization.`);
  if (setupToken) lines.push('', `  One-time setup link (create the owner account): ${base}/setup?token=${setupToken}`);
  lines.push('');
  return lines.join('\n') + '\n';
}

function stopOnSignals(rt: Runtime, server: RunningServer): void {
  const stop = (signal: string) => {
    rt.log.info('shutting down', { signal });
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        rt.log.error('shutdown failed', { err });
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  const v = values as Values;
  const [command, sub, ...rest] = positionals;
  currentCommand = command;
  // Bare `sequel` prints the overview: starting a server is always an explicit `sequel serve`.
  if (command === undefined) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  if (command === 'help') {
    const page = sub === undefined ? USAGE : helpFor(sub);
    if (page === undefined) throw new UsageError(`there is no command "${sub}"`);
    process.stdout.write(page + '\n');
    return;
  }
  if (v.help) {
    process.stdout.write((helpFor(command) ?? USAGE) + '\n');
    return;
  }
  const config = loadConfig(process.env, { port: intOption(v, 'port'), host: v.host });

  switch (command) {
    case 'serve':
      return serve(config);
    case 'migrate':
      return withRuntime(config, async (rt) => {
        process.stdout.write(`store at ${rt.store.location} is up to date\n`);
      });
    case 'backup':
      return withRuntime(config, async (rt) => {
        if (!sub) throw new UsageError('say where to write the copy: sequel backup <file>');
        const target = path.resolve(sub);
        const pages = await rt.store.backup(target);
        process.stdout.write(`wrote a copy of ${rt.store.location} to ${target} (${pages} pages)\n`);
      });
    case 'rotate-server-key':
      if (sub) throw new UsageError(`rotate-server-key takes no arguments`);
      if (v.generate) {
        process.stdout.write(generateServerKey() + '\n');
        return;
      }
      return withRuntime(config, async (rt) => {
        const report = await rotateServerKey(rt, { kind: 'operator' });
        print(v, report, await rotationText(rt, report));
        if (!report.complete) {
          throw new AppError('ROTATION_INCOMPLETE', 'some secrets are not under the current server key yet; see above, then run sequel rotate-server-key again');
        }
      });
    case 'orgs':
      return withRuntime(config, async (rt) => {
        if (sub === 'create') {
          const slug = rest[0];
          if (!slug) throw new UsageError('orgs create needs a slug');
          const org = await createOrg(rt, { kind: 'operator' }, { slug, name: v.name });
          print(v, org, `created organization ${org.slug}`);
        } else if (sub === 'list') {
          const orgs = await listAllOrgs(rt, { kind: 'operator' });
          print(v, orgs, table([['SLUG', 'NAME', 'CREATED'], ...orgs.map((o) => [o.slug, o.name, o.created_at])]));
        } else throw new UsageError(`unknown command: orgs ${sub ?? ''}`);
      });
    case 'users':
      return withRuntime(config, async (rt) => {
        if (sub === 'orgs') {
          const email = rest[0];
          if (!email) throw new UsageError('users orgs needs an email');
          const { user, memberships } = await orgsOfPerson(rt, { kind: 'operator' }, email);
          print(v, memberships, memberships.length ? table([['ORG', 'NAME', 'ROLE', 'SINCE'], ...memberships.map((m) => [m.org_slug, m.org_name, m.role, m.created_at])]) : `${user.email} belongs to no organization`);
          return;
        }
        const { org, actor } = await operatorIn(rt, v);
        if (sub === 'create') {
          const email = rest[0];
          if (!email) throw new UsageError('users create needs an email');
          const role = required(v, 'role');
          const user = await createMember(rt, actor, { email, name: v.name, password: await readStdin(), role });
          print(v, { ...user, org: org.slug }, `created ${user.email} (${user.role} of ${org.slug})`);
        } else if (sub === 'list') {
          const members = await listMembers(rt, actor);
          print(v, members, table([['EMAIL', 'ROLE', 'NAME', 'JOINED'], ...members.map((m) => [m.email, m.role, m.name ?? '', m.joined_at])]));
        } else if (sub === 'remove') {
          const email = rest[0];
          if (!email) throw new UsageError('users remove needs an email');
          const member = await memberByEmail(rt, actor, email);
          // Say exactly what goes: the member's keys and OAuth authorizations in this organization.
          const keys = (await listKeys(rt, actor)).filter((k) => k.created_by_user_id === member.id);
          const apps = (await listAuthorizations(rt, actor)).filter((a) => a.user_email === member.email);
          const r = await removeMember(rt, actor, member.id);
          const lines = [`removed ${r.email} from ${org.slug}`];
          lines.push(keys.length ? `revoked ${keys.length} API key(s): ${keys.map((k) => `${k.name} (${k.prefix}…)`).join(', ')}` : 'they had no API keys here');
          lines.push(apps.length ? `revoked ${apps.length} OAuth authorization(s): ${apps.map((a) => a.client_name).join(', ')}` : 'they had no OAuth authorizations here');
          print(
            v,
            {
              removed: r.email,
              org: org.slug,
              keysRevoked: keys.map((k) => ({ id: k.id, name: k.name, prefix: k.prefix })),
              authorizationsRevoked: apps.map((a) => ({ id: a.id, client: a.client_name })),
            },
            lines.join('\n'),
          );
        } else if (sub === 'add') {
          const email = rest[0];
          if (!email) throw new UsageError('users add needs the email of an existing account');
          const m = await addExistingMember(rt, actor, { email, role: required(v, 'role') });
          print(v, { ...m, org: org.slug }, `added ${m.email} to ${org.slug} as ${m.role}`);
        } else if (sub === 'role') {
          const email = rest[0];
          if (!email) throw new UsageError('users role needs an email');
          const member = await memberByEmail(rt, actor, email);
          const m = await changeRole(rt, actor, { userId: member.id, role: required(v, 'role') });
          print(v, { ...m, org: org.slug }, `${m.email} is now ${m.role} of ${org.slug} (was ${member.role})`);
        } else if (sub === 'reset-password') {
          const email = rest[0];
          if (!email) throw new UsageError('users reset-password needs an email');
          const member = await memberByEmail(rt, actor, email);
          const r = await createResetLink(rt, actor, member.id);
          const link = `${rt.config.publicUrl}${RESET_PATH}${r.token}`;
          print(
            v,
            { email: r.email, org: org.slug, link, expires_at: r.link.expires_at, superseded: r.superseded },
            [
              link,
              '',
              `A one-time password reset link for ${r.email}: send it to them. It works once and expires at ${r.link.expires_at}.`,
              `Setting the new password signs them out everywhere.${r.superseded ? ' Their earlier reset link no longer works.' : ''}`,
              'Anyone with the link can take over the account until it is used; it is shown only now.',
            ].join('\n'),
          );
        } else throw new UsageError(`unknown command: users ${sub ?? ''}`);
      });
    case 'sources':
      if (sub === 'policy') {
        return withRuntime(config, async (rt) => {
          const { org, actor } = await operatorIn(rt, v);
          const patch = governanceFlags(v);
          if (Object.keys(patch).length === 0) throw new UsageError('sources policy needs --allowed-schemas, --hide-tables, --hide-columns, --mask, --identity-roles or --identity-required');
          const s = await setPolicyCommand(rt, actor, org.slug, required(v, 'name'), patch);
          const p = s.policy;
          print(
            v,
            s,
            [
              `policy of ${s.name}:`,
              `  allowed schemas: ${p.allowedSchemas.join(', ') || '(all)'}`,
              `  hidden tables:   ${p.hiddenTables.join(', ') || '(none)'}`,
              `  hidden columns:  ${p.hiddenColumns.join(', ') || '(none)'}`,
              `  masked columns:  ${p.maskedColumns.map((m) => `${m.column}:${m.mode}`).join(', ') || '(none)'}`,
              `  identity roles:  ${p.identityRoles.map((r) => `${r.member}=${r.role}`).join(', ') || '(none)'}${p.identityRequired ? ' (required)' : ''}`,
            ].join('\n'),
          );
        });
      }
      return withRuntime(config, (rt) => sourcesCommand(rt, v, sub, { urlFromFields: () => urlFromFields(v) }));
    case 'describe':
      return withRuntime(config, (rt) => describeCommand(rt, v, [sub, ...rest].filter((x): x is string => x !== undefined)));
    case 'descriptions':
      return withRuntime(config, (rt) => descriptionsCommand(rt, v, sub, rest));
    case 'audit':
      return withRuntime(config, (rt) => auditCommand(rt, v));
    case 'keys':
      return withRuntime(config, async (rt) => {
        const { org, actor } = await operatorIn(rt, v);
        if (sub === 'create') {
          const name = required(v, 'name');
          // An explicit list that names nothing must never mean "every source".
          let sources: string[] | null = null;
          if (v.sources !== undefined) {
            sources = v.sources.split(',').map((s) => s.trim()).filter(Boolean);
            if (sources.length === 0) throw new UsageError('--sources names no source; leave it out for a key that reaches every source, or list names: --sources a,b');
          }
          // --user: the key belongs to that member (created as them, with their role), so removing the
          // member revokes it; without it the key belongs to no one and lives until revoked.
          let owner: Actor = actor;
          if (v.user !== undefined) {
            const m = await memberByEmail(rt, actor, v.user);
            owner = { kind: 'user', userId: m.id, orgId: org.id, role: m.role };
          }
          const same = (await listKeys(rt, actor)).filter((k) => k.name === name);
          if (v.preset !== undefined && !v.preset.trim()) throw new UsageError('--preset names no preset; leave it out for a key without one');
          const created = await createKey(rt, owner, { name, expiresAt: v.expires ? parseExpiry(v.expires) : null, sources, preset: v.preset ?? null });
          if (same.length) {
            process.stderr.write(`warning: ${same.length} other active key(s) in ${org.slug} are also named "${name}" (${same.map((k) => `${k.prefix}…`).join(', ')}); revoke by prefix or id, or choose distinct names\n`);
          }
          print(
            v,
            { key: created.key, ...created.view },
            `${created.key}\n\nThis is the only time the key is shown. It identifies as ${keyLabel(created.view)}${created.view.preset ? `, narrowed to preset ${created.view.preset}` : ''}.\nSend it as: Authorization: Bearer ${created.view.prefix}…`,
          );
        } else if (sub === 'list') {
          const view = await listKeys(rt, actor);
          print(
            v,
            view,
            table([
              ['ID', 'NAME', 'PREFIX', 'CREATED BY', 'CREATED', 'LAST USED', 'EXPIRES', 'SOURCES', 'PRESET'],
              ...view.map((k) => [k.id, k.name, `${k.prefix}…`, k.created_by, k.created_at, k.last_used_at ?? 'never', k.expires_at ?? 'never', k.sources?.join(',') ?? 'all', k.preset ?? '-']),
            ]),
          );
        } else if (sub === 'revoke') {
          const needle = rest[0];
          if (!needle) throw new UsageError('keys revoke needs a key name, id or prefix');
          // A unique name works too; a name several keys share is refused with their prefixes.
          const named = (await listKeys(rt, actor)).filter((k) => k.name === needle);
          if (named.length > 1) throw new ValidationError(`${named.length} keys are named "${needle}" (${named.map((k) => `${k.prefix}…`).join(', ')}); revoke one by its prefix or id`);
          const k = await revokeKey(rt, actor, named.length === 1 ? named[0]!.id : needle);
          print(v, k, `revoked ${keyLabel(k)}`);
        } else if (sub === 'preset') {
          const needle = rest[0];
          if (!needle) throw new UsageError('keys preset needs a key name, id or prefix');
          if ((v.preset === undefined) === (v['no-preset'] !== true)) throw new UsageError('keys preset needs either --preset <name> or --no-preset');
          if (v.preset !== undefined && !v.preset.trim()) throw new UsageError('--preset names no preset; use --no-preset to clear it');
          const named = (await listKeys(rt, actor)).filter((k) => k.name === needle);
          if (named.length > 1) throw new ValidationError(`${named.length} keys are named "${needle}" (${named.map((k) => `${k.prefix}…`).join(', ')}); use its prefix or id`);
          const k = await setKeyPreset(rt, actor, named.length === 1 ? named[0]!.id : needle, v.preset ?? null);
          print(v, k, `${keyLabel(k)} ${k.preset ? `is narrowed to preset ${k.preset}` : 'has no preset'} from its next request`);
        } else throw new UsageError(`unknown command: keys ${sub ?? ''}`);
      });
    case 'presets':
      return withRuntime(config, async (rt) => {
        const { org, actor } = await operatorIn(rt, v);
        if (sub === 'list') {
          const list = await listPresets(rt, actor);
          print(
            v,
            list,
            list.length
              ? table([
                  ['NAME', 'SCHEMAS', 'HIDDEN TABLES', 'HIDDEN COLUMNS', 'MASKED', 'KEYS', 'APPS', 'DESCRIPTION'],
                  ...list.map((p) => [
                    p.name,
                    p.policy.allowedSchemas.join(',') || 'all',
                    p.policy.hiddenTables.join(',') || '-',
                    p.policy.hiddenColumns.join(',') || '-',
                    p.policy.maskedColumns.map((m) => `${m.column}:${m.mode}`).join(',') || '-',
                    String(p.used_by.keys),
                    String(p.used_by.authorizations),
                    p.description,
                  ]),
                ])
              : `${org.slug} has no policy presets; create one with sequel presets create`,
          );
        } else if (sub === 'show') {
          const p = await getPreset(rt, actor, required(v, 'name'));
          print(v, p, presetText(p));
        } else if (sub === 'create') {
          const p = await createPreset(rt, actor, { name: required(v, 'name'), description: v.description, policy: presetFlags(v) });
          print(v, p, `created ${presetText(p)}`);
        } else if (sub === 'update') {
          const policy = presetFlags(v);
          if (Object.keys(policy).length === 0 && v.description === undefined && v['new-name'] === undefined) {
            throw new UsageError('presets update needs --allowed-schemas, --hide-tables, --hide-columns, --mask, --description or --new-name');
          }
          const p = await updatePreset(rt, actor, required(v, 'name'), { name: v['new-name'], description: v.description, policy: Object.keys(policy).length ? policy : undefined });
          print(v, p, `updated ${presetText(p)}\n(in force from the next request of every key and app that uses it)`);
        } else if (sub === 'remove') {
          const p = await removePreset(rt, actor, required(v, 'name'));
          print(v, { removed: p.name, id: p.id }, `removed preset ${p.name}`);
        } else throw new UsageError(`unknown command: presets ${sub ?? ''}`);
      });
    case 'authorizations':
      return withRuntime(config, async (rt) => {
        const { actor } = await operatorIn(rt, v);
        if (sub === 'list') {
          const list = await listAuthorizations(rt, actor);
          print(
            v,
            list,
            table([
              ['ID', 'CLIENT', 'USER', 'REDIRECTS TO', 'CREATED', 'LAST USED', 'PRESET'],
              ...list.map((a) => [a.id, a.client_name, a.user_email, a.redirect_host, a.created_at, a.last_used_at ?? 'never', a.preset_name ?? '-']),
            ]),
          );
        } else if (sub === 'revoke') {
          const id = rest[0];
          if (!id) throw new UsageError('authorizations revoke needs an authorization id (see authorizations list)');
          const a = await revokeAuthorization(rt, actor, id);
          print(v, a, `revoked ${a.client_name} for ${a.user_email}`);
        } else throw new UsageError(`unknown command: authorizations ${sub ?? ''}`);
      });
    default:
      throw new UsageError(`unknown command: ${command}`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    const page = (currentCommand && helpFor(currentCommand)) || USAGE;
    process.stderr.write(`sequel: ${errorMessage(err)}\n\n${page}\n`);
    process.exit(2);
  }
  if (err instanceof AppError) {
    process.stderr.write(`sequel: ${err.message}\n`);
    process.exit(1);
  }
  if (err instanceof WorkerStartError) process.exit(1);
  process.stderr.write(`sequel: unexpected error: ${errorMessage(err)}\n`);
  process.exit(1);
});
