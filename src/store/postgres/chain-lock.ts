// Cluster-wide locks of the hash chains and other single-writer steps on PostgreSQL: advisory
// transaction locks (two-key form, so they never meet the single-key migration lock), held
// until COMMIT or ROLLBACK. Taking one before reading a chain's last link is what makes two
// nodes never chain to the same predecessor.
import type pg from 'pg';

/** "gate": the first key of every Gatehouse lock. */
const NAMESPACE = 0x6761_7465;

export const LOCK = {
  compliance: 1,
  archiveEntries: 2,
  archiveDeletions: 3,
  bayesPrune: 4,
  fuzzyPrune: 5,
} as const;

/** Waits for the lock `which` inside the open transaction of `c`. */
export async function lockChain(c: pg.PoolClient, which: (typeof LOCK)[keyof typeof LOCK]): Promise<void> {
  await c.query('SELECT pg_advisory_xact_lock($1, $2)', [NAMESPACE, which]);
}
