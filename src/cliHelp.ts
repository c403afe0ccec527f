/**
 * The `sequel` command's help: an overview (bare `sequel`, `sequel --help`, `sequel help`) and one page
 * per command with its options and examples (`sequel help keys`, `sequel keys --help`).
 */

export const OVERVIEW = `Usage: sequel <command> [options]

Commands:
  serve            run the server (MCP endpoint, dashboard, OAuth)
  migrate          bring the store's schema up to date
  backup           write a consistent copy of the embedded (SQLite) store
  rotate-server-key  re-encrypt stored secrets under the current server key (--generate: a new key)
  orgs             create and list organizations
  users            people: create, add to an organization, change role, reset password, remove
  keys             API keys: create (for a user), list, revoke
  presets          policy presets a key or OAuth app can be narrowed to: list, create, update, remove
  authorizations   OAuth apps connected to an organization: list, revoke
  sources          data sources: add, list, test, update, remove
  describe         write the description of one table or column
  descriptions     export / import a source's descriptions as YAML (keep them in git)
  audit            read the audit log, filtered, as text, JSON or CSV
  help [command]   this overview, or one command's options and examples

Run \`sequel help <command>\` for its options and examples.

Every command uses the same store as the server: SEQUEL_DATA_DIR (default ./.sequel), or
SEQUEL_DATABASE_URL with SEQUEL_SECRET_KEY (and SEQUEL_SECRET_KEY_PREVIOUS during a key rotation). Other settings: SEQUEL_PUBLIC_URL, SEQUEL_HOST, SEQUEL_PORT,
SEQUEL_LOG_LEVEL, SEQUEL_WORKERS. Add --json to most commands for JSON on stdout. Exit status: 0 ok, 1 failed, 2 usage.`;

