// The SQLite backend against the portal store conformance suite.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { portalStoreConformance } from '../portal-conformance.ts';
import { openSqliteStore } from './open.ts';

portalStoreConformance({
  name: 'sqlite',
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'gh-portal-store-'));
    const store = openSqliteStore(dir);
    return { store, cleanup: async () => (await store.close(), rmSync(dir, { recursive: true, force: true })) };
  },
});
