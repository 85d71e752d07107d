// Message bodies of the embedded default. Small bodies (up to `inlineLimit`) are rows in the
// database: committed in the same group commit as the queue row, one WAL sync makes a whole
// batch of mails durable. Measured here: a separate fsync per body file costs 10–40 ms under
// load on this kind of disk, because every fsync waits for the filesystem journal. Larger bodies
// stream to files (write temp → fsync → rename, FileBodyStore) so a 50 MB mail never sits in
// memory; for them one more fsync per mail is small next to the transfer itself.
import { Readable } from 'node:stream';
import type Database from 'better-sqlite3';
import type { BodyStore, BodyWriter } from '../store.ts';
import type { FileBodyStore } from '../files/body-files.ts';
import type { WriteBatcher } from './write-batcher.ts';

export const DEFAULT_INLINE_LIMIT = 256 * 1024;

export class SqliteBodyStore implements BodyStore {
  private readonly st;
  constructor(
    private readonly db: Database.Database,
    private readonly writes: WriteBatcher,
    readonly files: FileBodyStore,
    private readonly inlineLimit = DEFAULT_INLINE_LIMIT,
  ) {
    this.st = {
      insert: db.prepare('INSERT OR REPLACE INTO bodies (key, data) VALUES (?, ?)'),
      get: db.prepare('SELECT data FROM bodies WHERE key = ?').pluck(),
      remove: db.prepare('DELETE FROM bodies WHERE key = ?'),
      keys: db.prepare('SELECT key FROM bodies').pluck(),
    };
  }

  async create(key: string): Promise<BodyWriter> {
    let chunks: Buffer[] = [];
    let size = 0;
    let file: BodyWriter | null = null;
    return {
      key,
      write: async (chunk: Buffer) => {
        if (file) return file.write(chunk);
        chunks.push(chunk);
        size += chunk.length;
        if (size > this.inlineLimit) {
          file = await this.files.create(key);
          const held = chunks;
          chunks = [];
          for (const c of held) await file.write(c);
        }
      },
      commit: async () => {
        if (file) return file.commit();
        const data = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
        chunks = [];
        await this.writes.run(() => this.st.insert.run(key, data));
      },
      abort: async () => {
        chunks = [];
        if (file) await file.abort();
      },
    };
  }

  open(key: string): Readable {
    const data = this.st.get.get(key) as Buffer | undefined;
    return data ? Readable.from([data], { objectMode: false }) : this.files.open(key);
  }

  async read(key: string): Promise<Buffer> {
    const data = this.st.get.get(key) as Buffer | undefined;
    return data ?? this.files.read(key);
  }

  async remove(key: string): Promise<void> {
    const removed = await this.writes.run(() => this.st.remove.run(key).changes);
    if (!removed) await this.files.remove(key);
  }

  async keys(): Promise<string[]> {
    return [...(this.st.keys.all() as string[]), ...(await this.files.keys())];
  }

  clearTmp(): Promise<number> {
    return this.files.clearTmp();
  }
}
