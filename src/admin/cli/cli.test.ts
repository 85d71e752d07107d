// Runs the CLI in-process against a real admin server on loopback (in-memory control), finding
// it the way an operator's CLI does: through a config file and <dataDir>/admin.token.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAdminServer, type AdminServer } from '../api/server.ts';
import { adminBaseUrl } from '../listen-address.ts';
import { createMemoryControl, type MemoryControl } from '../testing/memory-control.ts';
import { relativeTime, formatBytes } from './format.ts';
import { runCli, type CliHooks } from './main.ts';

const TOKEN = 'cli-test-token';
let control: MemoryControl;
let server: AdminServer;
let dir: string;
let config: string;
let port: number;

function writeConfig(name: string, listen: string, token: string | null): string {
  const d = join(dir, name);
  mkdirSync(join(d, 'data'), { recursive: true });
  if (token !== null) writeFileSync(join(d, 'data', 'admin.token'), token + '\n', { mode: 0o600 });
  const file = join(d, 'gatehouse.yaml');
  writeFileSync(file, `dataDir: ./data\nadmin:\n  listen: "${listen}"\n`);
  return file;
}

async function cli(args: string[], hooks: CliHooks = {}) {
  let out = '';
  let err = '';
  const code = await runCli(['node', 'gatehouse', ...args], {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    ...hooks,
  });
  return { code, out, err };
}

before(async () => {
  control = createMemoryControl();
  control.addMail({ id: 'M-1', queue: 'deliver', notBefore: Date.now() + 600_000, lastReason: '451 4.7.1 try later' });
  control.addMail({ id: 'M-2', queue: 'spamfinder' });
  control.addLog({ at: Date.now() - 60_000, level: 'warn', service: 'smtp-sender', msg: 'delivery deferred', mailId: 'M-1', data: { host: 'mx.example.com' } });
  control.addLog({ at: Date.now() - 7_200_000, level: 'info', service: 'smtp-receiver', msg: 'old news', mailId: null, data: null });
  server = createAdminServer({ control, token: TOKEN, listen: '127.0.0.1:0' });
  port = (await server.start()).port;
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
  config = writeConfig('main', `0.0.0.0:${port}`, TOKEN);
});

after(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('services', () => {
  test('services list --json prints the services as JSON', async () => {
    const r = await cli(['--config', config, 'services', 'list', '--json']);
    assert.equal(r.code, 0, r.err);
    const list = JSON.parse(r.out) as { name: string; state: string }[];
    assert.deepEqual(list.map((s) => s.name), ['system-manager', 'smtp-receiver', 'spamfinder', 'remote-support']);
    assert.equal(r.err, '');
  });

  test('services list prints a table; --config may come after the command', async () => {
    const r = await cli(['services', 'list', '--config', config]);
    assert.equal(r.code, 0, r.err);
    const [head, ...rows] = r.out.trimEnd().split('\n');
    assert.match(head, /^NAME\s+STATE\s+SINCE\s+ENABLED\s+CONFIGURED\s+LAST ERROR$/);
    assert.match(rows.find((l) => l.startsWith('remote-support'))!, /^remote-support\s+stopped\s+1h ago\s+no\s+yes\s+-$/);
  });

  test('an unknown service is reported with its code and exit code 1', async () => {
    const r = await cli(['--config', config, 'services', 'start', 'no-such-service']);
    assert.equal(r.code, 1);
    assert.equal(r.err, 'gatehouse: no service named "no-such-service" (SERVICE_NOT_FOUND)\n');
    assert.equal(r.out, '');
  });

  test('stop, start, deactivate, activate', async () => {
    assert.equal((await cli(['--config', config, 'services', 'stop', 'spamfinder'])).out, 'spamfinder: stopped\n');
    assert.equal((await cli(['--config', config, 'services', 'deactivate', 'spamfinder'])).out, 'spamfinder: stopped (deactivated)\n');
    const refused = await cli(['--config', config, 'services', 'start', 'spamfinder']);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /\(SERVICE_DEACTIVATED\)\n$/);
    assert.equal((await cli(['--config', config, 'services', 'activate', 'spamfinder'])).code, 0);
    assert.equal((await cli(['--config', config, 'services', 'restart', 'spamfinder'])).out, 'spamfinder: running\n');
  });
});

