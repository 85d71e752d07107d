// Unit tests of the phase-1 building blocks: DNSBL names, Received: relay extraction, the
// penetration defence's counting and blocking, and the RBL's refusal to pass on a failed lookup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetworkList } from '../../../core/networks.ts';
import { SmtpError } from '../../../core/smtp-error.ts';
import { reverseName, RblChecker } from './rbl.ts';
import { receivedRelays } from './received-relays.ts';
import { PenetrationDefence } from './penetration-defence.ts';

test('reverseName: IPv4 octets and IPv6 nibbles reversed', () => {
  assert.equal(reverseName('192.0.2.99'), '99.2.0.192');
  assert.equal(reverseName('::ffff:192.0.2.99'), '99.2.0.192');
  assert.equal(reverseName('2001:db8::1'), '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2');
  assert.equal(reverseName('not-an-ip'), null);
});

test('receivedRelays: public relay literals in header order, private and duplicate ones skipped', () => {
  const head = [
    'Received: from a.test (a.test [10.0.0.5]) by b.test; Sat, 1 Jan 2000 00:00:00 +0000',
    'Received: from c.test (c.test\r\n\t[198.51.100.7]) by d.test; Sat, 1 Jan 2000 00:00:00 +0000',
    'Received: from e.test ([IPv6:2001:db8::9]) by f.test',
    'Received: by g.test with local (id 1 [203.0.113.1])',
    'Received: from c.test ([198.51.100.7]) by h.test',
    'Subject: x',
    '',
    'Received: from body.test ([203.0.113.99])',
  ].join('\r\n');
  assert.deepEqual(receivedRelays(head), ['198.51.100.7', '2001:db8::9']);
});

test('penetration defence blocks an IP after N invalid recipients and lets it in after blockTime', () => {
  let now = 1_000_000;
  const d = new PenetrationDefence({
    maxInvalidRecipients: 3,
    blockTime: 60_000,
    connectionsPerIp: 2,
    connectionRatePerIp: 0,
    messageRatePerIp: 2,
    exempt: (ip) => ip === '192.0.2.1',
    now: () => now,
  });
  d.connect('198.51.100.1');
  assert.equal(d.invalidRecipient('198.51.100.1'), null);
  assert.equal(d.invalidRecipient('198.51.100.1'), null);
  const cut = d.invalidRecipient('198.51.100.1');
  assert.ok(cut instanceof SmtpError && cut.responseCode === 421);
  assert.throws(() => d.connect('198.51.100.1'), (e: SmtpError) => e.responseCode === 554);
  assert.deepEqual(d.blocked().map((b) => b.ip), ['198.51.100.1']);
  for (let i = 0; i < 10; i++) assert.equal(d.invalidRecipient('192.0.2.1'), null, 'trusted clients are exempt');
  now += 60_001;
  d.connect('198.51.100.1');
  assert.throws(() => d.connect('198.51.100.1'), (e: SmtpError) => e.responseCode === 421, 'third concurrent connection');
  d.disconnect('198.51.100.1');
  d.connect('198.51.100.1');
  d.mail('198.51.100.1');
  d.mail('198.51.100.1');
  assert.throws(() => d.mail('198.51.100.1'), (e: SmtpError) => e.responseCode === 450);
});

test('RBL: listed, not listed, exempt, and a failing list is a 451 not a pass', async () => {
  const answers: Record<string, string[] | Error> = {
    '2.0.0.127.bl.test': ['127.0.0.2'],
    '2.0.0.127.other.test': Object.assign(new Error('servfail'), { code: 'ESERVFAIL' }),
    '5.0.0.127.bl.test': Object.assign(new Error('nx'), { code: 'ENOTFOUND' }),
    '5.0.0.127.other.test': Object.assign(new Error('timeout'), { code: 'ETIMEOUT' }),
  };
  const dns = {
    resolve: async (name: string) => {
      const a = answers[name] ?? Object.assign(new Error('nx'), { code: 'ENOTFOUND' });
      if (a instanceof Error) throw a;
      return a;
    },
  };
  const rbl = new RblChecker({ lists: ['bl.test', 'other.test'], exempt: [new NetworkList(['127.0.0.9/32'])], dns });
  assert.deepEqual(await rbl.lookup('127.0.0.2'), { ip: '127.0.0.2', zone: 'bl.test', answer: '127.0.0.2' });
  assert.equal(await rbl.lookup('127.0.0.6'), null);
  assert.equal(await rbl.lookup('127.0.0.9'), null);
  await assert.rejects(rbl.lookup('127.0.0.5'), (e: SmtpError) => e.responseCode === 451 && e.enhanced === '4.4.3' && /timed out/.test(e.message));
});
