// Works out what an imported file is — PEM certificates and/or private key, a DER certificate, a
// PKCS#12 bundle, an armored or binary OpenPGP key — and reads it into certificates, private keys
// and OpenPGP keys. Nothing is stored here; the keyring decides what to keep.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { SealerError } from '../sealer-error.ts';
import { looksLikePkcs12, readPkcs12 } from './pkcs12.ts';
import { looksLikePgpArmor, readPgpKeys, type PgpKeyInfo } from './pgp-keys.ts';
import { parseCertificate, pemBlocks, type CertInfo } from './x509.ts';

export type ImportFormat = 'pem' | 'der' | 'pkcs12' | 'pgp';

export interface ParsedImport {
  format: ImportFormat;
  certificates: CertInfo[];
  /** Private keys found (PEM or PKCS#12); the keyring pairs each with its certificate. */
  privateKeys: KeyObject[];
  pgp: PgpKeyInfo[];
}

const KEY_LABELS = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY', 'ENCRYPTED PRIVATE KEY']);

function pemKey(label: string, der: Buffer, pem: string, password: string | undefined): KeyObject {
  try {
    if (label === 'PRIVATE KEY') return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    if (label === 'ENCRYPTED PRIVATE KEY') {
      if (password === undefined) throw new SealerError('KEY_PASSWORD', 'the private key is encrypted; give its password (--password)');
      return createPrivateKey({ key: der, format: 'der', type: 'pkcs8', passphrase: password });
    }
    // PKCS#1 / SEC1, possibly with legacy "Proc-Type: 4,ENCRYPTED" headers: OpenSSL reads the PEM itself.
    return createPrivateKey({ key: pem, format: 'pem', passphrase: password });
  } catch (err) {
    if (err instanceof SealerError) throw err;
    const encrypted = label === 'ENCRYPTED PRIVATE KEY' || /ENCRYPTED/.test(pem);
    throw new SealerError(encrypted ? 'KEY_PASSWORD' : 'KEY_FORMAT', encrypted ? 'the password does not open the private key' : `unreadable private key: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function fromPem(text: string, password: string | undefined): ParsedImport {
  const out: ParsedImport = { format: 'pem', certificates: [], privateKeys: [], pgp: [] };
  const re = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;
  for (const m of text.matchAll(re)) {
    const [block] = pemBlocks(m[0]);
    if (!block) continue;
    if (block.label === 'CERTIFICATE' || block.label === 'X509 CERTIFICATE' || block.label === 'TRUSTED CERTIFICATE') out.certificates.push(parseCertificate(block.der));
    else if (KEY_LABELS.has(block.label)) out.privateKeys.push(pemKey(block.label, block.der, m[0], password));
  }
  return out;
}

/** Reads `data` as whichever format it is in; throws KEY_FORMAT when it is none of them. */
export async function parseImport(data: Buffer, password?: string): Promise<ParsedImport> {
  const text = data.subarray(0, 64 * 1024).toString('latin1');
  if (looksLikePgpArmor(text)) return { format: 'pgp', certificates: [], privateKeys: [], pgp: await readPgpKeys(data, password) };
  if (/-----BEGIN [A-Z0-9 ]+-----/.test(text)) {
    const out = fromPem(data.toString('latin1'), password);
    if (!out.certificates.length && !out.privateKeys.length) throw new SealerError('KEY_FORMAT', 'the PEM file holds no certificate or private key');
    return out;
  }
  if (looksLikePkcs12(data)) {
    const p12 = readPkcs12(data, password ?? '');
    return { format: 'pkcs12', certificates: p12.certificates.map(parseCertificate), privateKeys: p12.privateKey ? [p12.privateKey] : [], pgp: [] };
  }
  try {
    return { format: 'der', certificates: [parseCertificate(data)], privateKeys: [], pgp: [] };
  } catch {
    // not a DER certificate; maybe a binary OpenPGP key
  }
  try {
    return { format: 'pgp', certificates: [], privateKeys: [], pgp: await readPgpKeys(data, password) };
  } catch (err) {
    if (err instanceof SealerError && err.code === 'KEY_PASSWORD') throw err;
  }
  throw new SealerError('KEY_FORMAT', 'not a certificate, private key, PKCS#12 bundle or OpenPGP key');
}
