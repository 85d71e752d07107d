// The mail-sealer's keys on SQLite: one row per certificate or OpenPGP key and one row per
// address it is for. Writes are durable (key material is never "redone" after a power loss).
import type Database from 'better-sqlite3';
import type { KeyStore, SealerKey, SealerKeyFilter } from '../store.ts';
import { toKey, type KeyRow } from '../rows/key-row.ts';
import type { WriteBatcher } from './write-batcher.ts';

const SELECT = `SELECT k.*, (SELECT group_concat(address, ' ') FROM sealer_key_addresses a WHERE a.key_id = k.id) AS addresses FROM sealer_keys k`;

export class SqliteKeyStore implements KeyStore {
  private readonly st;

  constructor(
    private readonly db: Database.Database,
    private readonly writes: WriteBatcher,
    private readonly now: () => number = Date.now,
  ) {
    this.st = {
      get: db.prepare(`${SELECT} WHERE k.id = ?`),
      insert: db.prepare(
        `INSERT INTO sealer_keys (id, kind, source, subject, issuer, serial, not_before, not_after, public_data, sealed_private, created_at, updated_at)
         VALUES (@id, @kind, @source, @subject, @issuer, @serial, @not_before, @not_after, @public_data, @sealed_private, @now, @now)`,
      ),
      update: db.prepare(
        `UPDATE sealer_keys SET source = @source, subject = @subject, issuer = @issuer, serial = @serial, not_before = @not_before,
         not_after = @not_after, public_data = @public_data, sealed_private = COALESCE(@sealed_private, sealed_private), updated_at = @now WHERE id = @id`,
      ),
      clearAddresses: db.prepare('DELETE FROM sealer_key_addresses WHERE key_id = ?'),
      addAddress: db.prepare('INSERT OR IGNORE INTO sealer_key_addresses (address, key_id) VALUES (?, ?)'),
      remove: db.prepare('DELETE FROM sealer_keys WHERE id = ?'),
    };
  }

  async put(k: Omit<SealerKey, 'createdAt' | 'updatedAt'>): Promise<{ key: SealerKey; created: boolean }> {
    return this.writes.run(() => {
      const old = this.st.get.get(k.id) as KeyRow | undefined;
      // A harvested copy of a key we know already tells nothing new about where it came from.
      const source = old && k.source === 'harvested' ? old.source : k.source;
      const row = {
        id: k.id,
        kind: k.kind,
        source,
        subject: k.subject,
        issuer: k.issuer,
        serial: k.serial,
        not_before: k.notBefore,
        not_after: k.notAfter,
        public_data: k.publicData,
        sealed_private: k.sealedPrivate,
        now: this.now(),
      };
      if (old) this.st.update.run(row);
      else this.st.insert.run(row);
      this.st.clearAddresses.run(k.id);
      for (const a of new Set(k.addresses.map((x) => x.toLowerCase()))) this.st.addAddress.run(a, k.id);
      return { key: toKey(this.st.get.get(k.id) as KeyRow), created: !old };
    }, true);
  }

  async get(id: string): Promise<SealerKey | null> {
    const r = this.st.get.get(id) as KeyRow | undefined;
    return r ? toKey(r) : null;
  }

  async list(f: SealerKeyFilter = {}): Promise<SealerKey[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.address !== undefined) {
      where.push('k.id IN (SELECT key_id FROM sealer_key_addresses WHERE address = ?)');
      args.push(f.address.toLowerCase());
    }
    if (f.kind) {
      where.push('k.kind = ?');
      args.push(f.kind);
    }
    if (f.source) {
      where.push('k.source = ?');
      args.push(f.source);
    }
    const sql = `${SELECT}${where.length ? ' WHERE ' + where.join(' AND ') : ''} ORDER BY k.created_at DESC, k.id`;
    return (this.db.prepare(sql).all(...args) as KeyRow[]).map(toKey);
  }

  async remove(id: string): Promise<boolean> {
    return this.writes.run(() => this.st.remove.run(id).changes > 0, true);
  }
}
