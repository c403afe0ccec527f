/**
 * The MySQL/MariaDB connector: the shared conformance suite, then MySQL's own — the statement guard on its
 * own (MySQL's lexical rules, the function allow-list, SHOW/DESCRIBE/EXPLAIN forms, relations), type
 * fidelity, introspection (and its speed on 5,000 tables), the read-only session without the guard, server
 * cancellation seen in the process list, TLS modes, the pool bound, connect timeouts, credentials, and a
 * server that goes away and comes back.
 *
 * Written to MariaDB 10.11 (what this machine runs) and MySQL 8; checks that hold for one flavor only
 * say so.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnector } from '../../src/connectors/index.js';
import { mapMysqlError } from '../../src/connectors/mysql/errors.js';
import { MysqlSession, mysqlSettings } from '../../src/connectors/mysql/index.js';
import { float32, mysqlTypeName } from '../../src/connectors/mysql/values.js';
import type { Connector } from '../../src/connectors/types.js';
import { ToolError } from '../../src/errors.js';
import { checkMysqlStatement, lexMysql, loadMysqlGuard, type MysqlStatementCheck } from '../../src/connectors/mysql/guard.js';
import { MYSQL_URL } from '../helpers/services.js';
import { DEFAULT_CAPS, describeConnectorConformance, eventually, expectToolError } from './conformance.js';
import type { FixtureDatabase } from './fixture.js';
import { adminConnection, mysqlConfig, mysqlFixture } from './fixtures/mysql.js';
import { SETUP_MYSQL } from '../readonly/corpus-mysql.js';

describeConnectorConformance(mysqlFixture);

const up = await mysqlFixture.available();

// ─── The guard alone (no server) ───────────────────────────────────────────────────────────────────

describe('mysql guard', () => {
  beforeAll(() => loadMysqlGuard());

  const ok = (sql: string) => checkMysqlStatement(sql);
  const refused = async (sql: string, code: string = 'NOT_READ_ONLY'): Promise<ToolError> => {
    try {
      const r = await checkMysqlStatement(sql);
      throw new Error(`expected ${code} for ${sql}, got ${JSON.stringify(r)}`);
    } catch (err) {
      if (!(err instanceof ToolError)) throw err;
      expect(err.code, `${sql}: ${err.message}`).toBe(code);
      return err;
    }
  };

  it('lexes by MySQL rules: -- needs a space, # comments, backslash escapes, back-quotes, variables', () => {
    const words = (sql: string) => lexMysql(sql).map((t) => `${t.kind}:${t.value}`);
    expect(words('SELECT 1--1')).toEqual(['word:SELECT', 'word:1', 'op:-', 'op:-', 'word:1']);
    expect(words('SELECT 1 -- x\n, 2')).toEqual(['word:SELECT', 'word:1', 'op:,', 'word:2']);
    expect(words('SELECT 1 # x\n, 2')).toEqual(['word:SELECT', 'word:1', 'op:,', 'word:2']);
    expect(words("SELECT 'a\\'b', 'c''d', \"e\\\"f\"")).toEqual(['word:SELECT', "string:a'b", 'op:,', "string:c'd", 'op:,', 'string:e"f']);
    expect(words('SELECT `a``b`.`c\\`')).toEqual(['word:SELECT', 'qident:a`b', 'op:.', 'qident:c\\']);
    expect(words('SELECT @into, @@global.sql_mode, @`x y`')).toEqual(['word:SELECT', 'var:@into', 'op:,', 'var:@@global.sql_mode', 'op:,', 'var:@`x y`']);
  });

  it('allows reads and tells their kind, placeholders and relations (CTE names resolved by scope)', async () => {
    const r = await ok('WITH big AS (SELECT * FROM orders WHERE total > ?) SELECT c.name FROM customers c JOIN big ON big.customer_id = c.id');
    expect(r).toMatchObject<Partial<MysqlStatementCheck>>({ kind: 'select', paramCount: 1 });
    expect(r.relations).toEqual([
      { schema: null, name: 'orders' },
      { schema: null, name: 'customers' },
    ]);
    // A CTE's name does not hide a real table of the same name outside its scope.
    const scoped = await ok('SELECT * FROM (WITH secret AS (SELECT 1 AS x) SELECT * FROM secret) a, secret');
    expect(scoped.relations).toEqual([{ schema: null, name: 'secret' }]);
    expect((await ok('SELECT * FROM shop.orders, dual')).relations).toEqual([{ schema: 'shop', name: 'orders' }]);
    expect(await ok('SHOW COLUMNS FROM orders FROM shop')).toMatchObject({ kind: 'show', relations: [{ schema: 'shop', name: 'orders' }] });
    expect(await ok('SHOW TABLES')).toMatchObject({ kind: 'show', relations: null });
    expect(await ok("SHOW VARIABLES LIKE 'max%'")).toMatchObject({ kind: 'show', relations: [] });
    expect(await ok('DESCRIBE shop.orders total')).toMatchObject({ kind: 'describe', relations: [{ schema: 'shop', name: 'orders' }] });
    const ex = await ok('EXPLAIN FORMAT=JSON SELECT * FROM orders');
    expect(ex).toMatchObject({ kind: 'explain', relations: [{ schema: null, name: 'orders' }] });
    expect(ex.queryOffset).toBe('EXPLAIN FORMAT=JSON '.length);
  });

  it('allows MySQL-only forms the grammar lacks, with relations unknown rather than a false refusal', async () => {
    expect((await ok('SELECT status, COUNT(*) FROM orders GROUP BY status WITH ROLLUP')).relations).toEqual([{ schema: null, name: 'orders' }]);
    expect((await ok('TABLE orders')).relations).toEqual([{ schema: null, name: 'orders' }]);
    expect(await ok("SELECT doc->>'$.a', doc->'$.b' FROM docs")).toMatchObject({ kind: 'select' });
    expect(await ok('SELECT COUNT(*) FROM numbers WHERE n MOD 7 = 0')).toMatchObject({ kind: 'select', relations: null });
    expect(await ok("SELECT name FROM customers WHERE name SOUNDS LIKE 'x'")).toMatchObject({ relations: null });
  });

  it('refuses executable comments and hints before any parser can skip them', async () => {
    const e = await refused('SELECT 1 /*!50000 , SLEEP(1) */');
    expect(e.message).toMatch(/executable comments/);
    await refused('SELECT 1 /*M!100000 , 2 */');
    expect((await refused('SELECT /*+ SET_VAR(max_statement_time=0) */ 1')).message).toMatch(/optimizer hints/);
    // Inside a string it is just text.
    await ok("SELECT '/*! not a comment */' AS s");
  });

  it('refuses functions outside the built-in allow-list, naming the reason', async () => {
    expect((await refused('SELECT SLEEP(1)')).message).toMatch(/sleep\(\) is not allowed because it ties up/);
    expect((await refused("SELECT LOAD_FILE('/etc/passwd')")).message).toMatch(/reads files/);
    expect((await refused('SELECT my_udf(1)')).message).toMatch(/not a built-in function.*allowUserFunctions/);
    expect((await refused('SELECT shop.fn(1)')).message).toMatch(/stored function/);
    expect((await refused('SELECT * FROM f(1)')).message).toMatch(/not a built-in|table function/);
    // Aliases and CTE column lists before ( are not calls.
    await ok('WITH r (n) AS (SELECT 1) SELECT n FROM r');
    await ok('WITH a AS (SELECT 1 AS x), r (n) AS (SELECT x FROM a) SELECT n FROM r');
    await ok('SELECT CAST(total AS DECIMAL(10,2)), CONVERT(name USING utf8mb4), CHAR(65) FROM orders');
  });

  it('refuses what is not one read, with SYNTAX_ERROR only for text that is not SQL', async () => {
    await refused('SELECT 1; SELECT 2');
    await ok('SELECT 1; -- trailing comment');
    await refused('SHOW PROCESSLIST');
    await refused('EXPLAIN ANALYZE SELECT 1');
    await refused('SELECT * FROM mysql.user', 'PERMISSION_DENIED');
    await refused('SELEC 1', 'SYNTAX_ERROR');
    await refused("SELECT 'unterminated", 'SYNTAX_ERROR');
    await refused('-- only a comment', 'SYNTAX_ERROR');
    await refused('', 'SYNTAX_ERROR');
  });
});

