// The SQLite backend against the session and API token conformance suite.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authStoreConformance } from '../auth-conformance.ts';
import { openSqliteStore } from './open.ts';
import type { Store } from '../store.ts';

authStoreConformance({
  name: 'sqlite',
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'gh-auth-store-'));
    let store: Store = openSqliteStore(dir);
    return {
      store,
      async reopen() {
        await store.close();
        store = openSqliteStore(dir);
        return store;
      },
      cleanup: async () => (await store.close(), rmSync(dir, { recursive: true, force: true })),
    };
  },
});
