// The archive's blobs (compressed, encrypted mail) in PostgreSQL. Up to the inline limit a blob
// is held in memory and written with its message by archive() (archive_blobs); a larger one goes
// to 1 MiB chunk rows as it is written (archive_blob_chunks, each row committed on its own) and
// is read back chunk by chunk, so a 50 MB mail is never one value on either side.
import { Readable } from 'node:stream';
import { newMailId } from '../../core/ids.ts';
import { StorageError, type ArchiveBlobRef, type ArchiveBlobWriter } from '../store.ts';
import type { PgDatabase } from './database.ts';

/** Blobs up to this size stay in one row written with the message (as on SQLite). */
export const PG_ARCHIVE_INLINE_LIMIT = 256 * 1024;
/** Size of a chunk row of a larger blob. */
const CHUNK_BYTES = 1024 * 1024;
/** A chunked blob no message names is left alone this long: another node may still be writing it. */
const SWEEP_GRACE_MS = 3_600_000;

export interface PgArchiveBlobOptions {
  inlineLimit?: number;
  chunkBytes?: number;
  sweepGraceMs?: number;
}

export class PgArchiveBlobs {
  private readonly inlineLimit: number;
  private readonly chunkBytes: number;
  private readonly sweepGraceMs: number;
  /** Chunked blobs this node is writing or has written but not yet archived. */
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly db: PgDatabase,
    opts: PgArchiveBlobOptions = {},
  ) {
    this.inlineLimit = opts.inlineLimit ?? PG_ARCHIVE_INLINE_LIMIT;
    this.chunkBytes = opts.chunkBytes ?? CHUNK_BYTES;
    this.sweepGraceMs = opts.sweepGraceMs ?? SWEEP_GRACE_MS;
  }

  create(): ArchiveBlobWriter {
    let held: Buffer[] = [];
    let size = 0;
    let key: string | null = null;
    let n = 0;
    const flush = async (all: boolean) => {
      if (size < this.chunkBytes && !(all && size > 0)) return;
      const data = held.length === 1 ? held[0] : Buffer.concat(held, size);
      held = [];
      size = 0;
      let off = 0;
      while (data.length - off >= this.chunkBytes || (all && off < data.length)) {
        const part = data.subarray(off, off + this.chunkBytes);
        // Each chunk commits on its own (durable at COMMIT): nothing holds the mail whole.
        await this.db.query('INSERT INTO archive_blob_chunks (blob_key, n, data, written_at) VALUES ($1, $2, $3, $4)', [key, n++, part, Date.now()]);
        off += part.length;
      }
      if (off < data.length) {
        held = [Buffer.from(data.subarray(off))];
        size = held[0].length;
      }
    };
    return {
      write: async (chunk: Buffer) => {
        held.push(chunk);
        size += chunk.length;
        if (key === null && size > this.inlineLimit) {
          key = newMailId();
          this.inFlight.add(key);
        }
        if (key !== null) await flush(false);
      },
      commit: async (): Promise<ArchiveBlobRef> => {
        if (key !== null) {
          await flush(true);
          return { file: key };
        }
        const data = held.length === 1 ? held[0] : Buffer.concat(held, size);
        held = [];
        return { inline: data };
      },
      abort: async () => {
        held = [];
        if (key !== null) await this.drop(key);
      },
    };
  }

  /** Deletes a chunked blob (aborted, deduplicated, or its arrival failed). */
  async drop(key: string): Promise<void> {
    try {
      await this.db.query('DELETE FROM archive_blob_chunks WHERE blob_key = $1', [key]);
    } finally {
      this.inFlight.delete(key);
    }
  }

  /** A chunked blob now named by a committed message: no longer this node's to sweep around. */
  archived(key: string): void {
    this.inFlight.delete(key);
  }

  /** The blob of the message at `pos` (`key` when chunked) as a stream, one chunk in memory at a time. */
  async open(archiveId: string, pos: number, key: string | null): Promise<Readable> {
    if (key === null) {
      const b = (await this.db.query<{ data: Buffer }>('SELECT data FROM archive_blobs WHERE pos = $1', [pos])).rows[0];
      if (!b) throw new StorageError(`the stored content of archived message ${archiveId} is missing`);
      return Readable.from([b.data], { objectMode: false });
    }
    const parts = (await this.db.query<{ n: number }>('SELECT n FROM archive_blob_chunks WHERE blob_key = $1 ORDER BY n', [key])).rows.map((r) => Number(r.n));
    if (!parts.length) throw new StorageError(`the stored content of archived message ${archiveId} is missing`);
    const db = this.db;
    async function* chunks(): AsyncGenerator<Buffer> {
      for (const n of parts) {
        const r = (await db.query<{ data: Buffer }>('SELECT data FROM archive_blob_chunks WHERE blob_key = $1 AND n = $2', [key, n])).rows[0];
        if (!r) throw new StorageError(`chunk ${n} of archived message ${archiveId} is missing`);
        yield r.data;
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  /**
   * Drops chunked blobs no message names: unfinished or dropped ones. Those of other nodes get a
   * grace period first (they may be between writing the blob and archive()); returns how many.
   */
  async sweep(): Promise<number> {
    const r = await this.db.query<{ blob_key: string }>(
      `DELETE FROM archive_blob_chunks WHERE blob_key IN (
         SELECT c.blob_key FROM archive_blob_chunks c
         WHERE NOT EXISTS (SELECT 1 FROM archive_messages m WHERE m.blob_file = c.blob_key) AND NOT (c.blob_key = ANY($2::text[]))
         GROUP BY c.blob_key HAVING max(c.written_at) < $1)
       RETURNING blob_key`,
      [Date.now() - this.sweepGraceMs, [...this.inFlight]],
    );
    return new Set(r.rows.map((x) => x.blob_key)).size;
  }
}
