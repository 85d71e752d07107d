// Drives the real admin server over loopback with fetch, against an in-memory control.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../services/log-manager/logger.ts';
import type { LogRecord } from '../../store/store.ts';
import { createMemoryControl, type MemoryControl } from '../testing/memory-control.ts';
import { API_ERROR_CODES } from './errors.ts';
import { createAdminServer, type AdminServer } from './server.ts';

const TOKEN = 'test-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };

let control: MemoryControl;
let server: AdminServer;
let base: string;
const logged: LogRecord[] = [];

async function call(method: string, path: string, opts: { body?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...AUTH, ...opts.headers };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, type, headers: res.headers, text, json: type.includes('json') ? JSON.parse(text) : undefined };
}

function assertProblem(r: Awaited<ReturnType<typeof call>>, status: number, code: string) {
  assert.equal(r.status, status, r.text);
  assert.match(r.type, /^application\/problem\+json/);
  assert.deepEqual(Object.keys(r.json).sort(), ['code', 'detail', 'status', 'title', 'type']);
  assert.equal(r.json.code, code);
  assert.equal(r.json.status, status);
}

before(async () => {
  control = createMemoryControl();
  control.addMail({ id: 'M-READY', queue: 'deliver' });
  control.addMail({
    id: 'M-DEFERRED',
    queue: 'deliver',
    notBefore: Date.now() + 600_000,
    attempts: 2,
    lastReason: '451 4.7.1 greylisted',
    envelope: { sender: 'a@example.org', recipients: [{ address: 'x@example.net', status: 'deferred' }], direction: 'outbound', source: 'smtp' },
  });
  control.addMail({ id: 'M-SPAM', queue: 'spamfinder' });
  control.addMail({ id: 'M-LEASED', queue: 'depot' });
  control.lease('M-LEASED');
  control.addLog({ at: Date.parse('2025-01-01T10:00:00Z'), level: 'info', service: 'smtp-receiver', msg: 'mail received', mailId: 'M-READY', data: { size: 1234 } });
  control.addLog({ at: Date.parse('2025-01-01T11:00:00Z'), level: 'warn', service: 'smtp-sender', msg: 'delivery deferred', mailId: 'M-DEFERRED', data: null });
  server = createAdminServer({ control, token: TOKEN, listen: '127.0.0.1:0', log: createLogger('admin-api', [(r) => logged.push(r)], 'debug') });
  base = (await server.start()).address;
});

after(() => server.stop());

describe('authentication', () => {
  test('health needs no token', async () => {
    const r = await call('GET', '/api/v1/health', { headers: { authorization: '' } });
    assert.equal(r.status, 200);
    assert.equal(r.json.ok, true);
    assert.equal(r.json.version, '0.1.0-test');
  });

  test('a request without a token is refused with 401 and a Bearer challenge', async () => {
    const r = await call('GET', '/api/v1/services', { headers: { authorization: '' } });
    assertProblem(r, 401, 'UNAUTHORIZED');
    assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.ok(logged.some((l) => l.level === 'warn' && l.msg.includes('without a valid token')));
  });

  test('a wrong token, a token of another length and a non-Bearer scheme are refused', async () => {
    for (const authorization of [`Bearer ${TOKEN.slice(0, -1)}x`, 'Bearer x', `Basic ${TOKEN}`, TOKEN]) {
      assertProblem(await call('GET', '/api/v1/services', { headers: { authorization } }), 401, 'UNAUTHORIZED');
    }
  });

  test('the right token is accepted, whatever the case of "Bearer"', async () => {
    assert.equal((await call('GET', '/api/v1/services', { headers: { authorization: `bearer ${TOKEN}` } })).status, 200);
  });

  test('metrics, openapi.json and unknown routes need the token too', async () => {
    for (const path of ['/metrics', '/api/v1/openapi.json', '/api/v1/nowhere']) {
      assertProblem(await call('GET', path, { headers: { authorization: '' } }), 401, 'UNAUTHORIZED');
    }
  });

  test('the server refuses to be created without a token', () => {
    assert.throws(() => createAdminServer({ control, token: '', listen: '127.0.0.1:0' }));
  });
});