describe('mysql error mapping', () => {
  const ctx = { target: 'db.example:3306/shop', secrets: ['hunter2-password', 'secret-param-value'], connectTimeoutMs: 1000, timeoutMs: 500 };
  it('keeps passwords and parameter values out of messages', () => {
    const err = mapMysqlError(
      { errno: 1292, code: 'ER_TRUNCATED_WRONG_VALUE', sqlMessage: "Incorrect value: 'secret-param-value' (hunter2-password)" },
      ctx,
      'query',
    );
    expect(err.code).toBe('QUERY_ERROR');
    expect(err.message).not.toContain('secret-param-value');
    expect(err.message).not.toContain('hunter2');
  });
  it('maps server errors to stable codes', () => {
    const m = (errno: number, phase: 'connect' | 'query' = 'query') => mapMysqlError({ errno, sqlMessage: 'x' }, ctx, phase).code;
    expect(m(1064)).toBe('SYNTAX_ERROR');
    expect(m(3024)).toBe('QUERY_TIMEOUT');
    expect(m(1969)).toBe('QUERY_TIMEOUT');
    expect(m(1317)).toBe('QUERY_TIMEOUT');
    expect(m(1792)).toBe('NOT_READ_ONLY');
    expect(m(1142)).toBe('PERMISSION_DENIED');
    expect(m(1045, 'connect')).toBe('SOURCE_UNAVAILABLE');
    expect(m(1040)).toBe('SOURCE_UNAVAILABLE');
    expect(m(1146)).toBe('QUERY_ERROR');
  });
});

