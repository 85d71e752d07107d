// Small persistent settings shared by the cluster (service states, maintenance mode, node
// heartbeats and commands) as JSON values by key. Every write is a synchronous commit.
import type { SettingsStore } from '../store.ts';
import type { PgDatabase } from './database.ts';

export class PgSettingsStore implements SettingsStore {
  constructor(private readonly db: PgDatabase) {}

  async get<T>(key: string): Promise<T | undefined> {
    const r = await this.db.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key]);
    return r.rows[0] ? (JSON.parse(r.rows[0].value) as T) : undefined;
  }

  async set(key: string, value: unknown): Promise<void> {
    await this.db.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, JSON.stringify(value)]);
  }

  async list<T>(prefix: string): Promise<{ key: string; value: T }[]> {
    // starts_with() takes the prefix literally (LIKE would treat % and _ as wildcards); the key
    // column sorts in byte order (COLLATE "C") like SQLite.
    const r = await this.db.query<{ key: string; value: string }>('SELECT key, value FROM settings WHERE starts_with(key, $1) ORDER BY key', [prefix]);
    return r.rows.map((x) => ({ key: x.key, value: JSON.parse(x.value) as T }));
  }

  async delete(key: string): Promise<boolean> {
    return ((await this.db.query('DELETE FROM settings WHERE key = $1', [key])).rowCount ?? 0) > 0;
  }
}
