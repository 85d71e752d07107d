// What the admin plane may do with the mail-sealer: keys (list, show, import, export, issue,
// delete, the built-in CA's certificate) and the encryption policies (read; replace through the
// API, which then overrides the config file's list until reset). Sealer errors become
// ControlErrors with stable codes.
import { z } from 'zod';
import type { SealerKeyFilter } from '../../store/store.ts';
import { ControlError, type ControlErrorCode } from '../system-manager/control.ts';
import { sealerPolicySchema, type SealerPolicy } from './config.ts';
import type { ExportedKey, KeyView } from './keys/keyring.ts';
import { SealerError, type SealerErrorCode } from './sealer-error.ts';

export interface PolicySet {
  /** Where the policies in force come from. */
  source: 'config' | 'api';
  policies: SealerPolicy[];
}

export interface SealerControl {
  keys: {
    list(f: SealerKeyFilter): Promise<KeyView[]>;
    get(id: string): Promise<KeyView>;
    import(data: Buffer, opts: { password?: string; addresses?: string[] }, actor: string): Promise<KeyView[]>;
    export(id: string, opts: { withPrivate?: boolean; password?: string; format?: 'pem' | 'pkcs12' }, actor: string): Promise<ExportedKey>;
    issue(address: string, opts: { pgp?: boolean; days?: number }, actor: string): Promise<KeyView>;
    delete(id: string, actor: string): Promise<void>;
    /** PEM certificate of the built-in CA (what users and partners add as a trust anchor). */
    ca(): Promise<string>;
  };
  policies: {
    get(): Promise<PolicySet>;
    set(policies: unknown[], actor: string): Promise<PolicySet>;
    reset(actor: string): Promise<PolicySet>;
  };
}

const CODES: Record<SealerErrorCode, ControlErrorCode> = {
  KEY_FORMAT: 'KEY_INVALID',
  UNSUPPORTED: 'KEY_INVALID',
  MESSAGE_FORMAT: 'KEY_INVALID',
  KEY_PASSWORD: 'KEY_PASSWORD',
  KEY_NOT_FOUND: 'KEY_NOT_FOUND',
  NO_KEY: 'KEY_NOT_FOUND',
  KEY_UNUSABLE: 'KEY_UNUSABLE',
  KEY_VAULT: 'KEY_UNUSABLE',
  DECRYPT_FAILED: 'KEY_UNUSABLE',
};

/** Runs `fn`, turning a SealerError into the ControlError the API maps to a problem. */
export async function asControl<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof SealerError) throw new ControlError(CODES[err.code], err.message);
    throw err;
  }
}

/** Validates an API policy list like the config file's; the first problem names the field. */
export function parsePolicies(input: unknown[]): SealerPolicy[] {
  const r = z.array(sealerPolicySchema).safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue.path.length ? issue.path.map(String).join('.') : 'policies';
  throw new ControlError('POLICY_INVALID', `policies.${path}: ${issue.message}`);
}
