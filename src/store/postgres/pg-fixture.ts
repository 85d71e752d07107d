// Test fixture of the PostgreSQL store tests in this folder: one throwaway server per test
// file (started on first use, stopped after the file), a fresh database and store per test.
import { after } from 'node:test';
import { startPostgres, type Postgres } from '../../../test/helpers/postgres.ts';
import { openPostgresStore, type PostgresStore } from './open.ts';

export interface PgFixture {
  server(): Promise<Postgres>;
  /** A new database (URL). */
  database(): Promise<string>;
  /** A store on a new database; `nodeId` names the node (two stores on one URL act as two nodes). */
  open(url?: string, nodeId?: string): Promise<{ store: PostgresStore; url: string; cleanup(): Promise<void> }>;
}

export function pgFixture(): PgFixture {
  let server: Promise<Postgres> | null = null;
  after(async () => {
    if (server) await (await server).close();
  });
  const fx: PgFixture = {
    server: () => (server ??= startPostgres()),
    async database() {
      return (await fx.server()).createDatabase();
    },
    async open(url?: string, nodeId = 'node-a') {
      const u = url ?? (await fx.database());
      const store = await openPostgresStore({ url: u, nodeId, poolSize: 4 });
      return { store, url: u, cleanup: () => store.close() };
    },
  };
  return fx;
}
