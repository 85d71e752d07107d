// The mail-sealer's keyring over the KeyStore: import, export, issue, list and delete for the
// admin plane, and the lookups seal-in and seal-out need (recipient certificates and OpenPGP keys,
// signing identities, decryption keys, trust anchors). Private keys are sealed by the KeyVault
// before they reach the store; parsed keys, opened private keys, CA chains and issuers are cached
// by id, the caches dropped on every change.
import { agreeableCurve } from '../smime/ecdh-key-agreement.ts';
import { createHash, createPublicKey, type KeyObject, createPrivateKey } from 'node:crypto';
import * as openpgp from 'openpgp';
import type { KeyStore, SealerKey, SealerKeyFilter } from '../../../store/store.ts';
import type { ComplianceRecorder } from '../../compliance-log/recorder.ts';
import type { Logger } from '../../log-manager/logger.ts';
import { SealerError } from '../sealer-error.ts';
import { createRootCa, issueUserCertificate } from './certificate-authority.ts';
import { parseImport } from './key-import.ts';
import type { KeyVault } from './key-vault.ts';
import { generatePgpKey, readPgpKeys, type PgpKeyInfo } from './pgp-keys.ts';
import { writePkcs12 } from './pkcs12.ts';
import { checkTrust, type TrustResult } from './trust.ts';
import type { RevocationChecker } from './revocation.ts';
import { parseCertificate, pemBlocks, pemEncode, type CertInfo } from './x509.ts';

/** A key as the admin plane shows it (no key material). */
export interface KeyView {
  id: string;
  kind: SealerKey['kind'];
  source: SealerKey['source'];
  addresses: string[];
  subject: string;
  issuer: string | null;
  serial: string | null;
  notBefore: number | null;
  notAfter: number | null;
  hasPrivateKey: boolean;
  isCa: boolean;
  createdAt: number;
}

export interface ExportedKey {
  format: 'pem' | 'pkcs12' | 'pgp';
  filename: string;
  data: Buffer;
}

export interface SmimeIdentity {
  id: string;
  certificate: Buffer;
  chain: Buffer[];
  privateKey: KeyObject;
}

export interface DecryptionKey {
  id: string;
  certificate: Buffer;
  privateKey: () => KeyObject;
}

export interface KeyringOptions {
  store: KeyStore;
  vault: KeyVault;
  caName: string;
  userDays: number;
  recorder?: ComplianceRecorder;
  log?: Logger;
  /** Called after every change (import, issue, delete, harvest). */
  onChange?: () => void;
  /** CRL checks; none: revocation is not checked. */
  revocation?: RevocationChecker;
}

type Parsed = { kind: 'x509'; rec: SealerKey; cert: CertInfo } | { kind: 'pgp'; rec: SealerKey; key: openpgp.Key };

/** Longest an opened private key stays in memory before it is unsealed again. */
const UNLOCKED_MS = 10 * 60_000;

const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase();
const spki = (k: KeyObject) => (k.type === 'public' ? k : createPublicKey(k)).export({ type: 'spki', format: 'der' }).toString('base64');

export class Keyring {
  private parsed = new Map<string, Parsed>();
  /**
   * Opened private keys (S/MIME KeyObjects, unlocked OpenPGP keys), so a busy stage does not
   * unseal and parse one per mail. Only keys of this keyring, each for at most UNLOCKED_MS after
   * it was opened; dropped on every change of the keyring.
   */
  private opened = new Map<string, { key: KeyObject; until: number }>();
  private unlocked = new Map<string, { key: Promise<openpgp.PrivateKey>; until: number }>();
  /** CA chains above a certificate (by certificate id), worked out once per keyring version. */
  private chains = new Map<string, Buffer[]>();
  /** The issuing CA among the keyring's certificates (by certificate id; null: none held). */
  private issuers = new Map<string, CertInfo | null>();
  private all: SealerKey[] | null = null;
  /** Changes with every write; the service's configured() reads counts through it. */
  version = 0;

