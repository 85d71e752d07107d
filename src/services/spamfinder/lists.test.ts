// Allow and block list matching: addresses (exact, wildcard), domains with subdomains, networks,
// subjects; config entries plus store entries; order AWL → DWL → NWL → SWL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../store/sqlite/open.ts';
import { listsSchema } from './config.ts';
import { FilterLists, normaliseListValue } from './lists.ts';

test('filter lists match addresses, domains, networks and subjects from config and store', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-lists-'));
  const store = openSqliteStore(dir);
  try {
    const cfg = listsSchema.parse({ awl: ['boss@partner.test'], dbl: ['spam.test'], nbl: ['203.0.113.0/24'], sbl: ['viagra', 'win * now'] });
    const lists = new FilterLists(cfg, store.spam);
    const s = (senders: string[], subject = 'hello', clientIp = '198.51.100.1') => ({ senders, subject, clientIp });

    assert.deepEqual(await lists.allowed(s(['boss@partner.test'])), { list: 'awl', value: 'boss@partner.test', matched: 'boss@partner.test' });
    assert.equal(await lists.allowed(s(['other@partner.test'])), null);
    assert.equal((await lists.blocked(s(['a@mail.spam.test'])))?.list, 'dbl', 'subdomains of a DBL domain');
    assert.equal(await lists.blocked(s(['a@notspam.test'])), null, 'a suffix is not a subdomain');
    assert.equal((await lists.blocked(s(['a@x.test'], 'hi', '203.0.113.77')))?.list, 'nbl');
    assert.equal((await lists.blocked(s(['a@x.test'], 'Cheap VIAGRA')))?.value, 'viagra');
    assert.equal((await lists.blocked(s(['a@x.test'], 'win a car now')))?.value, 'win * now');
    assert.equal(await lists.blocked(s(['a@x.test'], 'hello there')), null);

    await store.spam.addListEntry({ list: 'abl', value: '*@bulk.test', createdBy: 'test' });
    assert.equal(await lists.blocked(s(['news@bulk.test'])), null, 'cached until invalidated');
    lists.invalidate();
    assert.deepEqual(await lists.blocked(s(['news@bulk.test'])), { list: 'abl', value: '*@bulk.test', matched: 'news@bulk.test' });
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('list values are checked before they are stored', () => {
  assert.deepEqual(normaliseListValue('awl', ' Boss@Partner.TEST '), { value: 'boss@partner.test' });
  assert.ok('error' in normaliseListValue('awl', 'partner.test'));
  assert.ok('error' in normaliseListValue('nbl', '300.1.1.1/8'));
  assert.ok('error' in normaliseListValue('dbl', 'bad domain'));
  assert.deepEqual(normaliseListValue('sbl', 'Free Money'), { value: 'free money' });
});
