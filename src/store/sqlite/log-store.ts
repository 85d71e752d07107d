// The log database of the embedded default (log-manager): append in batches, query by
// service, level, mail and time.
import type Database from 'better-sqlite3';
import type { LogLevel, LogQuery, LogRecord, LogStore } from '../store.ts';
import type { WriteBatcher } from './write-batcher.ts';

const LEVELS: LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

export class SqliteLogStore implements LogStore {
  private readonly ins;
  constructor(
    private readonly db: Database.Database,
    private readonly writes: WriteBatcher,
  ) {
    this.ins = db.prepare('INSERT INTO logs (at, level, service, msg, mail_id, data) VALUES (?, ?, ?, ?, ?, ?)');
  }

  append(records: LogRecord[]): Promise<void> {
    return this.writes.run(() => {
      for (const r of records) this.ins.run(r.at, r.level, r.service, r.msg, r.mailId ?? null, r.data ? JSON.stringify(r.data) : null);
    });
  }

  async query(q: LogQuery): Promise<(LogRecord & { id: number })[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.service) (where.push('service = ?'), args.push(q.service));
    if (q.mailId) (where.push('mail_id = ?'), args.push(q.mailId));
    if (q.level) {
      const at = LEVELS.slice(LEVELS.indexOf(q.level));
      where.push(`level IN (${at.map(() => '?').join(',')})`);
      args.push(...at);
    }
    if (q.since !== undefined) (where.push('at >= ?'), args.push(q.since));
    if (q.until !== undefined) (where.push('at <= ?'), args.push(q.until));
    if (q.text) (where.push("msg LIKE ? ESCAPE '\\'"), args.push(`%${q.text.replace(/[\\%_]/g, (c) => '\\' + c)}%`));
    args.push(Math.min(q.limit ?? 200, 5000));
    const rows = this.db
      .prepare(`SELECT * FROM logs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ?`)
      .all(...args) as { id: number; at: number; level: LogLevel; service: string; msg: string; mail_id: string | null; data: string | null }[];
    return rows.map((r) => ({
      id: r.id,
      at: r.at,
      level: r.level,
      service: r.service,
      msg: r.msg,
      mailId: r.mail_id,
      data: r.data ? (JSON.parse(r.data) as Record<string, unknown>) : null,
    }));
  }

  purge(olderThan: number): Promise<number> {
    return this.writes.run(() => this.db.prepare('DELETE FROM logs WHERE at < ?').run(olderThan).changes);
  }
}
