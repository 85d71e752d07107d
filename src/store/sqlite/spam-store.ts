// The spamfinder's state on SQLite: Bayes token counts, learned-mail digests and filter lists.
// Token lookups read in chunks of 500 parameters; learning is one write-batcher job per call, so
// a corpus import of thousands of mails costs a handful of commits.
import type Database from 'better-sqlite3';
import type { BayesCounts, BayesLesson, BayesSample, FilterListEntry, FilterListName, SpamStore } from '../store.ts';
import { packTokens, unpackTokens } from '../rows/token-blob.ts';
import { toFilterListEntry, type FilterListRow } from '../rows/filter-list-row.ts';
import type { WriteBatcher } from './write-batcher.ts';

const CHUNK = 500;
/** Learned-mail digests kept (oldest forgotten first): enough to catch re-learning of recent decisions. */
const MAX_DIGESTS = 1_000_000;

export class SqliteSpamStore implements SpamStore {
  private readonly st;
  private readonly lookups = new Map<number, Database.Statement>();
  private readonly fuzzyLookups = new Map<number, Database.Statement>();

  constructor(
    private readonly db: Database.Database,
    private readonly writes: WriteBatcher,
  ) {
    this.st = {
      totals: db.prepare('SELECT spam, ham FROM bayes_totals WHERE id = 1'),
      addTotals: db.prepare('UPDATE bayes_totals SET spam = MAX(0, spam + ?), ham = MAX(0, ham + ?) WHERE id = 1'),
      learned: db.prepare('SELECT class FROM bayes_messages WHERE digest = ?'),
      remember: db.prepare('INSERT INTO bayes_messages (digest, class, at) VALUES (?, ?, ?) ON CONFLICT (digest) DO UPDATE SET class = excluded.class, at = excluded.at'),
      add: db.prepare(
        // A token pruned since the mail was learned comes back clamped at 0, never negative.
        'INSERT INTO bayes_tokens (h, spam, ham, touched) VALUES (@h, MAX(0, @spam), MAX(0, @ham), @now) ON CONFLICT (h) DO UPDATE SET spam = MAX(0, spam + @spam), ham = MAX(0, ham + @ham), touched = @now',
      ),
      tokenCount: db.prepare('SELECT COUNT(*) AS n FROM bayes_tokens'),
      messageCount: db.prepare('SELECT COUNT(*) AS n FROM bayes_messages'),
      prune: db.prepare('DELETE FROM bayes_tokens WHERE h IN (SELECT h FROM bayes_tokens ORDER BY touched LIMIT ?)'),
      pruneDigests: db.prepare('DELETE FROM bayes_messages WHERE digest IN (SELECT digest FROM bayes_messages ORDER BY at LIMIT ?)'),
      keepSample: db.prepare(
        'INSERT INTO bayes_samples (digest, class, source, rules, tokens, at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (digest) DO UPDATE SET class = excluded.class, source = excluded.source, rules = excluded.rules, tokens = excluded.tokens, at = excluded.at',
      ),
      moveSample: db.prepare('UPDATE bayes_samples SET class = ?, at = ? WHERE digest = ?'),
      samples: db.prepare('SELECT digest, class, source, rules, tokens FROM bayes_samples ORDER BY class, at DESC'),
      pruneSamples: db.prepare("DELETE FROM bayes_samples WHERE class = ? AND digest NOT IN (SELECT digest FROM bayes_samples WHERE class = ? ORDER BY at DESC LIMIT ?)"),
      lists: db.prepare('SELECT * FROM filter_lists ORDER BY list, value'),
      listsOf: db.prepare('SELECT * FROM filter_lists WHERE owner = ? ORDER BY list, value'),
      findEntry: db.prepare('SELECT * FROM filter_lists WHERE owner = ? AND list = ? AND value = ?'),
      insertEntry: db.prepare('INSERT INTO filter_lists (list, value, owner, comment, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)'),
      getEntry: db.prepare('SELECT * FROM filter_lists WHERE id = ?'),
      removeEntry: db.prepare('DELETE FROM filter_lists WHERE id = ?'),
      printByDigest: db.prepare('SELECT id FROM fuzzy_prints WHERE digest = ?'),
      insertPrint: db.prepare('INSERT INTO fuzzy_prints (digest, size, added_at) VALUES (?, ?, ?)'),
      insertHash: db.prepare('INSERT INTO fuzzy_hashes (h, print) VALUES (?, ?)'),
      printInfo: db.prepare('SELECT digest, size FROM fuzzy_prints WHERE id = ?'),
      hit: db.prepare('UPDATE fuzzy_prints SET hits = hits + 1, last_hit = ? WHERE id = ?'),
      printCount: db.prepare('SELECT COUNT(*) AS n FROM fuzzy_prints'),
      known: db.prepare(
        `SELECT 1 FROM ciss_known WHERE recipient = ? AND sender = ? AND until > ?
         UNION ALL SELECT 1 FROM filter_lists WHERE owner = ? AND list = 'awl' AND value = ? LIMIT 1`,
      ),
      rememberKnown: db.prepare('INSERT INTO ciss_known (recipient, sender, until) VALUES (?, ?, ?) ON CONFLICT (recipient, sender) DO UPDATE SET until = MAX(until, excluded.until)'),
      forgetKnown: db.prepare('DELETE FROM ciss_known WHERE until <= ?'),
      lastChallenge: db.prepare('SELECT at FROM ciss_challenges WHERE sender = ?'),
      challenge: db.prepare('INSERT INTO ciss_challenges (sender, at) VALUES (?, ?) ON CONFLICT (sender) DO UPDATE SET at = excluded.at'),
      forgetChallenges: db.prepare('DELETE FROM ciss_challenges WHERE at <= ?'),
      prunePrints: db.prepare('DELETE FROM fuzzy_prints WHERE id IN (SELECT id FROM fuzzy_prints ORDER BY added_at LIMIT ?)'),
    };
  }