  constructor(private readonly o: KeyringOptions) {}

  private changed(): void {
    this.all = null;
    this.parsed.clear();
    this.opened.clear();
    this.unlocked.clear();
    this.chains.clear();
    this.issuers.clear();
    this.version++;
    this.o.onChange?.();
  }

  private async records(): Promise<SealerKey[]> {
    this.all ??= await this.o.store.list();
    return this.all;
  }

  private parse(rec: SealerKey): Promise<Parsed> | Parsed {
    const hit = this.parsed.get(rec.id);
    if (hit) return hit;
    if (rec.kind === 'x509') {
      const p: Parsed = { kind: 'x509', rec, cert: parseCertificate(pemBlocks(rec.publicData)[0].der) };
      this.parsed.set(rec.id, p);
      return p;
    }
    return openpgp.readKey({ armoredKey: rec.publicData }).then((key) => {
      const p: Parsed = { kind: 'pgp', rec, key };
      this.parsed.set(rec.id, p);
      return p;
    });
  }

  private view(rec: SealerKey, isCa: boolean): KeyView {
    return {
      id: rec.id,
      kind: rec.kind,
      source: rec.source,
      addresses: rec.addresses,
      subject: rec.subject,
      issuer: rec.issuer,
      serial: rec.serial,
      notBefore: rec.notBefore,
      notAfter: rec.notAfter,
      hasPrivateKey: rec.sealedPrivate !== null,
      isCa,
      createdAt: rec.createdAt,
    };
  }

  private async toView(rec: SealerKey): Promise<KeyView> {
    const p = await this.parse(rec);
    return this.view(rec, p.kind === 'x509' && p.cert.isCa);
  }

  private async record(action: string, subject: string, actor: string, detail?: Record<string, unknown>): Promise<void> {
    if (!this.o.recorder) return;
    await this.o.recorder.record({ category: 'keys', action, actor, subject, detail }).catch((err: Error) => this.o.log?.warn('could not record a key change in the compliance log', { err, action }));
  }

  // --- the built-in CA ---------------------------------------------------------------------

  /** Makes the built-in CA at the first start. */
  async ensureCa(): Promise<KeyView> {
    const existing = await this.o.store.list({ source: 'ca' });
    if (existing.length) return this.toView(existing[0]);
    const ca = createRootCa(this.o.caName);
    const view = await this.putCertificate(parseCertificate(ca.der), ca.privateKey, 'ca', []);
    this.o.log?.info('built-in CA created', { id: view.id, subject: view.subject });
    await this.record('keys.ca-created', view.id, 'mail-sealer', { subject: view.subject });
    return view;
  }

  private async caIdentity(): Promise<SmimeIdentity> {
    const [rec] = await this.o.store.list({ source: 'ca' });
    if (!rec?.sealedPrivate) throw new SealerError('KEY_NOT_FOUND', 'the built-in CA has not been made yet');
    return { id: rec.id, certificate: pemBlocks(rec.publicData)[0].der, chain: [], privateKey: this.privateKeyOf(rec) };
  }

  async caCertificate(): Promise<string> {
    const [rec] = await this.o.store.list({ source: 'ca' });
    if (!rec) throw new SealerError('KEY_NOT_FOUND', 'the built-in CA has not been made yet');
    return rec.publicData;
  }

  // --- admin operations --------------------------------------------------------------------

  private async putCertificate(cert: CertInfo, privateKey: KeyObject | null, source: SealerKey['source'], addresses: string[]): Promise<KeyView> {
    const { key } = await this.o.store.put({
      id: cert.id,
      kind: 'x509',
      source,
      addresses: addresses.length ? addresses : cert.addresses,
      subject: cert.subject,
      issuer: cert.issuer,
      serial: cert.serial,
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
      publicData: pemEncode('CERTIFICATE', cert.der),
      sealedPrivate: privateKey ? this.o.vault.seal(cert.id, privateKey.export({ type: 'pkcs8', format: 'der' })) : null,
    });
    this.changed();
    return this.view(key, cert.isCa);
  }

