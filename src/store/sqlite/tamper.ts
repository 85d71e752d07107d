// For tests only: changes stored data behind the store's back, the way someone with access to
// the disk would, so the tamper-evidence of the compliance log and the archive can be tested.
// Kept here because only src/store/ knows SQL and where files are.
import Database from 'better-sqlite3';
import { openSync, readSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';

function withDb<T>(file: string, fn: (db: Database.Database) => T): T {
  const db = new Database(file);
  db.pragma('busy_timeout = 5000');
  try {
    return db.transaction(() => fn(db))();
  } finally {
    db.close();
  }
}

/** Moves the row at storage position `pos` to a new position after every other row. */
function moveToEnd(db: Database.Database, table: string, pos: number): void {
  const max = db.prepare(`SELECT MAX(pos) FROM ${table}`).pluck().get() as number;
  db.prepare(`UPDATE ${table} SET pos = ? WHERE pos = ?`).run(max + 1, pos);
}

/** Swaps the storage positions of the rows holding seq `a` and seq `b`. */
function swapPositions(db: Database.Database, table: string, a: number, b: number): void {
  const pa = db.prepare(`SELECT pos FROM ${table} WHERE seq = ?`).pluck().get(a) as number;
  const pb = db.prepare(`SELECT pos FROM ${table} WHERE seq = ?`).pluck().get(b) as number;
  db.prepare(`UPDATE ${table} SET pos = -1 WHERE pos = ?`).run(pa);
  db.prepare(`UPDATE ${table} SET pos = ? WHERE pos = ?`).run(pa, pb);
  db.prepare(`UPDATE ${table} SET pos = ? WHERE pos = -1`).run(pb);
}

export function complianceTamper(dataDir: string) {
  const file = join(dataDir, 'gatehouse.db');
  return {
    /** Rewrites the actor of a record (its hash stays). */
    changeActor: (seq: number, actor: string) => withDb(file, (db) => db.prepare('UPDATE compliance_log SET actor = ? WHERE seq = ?').run(actor, seq).changes),
    remove: (seq: number) => withDb(file, (db) => db.prepare('DELETE FROM compliance_log WHERE seq = ?').run(seq).changes),
    swap: (a: number, b: number) => withDb(file, (db) => swapPositions(db, 'compliance_log', a, b)),
    moveToEnd: (seq: number) =>
      withDb(file, (db) => moveToEnd(db, 'compliance_log', db.prepare('SELECT pos FROM compliance_log WHERE seq = ?').pluck().get(seq) as number)),
  };
}

export function archiveTamper(dataDir: string) {
  const file = join(dataDir, 'archive', 'archive.db');
  return {
    /** Flips one byte of a message's stored (encrypted) content, in the database or in its file. */
    flipByte(archiveId: string, offset: number): void {
      const where = withDb(file, (db) => {
        const m = db.prepare('SELECT pos, blob_file FROM archive_messages WHERE id = ?').get(archiveId) as { pos: number; blob_file: string | null };
        if (m.blob_file) return m.blob_file;
        const data = db.prepare('SELECT data FROM archive_blobs WHERE pos = ?').pluck().get(m.pos) as Buffer;
        data[offset % data.length] ^= 0x01;
        db.prepare('UPDATE archive_blobs SET data = ? WHERE pos = ?').run(data, m.pos);
        return null;
      });
      if (!where) return;
      const fd = openSync(join(dataDir, 'archive', 'bodies', where), 'r+');
      try {
        const b = Buffer.alloc(1);
        readSync(fd, b, 0, 1, offset);
        b[0] ^= 0x01;
        writeSync(fd, b, 0, 1, offset);
      } finally {
        closeSync(fd);
      }
    },
    /** Flips one byte of the stored (encrypted) body part a message shares with its copies (body dedup). */
    flipBodyByte: (archiveId: string, offset: number) =>
      withDb(file, (db) => {
        const pos = db.prepare('SELECT body_pos FROM archive_messages WHERE id = ?').pluck().get(archiveId) as number;
        const data = db.prepare('SELECT data FROM archive_bodies WHERE pos = ?').pluck().get(pos) as Buffer;
        data[offset % data.length] ^= 0x01;
        return db.prepare('UPDATE archive_bodies SET data = ? WHERE pos = ?').run(data, pos).changes;
      }),
    /** Deletes the index row of the body part a message shares (body dedup). */
    removeBodyIndexRow: (archiveId: string) =>
      withDb(file, (db) => db.prepare('DELETE FROM archive_body_fts WHERE rowid = (SELECT body_pos FROM archive_messages WHERE id = ?)').run(archiveId).changes),
    removeIndexRow: (archiveId: string) =>
      withDb(file, (db) => db.prepare('DELETE FROM archive_fts WHERE rowid = (SELECT pos FROM archive_messages WHERE id = ?)').run(archiveId).changes),
    removeEntry: (seq: number) => withDb(file, (db) => db.prepare('DELETE FROM archive_entries WHERE seq = ?').run(seq).changes),
    changeEntrySender: (seq: number, sender: string) =>
      withDb(file, (db) => db.prepare('UPDATE archive_entries SET sender = ? WHERE seq = ?').run(sender, seq).changes),
    swapEntries: (a: number, b: number) => withDb(file, (db) => swapPositions(db, 'archive_entries', a, b)),
    /** Deletes a message outright (blob, index row, message), as someone bypassing the expiry job would. */
    removeMessage: (archiveId: string) =>
      withDb(file, (db) => {
        const pos = db.prepare('SELECT pos FROM archive_messages WHERE id = ?').pluck().get(archiveId) as number;
        db.prepare('DELETE FROM archive_blobs WHERE pos = ?').run(pos);
        db.prepare('DELETE FROM archive_fts WHERE rowid = ?').run(pos);
        return db.prepare('DELETE FROM archive_messages WHERE pos = ?').run(pos).changes;
      }),
    /** Copies the last deletion (tombstone) as a new one for another message, hash recomputed by `hash`. */
    forgeDeletion: (archiveId: string, hash: (d: Record<string, unknown>) => string) =>
      withDb(file, (db) => {
        const m = db.prepare('SELECT content_hash, archived_at, retain_until FROM archive_messages WHERE id = ?').get(archiveId) as { content_hash: string; archived_at: number; retain_until: number };
        const last = db.prepare('SELECT seq, hash FROM archive_deletions ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string };
        const d = { seq: last.seq + 1, at: Date.now(), archiveId, contentHash: m.content_hash, archivedAt: m.archived_at, retainUntil: m.retain_until, reason: 'retention', actor: 'mail-depot', prevHash: last.hash };
        db.prepare(
          `INSERT INTO archive_deletions (seq, at, archive_id, content_hash, archived_at, retain_until, reason, actor, prev_hash, hash)
           VALUES (@seq, @at, @archiveId, @contentHash, @archivedAt, @retainUntil, @reason, @actor, @prevHash, @hash)`,
        ).run({ ...d, hash: hash(d) });
      }),
  };
}