  async bayesTotals(): Promise<BayesCounts> {
    return { ...(this.st.totals.get() as BayesCounts) };
  }

  private lookup(n: number): Database.Statement {
    let s = this.lookups.get(n);
    if (!s) {
      s = this.db.prepare(`SELECT h, spam, ham FROM bayes_tokens WHERE h IN (${new Array(n).fill('?').join(',')})`);
      this.lookups.set(n, s);
    }
    return s;
  }

  async bayesTokens(tokens: number[]): Promise<Map<number, BayesCounts>> {
    const out = new Map<number, BayesCounts>();
    for (let i = 0; i < tokens.length; i += CHUNK) {
      const part = tokens.slice(i, i + CHUNK);
      for (const r of this.lookup(part.length).all(...part) as { h: number; spam: number; ham: number }[]) out.set(r.h, { spam: r.spam, ham: r.ham });
    }
    return out;
  }

  bayesLearn(lessons: BayesLesson[]): Promise<number> {
    if (!lessons.length) return Promise.resolve(0);
    return this.writes.run(() => {
      const now = Date.now();
      let changed = 0;
      for (const l of lessons) {
        const before = (this.st.learned.get(l.digest) as { class: string } | undefined)?.class;
        if (l.sample) this.st.keepSample.run(l.digest, l.class, l.sample.source, JSON.stringify(l.sample.rules), packTokens(l.tokens), now);
        else if (before && before !== l.class) this.st.moveSample.run(l.class, now, l.digest);
        if (before === l.class) continue;
        const spam = l.class === 'spam' ? 1 : 0;
        const ham = 1 - spam;
        // Moving a mail to the other class takes its counts out of the old one.
        const undo = before ? -1 : 0;
        for (const h of new Set(l.tokens)) this.st.add.run({ h, spam: spam + undo * ham, ham: ham + undo * spam, now });
        this.st.addTotals.run(spam + undo * ham, ham + undo * spam);
        this.st.remember.run(l.digest, l.class, now);
        changed++;
      }
      return changed;
    });
  }

  bayesPrune(maxTokens: number): Promise<number> {
    return this.writes.run(() => {
      const n = (this.st.tokenCount.get() as { n: number }).n;
      const m = (this.st.messageCount.get() as { n: number }).n;
      if (m > MAX_DIGESTS) this.st.pruneDigests.run(m - MAX_DIGESTS);
      return n > maxTokens ? this.st.prune.run(n - maxTokens).changes : 0;
    });
  }

  async bayesSamples(): Promise<BayesSample[]> {
    return (this.st.samples.all() as { digest: string; class: 'spam' | 'ham'; source: string; rules: string; tokens: Buffer }[]).map((r) => ({
      digest: r.digest,
      class: r.class,
      source: r.source,
      rules: JSON.parse(r.rules) as string[],
      tokens: unpackTokens(r.tokens),
    }));
  }

