// The SQLite backend against the archive store conformance suite (retention, holds, deletions).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { archiveStoreConformance } from '../archive-conformance.ts';
import { openSqliteStore } from './open.ts';

archiveStoreConformance({
  name: 'sqlite',
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'gh-archive-store-'));
    const store = openSqliteStore(dir);
    return { store, cleanup: async () => (await store.close(), rmSync(dir, { recursive: true, force: true })) };
  },
});
