// The POP3 client against a real Dovecot (POP3S, STLS, plain), plus scripted servers on
// loopback for what Dovecot never does: silence (deadline) and data injected after STLS.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { startDovecot, testMessage, type Dovecot } from '../../../test/helpers/dovecot.ts';
import { Pop3Client, type Pop3ConnectOptions } from './pop3-client.ts';
import { Pop3Error } from './pop3-error.ts';
import { tlsTrust } from './tls-trust.ts';

let dc: Dovecot;
before(async () => {
  dc = await startDovecot([{ user: 'alice', password: 'secret' }]);
  dc.deliver('alice', testMessage({ subject: 'first', body: '.a line that starts with a dot\n..two dots\n.\nend' }));
  dc.deliver('alice', testMessage({ subject: 'second' }));
});
after(async () => dc?.stop());

const opts = (o: Partial<Pop3ConnectOptions>): Pop3ConnectOptions => ({
  host: '127.0.0.1',
  port: dc.pop3sPort,
  tls: 'implicit',
  trust: tlsTrust('127.0.0.1', { ca: dc.caFile }),
  timeoutMs: 5000,
  ...o,
});

async function retrText(c: Pop3Client, n: number): Promise<string> {
  const lines: string[] = [];
  for await (const batch of c.retr(n)) for (const l of batch) lines.push(l.toString('latin1'));
  return lines.join('\n');
}

test('POP3S with the CA: log in, UIDL, LIST, RETR dot-unstuffed, QUIT', async () => {
  const c = await Pop3Client.connect(opts({}));
  assert.equal(c.secure, true);
  assert.ok(c.capabilities.has('UIDL'));
  await c.login('alice', 'secret');
  const uidls = await c.uidl();
  assert.equal(uidls.size, 2);
  assert.equal(new Set(uidls.values()).size, 2, 'UIDLs are unique');
  const sizes = await c.list();
  assert.ok((sizes.get(1) ?? 0) > 0);
  const text = await retrText(c, 1);
  assert.match(text, /^Subject: first$/m);
  assert.match(text, /^\.a line that starts with a dot$/m, 'one leading dot restored');
  assert.match(text, /^\.\.two dots$/m);
  assert.match(text, /^\.$/m, 'a line with a single dot survives');
  assert.match(text, /^end$/m);
  await c.quit();
});

test('STLS on the plain port, trusting the pinned certificate', async () => {
  const c = await Pop3Client.connect(opts({ port: dc.pop3Port, tls: 'starttls', trust: tlsTrust('127.0.0.1', { trustCertificate: dc.certFile }) }));
  assert.equal(c.secure, true);
  assert.ok(!c.capabilities.has('STLS'), 'capabilities were read again after TLS');
  await c.login('alice', 'secret');
  assert.equal((await c.uidl()).size, 2);
  await c.quit();
});

test('a pinned fingerprint that does not match refuses the server before any password', async () => {
  const wrong = dc.fingerprint.replace(/^../, dc.fingerprint.startsWith('00') ? '11' : '00');
  await assert.rejects(Pop3Client.connect(opts({ trust: tlsTrust('127.0.0.1', { trustCertificate: wrong }) })), (e: Pop3Error) => e.code === 'POP3_TLS');
});

test('a certificate from an unknown CA is refused', async () => {
  await assert.rejects(Pop3Client.connect(opts({ trust: tlsTrust('127.0.0.1', {}) })), (e: Pop3Error) => e.code === 'POP3_TLS' && /self-signed|unable to (get|verify)/i.test(e.message));
});

test('a wrong password is POP3_AUTH', async () => {
  const c = await Pop3Client.connect(opts({}));
  await assert.rejects(c.login('alice', 'wrong'), (e: Pop3Error) => e.code === 'POP3_AUTH' && /login refused/.test(e.message));
  c.destroy();
});

test('nothing listening is POP3_CONNECT', async () => {
  const srv = await scripted(() => undefined);
  const port = srv.port;
  await srv.close();
  await assert.rejects(Pop3Client.connect(opts({ port, tls: 'none' })), (e: Pop3Error) => e.code === 'POP3_CONNECT');
});

test('a server that never greets hits the deadline (POP3_TIMEOUT)', async () => {
  const srv = await scripted(() => undefined);
  try {
    await assert.rejects(Pop3Client.connect(opts({ port: srv.port, tls: 'none', timeoutMs: 300 })), (e: Pop3Error) => e.code === 'POP3_TIMEOUT');
  } finally {
    await srv.close();
  }
});

test('bytes sent right after the STLS answer are refused (command injection)', async () => {
  const srv = await scripted((sock, line) => {
    if (line === null) return sock.write('+OK ready\r\n');
    if (line === 'CAPA') return sock.write('+OK\r\nSTLS\r\nUIDL\r\n.\r\n');
    if (line === 'STLS') return sock.write('+OK begin TLS\r\n+OK injected\r\n');
  });
  try {
    await assert.rejects(Pop3Client.connect(opts({ port: srv.port, tls: 'starttls' })), (e: Pop3Error) => e.code === 'POP3_PROTOCOL' && /before the TLS handshake/.test(e.message));
  } finally {
    await srv.close();
  }
});

test('tls: starttls against a server without STLS fails instead of going on in plain text', async () => {
  const srv = await scripted((sock, line) => {
    if (line === null) return sock.write('+OK ready\r\n');
    if (line === 'CAPA') return sock.write('+OK\r\nUIDL\r\nUSER\r\n.\r\n');
    sock.write('-ERR no\r\n');
  });
  try {
    await assert.rejects(Pop3Client.connect(opts({ port: srv.port, tls: 'starttls' })), (e: Pop3Error) => e.code === 'POP3_NO_STLS');
  } finally {
    await srv.close();
  }
});

test('replies split across TCP segments are read as whole lines', async () => {
  const srv = await scripted((sock, line) => {
    const slow = (s: string) => [...s].forEach((ch, i) => setTimeout(() => sock.write(ch), i));
    if (line === null) return slow('+OK ready\r\n');
    if (line === 'CAPA') return slow('+OK\r\nUIDL\r\n.\r\n');
    if (line === 'UIDL') return slow('+OK\r\n1 abc\r\n2 def\r\n.\r\n');
    sock.write('+OK\r\n');
  });
  try {
    const c = await Pop3Client.connect(opts({ port: srv.port, tls: 'none' }));
    assert.deepEqual([...(await c.uidl())], [[1, 'abc'], [2, 'def']]);
    c.destroy();
  } finally {
    await srv.close();
  }
});

/** A scripted POP3 peer: `reply(sock, null)` on connect, then once per command line. */
async function scripted(reply: (sock: Socket, line: string | null) => void): Promise<{ port: number; close(): Promise<void> }> {
  const socks = new Set<Socket>();
  const server: Server = createServer((sock) => {
    socks.add(sock);
    sock.on('error', () => undefined);
    reply(sock, null);
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      for (let i = buf.indexOf('\r\n'); i >= 0; i = buf.indexOf('\r\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        reply(sock, line);
      }
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((res) => {
        for (const s of socks) s.destroy();
        server.close(() => res());
      }),
  };
}
