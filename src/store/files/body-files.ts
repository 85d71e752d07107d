// Message bodies as files, Postfix style: written to tmp/, fsync'd, renamed into bodies/, and
// the directory fsync'd (coalesced: one directory sync covers every rename before it). A body
// is complete only after commit(); the queue row written afterwards is what makes it a mail.
import { createReadStream, mkdirSync } from 'node:fs';
import { open, readFile, rename, unlink, readdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { StorageError, type BodyStore, type BodyWriter } from '../store.ts';
import { FsyncCoalescer } from './fsync-coalescer.ts';

function storageError(what: string, err: unknown): StorageError {
  const code = (err as NodeJS.ErrnoException)?.code;
  return new StorageError(`${what}: ${(err as Error).message}`, { cause: err, noSpace: code === 'ENOSPC' || code === 'EDQUOT' });
}

export class FileBodyStore implements BodyStore {
  private readonly tmpDir: string;
  private readonly bodyDir: string;
  private readonly dirSync: FsyncCoalescer;

  constructor(root: string) {
    this.tmpDir = join(root, 'tmp');
    this.bodyDir = join(root, 'bodies');
    mkdirSync(this.tmpDir, { recursive: true });
    mkdirSync(this.bodyDir, { recursive: true });
    this.dirSync = new FsyncCoalescer(this.bodyDir);
  }

  private path(key: string): string {
    if (!/^[0-9a-z.-]+$/.test(key)) throw new Error(`bad body key ${key}`);
    return join(this.bodyDir, key);
  }

  async create(key: string): Promise<BodyWriter> {
    const tmp = join(this.tmpDir, key);
    const final = this.path(key);
    let fh: FileHandle;
    try {
      fh = await open(tmp, 'w', 0o600);
    } catch (err) {
      throw storageError('cannot create body file', err);
    }
    let closed = false;
    const close = async () => {
      if (!closed) {
        closed = true;
        await fh.close();
      }
    };
    return {
      key,
      async write(chunk: Buffer) {
        try {
          let off = 0;
          while (off < chunk.length) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
        } catch (err) {
          throw storageError('cannot write body', err);
        }
      },
      commit: async () => {
        try {
          await fh.sync();
          await close();
          await rename(tmp, final);
          await this.dirSync.sync();
        } catch (err) {
          await close().catch(() => undefined);
          await unlink(tmp).catch(() => undefined);
          throw storageError('cannot commit body', err);
        }
      },
      async abort() {
        await close().catch(() => undefined);
        await unlink(tmp).catch(() => undefined);
      },
    };
  }

  open(key: string): Readable {
    return createReadStream(this.path(key), { highWaterMark: 64 * 1024 });
  }

  read(key: string): Promise<Buffer> {
    return readFile(this.path(key));
  }

  async remove(key: string): Promise<void> {
    await unlink(this.path(key)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  async keys(): Promise<string[]> {
    return readdir(this.bodyDir);
  }

  /** Leftovers of writes a crash interrupted: never acknowledged, safe to drop. */
  async clearTmp(): Promise<number> {
    const left = await readdir(this.tmpDir);
    await Promise.all(left.map((f) => unlink(join(this.tmpDir, f)).catch(() => undefined)));
    return left.length;
  }
}