const PAGES: Record<string, string> = {
  serve: `Usage: sequel serve [--port 7070] [--host 127.0.0.1]

Runs the server in the foreground: the MCP endpoint at <public-url>/mcp, the dashboard, OAuth. On the
first start it creates the store, a "default" organization and the demo source (an online shop in
SQLite), and prints a one-time setup link. It runs SEQUEL_WORKERS server processes on the one port
(default: one per core; 1 keeps everything in one process). Stop it with Ctrl-C (SIGINT) or SIGTERM.

Options:
  --port N      port to listen on (default SEQUEL_PORT or 7070)
  --host H      address to bind (default SEQUEL_HOST or 127.0.0.1)

Examples:
  sequel serve
  SEQUEL_DATA_DIR=/srv/sequel sequel serve --port 8080 --host 0.0.0.0`,

  migrate: `Usage: sequel migrate

Brings the store's schema up to date (serve does this too) and says where the store is.

Examples:
  sequel migrate
  SEQUEL_DATABASE_URL=postgres://sequel@db/sequel SEQUEL_SECRET_KEY=… sequel migrate`,

  backup: `Usage: sequel backup <file>

Writes a consistent copy of the embedded SQLite store to <file> while the server keeps running (SQLite's
online backup). Restore: stop the server, put the copy at <SEQUEL_DATA_DIR>/sequel.db, keep the same
server.key (or SEQUEL_SECRET_KEY) — stored credentials are encrypted with it. A PostgreSQL store is backed
up with pg_dump (see docs/deploy.md).

Examples:
  sequel backup /backups/sequel-$(date +%F).db
  SEQUEL_DATA_DIR=/srv/sequel sequel backup /backups/sequel.db`,

  'rotate-server-key': `Usage:
  sequel rotate-server-key [--json]
  sequel rotate-server-key --generate

Re-encrypts every stored secret (source passwords, OAuth client secrets) under the current server key
(SEQUEL_SECRET_KEY, or <SEQUEL_DATA_DIR>/server.key), reading them with any key of the ring
(SEQUEL_SECRET_KEY_PREVIOUS: older keys, comma-separated). Safe while the servers run and safe to run
again: what is already under the current key is left alone, and a run that was interrupted or found
rows changed meanwhile is finished by the next one. When everything is under the current key, the
store records it, and a server started without that key refuses to start.

API keys are stored only as hashes, which cannot be recomputed without the keys: each moves to the
current key the first time it is used while the old key is still in SEQUEL_SECRET_KEY_PREVIOUS. The
command lists the live API keys still hashed under an older key; those stop working when you drop that
key (have them used, or revoke them and issue new ones). OAuth tokens and dashboard sessions from before
the rotation are not counted: they move to the new key as clients refresh and people sign in again.

Procedure (docs/deploy.md, "Rotating the server key"):
  1. sequel rotate-server-key --generate            prints a new key (or: openssl rand -base64 32)
  2. every replica: SEQUEL_SECRET_KEY=<new> SEQUEL_SECRET_KEY_PREVIOUS=<old>; restart one at a time
  3. sequel rotate-server-key                       (with the same two variables)
  4. once no API key is listed (or you accept that they stop working): drop SEQUEL_SECRET_KEY_PREVIOUS
     and restart one at a time

Options:
  --generate    print a new random key (base64 of 32 bytes) and change nothing
  --json        the report as JSON

Exit status: 0 when every secret is under the current key, 1 when some could not be re-encrypted (the
report names them; nothing secret is printed).

Examples:
  sequel rotate-server-key --generate
  SEQUEL_SECRET_KEY="$NEW" SEQUEL_SECRET_KEY_PREVIOUS="$OLD" sequel rotate-server-key`,

  orgs: `Usage:
  sequel orgs create <slug> [--name "…"] [--json]
  sequel orgs list [--json]

Examples:
  sequel orgs create acme --name "Acme Inc"
  sequel orgs list --json`,

  users: `Usage:
  sequel users create <email> --org <slug> --role owner|admin|member [--name "…"]   (password on stdin)
  sequel users add <email> --org <slug> --role owner|admin|member    (an existing account, another org)
  sequel users role <email> --org <slug> --role owner|admin|member
  sequel users list --org <slug> [--json]
  sequel users orgs <email> [--json]                                  (the organizations of one person)
  sequel users remove <email> --org <slug> [--json]
  sequel users reset-password <email> --org <slug> [--json]          (prints a one-time reset link)

remove takes the person out of the organization and revokes their API keys (those created with
--user or in the dashboard) and OAuth authorizations in it, and lists exactly what it revoked. The last
owner cannot be removed or demoted.

reset-password prints a one-time link for a member who forgot their password (an owner or admin can
make one in the dashboard too, under Settings → Members). Send it to them: it works once, expires in
24 hours, and a newer link replaces the older one. Setting the new password signs them out everywhere.
The link starts with SEQUEL_PUBLIC_URL: set it as it is for the server.

Examples:
  printf %s "$PASSWORD" | sequel users create ada@example.com --org acme --role owner --name "Ada"
  sequel users add ada@example.com --org beta --role admin
  sequel users role bob@example.com --org acme --role admin
  sequel users orgs ada@example.com
  sequel users remove bob@example.com --org acme
  sequel users reset-password bob@example.com --org acme
  SEQUEL_PUBLIC_URL=https://sequel.example.com sequel users reset-password bob@example.com --org acme --json`,

  keys: `Usage:
  sequel keys create --org <slug> --name <name> [--user <email>] [--sources a,b] [--preset <name>]
        [--expires 30d] [--json]
  sequel keys list --org <slug> [--json]
  sequel keys preset --org <slug> <name-or-id-or-prefix> (--preset <name> | --no-preset) [--json]
  sequel keys revoke --org <slug> <name-or-id-or-prefix>

The key is printed once; only its hash is stored. --user makes it that member's key: removing the
member revokes it. --sources limits the key to those sources (an empty list, or a name that is not a
source, is an error — never "all sources"); --preset narrows the key to a policy preset of the
organization (see sequel help presets): every source's policy, intersected with the preset's; keys
preset changes or clears it later, from the key's next request. --expires takes 30d, 12h, or a date.
A name another active key already has is allowed with a warning; revoke by name only works for a
unique name.

Examples:
  sequel keys create --org default --name my-laptop
  sequel keys create --org acme --name ada-laptop --user ada@example.com
  sequel keys create --org acme --name ci --sources warehouse --expires 90d --json
  sequel keys create --org acme --name bi-tool --preset no-pii
  sequel keys preset --org acme bi-tool --preset analytics-only
  sequel keys revoke --org acme ci
  sequel keys revoke --org acme sql_AbC123`,

  presets: `Usage:
  sequel presets list --org <slug> [--json]
  sequel presets show --org <slug> --name <preset> [--json]
  sequel presets create --org <slug> --name <preset> [--description "…"] [--allowed-schemas a,b]
        [--hide-tables t,s.t] [--hide-columns t.c,*email*] [--mask column:mask|hash|null,…] [--json]
  sequel presets update --org <slug> --name <preset> [--new-name <preset>] [--description "…"]
        [--allowed-schemas …] [--hide-tables …] [--hide-columns …] [--mask …] [--json]
  sequel presets remove --org <slug> --name <preset>

A policy preset narrows an API key (keys create --preset) or an OAuth app (chosen on the consent page)
below what each source's policy allows: the policy in force is the stricter of both — allowed schemas
intersected, hidden tables and columns added together, and where both mask a column the stricter mode
(hidden > null > hash > mask). The flags use the vocabulary of sources policy (README "Governance");
update replaces only the lists given, and an empty value clears a list. Changes count from the next
request on every replica. A preset a live key or app uses cannot be removed: revoke those first.

Examples:
  sequel presets create --org acme --name no-pii --description "No personal data" \
      --hide-columns '*email*,*ssn*,*phone*'
  sequel presets create --org acme --name analytics-only --allowed-schemas analytics
  sequel presets update --org acme --name no-pii --mask 'customers.name:mask'
  sequel presets list --org acme
  sequel presets remove --org acme --name analytics-only`,

  authorizations: `Usage:
  sequel authorizations list --org <slug> [--json]
  sequel authorizations revoke --org <slug> <id>

OAuth apps (ChatGPT, Claude.ai, …) people connected to the organization; revoking one ends its
tokens on the next request, on every replica.

Examples:
  sequel authorizations list --org acme
  sequel authorizations revoke --org acme 6f1c…`,

  sources: `Usage:
  sequel sources add --org <slug> --name <slug> --engine postgres|mysql|sqlite|duckdb
        (--url <dsn-or-path> | --db-host H [--db-port P] --db-user U --database D)
        [--description "…"] [--password-stdin] [--tls disable|require|verify-full] [--tls-ca <file>]
        [--connect-timeout-ms N] [--pool-max N] [--max-rows N] [--max-bytes N] [--timeout-ms N]
        [--skip-test] [--json] [--allowed-schemas a,b] [--hide-tables t,s.t] [--hide-columns t.c,*ssn*]
        [--mask t.c:mask,*email*:hash]
  sequel sources policy --org <slug> --name <slug> [--allowed-schemas a,b] [--hide-tables …]
        [--hide-columns …] [--mask column:mask|hash|null,…]
        [--identity-roles email=role,key:<id>=role] [--identity-required yes|no] [--json]
  sequel sources list --org <slug> [--json]
  sequel sources test --org <slug> [--name <slug>] [--json]
  sequel sources update --org <slug> --name <slug> [--description "…"] [--password-stdin]
        [--tls …] [--tls-ca <file>] [--connect-timeout-ms N] [--pool-max N] [--max-rows N]
        [--max-rows-ceiling N] [--max-bytes N] [--timeout-ms N] [--skip-test] [--json]
  sequel sources remove --org <slug> --name <slug>

policy sets what every tool may read (README "Governance"): schemas, hidden tables, hidden columns
(schema.table.column, table.column, or a name or pattern for every table), masked columns; an empty
value clears a list.

add and update test the connection before saving (--skip-test to save anyway), and warn when the
database account can do more than read (see README "Least-privilege roles"), or when the source's
pools — --pool-max (default 5) × SEQUEL_WORKERS × SEQUEL_REPLICAS — would not fit under the database's
connection limit for the account (docs/deploy.md "Sizing"); test warns too.

Examples:
  sequel sources add --org acme --name shop --engine sqlite --url ./shop.sqlite --description "Web shop"
  printf %s "$PW" | sequel sources add --org acme --name wh --engine postgres \\
      --db-host db.internal --db-user sequel_reader --database warehouse --password-stdin --tls verify-full
  sequel sources update --org acme --name wh --max-rows 100 --timeout-ms 5000
  printf %s "$NEW_PW" | sequel sources update --org acme --name wh --password-stdin
  sequel sources policy --org acme --name wh --hide-tables audit_trail --hide-columns 'customers.ssn'
      --mask '*email*:hash,customers.phone:mask'
  sequel sources test --org acme
  sequel sources remove --org acme --name shop`,

  describe: `Usage: sequel describe --org <slug> --source <name> --table <[schema.]table> [--column <c>] "text"

Writes your organization's description of a table or column (models see it in search_schema and
describe_table). An empty text "" removes it.

Examples:
  sequel describe --org default --source demo --table orders "One row per checkout"
  sequel describe --org default --source demo --table orders --column total_cents "Total in euro cents, after discounts"`,

  descriptions: `Usage:
  sequel descriptions export --org <slug> --source <name> [file.yaml]   (stdout when no file)
  sequel descriptions import --org <slug> --source <name> file.yaml [--prune]

Descriptions as code: export a source's tables and columns with their descriptions to YAML, review and
edit it in git, import it back. import sets every description in the file (an empty one removes it);
--prune also removes descriptions of tables and columns the file does not mention.

Examples:
  sequel descriptions export --org default --source demo descriptions/demo.yaml
  sequel descriptions import --org default --source demo descriptions/demo.yaml`,

  audit: `Usage: sequel audit --org <slug> [--source s] [--user email] [--key id-or-prefix] [--tool t]
        [--outcome ok|error|CODE] [--since 1h|7d|ISO-date] [--limit 100] [--json | --csv]

The audit log, newest first: who (user, credential), which tool, source and SQL, rows, duration and
outcome. --outcome error matches every failed call.

Examples:
  sequel audit --org acme --since 1h
  sequel audit --org acme --source warehouse --outcome NOT_READ_ONLY --json
  sequel audit --org acme --since 30d --csv > audit.csv`,
};

PAGES.help = `Usage: sequel help [command]

Examples:
  sequel help
  sequel help sources`;

/** The help page of a command, or undefined when there is no such command. */
export function helpFor(command: string): string | undefined {
  return PAGES[command];
}

export const COMMANDS = Object.keys(PAGES);