describe('queue', () => {
  test('queue show of a missing id fails with MAIL_NOT_FOUND', async () => {
    const r = await cli(['--config', config, 'queue', 'show', 'NO-SUCH-MAIL']);
    assert.equal(r.code, 1);
    assert.equal(r.err, 'gatehouse: no mail with id NO-SUCH-MAIL (MAIL_NOT_FOUND)\n');
  });

  test('queue show prints the mail and one line per tracking event', async () => {
    const r = await cli(['--config', config, 'queue', 'show', 'M-1']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^id:\s+M-1$/m);
    assert.match(r.out, /^queue:\s+deliver, deferred until .*\(in 9m\)$/m);
    assert.match(r.out, /^last reason:\s+451 4\.7\.1 try later$/m);
    assert.match(r.out, /^recipient:\s+bob@example\.com pending$/m);
    const events = r.out.split('events:\n')[1].trimEnd().split('\n');
    assert.equal(events.length, 2);
    assert.match(events[0], /^ {2}\S+Z {2}received\s+seal-in\s+smtp-receiver \{"clientIp":"192\.0\.2\.1"\}$/);
    assert.match(events[1], /advanced\s+deliver\s+flow$/);
    const j = await cli(['--config', config, 'queue', 'show', 'M-1', '--json']);
    assert.equal(JSON.parse(j.out).events.length, 2);
  });

  test('queue list with filters, as a table and as JSON', async () => {
    const t = await cli(['--config', config, 'queue', 'list']);
    assert.equal(t.code, 0, t.err);
    assert.match(t.out, /^ID\s+QUEUE\s+RECEIVED\s+SIZE\s+SENDER\s+RECIPIENTS\s+ATTEMPTS\s+NEXT TRY\s+REASON$/m);
    assert.match(t.out, /^M-1\s+deliver\s+1m ago\s+1\.2 KB\s+alice@example\.org\s+bob@example\.com\s+0\s+in 9m\s+451 4\.7\.1 try later$/m);
    const j = await cli(['--config', config, 'queue', 'list', '--queue', 'deliver', '--deferred', '--json']);
    assert.deepEqual(JSON.parse(j.out).map((m: { id: string }) => m.id), ['M-1']);
    const none = await cli(['--config', config, 'queue', 'list', '--queue', 'hold']);
    assert.equal(none.out, 'no mails\n');
    const bad = await cli(['--config', config, 'queue', 'list', '--queue', 'outbox']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /query parameter "queue" must be one of: .* \(VALIDATION\)\n$/);
  });

  test('hold, release, retry, flush, delete', async () => {
    assert.equal((await cli(['--config', config, 'queue', 'hold', 'M-2'])).out, 'M-2: now in hold\n');
    assert.equal((await cli(['--config', config, 'queue', 'release', 'M-2'])).out, 'M-2: now in spamfinder\n');
    assert.equal((await cli(['--config', config, 'queue', 'retry', 'M-2'])).out, 'M-2: now in spamfinder\n');
    assert.equal((await cli(['--config', config, 'queue', 'flush', '--domain', 'example.org'])).out, 'flushed 0 mails\n');
    assert.equal((await cli(['--config', config, 'queue', 'flush'])).out, 'flushed 1 mail\n');
    assert.equal((await cli(['--config', config, 'queue', 'delete', 'M-2'])).out, 'M-2: now in deleted\n');
    const again = await cli(['--config', config, 'queue', 'release', 'M-2']);
    assert.equal(again.code, 1);
    assert.match(again.err, /\(MAIL_WRONG_QUEUE\)\n$/);
  });
});

