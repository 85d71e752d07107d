// Who sees what of the archive, tested on the API itself with console logins: a user sees only
// mail their address is in (From/To/Cc or envelope) — search, show, raw, export; an auditor sees
// nothing without an audit grant, and with one only what its query and window allow, until it is
// revoked; every search, view and export of the session (a refused view too) is in the
// compliance log with the grant. Mail comes in over SMTP (swaks), smtp-sink is the next hop.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type Gateway } from '../helpers/gateway.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { swaks } from '../helpers/swaks.ts';
import { waitFor } from '../helpers/wait.ts';

let sink: SmtpSink;
let gw: Gateway;
const PASSWORD = 'a long enough password';

const MAILS = [
  { key: 'budget', from: 'alice@outside.test', to: 'bob@example.test', subject: 'Budget review for Bob', date: 'Fri, 10 Jan 2025 09:00:00 +0000' },
  { key: 'board', from: 'carol@outside.test', to: 'dave@example.test', subject: 'Board minutes', date: 'Mon, 10 Feb 2025 09:00:00 +0000' },
  { key: 'draft', from: 'erin@outside.test', to: 'dave@example.test', subject: 'Budget draft', date: 'Mon, 10 Mar 2025 09:00:00 +0000' },
  { key: 'cc', from: 'frank@outside.test', to: 'dave@example.test', cc: 'Bob <Bob@Example.Test>', subject: 'Copy for the team', date: 'Tue, 11 Feb 2025 09:00:00 +0000' },
];
const ids: Record<string, string> = {};

interface Login {
  cookie: string;
  csrf: string;
}

async function login(username: string): Promise<Login> {
  const r = await gw.api('POST', '/api/v1/session', { username, password: PASSWORD }, { token: null });
  assert.equal(r.status, 200, r.text);
  return { cookie: (r.headers.get('set-cookie') ?? '').split(';')[0], csrf: r.json.csrfToken };
}

const as = (s: Login, method: string, path: string, body?: unknown) => gw.api(method, path, body, { token: null, headers: { cookie: s.cookie, 'x-csrf-token': s.csrf } });

async function searchAs(s: Login, q = ''): Promise<string[]> {
  const r = await as(s, 'GET', `/api/v1/archive/search?q=${encodeURIComponent(q)}`);
  assert.equal(r.status, 200, r.text);
  return r.json.messages.map((m: { id: string }) => m.id).sort();
}

const idsOf = (...keys: string[]) => keys.map((k) => ids[k]).sort();

before(async () => {
  sink = await startSmtpSink();
  gw = await startGateway({ config: { hostname: 'gate.example.test', domains: ['example.test'], routes: { 'example.test': `smtp://${sink.address}` } } });
  await waitFor(async () => (await gw.api('GET', '/api/v1/services/smtp-receiver')).json?.state === 'running', { what: 'smtp-receiver running' });
  for (const [name, role, email] of [
    ['ursula', 'user', 'bob@example.test'],
    ['noel', 'user', undefined],
    ['audrey', 'auditor', 'audrey@example.test'],
  ]) {
    const r = await gw.api('POST', '/api/v1/users', { name, role, password: PASSWORD, ...(email ? { email } : {}) });
    assert.equal(r.status, 201, r.text);
  }
  for (const m of MAILS) {
    const data = [`From: ${m.from}`, `To: ${m.to}`, ...(m.cc ? [`Cc: ${m.cc}`] : []), `Subject: ${m.subject}`, `Date: ${m.date}`, '', `About: ${m.key}.`, ''].join('\r\n');
    const r = await swaks({ server: gw.smtpAddress, from: m.from, to: m.to, data });
    assert.equal(r.code, 0, r.stdout);
  }
  await waitFor(async () => ((await gw.api('GET', '/api/v1/archive/search')).json?.total === MAILS.length ? true : undefined), { what: 'every mail archived' });
  for (const m of MAILS) ids[m.key] = (await gw.api('GET', `/api/v1/archive/search?q=${encodeURIComponent(`subject:"${m.subject}"`)}`)).json.messages[0].id;
});

after(async () => {
  await gw?.dispose();
  await sink?.stop();
});

