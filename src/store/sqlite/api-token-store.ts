// Named API tokens in SQLite (table `api_tokens`, migration 010). Promises: add and remove are
// durable before they resolve; a name is unique (a second add changes nothing); only the
// token's hash is ever stored; markUsed rides the next group commit without an fsync.
import type Database from 'better-sqlite3';
import type { ApiTokenStore, StoredApiToken } from '../store.ts';
import { toApiToken, type ApiTokenRow } from '../rows/api-token-row.ts';
import type { WriteBatcher } from './write-batcher.ts';

export class SqliteApiTokenStore implements ApiTokenStore {
  private readonly st;
  constructor(
    db: Database.Database,
    private readonly writes: WriteBatcher,
  ) {
    this.st = {
      add: db.prepare('INSERT OR IGNORE INTO api_tokens (name, role, token_hash, created_at, created_by) VALUES (?, ?, ?, ?, ?)'),
      list: db.prepare('SELECT * FROM api_tokens ORDER BY name'),
      byHash: db.prepare('SELECT * FROM api_tokens WHERE token_hash = ?'),
      used: db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE name = ?'),
      remove: db.prepare('DELETE FROM api_tokens WHERE name = ?'),
    };
  }

  add(t: Omit<StoredApiToken, 'lastUsedAt'>): Promise<boolean> {
    return this.writes.run(() => this.st.add.run(t.name, t.role, t.tokenHash, t.createdAt, t.createdBy).changes === 1, true);
  }

  async list(): Promise<StoredApiToken[]> {
    return (this.st.list.all() as ApiTokenRow[]).map(toApiToken);
  }

  async byHash(tokenHash: string): Promise<StoredApiToken | null> {
    const r = this.st.byHash.get(tokenHash) as ApiTokenRow | undefined;
    return r ? toApiToken(r) : null;
  }

  markUsed(name: string, at: number): Promise<void> {
    return this.writes.run(() => void this.st.used.run(at, name), false);
  }

  remove(name: string): Promise<boolean> {
    return this.writes.run(() => this.st.remove.run(name).changes === 1, true);
  }
}
