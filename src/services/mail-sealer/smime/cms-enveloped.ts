// CMS EnvelopedData (RFC 5652, AES-CBC) and AuthEnvelopedData (RFC 5083, AES-GCM) for S/MIME:
// encrypting a MIME entity to the certificates of its recipients (RSA key transport, or ECDH key
// agreement for EC certificates), and opening what a client or `openssl cms -encrypt` made with a
// private key the gateway holds.
import { createCipheriv, createDecipheriv, randomBytes, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { SealerError } from '../sealer-error.ts';
import { bytes, subjectKeyId } from '../keys/x509.ts';
import { CIPHERS, OID, hashOfParams } from './algorithms.ts';
import { certFacts } from './cert-facts.ts';
import * as der from './der.ts';
import { rsaOaepDecrypt, rsaOaepEncrypt, rsaPkcs1DecryptKey, rsaPkcs1Encrypt } from './rsa-key-transport.ts';
import { keyAgreeDecrypt, keyAgreeRecipientInfo } from './ecdh-key-agreement.ts';

export interface EnvelopeOptions {
  cipher: 'aes-256-cbc' | 'aes-256-gcm';
  keyTransport: 'rsa-pkcs1' | 'rsa-oaep';
}

/** RSAES-OAEP-params with SHA-256 and MGF1(SHA-256) (RFC 4055). */
const SHA256_ALG = der.seq(der.oid('2.16.840.1.101.3.4.2.1'));
const OAEP_SHA256 = der.algId(OID.rsaesOaep, der.seq(der.ctx(0, SHA256_ALG), der.ctx(1, der.seq(der.oid(OID.mgf1), SHA256_ALG))));
const RSA_PKCS1 = der.algId(OID.rsaEncryption);

/** One RecipientInfo, DER: key transport for RSA certificates, key agreement for EC ones. */
function recipientInfo(certDer: Buffer, cek: Buffer, transport: EnvelopeOptions['keyTransport']): { der: Buffer; ktri: boolean } {
  const facts = certFacts(certDer);
  if (facts.keyType === 'ec') return { der: Buffer.from(keyAgreeRecipientInfo(certDer, cek).toSchema().toBER(false)), ktri: false };
  if (facts.keyType !== 'rsa') throw new SealerError('KEY_UNUSABLE', 'only RSA and EC recipient certificates can be encrypted to');
  const oaep = transport === 'rsa-oaep';
  const encryptedKey = oaep ? rsaOaepEncrypt(facts.publicKey, cek, 'sha256') : rsaPkcs1Encrypt(facts.publicKey, cek);
  // KeyTransRecipientInfo, version 0 (issuerAndSerialNumber).
  return { der: der.seq(der.int(0), facts.issuerAndSerial, oaep ? OAEP_SHA256 : RSA_PKCS1, der.octets(encryptedKey)), ktri: true };
}

/** EncryptedContentInfo with the content as one primitive [0] IMPLICIT OCTET STRING (as pieces: not copied). */
const encryptedContentInfo = (alg: Buffer, encrypted: Buffer) => der.wrap(0x30, der.oid(OID.data), alg, der.wrap(0x80, encrypted));

/** Encrypts `content` to every certificate in `recipients`; DER ContentInfo, written directly (no pkijs tree). */
export function createEnvelopedData(content: Buffer, recipients: Buffer[], opts: EnvelopeOptions): Buffer {
  if (!recipients.length) throw new SealerError('NO_KEY', 'no recipient certificate to encrypt to');
  const cek = randomBytes(32);
  const infos = recipients.map((r) => recipientInfo(r, cek, opts.keyTransport));
  const recipientInfos = der.set(...infos.map((i) => i.der));
  if (opts.cipher === 'aes-256-gcm') {
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', cek, nonce);
    const encrypted = Buffer.concat([c.update(content), c.final()]);
    const alg = der.algId(OID.aes256Gcm, der.seq(der.octets(nonce), der.int(16)));
    // AuthEnvelopedData (RFC 5083): version 0, recipients, content, MAC.
    const auth = der.wrap(0x30, der.int(0), recipientInfos, encryptedContentInfo(alg, encrypted), der.octets(c.getAuthTag()));
    return Buffer.concat(der.wrap(0x30, der.oid(OID.authEnvelopedData), der.wrap(0xa0, auth)));
  }
  const iv = randomBytes(16);
  const c = createCipheriv('aes-256-cbc', cek, iv);
  const encrypted = Buffer.concat([c.update(content), c.final()]);
  // RFC 5652 6.1: version 0 when every recipient is key transport (version 0), else 2 (key agreement).
  const env = der.wrap(0x30, der.int(infos.every((i) => i.ktri) ? 0 : 2), recipientInfos, encryptedContentInfo(der.algId(OID.aes256Cbc, der.octets(iv)), encrypted));
  return Buffer.concat(der.wrap(0x30, der.oid(OID.envelopedData), der.wrap(0xa0, env)));
}

/** How a key-transport recipient is named: issuer and serial, or subject key identifier. */
export type RecipientId = { issuer: pkijs.RelativeDistinguishedNames; serial: asn1js.Integer } | { subjectKeyId: string };

export interface EnvelopeRecipient {
  id: RecipientId;
  /** Key transport or key agreement algorithm OID. */
  algorithm: string;
}

type ParsedRecipient =
  | { id: RecipientId; kind: 'ktri'; info: pkijs.KeyTransRecipientInfo }
  | { id: RecipientId; kind: 'kari'; kari: pkijs.KeyAgreeRecipientInfo; encryptedKey: Buffer };

interface ParsedEnvelope {
  recipients: ParsedRecipient[];
  eci: pkijs.EncryptedContentInfo;
  mac: Buffer | null;
}

function parseEnvelope(der: Buffer): ParsedEnvelope {
  let info: pkijs.ContentInfo;
  try {
    info = pkijs.ContentInfo.fromBER(bytes(der));
  } catch (err) {
    throw new SealerError('MESSAGE_FORMAT', `unreadable CMS: ${(err as Error).message}`, { cause: err });
  }
  let infos: pkijs.RecipientInfo[];
  let eci: pkijs.EncryptedContentInfo;
  let mac: Buffer | null = null;
  try {
    if (info.contentType === OID.envelopedData) {
      const env = new pkijs.EnvelopedData({ schema: info.content });
      infos = env.recipientInfos;
      eci = env.encryptedContentInfo;
    } else if (info.contentType === OID.authEnvelopedData) {
      // pkijs has no AuthEnvelopedData class: version, [0] originatorInfo?, recipientInfos, authEncryptedContentInfo, [1] authAttrs?, mac, [2] unauthAttrs?
      const parts = (info.content as asn1js.Sequence).valueBlock.value.filter((v) => v.idBlock.tagClass === 1);
      const [, set, eciSchema, macBlock] = parts;
      if ((info.content as asn1js.Sequence).valueBlock.value.some((v) => v.idBlock.tagClass === 3 && v.idBlock.tagNumber === 1)) {
        throw new SealerError('UNSUPPORTED', 'AuthEnvelopedData with authenticated attributes is not supported');
      }
      infos = (set as asn1js.Set).valueBlock.value.map((v) => new pkijs.RecipientInfo({ schema: v }));
      eci = new pkijs.EncryptedContentInfo({ schema: eciSchema });
      mac = Buffer.from((macBlock as asn1js.OctetString).valueBlock.valueHexView);
    } else {
      throw new SealerError('MESSAGE_FORMAT', `content type ${info.contentType} is not enveloped-data`);
    }
  } catch (err) {
    if (err instanceof SealerError) throw err;
    throw new SealerError('MESSAGE_FORMAT', `unreadable CMS enveloped-data: ${(err as Error).message}`, { cause: err });
  }
  const recipients: ParsedEnvelope['recipients'] = [];
  for (const ri of infos) {
    if (ri.variant === 1) {
      const kt = ri.value as pkijs.KeyTransRecipientInfo;
      const rid = kt.rid as pkijs.IssuerAndSerialNumber | asn1js.OctetString;
      const id: RecipientId =
        rid instanceof pkijs.IssuerAndSerialNumber ? { issuer: rid.issuer, serial: rid.serialNumber } : { subjectKeyId: Buffer.from(rid.valueBlock.valueHexView).toString('hex') };
      recipients.push({ id, kind: 'ktri', info: kt });
    } else if (ri.variant === 2) {
      const kari = ri.value as pkijs.KeyAgreeRecipientInfo;
      for (const rek of kari.recipientEncryptedKeys.encryptedKeys) {
        const rid = rek.rid;
        const id: RecipientId =
          rid.variant === 1
            ? { issuer: (rid.value as pkijs.IssuerAndSerialNumber).issuer, serial: (rid.value as pkijs.IssuerAndSerialNumber).serialNumber }
            : { subjectKeyId: Buffer.from((rid.value as pkijs.RecipientKeyIdentifier).subjectKeyIdentifier.valueBlock.valueHexView).toString('hex') };
        recipients.push({ id, kind: 'kari', kari, encryptedKey: Buffer.from(rek.encryptedKey.valueBlock.valueHexView) });
      }
    } // KEK and password recipients: not for keys we hold
  }
  return { recipients, eci, mac };
}

/** Does this certificate (DER) belong to the recipient named by `id`? */
export function recipientMatches(id: RecipientId, certDer: Buffer): boolean {
  const cert = pkijs.Certificate.fromBER(bytes(certDer));
  if ('subjectKeyId' in id) return subjectKeyId(cert) === id.subjectKeyId;
  return cert.issuer.isEqual(id.issuer) && cert.serialNumber.isEqual(id.serial);
}

/** The recipients an enveloped-data names (to find a key for). */
export function envelopeRecipients(der: Buffer): EnvelopeRecipient[] {
  return parseEnvelope(der).recipients.map((r) => ({ id: r.id, algorithm: (r.kind === 'ktri' ? r.info : r.kari).keyEncryptionAlgorithm.algorithmId }));
}

function decryptContent(eci: pkijs.EncryptedContentInfo, cek: Buffer, mac: Buffer | null): Buffer {
  const alg = eci.contentEncryptionAlgorithm;
  const [name, , aead] = CIPHERS[alg.algorithmId];
  const encrypted = Buffer.from(eci.getEncryptedContent());
  try {
    if (aead) {
      const params = alg.algorithmParams as asn1js.Sequence;
      const nonce = Buffer.from((params.valueBlock.value[0] as asn1js.OctetString).valueBlock.valueHexView);
      if (!mac) throw new Error('no authentication tag');
      const d = createDecipheriv(name as 'aes-256-gcm', cek, nonce, { authTagLength: mac.length });
      d.setAuthTag(mac);
      return Buffer.concat([d.update(encrypted), d.final()]);
    }
    const iv = Buffer.from((alg.algorithmParams as asn1js.OctetString).valueBlock.valueHexView);
    const d = createDecipheriv(name, cek, iv);
    return Buffer.concat([d.update(encrypted), d.final()]);
  } catch (err) {
    throw new SealerError('DECRYPT_FAILED', 'the content does not decrypt (damaged, tampered, or not for this key)', { cause: err });
  }
}

/**
 * Opens an enveloped-data with the first of `keys` whose certificate one of its recipients names.
 * Returns the content and which key opened it.
 */
export function openEnvelopedData<K extends { certificate: Buffer; privateKey: () => KeyObject }>(der: Buffer, keys: K[]): { content: Buffer; key: K } {
  const env = parseEnvelope(der);
  const cipher = CIPHERS[env.eci.contentEncryptionAlgorithm.algorithmId];
  if (!cipher) throw new SealerError('UNSUPPORTED', `content cipher ${env.eci.contentEncryptionAlgorithm.algorithmId} is not supported`);
  for (const r of env.recipients) {
    const key = keys.find((k) => recipientMatches(r.id, k.certificate));
    if (!key) continue;
    if (r.kind === 'kari') return { content: decryptContent(env.eci, keyAgreeDecrypt(r.kari, r.encryptedKey, key.privateKey()), env.mac), key };
    const encryptedKey = Buffer.from(r.info.encryptedKey.valueBlock.valueHexView);
    const alg = r.info.keyEncryptionAlgorithm;
    let cek: Buffer;
    if (alg.algorithmId === OID.rsaEncryption) cek = rsaPkcs1DecryptKey(key.privateKey(), encryptedKey, cipher[1]);
    else if (alg.algorithmId === OID.rsaesOaep) {
      try {
        cek = rsaOaepDecrypt(key.privateKey(), encryptedKey, hashOfParams(alg));
      } catch (err) {
        throw new SealerError('DECRYPT_FAILED', 'the content key does not decrypt with the recipient key', { cause: err });
      }
    } else throw new SealerError('UNSUPPORTED', `key transport ${alg.algorithmId} is not supported`);
    return { content: decryptContent(env.eci, cek, env.mac), key };
  }
  throw new SealerError('NO_KEY', 'no key held by the gateway is a recipient of this message');
}
