// The clamd client against a real clamd (started with one test signature): clean and infected
// streams, a stream larger than one chunk, and clamd gone = an error, never "clean".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { startClamd, ndbSignature, type Clamd } from '../../../test/helpers/clamd.ts';
import { freePort } from '../../../test/helpers/ports.ts';
import { clamdPing, clamdScan, clamdVersion, ClamdError } from './clamd-client.ts';

const SIG = 'GATEHOUSE-UNIT-TEST-SIGNATURE-41d2';
let clamd: Clamd;

before(async () => {
  clamd = await startClamd({ 'unit.ndb': ndbSignature('Gatehouse.Unit.Test', SIG) });
});
after(async () => {
  await clamd?.dispose();
});

test('clamd answers PING and VERSION', async () => {
  assert.equal(await clamdPing(clamd.address, 2000), true);
  assert.match(await clamdVersion(clamd.address, 2000), /^ClamAV \d/);
});

test('INSTREAM: clean, infected, and infected past the first 64 KiB chunk', async () => {
  assert.deepEqual(await clamdScan(clamd.address, Readable.from([Buffer.from('Subject: hi\r\n\r\nnothing here\r\n')]), 5000), { infected: false });
  assert.deepEqual(await clamdScan(clamd.address, Readable.from([Buffer.from(`Subject: hi\r\n\r\n${SIG}\r\n`)]), 5000), { infected: true, signature: 'Gatehouse.Unit.Test.UNOFFICIAL' });
  const big = Buffer.concat([Buffer.alloc(300 * 1024, 'x'), Buffer.from(SIG)]);
  const r = await clamdScan(clamd.address, Readable.from([big.subarray(0, 100_000), big.subarray(100_000)]), 5000);
  assert.equal(r.infected, true);
});

test('no clamd listening: a ClamdError, not a clean result', async () => {
  const port = await freePort();
  await assert.rejects(clamdScan(`127.0.0.1:${port}`, Readable.from([Buffer.from('x')]), 2000), ClamdError);
  assert.equal(await clamdPing(`127.0.0.1:${port}`, 1000), false);
});
