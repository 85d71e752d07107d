// Allow lists (AWL address, DWL domain, NWL network, SWL subject) and block lists (ABL, DBL,
// NBL, SBL): company-wide (the config's entries plus the store's with owner "") and per user (store
// entries whose owner is a local recipient address; they speak for that recipient only). Matching: addresses exactly or with "*" wildcards, domains with their subdomains, networks by
// CIDR, subjects as case-insensitive substrings (or "*" patterns).
import { NetworkList, parseCidr } from '../../core/networks.ts';
import type { FilterListEntry, FilterListName, SpamStore } from '../../store/store.ts';
import type { SpamfinderConfig } from './config.ts';

export const ALLOW_LISTS = ['awl', 'dwl', 'nwl', 'swl'] as const;
export const BLOCK_LISTS = ['abl', 'dbl', 'nbl', 'sbl'] as const;
export const LIST_NAMES: readonly FilterListName[] = [...ALLOW_LISTS, ...BLOCK_LISTS];

export interface ListSubject {
  /** Envelope sender and header From (lower-cased; empty ones are ignored). */
  senders: string[];
  clientIp?: string;
  subject: string;
}

export interface ListMatch {
  list: FilterListName;
  /** The entry that matched. */
  value: string;
  /** What it matched: the address, domain, IP or subject. */
  matched: string;
  /** Set when recipients' own lists decided: those recipients (every recipient of the mail). */
  owners?: string[];
}

const domainOf = (a: string) => a.slice(a.lastIndexOf('@') + 1);

