// Certificate trust for connections the appliance opens to peers an admin names (POP3 servers;
// remote-support's endpoint uses it too): the system CAs and host name check by default, plus
// an extra CA (`ca`), or one pinned certificate trusted as it is (`trustCertificate`: a PEM file
// or a SHA-256 fingerprint) for a self-signed server. Nothing is sent before the check passed.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { rootCertificates, type ConnectionOptions, type PeerCertificate } from 'node:tls';

export interface TrustSpec {
  /** PEM file with one or more CA certificates to trust besides the system's. */
  ca?: string;
  /** PEM file of the peer's own certificate, or its SHA-256 fingerprint ("AB:CD:…", 32 bytes). */
  trustCertificate?: string;
}

export interface TlsTrust {
  /** Options for tls.connect (ca, servername, rejectUnauthorized). */
  options: ConnectionOptions;
  /** Throws a TlsTrustError when the peer's certificate is not the pinned one (no-op otherwise). */
  verify(peer: PeerCertificate): void;
}

export class TlsTrustError extends Error {
  readonly code = 'CERT_NOT_TRUSTED';
  constructor(message: string) {
    super(message);
    this.name = 'TlsTrustError';
  }
}

const FINGERPRINT = /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/;

/** The SHA-256 fingerprint to pin: given as such, or read from a PEM certificate file. */
export function pinnedFingerprint(spec: string): string {
  const up = spec.trim().toUpperCase();
  if (FINGERPRINT.test(up)) return up;
  return new X509Certificate(readFileSync(spec)).fingerprint256.toUpperCase();
}

export function tlsTrust(host: string, spec: TrustSpec): TlsTrust {
  // SNI takes a host name only; Node refuses an IP address there.
  const options: ConnectionOptions = isIP(host) ? {} : { servername: host };
  if (spec.trustCertificate) {
    const pinned = pinnedFingerprint(spec.trustCertificate);
    // The chain and the name are not checked: the pinned certificate is the whole trust.
    return {
      options: { ...options, rejectUnauthorized: false },
      verify(peer) {
        const got = (peer?.fingerprint256 ?? '').toUpperCase();
        if (got !== pinned) throw new TlsTrustError(`the server's certificate (SHA-256 ${got || 'none'}) is not the trusted one (${pinned})`);
      },
    };
  }
  if (spec.ca) options.ca = [...rootCertificates, readFileSync(spec.ca, 'utf8')];
  return { options: { ...options, rejectUnauthorized: true }, verify() {} };
}
