// The `sealer_keys` row shape both backends share (sqlite/ and postgres/ key-store.ts), read with
// its addresses aggregated into one space-separated column, and its mapping to a SealerKey.
import type { SealerKey } from '../store.ts';

export interface KeyRow {
  id: string;
  kind: SealerKey['kind'];
  source: SealerKey['source'];
  subject: string;
  issuer: string | null;
  serial: string | null;
  not_before: number | null;
  not_after: number | null;
  public_data: string;
  sealed_private: Buffer | null;
  created_at: number;
  updated_at: number;
  addresses: string | null;
}

export const toKey = (r: KeyRow): SealerKey => ({
  id: r.id,
  kind: r.kind,
  source: r.source,
  addresses: r.addresses ? r.addresses.split(' ').sort() : [],
  subject: r.subject,
  issuer: r.issuer,
  serial: r.serial,
  notBefore: r.not_before,
  notAfter: r.not_after,
  publicData: r.public_data,
  sealedPrivate: r.sealed_private,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});
