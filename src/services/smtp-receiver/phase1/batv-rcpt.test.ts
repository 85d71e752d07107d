// Phase-1 BATV at RCPT: a bounce from outside needs a valid tag (refusal 550 5.7.1); our own side and mail with a sender are not checked, only unwrapped;
// a settings store that cannot be read is a 451, never a pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../../../config/load.ts';
import { SmtpError } from '../../../core/smtp-error.ts';
import { openSqliteStore } from '../../../store/sqlite/open.ts';
import type { SettingsStore } from '../../../store/store.ts';
import { testLogger } from '../../smtp-sender/test-peers.ts';
import { BatvTags } from '../../spamfinder/batv.ts';
import { RecipientPolicy } from '../recipient-policy.ts';
import { Phase1Filters } from './index.ts';

const config = validateConfig({ hostname: 'gate.example.test', domains: ['example.test'], trustedNetworks: ['192.0.2.0/24'], spamfinder: { batv: { enabled: true } } });
const policy = new RecipientPolicy({ domains: config.domains, trustedNetworks: config.trustedNetworks, recipients: [] });
const outside = { clientIp: '198.51.100.7' };

test('BATV at RCPT: valid tag unwrapped, none or forged refused with 550; our side and senders pass', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-batv-rcpt-'));
  const store = openSqliteStore(dir);
  try {
    const batv = new BatvTags(store.settings, config.spamfinder.batv);
    const p1 = new Phase1Filters({ config, policy, log: testLogger(), batv });
    const signed = await batv.sign('a@example.test');
    assert.equal(await p1.recipient(signed, '', outside), 'a@example.test');
    await assert.rejects(p1.recipient('a@example.test', '', outside), (e: SmtpError) => e.responseCode === 550 && e.enhanced === '5.7.1' && /no BATV tag/.test(e.message));
    const forged = signed.replace(/([0-9a-f])=a@/, (_, h: string) => `${h === '0' ? '1' : '0'}=a@`);
    await assert.rejects(p1.recipient(forged, '', outside), /not ours/);
    assert.equal(await p1.recipient('a@example.test', '', { clientIp: '192.0.2.5' }), 'a@example.test', 'our own side is not checked');
    assert.equal(await p1.recipient(forged, 'x@remote.test', outside), 'a@example.test', 'mail with a sender: unwrapped, not checked');
    assert.equal(await p1.recipient('someone@remote.test', '', { clientIp: '192.0.2.5' }), 'someone@remote.test', 'not a local address');
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('BATV at RCPT: a settings store that cannot be read is a 451, never a pass', async () => {
  const gone = () => Promise.reject(new Error('disk gone'));
  const broken: SettingsStore = { get: gone, set: gone, list: gone, delete: gone };
  const p1 = new Phase1Filters({ config, policy, log: testLogger(), batv: new BatvTags(broken, config.spamfinder.batv) });
  await assert.rejects(p1.recipient('prvs=0123abcdef=a@example.test', '', outside), (e: SmtpError) => e.responseCode === 451 && e.enhanced === '4.3.0');
});
