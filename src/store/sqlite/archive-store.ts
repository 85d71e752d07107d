// The archive of the embedded default: its own SQLite database under <dataDir>/archive/ (see
// migrations/archive/001-archive.sql for why it is apart from the queue), with the encrypted
// blobs of small mails in the database and larger ones as files (temp → fsync → rename, like
// queue bodies). archive() is one durable transaction: message, blob, index row and chain entry.
import Database from 'better-sqlite3';
import { mkdirSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { newMailId } from '../../core/ids.ts';
import { FileBodyStore } from '../files/body-files.ts';
import {
  ArchiveBodyGoneError,
  StorageError,
  type ArchiveBodyPart,
  type ArchiveBlobRef,
  type ArchiveBlobWriter,
  type ArchiveDeletion,
  type ArchivedMessage,
  type ArchiveHold,
  type ArchiveEntry,
  type ArchiveSearch,
  type ArchiveStore,
  type BodyWriter,
  type NewArchivedMessage,
  type StoredLink,
} from '../store.ts';
import { migrate } from './migrate.ts';
import { openWalDatabase } from './wal-database.ts';
import type { WriteBatcher } from './write-batcher.ts';
import { toDeletion, toEntry, toHold, toMessage, type DeletionRow, type EntryRow, type HoldRow, type MessageRow, type BodyRow } from '../rows/archive-rows.ts';
import { ftsCondition } from './archive-match.ts';

/** Blobs up to this size (compressed and encrypted) stay in the database: one WAL sync per batch. */
export const ARCHIVE_INLINE_LIMIT = 256 * 1024;
/**
 * WAL backpressure. The checkpointer (a worker, PASSIVE) never catches up with a sustained
 * stream of group commits, so the WAL would never start over: measured 2.9 GB of WAL a few minutes into
 * a 100,000-mail bench run. The WAL is cut back to WAL_KEEP_BYTES whenever it starts over; when it is larger
 * than WAL_PAUSE_BYTES, new arrivals wait (asynchronously, WAL_PAUSE_MS at a time) so that the
 * checkpoint completes and the next write starts the WAL over.
 */
const WAL_KEEP_BYTES = 64 * 1024 * 1024;
const WAL_PAUSE_BYTES = 256 * 1024 * 1024;
const WAL_PAUSE_MS = 250;

export interface SqliteArchiveStore extends ArchiveStore {
  close(): Promise<void>;
}

export function openSqliteArchive(dir: string, opts: { now?: () => number; inlineLimit?: number } = {}): SqliteArchiveStore {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'archive.db');
  const { db, writes, close } = openWalDatabase(file, (d) => migrate(d, 'archive'), [`journal_size_limit = ${WAL_KEEP_BYTES}`]);
  const store = new Archive(db, writes, new FileBodyStore(dir), opts.now ?? Date.now, opts.inlineLimit ?? ARCHIVE_INLINE_LIMIT, `${file}-wal`);
  return Object.assign(store, { close });
}

