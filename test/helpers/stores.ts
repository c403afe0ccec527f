/**
 * The store on each dialect, for suites that must pass on both: the embedded SQLite file and PostgreSQL
 * (when the server is up; see services.ts for what happens when it is not).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore, type Store } from '../../src/store/index.js';
import { createTempPgDatabase } from './services.js';

export interface OpenedStore {
  store: Store;
  cleanup(): Promise<void>;
}

export interface StoreDialect {
  name: 'sqlite' | 'postgres';
  open(): Promise<OpenedStore>;
}

export function storeDialects(pgUp: boolean, prefix = 'sequel_store'): StoreDialect[] {
  const dialects: StoreDialect[] = [
    {
      name: 'sqlite',
      async open() {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
        const store = openStore({ dataDir: dir });
        return {
          store,
          async cleanup() {
            await store.close();
            fs.rmSync(dir, { recursive: true, force: true });
          },
        };
      },
    },
  ];
  if (pgUp) {
    dialects.push({
      name: 'postgres',
      async open() {
        const db = await createTempPgDatabase(prefix);
        const store = openStore({ databaseUrl: db.url, dataDir: os.tmpdir() });
        return {
          store,
          async cleanup() {
            await store.close();
            await db.drop();
          },
        };
      },
    });
  }
  return dialects;
}
