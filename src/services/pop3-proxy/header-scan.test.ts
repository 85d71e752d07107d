// The envelope sender of a fetched mail, read from its header as it streams past.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeaderScan } from './header-scan.ts';

function senderOf(text: string): string {
  const s = new HeaderScan();
  for (const l of text.split('\n')) s.push(Buffer.from(l, 'latin1'));
  s.end();
  return s.sender();
}

test('Return-Path wins over From', () => {
  assert.equal(senderOf('From: Bob <bob@remote.test>\nReturn-Path: <bounces+x@lists.test>\nSubject: x\n\nbody'), 'bounces+x@lists.test');
});

test('Return-Path <> is the null sender (a bounce)', () => {
  assert.equal(senderOf('Return-Path: <>\nFrom: MAILER-DAEMON@remote.test\n\nbody'), '');
});

test('From forms: display name, bare address, folded header', () => {
  assert.equal(senderOf('From: "Carol, X" <carol@remote.test>\n\n'), 'carol@remote.test');
  assert.equal(senderOf('From: dave@remote.test (Dave)\n\n'), 'dave@remote.test');
  assert.equal(senderOf('From: Erin\n <erin@remote.test>\n\n'), 'erin@remote.test');
});

test('nothing usable gives the null sender; the body is never read', () => {
  assert.equal(senderOf('Subject: no from\n\nFrom: body@remote.test'), '');
  assert.equal(senderOf('From: not an address\n\n'), '');
  assert.equal(senderOf('From: <a b@remote.test>\n\n'), '');
});
