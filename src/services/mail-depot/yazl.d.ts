// Types of the part of yazl (zip writer, npm "yazl") the zip export uses; yazl ships none.
declare module 'yazl' {
  import type { Readable } from 'node:stream';
  import type { EventEmitter } from 'node:events';

  export interface ReadStreamOptions {
    mtime?: Date;
    mode?: number;
    compress?: boolean;
    compressionLevel?: number;
    forceZip64Format?: boolean;
    size?: number;
  }

  export class ZipFile extends EventEmitter {
    readonly outputStream: Readable;
    addReadStreamLazy(metadataPath: string, options: ReadStreamOptions, getReadStream: (cb: (err: Error | null, stream?: Readable) => void) => void): void;
    addBuffer(buffer: Buffer, metadataPath: string, options?: Omit<ReadStreamOptions, 'size'>): void;
    end(options?: { forceZip64Format?: boolean; comment?: string | Buffer }): void;
  }
}
