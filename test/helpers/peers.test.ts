// Checks the e2e test peers themselves: the test DNS server answers node's resolver, and smtp-sink
// captures a mail sent with swaks with the envelope and headers parsed correctly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import { startDnsServer } from './dns-server.ts';
import { startSmtpSink } from './smtp-sink.ts';
import { swaks } from './swaks.ts';

test('DNS server answers MX, A, TXT and NXDOMAIN', async () => {
  const dns = await startDnsServer({
    'example.test': { MX: [{ exchange: 'mx1.example.test', priority: 10 }, { exchange: 'mx2.example.test', priority: 20 }], TXT: ['v=spf1 -all', 'x'.repeat(300)] },
    'MX1.example.test.': { A: ['127.0.0.1'], AAAA: ['::1'] },
    'alias.example.test': { CNAME: 'mx1.example.test' },
    'broken.example.test': { rcode: 'SERVFAIL' },
  });
  try {
    const r = new Resolver({ timeout: 1000, tries: 1 });
    r.setServers([dns.address]);
    const mx = await r.resolveMx('example.test');
    assert.deepEqual(
      mx.sort((a, b) => a.priority - b.priority),
      [
        { exchange: 'mx1.example.test', priority: 10 },
        { exchange: 'mx2.example.test', priority: 20 },
      ],
    );
    assert.deepEqual(await r.resolve4('mx1.example.test'), ['127.0.0.1']);
    assert.deepEqual(await r.resolve6('mx1.example.test'), ['::1']);
    assert.deepEqual(await r.resolve4('alias.example.test'), ['127.0.0.1']);
    const txt = (await r.resolveTxt('example.test')).map((chunks) => chunks.join(''));
    assert.deepEqual(txt.sort(), ['v=spf1 -all', 'x'.repeat(300)].sort());
    await assert.rejects(r.resolve4('nope.example.test'), { code: 'ENOTFOUND' });
    await assert.rejects(r.resolve4('example.test'), { code: 'ENODATA' });
    await assert.rejects(r.resolve4('broken.example.test'), { code: 'ESERVFAIL' });

    dns.setRecords({ 'new.example.test': { A: ['192.0.2.1'] } }, { merge: true });
    assert.deepEqual(await r.resolve4('new.example.test'), ['192.0.2.1']);
    assert.ok(dns.queries.some((q) => q.name.toLowerCase() === 'example.test' && q.type === 'MX'));
  } finally {
    await dns.stop();
  }
});

test('DNS server delayMs makes the resolver time out', async () => {
  const dns = await startDnsServer({ 'slow.test': { A: ['127.0.0.1'], delayMs: 2000 } });
  try {
    const r = new Resolver({ timeout: 200, tries: 1 });
    r.setServers([dns.address]);
    await assert.rejects(r.resolve4('slow.test'), { code: 'ETIMEOUT' });
  } finally {
    await dns.stop();
  }
});

test('smtp-sink captures a mail sent with swaks', async () => {
  const sink = await startSmtpSink();
  try {
    const res = await swaks({
      server: sink.address,
      from: 'alice@sender.test',
      to: ['bob@rcpt.test', 'carol@rcpt.test'],
      helo: 'client.test',
      subject: 'Hello from the peers test',
      headers: { 'X-Test': 'peers' },
      body: 'first line\n.leading dot\nlast line\n',
    });
    assert.equal(res.code, 0, res.stdout);
    assert.match(res.lastReply ?? '', /^250 /);

    const [m] = await sink.waitForCount(1, 5000);
    assert.equal(m.sender, 'alice@sender.test');
    assert.deepEqual(m.recipients, ['bob@rcpt.test', 'carol@rcpt.test']);
    assert.equal(m.subject, 'Hello from the peers test');
    assert.equal(m.headers['x-test']?.[0], 'peers');
    assert.match(m.messageId ?? '', /^<.+>$/);
    assert.equal(m.helo, 'client.test');
    assert.equal(m.clientAddr, '127.0.0.1');
    assert.match(m.body, /^first line\n\.leading dot\nlast line\n/);
    const parsed = await m.parse();
    assert.equal(parsed.subject, 'Hello from the peers test');
  } finally {
    await sink.stop();
  }
});

test('smtp-sink: raw DATA, null sender, and a hard RCPT reject', async () => {
  const sink = await startSmtpSink();
  const rejecting = await startSmtpSink({ hardReject: ['RCPT'] });
  try {
    const raw = 'From: <>\r\nTo: <x@rcpt.test>\r\nSubject: =?UTF-8?B?w6TDtsO8?=\r\n\r\n.\r\n..two dots\r\nend\r\n';
    const ok = await swaks({ server: sink.address, from: '', to: 'x@rcpt.test', data: raw });
    assert.equal(ok.code, 0, ok.stdout);
    const [m] = await sink.waitForCount(1, 5000);
    assert.equal(m.sender, '');
    assert.equal(m.raw, raw.replace(/\r\n/g, '\n'));
    assert.equal((await m.parse()).subject, 'äöü');

    const rej = await swaks({ server: rejecting.address, from: 'a@sender.test', to: 'x@rcpt.test' });
    assert.equal(rej.code, 24, rej.stdout); // no RCPT accepted
    assert.match(rej.lastReply ?? '', /^500 5\.3\.0/);
    assert.equal(rej.replies.find((r) => r.command.startsWith('RCPT'))?.unexpected, true);
    assert.equal((await rejecting.messages()).length, 0);
  } finally {
    await Promise.all([sink.stop(), rejecting.stop()]);
  }
});
