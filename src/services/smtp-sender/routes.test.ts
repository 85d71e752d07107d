// Route resolution order: exact domain, then "*.parent" wildcards in config order, then "*".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SmtpError } from '../../core/smtp-error.ts';
import { resolveRoute } from './routes.ts';

const routes = {
  '*': 'mx',
  '*.corp.example.test': 'smtp://10.0.0.2:2525',
  'corp.example.test': 'smtp://10.0.0.1',
  'secure.example.test': 'smtps://relay.example.test',
  '*.eu.corp.example.test': 'smtp://10.0.0.3:25',
};

test('an exact domain key wins over wildcards and "*"', () => {
  assert.deepEqual(resolveRoute('corp.example.test', routes), { kind: 'relay', host: '10.0.0.1', port: 25, secure: false, url: 'smtp://10.0.0.1' });
  assert.deepEqual(resolveRoute('CORP.Example.Test.', routes), resolveRoute('corp.example.test', routes));
});

test('a "*.domain" key matches subdomains only, the first in config order wins', () => {
  assert.equal((resolveRoute('mail.corp.example.test', routes) as { port: number }).port, 2525);
  // Both wildcards match; the one listed first in the config wins.
  assert.equal((resolveRoute('x.eu.corp.example.test', routes) as { port: number }).port, 2525);
  assert.deepEqual(resolveRoute('notcorp.example.test', routes), { kind: 'mx' });
});

test('"*" catches the rest; smtps routes default to port 465', () => {
  assert.deepEqual(resolveRoute('elsewhere.test', routes), { kind: 'mx' });
  assert.deepEqual(resolveRoute('secure.example.test', routes), { kind: 'relay', host: 'relay.example.test', port: 465, secure: true, url: 'smtps://relay.example.test' });
});

test('no matching route is a permanent failure', () => {
  assert.throws(
    () => resolveRoute('elsewhere.test', { 'corp.example.test': 'mx' }),
    (err: unknown) => err instanceof SmtpError && !err.temporary && /no route/.test(err.message),
  );
});
