// The spamfinder's state on PostgreSQL (mirrors sqlite/spam-store.ts). Shared by every node:
// counts are only ever changed by `n = n + x` upserts and each learned mail is claimed by an
// insert-or-compare-and-set on its digest row, so concurrent learners never lose or double a
// count. Token upserts go in hash order (no deadlock between nodes); writes resolve after COMMIT.
import type pg from 'pg';
import type { BayesCounts, BayesLesson, BayesSample, FilterListEntry, FilterListName, SpamStore } from '../store.ts';
import { packTokens, unpackTokens } from '../rows/token-blob.ts';
import { toFilterListEntry, type FilterListRow } from '../rows/filter-list-row.ts';
import type { PgDatabase } from './database.ts';
import { LOCK, lockChain } from './chain-lock.ts';
import { writeAsyncCommit } from './async-commit.ts';

/** Learned-mail digests kept (oldest forgotten first), as on SQLite. */
const MAX_DIGESTS = 1_000_000;
/** Token hashes per statement. */
const CHUNK = 5000;

export class PgSpamStore implements SpamStore {
  constructor(private readonly db: PgDatabase) {}

  async bayesTotals(): Promise<BayesCounts> {
    const r = (await this.db.query<{ spam: number; ham: number }>('SELECT spam, ham FROM bayes_totals WHERE id = 1')).rows[0];
    return { spam: Number(r?.spam ?? 0), ham: Number(r?.ham ?? 0) };
  }

  async bayesTokens(tokens: number[]): Promise<Map<number, BayesCounts>> {
    const out = new Map<number, BayesCounts>();
    for (let i = 0; i < tokens.length; i += CHUNK) {
      const part = tokens.slice(i, i + CHUNK);
      const rows = await this.db.query<{ h: number; spam: number; ham: number }>('SELECT h, spam, ham FROM bayes_tokens WHERE h = ANY($1::bigint[])', [part]);
      for (const r of rows.rows) out.set(Number(r.h), { spam: Number(r.spam), ham: Number(r.ham) });
    }
    return out;
  }

  bayesLearn(lessons: BayesLesson[]): Promise<number> {
    if (!lessons.length) return Promise.resolve(0);
    return this.db.tx(async (c) => {
      const now = Date.now();
      const delta = new Map<number, { spam: number; ham: number }>();
      const totals = { spam: 0, ham: 0 };
      let changed = 0;
      // In the given order, as SQLite learns them (a digest learned twice in one call moves).
      for (const l of lessons) {
        const was = await this.claimLesson(c, l, now);
        if (l.sample) {
          await c.query(
            `INSERT INTO bayes_samples (digest, class, source, rules, tokens, at) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (digest) DO UPDATE SET class = EXCLUDED.class, source = EXCLUDED.source, rules = EXCLUDED.rules, tokens = EXCLUDED.tokens, at = EXCLUDED.at`,
            [l.digest, l.class, l.sample.source, JSON.stringify(l.sample.rules), packTokens(l.tokens), now],
          );
        } else if (was === 'other') await c.query('UPDATE bayes_samples SET class = $1, at = $2 WHERE digest = $3', [l.class, now, l.digest]);
        if (was === 'same') continue;
        const spam = l.class === 'spam' ? 1 : 0;
        const ham = 1 - spam;
        // Moving a mail to the other class takes its counts out of the old one.
        const undo = was === 'other' ? -1 : 0;
        const ds = spam + undo * ham;
        const dh = ham + undo * spam;
        for (const h of new Set(l.tokens)) {
          const d = delta.get(h) ?? { spam: 0, ham: 0 };
          d.spam += ds;
          d.ham += dh;
          delta.set(h, d);
        }
        totals.spam += ds;
        totals.ham += dh;
        changed++;
      }
      if (!changed) return 0;
      // Token rows in hash order: two nodes learning at once lock them in the same order.
      const hs = [...delta.keys()].sort((a, b) => a - b);
      for (let i = 0; i < hs.length; i += CHUNK) {
        const part = hs.slice(i, i + CHUNK);
        await c.query(
          `INSERT INTO bayes_tokens AS b (h, spam, ham, touched)
           SELECT h, s, m, $4 FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS t (h, s, m) ORDER BY h
           ON CONFLICT (h) DO UPDATE SET spam = GREATEST(0, b.spam + EXCLUDED.spam), ham = GREATEST(0, b.ham + EXCLUDED.ham), touched = EXCLUDED.touched`,
          [part, part.map((h) => delta.get(h)!.spam), part.map((h) => delta.get(h)!.ham), now],
        );
        // A new row got the raw change; one that was pruned before its mail moved may be below 0.
        await c.query('UPDATE bayes_tokens SET spam = GREATEST(0, spam), ham = GREATEST(0, ham) WHERE h = ANY($1::bigint[]) AND (spam < 0 OR ham < 0)', [part]);
      }
      await c.query('UPDATE bayes_totals SET spam = GREATEST(0, spam + $1), ham = GREATEST(0, ham + $2) WHERE id = 1', [totals.spam, totals.ham]);
      return changed;
    });
  }

