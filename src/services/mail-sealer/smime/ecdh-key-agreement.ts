// ECDH key agreement for S/MIME recipients with EC certificates (RFC 5753, CMS KeyAgreeRecipientInfo):
// an ephemeral key on the recipient's curve, the shared secret through the ANSI X9.63 KDF with
// ECC-CMS-SharedInfo, and the content key wrapped with AES key wrap (RFC 3394). We send
// dhSinglePass-stdDH-sha256kdf-scheme with AES-256 wrap; we open every stdDH and cofactorDH
// scheme with SHA-1/224/256/384/512 (what openssl and mail clients send; P-256/384/521 have
// cofactor 1, so both come to the same secret).
import { createCipheriv, createDecipheriv, createHash, createPublicKey, diffieHellman, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { SealerError } from '../sealer-error.ts';
import { bytes } from '../keys/x509.ts';
import { OID } from './algorithms.ts';

/** Key agreement schemes → KDF hash. */
export const KEY_AGREEMENT: Record<string, string> = {
  '1.3.133.16.840.63.0.2': 'sha1', // dhSinglePass-stdDH-sha1kdf-scheme
  '1.3.132.1.11.0': 'sha224',
  '1.3.132.1.11.1': 'sha256',
  '1.3.132.1.11.2': 'sha384',
  '1.3.132.1.11.3': 'sha512',
  '1.3.133.16.840.63.0.3': 'sha1', // dhSinglePass-cofactorDH-sha1kdf-scheme
  '1.3.132.1.14.0': 'sha224',
  '1.3.132.1.14.1': 'sha256',
  '1.3.132.1.14.2': 'sha384',
  '1.3.132.1.14.3': 'sha512',
};
const STD_DH_SHA256 = '1.3.132.1.11.1';

/** AES key wrap OIDs → [node cipher, KEK bytes]. */
const KEY_WRAPS: Record<string, [string, number]> = {
  '2.16.840.1.101.3.4.1.5': ['id-aes128-wrap', 16],
  '2.16.840.1.101.3.4.1.25': ['id-aes192-wrap', 24],
  '2.16.840.1.101.3.4.1.45': ['id-aes256-wrap', 32],
};
const AES256_WRAP = '2.16.840.1.101.3.4.1.45';
const WRAP_IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex');

const JWK_CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

/** Is this an EC key on a curve we can agree keys on? */
export function agreeableCurve(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ec' && (key.asymmetricKeyDetails?.namedCurve ?? '') in JWK_CURVES;
}

/** ANSI X9.63 KDF (RFC 5753 section 7.2) of the shared secret for a KEK of `wrap`. */
function kek(z: Buffer, hash: string, wrapOid: string, ukm: Buffer | null): Buffer {
  const length = KEY_WRAPS[wrapOid][1];
  const sharedInfo = new asn1js.Sequence({
    value: [
      new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: wrapOid })] }),
      ...(ukm ? [new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [new asn1js.OctetString({ valueHex: bytes(ukm) })] })] : []),
      new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 2 }, value: [new asn1js.OctetString({ valueHex: bytes(Buffer.from([0, 0, (length * 8) >> 8, (length * 8) & 0xff])) })] }),
    ],
  });
  const info = Buffer.from(sharedInfo.toBER(false));
  const out: Buffer[] = [];
  for (let counter = 1, got = 0; got < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    const block = createHash(hash).update(z).update(c).update(info).digest();
    out.push(block);
    got += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

/** The uncompressed point (04 ‖ X ‖ Y) of an EC public key. */
function pointOf(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  return Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
}

function publicKeyOn(curve: string, point: Buffer): KeyObject {
  if (point[0] !== 4 || point.length % 2 !== 1) throw new SealerError('MESSAGE_FORMAT', 'the originator key is not an uncompressed EC point');
  const n = (point.length - 1) / 2;
  return createPublicKey({ key: { kty: 'EC', crv: JWK_CURVES[curve], x: point.subarray(1, 1 + n).toString('base64url'), y: point.subarray(1 + n).toString('base64url') }, format: 'jwk' });
}

/** A KeyAgreeRecipientInfo delivering `cek` to the EC certificate `certDer`. */
export function keyAgreeRecipientInfo(certDer: Buffer, cek: Buffer): pkijs.RecipientInfo {
  const cert = pkijs.Certificate.fromBER(bytes(certDer));
  const recipientKey = new X509Certificate(certDer).publicKey;
  if (!agreeableCurve(recipientKey)) throw new SealerError('KEY_UNUSABLE', 'EC recipient certificates must be on P-256, P-384 or P-521');
  const ephemeral = generateKeyPairSync('ec', { namedCurve: recipientKey.asymmetricKeyDetails!.namedCurve! });
  const z = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipientKey });
  const c = createCipheriv(KEY_WRAPS[AES256_WRAP][0], kek(z, 'sha256', AES256_WRAP, null), WRAP_IV);
  const wrapped = Buffer.concat([c.update(cek), c.final()]);
  return new pkijs.RecipientInfo({
    variant: 2,
    value: new pkijs.KeyAgreeRecipientInfo({
      version: 3,
      originator: new pkijs.OriginatorIdentifierOrKey({
        variant: 3,
        // RFC 5753: id-ecPublicKey with parameters absent (the recipient's curve).
        value: new pkijs.OriginatorPublicKey({ algorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.ecPublicKey }), publicKey: new asn1js.BitString({ valueHex: bytes(pointOf(ephemeral.publicKey)) }) }),
      }),
      keyEncryptionAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: STD_DH_SHA256, algorithmParams: new pkijs.AlgorithmIdentifier({ algorithmId: AES256_WRAP }).toSchema() }),
      recipientEncryptedKeys: new pkijs.RecipientEncryptedKeys({
        encryptedKeys: [
          new pkijs.RecipientEncryptedKey({
            rid: new pkijs.KeyAgreeRecipientIdentifier({ variant: 1, value: new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }) }),
            encryptedKey: new asn1js.OctetString({ valueHex: bytes(wrapped) }),
          }),
        ],
      }),
    }),
  });
}