  bayesPruneSamples(maxPerClass: number): Promise<number> {
    return this.writes.run(() => this.st.pruneSamples.run('spam', 'spam', maxPerClass).changes + this.st.pruneSamples.run('ham', 'ham', maxPerClass).changes);
  }

  async bayesSize(): Promise<{ tokens: number; messages: number }> {
    return { tokens: (this.st.tokenCount.get() as { n: number }).n, messages: (this.st.messageCount.get() as { n: number }).n };
  }

  fuzzyAdd(print: { digest: string; hashes: number[] }): Promise<boolean> {
    return this.writes.run(() => {
      if (this.st.printByDigest.get(print.digest)) return false;
      const id = Number(this.st.insertPrint.run(print.digest, print.hashes.length, Date.now()).lastInsertRowid);
      for (const h of new Set(print.hashes)) this.st.insertHash.run(h, id);
      return true;
    });
  }

  async fuzzyMatch(hashes: number[]): Promise<{ digest: string; shared: number; size: number } | null> {
    if (!hashes.length) return null;
    const n = Math.min(hashes.length, CHUNK);
    let q = this.fuzzyLookups.get(n);
    if (!q) {
      q = this.db.prepare(`SELECT print, COUNT(*) AS shared FROM fuzzy_hashes WHERE h IN (${new Array(n).fill('?').join(',')}) GROUP BY print ORDER BY shared DESC LIMIT 1`);
      this.fuzzyLookups.set(n, q);
    }
    const best = q.get(...hashes.slice(0, n)) as { print: number; shared: number } | undefined;
    if (!best) return null;
    const info = this.st.printInfo.get(best.print) as { digest: string; size: number } | undefined;
    if (!info) return null;
    void this.writes.run(() => this.st.hit.run(Date.now(), best.print)).catch(() => undefined);
    return { digest: info.digest, shared: best.shared, size: info.size };
  }

  fuzzyPrune(max: number): Promise<number> {
    return this.writes.run(() => {
      const n = (this.st.printCount.get() as { n: number }).n;
      return n > max ? this.st.prunePrints.run(n - max).changes : 0;
    });
  }

  async fuzzyCount(): Promise<number> {
    return (this.st.printCount.get() as { n: number }).n;
  }

  async cissKnown(recipient: string, sender: string, now: number): Promise<boolean> {
    const r = recipient.toLowerCase();
    const s = sender.toLowerCase();
    return this.st.known.get(r, s, now, r, s) !== undefined;
  }

  cissRemember(pairs: { recipient: string; sender: string }[], until: number): Promise<void> {
    if (!pairs.length) return Promise.resolve();
    return this.writes.run(() => {
      for (const p of pairs) this.st.rememberKnown.run(p.recipient.toLowerCase(), p.sender.toLowerCase(), until);
      // Expired entries go with the next write: the table stays the size of the live ones.
      this.st.forgetKnown.run(Date.now());
    });
  }

  cissChallenge(sender: string, since: number, now: number): Promise<boolean> {
    return this.writes.run(() => {
      const s = sender.toLowerCase();
      const last = (this.st.lastChallenge.get(s) as { at: number } | undefined)?.at;
      if (last !== undefined && last > since) return false;
      this.st.challenge.run(s, now);
      this.st.forgetChallenges.run(since);
      return true;
    }, true);
  }

  async listEntries(owner?: string): Promise<FilterListEntry[]> {
    const rows = (owner === undefined ? this.st.lists.all() : this.st.listsOf.all(owner)) as FilterListRow[];
    return rows.map(toFilterListEntry);
  }

  addListEntry(e: { list: FilterListName; value: string; owner?: string; comment?: string | null; createdBy: string }): Promise<FilterListEntry> {
    const owner = e.owner ?? '';
    return this.writes.run(() => {
      const found = this.st.findEntry.get(owner, e.list, e.value) as FilterListRow | undefined;
      if (found) return toFilterListEntry(found);
      const id = Number(this.st.insertEntry.run(e.list, e.value, owner, e.comment ?? null, Date.now(), e.createdBy).lastInsertRowid);
      return toFilterListEntry(this.st.getEntry.get(id) as FilterListRow);
    }, true);
  }

  removeListEntry(id: number): Promise<boolean> {
    return this.writes.run(() => this.st.removeEntry.run(id).changes > 0, true);
  }
}
