// The SQLite backend against the spam store conformance suite.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spamStoreConformance } from '../spam-conformance.ts';
import { openSqliteStore } from './open.ts';

spamStoreConformance({
  name: 'sqlite',
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'gh-spam-store-'));
    const store = openSqliteStore(dir);
    return { store, cleanup: async () => (await store.close(), rmSync(dir, { recursive: true, force: true })) };
  },
});
