// What the support user may call through the tunnel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide } from './request-policy.ts';

test('nothing before the code', () => {
  assert.deepEqual(decide({ method: 'GET', path: '/api/v1/services' }, 'full', false), { allowed: false, status: 401, code: 'UNAUTHORIZED', reason: 'authenticate with the session code first' });
});

test('read-only: GET and HEAD of the admin API only', () => {
  assert.deepEqual(decide({ method: 'get', path: '/api/v1/mails?queue=hold' }, 'read-only', true), { allowed: true, method: 'GET', url: '/api/v1/mails?queue=hold' });
  assert.equal(decide({ method: 'HEAD', path: '/metrics' }, 'read-only', true).allowed, true);
  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
    const d = decide({ method, path: '/api/v1/services/spamfinder/stop' }, 'read-only', true);
    assert.equal(d.allowed ? 0 : d.status, 403, method);
  }
});

test('full rights: every method, still only the admin API and never remote-support itself', () => {
  assert.equal(decide({ method: 'POST', path: '/api/v1/services/spamfinder/stop' }, 'full', true).allowed, true);
  for (const path of ['/api/v1/remote-support', '/api/v1/remote-support/stop', '/api/v1/remote-support/../remote-support/start', '/api/v1/%72emote-support', '/api/v1//remote-support/stop', '/API/V1/Remote-Support', '/', '/docs']) {
    const d = decide({ method: 'GET', path }, 'full', true);
    assert.equal(d.allowed ? 0 : d.status, 403, path);
  }
});

test('no other origin, no odd paths, no odd methods', () => {
  for (const path of ['http://evil.test/api/v1/services', '//evil.test/api/v1/services', 'api/v1/services', '/api/v1/\\services', '/api/v1/x\r\nHost: y', 42]) {
    const d = decide({ method: 'GET', path }, 'full', true);
    assert.equal(d.allowed ? 0 : d.status, 400, String(path));
  }
  const d = decide({ method: 'CONNECT', path: '/api/v1/services' }, 'full', true);
  assert.equal(d.allowed ? 0 : d.status, 400);
});
