// BATV tags: a signed return path verifies until its expiry day, a changed address, tag or key
// does not, and the secret is made once in the settings store and survives a reopen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../store/sqlite/open.ts';
import { BATV_SETTING, BatvTags, parsePrvs, unwrapPrvs, type BatvKeys } from './batv.ts';

const DAY = 86_400_000;

test('a signed return path verifies until its expiry day and not after; forged tags and addresses fail', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-batv-'));
  const store = openSqliteStore(dir);
  try {
    let now = Date.UTC(2026, 10, 28, 12);
    const tags = new BatvTags(store.settings, { enabled: true, validDays: 7 }, () => now);
    const signed = await tags.sign('Alice@example.test');
    assert.match(signed, /^prvs=0\d{3}[0-9a-f]{6}=Alice@example\.test$/);
    assert.equal(await tags.sign(signed), signed, 'a signed address is not signed again');
    assert.equal(await tags.sign(''), '', 'the null sender stays null');
    assert.deepEqual(await tags.verify(signed), { state: 'valid', address: 'Alice@example.test' });
    assert.equal((await tags.verify(signed.toLowerCase())).state, 'valid', 'an MTA that lower-cases the address');
    assert.deepEqual(await tags.verify('alice@example.test'), { state: 'none', address: 'alice@example.test' });

    const p = parsePrvs(signed)!;
    const flip = (h: string) => h.slice(0, 5) + (h[5] === '0' ? '1' : '0');
    assert.equal((await tags.verify(`prvs=0${String(p.day).padStart(3, '0')}${flip(p.hash)}=Alice@example.test`)).state, 'forged');
    assert.equal((await tags.verify(signed.replace('Alice@', 'bob@'))).state, 'forged', 'the tag of one address does not fit another');
    assert.equal((await tags.verify(signed.replace(/^prvs=0/, 'prvs=3'))).state, 'forged', 'an unknown key number');
    const otherDay = String((p.day + 1) % 1000).padStart(3, '0');
    assert.equal((await tags.verify(`prvs=0${otherDay}${p.hash}=Alice@example.test`)).state, 'forged', 'the day is signed too');

    now += 7 * DAY;
    assert.equal((await tags.verify(signed)).state, 'valid', 'still good on its expiry day');
    now += DAY;
    assert.equal((await tags.verify(signed)).state, 'expired');
    now += 500 * DAY;
    assert.equal((await tags.verify(signed)).state, 'expired', 'far past: not valid again on the 1000-day wheel before it comes round');

    const keys = await store.settings.get<BatvKeys>(BATV_SETTING);
    assert.equal(keys?.current, 0);
    assert.equal(keys?.secrets['0'].length, 64);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the BATV secret lives in the settings: a new instance (restart, other node) verifies old tags', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-batv-'));
  let store = openSqliteStore(dir);
  try {
    const signed = await new BatvTags(store.settings, { enabled: true, validDays: 3 }).sign('a@example.test');
    await store.close();
    store = openSqliteStore(dir);
    assert.equal((await new BatvTags(store.settings, { enabled: true, validDays: 3 }).verify(signed)).state, 'valid');
    const otherDir = mkdtempSync(join(tmpdir(), 'gh-batv-'));
    const other = openSqliteStore(otherDir);
    try {
      assert.equal((await new BatvTags(other.settings, { enabled: true, validDays: 3 }).verify(signed)).state, 'forged', 'another secret');
    } finally {
      await other.close();
      rmSync(otherDir, { recursive: true, force: true });
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('prvs= addresses unwrap; other addresses stay as they are', () => {
  assert.equal(unwrapPrvs('prvs=1234abcdef=user@example.test'), 'user@example.test');
  assert.equal(unwrapPrvs('PRVS=1234ABCDEF=user@example.test'), 'user@example.test');
  assert.equal(unwrapPrvs('prvs=12=user@example.test'), 'prvs=12=user@example.test');
  assert.equal(unwrapPrvs('user@example.test'), 'user@example.test');
  assert.equal(parsePrvs('prvs=0042a1b2c3=u@d.test')?.day, 42);
});
