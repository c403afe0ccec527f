/**
 * MySQL/MariaDB read-only layers beyond the shared corpus: the generated function allow-list is current
 * for the server under test, the guard fails closed (statements its secondary parser cannot read, inputs
 * no parser produces), `allowUserFunctions` and the verdict cache, the protected system databases when a
 * source points at one, a point query in one round trip, and isolation between calls on a pooled
 * connection.
 */
import net from 'node:net';
import { parse as parseSql } from '@guanmingchiu/sqlparser-ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnector } from '../../src/connectors/index.js';
import { FUNCTION_LISTS, checkFunctionCall, type MysqlFlavor } from '../../src/connectors/mysql/functions.js';
import { checkMysqlStatement, loadMysqlGuard } from '../../src/connectors/mysql/guard.js';
import { MysqlSession } from '../../src/connectors/mysql/session.js';
import type { Connector } from '../../src/connectors/types.js';
import { ToolError } from '../../src/errors.js';
import { DEFAULT_CAPS, expectToolError } from './conformance.js';
import type { FixtureDatabase } from './fixture.js';
import { mysqlConfig, mysqlFixture } from './fixtures/mysql.js';

const up = await mysqlFixture.available();

async function verdict(sql: string, options: Parameters<typeof checkMysqlStatement>[1] = {}): Promise<string> {
  try {
    await checkMysqlStatement(sql, options);
    return 'allowed';
  } catch (err) {
    if (!(err instanceof ToolError)) throw err;
    return err.code;
  }
}

describe('mysql guard: fails closed', () => {
  beforeAll(() => loadMysqlGuard());

  // Valid MariaDB statements the secondary parser (sqlparser-rs) cannot read: the protections must hold
  // without it. Each is checked to be unreadable by that parser, so the test keeps meaning what it says.
  const unreadable: Array<[string, string]> = [
    ['SELECT Password FROM mysql.user WHERE 5 MOD 2 = 1', 'PERMISSION_DENIED'],
    ["SELECT User FROM mysql.user WHERE User SOUNDS LIKE 'root'", 'PERMISSION_DENIED'],
    ['SELECT Priv FROM mysql.global_priv LIMIT 1 ROWS EXAMINED 10', 'PERMISSION_DENIED'],
    ['SELECT * FROM performance_schema.threads WHERE 1 MOD 1 = 0', 'PERMISSION_DENIED'],
    ['SELECT SLEEP(1) MOD 2', 'NOT_READ_ONLY'],
    ['SELECT sneaky() MOD 2', 'NOT_READ_ONLY'],
    ['SELECT count (x) MOD 2 FROM t', 'NOT_READ_ONLY'],
    ['SELECT 5 MOD 2 INTO @x', 'NOT_READ_ONLY'],
    ["SELECT a FROM t WHERE a SOUNDS LIKE 'x' FOR UPDATE", 'NOT_READ_ONLY'],
    ['SELECT a FROM t LIMIT 1 ROWS EXAMINED 5 LOCK IN SHARE MODE', 'NOT_READ_ONLY'],
  ];
  it.each(unreadable)('refuses %s although the secondary parser cannot read it', async (sql, code) => {
    expect(() => parseSql(sql, 'mysql'), `sqlparser now reads ${sql}; pick a statement it cannot`).toThrow();
    expect(await verdict(sql)).toBe(code);
  });

  it('still allows reads that parser cannot read, with relations unknown', async () => {
    for (const sql of ['SELECT 5 MOD 2', "SELECT a FROM t WHERE a SOUNDS LIKE 'x'", 'SELECT ROWNUM() FROM t LIMIT 1 ROWS EXAMINED 5']) {
      expect(() => parseSql(sql, 'mysql')).toThrow();
      expect((await checkMysqlStatement(sql, { flavor: 'mariadb' })).relations).toBeNull();
    }
  });

  it('refuses what the lexer cannot place, unknown statements and unknown functions', async () => {
    for (const sql of ['SELECT 1 \\ 2', 'SELECT 1\u0001', "SELECT 'open", 'SELECT `open', 'SELECT 1 /* open', 'FROBNICATE t', '@x', "'x'"]) {
      expect(await verdict(sql), sql).toBe('SYNTAX_ERROR');
    }
    expect(await verdict('SELECT no_such_builtin(1)')).toBe('NOT_READ_ONLY');
    expect(await verdict('SELECT x.no_such_builtin(1)')).toBe('NOT_READ_ONLY');
  });

  it('decides calls by the written form and the number of arguments (synthetic inputs)', () => {
    const call = (name: string, form: 'a' | 's' | 'q', args: number, flavor?: MysqlFlavor, allowUserFunctions = false) => {
      try {
        checkFunctionCall(name, form, args, false, { flavor, allowUserFunctions });
        return 'allowed';
      } catch (err) {
        return (err as ToolError).code;
      }
    };
    expect(call('count', 'a', 1, 'mariadb')).toBe('allowed');
    // `count (x)` and `count`(x) call a stored function named count on MariaDB.
    expect(call('count', 's', 1, 'mariadb')).toBe('NOT_READ_ONLY');
    expect(call('count', 'q', 1, 'mariadb')).toBe('NOT_READ_ONLY');
    expect(call('point', 'a', 2, 'mariadb')).toBe('allowed');
    expect(call('point', 'a', 3, 'mariadb')).toBe('NOT_READ_ONLY');
    expect(call('rownum', 'a', 0, 'mariadb')).toBe('allowed');
    // Unknown flavor: both flavors' lists must allow it (ROWNUM is MariaDB's only).
    expect(call('rownum', 'a', 0, undefined)).toBe('NOT_READ_ONLY');
    expect(call('abs', 'a', 1, undefined)).toBe('allowed');
    // Denied names never pass, not even where user functions are allowed.
    for (const name of ['sleep', 'SLEEP', 'get_lock', 'load_file', 'sys_exec', 'spider_direct_sql', 'binlog_gtid_pos']) {
      expect(call(name, 'a', 1, 'mariadb', true), name).toBe('NOT_READ_ONLY');
      expect(call(name, 'q', 1, 'mariadb', true), name).toBe('NOT_READ_ONLY');
    }
  });
});

