// Small persistent settings (service states, maintenance mode) as JSON values by key.
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
}