  /** Records a lesson's digest: "new" (never learned), "other" (moved from the other class) or "same" (skip). */
  private async claimLesson(c: pg.PoolClient, l: BayesLesson, now: number): Promise<'new' | 'other' | 'same'> {
    const ins = await c.query('INSERT INTO bayes_messages (digest, class, at) VALUES ($1, $2, $3) ON CONFLICT (digest) DO NOTHING', [l.digest, l.class, now]);
    if (ins.rowCount) return 'new';
    const up = await c.query('UPDATE bayes_messages SET class = $2, at = $3 WHERE digest = $1 AND class <> $2', [l.digest, l.class, now]);
    return up.rowCount ? 'other' : 'same';
  }

  bayesPrune(maxTokens: number): Promise<number> {
    return this.db.tx(async (c) => {
      await lockChain(c, LOCK.bayesPrune);
      const n = Number((await c.query<{ n: number }>('SELECT count(*)::bigint AS n FROM bayes_tokens')).rows[0].n);
      const m = Number((await c.query<{ n: number }>('SELECT count(*)::bigint AS n FROM bayes_messages')).rows[0].n);
      if (m > MAX_DIGESTS) {
        await c.query('DELETE FROM bayes_messages WHERE digest IN (SELECT digest FROM bayes_messages ORDER BY at LIMIT $1)', [m - MAX_DIGESTS]);
      }
      if (n <= maxTokens) return 0;
      const r = await c.query('DELETE FROM bayes_tokens WHERE h IN (SELECT h FROM bayes_tokens ORDER BY touched, h LIMIT $1)', [n - maxTokens]);
      return r.rowCount ?? 0;
    });
  }

  async bayesSamples(): Promise<BayesSample[]> {
    const r = await this.db.query<{ digest: string; class: 'spam' | 'ham'; source: string; rules: string; tokens: Buffer }>('SELECT digest, class, source, rules, tokens FROM bayes_samples ORDER BY class, at DESC');
    return r.rows.map((x) => ({ digest: x.digest, class: x.class, source: x.source, rules: JSON.parse(x.rules) as string[], tokens: unpackTokens(x.tokens) }));
  }

  async bayesPruneSamples(maxPerClass: number): Promise<number> {
    const r = await this.db.query(
      `DELETE FROM bayes_samples s USING (
         SELECT digest, row_number() OVER (PARTITION BY class ORDER BY at DESC, digest) AS n FROM bayes_samples
       ) o WHERE s.digest = o.digest AND o.n > $1`,
      [maxPerClass],
    );
    return r.rowCount ?? 0;
  }

  async bayesSize(): Promise<{ tokens: number; messages: number }> {
    const r = await this.db.query<{ t: number; m: number }>('SELECT (SELECT count(*) FROM bayes_tokens)::bigint AS t, (SELECT count(*) FROM bayes_messages)::bigint AS m');
    return { tokens: Number(r.rows[0].t), messages: Number(r.rows[0].m) };
  }

  fuzzyAdd(print: { digest: string; hashes: number[] }): Promise<boolean> {
    return this.db.tx(async (c) => {
      const r = await c.query<{ id: number }>(
        'INSERT INTO fuzzy_prints (digest, size, added_at) VALUES ($1, $2, $3) ON CONFLICT (digest) DO NOTHING RETURNING id',
        [print.digest, print.hashes.length, Date.now()],
      );
      if (!r.rowCount) return false;
      await c.query('INSERT INTO fuzzy_hashes (h, print) SELECT DISTINCT h, $2::bigint FROM unnest($1::bigint[]) AS t (h)', [print.hashes, r.rows[0].id]);
      return true;
    });
  }

  async fuzzyMatch(hashes: number[]): Promise<{ digest: string; shared: number; size: number } | null> {
    if (!hashes.length) return null;
    const r = await this.db.query<{ id: number; digest: string; size: number; shared: number }>(
      `SELECT p.id, p.digest, p.size, b.shared FROM (
         SELECT print, count(*)::bigint AS shared FROM fuzzy_hashes WHERE h = ANY($1::bigint[]) GROUP BY print ORDER BY shared DESC, print LIMIT 1
       ) b JOIN fuzzy_prints p ON p.id = b.print`,
      [hashes.slice(0, CHUNK)],
    );
    const best = r.rows[0];
    if (!best) return null;
    // Hit statistics only: not worth a wait or a failure of the check.
    void writeAsyncCommit(this.db, 'UPDATE fuzzy_prints SET hits = hits + 1, last_hit = $1 WHERE id = $2', [Date.now(), best.id]).catch(() => undefined);
    return { digest: best.digest, shared: Number(best.shared), size: Number(best.size) };
  }