function wildcard(p: string): RegExp {
  return new RegExp('^' + p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$', 'i');
}

/** Checks a list value before it is stored; returns the normalised value or an error message. */
export function normaliseListValue(list: FilterListName, value: string): { value: string } | { error: string } {
  const v = value.trim().toLowerCase();
  if (!v) return { error: 'value is empty' };
  const kind = list[0];
  if (kind === 'a' && !v.includes('@') && !v.includes('*')) return { error: `"${value}" is not an address (use user@domain or a pattern like *@domain)` };
  if (kind === 'd' && !/^[a-z0-9*]([a-z0-9.*-]*[a-z0-9])?$/.test(v)) return { error: `"${value}" is not a domain` };
  if (kind === 'n' && !parseCidr(v)) return { error: `"${value}" is not a network (use e.g. 203.0.113.0/24)` };
  return { value: v };
}

class CompiledList {
  private readonly exact = new Set<string>();
  private readonly patterns: { value: string; re: RegExp }[] = [];
  private readonly nets: { value: string; net: NetworkList }[] = [];
  constructor(
    readonly name: FilterListName,
    values: string[],
  ) {
    for (const raw of values) {
      const v = raw.trim().toLowerCase();
      if (!v) continue;
      if (name[0] === 'n') {
        if (parseCidr(v)) this.nets.push({ value: v, net: new NetworkList([v]) });
      } else if (v.includes('*')) this.patterns.push({ value: v, re: wildcard(v) });
      else this.exact.add(v);
    }
  }

  private address(a: string): string | null {
    if (this.exact.has(a)) return a;
    return this.patterns.find((p) => p.re.test(a))?.value ?? null;
  }

  private domain(d: string): string | null {
    for (let x = d; x; x = x.includes('.') ? x.slice(x.indexOf('.') + 1) : '') if (this.exact.has(x)) return x;
    return this.patterns.find((p) => p.re.test(d))?.value ?? null;
  }

  match(s: ListSubject): ListMatch | null {
    const kind = this.name[0];
    if (kind === 'n') {
      const hit = s.clientIp ? this.nets.find((n) => n.net.contains(s.clientIp)) : undefined;
      return hit ? { list: this.name, value: hit.value, matched: s.clientIp! } : null;
    }
    if (kind === 's') {
      const subj = s.subject.toLowerCase();
      for (const v of this.exact) if (subj.includes(v)) return { list: this.name, value: v, matched: s.subject };
      const p = this.patterns.find((x) => x.re.test(subj));
      return p ? { list: this.name, value: p.value, matched: s.subject } : null;
    }
    for (const a of s.senders) {
      if (!a) continue;
      const v = kind === 'a' ? this.address(a) : this.domain(domainOf(a));
      if (v) return { list: this.name, value: v, matched: a };
    }
    return null;
  }
}

export class FilterLists {
  private compiled: { company: CompiledList[]; own: Map<string, CompiledList[]> } | null = null;
  private loadedAt = 0;

  constructor(
    private readonly config: SpamfinderConfig['lists'],
    private readonly store: SpamStore,
    /** Store entries are read again after this long (other nodes, other processes), ms. */
    private readonly refreshMs = 30_000,
  ) {}

  /** Entries changed through the API: read them again on the next mail. */
  invalidate(): void {
    this.compiled = null;
  }

  private async lists(): Promise<{ company: CompiledList[]; own: Map<string, CompiledList[]> }> {
    if (this.compiled && Date.now() - this.loadedAt < this.refreshMs) return this.compiled;
    const byOwner = new Map<string, FilterListEntry[]>();
    for (const e of await this.store.listEntries()) {
      const owner = e.owner.toLowerCase();
      let l = byOwner.get(owner);
      if (!l) byOwner.set(owner, (l = []));
      l.push(e);
    }
    const compile = (entries: FilterListEntry[], extra: (n: FilterListName) => string[]) =>
      LIST_NAMES.map((n) => new CompiledList(n, [...extra(n), ...entries.filter((e) => e.list === n).map((e) => e.value)]));
    const own = new Map<string, CompiledList[]>();
    for (const [owner, entries] of byOwner) if (owner) own.set(owner, compile(entries, () => []));
    this.compiled = { company: compile(byOwner.get('') ?? [], (n) => this.config[n]), own };
    this.loadedAt = Date.now();
    return this.compiled;
  }

  private static first(lists: CompiledList[], s: ListSubject): ListMatch | null {
    for (const l of lists) {
      const m = l.match(s);
      if (m) return m;
    }
    return null;
  }

  /**
   * Recipients' own lists decide a mail only when they agree for every recipient: one user's list
   * must not let spam through to, or hold mail back from, the others. The spamfinder stage splits
   * a mail whose recipients' lists disagree (stage.ts), so there they always agree. `company` is
   * what the company-wide lists say for everyone.
   */
  private static everyone(own: Map<string, CompiledList[]>, recipients: string[], company: ListMatch | null, pick: (l: CompiledList[]) => CompiledList[], s: ListSubject): ListMatch | null {
    if (company || !recipients.length) return company;
    let found: ListMatch | null = null;
    const owners: string[] = [];
    for (const r of recipients) {
      const a = r.toLowerCase();
      const lists = own.get(a);
      const m = lists ? FilterLists.first(pick(lists), s) : null;
      if (!m) return null;
      found ??= m;
      owners.push(a);
    }
    return found && { ...found, owners };
  }

  /**
   * The first allow-list match (AWL, DWL, NWL, SWL in that order): company-wide, else the
   * recipients' own lists when each of `recipients` has the sender on its own allow list.
   */
  async allowed(s: ListSubject, recipients: string[] = []): Promise<ListMatch | null> {
    const l = await this.lists();
    const pick = (x: CompiledList[]) => x.slice(0, ALLOW_LISTS.length);
    return FilterLists.everyone(l.own, recipients, FilterLists.first(pick(l.company), s), pick, s);
  }

  /**
   * The first block-list match (ABL, DBL, NBL, SBL in that order): company-wide, else the
   * recipients' own lists when each of `recipients` has the sender on its own block list.
   */
  async blocked(s: ListSubject, recipients: string[] = []): Promise<ListMatch | null> {
    const l = await this.lists();
    const pick = (x: CompiledList[]) => x.slice(ALLOW_LISTS.length);
    return FilterLists.everyone(l.own, recipients, FilterLists.first(pick(l.company), s), pick, s);
  }
}