describe('services', () => {
  test('list and get', async () => {
    const list = await call('GET', '/api/v1/services');
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.json.services.map((s: { name: string }) => s.name),
      ['system-manager', 'smtp-receiver', 'spamfinder', 'remote-support'],
    );
    const one = await call('GET', '/api/v1/services/spamfinder');
    assert.equal(one.status, 200);
    assert.equal(one.json.state, 'running');
    assert.deepEqual(one.json.stages, ['spamfinder']);
    assert.equal(one.json.lastError, null);
  });

  test('an unknown service is a 404 problem with code SERVICE_NOT_FOUND', async () => {
    const r = await call('GET', '/api/v1/services/no-such-service');
    assertProblem(r, 404, 'SERVICE_NOT_FOUND');
    assert.match(r.json.detail, /no-such-service/);
    assertProblem(await call('POST', '/api/v1/services/no-such-service/start'), 404, 'SERVICE_NOT_FOUND');
  });

  test('stop, start, restart', async () => {
    assert.equal((await call('POST', '/api/v1/services/spamfinder/stop')).json.state, 'stopped');
    assert.equal((await call('POST', '/api/v1/services/spamfinder/start')).json.state, 'running');
    const r = await call('POST', '/api/v1/services/spamfinder/restart');
    assert.equal(r.status, 200);
    assert.equal(r.json.state, 'running');
  });

  test('deactivate and activate go through setEnabled', async () => {
    const off = await call('POST', '/api/v1/services/spamfinder/deactivate');
    assert.equal(off.json.enabled, false);
    assert.equal(off.json.state, 'stopped');
    assertProblem(await call('POST', '/api/v1/services/spamfinder/start'), 409, 'SERVICE_DEACTIVATED');
    const on = await call('POST', '/api/v1/services/spamfinder/activate');
    assert.equal(on.json.enabled, true);
    assert.equal((await call('POST', '/api/v1/services/spamfinder/start')).json.state, 'running');
  });

  test('control refusals map to their codes', async () => {
    assertProblem(await call('POST', '/api/v1/services/system-manager/stop'), 409, 'SERVICE_NOT_STOPPABLE');
    assertProblem(await call('POST', '/api/v1/services/smtp-receiver/deactivate'), 409, 'SERVICE_NOT_DEACTIVATABLE');
  });
});

describe('maintenance', () => {
  test('get, switch on (mail services refuse to start), switch off', async () => {
    assert.deepEqual((await call('GET', '/api/v1/maintenance')).json, { enabled: false });
    assert.deepEqual((await call('PUT', '/api/v1/maintenance', { body: { enabled: true } })).json, { enabled: true });
    assert.equal((await call('GET', '/api/v1/health')).json.maintenance, true);
    assertProblem(await call('POST', '/api/v1/services/smtp-receiver/start'), 409, 'MAINTENANCE_MODE');
    assert.deepEqual((await call('PUT', '/api/v1/maintenance', { body: { enabled: false } })).json, { enabled: false });
  });

  test('a body without "enabled" is a VALIDATION problem naming the field', async () => {
    const r = await call('PUT', '/api/v1/maintenance', { body: { on: true } });
    assertProblem(r, 400, 'VALIDATION');
    assert.match(r.json.detail, /"(enabled|on)"/);
    const wrongType = await call('PUT', '/api/v1/maintenance', { body: { enabled: 'yes please' } });
    assertProblem(wrongType, 400, 'VALIDATION');
    assert.match(wrongType.json.detail, /"enabled"/);
  });
});

