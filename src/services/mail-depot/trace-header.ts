// The gateway's own Received: header, which the receiver puts first (it names this mail's id),
// is told apart from the mail as the client sent it. The archive keeps it with the arrival, not
// in the archived content: so a mail sent twice has the same content hash and is stored once.
import type { Readable } from 'node:stream';

/** Longest first header field looked at; ours is a few hundred bytes. */
const MAX_TRACE = 16 * 1024;

/** End of the first header field: a line end not followed by folding white space. */
function fieldEnd(b: Buffer): number {
  let i = b.indexOf('\n');
  while (i >= 0 && i + 1 < b.length) {
    const next = b[i + 1];
    if (next !== 0x20 && next !== 0x09) return i + 1;
    i = b.indexOf('\n', i + 1);
  }
  return -1;
}

export function isOwnTrace(field: string, mailId: string): boolean {
  return /^Received:/i.test(field) && field.includes('(Gatehouse) with ') && (field.includes(` id ${mailId};`) || field.includes(` id ${mailId}\r\n`) || field.includes(` id ${mailId}\n`));
}

/** splitTrace() for a body in memory. */
export function splitTraceSync(body: Buffer, mailId: string): { trace: string | null; content: Buffer } {
  const end = fieldEnd(body.length > MAX_TRACE ? body.subarray(0, MAX_TRACE) : body);
  if (end > 0) {
    const field = body.subarray(0, end).toString('latin1');
    if (isOwnTrace(field, mailId)) return { trace: field, content: body.subarray(end) };
  }
  return { trace: null, content: body };
}

/**
 * Splits the body stream: `trace` is our Received: field of this mail when the body starts with
 * it (else null), `content` yields the mail without it.
 */
export async function splitTrace(body: Readable, mailId: string): Promise<{ trace: string | null; content: AsyncIterable<Buffer> }> {
  const it = (body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  let head: Buffer = Buffer.alloc(0);
  let end = -1;
  let done = false;
  while (end < 0 && head.length < MAX_TRACE) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    head = head.length ? Buffer.concat([head, r.value]) : r.value;
    end = fieldEnd(head);
  }
  let trace: string | null = null;
  let rest = head;
  if (end > 0 && isOwnTrace(head.subarray(0, end).toString('latin1'), mailId)) {
    trace = head.subarray(0, end).toString('latin1');
    rest = head.subarray(end);
  }
  async function* content(): AsyncIterable<Buffer> {
    try {
      if (rest.length) yield rest;
      if (done) return;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield r.value;
      }
    } finally {
      // A consumer that stops early (an error) closes the body stream too.
      if (!done) await it.return?.();
    }
  }
  return { trace, content: content() };
}