  private async putPgp(k: PgpKeyInfo, source: SealerKey['source'], addresses: string[]): Promise<KeyView> {
    const { key } = await this.o.store.put({
      id: k.id,
      kind: 'pgp',
      source,
      addresses: addresses.length ? addresses : k.addresses,
      subject: k.subject,
      issuer: null,
      serial: null,
      notBefore: k.notBefore,
      notAfter: k.notAfter,
      publicData: k.publicArmored,
      sealedPrivate: k.privateArmored ? this.o.vault.seal(k.id, Buffer.from(k.privateArmored, 'utf8')) : null,
    });
    this.changed();
    return this.view(key, false);
  }

  /**
   * Imports a PEM / DER certificate (with or without its private key), a lone PEM private key for
   * a certificate already held, a PKCS#12 bundle or an OpenPGP key. `addresses` replaces the
   * addresses of the main key (e.g. ["@example.test"] for a domain certificate).
   */
  async import(data: Buffer, opts: { password?: string; addresses?: string[]; actor: string }): Promise<KeyView[]> {
    const parsed = await parseImport(data, opts.password);
    const addresses = (opts.addresses ?? []).map((a) => a.toLowerCase());
    const out: KeyView[] = [];
    for (const k of parsed.pgp) out.push(await this.putPgp(k, 'import', addresses));
    const keysBySpki = new Map(parsed.privateKeys.map((k) => [spki(k), k]));
    const used = new Set<KeyObject>();
    // The main certificate: the one with the private key, else the first end-entity one.
    const main = parsed.certificates.find((c) => keysBySpki.has(spki(c.x509.publicKey))) ?? parsed.certificates.find((c) => !c.isCa) ?? parsed.certificates[0];
    for (const cert of parsed.certificates) {
      const priv = keysBySpki.get(spki(cert.x509.publicKey)) ?? null;
      if (priv) used.add(priv);
      out.push(await this.putCertificate(cert, priv, 'import', cert === main ? addresses : []));
    }
    for (const priv of parsed.privateKeys) {
      if (used.has(priv)) continue;
      // A lone private key belongs to a certificate imported before.
      const want = spki(priv);
      let matched = false;
      for (const rec of await this.o.store.list({ kind: 'x509' })) {
        const p = (await this.parse(rec)) as Extract<Parsed, { kind: 'x509' }>;
        if (spki(p.cert.x509.publicKey) !== want) continue;
        out.push(await this.putCertificate(p.cert, priv, rec.source === 'harvested' ? 'import' : rec.source, []));
        matched = true;
      }
      if (!matched) throw new SealerError('KEY_FORMAT', 'the private key belongs to no certificate in the file or the keyring; import the certificate with it');
    }
    await this.record('keys.import', out.map((v) => v.id).join(','), opts.actor, { format: parsed.format, keys: out.map((v) => ({ id: v.id, kind: v.kind, addresses: v.addresses, private: v.hasPrivateKey })) });
    return out;
  }