describe('queues and mails', () => {
  test('counts list every queue', async () => {
    const r = await call('GET', '/api/v1/queues');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.queues.deliver, { total: 2, deferred: 1 });
    assert.deepEqual(r.json.queues.hold, { total: 0, deferred: 0 });
  });

  test('list with filters and paging', async () => {
    const all = await call('GET', '/api/v1/mails');
    assert.equal(all.status, 200);
    assert.equal(all.json.limit, 100);
    assert.equal(all.json.offset, 0);
    assert.equal(all.json.mails.length, 4);
    const deferred = await call('GET', '/api/v1/mails?queue=deliver&deferred=true');
    assert.deepEqual(deferred.json.mails.map((m: { id: string }) => m.id), ['M-DEFERRED']);
    assert.equal(deferred.json.mails[0].lastReason, '451 4.7.1 greylisted');
    const byDomain = await call('GET', '/api/v1/mails?domain=example.net');
    assert.deepEqual(byDomain.json.mails.map((m: { id: string }) => m.id), ['M-DEFERRED']);
    const page = await call('GET', '/api/v1/mails?limit=1&offset=1');
    assert.equal(page.json.mails.length, 1);
  });

  test('bad query parameters are 400 VALIDATION problems naming the field', async () => {
    for (const [qs, field] of [
      ['limit=abc', 'limit'],
      ['limit=0', 'limit'],
      ['queue=outbox', 'queue'],
      ['deferred=maybe', 'deferred'],
      ['queu=hold', 'queu'],
    ]) {
      const r = await call('GET', `/api/v1/mails?${qs}`);
      assertProblem(r, 400, 'VALIDATION');
      assert.match(r.json.detail, new RegExp(`"${field}"`), qs);
    }
  });

  test('a mail with its tracking events', async () => {
    const r = await call('GET', '/api/v1/mails/M-READY');
    assert.equal(r.status, 200);
    assert.equal(r.json.id, 'M-READY');
    assert.equal(r.json.envelope.recipients[0].address, 'bob@example.com');
    assert.deepEqual(r.json.events.map((e: { event: string }) => e.event), ['received', 'advanced']);
    assert.deepEqual(r.json.events[0].detail, { clientIp: '192.0.2.1' });
    assertProblem(await call('GET', '/api/v1/mails/NOPE'), 404, 'MAIL_NOT_FOUND');
  });

  test('hold, release, retry, delete — recorded as admin-api', async () => {
    const held = await call('POST', '/api/v1/mails/M-SPAM/hold');
    assert.equal(held.json.queue, 'hold');
    assert.equal(held.json.heldFrom, 'spamfinder');
    assertProblem(await call('POST', '/api/v1/mails/M-SPAM/retry'), 409, 'MAIL_WRONG_QUEUE');
    assert.equal((await call('POST', '/api/v1/mails/M-SPAM/release')).json.queue, 'spamfinder');
    assert.equal((await call('POST', '/api/v1/mails/M-SPAM/retry')).json.queue, 'spamfinder');
    assert.equal((await call('POST', '/api/v1/mails/M-SPAM/delete')).json.queue, 'deleted');
    const events = (await call('GET', '/api/v1/mails/M-SPAM')).json.events as { event: string; actor: string }[];
    assert.deepEqual(
      events.filter((e) => e.actor === 'admin-api').map((e) => e.event),
      ['held', 'released', 'retried', 'deleted'],
    );
  });

  test('a leased mail is MAIL_BUSY, a missing one MAIL_NOT_FOUND', async () => {
    assertProblem(await call('POST', '/api/v1/mails/M-LEASED/hold'), 409, 'MAIL_BUSY');
    assertProblem(await call('POST', '/api/v1/mails/NOPE/delete'), 404, 'MAIL_NOT_FOUND');
  });

  test('flush with a domain, then without a body', async () => {
    assert.deepEqual((await call('POST', '/api/v1/queues/deliver/flush', { body: { domain: 'example.com' } })).json, { flushed: 0 });
    assert.deepEqual((await call('POST', '/api/v1/queues/deliver/flush', { body: { domain: 'example.net' } })).json, { flushed: 1 });
    const none = await call('POST', '/api/v1/queues/deliver/flush');
    assert.equal(none.status, 200);
    assert.deepEqual(none.json, { flushed: 0 });
    const bad = await call('POST', '/api/v1/queues/deliver/flush', { body: { domain: 42, extra: 1 } });
    assertProblem(bad, 400, 'VALIDATION');
  });

  test('a body that is not JSON is BAD_REQUEST', async () => {
    const res = await fetch(`${base}/api/v1/queues/deliver/flush`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: '{nope' });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { code: string }).code, 'BAD_REQUEST');
  });
});

