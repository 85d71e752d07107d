// Opens the cluster store: one PostgreSQL database shared by every Gatehouse node. Applies the
// migrations (once per cluster, under an advisory lock), builds the stores on one pool, and
// close() ends the LISTEN connection and the pool. Writes resolve only after COMMIT.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Store } from '../store.ts';
import { PgDatabase } from './database.ts';
import { migratePostgres } from './migrate.ts';
import { PgQueueStore } from './queue-store.ts';
import { QueueWatch } from './queue-watch.ts';
import { PgBodyStore } from './body-store.ts';
import { PgLogStore } from './log-store.ts';
import { PgSettingsStore } from './settings-store.ts';
import { PgPop3UidlStore } from './pop3-uidl-store.ts';
import { PgUserStore } from './user-store.ts';
import { PgKeyStore } from './key-store.ts';
import { PgComplianceStore } from './compliance-store.ts';
import { PgSpamStore } from './spam-store.ts';
import { PgArchiveStore } from './archive-store.ts';
import { PgSessionStore } from './session-store.ts';
import { PgApiTokenStore } from './api-token-store.ts';
import { PgPortalStore } from './portal-store.ts';

export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  /** Connections of this node's pool (default 10); the LISTEN connection comes on top. */
  poolSize?: number;
  /** This node's name (default: the host name); marks its own queue notifications. */
  nodeId?: string;
  now?: () => number;
}

export interface PostgresStore extends Store {
  db: PgDatabase;
  queue: PgQueueStore;
  bodies: PgBodyStore;
  users: PgUserStore;
}

export async function openPostgresStore(o: PostgresStoreOptions): Promise<PostgresStore> {
  const db = new PgDatabase({ url: o.url, max: o.poolSize ?? 10 });
  try {
    await migratePostgres(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  const tag = `${o.nodeId ?? hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const queue = new PgQueueStore(db, new QueueWatch(o.url, tag), o.now);
  return {
    db,
    queue,
    bodies: new PgBodyStore(db, o.now),
    logs: new PgLogStore(db),
    settings: new PgSettingsStore(db),
    pop3: new PgPop3UidlStore(db),
    compliance: new PgComplianceStore(db),
    archive: new PgArchiveStore(db, { now: o.now }),
    spam: new PgSpamStore(db),
    keys: new PgKeyStore(db, o.now),
    users: new PgUserStore(db, o.now),
    sessions: new PgSessionStore(db),
    apiTokens: new PgApiTokenStore(db),
    portal: new PgPortalStore(db),
    async close() {
      await queue.close();
      await db.close();
    },
  };
}
