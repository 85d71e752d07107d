// What the admin plane may do with the spamfinder: the quarantines (list, search, sort, show,
// deliver, delete, allow), the company-wide filter lists, and the Bayes classifier (status,
// learn). Deliver continues the mail after the spamfinder stage (to depot); releasing a mail from
// the spam quarantine teaches Bayes it was ham; allow also puts the sender on the AWL.
import type { HoldingQueue, MailRecord } from '../../core/mail.ts';
import type { FlowEngine } from '../../flow/flow-engine.ts';
import { QueueConflict, type FilterListEntry, type FilterListName, type Store } from '../../store/store.ts';
import type { Logger } from '../log-manager/logger.ts';
import { ControlError, type MailDetail } from '../system-manager/control.ts';
import { BayesFilter } from './bayes/bayes-filter.ts';
import type { FuzzyFilter } from '../fuzzy-filter/index.ts';
import { mailTokens, MAX_INPUT } from './bayes/tokens.ts';
import { LIST_NAMES, normaliseListValue, type FilterLists } from './lists.ts';
import { contentVerdict } from './rules/content-filter.ts';
import type { SpamfinderConfig } from './config.ts';
import type { SpamVerdict } from './stage.ts';
import type { QuarantineReports } from './reports/quarantine-reports.ts';

export const QUARANTINES = ['spam', 'virus', 'ciss'] as const;
export type QuarantineName = (typeof QUARANTINES)[number];
export const QUARANTINE_SORTS = ['received', 'sender', 'filter', 'score'] as const;

export interface QuarantineQuery {
  queue: QuarantineName;
  /** Case-insensitive text in sender, recipients, subject, filter or reason. */
  search?: string;
  sort?: (typeof QUARANTINE_SORTS)[number];
  order?: 'asc' | 'desc';
  limit?: number;
  offset?: number;
}

/** One line of a quarantine listing. */
export interface QuarantinedMail {
  id: string;
  queue: string;
  receivedAt: number;
  size: number;
  sender: string;
  recipients: string[];
  subject: string;
  filter: string | null;
  reason: string | null;
  score: number | null;
}

export interface SpamfinderControl {
  quarantine: {
    list(q: QuarantineQuery): Promise<{ mails: QuarantinedMail[]; total: number }>;
    get(id: string): Promise<MailDetail>;
    deliver(id: string, actor: string): Promise<MailRecord>;
    delete(id: string, actor: string): Promise<MailRecord>;
    allow(id: string, actor: string): Promise<{ mail: MailRecord; entry: FilterListEntry }>;
    /** Confirms a quarantined mail as spam: Bayes learns it, FUZZY keeps its print, it is deleted. */
    report(id: string, actor: string): Promise<MailRecord>;
    /** Sends the quarantine reports now (everything held since the last run). */
    sendReports(actor: string): Promise<{ reports: number; mails: number }>;
  };
  /** Set by the spamfinder when spamfinder.reports is enabled. */
  reports?: QuarantineReports | null;
  lists: {
    list(list?: FilterListName): Promise<FilterListEntry[]>;
    add(list: FilterListName, value: string, comment: string | null, actor: string): Promise<FilterListEntry>;
    remove(id: number, actor: string): Promise<void>;
  };
  /** Content verdicts (lists, Bayes and the rule layer, as for inbound mail; no virus scan) of mails given here. */
  check(mails: Buffer[]): Promise<CheckResult[]>;
  bayes: {
    status(): ReturnType<BayesFilter['status']>;
    learn(cls: 'spam' | 'ham', mails: Buffer[], actor: string): Promise<{ learned: number; skipped: number }>;
  };
}

export interface CheckResult {
  verdict: 'spam' | 'clean' | 'allowed';
  /** The deciding filter (AWL…SBL, BAYES, RULES), null when none decided. */
  filter: string | null;
  reason: string;
  /** Spam probability (Bayes + rules; Bayes alone when the rule layer is off), null when neither had a say. */
  score: number | null;
  subject: string;
  from: string;
}

/** Most quarantined mails a search looks through (the listing is filtered and sorted in memory). */
const SEARCH_WINDOW = 10_000;

const queueOf = (q: QuarantineName): HoldingQueue => `quarantine:${q}`;
const QUEUES: HoldingQueue[] = QUARANTINES.map(queueOf);

function summary(m: MailRecord): QuarantinedMail {
  const v = m.envelope.meta?.spamfinder as Partial<SpamVerdict> | undefined;
  return {
    id: m.id,
    queue: m.queue,
    receivedAt: m.receivedAt,
    size: m.size,
    sender: m.envelope.sender,
    recipients: m.envelope.recipients.map((r) => r.address),
    subject: v?.subject ?? '',
    filter: v?.filter ?? null,
    reason: v?.reason ?? m.lastReason ?? null,
    score: v?.score ?? null,
  };
}