describe('logs', () => {
  test('query by service, level, mail, time and text', async () => {
    const all = await call('GET', '/api/v1/logs');
    assert.equal(all.status, 200);
    assert.equal(all.json.logs.length, 2);
    assert.deepEqual(all.json.logs[0].data, { size: 1234 });
    const q = async (qs: string) => (await call('GET', `/api/v1/logs?${qs}`)).json.logs.map((l: { msg: string }) => l.msg);
    assert.deepEqual(await q('service=smtp-sender'), ['delivery deferred']);
    assert.deepEqual(await q('level=warn'), ['delivery deferred']);
    assert.deepEqual(await q('mail=M-READY'), ['mail received']);
    assert.deepEqual(await q('since=2025-01-01T10:30:00Z'), ['delivery deferred']);
    assert.deepEqual(await q(`until=${Date.parse('2025-01-01T10:30:00Z')}`), ['mail received']);
    assert.deepEqual(await q('text=received&limit=5'), ['mail received']);
  });

  test('a bad time or level is a VALIDATION problem naming the field', async () => {
    const since = await call('GET', '/api/v1/logs?since=yesterday');
    assertProblem(since, 400, 'VALIDATION');
    assert.match(since.json.detail, /"since"/);
    const level = await call('GET', '/api/v1/logs?level=loud');
    assertProblem(level, 400, 'VALIDATION');
    assert.match(level.json.detail, /"level"/);
  });
});

describe('errors, metrics and the OpenAPI document', () => {
  test('an unknown route is a 404 NOT_FOUND problem', async () => {
    assertProblem(await call('GET', '/api/v1/nowhere'), 404, 'NOT_FOUND');
    assertProblem(await call('DELETE', '/api/v1/services'), 404, 'NOT_FOUND');
  });

  test('an unexpected error is a 500 INTERNAL problem without the message, and is logged', async () => {
    control.failNext(new Error('database exploded at /var/lib/secret'));
    const r = await call('GET', '/api/v1/services');
    assertProblem(r, 500, 'INTERNAL');
    assert.doesNotMatch(r.text, /exploded|secret|at /);
    assert.ok(logged.some((l) => l.level === 'error' && String(l.data?.error).includes('exploded')));
  });

  test('metrics are Prometheus text', async () => {
    const r = await call('GET', '/metrics');
    assert.equal(r.status, 200);
    assert.match(r.type, /^text\/plain/);
    assert.match(r.text, /^gatehouse_queue_mails\{queue="deliver"\} 2$/m);
  });

  test('openapi.json lists every route and the error codes', async () => {
    const r = await call('GET', '/api/v1/openapi.json');
    assert.equal(r.status, 200);
    assert.match(r.json.openapi, /^3\./);
    const paths = r.json.paths as Record<string, Record<string, unknown>>;
    const expected: [string, string][] = [
      ['get', '/api/v1/health'],
      ['get', '/api/v1/services'],
      ['get', '/api/v1/services/{name}'],
      ...['start', 'stop', 'restart', 'activate', 'deactivate'].map((a): [string, string] => ['post', `/api/v1/services/{name}/${a}`]),
      ['get', '/api/v1/maintenance'],
      ['put', '/api/v1/maintenance'],
      ['get', '/api/v1/queues'],
      ['get', '/api/v1/mails'],
      ['get', '/api/v1/mails/{id}'],
      ...['hold', 'release', 'delete', 'retry'].map((a): [string, string] => ['post', `/api/v1/mails/{id}/${a}`]),
      ['post', '/api/v1/queues/deliver/flush'],
      ['get', '/api/v1/logs'],
      ['get', '/metrics'],
    ];
    for (const [method, path] of expected) assert.ok(paths[path]?.[method], `${method.toUpperCase()} ${path} missing`);
    assert.equal(paths['/api/v1/openapi.json'], undefined);
    assert.deepEqual((paths['/api/v1/health'].get as { security: unknown[] }).security, []);
    assert.deepEqual(r.json.components.schemas.Problem.properties.code.enum, API_ERROR_CODES);
    assert.ok(r.json.components.securitySchemes.bearerAuth);
  });
});
