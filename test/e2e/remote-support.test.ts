// remote-support end to end: the real gateway opens its tunnel to a TLS WebSocket endpoint this
// test runs on loopback and plays the support engineer on. The session works with the code and
// not without it, is read-only by default, every call is in the compliance log, it ends by
// itself at its deadline, stopping cuts it, and the gateway never listens on a new port for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { startGateway, type Gateway } from '../helpers/gateway.ts';
import { startSupportEndpoint } from '../helpers/support-endpoint.ts';
import { waitFor } from '../helpers/wait.ts';

/** TCP ports the process listens on, from /proc (its socket inodes in the LISTEN rows). */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      /* closed meanwhile */
    }
  }
  const ports: number[] = [];
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(f, 'utf8').split('\n').slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c[3] === '0A' && inodes.has(c[9])) ports.push(parseInt(c[1].split(':')[1], 16));
    }
  }
  return [...new Set(ports)].sort((a, b) => a - b);
}

interface ComplianceRecord {
  seq: number;
  category: string;
  action: string;
  actor: string;
  subject: string | null;
  detail: Record<string, unknown> | null;
}

async function supportRecords(gw: Gateway, sessionId: string): Promise<ComplianceRecord[]> {
  const r = await gw.api('GET', '/api/v1/compliance?category=remote-support&limit=1000');
  assert.equal(r.status, 200, r.text);
  const all = (r.json.records as ComplianceRecord[]).slice().reverse();
  return all.filter((x) => x.subject === sessionId || x.detail?.session === sessionId);
}

test('a session: works with the code only, read-only by default, every call recorded, ends by itself, no new port', async () => {
  const ep = await startSupportEndpoint();
  const gw = await startGateway({ config: { log: { level: 'warn' }, remoteSupport: { endpoint: ep.url, trustCertificate: ep.certFile } } });
  try {
    // The gateway's own listeners: SMTP and the admin API, nothing else.
    const ports = [gw.smtpPort, Number(new URL(gw.adminUrl).port)].sort((a, b) => a - b);
    await waitFor(() => listeningPorts(gw.pid).join() === ports.join(), { what: `listening on ${ports.join(', ')} only` });
    const idle = await gw.cli(['support', 'status']);
    assert.match(idle.stdout, /remote support: no session/);
    const svc = (await gw.api('GET', '/api/v1/services/remote-support')).json;
    assert.equal(svc.enabled, false, 'deactivated by default');

    const started = await gw.api('POST', '/api/v1/remote-support/start', { durationSeconds: 4 });
    assert.equal(started.status, 200, started.text);
    const s = started.json.session;
    assert.equal(s.rights, 'read-only');
    assert.match(s.code, /^[A-Z2-9]{4}(-[A-Z2-9]{4}){3}$/);
    const peer = await ep.nextTunnel();
    assert.equal(peer.hello.session, s.id);
    assert.deepEqual(listeningPorts(gw.pid), ports, 'the tunnel is outgoing; nothing new listens');

    const without = await peer.request('GET', '/api/v1/services');
    assert.equal(without.status, 401, 'nothing without the code');
    assert.equal((await peer.auth('ABCD-EFGH-JKMN-PQRS')).type, 'auth-failed');
    assert.equal((await peer.auth(s.code)).type, 'auth-ok');
    const services = await peer.request('GET', '/api/v1/services');
    assert.equal(services.status, 200);
    assert.ok(services.json.services.some((x: { name: string; state: string }) => x.name === 'remote-support' && x.state === 'running'));
    const write = await peer.request('POST', '/api/v1/services/fuzzy-filter/stop');
    assert.equal(write.status, 403, 'read-only by default');
    assert.equal((await gw.api('GET', '/api/v1/services/fuzzy-filter')).json.state, 'running', 'and nothing was done');
    assert.equal((await peer.request('GET', '/api/v1/queues')).status, 200);

    const closeCode = await peer.closed;
    assert.ok(closeCode > 0);
    assert.ok(Date.now() >= s.expiresAt, 'not before its deadline');
    const svcAfter = await waitFor(async () => {
      const sv = (await gw.api('GET', '/api/v1/services/remote-support')).json;
      return sv.state === 'stopped' ? sv : undefined;
    }, { what: 'remote-support stopped' });
    assert.equal(svcAfter.enabled, false, 'deactivated again');
    const after = (await gw.api('GET', '/api/v1/remote-support')).json;
    assert.equal(after.active, false);
    assert.match(after.lastEnded.reason, /expired/);

    const recs = await waitFor(async () => {
      const r = await supportRecords(gw, s.id);
      return r.some((x) => x.action === 'remote-support.end') ? r : undefined;
    });
    const requests = recs.filter((x) => x.action === 'remote-support.request');
    assert.deepEqual(
      requests.map((x) => [x.subject, x.detail?.allowed, x.actor]),
      [
        ['GET /api/v1/services', false, 'support'],
        ['GET /api/v1/services', true, 'support'],
        ['POST /api/v1/services/fuzzy-filter/stop', false, 'support'],
        ['GET /api/v1/queues', true, 'support'],
      ],
      'every call through the tunnel, in order',
    );
    assert.deepEqual(recs.filter((x) => x.action === 'remote-support.auth').map((x) => x.detail?.ok), [false, true]);
    assert.equal(recs[0].action, 'remote-support.start');
    assert.equal(recs[0].actor, 'admin-api');
    assert.match(String(recs.at(-1)!.detail?.reason), /expired/);
    const chain = await gw.api('POST', '/api/v1/compliance/verify');
    assert.equal(chain.status, 200, chain.text);
    assert.equal(chain.json.ok, true, 'the compliance chain is intact');
  } finally {
    await gw.dispose();
    await ep.close();
  }
});

test('CLI: full rights on request, the code printed for the admin, `support stop` cuts the tunnel at once', async () => {
  const ep = await startSupportEndpoint();
  const gw = await startGateway({ config: { log: { level: 'warn' }, remoteSupport: { endpoint: ep.url, trustCertificate: ep.fingerprint } } });
  try {
    const r = await gw.cli(['support', 'start', '--rights', 'full', '--minutes', '5']);
    assert.equal(r.code, 0, r.stderr);
    const code = /^code:\s+(\S+)$/m.exec(r.stdout)?.[1];
    assert.ok(code, r.stdout);
    assert.match(r.stdout, /\(full\)/);
    const again = await gw.cli(['support', 'start']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /SUPPORT_SESSION_ACTIVE/);

    const peer = await ep.nextTunnel();
    assert.equal((await peer.auth(code)).type, 'auth-ok');
    const status = await gw.cli(['support', 'status']);
    assert.match(status.stdout, /connected, engineer authenticated/);
    const stop = await peer.request('POST', '/api/v1/services/fuzzy-filter/stop');
    assert.equal(stop.status, 200, stop.body);
    assert.equal((await gw.api('GET', '/api/v1/services/fuzzy-filter')).json.state, 'stopped');
    assert.equal((await peer.request('POST', '/api/v1/remote-support/stop')).status, 403, 'the support side cannot manage its own session');

    const stopped = await gw.cli(['support', 'stop']);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal(peer.open, false, 'the tunnel is gone when the command returns');
    assert.match(stopped.stdout, /ended just now: stopped by admin-api/);
    const st = (await gw.api('GET', '/api/v1/services/remote-support')).json;
    assert.equal(st.state, 'stopped');
    assert.equal(st.enabled, false);
  } finally {
    await gw.dispose();
    await ep.close();
  }
});
