// Whether a signer's certificate is trusted: it was imported by the admin (pinned), or it chains
// (each link's signature checked, each certificate within its validity) to a trust anchor — the
// built-in CA or a CA certificate the admin imported. Revocation lists are not consulted yet.
import type { CertInfo } from './x509.ts';

export interface TrustResult {
  trusted: boolean;
  /** Why not, for the header and the log. */
  reason: string | null;
  /** Leaf first. */
  chain: CertInfo[];
  /** A certificate of the chain is on its issuer's CRL. */
  revoked?: boolean;
}

const MAX_DEPTH = 6;

export function checkTrust(leaf: CertInfo, intermediates: CertInfo[], anchors: CertInfo[], pinned: Set<string>, at = Date.now()): TrustResult {
  const chain: CertInfo[] = [leaf];
  const current = (c: CertInfo) => c.notBefore <= at && at <= c.notAfter;
  if (!current(leaf)) return { trusted: false, reason: at > leaf.notAfter ? 'the certificate has expired' : 'the certificate is not valid yet', chain };
  if (pinned.has(leaf.id)) return { trusted: true, reason: null, chain };
  const anchorIds = new Set(anchors.map((a) => a.id));
  const pool = [...anchors, ...intermediates];
  let cert = leaf;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    if (anchorIds.has(cert.id)) return { trusted: true, reason: null, chain };
    const issuer = pool.find((c) => c.id !== cert.id && c.isCa && cert.x509.checkIssued(c.x509) && cert.x509.verify(c.x509.publicKey));
    if (!issuer) return { trusted: false, reason: 'no chain to a trusted CA', chain };
    if (!current(issuer)) return { trusted: false, reason: `the issuing CA certificate (${issuer.subject}) is not valid now`, chain };
    chain.push(issuer);
    cert = issuer;
  }
  return { trusted: false, reason: 'the certificate chain is too long', chain };
}
