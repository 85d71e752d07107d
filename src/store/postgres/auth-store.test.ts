// The PostgreSQL console sessions and API tokens against the auth store conformance suite
// (reopen = a new store on the same database: the node restarting, or another node).
import { authStoreConformance } from '../auth-conformance.ts';
import type { Store } from '../store.ts';
import { openPostgresStore } from './open.ts';
import { pgFixture } from './pg-fixture.ts';

const fx = pgFixture();

authStoreConformance({
  name: 'postgres',
  async open() {
    const first = await fx.open();
    let store: Store = first.store;
    return {
      store,
      async reopen() {
        await store.close();
        store = await openPostgresStore({ url: first.url, nodeId: 'node-b', poolSize: 4 });
        return store;
      },
      cleanup: () => store.close(),
    };
  },
});