class Archive implements ArchiveStore {
  private readonly st;
  constructor(
    private readonly db: Database.Database,
    private readonly writes: WriteBatcher,
    private readonly files: FileBodyStore,
    private readonly now: () => number,
    private readonly inlineLimit: number,
    private readonly walFile: string,
  ) {
    this.st = {
      byHash: db.prepare('SELECT id FROM archive_messages WHERE content_hash = ?').pluck(),
      byId: db.prepare('SELECT * FROM archive_messages WHERE id = ?'),
      insertMessage: db.prepare(
        `INSERT INTO archive_messages (id, content_hash, size, stored_size, compression, key_id, archived_at, date, from_addr, to_addr,
           cc_addr, subject, message_id, attachments, has_attachment, blob_file, retain_until, body_pos)
         VALUES (@id, @contentHash, @size, @storedSize, @compression, @keyId, @archivedAt, @date, @from, @to, @cc, @subject, @messageId,
           @attachments, @hasAttachment, @blobFile, @retainUntil, @bodyPos)`,
      ),
      bodyPosByHash: db.prepare('SELECT pos FROM archive_bodies WHERE body_hash = ?').pluck(),
      bodyDict: db.prepare('SELECT dict FROM archive_bodies WHERE body_hash = ?'),
      insertBody: db.prepare(
        'INSERT INTO archive_bodies (body_hash, size, stored_size, compression, key_id, data, dict) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      body: db.prepare('SELECT * FROM archive_bodies WHERE pos = ?'),
      bodyUsed: db.prepare('SELECT 1 FROM archive_messages WHERE body_pos = ? LIMIT 1').pluck(),
      deleteBody: db.prepare('DELETE FROM archive_bodies WHERE pos = ?'),
      insertBodyIndex: db.prepare('INSERT INTO archive_body_fts (rowid, body, attachments) VALUES (?, ?, ?)'),
      deleteBodyIndex: db.prepare('DELETE FROM archive_body_fts WHERE rowid = ?'),
      holdsPlaced: db.prepare('SELECT count(*) FROM archive_holds').pluck(),
      extendRetention: db.prepare('UPDATE archive_messages SET retain_until = MAX(retain_until, ?) WHERE id = ?'),
      scanExpired: db.prepare(
        'SELECT m.* FROM archive_messages m WHERE m.retain_until <= ? AND m.pos > ? ORDER BY m.pos LIMIT ?',
      ),
      messageHeld: db.prepare('SELECT 1 FROM archive_holds WHERE archive_id = ? AND removed_at IS NULL LIMIT 1').pluck(),
      deleteBlob: db.prepare('DELETE FROM archive_blobs WHERE pos = ?'),
      deleteIndex: db.prepare('DELETE FROM archive_fts WHERE rowid = ?'),
      deleteMessage: db.prepare('DELETE FROM archive_messages WHERE pos = ?'),
      insertAddress: db.prepare('INSERT OR IGNORE INTO archive_addresses (address, pos) VALUES (?, ?)'),
      deleteAddresses: db.prepare('DELETE FROM archive_addresses WHERE pos = ?'),
      posOf: db.prepare('SELECT pos FROM archive_messages WHERE id = ?').pluck(),
      lastDeletion: db.prepare('SELECT seq, hash FROM archive_deletions ORDER BY seq DESC LIMIT 1'),
      insertDeletion: db.prepare(
        `INSERT INTO archive_deletions (seq, at, archive_id, content_hash, archived_at, retain_until, reason, actor, prev_hash, hash)
         VALUES (@seq, @at, @archiveId, @contentHash, @archivedAt, @retainUntil, @reason, @actor, @prevHash, @hash)`,
      ),
      deletionOf: db.prepare('SELECT * FROM archive_deletions WHERE archive_id = ? ORDER BY seq DESC LIMIT 1'),
      scanDeletions: db.prepare('SELECT * FROM archive_deletions WHERE pos > ? ORDER BY pos LIMIT ?'),
      insertHold: db.prepare(
        `INSERT INTO archive_holds (id, archive_id, query, reason, created_by, created_at) VALUES (@id, @archiveId, @query, @reason, @createdBy, @createdAt)`,
      ),
      holds: db.prepare('SELECT * FROM archive_holds WHERE removed_at IS NULL ORDER BY created_at, id'),
      allHolds: db.prepare('SELECT * FROM archive_holds ORDER BY created_at, id'),
      hold: db.prepare('SELECT * FROM archive_holds WHERE id = ?'),
      removeHold: db.prepare('UPDATE archive_holds SET removed_by = ?, removed_at = ? WHERE id = ? AND removed_at IS NULL'),
      insertBlob: db.prepare('INSERT INTO archive_blobs (pos, data) VALUES (?, ?)'),
      blob: db.prepare('SELECT data FROM archive_blobs WHERE pos = ?').pluck(),
      insertIndex: db.prepare(
        'INSERT INTO archive_fts (rowid, sender, recipients, subject, body, attachments, message_id) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      lastEntry: db.prepare('SELECT seq, hash FROM archive_entries ORDER BY seq DESC LIMIT 1'),
      insertEntry: db.prepare(
        `INSERT INTO archive_entries (seq, at, archive_id, content_hash, mail_id, received_at, direction, source, sender, recipients,
           client_ip, trace, prev_hash, hash)
         VALUES (@seq, @at, @archiveId, @contentHash, @mailId, @receivedAt, @direction, @source, @sender, @recipients, @clientIp, @trace,
           @prevHash, @hash)`,
      ),
      entriesOf: db.prepare('SELECT * FROM archive_entries WHERE archive_id = ? ORDER BY seq'),
      hasArrival: db.prepare('SELECT 1 FROM archive_entries WHERE mail_id = ? LIMIT 1').pluck(),
      scanEntries: db.prepare('SELECT * FROM archive_entries WHERE pos > ? ORDER BY pos LIMIT ?'),
      scanMessages: db.prepare(
        `SELECT m.*, EXISTS (SELECT 1 FROM archive_fts f WHERE f.rowid = m.pos)
           AND (m.body_pos IS NULL OR EXISTS (SELECT 1 FROM archive_body_fts b WHERE b.rowid = m.body_pos)) AS indexed
         FROM archive_messages m WHERE m.pos > ? ORDER BY m.pos LIMIT ?`,
      ),
      orphans: db.prepare('SELECT rowid FROM archive_fts WHERE rowid NOT IN (SELECT pos FROM archive_messages) ORDER BY rowid LIMIT 1000').pluck(),
      keyIds: db.prepare('SELECT DISTINCT key_id FROM archive_messages').pluck(),
      fileUsed: db.prepare('SELECT 1 FROM archive_messages WHERE blob_file = ?').pluck(),
    };
  }

  async createBlob(): Promise<ArchiveBlobWriter> {
    let chunks: Buffer[] = [];
    let size = 0;
    let file: BodyWriter | null = null;
    return {
      write: async (chunk: Buffer) => {
        if (file) return file.write(chunk);
        chunks.push(chunk);
        size += chunk.length;
        if (size > this.inlineLimit) {
          file = await this.files.create(newMailId());
          const held = chunks;
          chunks = [];
          for (const c of held) await file.write(c);
        }
      },
      commit: async (): Promise<ArchiveBlobRef> => {
        if (file) {
          await file.commit();
          return { file: file.key };
        }
        const data = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
        chunks = [];
        return { inline: data };
      },
      abort: async () => {
        chunks = [];
        if (file) await file.abort();
      },
    };
  }

  async openBlob(archiveId: string): Promise<Readable> {
    const m = this.st.byId.get(archiveId) as MessageRow | undefined;
    if (!m) throw new StorageError(`no archived message ${archiveId}`);
    if (m.blob_file) return this.files.open(m.blob_file);
    const data = this.st.blob.get(m.pos) as Buffer | undefined;
    if (!data) throw new StorageError(`the stored content of archived message ${archiveId} is missing`);
    return Readable.from([data], { objectMode: false });
  }

  async openBody(archiveId: string): Promise<ArchiveBodyPart | null> {
    const m = this.st.byId.get(archiveId) as MessageRow | undefined;
    if (!m) throw new StorageError(`no archived message ${archiveId}`);
    if (m.body_pos == null) return null;
    const b = this.st.body.get(m.body_pos) as BodyRow | undefined;
    if (!b) throw new StorageError(`the stored body of archived message ${archiveId} is missing`);
    return { hash: b.body_hash, size: b.size, compression: b.compression, keyId: b.key_id, blob: Readable.from([b.data], { objectMode: false }), dict: b.dict };
  }

  async findBody(hash: string): Promise<{ dict: Buffer | null } | null> {
    return (this.st.bodyDict.get(hash) as { dict: Buffer | null } | undefined) ?? null;
  }

  private walPause: Promise<void> | null = null;
  private arrivals = 0;

  /** Waits while the WAL is too large for its checkpoint to catch up (see WAL_PAUSE_BYTES). */
  private async walBackpressure(): Promise<void> {
    if (!this.walPause && this.arrivals++ % 16 === 0) {
      let size = 0;
      try {
        size = statSync(this.walFile).size;
      } catch {
        /* no WAL yet */
      }
      if (size > WAL_PAUSE_BYTES) this.walPause = sleep(WAL_PAUSE_MS).then(() => void (this.walPause = null));
    }
    if (this.walPause) await this.walPause;
  }

  async archive(a: {
    message: NewArchivedMessage;
    entry: (last: { seq: number; hash: string } | null, archiveId: string) => ArchiveEntry;
  }): Promise<{ entry: ArchiveEntry; deduplicated: boolean }> {
    await this.walBackpressure();
    const m = a.message;
    const blobFile = 'file' in m.blob ? m.blob.file : null;
    let r: { entry: ArchiveEntry; deduplicated: boolean };
    try {
      r = await this.writes.run(() => {
        let archiveId = this.st.byHash.get(m.contentHash) as string | undefined;
        const deduplicated = archiveId !== undefined;
        if (archiveId === undefined) {
          archiveId = m.id;
          let bodyPos: number | null = null;
          if (m.body) {
            const b = m.body;
            bodyPos = (this.st.bodyPosByHash.get(b.hash) as number | undefined) ?? null;
            if (bodyPos !== null && b.blob) throw new ArchiveBodyGoneError(b.hash, 'ARCHIVE_BODY_STORED');
            if (bodyPos === null) {
              if (!b.blob) throw new ArchiveBodyGoneError(b.hash);
              bodyPos = Number(this.st.insertBody.run(b.hash, b.size, b.storedSize, b.compression, b.keyId, b.blob.inline, b.dict ?? null).lastInsertRowid);
              this.st.insertBodyIndex.run(bodyPos, m.index.body, m.index.attachments);
            }
          }
          const { body: _body, ...row } = m;
          const pos = Number(
            this.st.insertMessage.run({
              ...row,
              archivedAt: this.now(),
              attachments: JSON.stringify(m.attachments),
              hasAttachment: m.attachments.length ? 1 : 0,
              blobFile,
              bodyPos,
            }).lastInsertRowid,
          );
          if ('inline' in m.blob) this.st.insertBlob.run(pos, m.blob.inline);
          const x = m.index;
          // With a shared body, its text is indexed with the body (once), not with each message.
          if (bodyPos === null) this.st.insertIndex.run(pos, x.sender, x.recipients, x.subject, x.body, x.attachments, x.messageId);
          else this.st.insertIndex.run(pos, x.sender, x.recipients, x.subject, '', '', x.messageId);
        } else {
          this.st.extendRetention.run(m.retainUntil, archiveId);
        }
        const last = (this.st.lastEntry.get() as { seq: number; hash: string } | undefined) ?? null;
        const entry = a.entry(last, archiveId);
        this.st.insertEntry.run({ ...entry, recipients: JSON.stringify(entry.recipients) });
        const pos = this.st.posOf.get(archiveId) as number;
        const addresses = new Set([...(deduplicated ? [] : m.addresses), entry.sender, ...entry.recipients].map((x) => x.toLowerCase()));
        for (const address of addresses) if (address) this.st.insertAddress.run(address, pos);
        return { entry, deduplicated };
      }, true);
    } catch (err) {
      if (blobFile) await this.files.remove(blobFile).catch(() => undefined);
      throw err;
    }
    if (r.deduplicated && blobFile) await this.files.remove(blobFile).catch(() => undefined);
    return r;
  }

  async search(q: ArchiveSearch): Promise<{ total: number; messages: ArchivedMessage[] }> {
    const where: string[] = [];
    const args: unknown[] = [];
    const match = ftsCondition(q.terms);
    if (match === null) return { total: 0, messages: [] };
    if (match) (where.push(match.sql), args.push(...match.args));
    if (q.before !== undefined) (where.push('m.date < ?'), args.push(q.before));
    if (q.after !== undefined) (where.push('m.date >= ?'), args.push(q.after));
    // A literal, not a parameter: only then can SQLite use the partial index of messages with attachments.
    if (q.hasAttachment !== undefined) where.push(`m.has_attachment = ${q.hasAttachment ? 1 : 0}`);
    if (q.participants) {
      if (!q.participants.length) return { total: 0, messages: [] };
      where.push('m.pos IN (SELECT pos FROM archive_addresses WHERE address IN (SELECT value FROM json_each(?)))');
      args.push(JSON.stringify(q.participants.map((x) => x.toLowerCase())));
    }
    if (q.ids) {
      if (!q.ids.length) return { total: 0, messages: [] };
      where.push(`m.id IN (SELECT value FROM json_each(?))`);
      args.push(JSON.stringify(q.ids));
    }
    const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = this.db.prepare(`SELECT COUNT(*) FROM archive_messages m ${w}`).pluck().get(...args) as number;
    const rows = this.db
      .prepare(`SELECT m.* FROM archive_messages m ${w} ORDER BY m.date DESC, m.pos DESC LIMIT ? OFFSET ?`)
      .all(...args, q.limit, q.offset) as MessageRow[];
    return { total, messages: rows.map(toMessage) };
  }

  async get(archiveId: string): Promise<ArchivedMessage | null> {
    const r = this.st.byId.get(archiveId) as MessageRow | undefined;
    return r ? toMessage(r) : null;
  }

  async entriesOf(archiveId: string): Promise<ArchiveEntry[]> {
    return (this.st.entriesOf.all(archiveId) as EntryRow[]).map(toEntry);
  }

  async hasArrival(mailId: string): Promise<boolean> {
    return this.st.hasArrival.get(mailId) !== undefined;
  }

  async scanEntries(after: number, limit: number): Promise<StoredLink<ArchiveEntry>[]> {
    return (this.st.scanEntries.all(after, limit) as EntryRow[]).map((r) => ({ pos: r.pos, record: toEntry(r) }));
  }

  async scanMessages(after: number, limit: number): Promise<StoredLink<ArchivedMessage & { indexed: boolean }>[]> {
    return (this.st.scanMessages.all(after, limit) as (MessageRow & { indexed: number })[]).map((r) => ({
      pos: r.pos,
      record: { ...toMessage(r), indexed: r.indexed === 1 },
    }));
  }

  async orphanIndexRows(): Promise<number[]> {
    return this.st.orphans.all() as number[];
  }

  async keyIds(): Promise<string[]> {
    return this.st.keyIds.all() as string[];
  }

  async sweep(): Promise<number> {
    let n = await this.files.clearTmp();
    for (const key of await this.files.keys()) {
      if (this.st.fileUsed.get(key) === undefined) {
        await this.files.remove(key);
        n++;
      }
    }
    return n;
  }

  async scanExpired(now: number, after: number, limit: number): Promise<StoredLink<ArchivedMessage>[]> {
    return (this.st.scanExpired.all(now, after, limit) as MessageRow[]).map((r) => ({ pos: r.pos, record: toMessage(r) }));
  }

  async remove(
    archiveId: string,
    now: number,
    deletion: (last: { seq: number; hash: string } | null, m: ArchivedMessage) => ArchiveDeletion,
    holdsPlaced?: number,
  ): Promise<ArchiveDeletion | null> {
    const r = await this.writes.run(() => {
      const row = this.st.byId.get(archiveId) as MessageRow | undefined;
      if (!row || row.retain_until > now || this.st.messageHeld.get(archiveId) !== undefined) return null;
      if (holdsPlaced !== undefined && this.st.holdsPlaced.get() !== holdsPlaced) return null;
      const last = (this.st.lastDeletion.get() as { seq: number; hash: string } | undefined) ?? null;
      const d = deletion(last, toMessage(row));
      this.st.deleteBlob.run(row.pos);
      this.st.deleteIndex.run(row.pos);
      this.st.deleteMessage.run(row.pos);
      if (row.body_pos != null && this.st.bodyUsed.get(row.body_pos) === undefined) {
        this.st.deleteBody.run(row.body_pos);
        this.st.deleteBodyIndex.run(row.body_pos);
      }
      this.st.deleteAddresses.run(row.pos);
      this.st.insertDeletion.run(d);
      return { d, file: row.blob_file };
    }, true);
    if (!r) return null;
    // After the commit: a crash before this leaves a file no message names, which sweep() removes.
    if (r.file) await this.files.remove(r.file).catch(() => undefined);
    return r.d;
  }

  async deletionOf(archiveId: string): Promise<ArchiveDeletion | null> {
    const r = this.st.deletionOf.get(archiveId) as DeletionRow | undefined;
    return r ? toDeletion(r) : null;
  }

  async scanDeletions(after: number, limit: number): Promise<StoredLink<ArchiveDeletion>[]> {
    return (this.st.scanDeletions.all(after, limit) as DeletionRow[]).map((r) => ({ pos: r.pos, record: toDeletion(r) }));
  }

  async addHold(h: Omit<ArchiveHold, 'removedBy' | 'removedAt'>): Promise<ArchiveHold> {
    await this.writes.run(() => this.st.insertHold.run(h), true);
    return { ...h, removedBy: null, removedAt: null };
  }

  async holds(withRemoved = false): Promise<ArchiveHold[]> {
    return ((withRemoved ? this.st.allHolds : this.st.holds).all() as HoldRow[]).map(toHold);
  }

  async removeHold(id: string, by: string, at: number): Promise<ArchiveHold | null> {
    const changed = await this.writes.run(() => this.st.removeHold.run(by, at, id).changes, true);
    if (!changed) return null;
    return toHold(this.st.hold.get(id) as HoldRow);
  }
}