describe('mysql type names and values', () => {
  it('rounds FLOAT to what MySQL would print', () => {
    expect(float32(Math.fround(1.1))).toBe(1.1);
    expect(float32(Math.fround(3.14159))).toBe(3.14159);
    expect(float32(Math.fround(16777217))).toBe(16777216);
  });
  it('names decimal precision from the metadata', () => {
    expect(mysqlTypeName({ name: 'x', columnType: 246, columnLength: 14, decimals: 2, flags: 0 })).toBe('decimal(12,2)');
    expect(mysqlTypeName({ name: 'x', columnType: 246, columnLength: 13, decimals: 2, flags: 32 })).toBe('decimal(12,2) unsigned');
  });
});

// ─── Against the server ────────────────────────────────────────────────────────────────────────────

describe.skipIf(!up)('mysql connector specifics', () => {
  let db: FixtureDatabase;
  let connector: Connector;
  let dbName: string;

  beforeAll(async () => {
    db = await mysqlFixture.create();
    dbName = new URL(db.config.url).pathname.slice(1);
    await db.exec(`
      CREATE TABLE types (
        id INT PRIMARY KEY,
        ti TINYINT, b1 TINYINT(1), si SMALLINT UNSIGNED, mi MEDIUMINT, i INT, bi BIGINT, bu BIGINT UNSIGNED,
        de DECIMAL(30,10), f FLOAT, d DOUBLE, bit1 BIT(1), bit64 BIT(64),
        dt DATE, dtm DATETIME(6), ts TIMESTAMP(3) NULL, tm TIME, y YEAR,
        c CHAR(3), vc VARCHAR(20), tx TEXT, bn BINARY(2), vb VARBINARY(8), bl BLOB,
        en ENUM('small','large'), st SET('a','b','c'), js JSON
      ) COMMENT 'every type';
      SET time_zone = '+05:00';
      INSERT INTO types VALUES (
        1, -128, 1, 65535, -8388608, -2147483648, -9223372036854775808, 18446744073709551615,
        12345678901234567890.0123456789, 1.1, 0.1, b'1', b'1111111111111111111111111111111111111111111111111111111111111111',
        '2024-02-29', '2024-02-29 23:59:59.123456', '2024-06-01 12:00:00.250', '-838:59:59', 2024,
        'abc', 'héllo wörld', REPEAT('x', 300), x'00ff', x'deadbeef', x'cafe',
        'large', 'a,c', '{"a": [1, 2.5, "x"], "b": null}'
      );
      INSERT INTO types (id) VALUES (2);
      CREATE TABLE parent (a INT, b INT, label VARCHAR(10) DEFAULT 'none' COMMENT 'a label', PRIMARY KEY (a, b));
      CREATE TABLE child (id INT PRIMARY KEY AUTO_INCREMENT, pa INT, pb INT, note TEXT,
        FOREIGN KEY (pa, pb) REFERENCES parent (a, b), UNIQUE KEY child_note (note(20)));
      ${SETUP_MYSQL}
    `);
    connector = await createConnector('mysql', db.config);
  });

  afterAll(async () => {
    await connector?.close();
    await db?.destroy();
  });

  it('returns every type with its meaning: exact big numbers, ISO times, UTC timestamps, base64 bytes, JSON', async () => {
    const r = await connector.query('SELECT * FROM types ORDER BY id', [], DEFAULT_CAPS);
    const types = Object.fromEntries(r.columns.map((c) => [c.name, c.type]));
    expect(types).toMatchObject({
      id: 'int',
      ti: 'tinyint',
      b1: 'tinyint(1)',
      si: 'smallint unsigned',
      mi: 'mediumint',
      bi: 'bigint',
      bu: 'bigint unsigned',
      de: 'decimal(30,10)',
      f: 'float',
      d: 'double',
      bit1: 'bit(1)',
      bit64: 'bit(64)',
      dt: 'date',
      dtm: 'datetime(6)',
      ts: 'timestamp(3)',
      tm: 'time',
      y: 'year',
      c: 'char(3)',
      vc: 'varchar(20)',
      tx: 'text',
      bn: 'binary(2)',
      vb: 'varbinary(8)',
      bl: 'blob',
      en: 'enum',
      st: 'set',
      js: 'json',
    });
    const row = Object.fromEntries(r.columns.map((c, i) => [c.name, r.rows[0]![i]]));
    expect(row).toEqual({
      id: 1,
      ti: -128,
      b1: 1,
      si: 65535,
      mi: -8388608,
      i: -2147483648,
      bi: '-9223372036854775808',
      bu: '18446744073709551615',
      de: '12345678901234567890.0123456789',
      f: 1.1,
      d: 0.1,
      bit1: 1,
      bit64: '18446744073709551615',
      dt: '2024-02-29',
      dtm: '2024-02-29T23:59:59.123456',
      // Inserted at +05:00; the session reads TIMESTAMP in UTC.
      ts: '2024-06-01T07:00:00.250Z',
      tm: '-838:59:59',
      y: 2024,
      c: 'abc',
      vc: 'héllo wörld',
      tx: 'x'.repeat(300),
      bn: Buffer.from('00ff', 'hex').toString('base64'),
      vb: Buffer.from('deadbeef', 'hex').toString('base64'),
      bl: Buffer.from('cafe', 'hex').toString('base64'),
      en: 'large',
      st: 'a,c',
      js: { a: [1, 2.5, 'x'], b: null },
    });
    expect(r.rows[1]!.slice(1).every((v) => v === null)).toBe(true);
  });

  it('names expression types and keeps arithmetic exact', async () => {
    const r = await connector.query(
      "SELECT 1 + 1 AS i, 2.50 * 2 AS dec_, 1e0 / 3 AS f, CONCAT('a', 'b') AS s, NULL AS z, CAST('2024-01-02 03:04:05' AS DATETIME) AS dt, SUM(total) AS t FROM orders",
      [],
      DEFAULT_CAPS,
    );
    const [i, dec, f, s, z, dt, t] = r.rows[0]!;
    // 1 + 1 is an int on MariaDB and a bigint (so a string) on MySQL 8.
    expect([String(i), dec, s, z, dt, t]).toEqual(['2', '5.00', 'ab', null, '2024-01-02T03:04:05', '188.48']);
    expect(f).toBeCloseTo(1 / 3, 12);
    const types = r.columns.map((c) => c.type);
    expect(types[0]).toMatch(/^(int|bigint)$/);
    expect(types.slice(1)).toEqual([expect.stringMatching(/^decimal\(\d+,2\)$/), 'double', 'varchar(2)', 'null', 'datetime', expect.stringMatching(/^decimal\(\d+,2\)$/)]);
  });

  it('introspects comments, composite and foreign keys, prefix indexes, defaults and estimates', async () => {
    const cat = await connector.introspect();
    expect(cat.defaultSchema).toBe(dbName);
    expect(cat.tables.every((t) => t.schema === dbName)).toBe(true);
    const t = (n: string) => cat.tables.find((x) => x.name === n)!;
    expect(t('types').comment).toBe('every type');
    expect(t('types').columns.find((c) => c.name === 'bi')!.type).toBe('bigint');
    expect(t('types').columns.find((c) => c.name === 'b1')!.type).toBe('tinyint(1)');
    expect(t('types').columns.find((c) => c.name === 'en')!.type).toBe("enum('small','large')");
    const label = t('parent').columns.find((c) => c.name === 'label')!;
    expect(label).toMatchObject({ comment: 'a label', nullable: true, primaryKey: false });
    expect(label.default).toMatch(/^'?none'?$/);
    expect(t('parent').columns.filter((c) => c.primaryKey).map((c) => c.name)).toEqual(['a', 'b']);
    expect(t('parent').indexes).toContainEqual({ name: 'PRIMARY', columns: ['a', 'b'], unique: true, primary: true });
    const child = t('child');
    expect(child.columns.find((c) => c.name === 'pa')!.references).toEqual({ schema: dbName, table: 'parent', column: 'a' });
    expect(child.columns.find((c) => c.name === 'pb')!.references).toEqual({ schema: dbName, table: 'parent', column: 'b' });
    expect(child.columns.find((c) => c.name === 'note')!.default).toBeNull();
    expect(child.indexes.find((i) => i.name === 'child_note')).toMatchObject({ columns: ['note'], unique: true });
    expect(t('v_sneaky')).toMatchObject({ kind: 'view', comment: null, rowEstimate: null });
    // System schemas never appear, even when asked for.
    const sys = await connector.introspect({ schemas: ['mysql', 'information_schema', 'performance_schema', 'sys'] });
    expect(sys.tables).toEqual([]);
  });

  it('introspects 5,000 tables in four round trips', async () => {
    const big = `${dbName}_wide`;
    const admin = await adminConnection(MYSQL_URL);
    try {
      await admin.query(`CREATE DATABASE \`${big}\``);
      for (let start = 0; start < 5_000; start += 500) {
        const batch = [];
        for (let i = start; i < start + 500; i++) {
          // MyISAM: creating 5,000 InnoDB tables means 5,000 tablespace files synced to disk, minutes on a
          // loaded machine; the catalog Sequel reads is the same for either engine.
          batch.push(`CREATE TABLE \`${big}\`.t${i} (id INT PRIMARY KEY, name VARCHAR(40) COMMENT 'n', amount DECIMAL(10,2), at DATETIME, KEY (name)) ENGINE=MyISAM`);
        }
        await admin.query(batch.join(';'));
      }
      const started = performance.now();
      const cat = await connector.introspect({ schemas: [big] });
      const ms = performance.now() - started;
      console.log(`[mysql] introspect 5,000 tables (20,000 columns, 10,000 indexes): ${ms.toFixed(0)} ms`);
      expect(cat.tables).toHaveLength(5_000);
      expect(cat.tables.every((t) => t.columns.length === 4 && t.indexes.length === 2)).toBe(true);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS \`${big}\``);
      await admin.end();
    }
  }, 300_000);

  it('explains with the structured plan and a line per table, without running the statement', async () => {
    const plan = await connector.explain('SELECT c.name, o.total FROM customers c JOIN orders o ON o.customer_id = c.id WHERE c.id = ?', [2], { timeoutMs: 10_000 });
    expect(plan.structured).toMatchObject({ query_block: expect.any(Object) });
    expect(plan.plan.split('\n').length).toBeGreaterThanOrEqual(1);
    expect(plan.plan).toMatch(/orders|customers|c|o/);
    await expectToolError(connector.explain('SHOW TABLES', [], { timeoutMs: 10_000 }), 'INVALID_ARGUMENT');
    await expectToolError(connector.explain('EXPLAIN SELECT 1', [], { timeoutMs: 10_000 }), 'INVALID_ARGUMENT');
    // MariaDB's EXPLAIN evaluates a view's stored function while optimizing: the read-only transaction
    // refuses its write. Either way, nothing changes.
    const before = await db.checksum();
    await connector.explain('SELECT * FROM v_sneaky', [], { timeoutMs: 10_000 }).catch((err: unknown) => {
      expect(err).toBeInstanceOf(ToolError);
      expect((err as ToolError).code).toBe('NOT_READ_ONLY');
    });
    expect(await db.checksum()).toBe(before);
  });

  it('checks the number of parameters', async () => {
    await expectToolError(connector.query('SELECT ? + ?', [1], DEFAULT_CAPS), 'INVALID_ARGUMENT');
    const r = await connector.query('SELECT ? AS a, ? AS b, ? AS c', ['x', 2.5, null], DEFAULT_CAPS);
    expect(r.rows).toEqual([['x', 2.5, null]]);
  });

  it('kills a statement on the server at the timeout and keeps serving', async () => {
    const marker = `sequel_kill_${Date.now()}`;
    const call = connector.query(`SELECT /* ${marker} */ COUNT(*) FROM numbers a CROSS JOIN numbers b`, [], { ...DEFAULT_CAPS, timeoutMs: 60_000, signal: AbortSignal.timeout(1_500) });
    await eventually(async () => (await db.running!(marker)) > 0, 15_000, 'the statement to show in PROCESSLIST');
    const err = await expectToolError(call, 'QUERY_TIMEOUT');
    expect(err.message).toMatch(/cancelled/);
    await eventually(async () => (await db.running!(marker)) === 0, 15_000, 'the statement to leave PROCESSLIST');
    // The server's own statement timeout (max_statement_time / max_execution_time) answers too.
    const started = Date.now();
    const own = await expectToolError(connector.query(`SELECT /* ${marker}_own */ COUNT(*) FROM numbers a CROSS JOIN numbers b`, [], { ...DEFAULT_CAPS, timeoutMs: 700 }), 'QUERY_TIMEOUT');
    console.log(`[mysql] server-side timeout of 700 ms answered after ${Date.now() - started} ms: ${own.message}`);
    await eventually(async () => (await db.running!(`${marker}_own`)) === 0, 15_000, 'the timed-out statement to leave PROCESSLIST');
    expect((await connector.query('SELECT COUNT(*) FROM customers', [], DEFAULT_CAPS)).rows).toEqual([['3']]);
  });

  it('never holds more connections than poolMax', async () => {
    const small = await createConnector('mysql', { ...db.config, poolMax: 2 });
    const admin = await adminConnection(MYSQL_URL);
    try {
      const marker = `sequel_pool_${Date.now()}`;
      let peak = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const [rows] = await admin.query({
            sql: "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE COMMAND <> 'Sleep' AND INSTR(INFO, ?) > 0 AND ID <> CONNECTION_ID()",
            values: [marker],
            rowsAsArray: true,
          });
          peak = Math.max(peak, Number((rows as unknown as unknown[][])[0]![0]));
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, k) =>
          small.query(`SELECT /* ${marker} */ COUNT(*) FROM numbers a, (SELECT n FROM numbers LIMIT 10) b WHERE (a.n + b.n) % ? = 0`, [k + 2], DEFAULT_CAPS),
        ),
      );
      sampling = false;
      await sampler;
      expect(results).toHaveLength(8);
      console.log(`[mysql] 8 concurrent calls on poolMax 2: at most ${peak} running at once on the server`);
      expect(peak).toBeGreaterThan(0);
      expect(peak).toBeLessThanOrEqual(2);
    } finally {
      await small.close();
      await admin.end();
    }
  });

  it('TLS: require and verify-full refuse a server without TLS; disable connects', async () => {
    const admin = await adminConnection(MYSQL_URL);
    const [[row]] = (await admin.query({ sql: 'SELECT @@have_ssl', rowsAsArray: true })) as unknown as [[[string]]];
    await admin.end();
    const plain = await createConnector('mysql', { ...db.config, tls: { mode: 'disable' } });
    expect((await plain.ping()).version.length).toBeGreaterThan(0);
    await plain.close();
    for (const mode of ['require', 'verify-full'] as const) {
      const c = await createConnector('mysql', { ...db.config, tls: { mode }, connectTimeoutMs: 3_000 });
      try {
        if (row[0] === 'YES') {
          // A server with TLS: require connects (no verification); verify-full fails on a self-signed chain.
          if (mode === 'require') expect((await c.ping()).version.length).toBeGreaterThan(0);
          else await expectToolError(c.ping(), 'SOURCE_UNAVAILABLE');
        } else {
          const err = await expectToolError(c.ping(), 'SOURCE_UNAVAILABLE');
          expect(err.message).toMatch(/TLS/);
        }
      } finally {
        await c.close();
      }
    }
  });

  it('answers SOURCE_UNAVAILABLE within the connect timeout when the server never answers', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => sockets.push(s)); // accepts, never speaks
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const c = await createConnector('mysql', mysqlConfig(`mysql://root@127.0.0.1:${port}/x`, { connectTimeoutMs: 800 }));
    try {
      const started = Date.now();
      const err = await expectToolError(c.query('SELECT 1', [], DEFAULT_CAPS), 'SOURCE_UNAVAILABLE');
      const elapsed = Date.now() - started;
      console.log(`[mysql] connect timeout of 800 ms answered after ${elapsed} ms`);
      expect(err.message).toMatch(/800 ms/);
    } finally {
      await c.close();
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  it('uses the stored password over the DSN one, and never shows either', async () => {
    const user = `sequel_h3_${Date.now().toString(36)}`;
    const password = `pw-${Math.random().toString(36).slice(2)}-secret`;
    const admin = await adminConnection(MYSQL_URL);
    try {
      await admin.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'`);
      await admin.query(`GRANT SELECT (id, name) ON \`${dbName}\`.customers TO '${user}'@'%'`);
      await admin.query(`GRANT SELECT ON \`${dbName}\`.orders TO '${user}'@'%'`);
      const url = new URL(db.config.url);
      url.username = user;
      url.password = 'wrong-dsn-password';
      const good = await createConnector('mysql', { ...db.config, url: url.toString(), password });
      try {
        expect((await good.query('SELECT COUNT(*) FROM orders', [], DEFAULT_CAPS)).rows).toEqual([['5']]);
        // Least privilege: the column and table grants hold, as PERMISSION_DENIED.
        await expectToolError(good.query('SELECT email FROM customers', [], DEFAULT_CAPS), 'PERMISSION_DENIED');
        await expectToolError(good.query('SELECT * FROM numbers', [], DEFAULT_CAPS), 'PERMISSION_DENIED');
        expect((await good.introspect()).tables.map((t) => t.name).sort()).toEqual(['customers', 'orders']);
      } finally {
        await good.close();
      }
      const bad = await createConnector('mysql', { ...db.config, url: url.toString(), password: undefined });
      try {
        const err = await expectToolError(bad.ping(), 'SOURCE_UNAVAILABLE');
        expect(err.message).toMatch(/authentication failed/);
        expect(err.message).not.toContain('wrong-dsn-password');
        expect(err.message).not.toContain(password);
      } finally {
        await bad.close();
      }
    } finally {
      await admin.query(`DROP USER IF EXISTS '${user}'@'%'`);
      await admin.end();
    }
  });

  it('refuses a URL that is not MySQL, without echoing its password', async () => {
    const c = await createConnector('mysql', mysqlConfig('postgres://u:topsecret@127.0.0.1/x'));
    const err = await expectToolError(c.ping(), 'SOURCE_UNAVAILABLE');
    expect(err.message).not.toContain('topsecret');
    await c.close();
    expect(mysqlSettings(mysqlConfig('mariadb://u:p@db.example:3307/shop')).target).toBe('db.example:3307/shop');
  });

  it('survives pooled connections killed while idle, and a server that goes away and comes back', async () => {
    // A proxy in front of the server that can be stopped and started again.
    let sockets: net.Socket[] = [];
    const target = new URL(MYSQL_URL);
    const proxy = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 3306), target.hostname);
      client.pipe(upstream).pipe(client);
      const drop = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', drop);
      upstream.on('error', drop);
      client.on('close', drop);
      upstream.on('close', drop);
      sockets.push(client, upstream);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const port = (proxy.address() as net.AddressInfo).port;
    const url = new URL(db.config.url);
    url.host = `127.0.0.1:${port}`;
    const c = await createConnector('mysql', { ...db.config, url: url.toString(), connectTimeoutMs: 2_000, poolMax: 2 });
    try {
      expect((await c.query('SELECT COUNT(*) FROM customers', [], DEFAULT_CAPS)).rows).toEqual([['3']]);
      // Every connection drops (as in a server restart); the next call retries on a fresh one.
      for (const s of sockets) s.destroy();
      sockets = [];
      expect((await c.query('SELECT COUNT(*) FROM orders', [], DEFAULT_CAPS)).rows).toEqual([['5']]);
      // The server goes away.
      for (const s of sockets) s.destroy();
      sockets = [];
      await new Promise((r) => proxy.close(r));
      await expectToolError(c.query('SELECT 1', [], DEFAULT_CAPS), 'SOURCE_UNAVAILABLE');
      await expectToolError(c.ping(), 'SOURCE_UNAVAILABLE');
      // …and comes back on the same port.
      await new Promise<void>((r) => proxy.listen(port, '127.0.0.1', r));
      expect((await c.query('SELECT COUNT(*) FROM customers', [], DEFAULT_CAPS)).rows).toEqual([['3']]);
    } finally {
      await c.close();
      for (const s of sockets) s.destroy();
      await new Promise((r) => proxy.close(() => r(undefined)));
    }
  });
});