test('a user sees only mail their address is in: search, show, raw and export', async () => {
  const ursula = await login('ursula');
  assert.deepEqual(await searchAs(ursula), idsOf('budget', 'cc'), 'To: and Cc: (any case), not the others');
  assert.deepEqual(await searchAs(ursula, 'board'), []);
  assert.deepEqual(await searchAs(ursula, 'subject:budget'), idsOf('budget'));
  assert.equal((await as(ursula, 'GET', `/api/v1/archive/${ids.budget}`)).status, 200);
  assert.equal((await as(ursula, 'GET', `/api/v1/archive/${ids.cc}/raw`)).status, 200);
  for (const path of [`/api/v1/archive/${ids.board}`, `/api/v1/archive/${ids.draft}/raw`]) {
    const r = await as(ursula, 'GET', path);
    assert.equal(r.status, 404, path);
    assert.equal(r.json.code, 'ARCHIVE_NOT_FOUND', 'as if it were not there');
  }
  const exp = await as(ursula, 'GET', '/api/v1/archive/export?format=mbox');
  assert.equal(exp.status, 200);
  assert.equal(exp.headers.get('x-gatehouse-messages'), '2');
  assert.ok(!exp.text.includes('Board minutes') && exp.text.includes('Budget review for Bob'));
  // Nothing else of the archive: holds, imports, verify, redelivery, expiry.
  for (const [method, path] of [
    ['GET', '/api/v1/archive/holds'],
    ['GET', '/api/v1/archive/imports'],
    ['POST', '/api/v1/archive/verify'],
    ['POST', `/api/v1/archive/${ids.budget}/redeliver`],
    ['POST', '/api/v1/archive/expire'],
    ['GET', '/api/v1/audit/grants'],
  ]) {
    assert.equal((await as(ursula, method, path, method === 'POST' ? {} : undefined)).status, 403, `${method} ${path}`);
  }
  const noel = await login('noel');
  assert.deepEqual(await searchAs(noel), [], 'a user without an address sees nothing');
  const log = (await gw.api('GET', '/api/v1/compliance?category=archive')).json.records;
  assert.ok(log.some((r: { actor: string; action: string; detail: { scope?: string } }) => r.actor === 'ursula' && r.action === 'archive.search' && r.detail.scope === 'own'));
});

test('an auditor sees nothing without a grant, only the grant\'s scope with one, and nothing once it is revoked', async () => {
  const audrey = await login('audrey');
  assert.deepEqual(await searchAs(audrey), []);
  assert.equal((await as(audrey, 'GET', `/api/v1/archive/${ids.budget}`)).status, 404);

  const grant = await gw.cli(['audit', 'grant', 'audrey', 'budget', '--from', '2025-01-01', '--until', '2025-02-28', '--for', '1h']);
  assert.equal(grant.code, 0, grant.stderr);
  const grantId = /grant (G[0-9A-F]+):/.exec(grant.stdout)?.[1];
  assert.ok(grantId, grant.stdout);
  const refused = await gw.api('POST', '/api/v1/audit/grants', { auditor: 'ursula', from: 0, until: 1, expiresAt: Date.now() + 60_000 });
  assert.equal(refused.status, 400);
  assert.equal(refused.json.code, 'AUDIT_GRANT_INVALID', 'only auditors get grants');

  // "budget" within January–February: the January review, not the March draft nor the board minutes.
  assert.deepEqual(await searchAs(audrey), idsOf('budget'));
  assert.deepEqual(await searchAs(audrey, 'board'), []);
  assert.deepEqual(await searchAs(audrey, 'after:2025-03-01'), [], 'the window is not widened by the query');
  assert.equal((await as(audrey, 'GET', `/api/v1/archive/${ids.budget}`)).status, 200);
  assert.equal((await as(audrey, 'GET', `/api/v1/archive/${ids.draft}`)).status, 404);
  const exp = await as(audrey, 'GET', '/api/v1/archive/export?format=zip');
  assert.equal(exp.headers.get('x-gatehouse-messages'), '1');
  const mine = await as(audrey, 'GET', '/api/v1/audit/grants');
  assert.deepEqual(mine.json.grants.map((g: { id: string }) => g.id), [grantId]);
  assert.equal((await as(audrey, 'POST', '/api/v1/audit/grants', { auditor: 'audrey', from: 0, until: 1, expiresAt: Date.now() + 60_000 })).status, 403);

  const log = (await gw.api('GET', '/api/v1/compliance?limit=200')).json.records.filter((r: { actor: string }) => r.actor === 'audrey');
  const seen = log.map((r: { action: string; subject: string; detail: { grant?: string; denied?: string } }) => [r.action, r.subject === ids.draft ? 'draft' : r.subject, r.detail?.grant ?? null, r.detail?.denied ?? null]);
  assert.deepEqual(seen.slice(0, 6).reverse(), [
    ['archive.search', '', grantId, null],
    ['archive.search', 'board', grantId, null],
    ['archive.search', 'after:2025-03-01', grantId, null],
    ['archive.view', ids.budget, grantId, null],
    ['archive.view', 'draft', grantId, 'out of scope'],
    ['archive.export', '', grantId, null],
  ]);
  const grantRecord = (await gw.api('GET', '/api/v1/compliance?category=archive')).json.records.find((r: { action: string }) => r.action === 'audit.grant');
  assert.equal(grantRecord.subject, grantId);
  assert.equal(grantRecord.detail.auditor, 'audrey');

  const list = await gw.cli(['audit', 'list']);
  assert.match(list.stdout, new RegExp(`${grantId}\\s+audrey\\s+budget\\s+2025-01-01\\.\\.2025-02-28`));
  const revoke = await gw.cli(['audit', 'revoke', grantId!]);
  assert.equal(revoke.code, 0, revoke.stderr);
  assert.deepEqual(await searchAs(audrey), [], 'revoked: nothing again');
  assert.equal((await as(audrey, 'GET', `/api/v1/archive/${ids.budget}`)).status, 404);
});