/** The content key of a KeyAgreeRecipientInfo, opened with the recipient's EC private key. */
export function keyAgreeDecrypt(kari: pkijs.KeyAgreeRecipientInfo, encryptedKey: Buffer, privateKey: KeyObject): Buffer {
  const scheme = kari.keyEncryptionAlgorithm.algorithmId;
  const hash = KEY_AGREEMENT[scheme];
  if (!hash) throw new SealerError('UNSUPPORTED', `key agreement ${scheme} is not supported`);
  const wrapOid = new pkijs.AlgorithmIdentifier({ schema: kari.keyEncryptionAlgorithm.algorithmParams }).algorithmId;
  if (!KEY_WRAPS[wrapOid]) throw new SealerError('UNSUPPORTED', `key wrap ${wrapOid} is not supported`);
  if (kari.originator.variant !== 3) throw new SealerError('UNSUPPORTED', 'only an ephemeral originator key is supported');
  const curve = privateKey.asymmetricKeyDetails?.namedCurve ?? '';
  if (!agreeableCurve(privateKey)) throw new SealerError('KEY_UNUSABLE', `the recipient key's curve ${curve} is not supported`);
  const point = Buffer.from((kari.originator.value as pkijs.OriginatorPublicKey).publicKey.valueBlock.valueHexView);
  const ukm = kari.ukm ? Buffer.from(kari.ukm.valueBlock.valueHexView) : null;
  try {
    const z = diffieHellman({ privateKey, publicKey: publicKeyOn(curve, point) });
    const d = createDecipheriv(KEY_WRAPS[wrapOid][0], kek(z, hash, wrapOid, ukm), WRAP_IV);
    return Buffer.concat([d.update(encryptedKey), d.final()]);
  } catch (err) {
    if (err instanceof SealerError) throw err;
    throw new SealerError('DECRYPT_FAILED', 'the content key does not unwrap with the recipient key', { cause: err });
  }
}
