// The DER writer against asn1js / pkijs encodings of the same values, and IssuerAndSerialNumber
// copied out of a certificate equal to what pkijs builds from the parsed certificate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { createRootCa } from '../keys/certificate-authority.ts';
import { bytes } from '../keys/x509.ts';
import * as der from './der.ts';

const ref = (b: asn1js.BaseBlock) => Buffer.from(b.toBER(false));

test('integers, object identifiers, octet strings and times encode as asn1js does', () => {
  for (const n of [0, 1, 127, 128, 255, 256, 65535, 1 << 24]) assert.deepEqual(der.int(n), ref(new asn1js.Integer({ value: n })), `INTEGER ${n}`);
  for (const o of ['1.2.840.113549.1.7.2', '2.16.840.1.101.3.4.1.42', '1.3.101.112', '2.5.29.31']) assert.deepEqual(der.oid(o), ref(new asn1js.ObjectIdentifier({ value: o })), o);
  const big = Buffer.alloc(70_000, 7);
  assert.deepEqual(der.octets(big), ref(new asn1js.OctetString({ valueHex: big })));
  const d = new Date(Date.UTC(2026, 10, 28, 21, 5, 9));
  assert.deepEqual(der.time(d), ref(new asn1js.UTCTime({ valueDate: d })));
  assert.equal(der.time(new Date(Date.UTC(2051, 0, 2, 3, 4, 5))).toString('latin1').slice(2), '20510102030405Z');
  assert.deepEqual(der.seq(der.int(1), der.NULL), ref(new asn1js.Sequence({ value: [new asn1js.Integer({ value: 1 }), new asn1js.Null()] })));
  assert.deepEqual(Buffer.concat(der.wrap(0x30, der.int(1), [der.NULL, der.octets(Buffer.alloc(300, 1))])), der.seq(der.int(1), der.NULL, der.octets(Buffer.alloc(300, 1))));
  assert.deepEqual(der.setOf([Buffer.from([4, 1, 2]), Buffer.from([4, 1, 1])]), Buffer.from([0x31, 6, 4, 1, 1, 4, 1, 2]));
});

test('IssuerAndSerialNumber copied from the certificate bytes equals the pkijs encoding', () => {
  const ca = createRootCa('DER Test CA');
  const cert = pkijs.Certificate.fromBER(bytes(ca.der));
  const expected = Buffer.from(new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }).toSchema().toBER(false));
  assert.deepEqual(der.issuerAndSerial(ca.der), expected);
  assert.throws(() => der.issuerAndSerial(Buffer.from([0x30, 0x05, 0x02])), /truncated DER/);
});
