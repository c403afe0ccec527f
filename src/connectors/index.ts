/**
 * The engine registry. Each engine lives in `./<engine>/index.ts` and exports `create(config)` (named or
 * default); engines are imported lazily so that a server with only SQLite sources never loads the DuckDB
 * or MySQL drivers.
 */
import { ToolError, ValidationError } from '../errors.js';
import { ENGINES, type ConnectionConfig, type Connector, type ConnectorFactory, type Engine } from './types.js';

const factories = new Map<Engine, Promise<ConnectorFactory>>();

/**
 * Module specifiers held as data, not literals, so that the type checker and bundlers do not require an
 * engine's folder to exist (engines land independently) — the import resolves at run time.
 */
const MODULES: Record<Engine, string> = {
  postgres: './postgres/index.js',
  mysql: './mysql/index.js',
  sqlite: './sqlite/index.js',
  duckdb: './duckdb/index.js',
};

function isFactory(v: unknown): v is ConnectorFactory {
  return typeof v === 'function';
}

async function load(engine: Engine): Promise<ConnectorFactory> {
  let mod: { create?: unknown; default?: unknown };
  try {
    mod = (await import(/* @vite-ignore */ MODULES[engine])) as { create?: unknown; default?: unknown };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(`/${engine}/index.`)) {
      throw new ToolError('SOURCE_UNAVAILABLE', `The ${engine} engine is not available in this build of Sequel.`);
    }
    throw err;
  }
  const create = isFactory(mod.create) ? mod.create : isFactory(mod.default) ? mod.default : undefined;
  if (!create) throw new Error(`connectors/${engine}/index.js exports no create(config) function`);
  return create;
}

export function loadEngine(engine: Engine): Promise<ConnectorFactory> {
  let p = factories.get(engine);
  if (!p) {
    p = load(engine);
    // A failed load (e.g. a missing native module) is retried on the next call rather than cached.
    p.catch(() => factories.delete(engine));
    factories.set(engine, p);
  }
  return p;
}

export async function createConnector(engine: Engine, config: ConnectionConfig): Promise<Connector> {
  if (!(ENGINES as readonly string[]).includes(engine)) throw new ValidationError(`unknown engine "${engine}"`);
  const create = await loadEngine(engine);
  return create(config);
}
