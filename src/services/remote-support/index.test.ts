// The remote-support service with the real supervisor, the real admin API (in-process) over a
// test control, and a real TLS WebSocket endpoint on loopback playing the support engineer.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSupportEndpoint, type SupportEndpoint } from '../../../test/helpers/support-endpoint.ts';
import { waitFor } from '../../../test/helpers/wait.ts';
import { createMemoryControl } from '../../admin/testing/memory-control.ts';
import { validateConfig } from '../../config/load.ts';
import type { ConfigInput } from '../../config/schema.ts';
import { FlowEngine } from '../../flow/flow-engine.ts';
import { openSqliteStore, type SqliteStore } from '../../store/sqlite/open.ts';
import { auxiliaryService } from '../auxiliary-service.ts';
import type { ComplianceEvent, ComplianceRecorder } from '../compliance-log/recorder.ts';
import { createLogger } from '../log-manager/logger.ts';
import { ControlError } from '../system-manager/control.ts';
import { Supervisor } from '../system-manager/supervisor.ts';
import { createAdminRelay } from './admin-relay.ts';
import { RemoteSupport } from './index.ts';

let ep: SupportEndpoint;
let dir: string;
let store: SqliteStore;
before(async () => {
  ep = await startSupportEndpoint();
  dir = mkdtempSync(join(tmpdir(), 'gh-support-'));
  store = openSqliteStore(dir);
});
after(async () => {
  await ep?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

class MemoryRecorder implements ComplianceRecorder {
  events: ComplianceEvent[] = [];
  async record(e: ComplianceEvent): Promise<void> {
    this.events.push(e);
  }
}

const log = createLogger('remote-support', []);

async function setup(remoteSupport: ConfigInput['remoteSupport'] = { endpoint: ep.url, trustCertificate: ep.certFile }) {
  const recorder = new MemoryRecorder();
  const control = createMemoryControl();
  const config = validateConfig({ hostname: 'gate.test', remoteSupport });
  let sup: Supervisor;
  const support = new RemoteSupport({
    config,
    recorder,
    log,
    relay: () => createAdminRelay(control, log),
    lifecycle: () => ({
      activate: async () => {
        await sup.setEnabled('remote-support', true);
        await sup.start('remote-support');
      },
      deactivate: async () => void (await sup.setEnabled('remote-support', false)),
    }),
  });
  sup = new Supervisor(
    [auxiliaryService({ name: 'log-manager', kind: 'infrastructure', description: 'logs', essential: true, deactivatable: false }), support],
    { engine: new FlowEngine({ store, log, leaseMs: 1000, concurrency: 1 }), settings: store.settings, log },
  );
  await sup.boot();
  return { support, control, recorder, sup, rs: support.control };
}

test('deactivated by default; a session needs the endpoint and runs one at a time', async () => {
  const bare = await setup({});
  assert.equal(bare.sup.get('remote-support').enabled, false);
  assert.equal(bare.sup.get('remote-support').state, 'stopped');
  await assert.rejects(bare.rs.start({}, 'admin'), (e: ControlError) => e.code === 'SUPPORT_NOT_CONFIGURED');
  const { rs, sup } = await setup();
  const s = await rs.start({ durationMs: 60_000 }, 'admin');
  try {
    await assert.rejects(rs.start({}, 'admin'), (e: ControlError) => e.code === 'SUPPORT_SESSION_ACTIVE');
    assert.equal(sup.get('remote-support').state, 'running');
  } finally {
    await rs.stop('admin');
  }
  assert.equal(s.session?.rights, 'read-only', 'read-only by default');
  assert.equal(sup.get('remote-support').enabled, false, 'deactivated again after the session');
});

test('the code opens the API read-only, nothing without it, and every call is recorded', async () => {
  const { rs, recorder } = await setup();
  const started = await rs.start({}, 'admin');
  const s = started.session!;
  assert.match(s.code, /^[A-Z2-9]{4}(-[A-Z2-9]{4}){3}$/);
  assert.ok(Math.abs(s.expiresAt - s.startedAt - 60 * 60_000) < 1000, 'default 60 minutes');
  try {
    const peer = await ep.nextTunnel();
    assert.equal(peer.hello.session, s.id);
    assert.equal(peer.hello.rights, 'read-only');
    assert.ok(!JSON.stringify(peer.hello).includes(s.code), 'the gateway never sends the code');

    const early = await peer.request('GET', '/api/v1/services');
    assert.equal(early.status, 401, 'nothing before the code');
    assert.equal(early.json.code, 'UNAUTHORIZED');
    assert.equal((await peer.auth(undefined)).type, 'auth-failed');
    assert.equal((await peer.auth('AAAA-BBBB-CCCC-DDDD')).type, 'auth-failed');
    assert.equal((await peer.auth(s.code.toLowerCase())).type, 'auth-ok', 'the code, in any case');
    await waitFor(() => rs.status().session?.authenticated);

    const services = await peer.request('GET', '/api/v1/services');
    assert.equal(services.status, 200);
    assert.ok(services.json.services.some((x: { name: string }) => x.name === 'spamfinder'));
    const stop = await peer.request('POST', '/api/v1/services/spamfinder/stop');
    assert.equal(stop.status, 403);
    assert.match(stop.json.detail, /read-only/);
    assert.equal((await peer.request('GET', '/api/v1/remote-support')).status, 403, 'the session cannot see its own code');
    assert.equal((await peer.request('GET', 'http://evil.test/api/v1/services')).status, 400);

    const reqs = recorder.events.filter((e) => e.action === 'remote-support.request');
    assert.equal(reqs.length, 5, 'every request, allowed or not');
    assert.ok(reqs.every((e) => e.actor === 'support' && e.category === 'remote-support'));
    assert.deepEqual(reqs.map((e) => e.detail?.allowed), [false, true, false, false, false]);
    assert.equal(reqs[1].subject, 'GET /api/v1/services');
    assert.deepEqual(recorder.events.filter((e) => e.action === 'remote-support.auth').map((e) => e.detail?.ok), [false, false, true]);
    assert.equal(rs.status().session?.requests, 5);
  } finally {
    await rs.stop('admin');
  }
});

test('full rights reach the write calls; stopping cuts the tunnel at once', async () => {
  const { rs, recorder, control } = await setup();
  const s = (await rs.start({ rights: 'full' }, 'admin')).session!;
  const peer = await ep.nextTunnel();
  assert.equal((await peer.auth(s.code)).type, 'auth-ok');
  const stop = await peer.request('POST', '/api/v1/services/spamfinder/stop');
  assert.equal(stop.status, 200);
  assert.equal(control.services.get('spamfinder').state, 'stopped');
  const ended = await rs.stop('admin');
  assert.equal(ended.active, false);
  assert.equal(await peer.closed > 0, true, 'the tunnel is closed');
  assert.match(ended.lastEnded?.reason ?? '', /stopped by admin/);
  assert.ok(recorder.events.some((e) => e.action === 'remote-support.end' && e.actor === 'admin'));
});

test('the session ends by itself at its deadline and the service is deactivated', async () => {
  const { rs, sup, recorder } = await setup();
  const s = (await rs.start({ durationMs: 1500 }, 'admin')).session!;
  const peer = await ep.nextTunnel();
  assert.equal((await peer.auth(s.code)).type, 'auth-ok');
  await peer.closed;
  await waitFor(() => sup.get('remote-support').enabled === false, { what: 'deactivated after the deadline' });
  assert.equal(rs.status().active, false);
  assert.match(rs.status().lastEnded?.reason ?? '', /expired/);
  assert.ok(Date.now() >= s.expiresAt);
  assert.ok(recorder.events.some((e) => e.action === 'remote-support.end' && /expired/.test(String(e.detail?.reason))));
});

test('three wrong codes end the session', async () => {
  const { rs } = await setup();
  await rs.start({}, 'admin');
  const peer = await ep.nextTunnel();
  for (let i = 0; i < 3; i++) assert.equal((await peer.auth(`WRONG-${i}`)).type, 'auth-failed');
  await peer.closed;
  await waitFor(() => !rs.status().active, { what: 'the session ended' });
  assert.match(rs.status().lastEnded?.reason ?? '', /3 wrong session codes/);
});

test('an endpoint whose certificate is not the trusted one gets no tunnel', async () => {
  const other = ep.fingerprint.replace(/^../, ep.fingerprint.startsWith('00') ? '11' : '00');
  const { rs } = await setup({ endpoint: ep.url, trustCertificate: other });
  const before = ep.connections;
  await rs.start({}, 'admin');
  try {
    await waitFor(() => rs.status().session?.lastError, { what: 'a tunnel error' });
    assert.match(rs.status().session!.lastError!, /not the trusted one/);
    assert.equal(rs.status().session!.connected, false);
    assert.equal(ep.connections, before, 'no hello was sent');
  } finally {
    await rs.stop('admin');
  }
});
