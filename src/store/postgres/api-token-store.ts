// Named API tokens on PostgreSQL (table `api_tokens`, migration 200; mirrors
// sqlite/api-token-store.ts). A name is unique (a second add changes nothing), only the token's
// hash is stored, add and remove resolve after COMMIT.
import type { ApiTokenStore, StoredApiToken } from '../store.ts';
import { toApiToken, type ApiTokenRow } from '../rows/api-token-row.ts';
import type { PgDatabase } from './database.ts';
import { writeAsyncCommit } from './async-commit.ts';

export class PgApiTokenStore implements ApiTokenStore {
  constructor(private readonly db: PgDatabase) {}

  async add(t: Omit<StoredApiToken, 'lastUsedAt'>): Promise<boolean> {
    // Taken name or (astronomically unlikely) hash: nothing changes, as with SQLite's OR IGNORE.
    const r = await this.db.query(
      'INSERT INTO api_tokens (name, role, token_hash, created_at, created_by) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
      [t.name, t.role, t.tokenHash, t.createdAt, t.createdBy],
    );
    return r.rowCount === 1;
  }

  async list(): Promise<StoredApiToken[]> {
    return (await this.db.query<ApiTokenRow>('SELECT * FROM api_tokens ORDER BY name COLLATE "C"')).rows.map(toApiToken);
  }

  async byHash(tokenHash: string): Promise<StoredApiToken | null> {
    const r = (await this.db.query<ApiTokenRow>('SELECT * FROM api_tokens WHERE token_hash = $1', [tokenHash])).rows[0];
    return r ? toApiToken(r) : null;
  }

  async markUsed(name: string, at: number): Promise<void> {
    await writeAsyncCommit(this.db, 'UPDATE api_tokens SET last_used_at = $1 WHERE name = $2', [at, name]);
  }

  async remove(name: string): Promise<boolean> {
    return (await this.db.query('DELETE FROM api_tokens WHERE name = $1', [name])).rowCount === 1;
  }
}