describe('mysql guard: allowUserFunctions', () => {
  beforeAll(() => loadMysqlGuard());

  it('refuses stored functions unless the policy allows them, and caches verdicts per policy', async () => {
    const sql = 'SELECT shop_tax(total), shop.fmt(total) FROM orders';
    expect(await verdict(sql, { flavor: 'mariadb' })).toBe('NOT_READ_ONLY');
    expect(await verdict(sql, { flavor: 'mariadb', allowUserFunctions: true })).toBe('allowed');
    // The same text again, each policy keeping its own verdict.
    expect(await verdict(sql, { flavor: 'mariadb' })).toBe('NOT_READ_ONLY');
    expect(await verdict('SELECT count (id) FROM orders', { flavor: 'mariadb', allowUserFunctions: true })).toBe('allowed');
    expect(await verdict('SELECT SLEEP(1)', { flavor: 'mariadb', allowUserFunctions: true })).toBe('NOT_READ_ONLY');
    expect(await verdict('SELECT sys.format_bytes(1)', { flavor: 'mariadb', allowUserFunctions: true })).toBe('PERMISSION_DENIED');
  });

  it('protects the system databases when the source points at one', async () => {
    expect(await verdict('SELECT * FROM user', { database: 'mysql' })).toBe('PERMISSION_DENIED');
    expect(await verdict('SELECT 1', { database: 'MySQL' })).toBe('PERMISSION_DENIED');
    expect(await verdict('SELECT * FROM processlist', { database: 'information_schema' })).toBe('PERMISSION_DENIED');
    expect(await verdict('SELECT * FROM TABLES', { database: 'information_schema' })).toBe('allowed');
    // The same text on a source whose database is an ordinary one.
    expect(await verdict('SELECT * FROM user', { database: 'shop' })).toBe('allowed');
  });
});

