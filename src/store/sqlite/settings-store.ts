// Small persistent settings (service states, maintenance mode, node heartbeats and commands) as
// JSON values by key. Writes are durable (the write batcher's synced commit).
import type Database from 'better-sqlite3';
import type { SettingsStore } from '../store.ts';
import type { WriteBatcher } from './write-batcher.ts';

export class SqliteSettingsStore implements SettingsStore {
  constructor(
    private readonly db: Database.Database,
    private readonly writes: WriteBatcher,
  ) {}
  async get<T>(key: string): Promise<T | undefined> {
    const r = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    return r ? (JSON.parse(r.value) as T) : undefined;
  }
  set(key: string, value: unknown): Promise<void> {
    return this.writes.run(() => {
      this.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, JSON.stringify(value));
    }, true);
  }
  async list<T>(prefix: string): Promise<{ key: string; value: T }[]> {
    // substr() compares bytes of the prefix exactly (LIKE would treat % and _ as wildcards).
    const rows = this.db.prepare('SELECT key, value FROM settings WHERE substr(key, 1, length(@p)) = @p ORDER BY key').all({ p: prefix }) as { key: string; value: string }[];
    return rows.map((r) => ({ key: r.key, value: JSON.parse(r.value) as T }));
  }
  delete(key: string): Promise<boolean> {
    return this.writes.run(() => this.db.prepare('DELETE FROM settings WHERE key = ?').run(key).changes > 0, true);
  }
}
