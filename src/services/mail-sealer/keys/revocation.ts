// Revocation checks against CRLs (RFC 5280): the list is fetched from the certificate's CRL
// distribution point (http/https, with a deadline and a size limit), its signature checked with
// the issuer's key, and kept until its nextUpdate (at most maxAge), and so is the verdict for each
// certificate checked against it. A list that cannot be had is "unknown", and the caller decides
// (soft-fail by default, like mail clients).
import { verify } from 'node:crypto';
import * as pkijs from 'pkijs';
import type { Logger } from '../../log-manager/logger.ts';
import { SIGNATURES } from '../smime/algorithms.ts';
import { bytes, pemBlocks, type CertInfo } from './x509.ts';

export type RevocationStatus = { status: 'good' | 'unknown'; reason: string | null } | { status: 'revoked'; reason: string; revokedAt: number };

export interface RevocationOptions {
  timeoutMs: number;
  /** Longest a list is kept even when its nextUpdate is later. */
  maxAgeMs: number;
  maxBytes?: number;
  log?: Logger;
  fetch?: typeof fetch;
}

const CRL_DP = '2.5.29.31';
/** Most verdicts kept at once; beyond it the oldest goes. */
const MAX_VERDICTS = 10_000;

interface Cached {
  crl: pkijs.CertificateRevocationList;
  until: number;
}

/** The http(s) URIs of a certificate's CRL distribution points. */
export function crlUrls(cert: CertInfo): string[] {
  const ext = cert.cert.extensions?.find((e) => e.extnID === CRL_DP);
  const points = (ext?.parsedValue as pkijs.CRLDistributionPoints | undefined)?.distributionPoints ?? [];
  const out: string[] = [];
  for (const p of points) {
    const names = Array.isArray(p.distributionPoint) ? (p.distributionPoint as pkijs.GeneralName[]) : [];
    for (const n of names) if (n.type === 6 && typeof n.value === 'string' && /^https?:\/\//i.test(n.value)) out.push(n.value);
  }
  return out;
}

export class RevocationChecker {
  private cache = new Map<string, Cached>();
  private inflight = new Map<string, Promise<pkijs.CertificateRevocationList>>();
  /**
   * Verdicts ("good" / "revoked") per certificate and issuer, each kept exactly as long as the CRL
   * it came from is kept (until its nextUpdate, at most maxAge): a busy stage checks the same
   * recipient certificate per mail without searching and signature-checking the list again.
   */
  private verdicts = new Map<string, { result: RevocationStatus; until: number }>();

  constructor(private readonly o: RevocationOptions) {}

  private async download(url: string): Promise<pkijs.CertificateRevocationList> {
    const res = await (this.o.fetch ?? fetch)(url, { signal: AbortSignal.timeout(this.o.timeoutMs), redirect: 'follow' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const limit = this.o.maxBytes ?? 20 * 1024 * 1024;
    const body = Buffer.from(await res.arrayBuffer());
    if (body.length > limit) throw new Error(`larger than ${limit} bytes`);
    const der = body.subarray(0, 30).toString('latin1').includes('-----BEGIN') ? (pemBlocks(body.toString('latin1'))[0]?.der ?? body) : body;
    return pkijs.CertificateRevocationList.fromBER(bytes(der));
  }

  private async list(url: string): Promise<pkijs.CertificateRevocationList> {
    const hit = this.cache.get(url);
    if (hit && Date.now() < hit.until) return hit.crl;
    let p = this.inflight.get(url);
    if (!p) {
      p = this.download(url).finally(() => this.inflight.delete(url));
      this.inflight.set(url, p);
    }
    const crl = await p;
    const next = crl.nextUpdate?.value.getTime() ?? 0;
    this.cache.set(url, { crl, until: Math.min(Date.now() + this.o.maxAgeMs, next > Date.now() ? next : Date.now() + 60_000) });
    return crl;
  }

  private signedBy(crl: pkijs.CertificateRevocationList, issuer: CertInfo): boolean {
    if (!crl.issuer.isEqual(issuer.cert.subject)) return false;
    const [hash, family] = SIGNATURES[crl.signature.algorithmId] ?? [null, null];
    if (!hash || (family !== 'rsa' && family !== 'ecdsa')) return false;
    return verify(hash, Buffer.from(crl.tbsView), issuer.x509.publicKey, Buffer.from(crl.signatureValue.valueBlock.valueHexView));
  }

  /** Is `cert` (issued by `issuer`) revoked, by the first CRL that can be had? */
  async check(cert: CertInfo, issuer: CertInfo): Promise<RevocationStatus> {
    const key = `${cert.id}:${issuer.id}`;
    const known = this.verdicts.get(key);
    if (known && Date.now() < known.until) return known.result;
    const urls = crlUrls(cert);
    if (!urls.length) return { status: 'unknown', reason: 'the certificate names no CRL' };
    let why = 'no CRL could be fetched';
    for (const url of urls) {
      let crl: pkijs.CertificateRevocationList;
      try {
        crl = await this.list(url);
      } catch (err) {
        why = `CRL ${url}: ${(err as Error).message}`;
        this.o.log?.warn('CRL not available', { url, err: err as Error });
        continue;
      }
      if (!this.signedBy(crl, issuer)) {
        why = `CRL ${url} is not signed by ${issuer.subject}`;
        continue;
      }
      const hit = crl.revokedCertificates?.find((r) => r.userCertificate.isEqual(cert.cert.serialNumber));
      const result: RevocationStatus = hit
        ? { status: 'revoked', reason: `the certificate was revoked on ${hit.revocationDate.value.toISOString().slice(0, 10)} (CRL ${url})`, revokedAt: hit.revocationDate.value.getTime() }
        : { status: 'good', reason: null };
      const until = this.cache.get(url)?.crl === crl ? this.cache.get(url)!.until : 0;
      if (this.verdicts.size >= MAX_VERDICTS) this.verdicts.delete(this.verdicts.keys().next().value!);
      if (until > Date.now()) this.verdicts.set(key, { result, until });
      return result;
    }
    return { status: 'unknown', reason: why };
  }
}
