// Seals private keys at rest: AES-256-GCM under 32 random bytes in <dataDir>/keys/sealer.key
// (mode 0600 in a 0700 directory, made at the first start), bound to the key's id as associated
// data, so a sealed key copied onto another key's row does not open. The database alone reveals
// no private key.
import { loadOrCreateKeyFile, type SharedKeyCheck } from '../../../core/key-file.ts';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { SealerError } from '../sealer-error.ts';

const VERSION = 1;

export function sealerKeyPath(dataDir: string): string {
  return join(dataDir, 'keys', 'sealer.key');
}

export class KeyVault {
  private constructor(private readonly key: Buffer) {}

  /** Loads the key file, or makes it (write temp → fsync → rename) when there is none. */
  static async open(dataDir: string, shared?: SharedKeyCheck): Promise<{ vault: KeyVault; created: boolean }> {
    const { key, created } = await loadOrCreateKeyFile(sealerKeyPath(dataDir), (m) => new SealerError('KEY_VAULT', m), shared);
    return { vault: new KeyVault(key), created };
  }

  /** For tests: a vault over a given key. */
  static fromKey(key: Buffer): KeyVault {
    return new KeyVault(key);
  }

  /** version (1) ‖ nonce (12) ‖ tag (16) ‖ ciphertext */
  seal(keyId: string, plain: Buffer): Buffer {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    c.setAAD(Buffer.from(keyId, 'utf8'));
    const body = Buffer.concat([c.update(plain), c.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, c.getAuthTag(), body]);
  }

  open(keyId: string, sealed: Buffer): Buffer {
    if (sealed.length < 29 || sealed[0] !== VERSION) throw new SealerError('KEY_VAULT', `sealed private key of ${keyId} has an unknown format`);
    const d = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(1, 13));
    d.setAAD(Buffer.from(keyId, 'utf8'));
    d.setAuthTag(sealed.subarray(13, 29));
    try {
      return Buffer.concat([d.update(sealed.subarray(29)), d.final()]);
    } catch (err) {
      throw new SealerError('KEY_VAULT', `sealed private key of ${keyId} does not open with this sealer.key (replaced key file, or a damaged row)`, { cause: err });
    }
  }
}