describe.skipIf(!up)('mysql: allow-list, round trips and isolation on a live server', () => {
  let db: FixtureDatabase;
  let connector: Connector;

  beforeAll(async () => {
    db = await mysqlFixture.create();
    await db.exec(`
      CREATE FUNCTION leaky() RETURNS INT NOT DETERMINISTIC READS SQL DATA
        BEGIN SET @sequel_leak = 'left behind'; RETURN GET_LOCK('sequel_isolation_lock', 0); END;
      CREATE FUNCTION add_tax(x DECIMAL(12,2)) RETURNS DECIMAL(12,2) DETERMINISTIC NO SQL RETURN x * 1.2;
    `);
    connector = await createConnector('mysql', db.config);
  });

  afterAll(async () => {
    await connector?.close();
    await db?.destroy();
  });

  it('has a generated function list for this server version (else: re-run npm run allowlists:mysql)', async () => {
    const r = await connector.query('SELECT VERSION()', [], DEFAULT_CAPS);
    const version = String(r.rows[0]?.[0]);
    const flavor: MysqlFlavor = /mariadb/i.test(version) ? 'mariadb' : 'mysql';
    const majorMinor = /^(\d+\.\d+)/.exec(version)?.[1];
    expect(majorMinor, `the function allow-list was generated from ${FUNCTION_LISTS[flavor].server}; the server is ${version}: re-run npm run allowlists:mysql`).toBe(
      FUNCTION_LISTS[flavor].version,
    );
  });

  it('answers a point query in one round trip', async () => {
    // Count what the connector sends: each command is one write from client to server.
    let writes = 0;
    const target = new URL(db.config.url);
    const proxy = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 3306), target.hostname);
      client.on('data', (d) => {
        writes++;
        upstream.write(d);
      });
      upstream.pipe(client);
      const drop = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', drop);
      upstream.on('error', drop);
      client.on('close', drop);
      upstream.on('close', drop);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const url = new URL(db.config.url);
    url.host = `127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
    const c = await createConnector('mysql', { ...db.config, url: url.toString(), poolMax: 1 });
    try {
      const sql = 'SELECT name FROM customers WHERE id = ?';
      await c.query(sql, [1], DEFAULT_CAPS); // connect, settings, view definitions, prepare
      const perCall: number[] = [];
      for (let i = 0; i < 20; i++) {
        writes = 0;
        expect((await c.query(sql, [1 + (i % 3)], DEFAULT_CAPS)).rowCount).toBe(1);
        perCall.push(writes);
      }
      // Every call is one round trip, except (on a slow machine) one that also re-reads the view
      // definitions the guard checks, which happens at most every 30 s.
      expect(perCall.filter((n) => n === 1).length).toBeGreaterThanOrEqual(19);
      expect(Math.max(...perCall)).toBeLessThanOrEqual(2);
    } finally {
      await c.close();
      await new Promise((r) => proxy.close(() => r(undefined)));
    }
  });

  it('a call cannot change what the next caller sees (one pooled connection, no guard)', async () => {
    const session = new MysqlSession({ ...db.config, poolMax: 1 });
    const look = async () =>
      (await session.query('SELECT @sequel_a, @@SESSION.sql_mode, @@SESSION.character_set_client, @@SESSION.tx_read_only, @@SESSION.autocommit, @@SESSION.time_zone', [], DEFAULT_CAPS)).rows[0];
    try {
      const before = await look();
      expect(before?.[0]).toBeNull();
      for (const sql of [
        'SET @sequel_a = 1',
        "SET SESSION sql_mode = 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES'",
        'SET NAMES latin1',
        'SET SESSION TRANSACTION READ WRITE',
        'SET autocommit = 0',
        "SET time_zone = '+05:00'",
        'START TRANSACTION READ WRITE',
        "PREPARE sequel_p FROM 'SELECT 1'",
        "DO GET_LOCK('sequel_isolation_do', 0)",
        'SELECT 1 INTO @sequel_a',
      ]) {
        // Each is refused (it answers no result set) and its connection is discarded.
        await expectToolError(session.query(sql, [], DEFAULT_CAPS), ['NOT_READ_ONLY', 'QUERY_ERROR', 'SYNTAX_ERROR'], sql);
        expect(await look(), `after ${sql}`).toEqual(before);
      }
      const lock = await session.query("SELECT IS_USED_LOCK('sequel_isolation_do')", [], DEFAULT_CAPS);
      expect(lock.rows[0]?.[0]).toBeNull();
    } finally {
      await session.close();
    }
  });

  it('user functions: refused by default; where allowed, what they leave behind is reset before the next call', async () => {
    await expectToolError(connector.query('SELECT leaky()', [], DEFAULT_CAPS), 'NOT_READ_ONLY');
    const allowed = await createConnector('mysql', { ...db.config, allowUserFunctions: true, poolMax: 1 });
    const session = new MysqlSession({ ...db.config, allowUserFunctions: true, poolMax: 1 });
    try {
      expect((await allowed.query('SELECT add_tax(10)', [], DEFAULT_CAPS)).rows).toEqual([['12.00']]);
      await expectToolError(allowed.query('SELECT SLEEP(0)', [], DEFAULT_CAPS), 'NOT_READ_ONLY');
      // The session alone (one connection): the function sets a variable and takes a lock; the next call sees neither.
      expect((await session.query('SELECT leaky()', [], DEFAULT_CAPS)).rows).toEqual([[1]]);
      const next = await session.query("SELECT @sequel_leak, IS_USED_LOCK('sequel_isolation_lock')", [], DEFAULT_CAPS);
      expect(next.rows).toEqual([[null, null]]);
      // And the read-only settings came back with the reset.
      await expectToolError(session.query("INSERT INTO customers (id, name) VALUES (77, 'x')", [], DEFAULT_CAPS), 'NOT_READ_ONLY');
    } finally {
      await allowed.close();
      await session.close();
    }
  });

  it('refuses views whose definition the guard would refuse, transitively', async () => {
    await db.exec(`
      CREATE VIEW v_hashes AS SELECT User, Password FROM mysql.user;
      CREATE VIEW v_over_hashes AS SELECT * FROM v_hashes;
      CREATE VIEW v_taxed AS SELECT id, add_tax(total) AS t FROM orders;
      CREATE VIEW v_plain AS SELECT id, total FROM orders;
    `);
    const c = await createConnector('mysql', db.config);
    const allowing = await createConnector('mysql', { ...db.config, allowUserFunctions: true });
    try {
      await expectToolError(c.query('SELECT * FROM v_hashes', [], DEFAULT_CAPS), 'PERMISSION_DENIED');
      await expectToolError(c.query('SELECT User FROM `V_OVER_HASHES` WHERE 5 MOD 2 = 1', [], DEFAULT_CAPS), 'PERMISSION_DENIED');
      await expectToolError(c.query('SELECT * FROM v_taxed', [], DEFAULT_CAPS), 'NOT_READ_ONLY');
      expect((await c.query('SELECT COUNT(*) FROM v_plain', [], DEFAULT_CAPS)).rows).toEqual([['5']]);
      // Where user functions are allowed, the view that calls one is readable; the credential views never are.
      expect((await allowing.query('SELECT COUNT(*) FROM v_taxed', [], DEFAULT_CAPS)).rows).toEqual([['5']]);
      await expectToolError(allowing.query('SELECT * FROM v_over_hashes', [], DEFAULT_CAPS), 'PERMISSION_DENIED');
    } finally {
      await c.close();
      await allowing.close();
    }
  });

  it('refuses every query on a source whose database is the mysql system database', async () => {
    const u = new URL(db.config.url);
    u.pathname = '/mysql';
    const c = await createConnector('mysql', mysqlConfig(u.toString()));
    try {
      await expectToolError(c.query('SELECT * FROM user', [], DEFAULT_CAPS), 'PERMISSION_DENIED');
      await expectToolError(c.query('SELECT Host FROM db', [], DEFAULT_CAPS), 'PERMISSION_DENIED');
    } finally {
      await c.close();
    }
  });
});