// ─── The session alone (layers 1 and 3, no guard) ──────────────────────────────────────────────────

describe.skipIf(!up)('mysql: the read-only session holds without the guard', () => {
  let db: FixtureDatabase;
  let session: MysqlSession;
  let baseline: string;

  beforeAll(async () => {
    db = await mysqlFixture.create();
    await db.exec(SETUP_MYSQL);
    // One connection, so that whatever a statement leaves behind is there for the next call.
    session = new MysqlSession({ ...db.config, poolMax: 1 });
    baseline = await db.checksum();
  });

  afterAll(async () => {
    await session?.close();
    await db?.destroy();
  });

  const refused = (sql: string) => expectToolError(session.query(sql, [], DEFAULT_CAPS), ['NOT_READ_ONLY', 'QUERY_ERROR', 'SYNTAX_ERROR', 'PERMISSION_DENIED'], sql);

  it.each([
    "INSERT INTO customers (id, name) VALUES (99, 'Mallory')",
    "UPDATE customers SET name = 'pwned'",
    'DELETE FROM orders',
    "REPLACE INTO customers (id, name) VALUES (1, 'pwned')",
    'SELECT sneaky_write()',
    'SELECT * FROM v_sneaky',
    'CALL sneaky_proc()',
    'SELECT * FROM customers FOR UPDATE',
    'CREATE TABLE evil (id INT)',
    'CREATE TEMPORARY TABLE evil (id INT)',
    'DROP VIEW order_totals',
    'ALTER TABLE customers ADD COLUMN evil INT',
    'TRUNCATE TABLE orders',
    'CREATE DATABASE evil_db',
    'OPTIMIZE TABLE customers',
  ])('the server refuses %s (1792, read-only transaction)', async (sql) => {
    const err = await refused(sql);
    expect(err.code, `${sql}: ${err.message}`).toBe('NOT_READ_ONLY');
    expect(await db.checksum()).toBe(baseline);
  });

  it('refuses a second statement at the protocol level (one statement per prepare, no multi-statements)', async () => {
    const err = await refused('SELECT 1; DELETE FROM orders');
    expect(err.code).toBe('SYNTAX_ERROR');
    expect(await db.checksum()).toBe(baseline);
  });

  it('refuses LOAD DATA LOCAL: the client never offers local files', async () => {
    await refused("LOAD DATA LOCAL INFILE '/etc/hostname' INTO TABLE customers");
    expect(await db.checksum()).toBe(baseline);
  });

  it.each(['SET SESSION TRANSACTION READ WRITE', 'COMMIT', 'START TRANSACTION READ WRITE', 'SET autocommit = 1', 'ROLLBACK'])(
    'after %s, the next call is still read-only',
    async (sql) => {
      // Whatever the statement does (some succeed, some are refused), it must not outlive its call.
      try {
        await session.query(sql, [], DEFAULT_CAPS);
      } catch (err) {
        if (!(err instanceof ToolError)) throw err;
      }
      const err = await refused("INSERT INTO customers (id, name) VALUES (98, 'Mallory')");
      expect(err.code).toBe('NOT_READ_ONLY');
      expect(await db.checksum()).toBe(baseline);
    },
  );
});
