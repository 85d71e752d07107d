// The reply upload reader behind a real node:http server, fed hand-written multipart bodies over
// real sockets: fields and files arrive with their bytes and clean names, an empty file input is
// ignored, a file before the CSRF token is refused unspooled, and a client that breaks off mid-file
// leaves nothing in the spool.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { removeTempDir, tempDir } from '../../../test/helpers/tmp.ts';
import { waitFor } from '../../../test/helpers/wait.ts';
import { prepareSpool, readReplyUpload, safeFilename, UploadRefused, type ReplyUpload } from './reply-upload.ts';

const LIMITS = { maxFileSize: 64 * 1024, maxTotalSize: 100 * 1024, maxFiles: 2, maxText: 1024 };
const CSRF = 'the-right-token';
let dir: string;
let spool: string;
let server: Server;
let port: number;
/** What the server made of each request, in order. */
const outcomes: (ReplyUpload | UploadRefused)[] = [];

before(async () => {
  dir = await tempDir('gatehouse-reply-upload-');
  spool = join(dir, 'spool');
  await prepareSpool(spool);
  server = createServer((req, res) => {
    readReplyUpload(req, { limits: LIMITS, spoolDir: spool, csrfOk: (t) => t === CSRF }).then(
      (u) => {
        outcomes.push(u);
        res.end('ok');
      },
      (err: UploadRefused) => {
        outcomes.push(err);
        res.writeHead(err.status).end(err.title);
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await removeTempDir(dir);
});

const B = 'xXbOuNdArYxX';
type Part = { name: string; value?: string; filename?: string; type?: string; bytes?: Buffer };
const partsOf = (parts: Part[]) =>
  Buffer.concat([
    ...parts.flatMap((p) => [
      Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ''}\r\n${p.type ? `Content-Type: ${p.type}\r\n` : ''}\r\n`),
      p.bytes ?? Buffer.from(p.value ?? ''),
      Buffer.from('\r\n'),
    ]),
    Buffer.from(`--${B}--\r\n`),
  ]);
const post = (body: Buffer) => fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${B}` }, body: new Uint8Array(body) });
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('fields and files arrive with their bytes and clean names; an empty file input is ignored', async () => {
  const bin = randomBytes(40 * 1024);
  const r = await post(
    partsOf([
      { name: 'csrf', value: CSRF },
      { name: 'm', value: 'msg-1' },
      { name: 'text', value: 'Grüße' },
      { name: 'files', filename: 'C:\\fakepath\\scan.pdf', type: 'application/pdf', bytes: bin },
      { name: 'files', filename: '', type: 'application/octet-stream', bytes: Buffer.alloc(0) },
      { name: 'files', filename: 'odd\tname.txt', type: 'text/plain', bytes: Buffer.from('hi') },
    ]),
  );
  assert.equal(r.status, 200);
  const u = outcomes.at(-1) as ReplyUpload;
  assert.equal(u.fields.get('text'), 'Grüße');
  assert.equal(u.fields.get('m'), 'msg-1');
  assert.equal(u.fields.has('csrf'), false);
  assert.deepEqual(
    u.files.map((f) => [f.filename, f.contentType, f.size, f.sha256]),
    [
      ['scan.pdf', 'application/pdf', bin.length, sha(bin)],
      ['oddname.txt', 'text/plain', 2, sha(Buffer.from('hi'))],
    ],
  );
  assert.deepEqual(await readFile(u.files[0].path), bin);
  await u.discard();
  assert.deepEqual(await readdir(spool), []);
});

test('a file before the CSRF token is refused and nothing is spooled', async () => {
  const r = await post(partsOf([{ name: 'files', filename: 'a.bin', bytes: randomBytes(1024) }, { name: 'csrf', value: CSRF }]));
  assert.equal(r.status, 403);
  assert.deepEqual(await readdir(spool), []);
});

test('a client that breaks off in the middle of a file leaves nothing in the spool', async () => {
  const before = outcomes.length;
  const body = partsOf([{ name: 'csrf', value: CSRF }, { name: 'text', value: 'hello' }, { name: 'files', filename: 'big.bin', bytes: randomBytes(60 * 1024) }]);
  const half = body.subarray(0, body.length - 20 * 1024);
  const s = connect(port, '127.0.0.1');
  await new Promise<void>((r) => s.once('connect', r));
  s.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${B}\r\nContent-Length: ${body.length}\r\n\r\n`);
  s.write(half);
  // The spool file exists once the server has started writing the part.
  await waitFor(async () => (await readdir(spool)).length > 0, { what: 'the part being spooled' });
  s.destroy();
  const outcome = await waitFor(() => outcomes.length > before && outcomes.at(-1), { what: 'the refused upload' });
  assert.ok(outcome instanceof UploadRefused);
  assert.equal(outcome.status, 400);
  assert.deepEqual(await readdir(spool), []);
});

test('file names lose paths and control characters; nothing usable becomes a numbered name', () => {
  assert.equal(safeFilename('../../etc/passwd', 1), 'passwd');
  assert.equal(safeFilename('a\r\nb.txt', 1), 'ab.txt');
  assert.equal(safeFilename('..', 2), 'attachment-2');
  assert.equal(safeFilename('x'.repeat(300), 1).length, 200);
});