describe('logs and maintenance', () => {
  test('logs --since 1h prints one line per record', async () => {
    const r = await cli(['--config', config, 'logs', '--since', '1h']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^\S+Z WARN {2}smtp-sender \[M-1\] delivery deferred \{"host":"mx\.example\.com"\}\n$/);
    const all = await cli(['--config', config, 'logs', '--json', '--limit', '10']);
    assert.equal(JSON.parse(all.out).length, 2);
    const byMail = await cli(['--config', config, 'logs', '--mail', 'M-1', '--level', 'warn', '--service', 'smtp-sender']);
    assert.equal(byMail.out.trimEnd().split('\n').length, 1);
  });

  test('a --since that is neither a duration nor a date is a usage error', async () => {
    const r = await cli(['--config', config, 'logs', '--since', 'last tuesday']);
    assert.equal(r.code, 2);
    assert.match(r.err, /^gatehouse: --since: "last tuesday" is neither/);
  });

  test('maintenance on, status, off', async () => {
    assert.equal((await cli(['--config', config, 'maintenance', 'on'])).out, 'maintenance mode: on\n');
    assert.equal((await cli(['--config', config, 'maintenance', 'status'])).out, 'maintenance mode: on\n');
    assert.equal((await cli(['--config', config, 'maintenance', 'off'])).out, 'maintenance mode: off\n');
  });
});

describe('usage, configuration and connection errors', () => {
  test('usage errors exit 2, help exits 0', async () => {
    assert.equal((await cli(['frobnicate'])).code, 2);
    const missing = await cli(['services', 'start']);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /^gatehouse: missing required argument 'NAME'/);
    assert.equal((await cli(['--config', config, 'logs', '--limit', 'lots'])).code, 2);
    assert.equal((await cli(['services'])).code, 2);
    const help = await cli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /services/);
  });

  test('an unreachable API exits 3 with a hint', async () => {
    const down = await closedPort();
    const file = writeConfig('down', `127.0.0.1:${down}`, TOKEN);
    const r = await cli(['--config', file, 'services', 'list']);
    assert.equal(r.code, 3);
    assert.equal(r.err, `gatehouse: cannot reach the admin API at http://127.0.0.1:${down} — is the gateway running?\n`);
  });

  test('a wrong token is UNAUTHORIZED, a missing token file says where it looked', async () => {
    const wrong = await cli(['--config', writeConfig('wrong', `127.0.0.1:${port}`, 'not-the-token'), 'services', 'list']);
    assert.equal(wrong.code, 1);
    assert.match(wrong.err, /\(UNAUTHORIZED\)\n$/);
    const none = await cli(['--config', writeConfig('none', `127.0.0.1:${port}`, null), 'services', 'list']);
    assert.equal(none.code, 1);
    assert.match(none.err, /admin\.token: no such file/);
  });

  test('a config that does not load is exit 2', async () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'admin:\n  listen: nowhere\n');
    const r = await cli(['--config', file, 'services', 'list']);
    assert.equal(r.code, 2);
    assert.match(r.err, /admin\.listen/);
    assert.equal((await cli(['--config', join(dir, 'absent.yaml'), 'services', 'list'])).code, 2);
  });

  test('start calls the injected hook with the config path', async () => {
    const seen: (string | undefined)[] = [];
    const start = async (p: string | undefined) => (seen.push(p), 0);
    assert.equal((await cli(['start', '--config', 'x.yaml'], { start })).code, 0);
    assert.equal((await cli(['start'], { start: async () => 7 })).code, 7);
    assert.deepEqual(seen, ['x.yaml']);
    assert.equal((await cli(['start'])).code, 1);
  });
});

describe('helpers', () => {
  test('a wildcard listen address is reached over loopback', () => {
    assert.equal(adminBaseUrl('0.0.0.0:8025'), 'http://127.0.0.1:8025');
    assert.equal(adminBaseUrl('[::]:8025'), 'http://[::1]:8025');
    assert.equal(adminBaseUrl(':::8025'), 'http://[::1]:8025');
    assert.equal(adminBaseUrl('[::1]:8025'), 'http://[::1]:8025');
    assert.equal(adminBaseUrl('admin.example:9000'), 'http://admin.example:9000');
  });

  test('relative times and sizes', () => {
    const now = 1_000_000_000;
    assert.equal(relativeTime(now, now), 'just now');
    assert.equal(relativeTime(now - 90_000, now), '1m ago');
    assert.equal(relativeTime(now + 2 * 3_600_000, now), 'in 2h');
    assert.equal(relativeTime(now - 3 * 86_400_000, now), '3d ago');
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1234), '1.2 KB');
    assert.equal(formatBytes(52_428_800), '50 MB');
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
