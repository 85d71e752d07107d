// The MIME pieces sealing relies on: multipart parts cut byte-exact (RFC 2046: the CRLF before a
// delimiter belongs to it), Content-* fields moved into the inner entity and back, and 8-bit
// leaf parts re-encoded before signing while 7-bit ones stay byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { multipartParts, parseContentType, parseEntity, splitForSealing, toCrlf, unwrap, headerValue, addressIn } from './entity.ts';
import { make7bit } from './seven-bit.ts';

const crlf = (s: string) => Buffer.from(s.replace(/\r?\n/g, '\r\n'), 'latin1');

test('multipart parts are cut byte-exact, with empty parts, transport padding and a preamble', () => {
  const body = crlf('preamble\n--b  \nA: 1\n\none\n\n--b\n--b\nB: 2\n\ntwo\n--b--\nepilogue\n');
  const parts = multipartParts(body, 'b').map((p) => p.toString('latin1'));
  assert.deepEqual(parts, ['A: 1\r\n\r\none\r\n', '', 'B: 2\r\n\r\ntwo']);
  assert.deepEqual(multipartParts(crlf('--b\nX: 1\n\nno close delimiter\n'), 'b'), []);
});

test('Content-Type parameters: quoted, folded, case-insensitive names', () => {
  const ct = parseContentType('multipart/signed; protocol="application/pkcs7-signature";\r\n MICALG=sha-256; boundary="a;b"');
  assert.equal(ct.type, 'multipart/signed');
  assert.deepEqual(ct.params, { protocol: 'application/pkcs7-signature', micalg: 'sha-256', boundary: 'a;b' });
});

test('splitForSealing keeps routing headers outside; unwrap puts the inner entity back', () => {
  const msg = parseEntity(crlf('From: A <a@x.test>\nSubject: s\nMIME-Version: 1.0\nContent-Type: text/plain\nContent-Transfer-Encoding: 7bit\n\nbody\n'));
  const { outer, inner } = splitForSealing(msg);
  assert.deepEqual(outer.map((h) => h.name), ['From', 'Subject']);
  assert.equal(inner.toString(), 'Content-Type: text/plain\r\nContent-Transfer-Encoding: 7bit\r\n\r\nbody\r\n');
  const back = parseEntity(unwrap(parseEntity(crlf('From: A <a@x.test>\nSubject: s\nContent-Type: application/pkcs7-mime\n\nxx\n')), inner, []));
  assert.equal(headerValue(back.headers, 'content-type'), 'text/plain');
  assert.equal(back.body.toString(), 'body\r\n');
  assert.equal(splitForSealing(parseEntity(crlf('Subject: none\n\nx\n'))).inner.toString().split('\r\n')[0], 'Content-Type: text/plain; charset=us-ascii');
  assert.equal(addressIn('"Smith, A" <A.Smith@X.test>'), 'a.smith@x.test');
  assert.deepEqual(toCrlf(Buffer.from('a\nb\r\nc\r')), Buffer.from('a\r\nb\r\nc\r\n'));
});

test('make7bit re-encodes 8-bit leaves as base64 and leaves 7-bit content untouched', () => {
  const seven = crlf('Content-Type: text/plain\n\nplain ascii\n');
  assert.equal(make7bit(seven), seven);
  const eight = crlf('Content-Type: multipart/mixed; boundary="m"\n\n--m\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\ngrüße\n--m\nContent-Type: text/plain\n\nascii\n--m--\n');
  const out = make7bit(eight);
  assert.ok([...out].every((b) => b < 0x80), 'all 7-bit');
  const parts = multipartParts(parseEntity(out).body, 'm').map(parseEntity);
  assert.equal(headerValue(parts[0].headers, 'content-transfer-encoding'), 'base64');
  assert.equal(Buffer.from(parts[0].body.toString(), 'base64').toString('latin1'), 'grüße', 'the same bytes');
  assert.equal(parts[1].body.toString(), 'ascii');
});
