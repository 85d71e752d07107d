// MX lookup against a loopback DNS server: ordering, implicit MX, null MX, NXDOMAIN, SERVFAIL, timeout.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SmtpError } from '../../core/smtp-error.ts';
import { lookupMx, resolveHost } from './mx.ts';
import { startDns, type TestDns } from './test-peers.ts';

let dns: TestDns;
const opts = () => ({ servers: [dns.server], timeout: 2000 });

before(async () => {
  dns = await startDns({
    'multi.example.test': {
      MX: [
        { exchange: 'mx2.multi.example.test', preference: 20 },
        { exchange: 'mx1.multi.example.test', preference: 10 },
        { exchange: 'noaddr.multi.example.test', preference: 5 },
      ],
    },
    'mx1.multi.example.test': { A: ['127.0.0.1'] },
    'mx2.multi.example.test': { A: ['127.0.0.1'], AAAA: ['::1'] },
    'noaddr.multi.example.test': {},
    'plain.example.test': { A: ['127.0.0.1'] },
    'nullmx.example.test': { MX: [{ exchange: '.', preference: 0 }], A: ['127.0.0.1'] },
    'broken.example.test': { rcode: 'SERVFAIL' },
    'empty.example.test': {},
  });
});
after(() => dns.close());

test('MX hosts come sorted by preference, each with its addresses; hosts without address are skipped', async () => {
  const hosts = await lookupMx('multi.example.test', opts());
  assert.deepEqual(hosts, [
    { exchange: 'mx1.multi.example.test', priority: 10, addresses: ['127.0.0.1'] },
    { exchange: 'mx2.multi.example.test', priority: 20, addresses: ['127.0.0.1', '::1'] },
  ]);
});

test('a domain without MX falls back to its own A record (implicit MX)', async () => {
  assert.deepEqual(await lookupMx('plain.example.test', opts()), [{ exchange: 'plain.example.test', priority: 0, addresses: ['127.0.0.1'] }]);
});

test('a null MX is a permanent failure (RFC 7505), even when the domain has an A record', async () => {
  await assert.rejects(lookupMx('nullmx.example.test', opts()), (err: unknown) => err instanceof SmtpError && !err.temporary && err.enhanced === '5.1.10');
});

test('NXDOMAIN is permanent, a domain with neither MX nor address too', async () => {
  await assert.rejects(lookupMx('nowhere.example.test', opts()), (err: unknown) => err instanceof SmtpError && !err.temporary && /NXDOMAIN/.test(err.message));
  await assert.rejects(lookupMx('empty.example.test', opts()), (err: unknown) => err instanceof SmtpError && !err.temporary);
});

test('SERVFAIL is temporary', async () => {
  await assert.rejects(lookupMx('broken.example.test', opts()), (err: unknown) => err instanceof SmtpError && err.temporary);
});

test('a name server that never answers is a temporary failure at the deadline', async () => {
  const silent = await startDns({}, { silent: true });
  try {
    const started = Date.now();
    await assert.rejects(lookupMx('multi.example.test', { servers: [silent.server], timeout: 300 }), (err: unknown) => err instanceof SmtpError && err.temporary && /timed out/.test(err.message));
    const took = Date.now() - started;
    assert.ok(took >= 250 && took < 1500, `took ${took} ms`);
    assert.ok(silent.queries.length >= 1);
  } finally {
    await silent.close();
  }
});

test('a relay host name is resolved through the same servers; an address needs no lookup', async () => {
  assert.deepEqual(await resolveHost('mx2.multi.example.test', opts()), ['127.0.0.1', '::1']);
  const before = dns.queries.length;
  assert.deepEqual(await resolveHost('127.0.0.1', opts()), ['127.0.0.1']);
  assert.equal(dns.queries.length, before);
});

test('an address literal domain is its own destination', async () => {
  assert.deepEqual(await lookupMx('[127.0.0.1]', opts()), [{ exchange: '127.0.0.1', priority: 0, addresses: ['127.0.0.1'] }]);
});
