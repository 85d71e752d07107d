// The smtp-sender service: its lifecycle shape, and stop closing the delivery pools.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSmtpSender } from './index.ts';
import type { DeliverStage } from './deliver-stage.ts';
import { fakeContext, fakeMail, startMta, testConfig, testLogger } from './test-peers.ts';

test('smtp-sender is the essential egress service serving the deliver stage', async () => {
  const svc = createSmtpSender({ config: testConfig({}), log: testLogger() });
  assert.equal(svc.name, 'smtp-sender');
  assert.equal(svc.kind, 'egress');
  assert.equal(svc.essential, true);
  assert.equal(svc.deactivatable, false);
  assert.equal(svc.mailHandling, true);
  assert.deepEqual(svc.stages?.map((s) => s.name), ['deliver']);
  assert.equal(svc.configured(), true, 'the default routes ("*": mx) count as configured');
  assert.equal(createSmtpSender({ config: testConfig({ routes: {} }), log: testLogger() }).configured(), false);
  await svc.start();
  await svc.stop(new AbortController().signal);
});

test('stopping the service closes the delivery pools; it delivers again after a restart', async () => {
  const mta = await startMta();
  const svc = createSmtpSender({ config: testConfig({ routes: { '*': `smtp://127.0.0.1:${mta.port}` } }), log: testLogger() });
  const stage = svc.stages![0] as DeliverStage;
  try {
    await svc.start();
    const r = await stage.process(fakeMail({ sender: 'a@origin.example.test', recipients: ['b@dest.example.test'] }), fakeContext());
    assert.equal(r.outcome.kind, 'finish');
    assert.equal(stage.transport.openPools, 1);
    await svc.stop(AbortSignal.timeout(5000));
    assert.equal(stage.transport.openPools, 0);
    await svc.start();
    const again = await stage.process(fakeMail({ sender: 'a@origin.example.test', recipients: ['c@dest.example.test'] }), fakeContext());
    assert.equal(again.envelope!.recipients[0].status, 'delivered');
    await svc.stop(AbortSignal.timeout(5000));
  } finally {
    await mta.close();
  }
});
