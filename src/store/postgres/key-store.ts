// The mail-sealer's keys in PostgreSQL, shared by the cluster: one row per certificate or
// OpenPGP key and one row per address it is for. Writes are synchronous commits. Two nodes
// putting the same key at once serialise on the key's row (INSERT … ON CONFLICT, then FOR UPDATE).
import type { KeyStore, SealerKey, SealerKeyFilter } from '../store.ts';
import { toKey, type KeyRow } from '../rows/key-row.ts';
import type { PgDatabase, Sql } from './database.ts';

const SELECT = `SELECT k.*, (SELECT string_agg(address, ' ') FROM sealer_key_addresses a WHERE a.key_id = k.id) AS addresses FROM sealer_keys k`;

export class PgKeyStore implements KeyStore {
  constructor(
    private readonly db: PgDatabase,
    private readonly now: () => number = Date.now,
  ) {}

  private async one(c: Sql, id: string, lock = false): Promise<KeyRow | undefined> {
    return (await c.query<KeyRow>(`${SELECT} WHERE k.id = $1${lock ? ' FOR UPDATE OF k' : ''}`, [id])).rows[0];
  }

  put(k: Omit<SealerKey, 'createdAt' | 'updatedAt'>): Promise<{ key: SealerKey; created: boolean }> {
    return this.db.tx(async (c) => {
      const now = this.now();
      const ins = await c.query(
        `INSERT INTO sealer_keys (id, kind, source, subject, issuer, serial, not_before, not_after, public_data, sealed_private, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) ON CONFLICT (id) DO NOTHING`,
        [k.id, k.kind, k.source, k.subject, k.issuer, k.serial, k.notBefore, k.notAfter, k.publicData, k.sealedPrivate, now],
      );
      const created = ins.rowCount === 1;
      if (!created) {
        const old = (await this.one(c, k.id, true))!;
        // A harvested copy of a key we know already tells nothing new about where it came from.
        const source = k.source === 'harvested' ? old.source : k.source;
        await c.query(
          `UPDATE sealer_keys SET source = $2, subject = $3, issuer = $4, serial = $5, not_before = $6, not_after = $7, public_data = $8,
           sealed_private = COALESCE($9, sealed_private), updated_at = $10 WHERE id = $1`,
          [k.id, source, k.subject, k.issuer, k.serial, k.notBefore, k.notAfter, k.publicData, k.sealedPrivate, now],
        );
      }
      await c.query('DELETE FROM sealer_key_addresses WHERE key_id = $1', [k.id]);
      const addresses = [...new Set(k.addresses.map((x) => x.toLowerCase()))];
      if (addresses.length) {
        await c.query('INSERT INTO sealer_key_addresses (address, key_id) SELECT a, $2 FROM unnest($1::text[]) AS a ON CONFLICT DO NOTHING', [addresses, k.id]);
      }
      return { key: toKey((await this.one(c, k.id))!), created };
    });
  }

  async get(id: string): Promise<SealerKey | null> {
    const r = (await this.db.query<KeyRow>(`${SELECT} WHERE k.id = $1`, [id])).rows[0];
    return r ? toKey(r) : null;
  }

  async list(f: SealerKeyFilter = {}): Promise<SealerKey[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const arg = (v: unknown) => (args.push(v), `$${args.length}`);
    if (f.address !== undefined) where.push(`k.id IN (SELECT key_id FROM sealer_key_addresses WHERE address = ${arg(f.address.toLowerCase())})`);
    if (f.kind) where.push(`k.kind = ${arg(f.kind)}`);
    if (f.source) where.push(`k.source = ${arg(f.source)}`);
    const sql = `${SELECT}${where.length ? ' WHERE ' + where.join(' AND ') : ''} ORDER BY k.created_at DESC, k.id`;
    return (await this.db.query<KeyRow>(sql, args)).rows.map(toKey);
  }

  async remove(id: string): Promise<boolean> {
    return ((await this.db.query('DELETE FROM sealer_keys WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }
}
