// The receiver's TLS certificate: the configured one, or a self-signed one made at first start
// and kept in dataDir/tls so that clients see the same certificate after a restart.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export async function loadOrCreateCertificate(opts: { tls?: { cert: string; key: string }; dataDir: string; hostname: string }): Promise<{ cert: Buffer; key: Buffer }> {
  if (opts.tls) return { cert: readFileSync(opts.tls.cert), key: readFileSync(opts.tls.key) };
  const dir = join(opts.dataDir, 'tls');
  const certFile = join(dir, 'smtp-cert.pem');
  const keyFile = join(dir, 'smtp-key.pem');
  if (existsSync(certFile) && existsSync(keyFile)) return { cert: readFileSync(certFile), key: readFileSync(keyFile) };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const notAfter = new Date(Date.now() + 5 * 365 * 86_400_000);
  // Loaded only when a certificate is made: its X.509 stack costs ~15 MB of memory.
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: opts.hostname }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: notAfter,
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: opts.hostname }] }],
  });
  writeFileSync(keyFile, pems.private, { mode: 0o600 });
  writeFileSync(certFile, pems.cert, { mode: 0o644 });
  return { cert: Buffer.from(pems.cert), key: Buffer.from(pems.private) };
}
