// Reads an archived mail back as its plaintext, whichever way it is stored: one sealed blob (the
// whole mail), or the message's header block plus the body part it shares with other copies
// (body dedup). Every read checks the GCM tags and the whole mail's SHA-256 and size.
import type { Readable } from 'node:stream';
import type { ArchivedMessage, ArchiveStore } from '../../store/store.ts';
import { ArchiveIntegrityError, unseal, unsealParts, unsealSync, type Compression } from './sealed-blob.ts';

/** The mail as a stream that fails at its end when anything does not check out (see unseal()). */
export async function openArchivedMail(
  store: Pick<ArchiveStore, 'openBlob' | 'openBody'>,
  m: Pick<ArchivedMessage, 'id' | 'contentHash' | 'size' | 'compression'>,
  keys: (id: string) => Buffer | undefined,
): Promise<Readable> {
  const body = await store.openBody(m.id);
  const head = await store.openBlob(m.id);
  if (!body) return unseal(head, keys, m);
  let dictionary: Buffer | undefined;
  if (m.compression === 'deflate-dict') {
    if (!body.dict) throw new ArchiveIntegrityError('the dictionary of the stored header block is missing');
    dictionary = unsealSync(body.dict, keys, body.compression as Compression);
  }
  return unsealParts(
    [
      { blob: head, compression: m.compression, dictionary },
      { blob: body.blob, compression: body.compression, expect: { contentHash: body.hash, size: body.size } },
    ],
    keys,
    m,
  );
}
