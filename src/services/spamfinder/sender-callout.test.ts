// SRC against real peers: the loopback DNS server gives the sender domains' MX, Postfix's
// smtp-sink plays their mail servers (one accepting, one refusing RCPT). A refusal counts, a
// domain that does not exist counts, a server that cannot be reached decides nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type DnsServer } from '../../../test/helpers/dns-server.ts';
import { startSmtpSink, type SmtpSink } from '../../../test/helpers/smtp-sink.ts';
import { freePort } from '../../../test/helpers/ports.ts';
import { SenderCallout } from './sender-callout.ts';

let dns: DnsServer;
let accepting: SmtpSink;
let refusing: SmtpSink;

before(async () => {
  dns = await startDnsServer({
    'good.test': { MX: [{ exchange: 'mx.good.test', priority: 10 }] },
    'mx.good.test': { A: ['127.0.0.1'] },
  });
  accepting = await startSmtpSink();
  refusing = await startSmtpSink({ hardReject: ['RCPT'], hardReply: '550 5.1.1 no such user' });
});
after(async () => {
  await dns?.stop();
  await accepting?.stop();
  await refusing?.stop();
});

const callout = (port: number) => new SenderCallout({ hostname: 'gate.example.test', dns: { servers: [dns.address], timeout: 2000 }, timeout: 5000, cacheTtl: 60_000, port });

test('an address the sender domain accepts passes; the answer is cached', async () => {
  const c = callout(accepting.port);
  assert.equal((await c.check('alice@good.test')).verdict, 'accepted');
  await accepting.stop({ keepDir: true });
  assert.equal((await c.check('Alice@good.test')).verdict, 'accepted', 'from the cache');
  accepting = await startSmtpSink();
});

test('a refused address and a domain that does not exist count against the mail', async () => {
  const c = callout(refusing.port);
  const r = await c.check('ghost@good.test');
  assert.equal(r.verdict, 'refused');
  assert.match(r.reason, /refuses <ghost@good\.test>: 550/);
  assert.equal((await c.check('x@nowhere.test')).verdict, 'refused');
});

test('a mail server that cannot be reached decides nothing', async () => {
  const c = callout(await freePort());
  assert.equal((await c.check('bob@good.test')).verdict, 'undecided');
});
