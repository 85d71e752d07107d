// `gatehouse portal list|delete|reset-password` against a started gateway: swaks sends an outgoing
// mail a portal policy covers, smtp-sink catches the notification, the test sets the recipient's
// password over HTTP; then the CLI (the real binary) lists the mail, forgets the password and
// deletes the mail, after which the link no longer opens it. Unknown ids fail with PORTAL_NOT_FOUND.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Gateway } from '../helpers/gateway.ts';
import { PORTAL_TRUSTED, startPortalGateway, stopPortalGateway } from '../helpers/portal-gateway.ts';
import type { SmtpSink } from '../helpers/smtp-sink.ts';
import { swaks } from '../helpers/swaks.ts';
import { waitFor } from '../helpers/wait.ts';

const TRUSTED = PORTAL_TRUSTED;
const PASSWORD = 'a long portal password';

let sink: SmtpSink;
let gw: Gateway;
let portalUrl: string;

before(async () => {
  ({ gw, sink, portalUrl } = await startPortalGateway());
});

after(() => stopPortalGateway({ gw, sink }));

const mail = (to: string, subject: string) =>
  ['From: Alice <alice@example.test>', `To: <${to}>`, `Subject: ${subject}`, 'Message-ID: <cli-1@example.test>', '', 'The board minutes, for your eyes only.', ''].join('\r\n');

test('portal list, reset-password and delete through the CLI', async () => {
  const sent = await swaks({ server: gw.smtpAddress, from: 'alice@example.test', to: 'carol@partner.test', data: mail('carol@partner.test', 'Board minutes'), extraArgs: ['--local-interface', TRUSTED] });
  assert.equal(sent.code, 0, sent.stdout);
  const notification = await waitFor(async () => (await sink.messages()).find((m) => m.recipients.includes('carol@partner.test') && /^Encrypted message from/.test(m.subject ?? '')), { timeoutMs: 20_000, what: 'the portal notification' });
  const link = /(http:\/\/127\.0\.0\.1:\d+\/portal\/open\?t=\S+)/.exec((await notification.parse()).text ?? '')![1];

  const listed = await gw.cli(['portal', 'list', '--json']);
  assert.equal(listed.code, 0, listed.stderr);
  const messages = JSON.parse(listed.stdout) as { id: string; recipient: string; sender: string; subject: string; state: string }[];
  assert.equal(messages.length, 1);
  const [m] = messages;
  assert.deepEqual({ recipient: m.recipient, sender: m.sender, subject: m.subject, state: m.state }, { recipient: 'carol@partner.test', sender: 'alice@example.test', subject: 'Board minutes', state: 'waiting' });
  assert.doesNotMatch(listed.stdout, /board minutes, for your eyes only/i, 'the listing never shows content');

  // Carol sets her password: the mail is opened and she now has a portal account.
  const t = new URL(link).searchParams.get('t')!;
  const opened = await fetch(`${portalUrl}/portal/open`, { method: 'POST', body: new URLSearchParams({ t, password: PASSWORD, confirm: PASSWORD }), redirect: 'manual' });
  assert.equal(opened.status, 303);

  const table = await gw.cli(['portal', 'list', '--recipient', 'carol@partner.test']);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^ID\s+STATE\s+RECIPIENT\s+SENDER\s+SIZE\s+CREATED\s+EXPIRES\s+PASSWORD\s+REPLIES\s+SUBJECT$/m);
  assert.match(table.stdout, new RegExp(`^${m.id}\\s+opened\\s+carol@partner\\.test\\s+alice@example\\.test\\s+.*\\s+recipient\\s+0\\s+Board minutes$`, 'm'));
  assert.equal((await gw.cli(['portal', 'list', '--recipient', 'nobody@partner.test'])).stdout, 'no mails in the encryption portal\n');

  const reset = await gw.cli(['portal', 'reset-password', 'Carol@Partner.test']);
  assert.equal(reset.code, 0, reset.stderr);
  assert.match(reset.stdout, /^portal password of carol@partner\.test forgotten/);
  const again = await gw.cli(['portal', 'reset-password', 'carol@partner.test']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /\(PORTAL_NOT_FOUND\)\n$/);

  const deleted = await gw.cli(['portal', 'delete', m.id]);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.equal(deleted.stdout, `deleted ${m.id} from the encryption portal\n`);
  assert.equal((await gw.cli(['portal', 'list'])).stdout, 'no mails in the encryption portal\n');
  const gone = await fetch(link);
  assert.notEqual(gone.status, 200, 'the link no longer opens the deleted mail');
  assert.match(await gone.text(), /no longer available/i);

  const unknown = await gw.cli(['portal', 'delete', m.id]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /\(PORTAL_NOT_FOUND\)\n$/);

  const compliance = await gw.api('GET', '/api/v1/compliance?limit=50');
  const actions = JSON.stringify(compliance.json);
  assert.match(actions, /portal\.delete/);
  assert.match(actions, /portal\.reset-password/);
});
