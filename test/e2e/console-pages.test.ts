// The rest of the console in a real headless Chromium (Debian's, driven by playwright-core): an
// admin releases a quarantined mail from the quarantine page and it arrives at the sink; the
// archive, encryption (issue, and import a file), POP3, compliance log (verified), filter lists and API token pages work
// with labelled fields and named buttons; a `user` sees only their own quarantined mail, releases
// it to the sink, keeps their own lists, and cannot open admin pages (nor another user's mail on
// the API). Screenshots of each page go to <tmp>/gatehouse-console-screens (not committed).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium, screenshotDir } from '../helpers/chromium.ts';
import { startGateway, type Gateway } from '../helpers/gateway.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.ts';
import { swaks } from '../helpers/swaks.ts';
import { tempDir, removeTempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';

const SCREENS = screenshotDir();

let sink: SmtpSink;
let dns: DnsServer;
let gw: Gateway;
let profile: string;
let password: string;
let ctx: BrowserContext;

before(async () => {
  sink = await startSmtpSink();
  dns = await startDnsServer({});
  gw = await startGateway({
    config: {
      hostname: 'gate.example.test',
      domains: ['example.test'],
      trustedNetworks: ['192.0.2.0/24'],
      routes: { '*': `smtp://${sink.address}` },
      dns: { servers: [dns.address], timeout: '2s' },
      spamfinder: { lists: { abl: ['*@blocked.test'] } },
      // A mailbox on a closed loopback port: its status shows the failed fetch.
      pop3: { mailboxes: [{ name: 'sales-inbox', host: '127.0.0.1', port: 9, tls: 'none', insecure: true, user: 'sales', password: 'secret', deliverTo: 'sales@example.test', interval: '1h', timeout: '2s' }] },
    },
  });
  password = readFileSync(join(gw.dataDir, 'initial-admin-password'), 'utf8').trim();
  for (const name of ['ursula', 'victor']) {
    const r = await gw.cli(['users', 'add', name, '--role', 'user', '--email', `${name}@example.test`, '--password-stdin'], { input: `pw-of-${name}-123\n` });
    assert.equal(r.code, 0, r.stderr);
  }
  ({ context: ctx, profile } = await launchChromium());
});

after(async () => {
  await ctx?.close();
  if (profile) await removeTempDir(profile);
  await gw?.dispose();
  await sink?.stop();
  await dns?.stop();
});

async function logIn(page: Page, user: string, pw: string): Promise<void> {
  await ctx.clearCookies();
  await page.goto(gw.adminUrl + '/');
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(pw);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

async function send(from: string, to: string, subject: string): Promise<string> {
  const r = await swaks({ server: gw.smtpAddress, from, to, subject, body: 'Hello from the console pages test.\n' });
  assert.equal(r.code, 0, r.stdout);
  return /queued as ([0-9a-z]{20})/.exec(r.stdout)![1];
}
const inQueue = (id: string, queue: string) => waitFor(async () => (await gw.api('GET', `/api/v1/mails/${id}`)).json?.queue === queue, { timeoutMs: 15_000, what: `mail ${id} in ${queue}` });
const atSink = (subject: string) => waitFor(async () => (await sink.messages()).find((m) => (m.subject ?? '').includes(subject)), { timeoutMs: 15_000, what: `"${subject}" at the sink` });
const noSideScroll = async (page: Page) => {
  const { scroll, client } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  assert.ok(scroll <= client, `page is ${scroll}px wide in a ${client}px viewport`);
};

test('an admin releases a quarantined mail from the quarantine page and it arrives at the sink', async () => {
  const id = await send('seller@blocked.test', 'alice@example.test', 'Release me please');
  await send('seller@blocked.test', 'bob@example.test', 'Leave me here');
  await inQueue(id, 'quarantine:spam');
  const page = await ctx.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  await logIn(page, 'admin', password);
  await page.getByRole('link', { name: 'Quarantine' }).click();
  await page.getByRole('heading', { name: 'Quarantine' }).waitFor();
  const row = page.getByRole('row', { name: 'Release me please' });
  await row.getByText('ABL').waitFor();
  await page.getByRole('row', { name: 'Leave me here' }).waitFor();
  await page.screenshot({ path: join(SCREENS, 'quarantine.png'), fullPage: true });

  // Search narrows the list; sorting by sender is a button in the column header.
  await page.getByLabel('Search', { exact: true }).fill('release me');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('row', { name: 'Leave me here' }).waitFor({ state: 'detached' });
  await page.getByRole('button', { name: 'Sender', exact: true }).click();
  assert.equal(await page.getByRole('columnheader', { name: 'Sender' }).getAttribute('aria-sort'), 'descending');

  await row.getByRole('button', { name: 'Deliver' }).click();
  await page.getByRole('status').filter({ hasText: '"Release me please" delivered' }).waitFor();
  await atSink('Release me please');
  await row.waitFor({ state: 'detached' });
  await page.close();
});

test('archive search opens a mail; encryption, POP3, filter lists, tokens and the compliance log (verified) work', async () => {
  await send('partner@remote.test', 'alice@example.test', 'Quarterly figures');
  await atSink('Quarterly figures');
  const page = await ctx.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  await logIn(page, 'admin', password);

  await page.getByRole('link', { name: 'Archive' }).click();
  await page.getByLabel('Search the archive').fill('subject:quarterly');
  await waitFor(async () => {
    await page.getByRole('button', { name: 'Search' }).click();
    return (await page.getByRole('row', { name: 'Quarterly figures' }).count()) > 0;
  }, { timeoutMs: 15_000, what: 'the mail in the archive search' });
  await page.screenshot({ path: join(SCREENS, 'archive.png'), fullPage: true });
  await page.getByRole('row', { name: 'Quarterly figures' }).getByRole('button', { name: 'Quarterly figures' }).click();
  const open = page.getByRole('region', { name: 'Mail Quarterly figures' });
  await open.getByText('Hello from the console pages test.').waitFor();
  await open.getByText('partner@remote.test').first().waitFor();
  await page.screenshot({ path: join(SCREENS, 'archive-mail.png'), fullPage: true });

  await page.getByRole('link', { name: 'Encryption' }).click();
  await page.getByRole('heading', { name: 'Encryption policies' }).waitFor();
  await page.getByLabel('Address', { exact: true }).fill('carol@example.test');
  await page.getByRole('button', { name: 'Issue', exact: true }).click();
  await page.getByRole('row', { name: /carol@example\.test/ }).first().waitFor();
  // Import a partner's certificate made by openssl, through the file field.
  const certDir = await tempDir('gatehouse-console-cert-');
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem'), '-days', '30', '-subj', '/CN=Partner Import/emailAddress=partner@remote.test', '-addext', 'subjectAltName=email:partner@remote.test'], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  await page.getByLabel('Key file').setInputFiles(join(certDir, 'cert.pem'));
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page.getByRole('row', { name: /Partner Import/ }).getByRole('cell', { name: 'partner@remote.test', exact: true }).waitFor();
  await removeTempDir(certDir);
  await page.screenshot({ path: join(SCREENS, 'encryption.png'), fullPage: true });

  await page.getByRole('link', { name: 'POP3' }).click();
  const box = page.getByRole('row', { name: 'sales-inbox' });
  await box.getByText('sales@example.test').waitFor();
  await box.getByRole('button', { name: 'Fetch now' }).click();
  await page.getByRole('status').filter({ hasText: 'sales-inbox:' }).waitFor();
  await box.locator('td.error').waitFor();
  await page.screenshot({ path: join(SCREENS, 'pop3.png'), fullPage: true });

  await page.getByRole('link', { name: 'Filter lists' }).click();
  await page.getByLabel('List', { exact: true }).selectOption('dbl');
  await page.getByLabel('Value').fill('Junk.example');
  await page.getByLabel('Comment').fill('from the console test');
  await page.getByRole('button', { name: 'Add entry' }).click();
  await page.getByRole('row', { name: 'junk.example' }).waitFor();
  assert.ok((await gw.api('GET', '/api/v1/spamfinder/lists?list=dbl')).json.entries.some((e: { value: string }) => e.value === 'junk.example'));
  await page.screenshot({ path: join(SCREENS, 'filter-lists.png'), fullPage: true });
  await page.getByRole('row', { name: 'junk.example' }).getByRole('button', { name: 'Remove' }).click();
  await page.getByRole('row', { name: 'junk.example' }).waitFor({ state: 'detached' });

  await page.getByRole('link', { name: 'API tokens' }).click();
  await page.getByLabel('Token name').fill('backup-script');
  await page.getByLabel('Role').selectOption('auditor');
  await page.getByRole('button', { name: 'Create token' }).click();
  const token = (await page.locator('[data-token="backup-script"]').textContent())!.trim();
  assert.equal((await gw.api('GET', '/api/v1/compliance?limit=1', undefined, { token })).status, 200, 'the token shown works');
  await page.getByRole('row', { name: 'backup-script' }).getByText('auditor').waitFor();
  await page.screenshot({ path: join(SCREENS, 'tokens.png'), fullPage: true });

  await page.getByRole('link', { name: 'Compliance log' }).click();
  await page.getByRole('row', { name: 'token.create by admin' }).waitFor();
  await page.getByRole('button', { name: 'Verify the chain' }).click();
  await page.getByRole('region', { name: 'Verification result' }).getByText('The chain is intact').waitFor();
  await page.screenshot({ path: join(SCREENS, 'compliance.png'), fullPage: true });
  await page.close();
});

test('a user sees only their own quarantined mail, releases it to the sink, keeps own lists, and cannot open admin pages', async () => {
  const mine = await send('promo@blocked.test', 'ursula@example.test', 'Ursula offer');
  const theirs = await send('promo@blocked.test', 'victor@example.test', 'Victor offer');
  await inQueue(mine, 'quarantine:spam');
  await inQueue(theirs, 'quarantine:spam');
  const page = await ctx.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  await logIn(page, 'ursula', 'pw-of-ursula-123');
  await page.getByRole('heading', { name: 'My quarantine' }).waitFor();
  const nav = page.getByRole('navigation', { name: 'Main' });
  for (const admin of ['Services', 'Queues', 'Quarantine', 'Users', 'Archive', 'Compliance log']) assert.equal(await nav.getByRole('link', { name: admin, exact: true }).count(), 0, `no ${admin} link`);
  await page.getByRole('row', { name: 'Ursula offer' }).waitFor();
  assert.equal(await page.getByRole('row', { name: 'Victor offer' }).count(), 0, "victor's mail is not shown");
  await page.screenshot({ path: join(SCREENS, 'my-quarantine.png'), fullPage: true });

  // Admin pages typed into the address bar are refused, and the API refuses them too.
  for (const path of ['/services', '/users', '/quarantine']) {
    await page.goto(gw.adminUrl + path);
    await page.getByRole('alert').filter({ hasText: 'is not open to the role user' }).waitFor();
  }
  // With the browser's own session cookie (a string, so the bundler adds no helpers to it).
  const api = await page.evaluate(`Promise.all(['/api/v1/services', '/api/v1/quarantine', '/api/v1/me/quarantine/${theirs}', '/api/v1/mails/${theirs}'].map(async (p) => (await fetch(p, { credentials: 'same-origin' })).status)).then(([services, quarantine, victors, mail]) => ({ services, quarantine, victors, mail }))`);
  assert.deepEqual(api, { services: 403, quarantine: 403, victors: 404, mail: 403 });

  await page.getByRole('link', { name: 'My quarantine' }).click();
  await page.getByRole('row', { name: 'Ursula offer' }).getByRole('button', { name: 'Allow sender' }).click();
  await page.getByRole('status').filter({ hasText: 'delivered and its sender allow-listed' }).waitFor();
  await atSink('Ursula offer');
  assert.equal((await gw.api('GET', `/api/v1/mails/${theirs}`)).json.queue, 'quarantine:spam', "victor's mail stays");

  await page.getByRole('link', { name: 'My lists' }).click();
  await page.getByRole('row', { name: 'promo@blocked.test' }).waitFor();
  await page.getByLabel('List', { exact: true }).selectOption('dbl');
  await page.getByLabel('Value').fill('annoying.test');
  await page.getByRole('button', { name: 'Add entry' }).click();
  await page.getByRole('row', { name: 'annoying.test' }).waitFor();
  await page.screenshot({ path: join(SCREENS, 'my-lists.png'), fullPage: true });

  // Own archive: offered exactly when the archive API answers a user (user scoping is the
  // archive's to give); then a search shows her released mail and not alice's.
  const archiveOpen = (await page.evaluate(`fetch('/api/v1/archive/search?q=', { credentials: 'same-origin' }).then((r) => r.status)`)) === 200;
  await page.reload();
  // The console asks the API once after login and marks the answer on the navigation.
  await page.locator(`nav[data-archive-open="${archiveOpen}"]`).waitFor();
  assert.equal(await page.getByRole('link', { name: 'My archive' }).count(), archiveOpen ? 1 : 0);
  if (archiveOpen) {
    await page.getByRole('link', { name: 'My archive' }).click();
    await waitFor(async () => {
      await page.getByRole('button', { name: 'Search' }).click();
      return (await page.getByRole('row', { name: 'Ursula offer' }).count()) > 0;
    }, { timeoutMs: 15_000, what: 'her released mail in her archive' });
    assert.equal(await page.getByRole('row', { name: 'Quarterly figures' }).count(), 0, "alice's mail is not in ursula's archive");
    await page.screenshot({ path: join(SCREENS, 'my-archive.png'), fullPage: true });
  }

  // Narrow screen: the own quarantine has no sideways scroll and is usable from the keyboard.
  await send('promo@blocked.test', 'ursula@example.test', 'Second offer');
  await page.setViewportSize({ width: 360, height: 740 });
  await page.getByRole('link', { name: 'My quarantine' }).click();
  await page.getByRole('row', { name: 'Second offer' }).waitFor({ timeout: 15_000 });
  await noSideScroll(page);
  await page.screenshot({ path: join(SCREENS, 'my-quarantine-narrow.png'), fullPage: true });
  await page.getByRole('row', { name: 'Second offer' }).getByRole('button', { name: 'Deliver' }).focus();
  await page.keyboard.press('Enter');
  await atSink('Second offer');
  await page.close();
});

test('the admin pages have no sideways scroll on a narrow screen', async () => {
  const page = await ctx.newPage();
  await page.setViewportSize({ width: 360, height: 740 });
  await logIn(page, 'admin', password);
  for (const [path, heading] of [['/quarantine', 'Quarantine'], ['/encryption', 'Encryption'], ['/pop3', 'POP3 mailboxes'], ['/compliance', 'Compliance log'], ['/filter-lists', 'Filter lists'], ['/tokens', 'API tokens']]) {
    await page.goto(gw.adminUrl + path);
    await page.getByRole('heading', { name: heading, exact: true }).waitFor();
    await page.locator('tbody tr').first().waitFor({ timeout: 5000 }).catch(() => undefined);
    await noSideScroll(page);
    await page.screenshot({ path: join(SCREENS, `${path.slice(1)}-narrow.png`), fullPage: false });
  }
  await page.close();
});
