// Opens the embedded default: SQLite (WAL; durable commits are fdatasync'd, see write-batcher.ts)
// for queues, logs and settings, plus body files, all under dataDir.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../store.ts';
import { FileBodyStore } from '../files/body-files.ts';
import { migrate } from './migrate.ts';
import { SqliteBodyStore } from './body-store.ts';
import { openWalDatabase } from './wal-database.ts';
import { SqliteQueueStore } from './queue-store.ts';
import { SqliteLogStore } from './log-store.ts';
import { SqliteSettingsStore } from './settings-store.ts';
import { SqlitePop3UidlStore } from './pop3-uidl-store.ts';
import { SqliteComplianceStore } from './compliance-store.ts';
import { openSqliteArchive, type SqliteArchiveStore } from './archive-store.ts';
import { SqliteSpamStore } from './spam-store.ts';
import { SqliteKeyStore } from './key-store.ts';
import { SqliteUserStore } from './user-store.ts';
import { SqlitePortalStore } from './portal-store.ts';
import { SqliteSessionStore } from './session-store.ts';
import { SqliteApiTokenStore } from './api-token-store.ts';

export interface SqliteStore extends Store {
  queue: SqliteQueueStore;
  bodies: SqliteBodyStore;
  archive: SqliteArchiveStore;
  users: SqliteUserStore;
  sessions: SqliteSessionStore;
  apiTokens: SqliteApiTokenStore;
  portal: SqlitePortalStore;
}

export function openSqliteStore(dataDir: string, opts: { now?: () => number; inlineLimit?: number } = {}): SqliteStore {
  mkdirSync(dataDir, { recursive: true });
  // journal_size_limit: the WAL file is cut back to 64 MiB each time it starts over, so a burst of
  // load does not leave a WAL of its peak size on disk (the archive database does the same).
  const { db, writes, close } = openWalDatabase(join(dataDir, 'gatehouse.db'), (d) => migrate(d), ['foreign_keys = ON', `journal_size_limit = ${64 * 1024 * 1024}`]);
  const queue = new SqliteQueueStore(db, writes, opts.now);
  const bodies = new SqliteBodyStore(db, writes, new FileBodyStore(join(dataDir, 'queue')), opts.inlineLimit);
  const archive = openSqliteArchive(join(dataDir, 'archive'), { now: opts.now });
  return {
    queue,
    bodies,
    logs: new SqliteLogStore(db, writes),
    settings: new SqliteSettingsStore(db, writes),
    pop3: new SqlitePop3UidlStore(db, writes),
    compliance: new SqliteComplianceStore(db, writes),
    archive,
    spam: new SqliteSpamStore(db, writes),
    keys: new SqliteKeyStore(db, writes, opts.now),
    users: new SqliteUserStore(db, writes, opts.now),
    sessions: new SqliteSessionStore(db, writes),
    apiTokens: new SqliteApiTokenStore(db, writes),
    portal: new SqlitePortalStore(db, writes),
    async close() {
      await archive.close();
      await close();
    },
  };
}
