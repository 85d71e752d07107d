// The archive of the embedded default: its own SQLite database under <dataDir>/archive/ (see
// migrations/archive/001-archive.sql for why it is apart from the queue), with the encrypted
// blobs of small mails in the database and larger ones as files (temp → fsync → rename, like
// queue bodies). archive() is one durable transaction: message, blob, index row and chain entry.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { newMailId } from '../../core/ids.ts';
import { FileBodyStore } from '../files/body-files.ts';
import {
  StorageError,
  type ArchiveBlobRef,
  type ArchiveBlobWriter,
  type ArchivedMessage,
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
import { ftsMatch } from './archive-match.ts';

/** Blobs up to this size (compressed and encrypted) stay in the database: one WAL sync per batch. */
export const ARCHIVE_INLINE_LIMIT = 256 * 1024;

interface MessageRow {
  pos: number;
  id: string;
  content_hash: string;
  size: number;
  stored_size: number;
  compression: string;
  key_id: string;
  archived_at: number;
  date: number;
  from_addr: string;
  to_addr: string;
  cc_addr: string;
  subject: string;
  message_id: string;
  attachments: string;
  has_attachment: number;
  blob_file: string | null;
}

interface EntryRow {
  pos: number;
  seq: number;
  at: number;
  archive_id: string;
  content_hash: string;
  mail_id: string | null;
  received_at: number;
  direction: string;
  source: string;
  sender: string;
  recipients: string;
  client_ip: string | null;
  trace: string | null;
  prev_hash: string;
  hash: string;
}

const toMessage = (r: MessageRow): ArchivedMessage => ({
  id: r.id,
  contentHash: r.content_hash,
  size: r.size,
  storedSize: r.stored_size,
  compression: r.compression,
  keyId: r.key_id,
  archivedAt: r.archived_at,
  date: r.date,
  from: r.from_addr,
  to: r.to_addr,
  cc: r.cc_addr,
  subject: r.subject,
  messageId: r.message_id,
  attachments: JSON.parse(r.attachments) as string[],
});

const toEntry = (r: EntryRow): ArchiveEntry => ({
  seq: r.seq,
  at: r.at,
  archiveId: r.archive_id,
  contentHash: r.content_hash,
  mailId: r.mail_id,
  receivedAt: r.received_at,
  direction: r.direction,
  source: r.source,
  sender: r.sender,
  recipients: JSON.parse(r.recipients) as string[],
  clientIp: r.client_ip,
  trace: r.trace,
  prevHash: r.prev_hash,
  hash: r.hash,
});

export interface SqliteArchiveStore extends ArchiveStore {
  close(): Promise<void>;
}

export function openSqliteArchive(dir: string, opts: { now?: () => number; inlineLimit?: number } = {}): SqliteArchiveStore {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'archive.db');
  const { db, writes, close } = openWalDatabase(file, (d) => migrate(d, 'archive'));
  const store = new Archive(db, writes, new FileBodyStore(dir), opts.now ?? Date.now, opts.inlineLimit ?? ARCHIVE_INLINE_LIMIT);
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
  ) {
    this.st = {
      byHash: db.prepare('SELECT id FROM archive_messages WHERE content_hash = ?').pluck(),
      byId: db.prepare('SELECT * FROM archive_messages WHERE id = ?'),
      insertMessage: db.prepare(
        `INSERT INTO archive_messages (id, content_hash, size, stored_size, compression, key_id, archived_at, date, from_addr, to_addr,
           cc_addr, subject, message_id, attachments, has_attachment, blob_file)
         VALUES (@id, @contentHash, @size, @storedSize, @compression, @keyId, @archivedAt, @date, @from, @to, @cc, @subject, @messageId,
           @attachments, @hasAttachment, @blobFile)`,
      ),
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
        `SELECT m.*, EXISTS (SELECT 1 FROM archive_fts f WHERE f.rowid = m.pos) AS indexed
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

  async archive(a: {
    message: NewArchivedMessage;
    entry: (last: { seq: number; hash: string } | null, archiveId: string) => ArchiveEntry;
  }): Promise<{ entry: ArchiveEntry; deduplicated: boolean }> {
    const m = a.message;
    const blobFile = 'file' in m.blob ? m.blob.file : null;
    let r: { entry: ArchiveEntry; deduplicated: boolean };
    try {
      r = await this.writes.run(() => {
        let archiveId = this.st.byHash.get(m.contentHash) as string | undefined;
        const deduplicated = archiveId !== undefined;
        if (archiveId === undefined) {
          archiveId = m.id;
          const pos = Number(
            this.st.insertMessage.run({
              ...m,
              archivedAt: this.now(),
              attachments: JSON.stringify(m.attachments),
              hasAttachment: m.attachments.length ? 1 : 0,
              blobFile,
            }).lastInsertRowid,
          );
          if ('inline' in m.blob) this.st.insertBlob.run(pos, m.blob.inline);
          const x = m.index;
          this.st.insertIndex.run(pos, x.sender, x.recipients, x.subject, x.body, x.attachments, x.messageId);
        }
        const last = (this.st.lastEntry.get() as { seq: number; hash: string } | undefined) ?? null;
        const entry = a.entry(last, archiveId);
        this.st.insertEntry.run({ ...entry, recipients: JSON.stringify(entry.recipients) });
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
    const match = ftsMatch(q.terms);
    if (match === null) return { total: 0, messages: [] };
    if (match) (where.push('m.pos IN (SELECT rowid FROM archive_fts WHERE archive_fts MATCH ?)'), args.push(match));
    if (q.before !== undefined) (where.push('m.date < ?'), args.push(q.before));
    if (q.after !== undefined) (where.push('m.date >= ?'), args.push(q.after));
    if (q.hasAttachment !== undefined) (where.push('m.has_attachment = ?'), args.push(q.hasAttachment ? 1 : 0));
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
}
