#!/usr/bin/env node
/**
 * The `sequel` command. Every command uses the same store settings as `serve` (SEQUEL_DATA_DIR,
 * SEQUEL_DATABASE_URL, SEQUEL_SECRET_KEY), prints data as text or, with --json, as JSON on stdout, and
 * exits 1 with one plain sentence on stderr when something is wrong (2 for usage errors).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { createApiKey, keyLabel, parseExpiry } from './auth/apiKeys.js';
import { assertPasswordStrength, hashPassword } from './auth/passwords.js';
import { loadConfig, type Config } from './config.js';
import type { TlsMode } from './connectors/types.js';
import { AppError, ValidationError, errorMessage } from './errors.js';
import { createLogger } from './log.js';
import { ensureDefaults, issueSetupToken, openRuntime, type Runtime } from './runtime.js';
import { isWorker, runPrimary } from './cluster.js';
import { startServer, type RunningServer } from './server.js';
import { OVERVIEW, helpFor } from './cliHelp.js';
import { addSource, identityList, maskList, nameList, setSourcePolicy, sourceView, type SourcePolicy } from './sources.js';
import { assertRole } from './store/users.js';

class UsageError extends Error {}

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
  expires: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

function required(values: Values, name: keyof Values): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

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

function intOption(values: Values, name: keyof Values): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive integer`);
  return n;
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

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError('pipe the password on stdin, e.g. `printf %s "$PASSWORD" | sequel users create …`');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // One trailing newline is the shell's, not the password's.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

function print(values: Values, data: unknown, text: string): void {
  process.stdout.write(values.json ? JSON.stringify(data, null, 2) + '\n' : text + '\n');
}

function table(rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
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
    `  MCP endpoint:   ${base}/mcp`,
    `  Get an API key: ${cliPrefix(rt.config)}npx sequel keys create --org default --name my-laptop`,
    `  Then send it as "Authorization: Bearer sql_…" (e.g. claude mcp add --transport http sequel ${base}/mcp --header "Authorization: Bearer sql_…")`,
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
    case 'orgs':
      return withRuntime(config, async (rt) => {
        if (sub === 'create') {
          const slug = rest[0];
          if (!slug) throw new UsageError('orgs create needs a slug');
          const org = await rt.store.orgs.create(slug, v.name);
          print(v, org, `created organization ${org.slug}`);
        } else if (sub === 'list') {
          const orgs = await rt.store.orgs.list();
          print(v, orgs, table([['SLUG', 'NAME', 'CREATED'], ...orgs.map((o) => [o.slug, o.name, o.created_at])]));
        } else throw new UsageError(`unknown command: orgs ${sub ?? ''}`);
      });
    case 'users':
      return withRuntime(config, async (rt) => {
        const org = await rt.store.orgs.requireBySlug(required(v, 'org'));
        if (sub === 'create') {
          const email = rest[0];
          if (!email) throw new UsageError('users create needs an email');
          const role = required(v, 'role');
          assertRole(role);
          const password = await readStdin();
          assertPasswordStrength(password);
          const user = await rt.store.users.create({ email, name: v.name, passwordHash: await hashPassword(password) });
          await rt.store.users.addMembership(org.id, user.id, role);
          print(v, { ...user, role, org: org.slug }, `created ${user.email} (${role} of ${org.slug})`);
        } else if (sub === 'list') {
          const members = await rt.store.users.members(org.id);
          print(v, members, table([['EMAIL', 'ROLE', 'NAME', 'JOINED'], ...members.map((m) => [m.email, m.role, m.name ?? '', m.joined_at])]));
        } else if (sub === 'remove') {
          const email = rest[0];
          if (!email) throw new UsageError('users remove needs an email');
          const user = await rt.store.users.byEmail(email);
          if (!user) throw new ValidationError(`no user ${email}`);
          await rt.store.users.removeMembership(org.id, user.id);
          print(v, { removed: user.email, org: org.slug }, `removed ${user.email} from ${org.slug}; their keys are revoked`);
        } else throw new UsageError(`unknown command: users ${sub ?? ''}`);
      });
    case 'sources':
      return withRuntime(config, async (rt) => {
        const org = await rt.store.orgs.requireBySlug(required(v, 'org'));
        if (sub === 'add') {
          const tlsMode = v.tls as TlsMode | undefined;
          const source = await addSource(rt.store, rt.keys, org.id, {
            name: required(v, 'name'),
            engine: required(v, 'engine'),
            url: v.url ?? urlFromFields(v),
            password: v['password-stdin'] ? await readStdin() : undefined,
            description: v.description,
            tls: tlsMode ? { mode: tlsMode, ca: v['tls-ca'] ? fs.readFileSync(v['tls-ca'], 'utf8') : undefined } : undefined,
            connectTimeoutMs: intOption(v, 'connect-timeout-ms'),
            poolMax: intOption(v, 'pool-max'),
            policy: {
              ...(intOption(v, 'max-rows') ? { maxRows: intOption(v, 'max-rows') } : {}),
              ...(intOption(v, 'timeout-ms') ? { statementTimeoutMs: intOption(v, 'timeout-ms') } : {}),
              ...governanceFlags(v),
            },
          });
          // "Test connection" before saving: a source that does not answer is removed again.
          if (!v['skip-test']) {
            try {
              const { version } = await rt.manager.use(source, (c) => c.ping());
              print(v, { ...sourceView(source), version }, `added ${source.name} (${source.engine}, ${version})`);
            } catch (err) {
              await rt.store.sources.delete(org.id, source.id);
              throw new ValidationError(`could not connect, so the source was not saved: ${errorMessage(err)} (use --skip-test to save it anyway)`);
            }
          } else print(v, sourceView(source), `added ${source.name} (${source.engine}; not tested)`);
        } else if (sub === 'policy') {
          const patch = governanceFlags(v);
          if (Object.keys(patch).length === 0) throw new UsageError('sources policy needs --allowed-schemas, --hide-tables, --hide-columns, --mask, --identity-roles or --identity-required');
          const s = await setSourcePolicy(rt.store, org.id, required(v, 'name'), patch);
          const p = s.policy;
          print(
            v,
            sourceView(s),
            [
              `policy of ${s.name}:`,
              `  allowed schemas: ${p.allowedSchemas.join(', ') || '(all)'}`,
              `  hidden tables:   ${p.hiddenTables.join(', ') || '(none)'}`,
              `  hidden columns:  ${p.hiddenColumns.join(', ') || '(none)'}`,
              `  masked columns:  ${p.maskedColumns.map((m) => `${m.column}:${m.mode}`).join(', ') || '(none)'}`,
              `  identity roles:  ${p.identityRoles.map((r) => `${r.member}=${r.role}`).join(', ') || '(none)'}${p.identityRequired ? ' (required)' : ''}`,
            ].join('\n'),
          );
        } else if (sub === 'list') {
          const sources = (await rt.store.sources.list(org.id)).map(sourceView);
          print(v, sources, table([['NAME', 'ENGINE', 'URL', 'DESCRIPTION'], ...sources.map((s) => [s.name, s.engine, s.url, s.description])]));
        } else if (sub === 'test') {
          const all = await rt.store.sources.list(org.id);
          const chosen = v.name ? all.filter((s) => s.name === v.name) : all;
          if (v.name && chosen.length === 0) throw new ValidationError(`no source "${v.name}" in ${org.slug}`);
          const results = [];
          for (const s of chosen) {
            const started = performance.now();
            try {
              const { version } = await rt.manager.use(s, (c) => c.ping());
              results.push({ name: s.name, ok: true, version, ms: Math.round(performance.now() - started) });
            } catch (err) {
              results.push({ name: s.name, ok: false, error: errorMessage(err), ms: Math.round(performance.now() - started) });
            }
          }
          print(v, results, results.map((r) => `${r.name}: ${r.ok ? `ok (${r.version}, ${r.ms} ms)` : `FAILED: ${r.error}`}`).join('\n'));
          if (results.some((r) => !r.ok)) process.exitCode = 1;
        } else if (sub === 'remove') {
          const s = await rt.store.sources.byName(org.id, required(v, 'name'));
          if (!s) throw new ValidationError(`no source "${v.name}" in ${org.slug}`);
          await rt.store.sources.delete(org.id, s.id);
          print(v, { removed: s.name }, `removed ${s.name}`);
        } else throw new UsageError(`unknown command: sources ${sub ?? ''}`);
      });
    case 'keys':
      return withRuntime(config, async (rt) => {
        const org = await rt.store.orgs.requireBySlug(required(v, 'org'));
        if (sub === 'create') {
          const created = await createApiKey(rt.store, rt.keys, {
            orgId: org.id,
            name: required(v, 'name'),
            createdByUserId: null,
            createdBy: 'cli',
            expiresAt: v.expires ? parseExpiry(v.expires) : null,
            sourceNames: v.sources ? v.sources.split(',').map((s) => s.trim()).filter(Boolean) : null,
          });
          print(
            v,
            { key: created.key, ...created.info },
            `${created.key}\n\nThis is the only time the key is shown. It identifies as ${keyLabel(created.info)}.\nSend it as: Authorization: Bearer ${created.info.prefix}…`,
          );
        } else if (sub === 'list') {
          const keys = await rt.store.apiKeys.list(org.id);
          const names = new Map((await rt.store.sources.list(org.id)).map((s) => [s.id, s.name]));
          const view = keys.map((k) => ({ ...k, sources: k.source_ids ? k.source_ids.map((id) => names.get(id) ?? id) : null }));
          print(
            v,
            view,
            table([
              ['ID', 'NAME', 'PREFIX', 'CREATED BY', 'CREATED', 'LAST USED', 'EXPIRES', 'SOURCES'],
              ...view.map((k) => [k.id, k.name, `${k.prefix}…`, k.created_by, k.created_at, k.last_used_at ?? 'never', k.expires_at ?? 'never', k.sources?.join(',') ?? 'all']),
            ]),
          );
        } else if (sub === 'revoke') {
          const needle = rest[0];
          if (!needle) throw new UsageError('keys revoke needs a key id or prefix');
          const k = await rt.store.apiKeys.revoke(org.id, needle);
          print(v, k, `revoked ${keyLabel(k)}`);
        } else throw new UsageError(`unknown command: keys ${sub ?? ''}`);
      });
    case 'authorizations':
      return withRuntime(config, async (rt) => {
        const org = await rt.store.orgs.requireBySlug(required(v, 'org'));
        if (sub === 'list') {
          const list = await rt.store.oauth.listAuthorizations(org.id);
          print(
            v,
            list,
            table([
              ['ID', 'CLIENT', 'USER', 'REDIRECTS TO', 'CREATED', 'LAST USED'],
              ...list.map((a) => [a.id, a.client_name, a.user_email, a.redirect_host, a.created_at, a.last_used_at ?? 'never']),
            ]),
          );
        } else if (sub === 'revoke') {
          const id = rest[0];
          if (!id) throw new UsageError('authorizations revoke needs an authorization id (see authorizations list)');
          const a = await rt.store.oauth.revokeAuthorization(org.id, id);
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
  process.stderr.write(`sequel: unexpected error: ${errorMessage(err)}\n`);
  process.exit(1);
});
