// mboxrd export: "From " lines quoted across chunk borders, CRLF to LF, one blank line after
// each mail, and the From_ line with the first arrival's sender and time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import type { ArchivedMessage } from '../../store/store.ts';
import { mboxDate, mboxStream, MboxrdEscape } from './mbox-export.ts';

async function text(r: Readable): Promise<string> {
  const out: Buffer[] = [];
  for await (const c of r) out.push(c as Buffer);
  return Buffer.concat(out).toString('latin1');
}

test('From lines are quoted one level more, even split across chunks', async () => {
  const parts = ['Subject: x\r\n\r\nFr', 'om here\r\n>From there\r\nnot From\r\nlast line'];
  const out = await text(Readable.from(parts.map((p) => Buffer.from(p))).pipe(new MboxrdEscape()));
  assert.equal(out, 'Subject: x\n\n>From here\n>>From there\nnot From\nlast line\n\n');
});

test('a stream of mails: From_ line, the escaped mail, a blank line; ctime dates in UTC', async () => {
  assert.equal(mboxDate(Date.UTC(2025, 0, 6, 8, 5, 9)), 'Mon Jan  6 08:05:09 2025');
  const msg = (id: string) => ({ id, archivedAt: Date.UTC(2025, 0, 6) }) as ArchivedMessage;
  const mails: Record<string, string> = { a: 'Subject: a\r\n\r\nFrom me\r\n', b: 'Subject: b\r\n\r\nbye\r\n' };
  const seen: string[] = [];
  const out = await text(
    mboxStream(
      {
        page: async (n) => (n === 1 ? [msg('a'), msg('b')] : []),
        firstArrival: async (id) => (id === 'a' ? ({ sender: 'x@y.test', receivedAt: Date.UTC(2025, 0, 7, 1, 2, 3) } as never) : undefined),
        verified: async (m) => Buffer.from(mails[m.id]),
      },
      (m) => seen.push(m.id),
    ),
  );
  assert.equal(out, 'From x@y.test Tue Jan  7 01:02:03 2025\nSubject: a\n\n>From me\n\nFrom MAILER-DAEMON Mon Jan  6 00:00:00 2025\nSubject: b\n\nbye\n\n');
  assert.deepEqual(seen, ['a', 'b']);
});
