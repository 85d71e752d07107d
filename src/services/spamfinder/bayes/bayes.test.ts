// The Bayes classifier: chi-square combining, tokenising of real MIME mail, learning through the
// SQLite store (a mail learned twice counts once, relearning moves it), and the bounded table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../../store/sqlite/open.ts';
import { bayesSchema } from '../config.ts';
import { BayesFilter } from './bayes-filter.ts';
import { chi2Q, classify } from './classifier.ts';
import { hashToken, mailTokens } from './tokens.ts';
import { WITH_BAYES } from '../rules/weights.ts';

test('chi2Q: known values and bounds', () => {
  assert.equal(chi2Q(0, 2), 1);
  assert.ok(Math.abs(chi2Q(2, 2) - Math.exp(-1)) < 1e-12);
  assert.ok(chi2Q(100, 4) < 1e-15);
});

test('classify: strong spam tokens give a high score, strong ham tokens a low one, none gives 0.5', () => {
  const totals = { spam: 100, ham: 100 };
  const counts = new Map([
    [1, { spam: 90, ham: 1 }],
    [2, { spam: 80, ham: 2 }],
    [3, { spam: 1, ham: 95 }],
    [4, { spam: 2, ham: 70 }],
  ]);
  assert.ok(classify([1, 2], counts, totals).score > 0.95);
  assert.ok(classify([3, 4], counts, totals).score < 0.05);
  assert.equal(classify([9], counts, totals).score, 0.5);
  const mixed = classify([1, 2, 3, 4], counts, totals);
  assert.ok(mixed.score > 0.2 && mixed.score < 0.8, 'evidence both ways is unsure');
  assert.equal(mixed.used, 4);
});

test('mailTokens reads MIME: decoded subject and text, HTML, URL hosts, sender domain', async () => {
  const raw = Buffer.from(
    [
      'From: "Prize Desk" <win@lucky.example>',
      'To: a@example.test',
      'Subject: =?utf-8?B?R3JlYXQgT2ZmZXI=?=',
      'MIME-Version: 1.0',
      'Content-Type: multipart/alternative; boundary=b1',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'Visit http://www.cheap-deals.example/now for a fr=C3=BCh offer',
      '--b1',
      'Content-Type: text/html',
      '',
      '<html><body><font color=red>Claim</font> <a href="http://claim.example/x">here</a></body></html>',
      '--b1--',
      '',
    ].join('\r\n'),
  );
  const t = await mailTokens(raw);
  for (const w of ['s:great', 's:offer', 'from:lucky.example', 'fromname:prize', 'url:cheap-deals.example', 'url:claim.example', 'visit', 'früh', 'ctype:text/html', 's:(encoded)', 'date:(none)']) {
    assert.ok(t.words.includes(w), `${w} in ${t.words.join(' ')}`);
  }
  assert.ok(!t.words.includes('html:<font'), 'formatting is no evidence: HTML newsletters are ham too');
  assert.equal(t.subject, 'Great Offer');
  assert.equal(t.from, 'win@lucky.example');
  assert.deepEqual(t.hashes, t.words.map(hashToken));
  assert.equal(hashToken('abc'), hashToken('abc'));
  assert.ok(Number.isSafeInteger(hashToken('abc')));
});

test('header consistency tokens: Message-ID, Reply-To and Return-Path against the From site, Date shape, recipients', async () => {
  const t = await mailTokens(
    Buffer.from(
      [
        'Return-Path: <bounce@lists.shop.example>',
        'From: Shop <news@shop.example>',
        'Reply-To: help@elsewhere.example',
        'To: undisclosed-recipients:;',
        'Date: 28 Nov 2026 10:00 -0800',
        'Message-ID: <123@mail.shop.example>',
        'Subject: hi',
        '',
        'text',
        '',
      ].join('\r\n'),
    ),
  );
  for (const w of ['mid:same-site', 'reply-to:other-site', 'return-path:same-site', 'date:zone:-0800', 'date:(no weekday)', 'date:(no seconds)', 'to:(undisclosed)']) {
    assert.ok(t.words.includes(w), `${w} in ${t.words.join(' ')}`);
  }
  const self = await mailTokens(Buffer.from('From: a@b.example\r\nTo: a@b.example\r\nDate: Sat, 28 Nov 2026 10:00:00 +0000\r\n\r\nx\r\n'));
  for (const w of ['to:(self)', 'fromname:(none)', 'date:zone:+0000', 'mid:(none)']) assert.ok(self.words.includes(w), `${w} in ${self.words.join(' ')}`);
  assert.ok(!self.words.includes('date:(no weekday)'));
});

const mail = (subject: string, body: string) => Buffer.from(`From: x@y.test\r\nSubject: ${subject}\r\n\r\n${body}\r\n`);

