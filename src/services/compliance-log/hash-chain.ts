// Hash chains, as the compliance log and the archive keep them: every link's hash covers its
// content and the previous link's hash. ChainVerifier walks links in storage order (streaming,
// memory bounded by the number of anomalies) and names each link that was changed, removed,
// moved, duplicated or re-hashed. Removing links at the very end leaves no trace inside the
// chain; the report's head (seq + hash) is what an admin compares with an earlier one for that.
import { createHash } from 'node:crypto';

/** prev_hash of the first link. */
export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted at every level and undefined left out: one text per value. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'number' && !Number.isFinite(v)) return 'null';
    return JSON.stringify(v) ?? 'null';
  }
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : canonicalJson(x))).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

export function sha256Hex(s: string | Buffer): string {
  return createHash('sha256').update(s).digest('hex');
}

/** What the verifier needs of one link: its number, its stored hashes and the hash of its content now. */
export interface ChainLink {
  seq: number;
  prevHash: string;
  hash: string;
  /** The hash recomputed from the link's content as stored now. */
  computed: string;
}

export type ChainProblemKind = 'changed' | 'missing' | 'out-of-order' | 'duplicate' | 'relinked';

export interface ChainProblem {
  seq: number;
  /** Last seq of a run of missing links. */
  toSeq?: number;
  kind: ChainProblemKind;
  detail: string;
}

export interface ChainReport {
  ok: boolean;
  /** Links read. */
  count: number;
  /** The highest link read: compare with an earlier head to see links removed at the end. */
  head: { seq: number; hash: string } | null;
  problems: ChainProblem[];
  /** More problems were found than the report lists. */
  truncated: boolean;
}

const MAX_PROBLEMS = 1000;

interface Gap {
  from: number;
  to: number;
  found: Set<number>;
}

export class ChainVerifier {
  private count = 0;
  private lastSeq = 0;
  private lastHash = GENESIS_HASH;
  private lastSelfOk = true;
  private head: { seq: number; hash: string } | null = null;
  private readonly gaps: Gap[] = [];
  /** Stored hashes of links next to a gap, by seq. */
  private readonly known = new Map<number, string>();
  /** prev_hash that the link after a gap claims for the link before it, by that link's seq. */
  private readonly wantHash = new Map<number, string>();
  private readonly problems: ChainProblem[] = [];
  private truncated = false;

  /** `name` words the links in details: "record", "entry". */
  constructor(private readonly name = 'record') {}

  add(l: ChainLink): void {
    this.count++;
    if (!this.head || l.seq > this.head.seq) this.head = { seq: l.seq, hash: l.hash };
    const selfOk = l.computed === l.hash;
    if (!selfOk) this.problem(l.seq, 'changed', `${this.name} ${l.seq} was changed: its content no longer matches its hash`);
    if (l.seq === this.lastSeq + 1) {
      if (l.prevHash !== this.lastHash && selfOk && this.lastSelfOk) this.relinked(l.seq);
      this.lastSeq = l.seq;
      this.lastHash = l.hash;
      this.lastSelfOk = selfOk;
      return;
    }
    if (l.seq > this.lastSeq + 1) {
      this.gaps.push({ from: this.lastSeq + 1, to: l.seq - 1, found: new Set() });
      this.known.set(this.lastSeq, this.lastHash);
      this.wantHash.set(l.seq - 1, l.prevHash);
      this.lastSeq = l.seq;
      this.lastHash = l.hash;
      this.lastSelfOk = selfOk;
      return;
    }
    const gap = this.gaps.find((g) => l.seq >= g.from && l.seq <= g.to);
    if (!gap || gap.found.has(l.seq)) {
      this.problem(l.seq, 'duplicate', `${this.name} ${l.seq} is stored more than once`);
      return;
    }
    gap.found.add(l.seq);
    this.problem(l.seq, 'out-of-order', `${this.name} ${l.seq} is out of order: stored after ${this.name} ${this.lastSeq}`);
    this.known.set(l.seq, l.hash);
    const before = this.known.get(l.seq - 1) ?? (l.seq === 1 ? GENESIS_HASH : undefined);
    const after = this.wantHash.get(l.seq);
    if (selfOk && ((before !== undefined && before !== l.prevHash) || (after !== undefined && after !== l.hash))) this.relinked(l.seq);
  }

  finish(): ChainReport {
    for (const g of this.gaps) {
      if (!g.found.size) {
        this.missing(g.from, g.to);
        continue;
      }
      let run: number | null = null;
      for (let s = g.from; s <= g.to; s++) {
        if (!g.found.has(s)) {
          run ??= s;
        } else if (run !== null) {
          this.missing(run, s - 1);
          run = null;
        }
      }
      if (run !== null) this.missing(run, g.to);
    }
    this.problems.sort((a, b) => a.seq - b.seq);
    return { ok: this.problems.length === 0 && !this.truncated, count: this.count, head: this.head, problems: this.problems, truncated: this.truncated };
  }

  private missing(from: number, to: number): void {
    if (from === to) this.problem(from, 'missing', `${this.name} ${from} is missing`);
    else this.problem(from, 'missing', `${this.name}s ${from}–${to} are missing`, to);
  }

  private relinked(seq: number): void {
    const prev = seq - 1;
    this.problem(
      seq,
      'relinked',
      prev === 0
        ? `${this.name} ${seq} is not chained to the start of the chain: it was rewritten`
        : `${this.name} ${seq} is not chained to ${this.name} ${prev}: one of the two was rewritten with a new hash`,
    );
  }

  private problem(seq: number, kind: ChainProblemKind, detail: string, toSeq?: number): void {
    if (this.problems.length >= MAX_PROBLEMS) {
      this.truncated = true;
      return;
    }
    this.problems.push(toSeq === undefined ? { seq, kind, detail } : { seq, toSeq, kind, detail });
  }
}
