// DATA: streams the message into a body file (Received: first), refuses smuggling and oversize,
// and makes the mail durable before the client may see a 250.
import type { Readable } from 'node:stream';
import type { Envelope } from '../../core/mail.ts';
import { newMailId } from '../../core/ids.ts';
import { SmtpError } from '../../core/smtp-error.ts';
import { StorageError, type BodyStore, type BodyWriter } from '../../store/store.ts';
import type { FlowEngine } from '../../flow/flow-engine.ts';
import type { Logger } from '../log-manager/logger.ts';
import { BareNewlineDetector } from './smuggling-guard.ts';
import type { DataInspector } from './phase1/message-inspector.ts';
import type { HeaderHygiene } from '../spamfinder/header-hygiene.ts';

/** Small chunks are gathered into writes of this size: one write per typical mail. */
const WRITE_SIZE = 128 * 1024;

export interface DataDeps {
  bodies: BodyStore;
  engine: FlowEngine;
  log: Logger;
}

export interface AcceptedData {
  id: string;
  size: number;
}

function storageReply(err: unknown): SmtpError {
  if (err instanceof StorageError && err.noSpace) return new SmtpError(452, '4.3.1', 'Insufficient system storage, try again later', { cause: err });
  return new SmtpError(451, '4.3.0', 'Local error in processing, try again later', { cause: err });
}

/** Reads a whole DATA stream into a new mail; resolves with its id once it is durable. */
export async function receiveData(
  stream: Readable & { sizeExceeded?: boolean },
  header: (id: string) => string,
  envelope: Envelope,
  deps: DataDeps,
  inspector?: DataInspector | null,
  /** Removes forged verdict headers (X-Gatehouse-Spam*, our Authentication-Results) before anyone reads them. */
  hygiene?: HeaderHygiene | null,
): Promise<AcceptedData> {
  const id = newMailId();
  const detector = new BareNewlineDetector();
  let writer: BodyWriter | null = null;
  let failure: unknown = null;
  let pending: Buffer[] = [];
  let pendingLen = 0;
  let size = 0;

  try {
    writer = await deps.bodies.create(id);
  } catch (err) {
    failure = err;
  }
  const flush = async () => {
    if (!writer || failure || !pendingLen) return;
    const buf = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingLen);
    pending = [];
    pendingLen = 0;
    try {
      await writer.write(buf);
    } catch (err) {
      failure = err;
    }
  };
  const head = Buffer.from(header(id), 'latin1');
  pending.push(head);
  pendingLen += head.length;
  size += head.length;
  /** Nothing written yet: phase-1 trace headers can still go right after ours. */
  let headPending = true;

  // The stream must be read to its end whatever happens, or the SMTP session stalls.
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (!detector.scan(chunk) || failure || stream.sizeExceeded) continue;
    const kept = hygiene ? hygiene.push(chunk) : chunk;
    if (!kept.length) continue;
    if (inspector) await inspector.write(kept);
    pending.push(kept);
    pendingLen += kept.length;
    size += kept.length;
    if (pendingLen >= WRITE_SIZE) {
      headPending = false;
      await flush();
    }
  }
  detector.end();
  if (hygiene && !failure && !stream.sizeExceeded && !detector.found) {
    const tail = hygiene.end();
    if (tail.length) {
      if (inspector) await inspector.write(tail);
      pending.push(tail);
      pendingLen += tail.length;
      size += tail.length;
    }
    if (hygiene.removed.length) envelope.meta = { ...envelope.meta, removedHeaders: hygiene.removed };
  }

  const discard = async () => {
    inspector?.abort();
    await writer?.abort().catch(() => undefined);
  };
  if (stream.sizeExceeded) {
    await discard();
    throw new SmtpError(552, '5.3.4', 'Message size exceeds fixed maximum message size');
  }
  if (detector.found) {
    await discard();
    deps.log.warn(`refused a message with a ${detector.found} (SMTP smuggling defence)`, { clientIp: envelope.clientIp });
    throw new SmtpError(550, '5.5.2', `Message contains a ${detector.found}; lines must end with CRLF`);
  }
  if (inspector && !failure) {
    // Phase-1 verdicts on the message itself (SPF/DKIM/DMARC/ARC, ARBL) come before the 250.
    let verdict;
    try {
      verdict = await inspector.end();
    } catch (err) {
      await discard();
      throw err;
    }
    envelope.meta = { ...envelope.meta, ...verdict.meta };
    if (verdict.headers) {
      if (headPending) {
        const extra = Buffer.from(verdict.headers, 'latin1');
        pending.splice(1, 0, extra);
        pendingLen += extra.length;
        size += extra.length;
      } else {
        // Already partly written (a large mail): the spamfinder stage adds the header when it rewrites.
        envelope.meta.pendingHeaders = verdict.headers;
      }
    }
  }
  await flush();
  if (failure || !writer) {
    await discard();
    deps.log.error('could not store a message body; client told to retry', { err: failure as Error });
    throw storageReply(failure);
  }
  try {
    await writer.commit();
  } catch (err) {
    deps.log.error('could not sync a message body; client told to retry', { err: err as Error });
    throw storageReply(err);
  }
  try {
    await deps.engine.submit([
      {
        id,
        queue: 'seal-in',
        envelope,
        bodyKey: id,
        size,
        receivedAt: Date.now(),
        event: {
          event: 'received',
          actor: 'smtp-receiver',
          detail: { from: envelope.sender, to: envelope.recipients.map((r) => r.address), clientIp: envelope.clientIp, size, direction: envelope.direction },
        },
      },
    ]);
  } catch (err) {
    await deps.bodies.remove(id).catch(() => undefined);
    deps.log.error('could not commit a new mail to the queue; client told to retry', { err: err as Error });
    throw storageReply(err);
  }
  return { id, size };
}