test('BayesFilter learns through the store, skips mails learned before, moves relearned ones, stays bounded', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-bayes-'));
  const store = openSqliteStore(dir);
  try {
    const bayes = new BayesFilter(store.spam, bayesSchema.parse({ minTrained: 3, maxTokens: 1000 }));
    const spam = [0, 1, 2, 3].map((i) => mail(`cheap pills ${i}`, `discount casino lottery offer number${i}`));
    const ham = [0, 1, 2, 3].map((i) => mail(`meeting notes ${i}`, `agenda project schedule review item${i}`));
    assert.equal(await bayes.check(await mailTokens(spam[0])), null, 'silent until trained');
    assert.equal(await bayes.learnRaw(spam, 'spam'), 4);
    assert.equal(await bayes.learnRaw(ham, 'ham'), 4);
    assert.equal(await bayes.learnRaw(spam, 'spam'), 0, 'a mail is learned once');
    const v = await bayes.check(await mailTokens(mail('cheap casino', 'lottery discount pills offer')));
    assert.ok(v && v.spam && v.score > 0.9, JSON.stringify(v));
    const h = await bayes.check(await mailTokens(mail('project meeting', 'agenda schedule review notes')));
    assert.ok(h && !h.spam && h.score < 0.1, JSON.stringify(h));

    assert.equal(await bayes.learnRaw([spam[3]], 'ham'), 1, 'relearning as the other class moves the mail');
    assert.deepEqual(await store.spam.bayesTotals(), { spam: 3, ham: 5 });

    const small = new BayesFilter(store.spam, bayesSchema.parse({ minTrained: 3, maxTokens: 1000 }));
    const many = Array.from({ length: 60 }, (_, i) => mail(`bulk ${i}`, Array.from({ length: 30 }, (_, k) => `w${i}x${k}`).join(' ')));
    await small.learnRaw(many, 'spam');
    assert.ok((await store.spam.bayesSize()).tokens <= 1000, 'the token table is bounded by maxTokens');
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('calibration: learned mails are sampled, the Bayes side is fitted to the site, the verdict uses it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-bayes-cal-'));
  const store = openSqliteStore(dir);
  try {
    const bayes = new BayesFilter(store.spam, bayesSchema.parse({ minTrained: 3 }), store.settings);
    const site = (i: number, list: string, subject: string, words: string) =>
      Buffer.from(`From: a${i}@${list}.example.org\r\nList-Id: <${list}.example.org>\r\nSubject: ${subject}\r\n\r\n${words} n${i}\r\n`);
    const spamMail = (i: number) => Buffer.from(`From: s${i}@mail.spam${i % 7}.net\r\nSubject: offer ${i}\r\n\r\ncheap pills casino lottery winner z${i}\r\n`);
    // Too little learned: no calibration, the shipped weights apply.
    await bayes.learnRaw([0, 1, 2, 3, 4].map(spamMail), 'spam');
    await bayes.learnRaw([0, 1, 2, 3, 4].map((i) => site(i, 'dev', 'build notes', 'compiler patch review')), 'ham');
    assert.equal(await bayes.calibrate(), null);
    assert.deepEqual(await bayes.weights(), WITH_BAYES);
    // Enough mail of both classes from several lists: fitted and stored for every node.
    const lists = ['dev', 'users', 'announce', 'ops'];
    await bayes.learnRaw(Array.from({ length: 70 }, (_, i) => spamMail(i + 10)), 'spam');
    await bayes.learnRaw(Array.from({ length: 80 }, (_, i) => site(i + 10, lists[i % 4], `${lists[i % 4]} thread ${i}`, 'schedule agenda release review meeting')), 'ham');
    bayes.close();
    const c = await bayes.calibrate();
    assert.ok(c && c.examples.spam >= 50 && c.examples.ham >= 50 && c.hamSources === 4, JSON.stringify(c));
    assert.ok(c.bayes > 0 && c.bayesHam >= 0, 'a Bayes that separates the site\'s mail gets weight');
    const stored = await store.settings.get<{ bias: number }>('spamfinder.calibration');
    assert.equal(stored?.bias, c.bias);
    const fresh = new BayesFilter(store.spam, bayesSchema.parse({ minTrained: 3 }), store.settings);
    const w = await fresh.weights();
    assert.deepEqual([w.bias, w.bayes, w.bayesHam, w.rules], [c.bias, c.bayes, c.bayesHam, WITH_BAYES.rules]);
    // Calibration off: the shipped weights, whatever is stored.
    assert.deepEqual(await new BayesFilter(store.spam, bayesSchema.parse({ minTrained: 3, calibrate: false }), store.settings).weights(), WITH_BAYES);
    // The sample is bounded per class.
    const bounded = new BayesFilter(store.spam, bayesSchema.parse({ minTrained: 3, calibrationSample: 100 }), store.settings);
    await bounded.learnRaw([spamMail(500)], 'spam');
    bounded.close();
    const samples = await store.spam.bayesSamples();
    assert.equal(samples.filter((x) => x.class === 'spam').length, 76);
    assert.equal(samples.filter((x) => x.class === 'ham').length, 85);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