export function createSpamfinderControl(d: { store: Store; engine: FlowEngine; lists: FilterLists; bayes: BayesFilter; fuzzy: FuzzyFilter | null; log: Logger; config: Pick<SpamfinderConfig, 'bayes' | 'rules'> }): SpamfinderControl {
  const { store, engine, log } = d;

  const quarantined = async (id: string) => {
    const m = await store.queue.get(id);
    if (!m) throw new ControlError('MAIL_NOT_FOUND', `no mail with id "${id}"`);
    if (!(QUEUES as string[]).includes(m.queue)) throw new ControlError('MAIL_WRONG_QUEUE', `mail ${id} is in ${m.queue}, not in a quarantine`);
    return m;
  };
  const guard = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof QueueConflict) throw new ControlError(/being processed/.test(err.message) ? 'MAIL_BUSY' : 'MAIL_WRONG_QUEUE', err.message);
      throw err;
    }
  };

  /** Learns mails as one class; confirmed spam also adds its fuzzy print. */
  async function learn(mails: Buffer[], cls: 'spam' | 'ham'): Promise<number> {
    const lessons = [];
    for (const raw of mails) {
      const t = await mailTokens(raw.length > MAX_INPUT ? raw.subarray(0, MAX_INPUT) : raw);
      lessons.push(BayesFilter.lesson(t, cls));
      if (cls === 'spam' && d.fuzzy) await d.fuzzy.add(t.text, t.digest);
    }
    return d.bayes.learn(lessons);
  }

  async function deliver(id: string, actor: string, action: 'deliver' | 'allow'): Promise<MailRecord> {
    const m = await quarantined(id);
    const r = await guard(() =>
      store.queue.move(id, 'depot', { from: [m.queue], heldFrom: null, event: { event: 'released', actor, detail: { from: m.queue, to: 'depot', action } } }),
    );
    if (!r) throw new ControlError('MAIL_NOT_FOUND', `no mail with id "${id}"`);
    engine.notify('depot');
    log.info(`${action === 'allow' ? 'delivered and allow-listed' : 'delivered'} from ${m.queue} by ${actor}`, { mailId: id });
    if (m.queue === 'quarantine:spam') {
      // The admin's decision is the best training there is: this mail was ham.
      try {
        await learn([await store.bodies.read(m.bodyKey)], 'ham');
      } catch (err) {
        log.warn('could not learn a released mail as ham', { mailId: id, err: err as Error });
      }
    }
    return r;
  }

  const control: SpamfinderControl = {
    quarantine: {
      async list(q) {
        const all = await store.queue.list({ queue: queueOf(q.queue), limit: SEARCH_WINDOW });
        let rows = all.map(summary);
        const s = q.search?.trim().toLowerCase();
        if (s) rows = rows.filter((r) => [r.sender, ...r.recipients, r.subject, r.filter ?? '', r.reason ?? ''].some((x) => x.toLowerCase().includes(s)));
        const dir = q.order === 'asc' ? 1 : -1;
        const key = q.sort ?? 'received';
        rows.sort((a, b) => {
          const x = key === 'received' ? a.receivedAt - b.receivedAt : key === 'score' ? (a.score ?? 0) - (b.score ?? 0) : (key === 'sender' ? a.sender : a.filter ?? '').localeCompare(key === 'sender' ? b.sender : b.filter ?? '');
          return x * dir || (a.receivedAt - b.receivedAt) * dir;
        });
        const offset = q.offset ?? 0;
        return { mails: rows.slice(offset, offset + (q.limit ?? 100)), total: rows.length };
      },
      async get(id) {
        const { bodyKey: _b, ...rec } = await quarantined(id);
        return { ...rec, events: await store.queue.events(id) };
      },
      deliver: (id, actor) => deliver(id, actor, 'deliver'),
      async delete(id, actor) {
        const m = await quarantined(id);
        const r = await guard(() => store.queue.move(id, 'deleted', { from: [m.queue], event: { event: 'deleted', actor, detail: { from: m.queue } } }));
        if (!r) throw new ControlError('MAIL_NOT_FOUND', `no mail with id "${id}"`);
        await store.bodies.remove(m.bodyKey).catch(() => undefined);
        log.info(`deleted from ${m.queue} by ${actor}`, { mailId: id });
        return r;
      },
      async sendReports(actor) {
        if (!control.reports) throw new ControlError('REPORTS_NOT_CONFIGURED', 'quarantine reports are off; set spamfinder.reports.enabled and restart');
        log.info(`quarantine reports sent on request of ${actor}`);
        return control.reports.send();
      },
      async report(id, actor) {
        const m = await quarantined(id);
        if (m.queue !== 'quarantine:spam') throw new ControlError('MAIL_WRONG_QUEUE', `mail ${id} is in ${m.queue}; only mail in quarantine:spam can be reported as spam`);
        await learn([await store.bodies.read(m.bodyKey)], 'spam');
        const r = await guard(() => store.queue.move(id, 'deleted', { from: [m.queue], event: { event: 'deleted', actor, detail: { from: m.queue, action: 'report' } } }));
        if (!r) throw new ControlError('MAIL_NOT_FOUND', `no mail with id "${id}"`);
        await store.bodies.remove(m.bodyKey).catch(() => undefined);
        log.info(`reported as spam and deleted by ${actor}`, { mailId: id });
        return r;
      },
      async allow(id, actor) {
        const m = await quarantined(id);
        if (m.queue === 'quarantine:virus') throw new ControlError('MAIL_WRONG_QUEUE', `mail ${id} carries a virus; its sender cannot be allow-listed (deliver it if you must)`);
        let sender = m.envelope.sender.toLowerCase();
        if (!sender) {
          const t = await mailTokens(await store.bodies.read(m.bodyKey)).catch(() => null);
          sender = t?.from ?? '';
        }
        if (!sender) throw new ControlError('MAIL_WRONG_QUEUE', `mail ${id} has no sender address to allow-list`);
        const mail = await deliver(id, actor, 'allow');
        const entry = await store.spam.addListEntry({ list: 'awl', value: sender, comment: `allowed from quarantine (mail ${id})`, createdBy: actor });
        d.lists.invalidate();
        return { mail, entry };
      },
    },
    lists: {
      async list(list) {
        const all = await store.spam.listEntries('');
        return list ? all.filter((e) => e.list === list) : all;
      },
      async add(list, value, comment, actor) {
        if (!LIST_NAMES.includes(list)) throw new ControlError('LIST_ENTRY_INVALID', `no filter list "${list}"; lists: ${LIST_NAMES.join(', ')}`);
        const v = normaliseListValue(list, value);
        if ('error' in v) throw new ControlError('LIST_ENTRY_INVALID', v.error);
        const e = await store.spam.addListEntry({ list, value: v.value, comment, createdBy: actor });
        d.lists.invalidate();
        log.info(`${list.toUpperCase()} entry "${e.value}" added by ${actor}`);
        return e;
      },
      async remove(id, actor) {
        if (!(await store.spam.removeListEntry(id))) throw new ControlError('LIST_ENTRY_NOT_FOUND', `no filter list entry with id ${id}`);
        d.lists.invalidate();
        log.info(`filter list entry ${id} removed by ${actor}`);
      },
    },
    async check(mails) {
      const out: CheckResult[] = [];
      for (const raw of mails) {
        const t = await mailTokens(raw.length > MAX_INPUT ? raw.subarray(0, MAX_INPUT) : raw);
        const returnPath = /^return-path:[ \t]*<([^>]*)>/im.exec(raw.subarray(0, 64 * 1024).toString('latin1'))?.[1]?.toLowerCase() ?? '';
        const subject = { senders: [returnPath, t.from], subject: t.subject };
        const c = await contentVerdict(d.bayes, t, d.config);
        const score = c.score;
        const base = { score, subject: t.subject, from: t.from };
        const allowed = await d.lists.allowed(subject);
        if (allowed) {
          out.push({ verdict: 'allowed', filter: allowed.list.toUpperCase(), reason: `${allowed.matched} matches "${allowed.value}"`, ...base });
          continue;
        }
        const blocked = await d.lists.blocked(subject);
        if (blocked) {
          out.push({ verdict: 'spam', filter: blocked.list.toUpperCase(), reason: `${blocked.matched} matches "${blocked.value}"`, ...base });
          continue;
        }
        if (c.spam && c.filter) {
          out.push({ verdict: 'spam', filter: c.filter, reason: c.reason, ...base });
          continue;
        }
        out.push({ verdict: 'clean', filter: null, reason: c.bayes || c.combined ? c.reason : 'Bayes not trained yet; no list matched', ...base });
      }
      return out;
    },
    bayes: {
      status: () => d.bayes.status(),
      async learn(cls, mails, actor) {
        const learned = await learn(mails, cls);
        log.info(`Bayes learned ${learned} of ${mails.length} mail(s) as ${cls} (by ${actor})`);
        return { learned, skipped: mails.length - learned };
      },
    },
  };
  return control;
}