  /** Issues a user S/MIME certificate (built-in CA) or, with `pgp`, a new OpenPGP key. */
  async issue(address: string, opts: { actor: string; pgp?: boolean; days?: number }): Promise<KeyView> {
    const addr = address.toLowerCase();
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(addr)) throw new SealerError('KEY_FORMAT', `not a mail address: ${address}`);
    let view: KeyView;
    if (opts.pgp) view = await this.putPgp(await generatePgpKey(addr), 'issued', []);
    else {
      const ca = await this.caIdentity();
      const issued = issueUserCertificate({ der: ca.certificate, privateKey: ca.privateKey }, addr, opts.days ?? this.o.userDays);
      view = await this.putCertificate(parseCertificate(issued.der), issued.privateKey, 'issued', []);
    }
    await this.record('keys.issue', view.id, opts.actor, { kind: view.kind, address: addr });
    return view;
  }

  async list(f: SealerKeyFilter = {}): Promise<KeyView[]> {
    const recs = await this.o.store.list(f);
    return Promise.all(recs.map((r) => this.toView(r)));
  }

  async get(id: string): Promise<KeyView> {
    return this.toView(await this.recordOf(id));
  }

  private async recordOf(id: string): Promise<SealerKey> {
    const rec = await this.o.store.get(id.toLowerCase());
    if (!rec) throw new SealerError('KEY_NOT_FOUND', `no key with id ${id}`);
    return rec;
  }

  async delete(id: string, actor: string): Promise<void> {
    const rec = await this.recordOf(id);
    if (rec.source === 'ca') throw new SealerError('KEY_UNUSABLE', 'the built-in CA cannot be deleted');
    await this.o.store.remove(rec.id);
    this.changed();
    await this.record('keys.delete', rec.id, actor, { kind: rec.kind, addresses: rec.addresses });
  }

  /**
   * The public part (PEM certificate / armored key), or with `withPrivate` the private key too:
   * PKCS#12 (needs a password), PEM (PKCS#8, encrypted when a password is given) or armored
   * OpenPGP secret key (protected when a password is given).
   */
  async export(id: string, opts: { withPrivate?: boolean; password?: string; format?: 'pem' | 'pkcs12'; actor: string }): Promise<ExportedKey> {
    const rec = await this.recordOf(id);
    const base = (rec.addresses[0] ?? rec.id.slice(0, 16)).replace(/[^a-z0-9@._-]/gi, '_');
    let out: ExportedKey;
    if (!opts.withPrivate) {
      out = { format: rec.kind === 'pgp' ? 'pgp' : 'pem', filename: `${base}.${rec.kind === 'pgp' ? 'asc' : 'pem'}`, data: Buffer.from(rec.publicData, 'utf8') };
    } else {
      if (!rec.sealedPrivate) throw new SealerError('KEY_UNUSABLE', `the gateway holds no private key for ${rec.id}`);
      if (rec.kind === 'pgp') {
        let priv = await openpgp.readPrivateKey({ armoredKey: this.o.vault.open(rec.id, rec.sealedPrivate).toString('utf8') });
        if (opts.password) priv = await openpgp.encryptKey({ privateKey: priv, passphrase: opts.password });
        out = { format: 'pgp', filename: `${base}.secret.asc`, data: Buffer.from(priv.armor(), 'utf8') };
      } else {
        const key = this.privateKeyOf(rec);
        const cert = pemBlocks(rec.publicData)[0].der;
        const chain = await this.chainOf(cert);
        if ((opts.format ?? 'pkcs12') === 'pkcs12') {
          if (!opts.password) throw new SealerError('KEY_PASSWORD', 'a PKCS#12 export needs a password');
          out = { format: 'pkcs12', filename: `${base}.p12`, data: writePkcs12({ certificate: cert, chain, privateKey: key, password: opts.password, friendlyName: rec.addresses[0] ?? rec.subject }) };
        } else {
          const keyPem = opts.password
            ? (key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: opts.password }) as string)
            : (key.export({ type: 'pkcs8', format: 'pem' }) as string);
          out = { format: 'pem', filename: `${base}.pem`, data: Buffer.from(rec.publicData + chain.map((c) => pemEncode('CERTIFICATE', c)).join('') + keyPem, 'utf8') };
        }
      }
      await this.record('keys.export-private', rec.id, opts.actor, { format: out.format, protected: Boolean(opts.password) });
    }
    return out;
  }

  private privateKeyOf(rec: SealerKey): KeyObject {
    if (!rec.sealedPrivate) throw new SealerError('KEY_UNUSABLE', `no private key for ${rec.id}`);
    const now = Date.now();
    const hit = this.opened.get(rec.id);
    if (hit && now < hit.until) return hit.key;
    const key = createPrivateKey({ key: this.o.vault.open(rec.id, rec.sealedPrivate), format: 'der', type: 'pkcs8' });
    this.opened.set(rec.id, { key, until: now + UNLOCKED_MS });
    return key;
  }

  // --- lookups for the stages --------------------------------------------------------------

  /** Keys that count for "configured": everything but the built-in CA. */
  async count(): Promise<number> {
    return (await this.records()).filter((r) => r.source !== 'ca').length;
  }

  private async x509(): Promise<Extract<Parsed, { kind: 'x509' }>[]> {
    const out: Extract<Parsed, { kind: 'x509' }>[] = [];
    for (const rec of await this.records()) {
      if (rec.kind !== 'x509') continue;
      try {
        out.push((await this.parse(rec)) as Extract<Parsed, { kind: 'x509' }>);
      } catch (err) {
        this.o.log?.warn('a stored certificate does not parse; skipped', { id: rec.id, err: err as Error });
      }
    }
    return out;
  }

  /** Source rank: what the admin put there beats what was harvested. */
  private static rank(rec: SealerKey): number {
    return rec.source === 'harvested' ? 1 : 0;
  }

  /** Certificates that may be used for `address` (its own, else its domain's), best first. */
  private async certsFor(address: string, withPrivate: boolean, now = Date.now()): Promise<Extract<Parsed, { kind: 'x509' }>[]> {
    const addr = address.toLowerCase();
    const all = (await this.x509()).filter((p) => !p.cert.isCa && p.cert.notBefore <= now && now <= p.cert.notAfter && (!withPrivate || p.rec.sealedPrivate));
    for (const want of [addr, `@${domainOf(addr)}`]) {
      const hits = all.filter((p) => p.rec.addresses.includes(want));
      if (hits.length) return hits.sort((a, b) => Keyring.rank(a.rec) - Keyring.rank(b.rec) || b.cert.notBefore - a.cert.notBefore);
    }
    return [];
  }

  /** The certificate to encrypt to for a recipient (RSA, or EC on P-256/384/521; not revoked), or null. */
  async smimeRecipient(address: string): Promise<{ id: string; certificate: Buffer } | null> {
    for (const p of await this.certsFor(address, false)) {
      if (p.cert.x509.publicKey.asymmetricKeyType !== 'rsa' && !agreeableCurve(p.cert.x509.publicKey)) continue;
      if ((await this.revocationOf(p.cert, [])).status === 'revoked') {
        this.o.log?.warn('a recipient certificate is revoked; not used', { id: p.rec.id, address });
        continue;
      }
      return { id: p.rec.id, certificate: p.cert.der };
    }
    return null;
  }

  /** Revocation of one certificate, its issuer found among `carried` and the keyring's CAs. */
  private async revocationOf(cert: CertInfo, carried: CertInfo[]): Promise<{ status: string; reason: string | null }> {
    if (!this.o.revocation) return { status: 'unknown', reason: null };
    const issuedBy = (c: CertInfo) => c.isCa && c.id !== cert.id && cert.x509.checkIssued(c.x509) && cert.x509.verify(c.x509.publicKey);
    // Carried certificates first (as before); the keyring's own issuer of a certificate is looked
    // up once per keyring version (the signature check of the link is the costly part).
    let issuer = carried.find(issuedBy);
    if (!issuer && this.issuers.has(cert.id)) issuer = this.issuers.get(cert.id) ?? undefined;
    else if (!issuer) {
      const version = this.version;
      issuer = (await this.x509()).map((p) => p.cert).find(issuedBy);
      if (version === this.version) this.issuers.set(cert.id, issuer ?? null);
    }
    if (!issuer) return { status: 'unknown', reason: 'issuer unknown' };
    return this.o.revocation.check(cert, issuer);
  }

  /** The sender's signing identity (own certificate, else the domain's), with its chain. */
  async smimeSigner(address: string): Promise<SmimeIdentity | null> {
    const hit = (await this.certsFor(address, true)).find((p) => ['rsa', 'ec'].includes(p.cert.x509.publicKey.asymmetricKeyType ?? ''));
    if (!hit) return null;
    return { id: hit.rec.id, certificate: hit.cert.der, chain: await this.chainOf(hit.cert.der), privateKey: this.privateKeyOf(hit.rec) };
  }

  /** CA certificates above `der` that the keyring holds (for inclusion in signatures and bundles). */
  private async chainOf(der: Buffer): Promise<Buffer[]> {
    const id = createHash('sha256').update(der).digest('hex');
    const known = this.chains.get(id);
    if (known) return known;
    const version = this.version;
    const chain = await this.findChain(der);
    if (version === this.version) this.chains.set(id, chain);
    return chain;
  }

  private async findChain(der: Buffer): Promise<Buffer[]> {
    const cas = (await this.x509()).filter((p) => p.cert.isCa).map((p) => p.cert);
    let cert = parseCertificate(der);
    const out: Buffer[] = [];
    for (let i = 0; i < 5; i++) {
      const issuer = cas.find((c) => c.id !== cert.id && cert.x509.checkIssued(c.x509) && cert.x509.verify(c.x509.publicKey));
      if (!issuer || out.some((d) => d.equals(issuer.der))) break;
      out.push(issuer.der);
      cert = issuer;
    }
    return out;
  }

  /** Every certificate with a private key (decrypting inbound S/MIME). */
  async smimeDecryptionKeys(): Promise<DecryptionKey[]> {
    return (await this.x509())
      .filter((p) => p.rec.sealedPrivate && !p.cert.isCa)
      .map((p) => ({ id: p.rec.id, certificate: p.cert.der, privateKey: () => this.privateKeyOf(p.rec) }));
  }

  /** Trust of a signer certificate, with `carried` (certificates in the message) as intermediates. */
  async trustOf(leaf: CertInfo, carried: CertInfo[]): Promise<TrustResult> {
    const all = await this.x509();
    const anchors = all.filter((p) => p.cert.isCa && (p.rec.source === 'ca' || p.rec.source === 'import')).map((p) => p.cert);
    const pinned = new Set(all.filter((p) => !p.cert.isCa && (p.rec.source === 'import' || p.rec.source === 'issued')).map((p) => p.rec.id));
    const trust = checkTrust(leaf, carried, anchors, pinned);
    if (!trust.trusted || !this.o.revocation) return trust;
    // Every link below the anchor (a pinned leaf alone: against whichever issuer is known).
    const links = trust.chain.length > 1 ? trust.chain.slice(0, -1) : trust.chain;
    for (const cert of links) {
      const r = await this.revocationOf(cert, carried);
      if (r.status === 'revoked') return { ...trust, trusted: false, revoked: true, reason: r.reason };
    }
    return trust;
  }

  private async pgpFor(address: string, withPrivate: boolean): Promise<{ rec: SealerKey; key: openpgp.Key }[]> {
    const addr = address.toLowerCase();
    const out: { rec: SealerKey; key: openpgp.Key }[] = [];
    for (const want of [addr, `@${domainOf(addr)}`]) {
      for (const rec of await this.records()) {
        if (rec.kind !== 'pgp' || !rec.addresses.includes(want) || (withPrivate && !rec.sealedPrivate)) continue;
        const p = (await this.parse(rec)) as Extract<Parsed, { kind: 'pgp' }>;
        out.push({ rec, key: p.key });
      }
      if (out.length) break;
    }
    return out.sort((a, b) => Keyring.rank(a.rec) - Keyring.rank(b.rec) || (b.rec.notBefore ?? 0) - (a.rec.notBefore ?? 0));
  }

  /** A recipient's OpenPGP key that can encrypt now, or null. */
  async pgpRecipient(address: string): Promise<{ id: string; key: openpgp.Key } | null> {
    for (const { rec, key } of await this.pgpFor(address, false)) {
      if (await key.getEncryptionKey().then(() => true, () => false)) return { id: rec.id, key };
    }
    return null;
  }

  private unlock(rec: SealerKey): Promise<openpgp.PrivateKey> {
    const now = Date.now();
    const hit = this.unlocked.get(rec.id);
    if (hit && now < hit.until) return hit.key;
    const key = openpgp.readPrivateKey({ armoredKey: this.o.vault.open(rec.id, rec.sealedPrivate!).toString('utf8') });
    this.unlocked.set(rec.id, { key, until: now + UNLOCKED_MS });
    // A key that does not read is not kept: the next mail tries again (and reports the error).
    key.catch(() => this.unlocked.get(rec.id)?.key === key && this.unlocked.delete(rec.id));
    return key;
  }

  /** The sender's OpenPGP signing key, or null. */
  async pgpSigner(address: string): Promise<{ id: string; key: openpgp.PrivateKey } | null> {
    for (const { rec } of await this.pgpFor(address, true)) {
      const key = await this.unlock(rec);
      if (await key.getSigningKey().then(() => true, () => false)) return { id: rec.id, key };
    }
    return null;
  }

  /** The OpenPGP secret keys held whose (sub)key ids are among `keyIds` (hex), unlocked. */
  async pgpDecryptionKeys(keyIds: string[]): Promise<{ id: string; key: openpgp.PrivateKey }[]> {
    const out: { id: string; key: openpgp.PrivateKey }[] = [];
    for (const rec of await this.records()) {
      if (rec.kind !== 'pgp' || !rec.sealedPrivate) continue;
      const { key } = (await this.parse(rec)) as Extract<Parsed, { kind: 'pgp' }>;
      if (key.getKeys().some((k) => keyIds.includes(k.getKeyID().toHex()))) out.push({ id: rec.id, key: await this.unlock(rec) });
    }
    return out;
  }

  /** Every OpenPGP public key held (checking signatures); the caller matches the signer. */
  async pgpVerificationKeys(): Promise<{ rec: SealerKey; key: openpgp.Key }[]> {
    const out: { rec: SealerKey; key: openpgp.Key }[] = [];
    for (const rec of await this.records()) if (rec.kind === 'pgp') out.push({ rec, key: ((await this.parse(rec)) as Extract<Parsed, { kind: 'pgp' }>).key });
    return out;
  }

  // --- harvesting --------------------------------------------------------------------------

  /**
   * Keeps a certificate seen in a validly signed mail. An untrusted one is kept only when nothing
   * is known yet for its addresses (trust on first use), so a stranger cannot push a key in front
   * of one the admin imported or the CA issued.
   */
  async harvestCertificate(cert: CertInfo, trusted: boolean): Promise<boolean> {
    if (cert.isCa || !cert.addresses.length) return false;
    const all = await this.x509();
    if (all.some((p) => p.rec.id === cert.id)) return false;
    if (!trusted && all.some((p) => p.rec.addresses.some((a) => cert.addresses.includes(a)))) return false;
    await this.putCertificate(cert, null, 'harvested', []);
    return true;
  }

  /** Keeps OpenPGP keys from an Autocrypt header or an attached key, for `address` only (TOFU). */
  async harvestPgp(data: Buffer, address: string): Promise<number> {
    const addr = address.toLowerCase();
    let n = 0;
    for (const k of await readPgpKeys(data).catch(() => [] as PgpKeyInfo[])) {
      if (!k.addresses.includes(addr) || k.privateArmored) continue;
      if ((await this.records()).some((r) => r.id === k.id || (r.kind === 'pgp' && r.addresses.includes(addr)))) continue;
      await this.putPgp(k, 'harvested', [addr]);
      n++;
    }
    return n;
  }
}
