// The log database of a cluster (log-manager) in PostgreSQL: the same queries as the SQLite log
// store; every node appends its own records. Appends are plain commits (logs are not mail).
import type { LogLevel, LogQuery, LogRecord, LogStore } from '../store.ts';
import type { PgDatabase } from './database.ts';

const LEVELS: LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

export class PgLogStore implements LogStore {
  constructor(private readonly db: PgDatabase) {}

  async append(records: LogRecord[]): Promise<void> {
    if (!records.length) return;
    await this.db.query(
      `INSERT INTO logs (at, level, service, msg, mail_id, data)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])`,
      [
        records.map((r) => r.at),
        records.map((r) => r.level),
        records.map((r) => r.service),
        records.map((r) => r.msg),
        records.map((r) => r.mailId ?? null),
        records.map((r) => (r.data ? JSON.stringify(r.data) : null)),
      ],
    );
  }

  async query(q: LogQuery): Promise<(LogRecord & { id: number })[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const arg = (v: unknown) => (args.push(v), `$${args.length}`);
    if (q.service) where.push(`service = ${arg(q.service)}`);
    if (q.mailId) where.push(`mail_id = ${arg(q.mailId)}`);
    if (q.level) where.push(`level = ANY(${arg(LEVELS.slice(LEVELS.indexOf(q.level)))})`);
    if (q.since !== undefined) where.push(`at >= ${arg(q.since)}`);
    if (q.until !== undefined) where.push(`at <= ${arg(q.until)}`);
    // ILIKE: SQLite's LIKE ignores ASCII case too.
    if (q.text) where.push(`msg ILIKE ${arg(`%${q.text.replace(/[\\%_]/g, (c) => '\\' + c)}%`)}`);
    const limit = arg(Math.min(q.limit ?? 200, 5000));
    const r = await this.db.query<{ id: number; at: number; level: LogLevel; service: string; msg: string; mail_id: string | null; data: string | null }>(
      `SELECT * FROM logs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ${limit}`,
      args,
    );
    return r.rows.map((row) => ({
      id: row.id,
      at: row.at,
      level: row.level,
      service: row.service,
      msg: row.msg,
      mailId: row.mail_id,
      data: row.data ? (JSON.parse(row.data) as Record<string, unknown>) : null,
    }));
  }

  async purge(olderThan: number): Promise<number> {
    return (await this.db.query('DELETE FROM logs WHERE at < $1', [olderThan])).rowCount ?? 0;
  }
}