  fuzzyPrune(max: number): Promise<number> {
    return this.db.tx(async (c) => {
      await lockChain(c, LOCK.fuzzyPrune);
      const n = Number((await c.query<{ n: number }>('SELECT count(*)::bigint AS n FROM fuzzy_prints')).rows[0].n);
      if (n <= max) return 0;
      const r = await c.query('DELETE FROM fuzzy_prints WHERE id IN (SELECT id FROM fuzzy_prints ORDER BY added_at, id LIMIT $1)', [n - max]);
      return r.rowCount ?? 0;
    });
  }

  async fuzzyCount(): Promise<number> {
    return Number((await this.db.query<{ n: number }>('SELECT count(*)::bigint AS n FROM fuzzy_prints')).rows[0].n);
  }

  async cissKnown(recipient: string, sender: string, now: number): Promise<boolean> {
    const r = recipient.toLowerCase();
    const s = sender.toLowerCase();
    const rows = await this.db.query(
      `SELECT 1 FROM ciss_known WHERE recipient = $1 AND sender = $2 AND until > $3
       UNION ALL SELECT 1 FROM filter_lists WHERE owner = $1 AND list = 'awl' AND value = $2 LIMIT 1`,
      [r, s, now],
    );
    return (rows.rowCount ?? 0) > 0;
  }

  cissRemember(pairs: { recipient: string; sender: string }[], until: number): Promise<void> {
    if (!pairs.length) return Promise.resolve();
    // One row per pair, in key order (no deadlock between nodes remembering the same pairs).
    const keyed = new Map(pairs.map((p) => [`${p.recipient.toLowerCase()}\n${p.sender.toLowerCase()}`, p]));
    const keys = [...keyed.keys()].sort();
    return this.db.tx(async (c) => {
      await c.query(
        `INSERT INTO ciss_known (recipient, sender, until)
         SELECT split_part(k, E'\\n', 1), split_part(k, E'\\n', 2), $2 FROM unnest($1::text[]) AS t (k)
         ON CONFLICT (recipient, sender) DO UPDATE SET until = GREATEST(ciss_known.until, EXCLUDED.until)`,
        [keys, until],
      );
      // Expired entries go with the next write: the table stays the size of the live ones.
      await c.query('DELETE FROM ciss_known WHERE until <= $1', [Date.now()]);
    });
  }

  cissChallenge(sender: string, since: number, now: number): Promise<boolean> {
    return this.db.tx(async (c) => {
      // Insert, or take over a challenge older than the period: one statement, so two nodes
      // challenging the same sender at once send one challenge.
      const r = await c.query(
        `INSERT INTO ciss_challenges (sender, at) VALUES ($1, $2)
         ON CONFLICT (sender) DO UPDATE SET at = EXCLUDED.at WHERE ciss_challenges.at <= $3`,
        [sender.toLowerCase(), now, since],
      );
      if (!r.rowCount) return false;
      await c.query('DELETE FROM ciss_challenges WHERE at <= $1', [since]);
      return true;
    });
  }

  async listEntries(owner?: string): Promise<FilterListEntry[]> {
    const order = 'ORDER BY list COLLATE "C", value COLLATE "C"';
    const r =
      owner === undefined
        ? await this.db.query<FilterListRow>(`SELECT * FROM filter_lists ${order}`)
        : await this.db.query<FilterListRow>(`SELECT * FROM filter_lists WHERE owner = $1 ${order}`, [owner]);
    return r.rows.map(toFilterListEntry);
  }

  async addListEntry(e: { list: FilterListName; value: string; owner?: string; comment?: string | null; createdBy: string }): Promise<FilterListEntry> {
    const owner = e.owner ?? '';
    const ins = await this.db.query<FilterListRow>(
      `INSERT INTO filter_lists (list, value, owner, comment, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (owner, list, value) DO NOTHING RETURNING *`,
      [e.list, e.value, owner, e.comment ?? null, Date.now(), e.createdBy],
    );
    if (ins.rows[0]) return toFilterListEntry(ins.rows[0]);
    const found = await this.db.query<FilterListRow>('SELECT * FROM filter_lists WHERE owner = $1 AND list = $2 AND value = $3', [owner, e.list, e.value]);
    if (found.rows[0]) return toFilterListEntry(found.rows[0]);
    return this.addListEntry(e); // removed between the two statements: add it again
  }

  async removeListEntry(id: number): Promise<boolean> {
    return ((await this.db.query('DELETE FROM filter_lists WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }
}
