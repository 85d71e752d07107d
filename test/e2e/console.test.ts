// The web console in a real headless Chromium (Debian's, driven by playwright-core): the first
// admin logs in with the labelled fields, stops spamfinder from its card and sees it stopped,
// sends a mail with swaks and watches the spamfinder queue grow on the queues page, starts the
// service again and watches the queue drain and the mail reach the sink; the services page has
// no horizontal overflow on a phone-sized screen. Screenshots go to screenshotDir().
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium, screenshotDir } from '../helpers/chromium.ts';
import { startGateway, type Gateway } from '../helpers/gateway.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.ts';
import { swaks } from '../helpers/swaks.ts';
import { removeTempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';

const SCREENS = screenshotDir();

let sink: SmtpSink;
let dns: DnsServer;
let gw: Gateway;
let profile: string;
let password: string;

before(async () => {
  sink = await startSmtpSink();
  dns = await startDnsServer({});
  gw = await startGateway({
    config: {
      hostname: 'gate.example.test',
      domains: ['example.test'],
      trustedNetworks: ['192.0.2.0/24'],
      routes: { 'example.test': `smtp://${sink.address}` },
      dns: { servers: [dns.address], timeout: '2s' },
    },
  });
  password = readFileSync(join(gw.dataDir, 'initial-admin-password'), 'utf8').trim();
  ({ context: ctx, profile } = await launchChromium());
});

let ctx: BrowserContext;

after(async () => {
  await ctx?.close();
  await removeTempDir(profile);
  await gw?.dispose();
  await sink?.stop();
  await dns?.stop();
});

async function loggedIn(page: Page): Promise<void> {
  await ctx.clearCookies();
  await page.goto(gw.adminUrl + '/');
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

test('log in, stop spamfinder from the console, watch mail wait in its queue, start it and see the queue drain', async () => {
  const page = await ctx.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  await loggedIn(page);
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  await page.getByRole('listitem', { name: 'spamfinder' }).getByText('running').waitFor();
  await page.screenshot({ path: join(SCREENS, 'dashboard.png'), fullPage: true });

  await page.getByRole('link', { name: 'Services' }).click();
  const card = page.getByRole('article', { name: 'spamfinder', exact: true });
  await card.getByText('running', { exact: true }).waitFor();
  await page.screenshot({ path: join(SCREENS, 'services.png'), fullPage: true });

  await card.getByRole('button', { name: 'Stop', exact: true }).click();
  // Stopped within a second of the click (the console refreshes every second and after each action).
  await card.locator('[data-state="stopped"]').waitFor({ timeout: 1000 });
  assert.equal((await gw.api('GET', '/api/v1/services/spamfinder')).json.state, 'stopped');
  assert.equal(await card.getByRole('button', { name: 'Start', exact: true }).isEnabled(), true);

  await page.getByRole('link', { name: 'Queues' }).click();
  const count = page.locator('[data-queue-count="spamfinder"]');
  await count.waitFor();
  const before = Number(await count.textContent());
  for (let i = 0; i < 2; i++) {
    const r = await swaks({ server: gw.smtpAddress, from: 'sender@remote.test', to: 'alice@example.test', subject: `console ${i}`, body: 'Hello from the console test.\n' });
    assert.equal(r.code, 0, r.stdout + r.stderr);
  }
  await waitFor(async () => Number(await count.textContent()) >= before + 2, { what: 'the spamfinder queue to grow on the queues page' });
  await page.getByRole('button', { name: 'spamfinder' }).click();
  await page.getByRole('heading', { name: 'Mail in spamfinder' }).waitFor();
  await page.getByRole('listitem').filter({ hasText: 'sender@remote.test' }).first().waitFor();
  await page.screenshot({ path: join(SCREENS, 'queues.png'), fullPage: true });

  await page.getByRole('link', { name: 'Services' }).click();
  await card.getByRole('button', { name: 'Start', exact: true }).click();
  await card.locator('[data-state="running"]').waitFor({ timeout: 5000 });

  await page.getByRole('link', { name: 'Queues' }).click();
  await waitFor(async () => (await count.textContent()) === '0', { what: 'the spamfinder queue to drain on the queues page' });
  await waitFor(async () => (await sink.messages()).filter((m) => /console \d/.test(m.raw)).length >= 2, { what: 'both mails at the sink' });
  await page.close();
});

test('the services page has no horizontal overflow on a narrow screen and works from the keyboard', async () => {
  const page = await ctx.newPage();
  await page.setViewportSize({ width: 360, height: 740 });
  await loggedIn(page);
  await page.goto(gw.adminUrl + '/services');
  await page.getByRole('article', { name: 'smtp-receiver', exact: true }).waitFor();
  const { scroll, client } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  assert.ok(scroll <= client, `page is ${scroll}px wide in a ${client}px viewport`);
  await page.screenshot({ path: join(SCREENS, 'services-narrow.png'), fullPage: true });

  // Keyboard: Tab reaches the navigation links and Enter follows one.
  await page.keyboard.press('Tab');
  let reached = false;
  for (let i = 0; i < 20 && !reached; i++) {
    reached = (await page.evaluate(() => document.activeElement?.textContent)) === 'Logs';
    if (!reached) await page.keyboard.press('Tab');
  }
  assert.ok(reached, 'the Logs link is reachable with Tab');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Logs' }).waitFor();
  await page.getByRole('cell', { name: 'info' }).first().waitFor();
  await page.screenshot({ path: join(SCREENS, 'logs-narrow.png'), fullPage: false });
  await page.close();
});

test('an admin adds a helpdesk user on the users page, who then sees no users page and cannot stop a service', async () => {
  const page = await ctx.newPage();
  await loggedIn(page);
  await page.getByRole('link', { name: 'Users' }).click();
  await page.getByRole('row', { name: 'admin' }).waitFor();
  await page.getByLabel('Name', { exact: true }).fill('harry');
  await page.getByLabel('Role').selectOption('helpdesk');
  await page.getByLabel('E-mail').fill('harry@example.test');
  await page.getByLabel('New password').fill('harrys-password');
  await page.getByRole('button', { name: 'Add user' }).click();
  await page.getByRole('row', { name: 'harry' }).getByText('helpdesk').waitFor();

  await ctx.clearCookies();
  await page.goto(gw.adminUrl + '/');
  await page.getByLabel('Username').fill('harry');
  await page.getByLabel('Password').fill('harrys-password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Users' }).count(), 0);
  await page.getByRole('link', { name: 'Services' }).click();
  const card = page.getByRole('article', { name: 'smtp-sender', exact: true });
  await card.getByRole('button', { name: 'Stop', exact: true }).click();
  await page.getByRole('alert').filter({ hasText: 'may not' }).waitFor();
  assert.equal((await gw.api('GET', '/api/v1/services/smtp-sender')).json.state, 'running');
  await page.close();
});
